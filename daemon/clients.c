/*
 * clients — what websocket clients ask of the daemon (docs/protocol.md v2):
 * who they are (hello, tokens), what they pick (select), pairing, and the
 * remotes' voice button.  Service thread only, like everything that
 * touches a struct daemon.
 *
 * Every refusal is an error reply to the sender alone; nothing is
 * broadcast for a client that may not command.
 */
#include "daemon/clients.h"
#include "daemon/service.h"
#include "base/xalloc.h"
#include "base/clock.h"

#include <arpa/inet.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/admin.h"
#include "daemon/conference.h"
#include "daemon/feedback.h"
#include "base/log.h"
#include "daemon/pairing.h"
#include "daemon/remote_voice.h"
#include "daemon/tokens.h"
#include "ui-bridge/bridge.h"
#include "ui-bridge/mqtt.h"
#include "ui-bridge/protocol.h"

#define NAME_MAX_BYTES	64

/* Sends obj (stolen) to c, with the request's id when it had one. */
void
clients_reply(struct daemon *d, struct bridge_client *c, json_t *obj, json_int_t id, int has_id)
{
	char *s;

	if (has_id)
		json_object_set_new(obj, "id", json_integer(id));
	if ((s = proto_dump(obj)) != NULL)
		bridge_send(d->bridge, c, s, strlen(s));
	free(s);
	json_decref(obj);
}

void
clients_reply_error(struct daemon *d, struct bridge_client *c, const char *code, const char *message,
            json_int_t id, int has_id)
{
	char *s = proto_error(code, message, id, has_id);

	if (s != NULL)
		bridge_send(d->bridge, c, s, strlen(s));
	free(s);
}

/* A string member of at most max bytes, or NULL (absent or wrong: *bad set). */
const char *
clients_member(const json_t *msg, const char *key, size_t max, int required, int *bad)
{
	json_t *v = json_object_get(msg, key);

	if (v == NULL) {
		*bad |= required;
		return NULL;
	}
	if (!json_is_string(v) || json_string_length(v) > max) {
		*bad = 1;
		return NULL;
	}
	return json_string_value(v);
}

