/*
 * fuzz_protocol — a client's websocket text message (ui-bridge/protocol.c).
 *
 * Invariants: a message refused has a code and a message, and the error
 * reply made from them (with the client's text, which may be any bytes) is
 * JSON; a message accepted dumps to text that is accepted again, with the
 * same type and id.
 */
#include "tests/fuzz/fuzz.h"

#include <jansson.h>

#include "ui-bridge/protocol.h"

/* Text that the server sends must itself be JSON (any value). */
static void
check_json(const char *s)
{
	json_error_t e;
	json_t *j;

	FUZZ_CHECK(s != NULL);
	j = json_loads(s, JSON_DECODE_ANY, &e);
	FUZZ_CHECK(j != NULL);
	json_decref(j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *code = NULL, *code2 = NULL;
	char err[256], err2[256], *s, *text;
	json_t *msg = NULL, *again = NULL;
	json_int_t id = 0, id2 = 0;
	int has_id;

	int r = proto_parse_client((const char *)data, size, &msg, &code, err, sizeof err);

	FUZZ_SAY(r == 0, err);
	if (r < 0) {
		FUZZ_CHECK(msg == NULL && code != NULL);
		FUZZ_CHECK_STR(err);
		s = proto_error(code, err, 0, 0);
		check_json(s);
		free(s);
		/* The bridge quotes what the client sent in some replies. */
		if ((text = malloc(size + 1)) != NULL) {
			memcpy(text, data, size);
			text[size] = '\0';
			s = proto_error(code, text, -1, 1);
			check_json(s);
			free(s);
			free(text);
		}
		return 0;
	}
	FUZZ_CHECK(msg != NULL && json_is_object(msg));
	has_id = proto_get_id(msg, &id);
	s = proto_dump(msg);
	FUZZ_CHECK(s != NULL);
	FUZZ_CHECK(proto_parse_client(s, strlen(s), &again, &code2, err2, sizeof err2) == 0);
	FUZZ_CHECK(strcmp(json_string_value(json_object_get(msg, "type")),
	    json_string_value(json_object_get(again, "type"))) == 0);
	FUZZ_CHECK(proto_get_id(again, &id2) == has_id && id2 == id);
	FUZZ_CHECK(json_equal(msg, again));
	free(s);
	s = proto_pong(id, has_id);
	check_json(s);
	free(s);
	json_decref(again);
	json_decref(msg);
	return 0;
}
