// Reference dashboard for smartofficed (docs/dashboard.md).  Follows the
// daemon's websocket events (docs/protocol.md) through /js/smartoffice.js.
// Plain ES module: no build step, nothing downloaded at run time.

import { connect } from "/js/smartoffice.js";
import { conferenceUI } from "./conference.js";
import { el } from "./dom.js";

const params = new URLSearchParams(location.search);
const ROTATE_S = Math.max(0, Number(params.get("rotate") ?? 60) || 0);
const TOKEN_KEY = "smartoffice.token.display";
const TOAST_MS = 4000;
const LISTEN_MAX_MS = 15000;
const PDFJS = "/vendor/pdfjs/pdf.mjs";
const PDFJS_WORKER = "/vendor/pdfjs/pdf.worker.mjs";

const $ = (id) => document.getElementById(id);
const body = document.body;

// "#token=..." (from `smartofficed tokens add`): keep it, then take it out
// of the address bar so it is not bookmarked or shown on the wall.
{
	const h = new URLSearchParams(location.hash.slice(1));
	if (h.get("token")) {
		try { localStorage.setItem(TOKEN_KEY, h.get("token")); } catch { /* memory only */ }
		history.replaceState(null, "", location.pathname + location.search);
		var hashToken = h.get("token");
	}
}

const state = {
	catalogue: [],		// from hello, in catalogue order
	controls: [],
	documents: [],
	screen: null,
	history: [],
	mode: "public",
	view: "public",
	zoom: 1,
	demo: { categories: [], content: {} },
};

const client = connect({
	role: "display",
	name: params.get("name") || "Dashboard",
	storageKey: TOKEN_KEY,
	token: hashToken ?? undefined,
	// ?mqtt=ws://broker:8083/&site=mayor: follow a room through an MQTT
	// broker (docs/mqtt.md); #mqtt_user=...&mqtt_password=...: its trusted view
	mqtt: params.get("mqtt") || undefined,
	site: params.get("site") || undefined,
	username: new URLSearchParams(location.hash.slice(1)).get("mqtt_user") || undefined,
	password: new URLSearchParams(location.hash.slice(1)).get("mqtt_password") || undefined,
});

/* ---- helpers ---- */

function item(id) {
	return state.catalogue.find((c) => c.id === id) ?? null;
}

function demoFor(id) {
	return state.demo.content?.[id] ?? null;
}

function categoryOf(id) {
	const cat = demoFor(id)?.category ?? "other";
	return state.demo.categories?.find((c) => c.id === cat) ??
	    { id: "other", ko: "기타", en: "Other" };
}

// Small deterministic numbers for ids and districts without demo figures.
function hash(s) {
	let h = 2166136261;
	for (const ch of s)
		h = Math.imul(h ^ ch.codePointAt(0), 16777619);
	return (h >>> 0) / 4294967296;
}

let toastTimer;
function toast(text, kind = "info") {
	const t = $("toast");
	t.textContent = text;
	t.dataset.kind = kind;
	t.hidden = false;
	clearTimeout(toastTimer);
	toastTimer = setTimeout(() => { t.hidden = true; }, TOAST_MS);
}

function label(id) {
	const c = item(id);
	return c ? `${c.ko ?? ""} ${c.en}`.trim() : id;
}

/* ---- navigation ---- */

function isPrivate(id) {
	return item(id)?.privacy === "private";
}

function show(id, { push = true } = {}) {
	if (!id)
		return;
	if (push && state.screen && state.screen !== id)
		state.history.push(state.screen);
	if (state.history.length > 50)
		state.history.shift();
	state.screen = id;
	state.zoom = 1;
	closeViewer();
	render();
	idle();
}

// A tile was picked (mouse, touch, or the motion cursor): a trusted display
// makes every display navigate; a public one (a kiosk) only itself.
function activate(id) {
	if (client.view !== "trusted") {
		show(id);
		return;
	}
	client.select(id).catch((e) => {
		if (["unknown-type", "disconnected", "timeout", "unauthorized"].includes(e.code))
			show(id);	// a v1 daemon, or no daemon: at least this screen
		else
			toast(`${label(id)}: ${e.message}`, "error");
	});
}

