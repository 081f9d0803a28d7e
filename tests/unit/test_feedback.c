/*
 * test_feedback — what the daemon says back (daemon/feedback.c), through
 * the speaker's file row (devices/speaker.c) and espeak-ng (models/tts.c):
 *
 *  - a request with the cue and words is played as the cue, then the words,
 *    in one piece, and the cue is the one tts_cue() makes (espeak-ng's
 *    output may differ by a few samples from one call to the next, so the
 *    words are compared by length and energy);
 *  - requests are played in order and none is lost below the queue's bound;
 *  - words only (no cue), and the cue only;
 *  - a speaker spec that is wrong or unwritable: feedback still starts and
 *    answers (nothing is played); speaker_open says why;
 *  - an unknown voice still speaks (the default voice).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/feedback.h"
#include "devices/speaker.h"
#include "devices/wav.h"
#include "models/tts.h"

static char wav_path[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(wav_path, sizeof wav_path, "/tmp/test_feedback.%d.wav", (int)getpid());
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(wav_path);
	return 0;
}

/* Runs requests through a feedback thread that plays into wav_path. */
static int16_t *
say(const char *voice, const char *const *texts, const int *cues, int n, size_t *len)
{
	char spec[80];
	struct feedback_config fc = { 1, 1, 0, voice, spec };
	struct feedback *f;
	int16_t *pcm = NULL;
	char err[256];

	snprintf(spec, sizeof spec, "file:%s", wav_path);
	assert_non_null(f = feedback_new(&fc, NULL));
	for (int i = 0; i < n; i++)
		feedback_request(f, texts[i], cues[i], (unsigned long)i + 1);
	feedback_free(f);	/* drains the queue, then closes the speaker */
	struct wav_info wi;

	if (wav_load(wav_path, &pcm, len, &wi, err, sizeof err, NULL, 0) < 0)
		fail_msg("%s", err);
	return pcm;
}

/* Within 2 % (espeak-ng's lengths vary a little between calls). */
static int
near(size_t a, size_t b)
{
	double d = (double)a - (double)b;

	return fabs(d) <= 0.02 * (double)b + 16;
}

static double
rms(const int16_t *p, size_t n)
{
	double s = 0;

	for (size_t i = 0; i < n; i++)
		s += (double)p[i] * p[i];
	return n ? sqrt(s / (double)n) : 0;
}

static void
test_cue_then_words(void **state)
{
	const char *texts[] = { "Air quality" };
	const int cues[] = { 1 };
	size_t n, nc, nw;
	int16_t *cue = tts_cue(&nc), *words = tts_synth("en-us", "Air quality", &nw), *pcm;

	(void)state;
	assert_non_null(cue);
	assert_non_null(words);
	assert_true(nw > 16000 / 4);	/* a quarter second at least */
	pcm = say("en-us", texts, cues, 1, &n);
	printf("    cue %zu + words %zu samples; played %zu\n", nc, nw, n);
	assert_true(near(n, nc + nw));
	assert_memory_equal(pcm, cue, nc * sizeof *cue);
	assert_true(rms(pcm + nc, n - nc) > 300);	/* words, not silence */
	free(pcm);
	free(cue);
	free(words);
}

/* Where the cue starts in pcm, or -1. */
static long
find_cue(const int16_t *pcm, size_t n, const int16_t *cue, size_t nc)
{
	for (size_t i = 0; i + nc <= n; i++)
		if (pcm[i] == cue[0] && memcmp(pcm + i, cue, nc * sizeof *cue) == 0)
			return (long)i;
	return -1;
}

static void
test_in_order_none_lost(void **state)
{
	/* Words, the cue alone, longer words, and three more short ones. */
	const char *texts[] = { "one", NULL, "a much longer sentence than the first", "four", "five", "six" };
	const int cues[] = { 0, 1, 0, 0, 0, 0 };
	size_t n, len[6], total = 0;
	int16_t *pcm, *cue = NULL;
	long at;

	(void)state;
	for (int i = 0; i < 6; i++) {
		int16_t *p = texts[i] != NULL ? tts_synth("en-us", texts[i], &len[i]) : tts_cue(&len[i]);
		assert_non_null(p);
		total += len[i];
		if (texts[i] == NULL)
			cue = p;
		else
			free(p);
	}
	pcm = say("en-us", texts, cues, 6, &n);
	at = find_cue(pcm, n, cue, len[1]);
	printf("    %zu samples played, %zu expected; the cue at %ld, after \"one\" (%zu)\n", n, total,
	    at, len[0]);
	assert_true(near(n, total));		/* nothing lost, nothing twice */
	assert_true(at >= 0);
	assert_true(near((size_t)at, len[0]));	/* second, right after "one" */
	free(pcm);
	free(cue);
}

static void
test_no_speaker_still_answers(void **state)
{
	char err[256];
	struct feedback_config fc = { 1, 1, 0, "en-us", "file:/nonexistent-dir/x.wav" };
	struct feedback *f;

	(void)state;
	assert_null(speaker_open("file:/nonexistent-dir/x.wav", err, sizeof err));
	assert_non_null(strstr(err, "cannot write"));
	assert_null(speaker_open("loudspeaker", err, sizeof err));
	assert_non_null(strstr(err, "expected portaudio, file:PATH or none"));
	assert_null(speaker_open("none", err, sizeof err));
	assert_string_equal(err, "");
	/* The thread runs and drains its requests with nowhere to play. */
	assert_non_null(f = feedback_new(&fc, NULL));
	feedback_request(f, "Sorry?", 0, 1);
	feedback_free(f);
}

static void
test_unknown_voice_speaks(void **state)
{
	const char *texts[] = { "Traffic" };
	const int cues[] = { 0 };
	size_t n;
	int16_t *pcm;

	(void)state;
	pcm = say("no-such-voice", texts, cues, 1, &n);
	assert_true(n > 16000 / 5);
	assert_true(rms(pcm, n) > 300);
	free(pcm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cue_then_words, setup, teardown),
		cmocka_unit_test_setup_teardown(test_in_order_none_lost, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_speaker_still_answers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_voice_speaks, setup, teardown),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);

	tts_shutdown();
	return failed;
}
