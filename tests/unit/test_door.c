/*
 * test_door — the shelf door sensor (devices/door.c, door_gpio.c,
 * door_evdev.c) and its replay row (door lines of devices/events_file.c):
 * specs are checked with clear messages; the live rows refuse what is not
 * there or not a switch, naming it (this machine has no GPIO chip and no
 * input devices: the rows' open paths up to the kernel are what runs); the
 * supervised reader, through a row of the test's own that fails as an
 * unplugged sensor does, gives the state first, then changes, says LOST
 * once, retries with back-off and says BACK with the state; door lines of
 * an events file become IN_DOOR inputs in order, and a bad one is refused
 * with FILE:LINE.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "tests/unit/testutil.h"

#include "base/queue.h"
#include "devices/door.h"
#include "devices/events_file.h"

static void
test_specs(void **state)
{
	const struct door_ops *ops;
	const char *arg;
	char err[256];

	(void)state;
	assert_int_equal(door_parse_spec("gpio:gpiochip0:17", &ops, &arg, err, sizeof err), 0);
	assert_ptr_equal(ops, &door_gpio_ops);
	assert_string_equal(arg, "gpiochip0:17");
	assert_int_equal(door_parse_spec("evdev:/dev/input/event3:SW_LID", &ops, &arg, err, sizeof err), 0);
	assert_ptr_equal(ops, &door_evdev_ops);
	assert_int_equal(door_parse_spec("reed:17", &ops, &arg, err, sizeof err), -1);
	assert_non_null(strstr(err, "door \"reed:17\": expected gpio:CHIP:LINE"));
	assert_int_equal(door_parse_spec("gpio:", &ops, &arg, err, sizeof err), -1);
	assert_non_null(strstr(err, "nothing after"));
}

static void
test_gpio_refusals(void **state)
{
	char err[256];

	(void)state;
	assert_null(door_open("gpio:gpiochip0", err, sizeof err));
	assert_non_null(strstr(err, "expected gpio:CHIP:LINE[:active-low]"));
	assert_null(door_open("gpio:gpiochip0:3:inverted", err, sizeof err));
	assert_non_null(strstr(err, "expected gpio:CHIP:LINE[:active-low]"));
	assert_null(door_open("gpio:gpiochip77:3", err, sizeof err));
	assert_non_null(strstr(err, "chip gpiochip77"));
	assert_null(door_open("gpio:gpiochip77:3:active-low", err, sizeof err));
	assert_non_null(strstr(err, "chip gpiochip77"));
}

static void
test_evdev_refusals(void **state)
{
	char err[256], spec[128];

	(void)state;
	assert_null(door_open("evdev:/dev/input/event99", err, sizeof err));
	assert_non_null(strstr(err, "/dev/input/event99"));
	assert_non_null(strstr(err, strerror(ENOENT)));
	assert_null(door_open("evdev:/dev/input/event0:SW_DOOR_AJAR", err, sizeof err));
	assert_non_null(strstr(err, "is not a switch"));
	/* A file that is not an input device. */
	write_file(tmp_path, "not a device\n");
	snprintf(spec, sizeof spec, "evdev:%s", tmp_path);
	assert_null(door_open(spec, err, sizeof err));
	assert_non_null(strstr(err, tmp_path));
}

/* ---- a row of our own: a sensor that fails like an unplugged one ---- */

static struct {
	int state;                /* what the sensor reads */
	int opens, open_fails;    /* opens so far; fail this many more */
	int fail_next_wait;       /* the next wait fails with ENODEV */
	int change_next_wait;     /* the next wait reports a change */
} fake;

static int
fake_open(struct door *d, const char *arg, char *err, size_t errlen)
{
	(void)d; (void)arg;
	fake.opens++;
	if (fake.open_fails > 0) {
		fake.open_fails--;
		snprintf(err, errlen, "door fake: %s", strerror(ENODEV));
		return -1;
	}
	return 0;
}

static int
fake_state(struct door *d, char *err, size_t errlen)
{
	(void)d; (void)err; (void)errlen;
	return fake.state;
}

static int
fake_wait(struct door *d, int timeout_ms, int *open, char *err, size_t errlen)
{
	(void)d; (void)timeout_ms;
	if (fake.fail_next_wait) {
		fake.fail_next_wait = 0;
		errno = ENODEV;
		snprintf(err, errlen, "door fake: %s", strerror(ENODEV));
		return -1;
	}
	if (fake.change_next_wait) {
		fake.change_next_wait = 0;
		*open = fake.state;
		return 1;
	}
	return 0;
}

static void fake_close(struct door *d) { (void)d; }

static const struct door_ops fake_ops = { "fake", fake_open, fake_state, fake_wait, fake_close };

