/*
 * admin — the admin page's view of the daemon and its actions (admin.h).
 */
#include "daemon/admin.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "base/base64.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/sysio.h"
#include "base/xalloc.h"
#include "daemon/clients.h"
#include "daemon/conference.h"
#include "daemon/state.h"
#include "daemon/listener.h"
#include "daemon/tokens.h"
#include "daemon/vision.h"
#include "models/face.h"
#include "models/grammar.h"
#include "ui-bridge/bridge.h"
#include "ui-bridge/protocol.h"

#define COOKIE_HEX   64
#define SEEN_MAX     256     /* tokens whose last sighting is kept */
#define WANT_MAX     16      /* clients waiting for a snapshot */
#define ACTOR_MAX    160
#define READERS_MAX  32      /* displays with a document open that are counted */
#define DEMO_HINT    "the admin page, smartofficed admin demo off, or demo = no in the configuration"

struct audit_line {
	char   when[40];         /* wall clock, as log lines */
	double t;                /* the event's t */
	char   what[16];         /* navigate, mode, command, conference, call, tv, shelf */
	char   detail[96];       /* "air-quality", "private", "start room-1" */
	char   source[16];       /* the event's source: voice, remote, hand, tap, shelf, typed, ... */
	char   by[ACTOR_MAX];    /* who: a client, the room microphone, the hand cursor */
};

struct utterance {
	char   when[40];
	double t;
	char   source[16];
	char   result[12];       /* "command" | "rejected" */
	char   id[64];           /* the entry, or the rejection's reason */
	char   text[256];        /* at least ADMIN_TEXT_MAX: a typed command is kept whole */
	double confidence;       /* -1: none */
};

struct device {
	char   state[12];        /* "running", "lost", "ended", ... ("" never heard of) */
	char   reason[128];
	char   since[40];
};

struct seen {
	char   id[9];
	char   when[40];
};

struct admin {
	struct audit_line audit[ADMIN_AUDIT_MAX];
	size_t            naudit, audit_head;          /* a ring: head is the oldest */
	struct utterance  utt[ADMIN_UTTERANCES_MAX];
	size_t            nutt, utt_head;
	struct device     mic, room_cam, shelf_cam, door;
	struct seen       seen[SEEN_MAX];
	size_t            nseen;
	char              actor[ACTOR_MAX];            /* "" : no client acts */
	char              cookie[COOKIE_HEX + 1];      /* "" : none */
	char             *cookie_path;
	uint64_t          want[WANT_MAX];              /* clients waiting for a snapshot */
	size_t            nwant;
	int               demo_source;                 /* the room audio is the demo session */
	int               demo_on;                     /* -1: as configured */
	double            human_at;                    /* clock_mono of the last use (0: none) */
	uint64_t          readers[READERS_MAX];        /* clients with a document open */
	size_t            nreaders;
	int               readers_full_logged;         /* the cap's line was written */
	int               demo_logged;                 /* 0 playing, 1 paused, 2 off: last logged */
	int               enrolling;                   /* a guided enrollment runs (vision_enroll) */
	char              enroll_name[FACE_NAME_MAX];
	char              enroll_pose[16];             /* its last step's pose, got, need */
	int               enroll_got, enroll_need;
	/* heads.json as last read, for admin-status: read again only when its
	 * path, size, mtime or inode change, or after a SIGHUP. */
	char             *heads_path;
	struct stat       heads_st;
	json_t           *heads;                       /* NULL: unreadable or not JSON */
	int               heads_read;
};

struct admin *
admin_new(void)
{
	struct admin *a = xcalloc(1, sizeof *a);

	a->demo_on = -1;
	return a;
}

void
admin_free(struct admin *a)
{
	if (a == NULL)
		return;
	free(a->cookie_path);
	free(a->heads_path);
	json_decref(a->heads);
	free(a);
}

/* src into dst (len bytes), cut at a UTF-8 character's start if it must
 * be cut: a cut inside a character would make the entry unpackable as
 * JSON. */
