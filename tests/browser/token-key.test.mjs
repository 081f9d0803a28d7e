// The JS client's token key (ui-bridge/js/smartoffice.js), as
// docs/integrating.md states it: smartoffice.token.<role> by default, a
// storageKey option overrides it, and a token a client stored under the
// old key (smartoffice.token) is moved to the role's key once.  Runs the
// module itself in node with a Map-backed localStorage; no browser needed.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { pathToFileURL } from "node:url";

const SRC = process.env.SO_SRC || path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
const { SmartOffice } = await import(pathToFileURL(path.join(SRC, "ui-bridge/js/smartoffice.js")).href);

function fakeStorage(init = {}) {
	const m = new Map(Object.entries(init));
	globalThis.localStorage = {
		getItem: (k) => (m.has(k) ? m.get(k) : null),
		setItem: (k, v) => m.set(k, String(v)),
		removeItem: (k) => m.delete(k),
	};
	return m;
}

const url = "ws://127.0.0.1:1/ws";

test("default key is smartoffice.token.<role>", () => {
	const m = fakeStorage({ "smartoffice.token.remote": "r-token", "smartoffice.token.display": "d-token" });
	const r = new SmartOffice({ url, role: "remote" });
	assert.equal(r.storageKey, "smartoffice.token.remote");
	assert.equal(r.token, "r-token");
	const d = new SmartOffice({ url });
	assert.equal(d.storageKey, "smartoffice.token.display");
	assert.equal(d.token, "d-token");
	assert.equal(new SmartOffice({ url, role: "observer" }).token, null);
	assert.equal(m.size, 2);
});

test("storageKey overrides the default", () => {
	fakeStorage({ "my.key": "mine", "smartoffice.token.display": "other" });
	const c = new SmartOffice({ url, storageKey: "my.key" });
	assert.equal(c.storageKey, "my.key");
	assert.equal(c.token, "mine");
});

test("a token under the old key smartoffice.token moves to the role's key", () => {
	const m = fakeStorage({ "smartoffice.token": "legacy" });
	const c = new SmartOffice({ url, role: "remote" });
	assert.equal(c.token, "legacy");
	assert.equal(m.get("smartoffice.token.remote"), "legacy");
	assert.equal(m.has("smartoffice.token"), false);
});
