// smartoffice.js: a small dependency-free client for smartofficed's
// websocket protocol (docs/protocol.md, version 2).  Import it as an ES
// module from any page the daemon serves (or any page whose origin the
// daemon allows):
//
//   import { connect } from "/js/smartoffice.js";
//   const so = connect({ role: "display", name: "Lobby TV" });
//   so.on("navigate", (ev) => show(ev.content));
//
// No build step, no downloads; the voice helper needs pcm-worklet.js next
// to this file.

/**
 * @typedef {{id: string, en: string, ko?: string, privacy?: string}} CatalogueItem
 * @typedef {{id: string, title: string, privacy: string, url: string}} DocumentItem
 * @typedef {{type: string, [key: string]: any}} Message
 * @typedef {{
 *   url?: string,          // ws(s)://host/ws; default: same host as the page
 *   role?: "display"|"remote"|"observer"|"tv",
 *   name?: string,         // shown on the wall while pairing, <= 64 bytes
 *   token?: string|null,   // default: the one stored in localStorage
 *   storageKey?: string,   // localStorage key of the token (default smartoffice.token.<role>)
 *   timeoutMs?: number,    // request timeout (default 10 s)
 *   onEvent?: (m: Message) => void,  // every message ("*")
 *   mqtt?: string,         // ws(s):// of an MQTT broker instead of the daemon (docs/mqtt.md)
 *   site?: string,         // ... the room to follow there (default "office")
 *   username?: string, password?: string,  // ... a trusted display's broker credentials
 * }} Options
 */

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 10000;
const RATE = 16000;
const FRAME_SAMPLES = 1600;		// 100 ms at 16 kHz

/** An error reply from the daemon (`code` as in docs/protocol.md). */
export class SmartOfficeError extends Error {
	/** @param {string} code @param {string} [message] @param {Message} [reply] */
	constructor(code, message, reply) {
		super(message || code);
		this.code = code;
		this.reply = reply;
	}
}

function storageGet(key) {
	try { return globalThis.localStorage?.getItem(key) ?? null; } catch { return null; }
}

function storageSet(key, value) {
	try {
		if (value == null)
			globalThis.localStorage?.removeItem(key);
		else
			globalThis.localStorage?.setItem(key, value);
	} catch { /* private browsing: keep it in memory only */ }
}

function defaultUrl() {
	const l = globalThis.location;
	return `${l.protocol === "https:" ? "wss" : "ws"}://${l.host}/ws`;
}

/* The browser's microphone errors (DOMException names, whose numeric
 * `code` means nothing to a person: "8: Requested device not found") as
 * our codes: no-microphone, microphone-denied, microphone-busy. */
function micError(e) {
	const name = e?.name ?? "";
	if (name === "NotFoundError" || name === "OverconstrainedError" || name === "DevicesNotFoundError")
		return new SmartOfficeError("no-microphone", "this device has no microphone");
	if (name === "NotAllowedError" || name === "SecurityError" || name === "PermissionDeniedError")
		return new SmartOfficeError("microphone-denied", "the microphone is not allowed for this page");
	if (name === "NotReadableError" || name === "AbortError" || name === "TrackStartError")
		return new SmartOfficeError("microphone-busy", "the microphone is in use or failed to start");
	return new SmartOfficeError("no-microphone", `the microphone cannot be opened (${name || e})`);
}

export class SmartOffice {
	/** @param {Options} [opts] */
	constructor(opts = {}) {
		this.url = opts.url || defaultUrl();
		this.role = opts.role || "display";
		this.name = opts.name || this.role;
		// One key per role: a display and a remote opened in one browser
		// (same origin) keep their own tokens.
		this.storageKey = opts.storageKey || `smartoffice.token.${this.role}`;
		/** @type {string|null} */
		this.token = opts.token !== undefined ? opts.token : storageGet(this.storageKey);
		if (this.token == null && !opts.storageKey && opts.token === undefined &&
		    storageGet("smartoffice.token") != null) {
			// stored by a client from before the per-role key: moved over
			this.token = storageGet("smartoffice.token");
			storageSet(this.storageKey, this.token);
			storageSet("smartoffice.token", null);
		}
		this.timeoutMs = opts.timeoutMs || 10000;
		this.connected = false;
		/** The last `hello` received: reset your state to it. @type {Message|null} */
		this.hello = null;
		this.mode = "public";
		this.view = "public";
		/** The bookshelf as this view knows it (docs/shelf.md): the door
		 * ("open", "closed", "lost" or null: not heard of yet) and the books
		 * taken and not back, by id, with the `shelf` taken event. */
		this.shelf = { door: null, taken: new Map() };
		/** @type {Map<string, Set<Function>>} */
		this.handlers = new Map();
		this.pending = new Map();	// id -> {resolve, reject, timer}
		this.nextId = 1;
		this.ws = null;
		this.retries = 0;
		this.closed = true;
		this.voice = null;
		if (opts.onEvent)
			this.on("*", opts.onEvent);
		this.opts = opts;
		this.transport = null;	// smartoffice-mqtt.js when opts.mqtt
	}

