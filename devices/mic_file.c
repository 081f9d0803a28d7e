/*
 * The file row of the microphone table: replays a WAV recording, paced to
 * the wall clock (realtime) or as fast as the reader takes it.
 *
 * 16 kHz mono 16-bit files are streamed from disk; anything else is loaded
 * whole and converted (see wav.h).
 */
#include "devices/mic.h"
#include "devices/wav.h"
#include "base/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct file_mic {
	FILE     *f;          /* streaming, or NULL when loaded whole */
	int16_t  *pcm;
	size_t    n, at;
	uint64_t  left;       /* streaming: samples still in the data chunk */
	struct timespec start;
	char      path[512];
};

static int
file_open(struct mic *m, const char *path, char *err, size_t errlen)
{
	struct file_mic *fm = calloc(1, sizeof *fm);
	struct wav_info info;
	char warn[600];

	snprintf(fm->path, sizeof fm->path, "%s", path);
	fm->f = fopen(path, "rb");
	if (fm->f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(fm);
		return -1;
	}
	if (wav_read_header(fm->f, path, &info, err, errlen) < 0) {
		fclose(fm->f);
		free(fm);
		return -1;
	}
	if (info.rate == MIC_RATE && info.channels == 1 && info.bits == 16 && !info.is_float) {
		fm->left = info.frames;
		m->duration = (double)info.frames / MIC_RATE;
	} else {
		fclose(fm->f);
		fm->f = NULL;
		if (wav_load(path, &fm->pcm, &fm->n, &info, err, errlen, warn, sizeof warn) < 0) {
			free(fm);
			return -1;
		}
		if (warn[0])
			log_warnx("%s", warn);
		log_info("%s: %u Hz, %u channel(s), %u-bit%s: converted to 16 kHz mono 16-bit",
		    path, info.rate, info.channels, info.bits, info.is_float ? " float" : "");
		m->duration = (double)fm->n / MIC_RATE;
	}
	m->priv = fm;
	return 0;
}

/* Sleeps until the wall clock reaches the stream position `samples`. */
static void
pace(struct file_mic *fm, uint64_t samples)
{
	struct timespec t = fm->start;
	uint64_t ns = samples * 1000000000ULL / MIC_RATE;

	t.tv_sec += (time_t)(ns / 1000000000ULL);
	t.tv_nsec += (long)(ns % 1000000000ULL);
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR)
		;
}

static ssize_t
file_read(struct mic *m, int16_t *buf, size_t n, char *err, size_t errlen)
{
	struct file_mic *fm = m->priv;
	size_t got;

	/* The clock starts with the first read, not at open: the recognizer
	 * loads in between, and real time means real time from the start. */
	if (m->realtime && m->samples == 0 && fm->start.tv_sec == 0 && fm->start.tv_nsec == 0)
		clock_gettime(CLOCK_MONOTONIC, &fm->start);

	if (fm->f != NULL) {
		if (n > fm->left)
			n = (size_t)fm->left;
		got = n ? fread(buf, sizeof *buf, n, fm->f) : 0;
		if (got < n) {
			if (ferror(fm->f)) {
				snprintf(err, errlen, "%s: read error: %s", fm->path, strerror(errno));
				return -1;
			}
			log_warnx("%s: truncated: the header announces %llu more samples than the file has",
			    fm->path, (unsigned long long)(fm->left - got));
			fm->left = got;
		}
		fm->left -= got;
	} else {
		got = fm->n - fm->at < n ? fm->n - fm->at : n;
		memcpy(buf, fm->pcm + fm->at, got * sizeof *buf);
		fm->at += got;
	}
	if (m->realtime && got > 0)
		pace(fm, m->samples + got);
	return (ssize_t)got;
}

static void
file_close(struct mic *m)
{
	struct file_mic *fm = m->priv;

	if (fm == NULL)
		return;
	if (fm->f != NULL)
		fclose(fm->f);
	free(fm->pcm);
	free(fm);
}

const struct mic_ops mic_file_ops = { "file", file_open, file_read, file_close };
