/*
 * speaker — the output rows (speaker.h): PortAudio, and a WAV file.
 */
#include "devices/speaker.h"

#include <portaudio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/mic.h"
#include "devices/wav.h"

/* ---- the live row: PortAudio's default output ---- */

static int
pa_open(struct speaker *s, const char *arg, char *err, size_t errlen)
{
	PaStreamParameters p = { 0 };
	PaStream *out = NULL;
	PaError e;

	(void)arg;
	if ((e = mic_pa_initialize()) != paNoError) {
		snprintf(err, errlen, "no audio output: %s", Pa_GetErrorText(e));
		return -1;
	}
	if ((p.device = Pa_GetDefaultOutputDevice()) == paNoDevice) {
		Pa_Terminate();
		snprintf(err, errlen, "no audio output device");
		return -1;
	}
	p.channelCount = 1;
	p.sampleFormat = paInt16;
	p.suggestedLatency = Pa_GetDeviceInfo(p.device)->defaultLowOutputLatency;
	if ((e = Pa_OpenStream(&out, NULL, &p, 16000, 256, paClipOff, NULL, NULL)) != paNoError ||
	    (e = Pa_StartStream(out)) != paNoError) {
		if (out != NULL)
			Pa_CloseStream(out);
		Pa_Terminate();
		snprintf(err, errlen, "audio output: %s", Pa_GetErrorText(e));
		return -1;
	}
	s->priv = out;
	s->live = 1;
	return 0;
}

static int
pa_play(struct speaker *s, const int16_t *pcm, size_t n)
{
	return Pa_WriteStream(s->priv, pcm, (unsigned long)n) == paNoError ? 0 : -1;
}

static void
pa_close(struct speaker *s)
{
	Pa_StopStream(s->priv);
	Pa_CloseStream(s->priv);
	Pa_Terminate();
}

const struct speaker_ops speaker_portaudio_ops = { "portaudio", pa_open, pa_play, pa_close };

/* ---- the file row: one WAV of everything played ---- */

struct file_out {
	char    *path;
	int16_t *pcm;
	size_t   n, cap;
};

static int
file_open(struct speaker *s, const char *arg, char *err, size_t errlen)
{
	struct file_out *fo;
	FILE *f;

	if (arg == NULL || *arg == '\0') {
		snprintf(err, errlen, "speaker \"file:\" needs a path");
		return -1;
	}
	/* Fail now, not at close, when the file cannot be written. */
	if ((f = fopen(arg, "wb")) == NULL) {
		snprintf(err, errlen, "%s: cannot write", arg);
		return -1;
	}
	fclose(f);
	if ((fo = calloc(1, sizeof *fo)) == NULL || (fo->path = strdup(arg)) == NULL) {
		free(fo);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->priv = fo;
	return 0;
}

static int
file_play(struct speaker *s, const int16_t *pcm, size_t n)
{
	struct file_out *fo = s->priv;

	if (fo->n + n > fo->cap) {
		size_t cap = (fo->n + n) * 2;
		int16_t *p = realloc(fo->pcm, cap * sizeof *p);
		if (p == NULL)
			return -1;
		fo->pcm = p;
		fo->cap = cap;
	}
	memcpy(fo->pcm + fo->n, pcm, n * sizeof *pcm);
	fo->n += n;
	return 0;
}

static void
file_close(struct speaker *s)
{
	struct file_out *fo = s->priv;

	wav_write(fo->path, fo->pcm, fo->n, 16000);
	free(fo->pcm);
	free(fo->path);
	free(fo);
}

const struct speaker_ops speaker_file_ops = { "file", file_open, file_play, file_close };

/* ---- the table ---- */

struct speaker *
speaker_open(const char *spec, char *err, size_t errlen)
{
	const struct speaker_ops *ops;
	const char *arg = NULL;
	struct speaker *s;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (spec == NULL || strcmp(spec, "none") == 0)
		return NULL;
	if (strcmp(spec, "portaudio") == 0)
		ops = &speaker_portaudio_ops;
	else if (strncmp(spec, "file:", 5) == 0) {
		ops = &speaker_file_ops;
		arg = spec + 5;
	} else {
		snprintf(err, errlen, "speaker \"%s\": expected portaudio, file:PATH or none", spec);
		return NULL;
	}
	if ((s = calloc(1, sizeof *s)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->ops = ops;
	if (ops->open(s, arg, err, errlen) < 0) {
		free(s);
		return NULL;
	}
	return s;
}

int
speaker_play(struct speaker *s, const int16_t *pcm, size_t n)
{
	return s != NULL && n > 0 ? s->ops->play(s, pcm, n) : 0;
}

void
speaker_close(struct speaker *s)
{
	if (s == NULL)
		return;
	s->ops->close(s);
	free(s);
}
