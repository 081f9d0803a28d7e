/*
 * test_listener — the audio thread (daemon/listener.c): a real listener on
 * WAV files (the fixtures of tests/unit/fixtures.sh), the real recognizer
 * (the default embedding engine) and a real input queue, as the daemon
 * runs it:
 *
 *  - wake_air.wav gives IN_WAKE, IN_COMMAND air-quality, then IN_EOF at the
 *    file's end; nowake.wav only IN_EOF;
 *  - the ticket protocol: every decision has the next ticket and the
 *    thread waits for its ack before it listens on (an ack for an older
 *    ticket does not release it; no ack at all: it listens on after its
 *    bound of 3 s);
 *  - the feedback's audio mixed into the input (echo): without self-mute
 *    the recognizer wakes on the daemon's own voice, with self-mute it
 *    does not;
 *  - listener_set_catalogue while it runs: the next utterance is decided
 *    with the new catalogue, and no catalogue reference is leaked;
 *  - listener_stop while the thread waits for an ack returns at once;
 *  - a microphone that fails mid-stream (a simulated unplug) gives IN_MIC
 *    lost at once and IN_MIC back once it is there again, stream time
 *    going on by the gap (IN_EOF at the file's end); one gone for good
 *    gives IN_MIC lost and then nothing; a truncated file ends with IN_EOF
 *    where its data
 *    ends; a file that is not a WAV, or is missing, is refused by
 *    listener_new with the reason.
 *
 * Needs $FIXTURES (default build/fixtures) and runs from the repository
 * root (tests/run-unit does both).
 */
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
#include "daemon/listener.h"
#include "devices/mic.h"
#include "devices/wav.h"
#include "models/catalogue.h"
#include "models/speech.h"

#define CATALOGUE "models/catalogue.json"
#define RATE      SPEECH_RATE
#define WAIT_S    300.0      /* valgrind decodes some 50 times slower */

static struct catalogue *cat, *cat2;
static struct queue *q;
static struct listener *L;           /* freed by teardown if a test failed */
static char dir[64];
static int16_t *air_pcm, *traffic_pcm;
static size_t air_n, traffic_n;

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
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *
kind_name(enum input_kind k)
{
	switch (k) {
	case IN_WAKE: return "IN_WAKE";
	case IN_COMMAND: return "IN_COMMAND";
	case IN_REJECT: return "IN_REJECT";
	case IN_EOF: return "IN_EOF";
	case IN_DEVICE_ERROR: return "IN_DEVICE_ERROR";
	case IN_MIC: return "IN_MIC";
	default: return "another kind";
	}
}

/* The next input within `within` seconds: 1, or 0 when none came. */
static int
next_within(struct input *in, double within)
{
	double until = now_s() + within;
	int got;

	pthread_mutex_lock(&wlock);
	while (!(got = queue_pop(q, in)) && now_s() < until) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 50 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&wcond, &wlock, &ts);
	}
	pthread_mutex_unlock(&wlock);
	return got;
}

/* The next input, which must be of KIND. */
static void
expect_input(struct input *in, enum input_kind kind)
{
	if (!next_within(in, WAIT_S))
		fail_msg("expected %s, got nothing within %.0f s", kind_name(kind), WAIT_S);
	if (in->kind != kind)
		fail_msg("expected %s, got %s (id \"%s\", reason \"%s\", text \"%s\", t %.2f)", kind_name(kind),
		    kind_name(in->kind), in->kind == IN_DEVICE_ERROR ? "" : in->speech.id,
		    in->kind == IN_DEVICE_ERROR ? in->error : in->speech.reason,
		    in->kind == IN_DEVICE_ERROR ? "" : in->speech.text, in->t);
}

static void
expect_quiet(double seconds, const char *why)
{
	struct input in;

	if (next_within(&in, seconds))
		fail_msg("%s: got %s (id \"%s\", text \"%s\") within %.1f s", why, kind_name(in.kind),
		    in.speech.id, in.speech.text, seconds);
}

static void
expect_command(struct input *in, const char *id, unsigned long ticket)
{
	expect_input(in, IN_COMMAND);
	if (strcmp(in->speech.id, id) != 0)
		fail_msg("expected the command %s, got %s (\"%s\")", id, in->speech.id, in->speech.text);
	assert_int_equal(in->speech.ticket, ticket);
	assert_int_equal(in->speech.client, 0);      /* the room, not a remote */
	assert_true(in->speech.confidence >= 0.5 && in->speech.confidence <= 1.0);
}

