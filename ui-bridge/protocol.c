#include "ui-bridge/protocol.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
set_err(const char **code, const char *c, char *err, size_t errlen,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Stores the machine code and the human message of a parse failure. */
static void
set_err(const char **code, const char *c, char *err, size_t errlen,
    const char *fmt, ...)
{
	va_list ap;

	if (code != NULL)
		*code = c;
	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/*
 * Parses and validates one client message; see protocol.h.  JSON_DECODE_ANY
 * so that a bare scalar is reported as "not-an-object" rather than as
 * unparsable text, which would mislead whoever debugs the client.
 */
int
proto_parse_client(const char *buf, size_t len, json_t **out,
    const char **code, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root, *type, *id;
	const char *ts;
	size_t tlen;

	*out = NULL;
	if (code != NULL)
		*code = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (buf == NULL)
		len = 0;

	root = json_loadb(buf != NULL ? buf : "", len,
	    JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (root == NULL) {
		set_err(code, PROTO_E_INVALID_JSON, err, errlen,
		    "%s (line %d, column %d, position %d)", jerr.text,
		    jerr.line, jerr.column, jerr.position);
		return -1;
	}
	if (!json_is_object(root)) {
		set_err(code, PROTO_E_NOT_OBJECT, err, errlen,
		    "a message must be a JSON object");
		goto fail;
	}

	type = json_object_get(root, "type");
	if (type == NULL) {
		set_err(code, PROTO_E_MISSING_TYPE, err, errlen,
		    "the object has no \"type\" member");
		goto fail;
	}
	if (!json_is_string(type)) {
		set_err(code, PROTO_E_BAD_TYPE, err, errlen,
		    "\"type\" must be a string");
		goto fail;
	}
	ts = json_string_value(type);
	tlen = json_string_length(type);
	if (tlen == 0 || tlen > PROTO_TYPE_MAX || strlen(ts) != tlen) {
		set_err(code, PROTO_E_BAD_TYPE, err, errlen,
		    "\"type\" must have 1 to %d bytes and no NUL",
		    PROTO_TYPE_MAX);
		goto fail;
	}

	id = json_object_get(root, "id");
	if (id != NULL && !json_is_integer(id)) {
		set_err(code, PROTO_E_BAD_ID, err, errlen,
		    "\"id\" must be an integer");
		goto fail;
	}

	*out = root;
	return 0;
fail:
	json_decref(root);
	return -1;
}

/* Returns 1 and the integer "id" of obj in *id, or 0 if it has none. */
int
proto_get_id(const json_t *obj, json_int_t *id)
{
	const json_t *v;

	if (obj == NULL || (v = json_object_get(obj, "id")) == NULL ||
	    !json_is_integer(v))
		return 0;
	*id = json_integer_value(v);
	return 1;
}

/*
 * A json string for text that may not be UTF-8 (jansson's messages quote
 * client input): invalid bytes become '?' so the reply can still be sent.
 */
static json_t *
lenient_string(const char *s)
{
	json_t *j;
	char *copy, *p;

	if (s == NULL)
		s = "";
	if ((j = json_string(s)) != NULL)
		return j;
	if ((copy = strdup(s)) == NULL)
		return NULL;
	for (p = copy; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

/* The error message text; see protocol.h. */
char *
proto_error(const char *code, const char *message, json_int_t id, int has_id)
{
	json_t *o;
	char *s;

	if ((o = json_object()) == NULL)
		return NULL;
	if (json_object_set_new(o, "type", json_string("error")) == -1 ||
	    json_object_set_new(o, "code",
	    lenient_string(code != NULL ? code : PROTO_E_INTERNAL)) == -1 ||
	    json_object_set_new(o, "message", lenient_string(message)) == -1 ||
	    (has_id && json_object_set_new(o, "id", json_integer(id)) == -1)) {
		json_decref(o);
		return NULL;
	}
	s = proto_dump(o);
	json_decref(o);
	return s;
}

/* The pong message text; see protocol.h. */
char *
proto_pong(json_int_t id, int has_id)
{
	json_t *o;
	char *s;

	if ((o = json_object()) == NULL)
		return NULL;
	if (json_object_set_new(o, "type", json_string("pong")) == -1 ||
	    (has_id && json_object_set_new(o, "id", json_integer(id)) == -1)) {
		json_decref(o);
		return NULL;
	}
	s = proto_dump(o);
	json_decref(o);
	return s;
}

/*
 * Compact text for any JSON value.  JSON_PRESERVE_ORDER keeps "type" first
 * as it was inserted, which makes logs and captured streams easier to read.
 */
char *
proto_dump(const json_t *obj)
{
	if (obj == NULL)
		return NULL;
	return json_dumps(obj, JSON_COMPACT | JSON_ENCODE_ANY |
	    JSON_PRESERVE_ORDER);
}
