/*
 * test_clients — what websocket clients ask of the daemon (daemon/clients.c)
 * and a reload (daemon_reload in daemon/main.c, config_keep_restart_only in
 * daemon/config.c), on a real struct daemon: the configuration read from a
 * file as at start-up, models/catalogue.json, a tokens file in a temporary
 * state directory, the real pairing and state.  Only the websocket server
 * is a fake (tests/unit/fake_bridge.c): it keeps what each client would
 * have been written, so every case checks the exact JSON each client got,
 * and that a public client never got a private screen.
 *
 *  - hello as display, remote, observer; with a valid, unknown or revoked
 *    token (the token's role wins); a bad role; trust dropped by a second
 *    hello; a token revoked while connected; the documents each view lists;
 *  - select refused to an unpaired client and to an observer (nothing is
 *    broadcast), carried out for a trusted remote: the event to trusted and
 *    public clients, private screens and modes to trusted clients only;
 *    unknown content, private content in public mode, a malformed select;
 *  - confirm: only a paired remote; nothing to confirm; accepted; too late;
 *  - a tokens file that is unreadable demotes nobody, a revocation does;
 *  - a remote voice result: the reply with its id, then routed from
 *    "remote-voice"; dropped for a sender that lost its trust or left;
 *  - pairing: the code shown to trusted displays only, right, wrong, used
 *    and expired codes, the per-source request throttle (an IPv6 /64 is one
 *    source), the wrong-code lock-out of one source while another pairs;
 *  - audio-start/audio-end without a remote voice recognizer; unknown
 *    types; the request's id echoed in every reply;
 *  - reload: a restart-only option keeps its running value and the log
 *    names it; a bad configuration or catalogue keeps everything; a new
 *    catalogue gives every client a hello with the new screens.
 *
 * Runs from the repository root (models/catalogue.json); tests/run-unit
 * does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "tests/unit/testutil.h"
#include "tests/unit/fake_bridge.h"

#include "base/clock.h"
#include "base/log.h"
#include "daemon/clients.h"
#include "daemon/config.h"
#include "daemon/daemon.h"
#include "daemon/pairing.h"
#include "daemon/tokens.h"
#include "models/catalogue.h"

#define CATALOGUE "models/catalogue.json"

static struct daemon D;
static char dir[64], conf_path[128], errs_path[128];

/* ---- the daemon ---- */

static void
write_conf(const char *extra)
{
	char text[4096];

	snprintf(text, sizeof text,
	    "# test_clients\n"
	    "address = 127.0.0.1\n"
	    "port = 7681\n"
	    "catalogue = " CATALOGUE "\n"
	    "state_dir = %s/state\n"
	    "documents_dir = %s/docs\n"
	    "log_level = warning\n"
	    "%s", dir, dir, extra);
	write_file(conf_path, text);
}

static void
touch(const char *rel)
{
	char path[256];

	snprintf(path, sizeof path, "%s/%s", dir, rel);
	write_file(path, "%PDF-1.4\n");
}

/* A daemon as daemon_run() has it before its loop, without threads. */
static int
setup(void **state)
{
	char err[1024], path[256];
	FILE *errs;

	(void)state;
	log_init(-1);
	memset(&D, 0, sizeof D);
	if (tmpdir_make(dir, sizeof dir, "/tmp/so-clients-XXXXXX") < 0)
		return -1;
	snprintf(conf_path, sizeof conf_path, "%s/smartofficed.conf", dir);
	snprintf(errs_path, sizeof errs_path, "%s/errs", dir);
	snprintf(path, sizeof path, "%s/docs", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof path, "%s/docs/public", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof path, "%s/docs/private", dir);
	mkdir(path, 0700);
	touch("docs/public/city-briefing.pdf");
	touch("docs/private/2026-budget-plan.pdf");
	write_conf("");
	D.config_path = conf_path;
	if ((errs = fopen(errs_path, "w+")) == NULL)
		return -1;
	if (daemon_read_config(&D, &D.cfg, errs) != 0) {
		fclose(errs);
		fprintf(stderr, "the test's configuration has errors (%s)\n", errs_path);
		return -1;
	}
	fclose(errs);
	if ((D.cat = catalogue_load(D.cfg.catalogue, err, sizeof err)) == NULL) {
		fprintf(stderr, "%s (run from the repository root)\n", err);
		return -1;
	}
	if (daemon_ensure_state_dir(D.cfg.state_dir) < 0 ||
	    (D.tokens = tokens_open(D.cfg.state_dir, err, sizeof err)) == NULL) {
		fprintf(stderr, "tokens: %s\n", err);
		return -1;
	}
	D.pairing = pairing_new(D.cfg.pair_code_ttl, 5);
	clients_scan_documents(&D);
	state_init(&D.state, D.cat, UNLOCK_FACE);
	D.bridge = fake_bridge_new(D.cfg.port);
	D.started = clock_mono();
	return D.pairing != NULL && D.bridge != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	fake_bridge_free(D.bridge);
	tokens_close(D.tokens);
	pairing_free(D.pairing);
	for (size_t i = 0; i < D.ndocs; i++)
		free(D.docs[i]);
	free(D.docs);
	catalogue_free(D.cat);
	for (size_t i = 0; i < D.nheld; i++)
		catalogue_free(D.held[i]);
	free(D.held);
	config_free(&D.cfg);
	tmpdir_remove(dir);
	return 0;
}

/* ---- talking to it ---- */

static struct bridge_client *
connect_from(const char *address)
{
	struct bridge_client *c = fake_client_new(D.bridge, address);

	assert_non_null(c);
	return c;
}

/* One message from c, as the bridge hands it over: parsed once. */
static void
say(struct bridge_client *c, const char *text)
{
	json_error_t je;
	json_t *msg = json_loads(text, 0, &je);

	if (msg == NULL)
		fail_msg("the test's message is not JSON: %s: %s", je.text, text);
	clients_message(&D, c, msg);
	json_decref(msg);
}

/* The next message c got: of this type, sent to it alone (reply) or as
 * its view of a broadcast; the caller decrefs. */
static json_t *
next_of(struct bridge_client *c, const char *type, enum fake_how how)
{
	enum fake_how got;
	json_t *m = fake_client_next(c, &got);
	const char *t;

	if (m == NULL)
		fail_msg("client %llu: expected a \"%s\" message, got nothing", (unsigned long long)bridge_client_id(c),
		    type);
	t = json_string_value(json_object_get(m, "type"));
	if (t == NULL || strcmp(t, type) != 0 || got != how) {
		char *s = json_dumps(m, JSON_COMPACT);
		fail_msg("client %llu: expected a \"%s\" %s, got this %s: %s", (unsigned long long)bridge_client_id(c),
		    type, how == FAKE_SENT ? "reply" : "broadcast", got == FAKE_SENT ? "reply" : "broadcast", s);
	}
	return m;
}

static json_t *
reply_of(struct bridge_client *c, const char *type)
{
	return next_of(c, type, FAKE_SENT);
}

static json_t *
event_of(struct bridge_client *c, const char *type)
{
	return next_of(c, type, FAKE_BROADCAST);
}

static void
assert_str_member(const json_t *m, const char *key, const char *want)
{
	const char *v = json_string_value(json_object_get(m, key));

	if (v == NULL || strcmp(v, want) != 0) {
		char *s = json_dumps(m, JSON_COMPACT);
		fail_msg("\"%s\" should be \"%s\" in %s", key, want, s);
	}
}

/* id: the request's id, or -1 for a reply without one. */
static void
assert_id(const json_t *m, json_int_t id)
{
	json_t *v = json_object_get(m, "id");

	if (id < 0 && v != NULL)
		fail_msg("a reply to a message without an id has one");
	if (id >= 0 && (!json_is_integer(v) || json_integer_value(v) != id))
		fail_msg("the reply should carry the id %lld", (long long)id);
}

