/*
 * test_mic — audio sources (devices/mic.c, devices/mic_file.c): replaying a
 * WAV file in reads of any size, pacing to the wall clock, bad specs, and
 * an unplugged microphone simulated through a test ops table that wraps
 * the file row (SQLite's VFS fault-injection style).
 *
 * Needs the fixtures of tests/unit/fixtures.sh in $FIXTURES (default
 * build/fixtures); tests/run-unit makes them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/testutil.h"

#include "base/log.h"
#include "devices/mic.h"
#include "devices/wav.h"

static int16_t *
load_ref(const char *name, size_t *n)
{
	char err[512], warn[512];
	int16_t *pcm;
	struct wav_info info;

	if (wav_load(fixture(name), &pcm, n, &info, err, sizeof err, warn, sizeof warn) != 0)
		fail_msg("%s", err);
	return pcm;
}

static struct mic *
open_file(const char *name, int realtime)
{
	char spec[1100], err[512] = "";
	struct mic *m;

	snprintf(spec, sizeof spec, "file:%s", fixture(name));
	m = mic_open(spec, realtime, err, sizeof err);
	if (m == NULL)
		fail_msg("mic_open(%s): %s", spec, err);
	return m;
}

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* Reads everything in reads of `chunk` samples; returns what was read. */
static int16_t *
read_all(struct mic *m, size_t chunk, size_t *total)
{
	size_t cap = 16000, n = 0;
	int16_t *all = malloc(cap * sizeof *all);
	char err[512];
	ssize_t r;

	for (;;) {
		if (n + chunk > cap) {
			cap = (n + chunk) * 2;
			all = realloc(all, cap * sizeof *all);
		}
		r = mic_read(m, all + n, chunk, err, sizeof err);
		if (r < 0)
			fail_msg("mic_read: %s", err);
		assert_true((size_t)r <= chunk);
		if (r == 0)
			break;
		n += (size_t)r;
		assert_int_equal(m->samples, n);
	}
	*total = n;
	return all;
}

static void
test_file_reads_whole_recording(void **state)
{
	static const size_t chunks[] = { 1, 7, 160, 1000 };
	size_t rn, n;
	int16_t *ref = load_ref("wake_air.wav", &rn);

	for (size_t k = 0; k < sizeof chunks / sizeof chunks[0]; k++) {
		struct mic *m = open_file("wake_air.wav", 0);
		char err[512];
		int16_t *all, extra[16];
		assert_int_equal(m->samples, 0);
		assert_true(m->duration > 0.99 * rn / 16000.0 && m->duration < 1.01 * rn / 16000.0);
		all = read_all(m, chunks[k], &n);
		assert_int_equal(n, rn);
		assert_memory_equal(all, ref, n * sizeof *all);
		/* The end stays the end. */
		assert_int_equal(mic_read(m, extra, 16, err, sizeof err), 0);
		assert_int_equal(m->samples, rn);
		free(all);
		mic_close(m);
	}
	free(ref);
}

/* A file in another format is converted: the same as wav_load gives. */
static void
test_file_converts(void **state)
{
	size_t rn, n;
	int16_t *ref = load_ref("air_44k_stereo.wav", &rn), *all;
	struct mic *m;

	log_init(-1);       /* the conversion is logged at info level */
	m = open_file("air_44k_stereo.wav", 0);
	all = read_all(m, 333, &n);
	assert_int_equal(n, rn);
	assert_memory_equal(all, ref, n * sizeof *all);
	assert_true(m->duration > 5.0);
	free(all);
	free(ref);
	mic_close(m);
}

/* A truncated 16 kHz file streams what is there and ends cleanly. */
static void
test_file_truncated(void **state)
{
	size_t rn, n;
	int16_t *ref, *all;
	struct mic *m;

	log_init(-1);
	ref = load_ref("air_truncated.wav", &rn);
	m = open_file("air_truncated.wav", 0);
	all = read_all(m, 4096, &n);
	assert_int_equal(n, rn);
	assert_memory_equal(all, ref, n * sizeof *all);
	free(all);
	free(ref);
	mic_close(m);
}

