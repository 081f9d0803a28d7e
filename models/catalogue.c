#include "models/catalogue.h"
#include "base/log.h"

#include <ctype.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void collect_words(struct catalogue *c);

/* Error collector: appends "file:line: message\n" lines to a bounded buffer. */
struct errs {
	char       *buf;
	size_t      len, cap;
	int         count;
	const char *path;
	char       *text;    /* the raw file, to find line numbers of ids */
	const char *from;    /* where to start looking for them, or NULL */
};

static int
line_of(const struct errs *e, const char *needle)
{
	const char *p, *hit;
	int line = 1;

	if (e->text == NULL || needle == NULL ||
	    (hit = strstr(e->from ? e->from : e->text, needle)) == NULL)
		return 0;
	for (p = e->text; p < hit; p++)
		if (*p == '\n')
			line++;
	return line;
}

static void __attribute__((format(printf, 3, 4)))
err_add(struct errs *e, const char *near, const char *fmt, ...)
{
	va_list ap;

	e->count++;
	va_start(ap, fmt);
	log_append_error(e->buf, e->cap, &e->len, e->path, line_of(e, near), fmt, ap);
	va_end(ap);
}

/*
 * The first `"id": "<value>"` member at or after `from` (quoted value in
 * `quoted`), so that a phrase spelled like an id ("prices") is not taken
 * for the entry.  Returns where the "id" key starts, or NULL.
 */
static const char *
find_id(const char *from, const char *quoted)
{
	const char *p = from, *v;
	size_t n = strlen(quoted);

	while ((p = strstr(p, "\"id\"")) != NULL) {
		v = p + 4;
		while (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r')
			v++;
		if (*v == ':') {
			v++;
			while (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r')
				v++;
			if (strncmp(v, quoted, n) == 0)
				return p;
		}
		p += 4;
	}
	return NULL;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && n < (1L << 24) &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) != NULL) {
		if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		} else {
			buf[n] = '\0';
			*len = (size_t)n;
		}
	}
	fclose(f);
	return buf;
}

/*
 * A phrase is what the recognizer can output: lower-case ASCII words of
 * letters, digits and apostrophes, separated by single spaces.  Returns a
 * normalized copy or NULL when the phrase has other characters.
 */
static char *
phrase_norm(const char *s)
{
	size_t n = strlen(s), i, o = 0;
	char *out = malloc(n + 1);
	int space = 1;

	if (out == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == ' ' || ch == '\t') {
			if (!space)
				out[o++] = ' ';
			space = 1;
		} else if (isalnum(ch) || ch == '\'') {
			out[o++] = (char)tolower(ch);
			space = 0;
		} else {
			free(out);
			return NULL;
		}
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
	if (o == 0) {
		free(out);
		return NULL;
	}
	return out;
}

