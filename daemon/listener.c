#include "daemon/listener.h"
#include "base/xalloc.h"
#include "base/worker.h"
#include "base/log.h"
#include "models/embed.h"
#include "models/grammar.h"
#include "models/speech_slot.h"
#include "devices/record.h"
#include "base/queue.h"
#include "devices/mic.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHUNK       320          /* 20 ms: the latency floor of a decision */
#define ACK_WAIT_MS 3000         /* longest wait for the feedback's audio */

struct listener {
	struct listener_config cfg;
	char            *source;
	struct mic_sup  *mic;        /* supervised: a lost microphone is reopened */
	struct speech_slot rec;      /* the recognizer and its catalogue */
	struct queue    *q;
	void           (*wake)(void *);
	void            *wake_ud;
	struct worker    w;          /* the thread and its stop flag */
	int              rec_failed;

	pthread_mutex_t  lock;       /* guards what follows */
	pthread_cond_t   cond;
	unsigned long    ticket, acked;
	int16_t         *echo;       /* feedback audio still to mix in */
	size_t           echo_n, echo_at;
	const struct catalogue *next_cat;
	const struct grammar_extra *next_extra;
	int              extra_pending; /* next_extra waits (NULL: none) */
	int              audible;    /* the feedback goes to a loudspeaker */
	atomic_int       level_cb;   /* the last chunk's RMS, centibels below full scale */
	atomic_int       have_level;
};

/* The admin page's level meter: RMS of what the microphone gave (before
 * the feedback echo is mixed in), in dB below full scale. */
static void
note_level(struct listener *l, const int16_t *pcm, size_t n)
{
	double e = 0;

	for (size_t i = 0; i < n; i++)
		e += (double)pcm[i] * pcm[i];
	e = n > 0 ? sqrt(e / (double)n) / 32768.0 : 0;
	atomic_store(&l->level_cb, e > 1e-5 ? (int)lround(200.0 * log10(e)) : -1000);
	atomic_store(&l->have_level, 1);
}

const char *
listener_source(const struct listener *l)
{
	return l != NULL ? l->source : "";
}

int
listener_level(struct listener *l, double *db)
{
	if (l == NULL || !atomic_load(&l->have_level))
		return 0;
	*db = atomic_load(&l->level_cb) / 10.0;
	return 1;
}

static void
push(struct listener *l, struct input *in)
{
	if (queue_push(l->q, in) < 0)
		log_warnx("event queue full: an input was dropped");
	l->wake(l->wake_ud);
}

/* Waits until the feedback for `ticket` is known, then starts the echo
 * and the deaf interval from the current stream position. */
static void
wait_ack(struct listener *l, unsigned long ticket)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ACK_WAIT_MS / 1000;
	pthread_mutex_lock(&l->lock);
	while (l->acked < ticket && !worker_stopping(&l->w))
		if (pthread_cond_timedwait(&l->cond, &l->lock, &until) == ETIMEDOUT) {
			log_warnx("no answer from the feedback thread; listening on");
			break;
		}
	/* Only what is heard can be echoed: played on a device, or mixed in. */
	if (l->echo_n > 0 && l->cfg.self_mute && (l->audible || l->cfg.echo)) {
		double now = speech_time(l->rec.speech);
		speech_mute(l->rec.speech, now, now + (double)l->echo_n / SPEECH_RATE);
	}
	if (!l->cfg.echo) {
		free(l->echo);
		l->echo = NULL;
		l->echo_n = 0;
	}
	pthread_mutex_unlock(&l->lock);
}

static void
on_result(void *ud, const struct speech_result *r)
{
	struct listener *l = ud;
	struct input in = { 0 };

	switch (r->kind) {
	case SPEECH_WAKE:
		in.kind = IN_WAKE;
		break;
	case SPEECH_COMMAND:
		in.kind = IN_COMMAND;
		snprintf(in.speech.id, sizeof in.speech.id, "%s", r->entry->id);
		break;
	case SPEECH_REJECT:
		in.kind = IN_REJECT;
		snprintf(in.speech.reason, sizeof in.speech.reason, "%s", r->reason);
		break;
	default:
		return;
	}
	in.t = r->t;
	in.speech.t_speech_end = r->t_speech_end;
	in.speech.confidence = r->confidence;
	if (r->text)
		snprintf(in.speech.text, sizeof in.speech.text, "%s", r->text);
	pthread_mutex_lock(&l->lock);
	in.speech.ticket = ++l->ticket;
	pthread_mutex_unlock(&l->lock);
	push(l, &in);
	wait_ack(l, in.speech.ticket);
}

