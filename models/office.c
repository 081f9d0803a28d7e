/*
 * office — office.json: rooms and departments (models/office.h).
 *
 * Parsed with jansson, which gives a line only for syntax errors; the
 * line of a room or department is found again in the text by its
 * `"id": "VALUE"` (searching on from the previous one, as
 * models/catalogue.c does), so a wrong member is reported at its entry.
 * Parsing goes on after an error so that every one is reported at once.
 */
#include "models/office.h"
#include "base/log.h"

#include <ctype.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OFFICE_MAX_BYTES   (1 << 20)
#define OFFICE_MAX_ITEMS   256
#define OFFICE_MAX_URI     512
#define OFFICE_MAX_NAME    128
#define OFFICE_MAX_ID      63

struct errs {
	char       *buf;
	size_t      len, cap;
	int         count;
	const char *path;
	const char *text;   /* the file, to find lines; NUL-terminated copy */
};

static int
line_at(const struct errs *e, const char *at)
{
	int line = 1;

	if (e->text == NULL || at == NULL)
		return 0;
	for (const char *p = e->text; p < at; p++)
		if (*p == '\n')
			line++;
	return line;
}

static void __attribute__((format(printf, 3, 4)))
err_add(struct errs *e, const char *at, const char *fmt, ...)
{
	va_list ap;

	e->count++;
	va_start(ap, fmt);
	log_append_error(e->buf, e->cap, &e->len, e->path, line_at(e, at), fmt, ap);
	va_end(ap);
}

/* Where `"KEY"` (followed by a colon) first occurs at or after from. */
static const char *
find_key(const char *from, const char *key)
{
	char q[80];
	const char *p = from, *v;

	if (from == NULL)
		return NULL;
	snprintf(q, sizeof q, "\"%s\"", key);
	while ((p = strstr(p, q)) != NULL) {
		v = p + strlen(q);
		while (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r')
			v++;
		if (*v == ':')
			return p;
		p++;
	}
	return NULL;
}

/* The `"id": "VALUE"` of an entry at or after from (NULL: not found). */
static const char *
find_id(const char *from, const char *value)
{
	const char *p = from, *v;
	size_t n = strlen(value);

	while ((p = find_key(p, "id")) != NULL) {
		v = strchr(p + 4, ':') + 1;
		while (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r')
			v++;
		if (*v == '"' && strncmp(v + 1, value, n) == 0 && v[1 + n] == '"')
			return p;
		p += 4;
	}
	return NULL;
}

static int
id_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > OFFICE_MAX_ID || s[0] == '-')
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

/* Printable, no spaces or quotes: a URI that can go in an href as it is. */
static int
uri_chars_ok(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f || strchr("\"'<>\\`{}|^", *p) != NULL)
			return 0;
	return 1;
}

int
office_uri_ok(const char *uri, const char *kind)
{
	size_t n;
	const char *rest;

	if (uri == NULL || (n = strlen(uri)) == 0 || n > OFFICE_MAX_URI || !uri_chars_ok(uri))
		return 0;
	if (strncmp(uri, "https://", 8) == 0) {
		rest = uri + 8;
		/* A host: something before the first '/', '?' or '#', no user info. */
		n = strcspn(rest, "/?#");
		return n > 0 && memchr(rest, '@', n) == NULL;
	}
	if (strcmp(kind, "room") == 0)
		return 0;
	if (strncmp(uri, "sip:", 4) == 0 || strncmp(uri, "sips:", 5) == 0) {
		rest = strchr(uri, ':') + 1;
		return rest[0] != '\0' && strchr(rest, '@') != NULL && rest[0] != '@';
	}
	if (strncmp(uri, "tel:", 4) == 0 && strcmp(kind, "voice") == 0) {
		rest = uri + 4;
		if (*rest == '+')
			rest++;
		return *rest != '\0' && strspn(rest, "0123456789-.()") == strlen(rest) &&
		    strpbrk(rest, "0123456789") != NULL;
	}
	return 0;
}

