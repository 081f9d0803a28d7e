/*
 * speech — one recognizer interface over two engines (speech_engine.h),
 * chosen by speech_config.engine; and the stream-time offset that lets a
 * recognizer built on reload go on where the old one stopped.
 */
#include "models/speech_engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct speech {
	enum speech_engine engine;
	void      *impl;
	double     base;          /* stream seconds before this recognizer began */
	speech_cb  cb;
	void      *ud;
};

void
speech_default_config(struct speech_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->engine = SPEECH_ENGINE_EMBEDDING;
	cfg->embed_models = "models/oww";
	cfg->heads = "models/heads/heads.json";
	cfg->wake_threshold = 0.0;
	cfg->hmm = "/usr/share/pocketsphinx/model/en-us/en-us";
	cfg->cmudict = "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict";
	cfg->kws_threshold = 1e-60;
	cfg->wake_min_llr = 8.0;
	cfg->wake_rescore = 1;
	cfg->cmd_min_confidence = 0.5;
	cfg->end_silence_ms = 200;
	cfg->cmd_timeout_ms = 5000;
	cfg->cmd_max_ms = 8000;
	cfg->decoder_args = "";
}

const char *
speech_engine_name(enum speech_engine e)
{
	return e == SPEECH_ENGINE_POCKETSPHINX ? "pocketsphinx" : "embedding";
}

/* Results carry stream time: the engine's, plus what came before it. */
static void
relay(void *ud, const struct speech_result *r)
{
	struct speech *s = ud;
	struct speech_result c = *r;

	c.t += s->base;
	c.t_speech_end += s->base;
	if (s->cb != NULL)
		s->cb(s->ud, &c);
}

#define CALL(s, fn, ...)                                                      \
	((s)->engine == SPEECH_ENGINE_POCKETSPHINX ? speech_ps_##fn((s)->impl, ##__VA_ARGS__) \
	                                           : speech_emb_##fn((s)->impl, ##__VA_ARGS__))

struct speech *
speech_new(const struct speech_config *cfg, const struct catalogue *c,
           speech_cb cb, void *ud, char *err, size_t errlen)
{
	struct speech *s = calloc(1, sizeof *s);

	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->engine = cfg->engine;
	s->cb = cb;
	s->ud = ud;
	s->impl = s->engine == SPEECH_ENGINE_POCKETSPHINX
	    ? (void *)speech_ps_new(cfg, c, relay, s, err, errlen)
	    : (void *)speech_emb_new(cfg, c, relay, s, err, errlen);
	if (s->impl == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

void
speech_free(struct speech *s)
{
	if (s == NULL)
		return;
	CALL(s, free);
	free(s);
}

int
speech_feed(struct speech *s, const int16_t *pcm, size_t n)
{
	return CALL(s, feed, pcm, n);
}

void
speech_flush(struct speech *s)
{
	CALL(s, flush);
}

void
speech_expect_command(struct speech *s)
{
	CALL(s, expect_command);
}

void
speech_mute(struct speech *s, double from, double to)
{
	CALL(s, mute, from - s->base, to - s->base);
}

int
speech_busy(const struct speech *s)
{
	return CALL(s, busy);
}

double
speech_time(const struct speech *s)
{
	return s->base + CALL(s, time);
}

void
speech_continue(struct speech *s, const struct speech *old)
{
	s->base = speech_time(old);
}

void
speech_skip(struct speech *s, double seconds)
{
	if (seconds > 0)
		s->base += seconds;
}

enum speech_engine
speech_engine(const struct speech *s)
{
	return s->engine;
}