void
listener_ack(struct listener *l, unsigned long ticket, int16_t *pcm, size_t n, int audible)
{
	pthread_mutex_lock(&l->lock);
	l->audible = audible;
	free(l->echo);
	l->echo = pcm;
	l->echo_n = pcm ? n : 0;
	l->echo_at = 0;
	if (ticket > l->acked)
		l->acked = ticket;
	pthread_cond_broadcast(&l->cond);
	pthread_mutex_unlock(&l->lock);
}

/* Adds what the loudspeaker is playing to what the microphone heard. */
static void
mix_echo(struct listener *l, int16_t *buf, size_t n)
{
	pthread_mutex_lock(&l->lock);
	for (size_t i = 0; i < n && l->echo_at < l->echo_n; i++) {
		int v = buf[i] + l->echo[l->echo_at++];
		buf[i] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
	}
	if (l->echo != NULL && l->echo_at >= l->echo_n) {
		free(l->echo);
		l->echo = NULL;
		l->echo_n = l->echo_at = 0;
	}
	pthread_mutex_unlock(&l->lock);
}

static void
maybe_reload(struct listener *l)
{
	const struct catalogue *next;
	const struct grammar_extra *extra;
	int extra_changed;
	char err[1024];

	/* Never in the middle of a command: it would be lost. */
	if (speech_busy(l->rec.speech))
		return;
	pthread_mutex_lock(&l->lock);
	next = l->next_cat;
	l->next_cat = NULL;
	extra = l->next_extra;
	extra_changed = l->extra_pending;
	l->next_extra = NULL;
	l->extra_pending = 0;
	pthread_mutex_unlock(&l->lock);
	if (next == NULL && !extra_changed)
		return;
	if (speech_slot_rebuild(&l->rec, next, extra_changed, extra, err, sizeof err) < 0) {
		log_warnx("reload: keeping the old grammar: %s", err);
		return;
	}
	log_info("recognizer reloaded with %zu entries and %zu grammar-only phrases", l->rec.cat->nentries,
	    l->rec.cfg.extra != NULL ? l->rec.cfg.extra->n : 0);
}

/*
 * Into the recognizer, which a reload replaces on a point of the
 * embedding's 80 ms hop grid only (whatever size the reads are): one
 * started off the grid hears the audio in other windows and misses wake
 * phrases the old one heard (test_listener).
 */
static void
feed(struct listener *l, const int16_t *buf, size_t n)
{
	while (n > 0) {
		uint64_t at = (uint64_t)llround(speech_time(l->rec.speech) * SPEECH_RATE);
		size_t k = EMBED_HOP - (size_t)(at % EMBED_HOP);

		if (k == EMBED_HOP)
			maybe_reload(l);
		if (k > n)
			k = n;
		speech_feed(l->rec.speech, buf, k);
		buf += k;
		n -= k;
	}
}

/* The microphone went (err says why) or came back: the service thread is
 * told, and the stream's time goes on by the time it was gone. */
static void
push_mic(struct listener *l, enum mic_state st, const char *why)
{
	struct input in = { .kind = IN_MIC };

	if (st == MIC_LOST)
		speech_flush(l->rec.speech);        /* a command cut short is decided now */
	else
		speech_skip(l->rec.speech, mic_sup_gap(l->mic));
	/* The recording keeps the stream's timeline: the gap as silence. */
	if (st == MIC_BACK && l->cfg.rec != NULL && !l->rec_failed) {
		static const int16_t zeros[CHUNK];
		char err[512];
		uint64_t left = (uint64_t)(mic_sup_gap(l->mic) * MIC_RATE + 0.5);
		while (left > 0 && !l->rec_failed) {
			size_t n = left < CHUNK ? (size_t)left : CHUNK;
			if (record_audio(l->cfg.rec, zeros, n, err, sizeof err) < 0) {
				log_warnx("record: %s (audio is no longer recorded)", err);
				l->rec_failed = 1;
			}
			left -= n;
		}
	}
	in.t = speech_time(l->rec.speech);
	in.mic.state = st;
	in.mic.gone_s = st == MIC_BACK ? mic_sup_gap(l->mic) : 0;
	snprintf(in.mic.text, sizeof in.mic.text, "%.200s", st == MIC_LOST ? why : "");
	push(l, &in);
}

