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
 * Second opinion: the command's audio also goes, as it comes, to the
 * PocketSphinx engine in command mode (the catalogue's grammar and its
 * garbage-model confidence, speech_ps.c).  The decision fuses both: the
 * grammar's command when it is confident, else the intent head's when it
 * is sure (intent_sure), else "Sorry?"; the transcript users see is the
 * grammar's.  Without the PocketSphinx model the intent head decides alone.
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
#define SKIP_WAKE  0.3         /* command embeddings start this long after the wake */
#define TALK_AFTER 0.45        /* talking this long after the wake is the command's */
#define REARM      1.4         /* the wake phrase has left the wake head's window */
#define FLUSH_PAD  8000        /* samples of quiet audio fed at the end of a stream */
#define PREROLL    32000       /* samples of quiet audio before the stream (2 s) */
#define PCM_HIST   48000       /* audio kept for the second opinion (3 s) */
#define PS_LEAD    0.0         /* the second opinion hears from this long before the wake decision */
#define INTENT_SURE 0.7        /* the intent head alone decides above this */
#define VOICE_DB   9.0         /* talking is this much above the window's quietest hop */
#define FLOOR_MIN_DB 30.0      /* ... and than this (about -60 dBFS) */

enum state { ST_WAKE, ST_COMMAND };

struct speech_emb;
static void feed(struct speech_emb *s, const int16_t *pcm, size_t n);

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
	int      voice_seen, quiet_hops, end_hops, no_wake, talk_run, talk_hops;
	double   floor_db;            /* quietest hop of the window (slowly forgotten) */
	float   *cmd;                 /* the command's embeddings */
	int      ncmd, cmd_cap;
	char     text[256];
	double   flush_at;            /* inside speech_emb_flush: the end of the audio */

	/* the second opinion */
	struct speech_ps *ps;
	int16_t *pcm;                 /* ring of the last PCM_HIST samples */
	uint64_t pcm_pos;             /* samples fed (stream, preroll included) */
	int      ps_on;               /* PocketSphinx hears the command window */
	int      ps_pending;          /* ... from ps_from, at the next feed */
	uint64_t ps_from;
	int      ps_have;             /* a result came */
	struct speech_result psr;
	char     ps_text[256];
	char     ps_reason[32];
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
	s->talk_run = 0;
	s->talk_hops = 0;
	s->floor_db = -1.0;
	s->ncmd = 0;
	s->no_wake = no_wake;
}

/* The second opinion's result, copied (its buffers are reused). */
static void
on_ps(void *ud, const struct speech_result *r)
{
	struct speech_emb *s = ud;

	if (!s->ps_on || (r->kind != SPEECH_COMMAND && r->kind != SPEECH_REJECT))
		return;
	/* A command heard earlier in the window is not undone by a later refusal. */
	if (r->kind == SPEECH_REJECT && s->ps_have && s->psr.kind == SPEECH_COMMAND)
		return;
	s->psr = *r;
	s->psr.text = NULL;
	s->psr.reason = NULL;
	if (r->text != NULL) {
		snprintf(s->ps_text, sizeof s->ps_text, "%s", r->text);
		s->psr.text = s->ps_text;
	}
	if (r->reason != NULL) {
		snprintf(s->ps_reason, sizeof s->ps_reason, "%s", r->reason);
		s->psr.reason = s->ps_reason;
	}
	s->ps_have = 1;
}

static void
ps_stop(struct speech_emb *s)
{
	if (s->ps != NULL && s->ps_on && speech_ps_busy(s->ps))
		speech_ps_flush(s->ps);
	s->ps_on = 0;
	s->ps_pending = 0;
}

