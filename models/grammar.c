#include "models/grammar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

/*
 * Frequent short English words.  They give ordinary speech a path through
 * the command grammar that is not a command, so that "what's the time"
 * ends as garbage instead of being forced onto the nearest screen name.
 * Words the catalogue itself uses are skipped when the grammar is built.
 */
const char *const grammar_fillers[] = {
	"the", "a", "of", "to", "and", "in", "is", "it", "that", "what", "i",
	"you", "we", "he", "she", "they", "this", "was", "for", "on", "with",
	"as", "at", "be", "by", "not", "are", "or", "but", "have", "had",
	"so", "uh", "um", "okay", "yeah", "well", "hello", "hi", "good",
	"thank", "thanks", "yes", "no", "right", "about", "just", "like",
	"know", "think", "get", "there", "here", "one", "two", "time", "day",
	"people", "year", "way", "can", "will", "would", "could", "do", "did",
	"make", "take", "look", "come", "want", "need", "tell", "said",
	"call", "work", "new", "old", "big", "small", "all", "some", "many",
	"more", "most", "other", "very", "much", "our", "my", "your", "their",
	"if", "when", "where", "why", "how", "who", "which", "then", "than",
	"been", "were", "an", "from", "out", "into", "over", "after", "before",
	"sell", "sold", "hey", "say", "see", "sea", "sun",
	"city", "mayor", "meeting", "today", "tomorrow", "morning", "report",
	"let", "us", "go", "me", "him", "her", "them", "its", "now", "please",
	NULL
};

struct buf {
	char  *s;
	size_t len, cap;
};

static void
buf_add(struct buf *b, const char *s)
{
	size_t n = strlen(s);

	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = xrealloc(b->s, b->cap);
	}
	memcpy(b->s + b->len, s, n + 1);
	b->len += n;
}

static int
uses_word(const struct catalogue *c, const char *w)
{
	for (size_t i = 0; i < c->nwords; i++)
		if (strcmp(c->words[i], w) == 0)
			return 1;
	return 0;
}

/* A word of the catalogue or of the grammar-only phrases. */
static int
uses_word_x(const struct catalogue *c, const struct grammar_extra *x, const char *w)
{
	if (uses_word(c, w))
		return 1;
	for (size_t i = 0; x != NULL && i < x->nwords; i++)
		if (strcmp(x->words[i], w) == 0)
			return 1;
	return 0;
}

/* The verbs a document title is said after, and its optional article. */
static const char *const doc_verbs[] = { "open", "show", NULL };
#define DOC_ARTICLE "the"

/* ---- grammar-only phrases ---- */

struct grammar_extra *
grammar_extra_new(void)
{
	return xcalloc(1, sizeof(struct grammar_extra));
}

static void
extra_word(struct grammar_extra *x, const char *w, size_t len)
{
	for (size_t i = 0; i < x->nwords; i++)
		if (strlen(x->words[i]) == len && strncmp(x->words[i], w, len) == 0)
			return;
	x->words = xrealloc(x->words, (x->nwords + 1) * sizeof *x->words);
	x->words[x->nwords++] = xstrndup(w, len);
}

static void
extra_words(struct grammar_extra *x, const char *phrase)
{
	for (const char *p = phrase; *p; ) {
		size_t n = strcspn(p, " ");
		extra_word(x, p, n);
		p += n;
		p += strspn(p, " ");
	}
}

int
grammar_extra_add(struct grammar_extra *x, const char *id, const char *en, const char *tag,
                  int document, const char *phrase)
{
	struct grammar_phrase *p;

	if (phrase == NULL || phrase[0] == '\0' || phrase[0] == ' ' || phrase[strlen(phrase) - 1] == ' ' ||
	    strstr(phrase, "  ") != NULL ||
	    strspn(phrase, "abcdefghijklmnopqrstuvwxyz0123456789' ") != strlen(phrase))
		return -1;
	x->p = xrealloc(x->p, (x->n + 1) * sizeof *x->p);
	p = &x->p[x->n++];
	memset(p, 0, sizeof *p);
	p->e.id = xstrdup(id);
	p->e.en = xstrdup(en != NULL ? en : phrase);
	p->e.detail = tag != NULL ? xstrdup(tag) : NULL;
	p->e.privacy = CAT_PRIVATE;
	p->e.say = xcalloc(2, sizeof *p->e.say);
	p->e.say[0] = xstrdup(phrase);
	p->e.nsay = 1;
	p->document = document;
	extra_words(x, phrase);
	if (document) {
		for (size_t i = 0; doc_verbs[i] != NULL; i++)
			extra_words(x, doc_verbs[i]);
		extra_words(x, DOC_ARTICLE);
	}
	return 0;
}

const struct grammar_extra *
grammar_extra_ref(const struct grammar_extra *x)
{
	if (x != NULL)
		atomic_fetch_add(&((struct grammar_extra *)x)->refs, 1);
	return x;
}

