/*
 * conference — rooms, calls and the TV's briefing folder (conference.h).
 */
#include "daemon/conference.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/log.h"
#include "base/xalloc.h"
#include "daemon/clients.h"
#include "daemon/listener.h"
#include "daemon/remote_voice.h"
#include "models/catalogue.h"
#include "models/grammar.h"
#include "models/office.h"
#include "ui-bridge/bridge.h"
#include "ui-bridge/protocol.h"

/* A department lacks the URI the call needs (docs/protocol.md). */
#define E_MISSING_URI "missing-uri"

enum active { ACT_NONE, ACT_ROOM, ACT_CALL };

struct conference {
	struct office *office;      /* NULL: no office file (office = "") */
	char         **docs;        /* briefing_dir's PDFs, sorted */
	size_t         ndocs;
	char           selected[64];/* the room picked in the picker */
	enum active    active;
	char           room[64];    /* ACT_ROOM: the room */
	int            on_tv;       /* ... started for the TV ("start the meeting") */
	char           dept[64], kind[8], context[64];   /* ACT_CALL */
	char           doc[256];    /* the TV's document, or "" */
	int            page;
	char           frame_src[2048];
	char           voice_from[64];  /* the screen before a voice command */
	char           say[300];        /* what the daemon says back for a call */
	struct grammar_extra *voice;    /* the grammar-only phrases now (NULL: none) */
	struct timespec dir_mtime;      /* briefing_dir's at the last scan */
	int            dir_seen;        /* ... which was a folder */
};

/* The grammar-only phrases' ids (models/grammar.h): the recognizer's
 * result names one of them, never a catalogue entry. */
#define VOICE_CALL "voice-call"
#define TV_OPEN    "tv-open"
/* What is said for a voice call: not in catalogue.json, whose content and
 * controls are the intent head's trained classes (docs/speech.md). */
static const char *const voice_call_say = "voice call";

static void
ok(struct daemon *d, struct bridge_client *c, json_int_t id, int has_id)
{
	clients_reply(d, c, json_pack("{s:s}", "type", "ok"), id, has_id);
}

/* Who asked, for the events' "source": the client's role, or what the
 * page says moved it ("hand" for a click of the hand cursor). */
static const char *
source_of(struct bridge_client *c, const json_t *msg)
{
	const char *s = json_string_value(json_object_get(msg, "source"));
	const char *role = bridge_client_role(c);

	if (s != NULL && (strcmp(s, "hand") == 0 || strcmp(s, "voice") == 0 || strcmp(s, "tap") == 0))
		return s;
	if (strcmp(role, "display") == 0)
		return "tap";
	return role;
}

