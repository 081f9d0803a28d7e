/*
 * test_protocol — parsing client messages and building server messages
 * (ui-bridge/protocol.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "ui-bridge/protocol.h"

/* Parses s (strlen) and expects failure with code; returns err text. */
static void
expect_fail_n(const char *s, size_t len, const char *code, const char *in_err)
{
	json_t *out = (json_t *)1;
	const char *c = NULL;
	char err[256];

	assert_int_equal(proto_parse_client(s, len, &out, &c, err,
	    sizeof(err)), -1);
	assert_null(out);
	assert_non_null(c);
	assert_string_equal(c, code);
	assert_true(strlen(err) > 0);
	if (in_err != NULL && strstr(err, in_err) == NULL)
		fail_msg("error text \"%s\" lacks \"%s\"", err, in_err);
}

static void
expect_fail(const char *s, const char *code, const char *in_err)
{
	expect_fail_n(s, strlen(s), code, in_err);
}

/* Parses s and expects success; returns the object. */
static json_t *
expect_ok(const char *s)
{
	json_t *out = NULL;
	const char *c = "unset";
	char err[256] = "unset";

	if (proto_parse_client(s, strlen(s), &out, &c, err, sizeof(err)) != 0)
		fail_msg("\"%s\" refused: %s: %s", s, c, err);
	assert_non_null(out);
	assert_null(c);
	assert_string_equal(err, "");
	assert_true(json_is_object(out));
	return out;
}

static void
test_valid(void **state)
{
	json_t *o;
	json_int_t id;

	o = expect_ok("{\"type\":\"ping\"}");
	assert_string_equal(json_string_value(json_object_get(o, "type")),
	    "ping");
	assert_int_equal(proto_get_id(o, &id), 0);
	json_decref(o);

	o = expect_ok(" {\"id\": 12, \"type\" : \"hello\", \"role\":\"display\","
	    "\"name\":\"\xeb\xa1\x9c\xeb\xb9\x84\",\"token\":null} \n");
	assert_int_equal(proto_get_id(o, &id), 1);
	assert_int_equal(id, 12);
	assert_string_equal(json_string_value(json_object_get(o, "name")),
	    "\xeb\xa1\x9c\xeb\xb9\x84");
	json_decref(o);

	o = expect_ok("{\"type\":\"ping\",\"id\":0}");
	assert_int_equal(proto_get_id(o, &id), 1);
	assert_int_equal(id, 0);
	json_decref(o);

	o = expect_ok("{\"type\":\"ping\",\"id\":-9223372036854775808}");
	assert_int_equal(proto_get_id(o, &id), 1);
	assert_true(id == INT64_MIN);
	json_decref(o);

	/* Exactly PROTO_TYPE_MAX bytes of type. */
	o = expect_ok("{\"type\":\"abcdefghijklmnopqrstuvwxyz012345\"}");
	json_decref(o);

	/* Escapes in type are decoded before the length check. */
	o = expect_ok("{\"type\":\"p\\u0069ng\"}");
	assert_string_equal(json_string_value(json_object_get(o, "type")),
	    "ping");
	json_decref(o);

	/* Not NUL-terminated: only len bytes count. */
	{
		const char buf[] = "{\"type\":\"x\"}GARBAGE";
		json_t *out = NULL;

		assert_int_equal(proto_parse_client(buf, 12, &out, NULL, NULL,
		    0), 0);
		json_decref(out);
	}
}

static void
test_invalid_json(void **state)
{
	expect_fail("{", PROTO_E_INVALID_JSON, "position");
	expect_fail("", PROTO_E_INVALID_JSON, NULL);
	expect_fail("{nope", PROTO_E_INVALID_JSON, "line 1");
	expect_fail("{\"type\":\"ping\"} x", PROTO_E_INVALID_JSON, NULL);
	expect_fail("{\"type\":\"ping\",}", PROTO_E_INVALID_JSON, NULL);
	expect_fail("{'type':'ping'}", PROTO_E_INVALID_JSON, NULL);
	expect_fail("{\"type\":\"ping\",\"type\":\"pong\"}",
	    PROTO_E_INVALID_JSON, "duplicate");
	expect_fail("{\"type\":\"\xff\"}", PROTO_E_INVALID_JSON, NULL);
	expect_fail("{\"type\":\"ping\",\"id\":99999999999999999999999}",
	    PROTO_E_INVALID_JSON, NULL);
	expect_fail_n("{\"type\":\"pi\0ng\"}", 15, PROTO_E_INVALID_JSON, NULL);
	/* NULL buffer is empty input, not a crash. */
	expect_fail_n(NULL, 0, PROTO_E_INVALID_JSON, NULL);
}