static void *
listener_main(void *arg)
{
	struct listener *l = arg;
	int16_t buf[CHUNK];
	char err[512];

	{
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		log_info("audio stream %s starts at unix time %.3f", l->source,
		    (double)now.tv_sec + now.tv_nsec / 1e9);
	}
	while (!worker_stopping(&l->w)) {
		ssize_t n = mic_sup_read(l->mic, buf, CHUNK, err, sizeof err);
		if (n == MIC_SUP_LOST || n == MIC_SUP_BACK) {
			push_mic(l, n == MIC_SUP_LOST ? MIC_LOST : MIC_BACK, err);
			continue;
		}
		if (n == MIC_SUP_WAIT) {        /* gone: a reload need not wait for it */
			maybe_reload(l);
			continue;
		}
		if (n > 0 && l->cfg.rec != NULL && !l->rec_failed &&
		    record_audio(l->cfg.rec, buf, (size_t)n, err, sizeof err) < 0) {
			log_warnx("record: %s (audio is no longer recorded)", err);
			l->rec_failed = 1;
		}
		if (n == 0) {
			speech_flush(l->rec.speech);
			if (l->cfg.loop && mic_sup_position(l->mic) > 0 &&
			    mic_sup_rewind(l->mic, err, sizeof err) == 0) {
				log_info("%s starts again at %.1f s", l->source, speech_time(l->rec.speech));
				continue;
			}
			struct input in = { .kind = IN_EOF, .t = speech_time(l->rec.speech) };
			push(l, &in);
			break;
		}
		note_level(l, buf, (size_t)n);
		mix_echo(l, buf, (size_t)n);
		feed(l, buf, (size_t)n);
	}
	return NULL;
}

struct listener *
listener_new(const struct listener_config *cfg, const struct catalogue *cat, struct queue *q,
             void (*wake)(void *), void *wake_ud, char *err, size_t errlen)
{
	struct listener *l = xcalloc(1, sizeof *l);

	l->cfg = *cfg;
	l->source = xstrdup(cfg->source);
	l->cfg.source = l->source;
	l->q = q;
	l->wake = wake;
	l->wake_ud = wake_ud;
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->cond, NULL);
	if ((l->mic = mic_sup_open(cfg->source, NULL, cfg->realtime, NULL, err, errlen)) == NULL ||
	    speech_slot_init(&l->rec, &cfg->speech, cat, on_result, l, err, errlen) < 0) {
		/* A failed start leaves cat to the caller. */
		listener_free(l);
		return NULL;
	}
	return l;
}

/* worker_stop's wake: a wait for the feedback's ack ends at once. */
static void
wake_waiter(void *arg)
{
	struct listener *l = arg;

	pthread_mutex_lock(&l->lock);
	pthread_cond_broadcast(&l->cond);
	pthread_mutex_unlock(&l->lock);
}

int
listener_start(struct listener *l)
{
	l->w.wake = wake_waiter;
	l->w.wake_arg = l;
	return worker_start(&l->w, listener_main, l);
}

void
listener_stop(struct listener *l)
{
	if (l != NULL)
		worker_stop(&l->w);
}

void
listener_free(struct listener *l)
{
	if (l == NULL)
		return;
	listener_stop(l);
	mic_sup_close(l->mic);
	speech_slot_free(&l->rec);
	catalogue_free(l->next_cat);
	grammar_extra_free(l->next_extra);
	free(l->echo);
	free(l->source);
	pthread_mutex_destroy(&l->lock);
	pthread_cond_destroy(&l->cond);
	free(l);
}

void
listener_set_catalogue(struct listener *l, const struct catalogue *cat)
{
	const struct catalogue *old;

	pthread_mutex_lock(&l->lock);
	old = l->next_cat;
	l->next_cat = cat;
	pthread_mutex_unlock(&l->lock);
	catalogue_free(old);                /* replaced before it was taken */
}

void
listener_set_grammar(struct listener *l, const struct grammar_extra *extra)
{
	const struct grammar_extra *old;

	pthread_mutex_lock(&l->lock);
	old = l->next_extra;
	l->next_extra = extra;
	l->extra_pending = 1;
	pthread_mutex_unlock(&l->lock);
	grammar_extra_free(old);            /* replaced before it was taken */
}
