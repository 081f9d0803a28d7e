/*
 * mic — spec parsing and the supervised reader (mic.h); the rows
 * themselves are in mic_file.c, mic_portaudio.c and mic_alsa.c.
 */
#include "devices/mic.h"
#include "base/retry.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct {
	const char           *prefix;
	const struct mic_ops *ops;
} rows[] = {
	{ "file:",      &mic_file_ops },
	{ "portaudio:", &mic_portaudio_ops },
	{ "alsa:",      &mic_alsa_ops },
};

/* A live row is paced by its device, whatever the caller asked. */
static int
live(const struct mic_ops *ops)
{
	return ops == &mic_portaudio_ops || ops == &mic_alsa_ops;
}

int
mic_parse_spec(const char *spec, const struct mic_ops **ops, const char **arg,
    char *err, size_t errlen)
{
	if (strcmp(spec, "portaudio") == 0 || strcmp(spec, "alsa") == 0) {
		*ops = spec[0] == 'p' ? &mic_portaudio_ops : &mic_alsa_ops;
		*arg = NULL;
		return 0;
	}
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		size_t n = strlen(rows[i].prefix);
		if (strncmp(spec, rows[i].prefix, n) == 0) {
			/* "alsa:" alone names no PCM (plain "alsa" is the default one). */
			if (rows[i].ops == &mic_alsa_ops && spec[n] == '\0') {
				snprintf(err, errlen, "audio source \"%s\": nothing after \"alsa:\" (a PCM name: default, hw:1,0, plughw:CARD=ID)", spec);
				return -1;
			}
			*ops = rows[i].ops;
			*arg = spec + n;
			return 0;
		}
	}
	snprintf(err, errlen, "audio source \"%.200s\": expected file:PATH, alsa, alsa:PCM, portaudio or portaudio:NAME", spec);
	return -1;
}