/* The next message is the error CODE with exactly MESSAGE. */
static void
expect_error(struct bridge_client *c, const char *code, const char *message, json_int_t id)
{
	json_t *m = reply_of(c, "error");

	assert_str_member(m, "code", code);
	assert_str_member(m, "message", message);
	assert_id(m, id);
	json_decref(m);
}

static void
expect_ok(struct bridge_client *c, json_int_t id)
{
	json_t *m = reply_of(c, "ok");

	assert_id(m, id);
	assert_int_equal(json_object_size(m), id >= 0 ? 2 : 1);
	json_decref(m);
}

static void
expect_nothing(struct bridge_client *c)
{
	if (fake_client_pending(c) > 0)
		fail_msg("client %llu got more than expected: %s", (unsigned long long)bridge_client_id(c),
		    fake_client_peek(c));
}

/* c was never written NEEDLE (everything it got, read or not). */
static void
never_got(struct bridge_client *c, const char *needle)
{
	char *all = fake_client_all(c);

	if (strstr(all, needle) != NULL)
		fail_msg("client %llu (%s) was written %s:\n%s", (unsigned long long)bridge_client_id(c),
		    bridge_client_trusted(c) ? "trusted" : "public", needle, all);
	free(all);
}

/* Does the array hold an object whose "id" is ID? */
static int
lists(const json_t *arr, const char *id)
{
	size_t i;
	json_t *e;

	json_array_foreach(arr, i, e)
		if (strcmp(json_string_value(json_object_get(e, "id")) ?: "", id) == 0)
			return 1;
	return 0;
}

/* A hello in VIEW for ROLE on SCREEN, checked through. */
static void
check_hello(const json_t *h, const char *role, int trusted, const char *screen)
{
	json_t *cat = json_object_get(h, "catalogue"), *ctl = json_object_get(h, "controls");
	json_t *docs = json_object_get(h, "documents");

	assert_str_member(h, "type", "hello");
	assert_int_equal(json_integer_value(json_object_get(h, "version")), 2);
	assert_str_member(h, "server", "smartofficed");
	assert_str_member(h, "role", role);
	assert_str_member(h, "view", trusted ? "trusted" : "public");
	assert_str_member(h, "screen", screen);
	assert_true(json_is_array(cat) && json_is_array(ctl) && json_is_array(docs));
	/* The public screens for everyone; the private ones, and the controls
	 * that switch the mode, for the trusted view only. */
	assert_true(lists(cat, "main") && lists(cat, "air-quality") && lists(cat, "cctv"));
	assert_int_equal(lists(cat, "approval-documents"), trusted);
	assert_int_equal(lists(cat, "video-conference"), trusted);
	assert_true(lists(ctl, "next") && lists(ctl, "stop"));
	assert_int_equal(lists(ctl, "private-mode"), trusted);
	assert_int_equal(lists(ctl, "public-mode"), trusted);
	assert_int_equal(json_array_size(cat), trusted ? 26 : 24);
	/* Documents: the public one for all, the private one when trusted. */
	assert_true(lists(docs, "public/city-briefing.pdf"));
	assert_int_equal(lists(docs, "private/2026-budget-plan.pdf"), trusted);
	assert_int_equal(json_array_size(docs), trusted ? 2 : 1);
}

static void
expect_hello(struct bridge_client *c, const char *role, int trusted, const char *screen, json_int_t id)
{
	json_t *h = reply_of(c, "hello");

	check_hello(h, role, trusted, screen);
	assert_id(h, id);
	json_decref(h);
}

/* A token for ROLE, made as `smartofficed tokens add` would. */
static void
new_token(enum token_role role, char token[TOKENS_TOKEN_LEN + 1], char id[9])
{
	char err[512];

	if (tokens_add(D.tokens, role, "test device", token, id, err, sizeof err) < 0)
		fail_msg("tokens_add: %s", err);
}

/* Revoked by another process (the command line), as in real life. */
static void
revoke_elsewhere(const char *id)
{
	char err[512];
	struct tokens *t = tokens_open(D.cfg.state_dir, err, sizeof err);

	if (t == NULL || tokens_revoke(t, id, err, sizeof err) < 0)
		fail_msg("revoke: %s", err);
	tokens_close(t);
	/* tokens_reload_if_changed compares mtime and inode: the rename made
	 * a new inode, so no sleep is needed. */
}

/* A client with a token for ROLE, its hello read. */
static struct bridge_client *
paired(enum token_role role, const char *address)
{
	struct bridge_client *c = connect_from(address);
	char token[TOKENS_TOKEN_LEN + 1], id[9], msg[256];

	new_token(role, token, id);
	snprintf(msg, sizeof msg, "{\"type\":\"hello\",\"role\":\"%s\",\"token\":\"%s\"}", tokens_role_name(role),
	    token);
	say(c, msg);
	expect_hello(c, tokens_role_name(role), 1, D.state.screen, -1);
	expect_nothing(c);
	assert_string_equal(bridge_client_token_id(c), id);
	return c;
}

static struct bridge_client *
public_display(const char *address)
{
	struct bridge_client *c = connect_from(address);

	say(c, "{\"type\":\"hello\",\"role\":\"display\"}");
	expect_hello(c, "display", 0, D.state.public_screen, -1);
	return c;
}

/* ---- hello ---- */

static void
test_hello_public(void **state)
{
	struct bridge_client *c = connect_from("192.0.2.10"), *other = connect_from("192.0.2.11");

	(void)state;
	say(c, "{\"type\":\"hello\",\"role\":\"display\",\"name\":\"wall\",\"id\":7}");
	expect_hello(c, "display", 0, "main", 7);
	expect_nothing(c);
	assert_false(bridge_client_trusted(c));
	/* No role: a display; remote and observer are taken at their word
	 * for the role, never for trust. */
	say(other, "{\"type\":\"hello\"}");
	expect_hello(other, "display", 0, "main", -1);
	say(other, "{\"type\":\"hello\",\"role\":\"remote\",\"token\":\"\"}");
	expect_hello(other, "remote", 0, "main", -1);
	say(other, "{\"type\":\"hello\",\"role\":\"observer\"}");
	expect_hello(other, "observer", 0, "main", -1);
	expect_nothing(other);
	/* Nothing was broadcast for a hello. */
	assert_int_equal(fake_bridge_broadcasts(D.bridge), 0);
	expect_nothing(c);
}

static void
test_hello_token(void **state)
{
	struct bridge_client *c = connect_from("192.0.2.20"), *o = connect_from("192.0.2.21");
	char token[TOKENS_TOKEN_LEN + 1], id[9], msg[256];

	(void)state;
	/* A remote's token, claiming to be a display: the token's role. */
	new_token(TOKEN_REMOTE, token, id);
	snprintf(msg, sizeof msg, "{\"type\":\"hello\",\"role\":\"display\",\"token\":\"%s\",\"id\":1}", token);
	say(c, msg);
	expect_hello(c, "remote", 1, "main", 1);
	expect_nothing(c);
	assert_true(bridge_client_trusted(c));
	assert_string_equal(bridge_client_role(c), "remote");
	assert_string_equal(bridge_client_token_id(c), id);
	/* An observer's token claiming remote: an observer, trusted view. */
	new_token(TOKEN_OBSERVER, token, id);
	snprintf(msg, sizeof msg, "{\"type\":\"hello\",\"role\":\"remote\",\"token\":\"%s\"}", token);
	say(o, msg);
	expect_hello(o, "observer", 1, "main", -1);
	assert_string_equal(bridge_client_role(o), "observer");
	/* A display's token. */
	o = paired(TOKEN_DISPLAY, "192.0.2.22");
	assert_string_equal(bridge_client_role(o), "display");
}

