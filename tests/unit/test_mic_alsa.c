/*
 * test_mic_alsa — the direct ALSA microphone row (devices/mic_alsa.c) on a
 * machine without a sound card: its specs, and the row itself capturing
 * through alsa-lib from a real ALSA PCM that needs no hardware, the test
 * device of tests/unit/alsa_test_pcm.c (an alsa-lib I/O plugin, loaded by
 * alsa-lib from the asoundrc this test writes and names in
 * ALSA_CONFIG_PATH).  The device delivers a fixture paced by the clock, and
 * its control file makes it overrun, suspend, vanish and return as a USB
 * card does, so the row's recoveries and losses and the supervisor's
 * reopen are the real code paths, on the real clock.
 *
 * Needs the fixtures of tests/unit/fixtures.sh in $FIXTURES and the plugin
 * next to this binary ($(BUILD)/tests/libasound_module_pcm_sotest.so).
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
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

#include "base/clock.h"
#include "base/log.h"
#include "devices/mic.h"
#include "devices/wav.h"

static char dir[64];
static char ctl[128];
static int16_t *ref;            /* wake_air.wav, the 16 kHz device's audio */
static size_t nref;

static void
put_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(data, 1, len, f) != len)
		fail_msg("%s: %s", path, strerror(errno));
	fclose(f);
}

/* What the test device does next (see alsa_test_pcm.c). */
static void
control(const char *text)
{
	put_file(ctl, text, strlen(text));
}

static int
opens(void)
{
	char path[200], line[64];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof path, "%s.opens", ctl);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof line, f) != NULL)
		n++;
	fclose(f);
	return n;
}

/*
 * The devices: mic16 (the fixture at 16 kHz mono, what the row asks for),
 * raw48 (a 440 Hz tone at 48 kHz stereo, which the row cannot take as it
 * is) and mic48 (raw48 through ALSA's plug converter).
 */
static int
setup(void **state)
{
	char exe[PATH_MAX], plugin[PATH_MAX + 64], conf[3 * PATH_MAX], path[200], warn[256], err[512];
	struct wav_info info;
	ssize_t n;
	int16_t *tone;
	size_t frames = 48000;

	(void)state;
	log_init(-1);
	if ((n = readlink("/proc/self/exe", exe, sizeof exe - 1)) < 0)
		return -1;
	exe[n] = '\0';
	snprintf(plugin, sizeof plugin, "%s/libasound_module_pcm_sotest.so", dirname(exe));
	if (access(plugin, R_OK) != 0) {
		fprintf(stderr, "test_mic_alsa: %s is missing (make it)\n", plugin);
		return -1;
	}
	if (tmpdir_make(dir, sizeof dir, "/tmp/so-alsa-XXXXXX") < 0)
		return -1;
	snprintf(ctl, sizeof ctl, "%s/control", dir);
	if (wav_load(fixture("wake_air.wav"), &ref, &nref, &info, err, sizeof err, warn, sizeof warn) != 0) {
		fprintf(stderr, "test_mic_alsa: %s\n", err);
		return -1;
	}
	snprintf(path, sizeof path, "%s/in16.raw", dir);
	put_file(path, ref, nref * sizeof *ref);
	tone = malloc(frames * 2 * sizeof *tone);
	for (size_t i = 0; i < frames; i++)
		tone[2 * i] = tone[2 * i + 1] = (int16_t)lrint(8000 * sin(2 * M_PI * 440 * i / 48000.0));
	snprintf(path, sizeof path, "%s/in48.raw", dir);
	put_file(path, tone, frames * 2 * sizeof *tone);
	free(tone);
	snprintf(conf, sizeof conf,
	    "pcm_type.sotest { lib \"%s\" }\n"
	    "pcm.mic16 { type sotest infile \"%s/in16.raw\" rate 16000 channels 1 control \"%s\" }\n"
	    "pcm.raw48 { type sotest infile \"%s/in48.raw\" rate 48000 channels 2 control \"%s\" }\n"
	    "pcm.mic48 { type plug slave.pcm \"raw48\" }\n"
	    /* hw:X and plughw:X as alsa.conf has them, on the 48 kHz device */
	    "pcm.hw { @args [ CARD ] @args.CARD { type string } type sotest infile \"%s/in48.raw\" "
	    "rate 48000 channels 2 control \"%s\" }\n"
	    "pcm.plughw { @args [ CARD ] @args.CARD { type string } type plug slave.pcm \"raw48\" }\n",
	    plugin, dir, ctl, dir, ctl, dir, ctl);
	snprintf(path, sizeof path, "%s/asound.conf", dir);
	put_file(path, conf, strlen(conf));
	setenv("ALSA_CONFIG_PATH", path, 1);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	free(ref);
	tmpdir_remove(dir);
	return 0;
}

