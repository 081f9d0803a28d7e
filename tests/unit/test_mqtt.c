/*
 * test_mqtt — the MQTT bridge's pure parts and its bounds (ui-bridge/mqtt.c,
 * ui-bridge/mqtt_setup.c): broker URLs, site ids, the command payload (what
 * is refused and why), the password hash against one mosquitto_passwd
 * wrote, the ACL's anonymous rules, and with no broker: the trusted buffer
 * keeps at most mqtt_buffer messages (the oldest go), public ones are not
 * kept.  The broker itself is tests/integration/mqtt*.sh's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/unit/testutil.h"

#include "ui-bridge/mqtt.h"
#include "ui-bridge/mqtt_setup.h"

static void
test_url(void **state)
{
	char host[64], err[256];
	int port, tls;

	assert_int_equal(mqtt_parse_url("mqtt://broker.example", host, sizeof host, &port, &tls, err, sizeof err), 0);
	assert_string_equal(host, "broker.example");
	assert_int_equal(port, 1883);
	assert_int_equal(tls, 0);
	assert_int_equal(mqtt_parse_url("mqtts://10.0.0.2:9883", host, sizeof host, &port, &tls, err, sizeof err), 0);
	assert_string_equal(host, "10.0.0.2");
	assert_int_equal(port, 9883);
	assert_int_equal(tls, 1);
	assert_int_equal(mqtt_parse_url("mqtts://b", host, sizeof host, &port, &tls, err, sizeof err), 0);
	assert_int_equal(port, 8883);
	assert_int_equal(mqtt_parse_url("mqtt://[::1]:1884", host, sizeof host, &port, &tls, err, sizeof err), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 1884);
	assert_int_equal(mqtt_parse_url("ws://b:80", host, sizeof host, &port, &tls, err, sizeof err), -1);
	assert_non_null(strstr(err, "mqtt://HOST"));
	assert_int_equal(mqtt_parse_url("mqtt://b:0", host, sizeof host, &port, &tls, err, sizeof err), -1);
	assert_int_equal(mqtt_parse_url("mqtt://b:70000", host, sizeof host, &port, &tls, err, sizeof err), -1);
	assert_int_equal(mqtt_parse_url("mqtt://b:12x", host, sizeof host, &port, &tls, err, sizeof err), -1);
	assert_int_equal(mqtt_parse_url("mqtt://", host, sizeof host, &port, &tls, err, sizeof err), -1);
	assert_int_equal(mqtt_parse_url("mqtt://[::1", host, sizeof host, &port, &tls, err, sizeof err), -1);
}

static void
test_site(void **state)
{
	assert_true(mqtt_site_valid("mayor"));
	assert_true(mqtt_site_valid("songpa-gu_2"));
	assert_false(mqtt_site_valid(""));
	assert_false(mqtt_site_valid("a/b"));
	assert_false(mqtt_site_valid("a+"));
	assert_false(mqtt_site_valid("a#"));
	assert_false(mqtt_site_valid("a b"));
	assert_false(mqtt_site_valid(NULL));
	assert_false(mqtt_site_valid("0123456789012345678901234567890123456789012345678901234567890123x"));
}

static int
parse(const char *s, struct mqtt_command *c, char *err)
{
	return mqtt_parse_command(s, strlen(s), c, err, 256);
}

static void
test_command(void **state)
{
	struct mqtt_command c;
	char err[256];

	assert_int_equal(parse("{\"type\":\"select\",\"content\":\"air-quality\",\"id\":\"c1\",\"token\":\"T\"}", &c, err), 0);
	assert_string_equal(c.content, "air-quality");
	assert_string_equal(c.command, "");
	assert_string_equal(c.id, "c1");
	assert_int_equal(c.id_is_number, 0);
	assert_string_equal(c.token, "T");
	assert_int_equal(parse("{\"type\":\"select\",\"command\":\"next\",\"id\":7,\"token\":\"T\",\"site\":\"mayor\",\"from\":\"ops\"}", &c, err), 0);
	assert_string_equal(c.command, "next");
	assert_string_equal(c.id, "7");
	assert_int_equal(c.id_is_number, 1);
	assert_string_equal(c.site, "mayor");
	assert_string_equal(c.from, "ops");

	static const struct { const char *in, *why; } bad[] = {
		{ "not json", "not JSON" },
		{ "[1]", "JSON object" },
		{ "{\"type\":\"hello\",\"content\":\"a\",\"id\":1,\"token\":\"T\"}", "\"select\"" },
		{ "{\"type\":\"select\",\"content\":\"a\",\"token\":\"T\"}", "\"id\"" },
		{ "{\"type\":\"select\",\"content\":\"a\",\"id\":-3,\"token\":\"T\"}", "\"id\"" },
		{ "{\"type\":\"select\",\"content\":\"a\",\"id\":1.5,\"token\":\"T\"}", "\"id\"" },
		{ "{\"type\":\"select\",\"content\":\"a\",\"id\":\"\",\"token\":\"T\"}", "\"id\"" },
		{ "{\"type\":\"select\",\"content\":\"a\",\"id\":\"a b\",\"token\":\"T\"}", "\"id\"" },
		{ "{\"type\":\"select\",\"content\":\"a\",\"id\":1}", "\"token\"" },
		{ "{\"type\":\"select\",\"content\":\"a\",\"id\":1,\"token\":5}", "\"token\"" },
		{ "{\"type\":\"select\",\"id\":1,\"token\":\"T\"}", "content or command" },
		{ "{\"type\":\"select\",\"content\":\"a\",\"command\":\"b\",\"id\":1,\"token\":\"T\"}", "content or command" },
		{ "{\"type\":\"select\",\"content\":\"Air\",\"id\":1,\"token\":\"T\"}", "\"content\"" },
		{ "{\"type\":\"select\",\"content\":\"a\\u0000b\",\"id\":1,\"token\":\"T\"}", "not JSON" },
		{ "{\"type\":\"select\",\"content\":\"a\",\"id\":1,\"token\":\"T\",\"site\":\"a/b\"}", "site" },
		{ "{\"type\":\"select\",\"content\":\"a\",\"content\":\"b\",\"id\":1,\"token\":\"T\"}", "duplicate" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		if (parse(bad[i].in, &c, err) != -1)
			fail_msg("accepted: %s", bad[i].in);
		if (strstr(err, bad[i].why) == NULL)
			fail_msg("%s: \"%s\" does not say %s", bad[i].in, err, bad[i].why);
		assert_string_equal(c.token, "");
	}
	/* the id survives a refusal, so that the error reply can name it */
	assert_int_equal(parse("{\"type\":\"select\",\"id\":\"c9\",\"token\":\"T\"}", &c, err), -1);
	assert_string_equal(c.id, "c9");
	/* the size bound */
	{
		char *big = malloc(MQTT_PAYLOAD_MAX + 2);
		memset(big, ' ', MQTT_PAYLOAD_MAX + 1);
		big[MQTT_PAYLOAD_MAX + 1] = '\0';
		assert_int_equal(mqtt_parse_command(big, MQTT_PAYLOAD_MAX + 1, &c, err, sizeof err), -1);
		assert_non_null(strstr(err, "at most"));
		free(big);
	}
}