	/**
	 * Calls fn(message) for every message of that type; "*" for all,
	 * "open"/"close" for the connection.  Returns a function that removes it.
	 * The daemon's events (docs/protocol.md "Events"): wake, intent,
	 * navigate, command, mode, denied, rejected, engage, cursor, disengage,
	 * face, verify {state: "started"|"progress"|"verified"|"confirm"|"failed"
	 * |"refused", step?, hint?, reason? (failed/refused)}, shelf {event: "door", state: "open"|"closed"|"lost"|"back"}
	 * or {event: "taken"|"returned", book, marker, en, ko, privacy, content
	 * or document + url, denied?} (see this.shelf), and, to trusted views
	 * only, the devices that come and go: camera {camera: "room"|"shelf",
	 * state: "lost"|"back"|"end", reason?}, preview {camera: "room",
	 * format: "jpeg", w, h, step: "look"|"blink", hint, data (base64)}
	 * while a face verification runs, and
	 * mic {mic: "room", state: "lost"|"back", reason? (lost), gone_s? (back)},
	 * and enroll {state: "started"|"pose" (pose, say: the words to show,
	 * got, need), "progress" (pose, got, need), "skipped" (pose, reason),
	 * "done" (images, descriptor, unlocks: the name is private_face), or
	 * "failed" (reason: "cancelled", ...); name} while a guided face
	 * enrollment (enroll()) runs.
	 * @param {string} type @param {(m: Message) => void} fn
	 */
	on(type, fn) {
		if (!this.handlers.has(type))
			this.handlers.set(type, new Set());
		this.handlers.get(type).add(fn);
		return () => this.off(type, fn);
	}

	/** @param {string} type @param {Function} fn */
	off(type, fn) { this.handlers.get(type)?.delete(fn); }

	emit(type, m) {
		for (const key of [type, "*"])
			for (const fn of this.handlers.get(key) ?? []) {
				try { fn(m); } catch (e) { console.error("smartoffice handler", e); }
			}
	}

	/** Opens the connection; reconnects by itself until close(). */
	connect() {
		this.closed = false;
		if (this.opts.mqtt) {	// through a broker (docs/mqtt.md)
			if (!this.transport)
				import("./smartoffice-mqtt.js").then((t) => t.attach(this, this.opts))
				    .catch((e) => this.emit("transport-error", { type: "transport-error", message: String(e) }));
			return this;
		}
		let ws;
		try {
			ws = new WebSocket(this.url);
		} catch (e) {
			this.retry();
			return this;
		}
		ws.binaryType = "arraybuffer";
		this.ws = ws;
		let gone = false;
		const lost = () => {	// "error" and "close" may both come
			if (gone)
				return;
			gone = true;
			if (this.ws === ws)
				this.ws = null;
			const was = this.connected;
			this.connected = false;
			this.failPending("disconnected");
			this.voiceCleanup();
			if (was)
				this.emit("close", { type: "close" });
			this.retry();
		};
		ws.addEventListener("open", () => {
			this.retries = 0;
			this.connected = true;
			this.emit("open", { type: "open" });
			const hello = { type: "hello", role: this.role, name: this.name };
			if (this.token)
				hello.token = this.token;
			// v1 daemons answer with an error: ignore, their hello came first.
			this.request(hello).catch((e) => {
				if (e.code === "bad-token") {
					this.token = null;
					storageSet(this.storageKey, null);
				}
			});
		});
		ws.addEventListener("message", (ev) => {
			if (typeof ev.data !== "string")
				return;
			let m;
			try { m = JSON.parse(ev.data); } catch { return; }
			if (m && typeof m.type === "string")
				this.dispatch(m);
		});
		ws.addEventListener("error", lost);
		ws.addEventListener("close", lost);
		return this;
	}

	/** Closes for good (no reconnect). */
	close() {
		this.closed = true;
		clearTimeout(this.retryTimer);
		this.ws?.close();
		this.transport?.end();
	}

