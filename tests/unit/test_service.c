/*
 * test_service — daemon/service.c without systemd: the base URL a daemon
 * serves (public_url, wildcard and IPv6 addresses, TLS), STATE_DIR/url
 * written and read back, and refused when its daemon is gone or the file
 * is not one; the notify calls do nothing without NOTIFY_SOCKET.
 * (tests/integration/service.sh reads the real datagrams.)
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <arpa/inet.h>

#include "daemon/service.h"

static char dir[] = "/tmp/test_service.XXXXXX";

static void
test_base_url(void **state)
{
	char b[256];

	service_base_url("", "127.0.0.1", 7681, 0, b, sizeof b);
	assert_string_equal(b, "http://127.0.0.1:7681");
	service_base_url(NULL, "192.168.1.20", 9000, 1, b, sizeof b);
	assert_string_equal(b, "https://192.168.1.20:9000");
	/* every address: one of this machine's (the default route's source) */
	for (int i = 0; i < 3; i++) {
		const char *any[] = { "0.0.0.0", "*", "::" };
		char host[64];
		unsigned char a[4];
		int port = 0;
		service_base_url("", any[i], 7681, i == 1, b, sizeof b);
		assert_true(sscanf(b, i == 1 ? "https://%63[0-9.]:%d" : "http://%63[0-9.]:%d", host, &port) == 2);
		assert_int_equal(port, 7681);
		assert_int_equal(inet_pton(AF_INET, host, a), 1);
		assert_string_not_equal(host, "0.0.0.0");
	}
	service_base_url("", "::1", 7681, 0, b, sizeof b);
	assert_string_equal(b, "http://[::1]:7681");
	service_base_url("https://wall.office.example:7681/", "0.0.0.0", 1, 0, b, sizeof b);
	assert_string_equal(b, "https://wall.office.example:7681");
}

static void
test_publish_read(void **state)
{
	char b[256], err[256], path[512];

	assert_int_equal(service_read_url(dir, b, sizeof b), -1);	/* none yet */
	assert_int_equal(service_publish_url(dir, "http://127.0.0.1:41234", err, sizeof err), 0);
	assert_int_equal(service_read_url(dir, b, sizeof b), 0);
	assert_string_equal(b, "http://127.0.0.1:41234");
	assert_int_equal(service_read_url(dir, b, 10), -1);		/* does not fit */
	/* STOPPING=1 removes it (no NOTIFY_SOCKET: nothing is sent) */
	service_stopping();
	snprintf(path, sizeof path, "%s/url", dir);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(service_read_url(dir, b, sizeof b), -1);
	assert_int_equal(service_publish_url("/nonexistent/dir", "http://x:1", err, sizeof err), -1);
	assert_non_null(strstr(err, "/nonexistent/dir"));
}

static void
write_url(const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/url", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

static void
test_stale_and_bad(void **state)
{
	char b[256], text[128];
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);			/* a daemon that is gone */
	snprintf(text, sizeof text, "http://127.0.0.1:5555\npid %ld\n", (long)pid);
	write_url(text);
	assert_int_equal(service_read_url(dir, b, sizeof b), -1);
	snprintf(text, sizeof text, "http://127.0.0.1:5555\npid %ld\n", (long)getpid());
	write_url(text);
	assert_int_equal(service_read_url(dir, b, sizeof b), 0);
	assert_string_equal(b, "http://127.0.0.1:5555");
	write_url("http://127.0.0.1:5555\n");		/* no pid line */
	assert_int_equal(service_read_url(dir, b, sizeof b), -1);
	snprintf(text, sizeof text, "not a url\npid %ld\n", (long)getpid());
	write_url(text);
	assert_int_equal(service_read_url(dir, b, sizeof b), -1);
}

static void
test_notify_off(void **state)
{
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	service_init();
	assert_int_equal(service_watchdog_usec(), 0);
	service_ready("serving http://127.0.0.1:1/");	/* no socket: no-ops */
	service_tick(3);
	service_reloading();
	setenv("WATCHDOG_USEC", "5000000", 1);
	service_init();
	assert_int_equal(service_watchdog_usec(), 5000000);
	unsetenv("WATCHDOG_USEC");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base_url),
		cmocka_unit_test(test_publish_read),
		cmocka_unit_test(test_stale_and_bad),
		cmocka_unit_test(test_notify_off),
	};
	int rc;

	if (mkdtemp(dir) == NULL)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	{
		char cmd[600];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			rc = rc ? rc : 1;
	}
	return rc;
}
