// Remote for tablets and smartwatches (docs/dashboard.md, "The remote").
// A tap selects content for every display; the voice button streams the
// microphone to the daemon.  A device must be paired first.

import { connect } from "/js/smartoffice.js";
import { el } from "/dom.js";

const TOKEN_KEY = "smartoffice.token.remote";
const USAGE_KEY = "smartoffice.remote.usage";
const NAME_KEY = "smartoffice.remote.name";
const RESULT_MS = 5000;
const HOLD_MS = 350;		// a longer press is push-to-talk, a shorter one toggles
const FAVOURITES = ["main", "transportation", "air-quality", "disaster-safety",
    "approval-documents", "living-population"];

const $ = (id) => document.getElementById(id);
const body = document.body;
const watch = () => matchMedia("(max-width: 320px)").matches;

function store(key, value) {
	try { localStorage.setItem(key, value); } catch { /* memory only */ }
}
function load(key) {
	try { return localStorage.getItem(key); } catch { return null; }
}

// "#pair=CODE" comes from the QR code on the wall: use it once.
const hash = new URLSearchParams(location.hash.slice(1));
let pendingCode = /^\d{6}$/.test(hash.get("pair") ?? "") ? hash.get("pair") : null;
// "#token=T" (from `smartofficed tokens add --role remote`): keep it, then
// take it out of the address bar.
const hashToken = hash.get("token") || undefined;
if (hashToken)
	store(TOKEN_KEY, hashToken);
if (hash.has("pair") || hash.has("token"))
	history.replaceState(null, "", location.pathname + location.search);

const defaultName = load(NAME_KEY) || (watch() ? "Smartwatch" : matchMedia("(max-width: 600px)").matches ? "Phone" : "Tablet");
$("pair-name").value = defaultName;

const client = connect({ role: "remote", name: defaultName, storageKey: TOKEN_KEY, token: hashToken });
let catalogue = [];
let icons = {};	// short glyphs from the dashboard's demo-data.json, if any
fetch("/demo-data.json").then((r) => r.json()).then((d) => {
	for (const [id, v] of Object.entries(d.content ?? {}))
		if (v.icon)
			icons[id] = v.icon;
	renderGrid();
}).catch(() => {});

let resultTimer;
function result(text, kind = "ok", sticky = false) {
	const r = $("result");
	r.textContent = text;
	r.dataset.result = kind;
	r.hidden = false;
	clearTimeout(resultTimer);
	if (!sticky)
		resultTimer = setTimeout(() => { r.hidden = true; }, RESULT_MS);
}

function label(id) {
	const c = catalogue.find((x) => x.id === id);
	return c ? `${c.ko ?? ""} ${c.en}`.trim() : id;
}

function explain(e) {
	switch (e.code) {
	case "unauthorized": return "먼저 기기를 연결하세요 · Pair this device first";
	case "denied": return `공개 모드에서 불가 · Not allowed now${e.reply?.reason ? ` (${e.reply.reason})` : ""}`;
	case "bad-pairing-code": return "코드가 틀렸거나 만료됨 · Wrong or expired code";
	case "unknown-type": return "이 데몬은 지원하지 않음 · Not supported by this daemon (protocol v1)";
	case "disconnected": return "연결 끊김 · Not connected";
	case "busy": return "다른 기기가 음성 사용 중 · Another voice stream is running";
	case "rate-limited": return "너무 빠름 · Too many taps";
	case "no-microphone": return e.message?.includes("https")
		? "마이크 사용 불가 · Microphone unavailable (needs https or localhost)"
		: "마이크가 없습니다 · No microphone on this device: use the buttons";
	case "microphone-denied": return "마이크 권한 없음 · Microphone not allowed: allow it in the browser settings";
	case "microphone-busy": return "마이크 사용 중 · The microphone is busy or failed: close other apps and try again";
	case "unknown-content": return `설정에 없음 · Not in the office's set-up${e.message && e.message !== e.code ? ` (${e.message})` : ""}`;
	case "missing-uri": return `연결 주소 없음 · No link of that kind${e.message && e.message !== e.code ? ` (${e.message})` : ""}`;
	case "bad-request": return e.message && e.message !== e.code ? e.message : "잘못된 요청 · Bad request";
	default: return typeof e.code === "string" ? `${e.code}${e.message && e.message !== e.code ? `: ${e.message}` : ""}`
		: e.message || String(e);	// never a bare DOMException number
	}
}