	retry() {
		if (this.closed)
			return;
		const base = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** this.retries++);
		const delay = Math.min(RETRY_MAX_MS, base * (0.75 + Math.random() * 0.5));
		clearTimeout(this.retryTimer);
		this.retryTimer = setTimeout(() => this.connect(), delay);
	}

	dispatch(m) {
		if (m.type === "hello") {
			this.hello = m;
			this.mode = m.mode || "public";
			this.view = m.view || "public";
		} else if (m.type === "mode" && m.mode) {
			this.mode = m.mode;
		} else if (m.type === "shelf") {
			if (m.event === "door" && m.state !== "back")
				this.shelf.door = m.state;
			else if (m.event === "taken" && m.book)
				this.shelf.taken.set(m.book, m);
			else if (m.event === "returned" && m.book)
				this.shelf.taken.delete(m.book);
		} else if (m.type === "paired" && m.token) {
			this.token = m.token;
			storageSet(this.storageKey, m.token);
		}
		const p = m.id !== undefined && m.seq === undefined ? this.pending.get(m.id) : null;
		if (p) {
			this.pending.delete(m.id);
			clearTimeout(p.timer);
			if (m.type === "error")
				p.reject(new SmartOfficeError(m.code || "error", m.message, m));
			else
				p.resolve(m);
		}
		this.emit(m.type, m);
	}

	failPending(code) {
		for (const [id, p] of this.pending) {
			clearTimeout(p.timer);
			p.reject(new SmartOfficeError(code));
		}
		this.pending.clear();
	}

	/** Sends one message as is; false when not connected. @param {Message} m */
	send(m) {
		if (this.transport)
			return this.transport.send(m);
		if (!this.ws || this.ws.readyState !== WebSocket.OPEN)
			return false;
		this.ws.send(JSON.stringify(m));
		return true;
	}

	/**
	 * Sends m with a fresh id; resolves with the reply carrying that id,
	 * rejects with a SmartOfficeError on an `error` reply or a timeout.
	 * @param {Message} m @param {number} [timeoutMs] @returns {Promise<Message>}
	 */
	request(m, timeoutMs = this.timeoutMs) {
		const id = this.nextId++;
		return new Promise((resolve, reject) => {
			if (!this.send({ ...m, id }))
				return reject(new SmartOfficeError("disconnected", "not connected"));
			const timer = setTimeout(() => {
				this.pending.delete(id);
				reject(new SmartOfficeError("timeout", `no reply to ${m.type}`));
			}, timeoutMs);
			this.pending.set(id, { resolve, reject, timer });
		});
	}

	/** True when id names a control (next, back, ...) rather than content. */
	isControl(id) {
		return (this.hello?.controls ?? []).some((c) => c.id === id) ||
		    ["next", "previous", "back", "zoom-in", "zoom-out", "scroll-up",
		     "scroll-down", "stop", "private-mode", "public-mode"].includes(id);
	}

	/** Picks a content item or a control for every display; resolves with `ok`. */
	select(id) {
		return this.request(this.isControl(id) ? { type: "select", command: id }
		    : { type: "select", content: id });
	}

	/** Asks the trusted displays to show a pairing code; resolves with `pair-pending`. */
	pairRequest(name = this.name) { return this.request({ type: "pair-request", name }); }

	/** Sends the 6-digit code; resolves with `paired` (the token is stored). */
	pair(code) { return this.request({ type: "pair", code: String(code).trim() }); }

	// Rooms, calls and the TV (docs/conference.md); trusted clients only,
	// others get "unauthorized".  Each resolves with `ok`; what happens
	// comes to every trusted client as a conference, call or tv event.
	/** action "open" (the picker), "select" or "start" (with room: an id of
	 * hello.office.rooms; start without one: the selected room), "end". */
	conference(action, room) {
		return this.request(room ? { type: "conference", action, room } : { type: "conference", action });
	}

	/** A "video" or "voice" call to a department (an id of
	 * hello.office.departments); without one, the department answering for
	 * context, and without a context the screen shown now. */
	call(kind, department, context) {
		const m = { type: "call", kind };
		if (department)
			m.department = department;
		if (context)
			m.context = context;
		return this.request(m);
	}

	/** Ends the running call (or room). */
	endCall() { return this.request({ type: "call", action: "end" }); }

	/** The TV: action "open" (extra {document: an id of hello.briefing} or
	 * {title: "budget report"}), "next", "previous", "page" ({page: n}),
	 * "close", "meeting" (the office's tv_room on the TV). */
	tv(action, extra = {}) { return this.request({ ...extra, type: "tv", action }); }

	ping() { return this.request({ type: "ping" }); }

	/** A typed command, taken as speech is ("show me air quality"); resolves
	 * with `recognized` {result: "command"|"rejected", content|command|reason}. */
	typed(text) { return this.request({ type: "typed", text: String(text) }); }

	/** Tells the daemon a document is open here (true) or closed (false):
	 * the demo session pauses meanwhile. */
	activity(reading) { return this.send({ type: "activity", reading: !!reading }); }

	// The admin role's requests (docs/admin.md); others get "unauthorized".
	/** Resolves with `admin-status`. */
	adminStatus() { return this.request({ type: "admin-status" }); }
	/** Revokes a paired device's token: its connections drop to the public view. */
	revoke(tokenId) { return this.request({ type: "revoke", token_id: tokenId }); }
	/** Renames a paired device. */
	rename(tokenId, name) { return this.request({ type: "rename", token_id: tokenId, name }); }
	/** Switches the demo session on or off. */
	demo(on) { return this.request({ type: "demo", on: !!on }); }
	/** Asks for the room camera's next frame: it comes as `admin-snapshot`
	 * {camera, w, h, t, jpeg (base64)}. */
	snapshot() { return this.request({ type: "snapshot" }); }
	/** Starts a guided face enrollment of name (1-63 characters of A-Z a-z
	 * 0-9 _ . -) from the room camera; resolves with `ok` {name}, rejects
	 * with `bad-request` when no room camera runs, an enrollment or a
	 * private-mode verification is running, or the name is bad.  Its steps
	 * come to trusted clients as `enroll` events until "done" or "failed". */
	enroll(name) { return this.request({ type: "enroll", name: String(name) }); }
	/** Cancels the running enrollment (its `enroll` event: "failed",
	 * reason "cancelled"; nothing is written); resolves with `ok` {name},
	 * rejects with `bad-request` when none runs. */
	enrollCancel() { return this.request({ type: "enroll-cancel" }); }

	/** Forgets the stored token (the next connection is public). */
	forget() {
		this.token = null;
		storageSet(this.storageKey, null);
	}

	/**
	 * Records the microphone and streams 16 kHz s16le PCM to the daemon
	 * until stopVoice().  Needs a secure context (https or localhost).
	 */
	async startVoice() {
		if (this.voice)
			throw new SmartOfficeError("busy", "already recording");
		const v = { frames: [], ready: false, stopped: false };
		this.voice = v;
		try {
			if (!navigator.mediaDevices?.getUserMedia)
				throw new SmartOfficeError("no-microphone",
				    "microphone unavailable (needs https or localhost)");
			v.stream = await navigator.mediaDevices.getUserMedia({ audio: {
			    channelCount: 1, echoCancellation: false,
			    noiseSuppression: false, autoGainControl: false } }).catch((e) => {
				throw micError(e);
			});
			try {
				v.ctx = new AudioContext({ sampleRate: RATE });
			} catch {
				v.ctx = new AudioContext();	// the worklet resamples
			}
			await v.ctx.audioWorklet.addModule(new URL("./pcm-worklet.js", import.meta.url));
			v.node = new AudioWorkletNode(v.ctx, "pcm16k", {
			    processorOptions: { rate: RATE, frame: FRAME_SAMPLES } });
			v.node.port.onmessage = (ev) => {
				if (v.ready && this.ws && this.voice === v)
					this.ws.send(ev.data);
				else if (!v.ready)
					v.frames.push(ev.data);
			};
			v.source = v.ctx.createMediaStreamSource(v.stream);
			v.source.connect(v.node);
			await this.request({ type: "audio-start", rate: RATE, format: "s16le" });
			v.ready = true;
			for (const f of v.frames)
				this.ws?.send(f);
			v.frames = [];
			this.emit("voice", { type: "voice", state: "listening" });
		} catch (e) {
			this.voiceCleanup();
			throw e;
		}
	}

	/** Ends the utterance; resolves with the `recognized` reply. */
	async stopVoice() {
		const v = this.voice;
		if (!v)
			throw new SmartOfficeError("not-recording");
		if (v.node) {	// take the last partial frame
			const flushed = new Promise((res) => {
				const prev = v.node.port.onmessage;
				v.node.port.onmessage = (ev) => {
					if (ev.data === "flushed")
						return res();
					prev(ev);
				};
				setTimeout(res, 300);
			});
			v.node.port.postMessage("flush");
			await flushed;
		}
		const wasReady = v.ready;
		this.voiceCleanup();
		this.emit("voice", { type: "voice", state: "stopped" });
		if (!wasReady)
			throw new SmartOfficeError("not-recording", "the stream never started");
		// Take the first `recognized` even if its id is not audio-end's.
		const reply = this.request({ type: "audio-end" }, 30000);
		let off;
		const any = new Promise((res) => { off = this.on("recognized", res); });
		try {
			return await Promise.race([reply, any]);
		} finally {
			off();
			reply.catch(() => {});
		}
	}

	voiceCleanup() {
		const v = this.voice;
		if (!v)
			return;
		this.voice = null;
		try { v.source?.disconnect(); } catch { /* already gone */ }
		v.stream?.getTracks().forEach((t) => t.stop());
		v.ctx?.close().catch(() => {});
	}
}

/** Creates a client and connects it. @param {Options} [opts] */
export function connect(opts) {
	return new SmartOffice(opts).connect();
}