static void
test_hello_bad_token(void **state)
{
	struct bridge_client *c = connect_from("192.0.2.30");
	char token[TOKENS_TOKEN_LEN + 1], id[9], msg[256];

	(void)state;
	say(c, "{\"type\":\"hello\",\"role\":\"remote\",\"token\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
	    "\"id\":3}");
	expect_error(c, "bad-token", "unknown or revoked token: public view", 3);
	expect_hello(c, "remote", 0, "main", 3);
	expect_nothing(c);
	assert_false(bridge_client_trusted(c));
	/* A token revoked from the command line is refused the same way. */
	new_token(TOKEN_REMOTE, token, id);
	revoke_elsewhere(id);
	snprintf(msg, sizeof msg, "{\"type\":\"hello\",\"role\":\"remote\",\"token\":\"%s\"}", token);
	say(c, msg);
	expect_error(c, "bad-token", "unknown or revoked token: public view", -1);
	expect_hello(c, "remote", 0, "main", -1);
	assert_false(bridge_client_trusted(c));
}

static void
test_hello_bad_fields(void **state)
{
	static const char *const bad[] = {
		"{\"type\":\"hello\",\"role\":\"root\",\"id\":4}",
		"{\"type\":\"hello\",\"role\":7,\"id\":4}",
		"{\"type\":\"hello\",\"token\":42,\"id\":4}",
		"{\"type\":\"hello\",\"name\":\"01234567890123456789012345678901234567890123456789012345678901234\","
		"\"id\":4}",
	};
	struct bridge_client *c = paired(TOKEN_REMOTE, "192.0.2.40");

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		say(c, bad[i]);
		expect_error(c, "bad-request", "hello: role must be \"display\", \"remote\", \"observer\", \"tv\" or \"admin\"; "
		    "name (at most 64 bytes) and token must be strings", 4);
		expect_nothing(c);
	}
	/* A refused hello changes nothing. */
	assert_true(bridge_client_trusted(c));
	assert_string_equal(bridge_client_role(c), "remote");
}

/* A second hello without the token: the public view, no audio stream. */
static void
test_hello_drops_trust(void **state)
{
	struct bridge_client *c = paired(TOKEN_REMOTE, "192.0.2.50");

	(void)state;
	bridge_client_allow_binary(c, 1);
	say(c, "{\"type\":\"hello\",\"role\":\"remote\"}");
	expect_hello(c, "remote", 0, "main", -1);
	assert_false(bridge_client_trusted(c));
	assert_false(fake_client_binary(c));
	say(c, "{\"type\":\"select\",\"content\":\"air-quality\"}");
	expect_error(c, "unauthorized", "pair this device first (pair-request, then pair)", -1);
}

/* Revoked while connected: a public hello, nothing more for it. */
static void
test_revoked_while_connected(void **state)
{
	struct bridge_client *c = paired(TOKEN_REMOTE, "192.0.2.60"), *d = paired(TOKEN_DISPLAY, "192.0.2.61");

	(void)state;
	clients_check_tokens(&D);       /* unchanged file: nothing */
	expect_nothing(c);
	expect_nothing(d);
	revoke_elsewhere(bridge_client_token_id(c));
	clients_check_tokens(&D);
	expect_hello(c, "remote", 0, "main", -1);
	expect_nothing(c);
	expect_nothing(d);              /* the display keeps its token */
	assert_true(bridge_client_trusted(d));
	say(c, "{\"type\":\"select\",\"content\":\"air-quality\",\"id\":5}");
	expect_error(c, "unauthorized", "pair this device first (pair-request, then pair)", 5);
	expect_nothing(d);
}

/* ---- select ---- */

static void
test_select_unpaired(void **state)
{
	struct bridge_client *c = public_display("192.0.2.70"), *t = paired(TOKEN_DISPLAY, "192.0.2.71");

	(void)state;
	say(c, "{\"type\":\"select\",\"content\":\"air-quality\",\"id\":11}");
	expect_error(c, "unauthorized", "pair this device first (pair-request, then pair)", 11);
	say(c, "{\"type\":\"select\",\"command\":\"next\"}");
	expect_error(c, "unauthorized", "pair this device first (pair-request, then pair)", -1);
	expect_nothing(c);
	expect_nothing(t);
	assert_int_equal(fake_bridge_broadcasts(D.bridge), 0);
	assert_string_equal(D.state.screen, "main");
}

static void
test_select_observer(void **state)
{
	struct bridge_client *o = paired(TOKEN_OBSERVER, "192.0.2.80"), *t = paired(TOKEN_DISPLAY, "192.0.2.81");

	(void)state;
	say(o, "{\"type\":\"select\",\"content\":\"air-quality\",\"id\":12}");
	expect_error(o, "unauthorized", "observers cannot command", 12);
	expect_nothing(o);
	expect_nothing(t);
	assert_int_equal(fake_bridge_broadcasts(D.bridge), 0);
	assert_string_equal(D.state.screen, "main");
}

static void
test_select_trusted_remote(void **state)
{
	struct bridge_client *r = paired(TOKEN_REMOTE, "192.0.2.90"), *t = paired(TOKEN_DISPLAY, "192.0.2.91");
	struct bridge_client *p = public_display("192.0.2.92");
	struct bridge_client *who[] = { r, t, p };
	json_t *ev;
	json_int_t seq;

	(void)state;
	say(r, "{\"type\":\"select\",\"content\":\"air-quality\",\"id\":13}");
	/* Every client, trusted or public, sees the same public navigate. */
	for (size_t i = 0; i < 3; i++) {
		ev = event_of(who[i], "navigate");
		assert_str_member(ev, "content", "air-quality");
		assert_str_member(ev, "source", "remote");
		assert_int_equal(json_integer_value(json_object_get(ev, "seq")), 1);
		assert_true(json_is_number(json_object_get(ev, "t")));
		assert_int_equal(json_object_size(ev), 5);
		json_decref(ev);
	}
	expect_ok(r, 13);
	expect_nothing(r);
	expect_nothing(t);
	expect_nothing(p);
	assert_string_equal(D.state.screen, "air-quality");
	assert_string_equal(D.state.public_screen, "air-quality");
	/* A control: a command event, to all. */
	say(r, "{\"type\":\"select\",\"command\":\"next\"}");
	for (size_t i = 0; i < 3; i++) {
		ev = event_of(who[i], "command");
		assert_str_member(ev, "command", "next");
		assert_str_member(ev, "source", "remote");
		seq = json_integer_value(json_object_get(ev, "seq"));
		assert_int_equal(seq, 2);
		json_decref(ev);
	}
	expect_ok(r, -1);
	/* A trusted display may select too. */
	say(t, "{\"type\":\"select\",\"content\":\"cctv\",\"id\":0}");
	for (size_t i = 0; i < 3; i++) {
		ev = event_of(who[i], "navigate");
		assert_str_member(ev, "content", "cctv");
		json_decref(ev);
	}
	expect_ok(t, 0);
	for (size_t i = 0; i < 3; i++)
		expect_nothing(who[i]);
}

/* Private mode and a private screen: the trusted see them, the public
 * never get a byte of them, and stay on the last public screen. */
