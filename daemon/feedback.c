/*
 * feedback — the thread that answers (feedback.h): a small queue of
 * requests from the service thread, the words from models/tts.c, the
 * sound through devices/speaker.c, the listener told first.
 */
#include "daemon/feedback.h"
#include "base/xalloc.h"
#include "daemon/listener.h"
#include "base/log.h"
#include "base/worker.h"
#include "devices/speaker.h"
#include "models/tts.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define FB_QUEUE 16

struct request {
	char          *text;
	int            cue;
	unsigned long  ticket;
};

struct feedback {
	struct feedback_config cfg;
	char            *voice;      /* own copy: a reload frees the config */
	struct listener *listener;
	pthread_mutex_t  lock;
	pthread_cond_t   cond;
	struct request   q[FB_QUEUE];
	size_t           head, len;
	struct worker    w;          /* the thread and its stop flag */
	struct speaker  *out;        /* NULL: nothing is played */
};

static void *
feedback_main(void *arg)
{
	struct feedback *f = arg;

	for (;;) {
		struct request r;
		int16_t *words = NULL, *cue = NULL, *all;
		size_t nw = 0, nc = 0;

		pthread_mutex_lock(&f->lock);
		while (f->len == 0 && !worker_stopping(&f->w))
			pthread_cond_wait(&f->cond, &f->lock);
		if (f->len == 0) {
			pthread_mutex_unlock(&f->lock);
			break;
		}
		r = f->q[f->head];
		f->head = (f->head + 1) % FB_QUEUE;
		f->len--;
		pthread_mutex_unlock(&f->lock);

		if (r.cue && f->cfg.cue)
			cue = tts_cue(&nc);
		if (r.text && f->cfg.speak)
			words = tts_synth(f->cfg.voice, r.text, &nw);
		all = xmalloc((nc + nw + 1) * sizeof *all);
		if (nc)
			memcpy(all, cue, nc * sizeof *all);
		if (nw)
			memcpy(all + nc, words, nw * sizeof *all);
		free(cue);
		free(words);
		/* The listener learns of the audio before it plays. */
		if (f->listener != NULL) {
			int16_t *copy = xmalloc((nc + nw + 1) * sizeof *copy);
			memcpy(copy, all, (nc + nw) * sizeof *copy);
			listener_ack(f->listener, r.ticket, copy, nc + nw, f->out != NULL && f->out->live);
		}
		speaker_play(f->out, all, nc + nw);
		free(all);
		free(r.text);
	}
	return NULL;
}

/* worker_stop's wake. */
static void
wake_thread(void *arg)
{
	struct feedback *f = arg;

	pthread_mutex_lock(&f->lock);
	pthread_cond_signal(&f->cond);
	pthread_mutex_unlock(&f->lock);
}

struct feedback *
feedback_new(const struct feedback_config *cfg, struct listener *l)
{
	struct feedback *f = xcalloc(1, sizeof *f);

	f->cfg = *cfg;
	f->cfg.voice = f->voice = xstrdup(cfg->voice ? cfg->voice : "en-us");
	f->listener = l;
	/* Opened once, at start: whether there is a loudspeaker must be
	 * known before the first answer. */
	{
		char err[256];
		const char *spec = cfg->speaker != NULL ? cfg->speaker : cfg->play ? "portaudio" : "none";
		if ((f->out = speaker_open(spec, err, sizeof err)) == NULL && err[0])
			log_info("%s: spoken feedback is not played", err);
	}
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->cond, NULL);
	f->w.wake = wake_thread;
	f->w.wake_arg = f;
	if (worker_start(&f->w, feedback_main, f) < 0) {
		free(f->voice);
		free(f);
		return NULL;
	}
	return f;
}

void
feedback_request(struct feedback *f, const char *text, int cue, unsigned long ticket)
{
	pthread_mutex_lock(&f->lock);
	if (f->len == FB_QUEUE) {
		/* Never block the service thread: drop the speech, still ack. */
		pthread_mutex_unlock(&f->lock);
		if (f->listener != NULL)
			listener_ack(f->listener, ticket, NULL, 0, 0);
		return;
	}
	f->q[(f->head + f->len) % FB_QUEUE] = (struct request){ text ? xstrdup(text) : NULL, cue, ticket };
	f->len++;
	pthread_cond_signal(&f->cond);
	pthread_mutex_unlock(&f->lock);
}

void
feedback_free(struct feedback *f)
{
	if (f == NULL)
		return;
	worker_stop(&f->w);	/* what is queued is said first */
	speaker_close(f->out);
	pthread_mutex_destroy(&f->lock);
	pthread_cond_destroy(&f->cond);
	free(f->voice);
	free(f);
}
