// (e) A public display never sees private content while a trusted one does.
// The wall (trusted: #token= of a display token) and a kiosk (public) are
// open side by side; every websocket frame the kiosk receives is recorded.
// The office goes private by voice ("hey seoul. private mode." with
// private_unlock=voice), a paired remote selects the private documents for
// approval, then public mode and a public screen.  The wall follows all of
// it; the kiosk follows only the public screen, and no frame it received
// holds a private id, title, private mode, or the private command's text.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { startDaemon, launchBrowser, openPage, screenshot, waitBody, bodyData,
	tmpDir, makeToken, wsConnect, hello, spokenWav, catalogue, until, idleAudio } from "./lib.mjs";

const LEAD_S = 7;

// Every needle found in the frames a public page received.
function leaks(rec, needles) {
	const found = [];
	for (const s of rec.received)
		for (const n of needles)
			if (s.includes(n))
				found.push(`${JSON.stringify(n)} in ${s.slice(0, 160)}`);
	return found;
}

test("a public kiosk never receives private content; the trusted wall shows it", { timeout: 90000 }, async (t) => {
	const cat = catalogue();
	const dir = tmpDir(t, "privacy");
	const state = path.join(dir, "state");
	const wallToken = await makeToken(state, "display", "wall");
	const remoteToken = await makeToken(state, "remote", "tablet");
	const wav = await spokenWav(path.join(dir, "private_mode.wav"), "private mode.", { lead: LEAD_S, tail: 2 });
	const d = await startDaemon(t, dir, {
		name: "privacy", stateDir: state,
		args: ["--audio-file", wav, "-o", "private_unlock=voice"],
	});
	const [wallCtx, kioskCtx] = await Promise.all([
		launchBrowser(t, dir, { name: "wall" }),
		launchBrowser(t, dir, { name: "kiosk", viewport: { width: 1920, height: 1080 } }),
	]);
	const [wall, kiosk] = await Promise.all([
		openPage(wallCtx, `${d.base}/#token=${wallToken}`),
		openPage(kioskCtx, `${d.base}/`),
	]);
	try {
		await waitBody(wall.page, "view", "trusted", 5000, "the wall presented a display token");
		await waitBody(kiosk.page, "view", "public", 5000, "the kiosk has no token");
		assert.equal(await bodyData(wall.page, "mode"), "public", `the pages loaded before the recording (lead-in ${LEAD_S} s)`);

		// 1. "Hey Seoul, private mode": the wall goes private.
		await waitBody(wall.page, "mode", "private", (LEAD_S + 8) * 1000, "\"private mode\" was said, private_unlock=voice");
		const intent = wall.messages("intent").find((m) => m.command === "private-mode");
		assert.ok(intent?.text, "the wall got the private command's intent and text");

		// 2. A paired remote opens the documents for approval.
		const remote = await wsConnect(t, d.port);
		const h = await hello(remote, "remote", "tablet", remoteToken);
		assert.equal(h.view, "trusted", "the remote token gives the trusted view");
		remote.send({ type: "select", content: "approval-documents", id: 10 });
		const r10 = await remote.waitFor((m) => m.id === 10, 3000, "answer to select approval-documents");
		assert.equal(r10.type, "ok", JSON.stringify(r10));
		await waitBody(wall.page, "screen", "approval-documents", 5000, "the remote selected it");
		const wallText = await wall.page.locator("body").innerText();
		assert.match(wallText, /Documents for approval|결재문서/, "the wall shows the private screen's title");
		await screenshot(wall.page, "privacy-wall-private");
		await screenshot(kiosk.page, "privacy-kiosk-during-private");

		// While private: the kiosk stays public and on public content.
		assert.equal(await bodyData(kiosk.page, "mode"), "public");
		assert.ok(cat.publicIds.includes(await bodyData(kiosk.page, "screen")),
			`the kiosk shows public content: ${await bodyData(kiosk.page, "screen")}`);
		assert.ok(kiosk.messages("wake").length >= 1, "the kiosk saw the wake (it is live)");

		// 3. Back to public, then a public screen: both follow.
		remote.send({ type: "select", command: "public-mode", id: 11 });
		assert.equal((await remote.waitFor((m) => m.id === 11, 3000, "answer to public-mode")).type, "ok");
		await waitBody(wall.page, "mode", "public", 5000, "the remote selected public-mode");
		await waitBody(wall.page, "screen", (s) => cat.publicIds.includes(s), 5000,
			"the wall leaves the private screen when the office goes public");
		remote.send({ type: "select", content: "transportation", id: 12 });
		assert.equal((await remote.waitFor((m) => m.id === 12, 3000, "answer to select transportation")).type, "ok");
		await waitBody(wall.page, "screen", "transportation", 5000);
		await waitBody(kiosk.page, "screen", "transportation", 5000, "the kiosk follows public content");

		// The wall did receive the private things (so the check below is
		// not vacuous) ...
		const all = wall.received.join("\n");
		for (const n of ["approval-documents", '"mode":"private"', "private-mode"])
			assert.ok(all.includes(n), `the trusted wall received ${n}`);
		// ... and the kiosk none of them: not in any frame, not on screen,
		// not one request for a private document.
		const needles = [...cat.privateNeedles, intent.text];
		assert.deepEqual(leaks(kiosk, needles), [], "private words in frames the kiosk received");
		for (const m of kiosk.messages()) {
			assert.ok(!["mode", "denied", "engage", "cursor", "disengage", "face", "pairing"].includes(m.type),
				`a public view never gets ${m.type}: ${JSON.stringify(m)}`);
			if (m.type === "rejected")
				assert.equal(m.text, undefined, "rejected without text on a public view");
		}
		for (const m of kiosk.messages("hello"))
			assert.equal(m.view, "public");
		const kioskText = await kiosk.page.locator("body").innerText();
		for (const n of cat.privateNeedles.filter((x) => !x.startsWith('"')))
			assert.ok(!kioskText.includes(n), `the kiosk's page shows ${n}`);
		assert.deepEqual(kiosk.requests.filter((u) => u.includes("/documents/private")), [],
			"the kiosk requested no private document");
		assert.deepEqual([...wall.console, ...kiosk.console], [], "no errors in the pages' consoles");
		assert.ok(d.alive(), "the daemon is still running");
	} finally {
		await screenshot(wall.page, "privacy-wall");
		await screenshot(kiosk.page, "privacy-kiosk");
	}
});

