/*
 * test_grammar_extra — the grammar-only phrases (models/grammar.h): the
 * briefing folder's titles ("open the budget report") and "voice call",
 * which the grammar carries at run time and no trained head knows.  What
 * a title is said as, the JSGF rules they add, the dictionary, which words
 * can be said, and the way back from a recognized word string.
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

#include <cmocka.h>

#include "models/grammar.h"
#include "models/speech.h"
#include "tests/unit/repo_catalogue.h"

struct fx {
	struct catalogue *c;
	struct grammar_extra *x;
};

static const char *
cmudict_path(void)
{
	static struct speech_config cfg;

	speech_default_config(&cfg);
	return cfg.cmudict;
}

/* The bundled briefing folder's documents (ui-bridge/briefing) and "voice
 * call", as daemon/conference.c makes them. */
static int
setup(void **state)
{
	static const char *docs[][2] = {
		{ "2026-budget-report.pdf", "2026 budget report" },
		{ "air-quality-report.pdf", "air quality report" },
		{ "city-briefing.pdf", "city briefing" },
	};
	struct fx *f = calloc(1, sizeof *f);
	char said[256];

	if ((f->c = repo_catalogue()) == NULL)
		return -1;
	f->x = grammar_extra_new();
	if (grammar_extra_add(f->x, "voice-call", "voice call", NULL, 0, "voice call") < 0)
		return -1;
	for (size_t i = 0; i < 3; i++) {
		if (grammar_title_spoken(docs[i][1], said, sizeof said) < 0 ||
		    grammar_extra_add(f->x, "tv-open", docs[i][1], docs[i][0], 1, said) < 0)
			return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	grammar_extra_free(f->x);
	catalogue_free(f->c);
	free(f);
	return 0;
}

static void
test_title_spoken(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(grammar_title_spoken("2026 budget report", out, sizeof out), 0);
	assert_string_equal(out, "budget report");
	assert_int_equal(grammar_title_spoken("city briefing", out, sizeof out), 0);
	assert_string_equal(out, "city briefing");
	assert_int_equal(grammar_title_spoken("q3 report 2026", out, sizeof out), 0);
	assert_string_equal(out, "q3 report");        /* only words of digits go */
	assert_int_equal(grammar_title_spoken("2026 01", out, sizeof out), -1);
	assert_int_equal(grammar_title_spoken("", out, sizeof out), -1);
	/* too long for the buffer: refused, not cut into another title */
	assert_int_equal(grammar_title_spoken("budget report", out, 8), -1);
}

static void
test_add_refuses(void **state)
{
	struct grammar_extra *x = grammar_extra_new();

	(void)state;
	assert_int_equal(grammar_extra_add(x, "tv-open", "t", "a.pdf", 1, ""), -1);
	assert_int_equal(grammar_extra_add(x, "tv-open", "t", "a.pdf", 1, "Budget report"), -1);
	assert_int_equal(grammar_extra_add(x, "tv-open", "t", "a.pdf", 1, "budget  report"), -1);
	assert_int_equal(grammar_extra_add(x, "tv-open", "t", "a.pdf", 1, " budget"), -1);
	assert_int_equal(grammar_extra_add(x, "tv-open", "t", "a.pdf", 1, "budget;"), -1);
	assert_int_equal(x->n, 0);
	grammar_extra_free(x);
}

/* The body of rule `name` ("<title>") up to its ';' (malloc'd), or NULL. */
static char *
rule_body(const char *jsgf, const char *name)
{
	char head[64];
	const char *p, *end;

	snprintf(head, sizeof head, "\n%s = ", name);
	if ((p = strstr(jsgf, head)) == NULL || (end = strchr(p, ';')) == NULL)
		return NULL;
	p += strlen(head);
	return strndup(p, (size_t)(end - p));
}

/* Is w one of the " | "-separated alternatives of body? */
static int
alternative(const char *body, const char *w)
{
	size_t n = strlen(w);

	for (const char *p = body; (p = strstr(p, w)) != NULL; p++)
		if ((p == body || (p - body >= 2 && p[-1] == ' ' && p[-2] == '|')) &&
		    (p[n] == '\0' || strncmp(p + n, " |", 2) == 0))
			return 1;
	return 0;
}

static void
test_jsgf(void **state)
{
	struct fx *f = *state;
	char *g = grammar_command_jsgf_x(f->c, f->x), *plain = grammar_command_jsgf(f->c);
	char *garbage = grammar_garbage_jsgf_x(f->c, f->x), *garbage0 = grammar_garbage_jsgf(f->c);
	char *cmd = rule_body(g, "<command>"), *doc = rule_body(g, "<document>"), *title = rule_body(g, "<title>");
	char *target = rule_body(g, "<target>"), *filler = rule_body(g, "<filler>");
	char *gfill = rule_body(garbage, "<filler>"), *gfill0 = rule_body(garbage0, "<filler>");

	assert_non_null(cmd);
	assert_non_null(doc);
	assert_non_null(title);
	assert_string_equal(cmd, "[<before>] <target> [<after>] | <document>");
	assert_string_equal(doc, "(open | show) [the] <title>");
	assert_string_equal(title, "budget report | air quality report | city briefing");
	/* "voice call" is a target: the catalogue's carriers go around it */
	assert_true(alternative(target, "voice call"));
	assert_true(alternative(target, "air quality"));
	assert_false(alternative(target, "budget report"));
	/* Words the titles use are no longer fillers ("report", "city"):
	 * garbage must not explain a title better than the title does. */
	assert_false(alternative(filler, "report"));
	assert_false(alternative(gfill, "report"));
	assert_true(alternative(gfill0, "report"));
	assert_false(alternative(gfill, "city"));
	assert_true(alternative(gfill, "hello"));
	/* Without phrases the grammar is what it was. */
	assert_null(strstr(plain, "<document>"));
	assert_null(strstr(plain, "voice call"));
	{
		char *x0 = grammar_command_jsgf_x(f->c, NULL);
		assert_string_equal(x0, plain);
		free(x0);
	}
	free(g);
	free(plain);
	free(garbage);
	free(garbage0);
	free(cmd);
	free(doc);
	free(title);
	free(target);
	free(filler);
	free(gfill);
	free(gfill0);
}

static void
test_match(void **state)
{
	struct fx *f = *state;
	static const struct { const char *hyp, *id, *tag; } ok[] = {
		{ "open the budget report", "tv-open", "2026-budget-report.pdf" },
		{ "open budget report", "tv-open", "2026-budget-report.pdf" },
		{ "show the air quality report", "tv-open", "air-quality-report.pdf" },
		{ "show city briefing", "tv-open", "city-briefing.pdf" },
		{ "uh open the city briefing", "tv-open", "city-briefing.pdf" },   /* one filler may lead */
		{ "voice call", "voice-call", NULL },
		{ "show me voice call please", "voice-call", NULL },          /* the carriers */
		/* the catalogue's phrases are unchanged beside them */
		{ "open the budget", "finances", NULL },
		{ "show the air quality", "air-quality", NULL },
		{ "video call", "video-conference", NULL },
	};
	static const char *none[] = {
		"budget report",               /* a title needs its verb */
		"open the the budget report",
		"open the budget report please",
		"open the report",             /* a part of a title is not the title */
		"open the 2026 budget report", /* as said: the year is not in it */
		"open",
		"open the",
		"voice",
		"call",
		"uh uh open the budget report", /* only one filler */
	};

	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		const struct catalogue_entry *e = grammar_match_x(f->c, f->x, ok[i].hyp);
		if (e == NULL || strcmp(e->id, ok[i].id) != 0)
			fail_msg("\"%s\" -> %s, want %s", ok[i].hyp, e ? e->id : "nothing", ok[i].id);
		if (ok[i].tag != NULL && (e->detail == NULL || strcmp(e->detail, ok[i].tag) != 0))
			fail_msg("\"%s\" -> document %s, want %s", ok[i].hyp, e->detail ? e->detail : "none", ok[i].tag);
	}
	for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
		const struct catalogue_entry *e = grammar_match_x(f->c, f->x, none[i]);
		if (e != NULL)
			fail_msg("\"%s\" matched %s (%s)", none[i], e->id, e->detail ? e->detail : "");
	}
	/* Without the phrases none of them is a command. */
	assert_null(grammar_match(f->c, "open the budget report"));
	assert_null(grammar_match(f->c, "voice call"));
	assert_null(grammar_match_x(f->c, f->x, NULL));
}

