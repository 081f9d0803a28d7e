// Private mode as the seed has it: the private-mode button at the bottom of
// the trusted wall; pressing it shows the room camera's preview (the replayed
// ORL face s1, enrolled first) with the step to do, then the result, and the
// wall goes private.  A public kiosk open beside it has no button and never
// gets a preview frame, a verify event or private mode.  A second daemon
// with no camera: the same button, on the wall and on a paired remote, says
// why and what to do.
// Screenshots: private-mode-wall-preview, private-mode-kiosk,
// private-mode-wall-private, private-mode-wall-no-camera,
// private-mode-remote-no-camera (the paired remote's button, same refusal).
import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import path from "node:path";
import { SRC, DAEMON, startDaemon, launchBrowser, openPage, screenshot, waitBody, bodyData,
	tmpDir, makeToken, until } from "./lib.mjs";

const run = promisify(execFile);
const ORL = process.env.ORL_DIR ?? path.resolve(SRC, "../shared/data/faces/orl");
const MODEL = path.join(SRC, "models/blazeface/face_detection_front_128x128_barracuda.onnx");

// Frames at 15 fps: s1 looking straight (photo 8) for 10 s, a head turn
// (photo 6) for 0.6 s, then straight again until 14 s.
function frames(dir) {
	mkdirSync(dir, { recursive: true });
	for (let k = 0; k < 210; k++) {
		const src = k >= 150 && k < 159 ? 6 : 8;
		copyFileSync(path.join(ORL, "s1", `${src}.pgm`), path.join(dir, `${String(k).padStart(6, "0")}.pgm`));
	}
	return dir;
}

test("the wall's private-mode button shows the camera preview, a kiosk does not", { timeout: 90000 }, async (t) => {
	for (const f of [path.join(ORL, "s1", "8.pgm"), MODEL])
		assert.ok(existsSync(f), `${f} is missing (the test data / model files)`);
	const dir = tmpDir(t, "private-mode");
	const state = path.join(dir, "state");
	mkdirSync(state, { recursive: true });
	await run(DAEMON, ["--state-dir", state, "-o", `face_model=${MODEL}`, "face", "enroll", "--name", "s1",
		...[1, 2, 3, 4, 5].map((i) => path.join(ORL, "s1", `${i}.pgm`))]);
	const wallToken = await makeToken(state, "display", "wall");
	const d = await startDaemon(t, dir, {
		name: "private-mode", stateDir: state,
		args: ["--video-file", frames(path.join(dir, "live")), "-o", `face_model=${MODEL}`, "-o", "face_every=1",
			"-o", "private_face=s1", "-o", "face_verify_timeout_s=12"],
	});
	const [wallCtx, kioskCtx] = await Promise.all([
		launchBrowser(t, dir, { name: "wall" }),
		launchBrowser(t, dir, { name: "kiosk" }),
	]);
	const [wall, kiosk] = await Promise.all([
		openPage(wallCtx, `${d.base}/#token=${wallToken}`),
		openPage(kioskCtx, `${d.base}/`),
	]);
	await waitBody(wall.page, "view", "trusted", 5000, "the wall presented a display token");
	await waitBody(kiosk.page, "view", "public", 5000, "the kiosk has no token");
	const button = wall.page.locator("#private-button");
	assert.ok(await button.isVisible(), "the trusted wall has the private-mode button");
	assert.equal(await kiosk.page.locator("#private-button").isVisible(), false, "a public kiosk has no button");

	await button.click();
	await until(() => wall.sentMessages("select").some((m) => m.command === "private-mode"), 3000,
		"the button sent no select {command: private-mode}");
	// The preview: an <img> with a JPEG data URL from the daemon's frames.
	const img = wall.page.locator("#verify-preview");
	await until(async () => await img.isVisible() && (await img.getAttribute("src") ?? "").startsWith("data:image/jpeg;base64,/9j/"),
		8000, () => `no preview image on the wall; verify/preview events: ${wall.messages().filter((m) => ["verify", "preview"].includes(m.type)).length}`);
	const natural = await img.evaluate((e) => e.naturalWidth);
	assert.ok(natural > 0 && natural <= 320, `the preview decodes (naturalWidth ${natural})`);
	const step = await wall.page.locator("#verify-step").innerText();
	assert.match(step, /Look at the camera|Blink/, `the step is shown: ${step}`);
	await screenshot(wall.page, "private-mode-wall-preview");
	await screenshot(kiosk.page, "private-mode-kiosk");

	await waitBody(wall.page, "mode", "private", 20000, "the face was verified after the head turn");
	assert.ok(wall.messages("verify").some((m) => m.state === "verified"), "a verified result");
	assert.ok(wall.messages("preview").length >= 3, `preview frames: ${wall.messages("preview").length}`);
	await screenshot(wall.page, "private-mode-wall-private");

	// The kiosk: never a preview, a verify, or private mode.
	assert.equal(kiosk.messages("preview").length, 0, "a preview frame reached the public kiosk");
	assert.equal(kiosk.messages("verify").length, 0, "a verify event reached the public kiosk");
	assert.equal(await bodyData(kiosk.page, "mode"), "public");
	assert.equal(await kiosk.page.locator("#verify-preview").isVisible(), false);
	const leaked = kiosk.received.filter((s) => s.includes("/9j/") || s.includes("\"mode\":\"private\""));
	assert.deepEqual(leaked.map((s) => s.slice(0, 120)), [], "private bytes on the kiosk");
	assert.deepEqual(wall.console, [], "console errors on the wall");
	assert.deepEqual(kiosk.console, [], "console errors on the kiosk");
});

