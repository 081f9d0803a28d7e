/*
 * test_catalogue — loading and checking the content catalogue
 * (models/catalogue.c): the committed models/catalogue.json, and broken
 * catalogues written to temporary files, each of which must be refused with
 * "file:line: what is wrong" pointing at the right line.
 *
 * Run from the repository root (tests/run-unit does).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/testutil.h"

#include "models/catalogue.h"

#define CATALOGUE "models/catalogue.json"

/* A small valid catalogue; the tests below break one line of it at a time.
 * The line numbers in the comments are the ones the errors must name. */
static const char base[] =
    "{\n"                                                                      /*  1 */
    "  \"version\": 1,\n"                                                      /*  2 */
    "  \"wake\": { \"phrase\": \"hey seoul\" },\n"                             /*  3 */
    "  \"pronunciations\": {\n"                                                /*  4 */
    "    \"seoul\": \"S OW L\"\n"                                              /*  5 */
    "  },\n"                                                                   /*  6 */
    "  \"content\": [\n"                                                       /*  7 */
    "    { \"id\": \"main\", \"en\": \"Main page\", \"ko\": \"메인\", \"privacy\": \"public\",\n" /*  8 */
    "      \"say\": [\"main page\", \"home\"] },\n"                            /*  9 */
    "    { \"id\": \"air-quality\", \"en\": \"Air quality\", \"ko\": \"대기\", \"privacy\": \"public\",\n" /* 10 */
    "      \"say\": [\"air quality\", \"weather\"] },\n"                       /* 11 */
    "    { \"id\": \"approval-documents\", \"en\": \"Documents\", \"ko\": \"결재\", \"privacy\": \"private\",\n" /* 12 */
    "      \"say\": [\"documents\"] }\n"                                       /* 13 */
    "  ],\n"                                                                   /* 14 */
    "  \"controls\": [\n"                                                      /* 15 */
    "    { \"id\": \"next\", \"en\": \"Next\", \"say\": [\"next\"] }\n"        /* 16 */
    "  ],\n"                                                                   /* 17 */
    "  \"carriers\": { \"before\": [\"show me\"], \"after\": [\"please\"] }\n" /* 18 */
    "}\n";                                                                     /* 19 */

/* base with each (from, to) pair replaced once; from must occur in base. */
static char *
edit(const char *text, int npairs, ...)
{
	char *s = strdup(text);
	va_list ap;

	va_start(ap, npairs);
	for (int i = 0; i < npairs; i++) {
		const char *from = va_arg(ap, const char *), *to = va_arg(ap, const char *);
		char *hit = strstr(s, from), *n;
		if (hit == NULL)
			fail_msg("test bug: \"%s\" is not in the catalogue text", from);
		n = malloc(strlen(s) - strlen(from) + strlen(to) + 1);
		memcpy(n, s, (size_t)(hit - s));
		strcpy(n + (hit - s), to);
		strcat(n, hit + strlen(from));
		free(s);
		s = n;
	}
	va_end(ap);
	return s;
}

/* Loads text, expects refusal; err (out) holds the messages. */
static void
expect_refused(const char *text, char *err, size_t errlen)
{
	struct catalogue *c;

	write_file(tmp_path, text);
	c = catalogue_load(tmp_path, err, errlen);
	if (c != NULL) {
		catalogue_free(c);
		fail_msg("a broken catalogue was accepted:\n%s", text);
	}
	assert_true(strlen(err) > 0);
}

/* ------------------------------------------------------------------ */

static const struct {
	const char *id;
	enum catalogue_privacy privacy;
} content_table[] = {
	{ "main", CAT_PUBLIC }, { "disaster-safety", CAT_PUBLIC }, { "transportation", CAT_PUBLIC },
	{ "air-quality", CAT_PUBLIC }, { "prices", CAT_PUBLIC }, { "finances", CAT_PUBLIC },
	{ "waterworks", CAT_PUBLIC }, { "trails-parks", CAT_PUBLIC }, { "living-population", CAT_PUBLIC },
	{ "city-data", CAT_PUBLIC }, { "night-bus", CAT_PUBLIC }, { "market-analysis", CAT_PUBLIC },
	{ "bike-stations", CAT_PUBLIC }, { "disabled-taxi", CAT_PUBLIC }, { "fire-resources", CAT_PUBLIC },
	{ "public-opinion", CAT_PUBLIC }, { "civic-indices", CAT_PUBLIC }, { "city-projects", CAT_PUBLIC },
	{ "civic-content", CAT_PUBLIC }, { "pledge-map", CAT_PUBLIC },
	{ "international-cooperation", CAT_PUBLIC }, { "approval-documents", CAT_PRIVATE },
	{ "digital-archive", CAT_PUBLIC }, { "seoul-profile", CAT_PUBLIC }, { "cctv", CAT_PUBLIC },
	{ "video-conference", CAT_PRIVATE },
};