/* ---- the briefing folder ---- */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
pdf_name_ok(const char *name)
{
	size_t n = strlen(name);

	return n >= 5 && n < 200 && name[0] != '.' && strcmp(name + n - 4, ".pdf") == 0 &&
	    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

static void
scan_briefing(struct conference *cf, const char *dir)
{
	struct dirent *de;
	DIR *dp;

	for (size_t i = 0; i < cf->ndocs; i++)
		free(cf->docs[i]);
	free(cf->docs);
	cf->docs = NULL;
	cf->ndocs = 0;
	cf->dir_seen = 0;
	if (dir == NULL || dir[0] == '\0')
		return;
	{
		struct stat st;
		if (stat(dir, &st) == 0) {
			cf->dir_mtime = st.st_mtim;
			cf->dir_seen = 1;
		}
	}
	if ((dp = opendir(dir)) == NULL) {
		log_info("briefing: %s: not a readable folder: the TV has no documents", dir);
		return;
	}
	while ((de = readdir(dp)) != NULL) {
		if (!pdf_name_ok(de->d_name))
			continue;
		cf->docs = xrealloc(cf->docs, (cf->ndocs + 1) * sizeof *cf->docs);
		cf->docs[cf->ndocs++] = xstrdup(de->d_name);
	}
	closedir(dp);
	if (cf->ndocs > 1)
		qsort(cf->docs, cf->ndocs, sizeof *cf->docs, cmp_str);
	log_info("briefing: %zu PDF file%s in %s", cf->ndocs, cf->ndocs == 1 ? "" : "s", dir);
}

/* "2026-budget-report.pdf" → "2026 budget report". */
static void
doc_title(const char *name, char *title, size_t len)
{
	size_t n = strlen(name) - 4, i;

	if (n >= len)
		n = len - 1;
	for (i = 0; i < n; i++)
		title[i] = name[i] == '-' || name[i] == '_' ? ' ' : (char)tolower((unsigned char)name[i]);
	title[i] = '\0';
}

static json_t *
doc_entry(const char *name)
{
	char title[256], url[300];

	doc_title(name, title, sizeof title);
	snprintf(url, sizeof url, "/briefing/%s", name);
	return json_pack("{s:s, s:s, s:s}", "id", name, "title", title, "url", url);
}

int
conference_briefing_has(struct daemon *d, const char *name)
{
	for (size_t i = 0; d->conf != NULL && i < d->conf->ndocs; i++)
		if (strcmp(d->conf->docs[i], name) == 0)
			return 1;
	return 0;
}

/* Is WORD one of the space-separated words of TITLE? */
static int
has_word(const char *title, const char *word, size_t n)
{
	for (const char *p = title + strspn(title, " "); *p; p += strspn(p, " ")) {
		size_t m = strcspn(p, " ");
		if (m == n && strncmp(p, word, n) == 0)
			return 1;
		p += m;
	}
	return 0;
}

/*
 * The one document whose title has every word of what was said ("open the
 * budget report" → "2026 budget report"), carrier words left out.  Returns
 * its index, -1 for none, -2 for more than one.
 */
static int
doc_by_title(const struct conference *cf, const char *said)
{
	static const char *skip[] = { "open", "show", "me", "the", "a", "please", "document", "file", NULL };
	char q[256], title[256];
	int found = -1;

	snprintf(q, sizeof q, "%s", said);
	for (char *p = q; *p; p++)
		*p = isalnum((unsigned char)*p) ? (char)tolower((unsigned char)*p) : ' ';
	for (size_t i = 0; i < cf->ndocs; i++) {
		int all = 1, any = 0;
		doc_title(cf->docs[i], title, sizeof title);
		for (const char *w = q + strspn(q, " "); *w && all; w += strspn(w, " ")) {
			size_t n = strcspn(w, " ");
			int skipped = 0;
			for (int k = 0; skip[k] != NULL; k++)
				if (strlen(skip[k]) == n && strncmp(skip[k], w, n) == 0)
					skipped = 1;
			if (!skipped) {
				any = 1;
				all = has_word(title, w, n);
			}
			w += n;
		}
		if (all && any) {
			if (found >= 0)
				return -2;
			found = (int)i;
		}
	}
	return found;
}

/* ---- the grammar-only phrases: what can be said for the TV and calls ---- */

struct said {
	const char *id, *tag;
	char        en[256], phrase[256];
	int         document, skip;
};

/*
 * The phrases the recognizer's grammar is to carry for this office: "voice
 * call", and each briefing document's title as it is said
 * (grammar_title_spoken).  A title that cannot be said is left out with one
 * log line saying why: no word left, a word with no pronunciation, said
 * like another document or like a catalogue screen.  NULL: none.
 */
static struct grammar_extra *
build_voice(struct daemon *d)
{
	struct conference *cf = d->conf;
	size_t n = cf->ndocs + 1, nw = 0, i;
	struct said *c = xcalloc(n, sizeof *c);
	const char **words = NULL;
	unsigned char *known = NULL;
	struct grammar_extra *x = NULL;
	char err[512], probe[300];

	c[0].id = VOICE_CALL;
	snprintf(c[0].en, sizeof c[0].en, "%s", voice_call_say);
	snprintf(c[0].phrase, sizeof c[0].phrase, "%s", voice_call_say);
	if (d->cat != NULL && grammar_match(d->cat, voice_call_say) != NULL) {
		log_info("voice: the catalogue says \"%s\" itself: its entry is taken", voice_call_say);
		c[0].skip = 1;
	}
	for (i = 1; i < n; i++) {
		const char *name = cf->docs[i - 1];
		c[i].id = TV_OPEN;
		c[i].tag = name;
		c[i].document = 1;
		doc_title(name, c[i].en, sizeof c[i].en);
		if (grammar_title_spoken(c[i].en, c[i].phrase, sizeof c[i].phrase) < 0) {
			log_info("briefing: %s cannot be opened by voice: its title \"%s\" has no word to say",
			    name, c[i].en);
			c[i].skip = 1;
			continue;
		}
		snprintf(probe, sizeof probe, "open the %s", c[i].phrase);
		if (d->cat != NULL && (grammar_match(d->cat, probe) != NULL ||
		    grammar_match(d->cat, probe + strlen("open the ")) != NULL)) {
			log_info("briefing: %s cannot be opened by voice: \"%s\" is said like a screen of the "
			    "catalogue", name, probe);
			c[i].skip = 1;
			continue;
		}
		for (size_t k = 1; k < i; k++)
			if (c[k].phrase[0] && strcmp(c[k].phrase, c[i].phrase) == 0) {
				log_info("briefing: %s and %s are both said \"%s\": neither can be opened by voice",
				    cf->docs[k - 1], name, c[i].phrase);
				c[i].skip = c[k].skip = 1;
			}
	}
	/* Every word, and which of them the dictionaries know. */
	for (i = 0; i < n; i++)
		for (const char *p = c[i].phrase; *p; p += strspn(p, " ")) {
			size_t m = strcspn(p, " "), k;
			for (k = 0; k < nw; k++)
				if (strlen(words[k]) == m && strncmp(words[k], p, m) == 0)
					break;
			if (k == nw) {
				words = xrealloc(words, (nw + 1) * sizeof *words);
				words[nw++] = xstrndup(p, m);
			}
			p += m;
		}
	known = xcalloc(nw + 1, 1);
	if (grammar_known_words(d->cat, d->cfg.cmudict, words, nw, known, err, sizeof err) < 0) {
		log_warnx("voice: %s: no briefing title and no \"%s\" can be said", err, voice_call_say);
		goto out;
	}
	x = grammar_extra_new();
	for (i = 0; i < n; i++) {
		char missing[256] = "";
		if (c[i].skip)
			continue;
		for (const char *p = c[i].phrase; *p; p += strspn(p, " ")) {
			size_t m = strcspn(p, " "), l = strlen(missing);
			for (size_t k = 0; k < nw; k++)
				if (!known[k] && strlen(words[k]) == m && strncmp(words[k], p, m) == 0)
					snprintf(missing + l, sizeof missing - l, "%s\"%.*s\"", l ? ", " : "", (int)m, p);
			p += m;
		}
		if (missing[0]) {
			if (c[i].document)
				log_info("briefing: %s cannot be opened by voice: no pronunciation for %s (the TV and "
				    "the remotes still open it)", c[i].tag, missing);
			else
				log_info("voice: \"%s\" cannot be said: no pronunciation for %s", c[i].phrase, missing);
			continue;
		}
		if (grammar_extra_add(x, c[i].id, c[i].en, c[i].tag, c[i].document, c[i].phrase) < 0)
			log_info("briefing: %s cannot be opened by voice: \"%s\" is not plain words", c[i].tag,
			    c[i].phrase);
	}
out:
	for (i = 0; i < nw; i++)
		free((char *)words[i]);
	free(words);
	free(known);
	free(c);
	return x;
}

/* Builds the phrases again and hands them to the room's recognizer when
 * they changed (or always: force, at a reload). */
static void
update_voice(struct daemon *d, int force)
{
	struct conference *cf = d->conf;
	struct grammar_extra *x = build_voice(d);

	if (!force && grammar_extra_same(x, cf->voice)) {
		grammar_extra_free(x);
		return;
	}
	grammar_extra_free(cf->voice);
	cf->voice = x;
	if (d->listener != NULL)
		listener_set_grammar(d->listener, grammar_extra_ref(x));
	if (d->rv != NULL)
		remote_voice_set_grammar(d->rv, grammar_extra_ref(x));
}

const struct grammar_extra *
conference_grammar(struct daemon *d)
{
	return d->conf != NULL ? d->conf->voice : NULL;
}

void
conference_tick(struct daemon *d)
{
	struct conference *cf = d->conf;
	struct stat st;
	int seen;

	if (cf == NULL || d->cfg.briefing_dir == NULL || d->cfg.briefing_dir[0] == '\0')
		return;
	seen = stat(d->cfg.briefing_dir, &st) == 0;
	if (seen == cf->dir_seen && (!seen || (st.st_mtim.tv_sec == cf->dir_mtime.tv_sec &&
	    st.st_mtim.tv_nsec == cf->dir_mtime.tv_nsec)))
		return;
	{
		/* The documents before, to tell the clients only of a new list. */
		size_t n = cf->ndocs, same;
		char **was = xcalloc(n + 1, sizeof *was);
		for (size_t i = 0; i < n; i++)
			was[i] = xstrdup(cf->docs[i]);
		scan_briefing(cf, d->cfg.briefing_dir);
		same = n == cf->ndocs;
		for (size_t i = 0; i < n; i++) {
			same = same && strcmp(was[i], cf->docs[i]) == 0;
			free(was[i]);
		}
		free(was);
		if (same)
			return;
	}
	log_info("briefing: the documents of %s changed", d->cfg.briefing_dir);
	update_voice(d, 0);
	clients_hello_all(d);
}

/* ---- start-up, reload ---- */

int
conference_open(struct daemon *d, char *err, size_t errlen)
{
	struct conference *cf = xcalloc(1, sizeof *cf);

	if (d->cfg.office != NULL && d->cfg.office[0] != '\0' &&
	    (cf->office = office_load(d->cfg.office, err, errlen)) == NULL) {
		free(cf);
		return -1;
	}
	if (cf->office != NULL)
		log_info("office: %zu room%s, %zu department%s from %s", cf->office->nrooms,
		    cf->office->nrooms == 1 ? "" : "s", cf->office->ndepts, cf->office->ndepts == 1 ? "" : "s",
		    cf->office->path);
	scan_briefing(cf, d->cfg.briefing_dir);
	d->conf = cf;
	update_voice(d, 0);
	return 0;
}

void
conference_reload(struct daemon *d)
{
	struct conference *cf = d->conf;
	struct office *o = NULL;
	char err[2048];

	if (cf == NULL)
		return;
	if (d->cfg.office != NULL && d->cfg.office[0] != '\0' &&
	    (o = office_load(d->cfg.office, err, sizeof err)) == NULL) {
		log_warnx("reload: %skeeping the running rooms and departments", err);
	} else {
		office_free(cf->office);
		cf->office = o;
		if (office_room(o, cf->selected) == NULL)
			cf->selected[0] = '\0';
	}
	scan_briefing(cf, d->cfg.briefing_dir);
	/* The listener rebuilds for a new catalogue anyway: it gets the
	 * phrases with it, checked against that catalogue. */
	update_voice(d, 0);
}

void
conference_close(struct daemon *d)
{
	struct conference *cf = d->conf;

	if (cf == NULL)
		return;
	office_free(cf->office);
	for (size_t i = 0; i < cf->ndocs; i++)
		free(cf->docs[i]);
	free(cf->docs);
	grammar_extra_free(cf->voice);
	free(cf);
	d->conf = NULL;
}

/* Adds URI's origin ("https://host[:port]") to buf unless it is there. */
static void
add_origin(char *buf, size_t len, const char *uri)
{
	char o[600];
	size_t n, have = strlen(buf);

	if (uri == NULL || strncmp(uri, "https://", 8) != 0)
		return;
	n = 8 + strcspn(uri + 8, "/?#");
	if (n >= sizeof o)
		return;
	memcpy(o, uri, n);
	o[n] = '\0';
	for (const char *p = buf; (p = strstr(p, o)) != NULL; p += n)
		if ((p == buf || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return;
	if (have + n + 2 < len)
		snprintf(buf + have, len - have, "%s%s", have ? " " : "", o);
}

const char *
conference_frame_src(struct daemon *d)
{
	struct conference *cf = d->conf;

	if (cf == NULL || cf->office == NULL)
		return NULL;
	cf->frame_src[0] = '\0';
	for (size_t i = 0; i < cf->office->nrooms; i++)
		add_origin(cf->frame_src, sizeof cf->frame_src, cf->office->rooms[i].url);
	for (size_t i = 0; i < cf->office->ndepts; i++) {
		add_origin(cf->frame_src, sizeof cf->frame_src, cf->office->depts[i].video);
		add_origin(cf->frame_src, sizeof cf->frame_src, cf->office->depts[i].voice);
	}
	return cf->frame_src[0] ? cf->frame_src : NULL;
}

/* ---- what clients are told ---- */

static json_t *
room_json(const struct office_room *r, int with_url)
{
	json_t *j = json_pack("{s:s, s:s, s:s}", "id", r->id, "ko", r->ko, "en", r->en);

	if (with_url)
		json_object_set_new(j, "url", json_string(r->url));
	return j;
}

static json_t *
dept_json(const struct office_department *dp)
{
	json_t *ctx = json_array();

	for (size_t i = 0; i < dp->ncontexts; i++)
		json_array_append_new(ctx, json_string(dp->contexts[i]));
	return json_pack("{s:s, s:s, s:s, s:b, s:b, s:o}", "id", dp->id, "ko", dp->ko, "en", dp->en,
	    "video", dp->video != NULL, "voice", dp->voice != NULL, "contexts", ctx);
}

/* What runs now, with its URI (trusted clients only). */
static json_t *
now_json(struct conference *cf)
{
	const struct office_room *r = office_room(cf->office, cf->room);
	const struct office_department *dp = office_department(cf->office, cf->dept);

	if (cf->active == ACT_ROOM && r != NULL)
		return json_pack("{s:s, s:o, s:s}", "state", "started", "room", room_json(r, 1),
		    "target", cf->on_tv ? "tv" : "displays");
	if (cf->active == ACT_CALL && dp != NULL)
		return json_pack("{s:s, s:s, s:o, s:s, s:s}", "state", "call", "kind", cf->kind,
		    "department", dept_json(dp), "uri", !strcmp(cf->kind, "video") ? dp->video : dp->voice,
		    "context", cf->context);
	return json_pack("{s:s}", "state", "idle");
}

void
conference_hello(struct daemon *d, json_t *hello, int trusted)
{
	struct conference *cf = d->conf;
	json_t *rooms, *depts, *docs;

	if (!trusted || cf == NULL)
		return;
	rooms = json_array();
	depts = json_array();
	docs = json_array();
	for (size_t i = 0; cf->office != NULL && i < cf->office->nrooms; i++)
		json_array_append_new(rooms, room_json(&cf->office->rooms[i], 0));
	for (size_t i = 0; cf->office != NULL && i < cf->office->ndepts; i++)
		json_array_append_new(depts, dept_json(&cf->office->depts[i]));
	for (size_t i = 0; i < cf->ndocs; i++)
		json_array_append_new(docs, doc_entry(cf->docs[i]));
	json_object_set_new(hello, "office", json_pack("{s:o, s:o, s:s?}", "rooms", rooms,
	    "departments", depts, "tv_room", cf->office != NULL ? cf->office->tv_room : NULL));
	json_object_set_new(hello, "briefing", docs);
	json_object_set_new(hello, "conference", now_json(cf));
	if (cf->doc[0] != '\0')
		json_object_set_new(hello, "tv", json_pack("{s:o, s:i}", "document", doc_entry(cf->doc),
		    "page", cf->page));
}

/* An event of TYPE for trusted clients only. */
static json_t *
event_at(struct daemon *d, const char *type, const char *state, const char *source, double t)
{
	json_t *ev = state_event(&d->state, type, t);

	json_object_set_new(ev, "state", json_string(state));
	json_object_set_new(ev, "source", json_string(source));
	return ev;
}

/* ... now (a tap, a remote's message); voice gives its stream time. */
static json_t *
event(struct daemon *d, const char *type, const char *state, const char *source)
{
	return event_at(d, type, state, source, daemon_now(d));
}

static void
emit(struct daemon *d, json_t *ev)
{
	state_emit_trusted(&d->state, ev, daemon_emit, d);	/* steals ev */
}

/* Ends what runs (a room or a call): an "ended" event of its type. */
static int
end_active(struct conference *cf, struct daemon *d, const char *source)
{
	json_t *ev;

	if (cf->active == ACT_NONE)
		return 0;
	ev = event(d, cf->active == ACT_ROOM ? "conference" : "call", "ended", source);
	if (cf->active == ACT_ROOM)
		json_object_set_new(ev, "room", json_string(cf->room));
	else
		json_object_set_new(ev, "department", json_string(cf->dept));
	log_info("conference: %s %s ended by %s", cf->active == ACT_ROOM ? "room" : "call",
	    cf->active == ACT_ROOM ? cf->room : cf->dept, source);
	cf->active = ACT_NONE;
	cf->room[0] = cf->dept[0] = '\0';
	cf->on_tv = 0;
	emit(d, ev);
	return 1;
}

static void
start_room(struct conference *cf, struct daemon *d, const struct office_room *r, int on_tv,
           const char *source)
{
	json_t *ev;

	end_active(cf, d, source);
	cf->active = ACT_ROOM;
	snprintf(cf->room, sizeof cf->room, "%s", r->id);
	snprintf(cf->selected, sizeof cf->selected, "%s", r->id);
	cf->on_tv = on_tv;
	ev = event(d, "conference", "started", source);
	json_object_set_new(ev, "room", room_json(r, 1));
	json_object_set_new(ev, "target", json_string(on_tv ? "tv" : "displays"));
	log_info("conference: room %s started by %s%s", r->id, source, on_tv ? " on the TV" : "");
	emit(d, ev);
}

/* ---- conference: open, select, start, end ---- */

void
conference_on_conference(struct daemon *d, struct bridge_client *c, const json_t *msg, json_int_t id,
                         int has_id)
{
	struct conference *cf = d->conf;
	int bad = 0;
	const char *action = clients_member(msg, "action", 16, 0, &bad);
	const char *room = clients_member(msg, "room", 64, 0, &bad);
	const char *source = source_of(c, msg);
	const struct office_room *r = NULL;
	char text[160];
	json_t *ev, *rooms;

	if (bad || action == NULL || (strcmp(action, "open") && strcmp(action, "select") &&
	    strcmp(action, "start") && strcmp(action, "end"))) {
		clients_reply_error(d, c, PROTO_E_BAD_REQUEST, "conference needs \"action\": \"open\", \"select\", "
		    "\"start\" or \"end\" (and \"room\": an id for select and start)", id, has_id);
		return;
	}
	if (strcmp(action, "end") == 0) {
		if (!end_active(cf, d, source))
			clients_reply_error(d, c, PROTO_E_BAD_REQUEST, "no conference or call to end", id, has_id);
		else
			ok(d, c, id, has_id);
		return;
	}
	if (cf->office == NULL || cf->office->nrooms == 0) {
		clients_reply_error(d, c, PROTO_E_UNKNOWN_CONTENT, "no conference rooms: set office in smartofficed.conf "
		    "(docs/conference.md)", id, has_id);
		return;
	}
	if (strcmp(action, "open") == 0) {
		ev = event(d, "conference", "picker", source);
		rooms = json_array();
		for (size_t i = 0; i < cf->office->nrooms; i++)
			json_array_append_new(rooms, room_json(&cf->office->rooms[i], 0));
		json_object_set_new(ev, "rooms", rooms);
		if (cf->selected[0])
			json_object_set_new(ev, "selected", json_string(cf->selected));
		emit(d, ev);
		ok(d, c, id, has_id);
		return;
	}
	if (room == NULL && strcmp(action, "start") == 0 && cf->selected[0])
		room = cf->selected;
	if (room == NULL) {
		clients_reply_error(d, c, PROTO_E_BAD_REQUEST, "conference: which room? (\"room\": an id, or select one "
		    "first)", id, has_id);
		return;
	}
	if ((r = office_room(cf->office, room)) == NULL) {
		snprintf(text, sizeof text, "no room \"%.64s\" in the office file", room);
		clients_reply_error(d, c, PROTO_E_UNKNOWN_CONTENT, text, id, has_id);
		return;
	}
	if (strcmp(action, "select") == 0) {
		snprintf(cf->selected, sizeof cf->selected, "%s", r->id);
		ev = event(d, "conference", "selected", source);
		json_object_set_new(ev, "room", room_json(r, 0));
		emit(d, ev);
	} else
		start_room(cf, d, r, strcmp(bridge_client_role(c), "tv") == 0, source);
	ok(d, c, id, has_id);
}

/* ---- call: video or voice, to a department, from a context ---- */

void
conference_on_call(struct daemon *d, struct bridge_client *c, const json_t *msg, json_int_t id,
                   int has_id)
{
	struct conference *cf = d->conf;
	int bad = 0;
	const char *kind = clients_member(msg, "kind", 8, 0, &bad);
	const char *dept = clients_member(msg, "department", 64, 0, &bad);
	const char *context = clients_member(msg, "context", 64, 0, &bad);
	const char *action = clients_member(msg, "action", 16, 0, &bad);
	const char *source = source_of(c, msg), *uri;
	const struct office_department *dp;
	char text[200];
	json_t *ev;

	if (bad || (action != NULL && strcmp(action, "start") && strcmp(action, "end"))) {
		clients_reply_error(d, c, PROTO_E_BAD_REQUEST, "call: \"action\" is \"start\" (the default) or \"end\"; "
		    "\"kind\", \"department\" and \"context\" are strings", id, has_id);
		return;
	}
	if (action != NULL && strcmp(action, "end") == 0) {
		if (!end_active(cf, d, source))
			clients_reply_error(d, c, PROTO_E_BAD_REQUEST, "no conference or call to end", id, has_id);
		else
			ok(d, c, id, has_id);
		return;
	}
	if (kind == NULL || (strcmp(kind, "video") && strcmp(kind, "voice"))) {
		clients_reply_error(d, c, PROTO_E_BAD_REQUEST, "call needs \"kind\": \"video\" or \"voice\"", id, has_id);
		return;
	}
	/* The context a call is made from: named, else the screen shown now. */
	if (context == NULL)
		context = d->state.screen;
	if (dept != NULL)
		dp = office_department(cf->office, dept);
	else
		dp = office_department_for(cf->office, context);
	if (dp == NULL) {
		if (dept != NULL)
			snprintf(text, sizeof text, "no department \"%.64s\" in the office file", dept);
		else
			snprintf(text, sizeof text, "no department answers for \"%.64s\" in the office file",
			    context);
		clients_reply_error(d, c, PROTO_E_UNKNOWN_CONTENT, text, id, has_id);
		return;
	}
	uri = strcmp(kind, "video") == 0 ? dp->video : dp->voice;
	if (uri == NULL) {
		snprintf(text, sizeof text, "department \"%s\" has no %s URI in the office file", dp->id, kind);
		clients_reply_error(d, c, E_MISSING_URI, text, id, has_id);
		return;
	}
	end_active(cf, d, source);
	cf->active = ACT_CALL;
	snprintf(cf->dept, sizeof cf->dept, "%s", dp->id);
	snprintf(cf->kind, sizeof cf->kind, "%s", kind);
	snprintf(cf->context, sizeof cf->context, "%s", context);
	ev = event(d, "call", "started", source);
	json_object_set_new(ev, "kind", json_string(kind));
	json_object_set_new(ev, "department", dept_json(dp));
	json_object_set_new(ev, "uri", json_string(uri));
	json_object_set_new(ev, "context", json_string(context));
	log_info("conference: %s call to %s (from %s) by %s", kind, dp->id, context, source);
	emit(d, ev);
	ok(d, c, id, has_id);
}

/* ---- tv: open a briefing document, turn its pages, start the meeting ---- */

/* The TV shows NAME of the briefing folder from its first page. */
static void
open_document(struct conference *cf, struct daemon *d, const char *name, const char *source, double t)
{
	json_t *ev;

	snprintf(cf->doc, sizeof cf->doc, "%s", name);
	cf->page = 1;
	ev = event_at(d, "tv", "document", source, t);
	json_object_set_new(ev, "document", doc_entry(cf->doc));
	json_object_set_new(ev, "page", json_integer(cf->page));
	log_info("tv: %s opened by %s", cf->doc, source);
	emit(d, ev);
}

void
conference_on_tv(struct daemon *d, struct bridge_client *c, const json_t *msg, json_int_t id,
                 int has_id)
{
	struct conference *cf = d->conf;
	int bad = 0, k = -1;
	const char *action = clients_member(msg, "action", 16, 0, &bad);
	const char *doc = clients_member(msg, "document", 200, 0, &bad);
	const char *title = clients_member(msg, "title", 200, 0, &bad);
	const char *source = source_of(c, msg);
	const struct office_room *r;
	char text[300];
	json_t *ev, *page = json_object_get(msg, "page");

	if (bad || action == NULL || (strcmp(action, "open") && strcmp(action, "next") &&
	    strcmp(action, "previous") && strcmp(action, "page") && strcmp(action, "close") &&
	    strcmp(action, "meeting")) || (page != NULL && !json_is_integer(page))) {
		clients_reply_error(d, c, PROTO_E_BAD_REQUEST, "tv needs \"action\": \"open\" (with \"document\" or "
		    "\"title\"), \"next\", \"previous\", \"page\" (with \"page\": a number), \"close\" or "
		    "\"meeting\"", id, has_id);
		return;
	}
	if (strcmp(action, "meeting") == 0) {
		if (cf->office == NULL || cf->office->tv_room == NULL ||
		    (r = office_room(cf->office, cf->office->tv_room)) == NULL) {
			clients_reply_error(d, c, PROTO_E_UNKNOWN_CONTENT, "no meeting room for the TV: set \"tv_room\" in "
			    "the office file (docs/conference.md)", id, has_id);
			return;
		}
		start_room(cf, d, r, 1, source);
		ok(d, c, id, has_id);
		return;
	}
	if (strcmp(action, "open") == 0) {
		if ((doc == NULL) == (title == NULL)) {
			clients_reply_error(d, c, PROTO_E_BAD_REQUEST, "tv open needs \"document\" (a file of the briefing "
			    "folder) or \"title\" (words of its title)", id, has_id);
			return;
		}
		if (doc != NULL && !conference_briefing_has(d, doc)) {
			snprintf(text, sizeof text, "no document \"%.200s\" in the briefing folder", doc);
			clients_reply_error(d, c, PROTO_E_UNKNOWN_CONTENT, text, id, has_id);
			return;
		}
		if (title != NULL && (k = doc_by_title(cf, title)) < 0) {
			snprintf(text, sizeof text, k == -2 ? "\"%.200s\" names more than one document of the "
			    "briefing folder" : "no document of the briefing folder is called \"%.200s\"", title);
			clients_reply_error(d, c, PROTO_E_UNKNOWN_CONTENT, text, id, has_id);
			return;
		}
		open_document(cf, d, doc != NULL ? doc : cf->docs[k], source, daemon_now(d));
		ok(d, c, id, has_id);
		return;
	}
	if (cf->doc[0] == '\0') {
		clients_reply_error(d, c, PROTO_E_BAD_REQUEST, "no document is open on the TV", id, has_id);
		return;
	}
	if (strcmp(action, "close") == 0) {
		cf->doc[0] = '\0';
		emit(d, event(d, "tv", "closed", source));
		ok(d, c, id, has_id);
		return;
	}
	if (strcmp(action, "next") == 0)
		cf->page++;
	else if (strcmp(action, "previous") == 0)
		cf->page = cf->page > 1 ? cf->page - 1 : 1;
	else if (page == NULL || json_integer_value(page) < 1 || json_integer_value(page) > 100000) {
		clients_reply_error(d, c, PROTO_E_BAD_REQUEST, "tv page needs \"page\": 1 or more", id, has_id);
		return;
	} else
		cf->page = (int)json_integer_value(page);
	ev = event(d, "tv", "page", source);
	json_object_set_new(ev, "document", json_string(cf->doc));
	json_object_set_new(ev, "page", json_integer(cf->page));
	emit(d, ev);
	ok(d, c, id, has_id);
}

/* ---- voice ---- */

void
conference_before_voice(struct daemon *d)
{
	if (d->conf != NULL)
		snprintf(d->conf->voice_from, sizeof d->conf->voice_from, "%s", d->state.screen);
}

/*
 * A grammar-only phrase was heard (models/grammar.h): a briefing title
 * ("open the budget report") opens that document on the TV, as a remote's
 * title message does; "voice call" calls the department that answers for
 * the screen shown, as "video call" does by video (private mode only, as a
 * call is private).  The state machine ignored the id: it is no catalogue
 * entry.
 */
static void
grammar_only_voice(struct daemon *d, const struct input *in, struct feedback_say *say)
{
	struct conference *cf = d->conf;
	const struct catalogue_entry *e;
	const struct office_department *dp;
	/* the room's voice, or a typed command (admin page, remote) */
	const char *src = in->source[0] ? in->source : "voice";
	json_t *ev;

	if (strcmp(in->speech.id, TV_OPEN) == 0) {
		/* The words against the titles of now: the folder may have
		 * changed since the recognizer was built. */
		e = grammar_match_x(d->cat, cf->voice, in->speech.text);
		if (e == NULL || e->detail == NULL || strcmp(e->id, TV_OPEN) != 0 ||
		    !conference_briefing_has(d, e->detail)) {
			log_info("tv: \"%s\" names no document of the briefing folder now", in->speech.text);
			say->text = "That document is no longer in the briefing folder";
			return;
		}
		open_document(cf, d, e->detail, src, in->t);
		snprintf(cf->say, sizeof cf->say, "Opening %s", e->en);
		say->text = cf->say;
		return;
	}
	/* VOICE_CALL */
	if (!d->state.private_mode) {
		log_info("conference: voice call refused: not in private mode");
		say->text = "Only in private mode";
		return;
	}
	if ((dp = office_department_for(cf->office, d->state.screen)) == NULL) {
		log_info("conference: voice call: no department answers for %s", d->state.screen);
		say->text = "No department answers for this screen";
		return;
	}
	if (dp->voice == NULL) {
		log_info("conference: voice call: department %s has no voice URI", dp->id);
		snprintf(cf->say, sizeof cf->say, "%s has no voice number", dp->en);
		say->text = cf->say;
		return;
	}
	end_active(cf, d, src);
	cf->active = ACT_CALL;
	snprintf(cf->dept, sizeof cf->dept, "%s", dp->id);
	snprintf(cf->kind, sizeof cf->kind, "voice");
	snprintf(cf->context, sizeof cf->context, "%s", d->state.screen);
	ev = event_at(d, "call", "started", src, in->t);
	json_object_set_new(ev, "kind", json_string("voice"));
	json_object_set_new(ev, "department", dept_json(dp));
	json_object_set_new(ev, "uri", json_string(dp->voice));
	json_object_set_new(ev, "context", json_string(cf->context));
	log_info("conference: voice call to %s (from %s) by %s", dp->id, cf->context, src);
	emit(d, ev);
	snprintf(cf->say, sizeof cf->say, "Calling %s", dp->en);
	say->text = cf->say;
}

void
conference_after_voice(struct daemon *d, const struct input *in, struct feedback_say *say)
{
	struct conference *cf = d->conf;
	const struct office_department *dp;
	json_t *ev;

	if (cf != NULL && in->kind == IN_COMMAND && catalogue_find(d->cat, in->speech.id) == NULL &&
	    (strcmp(in->speech.id, TV_OPEN) == 0 || strcmp(in->speech.id, VOICE_CALL) == 0)) {
		grammar_only_voice(d, in, say);
		return;
	}
	/* "video call" is a phrase of the catalogue's video-conference entry;
	 * the navigation to it happened (private mode) from a screen whose
	 * department has a video URI. */
	if (cf == NULL || in->kind != IN_COMMAND || strcmp(in->speech.id, "video-conference") != 0 ||
	    strstr(in->speech.text, "call") == NULL || strcmp(d->state.screen, "video-conference") != 0 ||
	    (dp = office_department_for(cf->office, cf->voice_from)) == NULL || dp->video == NULL)
		return;
	end_active(cf, d, "voice");
	cf->active = ACT_CALL;
	snprintf(cf->dept, sizeof cf->dept, "%s", dp->id);
	snprintf(cf->kind, sizeof cf->kind, "video");
	snprintf(cf->context, sizeof cf->context, "%s", cf->voice_from);
	ev = event_at(d, "call", "started", "voice", in->t);
	json_object_set_new(ev, "kind", json_string("video"));
	json_object_set_new(ev, "department", dept_json(dp));
	json_object_set_new(ev, "uri", json_string(dp->video));
	json_object_set_new(ev, "context", json_string(cf->voice_from));
	log_info("conference: video call to %s (from %s) by voice", dp->id, cf->voice_from);
	emit(d, ev);
	snprintf(cf->say, sizeof cf->say, "Calling %s", dp->en);
	say->text = cf->say;
}