static void
test_select_private_stays_private(void **state)
{
	struct bridge_client *r = paired(TOKEN_REMOTE, "192.0.2.100"), *t = paired(TOKEN_DISPLAY, "192.0.2.101");
	struct bridge_client *p = public_display("192.0.2.102"), *late;
	json_t *ev;

	(void)state;
	D.state.unlock = UNLOCK_VOICE;  /* private mode without a camera */
	say(r, "{\"type\":\"select\",\"content\":\"air-quality\"}");
	for (int i = 0; i < 2; i++)
		json_decref(event_of(i ? t : r, "navigate"));
	json_decref(event_of(p, "navigate"));
	expect_ok(r, -1);
	/* Private content in public mode: denied, to the sender and trusted. */
	say(r, "{\"type\":\"select\",\"content\":\"approval-documents\",\"id\":21}");
	ev = event_of(t, "denied");
	assert_str_member(ev, "content", "approval-documents");
	assert_str_member(ev, "reason", "private-content-in-public-mode");
	json_decref(ev);
	json_decref(event_of(r, "denied"));
	expect_error(r, "denied", "approval-documents: private-content-in-public-mode", 21);
	expect_nothing(p);
	/* Private mode: a mode event for the trusted only. */
	say(r, "{\"type\":\"select\",\"command\":\"private-mode\"}");
	ev = event_of(t, "mode");
	assert_str_member(ev, "mode", "private");
	assert_str_member(ev, "reason", "remote");
	json_decref(ev);
	json_decref(event_of(r, "mode"));
	expect_ok(r, -1);
	expect_nothing(p);
	/* The private screen: trusted only. */
	say(r, "{\"type\":\"select\",\"content\":\"approval-documents\"}");
	ev = event_of(t, "navigate");
	assert_str_member(ev, "content", "approval-documents");
	json_decref(ev);
	json_decref(event_of(r, "navigate"));
	expect_ok(r, -1);
	expect_nothing(p);
	/* A public display that connects now sees the last public screen; a
	 * trusted one, the private screen in private mode. */
	late = public_display("192.0.2.103");
	expect_nothing(late);
	{
		struct bridge_client *lt = paired(TOKEN_DISPLAY, "192.0.2.104");
		(void)lt;
	}
	/* Public mode again: the displays leave the private screen (policy). */
	say(r, "{\"type\":\"select\",\"command\":\"public-mode\"}");
	ev = event_of(t, "mode");
	assert_str_member(ev, "mode", "public");
	json_decref(ev);
	ev = event_of(t, "navigate");
	assert_str_member(ev, "content", "main");
	assert_str_member(ev, "source", "policy");
	json_decref(ev);
	ev = event_of(p, "navigate");
	assert_str_member(ev, "content", "main");
	assert_str_member(ev, "source", "policy");
	json_decref(ev);
	expect_nothing(p);
	for (int i = 0; i < 2; i++) {
		never_got(i ? late : p, "approval-documents");
		never_got(i ? late : p, "private");
		never_got(i ? late : p, "\"type\":\"mode\"");
		never_got(i ? late : p, "\"type\":\"denied\"");
	}
}

static void
test_select_refused(void **state)
{
	struct bridge_client *r = paired(TOKEN_REMOTE, "192.0.2.110"), *t = paired(TOKEN_DISPLAY, "192.0.2.111");

	(void)state;
	say(r, "{\"type\":\"select\",\"content\":\"no-such-screen\",\"id\":31}");
	expect_error(r, "unknown-content", "no-such-screen: not in the catalogue", 31);
	say(r, "{\"type\":\"select\",\"content\":\"main\",\"command\":\"next\",\"id\":32}");
	expect_error(r, "bad-request", "select needs one string member: content or command", 32);
	say(r, "{\"type\":\"select\",\"id\":33}");
	expect_error(r, "bad-request", "select needs one string member: content or command", 33);
	say(r, "{\"type\":\"select\",\"content\":5}");
	expect_error(r, "bad-request", "select needs one string member: content or command", -1);
	/* Private mode by face, with no camera: denied with the reason. */
	say(r, "{\"type\":\"select\",\"command\":\"private-mode\"}");
	json_decref(event_of(r, "denied"));
	json_decref(event_of(t, "denied"));
	expect_error(r, "denied", "private-mode: face-verification-required", -1);
	expect_nothing(r);
	expect_nothing(t);
	assert_int_equal(D.state.private_mode, 0);
}

/* ---- confirm ---- */

static void
test_confirm(void **state)
{
	struct bridge_client *r = paired(TOKEN_REMOTE, "192.0.2.120"), *t = paired(TOKEN_DISPLAY, "192.0.2.121");
	struct bridge_client *p = public_display("192.0.2.122"), *o = paired(TOKEN_OBSERVER, "192.0.2.123");
	json_t *ev;

	(void)state;
	/* Only a paired remote: not a trusted display, observer or stranger. */
	say(t, "{\"type\":\"confirm\",\"accept\":true,\"id\":41}");
	expect_error(t, "unauthorized", "only a paired remote confirms", 41);
	say(o, "{\"type\":\"confirm\",\"accept\":true}");
	expect_error(o, "unauthorized", "only a paired remote confirms", -1);
	say(p, "{\"type\":\"confirm\",\"accept\":true}");
	expect_error(p, "unauthorized", "only a paired remote confirms", -1);
	say(r, "{\"type\":\"confirm\",\"accept\":true,\"id\":42}");
	expect_error(r, "bad-request", "nothing to confirm", 42);
	say(r, "{\"type\":\"confirm\",\"accept\":\"yes\"}");
	expect_error(r, "bad-request", "confirm needs \"accept\": true or false", -1);
	/* A camera that verified the face, and the remote as second factor. */
	D.state.face_available = 1;
	D.state.confirm_remote = 1;
	say(r, "{\"type\":\"select\",\"command\":\"private-mode\"}");
	ev = event_of(t, "verify");
	assert_str_member(ev, "state", "started");
	json_decref(ev);
	json_decref(event_of(r, "verify"));
	expect_ok(r, -1);
	state_face(&D.state, FACE_VERIFIED, "mayor", daemon_now(&D), daemon_emit, &D);
	daemon_follow_state(&D);
	for (int i = 0; i < 2; i++) {
		json_decref(event_of(i ? t : r, "face"));
		ev = event_of(i ? t : r, "verify");
		assert_str_member(ev, "state", "confirm");
		json_decref(ev);
	}
	assert_int_equal(D.state.private_mode, 0);
	say(r, "{\"type\":\"confirm\",\"accept\":true,\"id\":43}");
	ev = event_of(t, "mode");
	assert_str_member(ev, "mode", "private");
	assert_str_member(ev, "reason", "face-verified+remote");
	json_decref(ev);
	json_decref(event_of(r, "mode"));
	expect_ok(r, 43);
	assert_int_equal(D.state.private_mode, 1);
	expect_nothing(r);
	expect_nothing(t);
	/* The observer is trusted: it follows all of it. */
	json_decref(event_of(o, "verify"));
	json_decref(event_of(o, "face"));
	json_decref(event_of(o, "verify"));
	json_decref(event_of(o, "mode"));
	expect_nothing(o);
	never_got(p, "\"type\":\"verify\"");
	never_got(p, "\"type\":\"mode\"");
	never_got(p, "\"type\":\"face\"");
	expect_nothing(p);
}

/* The remote's confirmation after its deadline: refused, and private
 * mode is denied, as if it had said no. */
static void
test_confirm_too_late(void **state)
{
	struct bridge_client *r = paired(TOKEN_REMOTE, "192.0.2.124"), *t = paired(TOKEN_DISPLAY, "192.0.2.125");
	json_t *ev;

	(void)state;
	D.cfg.face_verify_timeout_s = 0.2;
	D.state.face_available = 1;
	D.state.confirm_remote = 1;
	say(r, "{\"type\":\"select\",\"command\":\"private-mode\"}");
	json_decref(event_of(r, "verify"));
	expect_ok(r, -1);
	state_face(&D.state, FACE_VERIFIED, "mayor", daemon_now(&D), daemon_emit, &D);
	daemon_follow_state(&D);        /* the deadline starts now */
	json_decref(event_of(r, "face"));
	json_decref(event_of(r, "verify"));
	fake_client_clear(t);
	usleep(350 * 1000);
	say(r, "{\"type\":\"confirm\",\"accept\":true,\"id\":44}");
	ev = event_of(t, "verify");
	assert_str_member(ev, "state", "refused");
	json_decref(ev);
	ev = event_of(t, "denied");
	assert_str_member(ev, "command", "private-mode");
	assert_str_member(ev, "reason", "refused-on-remote");
	json_decref(ev);
	json_decref(event_of(r, "verify"));
	json_decref(event_of(r, "denied"));
	expect_error(r, "denied", "the confirmation came too late; ask for private mode again", 44);
	assert_int_equal(D.state.private_mode, 0);
	assert_int_equal(D.state.confirm_pending, 0);
	expect_nothing(t);
}

