// The smart TV (issue 10 item 3, docs/conference.md): the /tv/ page with a
// tv token shows the briefing folder; a paired remote opens a document and
// turns its pages (the TV renders them with pdf.js); voice's "next page"
// control turns it too (a command event, as the recognizer sends); "start
// the meeting" opens the office's TV room on the TV only; a TV page without
// a token shows no folder and can fetch no document.
// Screenshots: tv-folder, tv-document, tv-page-2, tv-meeting, tv-untrusted.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { writeFileSync } from "node:fs";
import { startDaemon, launchBrowser, openPage, screenshot, waitBody, tmpDir, makeToken,
	wsConnect, hello } from "./lib.mjs";
import { TV_ROOM_URL as ROOM_URL, ROOMS, officeFile, ownErrors } from "./office.mjs";

test("tv: folder → document → page turns by remote, the meeting on the TV", { timeout: 90000 }, async (t) => {
	const dir = tmpDir(t, "tv");
	const state = path.join(dir, "state");
	const tvToken = await makeToken(state, "tv", "lobby-tv");
	const remote = await makeToken(state, "remote", "tablet");
	const office = officeFile(dir, { rooms: [ROOMS.briefing], tvRoom: "briefing-room" });
	const d = await startDaemon(t, dir, { name: "tv", stateDir: state,
		args: ["-o", "audio=none", "-o", `office=${office}`] });
	const [tvCtx, pubCtx] = await Promise.all([launchBrowser(t, dir, { name: "tv", viewport: { width: 1280, height: 720 } }),
		launchBrowser(t, dir, { name: "public-tv" })]);
	const tv = await openPage(tvCtx, `${d.base}/tv/#token=${tvToken}`);
	const pub = await openPage(pubCtx, `${d.base}/tv/`);
	try {
		await waitBody(tv.page, "view", "trusted", 5000, "the TV's token");
		const docs = tv.page.locator(".tv-doc");
		await docs.first().waitFor({ state: "visible", timeout: 5000 });
		assert.deepEqual(await docs.allInnerTexts(), ["2026 budget report", "air quality report", "city briefing"],
			"the briefing folder's documents, by title");
		await screenshot(tv.page, "tv-folder");

		// The remote picks a document by title, then turns the pages.
		const tab = await wsConnect(t, d.port);
		await hello(tab, "remote", "tablet", remote);
		let id = 10;
		const ask = async (m) => {
			const n = ++id;
			tab.send({ ...m, id: n });
			const r = await tab.waitFor((x) => x.id === n && x.type !== "hello", 5000, `the reply to ${JSON.stringify(m)}`);
			assert.equal(r.type, "ok", `${JSON.stringify(m)}: ${JSON.stringify(r)}`);
		};
		await ask({ type: "tv", action: "open", title: "city briefing" });
		await waitBody(tv.page, "pages", "3", 10000, "pdf.js loaded the 3-page document");
		await waitBody(tv.page, "page", "1", 5000, "page 1 rendered");
		await screenshot(tv.page, "tv-document");
		await ask({ type: "tv", action: "next" });
		await waitBody(tv.page, "page", "2", 5000, "the remote's next");
		await screenshot(tv.page, "tv-page-2");
		await ask({ type: "tv", action: "next" });
		await waitBody(tv.page, "page", "3", 5000, "next again");
		await ask({ type: "tv", action: "next" });	// past the end: stays, and says so
		await tv.page.waitForTimeout(300);
		assert.equal(await tv.page.evaluate(() => document.body.dataset.page), "3", "no page 4 of 3");
		await ask({ type: "tv", action: "previous" });
		await waitBody(tv.page, "page", "2", 5000, "previous after the end goes back one");
		// The voice path: the recognizer's "next page" is the catalogue's
		// "next" control; a select of it is the same event a spoken one makes.
		await ask({ type: "select", command: "next" });
		await waitBody(tv.page, "page", "3", 5000, "the \"next\" control (voice) turned the TV's page");
		const turns = tv.messages("tv").filter((m) => m.state === "page").map((m) => m.page);
		assert.deepEqual(turns.slice(0, 2), [2, 3], `the TV's page events: ${turns}`);

		// Start the meeting: the office's TV room, on the TV.
		await tv.page.locator("#tv-close").click();
		await waitBody(tv.page, "doc", "", 5000, "back to the folder");
		await tv.page.locator("#tv-meeting").click();
		const frame = tv.page.locator("#conference-frame iframe");
		await frame.waitFor({ state: "attached", timeout: 5000 });
		assert.equal(await frame.getAttribute("src"), ROOM_URL, "the TV shows its meeting room");
		await screenshot(tv.page, "tv-meeting");
		await tv.page.locator("#conference-end").click();
		await tv.page.locator("#conference-frame").waitFor({ state: "hidden", timeout: 5000 });

		// The TV without a token: no folder, no events, no document.
		await waitBody(pub.page, "connected", "true", 5000, "the untrusted TV connects");
		assert.equal(await pub.page.locator(".tv-doc").count(), 0, "no documents without a token");
		assert.deepEqual(pub.messages("tv"), [], "no tv events without a token");
		assert.ok(!pub.received.some((s) => s.includes("/briefing/") || s.includes("example.invalid")), "no links");
		const r = await pub.page.evaluate(async () => (await fetch("/briefing/city-briefing.pdf")).status);
		assert.equal(r, 403, "the folder is not served without a token");
		await screenshot(pub.page, "tv-untrusted");
		assert.deepEqual(ownErrors(tv), [],
			"no errors in the TV's console");
		assert.ok(d.alive(), "the daemon is still running");
	} finally {
		await screenshot(tv.page, "tv-end");
	}
});

