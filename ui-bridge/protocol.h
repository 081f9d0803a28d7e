/*
 * protocol — the JSON messages the bridge and the dashboards exchange
 * (docs/protocol.md).  Parsing what clients send, and the few helpers every
 * module needs to produce what the server sends.
 *
 * Error codes are stable machine strings that clients may switch on; the
 * human text next to them is for logs and may change.
 */
#ifndef SO_PROTOCOL_H
#define SO_PROTOCOL_H

#include <stddef.h>

#include <jansson.h>

#define PROTO_VERSION	2
#define PROTO_TYPE_MAX	32	/* bytes a "type" string may have */

/* Stable error codes (the "code" member of an error message). */
#define PROTO_E_INVALID_JSON	"invalid-json"
#define PROTO_E_NOT_OBJECT	"not-an-object"
#define PROTO_E_MISSING_TYPE	"missing-type"
#define PROTO_E_BAD_TYPE	"bad-type"
#define PROTO_E_BAD_ID		"bad-id"
#define PROTO_E_TOO_LARGE	"too-large"
#define PROTO_E_UNKNOWN_TYPE	"unknown-type"
#define PROTO_E_BINARY		"binary-not-supported"
#define PROTO_E_INTERNAL	"internal"
#define PROTO_E_BAD_REQUEST	"bad-request"
#define PROTO_E_UNAUTHORIZED	"unauthorized"
#define PROTO_E_BAD_TOKEN	"bad-token"
#define PROTO_E_BAD_CODE	"bad-pairing-code"
#define PROTO_E_UNKNOWN_CONTENT	"unknown-content"
#define PROTO_E_DENIED		"denied"
#define PROTO_E_BUSY		"busy"
#define PROTO_E_RATE_LIMITED	"rate-limited"

/*
 * Parses one client message: a JSON object with a string "type" (1 to
 * PROTO_TYPE_MAX bytes) and, optionally, an integer "id".  Duplicate keys are
 * refused.  Returns 0 and the object in *out (the caller json_decref()s it),
 * or -1 with *code set to one of the PROTO_E_* strings and a human message
 * in err.  code and err may be NULL.
 */
int	 proto_parse_client(const char *buf, size_t len, json_t **out,
	    const char **code, char *err, size_t errlen);

/*
 * The id of a parsed client message: returns 1 and stores it in *id when the
 * object has an integer "id", else returns 0.
 */
int	 proto_get_id(const json_t *obj, json_int_t *id);

/*
 * {"type":"error","code":code,"message":message[,"id":id]} as malloc'd
 * compact JSON text (free()), or NULL when out of memory.  A message that is
 * not valid UTF-8 has the offending bytes replaced by '?'.
 */
char	*proto_error(const char *code, const char *message, json_int_t id,
	    int has_id);

/* {"type":"pong"[,"id":id]} as malloc'd JSON text, or NULL. */
char	*proto_pong(json_int_t id, int has_id);

/*
 * obj as malloc'd compact JSON text (free()), or NULL.  Any JSON value is
 * accepted; keys keep their insertion order.
 */
char	*proto_dump(const json_t *obj);

#endif
