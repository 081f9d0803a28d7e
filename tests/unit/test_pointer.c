/*
 * test_pointer — the hand cursor as a real pointer (devices/pointer*.c).
 *
 * The file row: the mapping of 0..1 cursor positions onto the screen, the
 * clicks, a button released at disengage, the device's appearing and
 * going, bad specs.  The uinput row: where /dev/uinput opens,
 * the device is made, found at its /dev/input/event* node, read back
 * through libevdev, and the positions and clicks checked; where it does
 * not, the test says that it ran the refusal path and checks the one-line
 * reason against what open(2) says.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libevdev/libevdev.h>

#include "tests/unit/testutil.h"

#include "devices/pointer.h"

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (f == NULL)
		fail_msg("%s: %s", path, strerror(errno));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

/* Bad specs are refused, saying what is expected. */
static void
test_specs(void **state)
{
	char err[256];

	assert_null(pointer_open("mouse", 1920, 1080, err, sizeof err));
	assert_non_null(strstr(err, "\"mouse\""));
	assert_non_null(strstr(err, "uinput or file:PATH"));
	assert_null(pointer_open("file:", 1920, 1080, err, sizeof err));
	assert_null(pointer_open("file:/nonexistent/dir/p.tsv", 1920, 1080, err, sizeof err));
	assert_non_null(strstr(err, "/nonexistent/dir/p.tsv"));
	assert_non_null(strstr(err, "No such file"));
}

/* A session of the cursor through the file row, line by line. */
static void
test_file_row(void **state)
{
	char spec[128], err[512];
	struct pointer *p;
	char *text;

	snprintf(spec, sizeof spec, "file:%s", tmp_path);
	p = pointer_open(spec, 1920, 1080, err, sizeof err);
	if (p == NULL)
		fail_msg("%s", err);
	assert_null(pointer_devnode(p));
	assert_int_equal(pointer_engage(p, 1.0, err, sizeof err), 0);
	assert_int_equal(pointer_engage(p, 1.0, err, sizeof err), 0);   /* once */
	assert_int_equal(pointer_cursor(p, 1.1, 0.0, 0.0, POINTER_MOVE, err, sizeof err), 0);
	assert_int_equal(pointer_cursor(p, 1.2, 0.5, 0.5, POINTER_MOVE, err, sizeof err), 0);
	/* The same pixel again: nothing. */
	assert_int_equal(pointer_cursor(p, 1.25, 0.50001, 0.5, POINTER_MOVE, err, sizeof err), 0);
	assert_int_equal(pointer_cursor(p, 1.3, 1.0, 1.0, POINTER_MOVE, err, sizeof err), 0);
	/* Outside the screen: clamped. */
	assert_int_equal(pointer_cursor(p, 1.4, 1.7, -0.2, POINTER_MOVE, err, sizeof err), 0);
	/* Select: a click where the cursor is. */
	assert_int_equal(pointer_cursor(p, 2.0, 0.25, 0.75, POINTER_PRESS, err, sizeof err), 0);
	assert_int_equal(pointer_cursor(p, 2.0, 0.25, 0.75, POINTER_RELEASE, err, sizeof err), 0);
	/* A release with nothing held, a press held at disengage. */
	assert_int_equal(pointer_cursor(p, 2.5, 0.25, 0.75, POINTER_RELEASE, err, sizeof err), 0);
	assert_int_equal(pointer_cursor(p, 3.0, 0.1, 0.2, POINTER_PRESS, err, sizeof err), 0);
	assert_int_equal(pointer_cursor(p, 3.1, 0.1, 0.2, POINTER_PRESS, err, sizeof err), 0);
	assert_int_equal(p->clicks, 1);
	pointer_disengage(p, 3.5);
	assert_int_equal(p->clicks, 2);
	pointer_disengage(p, 3.6);                  /* once */
	/* A cursor without an engage (a replayed events file may start so). */
	assert_int_equal(pointer_cursor(p, 5.0, 0.5, 0.25, POINTER_MOVE, err, sizeof err), 0);
	pointer_close(p);                           /* disengages */
	text = slurp(tmp_path);
	assert_string_equal(text,
	    "1.000\tappear\t1920\t1080\n"
	    "1.100\tmove\t0\t0\n"
	    "1.200\tmove\t960\t540\n"
	    "1.300\tmove\t1919\t1079\n"
	    "1.400\tmove\t1919\t0\n"
	    "2.000\tmove\t480\t809\n"
	    "2.000\tpress\t480\t809\n"
	    "2.000\trelease\t480\t809\n"
	    "3.000\tmove\t192\t216\n"
	    "3.000\tpress\t192\t216\n"
	    "3.500\trelease\t192\t216\n"
	    "3.500\tdisappear\n"
	    "5.000\tappear\t1920\t1080\n"
	    "5.000\tmove\t960\t270\n"
	    "5.000\tdisappear\n");
	free(text);
}