function usage() {
	try { return JSON.parse(load(USAGE_KEY) ?? "{}") ?? {}; } catch { return {}; }
}

function countUse(id) {
	const u = usage();
	u[id] = (u[id] ?? 0) + 1;
	store(USAGE_KEY, JSON.stringify(u));
}

// The six most used ids (ties: the favourites, then catalogue order).
function top6() {
	const u = usage();
	const rank = (id) => (FAVOURITES.includes(id) ? 100 - FAVOURITES.indexOf(id) : 0) / 1000;
	return [...catalogue].sort((a, b) => ((u[b.id] ?? 0) + rank(b.id)) - ((u[a.id] ?? 0) + rank(a.id)))
	    .slice(0, 6).map((c) => c.id);
}

function renderGrid() {
	const top = new Set(top6());
	const order = watch() ? [...catalogue].sort((a, b) => top.has(b.id) - top.has(a.id)) : catalogue;
	$("grid").replaceChildren(...order.map((c) => {
		const b = document.createElement("button");
		b.type = "button";
		b.className = "icon";
		b.dataset.contentId = c.id;
		b.dataset.privacy = c.privacy ?? "public";
		if (top.has(c.id))
			b.dataset.top = "true";
		const i = document.createElement("span");
		i.className = "icon-glyph";
		i.textContent = icons[c.id] ?? (c.ko || c.en || c.id).slice(0, 1);
		const ko = document.createElement("span");
		ko.className = "icon-ko";
		ko.textContent = c.ko ?? "";
		const en = document.createElement("span");
		en.className = "icon-en";
		en.textContent = c.en ?? c.id;
		b.append(i, ko, en);
		return b;
	}));
}

function setPaired(on) {
	body.dataset.paired = on ? "true" : "false";
	$("pair-panel").hidden = on;
	$("unpair").hidden = !on;
	$("typed-form").hidden = !on;
	if (!on)	// until a trusted hello lists the office again
		$("office").hidden = $("now").hidden = true;
}

// A typed command takes the path speech takes (docs/admin.md).
$("typed-form").addEventListener("submit", async (ev) => {
	ev.preventDefault();
	const text = $("typed").value.trim();
	if (!text)
		return;
	result(`${text} …`, "pending", true);
	try {
		const m = await client.typed(text);
		if (m.result === "command") {
			result(`✓ ${label(m.content ?? m.command)}`, "ok");
			$("typed").value = "";
		} else
			result(`✗ 명령이 없습니다 · Nothing matches “${text}”`, "error");
	} catch (e) {
		result(`✗ ${text}: ${explain(e)}`, "error");
	}
});

let privateWhy = "";	// the last private-mode refusal (a denied event's cause + hint)
async function select(id, what) {
	result(`${what} …`, "pending", true);
	try {
		await client.select(id);
		if (!client.isControl(id))
			countUse(id);
		if (!(id === "private-mode" && body.dataset.verify === "running"))	// its progress stays
			result(`✓ ${what}`, "ok");
	} catch (e) {
		if (id === "private-mode" && e.code === "denied" && privateWhy)
			result(privateWhy, "error", true);	// the refusal's why and what to do
		else
			result(`✗ ${what}: ${explain(e)}`, "error");
	}
}

async function pairRequest() {
	const name = $("pair-name").value.trim().slice(0, 64) || defaultName;
	store(NAME_KEY, name);
	client.name = name;
	try {
		const r = await client.pairRequest(name);
		result(`벽 화면의 코드를 입력하세요 · Enter the code shown on the wall (${r.expires ?? 120} s)`, "ok", true);
		$("pair-code").focus();
	} catch (e) {
		result(explain(e), "error");
	}
}

