/*
 * test_remote_voice — the remote's voice button (daemon/remote_voice.c):
 * a recording streamed as raw s16le bytes, in websocket-sized frames or in
 * odd-sized ones, comes back as one IN_COMMAND with the stream's client
 * and request ids; noise comes back as one IN_REJECT; one stream at a
 * time; a cancelled stream gives nothing and the next one works; a stream
 * is cut at max_s; a reload takes effect between streams; freeing with a
 * stream in progress is clean (run under valgrind).
 *
 * Needs the fixtures of tests/unit/fixtures.sh in $FIXTURES (default
 * build/fixtures) and runs from the repository root (tests/run-unit does
 * both).
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
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
#include "base/queue.h"
#include "daemon/remote_voice.h"
#include "devices/wav.h"
#include "models/catalogue.h"
#include "models/speech.h"

#define CATALOGUE "models/catalogue.json"
#define RATE      SPEECH_RATE
#define WAIT_S    300.0      /* valgrind decodes some 50 times slower */

static struct catalogue *cat, *cat2;
static struct queue *q;
static struct remote_voice *rv;       /* freed by teardown if a test failed */
static int16_t *cmd_pcm, *noise_pcm;
static size_t cmd_n, noise_n;
static uint8_t *cmd_bytes;            /* cmd_air.wav as s16le bytes */

static pthread_mutex_t wlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t  wcond = PTHREAD_COND_INITIALIZER;
static unsigned long   wakes;

static void
on_wake(void *ud)
{
	(void)ud;
	pthread_mutex_lock(&wlock);
	wakes++;
	pthread_cond_broadcast(&wcond);
	pthread_mutex_unlock(&wlock);
}

static double
cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The next input, waiting for the worker's wake; fails after WAIT_S. */
static void
wait_result(struct input *in)
{
	double until = now_s() + WAIT_S;

	pthread_mutex_lock(&wlock);
	while (!queue_pop(q, in)) {
		struct timespec ts;
		if (now_s() > until) {
			pthread_mutex_unlock(&wlock);
			fail_msg("no result within %.0f s", WAIT_S);
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&wcond, &wlock, &ts);
	}
	pthread_mutex_unlock(&wlock);
}

static void
assert_queue_empty(void)
{
	struct input in;

	if (queue_pop(q, &in))
		fail_msg("an unexpected result: kind %d client %llu id \"%s\" reason \"%s\"", in.kind,
		    (unsigned long long)in.speech.client, in.speech.id, in.speech.reason);
}

/* A copy of the catalogue with air-quality renamed, for the reload. */
static struct catalogue *
renamed_catalogue(void)
{
	char path[] = "/tmp/so-rv-cat-XXXXXX", err[4096] = "", *text, *p;
	FILE *f = fopen(CATALOGUE, "r");
	struct catalogue *c;
	long len;
	int fd;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)len + 16);
	if (fread(text, 1, (size_t)len, f) != (size_t)len) {
		fclose(f);
		free(text);
		return NULL;
	}
	fclose(f);
	if ((p = strstr(text, "\"air-quality\"")) == NULL) {
		free(text);
		return NULL;
	}
	/* "air-quality" → "air-qualitz": same length, another id, and so
	 * wherever it is named (a book on the shelf shows it). */
	for (; p != NULL; p = strstr(p + 1, "\"air-quality\""))
		p[11] = 'z';
	if ((fd = mkstemp(path)) < 0 || write(fd, text, (size_t)len) != len) {
		free(text);
		return NULL;
	}
	close(fd);
	free(text);
	c = catalogue_load(path, err, sizeof err);
	unlink(path);
	if (c == NULL)
		fprintf(stderr, "renamed catalogue: %s\n", err);
	return c;
}

