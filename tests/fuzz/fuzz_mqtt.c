/*
 * fuzz_mqtt — the payload of smartoffice/SITE/command, what any publisher
 * the broker lets through can send the daemon (ui-bridge/mqtt.c:
 * mqtt_parse_command).
 *
 * Invariants: a refused payload has a message; an accepted one is a select
 * with an id of 1..64 printable bytes, a token, exactly one of content and
 * command (1..64 bytes of [a-z0-9_-]) and a site that is a site id when
 * there is one; written back as JSON and parsed again it gives the same
 * command (nothing is read from outside the payload).
 */
#include "tests/fuzz/fuzz.h"

#include <ctype.h>
#include <jansson.h>

#include "ui-bridge/mqtt.h"

static void
check_id(const char *s, int strict, size_t max)
{
	size_t n = strlen(s);

	FUZZ_CHECK(n >= 1 && n <= max);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (strict)
			FUZZ_CHECK(islower(c) || isdigit(c) || c == '-' || c == '_');
		else
			FUZZ_CHECK(c > 0x20 && c < 0x7f);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mqtt_command c, again;
	char err[256] = "";
	json_t *o;
	char *text;

	if (mqtt_parse_command((const char *)data, size, &c, err, sizeof err) < 0) {
		FUZZ_CHECK(err[0] != '\0');
		FUZZ_CHECK(c.token[0] == '\0' && c.content[0] == '\0' && c.command[0] == '\0');
		return 0;
	}
	FUZZ_CHECK(strcmp(c.type, "select") == 0);
	check_id(c.id, 0, MQTT_ID_MAX);
	check_id(c.token, 0, MQTT_TOKEN_MAX);
	FUZZ_CHECK((c.content[0] != '\0') != (c.command[0] != '\0'));
	check_id(c.content[0] ? c.content : c.command, 1, MQTT_ID_MAX);
	FUZZ_CHECK(c.site[0] == '\0' || mqtt_site_valid(c.site));
	if (c.from[0])
		check_id(c.from, 0, MQTT_ID_MAX);

	o = json_pack("{s:s, s:s}", "type", "select", "token", c.token);
	json_object_set_new(o, "id", c.id_is_number ? json_integer(strtoll(c.id, NULL, 10)) : json_string(c.id));
	json_object_set_new(o, c.content[0] ? "content" : "command", json_string(c.content[0] ? c.content : c.command));
	if (c.site[0])
		json_object_set_new(o, "site", json_string(c.site));
	if (c.from[0])
		json_object_set_new(o, "from", json_string(c.from));
	text = json_dumps(o, JSON_COMPACT);
	FUZZ_CHECK(text != NULL);
	FUZZ_CHECK(mqtt_parse_command(text, strlen(text), &again, err, sizeof err) == 0);
	FUZZ_CHECK(memcmp(&c, &again, sizeof c) == 0);
	free(text);
	json_decref(o);
	return 0;
}
