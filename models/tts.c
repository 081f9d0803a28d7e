#include "models/tts.h"

#include <espeak-ng/espeak_ng.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "devices/wav.h"

/* espeak-ng's synthesis is process-global: one caller at a time. */
static pthread_mutex_t espeak_lock = PTHREAD_MUTEX_INITIALIZER;
static int espeak_ready = -1;
static int16_t *syn_buf;
static size_t   syn_len, syn_cap;
static int      syn_failed;

static int
synth_cb(short *wav, int n, espeak_EVENT *ev)
{
	(void)ev;
	if (wav == NULL || n <= 0 || syn_failed)
		return 0;
	if (syn_len + (size_t)n > syn_cap) {
		size_t cap = (syn_len + (size_t)n) * 2;
		int16_t *b = realloc(syn_buf, cap * sizeof *b);
		if (b == NULL) {
			syn_failed = 1;
			return 1;	/* stop synthesis */
		}
		syn_buf = b;
		syn_cap = cap;
	}
	memcpy(syn_buf + syn_len, wav, (size_t)n * sizeof *wav);
	syn_len += (size_t)n;
	return 0;
}

int16_t *
tts_synth(const char *voice, const char *text, size_t *n)
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
		syn_failed = 0;
		if (espeak_ng_Synthesize(text, strlen(text) + 1, 0, POS_CHARACTER, 0,
		    espeakCHARS_UTF8, NULL, NULL) == ENS_OK && espeak_ng_Synchronize() == ENS_OK &&
		    !syn_failed) {
			rate = espeak_ng_GetSampleRate();
			out = wav_resample(syn_buf, syn_len, (unsigned)rate, n);
		}
	}
	pthread_mutex_unlock(&espeak_lock);
	return out;
}

int16_t *
tts_cue(size_t *n)
{
	/* Two short rising tones: heard as "listening", hard to take for speech. */
	size_t len = 16000 * 18 / 100, i;
	int16_t *pcm = malloc(len * sizeof *pcm);

	*n = 0;
	if (pcm == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		double t = (double)i / 16000.0, f = i < len / 2 ? 880.0 : 1320.0;
		double env = sin(M_PI * (double)(i % (len / 2)) / (double)(len / 2));
		pcm[i] = (int16_t)(6000.0 * env * sin(2.0 * M_PI * f * t));
	}
	*n = len;
	return pcm;
}

void
tts_shutdown(void)
{
	pthread_mutex_lock(&espeak_lock);
	free(syn_buf);
	syn_buf = NULL;
	syn_cap = syn_len = 0;
	if (espeak_ready == 1)
		espeak_ng_Terminate();
	espeak_ready = 0;
	pthread_mutex_unlock(&espeak_lock);
}