/* A required or optional string member, copied; errors at `at`. */
static char *
str_member(struct errs *e, const char *at, json_t *obj, const char *key, const char *what,
           int required, size_t max)
{
	json_t *v = json_object_get(obj, key);
	const char *s;

	if (v == NULL) {
		if (required)
			err_add(e, at, "%s: \"%s\" is missing", what, key);
		return NULL;
	}
	if (!json_is_string(v) || (s = json_string_value(v))[0] == '\0' ||
	    json_string_length(v) > max || strlen(s) != json_string_length(v)) {
		err_add(e, at, "%s: \"%s\" must be a non-empty string of at most %zu bytes", what, key, max);
		return NULL;
	}
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f) {
			err_add(e, at, "%s: \"%s\" has a control character", what, key);
			return NULL;
		}
	return strdup(s);
}

/* Members an entry may have: anything else is a typo worth saying. */
static void
check_members(struct errs *e, const char *at, json_t *obj, const char *what,
              const char *const *known)
{
	const char *k;
	json_t *v;

	json_object_foreach(obj, k, v) {
		int ok = 0;
		for (size_t i = 0; known[i] != NULL && !ok; i++)
			ok = strcmp(known[i], k) == 0;
		if (!ok)
			err_add(e, at, "%s: unknown member \"%.40s\"", what, k);
	}
}

/*
 * The entry's id and where it is; *cur moves on to it.  Returns the id
 * (borrowed from the JSON) or NULL after an error.
 */
static const char *
entry_id(struct errs *e, json_t *obj, const char *section, size_t i, const char **cur, char *what,
         size_t wlen)
{
	json_t *v = json_object_get(obj, "id");
	const char *id = json_string_value(v), *at;

	snprintf(what, wlen, "%s[%zu]", section, i);
	if (id == NULL || !id_ok(id)) {
		err_add(e, *cur, "%s: \"id\" must be 1-%d characters of a-z, 0-9 and '-'", what, OFFICE_MAX_ID);
		return NULL;
	}
	/* After the previous entry's id (the first: after the section's key). */
	if ((at = find_id(*cur + (i > 0), id)) != NULL)
		*cur = at;
	snprintf(what, wlen, "%s \"%s\"", section, id);
	return id;
}

static const char *const room_members[] = { "id", "ko", "en", "url", NULL };
static const char *const dept_members[] = { "id", "ko", "en", "video", "voice", "contexts", NULL };

static void
load_rooms(struct office *o, struct errs *e, json_t *arr, const char **cur)
{
	size_t i;
	json_t *obj;
	char what[96];

	o->rooms = calloc(json_array_size(arr) + 1, sizeof *o->rooms);
	if (o->rooms == NULL) {
		err_add(e, NULL, "out of memory");
		return;
	}
	json_array_foreach(arr, i, obj) {
		struct office_room r = { 0 };
		const char *id;
		int before = e->count;

		if (!json_is_object(obj)) {
			err_add(e, *cur, "rooms[%zu]: must be an object", i);
			continue;
		}
		if ((id = entry_id(e, obj, "rooms", i, cur, what, sizeof what)) == NULL)
			continue;
		check_members(e, *cur, obj, what, room_members);
		if (office_room(o, id) != NULL)
			err_add(e, *cur, "%s: a second room with this id", what);
		r.ko = str_member(e, *cur, obj, "ko", what, 1, OFFICE_MAX_NAME);
		r.en = str_member(e, *cur, obj, "en", what, 1, OFFICE_MAX_NAME);
		r.url = str_member(e, *cur, obj, "url", what, 1, OFFICE_MAX_URI);
		if (r.url != NULL && !office_uri_ok(r.url, "room")) {
			err_add(e, *cur, "%s: \"url\" must be an https:// link with a host and no spaces "
			    "or quotes (the room's join page)", what);
			free(r.url);
			r.url = NULL;
		}
		r.id = strdup(id);
		if (e->count != before || r.id == NULL || r.ko == NULL || r.en == NULL || r.url == NULL) {
			free(r.id); free(r.ko); free(r.en); free(r.url);
			continue;
		}
		o->rooms[o->nrooms++] = r;
	}
}

static void
dept_free(struct office_department *d)
{
	free(d->id); free(d->ko); free(d->en); free(d->video); free(d->voice);
	for (size_t i = 0; i < d->ncontexts; i++)
		free(d->contexts[i]);
	free(d->contexts);
}