static void
test_not_an_object(void **state)
{
	expect_fail("[]", PROTO_E_NOT_OBJECT, "object");
	expect_fail("[{\"type\":\"ping\"}]", PROTO_E_NOT_OBJECT, NULL);
	expect_fail("1", PROTO_E_NOT_OBJECT, NULL);
	expect_fail("\"ping\"", PROTO_E_NOT_OBJECT, NULL);
	expect_fail("null", PROTO_E_NOT_OBJECT, NULL);
	expect_fail("true", PROTO_E_NOT_OBJECT, NULL);
}

static void
test_type(void **state)
{
	expect_fail("{}", PROTO_E_MISSING_TYPE, "type");
	expect_fail("{\"id\":1}", PROTO_E_MISSING_TYPE, NULL);
	expect_fail("{\"Type\":\"ping\"}", PROTO_E_MISSING_TYPE, NULL);
	expect_fail("{\"type\":1}", PROTO_E_BAD_TYPE, "string");
	expect_fail("{\"type\":null}", PROTO_E_BAD_TYPE, NULL);
	expect_fail("{\"type\":[\"ping\"]}", PROTO_E_BAD_TYPE, NULL);
	expect_fail("{\"type\":\"\"}", PROTO_E_BAD_TYPE, "32");
	expect_fail("{\"type\":\"abcdefghijklmnopqrstuvwxyz0123456\"}",
	    PROTO_E_BAD_TYPE, NULL);
	/* jansson refuses NUL in strings (no JSON_ALLOW_NUL). */
	expect_fail("{\"type\":\"pi\\u0000ng\"}", PROTO_E_INVALID_JSON, NULL);
}

static void
test_id(void **state)
{
	expect_fail("{\"type\":\"ping\",\"id\":\"1\"}", PROTO_E_BAD_ID,
	    "integer");
	expect_fail("{\"type\":\"ping\",\"id\":1.0}", PROTO_E_BAD_ID, NULL);
	expect_fail("{\"type\":\"ping\",\"id\":1e3}", PROTO_E_BAD_ID, NULL);
	expect_fail("{\"type\":\"ping\",\"id\":null}", PROTO_E_BAD_ID, NULL);
	expect_fail("{\"type\":\"ping\",\"id\":true}", PROTO_E_BAD_ID, NULL);
	expect_fail("{\"type\":\"ping\",\"id\":{}}", PROTO_E_BAD_ID, NULL);
	/* The type is checked first: a message is explained one thing. */
	expect_fail("{\"id\":\"x\"}", PROTO_E_MISSING_TYPE, NULL);
}

static void
test_deep_nesting(void **state)
{
	size_t depth = 200000, i;
	char *s = malloc(2 * depth + 64), *p;
	json_t *o;

	assert_non_null(s);
	/* Far past jansson's depth limit: refused, not a stack overflow. */
	p = s;
	for (i = 0; i < depth; i++)
		*p++ = '[';
	for (i = 0; i < depth; i++)
		*p++ = ']';
	*p = '\0';
	expect_fail(s, PROTO_E_INVALID_JSON, "depth");

	p = s + sprintf(s, "{\"type\":\"x\",\"a\":");
	for (i = 0; i < depth / 10; i++)
		p += sprintf(p, "{\"a\":");
	*p = '\0';
	expect_fail(s, PROTO_E_INVALID_JSON, NULL);

	/* Moderate nesting is fine. */
	p = s + sprintf(s, "{\"type\":\"x\",\"a\":");
	for (i = 0; i < 100; i++)
		*p++ = '[';
	for (i = 0; i < 100; i++)
		*p++ = ']';
	strcpy(p, "}");
	o = expect_ok(s);
	json_decref(o);
	free(s);
}