async function pair(code) {
	code = String(code).replace(/\D/g, "");
	if (code.length !== 6) {
		result("6자리 코드 · Six digits, please", "error");
		return;
	}
	result("연결 중 … · Pairing …", "pending", true);
	try {
		await client.pair(code);
		setPaired(true);
		$("pair-code").value = "";
		result("✓ 연결됨 · Paired", "ok");
	} catch (e) {
		result(explain(e), "error");
	}
}

/* ---- voice: press and hold to talk, or tap to start and tap to stop ---- */

let pressAt = 0;
let starting = null;

async function voiceStart() {
	body.dataset.voice = "starting";
	$("voice-label").textContent = "준비 중 · Starting";
	starting = client.startVoice();
	try {
		await starting;
		body.dataset.voice = "listening";
		$("voice-label").textContent = "듣는 중 · Listening";
		result("듣는 중… 말씀하세요 · Listening… say a screen name", "listening", true);
	} catch (e) {
		body.dataset.voice = "idle";
		$("voice-label").textContent = "말하기 · Speak";
		result(explain(e), "error");
	} finally {
		starting = null;
	}
}

async function voiceStop() {
	if (starting)
		await starting.catch(() => {});
	if (body.dataset.voice !== "listening")
		return;
	body.dataset.voice = "stopping";
	$("voice-label").textContent = "인식 중 · Recognizing";
	result("인식 중… · Recognizing…", "pending", true);
	try {
		const r = await client.stopVoice();
		if (r.result === "command") {
			const what = r.content ? label(r.content) : r.command;
			result(`“${r.text ?? ""}” → ${what}`, "recognized");
			if (r.content)
				countUse(r.content);
		} else {
			result(`다시 말씀해 주세요 · Sorry? (${r.reason ?? "rejected"})${r.text ? ` “${r.text}”` : ""}`, "rejected");
		}
	} catch (e) {
		result(explain(e), "error");
	} finally {
		body.dataset.voice = "idle";
		$("voice-label").textContent = "말하기 · Speak";
	}
}

const voice = $("voice");
voice.addEventListener("pointerdown", (ev) => {
	ev.preventDefault();
	if (body.dataset.voice === "idle") {
		pressAt = performance.now();
		voiceStart();
	} else {
		pressAt = 0;
		voiceStop();
	}
});
voice.addEventListener("pointerup", () => {
	if (pressAt && performance.now() - pressAt >= HOLD_MS)
		voiceStop();
	pressAt = 0;
});
voice.addEventListener("keydown", (ev) => {
	if (ev.key !== "Enter" && ev.key !== " ")
		return;
	ev.preventDefault();
	if (!ev.repeat)
		body.dataset.voice === "idle" ? voiceStart() : voiceStop();
});
voice.addEventListener("contextmenu", (ev) => ev.preventDefault());

/* ---- taps ---- */

document.addEventListener("click", (ev) => {
	const t = ev.target.closest("[data-content-id], [data-command], [data-action]");
	if (!t)
		return;
	if (t.dataset.contentId)
		select(t.dataset.contentId, label(t.dataset.contentId));
	else if (t.dataset.command === "private-mode" && body.dataset.mode === "private")
		select("public-mode", "공개 · Public");	// the same button turns it off
	else if (t.dataset.command)
		select(t.dataset.command, t.textContent.replace(/\s+/g, " ").trim());
	else if (t.dataset.action === "main")
		select("main", label("main"));
});
$("pair-request").addEventListener("click", pairRequest);
$("pair-form").addEventListener("submit", (ev) => {
	ev.preventDefault();
	pair($("pair-code").value);
});
$("unpair").addEventListener("click", () => {
	client.forget();
	setPaired(false);
	client.ws?.close();	// reconnects with the public view
});
matchMedia("(max-width: 320px)").addEventListener("change", renderGrid);

