/*
 * The live row of the microphone table: PortAudio capture at 16 kHz mono.
 *
 * A read never blocks on a device that has gone: it waits (polling
 * Pa_GetStreamReadAvailable) for samples to be there, and a stream that
 * reports an error or delivers nothing for PA_SILENT_MAX seconds is a lost
 * device (-1, ENODEV), so that the supervisor (mic_sup_*) reopens it.  A
 * blocking Pa_ReadStream can hang in ALSA's error recovery when a USB
 * microphone is unplugged (PortAudio issue #1037); a 16 kHz capture stream
 * that is alive delivers 160 samples every 10 ms.
 */
#include "devices/mic.h"
#include "base/clock.h"

#include <alsa/asoundlib.h>
#include <errno.h>
#include <portaudio.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#define PA_SILENT_MAX 1.0        /* seconds without a sample: the device is gone */
#define PA_POLL_S     0.005

struct pa_mic {
	PaStream *stream;
};

static void
pa_sleep(double s)
{
	clock_sleep(s);
}

static void
alsa_quiet(const char *file, int line, const char *func, int err, const char *fmt, ...)
{
	(void)file; (void)line; (void)func; (void)err; (void)fmt;
}

static void
install_alsa_quiet(void)
{
	snd_lib_error_set_handler(alsa_quiet);
}

/*
 * Pa_Initialize without the host APIs' probing chatter on stderr (ALSA and
 * JACK print dozens of lines on a machine with no sound card); failures are
 * reported through PortAudio's error codes instead.  stderr is pointed at
 * /dev/null for the call itself (JACK has no other switch), so call it
 * before other threads log: the daemon does, at start-up.
 */
int
mic_pa_initialize(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	int saved, null;
	PaError e;

	pthread_once(&once, install_alsa_quiet);
	fflush(stderr);
	saved = dup(2);
	null = open("/dev/null", O_WRONLY);
	if (saved >= 0 && null >= 0)
		dup2(null, 2);
	e = Pa_Initialize();
	if (saved >= 0) {
		dup2(saved, 2);
		close(saved);
	}
	if (null >= 0)
		close(null);
	return e;
}

static int
pa_open(struct mic *m, const char *name, char *err, size_t errlen)
{
	struct pa_mic *pm = calloc(1, sizeof *pm);
	PaStreamParameters in = { 0 };
	PaError e;
	int i, n;

	if ((e = mic_pa_initialize()) != paNoError) {
		snprintf(err, errlen, "PortAudio: %s", Pa_GetErrorText(e));
		free(pm);
		return -1;
	}
	in.device = Pa_GetDefaultInputDevice();
	if (name != NULL && *name) {
		in.device = paNoDevice;
		n = Pa_GetDeviceCount();
		for (i = 0; i < n; i++) {
			const PaDeviceInfo *d = Pa_GetDeviceInfo(i);
			if (d && d->maxInputChannels > 0 && strstr(d->name, name)) {
				in.device = i;
				break;
			}
		}
	}
	if (in.device == paNoDevice) {
		snprintf(err, errlen, "PortAudio: no capture device%s%s", name ? " matching " : "", name ? name : "");
		Pa_Terminate();
		free(pm);
		return -1;
	}
	in.channelCount = 1;
	in.sampleFormat = paInt16;
	in.suggestedLatency = Pa_GetDeviceInfo(in.device)->defaultLowInputLatency;
	e = Pa_OpenStream(&pm->stream, &in, NULL, MIC_RATE, 160, paClipOff, NULL, NULL);
	if (e == paNoError)
		e = Pa_StartStream(pm->stream);
	if (e != paNoError) {
		snprintf(err, errlen, "PortAudio: cannot capture 16 kHz mono from \"%s\": %s",
		    Pa_GetDeviceInfo(in.device)->name, Pa_GetErrorText(e));
		if (pm->stream)
			Pa_CloseStream(pm->stream);
		Pa_Terminate();
		free(pm);
		return -1;
	}
	m->priv = pm;
	return 0;
}

static ssize_t
pa_read(struct mic *m, int16_t *buf, size_t n, char *err, size_t errlen)
{
	struct pa_mic *pm = m->priv;
	double waited = 0;
	PaError e;

	for (;;) {
		signed long avail = Pa_GetStreamReadAvailable(pm->stream);
		/* An overrun: samples were lost, PortAudio restarts the capture
		 * and the stream goes on (the device going away looks the same at
		 * first: then nothing comes, and the wait below ends it). */
		if (avail == paInputOverflowed)
			avail = 0;
		if (avail < 0) {
			snprintf(err, errlen, "PortAudio: %s", Pa_GetErrorText((PaError)avail));
			errno = ENODEV;
			return -1;
		}
		/* Whole reads when they come soon; what is there after 20 ms. */
		if ((size_t)avail >= n || (avail > 0 && waited >= 0.02)) {
			if ((size_t)avail < n)
				n = (size_t)avail;
			break;
		}
		if (waited >= PA_SILENT_MAX || Pa_IsStreamActive(pm->stream) != 1) {
			snprintf(err, errlen, "PortAudio: the capture stream %s (device unplugged?)",
			    waited >= PA_SILENT_MAX ? "delivered nothing for 1 s" : "stopped");
			errno = ENODEV;
			return -1;
		}
		pa_sleep(PA_POLL_S);
		waited += PA_POLL_S;
	}
	e = Pa_ReadStream(pm->stream, buf, (unsigned long)n);
	/* An overflow lost samples but the stream goes on; anything else is
	 * the device going away. */
	if (e != paNoError && e != paInputOverflowed) {
		snprintf(err, errlen, "PortAudio: %s", Pa_GetErrorText(e));
		errno = ENODEV;
		return -1;
	}
	return (ssize_t)n;
}

static void
pa_close(struct mic *m)
{
	struct pa_mic *pm = m->priv;

	if (pm == NULL)
		return;
	/* Abort, not stop: a capture has nothing to drain, and stopping a
	 * stream whose device is gone can wait on it. */
	Pa_AbortStream(pm->stream);
	/* When the abort fails (ALSA lost the device), Pa_CloseStream gives
	 * up too and PortAudio keeps the device's files open: see "Limits"
	 * in mic.h. */
	Pa_CloseStream(pm->stream);
	Pa_Terminate();
	free(pm);
}

const struct mic_ops mic_portaudio_ops = { "portaudio", pa_open, pa_read, pa_close };