// The next or previous entry of the catalogue (public ones in public mode).
function step(dir) {
	const list = state.catalogue.filter((c) => state.mode === "private" || c.privacy !== "private");
	if (list.length === 0)
		return;
	const i = list.findIndex((c) => c.id === state.screen);
	const n = (i + dir + list.length) % list.length;
	show(list[i < 0 ? 0 : n].id);
}

function back() {
	const prev = state.history.pop();
	if (prev)
		show(prev, { push: false });
}

function zoom(f) {
	state.zoom = Math.min(3, Math.max(0.5, state.zoom * f));
	$("screen").style.zoom = String(state.zoom);
}

function scroll(dir) {
	const s = state.viewer ? $("pdf-scroll") : $("stage");
	s.scrollBy({ top: dir * s.clientHeight * 0.4, behavior: "smooth" });
}

function command(cmd) {
	const v = state.viewer;
	switch (cmd) {
	case "next": v ? pdfPage(v.page + 1) : step(1); break;
	case "previous": v ? pdfPage(v.page - 1) : step(-1); break;
	case "back": v ? closeViewer() : back(); break;
	case "zoom-in": v ? pdfZoom(1.25) : zoom(1.25); break;
	case "zoom-out": v ? pdfZoom(0.8) : zoom(0.8); break;
	case "scroll-up": scroll(-1); break;
	case "scroll-down": scroll(1); break;
	case "stop":
		closeViewer();
		state.zoom = 1;
		$("screen").style.zoom = "1";
		setListening(false);
		break;
	}
	idle();
}

/* ---- idle rotation (seed: "screens change in sequence at an interval") ---- */

let idleTimer;
function idle() {
	clearTimeout(idleTimer);
	$("rotate-info").textContent = ROTATE_S > 0 ? `자동 전환 ${ROTATE_S}s · auto-rotate` : "";
	if (ROTATE_S > 0)
		idleTimer = setTimeout(rotate, ROTATE_S * 1000);
}

function rotate() {
	const busy = state.viewer || state.mode === "private" ||
	    body.dataset.cursor === "on" || body.dataset.listening === "true";
	if (!busy) {
		const list = state.catalogue.filter((c) => c.privacy !== "private");
		const i = list.findIndex((c) => c.id === state.screen);
		if (list.length > 0)
			show(list[(i + 1) % list.length].id);
	}
	idle();
}

/* ---- rendering ---- */

function render() {
	body.dataset.screen = state.screen ?? "";
	body.dataset.mode = state.mode;
	body.dataset.view = state.view;
	$("private-button").hidden = state.view !== "trusted";
	$("private-button").textContent = state.mode === "private" ? "공개 모드 · Public mode"
	    : "비공개 모드 · Private mode";
	const banner = $("mode-banner");
	banner.querySelector(".mode-en").textContent = state.mode === "private" ? "PRIVATE" : "PUBLIC";
	banner.querySelector(".mode-ko").textContent = state.mode === "private" ? "비공개" : "공개";
	renderNav();
	renderScreen();
}

function tile(c, cls = "tile") {
	const b = el("button", cls);
	b.type = "button";
	b.dataset.contentId = c.id;
	b.dataset.privacy = c.privacy ?? "public";
	if (c.id === state.screen)
		b.setAttribute("aria-current", "page");
	const d = demoFor(c.id);
	b.append(el("span", "tile-icon", d?.icon ?? (c.ko || c.en || c.id).slice(0, 1)));
	const t = el("span", "tile-text");
	t.append(el("span", "tile-ko", c.ko ?? ""), el("span", "tile-en", c.en ?? c.id));
	b.append(t);
	return b;
}

// The catalogue grouped by category, in catalogue order within a group.
function groups() {
	const order = (state.demo.categories ?? []).map((c) => c.id);
	const map = new Map();
	for (const c of state.catalogue) {
		const cat = categoryOf(c.id);
		if (!map.has(cat.id))
			map.set(cat.id, { cat, items: [] });
		map.get(cat.id).items.push(c);
	}
	return [...map.values()].sort((a, b) =>
	    (order.indexOf(a.cat.id) >>> 0) - (order.indexOf(b.cat.id) >>> 0));
}

