/*
 * test_grammar_voice — grammar-only phrases through a real recognizer
 * (models/speech_slot.h, the PocketSphinx engine): espeak-ng says "open the
 * budget report" and "voice call"; a recognizer made without the phrases
 * does not take them for a title or a call, and after speech_slot_rebuild
 * with them (the listener's path on a changed briefing folder) the same
 * audio names the document and the call, the stream time going on.
 *
 * Run from the repository root (tests/run-unit does).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "models/grammar.h"
#include "models/speech_slot.h"
#include "models/tts.h"
#include "tests/unit/repo_catalogue.h"

struct got {
	int  n;
	enum speech_kind kind;
	char entry[64], detail[256], text[256];
	double t;
};

static void
collect(void *ud, const struct speech_result *r)
{
	struct got *g = ud;

	if (r->kind != SPEECH_COMMAND && r->kind != SPEECH_REJECT)
		return;
	g->n++;
	g->kind = r->kind;
	g->t = r->t;
	snprintf(g->entry, sizeof g->entry, "%s", r->entry ? r->entry->id : "");
	snprintf(g->detail, sizeof g->detail, "%s", r->entry && r->entry->detail ? r->entry->detail : "");
	snprintf(g->text, sizeof g->text, "%s", r->text ? r->text : "");
}

/* words as 16 kHz audio with 0.5 s of silence either side (malloc'd) */
static int16_t *
say(const char *words, size_t *n)
{
	size_t m;
	int16_t *v = tts_synth("en-us", words, &m), *out;

	if (v == NULL)
		fail_msg("espeak-ng could not say \"%s\"", words);
	*n = m + 16000;
	out = calloc(*n, sizeof *out);
	memcpy(out + 8000, v, m * sizeof *v);
	free(v);
	return out;
}

/* One command window over the audio: the result. */
static struct got
hear(struct speech_slot *s, struct got *g, const char *words)
{
	size_t n;
	int16_t *pcm = say(words, &n);

	memset(g, 0, sizeof *g);
	speech_expect_command(s->speech);
	for (size_t i = 0; i < n; i += 320)
		speech_feed(s->speech, pcm + i, n - i < 320 ? n - i : 320);
	speech_flush(s->speech);
	free(pcm);
	assert_int_equal(g->n, 1);
	fprintf(stderr, "  \"%s\" -> %s %s \"%s\"\n", words, g->kind == SPEECH_COMMAND ? "command" : "reject",
	    g->entry, g->text);
	return *g;
}

static void
test_rebuild_hears_titles(void **state)
{
	struct catalogue *c = repo_catalogue();
	struct speech_config cfg;
	struct speech_slot slot;
	struct grammar_extra *x = grammar_extra_new();
	struct got g, r;
	char err[1024];
	double t0;

	(void)state;
	assert_non_null(c);
	speech_default_config(&cfg);
	cfg.engine = SPEECH_ENGINE_POCKETSPHINX;
	assert_int_equal(grammar_extra_add(x, "voice-call", "voice call", NULL, 0, "voice call"), 0);
	assert_int_equal(grammar_extra_add(x, "tv-open", "2026 budget report", "2026-budget-report.pdf", 1,
	    "budget report"), 0);
	assert_int_equal(grammar_extra_add(x, "tv-open", "city briefing", "city-briefing.pdf", 1,
	    "city briefing"), 0);
	if (speech_slot_init(&slot, &cfg, c, collect, &g, err, sizeof err) < 0)
		fail_msg("recognizer: %s", err);

	/* Without the phrases: no title, no call (a screen or nothing). */
	r = hear(&slot, &g, "open the budget report");
	assert_string_not_equal(r.entry, "tv-open");
	r = hear(&slot, &g, "voice call please");
	assert_string_not_equal(r.entry, "voice-call");
	t0 = speech_time(slot.speech);

	/* The listener's rebuild: same catalogue, new phrases (the slot takes
	 * the reference it is given). */
	if (speech_slot_rebuild(&slot, NULL, 1, grammar_extra_ref(x), err, sizeof err) < 0)
		fail_msg("rebuild: %s", err);
	assert_ptr_equal(slot.cfg.extra, x);
	assert_ptr_equal(slot.cat, c);
	assert_true(speech_time(slot.speech) >= t0);
	r = hear(&slot, &g, "open the budget report");
	if (r.kind != SPEECH_COMMAND || strcmp(r.entry, "tv-open") != 0)
		fail_msg("\"open the budget report\" -> %s \"%s\" (%s)", r.kind == SPEECH_COMMAND ? "command" : "reject",
		    r.entry, r.text);
	assert_string_equal(r.detail, "2026-budget-report.pdf");
	assert_true(r.t > t0);                       /* the stream time went on */
	r = hear(&slot, &g, "show the city briefing");
	assert_string_equal(r.entry, "tv-open");
	assert_string_equal(r.detail, "city-briefing.pdf");
	r = hear(&slot, &g, "voice call please");
	assert_string_equal(r.entry, "voice-call");
	/* The catalogue's own commands are still what they were. */
	r = hear(&slot, &g, "air quality");
	assert_string_equal(r.entry, "air-quality");

	/* A failed rebuild keeps the recognizer and its phrases, and lets go
	 * of what it was given. */
	cfg = slot.cfg;
	slot.cfg.hmm = "/nonexistent/hmm";
	assert_int_equal(speech_slot_rebuild(&slot, NULL, 1, grammar_extra_ref(x), err, sizeof err), -1);
	slot.cfg.hmm = cfg.hmm;
	assert_ptr_equal(slot.cfg.extra, x);
	r = hear(&slot, &g, "voice call please");
	assert_string_equal(r.entry, "voice-call");

	/* Back to none. */
	if (speech_slot_rebuild(&slot, NULL, 1, NULL, err, sizeof err) < 0)
		fail_msg("rebuild: %s", err);
	assert_null(slot.cfg.extra);
	r = hear(&slot, &g, "open the budget report");
	assert_string_not_equal(r.entry, "tv-open");

	speech_slot_free(&slot);
	grammar_extra_free(x);
	tts_shutdown();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rebuild_hears_titles),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
