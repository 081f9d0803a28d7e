#include "daemon/remote_voice.h"
#include "base/xalloc.h"
#include "base/log.h"
#include "base/queue.h"
#include "base/worker.h"
#include "models/grammar.h"
#include "models/speech_slot.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK     1600      /* samples decoded per turn of the worker (100 ms) */
#define FRAME     160       /* the recognizer's 10 ms frame (models/speech.c) */
#define PAD_MS    100       /* silence after end_silence_ms, so the VAD closes */
#define DB_BINS   128

struct remote_voice {
	struct speech_slot rec;       /* the recognizer (the worker's, once started) */
	struct queue    *q;
	void           (*wake)(void *);
	void            *wake_ud;
	size_t           cap;         /* samples per stream: max_s */
	struct worker    thr;         /* the thread and its stop flag */

	pthread_mutex_t  lock;        /* guards what follows */
	pthread_cond_t   cond;
	uint64_t         gen;         /* stream number: start and cancel move it on */
	int              busy;        /* from start until its result is queued */
	int              open;        /* the stream takes audio */
	int              ended;       /* audio-end came, or the stream was cut */
	int              has_owner;   /* owner may feed/end (until end or cancel) */
	uint64_t         owner;
	uint64_t         client;      /* the current stream's client */
	json_int_t       request_id;
	int16_t         *buf;         /* the stream's samples, [0, w) */
	size_t           w;
	int              have_odd;    /* a low byte waiting for its high byte */
	uint8_t          odd;
	const struct catalogue *next_cat;
	const struct grammar_extra *next_extra;
	int              extra_pending; /* next_extra waits (NULL: none) */
	uint64_t         next_after;  /* the stream to finish on the old grammar first */

	/* Worker only. */
	uint64_t         cur;         /* the stream being decoded, 0: none */
	size_t           r;           /* samples of it taken */
	size_t           fed;         /* samples given to the recognizer this stream */
	double           t0;          /* recognizer time at the stream's start */
	int              discard;     /* results now are not wanted */
	int              got;         /* the stream's result is in res */
	struct input     res;
	unsigned         db_hist[DB_BINS];   /* frame levels, for the padding */
	uint32_t         seed;
};

/* Worker thread: the recognizer's callback.  Only the stream's first
 * command or reject counts: a stream is one utterance. */
static void
on_result(void *ud, const struct speech_result *r)
{
	struct remote_voice *rv = ud;
	struct input *in = &rv->res;

	if (rv->discard || rv->got || (r->kind != SPEECH_COMMAND && r->kind != SPEECH_REJECT))
		return;
	memset(in, 0, sizeof *in);
	if (r->kind == SPEECH_COMMAND) {
		in->kind = IN_COMMAND;
		snprintf(in->speech.id, sizeof in->speech.id, "%s", r->entry->id);
	} else {
		in->kind = IN_REJECT;
		snprintf(in->speech.reason, sizeof in->speech.reason, "%s", r->reason ? r->reason : "no-command");
	}
	in->t = r->t - rv->t0;
	in->speech.t_speech_end = r->t_speech_end - rv->t0;
	if (in->speech.t_speech_end < 0.0)
		in->speech.t_speech_end = 0.0;
	in->speech.confidence = r->confidence;
	if (r->text)
		snprintf(in->speech.text, sizeof in->speech.text, "%s", r->text);
	rv->got = 1;
}

static void
level_add(struct remote_voice *rv, const int16_t *pcm, size_t n)
{
	for (size_t i = 0; i < n; i += FRAME) {
		size_t k = n - i < FRAME ? n - i : FRAME;
		double e = 0.0;
		for (size_t j = 0; j < k; j++)
			e += (double)pcm[i + j] * pcm[i + j];
		int db = (int)(10.0 * log10(e / (double)k + 1.0));
		rv->db_hist[db < 0 ? 0 : db >= DB_BINS ? DB_BINS - 1 : db]++;
	}
}

/*
 * The padding that ends a stream is noise at the stream's own quiet level
 * (its 20th percentile frame), not digital silence: the recognizer's VAD
 * tracks a noise floor that would otherwise sink, and the next stream's
 * ordinary room noise would then pass for speech.
 */
static double
pad_rms(const struct remote_voice *rv)
{
	unsigned total = 0, acc = 0;
	int i;

	for (i = 0; i < DB_BINS; i++)
		total += rv->db_hist[i];
	if (total == 0)
		return 0.0;
	for (i = 0; i < DB_BINS; i++)
		if ((acc += rv->db_hist[i]) * 5 >= total)
			break;
	return sqrt(pow(10.0, i / 10.0) - 1.0 > 0.0 ? pow(10.0, i / 10.0) - 1.0 : 0.0);
}

