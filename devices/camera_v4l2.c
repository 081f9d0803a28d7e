/*
 * The live row of the camera table: "v4l2:DEV[@WxH][@FPS]" through the
 * OpenCV wrapper (cv_video.h).  t is seconds on the monotonic clock since
 * the camera was opened.  A read that gets no frame (the camera was
 * unplugged) fails with ENODEV; camera_sup_* then reopens it.
 */
#include "devices/camera.h"
#include "base/clock.h"
#include "devices/cv_video.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define V4L2_DEFAULT_W   640
#define V4L2_DEFAULT_H   480
#define V4L2_DEFAULT_FPS 30.0

struct v4l2_cam {
	struct cv_video *v;
	double           opened;     /* clock_mono() at open */
	char             dev[256];
};

/* "DEV[@WxH][@FPS]" into its parts; -1 with err naming the spec. */
static int
parse_arg(const char *arg, char *dev, size_t devlen, int *w, int *h, double *fps,
    char *err, size_t errlen)
{
	char buf[512], *tok, *save = NULL;
	int n = 0;

	if (strlen(arg) >= sizeof buf) {
		snprintf(err, errlen, "camera \"v4l2:%.40s...\": too long", arg);
		return -1;
	}
	snprintf(buf, sizeof buf, "%s", arg);
	for (tok = strtok_r(buf, "@", &save); tok != NULL; tok = strtok_r(NULL, "@", &save), n++) {
		char *end;
		if (n == 0) {
			snprintf(dev, devlen, "%s", tok);
			continue;
		}
		if (strchr(tok, 'x') != NULL) {
			long a, b;
			a = strtol(tok, &end, 10);
			if (*end != 'x' || a < 16 || a > 8192)
				goto bad;
			b = strtol(end + 1, &end, 10);
			if (*end != '\0' || b < 16 || b > 8192)
				goto bad;
			*w = (int)a;
			*h = (int)b;
		} else {
			double v = strtod(tok, &end);
			if (end == tok || *end != '\0' || !isfinite(v) || v <= 0 || v > 1000)
				goto bad;
			*fps = v;
		}
		continue;
bad:
		snprintf(err, errlen, "camera \"v4l2:%s\": \"%s\" is neither WxH nor a frame rate",
		    arg, tok);
		return -1;
	}
	if (n == 0 || dev[0] == '\0') {
		snprintf(err, errlen, "camera \"v4l2:%s\": no device", arg);
		return -1;
	}
	return 0;
}

static int
v4l2_open(struct camera *c, const char *arg, char *err, size_t errlen)
{
	struct v4l2_cam *vc = calloc(1, sizeof *vc);
	int w = V4L2_DEFAULT_W, h = V4L2_DEFAULT_H;
	double fps = V4L2_DEFAULT_FPS;

	if (vc == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (parse_arg(arg, vc->dev, sizeof vc->dev, &w, &h, &fps, err, errlen) < 0 ||
	    (vc->v = cv_video_open_v4l2(vc->dev, w, h, fps, err, errlen)) == NULL) {
		free(vc);
		return -1;
	}
	vc->opened = clock_mono();
	c->live = 1;
	c->fps = cv_video_fps(vc->v);
	c->nframes = -1;
	cv_video_size(vc->v, &c->w, &c->h);
	c->priv = vc;
	return 0;
}

static int
v4l2_read(struct camera *c, struct cv_image *im, double *t, char *err, size_t errlen)
{
	struct v4l2_cam *vc = c->priv;
	int r = cv_video_read(vc->v, im, err, errlen);

	if (r == 0) {
		/* A live camera has no end: no frame means it is gone. */
		errno = ENODEV;
		snprintf(err, errlen, "%s: the camera gave no frame", vc->dev);
		return -1;
	}
	if (r < 0)
		return -1;
	*t = clock_mono() - vc->opened;
	return 1;
}

static void
v4l2_close(struct camera *c)
{
	struct v4l2_cam *vc = c->priv;

	if (vc == NULL)
		return;
	cv_video_close(vc->v);
	free(vc);
}

const struct camera_ops camera_v4l2_ops = { "v4l2", v4l2_open, v4l2_read, v4l2_close };
