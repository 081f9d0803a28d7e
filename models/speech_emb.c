/*
 * The embedding engine of models/speech.h.  Every 80 ms one embedding
 * arrives from models/embed.c and moves a small state machine:
 *
 *   WAKE     the wake head reads the last 16 embeddings; a wake phrase
 *            class over the threshold wakes (not while our own voice plays,
 *            nor again on the same phrase);
 *   COMMAND  the endpoint head says, per embedding, whether the speaker is
 *            talking; once they have talked and stopped for end_silence_ms
 *            (rounded up to whole hops), the intent head reads the
 *            command's embeddings and names an entry or "none".
 *
 * Decisions happen on embedding boundaries, so one recording gives the
 * same events however it is cut into chunks.
 */
#include "models/speech_engine.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/embed.h"
#include "models/heads.h"

#define HIST       64          /* embeddings kept (5.1 s) */
#define MUTE_TAIL  0.3         /* echo after our own voice, s */
#define SKIP_WAKE  0.16        /* command embeddings start this long after the wake */
#define TALK_AFTER 0.24        /* talking this long after the wake is the command's */
#define REARM      1.4         /* the wake phrase has left the wake head's window */
#define FLUSH_PAD  8000        /* samples of quiet audio fed at the end of a stream */

enum state { ST_WAKE, ST_COMMAND };

struct speech_emb {
	struct speech_config cfg;
	const struct catalogue *cat;
	struct embed_model *em;
	struct embed_stream *es;
	struct heads *h;
	speech_cb cb;
	void *ud;

	enum state state;
	float    hist[HIST][EMBED_DIM];
	uint64_t nemb;
	double   wake_thr;
	double   rearm_at;            /* no wake before this stream time */
	double   mute_from, mute_to, hold_until;

	/* command window */
	double   cmd_start, last_talk;
	int      voice_seen, quiet_hops, end_hops, no_wake;
	float   *cmd;                 /* the command's embeddings */
	int      ncmd, cmd_cap;
	char     text[256];
	double   flush_at;            /* inside speech_emb_flush: the end of the audio */
};

static void
emit(struct speech_emb *s, struct speech_result *r)
{
	/* What the flush's padding brings out was decided when the audio ended. */
	if (s->flush_at >= 0 && r->t > s->flush_at)
		r->t = s->flush_at;
	if (r->t_speech_end > r->t)
		r->t_speech_end = r->t;
	if (s->cb != NULL)
		s->cb(s->ud, r);
}

static const float *
last(const struct speech_emb *s, int back)
{
	return s->hist[(s->nemb - 1 - (uint64_t)back) % HIST];
}

/* The last n embeddings, oldest first, as one vector. */
static void
stack(const struct speech_emb *s, int n, float *out)
{
	for (int i = 0; i < n; i++)
		memcpy(out + (size_t)i * EMBED_DIM, last(s, n - 1 - i), sizeof(float) * EMBED_DIM);
}

static void
start_command(struct speech_emb *s, double t, int no_wake)
{
	s->state = ST_COMMAND;
	s->cmd_start = t;
	s->last_talk = t;
	s->voice_seen = 0;
	s->quiet_hops = 0;
	s->ncmd = 0;
	s->no_wake = no_wake;
}

