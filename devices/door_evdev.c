/* door_evdev — an input-event switch (EV_SW) through libevdev (door.h). */
#include "devices/door.h"
#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libevdev/libevdev.h>

struct evdev_priv {
	int fd;
	struct libevdev *dev;
	unsigned code;
};

static int
evdev_open(struct door *d, const char *arg, char *err, size_t errlen)
{
	char path[200], code[64] = "";
	struct evdev_priv *p;
	int rc, c = -1;

	if (sscanf(arg, "%199[^:]:%63s", path, code) < 1) {
		log_seterr(err, errlen, "door evdev:%s: expected evdev:/dev/input/eventN[:CODE]", arg);
		return -1;
	}
	if (code[0] != '\0') {
		char *end;
		long v = strtol(code, &end, 0);
		c = *end == '\0' ? (int)v : libevdev_event_code_from_name(EV_SW, code);
		if (c < 0 || c > SW_MAX) {
			log_seterr(err, errlen, "door evdev:%s: \"%s\" is not a switch (SW_LID, SW_DOCK, a number)",
			    arg, code);
			return -1;
		}
	}
	if ((p = calloc(1, sizeof *p)) == NULL) {
		log_seterr(err, errlen, "out of memory");
		return -1;
	}
	if ((p->fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
		log_seterr(err, errlen, "door evdev:%s: %s", arg, strerror(errno));
		free(p);
		return -1;
	}
	if ((rc = libevdev_new_from_fd(p->fd, &p->dev)) < 0) {
		log_seterr(err, errlen, "door evdev:%s: %s", arg, strerror(-rc));
		close(p->fd);
		free(p);
		return -1;
	}
	if (c < 0)
		for (int i = 0; i <= SW_MAX && c < 0; i++)
			if (libevdev_has_event_code(p->dev, EV_SW, (unsigned)i))
				c = i;
	if (c < 0 || !libevdev_has_event_code(p->dev, EV_SW, (unsigned)c)) {
		log_seterr(err, errlen, "door evdev:%s: %s has no %s switch", arg,
		    libevdev_get_name(p->dev), c < 0 ? "" : libevdev_event_code_get_name(EV_SW, (unsigned)c));
		libevdev_free(p->dev);
		close(p->fd);
		free(p);
		return -1;
	}
	p->code = (unsigned)c;
	d->priv = p;
	return 0;
}

static int
evdev_state(struct door *d, char *err, size_t errlen)
{
	struct evdev_priv *p = d->priv;
	int v;

	if (!libevdev_fetch_event_value(p->dev, EV_SW, p->code, &v)) {
		log_seterr(err, errlen, "door %s: no state", d->spec);
		return -1;
	}
	return v != 0;
}

static int
evdev_wait(struct door *d, int timeout_ms, int *open, char *err, size_t errlen)
{
	struct evdev_priv *p = d->priv;
	struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
	struct input_event ev;
	int r, changed = 0;

	if ((r = poll(&pfd, 1, timeout_ms)) < 0) {
		if (errno == EINTR)
			return 0;
		log_seterr(err, errlen, "door %s: %s", d->spec, strerror(errno));
		return -1;
	}
	if (r == 0)
		return 0;
	if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL)) {
		errno = ENODEV;
		log_seterr(err, errlen, "door %s: device gone", d->spec);
		return -1;
	}
	for (;;) {
		r = libevdev_next_event(p->dev, LIBEVDEV_READ_FLAG_NORMAL, &ev);
		if (r == LIBEVDEV_READ_STATUS_SYNC) {
			/* Events were dropped: catch up, the state is what matters. */
			while (r == LIBEVDEV_READ_STATUS_SYNC)
				r = libevdev_next_event(p->dev, LIBEVDEV_READ_FLAG_SYNC, &ev);
			changed = 1;
			continue;
		}
		if (r == -EAGAIN)
			break;
		if (r < 0) {
			errno = -r;
			log_seterr(err, errlen, "door %s: %s", d->spec, strerror(-r));
			return -1;
		}
		if (ev.type == EV_SW && ev.code == p->code)
			changed = 1;
	}
	if (!changed)
		return 0;
	if ((r = evdev_state(d, err, errlen)) < 0)
		return -1;
	*open = r;
	return 1;
}

static void
evdev_close(struct door *d)
{
	struct evdev_priv *p = d->priv;

	if (p == NULL)
		return;
	libevdev_free(p->dev);
	close(p->fd);
	free(p);
}

const struct door_ops door_evdev_ops = { "evdev", evdev_open, evdev_state, evdev_wait, evdev_close };