void
grammar_extra_free(const struct grammar_extra *cx)
{
	struct grammar_extra *x = (struct grammar_extra *)cx;

	if (x == NULL || atomic_fetch_sub(&x->refs, 1) > 0)
		return;
	for (size_t i = 0; i < x->n; i++) {
		free(x->p[i].e.id);
		free(x->p[i].e.en);
		free(x->p[i].e.detail);
		free(x->p[i].e.say[0]);
		free(x->p[i].e.say);
	}
	for (size_t i = 0; i < x->nwords; i++)
		free(x->words[i]);
	free(x->words);
	free(x->p);
	free(x);
}

static int
same_str(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

int
grammar_extra_same(const struct grammar_extra *a, const struct grammar_extra *b)
{
	size_t na = a != NULL ? a->n : 0, nb = b != NULL ? b->n : 0;

	if (na != nb)
		return 0;
	for (size_t i = 0; i < na; i++) {
		const struct grammar_phrase *x = &a->p[i], *y = &b->p[i];
		if (!same_str(x->e.id, y->e.id) || !same_str(x->e.en, y->e.en) ||
		    !same_str(x->e.detail, y->e.detail) || !same_str(x->e.say[0], y->e.say[0]) ||
		    x->document != y->document)
			return 0;
	}
	return 1;
}

int
grammar_title_spoken(const char *title, char *out, size_t len)
{
	size_t o = 0;

	if (len == 0)
		return -1;
	out[0] = '\0';
	for (const char *p = title + strspn(title, " "); *p; p += strspn(p, " ")) {
		size_t n = strcspn(p, " ");
		if (strspn(p, "0123456789") < n) {
			if (o + n + 2 > len)
				return -1;
			if (o > 0)
				out[o++] = ' ';
			memcpy(out + o, p, n);
			o += n;
			out[o] = '\0';
		}
		p += n;
	}
	return o > 0 ? 0 : -1;
}

static void
add_alternatives(struct buf *b, char **list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		buf_add(b, i ? " | " : "");
		buf_add(b, list[i]);
	}
}

/* The filler words as JSGF alternatives, less those the catalogue uses. */
static void
add_fillers(struct buf *b, const struct catalogue *c, const struct grammar_extra *x)
{
	int first = 1;

	for (size_t i = 0; grammar_fillers[i] != NULL; i++) {
		if (uses_word_x(c, x, grammar_fillers[i]))
			continue;
		buf_add(b, first ? "" : " | ");
		buf_add(b, grammar_fillers[i]);
		first = 0;
	}
}

static int
has_documents(const struct grammar_extra *x)
{
	for (size_t i = 0; x != NULL && i < x->n; i++)
		if (x->p[i].document)
			return 1;
	return 0;
}

char *
grammar_command_jsgf(const struct catalogue *c)
{
	return grammar_command_jsgf_x(c, NULL);
}

char *
grammar_command_jsgf_x(const struct catalogue *c, const struct grammar_extra *x)
{
	struct buf b = { 0 };
	int docs = has_documents(x);

	buf_add(&b, "#JSGF V1.0;\ngrammar smartoffice;\n");
	/* One everyday word may lead ("uh", "okay"): the tail of the wake
	 * phrase or a breath often decodes as one.  Whether the words fit
	 * better than ordinary speech is decided after, against the garbage
	 * grammar (grammar_garbage_jsgf). */
	buf_add(&b, "public <utterance> = [<filler>] <command>;\n");
	buf_add(&b, "<command> = ");
	buf_add(&b, c->nbefore ? "[<before>] <target>" : "<target>");
	buf_add(&b, c->nafter ? " [<after>]" : "");
	buf_add(&b, docs ? " | <document>;\n" : ";\n");
	if (c->nbefore) {
		buf_add(&b, "<before> = ");
		add_alternatives(&b, c->before, c->nbefore);
		buf_add(&b, ";\n");
	}
	if (c->nafter) {
		buf_add(&b, "<after> = ");
		add_alternatives(&b, c->after, c->nafter);
		buf_add(&b, ";\n");
	}
	buf_add(&b, "<target> = ");
	for (size_t i = 0; i < c->nentries; i++) {
		buf_add(&b, i ? " | " : "");
		add_alternatives(&b, c->entries[i].say, c->entries[i].nsay);
	}
	for (size_t i = 0; x != NULL && i < x->n; i++)
		if (!x->p[i].document) {
			buf_add(&b, " | ");
			buf_add(&b, x->p[i].e.say[0]);
		}
	if (docs) {
		int first = 1;
		buf_add(&b, ";\n<document> = (");
		for (size_t i = 0; doc_verbs[i] != NULL; i++) {
			buf_add(&b, i ? " | " : "");
			buf_add(&b, doc_verbs[i]);
		}
		buf_add(&b, ") [" DOC_ARTICLE "] <title>;\n<title> = ");
		for (size_t i = 0; i < x->n; i++)
			if (x->p[i].document) {
				buf_add(&b, first ? "" : " | ");
				buf_add(&b, x->p[i].e.say[0]);
				first = 0;
			}
	}
	buf_add(&b, ";\n<filler> = ");
	add_fillers(&b, c, x);
	buf_add(&b, ";\n");
	return b.s;
}