/* ---- a device that fails: one error, then quiet until the next engage ---- */

static int appears, emits, disappears, emit_fails;

static int
t_open(struct pointer *p, const char *arg, char *err, size_t errlen) { return 0; }
static int
t_appear(struct pointer *p, char *err, size_t errlen)
{
	appears++;
	return 0;
}
static int
t_emit(struct pointer *p, int x, int y, int moved, int button, char *err, size_t errlen)
{
	emits++;
	if (emit_fails) {
		snprintf(err, errlen, "test pointer: write: %s", strerror(ENODEV));
		return -1;
	}
	return 0;
}
static void t_disappear(struct pointer *p) { disappears++; }
static void t_close(struct pointer *p) { }

static void
test_device_fails(void **state)
{
	static const struct pointer_ops ops = { "test", t_open, t_appear, t_emit, t_disappear,
		t_close, NULL };
	char err[256] = "";
	struct pointer *p = pointer_open_ops(&ops, NULL, 100, 100, err, sizeof err);

	assert_non_null(p);
	assert_int_equal(pointer_engage(p, 0, err, sizeof err), 0);
	assert_int_equal(pointer_cursor(p, 0.1, 0.5, 0.5, POINTER_MOVE, err, sizeof err), 0);
	emit_fails = 1;
	assert_int_equal(pointer_cursor(p, 0.2, 0.6, 0.5, POINTER_MOVE, err, sizeof err), -1);
	assert_non_null(strstr(err, "test pointer: write"));
	assert_int_equal(disappears, 1);
	/* Quiet: no new device, no error, until the next engage. */
	for (int i = 0; i < 10; i++)
		assert_int_equal(pointer_cursor(p, 0.3, 0.1 * i, 0.5, POINTER_PRESS, err, sizeof err), 0);
	assert_int_equal(appears, 1);
	assert_int_equal(emits, 2);
	pointer_disengage(p, 0.4);
	assert_int_equal(disappears, 1);
	emit_fails = 0;
	assert_int_equal(pointer_engage(p, 1.0, err, sizeof err), 0);
	assert_int_equal(appears, 2);
	assert_int_equal(pointer_cursor(p, 1.1, 0.5, 0.5, POINTER_PRESS, err, sizeof err), 0);
	pointer_close(p);
	/* The press held at close was released, then the device went. */
	assert_int_equal(emits, 4);
	assert_int_equal(disappears, 2);
}

/* ---- uinput ---- */

