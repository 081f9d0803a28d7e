// A newcomer types the remote's address without the trailing slash
// (http://HOST:PORT/remote): the daemon redirects to /remote/ and the page
// works, its relative files (remote.js, remote.css ...) served, the token
// in the #fragment kept, the tablet paired.  Before the redirect the same
// address served the page's HTML with every relative link one level too
// high: a dead page.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { startDaemon, launchBrowser, openPage, screenshot, waitBody,
	tmpDir, makeToken, idleAudio } from "./lib.mjs";

test("/remote without the slash opens the working remote", { timeout: 60000 }, async (t) => {
	const dir = tmpDir(t, "folder-redirect");
	const state = path.join(dir, "state");
	const token = await makeToken(state, "remote", "tablet");
	const d = await startDaemon(t, dir, { name: "folder-redirect", stateDir: state, args: await idleAudio(dir) });
	const ctx = await launchBrowser(t, dir, { name: "tablet", viewport: { width: 820, height: 1180 } });
	const tab = await openPage(ctx, `${d.base}/remote#token=${token}`);
	try {
		await waitBody(tab.page, "paired", "true", 8000, "the remote opened from /remote presented its token");
		const u = new URL(tab.page.url());
		assert.equal(u.pathname, "/remote/", `redirected to /remote/: ${tab.page.url()}`);
		assert.deepEqual(tab.httpErrors, [], "every file the page loads is served");
		assert.deepEqual(tab.console, [], "no errors in the page's console");
	} finally {
		await screenshot(tab.page, "folder-redirect-remote");
	}
});
