#include "daemon/feedback.h"
#include "daemon/listener.h"
#include "base/log.h"
#include "devices/mic.h"
#include "devices/wav.h"

#include <espeak-ng/espeak_ng.h>
#include <math.h>
#include <portaudio.h>
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
	pthread_t        thread;
	pthread_mutex_t  lock;
	pthread_cond_t   cond;
	struct request   q[FB_QUEUE];
	size_t           head, len;
	int              stop;
	PaStream        *out;
	int              out_tried;
};

/* espeak-ng's synthesis is process-global: one caller at a time. */
static pthread_mutex_t espeak_lock = PTHREAD_MUTEX_INITIALIZER;
static int espeak_ready = -1;
static int16_t *syn_buf;
static size_t   syn_len, syn_cap;

static int
synth_cb(short *wav, int n, espeak_EVENT *ev)
{
	(void)ev;
	if (wav == NULL || n <= 0)
		return 0;
	if (syn_len + (size_t)n > syn_cap) {
		syn_cap = (syn_len + (size_t)n) * 2;
		syn_buf = realloc(syn_buf, syn_cap * sizeof *syn_buf);
	}
	memcpy(syn_buf + syn_len, wav, (size_t)n * sizeof *wav);
	syn_len += (size_t)n;
	return 0;
}

int16_t *
feedback_synth(const char *voice, const char *text, size_t *n)
{
	int16_t *out = NULL;
	int rate;

	*n = 0;
	pthread_mutex_lock(&espeak_lock);
	if (espeak_ready < 0) {
		espeak_ng_InitializePath(NULL);
		espeak_ready = espeak_ng_Initialize(NULL) == ENS_OK &&
		    espeak_ng_InitializeOutput(ENOUTPUT_MODE_SYNCHRONOUS, 0, NULL) == ENS_OK;
		if (espeak_ready)
			espeak_SetSynthCallback(synth_cb);
		else
			log_warnx("espeak-ng could not start: no spoken feedback");
	}
	if (espeak_ready && espeak_ng_SetVoiceByName(voice) != ENS_OK)
		log_warnx("espeak-ng has no voice \"%s\"", voice);
	if (espeak_ready) {
		syn_len = 0;
		if (espeak_ng_Synthesize(text, strlen(text) + 1, 0, POS_CHARACTER, 0,
		    espeakCHARS_UTF8, NULL, NULL) == ENS_OK && espeak_ng_Synchronize() == ENS_OK) {
			rate = espeak_ng_GetSampleRate();
			out = wav_resample(syn_buf, syn_len, (unsigned)rate, n);
		}
	}
	pthread_mutex_unlock(&espeak_lock);
	return out;
}

int16_t *
feedback_cue(size_t *n)
{
	/* Two short rising tones: heard as "listening", hard to take for speech. */
	size_t len = 16000 * 18 / 100, i;
	int16_t *pcm = malloc(len * sizeof *pcm);

	for (i = 0; i < len; i++) {
		double t = (double)i / 16000.0, f = i < len / 2 ? 880.0 : 1320.0;
		double env = sin(M_PI * (double)(i % (len / 2)) / (double)(len / 2));
		pcm[i] = (int16_t)(6000.0 * env * sin(2.0 * M_PI * f * t));
	}
	*n = len;
	return pcm;
}

/* Opens the output device once, at start: whether there is a loudspeaker
 * must be known before the first answer. */
static void
open_output(struct feedback *f)
{
	PaStreamParameters p = { 0 };

	if (f->cfg.play && !f->out_tried) {
		f->out_tried = 1;
		if (mic_pa_initialize() == paNoError && (p.device = Pa_GetDefaultOutputDevice()) != paNoDevice) {
			p.channelCount = 1;
			p.sampleFormat = paInt16;
			p.suggestedLatency = Pa_GetDeviceInfo(p.device)->defaultLowOutputLatency;
			if (Pa_OpenStream(&f->out, NULL, &p, 16000, 256, paClipOff, NULL, NULL) != paNoError ||
			    Pa_StartStream(f->out) != paNoError)
				f->out = NULL;
		}
		if (f->out == NULL)
			log_info("no audio output device: spoken feedback is not played");
	}
}

static void
play(struct feedback *f, const int16_t *pcm, size_t n)
{
	if (f->out != NULL && n > 0)
		Pa_WriteStream(f->out, pcm, (unsigned long)n);
}

static void *
feedback_main(void *arg)
{
	struct feedback *f = arg;

	for (;;) {
		struct request r;
		int16_t *words = NULL, *cue = NULL, *all;
		size_t nw = 0, nc = 0;

		pthread_mutex_lock(&f->lock);
		while (f->len == 0 && !f->stop)
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
			cue = feedback_cue(&nc);
		if (r.text && f->cfg.speak)
			words = feedback_synth(f->cfg.voice, r.text, &nw);
		all = malloc((nc + nw + 1) * sizeof *all);
		if (nc)
			memcpy(all, cue, nc * sizeof *all);
		if (nw)
			memcpy(all + nc, words, nw * sizeof *all);
		free(cue);
		free(words);
		/* The listener learns of the audio before it plays. */
		if (f->listener != NULL) {
			int16_t *copy = malloc((nc + nw + 1) * sizeof *copy);
			memcpy(copy, all, (nc + nw) * sizeof *copy);
			listener_ack(f->listener, r.ticket, copy, nc + nw, f->out != NULL);
		}
		play(f, all, nc + nw);
		free(all);
		free(r.text);
	}
	return NULL;
}

struct feedback *
feedback_new(const struct feedback_config *cfg, struct listener *l)
{
	struct feedback *f = calloc(1, sizeof *f);

	f->cfg = *cfg;
	f->cfg.voice = f->voice = strdup(cfg->voice ? cfg->voice : "en-us");
	f->listener = l;
	open_output(f);
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->cond, NULL);
	if (pthread_create(&f->thread, NULL, feedback_main, f) != 0) {
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
	f->q[(f->head + f->len) % FB_QUEUE] = (struct request){ text ? strdup(text) : NULL, cue, ticket };
	f->len++;
	pthread_cond_signal(&f->cond);
	pthread_mutex_unlock(&f->lock);
}

void
feedback_free(struct feedback *f)
{
	if (f == NULL)
		return;
	pthread_mutex_lock(&f->lock);
	f->stop = 1;
	pthread_cond_signal(&f->cond);
	pthread_mutex_unlock(&f->lock);
	pthread_join(f->thread, NULL);
	if (f->out != NULL) {
		Pa_StopStream(f->out);
		Pa_CloseStream(f->out);
	}
	if (f->out_tried)
		Pa_Terminate();
	pthread_mutex_destroy(&f->lock);
	pthread_cond_destroy(&f->cond);
	free(f->voice);
	free(f);
	pthread_mutex_lock(&espeak_lock);
	free(syn_buf);
	syn_buf = NULL;
	syn_cap = syn_len = 0;
	if (espeak_ready == 1)
		espeak_ng_Terminate();
	espeak_ready = -1;
	pthread_mutex_unlock(&espeak_lock);
}