function renderNav() {
	const nav = $("nav");
	nav.replaceChildren(...groups().map(({ cat, items }) => {
		const g = el("section", "nav-group");
		g.dataset.category = cat.id;
		const h = el("h2", "nav-title");
		h.append(el("span", "ko", cat.ko), el("span", "en", cat.en));
		g.append(h, ...items.map((c) => tile(c)));
		return g;
	}));
}

function demoLabel() {
	return el("span", "demo-label", "DEMO DATA · 예시 데이터");
}

function kpis(list) {
	const wrap = el("div", "kpis");
	for (const k of list) {
		const card = el("div", "kpi card");
		card.append(el("span", "kpi-ko", k.ko), el("span", "kpi-en", k.en));
		const v = el("span", "kpi-value", k.value);
		v.append(el("span", "kpi-unit", k.unit ?? ""));
		card.append(v, demoLabel());
		wrap.append(card);
	}
	return wrap;
}

function chart(c) {
	const card = el("div", "chart card");
	const h = el("h3", "card-title");
	h.append(el("span", "ko", c.ko), el("span", "en", `${c.en} (${c.unit})`), demoLabel());
	card.append(h);
	const max = Math.max(...c.bars.map((b) => b[1]), 1);
	const bars = el("div", "bars");
	for (const [name, value] of c.bars) {
		const row = el("div", "bar");
		row.append(el("span", "bar-name", name));
		const track = el("span", "bar-track");
		const fill = el("span", "bar-fill");
		fill.style.width = `${(100 * value / max).toFixed(1)}%`;
		track.append(fill);
		row.append(track, el("span", "bar-value", value.toLocaleString("ko-KR")));
		bars.append(row);
	}
	card.append(bars);
	return card;
}

// Per-district values: given in demo-data.json, taken from another id's
// map ("from"), or made up from a seed (still labelled demo data).
function districtValues(spec) {
	if (spec.from)
		return districtValues(demoFor(spec.from)?.map ?? {});
	if (spec.values)
		return spec.values;
	const out = {};
	const lo = spec.min ?? 0, hi = spec.max ?? 100;
	for (const p of mapTemplate?.querySelectorAll(".district") ?? [])
		out[p.dataset.district] = Math.round(lo + (hi - lo) * hash(`${spec.seed ?? 0}:${p.dataset.district}`));
	return out;
}

let mapTemplate = null;	// the parsed seoul.svg, cloned per screen

function seoulMap(spec, big) {
	const card = el("div", `map card${big ? " map-big" : ""}`);
	const h = el("h3", "card-title");
	const unit = spec?.unit ?? (spec?.from ? demoFor(spec.from)?.map?.unit : "") ?? "";
	h.append(el("span", "ko", spec?.ko ?? "서울 25개 자치구"),
	    el("span", "en", `${spec?.en ?? "Seoul, 25 districts"}${unit ? ` (${unit})` : ""}`));
	if (spec)
		h.append(demoLabel());
	card.append(h);
	if (!mapTemplate) {
		card.append(el("p", "muted", "지도 없음 · map unavailable"));
		return card;
	}
	const svg = mapTemplate.cloneNode(true);
	if (spec) {
		const vals = districtValues(spec);
		const nums = Object.values(vals);
		const lo = Math.min(...nums), hi = Math.max(...nums);
		for (const p of svg.querySelectorAll(".district")) {
			const v = vals[p.dataset.district];
			if (v === undefined)
				continue;
			const level = hi > lo ? Math.min(4, Math.floor(5 * (v - lo) / (hi - lo + 1e-9))) : 2;
			p.classList.add(`lv${level}`);
			const lab = svg.querySelector(`.district-label[data-district="${p.dataset.district}"]`);
			if (lab) {
				const ts = document.createElementNS("http://www.w3.org/2000/svg", "tspan");
				ts.setAttribute("x", lab.getAttribute("x"));
				ts.setAttribute("dy", "1.2em");
				ts.setAttribute("class", "district-value");
				ts.textContent = v.toLocaleString("ko-KR");
				lab.append(ts);
			}
		}
	}
	card.append(svg);
	return card;
}