static void
copy_utf8(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src);

	if (n >= len) {
		n = len - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* A JSON string of s; when s is not UTF-8 (jansson refuses it) it says so
 * in the log and keeps s with '?' for its non-ASCII bytes, so the entry
 * it belongs to is never dropped. */
static json_t *
jtext(const char *what, const char *s)
{
	json_t *j = json_string(s);
	char buf[512];
	size_t i;

	if (j != NULL)
		return j;
	for (i = 0; s[i] && i + 1 < sizeof buf; i++)
		buf[i] = (unsigned char)s[i] < 0x80 ? s[i] : '?';
	buf[i] = '\0';
	log_warnx("admin: %s \"%s\" is not UTF-8: shown with '?' for its bytes above 0x7f", what, buf);
	return json_string(buf);
}

/* ---- who acts ---- */

void
admin_actor_client(struct daemon *d, struct bridge_client *c)
{
	const char *name = bridge_client_name(c), *tid = bridge_client_token_id(c);

	if (d->admin == NULL)
		return;
	snprintf(d->admin->actor, sizeof d->admin->actor, "%s%s%s%s%s (client %llu%s%s)",
	    bridge_client_trusted(c) ? "" : "public ", bridge_client_role(c),
	    name[0] ? " \"" : "", name, name[0] ? "\"" : "", (unsigned long long)bridge_client_id(c),
	    tid[0] ? ", token " : "", tid);
}

void
admin_actor_text(struct daemon *d, const char *by)
{
	if (d->admin != NULL)
		copy_utf8(d->admin->actor, sizeof d->admin->actor, by);
}

void
admin_actor_clear(struct daemon *d)
{
	if (d->admin != NULL)
		d->admin->actor[0] = '\0';
}

/* ---- what it watches ---- */

static const char *
str(const json_t *ev, const char *key)
{
	const char *s = json_string_value(json_object_get(ev, key));

	return s != NULL ? s : "";
}

/* Who did it, when no client is acting: from the event's source. */
static const char *
by_source(const char *source)
{
	if (!strcmp(source, "voice"))
		return "voice (the room microphone)";
	if (!strcmp(source, "hand"))
		return "hand (the motion cursor)";
	if (!strcmp(source, "shelf"))
		return "shelf (a book taken or put back)";
	if (!strcmp(source, "policy") || !strcmp(source, "face") || !strcmp(source, ""))
		return "the daemon (policy)";
	return source;
}

static void
audit(struct daemon *d, const json_t *ev, const char *what, const char *detail)
{
	struct admin *a = d->admin;
	struct audit_line *l;
	const char *source = str(ev, "source");

	if (a->naudit < ADMIN_AUDIT_MAX)
		l = &a->audit[(a->audit_head + a->naudit++) % ADMIN_AUDIT_MAX];
	else {
		l = &a->audit[a->audit_head];
		a->audit_head = (a->audit_head + 1) % ADMIN_AUDIT_MAX;
	}
	memset(l, 0, sizeof *l);
	log_stamp(l->when, sizeof l->when);
	l->t = json_number_value(json_object_get(ev, "t"));
	copy_utf8(l->what, sizeof l->what, what);
	copy_utf8(l->detail, sizeof l->detail, detail);
	copy_utf8(l->source, sizeof l->source, source);
	copy_utf8(l->by, sizeof l->by, a->actor[0] ? a->actor : by_source(source));
	log_info("audit: %s %s by %s (source %s)", l->what, l->detail, l->by, source[0] ? source : "-");
}

static void
utterance(struct daemon *d, const json_t *ev, const char *result)
{
	struct admin *a = d->admin;
	struct utterance *u;
	json_t *conf = json_object_get(ev, "confidence");

	if (a->nutt < ADMIN_UTTERANCES_MAX)
		u = &a->utt[(a->utt_head + a->nutt++) % ADMIN_UTTERANCES_MAX];
	else {
		u = &a->utt[a->utt_head];
		a->utt_head = (a->utt_head + 1) % ADMIN_UTTERANCES_MAX;
	}
	memset(u, 0, sizeof *u);
	log_stamp(u->when, sizeof u->when);
	u->t = json_number_value(json_object_get(ev, "t"));
	copy_utf8(u->source, sizeof u->source, str(ev, "source")[0] ? str(ev, "source") : "voice");
	copy_utf8(u->result, sizeof u->result, result);
	copy_utf8(u->id, sizeof u->id, !strcmp(result, "rejected") ? str(ev, "reason") :
	    str(ev, "content")[0] ? str(ev, "content") : str(ev, "command"));
	copy_utf8(u->text, sizeof u->text, str(ev, "text"));
	u->confidence = json_is_number(conf) ? json_number_value(conf) : -1;
}

static void
device(struct device *dv, const json_t *ev)
{
	const char *st = str(ev, "state");

	/* "back" is running again; "end" a replay that is over. */
	snprintf(dv->state, sizeof dv->state, "%s", !strcmp(st, "back") ? "running" :
	    !strcmp(st, "end") ? "ended" : st);
	copy_utf8(dv->reason, sizeof dv->reason, str(ev, "reason"));
	log_stamp(dv->since, sizeof dv->since);
}

void
admin_observe(struct daemon *d, const json_t *ev)
{
	const char *type = str(ev, "type");
	char detail[96];

	if (d->admin == NULL)
		return;
	if (!strcmp(type, "navigate"))
		audit(d, ev, "navigate", str(ev, "content"));
	else if (!strcmp(type, "command"))
		audit(d, ev, "command", str(ev, "command"));
	else if (!strcmp(type, "mode")) {
		/* a mode's reason is what changed it: its source */
		snprintf(detail, sizeof detail, "%s", str(ev, "mode"));
		audit(d, ev, "mode", detail);
	} else if (!strcmp(type, "conference") || !strcmp(type, "call") || !strcmp(type, "tv")) {
		snprintf(detail, sizeof detail, "%s%s%s", str(ev, "state")[0] ? str(ev, "state") :
		    str(ev, "action"), str(ev, "room")[0] || str(ev, "department")[0] ||
		    str(ev, "document")[0] ? " " : "", str(ev, "room")[0] ? str(ev, "room") :
		    str(ev, "department")[0] ? str(ev, "department") : str(ev, "document"));
		audit(d, ev, type, detail);
	} else if (!strcmp(type, "intent"))
		utterance(d, ev, "command");
	else if (!strcmp(type, "rejected"))
		utterance(d, ev, "rejected");
	else if (!strcmp(type, "mic"))
		device(&d->admin->mic, ev);
	else if (!strcmp(type, "camera"))
		device(!strcmp(str(ev, "camera"), "shelf") ? &d->admin->shelf_cam : &d->admin->room_cam, ev);
	else if (!strcmp(type, "shelf") && str(ev, "door")[0]) {
		json_t *e = json_pack("{s:s}", "state", str(ev, "door"));
		device(&d->admin->door, e);
		json_decref(e);
	}
}

/* ---- the command line's cookie ---- */

int
admin_cookie_start(struct daemon *d, char *err, size_t errlen)
{
	struct admin *a = d->admin;
	unsigned char raw[COOKIE_HEX / 2];
	char line[COOKIE_HEX + 2];
	size_t got = 0;

	while (got < sizeof raw) {
		ssize_t r = getrandom(raw + got, sizeof raw - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			log_seterr(err, errlen, "getrandom: %s", strerror(errno));
			return -1;
		}
		got += (size_t)r;
	}
	for (size_t i = 0; i < sizeof raw; i++)
		snprintf(a->cookie + 2 * i, 3, "%02x", raw[i]);
	free(a->cookie_path);
	if (asprintf(&a->cookie_path, "%s/%s", d->cfg.state_dir, ADMIN_COOKIE_FILE) < 0)
		fatalx("out of memory");
	snprintf(line, sizeof line, "%s\n", a->cookie);
	if (sysio_replace(a->cookie_path, line, strlen(line), 0600, err, errlen) < 0) {
		a->cookie[0] = '\0';
		return -1;
	}
	return 0;
}

void
admin_cookie_remove(struct daemon *d)
{
	char line[COOKIE_HEX + 8] = "";
	FILE *f;

	if (d->admin == NULL || d->admin->cookie[0] == '\0')
		return;
	/* Only if it is still ours: another process's cookie stays. */
	if ((f = fopen(d->admin->cookie_path, "r")) != NULL) {
		if (fgets(line, sizeof line, f) == NULL)
			line[0] = '\0';
		fclose(f);
		line[strcspn(line, "\r\n")] = '\0';
		if (strcmp(line, d->admin->cookie) != 0)
			log_warnx("admin: %s is not this daemon's cookie any more: left in place",
			    d->admin->cookie_path);
		else if (unlink(d->admin->cookie_path) < 0 && errno != ENOENT)
			log_warn("%s", d->admin->cookie_path);
	} else if (errno != ENOENT)
		log_warn("%s", d->admin->cookie_path);
	d->admin->cookie[0] = '\0';
}

int
admin_cookie_ok(const struct daemon *d, const char *token)
{
	if (d->admin == NULL || d->admin->cookie[0] == '\0' || token == NULL ||
	    strlen(token) != COOKIE_HEX)
		return 0;
	return CRYPTO_memcmp(token, d->admin->cookie, COOKIE_HEX) == 0;
}

/* ---- paired devices' last sighting ---- */

void
admin_token_seen(struct daemon *d, const char *tid)
{
	struct admin *a = d->admin;
	size_t i;

	if (a == NULL || tid == NULL || tid[0] == '\0')
		return;
	for (i = 0; i < a->nseen; i++)
		if (!strcmp(a->seen[i].id, tid))
			break;
	if (i == a->nseen) {
		if (a->nseen == SEEN_MAX) {	/* forget the oldest */
			memmove(&a->seen[0], &a->seen[1], (SEEN_MAX - 1) * sizeof a->seen[0]);
			a->nseen--;
			i = a->nseen;
		}
		a->nseen++;
		snprintf(a->seen[i].id, sizeof a->seen[i].id, "%s", tid);
	}
	log_stamp(a->seen[i].when, sizeof a->seen[i].when);
}

static const char *
last_seen(struct admin *a, const char *tid)
{
	for (size_t i = 0; i < a->nseen; i++)
		if (!strcmp(a->seen[i].id, tid))
			return a->seen[i].when;
	return NULL;
}

/* ---- the demo session ---- */

static int
demo_enabled(const struct daemon *d)
{
	return d->admin->demo_on >= 0 ? d->admin->demo_on : d->cfg.demo;
}

/* 0 playing, 1 paused (why in *why), 2 off. */
static int
demo_state(struct daemon *d, const char **why)
{
	struct admin *a = d->admin;

	*why = NULL;
	if (!demo_enabled(d))
		return 2;
	if (a->nreaders > 0) {
		*why = "a document is open on a display";
		return 1;
	}
	if (a->human_at > 0 && d->cfg.demo_pause_s > 0 && clock_mono() - a->human_at < d->cfg.demo_pause_s) {
		*why = "someone is using a display";
		return 1;
	}
	return 0;
}

void
admin_set_demo_source(struct daemon *d, int is_demo)
{
	if (d->admin != NULL)
		d->admin->demo_source = is_demo;
}

/*
 * The demo session's state changed since it was last told (playing,
 * paused, off): the log line and the demo event for the walls' badge, at
 * once.  Called after everything that changes it (a use of a display, a
 * document opened or closed, a client gone, admin demo) and from the 1 s
 * housekeeping (admin_tick: a pause running out).  0 playing, 1 paused,
 * 2 off.
 */
static int
demo_check(struct daemon *d)
{
	const char *why;
	int st;

	if (d->admin == NULL || !d->admin->demo_source)
		return 0;
	st = demo_state(d, &why);
	if (st != d->admin->demo_logged) {
		if (st == 0)
			log_info("demo session: playing");
		else if (st == 1)
			log_info("demo session: paused (%s; it goes on %.0f s after the last use)", why,
			    d->cfg.demo_pause_s);
		else
			log_info("demo session: off (demo = no, or smartofficed admin demo off)");
		d->admin->demo_logged = st;
		/* The walls say that what moves them is a demo, and how to stop it. */
		json_t *ev = state_event(&d->state, "demo", daemon_now(d));
		json_object_set_new(ev, "state", json_string(st == 0 ? "playing" : st == 1 ? "paused" : "off"));
		if (why != NULL)
			json_object_set_new(ev, "why", json_string(why));
		json_object_set_new(ev, "hint", json_string(DEMO_HINT));
		daemon_emit(d, ev, ev);
		json_decref(ev);
	}
	return st;
}

void
admin_tick(struct daemon *d)
{
	(void)demo_check(d);
}

void
admin_human(struct daemon *d)
{
	if (d->admin == NULL)
		return;
	d->admin->human_at = clock_mono();
	(void)demo_check(d);
}

void
admin_reading(struct daemon *d, struct bridge_client *c, int reading)
{
	struct admin *a = d->admin;
	uint64_t id = bridge_client_id(c);
	size_t i;

	for (i = 0; i < a->nreaders && a->readers[i] != id; i++)
		;
	if (reading && i == a->nreaders) {
		if (a->nreaders < READERS_MAX) {
			a->readers[a->nreaders++] = id;
		} else if (!a->readers_full_logged) {
			/* The demo stays paused while any counted one is open. */
			log_warnx("activity: %d displays have a document open; client %llu and more are not "
			    "counted until one closes", READERS_MAX, (unsigned long long)id);
			a->readers_full_logged = 1;
		}
	} else if (!reading && i < a->nreaders) {
		a->readers[i] = a->readers[--a->nreaders];
		a->readers_full_logged = 0;
		/* reading ends: the pause runs on from now */
		a->human_at = clock_mono();
	}
	/* reading:false from a client that was not reading is no use of a
	 * display: it does not pause the demo. */
	(void)demo_check(d);
}

void
admin_client_gone(struct daemon *d, struct bridge_client *c)
{
	struct admin *a = d->admin;
	uint64_t id = bridge_client_id(c);

	if (a == NULL)
		return;
	for (size_t i = 0; i < a->nreaders; i++)
		if (a->readers[i] == id) {
			a->readers[i] = a->readers[--a->nreaders];
			a->readers_full_logged = 0;
			admin_human(d);
			break;
		}
	for (size_t i = 0; i < a->nwant; i++)
		if (a->want[i] == id) {
			a->want[i] = a->want[--a->nwant];
			break;
		}
	admin_token_seen(d, bridge_client_token_id(c));
}

int
admin_demo_passes(struct daemon *d)
{
	if (d->admin == NULL || !d->admin->demo_source)
		return 1;
	return demo_check(d) == 0;
}

void
admin_hello(struct daemon *d, json_t *hello)
{
	const char *why;
	int st;

	if (d->admin == NULL || !d->admin->demo_source)
		return;
	st = demo_state(d, &why);
	json_object_set_new(hello, "demo", json_pack("{s:s, s:s?, s:s}", "state",
	    st == 0 ? "playing" : st == 1 ? "paused" : "off", "why", why, "hint",
	    DEMO_HINT));
}

/* ---- status ---- */

static json_t *
device_json(const struct device *dv, const char *spec)
{
	json_t *o = json_pack("{s:s, s:s}", "spec", spec != NULL ? spec : "",
	    "state", dv->state[0] ? dv->state : spec != NULL && spec[0] ? "running" : "none");

	if (dv->reason[0])
		json_object_set_new(o, "reason", json_string(dv->reason));
	if (dv->since[0])
		json_object_set_new(o, "since", json_string(dv->since));
	return o;
}

struct clients_list {
	struct daemon *d;
	json_t        *arr;
	double         now;
};

static void
client_each(void *ud, struct bridge_client *c)
{
	struct clients_list *cl = ud;

	json_array_append_new(cl->arr, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:f}",
	    "id", (json_int_t)bridge_client_id(c), "role", bridge_client_role(c),
	    "name", bridge_client_name(c), "view", bridge_client_trusted(c) ? "trusted" : "public",
	    "address", bridge_client_address(c), "token_id", bridge_client_token_id(c),
	    "connected_s", round((cl->now - bridge_client_since(c)) * 10.0) / 10.0));
}