static void
feed(struct remote_voice *rv, const int16_t *pcm, size_t n)
{
	speech_feed(rv->rec.speech, pcm, n);
	rv->fed += n;
}

/* Worker: a new stream, its own timeline from 0. */
static void
stream_begin(struct remote_voice *rv)
{
	rv->discard = 1;
	if (speech_busy(rv->rec.speech))       /* never expected: be safe */
		speech_flush(rv->rec.speech);
	rv->discard = 0;
	speech_expect_command(rv->rec.speech);
	rv->t0 = speech_time(rv->rec.speech);
	rv->got = 0;
	rv->fed = 0;
	memset(rv->db_hist, 0, sizeof rv->db_hist);
}

/* Worker: all the audio is in; close the command window. */
static void
stream_finish(struct remote_voice *rv)
{
	int16_t pad[FRAME];
	size_t left;
	double a;

	a = pad_rms(rv) * sqrt(3.0);
	if (a < 1.0)
		a = 1.0;
	/* Whole frames, so the next stream starts on a frame boundary. */
	left = (size_t)(rv->rec.cfg.end_silence_ms + PAD_MS) * SPEECH_RATE / 1000;
	left += (FRAME - rv->fed % FRAME) % FRAME;
	while (!rv->got && left > 0) {
		size_t k = left % FRAME ? left % FRAME : FRAME;
		for (size_t i = 0; i < k; i++) {
			rv->seed = rv->seed * 1664525u + 1013904223u;
			pad[i] = (int16_t)lrint(a * ((double)(rv->seed >> 8) / (double)(1u << 24) * 2.0 - 1.0));
		}
		feed(rv, pad, k);
		left -= k;
	}
	if (!rv->got)
		speech_flush(rv->rec.speech);
	if (!rv->got) {
		/* The window had already closed (a timeout) with nothing kept. */
		memset(&rv->res, 0, sizeof rv->res);
		rv->res.kind = IN_REJECT;
		snprintf(rv->res.speech.reason, sizeof rv->res.speech.reason, "no-command");
		rv->res.t = rv->res.speech.t_speech_end = speech_time(rv->rec.speech) - rv->t0;
		rv->got = 1;
	}
	/* Samples of a partial frame would begin the next stream. */
	if (rv->fed % FRAME != 0) {
		memset(pad, 0, sizeof pad);
		feed(rv, pad, FRAME - rv->fed % FRAME);
	}
}

/* Worker: the stream was cancelled; leave the recognizer ready. */
static void
stream_abandon(struct remote_voice *rv)
{
	rv->discard = 1;
	if (speech_busy(rv->rec.speech))
		speech_flush(rv->rec.speech);
	if (rv->fed % FRAME != 0) {
		int16_t pad[FRAME] = { 0 };
		feed(rv, pad, FRAME - rv->fed % FRAME);
	}
	rv->discard = 0;
	rv->got = 0;
}

/* Worker: swaps in a recognizer for cat (NULL: the same) and/or the
 * grammar-only phrases (between streams only). */
static void
reload(struct remote_voice *rv, const struct catalogue *cat, int extra_changed,
    const struct grammar_extra *extra)
{
	char err[1024];

	if (speech_slot_rebuild(&rv->rec, cat, extra_changed, extra, err, sizeof err) < 0) {
		log_warnx("remote voice: reload: keeping the old grammar: %s", err);
		return;
	}
	log_debug("remote voice: recognizer reloaded with %zu entries and %zu grammar-only phrases",
	    rv->rec.cat->nentries, rv->rec.cfg.extra != NULL ? rv->rec.cfg.extra->n : 0);
}

