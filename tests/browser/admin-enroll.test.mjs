// The admin page's guided face enrollment (issue 10 item 4, docs/admin.md
// "Face enrollment", docs/faces.md "Enrollment through the daemon"): the
// daemon's room camera is a replay (15 fps) in which s1 of ORL looks
// straight, to one side, then the other, over and over (as
// tests/integration/admin-enroll.sh), and the page enrolls through its
// panel:
//  - Start runs it: the pose instructions shown in large text come in the
//    guide's order (straight, left, right, ...), each pose's progress
//    (got / need) shows, the live camera picture is refreshed about once a
//    second, and the result says done, how many images, the descriptor and
//    that s1 unlocks private mode; the face store then verifies s1's other
//    photos and not s4's;
//  - Cancel ends a running one as cancelled and nothing is written;
//  - a second Start while one runs (from a page that has not heard of the
//    running one: its enroll events are held back) shows the daemon's
//    refusal in words, and nothing starts;
//  - with no room camera Start shows that refusal.
// Screenshots: admin-enroll-running, admin-enroll-done.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { SRC, DAEMON, startDaemon, launchBrowser, openPage, screenshot, waitBody, tmpDir, makeToken,
	until, sleep } from "./lib.mjs";

const ORL = process.env.ORL_DIR ?? path.resolve(SRC, "../shared/data/faces/orl");
const run = promisify(execFile);
// What the guide asks, in its order (models/face_guide.c).
const SAYS = ["look straight at the camera", "now slowly turn your head to your left", "now to your right",
	"look straight, then tilt your head up a little", "now down a little"];

// The room camera: s1 straight (photos 1, 3), turned one way (2, 5), the
// other (4, 6), 1 s each photo at 15 fps, a 6 s cycle, 120 s in all.
function cameraDir(dir) {
	const cam = path.join(dir, "cam");
	mkdirSync(cam, { recursive: true });
	let k = 0;
	for (let c = 0; c < 20; c++)
		for (const i of [1, 3, 2, 5, 4, 6])
			for (let f = 0; f < 15; f++)
				copyFileSync(path.join(ORL, "s1", `${i}.pgm`), path.join(cam, `${String(k++).padStart(6, "0")}.pgm`));
	return cam;
}

const text = (page, sel) => page.locator(sel).innerText();

// Waits until the element's text matches re; returns it.
async function waitText(page, sel, re, ms, what) {
	let v = "";
	await until(async () => re.test(v = await text(page, sel)), ms, () => `${what}: ${sel} says "${v}"`);
	return v;
}

async function admin(ctx, d, tok) {
	const p = await openPage(ctx, `${d.base}/admin/#token=${tok}`);
	await waitBody(p.page, "admin", "true", 5000, "the admin token is taken");
	return p;
}

