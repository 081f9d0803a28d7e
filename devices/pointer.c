/*
 * pointer — spec parsing, the cursor-to-screen mapping and the engage /
 * cursor / disengage rules (pointer.h); the rows are in pointer_uinput.c
 * and pointer_file.c.
 */
#include "devices/pointer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pointer *
pointer_open_ops(const struct pointer_ops *ops, const char *arg, int w, int h,
    char *err, size_t errlen)
{
	struct pointer *p = calloc(1, sizeof *p);

	if (p == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->ops = ops;
	p->w = w;
	p->h = h;
	p->x = p->y = -1;
	if (ops->open(p, arg, err, errlen) < 0) {
		free(p);
		return NULL;
	}
	return p;
}

struct pointer *
pointer_open(const char *spec, int w, int h, char *err, size_t errlen)
{
	if (strcmp(spec, "uinput") == 0)
		return pointer_open_ops(&pointer_uinput_ops, NULL, w, h, err, errlen);
	if (strncmp(spec, "file:", 5) == 0 && spec[5] != '\0')
		return pointer_open_ops(&pointer_file_ops, spec + 5, w, h, err, errlen);
	snprintf(err, errlen, "pointer \"%s\": expected off, uinput or file:PATH", spec);
	return NULL;
}

int
pointer_engage(struct pointer *p, double t, char *err, size_t errlen)
{
	p->t = t;
	p->failed = 0;
	if (p->present)
		return 0;
	if (p->ops->appear(p, err, errlen) < 0) {
		p->failed = 1;
		return -1;
	}
	p->present = 1;
	p->down = 0;
	p->x = p->y = -1;
	return 0;
}

/* 0..1 of the screen to a pixel, clamped. */
static int
to_px(double v, int size)
{
	double px;

	if (!(v > 0))		/* also NaN */
		return 0;
	if (v >= 1)
		return size - 1;
	px = floor(v * (size - 1) + 0.5);
	return (int)px;
}

int
pointer_cursor(struct pointer *p, double t, double x01, double y01, enum pointer_action a,
    char *err, size_t errlen)
{
	int x, y, moved, button = -1;

	if (!p->present) {
		if (p->failed)
			return 0;
		if (pointer_engage(p, t, err, errlen) < 0)
			return -1;
	}
	p->t = t;
	x = to_px(x01, p->w);
	y = to_px(y01, p->h);
	moved = x != p->x || y != p->y;
	if (a == POINTER_PRESS && !p->down)
		button = 1;
	else if (a == POINTER_RELEASE && p->down)
		button = 0;
	if (!moved && button < 0)
		return 0;
	if (p->ops->emit(p, x, y, moved, button, err, errlen) < 0) {
		/* Gone under us: no device, quiet until the next engage. */
		p->ops->disappear(p);
		p->present = 0;
		p->down = 0;
		p->failed = 1;
		return -1;
	}
	p->x = x;
	p->y = y;
	p->reports++;
	if (button >= 0) {
		p->down = button;
		if (button == 0)
			p->clicks++;
	}
	return 0;
}

void
pointer_disengage(struct pointer *p, double t)
{
	char err[256];

	p->t = t;
	p->failed = 0;
	if (!p->present)
		return;
	/* Never leave a button held down in someone's browser. */
	if (p->down && p->ops->emit(p, p->x, p->y, 0, 0, err, sizeof err) == 0)
		p->clicks++;
	p->down = 0;
	p->ops->disappear(p);
	p->present = 0;
}

const char *
pointer_devnode(struct pointer *p)
{
	return p->present && p->ops->devnode ? p->ops->devnode(p) : NULL;
}

void
pointer_close(struct pointer *p)
{
	if (p == NULL)
		return;
	pointer_disengage(p, p->t);
	p->ops->close(p);
	free(p);
}