static int
setup(void **state)
{
	char err[4096] = "", warn[512];
	struct wav_info info;

	log_init(-1);
	if ((cat = catalogue_load(CATALOGUE, err, sizeof err)) == NULL) {
		fprintf(stderr, "%s (run from the repository root)\n", err);
		return -1;
	}
	if ((cat2 = renamed_catalogue()) == NULL)
		return -1;
	if (wav_load(fixture("cmd_air.wav"), &cmd_pcm, &cmd_n, &info, err, sizeof err, warn, sizeof warn) != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	if (info.rate != RATE)
		return -1;
	cmd_bytes = malloc(cmd_n * 2);
	for (size_t i = 0; i < cmd_n; i++) {
		cmd_bytes[2 * i] = (uint8_t)((uint16_t)cmd_pcm[i] & 0xff);
		cmd_bytes[2 * i + 1] = (uint8_t)((uint16_t)cmd_pcm[i] >> 8);
	}
	noise_n = 3 * RATE;
	noise_pcm = malloc(noise_n * sizeof *noise_pcm);
	white_noise(noise_pcm, noise_n, 190.0);      /* the fixtures' noise bed */
	q = queue_new(64);
	return 0;
}

static int
teardown(void **state)
{
	remote_voice_free(rv);
	queue_free(q);
	catalogue_free(cat);
	catalogue_free(cat2);
	free(cmd_pcm);
	free(cmd_bytes);
	free(noise_pcm);
	return 0;
}

static struct remote_voice *
new_rv(double max_s)
{
	struct speech_config cfg;
	char err[1024] = "";
	struct input in;

	remote_voice_free(rv);      /* left by a test that failed */
	while (queue_pop(q, &in))
		;
	speech_default_config(&cfg);
	/* The thread gets a reference of its own, as from the daemon. */
	rv = remote_voice_new(&cfg, catalogue_ref(cat), q, on_wake, NULL, max_s, err, sizeof err);
	if (rv == NULL) {
		catalogue_free(cat);     /* a failed start leaves it to us */
		fail_msg("remote_voice_new: %s", err);
	}
	return rv;
}

static void
free_rv(void)
{
	remote_voice_free(rv);
	rv = NULL;
}

/* Streams bytes in frames of `frame` bytes, as websocket messages. */
static void
stream(uint64_t client, const uint8_t *b, size_t len, size_t frame)
{
	for (size_t i = 0; i < len; i += frame)
		assert_int_equal(remote_voice_feed(rv, client, b + i, len - i < frame ? len - i : frame), 0);
}

static void
stream_pcm(uint64_t client, const int16_t *pcm, size_t n)
{
	uint8_t b[3200];

	for (size_t i = 0; i < n; i += 1600) {
		size_t k = n - i < 1600 ? n - i : 1600;
		for (size_t j = 0; j < k; j++) {
			b[2 * j] = (uint8_t)((uint16_t)pcm[i + j] & 0xff);
			b[2 * j + 1] = (uint8_t)((uint16_t)pcm[i + j] >> 8);
		}
		assert_int_equal(remote_voice_feed(rv, client, b, 2 * k), 0);
	}
}

static void
check_air(const struct input *in, uint64_t client, long long request, const char *how)
{
	double len = (double)cmd_n / RATE;

	if (in->kind != IN_COMMAND || strcmp(in->speech.id, "air-quality") != 0)
		fail_msg("%s: expected IN_COMMAND air-quality; got kind %d id \"%s\" reason \"%s\" text \"%s\"",
		    how, in->kind, in->speech.id, in->speech.reason, in->speech.text);
	assert_int_equal(in->speech.client, client);
	assert_int_equal(in->speech.request_id, request);
	assert_string_equal(in->source, "remote-voice");
	assert_true(in->speech.confidence >= 0.5 && in->speech.confidence <= 1.0);
	assert_non_null(strstr(in->speech.text, "air quality"));
	/* The stream's own timeline: the words start after the 0.8 s lead-in
	 * and end before the 1.5 s tail. */
	assert_true(in->speech.t_speech_end > 0.8 && in->speech.t_speech_end < len - 1.0);
	assert_true(in->t > in->speech.t_speech_end && in->t < len + 0.5);
}

static void
test_command_frames_1600(void **state)
{
	struct input in;
	double t0;

	new_rv(10.0);
	assert_int_equal(remote_voice_start(rv, 7, 42), 0);
	stream(7, cmd_bytes, cmd_n * 2, 1600);
	t0 = now_s();
	/* The result answers audio-end: it carries audio-end's id. */
	assert_int_equal(remote_voice_end(rv, 7, 43), 0);
	wait_result(&in);
	fprintf(stderr, "# audio-end to result: %.3f s (%.2f s of audio)\n", now_s() - t0, (double)cmd_n / RATE);
	check_air(&in, 7, 43, "1600-byte frames");
	assert_queue_empty();
	assert_int_equal(remote_voice_busy(rv), 0);
	free_rv();
}

/* cmd_air.wav on a fresh recognizer, cut into messages of `frame` bytes
 * (0: one byte at a time for the first second, then 4097-byte ones). */
static void
fresh_stream(size_t frame, uint64_t client, struct input *in)
{
	new_rv(10.0);
	assert_int_equal(remote_voice_start(rv, client, 1), 0);
	if (frame == 0) {
		stream(client, cmd_bytes, RATE * 2, 1);
		stream(client, cmd_bytes + RATE * 2, cmd_n * 2 - RATE * 2, 4097);
	} else {
		stream(client, cmd_bytes, cmd_n * 2, frame);
	}
	assert_int_equal(remote_voice_end(rv, client, 1), 0);
	wait_result(in);
	assert_queue_empty();
	free_rv();
}

/* Odd frames split samples between messages.  One recording through
 * every path gives the very same result (same frames, same scores), so a
 * sample put together wrong, even one, shows in the confidence. */
static void
test_command_frames_333(void **state)
{
	static const size_t frames[] = { 333, 0, 2 };
	struct input a, b;

	fresh_stream(1600, 3, &a);
	check_air(&a, 3, 1, "1600-byte frames");
	for (size_t i = 0; i < sizeof frames / sizeof frames[0]; i++) {
		fresh_stream(frames[i], 4 + i, &b);
		check_air(&b, 4 + i, 1, "odd frames");
		assert_string_equal(a.speech.text, b.speech.text);
		if (a.t != b.t || a.speech.t_speech_end != b.speech.t_speech_end || a.speech.confidence != b.speech.confidence)
			fail_msg("%zu-byte frames: t %.5f end %.5f conf %.9f; 1600-byte frames: t %.5f end %.5f conf %.9f",
			    frames[i], b.t, b.speech.t_speech_end, b.speech.confidence, a.t, a.speech.t_speech_end, a.speech.confidence);
	}
}

/* One recognizer, stream after stream: each on its own timeline. */
static void
test_stream_timeline(void **state)
{
	struct input a, b;

	new_rv(10.0);
	for (int i = 0; i < 2; i++) {
		struct input *in = i ? &b : &a;
		assert_int_equal(remote_voice_start(rv, 8, i), 0);
		stream(8, cmd_bytes, cmd_n * 2, 1600);
		assert_int_equal(remote_voice_end(rv, 8, i), 0);
		wait_result(in);
		check_air(in, 8, i, "stream after stream");
	}
	/* The decoder's adaptation (cepstral mean) carries over from one
	 * stream to the next: a filler word may come and go, and the end
	 * may move by a few frames, not more. */
	fprintf(stderr, "# first \"%s\" t %.3f end %.3f conf %.3f; second \"%s\" t %.3f end %.3f conf %.3f\n",
	    a.speech.text, a.t, a.speech.t_speech_end, a.speech.confidence, b.speech.text, b.t, b.speech.t_speech_end, b.speech.confidence);
	assert_true(fabs(a.t - b.t) < 0.1);
	assert_true(fabs(a.speech.t_speech_end - b.speech.t_speech_end) < 0.1);
	assert_queue_empty();
	free_rv();
}

/* Room noise alone: a reject (nothing said: "timeout"), never a command. */
static void
test_noise_only(void **state)
{
	struct input in;

	new_rv(10.0);
	assert_int_equal(remote_voice_start(rv, 11, 5), 0);
	stream_pcm(11, noise_pcm, noise_n);
	assert_int_equal(remote_voice_end(rv, 11, 5), 0);
	wait_result(&in);
	if (in.kind != IN_REJECT)
		fail_msg("noise: expected IN_REJECT; got kind %d id \"%s\"", in.kind, in.speech.id);
	assert_string_equal(in.speech.reason, "timeout");
	assert_int_equal(in.speech.client, 11);
	assert_int_equal(in.speech.request_id, 5);
	assert_string_equal(in.source, "remote-voice");
	assert_true(in.t >= (double)noise_n / RATE - 0.01 && in.t < (double)noise_n / RATE + 1.0);

	/* audio-end straight after audio-start: a result all the same. */
	assert_int_equal(remote_voice_start(rv, 12, 6), 0);
	assert_int_equal(remote_voice_end(rv, 12, 6), 0);
	wait_result(&in);
	assert_int_equal(in.kind, IN_REJECT);
	assert_int_equal(in.speech.client, 12);
	assert_true(in.speech.reason[0] != '\0');
	assert_queue_empty();
	free_rv();
}

static void
test_busy(void **state)
{
	struct input in;

	new_rv(10.0);
	assert_int_equal(remote_voice_feed(rv, 1, cmd_bytes, 100), -1);   /* no stream */
	assert_int_equal(remote_voice_end(rv, 1, -1), -1);
	assert_int_equal(remote_voice_start(rv, 1, 10), 0);
	assert_int_equal(remote_voice_busy(rv), 1);
	assert_int_equal(remote_voice_start(rv, 2, 20), -1);               /* another client */
	assert_int_equal(remote_voice_start(rv, 1, 11), -1);               /* the same one */
	assert_int_equal(remote_voice_feed(rv, 2, cmd_bytes, 100), -1);
	assert_int_equal(remote_voice_end(rv, 2, 20), -1);
	remote_voice_cancel(rv, 2);                                       /* not its stream */
	stream(1, cmd_bytes, cmd_n * 2, 1600);
	assert_int_equal(remote_voice_end(rv, 1, 10), 0);
	/* Ended but not decoded yet: still one stream at a time. */
	assert_int_equal(remote_voice_feed(rv, 1, cmd_bytes, 100), -1);
	wait_result(&in);
	check_air(&in, 1, 10, "busy test");
	assert_int_equal(remote_voice_busy(rv), 0);
	assert_int_equal(remote_voice_start(rv, 2, 20), 0);
	remote_voice_cancel(rv, 2);
	assert_int_equal(remote_voice_busy(rv), 0);
	free_rv();
}

/* A client that disconnects loses its stream and nothing else. */
static void
test_cancel(void **state)
{
	struct input in;
	double t0, took;

	new_rv(10.0);
	/* How long a whole stream takes here (valgrind: much longer). */
	t0 = now_s();
	assert_int_equal(remote_voice_start(rv, 20, 0), 0);
	stream(20, cmd_bytes, cmd_n * 2, 1600);
	assert_int_equal(remote_voice_end(rv, 20, 0), 0);
	wait_result(&in);
	took = now_s() - t0;
	check_air(&in, 20, 0, "before the cancels");

	/* Mid-stream, the worker still decoding what came. */
	assert_int_equal(remote_voice_start(rv, 21, 1), 0);
	stream(21, cmd_bytes, cmd_n * 2, 1600);
	remote_voice_cancel(rv, 21);
	assert_int_equal(remote_voice_busy(rv), 0);
	assert_int_equal(remote_voice_feed(rv, 21, cmd_bytes, 100), -1);
	assert_int_equal(remote_voice_end(rv, 21, 1), -1);
	/* Nothing comes, even given twice the time a result takes. */
	{
		double until = now_s() + 2.0 * took + 0.5;
		while (now_s() < until) {
			struct timespec ts = { 0, 50 * 1000 * 1000 };
			assert_queue_empty();
			nanosleep(&ts, NULL);
		}
		assert_queue_empty();
	}

	/* After audio-end, while the worker decides. */
	assert_int_equal(remote_voice_start(rv, 22, 2), 0);
	stream(22, cmd_bytes, cmd_n * 2, 1600);
	assert_int_equal(remote_voice_end(rv, 22, 2), 0);
	remote_voice_cancel(rv, 22);

	/* The next stream works, and is the only result. */
	assert_int_equal(remote_voice_start(rv, 23, 3), 0);
	stream(23, cmd_bytes, cmd_n * 2, 1600);
	assert_int_equal(remote_voice_end(rv, 23, 3), 0);
	wait_result(&in);
	check_air(&in, 23, 3, "after two cancelled streams");
	assert_queue_empty();
	free_rv();
}

/* Past max_s the rest is dropped and the stream ends by itself. */
static void
test_max_cut(void **state)
{
	struct input in;
	struct speech_config cfg;
	double max_s = 1.5;

	speech_default_config(&cfg);
	new_rv(max_s);
	assert_int_equal(remote_voice_start(rv, 31, 4), 0);
	stream(31, cmd_bytes, cmd_n * 2, 1600);       /* 4.1 s: no audio-end */
	wait_result(&in);
	assert_int_equal(in.speech.client, 31);
	assert_int_equal(in.speech.request_id, 4);
	assert_true(in.kind == IN_COMMAND || in.kind == IN_REJECT);
	/* Decided on at most max_s of audio and the padding after it. */
	if (in.t > max_s + (cfg.end_silence_ms + 100) / 1000.0 + 0.02)
		fail_msg("decided at %.3f s, after the %.1f s cut", in.t, max_s);
	assert_true(in.speech.t_speech_end <= max_s);
	/* The client goes on sending until it hears back: dropped, no error. */
	assert_int_equal(remote_voice_feed(rv, 31, cmd_bytes, 1600), 0);
	assert_int_equal(remote_voice_end(rv, 31, 4), 0);
	assert_int_equal(remote_voice_busy(rv), 0);
	assert_queue_empty();

	/* A stream within max_s is whole. */
	assert_int_equal(remote_voice_start(rv, 32, 5), 0);
	stream_pcm(32, cmd_pcm + RATE / 2, (size_t)(max_s * RATE));
	assert_int_equal(remote_voice_end(rv, 32, 5), 0);
	wait_result(&in);
	assert_int_equal(in.speech.client, 32);
	assert_queue_empty();
	free_rv();
}

/* A reload asked for mid-stream waits for the stream's end. */
static void
test_reload_between_streams(void **state)
{
	struct input in;

	new_rv(10.0);
	assert_int_equal(remote_voice_start(rv, 41, 1), 0);
	stream(41, cmd_bytes, cmd_n, 1600);          /* the first half */
	remote_voice_set_catalogue(rv, catalogue_ref(cat2));
	stream(41, cmd_bytes + cmd_n, cmd_n, 1600);
	assert_int_equal(remote_voice_end(rv, 41, 1), 0);
	wait_result(&in);
	check_air(&in, 41, 1, "reload asked mid-stream");

	assert_int_equal(remote_voice_start(rv, 42, 2), 0);
	stream(42, cmd_bytes, cmd_n * 2, 1600);
	assert_int_equal(remote_voice_end(rv, 42, 2), 0);
	wait_result(&in);
	if (in.kind != IN_COMMAND || strcmp(in.speech.id, "air-qualitz") != 0)
		fail_msg("after the reload: expected air-qualitz; got kind %d id \"%s\" reason \"%s\"",
		    in.kind, in.speech.id, in.speech.reason);
	assert_int_equal(in.speech.client, 42);

	/* A reload while idle, then back to the first catalogue. */
	remote_voice_set_catalogue(rv, catalogue_ref(cat));
	assert_int_equal(remote_voice_start(rv, 43, 3), 0);
	stream(43, cmd_bytes, cmd_n * 2, 1600);
	assert_int_equal(remote_voice_end(rv, 43, 3), 0);
	wait_result(&in);
	check_air(&in, 43, 3, "reloaded back");
	assert_queue_empty();
	free_rv();
}

/* Freeing with a stream being decoded, or still open: no result, no leak. */
static void
test_free_while_decoding(void **state)
{
	new_rv(10.0);
	assert_int_equal(remote_voice_start(rv, 51, 1), 0);
	stream(51, cmd_bytes, cmd_n * 2, 1600);
	assert_int_equal(remote_voice_end(rv, 51, 1), 0);
	free_rv();

	new_rv(10.0);
	assert_int_equal(remote_voice_start(rv, 52, 1), 0);
	stream(52, cmd_bytes, cmd_n, 1600);
	remote_voice_set_catalogue(rv, catalogue_ref(cat2));
	free_rv();

	new_rv(10.0);
	remote_voice_set_catalogue(rv, catalogue_ref(cat2));        /* the reload itself in progress */
	free_rv();
}

/*
 * Figures for the report: a 2 s utterance (0.3 s before the words, 0.1 s
 * after), fed at once (the decoding's own cost) and at the pace of a
 * microphone (what a user waits for after letting go of the button).
 */
static void
test_timing_2s(void **state)
{
	const uint8_t *b = cmd_bytes + RATE;           /* from 0.5 s */
	size_t len = 2 * RATE * 2;
	struct input in;
	double t0, t1, c0, c1;

	new_rv(10.0);
	t0 = now_s();
	c0 = cpu_s();
	assert_int_equal(remote_voice_start(rv, 61, 1), 0);
	stream(61, b, len, 3200);
	assert_int_equal(remote_voice_end(rv, 61, 1), 0);
	wait_result(&in);
	t1 = now_s();
	c1 = cpu_s();
	check_air(&in, 61, 1, "2 s at once");
	fprintf(stderr, "# 2 s utterance fed at once: result after %.3f s (%.3f s CPU)\n", t1 - t0, c1 - c0);

	assert_int_equal(remote_voice_start(rv, 62, 2), 0);
	for (size_t i = 0; i < len; i += 3200) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		assert_int_equal(remote_voice_feed(rv, 62, b + i, len - i < 3200 ? len - i : 3200), 0);
		nanosleep(&ts, NULL);
	}
	t0 = now_s();
	c0 = cpu_s();
	assert_int_equal(remote_voice_end(rv, 62, 2), 0);
	wait_result(&in);
	t1 = now_s();
	c1 = cpu_s();
	check_air(&in, 62, 2, "2 s in real time");
	fprintf(stderr, "# 2 s utterance in real time: audio-end to result %.3f s (%.3f s CPU)\n", t1 - t0, c1 - c0);
	free_rv();
}