/* mosquitto_passwd -b FILE ops Secret-pw_42 wrote this line. */
static void
test_hash(void **state)
{
	static const unsigned char salt[12] = { 0xd8, 0xa9, 0x7c, 0x13, 0x17, 0x2f, 0x79, 0x50, 0x63, 0xe1, 0x6d, 0xe8 };
	char line[256];

	assert_int_equal(mqtt_setup_hash("ops", "Secret-pw_42", salt, line, sizeof line), 0);
	assert_string_equal(line, "ops:$7$101$2Kl8ExcveVBj4W3o$M6ShSm5x9RCmziC/hDxpTv2A3+NVMR9JHjvKgQxha9IS3ywkQ1YAJaDg9w9B497qS6nHAvllqWraCXbn0UKcTQ==");
	assert_int_equal(mqtt_setup_hash("ops", "Secret-pw_42", salt, line, 40), -1);
}

static void
test_acl(void **state)
{
	struct mqtt_setup s = { "/x", "", 1883, 8083, { "mayor" }, 1, { "wall" }, 1, { "ops" }, 1 };
	char *acl = mqtt_setup_acl(&s), *first_user;

	assert_non_null(acl);
	first_user = strstr(acl, "\nuser ");
	assert_non_null(first_user);
	/* anonymous: public reads only, nothing written */
	*first_user = '\0';
	assert_non_null(strstr(acl, "topic read smartoffice/+/public/#"));
	assert_null(strstr(acl, "topic write"));
	assert_null(strstr(acl, "topic readwrite"));
	assert_null(strstr(acl, "trusted/"));
	*first_user = '\n';
	assert_non_null(strstr(acl, "user smartoffice-mayor\ntopic write smartoffice/mayor/public/#"));
	assert_non_null(strstr(acl, "topic read smartoffice/mayor/command"));
	assert_non_null(strstr(acl, "user ops\n"));
	assert_non_null(strstr(strstr(acl, "user ops\n"), "topic write smartoffice/+/command"));
	assert_null(strstr(strstr(acl, "user wall\n"), "write smartoffice/+/command\n\n# commander wall"));
	free(acl);
}

/* No broker (a closed port): the daemon goes on, the buffer stays bounded. */
static void
test_buffer_bound(void **state)
{
	struct mqtt_config cfg = { "mqtt://127.0.0.1:1", NULL, NULL, NULL, NULL, NULL, NULL, 0, "mayor",
	    MQTT_HERMES_OFF, NULL, 3, 1, 2, 30 };
	struct mqtt_stats st;
	struct mqtt_command c = { .id = "r1" };
	char err[256];
	struct mqtt *m = mqtt_new(&cfg, NULL, NULL, err, sizeof err);

	assert_non_null(m);
	assert_string_equal(mqtt_site(m), "mayor");
	assert_int_equal(mqtt_wait_connected(m, 0.5), 0);
	for (int i = 0; i < 5; i++)
		mqtt_publish_event(m, "{\"type\":\"wake\"}", 15, "{\"type\":\"wake\"}", 15);
	mqtt_reply(m, &c, NULL, NULL);
	mqtt_set_state(m, "{\"type\":\"hello\"}", "{\"type\":\"hello\",\"view\":\"trusted\"}");
	mqtt_get_stats(m, &st);
	assert_int_equal(st.connected, 0);
	assert_int_equal(st.buffered, 6);
	assert_int_equal(st.dropped, 3);
	assert_int_equal(st.public_dropped, 5);
	assert_int_equal(st.published, 0);
	mqtt_free(m);

	cfg.site = "a/b";
	assert_null(mqtt_new(&cfg, NULL, NULL, err, sizeof err));
	assert_non_null(strstr(err, "site"));
	cfg.site = "mayor";
	cfg.url = "tcp://x";
	assert_null(mqtt_new(&cfg, NULL, NULL, err, sizeof err));
	cfg.url = "mqtt://127.0.0.1:1";
	cfg.password_file = "/nonexistent/pw";
	assert_null(mqtt_new(&cfg, NULL, NULL, err, sizeof err));
	assert_non_null(strstr(err, "/nonexistent/pw"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url),
		cmocka_unit_test(test_site),
		cmocka_unit_test(test_command),
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_acl),
		cmocka_unit_test(test_buffer_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
