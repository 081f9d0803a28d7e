// smartoffice dashboard: follows the daemon's websocket events
// (docs/protocol.md).  Plain ES module, no build step, no downloads.

const LOG_MAX = 10;
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 10000;

const state = {
	catalogue: new Map(),	// content id -> {id, en, ko, privacy}
	controls: new Map(),	// command id -> {id, en}
	screen: null,
	mode: null,
	listening: false,
	utterance: null,
	log: [],
};

const $ = (id) => document.getElementById(id);
let retryMs = RETRY_MIN_MS;

function render() {
	const body = document.body;
	const item = state.screen ? state.catalogue.get(state.screen) : null;

	// Browser tests read these attributes.
	body.dataset.screen = state.screen ?? "";
	body.dataset.listening = state.listening ? "true" : "false";
	body.dataset.mode = state.mode ?? "";

	$("screen-id").textContent = state.screen ?? "–";
	$("screen-en").textContent = item?.en ?? "";
	$("screen-ko").textContent = item?.ko ?? "";
	$("mode").textContent = `mode: ${state.mode ?? "–"}`;
	$("listening").textContent = state.listening ? "listening…" : "not listening";
	$("utterance").textContent = state.utterance ?? "–";

	const ol = $("log");
	ol.replaceChildren(...state.log.map((e) => {
		const li = document.createElement("li");
		li.className = e.type;
		li.textContent = e.text;
		return li;
	}));
}

function setConnected(on) {
	document.body.dataset.connected = on ? "true" : "false";
	$("connection").textContent = on ? "connected" : "disconnected";
}

// One line for the event log.
function describe(m) {
	const seq = m.seq !== undefined ? `#${m.seq} ` : "";
	switch (m.type) {
	case "intent": {
		const target = m.content ?? m.command ?? "?";
		const conf = typeof m.confidence === "number" ? ` ${m.confidence.toFixed(2)}` : "";
		return `${seq}intent ${target}${conf} "${m.text ?? ""}"`;
	}
	case "navigate": return `${seq}navigate ${m.content}`;
	case "command": return `${seq}command ${m.command}`;
	case "mode": return `${seq}mode ${m.mode}${m.reason ? ` (${m.reason})` : ""}`;
	case "denied": return `${seq}denied ${m.content ?? m.command ?? "?"}: ${m.reason ?? ""}`;
	case "rejected": return `${seq}rejected ${m.reason}${m.text ? ` "${m.text}"` : ""}`;
	case "error": return `error ${m.code}: ${m.message}`;
	default: return `${seq}${m.type}`;
	}
}

function logEvent(m) {
	state.log.unshift({ type: m.type, text: describe(m) });
	state.log.length = Math.min(state.log.length, LOG_MAX);
}

function onMessage(m) {
	switch (m.type) {
	case "hello":
		state.catalogue = new Map((m.catalogue ?? []).map((c) => [c.id, c]));
		state.controls = new Map((m.controls ?? []).map((c) => [c.id, c]));
		state.screen = m.screen ?? null;
		state.mode = m.mode ?? null;
		state.listening = false;
		break;
	case "wake":
		state.listening = true;
		logEvent(m);
		break;
	case "intent":
		state.listening = false;
		state.utterance = m.text ?? "";
		logEvent(m);
		break;
	case "rejected":
		state.listening = false;
		if (m.text)
			state.utterance = m.text;
		logEvent(m);
		break;
	case "navigate":
		state.screen = m.content;
		logEvent(m);
		break;
	case "mode":
		state.mode = m.mode;
		logEvent(m);
		break;
	case "pong":
		return;
	default:	// command, denied, error, and anything newer
		logEvent(m);
		break;
	}
	render();
}

function connect() {
	const scheme = location.protocol === "https:" ? "wss" : "ws";
	const ws = new WebSocket(`${scheme}://${location.host}/ws`);
	let gone = false;

	// Once per socket: browsers send "close" after "error", some other
	// implementations only "error".  Back off while the daemon restarts.
	const lost = () => {
		if (gone)
			return;
		gone = true;
		setConnected(false);
		state.listening = false;
		render();
		setTimeout(connect, retryMs);
		retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
	};

	ws.addEventListener("open", () => {
		retryMs = RETRY_MIN_MS;
		setConnected(true);
	});
	ws.addEventListener("message", (ev) => {
		let m;
		try {
			m = JSON.parse(ev.data);
		} catch {
			return;
		}
		if (m && typeof m.type === "string")
			onMessage(m);
	});
	ws.addEventListener("error", lost);
	ws.addEventListener("close", lost);
}

render();
setConnected(false);
connect();
