/* door_gpio — a reed switch on a GPIO line through libgpiod v1.6 (door.h). */
#include "devices/door.h"
#include "base/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gpiod.h>

struct gpio_priv {
	struct gpiod_chip *chip;
	struct gpiod_line *line;
	int    active_low;
	int    last;
};

static int
gpio_open(struct door *d, const char *arg, char *err, size_t errlen)
{
	char chip[128], rest[64] = "";
	unsigned line;
	struct gpio_priv *p;
	int n;

	/* CHIP:LINE[:active-low] */
	if (sscanf(arg, "%127[^:]:%u%n", chip, &line, &n) != 2 ||
	    (arg[n] != '\0' && (sscanf(arg + n, ":%63s", rest) != 1 || strcmp(rest, "active-low")))) {
		log_seterr(err, errlen, "door gpio:%s: expected gpio:CHIP:LINE[:active-low]", arg);
		return -1;
	}
	if ((p = calloc(1, sizeof *p)) == NULL) {
		log_seterr(err, errlen, "out of memory");
		return -1;
	}
	p->active_low = rest[0] != '\0';
	if ((p->chip = gpiod_chip_open_lookup(chip)) == NULL) {
		log_seterr(err, errlen, "door gpio:%s: chip %s: %s", arg, chip, strerror(errno));
		free(p);
		return -1;
	}
	if ((p->line = gpiod_chip_get_line(p->chip, line)) == NULL ||
	    gpiod_line_request_both_edges_events_flags(p->line, "smartofficed",
	        GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_UP) < 0) {
		log_seterr(err, errlen, "door gpio:%s: line %u: %s", arg, line, strerror(errno));
		gpiod_chip_close(p->chip);
		free(p);
		return -1;
	}
	p->last = -1;
	d->priv = p;
	return 0;
}

static int
gpio_state(struct door *d, char *err, size_t errlen)
{
	struct gpio_priv *p = d->priv;
	int v = gpiod_line_get_value(p->line);

	if (v < 0) {
		log_seterr(err, errlen, "door %s: %s", d->spec, strerror(errno));
		return -1;
	}
	p->last = p->active_low ? !v : v;
	return p->last;
}

static int
gpio_wait(struct door *d, int timeout_ms, int *open, char *err, size_t errlen)
{
	struct gpio_priv *p = d->priv;
	struct timespec ts = { timeout_ms / 1000, (timeout_ms % 1000) * 1000000L };
	struct gpiod_line_event ev;
	int r = gpiod_line_event_wait(p->line, &ts), v;

	if (r < 0) {
		log_seterr(err, errlen, "door %s: %s", d->spec, strerror(errno));
		return -1;
	}
	if (r == 0)
		return 0;
	if (gpiod_line_event_read(p->line, &ev) < 0) {
		log_seterr(err, errlen, "door %s: %s", d->spec, strerror(errno));
		return -1;
	}
	/* A reed switch bounces: the level after the edge is what counts. */
	if ((v = gpio_state(d, err, errlen)) < 0)
		return -1;
	*open = v;
	return 1;
}

static void
gpio_close(struct door *d)
{
	struct gpio_priv *p = d->priv;

	if (p == NULL)
		return;
	gpiod_line_release(p->line);
	gpiod_chip_close(p->chip);
	free(p);
}

const struct door_ops door_gpio_ops = { "gpio", gpio_open, gpio_state, gpio_wait, gpio_close };
