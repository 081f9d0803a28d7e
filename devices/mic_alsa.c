/*
 * The direct ALSA row of the microphone table: capture from an ALSA PCM
 * ("alsa:hw:1,0", "alsa:plughw:CARD=smartofficemic", "alsa:default") at
 * 16 kHz mono S16, converted by ALSA when the device cannot do that itself.
 *
 * Why a second live row: PortAudio 19.6 keeps a lost card's files open
 * (mic.h, "Limits"), so a USB microphone plugged back is never found
 * again.  Here the row owns its snd_pcm_t: a loss closes it, and the
 * supervisor's reopen is a fresh snd_pcm_open of the same name, which
 * finds the card again when it is back (by name: hw:CARD=ID, or the udev
 * id smartofficemic, whatever number the kernel gives it).
 *
 * Reads are non-blocking with poll(2), so a read never waits on a device
 * that has gone, and returns within ALSA_SILENT_MAX: a stream that gives
 * nothing for that long is a lost device, as in the PortAudio row.  What
 * each error means:
 *   -EAGAIN      nothing yet: poll (at most ALSA_POLL_MS at a time)
 *   -EPIPE       an overrun: samples were dropped, the device is there;
 *                snd_pcm_recover, restart, go on (counted, not a loss)
 *   -ESTRPIPE    suspended: resumed (or prepared again) and go on; when
 *                neither works, a loss
 *   -ENODEV, -EBADFD, -EIO, a poll error, and anything else: a loss
 *                (-1, errno ENODEV, err naming the device and the cause)
 */
#include "devices/mic.h"
#include "base/clock.h"
#include "base/log.h"

#include <alsa/asoundlib.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALSA_SILENT_MAX 1.0      /* seconds without a sample: the device is gone */
#define ALSA_POLL_MS    100      /* longest single poll */
#define ALSA_PERIOD_US  20000    /* 320 samples: what one read usually gets */
#define ALSA_BUFFER_US  500000   /* what the device may hold while we are busy */
#define ALSA_MAX_PFD    8

struct alsa_mic {
	snd_pcm_t    *pcm;
	char          name[264];         /* the PCM as opened (maybe plughw:...) */
	struct pollfd pfd[ALSA_MAX_PFD];
	int           npfd;
	unsigned      overruns;
};

static void
alsa_quiet(const char *file, int line, const char *func, int err, const char *fmt, ...)
{
	(void)file; (void)line; (void)func; (void)err; (void)fmt;
}

static void
install_quiet(void)
{
	/* alsa-lib prints its own errors on stderr; ours carry them instead. */
	snd_lib_error_set_handler(alsa_quiet);
}

/* Asks for 16 kHz mono S16 interleaved (the rate exact: ALSA's plug
 * converts when the PCM is a plug).  0, or a negative ALSA error with err. */
static int
set_params(snd_pcm_t *pcm, const char *name, char *err, size_t errlen)
{
	snd_pcm_hw_params_t *hw;
	snd_pcm_sw_params_t *sw;
	snd_pcm_uframes_t period = 0, buffer = 0;
	unsigned rate = MIC_RATE, us;
	int dir = 0, e;
	const char *step;

	snd_pcm_hw_params_alloca(&hw);
	snd_pcm_sw_params_alloca(&sw);
	if ((e = snd_pcm_hw_params_any(pcm, hw)) < 0)
		step = "no configuration";
	else if ((e = snd_pcm_hw_params_set_access(pcm, hw, SND_PCM_ACCESS_RW_INTERLEAVED)) < 0)
		step = "interleaved access";
	else if ((e = snd_pcm_hw_params_set_format(pcm, hw, SND_PCM_FORMAT_S16)) < 0)
		step = "16-bit samples";
	else if ((e = snd_pcm_hw_params_set_channels(pcm, hw, 1)) < 0)
		step = "one channel";
	else if ((e = snd_pcm_hw_params_set_rate_resample(pcm, hw, 1)) < 0 ||
	    (e = snd_pcm_hw_params_set_rate(pcm, hw, rate, 0)) < 0)
		step = "16000 Hz";
	else {
		us = ALSA_PERIOD_US;
		snd_pcm_hw_params_set_period_time_near(pcm, hw, &us, &dir);
		us = ALSA_BUFFER_US;
		snd_pcm_hw_params_set_buffer_time_near(pcm, hw, &us, &dir);
		if ((e = snd_pcm_hw_params(pcm, hw)) < 0)
			step = "hardware parameters";
		else {
			snd_pcm_hw_params_get_period_size(hw, &period, &dir);
			snd_pcm_hw_params_get_buffer_size(hw, &buffer);
			if ((e = snd_pcm_sw_params_current(pcm, sw)) < 0 ||
			    (e = snd_pcm_sw_params_set_avail_min(pcm, sw, period > 0 ? period : 1)) < 0 ||
			    (e = snd_pcm_sw_params_set_start_threshold(pcm, sw, 1)) < 0 ||
			    (e = snd_pcm_sw_params(pcm, sw)) < 0)
				step = "software parameters";
			else
				return 0;
		}
	}
	log_seterr(err, errlen, "ALSA \"%s\": cannot capture 16 kHz mono S16 (%s: %s)", name, step,
	    snd_strerror(e));
	return e;
}

