// The smart TV (docs/conference.md): role "tv" with a tv token
// (`smartofficed tokens add --role tv`, opened as /tv/#token=TOKEN).  Shows
// the office's briefing folder; a remote, a tap, the hand or voice picks a
// document (a `tv` message; the daemon sends every TV the `tv` event);
// next/previous page by the remote, voice ("next page"), the arrow keys or
// a hand swipe; "start the meeting" opens the office's TV room
// (conference.js).  Uses the pdf.js the daemon serves at /vendor/pdfjs/.

import { connect } from "/js/smartoffice.js";
import { conferenceUI } from "/conference.js";

const TOKEN_KEY = "smartoffice.token.tv";
const $ = (id) => document.getElementById(id);
const body = document.body;

let hashToken;
{
	const h = new URLSearchParams(location.hash.slice(1));
	if (h.get("token")) {
		try { localStorage.setItem(TOKEN_KEY, h.get("token")); } catch { /* memory only */ }
		history.replaceState(null, "", location.pathname + location.search);
		hashToken = h.get("token");
	}
}

const client = connect({ role: "tv", name: new URLSearchParams(location.search).get("name") || "TV",
    storageKey: TOKEN_KEY, token: hashToken });

let toastTimer;
function toast(text) {
	const t = $("tv-toast");
	t.textContent = text;
	t.hidden = false;
	clearTimeout(toastTimer);
	toastTimer = setTimeout(() => { t.hidden = true; }, 4000);
}

const tv = { docs: [], viewer: null, tvRoom: null };
const ask = (m) => client.request(m).catch((e) => toast(`${m.action}: ${e.message ?? e.code}`));

function renderFolder() {
	$("tv-docs").replaceChildren(...tv.docs.map((d) => {
		const b = document.createElement("button");
		b.type = "button";
		b.className = "tv-doc";
		b.dataset.doc = d.id;
		b.textContent = d.title;
		b.addEventListener("click", () => ask({ type: "tv", action: "open", document: d.id, source: pressSource() }));
		return b;
	}));
	$("tv-meeting").hidden = body.dataset.view !== "trusted" || !tv.tvRoom;
}

/* ---- the document, with pdf.js ---- */

let pdfjs;
async function lib() {
	if (!pdfjs) {
		pdfjs = await import("/vendor/pdfjs/pdf.mjs");
		pdfjs.GlobalWorkerOptions.workerSrc = "/vendor/pdfjs/pdf.worker.mjs";
	}
	return pdfjs;
}

async function openDoc(d, page) {
	if (tv.viewer?.id === d.id) {
		showPage(page);
		return;
	}
	closeDoc();
	const v = { id: d.id, doc: null, pages: 0, page: 0 };
	tv.viewer = v;
	$("tv-viewer").hidden = false;
	$("tv-title").textContent = d.title;
	$("tv-error").hidden = true;
	body.dataset.doc = d.id;
	try {
		const url = `${d.url}?token=${encodeURIComponent(client.token ?? "")}`;
		v.doc = await (await lib()).getDocument({ url, isEvalSupported: false }).promise;
		if (tv.viewer !== v)
			return v.doc.destroy();
		v.pages = v.doc.numPages;
		$("tv-pagecount").textContent = String(v.pages);
		body.dataset.pages = String(v.pages);
		await showPage(page);
	} catch (e) {
		$("tv-error").textContent = `문서를 열 수 없습니다 · Cannot open this document (${e.message})`;
		$("tv-error").hidden = false;
	}
}

let rendering = Promise.resolve();
function showPage(n) {
	const v = tv.viewer;
	if (!v?.doc)
		return Promise.resolve();
	const want = Math.min(v.pages, Math.max(1, n));
	// Past the last page: the daemon counts on; tell it where the TV is.
	if (want !== n)
		client.request({ type: "tv", action: "page", page: want }).catch(() => {});
	v.page = want;
	$("tv-page").textContent = String(want);
	rendering = rendering.then(async () => {
		if (tv.viewer !== v || v.page !== want)
			return;
		const page = await v.doc.getPage(want);
		const box = document.querySelector(".tv-canvas-box");
		const base = page.getViewport({ scale: 1 });
		const fit = Math.min((box.clientWidth - 40) / base.width, (box.clientHeight - 40) / base.height);
		const vp = page.getViewport({ scale: fit * devicePixelRatio });
		const c = $("tv-canvas");
		c.width = Math.floor(vp.width);
		c.height = Math.floor(vp.height);
		c.style.width = `${Math.floor(vp.width / devicePixelRatio)}px`;
		c.style.height = `${Math.floor(vp.height / devicePixelRatio)}px`;
		await page.render({ canvas: c, canvasContext: c.getContext("2d"), viewport: vp }).promise;
		body.dataset.page = String(want);
	}).catch((e) => console.warn("pdf render", e));
	return rendering;
}