static int
connected(json_t *clients, const char *tid)
{
	size_t i;
	json_t *c;
	int n = 0;

	json_array_foreach(clients, i, c)
		n += !strcmp(json_string_value(json_object_get(c, "token_id")), tid);
	return n;
}

/* Same file, same content (as far as a stat tells). */
static int
same_file(const struct stat *x, const struct stat *y)
{
	return x->st_dev == y->st_dev && x->st_ino == y->st_ino && x->st_size == y->st_size &&
	    x->st_mtim.tv_sec == y->st_mtim.tv_sec && x->st_mtim.tv_nsec == y->st_mtim.tv_nsec;
}

/* heads.json, read again only when it changed (admin-status comes every
 * second from each open admin page); NULL when it cannot be read. */
static json_t *
heads_file(struct admin *a, const char *path)
{
	json_error_t je;
	struct stat st;

	if (stat(path, &st) < 0)
		memset(&st, 0, sizeof st);
	if (a->heads_read && a->heads_path != NULL && !strcmp(a->heads_path, path) && same_file(&st, &a->heads_st))
		return a->heads;
	json_decref(a->heads);
	a->heads = json_load_file(path, 0, &je);
	if (a->heads == NULL)
		log_debug("admin: %s: %s (no head versions in admin-status)", path, je.text);
	free(a->heads_path);
	a->heads_path = xstrdup(path);
	a->heads_st = st;
	a->heads_read = 1;
	return a->heads;
}