/* ---- rooms, calls and the TV (docs/conference.md) ----
 * What the office offers (the trusted hello's office and briefing) and what
 * runs now (its conference and tv, then the conference, call and tv events):
 * the buttons show it, the daemon routes every tap. */

const office = { rooms: [], departments: [], tvRoom: null, briefing: [] };
let running = { state: "idle" };	// "started" (room, target) or "call" (kind, department, uri, context)
let selectedRoom = null;
let tvNow = null;	// { document: {id, title}, page } while the TV shows one
let screen = "";	// the screen shown now: the context of a call

const named = (x) => `${x.ko ? `${x.ko} · ` : ""}${x.en ?? x.id}`;
const tvShown = () => office.briefing.length > 0 || !!office.tvRoom;

function renderOffice() {
	const trusted = body.dataset.paired === "true";
	$("office").hidden = !trusted || (!office.rooms.length && !office.departments.length && !tvShown());
	const room = running.state === "started" ? running.room : null;
	const call = running.state === "call" ? running : null;
	body.dataset.conference = room ? "conference" : call ? "call" : "idle";
	body.dataset.tv = tvNow ? "open" : "closed";

	// What runs now, and one end button for it (the watch keeps only this).
	$("now").hidden = !trusted || (!room && !call);
	$("now").dataset.now = body.dataset.conference;
	$("now-text").textContent = room
	    ? `회의 중 · In conference: ${named(room)}${running.target === "tv" ? " (TV)" : ""}`
	    : call ? `통화 중 · ${call.kind === "video" ? "Video" : "Voice"} call: ${named(call.department)}${call.context ? ` (${label(call.context)})` : ""}`
	    : "";
	const dial = call && !call.uri.startsWith("https://") ? call.uri : "";	// tel:, sip: (this device's phone)
	$("now-dial").hidden = !dial;
	if (dial)
		$("now-dial").href = dial;

	$("conference-section").hidden = !office.rooms.length;
	$("rooms").replaceChildren(...office.rooms.map((r) => {
		const b = el("button", "row room");
		b.type = "button";
		b.dataset.room = r.id;
		const on = room?.id === r.id;
		b.setAttribute("aria-pressed", String(on));
		if (on)
			b.dataset.running = "true";
		if (selectedRoom === r.id)
			b.dataset.selected = "true";
		b.append(el("span", "row-name", named(r)), el("span", "row-go", on ? "진행 중 · Running" : "시작 · Start"));
		return b;
	}));
	$("conference-end").disabled = !room;

	$("call-section").hidden = !office.departments.length;
	// The departments answering for the screen shown now come first.
	const here = (d) => (d.contexts ?? []).includes(screen);
	const depts = [...office.departments].sort((a, b) => here(b) - here(a));
	$("departments").replaceChildren(...depts.map((d) => {
		const row = el("div", "row dept");
		row.dataset.department = d.id;
		const name = el("span", "row-name", named(d));
		if (here(d)) {
			row.dataset.here = "true";
			name.append(el("span", "row-note", `이 화면 담당 · For ${label(screen)}`));
		}
		row.append(name);
		for (const kind of ["video", "voice"]) {
			const b = el("button", `call-${kind}`, kind === "video" ? "영상 · Video" : "음성 · Voice");
			b.type = "button";
			b.dataset.call = kind;
			b.dataset.department = d.id;
			b.disabled = !d[kind];
			if (!d[kind])
				b.title = kind === "video" ? "no video link for this department" : "no voice number for this department";
			if (call?.department?.id === d.id && call.kind === kind)
				b.dataset.running = "true";
			row.append(b);
		}
		return row;
	}));
	$("call-end").disabled = !call;

	$("tv-section").hidden = !tvShown();
	$("tv-now").textContent = tvNow
	    ? `${tvNow.document.title ?? tvNow.document.id} · ${tvNow.page} 쪽 · page ${tvNow.page}`
	    : "목록 · The TV shows its folder";
	$("tv-docs").replaceChildren(...office.briefing.map((doc) => {
		const b = el("button", "row doc");
		b.type = "button";
		b.dataset.doc = doc.id;
		if (tvNow?.document.id === doc.id)
			b.dataset.open = "true";
		b.append(el("span", "row-name", doc.title), el("span", "row-go", "TV에서 열기 · Open on the TV"));
		return b;
	}));
	for (const b of document.querySelectorAll("[data-tv]"))
		b.disabled = !tvNow;
	$("tv-meeting").hidden = !office.tvRoom;
	$("tv-meeting").disabled = room?.id === office.tvRoom && running.target === "tv";
}

