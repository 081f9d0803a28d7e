/*
 * alsa_test_pcm — a capture device for the tests of the ALSA microphone
 * row (devices/mic_alsa.c) on machines without a sound card: an ALSA
 * external I/O plugin (alsa-lib's ioplug SDK), loaded by alsa-lib itself
 * from an asoundrc named by ALSA_CONFIG_PATH, so the row goes through
 * snd_pcm_open, hw/sw params, poll and snd_pcm_readi exactly as on a card.
 *
 *   pcm_type.sotest { lib "BUILD/tests/libasound_module_pcm_sotest.so" }
 *   pcm.mic { type sotest  infile "x.raw"  rate 16000  channels 1  control "ctl" }
 *
 * It delivers infile (raw native-endian S16, `channels` interleaved, looped
 * at its end) paced by CLOCK_MONOTONIC at `rate`, through a timerfd that
 * poll(2) sees every period, and it overruns (-EPIPE) when the reader falls
 * a whole buffer behind, as a card does.  The first word of the control
 * file (re-read as the stream runs) plays what happens to a USB card:
 *   ok (or no file)    a card that is there
 *   gone               unplugged: opens fail (-ENODEV) and a running
 *                      stream is disconnected (reads fail with -ENODEV)
 *   xrun ANY           one overrun each time the file's text changes to it
 *   suspend ANY        suspended once (-ESTRPIPE); snd_pcm_resume resumes
 *   dead-suspend       suspended, and it never resumes: resume does
 *                      nothing and prepare fails (-ENODEV); opens fail
 *   badfd              the stream drops to the SETUP state: reads fail
 *                      with -EBADFD
 *   pollerr            the poll descriptors report an error (-EIO from
 *                      snd_pcm_poll_descriptors_revents)
 * Each open appends a line to CONTROL.opens, so a test can count them.
 */
#include <alsa/asoundlib.h>
#include <alsa/pcm_external.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

struct sotest {
	snd_pcm_ioplug_t io;
	char       *control;
	int16_t    *data;          /* infile, whole */
	size_t      frames, at;    /* its length and the next frame (per channel) */
	unsigned    rate, channels;
	int         tfd;
	double      started;       /* clock at start (the stream's frame 0) */
	int         running;
	char        last[64];      /* the control text last acted on */
};