static void *
rv_main(void *arg)
{
	struct remote_voice *rv = arg;
	int16_t *chunk = xmalloc(CHUNK * sizeof *chunk);

	pthread_mutex_lock(&rv->lock);
	while (!worker_stopping(&rv->thr)) {
		if (rv->cur != 0 && rv->cur != rv->gen) {
			/* Cancelled (and maybe another stream started since). */
			rv->cur = 0;
			pthread_mutex_unlock(&rv->lock);
			stream_abandon(rv);
			pthread_mutex_lock(&rv->lock);
			continue;
		}
		/* A stream started before the reload was asked for ends on
		 * the grammar it started with, as the room listener's does. */
		if (rv->cur == 0 && (rv->next_cat != NULL || rv->extra_pending) &&
		    !(rv->busy && rv->gen == rv->next_after)) {
			const struct catalogue *cat = rv->next_cat;
			const struct grammar_extra *extra = rv->next_extra;
			int extra_changed = rv->extra_pending;
			rv->next_cat = NULL;
			rv->next_extra = NULL;
			rv->extra_pending = 0;
			pthread_mutex_unlock(&rv->lock);
			reload(rv, cat, extra_changed, extra);
			pthread_mutex_lock(&rv->lock);
			continue;
		}
		if (rv->cur == 0 && rv->busy) {
			rv->cur = rv->gen;
			rv->r = 0;
			pthread_mutex_unlock(&rv->lock);
			stream_begin(rv);
			pthread_mutex_lock(&rv->lock);
			continue;
		}
		if (rv->cur != 0 && rv->r < rv->w) {
			size_t n = rv->w - rv->r < CHUNK ? rv->w - rv->r : CHUNK;
			memcpy(chunk, rv->buf + rv->r, n * sizeof *chunk);
			rv->r += n;
			pthread_mutex_unlock(&rv->lock);
			/* After the stream's result, the rest is not listened to. */
			if (!rv->got) {
				level_add(rv, chunk, n);
				feed(rv, chunk, n);
			}
			pthread_mutex_lock(&rv->lock);
			continue;
		}
		if (rv->cur != 0 && rv->ended) {
			struct input in;
			pthread_mutex_unlock(&rv->lock);
			stream_finish(rv);
			pthread_mutex_lock(&rv->lock);
			if (rv->cur != rv->gen)
				continue;          /* cancelled meanwhile: no result */
			in = rv->res;
			in.speech.client = rv->client;
			in.speech.request_id = (long long)rv->request_id;
			snprintf(in.source, sizeof in.source, "remote-voice");
			rv->busy = 0;
			rv->cur = 0;
			pthread_mutex_unlock(&rv->lock);
			if (queue_push(rv->q, &in) < 0)
				log_warnx("event queue full: a remote voice result was dropped");
			if (rv->wake != NULL)
				rv->wake(rv->wake_ud);
			pthread_mutex_lock(&rv->lock);
			continue;
		}
		pthread_cond_wait(&rv->cond, &rv->lock);
	}
	pthread_mutex_unlock(&rv->lock);
	free(chunk);
	return NULL;
}

/* worker_stop's wake. */
static void
wake_thread(void *arg)
{
	struct remote_voice *rv = arg;

	pthread_mutex_lock(&rv->lock);
	pthread_cond_signal(&rv->cond);
	pthread_mutex_unlock(&rv->lock);
}

struct remote_voice *
remote_voice_new(const struct speech_config *cfg, const struct catalogue *cat, struct queue *q,
                 void (*wake)(void *), void *wake_ud, double max_s, char *err, size_t errlen)
{
	struct remote_voice *rv;

	if (!(max_s > 0.0 && max_s <= 600.0)) {
		snprintf(err, errlen, "remote voice: max_s %g is not within (0, 600] seconds", max_s);
		return NULL;
	}
	rv = xcalloc(1, sizeof *rv);
	rv->q = q;
	rv->wake = wake;
	rv->wake_ud = wake_ud;
	rv->cap = (size_t)lround(max_s * SPEECH_RATE);
	rv->seed = 20240611;
	pthread_mutex_init(&rv->lock, NULL);
	pthread_cond_init(&rv->cond, NULL);
	rv->buf = xmalloc(rv->cap * sizeof *rv->buf);
	if (speech_slot_init(&rv->rec, cfg, cat, on_result, rv, err, errlen) < 0) {
		/* A failed start leaves cat to the caller. */
		remote_voice_free(rv);
		return NULL;
	}
	rv->thr.wake = wake_thread;
	rv->thr.wake_arg = rv;
	if (worker_start(&rv->thr, rv_main, rv) < 0) {
		snprintf(err, errlen, "remote voice: cannot start its thread");
		rv->rec.cat = NULL;             /* the caller's again */
		remote_voice_free(rv);
		return NULL;
	}
	return rv;
}

void
remote_voice_free(struct remote_voice *rv)
{
	if (rv == NULL)
		return;
	worker_stop(&rv->thr);
	speech_slot_free(&rv->rec);
	catalogue_free(rv->next_cat);
	grammar_extra_free(rv->next_extra);
	free(rv->buf);
	pthread_mutex_destroy(&rv->lock);
	pthread_cond_destroy(&rv->cond);
	free(rv);
}

