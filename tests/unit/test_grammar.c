/*
 * test_grammar — what the recognizer gets from the catalogue
 * (models/grammar.c): the JSGF grammars, the pronunciation dictionary, and
 * the way back from a recognized word string to a catalogue entry.
 *
 * Run from the repository root (tests/run-unit does).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "models/catalogue.h"
#include "models/grammar.h"
#include "models/speech.h"

#define CATALOGUE "models/catalogue.json"

static int
load_cat(void **state)
{
	char err[4096] = "";
	struct catalogue *c = catalogue_load(CATALOGUE, err, sizeof err);

	if (c == NULL) {
		fprintf(stderr, "%s refused (run from the repository root):\n%s", CATALOGUE, err);
		return -1;
	}
	*state = c;
	return 0;
}

static int
free_cat(void **state)
{
	catalogue_free(*state);
	return 0;
}

static const char *
cmudict_path(void)
{
	static struct speech_config cfg;

	speech_default_config(&cfg);
	return cfg.cmudict;
}

/* Is phrase one whole alternative of a rule in jsgf: between "= " or "| "
 * and " |" or ";"? */
static int
is_alternative(const char *jsgf, const char *phrase)
{
	size_t n = strlen(phrase);

	for (const char *p = strstr(jsgf, phrase); p != NULL; p = strstr(p + 1, phrase)) {
		if (p - jsgf < 2)
			continue;
		if ((p[-2] == '=' || p[-2] == '|') && p[-1] == ' ' &&
		    (p[n] == ';' || strncmp(p + n, " |", 2) == 0))
			return 1;
	}
	return 0;
}

/* The body of rule `name` ("<target>") up to its ';' (malloc'd), or NULL. */
static char *
rule_body(const char *jsgf, const char *name)
{
	char head[64];
	const char *p, *end;

	snprintf(head, sizeof head, "%s = ", name);
	if ((p = strstr(jsgf, head)) == NULL || (end = strchr(p, ';')) == NULL)
		return NULL;
	p += strlen(head);
	return strndup(p, (size_t)(end - p));
}

/* Is word one of the " | "-separated alternatives of a rule body? */
static int
in_rule(const char *body, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = body; p != NULL; p = strstr(p, " | ")) {
		if (p != body)
			p += 3;
		if (strncmp(p, word, n) == 0 && (p[n] == '\0' || strncmp(p + n, " | ", 3) == 0))
			return 1;
	}
	return 0;
}

static void
test_command_jsgf(void **state)
{
	struct catalogue *c = *state;
	char *g = grammar_command_jsgf(c), *target, *filler, *before, *after;

	assert_non_null(g);
	assert_int_equal(strncmp(g, "#JSGF V1.0;\n", 12), 0);
	assert_non_null(strstr(g, "public <utterance> = "));
	target = rule_body(g, "<target>");
	filler = rule_body(g, "<filler>");
	before = rule_body(g, "<before>");
	after = rule_body(g, "<after>");
	assert_non_null(target);
	assert_non_null(filler);
	assert_non_null(before);
	assert_non_null(after);
	for (size_t i = 0; i < c->nentries; i++)
		for (size_t j = 0; j < c->entries[i].nsay; j++)
			if (!is_alternative(g, c->entries[i].say[j]) || strstr(target, c->entries[i].say[j]) == NULL)
				fail_msg("phrase \"%s\" (%s) is not an alternative of <target>",
				    c->entries[i].say[j], c->entries[i].id);
	for (size_t i = 0; i < c->nbefore; i++)
		assert_true(is_alternative(g, c->before[i]) && strstr(before, c->before[i]) != NULL);
	for (size_t i = 0; i < c->nafter; i++)
		assert_true(is_alternative(g, c->after[i]) && strstr(after, c->after[i]) != NULL);
	/* Fillers the catalogue uses are left out of <filler>. */
	assert_true(in_rule(filler, "uh"));
	assert_true(in_rule(filler, "hello"));
	assert_false(in_rule(filler, "please"));
	assert_false(in_rule(filler, "the"));
	assert_false(in_rule(filler, "show"));
	assert_true(in_rule(target, "main page"));
	assert_false(in_rule(target, "main"));
	/* Balanced brackets. */
	{
		int sq = 0, an = 0;
		for (const char *p = g; *p; p++) {
			sq += (*p == '[') - (*p == ']');
			an += (*p == '<') - (*p == '>');
			assert_true(sq >= 0 && an >= 0);
		}
		assert_int_equal(sq, 0);
		assert_int_equal(an, 0);
	}
	free(target);
	free(filler);
	free(before);
	free(after);
	free(g);
}