/* samples a, then b (may be NULL), then `noise_s` of the fixtures' noise
 * bed, as DIR/NAME (a 16 kHz mono WAV); returns "file:PATH". */
static const char *
make_wav(const char *name, const int16_t *a, size_t an, const int16_t *b, size_t bn, double noise_s)
{
	static char spec[2][256];
	static int k;
	char *s = spec[k++ % 2];
	size_t nn = (size_t)(noise_s * RATE), n = an + bn + nn;
	int16_t *pcm = malloc(n * sizeof *pcm);
	char path[128];

	assert_non_null(pcm);
	memcpy(pcm, a, an * sizeof *pcm);
	if (b != NULL)
		memcpy(pcm + an, b, bn * sizeof *pcm);
	white_noise(pcm + an + bn, nn, 190.0);
	snprintf(path, sizeof path, "%s/%s", dir, name);
	assert_int_equal(wav_write(path, pcm, n, RATE), 0);
	free(pcm);
	snprintf(s, sizeof spec[0], "file:%s", path);
	return s;
}

/* A copy of the catalogue with air-quality renamed air-qualitz. */
static struct catalogue *
renamed_catalogue(void)
{
	char path[128], err[4096] = "", *text, *p;
	FILE *f = fopen(CATALOGUE, "r");
	struct catalogue *c;
	long len;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)len + 1);
	if (fread(text, 1, (size_t)len, f) != (size_t)len || strstr(text, "\"air-quality\"") == NULL) {
		fclose(f);
		free(text);
		return NULL;
	}
	fclose(f);
	/* Same length, another id, everywhere (books name their screen). */
	for (p = text; (p = strstr(p, "\"air-quality\"")) != NULL; p += 13)
		p[11] = 'z';
	snprintf(path, sizeof path, "%s/renamed.json", dir);
	write_file(path, text);
	free(text);
	if ((c = catalogue_load(path, err, sizeof err)) == NULL)
		fprintf(stderr, "renamed catalogue: %s\n", err);
	return c;
}

static int
load_fixture(const char *name, int16_t **pcm, size_t *n)
{
	char err[1024] = "", warn[512];
	struct wav_info info;

	if (wav_load(fixture(name), pcm, n, &info, err, sizeof err, warn, sizeof warn) != 0 ||
	    info.rate != RATE || info.channels != 1) {
		fprintf(stderr, "%s: %s\n", name, err);
		return -1;
	}
	return 0;
}

static int
setup(void **state)
{
	char err[4096] = "";

	(void)state;
	log_init(-1);
	if (tmpdir_make(dir, sizeof dir, "/tmp/so-listener-XXXXXX") < 0)
		return -1;
	if ((cat = catalogue_load(CATALOGUE, err, sizeof err)) == NULL) {
		fprintf(stderr, "%s (run from the repository root)\n", err);
		return -1;
	}
	if ((cat2 = renamed_catalogue()) == NULL)
		return -1;
	if (load_fixture("wake_air.wav", &air_pcm, &air_n) < 0 ||
	    load_fixture("wake_traffic.wav", &traffic_pcm, &traffic_n) < 0)
		return -1;
	q = queue_new(64);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	listener_free(L);
	queue_free(q);
	catalogue_free(cat);
	catalogue_free(cat2);
	free(air_pcm);
	free(traffic_pcm);
	tmpdir_remove(dir);
	return 0;
}

/* A started listener on SOURCE, as the daemon makes it. */
static struct listener *
start(const char *source, int echo, int self_mute)
{
	struct listener_config lc;
	char err[1024] = "";
	struct input in;

	listener_free(L);               /* left by a test that failed */
	L = NULL;
	while (queue_pop(q, &in))
		;
	memset(&lc, 0, sizeof lc);
	lc.source = source;
	lc.echo = echo;
	lc.self_mute = self_mute;
	speech_default_config(&lc.speech);
	/* Its reference; still ours if it fails. */
	L = listener_new(&lc, catalogue_ref(cat), q, on_wake, NULL, err, sizeof err);
	if (L == NULL) {
		catalogue_free(cat);
		fail_msg("listener_new %s: %s", source, err);
	}
	assert_int_equal(listener_start(L), 0);
	return L;
}