function officeAsk(what, p) {
	result(`${what} …`, "pending", true);
	p.then(() => result(`✓ ${what}`, "ok"), (e) => result(`✗ ${what}: ${explain(e)}`, "error"));
}

function officeClick(ev) {
	const t = ev.target.closest("button");
	if (!t || t.disabled)
		return;
	const room = (id) => office.rooms.find((r) => r.id === id);
	const dept = (id) => office.departments.find((d) => d.id === id);
	if (t.dataset.room)
		officeAsk(`회의 시작 · Start ${named(room(t.dataset.room))}`, client.conference("start", t.dataset.room));
	else if (t.dataset.call)	// no context: the daemon takes the screen shown now
		officeAsk(`${t.dataset.call === "video" ? "영상통화 · Video call" : "음성통화 · Voice call"}: ${named(dept(t.dataset.department))}`,
		    client.call(t.dataset.call, t.dataset.department));
	else if (t.id === "conference-end" || (t.id === "now-end" && running.state === "started"))
		officeAsk("회의 종료 · End the conference", client.conference("end"));
	else if (t.id === "call-end" || t.id === "now-end")
		officeAsk("통화 종료 · End the call", client.endCall());
	else if (t.dataset.doc)
		officeAsk(`TV: ${office.briefing.find((d) => d.id === t.dataset.doc)?.title ?? t.dataset.doc}`,
		    client.tv("open", { document: t.dataset.doc }));
	else if (t.dataset.tv)
		officeAsk(`TV: ${t.textContent.replace(/\s+/g, " ").trim()}`, client.tv(t.dataset.tv));
	else if (t.id === "tv-meeting")
		officeAsk("TV: 회의 시작 · Start the meeting", client.tv("meeting"));
}
$("office").addEventListener("click", officeClick);
$("now").addEventListener("click", officeClick);

client.on("navigate", (m) => {
	screen = m.content ?? screen;
	renderOffice();
});
client.on("conference", (m) => {
	if (m.state === "picker" && m.selected)
		selectedRoom = m.selected;
	else if (m.state === "selected")
		selectedRoom = m.room?.id ?? null;
	else if (m.state === "started") {
		running = { state: "started", room: m.room, target: m.target };
		selectedRoom = m.room?.id ?? selectedRoom;
	} else if (m.state === "ended" && running.state === "started")
		running = { state: "idle" };
	renderOffice();
});
client.on("call", (m) => {
	if (m.state === "started")
		running = { state: "call", kind: m.kind, department: m.department, uri: m.uri ?? "", context: m.context };
	else if (m.state === "ended" && running.state === "call")
		running = { state: "idle" };
	renderOffice();
});
client.on("tv", (m) => {
	if (m.state === "document")
		tvNow = { document: m.document, page: m.page ?? 1 };
	else if (m.state === "page" && tvNow?.document.id === m.document)
		tvNow.page = m.page;
	else if (m.state === "closed")
		tvNow = null;
	renderOffice();
});