void
admin_reload(struct daemon *d)
{
	if (d->admin != NULL)
		d->admin->heads_read = 0;
}

static json_t *
speech_json(struct daemon *d)
{
	json_t *o = json_pack("{s:s, s:s, s:s}", "engine", d->cfg.engine, "catalogue", d->cfg.catalogue,
	    "heads", d->cfg.speech_heads);
	json_t *h;
	double db;

	/* The heads' versions: what heads.json pins. */
	if (!strcmp(d->cfg.engine, "embedding") && (h = heads_file(d->admin, d->cfg.speech_heads)) != NULL) {
		json_t *models = json_object(), *v;
		const char *k;
		json_object_foreach(h, k, v)
			if (json_is_object(v) && json_is_string(json_object_get(v, "sha256")))
				json_object_set(models, k, json_object_get(v, "sha256"));
		json_object_set(o, "heads_version", json_object_get(h, "version"));
		json_object_set(o, "catalogue_sha256", json_object_get(h, "catalogue_sha256"));
		json_object_set_new(o, "models", models);
	}
	if (listener_level(d->listener, &db))
		json_object_set_new(o, "level_db", json_real(db));
	return o;
}

json_t *
admin_status_json(struct daemon *d)
{
	struct admin *a = d->admin;
	struct clients_list cl = { d, json_array(), clock_mono() };
	json_t *st, *paired = json_array(), *audit_a = json_array(), *utt = json_array(), *devs;
	const char *why;
	int ds = demo_state(d, &why);

	bridge_foreach(d->bridge, client_each, &cl);
	clients_check_tokens(d);
	for (size_t i = 0; i < tokens_count(d->tokens); i++) {
		const struct token_info *ti = tokens_at(d->tokens, i);
		const char *seen = last_seen(a, ti->id);
		int n = connected(cl.arr, ti->id);
		json_array_append_new(paired, json_pack("{s:s, s:s, s:s, s:s, s:i, s:s?}", "id", ti->id,
		    "role", tokens_role_name(ti->role), "name", ti->name, "created", ti->created,
		    "connected", n, "last_seen", n > 0 ? "now" : seen));
	}
	for (size_t i = 0; i < a->naudit; i++) {
		const struct audit_line *l = &a->audit[(a->audit_head + i) % ADMIN_AUDIT_MAX];
		json_t *o = json_pack("{s:s, s:f, s:o, s:o, s:o, s:o}", "time", l->when,
		    "t", l->t, "what", jtext("audit what", l->what), "detail", jtext("audit detail", l->detail),
		    "source", jtext("audit source", l->source), "by", jtext("audit by", l->by));
		if (o == NULL)
			log_warnx("admin: the audit line of %s (%s %s) cannot be packed as JSON", l->when, l->what,
			    l->detail);
		json_array_append_new(audit_a, o);
	}
	for (size_t i = 0; i < a->nutt; i++) {
		const struct utterance *u = &a->utt[(a->utt_head + i) % ADMIN_UTTERANCES_MAX];
		json_t *o = json_pack("{s:s, s:f, s:o, s:s, s:o, s:o}", "time", u->when, "t", u->t,
		    "source", jtext("utterance source", u->source), "result", u->result,
		    "id", jtext("utterance id", u->id), "text", jtext("utterance text", u->text));
		if (o == NULL) {
			log_warnx("admin: the utterance of %s (%s) cannot be packed as JSON", u->when, u->id);
			continue;
		}
		if (u->confidence >= 0)
			json_object_set_new(o, "confidence", json_real(u->confidence));
		json_array_append_new(utt, o);
	}
	devs = json_pack("{s:o, s:o, s:o, s:o}",
	    "mic", device_json(&a->mic, listener_source(d->listener)),
	    "room_camera", device_json(&a->room_cam, d->vision != NULL ? d->cfg.camera_room : ""),
	    "shelf_camera", device_json(&a->shelf_cam, d->shelf != NULL ? d->cfg.camera_shelf : ""),
	    "door", device_json(&a->door, d->shelf != NULL ? d->cfg.shelf_door : ""));
	if (d->vision != NULL) {
		struct vision_stats vs;
		vision_stats(d->vision, &vs);
		json_object_set_new(json_object_get(devs, "room_camera"), "fps", json_real(round(vs.fps * 10) / 10));
		json_object_set_new(json_object_get(devs, "room_camera"), "frames", json_integer((json_int_t)vs.frames));
	}
	st = json_pack("{s:s, s:f, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:{s:b, s:b, s:s, s:s?, s:f}}",
	    "type", "admin-status", "uptime_s", round((clock_mono() - d->started) * 10) / 10,
	    "screen", d->state.screen, "devices", devs, "speech", speech_json(d), "utterances", utt,
	    "clients", cl.arr, "paired", paired, "audit", audit_a,
	    "demo", "source", a->demo_source, "on", demo_enabled(d),
	    "state", !a->demo_source ? "not-playing" : ds == 0 ? "playing" : ds == 1 ? "paused" : "off",
	    "why", a->demo_source ? why : NULL, "pause_s", d->cfg.demo_pause_s);
	json_object_set_new(st, "mode", json_string(d->state.private_mode ? "private" : "public"));
	/* A guided enrollment running: its last step (admin_enroll_step). */
	json_object_set_new(st, "enroll", !a->enrolling ? json_null() :
	    json_pack("{s:s, s:s, s:i, s:i}", "name", a->enroll_name, "pose", a->enroll_pose,
	    "got", a->enroll_got, "need", a->enroll_need));
	return st;
}