static const char *const controls_table[] = {
	"next", "previous", "back", "zoom-in", "zoom-out", "scroll-up", "scroll-down", "stop",
	"private-mode", "public-mode",
};

#define NCONTENT  (sizeof content_table / sizeof content_table[0])
#define NCONTROLS (sizeof controls_table / sizeof controls_table[0])

static struct catalogue *
load_real(void)
{
	char err[4096] = "";
	struct catalogue *c = catalogue_load(CATALOGUE, err, sizeof err);

	if (c == NULL)
		fail_msg("%s refused (run from the repository root):\n%s", CATALOGUE, err);
	assert_string_equal(err, "");
	return c;
}

static void
test_real_catalogue_content(void **state)
{
	struct catalogue *c = load_real();

	assert_string_equal(c->wake, "hey seoul");
	assert_int_equal(c->ncontent, NCONTENT);
	assert_int_equal(c->nentries, NCONTENT + NCONTROLS);
	for (size_t i = 0; i < NCONTENT; i++) {
		const struct catalogue_entry *e = catalogue_find(c, content_table[i].id);
		if (e == NULL)
			fail_msg("content \"%s\" is missing", content_table[i].id);
		assert_string_equal(e->id, content_table[i].id);
		assert_false(e->is_control);
		/* Content comes first in entries. */
		assert_true((size_t)(e - c->entries) < c->ncontent);
		if (e->privacy != content_table[i].privacy)
			fail_msg("\"%s\" should be %s", e->id,
			    content_table[i].privacy == CAT_PRIVATE ? "private" : "public");
		assert_non_null(e->en);
		assert_non_null(e->ko);
		assert_true(e->nsay > 0);
	}
	for (size_t i = 0; i < NCONTROLS; i++) {
		const struct catalogue_entry *e = catalogue_find(c, controls_table[i]);
		if (e == NULL)
			fail_msg("control \"%s\" is missing", controls_table[i]);
		assert_true(e->is_control);
		assert_true((size_t)(e - c->entries) >= c->ncontent);
		assert_null(e->ko);
		assert_true(e->nsay > 0);
	}
	assert_string_equal(catalogue_find(c, "air-quality")->en, "Air quality");
	assert_null(catalogue_find(c, "nonexistent"));
	assert_null(catalogue_find(c, ""));
	catalogue_free(c);
}