/* snd_pcm_open and the parameters; NULL with err (and *code, the error). */
static snd_pcm_t *
open_pcm(const char *name, int *code, char *err, size_t errlen)
{
	snd_pcm_t *pcm;
	int e;

	if ((e = snd_pcm_open(&pcm, name, SND_PCM_STREAM_CAPTURE, SND_PCM_NONBLOCK)) < 0) {
		log_seterr(err, errlen, "ALSA \"%s\": cannot open for capture: %s", name, snd_strerror(e));
		*code = e;
		return NULL;
	}
	if ((e = set_params(pcm, name, err, errlen)) < 0) {
		snd_pcm_close(pcm);
		*code = e;
		return NULL;
	}
	return pcm;
}

static int
alsa_open(struct mic *m, const char *name, char *err, size_t errlen)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct alsa_mic *am;
	char plug[sizeof am->name];
	int e = 0;

	pthread_once(&once, install_quiet);
	if (name == NULL || *name == '\0')
		name = "default";
	if (strlen(name) >= 256) {
		log_seterr(err, errlen, "ALSA \"%.60s...\": name too long", name);
		errno = EINVAL;
		return -1;
	}
	if ((am = calloc(1, sizeof *am)) == NULL) {
		log_seterr(err, errlen, "out of memory");
		return -1;
	}
	snprintf(am->name, sizeof am->name, "%s", name);
	am->pcm = open_pcm(name, &e, err, errlen);
	/* A card that cannot give 16 kHz mono itself (most USB microphones
	 * are 44.1 or 48 kHz): the same card through ALSA's plug converter. */
	if (am->pcm == NULL && e != -ENOENT && e != -ENODEV && strncmp(name, "hw:", 3) == 0) {
		char err2[512];
		snprintf(plug, sizeof plug, "plug%s", name);
		if ((am->pcm = open_pcm(plug, &e, err2, sizeof err2)) != NULL)
			snprintf(am->name, sizeof am->name, "%s", plug);
	}
	if (am->pcm == NULL) {
		free(am);
		errno = e == -ENOENT ? ENOENT : ENODEV;
		return -1;
	}
	am->npfd = snd_pcm_poll_descriptors_count(am->pcm);
	if (am->npfd <= 0 || am->npfd > ALSA_MAX_PFD ||
	    (am->npfd = snd_pcm_poll_descriptors(am->pcm, am->pfd, (unsigned)am->npfd)) <= 0 ||
	    (e = snd_pcm_start(am->pcm)) < 0) {
		log_seterr(err, errlen, "ALSA \"%s\": cannot start the capture: %s", am->name,
		    am->npfd <= 0 || am->npfd > ALSA_MAX_PFD ? "no poll descriptors" : snd_strerror(e));
		snd_pcm_close(am->pcm);
		free(am);
		errno = ENODEV;
		return -1;
	}
	m->priv = am;
	return 0;
}