static void
test_supervised(void **state)
{
	struct door_sup *s;
	char err[256];
	int open = -1, r, waits = 0;

	(void)state;
	memset(&fake, 0, sizeof fake);
	fake.state = 0;
	assert_non_null(s = door_sup_open("x", &fake_ops, 0, 0.05, 0.2, err, sizeof err));
	/* First the state, as a change. */
	assert_int_equal(door_sup_read(s, 10, &open, err, sizeof err), DOOR_SUP_CHANGE);
	assert_int_equal(open, 0);
	assert_int_equal(door_sup_read(s, 10, &open, err, sizeof err), DOOR_SUP_NONE);
	fake.state = 1;
	fake.change_next_wait = 1;
	assert_int_equal(door_sup_read(s, 10, &open, err, sizeof err), DOOR_SUP_CHANGE);
	assert_int_equal(open, 1);
	/* Unplugged: LOST once, then WAIT while reopening fails. */
	fake.fail_next_wait = 1;
	fake.open_fails = 2;
	assert_int_equal(door_sup_read(s, 10, &open, err, sizeof err), DOOR_SUP_LOST);
	assert_non_null(strstr(err, strerror(ENODEV)));
	assert_int_equal(door_sup_losses(s), 1);
	while ((r = door_sup_read(s, 20, &open, err, sizeof err)) == DOOR_SUP_WAIT)
		assert_true(++waits < 200);
	/* Back, with the state it has now. */
	fake.state = 0;
	assert_int_equal(r, DOOR_SUP_BACK);
	assert_int_equal(fake.opens, 1 + 3);
	assert_int_equal(door_sup_losses(s), 1);
	door_sup_close(s);

	/* Absent at start: an error, or (allow_absent) LOST at the first read. */
	memset(&fake, 0, sizeof fake);
	fake.open_fails = 1;
	assert_null(door_sup_open("x", &fake_ops, 0, 0.05, 0.2, err, sizeof err));
	fake.open_fails = 1;
	assert_non_null(s = door_sup_open("x", &fake_ops, 1, 0.05, 0.2, err, sizeof err));
	assert_int_equal(door_sup_read(s, 10, &open, err, sizeof err), DOOR_SUP_LOST);
	waits = 0;
	fake.state = 1;
	while ((r = door_sup_read(s, 20, &open, err, sizeof err)) == DOOR_SUP_WAIT)
		assert_true(++waits < 200);
	assert_int_equal(r, DOOR_SUP_BACK);
	assert_int_equal(open, 1);
	door_sup_close(s);
	/* A bad spec is always an error. */
	assert_null(door_sup_open("magnet:3", NULL, 1, 0, 0, err, sizeof err));
	assert_non_null(strstr(err, "magnet:3"));
}

/* ---- the replay row ---- */

static void
nop_wake(void *ud)
{
	(void)ud;
}

static void
test_events_file_door(void **state)
{
	static const enum door_event want[] = { DOOR_EV_OPEN, DOOR_EV_CLOSED, DOOR_EV_LOST, DOOR_EV_BACK,
		DOOR_EV_OPEN };
	struct queue *q = queue_new(16);
	struct events_file *ef;
	struct input in;
	char err[512];
	int n = 0, ended = 0;

	(void)state;
	write_file(tmp_path,
	    "{\"t\":0.5,\"type\":\"door\",\"state\":\"open\"}\n"
	    "{\"t\":3600.0,\"type\":\"door\",\"state\":\"closed\"}\n"
	    "{\"t\":3601,\"type\":\"door\",\"state\":\"lost\"}\n"
	    "{\"t\":3602,\"type\":\"door\",\"state\":\"back\"}\n"
	    "{\"t\":3603,\"type\":\"door\",\"state\":\"open\"}\n");
	assert_non_null(ef = events_file_open(tmp_path, q, nop_wake, NULL, 0, err, sizeof err));
	assert_int_equal(events_file_start(ef), 0);
	for (int spins = 0; spins < 2000 && !ended; spins++) {
		while (queue_pop(q, &in)) {
			if (in.kind == IN_EVENTS_END) {
				ended = 1;
				break;
			}
			assert_int_equal(in.kind, IN_DOOR);
			assert_true(n < 5);
			assert_int_equal(in.door.state, want[n]);
			n++;
		}
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	assert_true(ended);
	assert_int_equal(n, 5);
	events_file_free(ef);
	queue_free(q);

	/* A bad state, and no state: FILE:LINE and what is allowed. */
	write_file(tmp_path, "{\"t\":0.5,\"type\":\"door\",\"state\":\"open\"}\n"
	    "{\"t\":1,\"type\":\"door\",\"state\":\"ajar\"}\n");
	assert_null(events_file_open(tmp_path, NULL, nop_wake, NULL, 0, err, sizeof err));
	assert_non_null(strstr(err, ":2: door \"state\" must be open, closed, lost or back"));
	write_file(tmp_path, "{\"t\":1,\"type\":\"door\"}\n");
	assert_null(events_file_open(tmp_path, NULL, nop_wake, NULL, 0, err, sizeof err));
	assert_non_null(strstr(err, ":1: door \"state\""));
	assert_string_equal(door_event_name(DOOR_EV_CLOSED), "closed");
	assert_int_equal(door_event_parse("back"), DOOR_EV_BACK);
	assert_int_equal(door_event_parse("ajar"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_specs),
		cmocka_unit_test(test_gpio_refusals),
		cmocka_unit_test_setup_teardown(test_evdev_refusals, setup_tmp, teardown_tmp),
		cmocka_unit_test(test_supervised),
		cmocka_unit_test_setup_teardown(test_events_file_door, setup_tmp, teardown_tmp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