static double
mono(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* The control file's text (first line), "ok" when there is none. */
static void
control_text(const char *path, char *buf, size_t len)
{
	FILE *f = path != NULL ? fopen(path, "r") : NULL;

	snprintf(buf, len, "ok");
	if (f == NULL)
		return;
	if (fgets(buf, (int)len, f) == NULL)
		snprintf(buf, len, "ok");
	buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

static int
word_is(const char *text, const char *w)
{
	size_t n = strlen(w);

	return strncmp(text, w, n) == 0 && (text[n] == '\0' || text[n] == ' ');
}

/* Acts on a change of the control file while the stream runs. */
static void
control_poll(struct sotest *t)
{
	char now[64];

	control_text(t->control, now, sizeof now);
	if (strcmp(now, t->last) == 0)
		return;
	snprintf(t->last, sizeof t->last, "%s", now);
	if (word_is(now, "gone"))
		t->io.state = SND_PCM_STATE_DISCONNECTED;
	else if (word_is(now, "xrun") && t->io.state == SND_PCM_STATE_RUNNING)
		t->io.state = SND_PCM_STATE_XRUN;
	else if ((word_is(now, "suspend") || word_is(now, "dead-suspend")) &&
	    t->io.state == SND_PCM_STATE_RUNNING)
		t->io.state = SND_PCM_STATE_SUSPENDED;
	else if (word_is(now, "badfd"))
		t->io.state = SND_PCM_STATE_SETUP;
}

static int
absent(const struct sotest *t)
{
	char now[64];

	control_text(t->control, now, sizeof now);
	return word_is(now, "gone") || word_is(now, "dead-suspend");
}

static int
so_start(snd_pcm_ioplug_t *io)
{
	struct sotest *t = io->private_data;
	double period = (double)io->period_size / io->rate;
	struct itimerspec its = { { (time_t)period, (long)((period - (time_t)period) * 1e9) },
	                          { (time_t)period, (long)((period - (time_t)period) * 1e9) } };

	t->started = mono();
	t->running = 1;
	timerfd_settime(t->tfd, 0, &its, NULL);
	return 0;
}

static int
so_stop(snd_pcm_ioplug_t *io)
{
	struct sotest *t = io->private_data;
	struct itimerspec off = { { 0, 0 }, { 0, 0 } };

	t->running = 0;
	timerfd_settime(t->tfd, 0, &off, NULL);
	return 0;
}

/* The hardware position: frames captured since start by the clock, in
 * [0, buffer_size); -1 (an overrun) when the reader is a buffer behind. */
static snd_pcm_sframes_t
so_pointer(snd_pcm_ioplug_t *io)
{
	struct sotest *t = io->private_data;
	uint64_t hw;

	control_poll(t);
	if (io->state == SND_PCM_STATE_XRUN)
		return -1;
	if (!t->running)
		return (snd_pcm_sframes_t)(io->hw_ptr % io->buffer_size);
	hw = (uint64_t)((mono() - t->started) * io->rate);
	if (hw > io->appl_ptr + io->buffer_size)
		return -1;
	return (snd_pcm_sframes_t)(hw % io->buffer_size);
}

static snd_pcm_sframes_t
so_transfer(snd_pcm_ioplug_t *io, const snd_pcm_channel_area_t *areas, snd_pcm_uframes_t offset,
    snd_pcm_uframes_t size)
{
	struct sotest *t = io->private_data;
	int16_t *dst = (int16_t *)((char *)areas[0].addr + (areas[0].first + areas[0].step * offset) / 8);

	for (snd_pcm_uframes_t i = 0; i < size; i++) {
		for (unsigned c = 0; c < t->channels; c++)
			dst[i * t->channels + c] = t->frames ? t->data[t->at * t->channels + c] : 0;
		if (t->frames && ++t->at == t->frames)
			t->at = 0;
	}
	return (snd_pcm_sframes_t)size;
}

static int
so_prepare(snd_pcm_ioplug_t *io)
{
	struct sotest *t = io->private_data;

	so_stop(io);
	control_text(t->control, t->last, sizeof t->last);
	return absent(t) ? -ENODEV : 0;
}

static int
so_resume(snd_pcm_ioplug_t *io)
{
	struct sotest *t = io->private_data;

	if (!absent(t) && io->state == SND_PCM_STATE_SUSPENDED)
		io->state = SND_PCM_STATE_RUNNING;
	return 0;
}

static int
so_poll_revents(snd_pcm_ioplug_t *io, struct pollfd *pfd, unsigned int nfds, unsigned short *revents)
{
	struct sotest *t = io->private_data;
	uint64_t ticks;

	if (pfd[0].revents & POLLIN)
		(void)!read(t->tfd, &ticks, sizeof ticks);
	control_poll(t);
	if (word_is(t->last, "pollerr"))
		return -EIO;
	*revents = io->state == SND_PCM_STATE_RUNNING ? (pfd[0].revents & POLLIN) : POLLERR;
	return 0;
}

static int
so_close(snd_pcm_ioplug_t *io)
{
	struct sotest *t = io->private_data;

	close(t->tfd);
	free(t->data);
	free(t->control);
	free(t);
	return 0;
}

static const snd_pcm_ioplug_callback_t so_callbacks = {
	.start = so_start,
	.stop = so_stop,
	.pointer = so_pointer,
	.transfer = so_transfer,
	.prepare = so_prepare,
	.resume = so_resume,
	.poll_revents = so_poll_revents,
	.close = so_close,
};

static int
load(struct sotest *t, const char *path)
{
	FILE *f = fopen(path, "rb");
	long len;

	if (f == NULL)
		return -errno;
	if (fseek(f, 0, SEEK_END) < 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0 ||
	    (t->data = malloc((size_t)len + 2)) == NULL) {
		fclose(f);
		return -EIO;
	}
	t->frames = (size_t)len / (2 * t->channels);
	if (fread(t->data, 1, (size_t)len, f) != (size_t)len) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	return 0;
}

SND_PCM_PLUGIN_DEFINE_FUNC(sotest)
{
	snd_config_iterator_t i, next;
	const char *infile = NULL, *control = NULL;
	long rate = 16000, channels = 1;
	struct sotest *t;
	int e;
	/* mmap too: ALSA's rate converter (plug) reads its slave that way. */
	static const unsigned access[] = { SND_PCM_ACCESS_RW_INTERLEAVED, SND_PCM_ACCESS_MMAP_INTERLEAVED };
	static const unsigned format[] = { SND_PCM_FORMAT_S16 };

	(void)root;
	snd_config_for_each(i, next, conf) {
		snd_config_t *n = snd_config_iterator_entry(i);
		const char *id;
		if (snd_config_get_id(n, &id) < 0)
			continue;
		if (!strcmp(id, "comment") || !strcmp(id, "type") || !strcmp(id, "hint"))
			continue;
		if (!strcmp(id, "infile") && snd_config_get_string(n, &infile) == 0)
			continue;
		if (!strcmp(id, "control") && snd_config_get_string(n, &control) == 0)
			continue;
		if (!strcmp(id, "rate") && snd_config_get_integer(n, &rate) == 0)
			continue;
		if (!strcmp(id, "channels") && snd_config_get_integer(n, &channels) == 0)
			continue;
		SNDERR("sotest: unknown or bad field %s", id);
		return -EINVAL;
	}
	if (stream != SND_PCM_STREAM_CAPTURE || infile == NULL || rate <= 0 || channels <= 0)
		return -EINVAL;
	if ((t = calloc(1, sizeof *t)) == NULL)
		return -ENOMEM;
	t->rate = (unsigned)rate;
	t->channels = (unsigned)channels;
	t->control = control != NULL ? strdup(control) : NULL;
	t->tfd = -1;
	if (control != NULL) {
		char opens[4200];
		FILE *f;
		snprintf(opens, sizeof opens, "%s.opens", control);
		if ((f = fopen(opens, "a")) != NULL) {
			fprintf(f, "open\n");
			fclose(f);
		}
	}
	if (absent(t)) {
		free(t->control);
		free(t);
		return -ENODEV;
	}
	if ((e = load(t, infile)) < 0 ||
	    (t->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) < 0) {
		e = e < 0 ? e : -errno;
		free(t->data);
		free(t->control);
		free(t);
		return e;
	}
	t->io.version = SND_PCM_IOPLUG_VERSION;
	t->io.name = "smartoffice test capture";
	t->io.callback = &so_callbacks;
	t->io.private_data = t;
	t->io.poll_fd = t->tfd;
	t->io.poll_events = POLLIN;
	t->io.mmap_rw = 0;
	if ((e = snd_pcm_ioplug_create(&t->io, name, stream, mode)) < 0) {
		close(t->tfd);
		free(t->data);
		free(t->control);
		free(t);
		return e;
	}
	if ((e = snd_pcm_ioplug_set_param_list(&t->io, SND_PCM_IOPLUG_HW_ACCESS, 2, access)) < 0 ||
	    (e = snd_pcm_ioplug_set_param_list(&t->io, SND_PCM_IOPLUG_HW_FORMAT, 1, format)) < 0 ||
	    (e = snd_pcm_ioplug_set_param_minmax(&t->io, SND_PCM_IOPLUG_HW_CHANNELS, t->channels,
	        t->channels)) < 0 ||
	    (e = snd_pcm_ioplug_set_param_minmax(&t->io, SND_PCM_IOPLUG_HW_RATE, t->rate, t->rate)) < 0 ||
	    (e = snd_pcm_ioplug_set_param_minmax(&t->io, SND_PCM_IOPLUG_HW_PERIOD_BYTES, 64,
	        1024 * 1024)) < 0 ||
	    (e = snd_pcm_ioplug_set_param_minmax(&t->io, SND_PCM_IOPLUG_HW_PERIODS, 2, 64)) < 0) {
		snd_pcm_ioplug_delete(&t->io);
		return e;
	}
	*pcmp = t->io.pcm;
	return 0;
}

SND_PCM_PLUGIN_SYMBOL(sotest);