static int
reset_control(void **state)
{
	(void)state;
	control("ok");
	return 0;
}

/* ---- specs: no device needed ---- */

static void
test_specs(void **state)
{
	const struct mic_ops *ops;
	const char *arg;
	char err[512] = "";

	assert_int_equal(mic_parse_spec("alsa", &ops, &arg, err, sizeof err), 0);
	assert_ptr_equal(ops, &mic_alsa_ops);
	assert_null(arg);
	assert_int_equal(mic_parse_spec("alsa:hw:1,0", &ops, &arg, err, sizeof err), 0);
	assert_ptr_equal(ops, &mic_alsa_ops);
	assert_string_equal(arg, "hw:1,0");
	assert_int_equal(mic_parse_spec("alsa:plughw:CARD=smartofficemic,DEV=0", &ops, &arg, err,
	    sizeof err), 0);
	assert_string_equal(arg, "plughw:CARD=smartofficemic,DEV=0");
	assert_int_equal(mic_parse_spec("alsa:default", &ops, &arg, err, sizeof err), 0);
	assert_string_equal(arg, "default");
	/* The other rows are still theirs. */
	assert_int_equal(mic_parse_spec("portaudio", &ops, &arg, err, sizeof err), 0);
	assert_ptr_equal(ops, &mic_portaudio_ops);
	assert_int_equal(mic_parse_spec("file:alsa:x.wav", &ops, &arg, err, sizeof err), 0);
	assert_ptr_equal(ops, &mic_file_ops);
	/* "alsa:" names no PCM. */
	assert_int_equal(mic_parse_spec("alsa:", &ops, &arg, err, sizeof err), -1);
	assert_non_null(strstr(err, "\"alsa:\""));
	assert_non_null(strstr(err, "nothing after"));
	/* An unknown row lists the ALSA one among what is expected. */
	assert_int_equal(mic_parse_spec("alsahw:0", &ops, &arg, err, sizeof err), -1);
	assert_non_null(strstr(err, "alsahw:0"));
	assert_non_null(strstr(err, "alsa:PCM"));
	/* A source of another row says nothing about ALSA. */
	assert_int_equal(mic_alsa_overruns(NULL), 0);
	assert_null(mic_alsa_name(NULL));
}

/* ---- opening: what a bad device says ---- */

