/*
 * pointer — the hand cursor as a real pointer: an absolute pointing device
 * that any page in any browser (any program) sees as a mouse.
 *
 * Each output is one small ops table, as the microphone's and cameras'
 * (devices/mic.h, devices/camera.h), picked by a spec string:
 *
 *   "uinput"      a virtual device made through /dev/uinput with libevdev's
 *                 uinput helpers: EV_ABS ABS_X/ABS_Y over the screen in
 *                 pixels and EV_KEY BTN_LEFT (udev calls it an absolute
 *                 mouse, ID_INPUT_MOUSE, as a virtual machine's tablet)
 *   "file:PATH"   writes what the device would do, one line per event, so
 *                 that tests without /dev/uinput check the mapping:
 *                   T<TAB>appear<TAB>W<TAB>H
 *                   T<TAB>move<TAB>X<TAB>Y
 *                   T<TAB>press<TAB>X<TAB>Y      (BTN_LEFT down)
 *                   T<TAB>release<TAB>X<TAB>Y    (BTN_LEFT up)
 *                   T<TAB>disappear
 *                 T is the stream time (s) of the gesture, X and Y pixels.
 *
 * The device exists only while the cursor is engaged: pointer_engage makes
 * it appear, pointer_disengage (releasing a button still held) makes it go.
 * The cursor's 0..1 coordinates map onto a W×H screen (pointer_width,
 * pointer_height):
 * x = round(x01 × (W − 1)); a position that does not change sends nothing.
 * A press is BTN_LEFT down at the cursor, a release BTN_LEFT up, so the
 * cursor's select is a click.
 */
#ifndef SO_POINTER_H
#define SO_POINTER_H

#include <stddef.h>

#define POINTER_DEV_NAME "smartoffice motion mouse"

enum pointer_action { POINTER_MOVE, POINTER_PRESS, POINTER_RELEASE };

struct pointer;

struct pointer_ops {
	const char *name;
	/* Checks that the output can work (uinput: /dev/uinput opens for
	 * writing) and keeps what it needs; 0, or -1 with err in one line. */
	int  (*open)(struct pointer *p, const char *arg, char *err, size_t errlen);
	/* Makes the device appear (engage); 0 or -1 with err. */
	int  (*appear)(struct pointer *p, char *err, size_t errlen);
	/* One report: position (x, y in pixels) and, when button >= 0, BTN_LEFT
	 * going to that value; 0 or -1 with err. */
	int  (*emit)(struct pointer *p, int x, int y, int moved, int button, char *err, size_t errlen);
	/* Makes the device go (disengage). */
	void (*disappear)(struct pointer *p);
	void (*close)(struct pointer *p);
	/* uinput: the /dev/input/event* node while the device exists; else NULL. */
	const char *(*devnode)(struct pointer *p);
};

struct pointer {
	const struct pointer_ops *ops;
	void     *priv;          /* the backend's own */
	int       w, h;          /* the screen, pixels */
	double    t;             /* stream time of the event being sent */
	int       present;       /* the device exists (engaged) */
	int       failed;        /* appear failed: quiet until the next engage */
	int       down;          /* BTN_LEFT held */
	int       x, y;          /* last position sent, -1 before the first */
	unsigned long reports, clicks;
};

extern const struct pointer_ops pointer_uinput_ops;
extern const struct pointer_ops pointer_file_ops;

/* Opens the output a spec names ("uinput", "file:PATH"); NULL with err,
 * one line saying why (a missing /dev/uinput, no permission, ...). */
struct pointer *pointer_open(const char *spec, int w, int h, char *err, size_t errlen);
/* Opens an output through a given ops table. */
struct pointer *pointer_open_ops(const struct pointer_ops *ops, const char *arg, int w, int h,
                                 char *err, size_t errlen);
/* The cursor engaged: the device appears.  0, or -1 with err (then the
 * cursor's events are dropped quietly until the next engage). */
int  pointer_engage(struct pointer *p, double t, char *err, size_t errlen);
/* The cursor at (x01, y01), 0..1 of the screen, moving, pressing or
 * releasing.  A cursor without an engage engages first.  0 or -1 with err
 * (a device that fails is dropped: quiet until the next engage). */
int  pointer_cursor(struct pointer *p, double t, double x01, double y01,
                    enum pointer_action a, char *err, size_t errlen);
/* The cursor disengaged: a held button is released, the device goes. */
void pointer_disengage(struct pointer *p, double t);
/* The device's /dev/input/event* node while it exists (uinput), else NULL. */
const char *pointer_devnode(struct pointer *p);
/* Disengages and closes. */
void pointer_close(struct pointer *p);

#endif
