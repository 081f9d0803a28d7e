// Admin page (docs/admin.md): the daemon's devices, recognizer, clients,
// paired devices and audit log, refreshed every second; revoke and rename
// devices, run a typed command, switch the demo session, see the camera,
// enroll a face from the room camera.
// Every action here is also on the command line (smartofficed admin ...,
// smartofficed tokens ...).

import { connect } from "/js/smartoffice.js";

const TOKEN_KEY = "smartoffice.token.admin";
const REFRESH_MS = 1000;
const $ = (id) => document.getElementById(id);

const hash = new URLSearchParams(location.hash.slice(1));
const hashToken = hash.get("token") || undefined;
if (hash.has("token"))
	history.replaceState(null, "", location.pathname + location.search);

const client = connect({ role: "admin", name: "admin page", storageKey: TOKEN_KEY, token: hashToken });
let last = null;
let toastTimer;

function toast(text) {
	const t = $("toast");
	t.textContent = text;
	t.hidden = false;
	clearTimeout(toastTimer);
	toastTimer = setTimeout(() => { t.hidden = true; }, 4000);
}

function cell(tr, text, cls) {
	const td = document.createElement("td");
	td.textContent = text ?? "";
	if (cls)
		td.className = cls;
	tr.append(td);
	return td;
}

function fill(tableId, rows, render) {
	const tb = $(tableId).querySelector("tbody");
	tb.replaceChildren(...rows.map((r) => {
		const tr = document.createElement("tr");
		render(tr, r);
		return tr;
	}));
}

const clock = (iso) => (iso ?? "").replace(/^\d{4}-\d\d-\d\dT/, "").replace(/\.\d+.*$/, "");

function render(st) {
	last = st;
	document.body.dataset.admin = "true";
	$("screen").textContent = st.screen;
	$("mode").textContent = st.mode.toUpperCase();
	$("mode").classList.toggle("private", st.mode === "private");
	fill("devices", Object.entries(st.devices), (tr, [name, d]) => {
		cell(tr, name.replace("_", " "));
		cell(tr, d.state, `state-${d.state}`);
		cell(tr, d.spec || "—");
		cell(tr, [d.reason, d.fps != null ? `${d.fps} fps` : "", d.since ? `since ${clock(d.since)}` : ""]
		    .filter(Boolean).join(" · "));
	});
	const sp = st.speech;
	const lv = sp.level_db;
	$("level").value = lv ?? -90;
	$("level-db").textContent = lv != null ? `${lv.toFixed(1)} dBFS` : "–";
	const kv = [["engine", sp.engine], ["heads", sp.heads], ["heads version", sp.heads_version],
	    ["catalogue", sp.catalogue], ...Object.entries(sp.models ?? {}).map(([k, v]) => [`${k} sha256`, v.slice(0, 16) + "…"])];
	$("speech").replaceChildren(...kv.flatMap(([k, v]) => {
		const dt = document.createElement("dt"), dd = document.createElement("dd");
		dt.textContent = k;
		dd.textContent = v ?? "—";
		return [dt, dd];
	}));
	fill("utterances", [...st.utterances].reverse(), (tr, u) => {
		cell(tr, clock(u.time));
		cell(tr, u.source);
		cell(tr, u.result);
		cell(tr, u.id);
		cell(tr, u.text);
		cell(tr, u.confidence != null ? u.confidence.toFixed(3) : "");
	});
	fill("clients", st.clients, (tr, c) => {
		cell(tr, c.id);
		cell(tr, c.role);
		cell(tr, c.name);
		cell(tr, c.view);
		cell(tr, c.address);
		cell(tr, `${Math.round(c.connected_s)} s`);
		cell(tr, c.token_id);
	});
	fill("paired", st.paired, (tr, p) => {
		tr.dataset.token = p.id;
		cell(tr, p.id);
		cell(tr, p.role);
		const nameTd = cell(tr, p.name);
		nameTd.className = "name";
		cell(tr, p.created);
		cell(tr, p.connected > 0 ? `now (${p.connected})` : p.last_seen ? clock(p.last_seen) : "—");
		const td = cell(tr, "");
		const ren = document.createElement("button");
		ren.className = "btn rename";
		ren.textContent = "이름 변경 · Rename";
		ren.onclick = async () => {
			const name = prompt(`New name for ${p.id}`, p.name);
			if (name == null || name === p.name)
				return;
			try { await client.rename(p.id, name); toast(`renamed ${p.id}`); refresh(); } catch (e) { toast(e.message); }
		};
		const rev = document.createElement("button");
		rev.className = "btn danger revoke";
		rev.textContent = "해지 · Revoke";
		rev.onclick = async () => {
			try { await client.revoke(p.id); toast(`revoked ${p.id} "${p.name}"`); refresh(); } catch (e) { toast(e.message); }
		};
		td.append(ren, " ", rev);
	});
	fill("audit", [...st.audit].reverse(), (tr, a) => {
		cell(tr, clock(a.time));
		cell(tr, a.what);
		cell(tr, a.detail);
		cell(tr, a.source);
		cell(tr, a.by);
	});
	const demo = st.demo;
	$("demo-state").textContent = demo.source ? demo.state : "not the audio";
	$("demo-state").className = `pill ${demo.state}`;
	$("demo-why").textContent = demo.why ?? (demo.source ? "" : "the room audio is not the demo session");
	$("demo-toggle").textContent = demo.on ? "끄기 · Turn off" : "켜기 · Turn on";
	$("demo-toggle").disabled = !demo.source;
	// A daemon that says which enrollment runs: a page opened during one
	// shows it (the events that follow fill in the rest).
	if (st.enroll && !enroll.running)
		enrollStep({ state: "pose", name: st.enroll.name, pose: st.enroll.pose, got: st.enroll.got,
		    need: st.enroll.need });
	enrollButtons();
}

