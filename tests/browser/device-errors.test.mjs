// Friendly device errors on the watch and the remote (issue 10 item 6): a
// voice press on a device without a microphone, or whose microphone the
// browser refuses, says so in words and what to do, never the browser's
// bare DOMException ("8: Requested device not found").  Chromium with no
// capture device (no fake one) gives NotFoundError; a denied permission
// gives NotAllowedError.  The typed-command box is offered instead on the
// tablet, and it works there.
// Screenshots: watch-no-mic, remote-mic-denied.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startDaemon, launchBrowser, openPage, screenshot, waitBody, tmpDir, makeToken,
	idleAudio, until } from "./lib.mjs";
import path from "node:path";

async function pressVoice(page) {
	const voice = page.locator("#voice");
	await voice.waitFor({ state: "visible", timeout: 5000 });
	await voice.click();
	await page.locator('#result[data-result="error"]').waitFor({ state: "visible", timeout: 5000 });
	return page.locator("#result").innerText();
}

test("watch and remote: microphone errors in words", { timeout: 60000 }, async (t) => {
	const dir = tmpDir(t, "device-errors");
	const state = path.join(dir, "state");
	const token = await makeToken(state, "remote", "watch");
	const d = await startDaemon(t, dir, { name: "device-errors", stateDir: state, args: await idleAudio(dir) });
	// No fake capture device: this headless Chromium has no microphone.
	const [watchCtx, tabCtx] = await Promise.all([
		launchBrowser(t, dir, { name: "no-mic-watch", viewport: { width: 300, height: 300 },
			args: ["--use-fake-ui-for-media-stream"] }),
		launchBrowser(t, dir, { name: "denied-tablet", args: ["--deny-permission-prompts"] }),
	]);
	const watch = await openPage(watchCtx, `${d.base}/remote/#token=${token}`);
	const tab = await openPage(tabCtx, `${d.base}/remote/#token=${token}`);
	try {
		await waitBody(watch.page, "paired", "true", 5000, "the watch's token");
		const noMic = await pressVoice(watch.page);
		assert.doesNotMatch(noMic, /\b\d+: /, `no bare DOMException code: "${noMic}"`);
		assert.match(noMic, /No microphone on this device|Microphone not allowed|microphone is busy/i,
			`the watch says what is wrong: "${noMic}"`);
		await screenshot(watch.page, "watch-no-mic");

		await waitBody(tab.page, "paired", "true", 5000, "the tablet's token");
		const denied = await pressVoice(tab.page);
		assert.doesNotMatch(denied, /\b\d+: /, `no bare DOMException code: "${denied}"`);
		assert.match(denied, /No microphone|not allowed/i, `the tablet says what is wrong: "${denied}"`);
		// The typed command is there instead, and runs.
		await tab.page.locator("#typed").fill("show me air quality");
		await tab.page.locator("#typed-form button").click();
		await until(async () => /✓/.test(await tab.page.locator("#result").innerText()), 5000,
			"the typed command's ✓").catch(async (e) => {
			throw new Error(`${e.message}: "${await tab.page.locator("#result").innerText()}"`);
		});
		await screenshot(tab.page, "remote-mic-denied");
		assert.ok(tab.sentMessages().some((m) => m.type === "typed" && m.text === "show me air quality"),
			"the remote sent a typed message");
	} finally {
		await d.stop();
	}
});