void
admin_on_status(struct daemon *d, struct bridge_client *c, const json_t *msg, json_int_t id, int has_id)
{
	clients_reply(d, c, admin_status_json(d), id, has_id);
}

/* ---- paired devices ---- */

static const char *
token_id_member(struct daemon *d, struct bridge_client *c, const json_t *msg, json_int_t id, int has_id)
{
	int bad = 0;
	const char *tid = clients_member(msg, "token_id", 16, 1, &bad);

	if (bad)
		clients_reply_error(d, c, PROTO_E_BAD_REQUEST, "token_id must be a token's id (8 hex digits)",
		    id, has_id);
	return bad ? NULL : tid;
}

void
admin_on_revoke(struct daemon *d, struct bridge_client *c, const json_t *msg, json_int_t id, int has_id)
{
	const char *tid = token_id_member(d, c, msg, id, has_id);
	char err[512], tidc[16];
	struct clients_tokens_before *before;

	if (tid == NULL)
		return;
	snprintf(tidc, sizeof tidc, "%s", tid);
	before = clients_tokens_before(d);
	if (tokens_revoke(d->tokens, tidc, err, sizeof err) < 0) {
		free(before);
		clients_reply_error(d, c, strncmp(err, "no token", 8) ? PROTO_E_INTERNAL : PROTO_E_BAD_REQUEST,
		    err, id, has_id);
		return;
	}
	log_info("admin: token %s revoked by %s", tidc, d->admin->actor);
	clients_reply(d, c, json_pack("{s:s}", "type", "ok"), id, has_id);
	/* Its connections drop to the public view now (the file changed by
	 * this handle: no reload would notice). */
	clients_tokens_after(d, before);
}

