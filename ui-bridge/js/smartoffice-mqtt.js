// smartoffice-mqtt.js: the MQTT transport of smartoffice.js (docs/mqtt.md).
// A page follows a daemon through an MQTT broker instead of the daemon's own
// websocket, with the same events and the same API:
//
//   import { connect } from "/js/smartoffice.js";
//   const so = connect({ mqtt: "wss://broker.example/mqtt", site: "mayor" });
//   so.on("navigate", (ev) => show(ev.content));
//
// Anonymous (no username): the site's public view, as a public display of
// the daemon's websocket gets it.  With the broker credentials of a trusted
// display (username, password): the trusted view; with a paired device's
// token as well, select() sends commands (smartoffice/SITE/command, QoS 1)
// and resolves with the daemon's reply.  The retained state message is a
// hello: the page is on the right screen as soon as it subscribes.
// mqtt.js (npm mqtt, MIT) is loaded from /js/mqtt/ next to this file.

const LIB = new URL("./mqtt/mqtt.esm.js", import.meta.url);

/**
 * Connects so (a SmartOffice) to opts.mqtt; called by SmartOffice.connect().
 * @param {import("./smartoffice.js").SmartOffice} so
 * @param {{mqtt: string, site?: string, username?: string, password?: string,
 *          mqttLib?: string, name?: string}} opts
 */
export async function attach(so, opts) {
	const { default: mqtt } = await import(opts.mqttLib || LIB);
	const site = opts.site || "office";
	const trusted = Boolean(opts.username);
	const view = trusted ? "trusted" : "public";
	const base = `smartoffice/${site}`;
	// Command ids are the daemon's deduplication keys: unique per page.
	const prefix = `${(opts.name || so.role).replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 24)}-` +
	    Math.random().toString(36).slice(2, 10);
	const topics = [`${base}/${view}/state`, `${base}/${view}/events`, `${base}/status`];
	if (trusted)
		topics.push(`${base}/trusted/replies`);
	const client = mqtt.connect(opts.mqtt, {
		clientId: `so-${prefix}`,
		username: opts.username,
		password: opts.password,
		protocolVersion: 4,
		clean: true,
		reconnectPeriod: 1000,
		connectTimeout: 10000,
		// the keepalive timer in the page itself: a worker from a blob: URL
		// is refused by the pages' Content-Security-Policy (script-src 'self')
		timerVariant: "native",
	});
	const decoder = new TextDecoder();

	so.site = site;
	so.transport = {
		name: "mqtt",
		client,
		/** Only select travels over MQTT; false for anything else. */
		send(m) {
			if (!client.connected || m.type !== "select" || !so.token || !trusted)
				return false;
			const cmd = { type: "select", id: `${prefix}:${m.id}`, token: so.token };
			if (m.content !== undefined)
				cmd.content = m.content;
			else
				cmd.command = m.command;
			client.publish(`${base}/command`, JSON.stringify(cmd), { qos: 1 });
			return true;
		},
		end() { client.end(true); },
	};
	client.on("connect", () => {
		client.subscribe(topics, { qos: trusted ? 1 : 0 });
		so.connected = true;
		so.emit("open", { type: "open", transport: "mqtt" });
	});
	client.on("close", () => {
		if (!so.connected)
			return;
		so.connected = false;
		so.failPending("disconnected");
		so.emit("close", { type: "close" });
	});
	client.on("error", (e) => so.emit("transport-error", { type: "transport-error", message: String(e?.message ?? e) }));
	client.on("message", (topic, payload) => {
		let m;
		try { m = JSON.parse(decoder.decode(payload)); } catch { return; }
		if (!m || typeof m !== "object")
			return;
		if (topic === `${base}/status`) {
			so.emit("status", { type: "status", site, online: m.online === true });
			return;
		}
		if (topic === `${base}/trusted/replies`) {
			// Ours only, with the id request() is waiting for.
			if (typeof m.id !== "string" || !m.id.startsWith(`${prefix}:`))
				return;
			m = { ...m, id: Number(m.id.slice(prefix.length + 1)) };
		}
		if (typeof m.type === "string")
			so.dispatch(m);
	});
}