static void
load_departments(struct office *o, struct errs *e, json_t *arr, const char **cur)
{
	size_t i, j;
	json_t *obj, *ctx, *c;
	char what[96];

	o->depts = calloc(json_array_size(arr) + 1, sizeof *o->depts);
	if (o->depts == NULL) {
		err_add(e, NULL, "out of memory");
		return;
	}
	json_array_foreach(arr, i, obj) {
		struct office_department d = { 0 };
		const char *id;
		int bad = 0, before = e->count;

		if (!json_is_object(obj)) {
			err_add(e, *cur, "departments[%zu]: must be an object", i);
			continue;
		}
		if ((id = entry_id(e, obj, "departments", i, cur, what, sizeof what)) == NULL)
			continue;
		check_members(e, *cur, obj, what, dept_members);
		if (office_department(o, id) != NULL)
			err_add(e, *cur, "%s: a second department with this id", what);
		d.id = strdup(id);
		d.ko = str_member(e, *cur, obj, "ko", what, 1, OFFICE_MAX_NAME);
		d.en = str_member(e, *cur, obj, "en", what, 1, OFFICE_MAX_NAME);
		d.video = str_member(e, *cur, obj, "video", what, 0, OFFICE_MAX_URI);
		d.voice = str_member(e, *cur, obj, "voice", what, 0, OFFICE_MAX_URI);
		if (d.video != NULL && !office_uri_ok(d.video, "video"))
			err_add(e, *cur, "%s: \"video\" must be an https:// link or a sip:/sips: address "
			    "(user@host)", what);
		if (d.voice != NULL && !office_uri_ok(d.voice, "voice"))
			err_add(e, *cur, "%s: \"voice\" must be a tel: number, a sip:/sips: address or an "
			    "https:// link", what);
		if (json_object_get(obj, "video") == NULL && json_object_get(obj, "voice") == NULL)
			err_add(e, *cur, "%s: needs \"video\" or \"voice\" (or both): a department "
			    "nobody can call", what);
		ctx = json_object_get(obj, "contexts");
		if (ctx != NULL && (!json_is_array(ctx) || json_array_size(ctx) > OFFICE_MAX_ITEMS)) {
			err_add(e, *cur, "%s: \"contexts\" must be a list of catalogue content ids", what);
			ctx = NULL;
		}
		d.contexts = calloc(json_array_size(ctx) + 1, sizeof *d.contexts);
		json_array_foreach(ctx, j, c) {
			const char *s = json_string_value(c);
			if (s == NULL || !id_ok(s)) {
				err_add(e, *cur, "%s: contexts[%zu] must be a content id (a-z, 0-9, '-')", what, j);
				continue;
			}
			if (d.contexts != NULL && (d.contexts[d.ncontexts] = strdup(s)) != NULL)
				d.ncontexts++;
		}
		bad = e->count != before || d.id == NULL || d.ko == NULL || d.en == NULL ||
		    d.contexts == NULL;
		if (bad) {
			dept_free(&d);
			continue;
		}
		o->depts[o->ndepts++] = d;
	}
}

static const char *const top_members[] = { "version", "rooms", "departments", "tv_room", NULL };