void
admin_on_rename(struct daemon *d, struct bridge_client *c, const json_t *msg, json_int_t id, int has_id)
{
	const char *tid = token_id_member(d, c, msg, id, has_id);
	int bad = 0;
	const char *name = tid != NULL ? clients_member(msg, "name", TOKENS_NAME_MAX, 1, &bad) : NULL;
	char err[512];
	struct clients_tokens_before *before;

	if (tid == NULL)
		return;
	if (bad) {
		clients_reply_error(d, c, PROTO_E_BAD_REQUEST, "rename needs name: a string of at most 64 bytes",
		    id, has_id);
		return;
	}
	before = clients_tokens_before(d);
	if (tokens_rename(d->tokens, tid, name, err, sizeof err) < 0) {
		free(before);
		clients_reply_error(d, c, strncmp(err, "no token", 8) && strncmp(err, "bad name", 8) ?
		    PROTO_E_INTERNAL : PROTO_E_BAD_REQUEST, err, id, has_id);
		return;
	}
	log_info("admin: token %s renamed \"%s\" by %s", tid, name, d->admin->actor);
	clients_reply(d, c, json_pack("{s:s}", "type", "ok"), id, has_id);
	/* Its live connections show the new name at once, and what the
	 * command line changed meanwhile (read in under the lock) applies. */
	clients_tokens_after(d, before);
}

/* ---- demo, snapshot ---- */

void
admin_on_demo(struct daemon *d, struct bridge_client *c, const json_t *msg, json_int_t id, int has_id)
{
	json_t *on = json_object_get(msg, "on");

	if (!json_is_boolean(on)) {
		clients_reply_error(d, c, PROTO_E_BAD_REQUEST, "demo needs \"on\": true or false", id, has_id);
		return;
	}
	d->admin->demo_on = json_is_true(on);
	log_info("admin: demo session switched %s by %s", d->admin->demo_on ? "on" : "off", d->admin->actor);
	if (d->admin->demo_on)	/* on now means now, not after the pause */
		d->admin->human_at = 0;
	(void)demo_check(d);
	clients_reply(d, c, json_pack("{s:s, s:b}", "type", "ok", "on", d->admin->demo_on), id, has_id);
}

void
admin_on_snapshot(struct daemon *d, struct bridge_client *c, const json_t *msg, json_int_t id, int has_id)
{
	struct admin *a = d->admin;
	uint64_t cid = bridge_client_id(c);
	size_t i;

	if (d->vision == NULL) {
		clients_reply_error(d, c, PROTO_E_BAD_REQUEST, "no room camera runs (camera_room is not set)",
		    id, has_id);
		return;
	}
	/* No frame will come to answer it: say so instead of never replying. */
	if (d->video_done || !strcmp(a->room_cam.state, "lost")) {
		clients_reply_error(d, c, PROTO_E_BAD_REQUEST, d->video_done ?
		    "the room camera's replay has ended" : "the room camera is lost: try again when it is back",
		    id, has_id);
		return;
	}
	for (i = 0; i < a->nwant && a->want[i] != cid; i++)
		;
	if (i == a->nwant && a->nwant < WANT_MAX)
		a->want[a->nwant++] = cid;
	vision_want_snapshot(d->vision);
	/* The picture comes as an admin-snapshot message. */
	clients_reply(d, c, json_pack("{s:s}", "type", "ok"), id, has_id);
}

void
admin_snapshot(struct daemon *d, const struct vision_snapshot *sn)
{
	struct admin *a = d->admin;
	char *b64, *s;
	json_t *m;

	if (a == NULL || a->nwant == 0)
		return;
	if ((b64 = base64_new(sn->jpeg, sn->len)) == NULL)
		return;		/* the next one, then */
	m = json_pack("{s:s, s:s, s:i, s:i, s:f, s:s}", "type", "admin-snapshot", "camera", "room",
	    "w", sn->w, "h", sn->h, "t", sn->t, "jpeg", b64);
	free(b64);
	s = proto_dump(m);
	json_decref(m);
	for (size_t i = 0; i < a->nwant && s != NULL; i++) {
		struct bridge_client *c = bridge_client_by_id(d->bridge, a->want[i]);
		if (c != NULL)
			bridge_send(d->bridge, c, s, strlen(s));
	}
	a->nwant = 0;
	free(s);
}

/* ---- a guided face enrollment (vision_enroll) ---- */

