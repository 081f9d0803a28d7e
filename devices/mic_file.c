/*
 * The file row of the microphone table: replays a WAV recording, paced to
 * the wall clock (realtime) or as fast as the reader takes it.
 *
 * 16 kHz mono 16-bit files are streamed from disk; anything else is loaded
 * whole and converted (see wav.h).
 *
 * "PATH@unplug=T+D,..." plays a microphone that comes and goes (mic.h):
 * reads stop at T and then fail with ENODEV; opens at a position inside
 * [T, T+D) fail with ENODEV; an open at m->resume_at starts there.
 */
#include "devices/mic.h"
#include "base/clock.h"
#include "devices/wav.h"
#include "base/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_UNPLUGS 16

struct unplug {
	uint64_t from, to;    /* samples of the file: gone over [from, to) */
};

struct file_mic {
	FILE     *f;          /* streaming, or NULL when loaded whole */
	int16_t  *pcm;
	size_t    n, at;
	uint64_t  left;       /* streaming: samples still in the data chunk */
	uint64_t  pos;        /* file position (samples) of the next sample */
	double          start;     /* clock_mono() at the first read (0: not yet) */
	char      path[512];
	struct unplug unplug[MAX_UNPLUGS];
	size_t    nunplug;
};

/* Splits "PATH@unplug=T+D,T+D" into the path and the schedule. */
static int
parse_unplug(struct file_mic *fm, const char *arg, char *err, size_t errlen)
{
	const char *tag = NULL, *p;
	double last = -1;

	for (p = arg; (p = strstr(p, "@unplug=")) != NULL; p++)
		tag = p;
	if (tag == NULL) {
		snprintf(fm->path, sizeof fm->path, "%s", arg);
		return 0;
	}
	snprintf(fm->path, sizeof fm->path, "%.*s", (int)(tag - arg), arg);
	p = tag + strlen("@unplug=");
	for (;;) {
		char *end;
		double t, d;

		errno = 0;
		t = strtod(p, &end);
		if (end == p || *end != '+' || errno || t < 0)
			goto bad;
		p = end + 1;
		d = strtod(p, &end);
		if (end == p || errno || !(d > 0) || d > 86400)
			goto bad;
		if (t <= last) {
			snprintf(err, errlen, "audio source file:%s: unplug times must increase and not "
			    "overlap (%.3f s comes before the last one's end)", arg, t);
			return -1;
		}
		if (fm->nunplug == MAX_UNPLUGS) {
			snprintf(err, errlen, "audio source file:%s: at most %d unplugs", arg, MAX_UNPLUGS);
			return -1;
		}
		fm->unplug[fm->nunplug].from = (uint64_t)(t * MIC_RATE + 0.5);
		fm->unplug[fm->nunplug].to = (uint64_t)((t + d) * MIC_RATE + 0.5);
		fm->nunplug++;
		last = t + d;
		p = end;
		if (*p == '\0')
			return 0;
		if (*p++ != ',')
			goto bad;
	}
bad:
	snprintf(err, errlen, "audio source file:%s: expected PATH@unplug=T+D[,T+D...] "
	    "(seconds into the file, seconds gone; D > 0)", arg);
	return -1;
}

/* The unplug that position `at` falls in, or NULL. */
static const struct unplug *
gone_at(const struct file_mic *fm, uint64_t at)
{
	for (size_t i = 0; i < fm->nunplug; i++)
		if (at >= fm->unplug[i].from && at < fm->unplug[i].to)
			return &fm->unplug[i];
	return NULL;
}

/* Samples from `at` until the next unplug begins (UINT64_MAX: none). */
static uint64_t
until_unplug(const struct file_mic *fm, uint64_t at)
{
	for (size_t i = 0; i < fm->nunplug; i++)
		if (fm->unplug[i].from >= at)
			return fm->unplug[i].from - at;
	return UINT64_MAX;
}

static int
file_open(struct mic *m, const char *arg, char *err, size_t errlen)
{
	struct file_mic *fm = calloc(1, sizeof *fm);
	const struct unplug *u;
	const char *path;
	struct wav_info info;
	char warn[600];

	if (fm == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (parse_unplug(fm, arg, err, errlen) < 0) {
		free(fm);
		return -1;
	}
	path = fm->path;
	if ((u = gone_at(fm, m->resume_at)) != NULL) {
		snprintf(err, errlen, "%s: absent (a simulated unplug, %.2f s to %.2f s into the file)",
		    path, (double)u->from / MIC_RATE, (double)u->to / MIC_RATE);
		free(fm);
		errno = ENODEV;
		return -1;
	}
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
		if (m->resume_at > 0) {
			uint64_t skip = m->resume_at < fm->left ? m->resume_at : fm->left;
			if (fseeko(fm->f, (off_t)(skip * sizeof(int16_t)), SEEK_CUR) != 0) {
				snprintf(err, errlen, "%s: cannot seek: %s", path, strerror(errno));
				fclose(fm->f);
				free(fm);
				return -1;
			}
			fm->left -= skip;
		}
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
		fm->at = m->resume_at < fm->n ? (size_t)m->resume_at : fm->n;
	}
	fm->pos = m->resume_at;
	m->priv = fm;
	return 0;
}

/* Sleeps until the wall clock reaches the stream position `samples`. */
static void
pace(struct file_mic *fm, uint64_t samples)
{
	clock_sleep_until(fm->start + (double)samples / MIC_RATE);
}

static ssize_t
file_read(struct mic *m, int16_t *buf, size_t n, char *err, size_t errlen)
{
	struct file_mic *fm = m->priv;
	const struct unplug *u;
	uint64_t room;
	size_t got;

	if ((u = gone_at(fm, fm->pos)) != NULL) {
		snprintf(err, errlen, "%s: read failed: %s (a simulated unplug at %.2f s)", fm->path,
		    strerror(ENODEV), (double)u->from / MIC_RATE);
		errno = ENODEV;
		return -1;
	}
	if ((room = until_unplug(fm, fm->pos)) < n)
		n = (size_t)room;

	/* The clock starts with the first read, not at open: the recognizer
	 * loads in between, and real time means real time from the start. */
	if (m->realtime && m->samples == 0 && fm->start == 0)
		fm->start = clock_mono();

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
	fm->pos += got;
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
