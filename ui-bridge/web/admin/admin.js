// Admin page (docs/admin.md): the daemon's devices, recognizer, clients,
// paired devices and audit log, refreshed every second; revoke and rename
// devices, run a typed command, switch the demo session, see the camera.
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
client.on("close", () => { document.body.dataset.connected = "false"; });
client.on("hello", (h) => {
	document.body.dataset.admin = String(h.view === "trusted" && h.role === "admin");
	refresh();
});
// Events move the screen: refresh at once rather than at the next tick.
for (const t of ["navigate", "mode", "command", "intent", "rejected", "mic", "camera", "demo"])
	client.on(t, () => setTimeout(refresh, 50));
client.on("admin-snapshot", (m) => {
	const img = $("snapshot");
	img.src = `data:image/jpeg;base64,${m.jpeg}`;
	img.hidden = false;
	$("snap-note").textContent = `${m.w}×${m.h}, t = ${m.t.toFixed(2)} s`;
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

$("snap").addEventListener("click", async () => {
	try { await client.snapshot(); $("snap-note").textContent = "…"; } catch (e) { $("snap-note").textContent = e.message; }
});
