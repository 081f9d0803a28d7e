/*
 * test_events_file — scripted input events (devices/events_file.c): every
 * line becomes the input the camera or a sensor would have pushed, in
 * order, then the end marker; a bad line is refused with FILE:LINE before
 * anything is replayed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "tests/unit/testutil.h"

#include "base/log.h"
#include "base/queue.h"
#include "devices/events_file.h"

static void
nop_wake(void *ud)
{
	(void)ud;
}

/* Pops inputs until the end marker (or 2 s); returns how many came before it. */
static int
drain(struct queue *q, struct input *got, int max)
{
	struct input in;
	int n = 0;

	for (int spins = 0; spins < 2000; spins++) {
		while (queue_pop(q, &in)) {
			if (in.kind == IN_EVENTS_END)
				return n;
			if (n < max)
				got[n] = in;
			n++;
		}
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	fail_msg("no end marker within 2 s");
	return -1;
}

static void
test_replay(void **state)
{
	struct queue *q = queue_new(8);
	struct input got[8];
	char err[256] = "";
	struct events_file *ef;

	write_file(tmp_path,
	    "# a cursor session\n"
	    "{\"t\":0.0,\"type\":\"engage\"}\n"
	    "\n"
	    "{\"t\":0.1,\"type\":\"cursor\",\"x\":0.25,\"y\":0.5,\"state\":\"press\"}\n"
	    "{\"t\":0.1,\"type\":\"cursor\",\"x\":1,\"y\":0}\n"
	    "{\"t\":0.2,\"type\":\"disengage\"}\n"
	    "{\"t\":0.3,\"type\":\"face\",\"face\":\"verified\",\"name\":\"mayor\"}\n"
	    "{\"t\":0.4,\"type\":\"face\",\"face\":\"absent\"}\n"
	    "{\"t\":0.5,\"type\":\"face\",\"face\":\"unknown\"}\n"
	    "{\"t\":0.6,\"type\":\"face\",\"face\":\"failed\"}\n"
	    "{\"t\":0.7,\"type\":\"engage\"}\n"
	    "{\"t\":0.8,\"type\":\"disengage\"}\n");
	/* More lines than the queue holds: nothing may be dropped. */
	ef = events_file_open(tmp_path, q, nop_wake, NULL, 0, err, sizeof err);
	if (ef == NULL)
		fail_msg("%s", err);
	assert_int_equal(events_file_start(ef), 0);
	assert_int_equal(drain(q, got, 8), 10);
	assert_int_equal(got[0].kind, IN_GESTURE);
	assert_int_equal(got[0].gesture.what, GESTURE_ENGAGE);
	assert_int_equal(got[1].gesture.what, GESTURE_CURSOR);
	assert_int_equal(got[1].gesture.cursor, CURSOR_PRESS);
	assert_true(got[1].gesture.x == 0.25 && got[1].gesture.y == 0.5 && got[1].t == 0.1);
	assert_int_equal(got[2].gesture.cursor, CURSOR_MOVE);     /* the default state */
	assert_int_equal(got[3].gesture.what, GESTURE_DISENGAGE);
	assert_int_equal(got[4].kind, IN_FACE);
	assert_int_equal(got[4].face.result, FACE_VERIFIED);
	assert_string_equal(got[4].face.text, "mayor");
	assert_int_equal(got[5].face.result, FACE_ABSENT);
	events_file_free(ef);
	queue_free(q);
}

/* Real time: the lines come at their t, not at once. */
static void
test_realtime(void **state)
{
	struct queue *q = queue_new(8);
	struct input got[4];
	char err[256] = "";
	struct events_file *ef;
	struct timespec a, b;

	write_file(tmp_path, "{\"t\":0.3,\"type\":\"engage\"}\n");
	ef = events_file_open(tmp_path, q, nop_wake, NULL, 1, err, sizeof err);
	assert_non_null(ef);
	clock_gettime(CLOCK_MONOTONIC, &a);
	events_file_start(ef);
	assert_int_equal(drain(q, got, 4), 1);
	clock_gettime(CLOCK_MONOTONIC, &b);
	double dt = (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	assert_true(dt >= 0.28 && dt < 1.5);
	events_file_free(ef);
	queue_free(q);
}

static void
expect_refused(const char *text, const char *want)
{
	struct queue *q = queue_new(4);
	char err[512] = "";
	struct events_file *ef;

	write_file(tmp_path, text);
	ef = events_file_open(tmp_path, q, nop_wake, NULL, 0, err, sizeof err);
	if (ef != NULL)
		fail_msg("accepted: %s", text);
	if (strstr(err, want) == NULL || strstr(err, tmp_path) == NULL)
		fail_msg("error \"%s\" does not name the file and \"%s\"", err, want);
	queue_free(q);
}

static void
test_bad_lines(void **state)
{
	expect_refused("{\"t\":1,\"type\":\"engage\"}\n{\"t\":0.5,\"type\":\"engage\"}\n", ":2: \"t\" must be");
	expect_refused("{\"t\":0,\"type\":\"wave\"}\n", ":1: unknown type \"wave\"");
	expect_refused("\n\n{\"t\":0,\"type\":\"cursor\",\"x\":1.5,\"y\":0}\n", ":3: cursor needs");
	expect_refused("{\"t\":0,\"type\":\"cursor\",\"x\":0,\"y\":0,\"state\":\"hover\"}\n", ":1: cursor \"state\"");
	expect_refused("{\"t\":0,\"type\":\"face\",\"face\":\"maybe\"}\n", ":1: face \"face\"");
	expect_refused("{\"t\":0,\"type\":\"engage\"\n", ":1: not a JSON object");
	expect_refused("[1,2]\n", ":1: not a JSON object");
	expect_refused("{\"type\":\"engage\"}\n", ":1: \"t\" must be");
	expect_refused("{\"t\":0}\n", ":1: no \"type\"");
}

static void
test_missing_file(void **state)
{
	struct queue *q = queue_new(4);
	char err[256] = "";

	assert_null(events_file_open("/nonexistent/events.jsonl", q, nop_wake, NULL, 0, err, sizeof err));
	assert_non_null(strstr(err, "/nonexistent/events.jsonl: No such file"));
	queue_free(q);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_replay, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_realtime, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_bad_lines, setup_tmp, teardown_tmp),
		cmocka_unit_test(test_missing_file),
	};

	log_init(-1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