static double
mono(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* A reader of the device's node on its own thread, as a compositor is:
 * every event into a list, until the device goes (ENODEV). */
struct reader {
	struct libevdev *dev;
	pthread_mutex_t  lock;
	int              ev[3 * 256];
	int              n;
	int              gone;      /* read failed with ENODEV */
	int              error;     /* any other failure */
	atomic_int       stop;
};

static void *
reader_main(void *arg)
{
	struct reader *r = arg;
	struct input_event ev;
	int rc;

	while (!atomic_load(&r->stop)) {
		rc = libevdev_next_event(r->dev, LIBEVDEV_READ_FLAG_NORMAL, &ev);
		if (rc == -EAGAIN) {
			usleep(1000);
			continue;
		}
		pthread_mutex_lock(&r->lock);
		if (rc == -ENODEV)
			r->gone = 1;
		else if (rc != LIBEVDEV_READ_STATUS_SUCCESS)
			r->error = rc;
		else if (r->n < 256) {
			r->ev[3 * r->n] = ev.type;
			r->ev[3 * r->n + 1] = ev.code;
			r->ev[3 * r->n + 2] = ev.value;
			r->n++;
		}
		pthread_mutex_unlock(&r->lock);
		if (rc != LIBEVDEV_READ_STATUS_SUCCESS)
			break;
	}
	return NULL;
}

/* Waits (up to 2 s) until the reader has `want` events; how many it has. */
static int
wait_events(struct reader *r, int want)
{
	double until = mono() + 2.0;
	int n;

	for (;;) {
		pthread_mutex_lock(&r->lock);
		n = r->n;
		pthread_mutex_unlock(&r->lock);
		if (n >= want || mono() > until)
			return n;
		usleep(2000);
	}
}

static void
expect_events(struct reader *r, int from, const int *want, int count)
{
	pthread_mutex_lock(&r->lock);
	for (int i = 0; i < 3 * count; i++)
		if (r->ev[3 * from + i] != want[i])
			fail_msg("event %d field %d: %d, expected %d", from + i / 3, i % 3,
			    r->ev[3 * from + i], want[i]);
	pthread_mutex_unlock(&r->lock);
}

static void
live_uinput(struct pointer *p)
{
	static struct reader r;
	char err[512], node[256];
	const struct input_absinfo *ax, *ay;
	pthread_t th;
	int fd;
	double until;

	memset(&r, 0, sizeof r);
	pthread_mutex_init(&r.lock, NULL);
	assert_null(pointer_devnode(p));            /* nothing before the engage */
	assert_int_equal(pointer_engage(p, 0.0, err, sizeof err), 0);
	if (pointer_devnode(p) == NULL)
		fail_msg("the uinput device has no /dev/input/event* node");
	snprintf(node, sizeof node, "%s", pointer_devnode(p));
	print_message("uinput device at %s\n", node);
	assert_true(strncmp(node, "/dev/input/event", 16) == 0);
	/* devtmpfs makes the node; udev may still be setting its mode. */
	until = mono() + 2.0;
	while ((fd = open(node, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0 && mono() < until)
		usleep(10000);
	if (fd < 0)
		fail_msg("%s: %s", node, strerror(errno));
	assert_int_equal(libevdev_new_from_fd(fd, &r.dev), 0);
	assert_string_equal(libevdev_get_name(r.dev), POINTER_DEV_NAME);
	assert_true(libevdev_has_event_code(r.dev, EV_KEY, BTN_LEFT));
	assert_true(libevdev_has_event_code(r.dev, EV_ABS, ABS_X));
	assert_true(libevdev_has_event_code(r.dev, EV_ABS, ABS_Y));
	assert_false(libevdev_has_property(r.dev, INPUT_PROP_DIRECT));
	ax = libevdev_get_abs_info(r.dev, ABS_X);
	ay = libevdev_get_abs_info(r.dev, ABS_Y);
	assert_int_equal(ax->minimum, 0);
	assert_int_equal(ax->maximum, 1279);
	assert_int_equal(ay->minimum, 0);
	assert_int_equal(ay->maximum, 719);
	assert_int_equal(pthread_create(&th, NULL, reader_main, &r), 0);

	assert_int_equal(pointer_cursor(p, 0.1, 0.5, 0.5, POINTER_MOVE, err, sizeof err), 0);
	assert_int_equal(pointer_cursor(p, 0.2, 0.25, 1.0, POINTER_PRESS, err, sizeof err), 0);
	assert_int_equal(pointer_cursor(p, 0.2, 0.25, 1.0, POINTER_RELEASE, err, sizeof err), 0);
	{
		static const int want[] = {
			EV_ABS, ABS_X, 640, EV_ABS, ABS_Y, 360, EV_SYN, SYN_REPORT, 0,
			EV_ABS, ABS_X, 320, EV_ABS, ABS_Y, 719, EV_KEY, BTN_LEFT, 1, EV_SYN, SYN_REPORT, 0,
			EV_KEY, BTN_LEFT, 0, EV_SYN, SYN_REPORT, 0,
		};
		assert_int_equal(wait_events(&r, 9), 9);
		expect_events(&r, 0, want, 9);
	}
	/* A press held at disengage is released, and the release arrives,
	 * before the device goes. */
	assert_int_equal(pointer_cursor(p, 0.3, 0.0, 0.0, POINTER_PRESS, err, sizeof err), 0);
	pointer_disengage(p, 0.4);
	assert_null(pointer_devnode(p));
	{
		static const int want[] = {
			EV_ABS, ABS_X, 0, EV_ABS, ABS_Y, 0, EV_KEY, BTN_LEFT, 1, EV_SYN, SYN_REPORT, 0,
			EV_KEY, BTN_LEFT, 0, EV_SYN, SYN_REPORT, 0,
		};
		assert_int_equal(wait_events(&r, 15), 15);
		expect_events(&r, 9, want, 6);
	}
	/* The device is gone: the reader's read fails, the node goes. */
	until = mono() + 2.0;
	for (;;) {
		int gone;
		pthread_mutex_lock(&r.lock);
		gone = r.gone;
		pthread_mutex_unlock(&r.lock);
		if (gone || mono() > until)
			break;
		usleep(2000);
	}
	atomic_store(&r.stop, 1);
	pthread_join(th, NULL);
	assert_int_equal(r.error, 0);
	assert_int_equal(r.gone, 1);
	assert_int_equal(r.n, 15);
	until = mono() + 2.0;
	while (access(node, F_OK) == 0 && mono() < until)
		usleep(10000);
	assert_int_not_equal(access(node, F_OK), 0);
	libevdev_free(r.dev);
	close(fd);

	/* Engaged again: a new device. */
	assert_int_equal(pointer_engage(p, 1.0, err, sizeof err), 0);
	assert_non_null(pointer_devnode(p));
	print_message("engaged again: %s\n", pointer_devnode(p));
	pointer_disengage(p, 1.1);
	assert_null(pointer_devnode(p));
}

static void
test_uinput(void **state)
{
	char err[512] = "";
	struct pointer *p = pointer_open("uinput", 1280, 720, err, sizeof err);
	int fd, e;

	if (p != NULL) {
		print_message("ran the live path: /dev/uinput opened\n");
		live_uinput(p);
		pointer_close(p);
		return;
	}
	/* The refusal path: one line, and the reason open(2) gives. */
	fd = open("/dev/uinput", O_RDWR | O_CLOEXEC);
	e = errno;
	if (fd >= 0) {
		close(fd);
		fail_msg("pointer_open refused though /dev/uinput opens: %s", err);
	}
	print_message("ran the refusal path (no usable /dev/uinput here): %s\n", err);
	assert_null(strchr(err, '\n'));
	assert_true(strncmp(err, "pointer uinput: ", 16) == 0);
	assert_non_null(strstr(err, "/dev/uinput"));
	if (e == ENOENT)
		assert_non_null(strstr(err, "modprobe uinput"));
	else
		assert_non_null(strstr(err, strerror(e)));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_specs),
		cmocka_unit_test_setup_teardown(test_file_row, setup_tmp, teardown_tmp),
		cmocka_unit_test(test_device_fails),
		cmocka_unit_test(test_uinput),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