/*
 * Remotes differ: a quiet microphone after a loud one and back.  The
 * recognizer's noise floor carries over from stream to stream (and the
 * padding keeps it at the last stream's own noise), so each level change
 * must still give the command.
 */
static void
test_levels(void **state)
{
	static const double gain[] = { 1.0, 0.25, 4.0, 0.25 };
	int16_t *pcm = malloc(cmd_n * sizeof *pcm);
	struct input in;

	new_rv(10.0);
	for (size_t g = 0; g < sizeof gain / sizeof gain[0]; g++) {
		for (size_t i = 0; i < cmd_n; i++) {
			long v = lrint(cmd_pcm[i] * gain[g]);
			pcm[i] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
		}
		assert_int_equal(remote_voice_start(rv, 70 + g, (json_int_t)g), 0);
		stream_pcm(70 + g, pcm, cmd_n);
		assert_int_equal(remote_voice_end(rv, 70 + g, (json_int_t)g), 0);
		wait_result(&in);
		fprintf(stderr, "# gain %.2f: kind %d id \"%s\" reason \"%s\" text \"%s\" t %.3f end %.3f conf %.3f\n",
		    gain[g], in.kind, in.speech.id, in.speech.reason, in.speech.text, in.t, in.speech.t_speech_end, in.speech.confidence);
		if (in.kind != IN_COMMAND || strcmp(in.speech.id, "air-quality") != 0) {
			free(pcm);
			fail_msg("gain %.2f: expected air-quality", gain[g]);
		}
	}
	free(pcm);
	free_rv();
}