function documentList(privacy) {
	const card = el("div", "docs card");
	const h = el("h3", "card-title");
	h.append(el("span", "ko", privacy === "private" ? "결재 문서" : "보고·열람 자료"),
	    el("span", "en", privacy === "private" ? "Documents for approval" : "Briefing materials"));
	card.append(h);
	const docs = state.documents.filter((d) => privacy === "any" || d.privacy === privacy);
	if (docs.length === 0)
		card.append(el("p", "muted", "문서 없음 · No documents (documents_dir is empty, or not offered to this display)"));
	const ul = el("ul", "doc-list");
	for (const d of docs) {
		const li = el("li");
		const b = el("button", "doc", "");
		b.type = "button";
		b.dataset.documentId = d.id;
		b.append(el("span", "doc-icon", "PDF"), el("span", "doc-title", d.title || d.id),
		    el("span", `doc-privacy ${d.privacy}`, d.privacy === "private" ? "비공개 PRIVATE" : "공개 PUBLIC"));
		li.append(b);
		ul.append(li);
	}
	card.append(ul);
	return card;
}

function plugNote(id) {
	return el("p", "plug-note",
	    `DEMO DATA — figures from demo-data.json › content["${id}"]. Real data plugs in at figures() in app.js (see docs/dashboard.md).`);
}

function renderScreen() {
	const s = $("screen");
	s.style.zoom = String(state.zoom);
	const id = state.screen;
	if (!id) {
		s.replaceChildren(el("p", "muted waiting", "연결을 기다리는 중 · Waiting for the daemon…"));
		return;
	}
	const c = item(id) ?? { id, en: id, ko: "", privacy: "public" };
	const d = figures(id);
	const cat = categoryOf(id);
	s.dataset.contentId = id;

	const head = el("header", "screen-head");
	const titles = el("div", "titles");
	titles.append(el("p", "crumb", `${cat.ko} · ${cat.en}`),
	    el("h1", "title-ko", c.ko || c.en), el("p", "title-en", c.en));
	head.append(titles);
	if (c.privacy === "private")
		head.append(el("span", "private-chip", "비공개 · PRIVATE"));
	const parts = [head];

	if (id === "main") {
		const grid = el("div", "main-grid");
		grid.append(seoulMap(d.map ?? null, true));
		const side = el("div", "main-side");
		side.append(kpis(d.kpis ?? []));
		if (d.news) {
			const news = el("div", "news card");
			const h = el("h3", "card-title");
			h.append(el("span", "ko", "시정뉴스"), el("span", "en", "City news"), demoLabel());
			news.append(h);
			const ul = el("ul");
			for (const n of d.news) {
				const li = el("li");
				li.append(el("span", "ko", n.ko), el("span", "en", n.en));
				ul.append(li);
			}
			news.append(ul);
			side.append(news);
		}
		grid.append(side);
		parts.push(grid);
	} else {
		if (d.kpis?.length)
			parts.push(kpis(d.kpis));
		const row = el("div", "row");
		if (d.chart)
			row.append(chart(d.chart));
		if (d.map)
			row.append(seoulMap(d.map, false));
		if (d.documents)
			row.append(documentList(d.documents));
		if (d.note) {
			const n = el("div", "note card");
			n.append(el("p", "ko", d.note.ko), el("p", "en", d.note.en));
			row.append(n);
		}
		if (row.childElementCount)
			parts.push(row);
	}
	parts.push(plugNote(id));
	s.replaceChildren(...parts);
}

