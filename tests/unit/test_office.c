/*
 * test_office — office.json (models/office.c): the shipped example; every
 * mistake reported at its entry's line, all at once (a missing or bad id,
 * a second room with an id, a room without a URL or with an http: one, a
 * department nobody can call, a tel: video URI, a voice URI with a space,
 * an unknown member, a bad context, a tv_room that is no room); a syntax
 * error at jansson's line; the URI rules; look-ups by id and context.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "models/office.h"

static struct office *
parse(const char *text, char *err, size_t errlen)
{
	return office_parse(text, strlen(text), "office.json", err, errlen);
}

static void
test_shipped(void **state)
{
	char err[4096];
	struct office *o = office_load("models/office.json", err, sizeof err);
	const struct office_department *dp;

	(void)state;
	if (o == NULL)
		fail_msg("%s", err);
	assert_int_equal(o->nrooms, 3);
	assert_int_equal(o->ndepts, 3);
	assert_string_equal(o->tv_room, "briefing-room");
	assert_non_null(office_room(o, "mayor-room"));
	assert_string_equal(office_room(o, "mayor-room")->ko, "시장실 회의");
	assert_null(office_room(o, "nowhere"));
	dp = office_department_for(o, "disaster-safety");
	assert_non_null(dp);
	assert_string_equal(dp->id, "disaster-response");
	assert_string_equal(dp->voice, "tel:+82-2-120");
	assert_string_equal(office_department_for(o, "city-projects")->id, "urban-planning");
	assert_null(office_department(o, "transport")->video);
	assert_null(office_department_for(o, "air-quality"));
	office_free(o);
}

static void
test_missing_file(void **state)
{
	char err[512];

	(void)state;
	assert_null(office_load("/nonexistent/office.json", err, sizeof err));
	assert_string_equal(err, "/nonexistent/office.json: cannot open the office file\n");
}

static void
test_syntax(void **state)
{
	char err[512];

	(void)state;
	assert_null(parse("{\n  \"rooms\": [\n    { \"id\": \"a\", }\n  ]\n}\n", err, sizeof err));
	assert_non_null(strstr(err, "office.json:3: "));
	assert_null(parse("[1, 2]", err, sizeof err));
	assert_non_null(strstr(err, "office.json:1: must be an object"));
	assert_null(parse("{}", err, sizeof err));
	assert_non_null(strstr(err, "needs \"rooms\" or \"departments\""));
}

/* Every mistake at its own line, in one pass. */
static void
test_every_error(void **state)
{
	static const char text[] =
	    "{\n"                                                                        /* 1 */
	    "  \"version\": 1,\n"                                                        /* 2 */
	    "  \"rooms\": [\n"                                                           /* 3 */
	    "    { \"id\": \"good\", \"ko\": \"회의\", \"en\": \"Good\", \"url\": \"https://meet.example.org/good\" },\n" /* 4 */
	    "    { \"id\": \"good\", \"ko\": \"회의\", \"en\": \"Again\", \"url\": \"https://meet.example.org/x\" },\n" /* 5 */
	    "    { \"id\": \"no-url\", \"ko\": \"회의\", \"en\": \"No URL\" },\n"    /* 6 */
	    "    { \"id\": \"plain\", \"ko\": \"회의\", \"en\": \"Plain\", \"url\": \"http://meet.example.org/p\" },\n" /* 7 */
	    "    { \"id\": \"Bad Id\", \"ko\": \"회의\", \"en\": \"B\", \"url\": \"https://x.org/\" },\n" /* 8 */
	    "    { \"id\": \"typo\", \"ko\": \"회의\", \"en\": \"T\", \"url\": \"https://x.org/\", \"ulr\": 1 }\n" /* 9 */
	    "  ],\n"                                                                     /* 10 */
	    "  \"departments\": [\n"                                                     /* 11 */
	    "    { \"id\": \"mute\", \"ko\": \"부서\", \"en\": \"Mute\" },\n"           /* 12 */
	    "    { \"id\": \"telvid\", \"ko\": \"부서\", \"en\": \"T\", \"video\": \"tel:120\" },\n" /* 13 */
	    "    { \"id\": \"space\", \"ko\": \"부서\", \"en\": \"S\", \"voice\": \"sip:a b@pbx.org\" },\n" /* 14 */
	    "    { \"id\": \"ctx\", \"ko\": \"부서\", \"en\": \"C\", \"voice\": \"tel:120\", \"contexts\": [\"Disaster\"] },\n" /* 15 */
	    "    { \"id\": \"fine\", \"ko\": \"부서\", \"en\": \"F\", \"voice\": \"sips:desk@pbx.example.org\" }\n" /* 16 */
	    "  ],\n"                                                                     /* 17 */
	    "  \"tv_room\": \"nowhere\"\n"                                               /* 18 */
	    "}\n";
	static const char *want[] = {
	    "office.json:5: rooms \"good\": a second room with this id",
	    "office.json:6: rooms \"no-url\": \"url\" is missing",
	    "office.json:7: rooms \"plain\": \"url\" must be an https:// link",
	    "office.json:7: rooms[4]: \"id\" must be 1-63 characters",   /* at the last entry found */
	    "office.json:9: rooms \"typo\": unknown member \"ulr\"",
	    "office.json:12: departments \"mute\": needs \"video\" or \"voice\"",
	    "office.json:13: departments \"telvid\": \"video\" must be an https:// link or a sip:",
	    "office.json:14: departments \"space\": \"voice\" must be a tel: number",
	    "office.json:15: departments \"ctx\": contexts[0] must be a content id",
	    "office.json:18: \"tv_room\": no room \"nowhere\" in \"rooms\"",
	};
	char err[8192];

	(void)state;
	assert_null(parse(text, err, sizeof err));
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		if (strstr(err, want[i]) == NULL)
			fail_msg("missing \"%s\" in:\n%s", want[i], err);
	/* The good entries are not reported. */
	assert_null(strstr(err, "\"fine\""));
	assert_null(strstr(err, ":4: "));
}