/* A tokens file that cannot be read demotes nobody; a good one that
 * lacks a token does. */
static void
test_tokens_unreadable(void **state)
{
	struct bridge_client *r = paired(TOKEN_REMOTE, "192.0.2.65"), *t = paired(TOKEN_DISPLAY, "192.0.2.66");

	(void)state;
	assert_int_equal(chmod(tokens_path(D.tokens), 0644), 0);   /* too open: refused */
	clients_check_tokens(&D);
	assert_true(bridge_client_trusted(r));
	assert_true(bridge_client_trusted(t));
	assert_int_equal(D.tokens_unreadable, 1);
	expect_nothing(r);
	expect_nothing(t);
	/* Still trusted: it may command. */
	say(r, "{\"type\":\"select\",\"content\":\"prices\",\"id\":8}");
	json_decref(event_of(r, "navigate"));
	json_decref(event_of(t, "navigate"));
	expect_ok(r, 8);
	assert_int_equal(chmod(tokens_path(D.tokens), 0600), 0);
	clients_check_tokens(&D);
	assert_int_equal(D.tokens_unreadable, 0);
	assert_true(bridge_client_trusted(r));
	expect_nothing(r);
	expect_nothing(t);
	/* A real revocation, once it is readable: demoted. */
	revoke_elsewhere(bridge_client_token_id(t));
	clients_check_tokens(&D);
	expect_hello(t, "display", 0, "prices", -1);
	assert_false(bridge_client_trusted(t));
	expect_nothing(r);
}

/* What the remote's voice button decided (remote_voice's input). */
static void
voice_input(struct input *in, enum input_kind kind, uint64_t client, long long request, const char *id,
            const char *text)
{
	memset(in, 0, sizeof *in);
	in->kind = kind;
	in->t = 1.5;
	in->speech.client = client;
	in->speech.request_id = request;
	in->speech.confidence = 0.9;
	snprintf(in->speech.id, sizeof in->speech.id, "%s", id);
	snprintf(in->speech.text, sizeof in->speech.text, "%s", text);
	if (kind == IN_REJECT)
		snprintf(in->speech.reason, sizeof in->speech.reason, "low-confidence");
}

static void
test_voice_result(void **state)
{
	struct bridge_client *r = paired(TOKEN_REMOTE, "192.0.2.175"), *p = public_display("192.0.2.176");
	struct input in;
	json_t *m;

	(void)state;
	voice_input(&in, IN_COMMAND, bridge_client_id(r), 77, "air-quality", "show me the air quality");
	clients_voice_result(&D, &in);
	/* The answer to audio-end first, with its id ... */
	m = reply_of(r, "recognized");
	assert_str_member(m, "result", "command");
	assert_str_member(m, "content", "air-quality");
	assert_str_member(m, "text", "show me the air quality");
	assert_id(m, 77);
	json_decref(m);
	/* ... then it is routed as the room's voice would be, from
	 * "remote-voice", to everyone. */
	for (int i = 0; i < 2; i++) {
		m = event_of(i ? p : r, "intent");
		assert_str_member(m, "content", "air-quality");
		assert_str_member(m, "source", "remote-voice");
		json_decref(m);
		m = event_of(i ? p : r, "navigate");
		assert_str_member(m, "content", "air-quality");
		assert_str_member(m, "source", "remote-voice");
		json_decref(m);
	}
	/* A rejection: the reply says why, the others get the public view. */
	voice_input(&in, IN_REJECT, bridge_client_id(r), -1, "", "mumble");
	clients_voice_result(&D, &in);
	m = reply_of(r, "recognized");
	assert_str_member(m, "result", "rejected");
	assert_str_member(m, "reason", "low-confidence");
	assert_id(m, -1);
	json_decref(m);
	json_decref(event_of(r, "rejected"));
	m = event_of(p, "rejected");
	assert_null(json_object_get(m, "text"));        /* never the words */
	json_decref(m);
	/* The sender lost its trust while it was decoded: dropped. */
	say(r, "{\"type\":\"hello\",\"role\":\"remote\"}");
	json_decref(reply_of(r, "hello"));
	voice_input(&in, IN_COMMAND, bridge_client_id(r), 78, "prices", "prices");
	clients_voice_result(&D, &in);
	/* ... or is gone. */
	voice_input(&in, IN_COMMAND, 999, 79, "prices", "prices");
	clients_voice_result(&D, &in);
	expect_nothing(r);
	expect_nothing(p);
	assert_string_equal(D.state.screen, "air-quality");
}

/* ---- pairing ---- */

/* The code the trusted display was told to show (NULL: told none). */
static const char *
shown_code(struct bridge_client *display, char *buf, size_t len)
{
	json_t *m = reply_of(display, "pairing");
	json_t *code = json_object_get(m, "code");

	if (json_is_null(code)) {
		assert_int_equal(json_object_size(m), 2);
		json_decref(m);
		return NULL;
	}
	snprintf(buf, len, "%s", json_string_value(code));
	json_decref(m);
	return buf;
}

static void
expect_code_cleared(struct bridge_client *display)
{
	char code[16];

	if (shown_code(display, code, sizeof code) != NULL)
		fail_msg("the displays should have been told to stop showing a code; got code %s", code);
}

static const char *
expect_code(struct bridge_client *display, char *buf, size_t len)
{
	if (shown_code(display, buf, len) == NULL)
		fail_msg("the trusted display was told to show no code");
	return buf;
}

static void
pair_request(struct bridge_client *c, const char *name, json_int_t id)
{
	char msg[256];

	if (id >= 0)
		snprintf(msg, sizeof msg, "{\"type\":\"pair-request\",\"name\":\"%s\",\"id\":%lld}", name,
		    (long long)id);
	else
		snprintf(msg, sizeof msg, "{\"type\":\"pair-request\",\"name\":\"%s\"}", name);
	say(c, msg);
}

static void
expect_pending(struct bridge_client *c, json_int_t id)
{
	json_t *m = reply_of(c, "pair-pending");

	assert_int_equal(json_integer_value(json_object_get(m, "expires")), D.cfg.pair_code_ttl);
	assert_id(m, id);
	json_decref(m);
}

static void
pair(struct bridge_client *c, const char *code, json_int_t id)
{
	char msg[128];

	if (id >= 0)
		snprintf(msg, sizeof msg, "{\"type\":\"pair\",\"code\":\"%s\",\"id\":%lld}", code, (long long)id);
	else
		snprintf(msg, sizeof msg, "{\"type\":\"pair\",\"code\":\"%s\"}", code);
	say(c, msg);
}

/* Another six digits than CODE. */
static const char *
wrong_of(const char *code, int k, char *buf)
{
	memcpy(buf, code, 6);
	buf[6] = '\0';
	buf[k % 6] = buf[k % 6] == '9' ? '0' : buf[k % 6] + 1;
	return buf;
}

#define BAD_CODE_TEXT "wrong, used or expired pairing code"