// Where real data plugs in: return the figures for one content id, in the
// shape of a demo-data.json entry.  This reference page returns the demo
// entry, or generic made-up figures for ids the demo file does not know.
function figures(id) {
	const d = demoFor(id);
	if (d && (d.kpis || d.chart || d.map || d.documents || d.note))
		return d;
	const r = (k, lo, hi) => Math.round(lo + (hi - lo) * hash(`${id}:${k}`));
	return {
		...(d ?? {}),
		kpis: [
			{ ko: "오늘 현황", en: "Today", value: r("a", 100, 999).toLocaleString("ko-KR"), unit: "건" },
			{ ko: "전주 대비", en: "vs last week", value: `+${r("b", 1, 15)}`, unit: "%" },
			{ ko: "목표 달성", en: "Target met", value: String(r("c", 50, 99)), unit: "%" },
		],
		chart: { ko: "월별 추이", en: "By month", unit: "건",
		    bars: ["1월", "2월", "3월", "4월", "5월", "6월"].map((m, i) => [m, r(`m${i}`, 20, 100)]) },
	};
}

/* ---- listening, utterance, cursor, pairing ---- */

let listenTimer;
function setListening(on) {
	body.dataset.listening = on ? "true" : "false";
	$("listening").textContent = on ? "듣는 중… · Listening…" : "“서울아” · Say “Hey Seoul”";
	clearTimeout(listenTimer);
	if (on)
		listenTimer = setTimeout(() => setListening(false), LISTEN_MAX_MS);
}

function cursorAt(m) {
	const c = $("cursor");
	const x = Math.min(1, Math.max(0, Number(m.x) || 0)) * innerWidth;
	const y = Math.min(1, Math.max(0, Number(m.y) || 0)) * innerHeight;
	c.hidden = false;
	body.dataset.cursor = "on";
	c.style.left = `${x}px`;
	c.style.top = `${y}px`;
	c.dataset.state = m.state ?? "move";
	if (m.state === "press")
		clickAt(x, y);
}

// What a press of the motion cursor does: the element under it is clicked
// (#cursor itself has pointer-events: none, so it is not "under" itself).
function clickAt(x, y) {
	const target = document.elementFromPoint(x, y);
	if (!target)
		return;
	const t = target.closest("[data-content-id]");
	if (t && !t.classList.contains("screen")) {
		activate(t.dataset.contentId);
		return;
	}
	target.closest("button, a, [data-action]")?.click();
}

let pairingTimer;
function pairing(m) {
	const p = $("pairing");
	clearInterval(pairingTimer);
	if (!m.code) {
		p.hidden = true;
		$("pairing-code").textContent = "";
		return;
	}
	$("pairing-code").textContent = m.code;
	$("pairing-name").textContent = m.name ? `“${m.name}”` : "";
	$("pairing-url").textContent = m.url ?? "";
	drawQr($("pairing-qr"), m.qr ?? []);
	p.hidden = false;
	let left = Number(m.expires) || 120;
	const tick = () => {
		$("pairing-expires").textContent = `${left}초 남음 · expires in ${left} s`;
		if (left-- <= 0) {
			clearInterval(pairingTimer);
			p.hidden = true;
		}
	};
	tick();
	pairingTimer = setInterval(tick, 1000);
}

// `qr`: one string of 0/1 per module row; a 4-module quiet zone around it.
function drawQr(canvas, rows) {
	const ctx = canvas.getContext("2d");
	ctx.fillStyle = "#fff";
	ctx.fillRect(0, 0, canvas.width, canvas.height);
	if (!rows.length)
		return;
	const n = rows.length + 8;
	const px = Math.floor(canvas.width / n);
	const off = Math.floor((canvas.width - px * rows.length) / 2);
	ctx.fillStyle = "#000";
	rows.forEach((row, y) => {
		for (let x = 0; x < row.length; x++)
			if (row[x] === "1")
				ctx.fillRect(off + x * px, off + y * px, px, px);
	});
}

/* ---- PDF viewer (pdf.js, loaded only when a document is opened) ---- */

let pdfjs = null;

async function loadPdfjs() {
	if (!pdfjs) {
		pdfjs = await import(PDFJS);
		pdfjs.GlobalWorkerOptions.workerSrc = PDFJS_WORKER;
	}
	return pdfjs;
}