char *
grammar_garbage_jsgf(const struct catalogue *c)
{
	return grammar_garbage_jsgf_x(c, NULL);
}

char *
grammar_garbage_jsgf_x(const struct catalogue *c, const struct grammar_extra *x)
{
	struct buf b = { 0 };

	buf_add(&b, "#JSGF V1.0;\ngrammar garbage;\npublic <garbage> = <filler>+;\n<filler> = ");
	add_fillers(&b, c, x);
	buf_add(&b, ";\n");
	return b.s;
}

char *
grammar_wake_jsgf(const struct catalogue *c)
{
	struct buf b = { 0 };

	buf_add(&b, "#JSGF V1.0;\ngrammar wake;\npublic <wake> = ");
	buf_add(&b, c->wake);
	buf_add(&b, ";\n");
	return b.s;
}

/* Word of a dictionary line ("word" or "word(2)") equals w? */
static int
dict_word_is(const char *line, const char *w)
{
	size_t n = strlen(w);

	return strncmp(line, w, n) == 0 && (line[n] == ' ' || line[n] == '\t' || line[n] == '(');
}

static int
find_pron(const struct catalogue *c, const char *w)
{
	for (size_t i = 0; i < c->nprons; i++)
		if (strcmp(c->prons[i].word, w) == 0)
			return (int)i;
	return -1;
}

/*
 * Looks words[0..nw) up (NULL ones skipped): the catalogue's
 * pronunciations first, then every variant in cmudict.  found[i] is 2 for
 * the catalogue's, 1 for the dictionary's, 0 for none; the lines go to out
 * unless it is NULL.  -1 with err when cmudict cannot be read.
 */
static int
look_up(const struct catalogue *c, const char *const *words, size_t nw, const char *cmudict,
        FILE *out, char *found, char *err, size_t errlen)
{
	char line[512];
	FILE *in;
	size_t i;

	/* Catalogue pronunciations win: they are how Seoul says its names. */
	for (i = 0; i < nw; i++) {
		int p = words[i] ? find_pron(c, words[i]) : -1;
		if (p >= 0) {
			if (out != NULL)
				fprintf(out, "%s %s\n", words[i], c->prons[p].phones);
			found[i] = 2;
		}
	}
	if ((in = fopen(cmudict, "r")) == NULL) {
		snprintf(err, errlen, "%s: cannot open the pronunciation dictionary", cmudict);
		return -1;
	}
	while (fgets(line, sizeof line, in) != NULL) {
		for (i = 0; i < nw; i++) {
			if (words[i] == NULL || found[i] == 2 || !dict_word_is(line, words[i]))
				continue;
			/* Dictionary variants are kept with their own numbering. */
			if (out != NULL) {
				fputs(line, out);
				if (line[strlen(line) - 1] != '\n')
					fputc('\n', out);
			}
			found[i] = 1;
			break;
		}
	}
	fclose(in);
	return 0;
}

int
grammar_known_words(const struct catalogue *c, const char *cmudict, const char *const *words,
                    size_t n, unsigned char *known, char *err, size_t errlen)
{
	char *found = calloc(n + 1, 1);
	int rc = look_up(c, words, n, cmudict, NULL, found, err, errlen);

	for (size_t i = 0; i < n; i++)
		known[i] = rc == 0 && found[i] != 0;
	free(found);
	return rc;
}

int
grammar_write_dict(const struct catalogue *c, const char *cmudict, FILE *out,
                   char *err, size_t errlen)
{
	return grammar_write_dict_x(c, NULL, cmudict, out, err, errlen);
}