// A minimal valid PDF with one page per text.
function pdf(...pages) {
	const n = pages.length;
	const objs = [
		"<< /Type /Catalog /Pages 2 0 R >>",
		`<< /Type /Pages /Kids [${pages.map((_, i) => `${4 + 2 * i} 0 R`).join(" ")}] /Count ${n} >>`,
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	];
	pages.forEach((text, i) => {
		const stream = `BT /F1 36 Tf 72 700 Td (${text}) Tj ET`;
		objs.push(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents ${5 + 2 * i} 0 R /Resources << /Font << /F1 3 0 R >> >> >>`);
		objs.push(`<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`);
	});
	let out = "%PDF-1.4\n";
	const offs = [];
	objs.forEach((o, i) => { offs.push(out.length); out += `${i + 1} 0 obj\n${o}\nendobj\n`; });
	const xref = out.length;
	out += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n`;
	for (const o of offs) out += `${String(o).padStart(10, "0")} 00000 n \n`;
	out += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
	return out;
}

// GET with the path sent as written (no URL normalization): the status.
function rawGet(port, p) {
	return new Promise((resolve, reject) => {
		http.get({ host: "127.0.0.1", port, path: p }, (res) => { res.resume(); resolve(res.statusCode); })
			.on("error", reject);
	});
}

test("private documents: listed, served and shown to trusted clients only", { timeout: 60000 }, async (t) => {
	const dir = tmpDir(t, "documents");
	const state = path.join(dir, "state");
	const docs = path.join(dir, "documents");
	mkdirSync(path.join(docs, "private"), { recursive: true });
	mkdirSync(path.join(docs, "public"), { recursive: true });
	writeFileSync(path.join(docs, "public", "city-briefing.pdf"), pdf("City briefing"));
	writeFileSync(path.join(docs, "private", "budget-secret.pdf"), pdf("Budget secret page 1", "Budget secret page 2"));
	const wallToken = await makeToken(state, "display", "wall");
	const remoteToken = await makeToken(state, "remote", "tablet");
	const d = await startDaemon(t, dir, {
		name: "documents", stateDir: state,
		args: [...await idleAudio(dir, 120), "-o", `documents_dir=${docs}`, "-o", "private_unlock=voice"],
	});
	const pub = await wsConnect(t, d.port);
	const pubHello = await hello(pub, "display", "kiosk");
	const trusted = await wsConnect(t, d.port);
	const trHello = await hello(trusted, "display", "wall", wallToken);
	const ids = (h) => (h.documents ?? []).map((x) => x.id).sort();
	assert.deepEqual(ids(trHello), ["private/budget-secret.pdf", "public/city-briefing.pdf"], "the trusted hello lists both");
	assert.deepEqual(ids(pubHello), ["public/city-briefing.pdf"], "the public hello lists the public one only");
	assert.ok(!JSON.stringify(pubHello).includes("budget-secret"), "no trace of the private file in the public hello");

	assert.equal(await rawGet(d.port, "/documents/public/city-briefing.pdf"), 200);
	assert.equal(await rawGet(d.port, "/documents/private/budget-secret.pdf"), 403, "a private document without a token");
	assert.equal(await rawGet(d.port, "/documents/private/budget-secret.pdf?token=xyz"), 403, "with a wrong token");
	assert.equal(await rawGet(d.port, `/documents/private/budget-secret.pdf?token=${wallToken}`), 200, "with a display token");
	for (const p of ["/documents/../state/tokens", "/documents/%2e%2e/state/tokens", "/documents/..%2fstate%2ftokens"])
		assert.ok([403, 404].includes(await rawGet(d.port, p)), `${p} does not leave documents_dir`);

	// The trusted wall, private, on the documents for approval: a click on
	// the document opens the viewer on page 1; "next" from the remote turns
	// to page 2.
	const ctx = await launchBrowser(t, dir, { name: "wall" });
	const wall = await openPage(ctx, `${d.base}/#token=${wallToken}`);
	try {
		await waitBody(wall.page, "view", "trusted", 5000);
		const remote = await wsConnect(t, d.port);
		assert.equal((await hello(remote, "remote", "tablet", remoteToken)).view, "trusted");
		let id = 20;
		const select = async (what) => {
			remote.send({ type: "select", ...what, id: ++id });
			const r = await remote.waitFor((m) => m.id === id, 3000, `answer to select ${JSON.stringify(what)}`);
			assert.equal(r.type, "ok", JSON.stringify(r));
		};
		await select({ command: "private-mode" });
		await select({ content: "approval-documents" });
		await waitBody(wall.page, "screen", "approval-documents", 5000);
		const doc = wall.page.locator('[data-document-id="private/budget-secret.pdf"]:visible').first();
		await doc.waitFor({ state: "visible", timeout: 5000 });
		await doc.click();
		await waitBody(wall.page, "viewer", "open", 5000, "the document was clicked");
		await until(async () => (await wall.page.locator("#pdf-page").textContent()) === "1", 10000,
			"#pdf-page never showed page 1 (pdf.js did not load the document)");
		assert.ok(wall.requests.some((u) => u.includes("/documents/private/budget-secret.pdf")), "the wall fetched the PDF");
		await select({ command: "next" });
		await until(async () => (await wall.page.locator("#pdf-page").textContent()) === "2", 5000,
			"\"next\" from the remote did not turn to page 2");
		assert.deepEqual(wall.console, [], "no errors in the page's console");
	} finally {
		await screenshot(wall.page, "documents-wall");
	}
});