void
admin_on_enroll(struct daemon *d, struct bridge_client *c, const json_t *msg, json_int_t id, int has_id)
{
	struct admin *a = d->admin;
	int bad = 0;
	const char *name = clients_member(msg, "name", FACE_NAME_MAX - 1, 1, &bad);
	char why[200];

	if (bad || !face_name_valid(name)) {
		clients_reply_error(d, c, PROTO_E_BAD_REQUEST, "enroll needs name: 1-63 characters of "
		    "A-Z a-z 0-9 _ . -, not starting with '.'", id, has_id);
		return;
	}
	if (d->vision == NULL || d->video_done) {
		clients_reply_error(d, c, PROTO_E_BAD_REQUEST, d->vision == NULL ?
		    "no room camera runs (camera_room is not set): stop the daemon and run "
		    "smartofficed face enroll --camera" : "the room camera's replay has ended", id, has_id);
		return;
	}
	if (a->enrolling) {
		snprintf(why, sizeof why, "an enrollment of %s is running: wait for it to end, or enroll-cancel",
		    a->enroll_name);
		clients_reply_error(d, c, PROTO_E_BAD_REQUEST, why, id, has_id);
		return;
	}
	if (d->state.verify_pending) {
		clients_reply_error(d, c, PROTO_E_BAD_REQUEST,
		    "a face verification (private mode) is running: enroll when it is over", id, has_id);
		return;
	}
	a->enrolling = 1;
	snprintf(a->enroll_name, sizeof a->enroll_name, "%s", name);
	a->enroll_pose[0] = '\0';
	a->enroll_got = a->enroll_need = 0;
	log_info("admin: face enrollment of %s from the room camera started by %s", name, a->actor);
	vision_enroll(d->vision, name);
	/* The steps come as enroll events. */
	clients_reply(d, c, json_pack("{s:s, s:s}", "type", "ok", "name", name), id, has_id);
}

void
admin_on_enroll_cancel(struct daemon *d, struct bridge_client *c, const json_t *msg, json_int_t id,
    int has_id)
{
	struct admin *a = d->admin;

	if (!a->enrolling || d->vision == NULL) {
		clients_reply_error(d, c, PROTO_E_BAD_REQUEST, "no enrollment is running", id, has_id);
		return;
	}
	log_info("admin: face enrollment of %s cancelled by %s", a->enroll_name, a->actor);
	vision_enroll_cancel(d->vision);
	/* ... the enroll event "failed", "cancelled" ends it */
	clients_reply(d, c, json_pack("{s:s, s:s}", "type", "ok", "name", a->enroll_name), id, has_id);
}

void
admin_enroll_step(struct daemon *d, const struct input *in)
{
	const struct input_enroll *e = &in->enroll;
	struct admin *a = d->admin;
	json_t *ev = state_event(&d->state, "enroll", in->t);

	json_object_set_new(ev, "state", json_string(enroll_state_name(e->state)));
	json_object_set_new(ev, "name", json_string(e->name));
	switch (e->state) {
	case ENROLL_STARTED:
	case ENROLL_POSE:
		json_object_set_new(ev, "pose", json_string(e->pose));
		json_object_set_new(ev, "say", json_string(e->text));
		json_object_set_new(ev, "got", json_integer(e->got));
		json_object_set_new(ev, "need", json_integer(e->need));
		break;
	case ENROLL_PROGRESS:
		json_object_set_new(ev, "pose", json_string(e->pose));
		json_object_set_new(ev, "got", json_integer(e->got));
		json_object_set_new(ev, "need", json_integer(e->need));
		break;
	case ENROLL_SKIPPED:
		json_object_set_new(ev, "pose", json_string(e->pose));
		json_object_set_new(ev, "reason", json_string(e->text));
		break;
	case ENROLL_DONE:
		json_object_set_new(ev, "images", json_integer(e->images));
		json_object_set_new(ev, "descriptor", json_string(e->text));
		json_object_set_new(ev, "unlocks", json_boolean(d->cfg.private_face != NULL && !strcmp(e->name, d->cfg.private_face)));
		break;
	case ENROLL_FAILED:
		json_object_set_new(ev, "reason", json_string(e->text));
		break;
	}
	/* The last step of the running one, for admin-status. */
	if ((e->state == ENROLL_STARTED || e->state == ENROLL_POSE || e->state == ENROLL_PROGRESS) &&
	    a != NULL && a->enrolling && !strcmp(e->name, a->enroll_name)) {
		snprintf(a->enroll_pose, sizeof a->enroll_pose, "%s", e->pose);
		a->enroll_got = e->got;
		a->enroll_need = e->need;
	}
	/* A refusal of a second one (the vision thread's own check) does not
	 * end the running one. */
	if ((e->state == ENROLL_DONE || e->state == ENROLL_FAILED) && a != NULL &&
	    !strcmp(e->name, a->enroll_name)) {
		if (e->state == ENROLL_DONE)
			log_info("admin: %s enrolled from the room camera (%d images)", e->name, e->images);
		else
			log_warnx("admin: face enrollment of %s failed: %s", e->name, e->text);
		a->enrolling = 0;
	}
	state_emit_trusted(&d->state, ev, daemon_emit, d);
}

/* ---- a typed command ---- */

/*
 * The ASCII character a full-width one at p stands for (a Korean or CJK
 * keyboard types them: "공기질！", "show　me"): U+FF01-U+FF5E are ASCII
 * 0x21-0x7E, U+3000 the space, U+3001 and U+3002 (、。) a comma and a full
 * stop.  0 when p is none of them; else *skip is its length, 3.
 */
static unsigned char
fullwidth_ascii(const unsigned char *p, size_t *skip)
{
	unsigned cp;

	if (p[0] == 0xEF && (p[1] == 0xBC || p[1] == 0xBD) && p[2] >= 0x80 && p[2] <= 0xBF)
		cp = 0xFF00 + ((unsigned)(p[1] - 0xBC) << 6) + (unsigned)(p[2] - 0x80);
	else if (p[0] == 0xE3 && p[1] == 0x80 && p[2] >= 0x80 && p[2] <= 0x82)
		cp = 0x3000 + (unsigned)(p[2] - 0x80);
	else
		return 0;
	*skip = 3;
	if (cp >= 0xFF01 && cp <= 0xFF5E)
		return (unsigned char)(cp - 0xFEE0);
	return cp == 0x3000 ? ' ' : cp == 0x3001 ? ',' : cp == 0x3002 ? '.' : 0;
}