test("admin page: enroll s1 through the panel, cancel, a second start refused", { timeout: 150000 }, async (t) => {
	assert.ok(existsSync(path.join(ORL, "s1", "1.pgm")), `ORL faces at ${ORL}`);
	const dir = tmpDir(t, "admin-enroll");
	const state = path.join(dir, "state");
	const cam = cameraDir(dir);
	const tok = await makeToken(state, "admin", "ops desk");
	const d = await startDaemon(t, dir, { name: "admin-enroll", stateDir: state,
		args: ["-o", "audio=none", "-o", `camera_room=images:${cam}@15`, "-o", "private_face=s1"] });
	const [ctxA, ctxB] = await Promise.all([
		launchBrowser(t, dir, { name: "admin-enroll", viewport: { width: 1400, height: 1100 } }),
		launchBrowser(t, dir, { name: "admin-enroll-late" })]);
	// Page B never hears of an enrollment: the daemon's enroll events to
	// it are held back, and so is admin-status's enroll member where the
	// daemon has one (everything else passes).
	let heldB = 0;
	await ctxB.routeWebSocket(/\/ws$/, (ws) => {
		const server = ws.connectToServer();
		server.onMessage((m) => {
			if (typeof m === "string" && /"type":"enroll"/.test(m)) {
				heldB++;
				return;
			}
			if (typeof m === "string" && /"type":"admin-status"/.test(m)) {
				const st = JSON.parse(m);
				delete st.enroll;
				m = JSON.stringify(st);
			}
			ws.send(m);
		});
	});
	try {
		const a = await admin(ctxA, d, tok);
		const pa = a.page;
		assert.ok(await pa.locator("#enroll-start").isDisabled(), "Start is off without a name");
		assert.ok(await pa.locator("#enroll-cancel").isDisabled(), "Cancel is off with nothing running");
		await pa.locator("#enroll-name").fill("../x");
		assert.ok(await pa.locator("#enroll-start").isDisabled(), "Start is off for a name the store refuses");

		// ---- a run cancelled, and a second Start refused meanwhile
		const b = await admin(ctxB, d, tok);
		await b.page.locator("#enroll-name").fill("s2");
		await pa.locator("#enroll-name").fill("s9");
		await pa.locator("#enroll-start").click();
		await waitText(pa, "#enroll-say", new RegExp(`^${SAYS[0]}$`), 10000, "the first pose asked for");
		assert.ok(await pa.locator("#enroll-start").isDisabled(), "Start is off while one runs");
		assert.ok(await pa.locator("#enroll-cancel").isEnabled(), "Cancel is on while one runs");

		assert.ok(heldB > 0, "page B's enroll events were held back");
		assert.ok(await b.page.locator("#enroll-start").isEnabled(), "page B does not know one runs");
		await b.page.locator("#enroll-start").click();
		await waitText(b.page, "#enroll-result", /refused/, 5000, "page B's refusal");
		assert.match(await text(b.page, "#enroll-result"), /^이미 등록 중 · refused: an enrollment of s9 is running: wait for it to end, or enroll-cancel$/);
		assert.equal(await b.page.locator("#enroll-result").getAttribute("data-result"), "bad");
		assert.ok(await b.page.locator("#enroll").isHidden(), "page B runs nothing");

		await pa.locator("#enroll-cancel").click();
		await waitText(pa, "#enroll-result", /cancelled|not enrolled/, 10000, "the cancelled result");
		assert.match(await text(pa, "#enroll-result"), /^s9 등록 취소 · cancelled: nothing was written/);
		assert.equal(await pa.locator("#enroll").getAttribute("data-state"), "failed");
		assert.ok(!existsSync(path.join(state, "faces", "s9.face")), "the cancelled enrollment wrote nothing");
		assert.ok(!/enroll s2 started/.test(d.log()), "the refused second one did not start");
		assert.ok(await pa.locator("#enroll-start").isEnabled(), "Start is on again");
		assert.ok(await pa.locator("#enroll-cancel").isDisabled(), "Cancel is off again");

		// ---- s1, to the end
		await pa.locator("#enroll-name").fill("s1");
		const snaps0 = a.sentMessages("snapshot").length;
		const t0 = Date.now();
		await pa.locator("#enroll-start").click();
		const says = [];
		let shot = false, progress = false, result = "";
		await until(async () => {
			const say = await text(pa, "#enroll-say");
			result = await text(pa, "#enroll-result");
			if (say && says[says.length - 1] !== say)
				says.push(say);
			const rows = await pa.locator("#enroll-poses li").allInnerTexts();
			if (rows.some((r) => /(^|\s)[1-3] \/ 3$/m.test(r)))
				progress = true;
			if (!shot && rows.length >= 2 && await pa.locator("#enroll-cam").isVisible()) {
				await screenshot(pa, "admin-enroll-running");
				shot = true;
			}
			return /enrolled s1|not enrolled/.test(result);
		}, 70000, () => `no result: says ${JSON.stringify(says)}, result "${result}"`);
		const secs = (Date.now() - t0) / 1000;
		assert.equal(await pa.locator("#enroll").getAttribute("data-state"), "done");
		assert.match(result, /^s1 등록 완료 · enrolled s1: \d+ images, descriptor embedding; .*unlocks private mode \(private_face\)$/);
		assert.ok(!/does not unlock/.test(result), result);
		assert.deepEqual(says.slice(0, 3), SAYS.slice(0, 3), `the instructions shown, in order: ${JSON.stringify(says)}`);
		assert.deepEqual(says, SAYS.filter((s) => says.includes(s)), `only the guide's words, in its order: ${JSON.stringify(says)}`);
		assert.ok(progress, "progress (got / need) was shown");
		assert.ok(shot, "the live camera picture was shown while it ran");
		const poses = await pa.locator("#enroll-poses li").evaluateAll((ls) => ls.map((l) => l.dataset.pose));
		assert.deepEqual(poses.slice(0, 3), ["straight", "left", "right"], `the poses listed: ${poses}`);
		const rows = await pa.locator("#enroll-poses li").allInnerTexts();
		for (const r of rows.slice(0, 3))
			assert.match(r, /3 \/ 3/, `each shown pose got its 3 frames: ${rows.join(" | ")}`);
		for (const r of rows.slice(3))
			assert.match(r, /3 \/ 3|skipped: no (up|down) pose seen/, `a pose not shown is skipped with why: ${r}`);
		const snaps = a.sentMessages("snapshot").length - snaps0;
		assert.ok(snaps >= Math.floor(secs) - 2 && snaps <= Math.ceil(secs) + 2,
			`about one camera snapshot a second while it ran: ${snaps} in ${secs.toFixed(1)} s`);
		assert.ok(await pa.locator("#enroll-start").isEnabled() && await pa.locator("#enroll-cancel").isDisabled(),
			"Start on, Cancel off once it is over");
		await screenshot(pa, "admin-enroll-done");
		await sleep(2500);
		assert.equal(a.sentMessages("snapshot").length - snaps0, snaps, "no snapshots asked for once it is over");

		// The store holds s1: its other photos verify, s4's does not.
		const photos = [7, 8, 9, 10].map((i) => path.join(ORL, "s1", `${i}.pgm`));
		const out = await run(DAEMON, ["--state-dir", state, "face", "verify", "--name", "s1", ...photos,
			path.join(ORL, "s4", "1.pgm")], { timeout: 30000 });
		const lines = out.stdout.trim().split("\n").map((l) => JSON.parse(l));
		assert.equal(lines.length, 5, out.stdout);
		assert.deepEqual(lines.map((l) => l.match), [true, true, true, true, false], out.stdout);
		assert.deepEqual(a.console, [], "no errors on the page");
		assert.deepEqual(b.console, [], "no errors on page B");
	} finally {
		await d.stop();
	}
});

test("admin page: enrollment with no room camera is refused in words", { timeout: 60000 }, async (t) => {
	const dir = tmpDir(t, "admin-enroll-nocam");
	const state = path.join(dir, "state");
	const tok = await makeToken(state, "admin", "ops desk");
	const d = await startDaemon(t, dir, { name: "admin-enroll-nocam", stateDir: state, args: ["-o", "audio=none"] });
	const ctx = await launchBrowser(t, dir, { name: "admin-enroll-nocam" });
	try {
		const a = await admin(ctx, d, tok);
		await a.page.locator("#enroll-name").fill("s1");
		await a.page.locator("#enroll-start").click();
		await waitText(a.page, "#enroll-result", /refused/, 5000, "the refusal");
		assert.match(await text(a.page, "#enroll-result"),
			/^방 카메라 없음 · refused: no room camera runs \(camera_room is not set\): stop the daemon and run smartofficed face enroll --camera$/);
		assert.ok(await a.page.locator("#enroll").isHidden(), "no enrollment panel: nothing runs");
		assert.ok(await a.page.locator("#enroll-cancel").isDisabled(), "Cancel stays off");
		assert.ok(!existsSync(path.join(state, "faces", "s1.face")));
	} finally {
		await d.stop();
	}
});