async function refresh() {
	if (!client.connected || client.view !== "trusted")
		return;
	try {
		render(await client.adminStatus());
	} catch (e) {
		if (e.code === "unauthorized")
			document.body.dataset.admin = "false";
	}
}

client.on("open", () => { document.body.dataset.connected = "true"; });
client.on("close", () => { document.body.dataset.connected = "false"; enrollButtons(); });
client.on("hello", (h) => {
	document.body.dataset.admin = String(h.view === "trusted" && h.role === "admin");
	enrollButtons();
	refresh();
});
// Events move the screen: refresh at once rather than at the next tick.
for (const t of ["navigate", "mode", "command", "intent", "rejected", "mic", "camera", "demo"])
	client.on(t, () => setTimeout(refresh, 50));
// The room camera's next frame (admin-snapshot), for the Devices panel's
// button ("devices") or the running enrollment ("enroll"): each asker's
// picture gets it.  The daemon sends one frame per request round.
const snapWant = new Set();
const SNAP_TARGETS = { devices: ["snapshot", "snap-note"], enroll: ["enroll-cam", null] };

async function askSnapshot(who) {
	const note = SNAP_TARGETS[who][1];
	snapWant.add(who);
	try {
		await client.snapshot();
		if (note)
			$(note).textContent = "…";
	} catch (e) {
		snapWant.delete(who);
		if (note)
			$(note).textContent = e.message;
	}
}

client.on("admin-snapshot", (m) => {
	for (const who of snapWant.size ? snapWant : ["devices"]) {
		const [imgId, note] = SNAP_TARGETS[who];
		const img = $(imgId);
		img.src = `data:image/jpeg;base64,${m.jpeg}`;
		img.hidden = false;
		if (note)
			$(note).textContent = `${m.w}×${m.h}, t = ${m.t.toFixed(2)} s`;
	}
	snapWant.clear();
});
setInterval(refresh, REFRESH_MS);

$("typed-form").addEventListener("submit", async (ev) => {
	ev.preventDefault();
	const text = $("typed").value.trim();
	if (!text)
		return;
	const r = $("typed-result");
	try {
		const m = await client.typed(text);
		r.dataset.result = m.result === "command" ? "ok" : "bad";
		r.textContent = m.result === "command" ? `→ ${m.content ?? m.command}` : `nothing matches "${m.words}"`;
		refresh();
	} catch (e) {
		r.dataset.result = "bad";
		r.textContent = e.message;
	}
});

$("demo-toggle").addEventListener("click", async () => {
	try { await client.demo(!last?.demo?.on); refresh(); } catch (e) { toast(e.message); }
});

$("snap").addEventListener("click", () => askSnapshot("devices"));

// ---- face enrollment from the room camera (enroll, enroll-cancel and the
// enroll events: docs/protocol.md, docs/faces.md "Enrollment through the
// daemon").  Whoever started it (this page, another, smartofficed admin
// enroll), every admin page follows it.

const POSES = { straight: "정면 · straight", left: "왼쪽 · left", right: "오른쪽 · right",
    up: "위 · up", down: "아래 · down" };
const NAME_RE = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,62}$/;
const ENROLL_SNAP_MS = 1000;
// running: an enrollment runs (name); poses: the ones asked, in order, as
// {pose, got, need, skipped}; pose: the one asked now
const enroll = { running: false, name: "", pose: "", poses: [] };
let enrollTimer = null;

function enrollButtons() {
	const ok = client.connected && document.body.dataset.admin === "true";
	$("enroll-start").disabled = !ok || enroll.running || !NAME_RE.test($("enroll-name").value.trim());
	$("enroll-cancel").disabled = !ok || !enroll.running;
	$("enroll-name").disabled = enroll.running;
}

function enrollResult(text, result) {
	const r = $("enroll-result");
	r.textContent = text;
	if (result)
		r.dataset.result = result;
	else
		delete r.dataset.result;
}