static void
stop(void)
{
	listener_free(L);
	L = NULL;
}

static void
ack(unsigned long ticket)
{
	listener_ack(L, ticket, NULL, 0, 0);
}

static void
test_wake_command_eof(void **state)
{
	struct input in;
	char spec[1100];
	unsigned long w0;

	(void)state;
	snprintf(spec, sizeof spec, "file:%s", fixture("wake_air.wav"));
	pthread_mutex_lock(&wlock);
	w0 = wakes;
	pthread_mutex_unlock(&wlock);
	start(spec, 0, 1);
	expect_input(&in, IN_WAKE);
	assert_int_equal(in.speech.ticket, 1);
	/* The wake phrase is in the first half (0.8 s of lead-in). */
	assert_true(in.t > 0.8 && in.t < (double)air_n / RATE / 2 + 0.5);
	ack(1);
	expect_command(&in, "air-quality", 2);
	assert_non_null(strstr(in.speech.text, "air quality"));
	assert_true(in.speech.t_speech_end > 0.8 && in.t >= in.speech.t_speech_end);
	ack(2);
	expect_input(&in, IN_EOF);
	/* At the end of the file, in stream time. */
	if (in.t < (double)air_n / RATE - 0.05 || in.t > (double)air_n / RATE + 0.05)
		fail_msg("IN_EOF at %.3f s; the file is %.3f s long", in.t, (double)air_n / RATE);
	expect_quiet(0.3, "after IN_EOF");
	/* Every push woke the service thread. */
	pthread_mutex_lock(&wlock);
	assert_true(wakes - w0 >= 3);
	pthread_mutex_unlock(&wlock);
	stop();
}

static void
test_nowake(void **state)
{
	struct input in;
	char spec[1100];

	(void)state;
	snprintf(spec, sizeof spec, "file:%s", fixture("nowake.wav"));
	start(spec, 0, 1);
	expect_input(&in, IN_EOF);
	expect_quiet(0.3, "after IN_EOF");
	stop();
}

/* The thread waits for the ack of each decision before it goes on. */
static void
test_ack_protocol(void **state)
{
	struct input in;
	char spec[1100];
	double t0, waited;

	(void)state;
	snprintf(spec, sizeof spec, "file:%s", fixture("wake_air.wav"));
	start(spec, 0, 1);
	expect_input(&in, IN_WAKE);
	assert_int_equal(in.speech.ticket, 1);
	/* Not acked: the command, later in the file, does not come. */
	expect_quiet(1.0, "the wake is not acked yet");
	ack(1);
	expect_command(&in, "air-quality", 2);
	/* An ack for an older ticket does not answer this one. */
	ack(1);
	expect_quiet(1.0, "ticket 2 is not acked yet");
	ack(2);
	expect_input(&in, IN_EOF);
	stop();

	/* Never acked: it listens on after its bound (3 s). */
	start(spec, 0, 1);
	expect_input(&in, IN_WAKE);
	t0 = now_s();
	expect_command(&in, "air-quality", 2);
	waited = now_s() - t0;
	fprintf(stderr, "# un-acked wake: the command came %.2f s later\n", waited);
	assert_true(waited >= 2.9);
	ack(2);
	expect_input(&in, IN_EOF);
	stop();
}

/*
 * The feedback's audio, mixed into the input (echo = 1): the answer to
 * the command is wake_air.wav itself (the daemon's own voice saying "hey
 * seoul, show me the air quality").  The source: wake_air, then 7 s of
 * the noise bed for it to be mixed into.
 */