static void
finish_command(struct speech_emb *s, double t, const char *why)
{
	struct speech_result r = { .kind = SPEECH_REJECT, .t = t };
	float feat[HEADS_INTENT_INPUT], p[HEADS_MAX_CLASSES];

	r.t_speech_end = s->voice_seen ? s->last_talk : s->cmd_start;
	/* The grammar decides on the audio it has heard so far. */
	if (why == NULL && s->ps != NULL && s->ps_on && speech_ps_busy(s->ps))
		speech_ps_flush(s->ps);
	if (why != NULL) {
		r.reason = why;
	} else if (s->ps != NULL && s->ps_have && s->psr.kind == SPEECH_COMMAND) {
		r.kind = SPEECH_COMMAND;
		r.entry = s->psr.entry;
		r.confidence = s->psr.confidence;
		r.llr = s->psr.llr;
		r.text = s->psr.text;
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
			r.reason = s->h->stale[best] ? "low-confidence" : "no-command";
			r.confidence = 1.0 - p[best];
		} else if (p[best] < s->cfg.cmd_min_confidence || (s->ps != NULL && p[best] < INTENT_SURE)) {
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
	ps_stop(s);
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
	if (s->ps != NULL) {
		uint64_t back = (uint64_t)(PS_LEAD * SPEECH_RATE);
		uint64_t at = (uint64_t)(t * SPEECH_RATE) + PREROLL;
		s->ps_from = at > back ? at - back : 0;
		s->ps_pending = 1;
		s->ps_have = 0;
	}
}

/* Level in dB of the hop that ends at sample `at`: its own samples. */
static double
hop_db(const struct speech_emb *s, uint64_t at)
{
	double e = 0;

	for (uint64_t i = at - EMBED_HOP; i < at; i++) {
		double v = s->pcm[i % PCM_HIST];
		e += v * v;
	}
	return 10.0 * log10(e / EMBED_HOP + 1.0);
}

static void
on_command_hop(struct speech_emb *s, double t, uint64_t at)
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
	/* Talking: the endpoint head says so, and the hop is louder than the
	 * window's quietest hop (the head alone takes the onset of a noise bed
	 * for a voice).  Two such hops in a row open the command. */
	double db = hop_db(s, at);
	if (s->floor_db < 0 || db < s->floor_db)
		s->floor_db = db;
	else
		s->floor_db += 0.05;
	if (s->floor_db < FLOOR_MIN_DB)
		s->floor_db = FLOOR_MIN_DB;   /* digital silence: a noise bed is no voice */
	int talking = p[1] >= hi->threshold && db >= s->floor_db + VOICE_DB &&
	    t >= s->cmd_start + (s->no_wake ? 0.0 : TALK_AFTER);
	s->talk_run = talking ? s->talk_run + 1 : 0;
	if (talking) {
		if (s->voice_seen || s->talk_run >= 2) {
			s->voice_seen = 1;
			s->talk_hops++;
			/* the hop's start: its voice may have stopped anywhere inside it */
			s->last_talk = t - (double)EMBED_HOP / SPEECH_RATE;
			s->quiet_hops = 0;
		}
	} else if (s->voice_seen && ++s->quiet_hops >= s->end_hops) {
		/* Under 0.24 s of "talking" is a blip (a noise onset), not a
		 * command: keep waiting for one. */
		if (s->talk_hops < 3) {
			s->voice_seen = 0;
			s->talk_hops = 0;
			s->quiet_hops = 0;
		} else {
			finish_command(s, t, NULL);
			return;
		}
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
	double t = ((double)at - PREROLL) / SPEECH_RATE;

	(void)j;
	memcpy(s->hist[s->nemb % HIST], e, sizeof(float) * EMBED_DIM);
	s->nemb++;
	if (s->state == ST_WAKE)
		on_wake_hop(s, t);
	else
		on_command_hop(s, t, at);
}

/* Feeds n samples of the quiet noise the training clips start with. */
static void
quiet(struct speech_emb *s, size_t n)
{
	int16_t *buf = malloc(n * sizeof *buf);

	if (buf == NULL)
		return;         /* only a shorter context for the first embeddings */
	embed_quiet_noise(buf, n);
	feed(s, buf, n);
	free(buf);
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
		fprintf(stderr, "smartofficed: %s: the heads and %s differ (%s): run make models\n",
		    cfg->heads, c->path, warn);
	if ((s->es = embed_stream_new(s->em, on_embedding, s)) == NULL ||
	    (s->pcm = calloc(PCM_HIST, sizeof *s->pcm)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	{
		char perr[512];
		if ((s->ps = speech_ps_new(cfg, c, on_ps, s, perr, sizeof perr)) == NULL)
			fprintf(stderr, "smartofficed: no PocketSphinx second opinion for commands (%s): "
			    "the intent head decides alone\n", perr);
	}
	/* The wake head reads 16 embeddings, 2 s of audio: a stream that
	 * starts with the wake phrase (a file, the first seconds after start)
	 * is heard after quiet audio, as the training clips are. */
	quiet(s, PREROLL);
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
	speech_ps_free(s->ps);
	free(s->pcm);
	heads_free(s->h);
	free(s->cmd);
	free(s);
}

/* Audio into the embedding, and while a command window is open into the
 * second opinion too.  In pieces of 160 samples, so that a window opened
 * inside a chunk hands over from where it opened. */
static void
feed(struct speech_emb *s, const int16_t *pcm, size_t n)
{
	while (n > 0) {
		size_t k = n < 160 ? n : 160;
		for (size_t i = 0; i < k; i++)
			s->pcm[(s->pcm_pos + i) % PCM_HIST] = pcm[i];
		s->pcm_pos += k;
		int was_on = s->ps_on;
		embed_feed(s->es, pcm, k);
		if (s->ps != NULL && s->ps_pending && s->state == ST_COMMAND) {
			int16_t buf[1024];
			uint64_t from = s->ps_from;
			if (s->pcm_pos - from > PCM_HIST)
				from = s->pcm_pos - PCM_HIST;
			s->ps_pending = 0;
			s->ps_on = 1;
			speech_ps_expect_command(s->ps);
			while (from < s->pcm_pos) {
				size_t m = 0;
				for (; m < 1024 && from < s->pcm_pos; m++, from++)
					buf[m] = s->pcm[from % PCM_HIST];
				speech_ps_feed(s->ps, buf, m);
			}
		} else if (s->ps_on && was_on) {
			speech_ps_feed(s->ps, pcm, k);
			/* Its own end of speech came first (a pause): hear the rest. */
			if (!speech_ps_busy(s->ps) && s->state == ST_COMMAND && !(s->ps_have && s->psr.kind == SPEECH_COMMAND))
				speech_ps_expect_command(s->ps);
		}
		pcm += k;
		n -= k;
	}
}

int
speech_emb_feed(struct speech_emb *s, const int16_t *pcm, size_t n)
{
	feed(s, pcm, n);
	return 0;
}

void
speech_emb_flush(struct speech_emb *s)
{
	/* The last embeddings lag the audio: quiet audio brings them out. */
	s->flush_at = speech_emb_time(s);
	if (s->state == ST_COMMAND)
		quiet(s, FLUSH_PAD);
	if (s->state == ST_COMMAND)
		finish_command(s, speech_emb_time(s), s->voice_seen ? NULL : "timeout");
	s->flush_at = -1.0;
}

void
speech_emb_expect_command(struct speech_emb *s)
{
	if (s->state == ST_WAKE) {
		start_command(s, speech_emb_time(s), 1);
		if (s->ps != NULL) {
			s->ps_from = s->pcm_pos;
			s->ps_pending = 1;
			s->ps_have = 0;
		}
	}
}

void
speech_emb_mute(struct speech_emb *s, double from, double to)
{
	s->mute_from = from;
	s->mute_to = to + MUTE_TAIL;
	s->hold_until = to;
	if (s->ps != NULL)
		/* its clock only runs in command windows: the same instants on it */
		speech_ps_mute(s->ps, from - speech_emb_time(s) + speech_ps_time(s->ps),
		    to - speech_emb_time(s) + speech_ps_time(s->ps));
}

int
speech_emb_busy(const struct speech_emb *s)
{
	return s->state == ST_COMMAND;
}

double
speech_emb_time(const struct speech_emb *s)
{
	return ((double)embed_samples(s->es) - PREROLL) / SPEECH_RATE;
}