function posesRender() {
	$("enroll-poses").replaceChildren(...enroll.poses.map((p) => {
		const li = document.createElement("li");
		li.dataset.pose = p.pose;
		li.className = p.skipped != null ? "skipped" : p.got >= p.need ? "full" : p.pose === enroll.pose ? "now" : "";
		const name = document.createElement("span");
		name.className = "pose";
		name.textContent = POSES[p.pose] ?? p.pose;
		const got = document.createElement("span");
		got.className = "got";
		got.textContent = p.skipped != null ? `건너뜀 · skipped: ${p.skipped}` : `${p.got} / ${p.need}`;
		li.append(name, " ", got);
		if (p.skipped == null) {
			const m = document.createElement("meter");
			m.min = 0;
			m.max = p.need;
			m.value = p.got;
			li.append(m);
		}
		return li;
	}));
}

function poseOf(name) {
	let p = enroll.poses.find((q) => q.pose === name);
	if (!p) {
		p = { pose: name, got: 0, need: 0, skipped: null };
		enroll.poses.push(p);
	}
	return p;
}

function enrollBegin(name) {
	Object.assign(enroll, { running: true, name, pose: "", poses: [] });
	$("enroll-who").textContent = `${name} 등록 중 · enrolling ${name}`;
	$("enroll-say").textContent = "";
	$("enroll-cam").hidden = true;
	$("enroll").hidden = false;
	enrollResult("");
	clearInterval(enrollTimer);
	enrollTimer = setInterval(() => askSnapshot("enroll"), ENROLL_SNAP_MS);
	askSnapshot("enroll");
}

function enrollEnd() {
	enroll.running = false;
	enroll.pose = "";
	clearInterval(enrollTimer);
	enrollTimer = null;
	snapWant.delete("enroll");
	$("enroll-say").textContent = "";
	$("enroll-who").textContent = `${enroll.name}: 끝 · over`;
}

// One enroll event.
function enrollStep(ev) {
	const st = ev.state;
	if (st === "failed" && enroll.running && ev.name !== enroll.name)
		return;	// a refused second one (the camera's own check): the running one goes on
	if (!enroll.running && (st === "started" || st === "pose" || st === "progress" || st === "skipped"))
		enrollBegin(ev.name);
	if (st === "started" || st === "pose") {
		enroll.pose = ev.pose;
		const p = poseOf(ev.pose);
		p.got = ev.got ?? 0;
		p.need = ev.need ?? p.need;
		if (ev.say)
			$("enroll-say").textContent = ev.say;
		else if (!$("enroll-say").textContent)	// admin-status has no words
			$("enroll-say").textContent = POSES[ev.pose] ?? ev.pose;
	} else if (st === "progress") {
		const p = poseOf(ev.pose);
		p.got = ev.got;
		p.need = ev.need;
	} else if (st === "skipped") {
		poseOf(ev.pose).skipped = ev.reason ?? "";
	} else if (st === "done") {
		enrollEnd();
		enrollResult(`${ev.name} 등록 완료 · enrolled ${ev.name}: ${ev.images} images, descriptor ${ev.descriptor}; `
		    + (ev.unlocks ? "이 얼굴로 개인 모드 해제 · unlocks private mode (private_face)"
			: "개인 모드 해제 안 됨 · does not unlock private mode (private_face is another name)"), "ok");
	} else if (st === "failed") {
		enrollEnd();
		enrollResult(ev.reason === "cancelled"
		    ? `${ev.name} 등록 취소 · cancelled: nothing was written, an earlier enrollment of ${ev.name} is kept`
		    : `${ev.name} 등록 실패 · not enrolled: ${ev.reason}`, "bad");
	}
	$("enroll").dataset.state = enroll.running ? "running" : st;
	$("enroll").dataset.pose = enroll.pose;
	posesRender();
	enrollButtons();
}

client.on("enroll", enrollStep);

// The daemon's refusals (docs/protocol.md "enroll"), in both languages.
function refusal(e) {
	const m = e.message ?? String(e);
	const ko = /no room camera|replay has ended/.test(m) ? "방 카메라 없음"
	    : /enrollment of .* is running/.test(m) ? "이미 등록 중"
		: /verification/.test(m) ? "얼굴 확인 중"
		    : /needs name/.test(m) ? "이름 오류" : "거부됨";
	return `${ko} · refused: ${m}`;
}

$("enroll-name").addEventListener("input", enrollButtons);
$("enroll-form").addEventListener("submit", async (ev) => {
	ev.preventDefault();
	const name = $("enroll-name").value.trim();
	if (!NAME_RE.test(name) || enroll.running)
		return;
	$("enroll-start").disabled = true;
	try {
		await client.enroll(name);
		// it runs from now on (the daemon refuses another); the steps
		// come as enroll events
		if (!enroll.running)
			enrollBegin(name);
		$("enroll").dataset.state = "running";
	} catch (e) {
		enrollResult(refusal(e), "bad");
	}
	enrollButtons();
});

$("enroll-cancel").addEventListener("click", async () => {
	try { await client.enrollCancel(); } catch (e) { enrollResult(refusal(e), "bad"); }
});