struct office *
office_parse(const char *text, size_t len, const char *name, char *err, size_t errlen)
{
	struct errs e = { err, 0, errlen, 0, name, NULL };
	struct office *o;
	json_error_t jerr;
	json_t *root, *rooms, *depts, *v;
	const char *cur;
	char *copy;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (len > OFFICE_MAX_BYTES) {
		err_add(&e, NULL, "larger than %d bytes: not an office file", OFFICE_MAX_BYTES);
		return NULL;
	}
	if ((copy = malloc(len + 1)) == NULL) {
		err_add(&e, NULL, "out of memory");
		return NULL;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	/* A NUL inside stops the line search early: only the lines are off. */
	e.text = copy;
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s:%d: %s\n", name, jerr.line, jerr.text);
		free(copy);
		return NULL;
	}
	if ((o = calloc(1, sizeof *o)) == NULL || (o->path = strdup(name)) == NULL) {
		free(o);
		json_decref(root);
		free(copy);
		err_add(&e, NULL, "out of memory");
		return NULL;
	}
	if (!json_is_object(root)) {
		err_add(&e, copy, "must be an object with \"rooms\" and \"departments\"");
		goto done;
	}
	check_members(&e, copy, root, "office", top_members);
	v = json_object_get(root, "version");
	if (v != NULL && (!json_is_integer(v) || json_integer_value(v) != 1))
		err_add(&e, find_key(copy, "version"), "\"version\" must be 1");
	rooms = json_object_get(root, "rooms");
	depts = json_object_get(root, "departments");
	if (rooms == NULL && depts == NULL)
		err_add(&e, copy, "needs \"rooms\" or \"departments\" (or both)");
	if (rooms != NULL && (!json_is_array(rooms) || json_array_size(rooms) > OFFICE_MAX_ITEMS)) {
		err_add(&e, find_key(copy, "rooms"), "\"rooms\" must be a list of at most %d rooms",
		    OFFICE_MAX_ITEMS);
		rooms = NULL;
	}
	if (depts != NULL && (!json_is_array(depts) || json_array_size(depts) > OFFICE_MAX_ITEMS)) {
		err_add(&e, find_key(copy, "departments"), "\"departments\" must be a list of at most "
		    "%d departments", OFFICE_MAX_ITEMS);
		depts = NULL;
	}
	cur = find_key(copy, "rooms");
	load_rooms(o, &e, rooms, cur != NULL ? &cur : &(const char *){ copy });
	cur = find_key(copy, "departments");
	load_departments(o, &e, depts, cur != NULL ? &cur : &(const char *){ copy });
	v = json_object_get(root, "tv_room");
	if (v != NULL) {
		const char *at = find_key(copy, "tv_room");
		if (!json_is_string(v))
			err_add(&e, at, "\"tv_room\" must be a room's id");
		else if (office_room(o, json_string_value(v)) == NULL)
			err_add(&e, at, "\"tv_room\": no room \"%.63s\" in \"rooms\"", json_string_value(v));
		else
			o->tv_room = strdup(json_string_value(v));
	}
done:
	json_decref(root);
	free(copy);
	if (e.count > 0) {
		office_free(o);
		return NULL;
	}
	return o;
}

struct office *
office_load(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n = 0;
	long len;
	struct office *o;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (f == NULL) {
		snprintf(err, errlen, "%s: cannot open the office file\n", path);
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || len > OFFICE_MAX_BYTES ||
	    fseek(f, 0, SEEK_SET) != 0 || (buf = malloc((size_t)len + 1)) == NULL) {
		fclose(f);
		snprintf(err, errlen, "%s: cannot read the office file (unreadable or over %d bytes)\n",
		    path, OFFICE_MAX_BYTES);
		return NULL;
	}
	n = fread(buf, 1, (size_t)len, f);
	fclose(f);
	if (n != (size_t)len) {
		free(buf);
		snprintf(err, errlen, "%s: cannot read the office file\n", path);
		return NULL;
	}
	o = office_parse(buf, n, path, err, errlen);
	free(buf);
	return o;
}

void
office_free(struct office *o)
{
	if (o == NULL)
		return;
	for (size_t i = 0; i < o->nrooms; i++) {
		free(o->rooms[i].id); free(o->rooms[i].ko); free(o->rooms[i].en); free(o->rooms[i].url);
	}
	for (size_t i = 0; i < o->ndepts; i++)
		dept_free(&o->depts[i]);
	free(o->rooms);
	free(o->depts);
	free(o->tv_room);
	free(o->path);
	free(o);
}

const struct office_room *
office_room(const struct office *o, const char *id)
{
	for (size_t i = 0; o != NULL && id != NULL && i < o->nrooms; i++)
		if (strcmp(o->rooms[i].id, id) == 0)
			return &o->rooms[i];
	return NULL;
}

const struct office_department *
office_department(const struct office *o, const char *id)
{
	for (size_t i = 0; o != NULL && id != NULL && i < o->ndepts; i++)
		if (strcmp(o->depts[i].id, id) == 0)
			return &o->depts[i];
	return NULL;
}

const struct office_department *
office_department_for(const struct office *o, const char *content)
{
	for (size_t i = 0; o != NULL && content != NULL && i < o->ndepts; i++)
		for (size_t j = 0; j < o->depts[i].ncontexts; j++)
			if (strcmp(o->depts[i].contexts[j], content) == 0)
				return &o->depts[i];
	return NULL;
}