/* Lower case ASCII, punctuation to spaces, one space between words, the
 * wake phrase in front dropped: "Hey Seoul, show me Air quality!" →
 * "show me air quality"; full-width punctuation, letters and spaces count
 * as their ASCII ones. */
static void
normalise(const struct catalogue *cat, const char *in, char *out, size_t len)
{
	size_t n = 0, wl, skip;
	int space = 1;

	for (const unsigned char *p = (const unsigned char *)in; *p && n + 1 < len; p++) {
		unsigned char ch = *p, fw = ch >= 0x80 ? fullwidth_ascii(p, &skip) : 0;
		if (fw != 0) {
			ch = fw;
			p += skip - 1;
		}
		if (ch < 0x80 && !isalnum(ch) && ch != '\'' && ch != '-') {
			if (!space)
				out[n++] = ' ';
			space = 1;
			continue;
		}
		out[n++] = (char)(ch < 0x80 ? tolower(ch) : ch);
		space = 0;
	}
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
	wl = cat->wake != NULL ? strlen(cat->wake) : 0;
	if (wl > 0 && strncmp(out, cat->wake, wl) == 0 && (out[wl] == ' ' || out[wl] == '\0'))
		memmove(out, out + wl + (out[wl] == ' '), strlen(out + wl + (out[wl] == ' ')) + 1);
	if (strncmp(out, "서울아", strlen("서울아")) == 0) {
		size_t k = strlen("서울아");
		while (out[k] == ' ')
			k++;
		memmove(out, out + k, strlen(out + k) + 1);
	}
}

/* What the words name: the grammar's match (carriers, a filler), with the
 * grammar-only phrases the room hears (a briefing document's title, "voice
 * call"), else an entry's id, English or Korean title. */
static const struct catalogue_entry *
typed_match(const struct catalogue *cat, const struct grammar_extra *x, const char *words)
{
	const struct catalogue_entry *e = grammar_match_x(cat, x, words);
	char bare[ADMIN_TEXT_MAX + 1], *save, *w, copy[ADMIN_TEXT_MAX + 1];
	size_t n = 0;

	if (e != NULL)
		return e;
	/* Typed words are not held to the spoken grammar: without the
	 * articles ("show me the air quality") it may match. */
	snprintf(copy, sizeof copy, "%s", words);
	bare[0] = '\0';
	for (w = strtok_r(copy, " ", &save); w != NULL; w = strtok_r(NULL, " ", &save))
		if (strcmp(w, "the") && strcmp(w, "a") && strcmp(w, "an"))
			n += (size_t)snprintf(bare + n, sizeof bare - n, "%s%s", n ? " " : "", w);
	if (strcmp(bare, words) != 0 && (e = grammar_match_x(cat, x, bare)) != NULL)
		return e;
	for (size_t i = 0; i < cat->nentries; i++) {
		e = &cat->entries[i];
		if (!strcasecmp(words, e->id) || !strcasecmp(bare, e->id) || (e->en != NULL && !strcasecmp(words, e->en)) ||
		    (e->ko != NULL && !strcmp(words, e->ko)))
			return e;
	}
	return NULL;
}

void
admin_on_typed(struct daemon *d, struct bridge_client *c, const json_t *msg, json_int_t id, int has_id)
{
	int bad = 0;
	const char *text = clients_member(msg, "text", ADMIN_TEXT_MAX, 1, &bad);
	char words[ADMIN_TEXT_MAX + 1];
	const struct catalogue_entry *e;
	struct input in = { .t = daemon_now(d) };
	json_t *r;

	if (bad) {
		clients_reply_error(d, c, PROTO_E_BAD_REQUEST, "typed needs text: a string of at most 200 bytes",
		    id, has_id);
		return;
	}
	normalise(d->cat, text, words, sizeof words);
	e = words[0] ? typed_match(d->cat, conference_grammar(d), words) : NULL;
	snprintf(in.source, sizeof in.source, "typed");
	/* A grammar-only phrase is matched again by its words when it is
	 * routed (conference_after_voice): give it the normalised ones. */
	snprintf(in.speech.text, sizeof in.speech.text, "%s",
	    e != NULL && catalogue_find(d->cat, e->id) == NULL ? words : text);
	in.speech.request_id = -1;
	if (e != NULL) {
		in.kind = IN_COMMAND;
		in.speech.confidence = 1.0;
		snprintf(in.speech.id, sizeof in.speech.id, "%s", e->id);
		r = json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "recognized", "result", "command",
		    e->is_control ? "command" : "content", e->id, "text", text, "words", words);
	} else {
		in.kind = IN_REJECT;
		snprintf(in.speech.reason, sizeof in.speech.reason, "no-command");
		r = json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "recognized", "result", "rejected",
		    "reason", "no-command", "text", text, "words", words);
	}
	clients_reply(d, c, r, id, has_id);
	admin_human(d);
	daemon_route_speech(d, &in);
}

/* ---- reading a document ---- */

void
admin_on_activity(struct daemon *d, struct bridge_client *c, const json_t *msg, json_int_t id, int has_id)
{
	json_t *reading = json_object_get(msg, "reading");

	if (!json_is_boolean(reading)) {
		clients_reply_error(d, c, PROTO_E_BAD_REQUEST, "activity needs \"reading\": true or false", id,
		    has_id);
		return;
	}
	admin_reading(d, c, json_is_true(reading));
	if (has_id)
		clients_reply(d, c, json_pack("{s:s}", "type", "ok"), id, has_id);
}