// The hello resets it all: what this view may see, and what runs now.
function officeHello(m) {
	const o = m.view === "trusted" ? m.office : null;
	office.rooms = o?.rooms ?? [];
	office.departments = o?.departments ?? [];
	office.tvRoom = o?.tv_room ?? null;
	office.briefing = m.view === "trusted" ? m.briefing ?? [] : [];
	const c = m.view === "trusted" ? m.conference : null;
	running = c?.state === "started" ? { state: "started", room: c.room, target: c.target }
	    : c?.state === "call" ? { state: "call", kind: c.kind, department: c.department, uri: c.uri ?? "", context: c.context }
	    : { state: "idle" };
	tvNow = m.view === "trusted" && m.tv?.document ? { document: m.tv.document, page: m.tv.page ?? 1 } : null;
	screen = m.screen ?? "";
	renderOffice();
}

/* ---- the daemon ---- */

client.on("open", () => { body.dataset.connected = "true"; });
client.on("close", () => {
	body.dataset.connected = "false";
	if (body.dataset.voice !== "idle") {
		body.dataset.voice = "idle";
		$("voice-label").textContent = "말하기 · Speak";
	}
});
client.on("hello", (m) => {
	catalogue = m.catalogue ?? [];
	renderGrid();
	setPaired(m.view === "trusted");
	setMode(m.mode);
	officeHello(m);
	// A v1 daemon's hello has no id; only act on the answer to ours, so the
	// code is not sent before the daemon knows who we are.
	if (pendingCode && m.id !== undefined && m.view !== "trusted") {
		const code = pendingCode;
		pendingCode = null;
		$("pair-code").value = code;
		pair(code);
	} else if (pendingCode && m.view === "trusted") {
		pendingCode = null;
	}
});
client.on("mode", (m) => { setMode(m.mode); $("confirm").hidden = true; });
// The second factor (private_confirm = remote): the face was verified on
// the room camera; this paired device confirms or refuses.
client.on("verify", (m) => {
	$("confirm").hidden = m.state !== "confirm";
	body.dataset.confirm = m.state === "confirm" ? "asked" : "";
	body.dataset.verify = m.state === "started" || m.state === "progress" ? "running" : m.state;
	// private mode's progress, and a refusal's why and what to do
	if (m.state === "started" || m.state === "progress")
		result(m.step === "blink" ? "눈을 깜빡이세요 · Blink, or turn your head" : "카메라를 보세요 · Look at the camera",
		    "pending", true);
	else if (m.state === "verified")
		result("✓ 얼굴 인증 · Face verified", "ok");
	else if ((m.state === "failed" || m.state === "refused") && m.reason)
		result(`✗ ${m.reason}: ${m.hint ?? ""}`, "error", true);
});
client.on("denied", (m) => {
	privateWhy = m.command === "private-mode" && m.cause ? `✗ ${m.cause}: ${m.hint ?? ""}` : "";
	if (privateWhy)
		result(privateWhy, "error", true);
});
for (const [id, accept] of [["confirm-yes", true], ["confirm-no", false]])
	$(id).addEventListener("click", () => {
		$("confirm").hidden = true;
		client.request({ type: "confirm", accept }).then(
			() => result(accept ? "✓ 비공개 모드 · Private mode" : "거부됨 · Refused"),
			(e) => result(e.message ?? String(e), "error"));
	});
client.on("error", (m) => {
	if (m.id === undefined && m.code !== "unknown-type")
		result(explain({ code: m.code, message: m.message }), "error");
});
client.on("paired", () => setPaired(true));

function setMode(mode) {
	body.dataset.mode = mode === "private" ? "private" : "public";
	$("mode").textContent = mode === "private" ? "PRIVATE 비공개" : "PUBLIC 공개";
	$("private-mode").querySelector("span").textContent = mode === "private" ? "공개 · Public" : "비공개 · Private";
}

// A v1 daemon never answers our hello with a hello: submit a pending
// code anyway after a moment (it will say pairing is not supported).
setTimeout(() => {
	if (pendingCode && client.connected) {
		const code = pendingCode;
		pendingCode = null;
		$("pair-code").value = code;
		pair(code);
	}
}, 3000);

// For debugging from the console (and browser tests).
window.remote = { client };