// The hand: the room camera's cursor (here its replay row, --events-file)
// sweeps leftwards across the TV: the next page; rightwards: the previous.
test("tv: a hand swipe turns the page", { timeout: 60000 }, async (t) => {
	const dir = tmpDir(t, "tv-swipe");
	const state = path.join(dir, "state");
	const tvToken = await makeToken(state, "tv", "lobby-tv");
	const events = path.join(dir, "swipe.jsonl");
	const lines = [{ t: 9.0, type: "engage" }];
	for (let i = 0; i <= 6; i++)	// 0.8 → 0.2 in 0.3 s: leftwards
		lines.push({ t: 9.2 + i * 0.05, type: "cursor", x: 0.8 - i * 0.1, y: 0.5, state: "move" });
	for (let i = 0; i <= 6; i++)	// 1.5 s later, 0.2 → 0.8: rightwards
		lines.push({ t: 11.5 + i * 0.05, type: "cursor", x: 0.2 + i * 0.1, y: 0.5, state: "move" });
	lines.push({ t: 12.5, type: "disengage" });
	writeFileSync(events, lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
	const d = await startDaemon(t, dir, { name: "tv-swipe", stateDir: state,
		args: ["-o", "audio=none", "--events-file", events] });
	const ctx = await launchBrowser(t, dir, { name: "tv" });
	const tv = await openPage(ctx, `${d.base}/tv/#token=${tvToken}`);
	try {
		await waitBody(tv.page, "view", "trusted", 5000, "the TV's token");
		await tv.page.locator('.tv-doc[data-doc="city-briefing.pdf"]').click();
		await waitBody(tv.page, "page", "1", 8000, "the tapped document's first page");
		await waitBody(tv.page, "page", "2", 12000, "the leftwards swipe (t = 9.2 s)");
		const next = tv.sentMessages("tv").find((m) => m.action === "next");
		assert.equal(next?.source, "hand", `the TV sent next from the hand: ${JSON.stringify(next)}`);
		await screenshot(tv.page, "tv-swipe");
		await waitBody(tv.page, "page", "1", 6000, "the rightwards swipe (t = 11.5 s)");
		const sent = tv.sentMessages("tv").map((m) => m.action);
		assert.deepEqual(sent, ["open", "next", "previous"], "one open, one turn per swipe");
	} finally {
		await screenshot(tv.page, "tv-swipe-end");
	}
});
