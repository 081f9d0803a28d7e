/*
 * The file row of the pointer table: what the device would do, one line
 * per event (pointer.h), written as it happens (line-buffered), so tests
 * without /dev/uinput check the mapping, the clicks and the device's life.
 */
#include "devices/pointer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct file_ptr {
	FILE *f;
	char  path[512];
};

static int
fp_open(struct pointer *p, const char *path, char *err, size_t errlen)
{
	struct file_ptr *fp = calloc(1, sizeof *fp);

	if (fp == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(fp->path, sizeof fp->path, "%s", path);
	if ((fp->f = fopen(path, "w")) == NULL) {
		snprintf(err, errlen, "pointer file %s: %s", path, strerror(errno));
		free(fp);
		return -1;
	}
	setvbuf(fp->f, NULL, _IOLBF, 0);
	p->priv = fp;
	return 0;
}

static int
fp_line(struct pointer *p, char *err, size_t errlen, const char *what, int with_xy, int x, int y)
{
	struct file_ptr *fp = p->priv;
	int r;

	if (with_xy)
		r = fprintf(fp->f, "%.3f\t%s\t%d\t%d\n", p->t, what, x, y);
	else
		r = fprintf(fp->f, "%.3f\t%s\n", p->t, what);
	if (r < 0 || fflush(fp->f) != 0) {
		snprintf(err, errlen, "pointer file %s: %s", fp->path, strerror(errno));
		return -1;
	}
	return 0;
}

static int
fp_appear(struct pointer *p, char *err, size_t errlen)
{
	return fp_line(p, err, errlen, "appear", 1, p->w, p->h);
}

static int
fp_emit(struct pointer *p, int x, int y, int moved, int button, char *err, size_t errlen)
{
	if (moved && fp_line(p, err, errlen, "move", 1, x, y) < 0)
		return -1;
	if (button >= 0 && fp_line(p, err, errlen, button ? "press" : "release", 1, x, y) < 0)
		return -1;
	return 0;
}

static void
fp_disappear(struct pointer *p)
{
	char err[700];

	(void)fp_line(p, err, sizeof err, "disappear", 0, 0, 0);
}

static void
fp_close(struct pointer *p)
{
	struct file_ptr *fp = p->priv;

	if (fp == NULL)
		return;
	fclose(fp->f);
	free(fp);
	p->priv = NULL;
}

const struct pointer_ops pointer_file_ops = {
	"file", fp_open, fp_appear, fp_emit, fp_disappear, fp_close, NULL,
};
