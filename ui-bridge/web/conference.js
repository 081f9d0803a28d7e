// Conference rooms and department calls on a trusted page (docs/conference.md):
// the conference button in the bottom bar, the room picker, the department's
// contact card beside a screen it answers for (a disaster event, a key
// project), and the full-screen frame of a room or a call with an obvious
// end button.  The daemon routes every step (`conference`, `call` messages
// and events, trusted clients only); this module only shows them.  Shared by
// the wall (app.js) and the TV (tv/tv.js).  Plain ES module.

import { el } from "/dom.js";

// What the office offers this page (hello "office"), and what runs now.
const office = { rooms: [], departments: [], tv_room: null };
let lastPress = 0;	// a hand cursor "press": the click that follows is the hand's

function source() {
	return Date.now() - lastPress < 600 ? "hand" : "tap";
}

/**
 * Adds the conference UI to the page.
 * @param {object} client  the connect() client of /js/smartoffice.js
 * @param {object} opt     { bar: element for the conference button (or null),
 *                           screen: () => the content id shown now (or null),
 *                           toast: (text, kind) => void, tv: this is the TV page }
 */
export function conferenceUI(client, opt = {}) {
	const css = el("link");
	css.rel = "stylesheet";
	css.href = "/conference.css";
	document.head.append(css);

	const toast = opt.toast ?? ((t) => console.warn(t));
	const ask = (m) => client.request({ ...m, source: source() }).catch((e) => {
		toast(`${m.type}: ${e.message ?? e.code}`, "error");
		throw e;
	});

	// The button at the bottom of the screen (the seed: "select the
	// conference button at the bottom of the large screen").
	const button = el("button", "conf-button", "화상회의 · Conference");
	button.type = "button";
	button.id = "conference-button";
	button.hidden = true;
	button.addEventListener("click", () => ask({ type: "conference", action: "open" }).catch(() => {}));
	opt.bar?.append(button);

	// The picker.
	const picker = el("section", "conf-picker");
	picker.id = "conference-picker";
	picker.hidden = true;
	picker.setAttribute("role", "dialog");
	picker.setAttribute("aria-label", "회의실 선택 · Choose a room");
	const list = el("div", "conf-rooms");
	const start = el("button", "conf-start", "회의 시작 · Start");
	start.type = "button";
	start.id = "conference-start";
	start.disabled = true;
	const cancel = el("button", "conf-cancel", "닫기 · Close");
	cancel.type = "button";
	const actions = el("div", "conf-actions");
	actions.append(cancel, start);
	picker.append(el("h2", "conf-title", "회의실 선택 · Choose a room"), list, actions);
	cancel.addEventListener("click", () => { picker.hidden = true; });
	start.addEventListener("click", () => ask({ type: "conference", action: "start" }).catch(() => {}));

	// The contact card of the department that answers for the screen.
	const card = el("aside", "conf-card");
	card.id = "contact-card";
	card.hidden = true;

	// The frame: a room or a call, full screen, with the end button.
	const frame = el("section", "conf-frame");
	frame.id = "conference-frame";
	frame.hidden = true;
	const fbar = el("header", "conf-frame-bar");
	const ftitle = el("span", "conf-frame-title");
	const end = el("button", "conf-end", "종료 · End");
	end.type = "button";
	end.id = "conference-end";
	fbar.append(ftitle, end);
	const fbody = el("div", "conf-frame-body");
	frame.append(fbar, fbody);
	let running = null;	// { type: "conference"|"call" }
	end.addEventListener("click", () => {
		const t = running?.type ?? "conference";
		ask(t === "call" ? { type: "call", action: "end" } : { type: "conference", action: "end" })
		    .catch(() => closeFrame());
	});

	document.body.append(picker, card, frame);

	function renderRooms(selected) {
		list.replaceChildren(...office.rooms.map((r) => {
			const b = el("button", "conf-room");
			b.type = "button";
			b.dataset.room = r.id;
			b.append(el("span", "ko", r.ko), el("span", "en", r.en));
			if (r.id === selected)
				b.classList.add("selected");
			b.addEventListener("click", () => ask({ type: "conference", action: "select", room: r.id }).catch(() => {}));
			return b;
		}));
		start.disabled = !selected;
	}

	function openPicker(m) {
		if (m?.rooms)
			office.rooms = m.rooms;
		renderRooms(m?.selected ?? null);
		picker.hidden = false;
	}

	function closeFrame() {
		running = null;
		frame.hidden = true;
		fbody.replaceChildren();
		document.body.dataset.conference = "idle";
	}

	// A room's join page or an https call: an iframe; sip: and tel: are
	// the phone's or softphone's: a link it opens.
	function openFrame(type, title, uri, extra) {
		running = { type };
		picker.hidden = true;
		ftitle.textContent = title;
		if (uri.startsWith("https://")) {
			const f = el("iframe", "conf-iframe");
			f.src = uri;
			f.allow = "camera; microphone; fullscreen; display-capture; autoplay";
			f.title = title;
			fbody.replaceChildren(f);
		} else {
			const box = el("div", "conf-dial");
			const a = el("a", "conf-dial-link", uri.startsWith("tel:") ? `전화 · Call ${uri.slice(4)}` : `전화 · Call ${uri}`);
			a.href = uri;
			a.id = "call-link";
			box.append(el("p", "conf-dial-note", "전화 또는 소프트폰에서 연결합니다 · Your phone or softphone places this call"), a);
			if (extra)
				box.append(el("p", "conf-dial-note", extra));
			fbody.replaceChildren(box);
		}
		frame.hidden = false;
		document.body.dataset.conference = type;
	}

	function showCard() {
		const screen = opt.screen?.();
		const d = screen ? office.departments.find((x) => (x.contexts ?? []).includes(screen)) : null;
		if (!d || client.view !== "trusted") {
			card.hidden = true;
			return;
		}
		const head = el("p", "conf-card-head", "담당 부서 · Department");
		const name = el("p", "conf-card-name");
		name.append(el("span", "ko", d.ko), el("span", "en", d.en));
		const row = el("div", "conf-card-actions");
		for (const kind of ["video", "voice"]) {
			if (!d[kind])
				continue;
			const b = el("button", `conf-call conf-call-${kind}`, kind === "video" ? "영상통화 · Video call" : "음성통화 · Voice call");
			b.type = "button";
			b.dataset.call = kind;
			b.addEventListener("click", () => ask({ type: "call", kind, department: d.id, context: screen }).catch(() => {}));
			row.append(b);
		}
		card.dataset.department = d.id;
		card.replaceChildren(head, name, row);
		card.hidden = false;
	}

	client.on("hello", (m) => {
		const o = m.office;
		office.rooms = o?.rooms ?? [];
		office.departments = o?.departments ?? [];
		office.tv_room = o?.tv_room ?? null;
		button.hidden = m.view !== "trusted" || office.rooms.length === 0;
		if (m.view !== "trusted") {
			picker.hidden = true;
			closeFrame();
		} else if (m.conference?.state === "started" && (!opt.tv) === (m.conference.target !== "tv"))
			openFrame("conference", `${m.conference.room.ko} · ${m.conference.room.en}`, m.conference.room.url);
		else if (m.conference?.state === "call" && !opt.tv)
			openFrame("call", `${m.conference.department.ko} · ${m.conference.department.en}`, m.conference.uri);
		else if (running)
			closeFrame();
		showCard();
	});
	client.on("navigate", (m) => {
		// "video conference" said or tapped: the picker opens (the TV: its room).
		if (m.content === "video-conference" && office.rooms.length) {
			if (opt.tv && office.tv_room)
				client.request({ type: "tv", action: "meeting", source: m.source ?? "voice" }).catch(() => {});
			else if (!opt.tv)
				openPicker(null);
		}
		setTimeout(showCard, 0);	// after the page rendered the new screen
	});
	client.on("cursor", (m) => { if (m.state === "press") lastPress = Date.now(); });
	client.on("conference", (m) => {
		if (m.state === "picker" && !opt.tv)
			openPicker(m);
		else if (m.state === "selected") {
			if (!opt.tv) {
				renderRooms(m.room.id);
				picker.hidden = false;
			}
		} else if (m.state === "started") {
			// A meeting started for the TV stays on the TV, and the reverse.
			if ((!opt.tv) === (m.target !== "tv"))
				openFrame("conference", `${m.room.ko} · ${m.room.en}`, m.room.url);
			else
				toast(`${m.room.ko} · ${m.room.en}: ${opt.tv ? "회의 중 · in a meeting" : "TV 회의 · on the TV"}`);
		} else if (m.state === "ended" && running?.type === "conference")
			closeFrame();
	});
	client.on("call", (m) => {
		if (opt.tv)
			return;
		if (m.state === "started")
			openFrame("call", `${m.department.ko} · ${m.department.en} (${m.kind === "video" ? "영상 · video" : "음성 · voice"})`,
			    m.uri, m.context ? `from · ${m.context}` : "");
		else if (m.state === "ended" && running?.type === "call")
			closeFrame();
	});
	return { showCard, openPicker, office };
}
