// The reference dashboard as a public kiosk over MQTT-over-websockets
// (docs/mqtt.md): a private mosquitto started here with the files of
// `smartofficed mqtt setup` (its websockets listener on a free loopback
// port), the daemon publishing to it, the wall (trusted, the daemon's own
// websocket) and a kiosk page opened as /?mqtt=ws://...&site=mayor.  A
// paired remote goes to a public screen (both follow), then private mode and
// the documents for approval (the wall only), then public mode and another
// public screen (both again).  The kiosk never opens the daemon's websocket,
// and no frame it received from the broker holds a private word; a kiosk
// opened late shows the current screen at once (retained state).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, copyFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { DAEMON, startDaemon, launchBrowser, openPage, screenshot, waitBody, bodyData,
	tmpDir, makeToken, wsConnect, hello, catalogue, sleep } from "./lib.mjs";

const MOSQUITTO = "/usr/sbin/mosquitto";

function freePort() {
	return new Promise((res, rej) => {
		const s = net.createServer();
		s.on("error", rej);
		s.listen(0, "127.0.0.1", () => {
			const p = s.address().port;
			s.close(() => res(p));
		});
	});
}

async function listening(port, ms) {
	const t0 = Date.now();
	for (;;) {
		const ok = await new Promise((res) => {
			const c = net.connect(port, "127.0.0.1", () => { c.destroy(); res(true); });
			c.on("error", () => res(false));
		});
		if (ok)
			return;
		if (Date.now() - t0 > ms)
			throw new Error(`mosquitto does not listen on ${port} after ${ms} ms`);
		await sleep(50);
	}
}

// A broker of our own: smartofficed mqtt setup's files, persistence in dir.
async function startBroker(t, dir) {
	if (!existsSync(MOSQUITTO))
		throw new Error(`${MOSQUITTO} not found: apt-get install mosquitto (tools/install-deps)`);
	const port = await freePort(), ws = await freePort();
	const bdir = path.join(dir, "broker");
	execFileSync(DAEMON, ["mqtt", "setup", "--dir", bdir, "--address", "127.0.0.1", "--port", String(port),
		"--ws-port", String(ws), "--site", "mayor", "--display", "wall", "--commander", "ops"]);
	mkdirSync(path.join(bdir, "conf.d"), { recursive: true });
	copyFileSync(path.join(bdir, "smartoffice.conf"), path.join(bdir, "conf.d", "smartoffice.conf"));
	writeFileSync(path.join(bdir, "test.conf"), `include_dir ${bdir}/conf.d\npersistence false\n`);
	if (process.getuid?.() === 0)
		appendFileSync(path.join(bdir, "test.conf"), "user root\n");
	const proc = spawn(MOSQUITTO, ["-c", path.join(bdir, "test.conf")], { stdio: ["ignore", "ignore", "pipe"] });
	let log = "";
	proc.stderr.on("data", (s) => { log += s; });
	t.after(() => proc.kill("SIGTERM"));
	try {
		await listening(port, 10000);
		await listening(ws, 10000);
	} catch (e) {
		throw new Error(`${e.message}: ${log}`);
	}
	return { port, ws, dir: bdir, cred: (u) => path.join(bdir, "credentials", u) };
}

function leaks(rec, needles) {
	const found = [];
	for (const s of rec.received)
		for (const n of needles)
			if (String(s).includes(n))
				found.push(`${JSON.stringify(n)} in ${String(s).slice(0, 120)}`);
	return found;
}