static int
echo_run(int self_mute, int *woke)
{
	struct input in;
	int16_t *fb = malloc(air_n * sizeof *fb);
	int n = 0;

	assert_non_null(fb);
	memcpy(fb, air_pcm, air_n * sizeof *fb);
	start(make_wav("air_then_noise.wav", air_pcm, air_n, NULL, 0, 7.0), 1, self_mute);
	expect_input(&in, IN_WAKE);
	ack(in.speech.ticket);
	expect_command(&in, "air-quality", 2);
	listener_ack(L, 2, fb, air_n, 0);       /* the listener owns fb now */
	*woke = 0;
	/* What follows, until the end of the file. */
	for (;;) {
		if (!next_within(&in, WAIT_S))
			fail_msg("no IN_EOF within %.0f s", WAIT_S);
		if (in.kind == IN_EOF)
			break;
		if (in.kind == IN_DEVICE_ERROR)
			fail_msg("device error: %s", in.error);
		fprintf(stderr, "# self_mute %d: %s %s \"%s\" at %.2f s\n", self_mute, kind_name(in.kind),
		    in.speech.id, in.speech.text, in.t);
		*woke += in.kind == IN_WAKE;
		ack(in.speech.ticket);
		n++;
	}
	stop();
	return n;
}

/* Without self-mute the daemon's own "hey seoul" wakes it: the echo does
 * reach the recognizer (so the next case can fail). */
static void
test_echo_wakes_without_self_mute(void **state)
{
	int woke;

	(void)state;
	echo_run(0, &woke);
	if (woke < 1)
		fail_msg("the echoed wake phrase did not wake the recognizer without self-mute");
}

/* With self-mute: no wake on its own feedback. */
static void
test_self_mute(void **state)
{
	int woke, n;

	(void)state;
	n = echo_run(1, &woke);
	if (woke > 0 || n > 0)
		fail_msg("self-mute: %d wake(s) and %d decision(s) on the daemon's own feedback", woke, n);
}

/* The decisions on SOURCE, every one acked at once, until IN_EOF (or an
 * IN_DEVICE_ERROR).  At the ack of ticket `swap_at`, listener_set_catalogue
 * with `next` (a reference of its own).  Returns their count. */
static size_t
run_all(const char *source, unsigned long swap_at, const struct catalogue *next, struct input *out,
        size_t max)
{
	struct input in;
	size_t n = 0;

	start(source, 0, 1);
	for (;;) {
		if (!next_within(&in, WAIT_S))
			fail_msg("no IN_EOF within %.0f s", WAIT_S);
		if (in.kind == IN_EOF || in.kind == IN_DEVICE_ERROR)
			break;
		if (n < max)
			out[n++] = in;
		if (in.speech.ticket == swap_at)
			listener_set_catalogue(L, catalogue_ref(next));
		ack(in.speech.ticket);
	}
	assert_int_equal(in.kind, IN_EOF);
	stop();
	return n;
}

/*
 * A new catalogue while it runs (a reload): the next utterances are
 * decided with it, and otherwise as if there had been no reload — every
 * wake phrase heard, at the same stream time.  (Swapped off the 80 ms hop
 * grid of the embedding engine, the new recognizer missed every later
 * wake phrase of this file.)
 */
static void
test_set_catalogue(void **state)
{
	struct input plain[8], swapped[8];
	size_t np, ns;
	int16_t *three = malloc(3 * air_n * sizeof *three);
	const char *src;

	(void)state;
	assert_non_null(three);
	for (int i = 0; i < 3; i++)
		memcpy(three + i * air_n, air_pcm, air_n * sizeof *three);
	src = make_wav("air_thrice.wav", three, 3 * air_n, NULL, 0, 0.5);
	free(three);
	np = run_all(src, 0, NULL, plain, 8);
	assert_int_equal(np, 6);
	for (size_t i = 0; i < np; i++) {
		assert_int_equal(plain[i].kind, i % 2 ? IN_COMMAND : IN_WAKE);
		assert_int_equal(plain[i].speech.ticket, i + 1);
		if (i % 2)
			assert_string_equal(plain[i].speech.id, "air-quality");
	}
	/* The reload at the first command: the two next utterances are decided
	 * with the renamed catalogue. */
	ns = run_all(src, 2, cat2, swapped, 8);
	for (size_t i = 0; i < ns; i++)
		fprintf(stderr, "# reloaded at ticket 2: %s %s at %.2f s (without the reload: %.2f s)\n",
		    kind_name(swapped[i].kind), swapped[i].speech.id, swapped[i].t, i < np ? plain[i].t : -1.0);
	if (ns != np)
		fail_msg("with a reload at the first command: %zu decisions; without: %zu", ns, np);
	for (size_t i = 0; i < ns; i++) {
		assert_int_equal(swapped[i].kind, plain[i].kind);
		assert_int_equal(swapped[i].speech.ticket, i + 1);
		if (fabs(swapped[i].t - plain[i].t) > 0.001)
			fail_msg("decision %zu at %.3f s after the reload, %.3f s without", i + 1, swapped[i].t,
			    plain[i].t);
		if (i % 2)
			assert_string_equal(swapped[i].speech.id, i < 2 ? "air-quality" : "air-qualitz");
	}
	/* The listener dropped its references to both. */
	assert_int_equal(catalogue_refs(cat), 1);
	assert_int_equal(catalogue_refs(cat2), 1);
}

