// The admin page (issue 10 item 4, docs/admin.md): /admin/ with an admin
// token shows the devices, recognizer, clients, paired devices and audit
// log.  Checked here through the page itself:
//  - a replayed voice command ("hey seoul ... show me the air quality") and
//    a remote's tap each add an audit line naming who did it, and the
//    utterance is listed with its score;
//  - the typed-command box moves the wall (the path speech takes), and a
//    line says nothing matched for words that name nothing;
//  - revoking a paired remote from the page drops its live connection to
//    the public view at once (it gets a public hello), and its row goes;
//  - renaming a paired device shows the new name;
//  - a page without an admin token gets no status (the daemon says
//    "unauthorized") and shows what to do.
// Screenshots: admin, admin-after-revoke, admin-untrusted.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { startDaemon, launchBrowser, openPage, screenshot, waitBody, tmpDir, makeToken,
	wsConnect, hello, fixture, leadIn, until } from "./lib.mjs";

const LEAD_S = 5;

test("admin page: audit of voice and tap, typed command, revoke and rename", { timeout: 90000 }, async (t) => {
	const dir = tmpDir(t, "admin");
	const state = path.join(dir, "state");
	const admin = await makeToken(state, "admin", "ops desk");
	const remote = await makeToken(state, "remote", "kim tablet");
	const wav = await leadIn(fixture("wake_air"), path.join(dir, "wake_air_lead.wav"), LEAD_S, 1);
	const d = await startDaemon(t, dir, { name: "admin", stateDir: state, args: ["--audio-file", wav] });
	const [adminCtx, wallCtx, pubCtx] = await Promise.all([
		launchBrowser(t, dir, { name: "admin", viewport: { width: 1400, height: 1000 } }),
		launchBrowser(t, dir, { name: "admin-wall" }), launchBrowser(t, dir, { name: "admin-public" })]);
	const ap = await openPage(adminCtx, `${d.base}/admin/#token=${admin}`);
	const wall = await openPage(wallCtx, `${d.base}/`);
	const page = ap.page;
	const auditRows = () => page.locator("#audit tbody tr").allInnerTexts();
	try {
		await waitBody(page, "admin", "true", 5000, "the admin token is taken");
		// The remote, connected over its own websocket.
		const tab = await wsConnect(t, d.port);
		const th = await hello(tab, "remote", "kim tablet", remote);
		assert.equal(th.view, "trusted", "the remote's token is good");
		await until(async () => (await page.locator("#clients tbody tr").allInnerTexts())
			.some((r) => /remote\s+kim tablet\s+trusted/.test(r)), 5000, "the remote in the clients list");

		// Voice: the replayed recording navigates; the audit says by voice.
		await until(async () => (await auditRows()).some((r) => /navigate\s+air-quality\s+voice\s+voice \(the room microphone\)/.test(r)),
			(LEAD_S + 12) * 1000, "an audit line for the spoken \"show me the air quality\"");
		const utt = await page.locator("#utterances tbody tr").allInnerTexts();
		assert.ok(utt.some((r) => /voice\s+command\s+air-quality/.test(r) && /0\.\d{3}|1\.000/.test(r)),
			`the utterance with its score: ${utt.join(" | ")}`);

		// A tap on the remote: the audit names the remote and its token.
		tab.send({ type: "select", content: "transportation", id: 5 });
		await tab.waitFor((m) => m.id === 5 && m.type === "ok", 5000, "the tap's ok");
		await until(async () => (await auditRows()).some((r) => /navigate\s+transportation\s+remote\s+remote "kim tablet"/.test(r)),
			5000, "an audit line for the remote's tap");

		// The typed command: the wall follows, as it would the spoken words.
		await page.locator("#typed").fill("Hey Seoul, show me the disaster safety");
		await page.locator("#typed-form button").click();
		await waitBody(wall.page, "screen", "disaster-safety", 5000, "the typed command moved the wall");
		assert.match(await page.locator("#typed-result").innerText(), /disaster-safety/);
		await until(async () => (await auditRows()).some((r) => /navigate\s+disaster-safety\s+typed\s+admin "admin page"/.test(r)),
			5000, "an audit line for the typed command");
		await page.locator("#typed").fill("bananas please");
		await page.locator("#typed-form button").click();
		await until(async () => /nothing matches/.test(await page.locator("#typed-result").innerText()), 5000,
			"the page says nothing matched");
		await screenshot(page, "admin");

		// Rename, then revoke the remote from the page.
		const row = page.locator(`#paired tbody tr:has-text("kim tablet")`);
		const tid = await row.getAttribute("data-token");
		page.once("dialog", (dlg) => dlg.accept("kim's tablet (lobby)"));
		await row.locator("button.rename").click();
		await until(async () => (await page.locator("#paired tbody tr").allInnerTexts())
			.some((r) => r.includes("kim's tablet (lobby)")), 5000, "the new name in the list");
		const before = tab.messages.length;
		await page.locator(`#paired tbody tr[data-token="${tid}"] button.revoke`).click();
		const dropped = await tab.waitFor((m, i) => m.type === "hello" && m.view === "public" &&
			tab.messages.indexOf(m) >= before, 5000, "a public hello for the revoked remote");
		assert.equal(dropped.view, "public");
		tab.send({ type: "select", content: "main", id: 6 });
		const refused = await tab.waitFor((m) => m.id === 6, 5000, "the reply to a tap after the revoke");
		assert.equal(refused.code, "unauthorized", "a revoked remote cannot command");
		await until(async () => !(await page.locator("#paired tbody tr").allInnerTexts())
			.some((r) => r.includes(tid)), 5000, "the revoked row is gone");
		await screenshot(page, "admin-after-revoke");

		// No admin token: nothing to see, and what to do.
		const pub = await openPage(pubCtx, `${d.base}/admin/`);
		await waitBody(pub.page, "connected", "true", 5000, "the untrusted admin page connects");
		await pub.page.waitForTimeout(1500);
		assert.equal(await pub.page.evaluate(() => document.body.dataset.admin), "false");
		assert.equal(await pub.page.locator("#paired tbody tr").count(), 0, "no paired devices shown");
		assert.ok(await pub.page.locator("#note").isVisible(), "the note says how to get an admin token");
		await screenshot(pub.page, "admin-untrusted");
		assert.deepEqual(ap.httpErrors, [], "every file the admin page loads is served");
	} finally {
		await d.stop();
	}
});