test("with no camera the button says why and what to do", { timeout: 60000 }, async (t) => {
	const dir = tmpDir(t, "private-mode-nocam");
	const state = path.join(dir, "state");
	mkdirSync(state, { recursive: true });
	const wallToken = await makeToken(state, "display", "wall");
	const d = await startDaemon(t, dir, { name: "private-mode-nocam", stateDir: state, args: ["-o", "audio=none"] });
	const ctx = await launchBrowser(t, dir, { name: "wall-nocam" });
	const wall = await openPage(ctx, `${d.base}/#token=${wallToken}`);
	await waitBody(wall.page, "view", "trusted", 5000, "the wall presented a display token");
	await wall.page.locator("#private-button").click();
	const hint = wall.page.locator("#verify-hint");
	await until(async () => /set camera_room, or private_unlock = voice/.test(await hint.innerText().catch(() => "")),
		5000, () => `no hint on the wall; denied events: ${JSON.stringify(wall.messages("denied"))}`);
	assert.match(await wall.page.locator("#verify-step").innerText(), /No camera configured/);
	assert.equal(await wall.page.locator("#verify-preview").isVisible(), false, "no preview without a camera");
	assert.equal(await bodyData(wall.page, "mode"), "public");
	await screenshot(wall.page, "private-mode-wall-no-camera");
	assert.deepEqual(wall.console, [], "console errors on the wall");

	// The paired remote's button: the same select, the same why and what to do.
	const remoteToken = await makeToken(state, "remote", "tablet");
	const tabCtx = await launchBrowser(t, dir, { name: "tablet-nocam", viewport: { width: 820, height: 1180 } });
	const tab = await openPage(tabCtx, `${d.base}/remote/#token=${remoteToken}`);
	await waitBody(tab.page, "paired", "true", 5000, "the tablet presented its remote token");
	await tab.page.locator("#private-mode").click();
	await until(() => tab.sentMessages("select").some((m) => m.command === "private-mode"), 3000,
		"the remote's button sent no select {command: private-mode}");
	const res = tab.page.locator("#result");
	await until(async () => /no-camera: set camera_room, or private_unlock = voice/.test(await res.innerText().catch(() => "")),
		5000, () => `no hint on the remote; its messages: ${tab.received.slice(-3).join(" ").slice(0, 300)}`);
	await screenshot(tab.page, "private-mode-remote-no-camera");
	assert.deepEqual(tab.console, [], "console errors on the remote");
});
