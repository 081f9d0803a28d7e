// lib.mjs — helpers of the browser tests (tests/browser/*.test.mjs).
//
// Every test starts the real daemon ($BUILD/smartofficed, port 0, its own
// state directory), drives real pages in Debian's Chromium through
// playwright-core (never a downloaded browser), and saves a screenshot of
// each page in $BUILD/test-output/browser/NAME.png.  tests/browser/run sets
// SO_SRC and SO_BUILD; run by hand, they default to this tree and build/.
//
// Nothing here skips: a missing Chromium, daemon or tool throws, and the
// test that needed it fails with the reason.

import { spawn, execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync,
	copyFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const here = path.dirname(fileURLToPath(import.meta.url));
export const SRC = process.env.SO_SRC ?? path.resolve(here, "../..");
export const BUILD = path.resolve(SRC, process.env.SO_BUILD ?? "build");
export const OUT = path.join(BUILD, "test-output", "browser");
export const DAEMON = path.join(BUILD, "smartofficed");
export const FIXTURES = path.join(BUILD, "fixtures");
export const CHROMIUM = process.env.SO_CHROMIUM ?? "/usr/bin/chromium";
const KEEP = process.env.SO_KEEP === "1";	// keep the temporary folders

const require = createRequire(path.join(SRC, "package.json"));
const { chromium } = require("playwright-core");
const run = promisify(execFile);

mkdirSync(OUT, { recursive: true });

// Flags for Debian's Chromium in a container: no sandbox (no user
// namespaces), no GPU, and nothing that phones home.
export const CHROMIUM_ARGS = [
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
	"--no-first-run", "--disable-background-networking",
	"--disable-component-update", "--disable-sync",
];

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The catalogue as the daemon loads it: which ids and texts are private.
export function catalogue() {
	const c = JSON.parse(readFileSync(path.join(SRC, "models", "catalogue.json"), "utf8"));
	const priv = c.content.filter((e) => e.privacy === "private");
	return {
		content: c.content,
		controls: c.controls,
		publicIds: c.content.filter((e) => e.privacy === "public").map((e) => e.id),
		privateIds: priv.map((e) => e.id),
		// Words that may never reach a public view: ids, titles, controls.
		privateNeedles: [
			...priv.flatMap((e) => [e.id, e.en, e.ko]),
			"private-mode", "public-mode", "documents/private/",
			'"mode":"private"',
		].filter(Boolean),
	};
}

// What a test started, stopped when it ends: last started, first stopped;
// the temporary folder goes last (a browser writes its profile until it
// is closed).
const cleanups = new WeakMap();
function onEnd(t, fn) {
	const list = cleanups.get(t);
	if (list)
		list.push(fn);
	else
		t.after(fn);
}

// A fresh temporary folder for one test, removed when the test ends, after
// everything else it started (kept with SO_KEEP=1).  Call it first.
export function tmpDir(t, name) {
	const dir = mkdtempSync(path.join(tmpdir(), `so-browser-${name}-`));
	const list = [];
	cleanups.set(t, list);
	t.after(async () => {
		for (const fn of list.reverse())
			await Promise.resolve().then(fn).catch(() => {});
		if (!KEEP)
			rmSync(dir, { recursive: true, force: true });
	});
	return dir;
}

// ------------------------------------------------------------------ daemon

// startDaemon(t, dir, {name, args, stateDir}): starts smartofficed with
// --port 0 and its own state directory, waits for "listening; dashboards:
// http://ADDR:PORT/" on stderr (15 s), and stops it (SIGTERM) when the test
// ends.  Its stderr is copied to $OUT/NAME.daemon.log then.  Returns
// {port, base, proc, log(), alive(), stop()}.
export async function startDaemon(t, dir, { name = "daemon", args = [], stateDir } = {}) {
	if (!existsSync(DAEMON))
		throw new Error(`${DAEMON} is not built (make BUILD=${path.relative(SRC, BUILD)})`);
	stateDir ??= path.join(dir, "state");
	mkdirSync(stateDir, { recursive: true });
	const argv = ["--port", "0", "--state-dir", stateDir,
		"-o", "speak=no", "-o", "cue=no", ...args];
	// SO_WEB_ROOT: serve other pages (e.g. an older version, to check the
	// harness itself).
	if (process.env.SO_WEB_ROOT)
		argv.push("-o", `web_root=${process.env.SO_WEB_ROOT}`);
	const proc = spawn(DAEMON, argv, { stdio: ["ignore", "ignore", "pipe"] });
	let err = "";
	let exited = null;
	proc.stderr.setEncoding("utf8");
	proc.stderr.on("data", (s) => { err += s; });
	const done = new Promise((r) => proc.on("exit", (code, sig) => {
		exited = { code, sig };
		r();
	}));
	const logPath = path.join(OUT, `${name}.daemon.log`);
	const d = {
		proc, argv, port: 0, base: "",
		log: () => err,
		tail: (n = 8) => err.trim().split("\n").slice(-n).join("\n"),
		alive: () => exited === null,
		async stop() {
			if (exited === null) {
				proc.kill("SIGTERM");
				const t0 = Date.now();
				while (exited === null && Date.now() - t0 < 5000)
					await sleep(20);
				if (exited === null) {
					proc.kill("SIGKILL");
					await done;
				}
			}
			writeFileSync(logPath, `$ smartofficed ${argv.join(" ")}\n${err}`);
			return exited;
		},
	};
	onEnd(t, () => d.stop());
	const t0 = Date.now();
	for (;;) {
		const m = /listening; dashboards: (https?):\/\/([^/\s]+):(\d+)\//.exec(err);
		if (m) {
			d.port = Number(m[3]);
			d.base = `${m[1]}://127.0.0.1:${d.port}`;	/* https with tls_cert */
			return d;
		}
		if (exited !== null)
			throw new Error(`smartofficed exited (${exited.code ?? exited.sig}) before listening:\n${d.tail()}`);
		if (Date.now() - t0 > 15000)
			throw new Error(`smartofficed printed no "listening; dashboards" line within 15 s:\n${d.tail()}`);
		await sleep(25);
	}
}

// makeToken(stateDir, role, name): `smartofficed --state-dir DIR tokens add
// --role ROLE --name NAME`; returns the token it prints (43 characters of
// base64url, docs/protocol.md "Tokens and pairing").
export async function makeToken(stateDir, role, name) {
	mkdirSync(stateDir, { recursive: true });
	const argv = ["--state-dir", stateDir, "tokens", "add", "--role", role, "--name", name];
	let out;
	try {
		out = await run(DAEMON, argv, { timeout: 10000 });
	} catch (e) {
		const why = (e.stderr || e.message).trim().split("\n").slice(0, 3).join("\n");
		throw new Error(`smartofficed ${argv.join(" ")} failed (status ${e.code}): ${why}`);
	}
	const m = /(?:^|[^A-Za-z0-9_-])([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])/m.exec(out.stdout);
	if (!m)
		throw new Error(`smartofficed ${argv.join(" ")} printed no 43-character token:\n${out.stdout}${out.stderr}`);
	return m[1];
}

// ------------------------------------------------------------------ browser

// launchBrowser(t, dir, {name, args}): one Chromium with its own fresh
// profile under dir (one per device: the wall, the tablet, the watch do not
// share storage), closed when the test ends.  Returns the BrowserContext.
export async function launchBrowser(t, dir, { name = "browser", args = [], viewport } = {}) {
	if (!existsSync(CHROMIUM))
		throw new Error(`${CHROMIUM} not found: install Debian's chromium (tools/install-deps); `
			+ "the browser tests never download a browser");
	const ctx = await chromium.launchPersistentContext(path.join(dir, `profile-${name}`), {
		executablePath: CHROMIUM,
		headless: true,
		args: [...CHROMIUM_ARGS, ...args],
		viewport: viewport ?? { width: 1280, height: 720 },
	});
	onEnd(t, () => ctx.close());
	return ctx;
}

// openPage(ctx, url): a page with every websocket frame it sends and
// receives recorded from the start (listeners attached before the load),
// console errors and failed loads kept.  Returns {page, received, sent,
// requests, console, httpErrors, messages(type), sentMessages(type)}.
export async function openPage(ctx, url, { wait = true } = {}) {
	const page = ctx.pages().find((p) => p.url() === "about:blank") ?? await ctx.newPage();
	const rec = { page, received: [], sent: [], requests: [], console: [], sockets: [] };
	page.on("websocket", (ws) => {
		rec.sockets.push(ws.url());
		ws.on("framereceived", (f) => rec.received.push(String(f.payload)));
		ws.on("framesent", (f) => rec.sent.push(typeof f.payload === "string" ? f.payload : f.payload));
	});
	page.on("request", (r) => rec.requests.push(r.url()));
	// Console errors, except the browser's own line for a failed load: those
	// are kept with their URL in httpErrors (a missing favicon is no error).
	rec.httpErrors = [];
	page.on("console", (m) => {
		if (m.type() === "error" && !/^Failed to load resource/.test(m.text()))
			rec.console.push(m.text());
	});
	page.on("response", (r) => {
		if (r.status() >= 400 && !/\/favicon\.ico$/.test(r.url()))
			rec.httpErrors.push(`${r.status()} ${r.url()}`);
	});
	page.on("pageerror", (e) => rec.console.push(String(e)));
	// The JSON messages received (text frames), and of those the ones of a type.
	rec.messages = (type) => rec.received.flatMap((s) => {
		try { const m = JSON.parse(s); return !type || m.type === type ? [m] : []; } catch { return []; }
	});
	rec.sentMessages = (type) => rec.sent.flatMap((s) => {
		if (typeof s !== "string") return [];
		try { const m = JSON.parse(s); return !type || m.type === type ? [m] : []; } catch { return []; }
	});
	await page.goto(url, { waitUntil: wait ? "load" : "commit" });
	return rec;
}

// screenshot(page, name): $BUILD/test-output/browser/NAME.png.
export async function screenshot(page, name) {
	const file = path.join(OUT, `${name}.png`);
	await page.screenshot({ path: file, fullPage: false });
	return file;
}

// Attribute of <body> (dataset name, e.g. "screen"), or null.
export const bodyData = (page, key) =>
	page.evaluate((k) => document.body.dataset[k] ?? null, key);

// waitBody(page, key, want, ms, why): waits until body[data-KEY] equals
// want (a string, or a predicate on the value); throws a message that says
// what the attribute was instead, and why it was expected.
export async function waitBody(page, key, want, ms = 10000, why = "") {
	const ok = typeof want === "function" ? want : (v) => v === want;
	const t0 = Date.now();
	let v;
	for (;;) {
		v = await bodyData(page, key).catch(() => undefined);
		if (ok(v))
			return v;
		if (Date.now() - t0 > ms)
			throw new Error(`body[data-${key}] is ${JSON.stringify(v)} after ${ms} ms, `
				+ `want ${typeof want === "function" ? "a match" : JSON.stringify(want)}${why ? ` (${why})` : ""}`);
		await sleep(40);
	}
}

// Waits until pred() is true; throws msg() (or msg) after ms.
export async function until(pred, ms, msg) {
	const t0 = Date.now();
	while (!(await pred())) {
		if (Date.now() - t0 > ms)
			throw new Error(typeof msg === "function" ? msg() : msg);
		await sleep(40);
	}
}

// ------------------------------------------------------------------ audio

// Runs a program; throws with its stderr when it fails.
async function tool(cmd, args) {
	try {
		return await run(cmd, args, { timeout: 60000 });
	} catch (e) {
		throw new Error(`${cmd} ${args.join(" ")}: ${(e.stderr || e.message).trim()}`);
	}
}

// fixture(name): $BUILD/fixtures/NAME.wav (tests/unit/fixtures.sh; the
// runner makes them when missing).
export function fixture(name) {
	const f = path.join(FIXTURES, `${name}.wav`);
	if (!existsSync(f))
		throw new Error(`${f} is missing: run tests/unit/fixtures.sh ${FIXTURES} (tests/browser/run does)`);
	return f;
}

// leadIn(input, out, lead, tail): input with `lead` seconds before it and
// `tail` after, laid over a low pink-noise bed (a microphone never gives
// digital silence), 16 kHz mono 16-bit.  Deterministic (sox -R).
export async function leadIn(input, out, lead, tail = 0) {
	const padded = `${out}.pad.wav`, bed = `${out}.bed.wav`;
	await tool("sox", ["-R", input, "-r", "16000", "-c", "1", "-b", "16", "-e", "signed-integer",
		padded, "pad", String(lead), String(tail)]);
	const { stdout } = await tool("soxi", ["-D", padded]);
	await tool("sox", ["-R", "-n", "-r", "16000", "-c", "1", "-b", "16", "-e", "signed-integer",
		bed, "synth", stdout.trim(), "pinknoise", "gain", "-n", "-3", "gain", "-39"]);
	await tool("sox", ["-R", "-m", padded, bed, "-b", "16", out]);
	rmSync(padded); rmSync(bed);
	return out;
}

// noiseWav(out, seconds): a low pink-noise bed alone (the recognizer idles).
export async function noiseWav(out, seconds) {
	await tool("sox", ["-R", "-n", "-r", "16000", "-c", "1", "-b", "16", "-e", "signed-integer",
		out, "synth", String(seconds), "pinknoise", "gain", "-n", "-3", "gain", "-39"]);
	return out;
}

export async function wavSeconds(f) {
	return Number((await tool("soxi", ["-D", f])).stdout.trim());
}

// ------------------------------------------------------------------ websocket

// wsConnect(port, {origin}): a minimal websocket client of our own
// (RFC 6455 over node:http's upgrade), for the parts of a test that are not
// a page: a remote that selects, an observer.  Returns {messages, send(obj),
// waitFor(pred, ms, what), close()}; messages are the parsed JSON objects
// received, in order.
export function wsConnect(t, port, { origin } = {}) {
	const key = randomBytes(16).toString("base64");
	const headers = {
		Connection: "Upgrade", Upgrade: "websocket",
		"Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": key,
	};
	if (origin)
		headers.Origin = origin;
	return new Promise((resolve, reject) => {
		const req = http.request({ host: "127.0.0.1", port, path: "/ws", headers });
		req.setTimeout(5000, () => req.destroy(new Error("websocket upgrade timed out")));
		req.on("error", reject);
		req.on("response", (res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
		req.on("upgrade", (res, sock, head) => {
			const want = createHash("sha1")
				.update(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
			if (res.headers["sec-websocket-accept"] !== want) {
				sock.destroy();
				reject(new Error("bad Sec-WebSocket-Accept"));
				return;
			}
			const c = { messages: [], closed: false, raw: [] };
			let buf = head, frag = [];
			sock.on("data", (d) => {
				buf = Buffer.concat([buf, d]);
				for (;;) {
					if (buf.length < 2) break;
					const op = buf[0] & 15, fin = buf[0] & 128;
					let len = buf[1] & 127, off = 2;
					if (len === 126) { if (buf.length < 4) break; len = buf.readUInt16BE(2); off = 4; }
					else if (len === 127) { if (buf.length < 10) break; len = Number(buf.readBigUInt64BE(2)); off = 10; }
					if (buf.length < off + len) break;
					const payload = buf.subarray(off, off + len);
					buf = buf.subarray(off + len);
					if (op === 8) { c.closed = true; sock.end(); return; }
					if (op === 9) { frame(10, payload); continue; }
					if (op === 1 || op === 0 || op === 2) {
						frag.push(payload);
						if (fin) {
							const s = Buffer.concat(frag).toString("utf8");
							frag = [];
							c.raw.push(s);
							try { c.messages.push(JSON.parse(s)); } catch { /* not JSON */ }
						}
					}
				}
			});
			sock.on("close", () => { c.closed = true; });
			sock.on("error", () => { c.closed = true; });
			// One masked frame (clients must mask).
			function frame(op, payload) {
				const mask = randomBytes(4);
				const n = payload.length;
				const h = n < 126 ? Buffer.from([0x80 | op, 0x80 | n])
					: n < 65536 ? Buffer.from([0x80 | op, 0x80 | 126, n >> 8, n & 255])
						: Buffer.concat([Buffer.from([0x80 | op, 0x80 | 127]),
							(() => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(n)); return b; })()]);
				const body = Buffer.from(payload);
				for (let i = 0; i < n; i++) body[i] ^= mask[i & 3];
				if (!sock.destroyed) sock.write(Buffer.concat([h, mask, body]));
			}
			c.send = (obj) => frame(1, Buffer.from(typeof obj === "string" ? obj : JSON.stringify(obj)));
			c.sendBinary = (b) => frame(2, b);
			c.waitFor = async (pred, ms = 5000, what = "a message") => {
				const t0 = Date.now();
				for (;;) {
					const m = c.messages.find(pred);
					if (m) return m;
					if (Date.now() - t0 > ms)
						throw new Error(`no ${what} within ${ms} ms; got: ${c.raw.map((s) => s.slice(0, 120)).join(" | ") || "(nothing)"}`);
					await sleep(20);
				}
			};
			c.close = () => { if (!sock.destroyed) { frame(8, Buffer.from([3, 232])); sock.end(); } };
			onEnd(t, () => c.close());
			resolve(c);
		});
		req.end();
	});
}

// hello(c, role, name, token): sends a hello (id 1) and waits for the
// daemon's answer (the hello that echoes id 1).
export async function hello(c, role, name, token) {
	const m = { type: "hello", role, name, id: 1 };
	if (token) m.token = token;
	c.send(m);
	return c.waitFor((x) => x.type === "hello" && x.id === 1, 5000, "hello answering ours (id 1)");
}

// Copies a file into the test output (e.g. the WAV a test used).
export function keep(file, name) {
	copyFileSync(file, path.join(OUT, name));
}

// spokenWav(out, text, {wake, voice, lead, tail}): TEXT spoken by a flite
// voice (rms by default), after "hey seoul." and a 0.6 s pause when wake is
// true, with `lead` seconds before (the page loads meanwhile) and `tail`
// after, over a noise bed; 16 kHz mono 16-bit, as tests/unit/fixtures.sh
// makes its recordings.
export async function spokenWav(out, text, { wake = true, voice = "rms", lead = 0.8, tail = 1.5 } = {}) {
	const parts = [];
	const say = async (s, f) => {
		await tool("flite", ["-voice", voice, "-t", s, "-o", `${f}.raw.wav`]);
		await tool("sox", ["-R", `${f}.raw.wav`, "-r", "16000", "-c", "1", "-b", "16",
			"-e", "signed-integer", f]);
		rmSync(`${f}.raw.wav`);
		parts.push(f);
	};
	if (wake) {
		await say("hey seoul.", `${out}.wake.wav`);
		await tool("sox", ["-R", `${out}.wake.wav`, `${out}.wakep.wav`, "pad", "0", "0.6"]);
		parts[0] = `${out}.wakep.wav`;
	}
	await say(text, `${out}.cmd.wav`);
	await tool("sox", ["-R", ...parts, `${out}.joined.wav`]);
	await leadIn(`${out}.joined.wav`, out, lead, tail);
	for (const f of [`${out}.wake.wav`, `${out}.wakep.wav`, `${out}.cmd.wav`, `${out}.joined.wav`])
		rmSync(f, { force: true });
	return out;
}

// idleAudio(dir): --audio-file of a long noise bed, so that the recognizer
// idles (nothing is said) while the test drives the pages.
export async function idleAudio(dir, seconds = 180) {
	return ["--audio-file", await noiseWav(path.join(dir, "idle.wav"), seconds)];
}

// Visible element of a page for a catalogue id: the first
// [data-content-id=ID] that is shown.
export function contentButton(page, id) {
	return page.locator(`[data-content-id="${id}"]:visible`).first();
}

// quietFor(rec, type, ms): asserts, over ms, that a recorded page received
// no message of that type after the ones it had at the call.
export async function quietFor(rec, type, ms) {
	const n = rec.messages(type).length;
	await sleep(ms);
	const got = rec.messages(type).slice(n);
	if (got.length)
		throw new Error(`unexpected ${type}: ${JSON.stringify(got)}`);
}