/* A catalogue replaced before the thread took it is dropped at once. */
static void
test_set_catalogue_twice(void **state)
{
	struct input in;
	char spec[1100];

	(void)state;
	snprintf(spec, sizeof spec, "file:%s", fixture("wake_air.wav"));
	start(spec, 0, 1);
	expect_input(&in, IN_WAKE);
	/* The thread waits for the ack: it takes neither yet. */
	listener_set_catalogue(L, catalogue_ref(cat2));
	assert_int_equal(catalogue_refs(cat2), 2);
	listener_set_catalogue(L, catalogue_ref(cat));
	assert_int_equal(catalogue_refs(cat2), 1);
	assert_int_equal(catalogue_refs(cat), 3);   /* ours, in use, the next */
	ack(1);
	expect_command(&in, "air-quality", 2);
	ack(2);
	expect_input(&in, IN_EOF);
	stop();
	assert_int_equal(catalogue_refs(cat), 1);
}

/* Stopped while it waits for an ack: at once, not after the 3 s bound. */
static void
test_stop_while_waiting(void **state)
{
	struct input in;
	char spec[1100];
	double t0, took;

	(void)state;
	snprintf(spec, sizeof spec, "file:%s", fixture("wake_air.wav"));
	start(spec, 0, 1);
	expect_input(&in, IN_WAKE);
	usleep(100 * 1000);             /* well inside its wait */
	t0 = now_s();
	listener_stop(L);
	took = now_s() - t0;
	fprintf(stderr, "# listener_stop while waiting for an ack: %.3f s\n", took);
	assert_true(took < 1.0);
	expect_quiet(0.3, "after listener_stop");
	stop();
	assert_int_equal(catalogue_refs(cat), 1);
}

/* A microphone that goes away mid-stream and comes back (the file row's
 * unplug schedule): IN_MIC lost at once, IN_MIC back once it is there
 * again (well within 2 s), stream time going on by the gap: IN_EOF at the
 * file's end, as without the unplug. */
static void
test_mic_lost_back(void **state)
{
	struct input in;
	char spec[1100], err[512];
	double t0, lost_t, len;
	struct mic *m;

	(void)state;
	snprintf(spec, sizeof spec, "file:%s", fixture("nowake.wav"));
	if ((m = mic_open(spec, 0, err, sizeof err)) == NULL)
		fail_msg("%s", err);
	len = m->duration;
	mic_close(m);
	snprintf(spec, sizeof spec, "file:%s@unplug=0.5+0.6", fixture("nowake.wav"));
	start(spec, 0, 1);
	expect_input(&in, IN_MIC);
	t0 = now_s();
	assert_int_equal(in.mic.state, MIC_LOST);
	if (strstr(in.mic.text, "read failed") == NULL || strstr(in.mic.text, "nowake.wav") == NULL ||
	    strstr(in.mic.text, "unplug at 0.50 s") == NULL)
		fail_msg("lost should name the file and the read that failed: \"%s\"", in.mic.text);
	assert_true(in.t > 0.45 && in.t < 0.55);
	lost_t = in.t;
	expect_input(&in, IN_MIC);
	assert_int_equal(in.mic.state, MIC_BACK);
	print_message("back %.3f s after lost (gone 0.6 s), gone_s %.3f\n", now_s() - t0, in.mic.gone_s);
	assert_true(now_s() - t0 > 0.5 && now_s() - t0 < 2.0);
	assert_true(in.mic.gone_s >= 0.6 && in.mic.gone_s < 2.0);
	assert_true(fabs(in.t - (lost_t + in.mic.gone_s)) < 0.01);
	expect_input(&in, IN_EOF);
	if (fabs(in.t - len) > 0.05)
		fail_msg("IN_EOF at %.3f s; the file is %.3f s long", in.t, len);
	expect_quiet(0.3, "after IN_EOF");
	stop();
}