static void
test_real_catalogue_phrases_and_prons(void **state)
{
	struct catalogue *c = load_real();
	const struct catalogue_entry *e = catalogue_find(c, "air-quality");
	int found = 0;

	for (size_t j = 0; j < e->nsay; j++)
		found += strcmp(e->say[j], "air quality") == 0;
	assert_int_equal(found, 1);
	/* Every phrase is normalized: lower case, single spaces, no ends. */
	for (size_t i = 0; i < c->nentries; i++)
		for (size_t j = 0; j < c->entries[i].nsay; j++) {
			const char *p = c->entries[i].say[j];
			assert_true(*p != '\0' && *p != ' ' && p[strlen(p) - 1] != ' ');
			assert_null(strstr(p, "  "));
			for (; *p; p++)
				assert_true((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
				    *p == ' ' || *p == '\'');
		}
	assert_int_equal(c->nprons, 9);
	found = 0;
	for (size_t i = 0; i < c->nprons; i++)
		if (strcmp(c->prons[i].word, "ttareungyi") == 0) {
			assert_string_equal(c->prons[i].phones, "T AA R AH NG IY");
			found++;
		}
	assert_int_equal(found, 1);
	assert_true(c->nbefore > 0 && c->nafter > 0);
	catalogue_free(c);
}

static int
has_word(const struct catalogue *c, const char *w, size_t len)
{
	int n = 0;

	for (size_t i = 0; i < c->nwords; i++)
		n += strlen(c->words[i]) == len && strncmp(c->words[i], w, len) == 0;
	return n;
}

static void
check_phrase_words(const struct catalogue *c, const char *phrase)
{
	const char *p = phrase;

	while (*p) {
		size_t len = strcspn(p, " ");
		if (has_word(c, p, len) != 1)
			fail_msg("word \"%.*s\" of \"%s\" is in words %d times", (int)len, p, phrase,
			    has_word(c, p, len));
		p += len;
		while (*p == ' ')
			p++;
	}
}

static void
test_words_distinct_and_complete(void **state)
{
	struct catalogue *c = load_real();

	assert_true(c->nwords > 50);
	for (size_t i = 0; i < c->nwords; i++) {
		assert_non_null(c->words[i]);
		assert_true(c->words[i][0] != '\0');
		assert_null(strchr(c->words[i], ' '));
		for (size_t j = i + 1; j < c->nwords; j++)
			if (strcmp(c->words[i], c->words[j]) == 0)
				fail_msg("word \"%s\" is listed twice (%zu and %zu)", c->words[i], i, j);
	}
	assert_null(c->words[c->nwords]);
	check_phrase_words(c, c->wake);
	for (size_t i = 0; i < c->nentries; i++)
		for (size_t j = 0; j < c->entries[i].nsay; j++)
			check_phrase_words(c, c->entries[i].say[j]);
	for (size_t i = 0; i < c->nbefore; i++)
		check_phrase_words(c, c->before[i]);
	for (size_t i = 0; i < c->nafter; i++)
		check_phrase_words(c, c->after[i]);
	catalogue_free(c);
}

/* The base text itself must load: the broken variants differ by one thing. */
static void
test_base_is_valid(void **state)
{
	char err[1024] = "x";
	struct catalogue *c;

	write_file(tmp_path, base);
	c = catalogue_load(tmp_path, err, sizeof err);
	if (c == NULL)
		fail_msg("base catalogue refused:\n%s", err);
	assert_string_equal(err, "");
	assert_int_equal(c->ncontent, 3);
	assert_int_equal(c->nentries, 4);
	assert_int_equal(catalogue_find(c, "approval-documents")->privacy, CAT_PRIVATE);
	catalogue_free(c);
}

static void
test_invalid_json(void **state)
{
	char err[1024];
	char *t = edit(base, 1, "[\"air quality\", \"weather\"]", "[\"air quality\", \"weather\",]");

	expect_refused(t, err, sizeof err);
	expect_error_line(err, tmp_path, 11, "");
	assert_int_equal(count_lines(err), 1);
	free(t);
}

static void
test_duplicate_id(void **state)
{
	char err[1024];
	char *t = edit(base, 1, "\"id\": \"approval-documents\"", "\"id\": \"air-quality\"");

	expect_refused(t, err, sizeof err);
	/* The duplicate is on line 12, not where the id was first used. */
	expect_error_line(err, tmp_path, 12, "duplicate id \"air-quality\"");
	assert_int_equal(count_lines(err), 1);
	free(t);
}

static void
test_bad_privacy(void **state)
{
	char err[1024];
	char *t = edit(base, 1, "\"privacy\": \"private\"", "\"privacy\": \"secret\"");

	expect_refused(t, err, sizeof err);
	expect_error_line(err, tmp_path, 12, "\"privacy\" must be \"public\" or \"private\"");
	assert_int_equal(count_lines(err), 1);
	free(t);
}

static void
test_phrase_with_punctuation(void **state)
{
	char err[1024];
	char *t = edit(base, 1, "\"weather\"]", "\"weather!\"]");

	expect_refused(t, err, sizeof err);
	expect_error_line(err, tmp_path, 11, "air-quality: phrase 2 must be words");
	assert_int_equal(count_lines(err), 1);
	free(t);
}

static void
test_phrase_on_two_entries(void **state)
{
	char err[1024];
	char *t = edit(base, 1, "[\"documents\"]", "[\"documents\", \"weather\"]");

	expect_refused(t, err, sizeof err);
	/* Named where the phrase is used the second time. */
	expect_error_line(err, tmp_path, 13, "phrase \"weather\" is used by both \"air-quality\" and \"approval-documents\"");
	assert_int_equal(count_lines(err), 1);
	free(t);
}

static void
test_missing_main(void **state)
{
	char err[1024];
	char *t = edit(base, 1, "\"id\": \"main\"", "\"id\": \"home-page\"");

	expect_refused(t, err, sizeof err);
	/* Reported at the "content" array that lacks it. */
	expect_error_line(err, tmp_path, 7, "content must have an entry with id \"main\"");
	assert_int_equal(count_lines(err), 1);
	free(t);
}

static void
test_lower_case_phones(void **state)
{
	char err[1024];
	char *t = edit(base, 1, "\"seoul\": \"S OW L\"", "\"seoul\": \"s ow l\"");

	expect_refused(t, err, sizeof err);
	/* Line 5, not line 3 where "hey seoul" also has the word. */
	expect_error_line(err, tmp_path, 5, "pronunciation of \"seoul\": need one word and upper-case phones");
	assert_int_equal(count_lines(err), 1);
	free(t);
}

static void
test_missing_file(void **state)
{
	char err[1024] = "";
	const char *path = "/nonexistent/dir/catalogue.json";

	assert_null(catalogue_load(path, err, sizeof err));
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "cannot read the catalogue"));
}

