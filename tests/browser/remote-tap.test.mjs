// (b) A tap on a paired tablet remote changes the dashboard.  The tablet is
// paired with a token made by `smartofficed tokens add --role remote`,
// given to the page as /remote/#token=TOKEN (pairing itself: pairing.test).
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { startDaemon, launchBrowser, openPage, screenshot, waitBody, bodyData,
	tmpDir, makeToken, idleAudio, contentButton } from "./lib.mjs";

const TARGET = "transportation";

test("a tap on the tablet remote changes the wall", { timeout: 60000 }, async (t) => {
	const dir = tmpDir(t, "tap");
	const state = path.join(dir, "state");
	const token = await makeToken(state, "remote", "tablet");
	const d = await startDaemon(t, dir, { name: "remote-tap", stateDir: state, args: await idleAudio(dir) });
	const [wallCtx, tabCtx] = await Promise.all([
		launchBrowser(t, dir, { name: "wall" }),
		launchBrowser(t, dir, { name: "tablet", viewport: { width: 820, height: 1180 } }),
	]);
	const wall = await openPage(wallCtx, `${d.base}/`);
	const tab = await openPage(tabCtx, `${d.base}/remote/#token=${token}`);
	try {
		await waitBody(wall.page, "connected", "true", 5000, "the wall connects");
		await waitBody(tab.page, "paired", "true", 5000, "the tablet presented its remote token");
		assert.notEqual(await bodyData(wall.page, "screen"), TARGET, "the wall does not show the target yet");

		const btn = contentButton(tab.page, TARGET);
		await btn.waitFor({ state: "visible", timeout: 5000 });
		await btn.click();
		await waitBody(wall.page, "screen", TARGET, 5000, `the tablet tapped ${TARGET}`);

		// Over the wire: the tablet sent a select, the daemon said ok; the
		// wall got the navigate with source "remote".
		const sel = tab.sentMessages("select").find((m) => m.content === TARGET);
		assert.ok(sel, `the tablet sent {"type":"select","content":"${TARGET}"}: ${JSON.stringify(tab.sentMessages())}`);
		assert.ok(Number.isInteger(sel.id), "the select carries an integer id");
		const ok = tab.messages().find((m) => m.id === sel.id && m.type !== "hello");
		assert.equal(ok?.type, "ok", `the daemon answered the select: ${JSON.stringify(ok)}`);
		const nav = wall.messages("navigate").find((m) => m.content === TARGET);
		assert.equal(nav?.source, "remote", "the wall's navigate has source remote");
		assert.deepEqual([...wall.console, ...tab.console], [], "no errors in the pages' consoles");
		assert.deepEqual([...wall.httpErrors, ...tab.httpErrors], [], "every file the pages load is served");
		assert.ok(d.alive(), "the daemon is still running");
	} finally {
		await screenshot(wall.page, "remote-tap-wall");
		await screenshot(tab.page, "remote-tap-tablet");
	}
});