function closeDoc() {
	tv.viewer?.doc?.destroy();
	tv.viewer = null;
	$("tv-viewer").hidden = true;
	body.dataset.doc = "";
	body.dataset.page = "0";
	body.dataset.pages = "0";
}

/* ---- the daemon ---- */

client.on("open", () => { body.dataset.connected = "true"; $("tv-status").textContent = "연결됨 · connected"; });
client.on("close", () => { body.dataset.connected = "false"; $("tv-status").textContent = "재연결 중 · reconnecting"; });
client.on("hello", (m) => {
	body.dataset.view = m.view ?? "public";
	tv.docs = m.briefing ?? [];
	tv.tvRoom = m.office?.tv_room ?? null;
	renderFolder();
	if (m.tv?.document)
		openDoc(m.tv.document, m.tv.page ?? 1);
	else if (tv.viewer)
		closeDoc();
});
client.on("tv", (m) => {
	if (m.state === "document")
		openDoc(m.document, m.page ?? 1);
	else if (m.state === "page" && tv.viewer?.id === m.document)
		showPage(m.page);
	else if (m.state === "closed")
		closeDoc();
});
// Voice "next page" / "previous page" (catalogue controls): the TV turns
// its document's page through the daemon, so every TV and the hello agree.
client.on("command", (m) => {
	if (tv.viewer && (m.command === "next" || m.command === "previous"))
		ask({ type: "tv", action: m.command, source: m.source === "remote" ? "remote" : "voice" });
	else if (tv.viewer && (m.command === "back" || m.command === "stop"))
		ask({ type: "tv", action: "close", source: "voice" });
});

/* ---- the hand: a swipe turns the page, a press clicks ---- */

const trail = [];
let lastPress = 0, lastSwipe = 0;
const pressSource = () => (Date.now() - lastPress < 600 ? "hand" : "tap");
client.on("cursor", (m) => {
	const now = performance.now();
	if (m.state === "press") {
		lastPress = Date.now();
		const x = (Number(m.x) || 0) * innerWidth, y = (Number(m.y) || 0) * innerHeight;
		document.elementFromPoint(x, y)?.closest("button")?.click();
		return;
	}
	trail.push({ x: Number(m.x) || 0, t: now });
	while (trail.length && now - trail[0].t > 500)
		trail.shift();
	// A quarter of the width within half a second: a swipe (leftwards: next).
	if (tv.viewer && trail.length > 2 && now - lastSwipe > 800) {
		const dx = trail[trail.length - 1].x - trail[0].x;
		if (Math.abs(dx) > 0.25) {
			lastSwipe = now;
			trail.length = 0;
			ask({ type: "tv", action: dx < 0 ? "next" : "previous", source: "hand" });
		}
	}
});
client.on("disengage", () => { trail.length = 0; });

/* ---- keys (a TV remote's arrows), buttons ---- */

document.addEventListener("keydown", (ev) => {
	const a = { ArrowRight: "next", ArrowLeft: "previous", PageDown: "next", PageUp: "previous", Escape: "close" }[ev.key];
	if (a && tv.viewer)
		ask({ type: "tv", action: a, source: "remote" });
});
$("tv-next").addEventListener("click", () => ask({ type: "tv", action: "next", source: pressSource() }));
$("tv-prev").addEventListener("click", () => ask({ type: "tv", action: "previous", source: pressSource() }));
$("tv-close").addEventListener("click", () => ask({ type: "tv", action: "close", source: pressSource() }));
$("tv-meeting").addEventListener("click", () => ask({ type: "tv", action: "meeting", source: pressSource() }));

const conference = conferenceUI(client, { bar: null, screen: () => null, toast, tv: true });
window.tv = { client, tv, conference };