static void
finish_command(struct speech_emb *s, double t, const char *why)
{
	struct speech_result r = { .kind = SPEECH_REJECT, .t = t };
	float feat[HEADS_INTENT_INPUT], p[HEADS_MAX_CLASSES];

	r.t_speech_end = s->voice_seen ? s->last_talk : s->cmd_start;
	if (why != NULL) {
		r.reason = why;
	} else if (s->ncmd == 0) {
		r.reason = "no-command";
	} else {
		const struct head_info *hi = &s->h->intent;
		int best = 0;
		heads_intent_features(s->cmd, s->ncmd, feat);
		head_run(hi->net, feat, p);
		for (int i = 1; i < hi->nclasses; i++)
			if (p[i] > p[best])
				best = i;
		r.confidence = p[best];
		r.llr = log(p[best] + 1e-9) - log(1.0 - p[best] + 1e-9);
		if (s->h->entries[best] == NULL) {
			r.reason = "no-command";
			r.confidence = 1.0 - p[best];
		} else if (p[best] < s->cfg.cmd_min_confidence) {
			r.reason = "low-confidence";
		} else {
			const struct catalogue_entry *e = s->h->entries[best];
			r.kind = SPEECH_COMMAND;
			r.entry = e;
			/* No transcript from this engine: the entry's own words. */
			snprintf(s->text, sizeof s->text, "%s", e->nsay > 0 ? e->say[0] : e->id);
			r.text = s->text;
		}
	}
	emit(s, &r);
	s->state = ST_WAKE;
	if (s->rearm_at < t)
		s->rearm_at = t;
}

static void
on_wake_hop(struct speech_emb *s, double t)
{
	const struct head_info *hi = &s->h->wake;
	float in[64 * EMBED_DIM], p[HEADS_MAX_CLASSES];
	int best = 1;

	if (s->nemb < (uint64_t)hi->window || t < s->rearm_at)
		return;
	stack(s, hi->window, in);
	head_run(hi->net, in, p);
	for (int i = 2; i < hi->nclasses; i++)
		if (p[i] > p[best])
			best = i;
	if (p[best] < s->wake_thr)
		return;
	if (t >= s->mute_from && t - 1.0 <= s->mute_to)
		return;                 /* our own voice is in the window */
	struct speech_result r = { .kind = SPEECH_WAKE, .t = t, .t_speech_end = t, .confidence = p[best] };
	r.llr = log(p[best] + 1e-9) - log(1.0 - p[best] + 1e-9);
	r.text = s->h->wake_phrases[best];
	emit(s, &r);
	s->rearm_at = t + REARM;
	start_command(s, t, 0);
}

static void
on_command_hop(struct speech_emb *s, double t)
{
	const struct head_info *hi = &s->h->endpoint;
	float in[64 * EMBED_DIM], p[2];

	if (!s->voice_seen && t <= s->hold_until) {
		/* Our cue or voice plays: the window opens when it ends. */
		s->cmd_start = t;
		s->ncmd = 0;
		return;
	}
	if (t > s->cmd_start + (s->no_wake ? 0.0 : SKIP_WAKE)) {
		if (s->ncmd == s->cmd_cap) {
			int cap = s->cmd_cap ? s->cmd_cap * 2 : 64;
			float *n = realloc(s->cmd, sizeof(float) * EMBED_DIM * (size_t)cap);
			if (n == NULL) {
				finish_command(s, t, "no-command");
				return;
			}
			s->cmd = n;
			s->cmd_cap = cap;
		}
		memcpy(s->cmd + (size_t)s->ncmd * EMBED_DIM, last(s, 0), sizeof(float) * EMBED_DIM);
		s->ncmd++;
	}
	if (s->nemb >= (uint64_t)hi->window) {
		stack(s, hi->window, in);
		head_run(hi->net, in, p);
	} else {
		p[1] = 0.0f;
	}
	if (p[1] >= hi->threshold && t >= s->cmd_start + (s->no_wake ? 0.0 : TALK_AFTER)) {
		s->voice_seen = 1;
		s->last_talk = t;
		s->quiet_hops = 0;
	} else if (s->voice_seen && ++s->quiet_hops >= s->end_hops) {
		finish_command(s, t, NULL);
		return;
	}
	if (!s->voice_seen && t - s->cmd_start > s->cfg.cmd_timeout_ms / 1000.0)
		finish_command(s, t, "timeout");
	else if (t - s->cmd_start > s->cfg.cmd_max_ms / 1000.0)
		finish_command(s, t, NULL);
}