int
remote_voice_start(struct remote_voice *rv, uint64_t client_id, json_int_t request_id)
{
	pthread_mutex_lock(&rv->lock);
	if (rv->busy) {
		pthread_mutex_unlock(&rv->lock);
		return -1;
	}
	rv->gen++;
	rv->busy = rv->open = 1;
	rv->ended = 0;
	rv->has_owner = 1;
	rv->owner = rv->client = client_id;
	rv->request_id = request_id;
	rv->w = 0;
	rv->have_odd = 0;
	pthread_cond_signal(&rv->cond);
	pthread_mutex_unlock(&rv->lock);
	return 0;
}

/* Under the lock: no more audio; the worker decides with what it has. */
static void
close_stream(struct remote_voice *rv)
{
	rv->open = 0;
	rv->ended = 1;
	rv->have_odd = 0;          /* half a sample is no sample */
	pthread_cond_signal(&rv->cond);
}

int
remote_voice_feed(struct remote_voice *rv, uint64_t client_id, const void *bytes, size_t len)
{
	const uint8_t *p = bytes;
	size_t room;

	pthread_mutex_lock(&rv->lock);
	if (!rv->has_owner || rv->owner != client_id) {
		pthread_mutex_unlock(&rv->lock);
		return -1;
	}
	if (!rv->open || len == 0) {
		pthread_mutex_unlock(&rv->lock);
		return 0;
	}
	/* Samples are little-endian whatever the host, and may straddle frames. */
	if (rv->have_odd && rv->w < rv->cap) {
		rv->buf[rv->w++] = (int16_t)(uint16_t)(rv->odd | (uint16_t)p[0] << 8);
		rv->have_odd = 0;
		p++;
		len--;
	}
	room = rv->cap - rv->w;
	if (len / 2 > room) {
		log_info("remote voice: client %llu: utterance cut at %.1f s",
		    (unsigned long long)client_id, (double)rv->cap / SPEECH_RATE);
		len = room * 2;
	}
	for (size_t i = 0; i + 1 < len; i += 2)
		rv->buf[rv->w++] = (int16_t)(uint16_t)(p[i] | (uint16_t)p[i + 1] << 8);
	if (len % 2) {
		rv->odd = p[len - 1];
		rv->have_odd = 1;
	}
	if (rv->w >= rv->cap)
		close_stream(rv);
	else
		pthread_cond_signal(&rv->cond);
	pthread_mutex_unlock(&rv->lock);
	return 0;
}

int
remote_voice_end(struct remote_voice *rv, uint64_t client_id, json_int_t reply_id)
{
	pthread_mutex_lock(&rv->lock);
	if (!rv->has_owner || rv->owner != client_id) {
		pthread_mutex_unlock(&rv->lock);
		return -1;
	}
	rv->has_owner = 0;
	rv->request_id = reply_id;	/* the result answers this message */
	if (rv->open)
		close_stream(rv);
	pthread_mutex_unlock(&rv->lock);
	return 0;
}

void
remote_voice_cancel(struct remote_voice *rv, uint64_t client_id)
{
	pthread_mutex_lock(&rv->lock);
	if (rv->has_owner && rv->owner == client_id)
		rv->has_owner = 0;
	if (rv->busy && rv->client == client_id) {
		rv->gen++;             /* the worker drops what it was doing */
		rv->busy = rv->open = rv->ended = 0;
		rv->w = 0;
		pthread_cond_signal(&rv->cond);
	}
	pthread_mutex_unlock(&rv->lock);
}

void
remote_voice_set_catalogue(struct remote_voice *rv, const struct catalogue *cat)
{
	const struct catalogue *old;

	pthread_mutex_lock(&rv->lock);
	old = rv->next_cat;
	rv->next_cat = cat;
	rv->next_after = rv->busy ? rv->gen : 0;
	pthread_cond_signal(&rv->cond);
	pthread_mutex_unlock(&rv->lock);
	catalogue_free(old);                /* replaced before it was taken */
}

void
remote_voice_set_grammar(struct remote_voice *rv, const struct grammar_extra *extra)
{
	const struct grammar_extra *old;

	pthread_mutex_lock(&rv->lock);
	old = rv->next_extra;
	rv->next_extra = extra;
	rv->extra_pending = 1;
	rv->next_after = rv->busy ? rv->gen : 0;
	pthread_cond_signal(&rv->cond);
	pthread_mutex_unlock(&rv->lock);
	grammar_extra_free(old);            /* replaced before it was taken */
}

int
remote_voice_busy(struct remote_voice *rv)
{
	int busy;

	pthread_mutex_lock(&rv->lock);
	busy = rv->busy;
	pthread_mutex_unlock(&rv->lock);
	return busy;
}