static void
test_open_errors(void **state)
{
	char err[512] = "", longname[400];
	struct mic *m;

	/* No such PCM. */
	assert_null(mic_open("alsa:nosuchpcm", 1, err, sizeof err));
	assert_non_null(strstr(err, "ALSA \"nosuchpcm\""));
	assert_non_null(strstr(err, "cannot open for capture"));
	/* A PCM that cannot give 16 kHz mono S16 itself (no plug). */
	assert_null(mic_open("alsa:raw48", 1, err, sizeof err));
	assert_non_null(strstr(err, "ALSA \"raw48\""));
	assert_non_null(strstr(err, "cannot capture 16 kHz mono S16"));
	/* A card that is not there: ENODEV, as the supervisor expects. */
	control("gone");
	errno = 0;
	assert_null(mic_open("alsa:mic16", 1, err, sizeof err));
	assert_int_equal(errno, ENODEV);
	assert_non_null(strstr(err, "ALSA \"mic16\""));
	assert_non_null(strstr(err, strerror(ENODEV)));
	/* A name longer than ALSA's own limits. */
	memset(longname, 'x', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	memcpy(longname, "alsa:", 5);
	assert_null(mic_open(longname, 1, err, sizeof err));
	assert_non_null(strstr(err, "name too long"));
	control("ok");
	m = mic_open("alsa:mic16", 1, err, sizeof err);
	if (m == NULL)
		fail_msg("%s", err);
	assert_string_equal(mic_alsa_name(m), "mic16");
	mic_close(m);
}

/* ---- capture ---- */

/* Reads n samples into out (whatever the read sizes); fails on an error. */
static void
read_n(struct mic *m, int16_t *out, size_t n, size_t chunk)
{
	char err[512];
	size_t got = 0;

	while (got < n) {
		ssize_t r = mic_read(m, out + got, n - got < chunk ? n - got : chunk, err, sizeof err);
		if (r <= 0)
			fail_msg("mic_read after %zu of %zu: %zd (%s)", got, n, r, err);
		got += (size_t)r;
	}
}

/* The device's samples, exactly, paced by the device. */
static void
test_reads_paced(void **state)
{
	char err[512];
	size_t n = 8000;            /* 0.5 s */
	int16_t *buf = malloc(n * sizeof *buf);
	struct mic *m = mic_open("alsa:mic16", 0, err, sizeof err);
	double t0;

	if (m == NULL)
		fail_msg("%s", err);
	assert_ptr_equal(m->ops, &mic_alsa_ops);
	assert_int_equal(m->realtime, 1);      /* a live row, whatever was asked */
	t0 = clock_mono();
	read_n(m, buf, n, 1000);
	if (clock_mono() - t0 < 0.4)
		fail_msg("0.5 s captured in %.3f s: not paced by the device", clock_mono() - t0);
	assert_memory_equal(buf, ref, n * sizeof *buf);
	assert_int_equal(m->samples, n);
	assert_int_equal(mic_alsa_overruns(m), 0);
	free(buf);
	mic_close(m);
}

/* 48 kHz stereo through ALSA's plug: 16 kHz mono, the tone's frequency kept. */
static void
test_reads_converted(void **state)
{
	char err[512];
	size_t n = 8000, crossings = 0;
	int16_t *buf = malloc(n * sizeof *buf);
	struct mic *m = mic_open("alsa:mic48", 1, err, sizeof err);
	double rms = 0;

	if (m == NULL)
		fail_msg("%s", err);
	read_n(m, buf, n, 512);
	for (size_t i = 1000; i < n; i++) {      /* past the converter's start */
		crossings += (buf[i - 1] < 0) != (buf[i] < 0);
		rms += (double)buf[i] * buf[i];
	}
	rms = sqrt(rms / (n - 1000));
	/* 440 Hz: 880 crossings a second, 7000 samples = 0.4375 s */
	if (crossings < 375 || crossings > 395)
		fail_msg("%zu zero crossings in 0.4375 s, want about 385 (440 Hz)", crossings);
	if (rms < 0.6 * 8000 / sqrt(2) || rms > 1.2 * 8000 / sqrt(2))
		fail_msg("RMS %.0f, want about %.0f", rms, 8000 / sqrt(2));
	free(buf);
	mic_close(m);
}

/* A hw: PCM that cannot give 16 kHz mono itself is opened as plughw:. */
static void
test_hw_falls_back_to_plughw(void **state)
{
	char err[512];
	int16_t buf[1600];
	struct mic *m = mic_open("alsa:hw:48", 1, err, sizeof err);

	if (m == NULL)
		fail_msg("%s", err);
	assert_string_equal(mic_alsa_name(m), "plughw:48");
	read_n(m, buf, 1600, 320);
	mic_close(m);
	/* Not when the card is not there: that error is the one to see. */
	control("gone");
	assert_null(mic_open("alsa:hw:48", 1, err, sizeof err));
	assert_non_null(strstr(err, "ALSA \"hw:48\""));
}

/* An overrun, signalled by the device or by a reader that fell a buffer
 * behind, is recovered: the reads go on and no read fails. */
static void
test_overrun_is_not_a_loss(void **state)
{
	char err[512];
	int16_t buf[3200];
	struct mic *m = mic_open("alsa:mic16", 1, err, sizeof err);

	if (m == NULL)
		fail_msg("%s", err);
	read_n(m, buf, 1600, 320);
	control("xrun 1");
	read_n(m, buf, 3200, 320);
	assert_int_equal(mic_alsa_overruns(m), 1);
	/* The reader sleeps longer than the device's buffer (0.5 s). */
	clock_sleep(0.8);
	read_n(m, buf, 3200, 320);
	assert_true(mic_alsa_overruns(m) >= 2);
	mic_close(m);
}

/* A suspend that resumes goes on; one that never does is a loss. */
static void
test_suspend(void **state)
{
	char err[512] = "";
	int16_t buf[3200];
	struct mic *m = mic_open("alsa:mic16", 1, err, sizeof err);

	if (m == NULL)
		fail_msg("%s", err);
	read_n(m, buf, 1600, 320);
	control("suspend 1");
	read_n(m, buf, 3200, 320);
	assert_int_equal(mic_alsa_overruns(m), 0);
	control("dead-suspend");
	errno = 0;
	{
		double t0 = clock_mono();
		ssize_t r;
		while ((r = mic_read(m, buf, 320, err, sizeof err)) > 0 && clock_mono() - t0 < 2)
			;
		assert_int_equal(r, -1);
		assert_int_equal(errno, ENODEV);
		assert_true(clock_mono() - t0 < 0.5);
	}
	assert_non_null(strstr(err, "ALSA \"mic16\""));
	assert_non_null(strstr(err, "resuming after a suspend"));
	mic_close(m);
}

/* A stream in a bad state (-EBADFD) and a poll error are losses too, each
 * seen at the next read, with ALSA's reason. */
static void
test_badfd_and_poll_errors(void **state)
{
	static const struct { const char *word, *what, *reason; } cases[] = {
		{ "badfd", "read", "File descriptor in bad state" },
		{ "pollerr", "poll", "Input/output error" },
	};
	char err[512];
	int16_t buf[1600];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct mic *m;
		char want[128];
		double t0;
		ssize_t r;

		control("ok");
		if ((m = mic_open("alsa:mic16", 1, err, sizeof err)) == NULL)
			fail_msg("%s", err);
		read_n(m, buf, 1600, 320);
		control(cases[i].word);
		t0 = clock_mono();
		errno = 0;
		while ((r = mic_read(m, buf, 320, err, sizeof err)) > 0 && clock_mono() - t0 < 2)
			;
		assert_int_equal(r, -1);
		assert_int_equal(errno, ENODEV);
		if (clock_mono() - t0 > 0.3)
			fail_msg("%s: seen %.3f s later", cases[i].word, clock_mono() - t0);
		snprintf(want, sizeof want, "ALSA \"mic16\": %s: %s", cases[i].what, cases[i].reason);
		if (strstr(err, want) == NULL)
			fail_msg("%s: \"%s\", want \"%s\"", cases[i].word, err, want);
		mic_close(m);
	}
}