async function openDocument(id) {
	const d = state.documents.find((x) => x.id === id);
	if (!d)
		return;
	let url = d.url || `/documents/${d.id}`;
	if (d.privacy === "private" && client.token)
		url += `${url.includes("?") ? "&" : "?"}token=${encodeURIComponent(client.token)}`;
	const v = { doc: null, page: 0, pages: 0, scale: 1, id, privacy: d.privacy };
	state.viewer = v;
	client.activity(true);	// the demo session pauses while it is read
	body.dataset.viewer = "open";
	$("viewer").hidden = false;
	$("viewer-title").textContent = d.title || d.id;
	$("pdf-error").hidden = true;
	$("pdf-page").textContent = "0";
	$("pdf-pages").textContent = "0";
	try {
		const lib = await loadPdfjs();
		// isEvalSupported: the page's CSP has no 'unsafe-eval'.
		v.doc = await lib.getDocument({ url, isEvalSupported: false }).promise;
		if (state.viewer !== v)
			return v.doc.destroy();
		v.pages = v.doc.numPages;
		$("pdf-pages").textContent = String(v.pages);
		await pdfPage(1);
	} catch (e) {
		$("pdf-error").textContent = `문서를 열 수 없습니다 · Cannot open this document (${e.message})`;
		$("pdf-error").hidden = false;
	}
	idle();
}

let rendering = Promise.resolve();
function pdfPage(n) {
	const v = state.viewer;
	if (!v?.doc)
		return Promise.resolve();
	n = Math.min(v.pages, Math.max(1, n));
	v.page = n;
	$("pdf-page").textContent = String(n);
	rendering = rendering.then(async () => {
		if (state.viewer !== v || v.page !== n)
			return;
		const page = await v.doc.getPage(n);
		const box = $("pdf-scroll");
		const base = page.getViewport({ scale: 1 });
		const fit = Math.min((box.clientWidth - 32) / base.width, (box.clientHeight - 32) / base.height);
		const vp = page.getViewport({ scale: fit * v.scale * devicePixelRatio });
		const canvas = $("pdf-canvas");
		canvas.width = Math.floor(vp.width);
		canvas.height = Math.floor(vp.height);
		canvas.style.width = `${Math.floor(vp.width / devicePixelRatio)}px`;
		canvas.style.height = `${Math.floor(vp.height / devicePixelRatio)}px`;
		await page.render({ canvas, canvasContext: canvas.getContext("2d"), viewport: vp }).promise;
	}).catch((e) => console.warn("pdf render", e));
	return rendering;
}

function pdfZoom(f) {
	const v = state.viewer;
	if (!v)
		return;
	v.scale = Math.min(4, Math.max(0.5, v.scale * f));
	pdfPage(v.page);
}

function closeViewer() {
	const v = state.viewer;
	if (!v)
		return;
	state.viewer = null;
	client.activity(false);
	v.doc?.destroy();
	body.dataset.viewer = "closed";
	$("viewer").hidden = true;
	$("pdf-page").textContent = "0";
}

/* ---- the daemon ---- */

function onHello(m) {
	state.catalogue = m.catalogue ?? [];
	state.controls = m.controls ?? [];
	state.documents = m.documents ?? [];
	state.mode = m.mode ?? "public";
	state.view = m.view ?? "public";
	state.history = [];
	if (state.viewer && !state.documents.some((d) => d.id === state.viewer.id))
		closeViewer();
	state.screen = m.screen || state.screen || "main";
	demoBadge(m.demo);
	if (state.viewer)	// reconnected while reading: still reading
		client.activity(true);
	setListening(false);
	render();
	idle();
}