static int
dict_lines(const char *dict, const char *w)
{
	size_t n = strlen(w);
	int count = 0;

	for (const char *p = dict; p != NULL && *p; ) {
		const char *eol = strchr(p, '\n');
		if (strncmp(p, w, n) == 0 && (p[n] == ' ' || p[n] == '('))
			count++;
		p = eol ? eol + 1 : NULL;
	}
	return count;
}

static void
test_dict(void **state)
{
	struct fx *f = *state;
	char *buf = NULL, *buf0 = NULL, err[1024] = "unset";
	size_t len = 0, len0 = 0;
	FILE *out = open_memstream(&buf, &len), *out0 = open_memstream(&buf0, &len0);

	assert_int_equal(grammar_write_dict_x(f->c, f->x, cmudict_path(), out, err, sizeof err), 0);
	assert_string_equal(err, "");
	assert_int_equal(grammar_write_dict(f->c, cmudict_path(), out0, err, sizeof err), 0);
	fclose(out);
	fclose(out0);
	for (size_t i = 0; i < f->x->nwords; i++)
		if (dict_lines(buf, f->x->words[i]) < 1)
			fail_msg("\"%s\" has no line in the dictionary", f->x->words[i]);
	/* "report" was a filler and is a title word now: written once
	 * (its CMU variants), not twice. */
	assert_int_equal(dict_lines(buf, "report"), dict_lines(buf0, "report"));
	assert_int_equal(dict_lines(buf, "voice"), 1);
	assert_int_equal(dict_lines(buf0, "voice"), 0);
	assert_int_equal(dict_lines(buf, "the"), dict_lines(buf0, "the"));
	free(buf);
	free(buf0);
}