static void
test_realtime_paces(void **state)
{
	struct mic *m = open_file("wake_air.wav", 1);
	int16_t buf[160];
	char err[512];
	double t0 = now(), dt;
	size_t got = 0;

	while (got < 4800) {       /* 0.3 s */
		ssize_t r = mic_read(m, buf, 160, err, sizeof err);
		assert_true(r > 0);
		got += (size_t)r;
	}
	dt = now() - t0;
	if (dt < 0.28)
		fail_msg("0.3 s of audio read in %.3f s", dt);
	assert_true(dt < 1.5);
	assert_int_equal(m->samples, 4800);
	mic_close(m);

	/* Not realtime: far faster. */
	m = open_file("wake_air.wav", 0);
	t0 = now();
	for (got = 0; got < 4800; got += 160)
		assert_int_equal(mic_read(m, buf, 160, err, sizeof err), 160);
	assert_true(now() - t0 < 0.1);
	mic_close(m);
}

static void
test_bad_specs(void **state)
{
	char err[512] = "";
	const char *missing = "/nonexistent/dir/recording.wav";
	char spec[600];

	assert_null(mic_open("alsa:hw:0", 0, err, sizeof err));
	assert_non_null(strstr(err, "alsa:hw:0"));
	assert_non_null(strstr(err, "file:PATH"));
	err[0] = '\0';
	assert_null(mic_open("", 0, err, sizeof err));
	assert_true(strlen(err) > 0);
	err[0] = '\0';
	snprintf(spec, sizeof spec, "file:%s", missing);
	assert_null(mic_open(spec, 0, err, sizeof err));
	assert_non_null(strstr(err, missing));
	assert_non_null(strstr(err, "No such file"));
	/* A file that is not a WAV. */
	err[0] = '\0';
	assert_null(mic_open("file:Makefile", 0, err, sizeof err));
	assert_non_null(strstr(err, "Makefile"));
	assert_non_null(strstr(err, "not a WAV file"));
}

/* ---- an unplugged microphone: the file row, failing after N reads ---- */

static int reads_before_unplug;
static int reads_done;
static int closed;

static int
faulty_open(struct mic *m, const char *arg, char *err, size_t errlen)
{
	reads_done = 0;
	closed = 0;
	return mic_file_ops.open(m, arg, err, errlen);
}

static ssize_t
faulty_read(struct mic *m, int16_t *buf, size_t n, char *err, size_t errlen)
{
	if (reads_done++ >= reads_before_unplug) {
		errno = ENODEV;
		snprintf(err, errlen, "test microphone: read failed: %s", strerror(ENODEV));
		return -1;
	}
	return mic_file_ops.read(m, buf, n, err, errlen);
}

static void
faulty_close(struct mic *m)
{
	closed++;
	mic_file_ops.close(m);
}

static const struct mic_ops faulty_ops = { "faulty", faulty_open, faulty_read, faulty_close };

static void
test_unplugged(void **state)
{
	char err[512] = "";
	int16_t buf[160];
	struct mic *m;

	reads_before_unplug = 5;
	m = mic_open_ops(&faulty_ops, fixture("wake_air.wav"), 0, err, sizeof err);
	if (m == NULL)
		fail_msg("%s", err);
	assert_ptr_equal(m->ops, &faulty_ops);
	for (int i = 0; i < 5; i++)
		assert_int_equal(mic_read(m, buf, 160, err, sizeof err), 160);
	assert_int_equal(m->samples, 5 * 160);
	errno = 0;
	assert_int_equal(mic_read(m, buf, 160, err, sizeof err), -1);
	assert_int_equal(errno, ENODEV);
	assert_non_null(strstr(err, "test microphone: read failed"));
	assert_non_null(strstr(err, strerror(ENODEV)));
	/* A failed read delivers nothing. */
	assert_int_equal(m->samples, 5 * 160);
	assert_int_equal(mic_read(m, buf, 160, err, sizeof err), -1);
	assert_int_equal(m->samples, 5 * 160);
	mic_close(m);
	assert_int_equal(closed, 1);
	mic_close(NULL);
}

/* An ops table whose open fails: no mic, the error passed on. */
static int
refusing_open(struct mic *m, const char *arg, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: no such device", arg);
	return -1;
}

static void
test_open_ops_failure(void **state)
{
	static const struct mic_ops refusing = { "refusing", refusing_open, faulty_read, faulty_close };
	char err[512] = "";

	closed = 0;
	assert_null(mic_open_ops(&refusing, "hw:7", 0, err, sizeof err));
	assert_string_equal(err, "hw:7: no such device");
	assert_int_equal(closed, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_reads_whole_recording),
		cmocka_unit_test(test_file_converts),
		cmocka_unit_test(test_file_truncated),
		cmocka_unit_test(test_realtime_paces),
		cmocka_unit_test(test_bad_specs),
		cmocka_unit_test(test_unplugged),
		cmocka_unit_test(test_open_ops_failure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
