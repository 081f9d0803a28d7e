// (a) The dashboard changes screen when a recording is replayed into the
// daemon: "hey seoul ... show me the air quality" (tests/unit/fixtures.sh),
// after a lead-in long enough for the page to load first (the replay runs
// in real time from the daemon's start).
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { startDaemon, launchBrowser, openPage, screenshot, waitBody, bodyData,
	tmpDir, fixture, leadIn } from "./lib.mjs";

const LEAD_S = 6;	// page load takes ~1.5 s; the wake phrase comes after this

test("dashboard follows a replayed recording", { timeout: 60000 }, async (t) => {
	const dir = tmpDir(t, "replay");
	const wav = await leadIn(fixture("wake_air"), path.join(dir, "wake_air_lead.wav"), LEAD_S, 1);
	const d = await startDaemon(t, dir, { name: "replay", args: ["--audio-file", wav] });
	const ctx = await launchBrowser(t, dir, { name: "wall" });
	const wall = await openPage(ctx, `${d.base}/`);
	const page = wall.page;
	try {
		await waitBody(page, "connected", "true", 5000, "the page connects to /ws");
		// Before the command: the hello's screen, and no navigate yet.
		assert.equal(await bodyData(page, "screen"), "main",
			`the page loaded too late: the recording was already heard (lead-in ${LEAD_S} s)`);
		// The listening indicator comes on after the wake word...
		await waitBody(page, "listening", "true", (LEAD_S + 4) * 1000, "the wake phrase was replayed");
		// ... and the screen changes once the command is understood.
		await waitBody(page, "screen", "air-quality", 10000, "\"show me the air quality\" was replayed");
		await waitBody(page, "listening", "false", 2000, "listening ends with the intent");
		const utter = await page.locator("#utterance").textContent();
		assert.match(utter ?? "", /air quality/i, "#utterance shows the recognized text");
		// The page got it over the wire, in protocol order.
		const types = wall.messages().map((m) => m.type);
		assert.equal(types[0], "hello", "the first message is hello");
		const iw = types.indexOf("wake"), ii = types.indexOf("intent"), in_ = types.indexOf("navigate");
		assert.ok(iw > 0 && iw < ii && ii < in_, `wake, intent, navigate in order: ${types.join(" ")}`);
		assert.equal(wall.messages("navigate")[0].content, "air-quality");
		assert.equal(wall.messages("navigate")[0].source, "voice");
		assert.deepEqual(wall.console, [], "no errors in the page's console");
		assert.deepEqual(wall.httpErrors, [], "every file the page loads is served");
		assert.ok(d.alive(), "the daemon is still running");
	} finally {
		await screenshot(page, "replay-dashboard");
	}
});