static void
test_known_words(void **state)
{
	struct fx *f = *state;
	const char *w[] = { "budget", "briefing", "arisu", "ttareungyi", "q3" };
	unsigned char known[5];
	char err[512] = "";

	assert_int_equal(grammar_known_words(f->c, cmudict_path(), w, 5, known, err, sizeof err), 0);
	assert_int_equal(known[0], 1);
	assert_int_equal(known[1], 1);
	assert_int_equal(known[2], 0);       /* no pronunciation: that title is unspeakable */
	assert_int_equal(known[3], 1);       /* the catalogue's own pronunciation */
	assert_int_equal(known[4], 0);
	assert_int_equal(grammar_known_words(f->c, "/nonexistent/dict", w, 5, known, err, sizeof err), -1);
	assert_non_null(strstr(err, "/nonexistent/dict"));
	assert_int_equal(known[0], 0);
}

static void
test_same_and_refs(void **state)
{
	struct fx *f = *state;
	struct grammar_extra *a = grammar_extra_new(), *b = grammar_extra_new();

	assert_true(grammar_extra_same(NULL, NULL));
	assert_true(grammar_extra_same(a, NULL));            /* empty is none */
	assert_false(grammar_extra_same(f->x, NULL));
	grammar_extra_add(a, "tv-open", "city briefing", "city-briefing.pdf", 1, "city briefing");
	grammar_extra_add(b, "tv-open", "city briefing", "city-briefing-2.pdf", 1, "city briefing");
	assert_false(grammar_extra_same(a, b));              /* another file */
	assert_true(grammar_extra_same(a, a));
	/* a reference keeps it after the maker's is gone */
	assert_ptr_equal(grammar_extra_ref(a), a);
	grammar_extra_free(a);
	assert_string_equal(a->p[0].e.say[0], "city briefing");
	grammar_extra_free(a);
	grammar_extra_free(b);
	grammar_extra_free(NULL);
	assert_null(grammar_extra_ref(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_title_spoken),
		cmocka_unit_test(test_add_refuses),
		cmocka_unit_test(test_jsgf),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_dict),
		cmocka_unit_test(test_known_words),
		cmocka_unit_test(test_same_and_refs),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
