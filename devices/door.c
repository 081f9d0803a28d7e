/*
 * door — spec parsing and the supervised reader (door.h); the rows are in
 * door_gpio.c and door_evdev.c.
 */
#include "devices/door.h"
#include "base/log.h"
#include "base/retry.h"
#include "base/spec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct spec_row rows[] = {
	{ "gpio:",  &door_gpio_ops },
	{ "evdev:", &door_evdev_ops },
};

int
door_parse_spec(const char *spec, const struct door_ops **ops, const char **arg, char *err,
    size_t errlen)
{
	return spec_pick("door", spec, rows, sizeof rows / sizeof rows[0],
	    "gpio:CHIP:LINE[:active-low] or evdev:/dev/input/eventN[:CODE]", (const void **)ops, arg,
	    err, errlen);
}

struct door *
door_open_ops(const struct door_ops *ops, const char *arg, char *err, size_t errlen)
{
	struct door *d = calloc(1, sizeof *d);

	if (d == NULL) {
		log_seterr(err, errlen, "out of memory");
		return NULL;
	}
	d->ops = ops;
	snprintf(d->spec, sizeof d->spec, "%s:%s", ops->name, arg);
	if (ops->open(d, arg, err, errlen) < 0) {
		free(d);
		return NULL;
	}
	return d;
}

struct door *
door_open(const char *spec, char *err, size_t errlen)
{
	const struct door_ops *ops;
	const char *arg;

	if (door_parse_spec(spec, &ops, &arg, err, errlen) < 0)
		return NULL;
	return door_open_ops(ops, arg, err, errlen);
}

int
door_state(struct door *d, char *err, size_t errlen)
{
	return d->ops->state(d, err, errlen);
}

int
door_wait(struct door *d, int timeout_ms, int *open, char *err, size_t errlen)
{
	return d->ops->wait(d, timeout_ms, open, err, errlen);
}

void
door_close(struct door *d)
{
	if (d == NULL)
		return;
	d->ops->close(d);
	free(d);
}

/* ---- supervised ---- */

struct door_sup {
	const struct door_ops *ops;
	char   *arg;
	struct door *d;
	int     first;            /* say the state at the first read */
	int     lost_pending;
	char    lost_err[256];
	struct retry retry;       /* when to reopen (base/retry.h) */
};

struct door_sup *
door_sup_open(const char *spec, const struct door_ops *ops, int allow_absent, double backoff_min,
    double backoff_max, char *err, size_t errlen)
{
	struct door_sup *s;
	const char *arg = spec;

	if (ops == NULL && door_parse_spec(spec, &ops, &arg, err, errlen) < 0)
		return NULL;
	if ((s = calloc(1, sizeof *s)) == NULL || (s->arg = strdup(arg)) == NULL) {
		free(s);
		log_seterr(err, errlen, "out of memory");
		return NULL;
	}
	s->ops = ops;
	retry_init(&s->retry, &(struct retry_conf){ backoff_min, backoff_max, 0, NULL, NULL, NULL },
	    0.5, 10, 0.25);
	s->first = 1;
	if ((s->d = door_open_ops(ops, arg, err, errlen)) == NULL) {
		if (!allow_absent) {
			free(s->arg);
			free(s);
			return NULL;
		}
		snprintf(s->lost_err, sizeof s->lost_err, "%s", err);
		s->lost_pending = 1;
	}
	return s;
}

static void
lost(struct door_sup *s)
{
	door_close(s->d);
	s->d = NULL;
	retry_lost(&s->retry);
}

int
door_sup_read(struct door_sup *s, int timeout_ms, int *open, char *err, size_t errlen)
{
	int r;

	if (s->lost_pending) {
		s->lost_pending = 0;
		retry_lost(&s->retry);
		log_seterr(err, errlen, "%s", s->lost_err);
		return DOOR_SUP_LOST;
	}
	if (s->d != NULL) {
		if (s->first) {
			s->first = 0;
			if ((r = door_state(s->d, err, errlen)) < 0) {
				lost(s);
				return DOOR_SUP_LOST;
			}
			*open = r;
			return DOOR_SUP_CHANGE;
		}
		r = door_wait(s->d, timeout_ms, open, err, errlen);
		if (r > 0)
			return DOOR_SUP_CHANGE;
		if (r == 0)
			return DOOR_SUP_NONE;
		lost(s);
		return DOOR_SUP_LOST;
	}
	{
		double left;
		if (!retry_wait(&s->retry, timeout_ms / 1000.0, &left)) {
			log_seterr(err, errlen, "door: gone; next try in %.2f s", left);
			return DOOR_SUP_WAIT;
		}
	}
	if ((s->d = door_open_ops(s->ops, s->arg, err, errlen)) != NULL &&
	    (r = door_state(s->d, err, errlen)) >= 0) {
		*open = r;
		retry_ok(&s->retry);
		return DOOR_SUP_BACK;
	}
	door_close(s->d);
	s->d = NULL;
	retry_failed(&s->retry);
	return DOOR_SUP_WAIT;
}

unsigned
door_sup_losses(const struct door_sup *s)
{
	return s->retry.losses;
}

void
door_sup_close(struct door_sup *s)
{
	if (s == NULL)
		return;
	door_close(s->d);
	free(s->arg);
	free(s);
}