/* A browser's microphone often starts with digital silence. */
static void
test_silent_start(void **state)
{
	static int16_t zeros[RATE / 2];
	struct input in;

	new_rv(10.0);
	assert_int_equal(remote_voice_start(rv, 81, 1), 0);
	stream_pcm(81, zeros, RATE / 2);
	stream_pcm(81, cmd_pcm, cmd_n);
	assert_int_equal(remote_voice_end(rv, 81, 1), 0);
	wait_result(&in);
	fprintf(stderr, "# 0.5 s of zeros first: kind %d id \"%s\" reason \"%s\" text \"%s\" t %.3f end %.3f conf %.3f\n",
	    in.kind, in.speech.id, in.speech.reason, in.speech.text, in.t, in.speech.t_speech_end, in.speech.confidence);
	if (in.kind != IN_COMMAND || strcmp(in.speech.id, "air-quality") != 0)
		fail_msg("after digital silence: expected air-quality");
	assert_true(in.speech.t_speech_end > 1.3 && in.speech.t_speech_end < 0.5 + (double)cmd_n / RATE - 1.0);
	free_rv();
}

static void
test_bad_max(void **state)
{
	struct speech_config cfg;
	char err[256] = "";

	speech_default_config(&cfg);
	assert_null(remote_voice_new(&cfg, cat, q, on_wake, NULL, 0.0, err, sizeof err));
	assert_non_null(strstr(err, "max_s"));
	cfg.heads = "/nonexistent/heads.json";
	err[0] = '\0';
	assert_null(remote_voice_new(&cfg, cat, q, on_wake, NULL, 10.0, err, sizeof err));
	assert_non_null(strstr(err, "/nonexistent/heads.json"));
	cfg.engine = SPEECH_ENGINE_POCKETSPHINX;
	cfg.hmm = "/nonexistent/acoustic/model";
	err[0] = '\0';
	assert_null(remote_voice_new(&cfg, cat, q, on_wake, NULL, 10.0, err, sizeof err));
	assert_non_null(strstr(err, "/nonexistent/acoustic/model"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_command_frames_1600),
		cmocka_unit_test(test_command_frames_333),
		cmocka_unit_test(test_stream_timeline),
		cmocka_unit_test(test_noise_only),
		cmocka_unit_test(test_busy),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_max_cut),
		cmocka_unit_test(test_reload_between_streams),
		cmocka_unit_test(test_free_while_decoding),
		cmocka_unit_test(test_timing_2s),
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_silent_start),
		cmocka_unit_test(test_bad_max),
	};

	if (getenv("TEST_FILTER"))
		cmocka_set_test_filter(getenv("TEST_FILTER"));
	return cmocka_run_group_tests(tests, setup, teardown);
}