static void
test_garbage(void **state)
{
	unsigned char buf[256];
	uint32_t x = 0x12345678;
	json_t *out;
	const char *code;
	char err[64];
	int round, i, len, fails = 0;

	/* Random bytes: always a clean refusal with a code. */
	for (round = 0; round < 5000; round++) {
		len = round % (int)sizeof(buf);
		for (i = 0; i < len; i++) {
			x = x * 1103515245u + 12345u;
			buf[i] = (unsigned char)(x >> 16);
		}
		if (round % 3 == 0 && len > 0)
			buf[0] = '{';
		out = (json_t *)1;
		code = NULL;
		if (proto_parse_client((char *)buf, (size_t)len, &out, &code,
		    err, sizeof(err)) == -1) {
			assert_null(out);
			assert_non_null(code);
			assert_true(strlen(err) < sizeof(err));
			fails++;
		} else {
			assert_non_null(out);
			json_decref(out);
		}
	}
	assert_int_equal(fails, 5000);
}

static void
test_err_buffer(void **state)
{
	json_t *out;
	const char *code;
	char err[8];

	memset(err, 'x', sizeof(err));
	assert_int_equal(proto_parse_client("{", 1, &out, &code, err,
	    sizeof(err)), -1);
	assert_int_equal(strlen(err), sizeof(err) - 1);
	/* Without code and err buffers. */
	assert_int_equal(proto_parse_client("[]", 2, &out, NULL, NULL, 0), -1);
	assert_null(out);
}

static void
test_error_message(void **state)
{
	json_t *j;
	char *s;

	s = proto_error(PROTO_E_TOO_LARGE, "at most \"1024\" bytes\n", 5, 1);
	assert_non_null(s);
	/* Compact, type first. */
	assert_non_null(strstr(s, "{\"type\":\"error\","));
	assert_null(strchr(s, '\n'));
	j = json_loads(s, 0, NULL);
	assert_non_null(j);
	assert_int_equal(json_object_size(j), 4);
	assert_string_equal(json_string_value(json_object_get(j, "type")),
	    "error");
	assert_string_equal(json_string_value(json_object_get(j, "code")),
	    "too-large");
	assert_string_equal(json_string_value(json_object_get(j, "message")),
	    "at most \"1024\" bytes\n");
	assert_int_equal(json_integer_value(json_object_get(j, "id")), 5);
	json_decref(j);
	free(s);

	s = proto_error(PROTO_E_INVALID_JSON, NULL, 5, 0);
	assert_string_equal(s,
	    "{\"type\":\"error\",\"code\":\"invalid-json\",\"message\":\"\"}");
	free(s);

	/* Text that is not UTF-8 still makes valid JSON. */
	s = proto_error("x", "bad \xff\xfe byte", 0, 0);
	assert_non_null(s);
	j = json_loads(s, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "message")),
	    "bad ?? byte");
	json_decref(j);
	free(s);

	/* The parse error of a real message goes through unchanged. */
	{
		json_t *out;
		const char *code;
		char err[256];

		assert_int_equal(proto_parse_client("{\"a\":\xc3}", 6, &out,
		    &code, err, sizeof(err)), -1);
		s = proto_error(code, err, 0, 0);
		assert_non_null(s);
		j = json_loads(s, 0, NULL);
		assert_non_null(j);
		assert_string_equal(json_string_value(json_object_get(j,
		    "code")), "invalid-json");
		json_decref(j);
		free(s);
	}
}

static void
test_pong_and_dump(void **state)
{
	json_t *o;
	char *s;

	s = proto_pong(7, 1);
	assert_string_equal(s, "{\"type\":\"pong\",\"id\":7}");
	free(s);
	s = proto_pong(7, 0);
	assert_string_equal(s, "{\"type\":\"pong\"}");
	free(s);

	o = json_pack("{s:s, s:i, s:f, s:{s:s, s:s}}", "type", "navigate",
	    "seq", 3, "t", 1.5, "screen", "en", "Sales", "ko",
	    "\xeb\xa7\xa4\xec\xb6\x9c");
	assert_non_null(o);
	s = proto_dump(o);
	assert_string_equal(s, "{\"type\":\"navigate\",\"seq\":3,\"t\":1.5,"
	    "\"screen\":{\"en\":\"Sales\",\"ko\":\"\xeb\xa7\xa4\xec\xb6\x9c\"}}");
	free(s);
	json_decref(o);

	o = json_integer(4);
	s = proto_dump(o);
	assert_string_equal(s, "4");
	free(s);
	json_decref(o);

	assert_null(proto_dump(NULL));
	assert_int_equal(PROTO_VERSION, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_invalid_json),
		cmocka_unit_test(test_not_an_object),
		cmocka_unit_test(test_type),
		cmocka_unit_test(test_id),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_err_buffer),
		cmocka_unit_test(test_error_message),
		cmocka_unit_test(test_pong_and_dump),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
