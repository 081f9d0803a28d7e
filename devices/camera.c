/*
 * camera — spec parsing, pacing and the supervised reader (camera.h); the
 * rows themselves are in camera_file.c and camera_v4l2.c.
 */
#include "devices/camera.h"
#include "base/clock.h"
#include "base/retry.h"
#include "base/spec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct spec_row rows[] = {
	{ "file:",   &camera_file_ops },
	{ "images:", &camera_images_ops },
	{ "v4l2:",   &camera_v4l2_ops },
};

int
camera_parse_spec(const char *spec, const struct camera_ops **ops, const char **arg,
    char *err, size_t errlen)
{
	return spec_pick("camera", spec, rows, sizeof rows / sizeof rows[0],
	    "file:PATH, images:DIR[@FPS] or v4l2:DEV[@WxH][@FPS]", (const void **)ops, arg, err, errlen);
}

struct camera *
camera_open_ops(const struct camera_ops *ops, const char *role, const char *arg, int realtime,
    char *err, size_t errlen)
{
	struct camera *c = calloc(1, sizeof *c);

	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->ops = ops;
	c->realtime = realtime;
	c->nframes = -1;
	snprintf(c->role, sizeof c->role, "%s", role ? role : "");
	if (ops->open(c, arg, err, errlen) < 0) {
		free(c);
		return NULL;
	}
	return c;
}

struct camera *
camera_open(const char *role, const char *spec, int realtime, char *err, size_t errlen)
{
	const struct camera_ops *ops;
	const char *arg;

	if (camera_parse_spec(spec, &ops, &arg, err, errlen) < 0)
		return NULL;
	return camera_open_ops(ops, role, arg, realtime, err, errlen);
}

int
camera_read(struct camera *c, struct cv_image *im, double *t, char *err, size_t errlen)
{
	int r = c->ops->read(c, im, t, err, errlen);

	if (r <= 0)
		return r;
	c->frames++;
	/* The clock starts with the first frame, not at open: models load in
	 * between, and real time means real time from the first frame on. */
	if (c->realtime && !c->live) {
		if (c->frames == 1) {
			c->start = clock_mono();
			c->t0 = *t;
		} else if (*t - c->t0 > 0) {
			clock_sleep_until(c->start + (*t - c->t0));
		}
	}
	return 1;
}

void
camera_close(struct camera *c)
{
	if (c == NULL)
		return;
	c->ops->close(c);
	free(c);
}

double
camera_clock_frame(struct camera_clock *k, const struct camera *c, double t)
{
	if (k->rebase) {
		double period = c != NULL && c->fps > 0 ? 1.0 / c->fps : 1.0 / 30;
		k->offset = k->last + period - t;
		k->rebase = 0;
	}
	t += k->offset;
	if (t < k->last)
		t = k->last;
	k->last = t;
	return t;
}

/* ---- the supervised reader ---- */

struct camera_sup {
	const struct camera_ops *ops;
	char            *arg;
	char             role[32];
	int              realtime;
	struct camera_sup_conf conf;
	struct camera   *c;
	int              lost_pending;   /* absent at start: say LOST at the first read */
	char             lost_err[512];
	struct retry     retry;          /* when to reopen (base/retry.h) */
};

struct camera_sup *
camera_sup_open(const char *role, const char *spec, const struct camera_ops *ops, int realtime,
    const struct camera_sup_conf *conf, char *err, size_t errlen)
{
	struct camera_sup *s;
	const char *arg = spec;

	if (ops == NULL && camera_parse_spec(spec, &ops, &arg, err, errlen) < 0)
		return NULL;
	if ((s = calloc(1, sizeof *s)) == NULL || (s->arg = strdup(arg)) == NULL) {
		free(s);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->ops = ops;
	s->realtime = realtime;
	snprintf(s->role, sizeof s->role, "%s", role ? role : "");
	if (conf != NULL)
		s->conf = *conf;
	retry_init(&s->retry, &(struct retry_conf){ s->conf.backoff_min, s->conf.backoff_max,
	    s->conf.max_block, s->conf.now, s->conf.sleep, s->conf.clock_arg }, 0.5, 10, 0.25);
	s->c = camera_open_ops(ops, s->role, s->arg, realtime, err, errlen);
	if (s->c == NULL) {
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

int
camera_sup_read(struct camera_sup *s, struct cv_image *im, double *t, char *err, size_t errlen)
{
	double left;
	int r;

	if (s->lost_pending) {
		s->lost_pending = 0;
		retry_lost(&s->retry);
		snprintf(err, errlen, "%s", s->lost_err);
		return CAMERA_SUP_LOST;
	}
	if (s->c != NULL) {
		r = camera_read(s->c, im, t, err, errlen);
		if (r > 0)
			return CAMERA_SUP_FRAME;
		if (r == 0)
			return CAMERA_SUP_END;
		camera_close(s->c);
		s->c = NULL;
		retry_lost(&s->retry);
		return CAMERA_SUP_LOST;
	}
	if (!retry_wait(&s->retry, 0, &left)) {
		snprintf(err, errlen, "camera %s: gone; next try in %.2f s", s->role, left);
		return CAMERA_SUP_WAIT;
	}
	s->c = camera_open_ops(s->ops, s->role, s->arg, s->realtime, err, errlen);
	if (s->c != NULL) {
		retry_ok(&s->retry);
		return CAMERA_SUP_BACK;
	}
	retry_failed(&s->retry);
	return CAMERA_SUP_WAIT;
}

struct camera *
camera_sup_camera(struct camera_sup *s)
{
	return s->c;
}

double
camera_sup_retry_in(const struct camera_sup *s)
{
	return s->c != NULL ? 0 : retry_in(&s->retry);
}

unsigned
camera_sup_losses(const struct camera_sup *s)
{
	return s->retry.losses;
}

unsigned
camera_sup_attempts(const struct camera_sup *s)
{
	return s->retry.attempts;
}

void
camera_sup_close(struct camera_sup *s)
{
	if (s == NULL)
		return;
	camera_close(s->c);
	free(s->arg);
	free(s);
}
