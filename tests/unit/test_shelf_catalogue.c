/*
 * test_shelf_catalogue — the "books" section of the catalogue
 * (models/catalogue.c): the shipped catalogue's books, found by marker;
 * every mistake reported at its line (a marker used twice, out of the
 * dictionary, an unknown screen, a control as content, a bad document, a
 * public book that shows something private, both or neither of content
 * and document, a missing title), all at once; a catalogue without books
 * is fine; a reload sees a changed book.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tests/unit/testutil.h"

#include "models/catalogue.h"

#define HEAD "{ \"version\": 1, \"wake\": { \"phrase\": \"hey seoul\" },\n" \
	"  \"content\": [\n" \
	"    { \"id\": \"main\", \"en\": \"Main\", \"ko\": \"메인\", \"privacy\": \"public\", \"say\": [\"main page\"] },\n" \
	"    { \"id\": \"secret\", \"en\": \"Secret\", \"ko\": \"비밀\", \"privacy\": \"private\", \"say\": [\"secret\"] }\n" \
	"  ],\n" \
	"  \"controls\": [ { \"id\": \"next\", \"en\": \"Next\", \"say\": [\"next\"] } ],\n"

static void
test_shipped(void **state)
{
	char err[4096];
	const struct catalogue *c;
	const struct catalogue_book *b;
	int priv = 0;

	(void)state;
	c = catalogue_load("models/catalogue.json", err, sizeof err);
	if (c == NULL)
		fail_msg("%s", err);
	assert_int_equal(c->nbooks, 16);
	for (int m = 0; m < 16; m++) {
		assert_non_null(b = catalogue_book_by_marker(c, m));
		assert_int_equal(b->marker, m);
		assert_true(b->en[0] && b->ko[0]);
		assert_true((b->content != NULL) != (b->document != NULL));
		if (b->content != NULL)
			assert_non_null(catalogue_find(c, b->content));
		priv += b->privacy == CAT_PRIVATE;
	}
	assert_null(catalogue_book_by_marker(c, 16));
	assert_null(catalogue_book_by_marker(c, 40));
	assert_int_equal(priv, 3);
	b = catalogue_book_by_marker(c, 13);
	assert_string_equal(b->id, "approval-ledger");
	assert_string_equal(b->content, "approval-documents");
	b = catalogue_book_by_marker(c, 4);
	assert_string_equal(b->document, "private/2026-budget-plan.pdf");
	catalogue_free(c);
}

static void
test_errors(void **state)
{
	char err[8192], want[256];
	const struct catalogue *c;

	(void)state;
	write_file(tmp_path, HEAD
	    "  \"books\": [\n"
	    "    { \"marker\": 1, \"id\": \"a\", \"en\": \"A\", \"ko\": \"가\", \"content\": \"main\", \"private\": false },\n"
	    "    { \"marker\": 1, \"id\": \"b\", \"en\": \"B\", \"ko\": \"나\", \"content\": \"main\", \"private\": false },\n"
	    "    { \"marker\": 50, \"id\": \"c\", \"en\": \"C\", \"ko\": \"다\", \"content\": \"main\", \"private\": false },\n"
	    "    { \"marker\": 3, \"id\": \"d\", \"en\": \"D\", \"ko\": \"라\", \"content\": \"nowhere\", \"private\": false },\n"
	    "    { \"marker\": 4, \"id\": \"e\", \"en\": \"E\", \"ko\": \"마\", \"content\": \"next\", \"private\": false },\n"
	    "    { \"marker\": 5, \"id\": \"f\", \"en\": \"F\", \"ko\": \"바\", \"document\": \"../etc/passwd.pdf\", \"private\": true },\n"
	    "    { \"marker\": 6, \"id\": \"g\", \"en\": \"G\", \"ko\": \"사\", \"content\": \"secret\", \"private\": false },\n"
	    "    { \"marker\": 7, \"id\": \"h\", \"en\": \"H\", \"ko\": \"아\", \"document\": \"private/x.pdf\", \"private\": false },\n"
	    "    { \"marker\": 8, \"id\": \"i\", \"en\": \"I\", \"ko\": \"자\", \"content\": \"main\", \"document\": \"public/x.pdf\", \"private\": false },\n"
	    "    { \"marker\": 9, \"id\": \"j\", \"en\": \"J\", \"content\": \"main\", \"private\": \"no\" },\n"
	    "    { \"marker\": 10, \"id\": \"a\", \"en\": \"A2\", \"ko\": \"차\", \"content\": \"main\", \"private\": false }\n"
	    "  ]\n}\n");
	assert_null(c = catalogue_load(tmp_path, err, sizeof err));
	print_message("%s", err);
	struct { int line; const char *what; } cases[] = {
		{ 9, "books[1] b: marker 1 is also on the spine of \"a\"" },
		{ 10, "books[2] c: \"marker\" must be an ArUco id 0..49" },
		{ 11, "books[3] d: \"content\": unknown screen \"nowhere\"" },
		{ 12, "books[4] e: \"content\": a control, not a screen: \"next\"" },
		{ 13, "books[5] f: \"document\" must be public/NAME.pdf or private/NAME.pdf" },
		{ 14, "books[6] g: shows the private screen \"secret\" and must be \"private\": true" },
		{ 15, "books[7] h: shows the private document \"private/x.pdf\"" },
		{ 16, "books[8] i: needs one of \"content\"" },
		{ 17, "books[9] j: missing \"ko\" title" },
		{ 17, "books[9] j: \"private\" must be true or false" },
		{ 18, "books[10] a: duplicate book id \"a\"" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(want, sizeof want, "%s:%d: %s", tmp_path, cases[i].line, cases[i].what);
		if (strstr(err, want) == NULL)
			fail_msg("missing \"%s\" in:\n%s", want, err);
	}
	/* "books" must be an array. */
	write_file(tmp_path, HEAD "  \"books\": { \"marker\": 1 }\n}\n");
	assert_null(c = catalogue_load(tmp_path, err, sizeof err));
	assert_non_null(strstr(err, "\"books\" must be an array"));
}

static void
test_no_books_and_reload(void **state)
{
	char err[4096];
	const struct catalogue *a, *b;

	(void)state;
	write_file(tmp_path, HEAD "  \"carriers\": { \"before\": [\"show\"] }\n}\n");
	if ((a = catalogue_load(tmp_path, err, sizeof err)) == NULL)
		fail_msg("%s", err);
	assert_int_equal(a->nbooks, 0);
	assert_null(catalogue_book_by_marker(a, 0));
	write_file(tmp_path, HEAD "  \"books\": [ { \"marker\": 2, \"id\": \"x\", \"en\": \"X\", \"ko\": \"엑스\", "
	    "\"document\": \"public/x.pdf\", \"private\": false } ]\n}\n");
	if ((b = catalogue_load(tmp_path, err, sizeof err)) == NULL)
		fail_msg("%s", err);
	assert_int_equal(b->nbooks, 1);
	assert_false(catalogue_same(a, b));
	assert_string_equal(catalogue_book_by_marker(b, 2)->document, "public/x.pdf");
	catalogue_free(a);
	catalogue_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped),
		cmocka_unit_test_setup_teardown(test_errors, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_no_books_and_reload, setup_tmp, teardown_tmp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