struct mic *
mic_open_at(const struct mic_ops *ops, const char *arg, int realtime, uint64_t at,
    char *err, size_t errlen)
{
	struct mic *m = calloc(1, sizeof *m);

	if (m == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	m->ops = ops;
	m->realtime = realtime;
	m->resume_at = at;
	if (ops->open(m, arg, err, errlen) < 0) {
		free(m);
		return NULL;
	}
	return m;
}

struct mic *
mic_open_ops(const struct mic_ops *ops, const char *arg, int realtime, char *err, size_t errlen)
{
	return mic_open_at(ops, arg, realtime, 0, err, errlen);
}

struct mic *
mic_open(const char *spec, int realtime, char *err, size_t errlen)
{
	const struct mic_ops *ops;
	const char *arg;

	if (mic_parse_spec(spec, &ops, &arg, err, errlen) < 0)
		return NULL;
	return mic_open_ops(ops, arg, live(ops) ? 1 : realtime, err, errlen);
}

ssize_t
mic_read(struct mic *m, int16_t *buf, size_t n, char *err, size_t errlen)
{
	ssize_t r = m->ops->read(m, buf, n, err, errlen);

	if (r > 0)
		m->samples += (uint64_t)r;
	return r;
}

void
mic_close(struct mic *m)
{
	if (m == NULL)
		return;
	m->ops->close(m);
	free(m);
}

/* ---- the supervised reader ---- */

struct mic_sup {
	const struct mic_ops *ops;
	char            *arg;            /* NULL: the row's default */
	int              realtime;
	struct mic_sup_conf conf;
	struct mic      *m;
	uint64_t         pos;            /* stream samples: delivered + gaps */
	uint64_t         file_base;      /* stream sample where this pass of a replay began */
	uint64_t         lost_pos;       /* pos when it was lost */
	double           lost_at;        /* clock when it was lost */
	double           gap;            /* seconds of the last loss */
	int              lost_pending;   /* absent at start: say LOST at the first read */
	char             lost_err[512];
	struct retry     retry;          /* when to reopen (base/retry.h) */
};

static void
sup_lost(struct mic_sup *s)
{
	retry_lost(&s->retry);
	s->lost_pos = s->pos;
	s->lost_at = retry_now(&s->retry);
}

struct mic_sup *
mic_sup_open(const char *spec, const struct mic_ops *ops, int realtime,
    const struct mic_sup_conf *conf, char *err, size_t errlen)
{
	struct mic_sup *s;
	const char *arg = spec;

	if (ops == NULL && mic_parse_spec(spec, &ops, &arg, err, errlen) < 0)
		return NULL;
	if ((s = calloc(1, sizeof *s)) == NULL || (arg != NULL && (s->arg = strdup(arg)) == NULL)) {
		free(s);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->ops = ops;
	s->realtime = live(ops) ? 1 : realtime;
	if (conf != NULL)
		s->conf = *conf;
	retry_init(&s->retry, &(struct retry_conf){ s->conf.backoff_min, s->conf.backoff_max,
	    s->conf.max_block, s->conf.now, s->conf.sleep, s->conf.clock_arg }, 0.25, 1.0, 0.25);
	s->m = mic_open_at(ops, s->arg, s->realtime, 0, err, errlen);
	if (s->m == NULL) {
		if (!s->conf.allow_absent) {
			free(s->arg);
			free(s);
			return NULL;
		}
		snprintf(s->lost_err, sizeof s->lost_err, "%s", err);
		s->lost_pending = 1;
	}
	return s;
}

ssize_t
mic_sup_read(struct mic_sup *s, int16_t *buf, size_t n, char *err, size_t errlen)
{
	double now, left;
	uint64_t at;
	ssize_t r;

	if (s->lost_pending) {
		s->lost_pending = 0;
		sup_lost(s);
		snprintf(err, errlen, "%s", s->lost_err);
		return MIC_SUP_LOST;
	}
	if (s->m != NULL) {
		r = mic_read(s->m, buf, n, err, errlen);
		if (r > 0) {
			s->pos += (uint64_t)r;
			return r;
		}
		if (r == 0)
			return MIC_SUP_END;
		mic_close(s->m);
		s->m = NULL;
		sup_lost(s);
		return MIC_SUP_LOST;
	}
	if (!retry_wait(&s->retry, 0, &left)) {
		snprintf(err, errlen, "microphone gone; next try in %.2f s", left);
		return MIC_SUP_WAIT;
	}
	now = retry_now(&s->retry);
	/* The room went on while the source was gone: so does the stream, by
	 * whole steps, rounded up, so that a replay's frames stay aligned. */
	{
		uint64_t gone = (uint64_t)ceil((now - s->lost_at) * MIC_RATE / MIC_SUP_STEP);
		at = s->lost_pos + gone * MIC_SUP_STEP;
	}
	s->m = mic_open_at(s->ops, s->arg, s->realtime, at - s->file_base, err, errlen);
	if (s->m != NULL) {
		s->gap = (double)(at - s->lost_pos) / MIC_RATE;
		s->pos = at;
		retry_ok(&s->retry);
		return MIC_SUP_BACK;
	}
	retry_failed(&s->retry);
	return MIC_SUP_WAIT;
}

int
mic_sup_rewind(struct mic_sup *s, char *err, size_t errlen)
{
	struct mic *m = mic_open_at(s->ops, s->arg, s->realtime, 0, err, errlen);

	if (m == NULL)
		return -1;
	mic_close(s->m);
	s->m = m;
	s->file_base = s->pos;
	return 0;
}

double
mic_sup_gap(const struct mic_sup *s)
{
	return s->gap;
}

uint64_t
mic_sup_position(const struct mic_sup *s)
{
	return s->pos;
}

struct mic *
mic_sup_mic(struct mic_sup *s)
{
	return s->m;
}

unsigned
mic_sup_losses(const struct mic_sup *s)
{
	return s->retry.losses;
}

unsigned
mic_sup_attempts(const struct mic_sup *s)
{
	return s->retry.attempts;
}

double
mic_sup_retry_in(const struct mic_sup *s)
{
	return s->m != NULL ? 0 : retry_in(&s->retry);
}

void
mic_sup_close(struct mic_sup *s)
{
	if (s == NULL)
		return;
	mic_close(s->m);
	free(s->arg);
	free(s);
}
