/*
 * The live row of the pointer table: a virtual absolute mouse made through
 * /dev/uinput with libevdev's uinput helpers (libevdev_uinput_create_from_device).
 *
 * open only checks that /dev/uinput can be opened for writing and says why
 * not in one line; each engage opens it again and creates the device, each
 * disengage destroys it, so the device lives exactly as long as the cursor.
 */
#include "devices/pointer.h"
#include "base/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libevdev/libevdev.h>
#include <libevdev/libevdev-uinput.h>

#define UINPUT_PATH "/dev/uinput"
/* A device that goes at once takes its last events with it (evdev's read
 * fails on a device that is gone, buffered events or not): a release sent
 * just before a disengage would never reach the compositor.  So the device
 * stays this long after its last event. */
#define LINGER_S 0.05

struct uinput_ptr {
	int                     fd;
	struct libevdev        *dev;
	struct libevdev_uinput *ui;
	double                  last;   /* clock_mono() of the last event written */
};

/* Opens /dev/uinput, or says in one line why it cannot be. */
static int
open_uinput(char *err, size_t errlen)
{
	int fd = open(UINPUT_PATH, O_RDWR | O_CLOEXEC), e;

	if (fd >= 0)
		return fd;
	e = errno;
	switch (e) {
	case ENOENT:
		snprintf(err, errlen, "pointer uinput: %s does not exist (the uinput kernel module "
		    "is not loaded: modprobe uinput)", UINPUT_PATH);
		break;
	case EACCES:
	case EPERM:
		snprintf(err, errlen, "pointer uinput: %s: %s (the daemon's user needs write access "
		    "to it: udev/70-smartoffice.rules, docs/gestures.md)", UINPUT_PATH, strerror(e));
		break;
	case ENODEV:
	case ENXIO:
		snprintf(err, errlen, "pointer uinput: %s: %s (this kernel has no uinput driver)",
		    UINPUT_PATH, strerror(e));
		break;
	default:
		snprintf(err, errlen, "pointer uinput: %s: %s", UINPUT_PATH, strerror(e));
		break;
	}
	errno = e;
	return -1;
}

static int
ui_open(struct pointer *p, const char *arg, char *err, size_t errlen)
{
	struct uinput_ptr *u;
	int fd = open_uinput(err, errlen);

	if (fd < 0)
		return -1;
	close(fd);
	if ((u = calloc(1, sizeof *u)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	u->fd = -1;
	p->priv = u;
	return 0;
}

static void
ui_disappear(struct pointer *p)
{
	struct uinput_ptr *u = p->priv;

	if (u->ui != NULL) {
		clock_sleep_until(u->last + LINGER_S);
		libevdev_uinput_destroy(u->ui);
	}
	libevdev_free(u->dev);
	if (u->fd >= 0)
		close(u->fd);
	u->ui = NULL;
	u->dev = NULL;
	u->fd = -1;
}

static int
ui_appear(struct pointer *p, char *err, size_t errlen)
{
	struct uinput_ptr *u = p->priv;
	struct input_absinfo ax = { .minimum = 0, .maximum = p->w - 1 };
	struct input_absinfo ay = { .minimum = 0, .maximum = p->h - 1 };
	int rc;

	if (u->ui != NULL)
		return 0;
	if ((u->fd = open_uinput(err, errlen)) < 0)
		return -1;
	if ((u->dev = libevdev_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		ui_disappear(p);
		return -1;
	}
	libevdev_set_name(u->dev, POINTER_DEV_NAME);
	libevdev_set_id_bustype(u->dev, BUS_VIRTUAL);
	libevdev_set_id_version(u->dev, 1);
	/* Absolute X/Y and a left button, no INPUT_PROP_DIRECT: udev and
	 * libinput take it for an absolute mouse (as a VM's tablet), not a
	 * touchscreen or a tablet pen. */
	if (libevdev_enable_event_type(u->dev, EV_KEY) < 0 ||
	    libevdev_enable_event_code(u->dev, EV_KEY, BTN_LEFT, NULL) < 0 ||
	    libevdev_enable_event_type(u->dev, EV_ABS) < 0 ||
	    libevdev_enable_event_code(u->dev, EV_ABS, ABS_X, &ax) < 0 ||
	    libevdev_enable_event_code(u->dev, EV_ABS, ABS_Y, &ay) < 0) {
		snprintf(err, errlen, "pointer uinput: cannot describe the device");
		ui_disappear(p);
		return -1;
	}
	rc = libevdev_uinput_create_from_device(u->dev, u->fd, &u->ui);
	if (rc < 0) {
		u->ui = NULL;
		snprintf(err, errlen, "pointer uinput: cannot create the device: %s", strerror(-rc));
		ui_disappear(p);
		return -1;
	}
	return 0;
}

static int
ui_emit(struct pointer *p, int x, int y, int moved, int button, char *err, size_t errlen)
{
	struct uinput_ptr *u = p->priv;
	int rc = 0;

	if (u->ui == NULL) {
		snprintf(err, errlen, "pointer uinput: no device");
		return -1;
	}
	if (moved) {
		if (rc == 0)
			rc = libevdev_uinput_write_event(u->ui, EV_ABS, ABS_X, x);
		if (rc == 0)
			rc = libevdev_uinput_write_event(u->ui, EV_ABS, ABS_Y, y);
	}
	if (button >= 0 && rc == 0)
		rc = libevdev_uinput_write_event(u->ui, EV_KEY, BTN_LEFT, button);
	if (rc == 0)
		rc = libevdev_uinput_write_event(u->ui, EV_SYN, SYN_REPORT, 0);
	u->last = clock_mono();
	if (rc < 0) {
		snprintf(err, errlen, "pointer uinput: cannot send an event: %s", strerror(-rc));
		return -1;
	}
	return 0;
}

static const char *
ui_devnode(struct pointer *p)
{
	struct uinput_ptr *u = p->priv;

	return u->ui != NULL ? libevdev_uinput_get_devnode(u->ui) : NULL;
}

static void
ui_close(struct pointer *p)
{
	if (p->priv == NULL)
		return;
	ui_disappear(p);
	free(p->priv);
	p->priv = NULL;
}

const struct pointer_ops pointer_uinput_ops = {
	"uinput", ui_open, ui_appear, ui_emit, ui_disappear, ui_close, ui_devnode,
};