static const char *
str_field(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static char **
phrase_list(struct errs *e, json_t *arr, const char *what, const char *near, size_t *n)
{
	size_t i, k = 0;
	char **out;
	json_t *v;

	*n = 0;
	if (!json_is_array(arr) || json_array_size(arr) == 0) {
		err_add(e, near, "%s: needs a non-empty array of phrases", what);
		return NULL;
	}
	out = calloc(json_array_size(arr) + 1, sizeof *out);
	if (out == NULL)
		return NULL;
	json_array_foreach(arr, i, v) {
		char *p = json_is_string(v) ? phrase_norm(json_string_value(v)) : NULL;
		if (p == NULL) {
			err_add(e, json_is_string(v) ? json_string_value(v) : near,
			    "%s: phrase %zu must be words of letters, digits or apostrophes", what, i + 1);
			continue;
		}
		out[k++] = p;
	}
	*n = k;
	return out;
}

static void
free_list(char **l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(l[i]);
	free(l);
}

/*
 * Entries appear in the file in order: each one's id is looked for after the
 * previous one's (*cur), so that an error names the entry's own line even
 * when its id or phrase is also written earlier (a duplicate id).  at[i]
 * keeps where entry i starts, for check_ambiguity.
 */
static int
load_entries(struct catalogue *c, struct errs *e, json_t *arr, int controls,
             const char **cur, const char **at)
{
	const char *section = controls ? "controls" : "content";
	size_t i;
	json_t *o;

	if (!json_is_array(arr)) {
		err_add(e, section, "\"%s\" must be an array", section);
		return -1;
	}
	json_array_foreach(arr, i, o) {
		struct catalogue_entry *en = &c->entries[c->nentries];
		const char *id = str_field(o, "id"), *en_name = str_field(o, "en");
		const char *ko = str_field(o, "ko"), *priv = str_field(o, "privacy");
		char near[160], what[160];

		snprintf(near, sizeof near, "\"%s\"", id ? id : "");
		snprintf(what, sizeof what, "%s[%zu]%s%s", section, i, id ? " " : "", id ? id : "");
		e->from = *cur;
		if (id != NULL && e->text != NULL) {
			const char *hit = find_id(*cur ? *cur : e->text, near);
			if (hit != NULL)
				e->from = hit;
		}
		if (!json_is_object(o)) {
			err_add(e, section, "%s: must be an object", what);
			continue;
		}
		if (id == NULL || *id == '\0' || strspn(id, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(id)) {
			err_add(e, near, "%s: \"id\" must be lower-case letters, digits and '-'", what);
			continue;
		}
		if (catalogue_find(c, id) != NULL) {
			err_add(e, near, "%s: duplicate id \"%s\"", what, id);
			continue;
		}
		if (en_name == NULL || *en_name == '\0')
			err_add(e, near, "%s: missing \"en\" name", what);
		if (!controls && (ko == NULL || *ko == '\0'))
			err_add(e, near, "%s: missing \"ko\" name", what);
		if (!controls && (priv == NULL || (strcmp(priv, "public") && strcmp(priv, "private"))))
			err_add(e, near, "%s: \"privacy\" must be \"public\" or \"private\"", what);
		en->say = phrase_list(e, json_object_get(o, "say"), what, near, &en->nsay);
		en->id = strdup(id);
		en->en = strdup(en_name ? en_name : id);
		en->ko = ko ? strdup(ko) : NULL;
		en->detail = str_field(o, "detail") ? strdup(str_field(o, "detail")) : NULL;
		en->privacy = priv && strcmp(priv, "private") == 0 ? CAT_PRIVATE : CAT_PUBLIC;
		en->is_control = controls;
		at[c->nentries] = e->from;
		c->nentries++;
		if (e->from != NULL)
			*cur = e->from + 1;
	}
	e->from = NULL;
	return 0;
}

/*
 * The "books" section (optional): each book's marker is an ArUco id of
 * DICT_4X4_50 used once, its content a content screen (not a control) or
 * its document a PDF under public/ or private/ of documents_dir, and a
 * book that shows something private is private itself.
 */
#define BOOK_MARKERS 50

static void
load_books(struct catalogue *c, struct errs *e, json_t *arr, const char **cur)
{
	const char *marker_at[BOOK_MARKERS] = { 0 };
	size_t i;
	json_t *o;

	if (arr == NULL)
		return;
	if (!json_is_array(arr)) {
		err_add(e, "\"books\"", "\"books\" must be an array");
		return;
	}
	if ((c->books = calloc(json_array_size(arr) + 1, sizeof *c->books)) == NULL)
		return;
	e->from = e->text ? strstr(e->text, "\"books\"") : NULL;
	if (e->from != NULL)
		*cur = e->from;
	json_array_foreach(arr, i, o) {
		struct catalogue_book *b = &c->books[c->nbooks];
		const char *id = str_field(o, "id"), *en = str_field(o, "en"), *ko = str_field(o, "ko");
		const char *content = str_field(o, "content"), *doc = str_field(o, "document");
		json_t *mk = json_object_get(o, "marker"), *priv = json_object_get(o, "private");
		const struct catalogue_entry *ce = NULL;
		char near[160], what[160];
		int bad = 0;

		snprintf(near, sizeof near, "\"%s\"", id ? id : "");
		snprintf(what, sizeof what, "books[%zu]%s%s", i, id ? " " : "", id ? id : "");
		if (id != NULL && e->text != NULL) {
			const char *hit = find_id(*cur ? *cur : e->text, near);
			if (hit != NULL)
				e->from = hit;
		}
		if (!json_is_object(o)) {
			err_add(e, "\"books\"", "%s: must be an object", what);
			continue;
		}
		if (id == NULL || *id == '\0' || strspn(id, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(id)) {
			err_add(e, near, "%s: \"id\" must be lower-case letters, digits and '-'", what);
			continue;
		}
		for (size_t k = 0; k < c->nbooks; k++)
			if (strcmp(c->books[k].id, id) == 0) {
				err_add(e, near, "%s: duplicate book id \"%s\"", what, id);
				bad = 1;
			}
		if (!json_is_integer(mk) || json_integer_value(mk) < 0 ||
		    json_integer_value(mk) >= BOOK_MARKERS) {
			err_add(e, near, "%s: \"marker\" must be an ArUco id 0..%d (DICT_4X4_50)", what,
			    BOOK_MARKERS - 1);
			bad = 1;
		} else if (marker_at[json_integer_value(mk)] != NULL) {
			err_add(e, near, "%s: marker %d is also on the spine of \"%s\"", what,
			    (int)json_integer_value(mk), marker_at[json_integer_value(mk)]);
			bad = 1;
		}
		if (en == NULL || *en == '\0')
			err_add(e, near, "%s: missing \"en\" title", what), bad = 1;
		if (ko == NULL || *ko == '\0')
			err_add(e, near, "%s: missing \"ko\" title", what), bad = 1;
		if (!json_is_boolean(priv))
			err_add(e, near, "%s: \"private\" must be true or false", what), bad = 1;
		if ((content == NULL) == (doc == NULL)) {
			err_add(e, near, "%s: needs one of \"content\" (a screen id) or \"document\" "
			    "(public/NAME.pdf, private/NAME.pdf)", what);
			bad = 1;
		} else if (content != NULL) {
			ce = catalogue_find(c, content);
			if (ce == NULL || ce->is_control) {
				err_add(e, near, "%s: \"content\": %s \"%s\"", what,
				    ce == NULL ? "unknown screen" : "a control, not a screen:", content);
				bad = 1;
			}
		} else {
			size_t n = strlen(doc);
			int pub = strncmp(doc, "public/", 7) == 0, pri = strncmp(doc, "private/", 8) == 0;
			if ((!pub && !pri) || n < 5 || strcmp(doc + n - 4, ".pdf") != 0 ||
			    strchr(doc + (pub ? 7 : 8), '/') != NULL || strstr(doc, "..") != NULL ||
			    n == (size_t)(pub ? 11 : 12)) {
				err_add(e, near, "%s: \"document\" must be public/NAME.pdf or private/NAME.pdf, "
				    "not \"%s\"", what, doc);
				bad = 1;
			}
		}
		if (!bad && !json_is_true(priv) &&
		    ((ce != NULL && ce->privacy == CAT_PRIVATE) || (doc != NULL && doc[1] == 'r'))) {
			err_add(e, near, "%s: shows %s \"%s\" and must be \"private\": true", what,
			    ce != NULL ? "the private screen" : "the private document", ce ? content : doc);
			bad = 1;
		}
		if (bad)
			continue;
		b->marker = (int)json_integer_value(mk);
		b->id = strdup(id);
		b->en = strdup(en);
		b->ko = strdup(ko);
		b->content = content ? strdup(content) : NULL;
		b->document = doc ? strdup(doc) : NULL;
		b->privacy = json_is_true(priv) ? CAT_PRIVATE : CAT_PUBLIC;
		marker_at[b->marker] = b->id;
		c->nbooks++;
		if (e->from != NULL)
			*cur = e->from + 1;
	}
	e->from = NULL;
}

/* A spoken phrase must lead to one entry only, or the grammar is ambiguous. */
static void
check_ambiguity(const struct catalogue *c, struct errs *e, const char **at)
{
	char near[256];

	for (size_t i = 0; i < c->nentries; i++)
		for (size_t j = 0; j < c->entries[i].nsay; j++)
			for (size_t k = i; k < c->nentries; k++)
				for (size_t l = (k == i ? j + 1 : 0); l < c->entries[k].nsay; l++)
					if (strcmp(c->entries[i].say[j], c->entries[k].say[l]) == 0) {
						/* Named at its second use, in entry k. */
						snprintf(near, sizeof near, "\"%s\"", c->entries[k].say[l]);
						e->from = at[k];
						err_add(e, near, "phrase \"%s\" is used by both \"%s\" and \"%s\"",
						    c->entries[i].say[j], c->entries[i].id, c->entries[k].id);
						e->from = NULL;
					}
}

struct catalogue *
catalogue_load(const char *path, char *err, size_t errlen)
{
	struct errs e = { err, 0, errlen, 0, path, NULL, NULL };
	const char *cur = NULL, **at;
	struct catalogue *c;
	json_error_t jerr;
	json_t *root, *content, *controls, *prons, *carriers, *wake;
	size_t len = 0;

	if (err && errlen)
		err[0] = '\0';
	if ((e.text = slurp(path, &len)) == NULL) {
		snprintf(err, errlen, "%s: cannot read the catalogue (missing, unreadable or over 16 MiB)\n", path);
		return NULL;
	}
	root = json_loadb(e.text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		snprintf(err, errlen, "%s:%d: %s\n", path, jerr.line, jerr.text);
		free(e.text);
		return NULL;
	}
	c = calloc(1, sizeof *c);
	content = json_object_get(root, "content");
	controls = json_object_get(root, "controls");
	c->entries = calloc(json_array_size(content) + json_array_size(controls) + 1, sizeof *c->entries);
	c->path = strdup(path);
	at = calloc(json_array_size(content) + json_array_size(controls) + 1, sizeof *at);

	wake = json_object_get(root, "wake");
	c->wake = str_field(wake, "phrase") ? phrase_norm(str_field(wake, "phrase")) : NULL;
	if (c->wake == NULL)
		err_add(&e, "\"wake\"", "\"wake\": needs a \"phrase\" of plain words");

	load_entries(c, &e, content, 0, &cur, at);
	c->ncontent = c->nentries;
	if (c->ncontent == 0)
		err_add(&e, "\"content\"", "no content entries");
	if (catalogue_find(c, "main") == NULL)
		err_add(&e, "\"content\"", "content must have an entry with id \"main\" (the start screen)");
	load_entries(c, &e, controls, 1, &cur, at);

	prons = json_object_get(root, "pronunciations");
	if (prons != NULL && !json_is_object(prons))
		err_add(&e, "pronunciations", "\"pronunciations\" must be an object of word: phones");
	c->prons = calloc(json_object_size(prons) + 1, sizeof *c->prons);
	{
		const char *w;
		json_t *v;
		/* The word as a key, after "pronunciations" (not in the wake phrase). */
		e.from = e.text ? strstr(e.text, "\"pronunciations\"") : NULL;
		json_object_foreach(prons, w, v) {
			char *word = phrase_norm(w), near[160];
			const char *ph = json_string_value(v);
			if (word == NULL || strchr(word, ' ') || ph == NULL ||
			    strspn(ph, "ABCDEFGHIJKLMNOPQRSTUVWXYZ ") != strlen(ph) || *ph == '\0') {
				snprintf(near, sizeof near, "\"%s\"", w);
				err_add(&e, near, "pronunciation of \"%s\": need one word and upper-case phones", w);
				free(word);
				continue;
			}
			c->prons[c->nprons].word = word;
			c->prons[c->nprons++].phones = strdup(ph);
		}
		e.from = NULL;
	}
	carriers = json_object_get(root, "carriers");
	if (carriers != NULL) {
		json_t *b = json_object_get(carriers, "before"), *a = json_object_get(carriers, "after");
		if (b != NULL)
			c->before = phrase_list(&e, b, "carriers.before", "\"before\"", &c->nbefore);
		if (a != NULL)
			c->after = phrase_list(&e, a, "carriers.after", "\"after\"", &c->nafter);
	}
	load_books(c, &e, json_object_get(root, "books"), &cur);
	check_ambiguity(c, &e, at);
	collect_words(c);
	json_decref(root);
	free(at);
	free(e.text);
	if (e.count > 0) {
		catalogue_free(c);
		return NULL;
	}
	return c;
}

const struct catalogue *
catalogue_ref(const struct catalogue *c)
{
	/* The count is the one member a reference may change. */
	atomic_fetch_add(&((struct catalogue *)c)->refs, 1);
	return c;
}

int
catalogue_refs(const struct catalogue *c)
{
	return atomic_load(&((struct catalogue *)c)->refs) + 1;
}

void
catalogue_free(const struct catalogue *cc)
{
	struct catalogue *c = (struct catalogue *)cc;

	if (c == NULL || atomic_fetch_sub(&c->refs, 1) > 0)
		return;
	for (size_t i = 0; i < c->nentries; i++) {
		struct catalogue_entry *e = &c->entries[i];
		free(e->id);
		free(e->en);
		free(e->ko);
		free(e->detail);
		free_list(e->say, e->nsay);
	}
	for (size_t i = 0; i < c->nprons; i++) {
		free(c->prons[i].word);
		free(c->prons[i].phones);
	}
	free(c->prons);
	for (size_t i = 0; i < c->nbooks; i++) {
		struct catalogue_book *b = &c->books[i];
		free(b->id);
		free(b->en);
		free(b->ko);
		free(b->content);
		free(b->document);
	}
	free(c->books);
	free(c->entries);
	free_list(c->before, c->nbefore);
	free_list(c->after, c->nafter);
	free_list(c->words, c->nwords);
	free(c->wake);
	free(c->path);
	free(c);
}

static int
str_same(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static int
list_same(char *const *a, size_t na, char *const *b, size_t nb)
{
	if (na != nb)
		return 0;
	for (size_t i = 0; i < na; i++)
		if (!str_same(a[i], b[i]))
			return 0;
	return 1;
}

int
catalogue_same(const struct catalogue *a, const struct catalogue *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	if (!str_same(a->path, b->path) || !str_same(a->wake, b->wake) ||
	    a->ncontent != b->ncontent || a->nentries != b->nentries || a->nprons != b->nprons ||
	    !list_same(a->before, a->nbefore, b->before, b->nbefore) ||
	    !list_same(a->after, a->nafter, b->after, b->nafter) ||
	    !list_same(a->words, a->nwords, b->words, b->nwords))
		return 0;
	for (size_t i = 0; i < a->nentries; i++) {
		const struct catalogue_entry *x = &a->entries[i], *y = &b->entries[i];
		if (!str_same(x->id, y->id) || !str_same(x->en, y->en) || !str_same(x->ko, y->ko) ||
		    !str_same(x->detail, y->detail) || x->privacy != y->privacy ||
		    x->is_control != y->is_control || !list_same(x->say, x->nsay, y->say, y->nsay))
			return 0;
	}
	for (size_t i = 0; i < a->nprons; i++)
		if (!str_same(a->prons[i].word, b->prons[i].word) ||
		    !str_same(a->prons[i].phones, b->prons[i].phones))
			return 0;
	if (a->nbooks != b->nbooks)
		return 0;
	for (size_t i = 0; i < a->nbooks; i++) {
		const struct catalogue_book *x = &a->books[i], *y = &b->books[i];
		if (x->marker != y->marker || !str_same(x->id, y->id) || !str_same(x->en, y->en) ||
		    !str_same(x->ko, y->ko) || !str_same(x->content, y->content) ||
		    !str_same(x->document, y->document) || x->privacy != y->privacy)
			return 0;
	}
	return 1;
}

const struct catalogue_book *
catalogue_book_by_marker(const struct catalogue *c, int marker)
{
	for (size_t i = 0; c != NULL && i < c->nbooks; i++)
		if (c->books[i].marker == marker)
			return &c->books[i];
	return NULL;
}

const struct catalogue_entry *
catalogue_find(const struct catalogue *c, const char *id)
{
	for (size_t i = 0; i < c->nentries; i++)
		if (strcmp(c->entries[i].id, id) == 0)
			return &c->entries[i];
	return NULL;
}

static void
add_words(struct catalogue *c, size_t *cap, const char *phrase)
{
	const char *p = phrase;

	while (p != NULL && *p) {
		size_t len = strcspn(p, " "), i;
		for (i = 0; i < c->nwords; i++)
			if (strlen(c->words[i]) == len && strncmp(c->words[i], p, len) == 0)
				break;
		if (i == c->nwords) {
			if (c->nwords + 2 > *cap) {
				*cap = *cap ? *cap * 2 : 64;
				c->words = realloc(c->words, *cap * sizeof *c->words);
			}
			c->words[c->nwords++] = strndup(p, len);
			c->words[c->nwords] = NULL;
		}
		p += len;
		while (*p == ' ')
			p++;
	}
}

/* Derives c->words, the vocabulary the recognizer needs. */
static void
collect_words(struct catalogue *c)
{
	size_t cap = 0;

	add_words(c, &cap, c->wake);
	for (size_t i = 0; i < c->nentries; i++)
		for (size_t j = 0; j < c->entries[i].nsay; j++)
			add_words(c, &cap, c->entries[i].say[j]);
	for (size_t i = 0; i < c->nbefore; i++)
		add_words(c, &cap, c->before[i]);
	for (size_t i = 0; i < c->nafter; i++)
		add_words(c, &cap, c->after[i]);
}