/* ---- documents ---- */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
clients_scan_documents(struct daemon *d)
{
	static const char *sub[] = { "public", "private" };
	char dir[4096], *p;
	struct dirent *de;
	DIR *dp;

	for (size_t i = 0; i < d->ndocs; i++)
		free(d->docs[i]);
	free(d->docs);
	d->docs = NULL;
	d->ndocs = 0;
	if (d->cfg.documents_dir == NULL || d->cfg.documents_dir[0] == '\0')
		return;
	for (int k = 0; k < 2; k++) {
		snprintf(dir, sizeof dir, "%s/%s", d->cfg.documents_dir, sub[k]);
		if ((dp = opendir(dir)) == NULL)
			continue;
		while ((de = readdir(dp)) != NULL) {
			size_t n = strlen(de->d_name);
			char **nd;
			if (n < 5 || de->d_name[0] == '.' || strcmp(de->d_name + n - 4, ".pdf") != 0 ||
			    strspn(de->d_name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != n)
				continue;
			nd = xrealloc(d->docs, (d->ndocs + 1) * sizeof *nd);
			d->docs = nd;
			if (asprintf(&p, "%s/%s", sub[k], de->d_name) < 0)
				break;
			d->docs[d->ndocs++] = p;
		}
		closedir(dp);
	}
	if (d->ndocs > 1)	/* qsort(NULL, 0, ...) is undefined behaviour */
		qsort(d->docs, d->ndocs, sizeof *d->docs, cmp_str);
	log_info("documents: %zu PDF file%s in %s", d->ndocs, d->ndocs == 1 ? "" : "s",
	    d->cfg.documents_dir);
}

/* "private/2026-budget-plan.pdf" → "2026 budget plan". */
static json_t *
document_entry(const char *id)
{
	const char *name = strchr(id, '/') + 1;
	char title[256], url[512];
	size_t n = strlen(name) - 4, i;

	if (n >= sizeof title)
		n = sizeof title - 1;
	for (i = 0; i < n; i++)
		title[i] = name[i] == '-' || name[i] == '_' ? ' ' : name[i];
	title[i] = '\0';
	snprintf(url, sizeof url, "/documents/%s", id);
	return json_pack("{s:s, s:s, s:s, s:s}", "id", id, "title", title,
	    "privacy", strncmp(id, "private/", 8) == 0 ? "private" : "public", "url", url);
}

/* ---- hello ---- */

static char *
hello_text(struct daemon *d, int trusted, const char *role, json_int_t id, int has_id)
{
	json_t *h = state_hello(&d->state, trusted, role);
	json_t *docs = json_array();
	char *s;

	for (size_t i = 0; i < d->ndocs; i++)
		if (trusted || strncmp(d->docs[i], "public/", 7) == 0)
			json_array_append_new(docs, document_entry(d->docs[i]));
	json_object_set_new(h, "documents", docs);
	conference_hello(d, h, trusted);
	admin_hello(d, h);
	if (has_id)
		json_object_set_new(h, "id", json_integer(id));
	s = proto_dump(h);
	json_decref(h);
	return s;
}

char *
clients_hello(struct daemon *d, struct bridge_client *c, json_int_t id, int has_id)
{
	return hello_text(d, c != NULL && bridge_client_trusted(c),
	    c != NULL ? bridge_client_role(c) : "display", id, has_id);
}

static void
send_hello(struct daemon *d, struct bridge_client *c, json_int_t id, int has_id)
{
	char *h = clients_hello(d, c, id, has_id);

	if (h != NULL)
		bridge_send(d->bridge, c, h, strlen(h));
	free(h);
}

static void
hello_each(void *ud, struct bridge_client *c)
{
	send_hello(ud, c, 0, 0);
}

void
clients_hello_all(struct daemon *d)
{
	bridge_foreach(d->bridge, hello_each, d);
}

static void
on_hello(struct daemon *d, struct bridge_client *c, const json_t *msg, json_int_t id, int has_id)
{
	int bad = 0, trusted = 0;
	const char *role = clients_member(msg, "role", 16, 0, &bad);
	const char *name = clients_member(msg, "name", NAME_MAX_BYTES, 0, &bad);
	const char *token = clients_member(msg, "token", 128, 0, &bad);
	struct token_info ti;

	char why[128];

	/* A name goes into log and audit lines: no control characters. */
	if (name != NULL && tokens_name_valid(name, why, sizeof why) < 0)
		bad = 1;
	if (bad || (role != NULL && strcmp(role, "display") && strcmp(role, "remote") &&
	    strcmp(role, "observer") && strcmp(role, "tv") && strcmp(role, "admin"))) {
		clients_reply_error(d, c, PROTO_E_BAD_REQUEST, "hello: role must be \"display\", \"remote\", "
		    "\"observer\", \"tv\" or \"admin\"; name (at most 64 bytes) and token must be strings", id, has_id);
		return;
	}
	memset(&ti, 0, sizeof ti);
	if (token != NULL && admin_cookie_ok(d, token)) {	/* smartofficed admin */
		trusted = 1;
		ti.role = TOKEN_ADMIN;
		snprintf(ti.name, sizeof ti.name, "command line");
	} else if (token != NULL && token[0] != '\0') {
		clients_check_tokens(d);
		trusted = tokens_check(d->tokens, token, &ti) == 1;
		if (!trusted)
			clients_reply_error(d, c, PROTO_E_BAD_TOKEN, "unknown or revoked token: public view",
			    id, has_id);
	}
	/* A token speaks for the role it was issued for, whatever is claimed. */
	if (trusted)
		role = tokens_role_name(ti.role);
	if (!trusted && bridge_client_trusted(c)) {	/* trust dropped: no stream */
		if (d->rv != NULL)
			remote_voice_cancel(d->rv, bridge_client_id(c));
		bridge_client_allow_binary(c, 0);
	}
	bridge_client_set_view(c, role != NULL ? role : "display", trusted, trusted ? ti.id : NULL);
	/* The name it gives, else its token's (what pairing called it). */
	bridge_client_set_name(c, name != NULL && name[0] ? name : trusted ? ti.name : "");
	admin_token_seen(d, trusted ? ti.id : NULL);
	log_info("client %llu: %s \"%s\" from %s, %s view%s%s", (unsigned long long)bridge_client_id(c),
	    bridge_client_role(c), bridge_client_name(c), bridge_client_address(c),
	    trusted ? "trusted" : "public", trusted && ti.id[0] ? ", token " : "", trusted ? ti.id : "");
	send_hello(d, c, id, has_id);
}

/* ---- select ---- */

/* May this client command the displays? */
static int
may_command(struct bridge_client *c)
{
	return bridge_client_trusted(c) && strcmp(bridge_client_role(c), "observer") != 0;
}

static void
speak(struct daemon *d, const struct feedback_say *say)
{
	if (d->feedback != NULL && (say->text != NULL || say->cue))
		feedback_request(d->feedback, say->text, say->cue, 0);
}

static void
on_select(struct daemon *d, struct bridge_client *c, const json_t *msg, json_int_t id, int has_id)
{
	int bad = 0;
	const char *content = clients_member(msg, "content", 64, 0, &bad);
	const char *command = clients_member(msg, "command", 64, 0, &bad);
	const char *code;
	char text[160];

	if (bad || (content == NULL) == (command == NULL)) {
		clients_reply_error(d, c, PROTO_E_BAD_REQUEST, "select needs one string member: content or command",
		    id, has_id);
		return;
	}
	if ((code = clients_select(d, content, command, text, sizeof text)) != NULL)
		clients_reply_error(d, c, code, text, id, has_id);
	else
		clients_reply(d, c, json_pack("{s:s}", "type", "ok"), id, has_id);
}

const char *
clients_select(struct daemon *d, const char *content, const char *command, char *text, size_t len)
{
	const char *code, *reason;
	struct feedback_say say = { 0 };

	code = state_select(&d->state, content != NULL ? content : command, "remote", daemon_now(d),
	    daemon_emit, d, &say, &reason);
	if (code != NULL)
		snprintf(text, len, "%s: %s", content != NULL ? content : command,
		    reason != NULL ? reason : "not in the catalogue");
	speak(d, &say);
	return code;
}

/* ---- the MQTT bridge (ui-bridge/mqtt.h) ---- */

static void
mqtt_wake(void *ud)
{
	struct daemon *d = ud;

	bridge_wakeup(d->bridge);
}

int
clients_mqtt_start(struct daemon *d, char *err, size_t errlen)
{
	const struct config *k = &d->cfg;
	struct mqtt_config mc = { k->mqtt_url, k->mqtt_user, k->mqtt_password_file, k->mqtt_cafile, NULL,
	    k->mqtt_certfile, k->mqtt_keyfile, k->mqtt_tls_insecure, k->site,
	    !strcmp(k->hermes, "public") ? MQTT_HERMES_PUBLIC : !strcmp(k->hermes, "trusted") ?
	    MQTT_HERMES_TRUSTED : MQTT_HERMES_OFF, "hey-seoul", (size_t)k->mqtt_buffer, 1, 30, 30 };

	if (k->mqtt_url[0] == '\0')
		return 0;
	if ((d->mqtt = mqtt_new(&mc, mqtt_wake, d, err, errlen)) == NULL)
		return -1;
	mqtt_wait_connected(d->mqtt, 3.0);
	clients_mqtt_state(d);
	return 0;
}

void
clients_mqtt_state(struct daemon *d)
{
	char *pub, *tr;

	if (d->mqtt == NULL)
		return;
	pub = hello_text(d, 0, "display", 0, 0);
	tr = hello_text(d, 1, "display", 0, 0);
	mqtt_set_state(d->mqtt, pub, tr);
	free(pub);
	free(tr);
}

/* A command from smartoffice/SITE/command: routed as a trusted remote's
 * select, once its token proves the sender is a paired display or remote. */
void
clients_mqtt_command(void *ud, struct mqtt *m, const struct mqtt_command *c)
{
	struct daemon *d = ud;
	struct token_info ti;
	const char *code;
	char text[160];

	clients_check_tokens(d);
	if (tokens_check(d->tokens, c->token, &ti) != 1 || ti.role == TOKEN_OBSERVER) {
		log_warnx("mqtt: command %s%s%s refused: %s", c->id, c->from[0] ? " from " : "", c->from,
		    "its token is not a paired display's or remote's");
		mqtt_reply(m, c, PROTO_E_UNAUTHORIZED, "the token is not a paired display's or remote's");
		return;
	}
	snprintf(text, sizeof text, "mqtt%s%s (token %s)", c->from[0] ? " " : "", c->from, ti.id);
	admin_actor_text(d, text);
	admin_human(d);
	code = clients_select(d, c->content[0] ? c->content : NULL, c->command[0] ? c->command : NULL,
	    text, sizeof text);
	admin_actor_clear(d);
	log_info("mqtt: command %s (%s%s) from token %s: %s", c->id, c->content[0] ? "content " : "command ",
	    c->content[0] ? c->content : c->command, ti.id, code != NULL ? code : "ok");
	mqtt_reply(m, c, code, code != NULL ? text : NULL);
	daemon_follow_state(d);
}

/* The second factor: a paired remote confirms private mode (or not). */
static void
on_confirm(struct daemon *d, struct bridge_client *c, const json_t *msg, json_int_t id, int has_id)
{
	json_t *accept = json_object_get(msg, "accept");

	if (!json_is_boolean(accept)) {
		clients_reply_error(d, c, PROTO_E_BAD_REQUEST, "confirm needs \"accept\": true or false", id, has_id);
		return;
	}
	if (!d->state.confirm_pending) {
		clients_reply_error(d, c, PROTO_E_BAD_REQUEST, "nothing to confirm", id, has_id);
		return;
	}
	if (state_confirm_late(&d->state, clock_mono())) {
		/* Too late: the face check it confirms is stale. */
		state_confirm_expired(&d->state, daemon_now(d), daemon_emit, d);
		clients_reply_error(d, c, PROTO_E_DENIED, "the confirmation came too late; ask for private mode again",
		    id, has_id);
		return;
	}
	state_confirm(&d->state, json_is_true(accept), daemon_now(d), daemon_emit, d);
	clients_reply(d, c, json_pack("{s:s}", "type", "ok"), id, has_id);
}

/* ---- pairing ---- */

static const char *
base_url(struct daemon *d, char *buf, size_t len)
{
	/* The address devices reach: public_url, else https with TLS, and the
	 * machine's own address when listening on every one (service.c). */
	service_base_url(d->cfg.public_url, d->cfg.address, bridge_port(d->bridge), bridge_tls(d->bridge),
	    buf, len);
	/* No trailing slash: paths are appended. */
	for (size_t n = strlen(buf); n > 0 && buf[n - 1] == '/'; n--)
		buf[n - 1] = '\0';
	return buf;
}

struct pairing_note {
	struct daemon *d;
	char *text;
};

static void
pairing_each(void *ud, struct bridge_client *c)
{
	struct pairing_note *pn = ud;

	if (bridge_client_trusted(c) && strcmp(bridge_client_role(c), "display") == 0)
		bridge_send(pn->d->bridge, c, pn->text, strlen(pn->text));
}

/* Tells the trusted displays what code to show (NULL: none any more). */
static void
show_code(struct daemon *d, const char *code, const char *name)
{
	struct pairing_note pn = { d, NULL };
	char base[512], url[600], err[256], **rows = NULL;
	int nrows = 0;
	json_t *msg, *qr;

	if (code == NULL)
		msg = json_pack("{s:s, s:n}", "type", "pairing", "code");
	else {
		snprintf(url, sizeof url, "%s/remote/#pair=%s", base_url(d, base, sizeof base), code);
		qr = json_array();
		if (pairing_qr(url, &rows, &nrows, err, sizeof err) == 0) {
				for (int i = 0; i < nrows; i++)
				json_array_append_new(qr, json_string(rows[i]));
			pairing_qr_free(rows, nrows);
		} else
			log_warnx("pairing: no QR code: %s", err);
		msg = json_pack("{s:s, s:s, s:s, s:s, s:o, s:i}", "type", "pairing", "code", code,
		    "name", name != NULL ? name : "", "url", url, "qr", qr,
		    "expires", d->cfg.pair_code_ttl);
	}
	pn.text = proto_dump(msg);
	json_decref(msg);
	if (pn.text != NULL)
		bridge_foreach(d->bridge, pairing_each, &pn);
	free(pn.text);
}

/*
 * Who is guessing, for the pairing throttle: the client's address; an IPv6
 * one by its /64, which one machine usually has all of.
 */
static const char *
pair_source(struct bridge_client *c, char *buf, size_t len)
{
	const char *a = bridge_client_address(c);
	unsigned char in6[16];

	if (strchr(a, ':') != NULL && strncmp(a, "::ffff:", 7) != 0 && inet_pton(AF_INET6, a, in6) == 1) {
		memset(in6 + 8, 0, 8);
		if (inet_ntop(AF_INET6, in6, buf, (socklen_t)len) != NULL &&
		    strlen(buf) + 4 < len) {
			strcat(buf, "/64");
			return buf;
		}
	}
	snprintf(buf, len, "%s", a);
	return buf;
}

/* One line per PAIRING_LOG_S at most, however fast the wrong codes come. */
static void
log_wrong_code(struct daemon *d, struct bridge_client *c, const char *src, double now)
{
	unsigned long n;
	double span;

	if (!pairing_log_due(d->pairing, now, &n, &span))
		return;
	if (n > 1)
		log_info("pairing: wrong, used or expired code from %s (client %llu); %lu such in %.0f s",
		    src, (unsigned long long)bridge_client_id(c), n, span);
	else
		log_info("pairing: wrong, used or expired code from %s (client %llu)", src,
		    (unsigned long long)bridge_client_id(c));
}

static void
on_pair_request(struct daemon *d, struct bridge_client *c, const json_t *msg, json_int_t id,
                int has_id)
{
	int bad = 0;
	const char *name = clients_member(msg, "name", NAME_MAX_BYTES, 0, &bad);
	char code[8], src[64];
	double now = clock_mono(), wait;
	char why[128];

	if (bad || (name != NULL && tokens_name_valid(name, why, sizeof why) < 0)) {
		clients_reply_error(d, c, PROTO_E_BAD_REQUEST, "pair-request: name must be a string of at most 64 "
		    "bytes without control characters", id, has_id);
		return;
	}
	/* Per source: a new code every few seconds, none while locked out; a
	 * trusted display is never held up (pairing.h). */
	if ((wait = pairing_may_request(d->pairing, pair_source(c, src, sizeof src), bridge_client_trusted(c),
	    now)) > 0) {
		snprintf(why, sizeof why, "pairing is paused for %.0f s (too many requests or wrong codes)",
		    ceil(wait));
		clients_reply_error(d, c, PROTO_E_RATE_LIMITED, why, id, has_id);
		return;
	}
	if (pairing_request(d->pairing, name != NULL && name[0] ? name : "remote", now, code) < 0) {
		clients_reply_error(d, c, PROTO_E_INTERNAL, "no randomness for a pairing code", id, has_id);
		return;
	}
	log_info("pairing: code requested by client %llu (\"%s\"), valid %d s",
	    (unsigned long long)bridge_client_id(c), name != NULL ? name : "", d->cfg.pair_code_ttl);
	show_code(d, code, name);
	clients_reply(d, c, json_pack("{s:s, s:i}", "type", "pair-pending", "expires", d->cfg.pair_code_ttl),
	    id, has_id);
}

static void
on_pair(struct daemon *d, struct bridge_client *c, const json_t *msg, json_int_t id, int has_id)
{
	int bad = 0;
	const char *code = clients_member(msg, "code", 16, 1, &bad);
	char rolebuf[16];
	const char *role = rolebuf;
	char token[TOKENS_TOKEN_LEN + 1], tid[9], err[512], src[64], why[128];
	enum token_role trole;
	double now = clock_mono(), wait = 0;
	int locked = 0;
	struct clients_tokens_before *before;

	if (bad) {
		clients_reply_error(d, c, PROTO_E_BAD_REQUEST, "pair: code must be a string", id, has_id);
		return;
	}
	/* A copy: set_view below rewrites the client's own role string. */
	snprintf(rolebuf, sizeof rolebuf, "%s", bridge_client_role(c));
	switch (pairing_guess(d->pairing, pair_source(c, src, sizeof src), code, now, &locked, &wait)) {
	case PAIRING_GUESS_RIGHT:
		break;
	case PAIRING_GUESS_LOCKED:
		snprintf(why, sizeof why, "too many wrong codes from this address: pairing is paused "
		    "for it for %.0f s", ceil(wait));
		clients_reply_error(d, c, PROTO_E_RATE_LIMITED, why, id, has_id);
		return;
	case PAIRING_GUESS_WRONG:
		log_wrong_code(d, c, src, now);
		if (locked)
			log_warnx("pairing: %d wrong codes from %s: its guesses are ignored for %d s",
			    PAIRING_WRONG_MAX, src, PAIRING_LOCK_S);
		/* The code died of wrong guesses: the displays stop showing it. */
		if (!pairing_active(d->pairing, now))
			show_code(d, NULL, NULL);
		/* FALLTHROUGH */
	default:	/* no live code: nothing to guess, nothing counted */
		clients_reply_error(d, c, PROTO_E_BAD_CODE, "wrong, used or expired pairing code", id, has_id);
		return;
	}
	/* Pairing makes displays, remotes and TVs; an admin token only
	 * `tokens add --role admin` (an admin pairing a device gets a remote). */
	if (strcmp(role, "observer") == 0 || strcmp(role, "admin") == 0)
		role = "remote";
	if (tokens_role_parse(role, &trole) < 0)
		trole = TOKEN_REMOTE;
	before = clients_tokens_before(d);
	if (tokens_add(d->tokens, trole, pairing_name(d->pairing), token, tid, err, sizeof err) < 0) {
		free(before);
		log_warnx("pairing: %s", err);
		show_code(d, NULL, NULL);
		clients_reply_error(d, c, PROTO_E_INTERNAL, "cannot store the token", id, has_id);
		return;
	}
	bridge_client_set_view(c, role, 1, tid);
	log_info("pairing: client %llu paired as %s, token %s", (unsigned long long)bridge_client_id(c),
	    role, tid);
	clients_reply(d, c, json_pack("{s:s, s:s, s:s, s:s}", "type", "paired", "token", token,
	    "token_id", tid, "role", role), id, has_id);
	send_hello(d, c, 0, 0);
	show_code(d, NULL, NULL);
	/* tokens_add read the file again under its lock: what the command
	 * line revoked or renamed meanwhile reaches the live clients now (the
	 * file's signature is this write's: no reload would notice). */
	clients_tokens_after(d, before);
}

/*
 * The tokens file changed.  A client whose token is gone (revoked from the
 * command line) falls back to the public view, keeping the token's id; one
 * whose token id is back (the file was removed or emptied, then restored,
 * while it stayed connected) is trusted again, in the token's role.
 */
static void
recheck_each(void *ud, struct bridge_client *c)
{
	struct daemon *d = ud;
	const char *tid = bridge_client_token_id(c);
	const struct token_info *ti = NULL;
	char role[16];

	if (tid[0] == '\0')
		return;
	for (size_t i = 0; i < tokens_count(d->tokens) && ti == NULL; i++)
		if (strcmp(tokens_at(d->tokens, i)->id, tid) == 0)
			ti = tokens_at(d->tokens, i);
	if (bridge_client_trusted(c) == (ti != NULL))
		return;
	if (ti != NULL) {
		log_info("client %llu: token %s is back: trusted view", (unsigned long long)bridge_client_id(c),
		    tid);
		bridge_client_set_view(c, tokens_role_name(ti->role), 1, ti->id);
	} else {
		log_info("client %llu: token %s revoked: public view", (unsigned long long)bridge_client_id(c),
		    tid);
		snprintf(role, sizeof role, "%s", bridge_client_role(c));
		bridge_client_set_view(c, role, 0, tid);
		if (d->rv != NULL)
			remote_voice_cancel(d->rv, bridge_client_id(c));
		bridge_client_allow_binary(c, 0);
	}
	send_hello(d, c, 0, 0);
}

void
clients_recheck_tokens(struct daemon *d)
{
	bridge_foreach(d->bridge, recheck_each, d);
}

/* The tokens as they were, to tell which were renamed. */
struct clients_tokens_before {
	size_t             n;
	struct token_info  v[];
};

struct clients_tokens_before *
clients_tokens_before(struct daemon *d)
{
	size_t n = tokens_count(d->tokens);
	struct clients_tokens_before *b = xmalloc(sizeof *b + n * sizeof b->v[0]);

	b->n = n;
	for (size_t i = 0; i < n; i++)
		b->v[i] = *tokens_at(d->tokens, i);
	return b;
}

struct renamed {
	struct daemon           *d;
	const struct token_info *ti;
};

static void
rename_each(void *ud, struct bridge_client *c)
{
	struct renamed *rn = ud;

	if (!bridge_client_trusted(c) || strcmp(bridge_client_token_id(c), rn->ti->id) != 0)
		return;
	log_info("client %llu: token %s renamed: \"%s\" now", (unsigned long long)bridge_client_id(c),
	    rn->ti->id, rn->ti->name);
	bridge_client_set_name(c, rn->ti->name);
}

void
clients_tokens_after(struct daemon *d, struct clients_tokens_before *b)
{
	bridge_foreach(d->bridge, recheck_each, d);
	for (size_t i = 0; b != NULL && i < tokens_count(d->tokens); i++) {
		const struct token_info *ti = tokens_at(d->tokens, i);
		for (size_t k = 0; k < b->n; k++)
			if (!strcmp(b->v[k].id, ti->id) && strcmp(b->v[k].name, ti->name) != 0) {
				struct renamed rn = { d, ti };
				bridge_foreach(d->bridge, rename_each, &rn);
			}
	}
	free(b);
}

/*
 * A tokens file that cannot be read (being rewritten by hand, restored,
 * its mode changed) revokes nothing: the tokens read before stay valid and
 * no client changes view; only a good file without a token revokes it.
 */
void
clients_check_tokens(struct daemon *d)
{
	char err[1024];
	size_t n;
	struct clients_tokens_before *b = clients_tokens_before(d);
	int r = tokens_reload_if_changed(d->tokens, err, sizeof err);

	n = tokens_count(d->tokens);
	if (r < 0) {
		log_warnx("tokens: unreadable: %s (the %zu token%s read before stay valid until it is fixed)",
		    err, n, n == 1 ? "" : "s");
		d->tokens_unreadable = 1;
		free(b);
		return;
	}
	if (r == 0) {
		free(b);
		return;
	}
	if (d->tokens_unreadable) {
		log_info("tokens: %s readable again: %zu token%s", tokens_path(d->tokens), n, n == 1 ? "" : "s");
		d->tokens_unreadable = 0;
	}
	clients_tokens_after(d, b);	/* revoked, back, renamed (tokens rename) */
}

int
clients_token_ok(struct daemon *d, const char *token)
{
	struct token_info ti;

	if (admin_cookie_ok(d, token))
		return 1;
	clients_check_tokens(d);
	return tokens_check(d->tokens, token, &ti) == 1;
}

/* ---- the remote's voice button ---- */

static void
on_audio_start(struct daemon *d, struct bridge_client *c, const json_t *msg, json_int_t id,
               int has_id)
{
	json_t *rate = json_object_get(msg, "rate");
	int bad = 0;
	const char *format = clients_member(msg, "format", 16, 1, &bad);

	if (bad || !json_is_integer(rate) || json_integer_value(rate) != 16000 ||
	    strcmp(format, "s16le") != 0) {
		clients_reply_error(d, c, PROTO_E_BAD_REQUEST, "audio-start: rate must be 16000 and format \"s16le\"",
		    id, has_id);
		return;
	}
	if (d->rv == NULL) {
		clients_reply_error(d, c, PROTO_E_INTERNAL, "the remote voice recognizer is not running", id, has_id);
		return;
	}
	if (remote_voice_start(d->rv, bridge_client_id(c), has_id ? id : -1) < 0) {
		clients_reply_error(d, c, PROTO_E_BUSY, "another voice stream is running", id, has_id);
		return;
	}
	bridge_client_allow_binary(c, 1);
	clients_reply(d, c, json_pack("{s:s}", "type", "audio-ready"), id, has_id);
}

static void
on_audio_end(struct daemon *d, struct bridge_client *c, json_int_t id, int has_id)
{
	bridge_client_allow_binary(c, 0);
	/* `recognized` answers this message: it carries this id. */
	if (d->rv == NULL || remote_voice_end(d->rv, bridge_client_id(c), has_id ? id : -1) < 0)
		clients_reply_error(d, c, PROTO_E_BAD_REQUEST, "audio-end without audio-start", id, has_id);
	/* The reply (recognized) comes when the recognizer is done. */
}

void
clients_binary(struct daemon *d, struct bridge_client *c, const void *buf, size_t len)
{
	if (d->rv != NULL)
		remote_voice_feed(d->rv, bridge_client_id(c), buf, len);
}

void
clients_closed(struct daemon *d, struct bridge_client *c)
{
	if (d->rv != NULL)
		remote_voice_cancel(d->rv, bridge_client_id(c));
	admin_client_gone(d, c);
}

void
clients_voice_result(struct daemon *d, struct input *in)
{
	struct bridge_client *c = bridge_client_by_id(d->bridge, in->speech.client);
	const struct catalogue_entry *e = in->kind == IN_COMMAND ? catalogue_find(d->cat, in->speech.id) : NULL;
	struct feedback_say say = { 0 };
	json_t *r;

	/* The sender may have gone, or lost its trust, while it was decoded. */
	if (c == NULL || !may_command(c)) {
		log_info("remote voice: result dropped: client %llu is gone or no longer paired",
		    (unsigned long long)in->speech.client);
		return;
	}
	if (e != NULL)
		r = json_pack("{s:s, s:s, s:s, s:s, s:f}", "type", "recognized", "result", "command",
		    e->is_control ? "command" : "content", e->id, "text", in->speech.text,
		    "confidence", in->speech.confidence);
	else if (in->kind == IN_COMMAND && in->speech.id[0])	/* a grammar-only phrase */
		r = json_pack("{s:s, s:s, s:s, s:s, s:f}", "type", "recognized", "result", "command",
		    "command", in->speech.id, "text", in->speech.text, "confidence", in->speech.confidence);
	else
		r = json_pack("{s:s, s:s, s:s, s:s}", "type", "recognized", "result", "rejected",
		    "reason", in->kind == IN_REJECT ? in->speech.reason : "no-command", "text", in->speech.text);
	clients_reply(d, c, r, in->speech.request_id, in->speech.request_id >= 0);
	snprintf(in->source, sizeof in->source, "remote-voice");
	/* Its events on the daemon's clock, as a tap's: the recognizer's own
	 * time counts from the start of this remote's stream. */
	in->t = daemon_now(d);
	/* The audit names the remote (its name and token), as for its taps. */
	admin_actor_client(d, c);
	/* As the room's voice (daemon_route_speech): "video call", a
	 * briefing title, "voice call". */
	conference_before_voice(d);
	state_handle(&d->state, in, daemon_emit, d, &say);
	conference_after_voice(d, in, &say);
	admin_actor_clear(d);
	say.cue = 0;
	speak(d, &say);
}

/* ---- dispatch ---- */

/* What a client must be for a message (mosquitto's one handler per
 * message type, with the trust check in one place). */
enum need {
	NEED_NOTHING,   /* anyone connected */
	NEED_COMMAND,   /* a trusted client that is not an observer */
	NEED_REMOTE,    /* a paired remote */
	NEED_ADMIN,     /* the admin page, smartofficed admin */
};

static void
on_audio_end_msg(struct daemon *d, struct bridge_client *c, const json_t *msg, json_int_t id,
                 int has_id)
{
	(void)msg;
	on_audio_end(d, c, id, has_id);
}

static const struct handler {
	const char *type;
	enum need   need;
	const char *refusal;            /* PROTO_E_UNAUTHORIZED's text */
	void      (*fn)(struct daemon *d, struct bridge_client *c, const json_t *msg, json_int_t id,
	                int has_id);
} handlers[] = {
	{ "hello",        NEED_NOTHING, NULL, on_hello },
	{ "select",       NEED_COMMAND, "pair this device first (pair-request, then pair)", on_select },
	{ "pair-request", NEED_NOTHING, NULL, on_pair_request },
	{ "pair",         NEED_NOTHING, NULL, on_pair },
	{ "confirm",      NEED_REMOTE,  "only a paired remote confirms", on_confirm },
	{ "audio-start",  NEED_COMMAND, "pair this device first", on_audio_start },
	{ "audio-end",    NEED_NOTHING, NULL, on_audio_end_msg },
	{ "conference",   NEED_COMMAND, "pair this device first", conference_on_conference },
	{ "call",         NEED_COMMAND, "pair this device first", conference_on_call },
	{ "tv",           NEED_COMMAND, "pair this device first", conference_on_tv },
	{ "typed",        NEED_COMMAND, "pair this device first", admin_on_typed },
	{ "activity",     NEED_NOTHING, NULL, admin_on_activity },
	{ "admin-status", NEED_ADMIN,   "only an admin token (tokens add --role admin)", admin_on_status },
	{ "revoke",       NEED_ADMIN,   "only an admin token (tokens add --role admin)", admin_on_revoke },
	{ "rename",       NEED_ADMIN,   "only an admin token (tokens add --role admin)", admin_on_rename },
	{ "demo",         NEED_ADMIN,   "only an admin token (tokens add --role admin)", admin_on_demo },
	{ "snapshot",     NEED_ADMIN,   "only an admin token (tokens add --role admin)", admin_on_snapshot },
	{ "enroll",       NEED_ADMIN,   "only an admin token (tokens add --role admin)", admin_on_enroll },
	{ "enroll-cancel", NEED_ADMIN,  "only an admin token (tokens add --role admin)", admin_on_enroll_cancel },
};

static int
meets(struct bridge_client *c, enum need need)
{
	switch (need) {
	case NEED_NOTHING: return 1;
	case NEED_COMMAND: return may_command(c);
	case NEED_REMOTE:  return may_command(c) && strcmp(bridge_client_role(c), "remote") == 0;
	case NEED_ADMIN:   return bridge_client_trusted(c) && strcmp(bridge_client_role(c), "admin") == 0;
	}
	return 0;
}

void
clients_message(struct daemon *d, struct bridge_client *c, const json_t *msg)
{
	const char *type = json_string_value(json_object_get(msg, "type"));
	json_int_t id = 0;
	int has_id = proto_get_id(msg, &id) == 1;
	const struct handler *h = NULL;
	char text[96];

	for (size_t i = 0; type != NULL && i < sizeof handlers / sizeof handlers[0]; i++)
		if (strcmp(handlers[i].type, type) == 0)
			h = &handlers[i];
	if (h == NULL) {
		snprintf(text, sizeof text, "unknown message type \"%.40s\"", type ? type : "");
		clients_reply_error(d, c, PROTO_E_UNKNOWN_TYPE, text, id, has_id);
	} else if (!meets(c, h->need)) {
		clients_reply_error(d, c, PROTO_E_UNAUTHORIZED, h->need == NEED_COMMAND &&
		    strcmp(bridge_client_role(c), "observer") == 0 ?
		    "observers cannot command" : h->refusal, id, has_id);
	} else {
		/* Who changed the screen, for the audit log; a command is someone
		 * at a display: the demo session pauses. */
		admin_actor_client(d, c);
		if (h->need == NEED_COMMAND)
			admin_human(d);
		h->fn(d, c, msg, id, has_id);
		admin_actor_clear(d);
	}
	daemon_follow_state(d);
}