static void
test_garbage_and_wake_jsgf(void **state)
{
	struct catalogue *c = *state;
	char *g = grammar_garbage_jsgf(c), *w = grammar_wake_jsgf(c), *body;

	assert_non_null(strstr(g, "public <garbage> = <filler>+;"));
	body = rule_body(g, "<filler>");
	assert_non_null(body);
	for (size_t i = 0; grammar_fillers[i] != NULL; i++) {
		int used = 0;
		for (size_t k = 0; k < c->nwords; k++)
			used |= strcmp(c->words[k], grammar_fillers[i]) == 0;
		if (used == in_rule(body, grammar_fillers[i]))
			fail_msg("filler \"%s\" (%s by the catalogue) %s in the garbage grammar",
			    grammar_fillers[i], used ? "used" : "not used", used ? "is" : "is not");
	}
	assert_non_null(strstr(w, "public <wake> = hey seoul;"));
	free(body);
	free(g);
	free(w);
}

static const struct {
	const char *hyp, *id;
} matches[] = {
	{ "show me the air quality", "air-quality" },
	{ "air quality please", "air-quality" },
	{ "air quality", "air-quality" },
	{ "the air quality", "air-quality" },
	{ "uh show traffic", "transportation" },
	{ "okay show me the traffic", "transportation" },
	{ "main page", "main" },
	{ "show me the main page", "main" },
	{ "go to main page please", "main" },
	{ "home", "main" },
	{ "home page", "main" },
	{ "page down", "scroll-down" },
	{ "page up", "scroll-up" },
	{ "next page", "next" },
	{ "next", "next" },
	{ "bring up ttareungyi stations", "bike-stations" },
	{ "dulle gil", "trails-parks" },
	{ "switch to video conference", "video-conference" },
	{ "can you show me documents for approval now", "approval-documents" },
	{ "one one nine", "fire-resources" },
	{ "fire and rescue resources dashboard", "fire-resources" },
	{ "private mode", "private-mode" },
	{ "go private", "private-mode" },
	{ "public mode", "public-mode" },
	{ "show me cctv screen", "cctv" },
};

static void
test_match(void **state)
{
	struct catalogue *c = *state;

	for (size_t i = 0; i < sizeof matches / sizeof matches[0]; i++) {
		const struct catalogue_entry *e = grammar_match(c, matches[i].hyp);

		if (e == NULL)
			fail_msg("\"%s\": no match, expected %s", matches[i].hyp, matches[i].id);
		if (strcmp(e->id, matches[i].id) != 0)
			fail_msg("\"%s\": %s, expected %s", matches[i].hyp, e->id, matches[i].id);
	}
}

static void
test_match_garbage(void **state)
{
	struct catalogue *c = *state;
	static const char *const garbage[] = {
		"hello there", "", "show me", "please", "show me please", "the", "uh",
		"air quality air quality", "show me the air quality sandwich", "airquality",
		"air  quality", " air quality", "air quality ", "weather report", "hello",
		"show show me the air quality", "uh um show traffic", "uh uh main page",
		"please air quality", "main", "page", "air quality please please",
	};

	assert_null(grammar_match(c, NULL));
	for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
		const struct catalogue_entry *e = grammar_match(c, garbage[i]);
		if (e != NULL)
			fail_msg("\"%s\" matched %s, expected no match", garbage[i], e->id);
	}
}

/* Every phrase of every entry, alone and with every carrier, maps back to it. */
static void
test_match_every_phrase(void **state)
{
	struct catalogue *c = *state;
	char hyp[512];

	for (size_t i = 0; i < c->nentries; i++)
		for (size_t j = 0; j < c->entries[i].nsay; j++) {
			const struct catalogue_entry *e = &c->entries[i], *m;
			if ((m = grammar_match(c, e->say[j])) != e)
				fail_msg("\"%s\" -> %s, expected %s", e->say[j], m ? m->id : "nothing", e->id);
			for (size_t b = 0; b < c->nbefore; b++)
				for (size_t a = 0; a < c->nafter; a++) {
					snprintf(hyp, sizeof hyp, "%s %s %s", c->before[b], e->say[j], c->after[a]);
					if ((m = grammar_match(c, hyp)) != e)
						fail_msg("\"%s\" -> %s, expected %s", hyp, m ? m->id : "nothing", e->id);
				}
		}
}

