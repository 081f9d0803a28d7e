// (d) Pairing end to end.  An unpaired tablet is refused (`unauthorized`)
// and nothing moves; it requests pairing, the trusted wall (opened with
// #token= of `tokens add --role display`) shows a 6-digit code that a public
// kiosk never sees, the code typed on the tablet pairs it, and from then on
// its taps move the displays.  The code works once; the token survives a
// reload of the tablet (localStorage) and is in `tokens list`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { statSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { startDaemon, launchBrowser, openPage, screenshot, waitBody, bodyData,
	tmpDir, makeToken, idleAudio, contentButton, wsConnect, hello, until,
	quietFor, DAEMON } from "./lib.mjs";

const TARGET = "prices";

test("pairing a tablet from the wall, and an unpaired tablet is refused", { timeout: 90000 }, async (t) => {
	const dir = tmpDir(t, "pairing");
	const state = path.join(dir, "state");
	const wallToken = await makeToken(state, "display", "wall");
	const d = await startDaemon(t, dir, { name: "pairing", stateDir: state, args: await idleAudio(dir) });
	const [wallCtx, kioskCtx, tabCtx] = await Promise.all([
		launchBrowser(t, dir, { name: "wall" }),
		launchBrowser(t, dir, { name: "kiosk", viewport: { width: 1920, height: 1080 } }),
		launchBrowser(t, dir, { name: "tablet", viewport: { width: 820, height: 1180 } }),
	]);
	const wall = await openPage(wallCtx, `${d.base}/#token=${wallToken}`);
	const kiosk = await openPage(kioskCtx, `${d.base}/`);
	const tab = await openPage(tabCtx, `${d.base}/remote/`);
	const shots = async (suffix) => {
		await screenshot(wall.page, `pairing-wall${suffix}`);
		await screenshot(kiosk.page, `pairing-kiosk${suffix}`);
		await screenshot(tab.page, `pairing-tablet${suffix}`);
	};
	try {
		await waitBody(wall.page, "view", "trusted", 5000, "the wall presented a display token");
		await waitBody(kiosk.page, "view", "public", 5000, "the kiosk has no token");
		await waitBody(tab.page, "paired", "false", 5000, "the tablet has no token yet");
		const screen0 = await bodyData(wall.page, "screen");
		assert.notEqual(screen0, TARGET);

		// 1. Unpaired: a select is refused and nothing is broadcast.  Sent by
		// a client of ours (the page may not even offer it), and tapped on
		// the tablet's page if it does.
		const rogue = await wsConnect(t, d.port);
		await hello(rogue, "remote", "rogue");
		rogue.send({ type: "select", content: TARGET, id: 5 });
		const refused = await rogue.waitFor((m) => m.id === 5 && m.type === "error", 3000, "error for the unpaired select");
		assert.equal(refused.code, "unauthorized", JSON.stringify(refused));
		const btn = contentButton(tab.page, TARGET);
		if (await btn.isVisible() && await btn.isEnabled()) {
			await btn.click();
			const sel = await until(() => tab.sentMessages("select").length > 0, 2000, "").then(
				() => tab.sentMessages("select")[0], () => null);
			if (sel) {
				await until(() => tab.messages().some((m) => m.id === sel.id && m.type === "error"), 3000,
					"the unpaired tablet's select got no error reply");
				assert.equal(tab.messages().find((m) => m.id === sel.id).code, "unauthorized");
			}
		}
		await Promise.all([quietFor(wall, "navigate", 1500), quietFor(kiosk, "navigate", 0)]);
		assert.equal(await bodyData(wall.page, "screen"), screen0, "the wall did not move");
		assert.equal(await bodyData(kiosk.page, "screen"), screen0, "the kiosk did not move");
		await screenshot(tab.page, "pairing-tablet-unpaired");

		// 2. The tablet asks; the wall shows a code, the kiosk does not.
		await tab.page.locator("#pair-request").click();
		await until(() => tab.messages("pair-pending").length > 0, 3000,
			() => `no pair-pending for the tablet: ${tab.received.slice(-3).join(" | ")}`);
		const codeEl = wall.page.locator("#pairing-code");
		await codeEl.waitFor({ state: "visible", timeout: 5000 });
		const code = /\d{6}/.exec((await codeEl.textContent()) ?? "")?.[0];
		assert.ok(code, `#pairing-code shows 6 digits: "${await codeEl.textContent()}"`);
		const pairing = wall.messages("pairing").find((m) => m.code === code);
		assert.ok(pairing, "the wall's code came in a pairing message");
		assert.match(pairing.url ?? "", new RegExp(`/remote/#pair=${code}$`), "pairing url");
		assert.ok(Array.isArray(pairing.qr) && pairing.qr.length >= 21 &&
			pairing.qr.every((r) => /^[01]+$/.test(r) && r.length === pairing.qr.length),
		"pairing qr is a square of 0/1 rows");
		assert.equal(kiosk.messages("pairing").length, 0, "the public kiosk got no pairing message");
		assert.ok(!kiosk.received.some((s) => s.includes(code)), "the code never reached the kiosk");
		assert.ok(!await kiosk.page.locator("#pairing-code").isVisible(), "the kiosk shows no code");
		await shots("-code");

		// 3. The code typed on the tablet pairs it; the wall hides the code.
		await tab.page.locator("#pair-code").fill(code);
		await tab.page.locator("#pair-submit").click();
		await waitBody(tab.page, "paired", "true", 5000, "the right code was typed");
		const paired = tab.messages("paired")[0];
		assert.equal(paired?.role, "remote", JSON.stringify(paired));
		assert.match(paired.token ?? "", /^[A-Za-z0-9_-]{43}$/, "a 43-character token");
		await codeEl.waitFor({ state: "hidden", timeout: 5000 });

		// The code worked once.
		rogue.send({ type: "pair", code, id: 6 });
		const again = await rogue.waitFor((m) => m.id === 6, 3000, "answer to a reused code");
		assert.equal(again.type === "error" && again.code, "bad-pairing-code", JSON.stringify(again));

		// 4. The paired tablet's tap moves both displays.
		await contentButton(tab.page, TARGET).click();
		await waitBody(wall.page, "screen", TARGET, 5000, `the paired tablet tapped ${TARGET}`);
		await waitBody(kiosk.page, "screen", TARGET, 5000, `${TARGET} is public`);
		assert.equal(wall.messages("navigate").find((m) => m.content === TARGET)?.source, "remote");

		// 5. The token is kept: by the page (a reload is still paired) and
		// by the daemon (hashed, mode 0600, listed).
		await tab.page.reload();
		await waitBody(tab.page, "paired", "true", 5000, "the tablet kept its token across a reload");
		const st = statSync(path.join(state, "tokens"));
		assert.equal(st.mode & 0o777, 0o600, "STATE_DIR/tokens is mode 0600");
		const { stdout } = await promisify(execFile)(DAEMON, ["--state-dir", state, "tokens", "list"]);
		assert.match(stdout, /wall/, `tokens list shows the wall: ${stdout}`);
		assert.match(stdout, /remote/, `tokens list shows the paired remote: ${stdout}`);
		assert.ok(!stdout.includes(paired.token) && !stdout.includes(wallToken), "tokens list never prints a token");

		assert.deepEqual([...wall.console, ...kiosk.console, ...tab.console], [], "no errors in the pages' consoles");
		assert.ok(d.alive(), "the daemon is still running");
	} finally {
		await shots("");
	}
});
