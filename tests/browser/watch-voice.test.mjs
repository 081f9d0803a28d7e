// (c) The watch layout (300x300): its voice button records Chromium's fake
// microphone (a WAV of "show me the air quality", no wake word), streams
// 16 kHz PCM over the websocket (audio-start, binary frames, audio-end), the
// daemon recognizes it, the watch shows the result and the wall navigates.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { startDaemon, launchBrowser, openPage, screenshot, waitBody, bodyData,
	tmpDir, makeToken, idleAudio, fixture, leadIn, wavSeconds, until, sleep,
	keep } from "./lib.mjs";

const TARGET = "air-quality";

test("the watch's voice button streams the microphone and the wall navigates", { timeout: 90000 }, async (t) => {
	const dir = tmpDir(t, "watch");
	const state = path.join(dir, "state");
	// The microphone's recording: the command alone (no wake word), 16 kHz
	// mono 16-bit; Chromium resamples it to its capture rate.  %noloop:
	// silence after the end instead of the file again.
	const mic = await leadIn(fixture("cmd_air"), path.join(dir, "mic.wav"), 0.5, 1.0);
	keep(mic, "watch-voice-mic.wav");
	const micSeconds = await wavSeconds(mic);
	const token = await makeToken(state, "remote", "watch");
	const d = await startDaemon(t, dir, { name: "watch-voice", stateDir: state, args: await idleAudio(dir) });
	const [wallCtx, watchCtx] = await Promise.all([
		launchBrowser(t, dir, { name: "wall" }),
		launchBrowser(t, dir, {
			name: "watch", viewport: { width: 300, height: 300 },
			args: ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
				`--use-file-for-fake-audio-capture=${mic}%noloop`],
		}),
	]);
	const wall = await openPage(wallCtx, `${d.base}/`);
	const watch = await openPage(watchCtx, `${d.base}/remote/#token=${token}`);
	const sentBinary = () => watch.sent.filter((f) => typeof f !== "string");
	const sentTypes = () => watch.sentMessages().map((m) => m.type);
	try {
		await waitBody(wall.page, "connected", "true", 5000, "the wall connects");
		await waitBody(watch.page, "paired", "true", 5000, "the watch presented its remote token");
		assert.notEqual(await bodyData(wall.page, "screen"), TARGET);

		// The watch layout: a big voice button that fits the screen.
		const voice = watch.page.locator("#voice");
		await voice.waitFor({ state: "visible", timeout: 5000 });
		const box = await voice.boundingBox();
		assert.ok(box.width >= 100 && box.height >= 60, `#voice is big on a watch: ${JSON.stringify(box)}`);
		assert.ok(box.x >= 0 && box.y >= 0 && box.x + box.width <= 300 && box.y + box.height <= 300,
			`#voice fits the 300x300 screen: ${JSON.stringify(box)}`);

		// Press: hold-to-talk pages start on pointer down, tap-to-toggle
		// pages on the click; either way the recording runs from then on.
		const c = await voice.boundingBox();
		await watch.page.mouse.move(c.x + c.width / 2, c.y + c.height / 2);
		await watch.page.mouse.down();
		let held = true;
		try {
			await until(() => sentTypes().includes("audio-start"), 1500, "");
		} catch {
			await watch.page.mouse.up();	// a toggle: the click starts it
			held = false;
		}
		await until(() => sentTypes().includes("audio-start"), 5000,
			() => `the watch sent no audio-start; it sent: ${sentTypes().join(" ") || "nothing"}`);
		const ready = await until(() => watch.messages("audio-ready").length > 0, 5000,
			() => `no audio-ready for the watch's audio-start: ${watch.received.slice(-3).join(" | ")}`);
		void ready;
		// Let the whole recording play into the stream.
		await sleep(micSeconds * 1000 + 300);
		if (held)
			await watch.page.mouse.up();
		// A page that did not stop by itself (silence, or the pointer going
		// up) is stopped with a second tap.
		await sleep(700);
		if (!sentTypes().includes("audio-end"))
			await voice.click();
		await until(() => sentTypes().includes("audio-end"), 3000,
			() => `the watch never sent audio-end: ${sentTypes().join(" ")}`);

		// What went over the wire: 16 kHz s16le, about as long as the file.
		const start = watch.sentMessages("audio-start")[0];
		assert.equal(start.rate, 16000, "audio-start rate");
		assert.equal(start.format, "s16le", "audio-start format");
		const bytes = sentBinary().reduce((n, b) => n + b.length, 0);
		assert.ok(bytes >= 2 * 16000 * 2.5, `at least 2.5 s of 16 kHz PCM streamed (${bytes} bytes)`);
		assert.ok(sentBinary().every((b) => b.length % 2 === 0), "whole 16-bit samples in every frame");

		// The result comes back to the watch, and the wall navigates.
		await until(() => watch.messages("recognized").length > 0, 10000,
			() => `no recognized reply; the watch received: ${watch.messages().map((m) => m.type).join(" ")}`);
		const rec = watch.messages("recognized")[0];
		assert.equal(rec.result, "command", `recognized: ${JSON.stringify(rec)}`);
		assert.equal(rec.content, TARGET, `recognized: ${JSON.stringify(rec)}`);
		await waitBody(wall.page, "screen", TARGET, 5000, "the watch said \"show me the air quality\"");
		const nav = wall.messages("navigate").find((m) => m.content === TARGET);
		assert.equal(nav?.source, "remote-voice", "the wall's navigate has source remote-voice");
		const result = (await watch.page.locator("#result").textContent()) ?? "";
		assert.match(result, /air quality|대기환경/i, `#result shows what was understood: "${result}"`);
		assert.deepEqual([...wall.console, ...watch.console], [], "no errors in the pages' consoles");
		assert.deepEqual([...wall.httpErrors, ...watch.httpErrors], [], "every file the pages load is served");
		assert.ok(d.alive(), "the daemon is still running");
	} finally {
		await screenshot(watch.page, "watch-voice-watch");
		await screenshot(wall.page, "watch-voice-wall");
	}
});