client.on("open", () => {
	body.dataset.connected = "true";
	$("connection").textContent = "연결됨 · connected";
});
client.on("close", () => {
	body.dataset.connected = "false";
	$("connection").textContent = "재연결 중 · reconnecting";
	setListening(false);
});
client.on("hello", onHello);
client.on("wake", () => setListening(true));
client.on("intent", (m) => {
	setListening(false);
	if (m.text)
		$("utterance").textContent = `“${m.text}”`;
});
client.on("rejected", (m) => {
	setListening(false);
	if (m.text)
		$("utterance").textContent = `“${m.text}”`;
	const why = { "low-confidence": "잘 듣지 못했습니다", "no-command": "명령이 없습니다", timeout: "시간 초과" }[m.reason] ?? "";
	toast(`다시 말씀해 주세요 · Sorry? ${why ? `${why} · ` : ""}${m.reason ?? ""}${m.text ? ` — “${m.text}”` : ""}`, "rejected");
});
client.on("denied", (m) => {
	if (m.command === "private-mode" && m.cause) {
		verifyShow("failed", m);	// why and what to do, in the panel
		return;
	}
	const what = m.content ? label(m.content) : m.command ?? "";
	const why = m.reason === "face-verification-required" ? "얼굴 인증 필요 · face verification required"
	    : "공개 모드에서는 볼 수 없습니다 · not shown in public mode";
	toast(`${what}: ${why}`, "denied");
});
client.on("navigate", (m) => show(m.content));
client.on("command", (m) => command(m.command));
client.on("mode", (m) => {
	state.mode = m.mode === "private" ? "private" : "public";
	if (state.mode === "public" && state.viewer?.privacy === "private")
		closeViewer();
	render();
	idle();
});
client.on("engage", () => {
	$("cursor").hidden = false;
	body.dataset.cursor = "on";
	$("cursor").dataset.state = "move";
});
client.on("cursor", cursorAt);
client.on("disengage", () => {
	$("cursor").hidden = true;
	body.dataset.cursor = "off";
});
client.on("face", (m) => {
	const f = $("face");
	f.hidden = m.face !== "verified";
	f.textContent = `얼굴 인증 · ${m.name ?? "verified"}`;
});
client.on("pairing", pairing);
client.on("demo", demoBadge);

/* While the demo session is the room audio: say so, and how to stop it. */
function demoBadge(m) {
	const b = $("demo-badge");
	b.hidden = !m || m.state === "off";
	if (!m)
		return;
	b.dataset.state = m.state;
	b.textContent = m.state === "paused" ? "데모 일시정지 · Demo paused" : "데모 세션 · Demo session";
	b.title = `${m.why ? `${m.why}. ` : ""}Turn it off: ${m.hint ?? "demo = no"}`;
}

/* Private mode (docs/protocol.md "verify", "preview"): the button at the
 * bottom of a trusted wall, the room camera while the face is verified,
 * then the result, or why not and what to do. */
const VERIFY_STEP = { look: "카메라를 보세요 · Look at the camera",
    blink: "눈을 깜빡이세요 · Blink, or turn your head a little",
    confirm: "리모컨에서 확인하세요 · Confirm on the paired remote" };
const VERIFY_WHY = { "no-camera": "카메라 없음 · No camera configured",
    "not-enrolled": "등록된 얼굴 없음 · Face not enrolled", timeout: "시간 초과 · Timed out",
    "camera-gone": "카메라 끊김 · The camera is gone", "face-model-broken": "얼굴 모델 오류 · Face model broken",
    "face-gone": "얼굴이 사라짐 · The face left", "refused-on-remote": "리모컨에서 거부 · Refused on the remote",
    "confirm-late": "리모컨 확인 늦음 · Remote confirmation too late" };
