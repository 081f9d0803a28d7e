/*
 * test_speech_threads — two recognizers built and freed at the same time
 * on two threads, as the listener and remote voice do after one SIGHUP.
 *
 * sphinxbase logs through one process-wide FILE.  When every ps_init was
 * given -logfn, each one closed and reopened that FILE, so two threads
 * building a recognizer at once closed it twice and the daemon aborted in
 * fclose (the soak bench's reload crash, docs/benchmarks.md).  The fix
 * switches sphinxbase's log off once, before the first decoder.  Checked:
 *  - after a recognizer is built, sphinxbase has no log FILE of its own
 *    (with -logfn it had one: the deterministic half of the regression);
 *  - both engines (the embedding engine builds a PocketSphinx decoder for
 *    its second opinion) built and freed 12 times on each of two threads
 *    at once: every build succeeds and the process survives.  This half
 *    alone rarely catches the old race (the soak needed hundreds of
 *    reloads; with -logfn put back, 12 rounds passed three runs of three):
 *    the FILE check above is the one that fails on the old code.
 *
 * Runs from the repository root (tests/run-unit).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sphinxbase/err.h>

#include "base/log.h"
#include "models/speech.h"
#include "tests/unit/repo_catalogue.h"

#define ROUNDS    12

static struct catalogue *cat;

static void
ignore(void *ud, const struct speech_result *sr)
{
	(void)ud;
	(void)sr;
}

struct worker {
	enum speech_engine engine;
	int                built;
	char               err[1024];
};

static void *
build_and_free(void *arg)
{
	struct worker *w = arg;
	struct speech_config cfg;

	speech_default_config(&cfg);
	cfg.engine = w->engine;
	for (int i = 0; i < ROUNDS; i++) {
		struct speech *s = speech_new(&cfg, cat, ignore, NULL, w->err, sizeof w->err);

		if (s == NULL)
			break;
		w->built++;
		speech_free(s);
	}
	return NULL;
}

static void
test_no_log_file_per_decoder(void **state)
{
	struct speech_config cfg;
	struct speech *s;
	char err[1024] = "";

	(void)state;
	speech_default_config(&cfg);
	cfg.engine = SPEECH_ENGINE_POCKETSPHINX;
	s = speech_new(&cfg, cat, ignore, NULL, err, sizeof err);
	if (s == NULL)
		fail_msg("speech_new: %s", err);
	/* A decoder given -logfn leaves its log FILE here for the next
	 * ps_init to close: the shared FILE of the race. */
	assert_null(err_get_logfp());
	speech_free(s);
	assert_null(err_get_logfp());
}

static void
run_two(enum speech_engine a, enum speech_engine b)
{
	struct worker w[2] = { { .engine = a }, { .engine = b } };
	pthread_t th[2];

	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, build_and_free, &w[i]), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	for (int i = 0; i < 2; i++) {
		if (w[i].built != ROUNDS)
			fail_msg("thread %d built %d of %d recognizers: %s", i, w[i].built, ROUNDS, w[i].err);
	}
}

static void
test_two_threads_pocketsphinx(void **state)
{
	(void)state;
	run_two(SPEECH_ENGINE_POCKETSPHINX, SPEECH_ENGINE_POCKETSPHINX);
}

/* The reload crash's pair: remote voice on one engine, the listener on the
 * embedding engine (whose second opinion is a PocketSphinx decoder). */
static void
test_two_threads_mixed(void **state)
{
	(void)state;
	run_two(SPEECH_ENGINE_POCKETSPHINX, SPEECH_ENGINE_EMBEDDING);
}

static int
setup(void **state)
{
	(void)state;
	log_init(-1);
	return (cat = repo_catalogue()) != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	catalogue_free(cat);
	cat = NULL;
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_log_file_per_decoder),
		cmocka_unit_test(test_two_threads_pocketsphinx),
		cmocka_unit_test(test_two_threads_mixed),
	};

	if (getenv("TEST_FILTER"))
		cmocka_set_test_filter(getenv("TEST_FILTER"));
	return cmocka_run_group_tests_name("speech threads", tests, setup, teardown);
}
