/*
 * test_mic — audio sources (devices/mic.c, devices/mic_file.c): replaying a
 * WAV file in reads of any size, pacing to the wall clock, bad specs, and
 * an unplugged microphone simulated through a test ops table that wraps
 * the file row (SQLite's VFS fault-injection style); the supervised reader
 * (mic_sup_*): a microphone that goes and comes back, through the file
 * row's unplug schedule on the real clock and through a test table on a
 * fake clock.
 *
 * Needs the fixtures of tests/unit/fixtures.sh in $FIXTURES (default
 * build/fixtures); tests/run-unit makes them.
 */
#include <errno.h>
#include <math.h>
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

	assert_null(mic_open("jack:system", 0, err, sizeof err));
	assert_non_null(strstr(err, "jack:system"));
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

/* ---- the supervised reader ---- */

/* The file row's unplug schedule, on the real clock: lost at once when the
 * replay reaches T (one failed read), back once D has passed (well within
 * 2 s), nothing heard twice, and stream time going on across the gap. */
static void
test_sup_unplug_file(void **state)
{
	size_t rn, got = 0, got_before = 0;
	int16_t *ref = load_ref("wake_air.wav", &rn), *all = calloc(rn, sizeof *all);
	int16_t buf[320];
	char spec[1100], err[512];
	struct mic_sup *s;
	double t_lost = 0, t_back = 0;
	int losses = 0, backs = 0, reads_after_lost = 0;
	uint64_t pos_back = 0;

	log_init(-1);
	assert_true(rn > 16000 * 2);
	snprintf(spec, sizeof spec, "file:%s@unplug=0.5+0.4", fixture("wake_air.wav"));
	s = mic_sup_open(spec, NULL, 0, NULL, err, sizeof err);
	if (s == NULL)
		fail_msg("mic_sup_open: %s", err);
	for (;;) {
		ssize_t r = mic_sup_read(s, buf, 320, err, sizeof err);
		if (r > 0) {
			if (losses == 1 && backs == 0)
				fail_msg("samples while the microphone is gone");
			memcpy(all + got, buf, (size_t)r * sizeof *buf);
			/* Every sample is the file's at the stream position. */
			assert_memory_equal(buf, ref + mic_sup_position(s) - (uint64_t)r,
			    (size_t)r * sizeof *buf);
			got += (size_t)r;
			continue;
		}
		if (r == MIC_SUP_END)
			break;
		if (r == MIC_SUP_LOST) {
			losses++;
			t_lost = now();
			got_before = got;
			/* Lost at the first read past 0.5 s: every sample up to it came. */
			assert_int_equal(got, 8000);
			assert_int_equal(mic_sup_position(s), 8000);
			assert_non_null(strstr(err, "read failed"));
			assert_non_null(strstr(err, strerror(ENODEV)));
			assert_null(mic_sup_mic(s));
			continue;
		}
		if (r == MIC_SUP_WAIT) {
			reads_after_lost++;
			assert_true(now() - t_lost < 2.0);
			continue;
		}
		assert_int_equal(r, MIC_SUP_BACK);
		backs++;
		t_back = now();
		pos_back = mic_sup_position(s);
		assert_non_null(mic_sup_mic(s));
	}
	assert_int_equal(losses, 1);
	assert_int_equal(backs, 1);
	assert_true(reads_after_lost > 0);
	assert_int_equal(mic_sup_losses(s), 1);
	print_message("lost -> back in %.3f s (gone for 0.4 s), %u reopen attempts, gap %.3f s\n",
	    t_back - t_lost, mic_sup_attempts(s), mic_sup_gap(s));
	assert_true(t_back - t_lost >= 0.4);
	assert_true(t_back - t_lost < 0.4 + 1.0 + 0.3);
	/* The gap is the time gone; the stream goes on by it. */
	assert_true(mic_sup_gap(s) >= 0.4 && mic_sup_gap(s) <= t_back - t_lost + 0.08 + 0.01);
	assert_int_equal(pos_back, 8000 + (uint64_t)(mic_sup_gap(s) * 16000 + 0.5));
	assert_int_equal((pos_back - 8000) % MIC_SUP_STEP, 0);
	/* Not one sample twice: what came is the file less the gap, in order. */
	assert_int_equal(got + (pos_back - got_before), rn);
	assert_int_equal(mic_sup_position(s), rn);
	assert_memory_equal(all, ref, 8000 * sizeof *all);
	assert_memory_equal(all + 8000, ref + pos_back, (rn - pos_back) * sizeof *all);
	mic_sup_close(s);
	free(all);
	free(ref);
}

