// (f) The cursor overlay clicks an icon.  The daemon replays a JSON-lines
// file of input events (--events-file; in the vision pipeline they come from
// the hand tracker): engage, the cursor moves onto a content icon of the
// trusted wall, press, release, disengage.  The wall draws #cursor there and
// the press/release on the icon opens that content.  A public kiosk gets
// none of these events (they are trusted-only).
//
// The icon's position is measured first, in a probe run of the same page at
// the same viewport; the events file is then written with it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { startDaemon, launchBrowser, openPage, screenshot, waitBody, bodyData,
	tmpDir, makeToken, idleAudio, catalogue, until, keep } from "./lib.mjs";

const VIEW = { width: 1280, height: 720 };
const T0 = 8;	// seconds after the daemon's start: the pages are loaded by then
const PREFER = ["transportation", "air-quality", "prices", "waterworks"];

// Finds a visible, public content icon that is not the current screen;
// returns {id, x, y} with x, y the icon's centre in 0..1 of the viewport.
async function findIcon(page) {
	const cat = catalogue();
	const screen = await bodyData(page, "screen");
	const boxes = await page.locator("[data-content-id]:visible").evaluateAll((els) =>
		els.map((e) => { const r = e.getBoundingClientRect(); return { id: e.dataset.contentId, x: r.x, y: r.y, w: r.width, h: r.height }; }));
	const ok = boxes.filter((b) => b.id !== screen && cat.publicIds.includes(b.id) && b.w >= 8 && b.h >= 8
		&& b.x >= 0 && b.y >= 0 && b.x + b.w <= VIEW.width && b.y + b.h <= VIEW.height);
	ok.sort((a, b) => (PREFER.indexOf(a.id) + 1 || 99) - (PREFER.indexOf(b.id) + 1 || 99));
	const b = ok[0];
	if (!b)
		throw new Error(`no visible public [data-content-id] icon other than "${screen}": ${JSON.stringify(boxes)}`);
	return { id: b.id, px: b.x + b.w / 2, py: b.y + b.h / 2, x: (b.x + b.w / 2) / VIEW.width, y: (b.y + b.h / 2) / VIEW.height };
}

test("the motion cursor clicks an icon on the wall", { timeout: 90000 }, async (t) => {
	const dir = tmpDir(t, "cursor");
	const state = path.join(dir, "state");
	const token = await makeToken(state, "display", "wall");
	const idle = await idleAudio(dir, 120);

	// Probe: where is the icon on this page at this size?
	let icon;
	{
		const d = await startDaemon(t, dir, { name: "cursor-probe", stateDir: state, args: idle });
		const ctx = await launchBrowser(t, dir, { name: "probe", viewport: VIEW });
		const probe = await openPage(ctx, `${d.base}/#token=${token}`);
		await waitBody(probe.page, "view", "trusted", 5000, "the wall presented a display token");
		await waitBody(probe.page, "connected", "true", 5000);
		icon = await findIcon(probe.page);
		await ctx.close();
		await d.stop();
	}

	// The events: from the centre onto the icon, press, release.
	const ev = (t, type, more = {}) => JSON.stringify({ t, type, ...more });
	const x = +icon.x.toFixed(4), y = +icon.y.toFixed(4);
	const lines = [
		ev(T0, "engage"),
		ev(T0 + 0.2, "cursor", { x: 0.5, y: 0.5, state: "move" }),
		ev(T0 + 0.6, "cursor", { x: +((0.5 + x) / 2).toFixed(4), y: +((0.5 + y) / 2).toFixed(4), state: "move" }),
		ev(T0 + 1.0, "cursor", { x, y, state: "move" }),
		ev(T0 + 2.5, "cursor", { x, y, state: "press" }),
		ev(T0 + 2.7, "cursor", { x, y, state: "release" }),
		ev(T0 + 3.5, "disengage", { reason: "hand-lowered" }),
	];
	const file = path.join(dir, "events.jsonl");
	writeFileSync(file, `${lines.join("\n")}\n`);
	keep(file, "cursor-events.jsonl");

	const d = await startDaemon(t, dir, { name: "cursor", stateDir: state, args: [...idle, "--events-file", file] });
	const [wallCtx, kioskCtx] = await Promise.all([
		launchBrowser(t, dir, { name: "wall", viewport: VIEW }),
		launchBrowser(t, dir, { name: "kiosk", viewport: VIEW }),
	]);
	const [wall, kiosk] = await Promise.all([
		openPage(wallCtx, `${d.base}/#token=${token}`),
		openPage(kioskCtx, `${d.base}/`),
	]);
	try {
		await waitBody(wall.page, "view", "trusted", 5000);
		assert.notEqual(await bodyData(wall.page, "screen"), icon.id, `the pages loaded before T0 = ${T0} s`);
		assert.equal(wall.messages("cursor").length, 0, `the pages loaded before T0 = ${T0} s`);
		const cursor = wall.page.locator("#cursor");

		// Between the last move and the press (1.5 s), the overlay is on the icon.
		await until(() => wall.messages("cursor").some((m) => m.state === "move" && m.x === x), T0 * 1000 + 6000,
			() => `no cursor move onto the icon reached the wall; it received: ${wall.messages().map((m) => m.type).join(" ")}`);
		await until(() => cursor.isVisible(), 1000, "#cursor is not shown while the cursor is engaged");
		await wall.page.waitForTimeout(250);	// the overlay may glide there
		const cb = await cursor.boundingBox();
		const cx = cb.x + cb.width / 2, cy = cb.y + cb.height / 2;
		assert.ok(Math.hypot(cx - icon.px, cy - icon.py) <= 24,
			`#cursor centre (${cx.toFixed(0)}, ${cy.toFixed(0)}) is on the icon (${icon.px.toFixed(0)}, ${icon.py.toFixed(0)})`);
		await screenshot(wall.page, "cursor-wall-hover");

		// The press and release on the icon open its content.
		await waitBody(wall.page, "screen", icon.id, 6000, `press/release at the ${icon.id} icon`);
		await until(async () => !(await cursor.isVisible()), 4000, "#cursor still shown after disengage");
		const nav = wall.messages("navigate").find((m) => m.content === icon.id);
		assert.ok(nav, "the click went through the daemon (a navigate came back)");
		await waitBody(kiosk.page, "screen", icon.id, 3000, "the kiosk follows the public content");
		for (const type of ["engage", "cursor", "disengage"])
			assert.equal(kiosk.messages(type).length, 0, `the public kiosk got no ${type} event`);
		assert.deepEqual(wall.console, [], "no errors in the page's console");
		assert.ok(d.alive(), "the daemon is still running");
	} finally {
		await screenshot(wall.page, "cursor-wall");
		await screenshot(kiosk.page, "cursor-kiosk");
	}
});
