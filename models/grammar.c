#include "models/grammar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
		b->s = realloc(b->s, b->cap);
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
add_fillers(struct buf *b, const struct catalogue *c)
{
	int first = 1;

	for (size_t i = 0; grammar_fillers[i] != NULL; i++) {
		if (uses_word(c, grammar_fillers[i]))
			continue;
		buf_add(b, first ? "" : " | ");
		buf_add(b, grammar_fillers[i]);
		first = 0;
	}
}

char *
grammar_command_jsgf(const struct catalogue *c)
{
	struct buf b = { 0 };

	buf_add(&b, "#JSGF V1.0;\ngrammar smartoffice;\n");
	/* One everyday word may lead ("uh", "okay"): the tail of the wake
	 * phrase or a breath often decodes as one.  Whether the words fit
	 * better than ordinary speech is decided after, against the garbage
	 * grammar (grammar_garbage_jsgf). */
	buf_add(&b, "public <utterance> = [<filler>] <command>;\n");
	buf_add(&b, "<command> = ");
	buf_add(&b, c->nbefore ? "[<before>] <target>" : "<target>");
	buf_add(&b, c->nafter ? " [<after>];\n" : ";\n");
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
	buf_add(&b, ";\n<filler> = ");
	add_fillers(&b, c);
	buf_add(&b, ";\n");
	return b.s;
}

char *
grammar_garbage_jsgf(const struct catalogue *c)
{
	struct buf b = { 0 };

	buf_add(&b, "#JSGF V1.0;\ngrammar garbage;\npublic <garbage> = <filler>+;\n<filler> = ");
	add_fillers(&b, c);
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

int
grammar_write_dict(const struct catalogue *c, const char *cmudict, FILE *out,
                   char *err, size_t errlen)
{
	size_t nw = c->nwords, nf = 0, i;
	const char **words;
	char *found, line[512];
	FILE *in;
	int rc = 0;

	while (grammar_fillers[nf] != NULL)
		nf++;
	words = malloc((nw + nf) * sizeof *words);
	for (i = 0; i < nw; i++)
		words[i] = c->words[i];
	for (i = 0; i < nf; i++)
		words[nw + i] = uses_word(c, grammar_fillers[i]) ? NULL : grammar_fillers[i];
	nw += nf;
	found = calloc(nw, 1);

	/* Catalogue pronunciations win: they are how Seoul says its names. */
	for (i = 0; i < nw; i++) {
		int p = words[i] ? find_pron(c, words[i]) : -1;
		if (p >= 0) {
			fprintf(out, "%s %s\n", words[i], c->prons[p].phones);
			found[i] = 2;
		}
	}
	if ((in = fopen(cmudict, "r")) == NULL) {
		snprintf(err, errlen, "%s: cannot open the pronunciation dictionary", cmudict);
		free(words);
		free(found);
		return -1;
	}
	while (fgets(line, sizeof line, in) != NULL) {
		for (i = 0; i < nw; i++) {
			if (words[i] == NULL || found[i] == 2 || !dict_word_is(line, words[i]))
				continue;
			/* Dictionary variants are kept with their own numbering. */
			fputs(line, out);
			if (line[strlen(line) - 1] != '\n')
				fputc('\n', out);
			found[i] = 1;
			break;
		}
	}
	fclose(in);
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
lookup(const struct catalogue *c, const char *s, size_t len)
{
	for (size_t i = 0; i < c->nentries; i++)
		for (size_t j = 0; j < c->entries[i].nsay; j++)
			if (strlen(c->entries[i].say[j]) == len && strncmp(c->entries[i].say[j], s, len) == 0)
				return &c->entries[i];
	return NULL;
}

/* [before] target [after], without a leading filler word. */
static const struct catalogue_entry *
match_command(const struct catalogue *c, const char *hyp)
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
			if ((e = lookup(c, hyp + skip, n - skip - tail)) != NULL)
				return e;
		}
	}
	return NULL;
}

const struct catalogue_entry *
grammar_match(const struct catalogue *c, const char *hyp)
{
	const struct catalogue_entry *e;

	if (hyp == NULL)
		return NULL;
	if ((e = match_command(c, hyp)) != NULL)
		return e;
	/* The grammar lets one filler word lead ("uh", "okay" show me ...),
	 * and only one. */
	for (size_t i = 0; grammar_fillers[i] != NULL; i++) {
		size_t skip = prefix_len(hyp, grammar_fillers[i]);
		if (skip > 0 && hyp[skip] != '\0' && !uses_word(c, grammar_fillers[i]))
			return match_command(c, hyp + skip);
	}
	return NULL;
}