/* Parses a dictionary into words (without "(2)") and checks each is listed. */
static int
dict_has(const char *dict, const char *word, const char *phones)
{
	size_t n = strlen(word);
	int count = 0;

	for (const char *p = dict; p && *p; ) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		if (len > n && strncmp(p, word, n) == 0 && (p[n] == ' ' || p[n] == '\t' || p[n] == '(')) {
			const char *ph = p + n;
			if (*ph == '(')
				ph = strchr(ph, ')') + 1;
			while (*ph == ' ' || *ph == '\t')
				ph++;
			if (phones == NULL || ((size_t)(p + len - ph) == strlen(phones) &&
			    strncmp(ph, phones, strlen(phones)) == 0))
				count++;
		}
		p = eol ? eol + 1 : NULL;
	}
	return count;
}

static char *
write_dict(const struct catalogue *c, const char *cmudict, int *rc, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	*rc = grammar_write_dict(c, cmudict, f, err, errlen);
	fclose(f);
	return buf;
}

static void
test_dict(void **state)
{
	struct catalogue *c = *state;
	char err[1024] = "unset";
	int rc;
	char *d = write_dict(c, cmudict_path(), &rc, err, sizeof err);

	if (rc != 0)
		fail_msg("grammar_write_dict failed: %s", err);
	assert_string_equal(err, "");
	for (size_t i = 0; i < c->nwords; i++)
		if (dict_has(d, c->words[i], NULL) < 1)
			fail_msg("word \"%s\" has no line in the dictionary", c->words[i]);
	for (size_t i = 0; grammar_fillers[i] != NULL; i++)
		if (dict_has(d, grammar_fillers[i], NULL) < 1)
			fail_msg("filler \"%s\" has no line in the dictionary", grammar_fillers[i]);
	/* Romanized Korean names: the catalogue's phones, and only those. */
	for (size_t i = 0; i < c->nprons; i++) {
		int used = 0;
		for (size_t k = 0; k < c->nwords; k++)
			used |= strcmp(c->words[k], c->prons[i].word) == 0;
		if (!used)
			continue;
		if (dict_has(d, c->prons[i].word, c->prons[i].phones) != 1 ||
		    dict_has(d, c->prons[i].word, NULL) != 1)
			fail_msg("\"%s\" should have exactly the line \"%s %s\"", c->prons[i].word,
			    c->prons[i].word, c->prons[i].phones);
	}
	assert_int_equal(dict_has(d, "ttareungyi", "T AA R AH NG IY"), 1);
	assert_int_equal(dict_has(d, "olbaemi", "OW L B EH M IY"), 1);
	assert_int_equal(dict_has(d, "dullegil", "D UW L EH G IH L"), 1);
	assert_int_equal(dict_has(d, "seoul", NULL), 1);
	assert_int_equal(dict_has(d, "seoul", "S OW L"), 1);
	/* CMU words keep all their variants. */
	assert_true(dict_has(d, "the", NULL) >= 2);
	assert_int_equal(dict_has(d, "quality", "K W AA L AH T IY"), 1);
	/* Nothing that is not used: a word outside the grammar. */
	assert_int_equal(dict_has(d, "zebra", NULL), 0);
	free(d);
}

static void
test_dict_unknown_word(void **state)
{
	char path[] = "/tmp/test_grammar-XXXXXX", err[1024] = "";
	int fd = mkstemp(path), rc;
	FILE *f;
	struct catalogue *c;
	char *d;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs("{ \"wake\": { \"phrase\": \"hey seoul\" },\n"
	    "  \"pronunciations\": { \"seoul\": \"S OW L\" },\n"
	    "  \"content\": [ { \"id\": \"main\", \"en\": \"Main\", \"ko\": \"메인\", \"privacy\": \"public\",\n"
	    "                 \"say\": [\"main page\", \"zzyzzx\"] } ],\n"
	    "  \"controls\": [ { \"id\": \"next\", \"en\": \"Next\", \"say\": [\"next\", \"qqxv next\"] } ] }\n", f);
	fclose(f);
	c = catalogue_load(path, err, sizeof err);
	if (c == NULL)
		fail_msg("%s", err);
	d = write_dict(c, cmudict_path(), &rc, err, sizeof err);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "\"zzyzzx\""));
	assert_non_null(strstr(err, "\"qqxv\""));
	assert_non_null(strstr(err, path));
	assert_null(strstr(err, "\"main\""));
	assert_null(strstr(err, "\"next\""));
	free(d);
	/* A missing CMU dictionary is an error too, naming it. */
	d = write_dict(c, "/nonexistent/cmudict.dict", &rc, err, sizeof err);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "/nonexistent/cmudict.dict"));
	free(d);
	catalogue_free(c);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_command_jsgf),
		cmocka_unit_test(test_garbage_and_wake_jsgf),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_match_garbage),
		cmocka_unit_test(test_match_every_phrase),
		cmocka_unit_test(test_dict),
		cmocka_unit_test(test_dict_unknown_word),
	};

	return cmocka_run_group_tests(tests, load_cat, free_cat);
}