/* A loss: -1, errno ENODEV, err saying what happened. */
static ssize_t
lost(struct alsa_mic *am, const char *what, int e, char *err, size_t errlen)
{
	log_seterr(err, errlen, "ALSA \"%s\": %s: %s", am->name, what, e ? snd_strerror(e) :
	    "nothing captured for 1 s (device unplugged?)");
	errno = ENODEV;
	return -1;
}

/* A suspended stream (the machine slept): resume it, or start it again. */
static int
resume(struct alsa_mic *am)
{
	int e, tries = 0;

	while ((e = snd_pcm_resume(am->pcm)) == -EAGAIN && tries++ < 10)
		clock_sleep(0.01);
	/* A device that cannot resume (-ENOSYS), or says it did and is still
	 * suspended, starts again; one that is gone fails to prepare. */
	if (e < 0 || snd_pcm_state(am->pcm) == SND_PCM_STATE_SUSPENDED) {
		if ((e = snd_pcm_prepare(am->pcm)) == 0)
			e = snd_pcm_start(am->pcm);
	}
	return e;
}

static ssize_t
alsa_read(struct mic *m, int16_t *buf, size_t n, char *err, size_t errlen)
{
	struct alsa_mic *am = m->priv;
	double deadline = clock_mono() + ALSA_SILENT_MAX;

	for (;;) {
		snd_pcm_sframes_t r = snd_pcm_readi(am->pcm, buf, n);
		int e, left;
		unsigned short revents;

		if (r > 0)
			return (ssize_t)r;
		/* Recoveries that keep failing end as the silence does. */
		left = (int)((deadline - clock_mono()) * 1000);
		if (left <= 0)
			return lost(am, "read", r == -EAGAIN || r == 0 ? 0 : (int)r, err, errlen);
		if (r == -EPIPE) {
			/* Samples were dropped (the reader fell behind); the device
			 * is there.  Not a loss. */
			am->overruns++;
			if ((e = snd_pcm_recover(am->pcm, (int)r, 1)) < 0 ||
			    ((e = snd_pcm_start(am->pcm)) < 0 && e != -EBADFD))
				return lost(am, "recovering from an overrun", e, err, errlen);
			continue;
		}
		if (r == -ESTRPIPE) {
			if ((e = resume(am)) < 0)
				return lost(am, "resuming after a suspend", e, err, errlen);
			continue;
		}
		if (r != -EAGAIN && r != 0)
			return lost(am, "read", (int)r, err, errlen);
		if (snd_pcm_state(am->pcm) == SND_PCM_STATE_DISCONNECTED)
			return lost(am, "read", -ENODEV, err, errlen);
		e = poll(am->pfd, (nfds_t)am->npfd, left < ALSA_POLL_MS ? left : ALSA_POLL_MS);
		if (e < 0 && errno != EINTR)
			return lost(am, "poll", -errno, err, errlen);
		if (e > 0 && (e = snd_pcm_poll_descriptors_revents(am->pcm, am->pfd,
		    (unsigned)am->npfd, &revents)) < 0)
			return lost(am, "poll", e, err, errlen);
		/* POLLERR: the next read says which (an overrun, a loss). */
	}
}

static void
alsa_close(struct mic *m)
{
	struct alsa_mic *am = m->priv;

	if (am == NULL)
		return;
	/* Dropping a stream whose card is gone fails, but the close goes on
	 * and releases the device files: the kernel can free the old card
	 * and a returning one is found by the next open. */
	snd_pcm_close(am->pcm);
	free(am);
	m->priv = NULL;
}

unsigned
mic_alsa_overruns(const struct mic *m)
{
	const struct alsa_mic *am = m != NULL && m->ops == &mic_alsa_ops ? m->priv : NULL;

	return am != NULL ? am->overruns : 0;
}

const char *
mic_alsa_name(const struct mic *m)
{
	const struct alsa_mic *am = m != NULL && m->ops == &mic_alsa_ops ? m->priv : NULL;

	return am != NULL ? am->name : NULL;
}

const struct mic_ops mic_alsa_ops = { "alsa", alsa_open, alsa_read, alsa_close };