/*
 * The card vanishes mid-stream and returns, through the supervisor on the
 * real clock: LOST at the next read (well within the 1 s silence limit),
 * reopen attempts that fail while it is gone (each a real snd_pcm_open),
 * BACK within 1.1 s of its return (back-off at most 1 s), and the audio
 * goes on from a freshly opened PCM.
 */
static void
test_sup_lost_and_back(void **state)
{
	char err[512] = "";
	int16_t buf[1600];
	struct mic_sup *s = mic_sup_open("alsa:mic16", NULL, 1, NULL, err, sizeof err);
	double gone_at, lost_at = 0, back_at = 0, returned_at;
	int opens_before, waits = 0;
	ssize_t r;

	if (s == NULL)
		fail_msg("%s", err);
	for (size_t got = 0; got < 3200; got += (size_t)r)
		if ((r = mic_sup_read(s, buf, 320, err, sizeof err)) <= 0)
			fail_msg("read %zd before the unplug: %s", r, err);
	opens_before = opens();
	control("gone");
	gone_at = clock_mono();
	while ((r = mic_sup_read(s, buf, 320, err, sizeof err)) > 0 && clock_mono() - gone_at < 3)
		;
	assert_int_equal(r, MIC_SUP_LOST);
	lost_at = clock_mono();
	if (lost_at - gone_at > 0.3)
		fail_msg("the loss was seen %.3f s after the unplug", lost_at - gone_at);
	assert_non_null(strstr(err, "ALSA \"mic16\""));
	assert_non_null(strstr(err, strerror(ENODEV)));
	assert_null(mic_sup_mic(s));            /* the PCM is closed */
	/* Gone for 1.5 s: reopen attempts that fail. */
	while (clock_mono() - gone_at < 1.5) {
		r = mic_sup_read(s, buf, 320, err, sizeof err);
		assert_int_equal(r, MIC_SUP_WAIT);
		waits++;
	}
	assert_true(waits > 0);
	assert_true(mic_sup_attempts(s) >= 2);
	assert_true(opens() - opens_before >= 2);   /* real opens, refused by the device */
	control("ok");
	returned_at = clock_mono();
	while ((r = mic_sup_read(s, buf, 320, err, sizeof err)) == MIC_SUP_WAIT &&
	    clock_mono() - returned_at < 3)
		;
	assert_int_equal(r, MIC_SUP_BACK);
	back_at = clock_mono();
	if (back_at - returned_at > 1.1)
		fail_msg("back %.3f s after the device returned, want within 1.1 s", back_at - returned_at);
	assert_true(mic_sup_gap(s) >= 1.5 - 0.1 && mic_sup_gap(s) <= back_at - lost_at + 0.2);
	assert_int_equal(mic_sup_losses(s), 1);
	assert_non_null(mic_sup_mic(s));
	assert_ptr_equal(mic_sup_mic(s)->ops, &mic_alsa_ops);
	for (size_t got = 0; got < 1600; got += (size_t)r)
		if ((r = mic_sup_read(s, buf + got, 1600 - got, err, sizeof err)) <= 0)
			fail_msg("read %zd after the return: %s", r, err);
	/* A new PCM: the device's audio from its beginning again. */
	assert_memory_equal(buf, ref, 1600 * sizeof *buf);
	print_message("lost %.3f s after the unplug, back %.3f s after the return (gap %.2f s)\n",
	    lost_at - gone_at, back_at - returned_at, mic_sup_gap(s));
	mic_sup_close(s);
}