static void
on_embedding(void *ud, uint64_t j, const float *e, uint64_t at)
{
	struct speech_emb *s = ud;
	double t = (double)at / SPEECH_RATE;

	(void)j;
	memcpy(s->hist[s->nemb % HIST], e, sizeof(float) * EMBED_DIM);
	s->nemb++;
	if (s->state == ST_WAKE)
		on_wake_hop(s, t);
	else
		on_command_hop(s, t);
}

struct speech_emb *
speech_emb_new(const struct speech_config *cfg, const struct catalogue *c, speech_cb cb,
               void *ud, char *err, size_t errlen)
{
	struct speech_emb *s = calloc(1, sizeof *s);
	char mel[1024], emb[1024], warn[1024];

	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->cfg = *cfg;
	s->cat = c;
	s->cb = cb;
	s->ud = ud;
	s->mute_from = s->mute_to = s->hold_until = -1.0;
	s->flush_at = -1.0;
	snprintf(mel, sizeof mel, "%s/melspectrogram.onnx", cfg->embed_models);
	snprintf(emb, sizeof emb, "%s/embedding_model.onnx", cfg->embed_models);
	if ((s->em = embed_model_load(mel, emb, err, errlen)) == NULL) {
		size_t n = strlen(err);
		snprintf(err + n, errlen - n, " (tools/fetch-models installs the speech models)");
		goto fail;
	}
	if ((s->h = heads_load(cfg->heads, mel, emb, c, err, errlen, warn, sizeof warn)) == NULL)
		goto fail;
	if (warn[0])
		fprintf(stderr, "smartofficed: %s: the intent head was trained without %s: run make models\n",
		    cfg->heads, warn);
	if ((s->es = embed_stream_new(s->em, on_embedding, s)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	s->wake_thr = cfg->wake_threshold > 0 ? cfg->wake_threshold : s->h->wake.threshold;
	s->end_hops = (cfg->end_silence_ms + EMBED_HOP * 1000 / SPEECH_RATE - 1) / (EMBED_HOP * 1000 / SPEECH_RATE);
	if (s->end_hops < 1)
		s->end_hops = 1;
	for (int i = 1; i < s->h->wake.nclasses; i++)
		if (s->h->wake_phrases[i] == NULL)
			s->h->wake_phrases[i] = i == 1 ? c->wake : s->h->wake.classes[i];
	return s;
fail:
	speech_emb_free(s);
	return NULL;
}

void
speech_emb_free(struct speech_emb *s)
{
	if (s == NULL)
		return;
	embed_stream_free(s->es);
	embed_model_free(s->em);
	heads_free(s->h);
	free(s->cmd);
	free(s);
}

int
speech_emb_feed(struct speech_emb *s, const int16_t *pcm, size_t n)
{
	embed_feed(s->es, pcm, n);
	return 0;
}

void
speech_emb_flush(struct speech_emb *s)
{
	/* The last embeddings lag the audio: quiet audio brings them out. */
	s->flush_at = speech_emb_time(s);
	if (s->state == ST_COMMAND) {
		int16_t pad[FLUSH_PAD];
		size_t n = FLUSH_PAD;
		uint32_t seed = 99u;
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1664525u + 1013904223u;
			pad[i] = (int16_t)((int)(seed >> 28) - 8);
		}
		embed_feed(s->es, pad, n);
	}
	if (s->state == ST_COMMAND)
		finish_command(s, speech_emb_time(s), s->voice_seen ? NULL : "timeout");
	s->flush_at = -1.0;
}

void
speech_emb_expect_command(struct speech_emb *s)
{
	if (s->state == ST_WAKE)
		start_command(s, speech_emb_time(s), 1);
}

void
speech_emb_mute(struct speech_emb *s, double from, double to)
{
	s->mute_from = from;
	s->mute_to = to + MUTE_TAIL;
	s->hold_until = to;
}

int
speech_emb_busy(const struct speech_emb *s)
{
	return s->state == ST_COMMAND;
}

double
speech_emb_time(const struct speech_emb *s)
{
	return (double)embed_samples(s->es) / SPEECH_RATE;
}