let verifyTimer;
function verifyShow(what, m) {
	const v = $("verify");
	clearTimeout(verifyTimer);
	v.hidden = false;
	v.dataset.state = what;
	if (what === "started")
		$("verify-preview").hidden = true;
	if (what === "failed" || what === "refused") {
		$("verify-preview").hidden = true;
		const why = m.type === "denied" ? m.cause : m.reason;	// denied: reason is the older, coarser code
		$("verify-step").textContent = `✗ ${VERIFY_WHY[why] ?? why ?? "거부됨 · Refused"}`;
		$("verify-hint").textContent = m.hint ?? "";
		verifyTimer = setTimeout(() => { v.hidden = true; }, 12000);
	} else if (what === "verified") {
		$("verify-step").textContent = "✓ 인증됨 · Verified";
		$("verify-hint").textContent = "";
		verifyTimer = setTimeout(() => { v.hidden = true; }, 1500);
	} else {
		$("verify-step").textContent = VERIFY_STEP[m.step] ?? m.hint ?? "";
		$("verify-hint").textContent = VERIFY_STEP[m.step] ? "" : m.hint ?? "";
		verifyTimer = setTimeout(() => { v.hidden = true; }, 40000);
	}
}
client.on("verify", (m) => verifyShow(m.state, m));
client.on("preview", (m) => {
	if (client.view !== "trusted" || !m.data)
		return;
	const img = $("verify-preview");
	img.src = `data:image/${m.format ?? "jpeg"};base64,${m.data}`;
	img.hidden = false;
	if ($("verify").hidden || m.step !== $("verify").dataset.step)
		verifyShow("progress", m);
	$("verify").dataset.step = m.step ?? "";
});
$("verify").addEventListener("click", () => { $("verify").hidden = true; });
$("private-button").addEventListener("click", () => {
	const cmd = state.mode === "private" ? "public-mode" : "private-mode";
	client.request({ type: "select", command: cmd }).catch((e) => {
		if (e.code !== "denied")	// a refusal is shown from its events
			toast(`${cmd}: ${e.message ?? e.code}`, "error");
	});
});
/* The bookshelf (docs/shelf.md): a small status, and a taken book's document. */
client.on("shelf", (m) => {
	const b = $("shelf"), sh = client.shelf;
	const door = sh.door === "open" ? "서재 열림 · shelf open" : sh.door === "lost" ? "서재 센서 없음 · shelf sensor lost" : "";
	const books = [...sh.taken.values()].map((t) => `${t.ko} · ${t.en}`);
	b.textContent = [door, ...books].filter(Boolean).join(" — ");
	b.hidden = b.textContent === "";
	if (m.event === "taken" && m.document && m.url)
		openDocument(m.document);
	else if (m.event === "returned" && m.document && state.viewer?.id === m.document)
		closeViewer();
});

/* ---- local input: mouse / touch on the wall itself ---- */

document.addEventListener("click", (ev) => {
	const t = ev.target.closest("[data-content-id], [data-document-id], [data-action]");
	if (!t || t.classList.contains("screen"))
		return;
	if (t.dataset.documentId)
		openDocument(t.dataset.documentId);
	else if (t.dataset.contentId)
		activate(t.dataset.contentId);
	else {
		const a = t.dataset.action;
		if (a === "pdf-next") command("next");
		else if (a === "pdf-previous") command("previous");
		else if (a === "pdf-zoom-in") command("zoom-in");
		else if (a === "pdf-zoom-out") command("zoom-out");
		else if (a === "pdf-close") closeViewer();
	}
	idle();
});
document.addEventListener("keydown", (ev) => {
	const k = { ArrowRight: "next", ArrowLeft: "previous", Escape: "stop", Backspace: "back",
	    "+": "zoom-in", "-": "zoom-out", ArrowUp: "scroll-up", ArrowDown: "scroll-down" }[ev.key];
	if (k)
		command(k);
});

function clock() {
	const now = new Date();
	$("clock").textContent = now.toLocaleString("ko-KR", { month: "long", day: "numeric",
	    weekday: "short", hour: "2-digit", minute: "2-digit" });
}
clock();
setInterval(clock, 15000);

// Demo figures and the map, then the first render; the connection is
// already opening meanwhile (a hello that comes first is simply rendered).
async function init() {
	try {
		state.demo = await (await fetch("demo-data.json")).json();
	} catch (e) {
		console.warn("demo-data.json", e);
	}
	try {
		const txt = await (await fetch("seoul.svg")).text();
		const svg = new DOMParser().parseFromString(txt, "image/svg+xml").documentElement;
		if (svg.nodeName === "svg") {
			svg.querySelector("title")?.remove();
			mapTemplate = document.importNode(svg, true);
		}
	} catch (e) {
		console.warn("seoul.svg", e);
	}
	render();
	idle();
}
init();

// Conference rooms and calls (conference.js, docs/conference.md).
const conference = conferenceUI(client, { bar: document.querySelector(".voicebar"),
    screen: () => (state.viewer ? null : state.screen), toast });

// For debugging from the console (and browser tests): the client and state.
window.dashboard = { client, state, show, command, conference };