/* A card missing at start, with allow_absent: LOST at once, BACK when it
 * comes (the daemon's start with the microphone not yet plugged in). */
static void
test_sup_absent_at_start(void **state)
{
	char err[512] = "";
	int16_t buf[320];
	struct mic_sup_conf conf = { .allow_absent = 1 };
	struct mic_sup *s;
	double t0;
	ssize_t r;

	control("gone");
	assert_null(mic_sup_open("alsa:mic16", NULL, 1, NULL, err, sizeof err));
	assert_non_null(strstr(err, strerror(ENODEV)));
	s = mic_sup_open("alsa:mic16", NULL, 1, &conf, err, sizeof err);
	assert_non_null(s);
	assert_int_equal(mic_sup_read(s, buf, 320, err, sizeof err), MIC_SUP_LOST);
	assert_non_null(strstr(err, "ALSA \"mic16\""));
	control("ok");
	t0 = clock_mono();
	while ((r = mic_sup_read(s, buf, 320, err, sizeof err)) == MIC_SUP_WAIT && clock_mono() - t0 < 3)
		;
	assert_int_equal(r, MIC_SUP_BACK);
	assert_true(clock_mono() - t0 < 1.1);
	assert_true(mic_sup_read(s, buf, 320, err, sizeof err) > 0);
	mic_sup_close(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_specs),
		cmocka_unit_test_setup(test_open_errors, reset_control),
		cmocka_unit_test_setup(test_reads_paced, reset_control),
		cmocka_unit_test_setup(test_reads_converted, reset_control),
		cmocka_unit_test_setup(test_hw_falls_back_to_plughw, reset_control),
		cmocka_unit_test_setup(test_overrun_is_not_a_loss, reset_control),
		cmocka_unit_test_setup(test_suspend, reset_control),
		cmocka_unit_test_setup(test_badfd_and_poll_errors, reset_control),
		cmocka_unit_test_setup(test_sup_lost_and_back, reset_control),
		cmocka_unit_test_setup(test_sup_absent_at_start, reset_control),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