/* A fake clock and a test table: the device is gone from 1 s to 6 s. */
static double fake_t;
static double fake_back_at;
static int fake_opens;

static double fake_now(void *arg) { (void)arg; return fake_t; }
static void fake_sleep(void *arg, double s) { (void)arg; fake_t += s; }

static int
flaky_open(struct mic *m, const char *arg, char *err, size_t errlen)
{
	fake_opens++;
	if (fake_t < fake_back_at && fake_opens > 1) {
		errno = ENODEV;
		snprintf(err, errlen, "flaky: %s", strerror(ENODEV));
		return -1;
	}
	m->priv = NULL;
	return 0;
}

static ssize_t
flaky_read(struct mic *m, int16_t *buf, size_t n, char *err, size_t errlen)
{
	if (fake_t >= 1.0 && fake_t < fake_back_at) {
		errno = ENODEV;
		snprintf(err, errlen, "flaky: read: %s", strerror(ENODEV));
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		buf[i] = (int16_t)((m->samples + i) & 0x7fff);
	fake_t += (double)n / 16000;
	return (ssize_t)n;
}

static void
flaky_close(struct mic *m)
{
	(void)m;
}

static const struct mic_ops flaky_ops = { "flaky", flaky_open, flaky_read, flaky_close };

static void
test_sup_backoff(void **state)
{
	struct mic_sup_conf conf = { .now = fake_now, .sleep = fake_sleep };
	struct mic_sup *s;
	int16_t buf[160];
	char err[512];
	double lost_at = -1, back_at = -1, last_try = -1;
	double tries[32];
	unsigned ntries = 0, seen_attempts = 0;
	ssize_t r;

	fake_t = 0;
	fake_back_at = 6.0;
	fake_opens = 0;
	s = mic_sup_open("x", &flaky_ops, 1, &conf, err, sizeof err);
	assert_non_null(s);
	while (back_at < 0) {
		r = mic_sup_read(s, buf, 160, err, sizeof err);
		if (r == MIC_SUP_LOST) {
			assert_true(lost_at < 0);
			lost_at = fake_t;
			assert_non_null(strstr(err, "flaky: read"));
		} else if (r == MIC_SUP_WAIT) {
			/* Never sleeps longer than max_block in one call. */
			assert_true(mic_sup_retry_in(s) <= 1.0 + 1e-9);
			if (mic_sup_attempts(s) != seen_attempts) {
				seen_attempts = mic_sup_attempts(s);
				assert_true(ntries < 32);
				tries[ntries++] = fake_t;
			}
		} else if (r == MIC_SUP_BACK) {
			back_at = fake_t;
		} else {
			assert_true(r > 0);
		}
		assert_true(fake_t < 20);
	}
	/* Lost at the first read at 1 s; tries at +0.25, +0.75, +1.75, then
	 * every second; back at the first try after 6 s. */
	assert_true(lost_at >= 1.0 && lost_at < 1.02);
	assert_true(ntries >= 4);
	assert_true(fabs(tries[0] - (lost_at + 0.25)) < 1e-6);
	assert_true(fabs(tries[1] - (lost_at + 0.75)) < 1e-6);
	assert_true(fabs(tries[2] - (lost_at + 1.75)) < 1e-6);
	for (unsigned i = 3; i < ntries; i++)
		assert_true(fabs(tries[i] - tries[i - 1] - 1.0) < 1e-6);
	last_try = ntries ? tries[ntries - 1] : lost_at;
	assert_true(back_at >= 6.0 && back_at - 6.0 <= 1.0 + 1e-6);
	assert_true(back_at - last_try <= 1.0 + 1e-6);
	/* The gap: the time gone, rounded up to whole 80 ms steps. */
	assert_true(mic_sup_gap(s) >= back_at - lost_at - 1e-9);
	assert_true(mic_sup_gap(s) < back_at - lost_at + 0.08);
	assert_true(fabs(fmod(mic_sup_gap(s) * 16000, MIC_SUP_STEP)) < 1e-6);
	/* Reads go on after BACK, the stream position counting the gap. */
	{
		uint64_t p = mic_sup_position(s);
		assert_int_equal(mic_sup_read(s, buf, 160, err, sizeof err), 160);
		assert_int_equal(mic_sup_position(s), p + 160);
	}
	assert_int_equal(mic_sup_losses(s), 1);
	mic_sup_close(s);
}

/* Absent at start: an error, unless allowed; then LOST first, BACK later. */
static void
test_sup_absent_at_start(void **state)
{
	struct mic_sup_conf conf = { .now = fake_now, .sleep = fake_sleep };
	char spec[1100], err[512] = "";
	int16_t buf[160];
	struct mic_sup *s;
	ssize_t r;

	log_init(-1);
	snprintf(spec, sizeof spec, "file:%s@unplug=0+0.2", fixture("wake_air.wav"));
	assert_null(mic_sup_open(spec, NULL, 0, &conf, err, sizeof err));
	assert_non_null(strstr(err, "absent"));
	assert_non_null(strstr(err, "wake_air.wav"));
	conf.allow_absent = 1;
	fake_t = 100;
	s = mic_sup_open(spec, NULL, 0, &conf, err, sizeof err);
	assert_non_null(s);
	assert_int_equal(mic_sup_read(s, buf, 160, err, sizeof err), MIC_SUP_LOST);
	assert_non_null(strstr(err, "absent"));
	while ((r = mic_sup_read(s, buf, 160, err, sizeof err)) == MIC_SUP_WAIT)
		assert_true(fake_t < 102);
	assert_int_equal(r, MIC_SUP_BACK);
	/* Back at 0.25 s (the first try), the file goes on from there: 0.32 s,
	 * the next whole 80 ms step. */
	assert_int_equal(mic_sup_position(s), 5120);
	assert_int_equal(mic_sup_read(s, buf, 160, err, sizeof err), 160);
	mic_sup_close(s);
}

/* The demo loop: a replay that ended starts again, the stream going on. */
static void
test_sup_rewind(void **state)
{
	size_t rn;
	int16_t *ref = load_ref("wake_air.wav", &rn);
	int16_t buf[1000];
	char spec[1100], err[512];
	struct mic_sup *s;
	ssize_t r;
	uint64_t total = 0;

	snprintf(spec, sizeof spec, "file:%s", fixture("wake_air.wav"));
	s = mic_sup_open(spec, NULL, 0, NULL, err, sizeof err);
	assert_non_null(s);
	while ((r = mic_sup_read(s, buf, 1000, err, sizeof err)) > 0)
		total += (uint64_t)r;
	assert_int_equal(r, MIC_SUP_END);
	assert_int_equal(total, rn);
	assert_int_equal(mic_sup_rewind(s, err, sizeof err), 0);
	assert_int_equal(mic_sup_read(s, buf, 1000, err, sizeof err), 1000);
	assert_memory_equal(buf, ref, 1000 * sizeof *buf);
	assert_int_equal(mic_sup_position(s), rn + 1000);
	mic_sup_close(s);
	free(ref);
}

static void
test_sup_bad_unplug_specs(void **state)
{
	static const char *const bad[] = {
		"@unplug=", "@unplug=abc", "@unplug=1", "@unplug=1+0", "@unplug=1+-2",
		"@unplug=1+1,", "@unplug=1+1;2+1", "@unplug=-1+1",
	};
	char spec[1200], err[512];

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		snprintf(spec, sizeof spec, "file:%s%s", fixture("wake_air.wav"), bad[i]);
		assert_null(mic_open(spec, 0, err, sizeof err));
		if (strstr(err, "expected PATH@unplug=T+D") == NULL)
			fail_msg("%s: %s", bad[i], err);
	}
	snprintf(spec, sizeof spec, "file:%s@unplug=2+1,2.5+1", fixture("wake_air.wav"));
	assert_null(mic_open(spec, 0, err, sizeof err));
	assert_non_null(strstr(err, "must increase and not overlap"));
	/* Two unplugs in order are fine. */
	snprintf(spec, sizeof spec, "file:%s@unplug=0.1+0.1,0.5+0.2", fixture("wake_air.wav"));
	{
		struct mic *m = mic_open(spec, 0, err, sizeof err);
		int16_t buf[16000];
		if (m == NULL)
			fail_msg("%s", err);
		/* Reads stop at the first unplug, then fail. */
		assert_int_equal(mic_read(m, buf, 16000, err, sizeof err), 1600);
		assert_int_equal(mic_read(m, buf, 16000, err, sizeof err), -1);
		assert_int_equal(errno, ENODEV);
		mic_close(m);
	}
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
		cmocka_unit_test(test_sup_unplug_file),
		cmocka_unit_test(test_sup_backoff),
		cmocka_unit_test(test_sup_absent_at_start),
		cmocka_unit_test(test_sup_rewind),
		cmocka_unit_test(test_sup_bad_unplug_specs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
