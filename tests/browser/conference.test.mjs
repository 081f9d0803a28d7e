// Conference rooms and calls on the reference dashboard (issue 10 item 2,
// docs/conference.md), the real daemon with an office file of this test:
//  (a) the conference button → the room picker → a room → the full-screen
//      frame (an iframe of the room's join URL) → the end button closes it;
//      a public kiosk shows no button and gets no conference message or URL;
//  (b) a call from a disaster event: the wall shows "disaster-safety", the
//      department's contact card appears, "voice call" opens the frame with
//      the tel: link, the end button ends the call.
// Screenshots: conference-picker, conference-room, conference-kiosk,
// call-card, call-voice.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { startDaemon, launchBrowser, openPage, screenshot, waitBody, tmpDir, makeToken,
	wsConnect, hello, sleep } from "./lib.mjs";
import { ROOM_URL, ROOMS, DEPARTMENTS, officeFile, ownErrors } from "./office.mjs";

test("conference: picker → room → end on the wall, nothing on a kiosk", { timeout: 60000 }, async (t) => {
	const dir = tmpDir(t, "conference");
	const state = path.join(dir, "state");
	const token = await makeToken(state, "display", "wall");
	const d = await startDaemon(t, dir, { name: "conference", stateDir: state,
		args: ["-o", "audio=none", "-o", `office=${officeFile(dir, { rooms: [ROOMS.mayor, ROOMS.situation], departments: [DEPARTMENTS.disaster] })}`] });
	const [wallCtx, kioskCtx] = await Promise.all([
		launchBrowser(t, dir, { name: "wall" }), launchBrowser(t, dir, { name: "kiosk" })]);
	const wall = await openPage(wallCtx, `${d.base}/#token=${token}`);
	const kiosk = await openPage(kioskCtx, `${d.base}/`);
	try {
		await waitBody(wall.page, "view", "trusted", 5000, "the wall's token");
		await waitBody(kiosk.page, "connected", "true", 5000, "the kiosk connects");
		const button = wall.page.locator("#conference-button");
		await button.waitFor({ state: "visible", timeout: 5000 });
		await button.click();
		const picker = wall.page.locator("#conference-picker");
		await picker.waitFor({ state: "visible", timeout: 5000 });
		assert.equal(await wall.page.locator(".conf-room").count(), 2, "both rooms in the picker");
		await wall.page.locator('.conf-room[data-room="situation-room"]').click();
		await wall.page.locator('.conf-room.selected[data-room="situation-room"]').waitFor({ timeout: 5000 });
		await screenshot(wall.page, "conference-picker");
		await wall.page.locator("#conference-start").click();
		const frame = wall.page.locator("#conference-frame iframe");
		await frame.waitFor({ state: "attached", timeout: 5000 });
		assert.equal(await frame.getAttribute("src"), ROOM_URL, "the frame shows the room's join URL");
		assert.ok(await wall.page.locator("#conference-end").isVisible(), "an end button is shown");
		await screenshot(wall.page, "conference-room");

		// Over the wire: open, select, start, each answered ok; the started
		// event carried the URL.
		const sent = wall.sentMessages("conference").map((m) => m.action);
		assert.deepEqual(sent, ["open", "select", "start"], "the wall sent open, select, start");
		const started = wall.messages("conference").find((m) => m.state === "started");
		assert.equal(started?.room?.url, ROOM_URL, "the started event has the URL");

		await wall.page.locator("#conference-end").click();
		await wall.page.locator("#conference-frame").waitFor({ state: "hidden", timeout: 5000 });
		assert.ok(wall.messages("conference").some((m) => m.state === "ended"), "the room ended");

		// The kiosk: no button, no conference message, no URL anywhere.
		assert.equal(await kiosk.page.locator("#conference-button").isVisible(), false, "no conference button on the kiosk");
		assert.deepEqual(kiosk.messages("conference"), [], "the kiosk got no conference event");
		assert.ok(!kiosk.received.some((s) => s.includes("example.invalid")), "the kiosk never got a join URL");
		await screenshot(kiosk.page, "conference-kiosk");
		assert.deepEqual(ownErrors(wall), [], "no errors in the wall's console");
		assert.ok(d.alive(), "the daemon is still running");
	} finally {
		await screenshot(wall.page, "conference-wall-end");
	}
});

test("call: from a disaster event, the contact card, a voice call, end", { timeout: 60000 }, async (t) => {
	const dir = tmpDir(t, "call");
	const state = path.join(dir, "state");
	const token = await makeToken(state, "display", "wall");
	const remote = await makeToken(state, "remote", "tablet");
	const d = await startDaemon(t, dir, { name: "call", stateDir: state,
		args: ["-o", "audio=none", "-o", `office=${officeFile(dir, { rooms: [ROOMS.mayor, ROOMS.situation], departments: [DEPARTMENTS.disaster] })}`] });
	const ctx = await launchBrowser(t, dir, { name: "wall" });
	const wall = await openPage(ctx, `${d.base}/#token=${token}`);
	try {
		await waitBody(wall.page, "view", "trusted", 5000, "the wall's token");
		// A remote shows the disaster event on the wall.
		const tab = await wsConnect(t, d.port);
		await hello(tab, "remote", "tablet", remote);
		tab.send({ type: "select", content: "disaster-safety", id: 2 });
		await tab.waitFor((m) => m.id === 2 && m.type === "ok", 5000, "ok for the select");
		await waitBody(wall.page, "screen", "disaster-safety", 5000, "the remote's select");
		const card = wall.page.locator('#contact-card[data-department="disaster-response"]');
		await card.waitFor({ state: "visible", timeout: 5000 });
		assert.match(await card.innerText(), /재난안전대책본부/, "the card names the department");
		await screenshot(wall.page, "call-card");
		await wall.page.locator('#contact-card [data-call="voice"]').click();
		const link = wall.page.locator("#call-link");
		await link.waitFor({ state: "visible", timeout: 5000 });
		assert.equal(await link.getAttribute("href"), "tel:+82-2-120", "the voice call dials the department");
		const sent = wall.sentMessages("call")[0];
		assert.equal(sent?.kind, "voice");
		assert.equal(sent?.context, "disaster-safety", "the call names its context");
		const ev = wall.messages("call").find((m) => m.state === "started");
		assert.equal(ev?.context, "disaster-safety");
		assert.ok(tab.messages.some((m) => m.type === "call" && m.uri === "tel:+82-2-120"), "other trusted clients see the call");
		await screenshot(wall.page, "call-voice");
		await wall.page.locator("#conference-end").click();
		await wall.page.locator("#conference-frame").waitFor({ state: "hidden", timeout: 5000 });
		await sleep(200);
		assert.ok(wall.messages("call").some((m) => m.state === "ended"), "the call ended");
		assert.deepEqual(ownErrors(wall), [], "no errors in the wall's console");
	} finally {
		await screenshot(wall.page, "call-wall-end");
	}
});