static void
test_pairing(void **state)
{
	struct bridge_client *t = paired(TOKEN_DISPLAY, "192.0.2.130"), *r = paired(TOKEN_REMOTE, "192.0.2.131");
	struct bridge_client *p = public_display("192.0.2.132"), *n = connect_from("198.51.100.7");
	char code[16], wrong[8], url[128];
	json_t *m, *qr, *row;
	const char *token, *tid;
	struct token_info ti;
	size_t i, width;

	(void)state;
	say(n, "{\"type\":\"hello\",\"role\":\"remote\",\"name\":\"Tablet 3\"}");
	expect_hello(n, "remote", 0, "main", -1);
	pair_request(n, "Tablet 3", 51);
	/* The trusted display shows the code, its link and its QR code. */
	m = reply_of(t, "pairing");
	snprintf(code, sizeof code, "%s", json_string_value(json_object_get(m, "code")) ?: "");
	assert_int_equal(strlen(code), 6);
	assert_int_equal(strspn(code, "0123456789"), 6);
	assert_str_member(m, "name", "Tablet 3");
	snprintf(url, sizeof url, "http://127.0.0.1:7681/remote/#pair=%s", code);
	assert_str_member(m, "url", url);
	assert_int_equal(json_integer_value(json_object_get(m, "expires")), 120);
	qr = json_object_get(m, "qr");
	assert_true(json_is_array(qr) && json_array_size(qr) >= 21);
	width = json_array_size(qr);
	json_array_foreach(qr, i, row) {
		assert_true(json_is_string(row));
		assert_int_equal(json_string_length(row), width);
		assert_int_equal(strspn(json_string_value(row), "01"), width);
	}
	json_decref(m);
	expect_nothing(t);
	/* The asker is told to wait for it, nobody else is told anything. */
	expect_pending(n, 51);
	expect_nothing(n);
	expect_nothing(r);
	expect_nothing(p);
	/* A wrong code. */
	pair(n, wrong_of(code, 0, wrong), 52);
	expect_error(n, "bad-pairing-code", BAD_CODE_TEXT, 52);
	expect_nothing(t);
	assert_false(bridge_client_trusted(n));
	/* The right one: a token for the role it said hello as, its trusted
	 * hello, and the displays stop showing the code. */
	pair(n, code, 53);
	m = reply_of(n, "paired");
	assert_str_member(m, "role", "remote");
	assert_id(m, 53);
	token = json_string_value(json_object_get(m, "token"));
	tid = json_string_value(json_object_get(m, "token_id"));
	assert_non_null(token);
	assert_non_null(tid);
	assert_int_equal(strlen(token), TOKENS_TOKEN_LEN);
	assert_int_equal(tokens_check(D.tokens, token, &ti), 1);
	assert_string_equal(ti.id, tid);
	assert_int_equal(ti.role, TOKEN_REMOTE);
	assert_string_equal(ti.name, "Tablet 3");
	assert_string_equal(bridge_client_token_id(n), tid);
	json_decref(m);
	expect_hello(n, "remote", 1, "main", -1);
	expect_nothing(n);
	expect_code_cleared(t);
	expect_nothing(t);
	expect_nothing(r);
	expect_nothing(p);
	assert_true(bridge_client_trusted(n));
	/* Used: the same code again is refused. */
	pair(p, code, -1);
	expect_error(p, "bad-pairing-code", BAD_CODE_TEXT, -1);
	/* A name that cannot be stored. */
	say(p, "{\"type\":\"pair-request\",\"name\":\"bad\\u0001name\",\"id\":54}");
	expect_error(p, "bad-request", "pair-request: name must be a string of at most 64 bytes without "
	    "control characters", 54);
	say(p, "{\"type\":\"pair\",\"id\":55}");
	expect_error(p, "bad-request", "pair: code must be a string", 55);
	expect_nothing(t);
	/* A display that pairs gets a display token; an observer, a remote's. */
	pair_request(t, "wall 2", -1);
	expect_code(t, code, sizeof code);
	expect_pending(t, -1);
	pair(p, code, -1);
	m = reply_of(p, "paired");
	assert_str_member(m, "role", "display");
	json_decref(m);
	expect_hello(p, "display", 1, "main", -1);
	expect_code_cleared(t);
	/* p is a trusted display now: it is told the codes too. */
	expect_code_cleared(p);
}

/*
 * A revoke from the command line just before a pairing: the pairing's
 * write reads the tokens file in under its lock, so the housekeeping's
 * reload would never see the revoke; the pairing applies it itself (no
 * clients_check_tokens runs in between here).
 */
static void
test_pairing_applies_revoke(void **state)
{
	struct bridge_client *t = paired(TOKEN_DISPLAY, "192.0.2.135"), *v = paired(TOKEN_REMOTE, "192.0.2.136");
	struct bridge_client *n = connect_from("198.51.100.9");
	char code[16];

	(void)state;
	say(n, "{\"type\":\"hello\",\"role\":\"remote\",\"name\":\"Tablet 4\"}");
	expect_hello(n, "remote", 0, "main", -1);
	pair_request(n, "Tablet 4", 61);
	expect_code(t, code, sizeof code);
	expect_pending(n, 61);
	revoke_elsewhere(bridge_client_token_id(v));
	pair(n, code, 62);
	json_decref(reply_of(n, "paired"));
	expect_hello(n, "remote", 1, "main", -1);
	expect_code_cleared(t);
	/* v is public at once, and the housekeeping has nothing left to do. */
	expect_hello(v, "remote", 0, "main", -1);
	assert_false(bridge_client_trusted(v));
	clients_check_tokens(&D);
	expect_nothing(v);
	expect_nothing(t);
}

/* tokens rename from the command line: the token's live connections show
 * the new name after the housekeeping's reload, and stay trusted. */
static void
test_renamed_while_connected(void **state)
{
	struct bridge_client *r = paired(TOKEN_REMOTE, "192.0.2.137"), *o = paired(TOKEN_REMOTE, "192.0.2.138");
	char err[512];
	struct tokens *tk = tokens_open(D.cfg.state_dir, err, sizeof err);

	(void)state;
	assert_string_equal(bridge_client_name(r), "test device");
	if (tk == NULL || tokens_rename(tk, bridge_client_token_id(r), "hall tablet", err, sizeof err) < 0)
		fail_msg("rename: %s", err);
	tokens_close(tk);
	clients_check_tokens(&D);
	assert_string_equal(bridge_client_name(r), "hall tablet");
	assert_true(bridge_client_trusted(r));
	assert_string_equal(bridge_client_name(o), "test device");
	expect_nothing(r);
	expect_nothing(o);
}

static void
test_pairing_expired(void **state)
{
	struct bridge_client *t = paired(TOKEN_DISPLAY, "192.0.2.140"), *n = connect_from("198.51.100.8");
	char code[16];

	(void)state;
	pairing_free(D.pairing);
	D.pairing = pairing_new(0.2, 5);
	pair_request(n, "slow", -1);
	expect_code(t, code, sizeof code);
	expect_pending(n, -1);
	usleep(300 * 1000);
	pair(n, code, 56);
	expect_error(n, "bad-pairing-code", BAD_CODE_TEXT, 56);
	assert_false(bridge_client_trusted(n));
	assert_int_equal(tokens_count(D.tokens), 1);   /* t's own */
}

/* One code every PAIRING_REQUEST_GAP s per source; an IPv6 /64 is one
 * source; a trusted display is never held up. */