static void
test_several_errors_at_once(void **state)
{
	char err[2048];
	char *t = edit(base, 4,
	    "\"seoul\": \"S OW L\"", "\"seoul\": \"S ow L\"",
	    "\"weather\"]", "\"weather?\"]",
	    "\"privacy\": \"private\"", "\"privacy\": \"hidden\"",
	    "\"id\": \"next\", \"en\": \"Next\"", "\"id\": \"Next\", \"en\": \"Next\"");

	expect_refused(t, err, sizeof err);
	expect_error_line(err, tmp_path, 5, "pronunciation of \"seoul\"");
	expect_error_line(err, tmp_path, 11, "phrase 2 must be words");
	expect_error_line(err, tmp_path, 12, "\"privacy\" must be");
	expect_error_line(err, tmp_path, 16, "\"id\" must be lower-case");
	assert_int_equal(count_lines(err), 4);
	free(t);
}

/* A small error buffer is filled, never overrun, and stays a string. */
static void
test_error_buffer_bounded(void **state)
{
	char err[40];
	char *t = edit(base, 2, "\"weather\"]", "\"weather?\"]",
	    "\"privacy\": \"private\"", "\"privacy\": \"hidden\"");

	memset(err, 'x', sizeof err);
	write_file(tmp_path, t);
	assert_null(catalogue_load(tmp_path, err, 32));
	assert_true(strlen(err) < 32);
	assert_int_equal(err[32], 'x');
	free(t);
}

/* References: each catalogue_ref is matched by a catalogue_free; the last
 * one frees (valgrind and ASan check that nothing is left or freed twice).
 * Threads take and drop references at once. */
static void *
ref_worker(void *arg)
{
	struct catalogue *c = arg;

	for (int i = 0; i < 100000; i++) {
		catalogue_ref(c);
		catalogue_free(c);
	}
	return NULL;
}

static void
test_refcount(void **state)
{
	char err[4096];
	struct catalogue *c;
	pthread_t th[4];

	write_file(tmp_path, base);
	assert_non_null(c = catalogue_load(tmp_path, err, sizeof err));
	assert_int_equal(catalogue_refs(c), 1);
	assert_ptr_equal(catalogue_ref(c), c);
	catalogue_ref(c);
	assert_int_equal(catalogue_refs(c), 3);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, ref_worker, c), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(catalogue_refs(c), 3);
	catalogue_free(c);
	catalogue_free(c);
	assert_int_equal(catalogue_refs(c), 1);
	assert_string_equal(catalogue_find(c, "main")->en, "Main page");
	catalogue_free(c);
	catalogue_free(NULL);
}

/* The same catalogue loaded twice is the same; any change is not. */
static void
test_same(void **state)
{
	static const char *changes[][2] = {
		{ "\"hey seoul\"", "\"hey seoul please\"" },
		{ "\"S OW L\"", "\"S AO L\"" },
		{ "\"Main page\"", "\"Main\"" },
		{ "\"ko\": \"대기\"", "\"ko\": \"대기질\"" },
		{ "\"privacy\": \"private\"", "\"privacy\": \"public\"" },
		{ "\"home\"]", "\"home\", \"start\"]" },
		{ "[\"please\"]", "[\"now\"]" },
		{ "\"Next\", \"say\": [\"next\"]", "\"Next\", \"say\": [\"next one\"]" },
	};
	char err[4096], *t;
	struct catalogue *a, *b;

	write_file(tmp_path, base);
	assert_non_null(a = catalogue_load(tmp_path, err, sizeof err));
	/* Spacing is not content. */
	t = edit(base, 1, "  \"version\": 1,\n", "  \"version\":   1 ,\n\n");
	write_file(tmp_path, t);
	free(t);
	assert_non_null(b = catalogue_load(tmp_path, err, sizeof err));
	assert_true(catalogue_same(a, b));
	assert_true(catalogue_same(b, a));
	catalogue_free(b);
	for (size_t i = 0; i < sizeof changes / sizeof changes[0]; i++) {
		t = edit(base, 1, changes[i][0], changes[i][1]);
		write_file(tmp_path, t);
		free(t);
		if ((b = catalogue_load(tmp_path, err, sizeof err)) == NULL)
			fail_msg("change %zu: %s", i, err);
		if (catalogue_same(a, b))
			fail_msg("change %zu (%s -> %s) is the same", i, changes[i][0], changes[i][1]);
		catalogue_free(b);
	}
	assert_false(catalogue_same(a, NULL));
	catalogue_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_catalogue_content),
		cmocka_unit_test(test_real_catalogue_phrases_and_prons),
		cmocka_unit_test(test_words_distinct_and_complete),
		cmocka_unit_test_setup_teardown(test_base_is_valid, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_invalid_json, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_duplicate_id, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_bad_privacy, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_phrase_with_punctuation, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_phrase_on_two_entries, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_missing_main, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_lower_case_phones, setup_tmp, teardown_tmp),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test_setup_teardown(test_several_errors_at_once, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_error_buffer_bounded, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_refcount, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_same, setup_tmp, teardown_tmp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
