/*
 * door — the shelf door sensor: is the door of the bookshelf open?
 *
 * The same shape as the cameras (devices/camera.h): each source is one
 * small ops table picked by a spec string, so tests put their own row in
 * (a sensor unplugged is a read that fails with ENODEV).
 *
 *   "gpio:CHIP:LINE[:active-low]"  a reed switch on a GPIO line (libgpiod
 *                                  v1.6): CHIP "gpiochip0" or "0", LINE the
 *                                  offset; the line reads 1 with the door
 *                                  open (magnet away, pull-up), inverted
 *                                  with active-low; both edges wake us
 *   "evdev:DEV[:CODE]"             an input-event switch (EV_SW, libevdev):
 *                                  DEV /dev/input/eventN, CODE the switch
 *                                  (a number, or SW_LID, SW_DOCK,
 *                                  SW_MACHINE_COVER...; default the first
 *                                  switch the device has); value 1 = open
 *
 * The replay row is --events-file: {"t":T,"type":"door","state":"open"}
 * lines (devices/events_file.c), which push the same input the live rows
 * do.  door_sup_* wraps a sensor for a daemon thread: a read error is
 * reported once, then the sensor is reopened with back-off.
 */
#ifndef SO_DOOR_H
#define SO_DOOR_H

#include <stddef.h>

struct door;

struct door_ops {
	const char *name;
	/* Opens the sensor named by arg (the spec after "ROW:"); 0, or -1 with err. */
	int  (*open)(struct door *d, const char *arg, char *err, size_t errlen);
	/* The state now: 1 open, 0 closed, -1 with err. */
	int  (*state)(struct door *d, char *err, size_t errlen);
	/* Waits up to timeout_ms for a change: 1 and *open set, 0 timed out,
	 * -1 with err (and errno) when the sensor failed. */
	int  (*wait)(struct door *d, int timeout_ms, int *open, char *err, size_t errlen);
	void (*close)(struct door *d);
};

struct door {
	const struct door_ops *ops;
	void *priv;
	char  spec[256];
};

extern const struct door_ops door_gpio_ops;
extern const struct door_ops door_evdev_ops;

/* Splits a spec into its row and argument; -1 with err naming the spec. */
int  door_parse_spec(const char *spec, const struct door_ops **ops, const char **arg,
                     char *err, size_t errlen);
struct door *door_open(const char *spec, char *err, size_t errlen);
struct door *door_open_ops(const struct door_ops *ops, const char *arg, char *err, size_t errlen);
int  door_state(struct door *d, char *err, size_t errlen);
int  door_wait(struct door *d, int timeout_ms, int *open, char *err, size_t errlen);
void door_close(struct door *d);

/* ---- the supervised reader ---- */

enum door_sup_status {
	DOOR_SUP_CHANGE  =  1,   /* *open holds the new state */
	DOOR_SUP_NONE    =  0,   /* nothing happened within the timeout */
	DOOR_SUP_LOST    = -1,   /* the sensor just failed (err says why); said once */
	DOOR_SUP_WAIT    = -2,   /* still gone */
	DOOR_SUP_BACK    =  2,   /* reopened after a loss; *open holds its state */
};

struct door_sup;

/* Opens a supervised sensor; ops non-NULL: spec is that row's argument.
 * A bad spec is an error; an absent sensor is one too unless allow_absent
 * (then the first read says LOST). */
struct door_sup *door_sup_open(const char *spec, const struct door_ops *ops, int allow_absent,
                               double backoff_min, double backoff_max, char *err, size_t errlen);
/* The first read gives the state as a CHANGE.  Blocks at most timeout_ms. */
int  door_sup_read(struct door_sup *s, int timeout_ms, int *open, char *err, size_t errlen);
unsigned door_sup_losses(const struct door_sup *s);
void door_sup_close(struct door_sup *s);

#endif