static void
test_pairing_request_throttle(void **state)
{
	struct bridge_client *t = paired(TOKEN_DISPLAY, "192.0.2.150");
	struct bridge_client *a = connect_from("203.0.113.5"), *a2 = connect_from("203.0.113.5");
	struct bridge_client *b = connect_from("198.51.100.9");
	struct bridge_client *v1 = connect_from("2001:db8:1:2::1"), *v2 = connect_from("2001:db8:1:2:ffff::99");
	struct bridge_client *v3 = connect_from("2001:db8:1:3::1");
	char code[16];

	(void)state;
	pair_request(a, "a", 61);
	expect_code(t, code, sizeof code);
	expect_pending(a, 61);
	pair_request(a, "a", 62);
	expect_error(a, "rate-limited", "pairing is paused for 3 s (too many requests or wrong codes)", 62);
	/* Another connection from the same address is the same source. */
	pair_request(a2, "a", -1);
	expect_error(a2, "rate-limited", "pairing is paused for 3 s (too many requests or wrong codes)", -1);
	expect_nothing(t);
	/* Another address may. */
	pair_request(b, "b", -1);
	expect_code(t, code, sizeof code);
	expect_pending(b, -1);
	/* IPv6: by the /64. */
	pair_request(v1, "v1", -1);
	expect_code(t, code, sizeof code);
	expect_pending(v1, -1);
	pair_request(v2, "v2", -1);
	expect_error(v2, "rate-limited", "pairing is paused for 3 s (too many requests or wrong codes)", -1);
	pair_request(v3, "v3", -1);
	expect_code(t, code, sizeof code);
	expect_pending(v3, -1);
	/* The trusted display: as often as it likes. */
	for (int i = 0; i < 3; i++) {
		pair_request(t, "wall", -1);
		expect_code(t, code, sizeof code);
		expect_pending(t, -1);
	}
	expect_nothing(t);
}

/* Ten wrong codes lock one source out; another pairs meanwhile. */
static void
test_pairing_lockout(void **state)
{
	struct bridge_client *t = paired(TOKEN_DISPLAY, "192.0.2.160");
	struct bridge_client *a = connect_from("203.0.113.6"), *b = connect_from("198.51.100.10");
	char code[16], wrong[8];
	int k = 0;

	(void)state;
	for (int round = 0; round < 2; round++) {
		pair_request(t, "wall", -1);
		expect_code(t, code, sizeof code);
		expect_pending(t, -1);
		/* Five wrong guesses kill the code: the display stops showing it. */
		for (int i = 0; i < 5; i++) {
			k++;
			pair(a, wrong_of(code, k, wrong), k);
			expect_error(a, "bad-pairing-code", BAD_CODE_TEXT, k);
			if (i < 4)
				expect_nothing(t);
		}
		expect_code_cleared(t);
		/* No live code: nothing to guess, not counted (else the
		 * lock-out would come one guess early). */
		if (round == 0) {
			pair(a, code, -1);
			expect_error(a, "bad-pairing-code", BAD_CODE_TEXT, -1);
		}
		expect_nothing(t);
	}
	/* a is locked out: even the right code is not looked at. */
	pair_request(t, "wall", -1);
	expect_code(t, code, sizeof code);
	expect_pending(t, -1);
	pair(a, code, 99);
	expect_error(a, "rate-limited", "too many wrong codes from this address: pairing is paused for it "
	    "for 300 s", 99);
	pair_request(a, "a", -1);
	expect_error(a, "rate-limited", "pairing is paused for 300 s (too many requests or wrong codes)", -1);
	assert_false(bridge_client_trusted(a));
	expect_nothing(t);
	/* b pairs with the code a could not use. */
	pair(b, code, -1);
	json_decref(reply_of(b, "paired"));
	expect_hello(b, "display", 1, "main", -1);
	expect_code_cleared(t);
	expect_code_cleared(b);
}

/* ---- the voice button, unknown messages ---- */

static void
test_audio_without_recognizer(void **state)
{
	struct bridge_client *r = paired(TOKEN_REMOTE, "192.0.2.170"), *p = public_display("192.0.2.171");
	struct bridge_client *o = paired(TOKEN_OBSERVER, "192.0.2.172");

	(void)state;
	assert_null(D.rv);
	say(r, "{\"type\":\"audio-start\",\"rate\":16000,\"format\":\"s16le\",\"id\":61}");
	expect_error(r, "internal", "the remote voice recognizer is not running", 61);
	assert_false(fake_client_binary(r));
	say(r, "{\"type\":\"audio-start\",\"rate\":8000,\"format\":\"s16le\"}");
	expect_error(r, "bad-request", "audio-start: rate must be 16000 and format \"s16le\"", -1);
	say(r, "{\"type\":\"audio-start\",\"rate\":16000,\"format\":\"opus\"}");
	expect_error(r, "bad-request", "audio-start: rate must be 16000 and format \"s16le\"", -1);
	say(r, "{\"type\":\"audio-start\",\"rate\":16000}");
	expect_error(r, "bad-request", "audio-start: rate must be 16000 and format \"s16le\"", -1);
	say(r, "{\"type\":\"audio-end\",\"id\":62}");
	expect_error(r, "bad-request", "audio-end without audio-start", 62);
	/* Binary that comes anyway goes nowhere. */
	clients_binary(&D, r, "\0\0\0\0", 4);
	clients_closed(&D, r);
	/* Strangers and observers may not stream. */
	say(p, "{\"type\":\"audio-start\",\"rate\":16000,\"format\":\"s16le\",\"id\":63}");
	expect_error(p, "unauthorized", "pair this device first", 63);
	say(o, "{\"type\":\"audio-start\",\"rate\":16000,\"format\":\"s16le\"}");
	expect_error(o, "unauthorized", "observers cannot command", -1);
	assert_false(fake_client_binary(p));
	assert_false(fake_client_binary(o));
	expect_nothing(r);
	expect_nothing(p);
	expect_nothing(o);
	assert_int_equal(fake_bridge_broadcasts(D.bridge), 0);
}

static void
test_unknown_type(void **state)
{
	struct bridge_client *r = paired(TOKEN_REMOTE, "192.0.2.180"), *t = paired(TOKEN_DISPLAY, "192.0.2.181");

	(void)state;
	say(r, "{\"type\":\"dance\",\"id\":71}");
	expect_error(r, "unknown-type", "unknown message type \"dance\"", 71);
	say(r, "{\"type\":\"Select\",\"content\":\"main\"}");
	expect_error(r, "unknown-type", "unknown message type \"Select\"", -1);
	/* A long type is cut in the message. */
	say(r, "{\"type\":\"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz\",\"id\":72}");
	expect_error(r, "unknown-type", "unknown message type \"abcdefghijklmnopqrstuvwxyzabcdefghijklmn\"", 72);
	expect_nothing(r);
	expect_nothing(t);
	assert_int_equal(fake_bridge_broadcasts(D.bridge), 0);
}

/* ---- reload ---- */

