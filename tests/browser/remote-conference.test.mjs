// Rooms, calls and the TV from the paired remote (issue 10 items 2 and 3,
// docs/conference.md "From a remote"), the real daemon with an office file
// of this test and the bundled briefing folder:
//  (a) the tablet starts a room: the wall shows its frame; the tablet shows
//      it running and ends it;
//  (b) the tablet shows the disaster event on the wall, its department
//      comes first on the tablet, a voice call from the tablet: the wall
//      shows the contact card and the call frame (the tel: link); ended
//      from the tablet; a department without a video link has its video
//      button off;
//  (c) the tablet opens a briefing document on the TV page and turns a
//      page; "start the meeting" opens the TV's room on the TV;
//  (d) a watch keeps only what runs now and its end button;
//  (e) an unpaired remote shows none of it and gets no office data.
// Screenshots: remote-conference, remote-call, remote-tv, remote-watch-call,
// remote-conference-unpaired.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { startDaemon, launchBrowser, openPage, screenshot, waitBody, tmpDir, makeToken,
	contentButton, until } from "./lib.mjs";
import { ROOM_URL, TV_ROOM_URL, ROOMS, DEPARTMENTS, officeFile, ownErrors } from "./office.mjs";

test("remote: rooms, calls and the TV from a paired tablet; nothing on an unpaired one", { timeout: 120000 }, async (t) => {
	const dir = tmpDir(t, "remote-conference");
	const state = path.join(dir, "state");
	const wallToken = await makeToken(state, "display", "wall");
	const tabToken = await makeToken(state, "remote", "tablet");
	const watchToken = await makeToken(state, "remote", "watch");
	const tvToken = await makeToken(state, "tv", "lobby-tv");
	const d = await startDaemon(t, dir, { name: "remote-conference", stateDir: state,
		args: ["-o", "audio=none", "-o", `office=${officeFile(dir, { rooms: Object.values(ROOMS), departments: [DEPARTMENTS.transport, DEPARTMENTS.disaster], tvRoom: "briefing-room" })}`] });
	const [wallCtx, tabCtx, tvCtx, watchCtx, strangerCtx] = await Promise.all([
		launchBrowser(t, dir, { name: "wall" }),
		launchBrowser(t, dir, { name: "tablet", viewport: { width: 820, height: 1180 } }),
		launchBrowser(t, dir, { name: "tv" }),
		launchBrowser(t, dir, { name: "watch", viewport: { width: 300, height: 300 } }),
		launchBrowser(t, dir, { name: "stranger", viewport: { width: 820, height: 1180 } }),
	]);
	const wall = await openPage(wallCtx, `${d.base}/#token=${wallToken}`);
	const tab = await openPage(tabCtx, `${d.base}/remote/#token=${tabToken}`);
	const tv = await openPage(tvCtx, `${d.base}/tv/#token=${tvToken}`);
	const watch = await openPage(watchCtx, `${d.base}/remote/#token=${watchToken}`);
	const stranger = await openPage(strangerCtx, `${d.base}/remote/`);
	const p = tab.page;
	// The reply to the tablet's last message of a type (by its id).
	const lastReply = async (type) => {
		const m = tab.sentMessages(type).at(-1);
		assert.ok(m, `the tablet sent a ${type}`);
		const find = () => tab.messages().find((x) => x.id === m.id && x.seq === undefined && x.type !== "hello");
		await until(() => find(), 5000, `no reply to the tablet's ${JSON.stringify(m)}`);
		return find();
	};
	try {
		await waitBody(wall.page, "view", "trusted", 5000, "the wall's token");
		await waitBody(p, "paired", "true", 5000, "the tablet's remote token");
		await waitBody(tv.page, "view", "trusted", 5000, "the TV's token");
		await p.locator("#office").waitFor({ state: "visible", timeout: 5000 });
		assert.deepEqual(await p.locator("#rooms [data-room]").evaluateAll((b) => b.map((x) => x.dataset.room)),
			["mayor-room", "situation-room", "briefing-room"], "the office file's rooms, in order");
		assert.equal(await p.locator("#conference-end").isDisabled(), true, "nothing to end yet");
		assert.equal(await p.locator("#now").isVisible(), false, "nothing runs");

		// (a) A room from the tablet: the wall's frame, then the end.
		await p.locator('#rooms [data-room="situation-room"]').click();
		const frame = wall.page.locator("#conference-frame iframe");
		await frame.waitFor({ state: "attached", timeout: 5000 });
		assert.equal(await frame.getAttribute("src"), ROOM_URL, "the wall frames the room the tablet started");
		assert.deepEqual(tab.sentMessages("conference").map((m) => [m.action, m.room]), [["start", "situation-room"]],
			"the tablet sent one start with the room");
		assert.equal((await lastReply("conference")).type, "ok", "the daemon said ok");
		const started = wall.messages("conference").find((m) => m.state === "started");
		assert.equal(started?.source, "remote", "the wall's event says a remote started it");
		await waitBody(p, "conference", "conference", 5000, "the tablet follows the started event");
		assert.equal(await p.locator('#rooms [data-room="situation-room"]').getAttribute("aria-pressed"), "true");
		assert.match(await p.locator("#now-text").innerText(), /재난상황실/, "the tablet says which room runs");
		assert.equal(await p.locator("#conference-end").isEnabled(), true, "the end button is on");
		await screenshot(p, "remote-conference");
		await p.locator("#conference-end").click();
		await wall.page.locator("#conference-frame").waitFor({ state: "hidden", timeout: 5000 });
		await waitBody(p, "conference", "idle", 5000, "the tablet follows the ended event");
		assert.ok(wall.messages("conference").some((m) => m.state === "ended" && m.source === "remote"));
		assert.equal(await p.locator("#conference-end").isDisabled(), true, "nothing to end again");

		// (b) The disaster event on the wall, a voice call from the tablet.
		await contentButton(p, "disaster-safety").click();
		await waitBody(wall.page, "screen", "disaster-safety", 5000, "the tablet's select");
		await wall.page.locator('#contact-card[data-department="disaster-response"]').waitFor({ state: "visible", timeout: 5000 });
		await until(async () => (await p.locator("#departments .dept").first().getAttribute("data-department")) === "disaster-response",
			5000, "the department of the screen shown comes first on the tablet");
		assert.equal(await p.locator('#departments [data-department="disaster-response"].dept').getAttribute("data-here"), "true");
		assert.equal(await p.locator('[data-call="video"][data-department="transport"]').isDisabled(), true,
			"no video link: its video button is off");
		await p.locator('[data-call="voice"][data-department="disaster-response"]').click();
		const link = wall.page.locator("#call-link");
		await link.waitFor({ state: "visible", timeout: 5000 });
		assert.equal(await link.getAttribute("href"), "tel:+82-2-120", "the wall dials the department");
		const sent = tab.sentMessages("call")[0];
		assert.deepEqual([sent?.kind, sent?.department, sent?.context], ["voice", "disaster-response", undefined],
			"the tablet names the kind and department; the daemon takes the screen as the context");
		assert.equal((await lastReply("call")).type, "ok");
		const ev = wall.messages("call").find((m) => m.state === "started");
		assert.deepEqual([ev?.context, ev?.source], ["disaster-safety", "remote"], "the call's context and source");
		await waitBody(p, "conference", "call", 5000, "the tablet follows the call");
		assert.equal(await p.locator('[data-call="voice"][data-department="disaster-response"]').getAttribute("data-running"), "true");
		assert.equal(await p.locator("#now-dial").getAttribute("href"), "tel:+82-2-120", "the tablet can dial too");
		assert.equal(await p.locator("#call-end").isEnabled(), true);
		await screenshot(p, "remote-call");

		// (d) The watch, meanwhile: what runs now and its end button only.
		await waitBody(watch.page, "conference", "call", 5000, "the watch follows the call");
		assert.equal(await watch.page.locator("#now-end").isVisible(), true, "the watch has the end button");
		assert.equal(await watch.page.locator("#rooms").isVisible(), false, "no room list on the watch");
		assert.equal(await watch.page.locator("#departments").isVisible(), false, "no department list on the watch");
		await screenshot(watch.page, "remote-watch-call");

		await p.locator("#call-end").click();
		await wall.page.locator("#conference-frame").waitFor({ state: "hidden", timeout: 5000 });
		await waitBody(p, "conference", "idle", 5000, "the call ended");
		await waitBody(watch.page, "conference", "idle", 5000, "the watch saw it end");
		assert.ok(wall.messages("call").some((m) => m.state === "ended" && m.source === "remote"));

		// (c) The TV: a document from the tablet, a page turned, then the
		// meeting on the TV.
		assert.deepEqual(await p.locator("#tv-docs [data-doc] .row-name").allInnerTexts(),
			["2026 budget report", "air quality report", "city briefing"], "the briefing folder on the tablet");
		assert.equal(await p.locator('[data-tv="next"]').isDisabled(), true, "no page to turn yet");
		await p.locator('#tv-docs [data-doc="city-briefing.pdf"]').click();
		await waitBody(tv.page, "pages", "3", 10000, "the TV loaded the 3-page document");
		await waitBody(tv.page, "page", "1", 5000, "page 1 on the TV");
		await waitBody(p, "tv", "open", 5000, "the tablet follows the TV");
		await p.locator('[data-tv="next"]').click();
		await waitBody(tv.page, "page", "2", 5000, "the tablet's next page");
		await until(async () => /page 2/.test(await p.locator("#tv-now").innerText()), 5000, "the tablet shows page 2");
		assert.deepEqual(tab.sentMessages("tv").map((m) => m.action), ["open", "next"]);
		assert.equal((await lastReply("tv")).type, "ok");
		await waitBody(watch.page, "tv", "open", 5000, "the watch follows the TV");
		assert.equal(await watch.page.locator('[data-tv="previous"]').isVisible(), true, "the watch has the page keys");
		await screenshot(p, "remote-tv");
		await p.locator('[data-tv="previous"]').click();
		await waitBody(tv.page, "page", "1", 5000, "the tablet's previous page");
		await p.locator('[data-tv="close"]').click();
		await waitBody(tv.page, "doc", "", 5000, "the TV is back at its folder");
		await waitBody(p, "tv", "closed", 5000);
		await p.locator("#tv-meeting").click();
		const tvFrame = tv.page.locator("#conference-frame iframe");
		await tvFrame.waitFor({ state: "attached", timeout: 5000 });
		assert.equal(await tvFrame.getAttribute("src"), TV_ROOM_URL, "the TV shows its meeting room");
		await until(async () => /\(TV\)/.test(await p.locator("#now-text").innerText()), 5000, "the tablet says the TV is in a meeting");
		assert.equal(await wall.page.locator("#conference-frame").isVisible(), false, "the TV's meeting stays on the TV");
		await p.locator("#now-end").click();
		await tv.page.locator("#conference-frame").waitFor({ state: "hidden", timeout: 5000 });

		// Ending when nothing runs: the page's button is off by then, so
		// through the page's client (smartoffice.js's conference()): the
		// daemon's refusal comes back with its reason.
		const r = await p.evaluate(() => window.remote.client.conference("end").then(() => "ok", (e) => e.message));
		assert.equal(r, "no conference or call to end", "the daemon's reason");

		// (e) The unpaired remote: no section, no office data, no URI.
		await waitBody(stranger.page, "connected", "true", 5000, "the unpaired remote connects");
		assert.equal(await stranger.page.locator("#office").isVisible(), false, "no conference, call or TV controls");
		assert.equal(await stranger.page.locator("[data-room], [data-call], [data-doc]").count(), 0, "no buttons built");
		for (const type of ["conference", "call", "tv"])
			assert.deepEqual(stranger.messages(type), [], `no ${type} event to the unpaired remote`);
		assert.ok(!stranger.received.some((s) => s.includes("example.invalid") || s.includes("/briefing/") || s.includes("tel:")),
			"no link reached the unpaired remote");
		await screenshot(stranger.page, "remote-conference-unpaired");

		assert.deepEqual([...ownErrors(tab), ...ownErrors(watch), ...ownErrors(stranger)], [], "no errors in the remotes' consoles");
		assert.deepEqual([...tab.httpErrors, ...watch.httpErrors], [], "every file the remotes load is served");
		assert.ok(d.alive(), "the daemon is still running");
	} finally {
		await screenshot(p, "remote-conference-end");
	}
});