static void
test_uris(void **state)
{
	(void)state;
	assert_true(office_uri_ok("https://meet.jit.si/room", "room"));
	assert_false(office_uri_ok("https://", "room"));
	assert_false(office_uri_ok("https://user@host/x", "room"));
	assert_false(office_uri_ok("sip:a@b", "room"));
	assert_false(office_uri_ok("javascript:alert(1)", "video"));
	assert_false(office_uri_ok("https://x.org/a\"onload=1", "video"));
	assert_true(office_uri_ok("sip:desk@pbx.org", "video"));
	assert_false(office_uri_ok("sip:@pbx.org", "video"));
	assert_false(office_uri_ok("sip:desk", "voice"));
	assert_true(office_uri_ok("tel:+82-2-120", "voice"));
	assert_false(office_uri_ok("tel:+82-2-120", "video"));
	assert_false(office_uri_ok("tel:abc", "voice"));
	assert_false(office_uri_ok("tel:", "voice"));
	assert_false(office_uri_ok(NULL, "voice"));
}

/* A file with only departments, and one with only rooms, are fine. */
static void
test_partial(void **state)
{
	char err[1024];
	struct office *o;

	(void)state;
	o = parse("{ \"departments\": [ { \"id\": \"d\", \"ko\": \"부서\", \"en\": \"D\", "
	    "\"voice\": \"tel:120\" } ] }", err, sizeof err);
	if (o == NULL)
		fail_msg("%s", err);
	assert_int_equal(o->nrooms, 0);
	assert_int_equal(o->ndepts, 1);
	assert_null(o->tv_room);
	office_free(o);
	o = parse("{ \"rooms\": [] }", err, sizeof err);
	assert_non_null(o);
	office_free(o);
	assert_null(parse("{ \"rooms\": {} }", err, sizeof err));
	assert_non_null(strstr(err, "office.json:1: \"rooms\" must be a list"));
	assert_null(parse("{ \"rooms\": [], \"version\": 2 }", err, sizeof err));
	assert_non_null(strstr(err, "\"version\" must be 1"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_every_error),
		cmocka_unit_test(test_uris),
		cmocka_unit_test(test_partial),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
