// The dashboard and the remote over the daemon's own TLS (tls_cert,
// tls_key; docs/install.md "TLS"), reached at the machine's LAN address as
// a tablet would: the pages are https, the JS client connects with wss://
// by itself, the remote at /remote is redirected to https://.../remote/
// and pairs, and the page is a secure context (what the voice button's
// microphone needs), which the same page over plain http at that address
// is not.  The certificate is self-signed, made here by openssl; Chromium
// is told to accept it (--ignore-certificate-errors), as a tablet is once
// the office's CA is installed on it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { networkInterfaces } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { startDaemon, launchBrowser, openPage, screenshot, waitBody,
	tmpDir, makeToken, idleAudio } from "./lib.mjs";

const run = promisify(execFile);

// The first non-loopback IPv4 address of this machine.
function lanAddress() {
	for (const list of Object.values(networkInterfaces()))
		for (const a of list ?? [])
			if (a.family === "IPv4" && !a.internal)
				return a.address;
	return null;
}

test("dashboard and remote over TLS at the LAN address", { timeout: 90000 }, async (t) => {
	const lan = lanAddress();
	assert.ok(lan, "this machine has a non-loopback IPv4 address to test with");
	const dir = tmpDir(t, "tls");
	const state = path.join(dir, "state");
	const cert = path.join(dir, "cert.pem"), key = path.join(dir, "key.pem");
	await run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
		"-subj", "/CN=smartoffice-test", "-addext", `subjectAltName=IP:${lan},IP:127.0.0.1`,
		"-keyout", key, "-out", cert], { timeout: 30000 });
	const token = await makeToken(state, "remote", "tablet");
	const audio = await idleAudio(dir);
	const d = await startDaemon(t, dir, { name: "tls", stateDir: state,
		args: ["--address", "0.0.0.0", "-o", `tls_cert=${cert}`, "-o", `tls_key=${key}`, ...audio] });
	assert.match(d.base, /^https:/, "the daemon says https");
	const base = `https://${lan}:${d.port}`;
	const [wallCtx, tabCtx] = await Promise.all([
		launchBrowser(t, dir, { name: "wall", args: ["--ignore-certificate-errors"] }),
		launchBrowser(t, dir, { name: "tablet", args: ["--ignore-certificate-errors"],
			viewport: { width: 820, height: 1180 } }),
	]);
	const wall = await openPage(wallCtx, `${base}/`);
	const tab = await openPage(tabCtx, `${base}/remote#token=${token}`);
	try {
		await waitBody(wall.page, "connected", "true", 8000, "the wall connects over TLS");
		assert.ok(wall.sockets.length > 0 && wall.sockets.every((u) => u.startsWith(`wss://${lan}:${d.port}/`)),
			`the JS client chose wss:// by itself: ${JSON.stringify(wall.sockets)}`);
		await waitBody(tab.page, "paired", "true", 8000, "the remote at /remote pairs over TLS");
		assert.equal(tab.page.url().split("#")[0], `${base}/remote/`, "redirected to https://.../remote/");
		assert.equal(await tab.page.evaluate(() => window.isSecureContext), true,
			"the remote over https is a secure context (the voice button may ask for the microphone)");
		assert.deepEqual([...wall.httpErrors, ...tab.httpErrors], [], "every file the pages load is served");
		assert.deepEqual([...wall.console, ...tab.console], [], "no errors in the pages' consoles");
	} finally {
		await screenshot(wall.page, "tls-wall");
		await screenshot(tab.page, "tls-remote");
	}
	// The same address over plain http: refused on the TLS port.
	const page = await tabCtx.newPage();
	await assert.rejects(page.goto(`http://${lan}:${d.port}/remote/`, { timeout: 5000 }),
		"plain http on the TLS port is refused");
	assert.ok(d.alive(), "the daemon is still running");
});