/* Gone for good: IN_MIC lost once, then nothing; stop still returns at once. */
static void
test_mic_gone(void **state)
{
	struct input in;
	char spec[1100];
	double t0;

	(void)state;
	snprintf(spec, sizeof spec, "file:%s@unplug=0.5+100", fixture("nowake.wav"));
	start(spec, 0, 1);
	expect_input(&in, IN_MIC);
	assert_int_equal(in.mic.state, MIC_LOST);
	expect_quiet(1.5, "while the microphone is gone");
	t0 = now_s();
	stop();
	assert_true(now_s() - t0 < 0.5);
}

/* A truncated file: read to where its data stops, then IN_EOF there. */
static void
test_truncated(void **state)
{
	struct input in;
	char spec[1100];
	FILE *f;
	long size;
	double len;

	(void)state;
	snprintf(spec, sizeof spec, "file:%s", fixture("air_truncated.wav"));
	assert_non_null(f = fopen(fixture("air_truncated.wav"), "rb"));
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fclose(f);
	len = (double)(size - 44) / 2 / RATE;  /* its canonical 44-byte header */
	start(spec, 0, 1);
	for (;;) {
		if (!next_within(&in, WAIT_S))
			fail_msg("no IN_EOF within %.0f s", WAIT_S);
		if (in.kind == IN_EOF)
			break;
		if (in.kind == IN_DEVICE_ERROR)
			fail_msg("a truncated file is no device error: %s", in.error);
		ack(in.speech.ticket);
	}
	/* Cut inside the command: the recognizer's flush pads 0.5 s of quiet
	 * to end it, and IN_EOF's t counts the padding. */
	fprintf(stderr, "# truncated: IN_EOF at %.3f s, the file holds %.3f s\n", in.t, len);
	if (in.t < len - 0.05 || in.t > len + 0.55)
		fail_msg("IN_EOF at %.3f s; the file holds %.3f s", in.t, len);
	assert_true(in.t < (double)air_n / RATE - 1.0);
	stop();
}

/* Sources that cannot be opened: refused by listener_new, with why, and
 * the catalogue reference left to the caller. */
static void
test_bad_source(void **state)
{
	struct listener_config lc;
	char path[128], spec[160], err[1024];
	struct listener *l;

	(void)state;
	stop();                         /* one a failed test left */
	snprintf(path, sizeof path, "%s/not-a.wav", dir);
	write_file(path, "this is not a RIFF file, only words\n");
	memset(&lc, 0, sizeof lc);
	speech_default_config(&lc.speech);
	lc.source = spec;
	snprintf(spec, sizeof spec, "file:%s", path);
	err[0] = '\0';
	l = listener_new(&lc, catalogue_ref(cat), q, on_wake, NULL, err, sizeof err);
	assert_null(l);
	if (strstr(err, path) == NULL)
		fail_msg("the error should name %s: \"%s\"", path, err);
	assert_int_equal(catalogue_refs(cat), 2);
	catalogue_free(cat);
	snprintf(spec, sizeof spec, "file:%s/missing.wav", dir);
	err[0] = '\0';
	l = listener_new(&lc, catalogue_ref(cat), q, on_wake, NULL, err, sizeof err);
	assert_null(l);
	if (strstr(err, "missing.wav") == NULL || strstr(err, "No such file") == NULL)
		fail_msg("the error should say the file is missing: \"%s\"", err);
	catalogue_free(cat);
	assert_int_equal(catalogue_refs(cat), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wake_command_eof),
		cmocka_unit_test(test_nowake),
		cmocka_unit_test(test_ack_protocol),
		cmocka_unit_test(test_echo_wakes_without_self_mute),
		cmocka_unit_test(test_self_mute),
		cmocka_unit_test(test_set_catalogue),
		cmocka_unit_test(test_set_catalogue_twice),
		cmocka_unit_test(test_stop_while_waiting),
		cmocka_unit_test(test_mic_lost_back),
		cmocka_unit_test(test_mic_gone),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_bad_source),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