int
grammar_write_dict_x(const struct catalogue *c, const struct grammar_extra *x, const char *cmudict,
                     FILE *out, char *err, size_t errlen)
{
	size_t nw = c->nwords, nx = x != NULL ? x->nwords : 0, nf = 0, i;
	const char **words;
	char *found;
	int rc = 0;

	while (grammar_fillers[nf] != NULL)
		nf++;
	words = malloc((nw + nx + nf + 1) * sizeof *words);
	for (i = 0; i < nw; i++)
		words[i] = c->words[i];
	for (i = 0; i < nx; i++)
		words[nw + i] = uses_word(c, x->words[i]) ? NULL : x->words[i];
	for (i = 0; i < nf; i++)
		words[nw + nx + i] = uses_word_x(c, x, grammar_fillers[i]) ? NULL : grammar_fillers[i];
	nw += nx + nf;
	found = calloc(nw + 1, 1);

	if (look_up(c, words, nw, cmudict, out, found, err, errlen) < 0) {
		free(words);
		free(found);
		return -1;
	}
	if (err && errlen)
		err[0] = '\0';
	for (i = 0; i < nw; i++) {
		if (words[i] != NULL && !found[i]) {
			size_t l = err ? strlen(err) : 0;
			if (err && l + 1 < errlen)
				snprintf(err + l, errlen - l, "%s: word \"%s\" has no pronunciation; add it under \"pronunciations\"\n",
				    c->path, words[i]);
			rc = -1;
		}
	}
	free(words);
	free(found);
	return rc;
}

/* Does s start with phrase p followed by a space or the end? */
static size_t
prefix_len(const char *s, const char *p)
{
	size_t n = strlen(p);

	if (strncmp(s, p, n) == 0 && (s[n] == ' ' || s[n] == '\0'))
		return s[n] == ' ' ? n + 1 : n;
	return 0;
}

static const struct catalogue_entry *
lookup(const struct catalogue *c, const struct grammar_extra *x, const char *s, size_t len)
{
	for (size_t i = 0; i < c->nentries; i++)
		for (size_t j = 0; j < c->entries[i].nsay; j++)
			if (strlen(c->entries[i].say[j]) == len && strncmp(c->entries[i].say[j], s, len) == 0)
				return &c->entries[i];
	for (size_t i = 0; x != NULL && i < x->n; i++)
		if (!x->p[i].document && strlen(x->p[i].e.say[0]) == len && strncmp(x->p[i].e.say[0], s, len) == 0)
			return &x->p[i].e;
	return NULL;
}

/* "open|show [the] TITLE", exactly. */
static const struct catalogue_entry *
match_document(const struct grammar_extra *x, const char *hyp)
{
	size_t skip = 0, k;

	for (size_t i = 0; doc_verbs[i] != NULL && skip == 0; i++)
		skip = prefix_len(hyp, doc_verbs[i]);
	if (skip == 0 || hyp[skip] == '\0')
		return NULL;
	for (int pass = 0; pass < 2; pass++) {
		const char *t = hyp + skip;
		if (pass == 1) {
			if ((k = prefix_len(t, DOC_ARTICLE)) == 0 || t[k] == '\0')
				break;
			t += k;
		}
		for (size_t i = 0; i < x->n; i++)
			if (x->p[i].document && strcmp(x->p[i].e.say[0], t) == 0)
				return &x->p[i].e;
	}
	return NULL;
}

/* [before] target [after], or a document, without a leading filler word. */
static const struct catalogue_entry *
match_command(const struct catalogue *c, const struct grammar_extra *x, const char *hyp)
{
	const struct catalogue_entry *e;
	size_t n = strlen(hyp), i, j;

	/* Every split into [before] target [after] that the grammar allows;
	 * the whole string as a target first, so "main page" is not read as
	 * "main" + carrier "page". */
	for (i = 0; i <= c->nbefore; i++) {
		size_t skip = 0;
		if (i > 0 && (skip = prefix_len(hyp, c->before[i - 1])) == 0)
			continue;
		for (j = 0; j <= c->nafter; j++) {
			size_t tail = 0, alen = j ? strlen(c->after[j - 1]) : 0;
			if (j > 0) {
				if (n < skip + alen + 1 || strcmp(hyp + n - alen, c->after[j - 1]) != 0 ||
				    hyp[n - alen - 1] != ' ')
					continue;
				tail = alen + 1;
			}
			if (n <= skip + tail)
				continue;
			if ((e = lookup(c, x, hyp + skip, n - skip - tail)) != NULL)
				return e;
		}
	}
	if (x != NULL && (e = match_document(x, hyp)) != NULL)
		return e;
	return NULL;
}

const struct catalogue_entry *
grammar_match(const struct catalogue *c, const char *hyp)
{
	return grammar_match_x(c, NULL, hyp);
}

const struct catalogue_entry *
grammar_match_x(const struct catalogue *c, const struct grammar_extra *x, const char *hyp)
{
	const struct catalogue_entry *e;

	if (hyp == NULL)
		return NULL;
	if ((e = match_command(c, x, hyp)) != NULL)
		return e;
	/* The grammar lets one filler word lead ("uh", "okay" show me ...),
	 * and only one. */
	for (size_t i = 0; grammar_fillers[i] != NULL; i++) {
		size_t skip = prefix_len(hyp, grammar_fillers[i]);
		if (skip > 0 && hyp[skip] != '\0' && !uses_word_x(c, x, grammar_fillers[i]))
			return match_command(c, x, hyp + skip);
	}
	return NULL;
}