test("a kiosk over MQTT follows the wall's public screens and never gets a private byte", { timeout: 90000 }, async (t) => {
	const cat = catalogue();
	const dir = tmpDir(t, "mqtt-kiosk");
	const state = path.join(dir, "state");
	const wallToken = await makeToken(state, "display", "wall");
	const remoteToken = await makeToken(state, "remote", "tablet");
	const b = await startBroker(t, dir);
	const d = await startDaemon(t, dir, {
		name: "mqtt-kiosk", stateDir: state,
		args: ["-o", "audio=none", "-o", "private_unlock=voice", "-o", `mqtt_url=mqtt://127.0.0.1:${b.port}`,
			"-o", "mqtt_user=smartoffice-mayor", "-o", `mqtt_password_file=${b.cred("smartoffice-mayor")}`,
			"-o", "site=mayor"],
	});
	assert.match(d.log(), /mqtt: connected to 127\.0\.0\.1/, "the daemon is on the broker");
	const kioskUrl = `${d.base}/?mqtt=${encodeURIComponent(`ws://127.0.0.1:${b.ws}/`)}&site=mayor&name=Kiosk`;
	const [wallCtx, kioskCtx] = await Promise.all([
		launchBrowser(t, dir, { name: "wall" }),
		launchBrowser(t, dir, { name: "kiosk", viewport: { width: 1920, height: 1080 } }),
	]);
	const [wall, kiosk] = await Promise.all([
		openPage(wallCtx, `${d.base}/#token=${wallToken}`),
		openPage(kioskCtx, kioskUrl),
	]);
	await waitBody(wall.page, "view", "trusted", 5000, "the wall presented a display token");
	await waitBody(kiosk.page, "screen", "main", 8000, "the retained public hello from the broker");
	assert.equal(await bodyData(kiosk.page, "view"), "public");

	const remote = await wsConnect(t, d.port);
	assert.equal((await hello(remote, "remote", "tablet", remoteToken)).view, "trusted");
	let id = 10;
	const select = async (what) => {
		const m = { type: "select", id: ++id, ...(cat.controls.some((c) => c.id === what) ? { command: what } : { content: what }) };
		remote.send(m);
		const r = await remote.waitFor((x) => x.id === m.id, 3000, `answer to select ${what}`);
		assert.equal(r.type, "ok", JSON.stringify(r));
	};

	// 1. a public screen: both follow
	await select("air-quality");
	await waitBody(wall.page, "screen", "air-quality", 5000, "the remote selected it");
	await waitBody(kiosk.page, "screen", "air-quality", 5000, "the navigate came through the broker");
	await screenshot(kiosk.page, "mqtt-kiosk-air-quality");

	// 2. private mode and a private screen: the wall only
	await select("private-mode");
	await waitBody(wall.page, "mode", "private", 5000, "private_unlock=voice: the remote's select switches");
	await select("approval-documents");
	await waitBody(wall.page, "screen", "approval-documents", 5000);
	await sleep(800);
	assert.equal(await bodyData(kiosk.page, "screen"), "air-quality", "the kiosk stays on the public screen");
	assert.equal(await bodyData(kiosk.page, "mode"), "public");
	await screenshot(wall.page, "mqtt-kiosk-wall-private");
	await screenshot(kiosk.page, "mqtt-kiosk-during-private");

	// 3. back to public, another screen: both again
	await select("public-mode");
	await select("prices");
	await waitBody(wall.page, "screen", "prices", 5000);
	await waitBody(kiosk.page, "screen", "prices", 5000, "the kiosk follows again");

	// the kiosk's wire: the broker only, and nothing private in it
	assert.ok(kiosk.sockets.length >= 1 && kiosk.sockets.every((u) => u.startsWith(`ws://127.0.0.1:${b.ws}/`)),
		`the kiosk's websockets: ${kiosk.sockets.join(", ")}`);
	assert.ok(kiosk.received.length > 0, "frames from the broker were recorded");
	assert.ok(kiosk.received.some((s) => String(s).includes('"content":"prices"')), "the kiosk got the navigate on the wire");
	assert.deepEqual(leaks(kiosk, [...cat.privateNeedles, "trusted", '"cursor"']), [], "private words on the kiosk's wire");
	assert.deepEqual(kiosk.console, [], "no errors on the kiosk page");

	// 4. a kiosk opened late: the right screen at once
	const lateCtx = await launchBrowser(t, dir, { name: "late" });
	const late = await openPage(lateCtx, kioskUrl);
	await waitBody(late.page, "screen", "prices", 5000, "the retained state gives the current screen");
	await screenshot(late.page, "mqtt-kiosk-late");
	await screenshot(kiosk.page, "mqtt-kiosk-prices");
});