/* daemon_reload with what it logs and writes to stderr (malloc'd). */
static char *
reload_logged(void)
{
	FILE *f;
	char *text;
	long len;
	int saved, fd;

	log_set_verbosity(0);           /* its info lines too */
	D.verbosity_set = 1;
	fflush(stderr);
	saved = dup(2);
	fd = open(errs_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, 2);
	close(fd);
	daemon_reload(&D);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	log_set_verbosity(-1);
	assert_non_null(f = fopen(errs_path, "r"));
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)len + 1);
	assert_int_equal(fread(text, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	return text;
}

static void
assert_logged(const char *log, const char *line)
{
	if (strstr(log, line) == NULL)
		fail_msg("the log should say \"%s\"; it says:\n%s", line, log);
}

static void
assert_not_logged(const char *log, const char *what)
{
	if (strstr(log, what) != NULL)
		fail_msg("the log should not say \"%s\"; it says:\n%s", what, log);
}

static void
test_reload_restart_only(void **state)
{
	struct bridge_client *t = paired(TOKEN_DISPLAY, "192.0.2.190"), *p = public_display("192.0.2.191");
	struct bridge_client *n = connect_from("198.51.100.11");
	const struct catalogue *cat = D.cat;
	char *log, code[16], url[128];
	json_t *m;

	(void)state;
	write_conf("port = 7799\n"
	    "ws_ring = 512\n"
	    "pair_code_ttl = 60\n"
	    "public_url = http://office.example:8080/\n"
	    "private_unlock = voice\n");
	log = reload_logged();
	/* Three restart-only options, named once, in the table's order. */
	assert_logged(log, "reload: port, ws_ring, pair_code_ttl take effect at the next start\n");
	assert_logged(log, "reloaded: 26 content screens, 10 controls");
	assert_not_logged(log, "errors");
	free(log);
	assert_int_equal(D.cfg.port, 7681);
	assert_int_equal(D.cfg.ws_ring, 256);
	assert_int_equal(D.cfg.pair_code_ttl, 120);
	/* The live ones are applied. */
	assert_string_equal(D.cfg.public_url, "http://office.example:8080/");
	assert_int_equal(D.state.unlock, UNLOCK_VOICE);
	assert_ptr_equal(D.cat, cat);   /* the same catalogue: kept */
	/* Everyone has a fresh hello in its view. */
	expect_hello(t, "display", 1, "main", -1);
	expect_hello(p, "display", 0, "main", -1);
	json_decref(reply_of(n, "hello"));
	expect_nothing(t);
	expect_nothing(p);
	/* A pairing link now uses public_url, and the code its running TTL. */
	pair_request(n, "tablet", -1);
	m = reply_of(t, "pairing");
	snprintf(code, sizeof code, "%s", json_string_value(json_object_get(m, "code")) ?: "");
	snprintf(url, sizeof url, "http://office.example:8080/remote/#pair=%s", code);
	assert_str_member(m, "url", url);
	assert_int_equal(json_integer_value(json_object_get(m, "expires")), 120);
	json_decref(m);
	expect_pending(n, -1);
	/* One option alone: "takes". */
	write_conf("address = 0.0.0.0\n");
	log = reload_logged();
	assert_logged(log, "reload: address takes effect at the next start\n");
	free(log);
	assert_string_equal(D.cfg.address, "127.0.0.1");
	/* Back as it was: nothing to say about restart-only options. */
	write_conf("");
	log = reload_logged();
	assert_not_logged(log, "at the next start");
	free(log);
}

static void
test_reload_bad_config(void **state)
{
	struct bridge_client *t = paired(TOKEN_DISPLAY, "192.0.2.200"), *p = public_display("192.0.2.201");
	const struct catalogue *cat = D.cat;
	char *log, line[320], bad[256];

	(void)state;
	/* A good line before the bad one is not applied either. */
	write_conf("public_url = http://elsewhere.example\n"
	    "port = banana\n");
	log = reload_logged();
	snprintf(line, sizeof line, "%s:9: ", conf_path);
	assert_logged(log, line);
	assert_logged(log, "reload: configuration errors; keeping the running configuration\n");
	assert_not_logged(log, "reloaded");
	free(log);
	assert_string_equal(D.cfg.public_url, "");
	assert_int_equal(D.cfg.port, 7681);
	assert_ptr_equal(D.cat, cat);
	expect_nothing(t);
	expect_nothing(p);
	/* A catalogue that does not load: the same. */
	snprintf(bad, sizeof bad, "%s/bad-catalogue.json", dir);
	write_file(bad, "{\"version\": 1, \"content\": [\n");
	snprintf(line, sizeof line, "catalogue = %s\nprivate_unlock = voice\n", bad);
	write_conf(line);
	log = reload_logged();
	assert_logged(log, bad);
	assert_logged(log, "reload: catalogue errors; keeping the running configuration\n");
	assert_not_logged(log, "reloaded");
	free(log);
	assert_ptr_equal(D.cat, cat);
	assert_string_equal(D.cfg.catalogue, CATALOGUE);
	assert_int_equal(D.state.unlock, UNLOCK_FACE);
	expect_nothing(t);
	expect_nothing(p);
}

/* A copy of the catalogue without cctv and with a new screen river-cams. */
static void
write_changed_catalogue(const char *path)
{
	json_error_t je;
	json_t *c = json_load_file(CATALOGUE, 0, &je), *content, *e;
	size_t i;

	if (c == NULL)
		fail_msg("%s: %s", CATALOGUE, je.text);
	content = json_object_get(c, "content");
	json_array_foreach(content, i, e)
		if (strcmp(json_string_value(json_object_get(e, "id")) ?: "", "cctv") == 0)
			break;
	assert_true(i < json_array_size(content));
	json_array_remove(content, i);
	json_array_append_new(content, json_pack("{s:s, s:s, s:s, s:s, s:[s]}", "id", "river-cams", "en",
	    "River cameras", "ko", "한강 카메라", "privacy", "public", "say", "river cameras"));
	assert_int_equal(json_dump_file(c, path, JSON_INDENT(1)), 0);
	json_decref(c);
}

static void
test_reload_catalogue(void **state)
{
	struct bridge_client *r = paired(TOKEN_REMOTE, "192.0.2.210"), *p = public_display("192.0.2.211");
	struct bridge_client *who[2] = { r, p };
	const struct catalogue *old = D.cat;
	char *log, path[256], line[320];
	json_t *h, *ev;

	(void)state;
	say(r, "{\"type\":\"select\",\"content\":\"cctv\"}");
	for (int i = 0; i < 2; i++)
		json_decref(event_of(who[i], "navigate"));
	expect_ok(r, -1);
	snprintf(path, sizeof path, "%s/catalogue2.json", dir);
	write_changed_catalogue(path);
	snprintf(line, sizeof line, "catalogue = %s\n", path);
	write_conf(line);
	log = reload_logged();
	assert_logged(log, "reloaded: 26 content screens, 10 controls");
	assert_not_logged(log, "errors");
	assert_not_logged(log, "next start");   /* catalogue is live */
	free(log);
	assert_ptr_not_equal(D.cat, old);
	assert_string_equal(D.cat->path, path);
	assert_ptr_equal(D.state.cat, D.cat);
	/* Nothing else uses the old one: freed at once, not held. */
	assert_int_equal(D.nheld, 0);
	/* Every client: a hello with the new screens, and the screen it was on
	 * gone, main. */
	for (int i = 0; i < 2; i++) {
		h = reply_of(who[i], "hello");
		assert_str_member(h, "view", i ? "public" : "trusted");
		assert_str_member(h, "screen", "main");
		assert_true(lists(json_object_get(h, "catalogue"), "river-cams"));
		assert_false(lists(json_object_get(h, "catalogue"), "cctv"));
		assert_int_equal(lists(json_object_get(h, "catalogue"), "approval-documents"), !i);
		json_decref(h);
		expect_nothing(who[i]);
	}
	/* The new screen can be selected, the old one not. */
	say(r, "{\"type\":\"select\",\"content\":\"river-cams\"}");
	for (int i = 0; i < 2; i++) {
		ev = event_of(who[i], "navigate");
		assert_str_member(ev, "content", "river-cams");
		json_decref(ev);
	}
	expect_ok(r, -1);
	say(r, "{\"type\":\"select\",\"content\":\"cctv\",\"id\":81}");
	expect_error(r, "unknown-content", "cctv: not in the catalogue", 81);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hello_public, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hello_token, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hello_bad_token, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hello_bad_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hello_drops_trust, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revoked_while_connected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_renamed_while_connected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pairing_applies_revoke, setup, teardown),
		cmocka_unit_test_setup_teardown(test_select_unpaired, setup, teardown),
		cmocka_unit_test_setup_teardown(test_select_observer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_select_trusted_remote, setup, teardown),
		cmocka_unit_test_setup_teardown(test_select_private_stays_private, setup, teardown),
		cmocka_unit_test_setup_teardown(test_select_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_confirm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_confirm_too_late, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tokens_unreadable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_voice_result, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pairing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pairing_expired, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pairing_request_throttle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pairing_lockout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audio_without_recognizer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_type, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_restart_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_bad_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_catalogue, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
