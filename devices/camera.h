/*
 * camera — where frames come from: BGR images with their stream time.
 *
 * The same shape as the microphone (devices/mic.h): each source is one
 * small ops table, picked by a spec string, so tests can put their own
 * table in (a camera unplugged mid-stream is a read that fails with ENODEV).
 *
 *   "file:PATH"             replay a video file (t = frame index / fps)
 *   "images:DIR[@FPS]"      replay a folder of image files sorted by name
 *                           (t = index / FPS, default 15); a DIR/frames.tsv
 *                           ("NAME<TAB>T" lines, as devices/record.c writes)
 *                           names the frames and their times instead
 *   "v4l2:DEV[@WxH][@FPS]"  a live V4L2 camera, DEV = 0 or /dev/video0;
 *                           default 640x480 at 30 fps (t = seconds since open)
 *
 * Replays are paced to the wall clock when `realtime` is set (the first
 * frame comes at once, frame k at its time after that), else as fast as the
 * reader takes them.  An image in a folder that cannot be decoded is skipped
 * with one warning naming it (a recording cut by a crash ends in such a
 * file); a folder in which none decodes is refused at open.
 *
 * camera_sup_* wraps a camera for a daemon thread: a read error is reported
 * once, then the camera is reopened with back-off, never blocking long.
 */
#ifndef SO_CAMERA_H
#define SO_CAMERA_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "devices/cv.h"

#define CAMERA_IMAGES_FPS 15.0

struct camera;

struct camera_ops {
	const char *name;
	/* Opens the source named by arg (the spec after "ROW:"); 0, or -1 with err. */
	int  (*open)(struct camera *c, const char *arg, char *err, size_t errlen);
	/* The next frame into *im (reused when the size is unchanged) and its
	 * stream time in *t: 1, 0 at the end, -1 with err (and errno) on
	 * failure.  A live source blocks until a frame is there. */
	int  (*read)(struct camera *c, struct cv_image *im, double *t, char *err, size_t errlen);
	void (*close)(struct camera *c);
};

struct camera {
	const struct camera_ops *ops;
	void     *priv;          /* the backend's own */
	char      role[32];      /* "room", "shelf", ... */
	int       realtime;      /* replays: pace reads to the wall clock */
	int       live;          /* set by a live row's open: never paced, no end */
	uint64_t  frames;        /* delivered so far */
	uint64_t  skipped;       /* images: files that did not decode */
	double    fps;           /* nominal (0 = unknown) */
	long      nframes;       /* replays: frames in all, else -1 */
	int       w, h;          /* size of the first frame, if known */
	/* pacing */
	double          start;       /* clock_mono() at the first frame */
	double    t0;
};

extern const struct camera_ops camera_file_ops;
extern const struct camera_ops camera_images_ops;
extern const struct camera_ops camera_v4l2_ops;

/* Splits a spec into its row and argument; -1 with err naming the spec. */
int  camera_parse_spec(const char *spec, const struct camera_ops **ops, const char **arg,
                       char *err, size_t errlen);
/* Opens the source a spec names (see above) for a role. */
struct camera *camera_open(const char *role, const char *spec, int realtime,
                           char *err, size_t errlen);
/* Opens a source through a given ops table. */
struct camera *camera_open_ops(const struct camera_ops *ops, const char *role, const char *arg,
                               int realtime, char *err, size_t errlen);
/* The next frame and its stream time: 1, 0 at the end, -1 with err. */
int  camera_read(struct camera *c, struct cv_image *im, double *t, char *err, size_t errlen);
void camera_close(struct camera *c);

/*
 * Stream time that goes on across a reopen: a camera or replay opened
 * again starts its own times over, so after CAMERA_SUP_BACK (set rebase)
 * the first frame comes one frame period after the last one seen, and
 * times never go back.  One per camera thread.
 */
struct camera_clock {
	double last;      /* the last frame's stream time */
	double offset;    /* added to the camera's own times */
	int    rebase;    /* the camera was reopened: offset is new at the next frame */
};
/* The stream time of a frame the camera c timed t. */
double camera_clock_frame(struct camera_clock *k, const struct camera *c, double t);

/* ---- the supervised reader ---- */

enum camera_sup_status {
	CAMERA_SUP_FRAME =  1,   /* *im and *t hold a frame */
	CAMERA_SUP_END   =  0,   /* a replay ended: stop reading */
	CAMERA_SUP_LOST  = -1,   /* the camera just failed (err says why); said once */
	CAMERA_SUP_WAIT  = -2,   /* still gone; call again (after checking your stop flag) */
	CAMERA_SUP_BACK  =  2,   /* reopened after a loss; frames follow */
};

struct camera_sup_conf {
	double backoff_min;      /* first retry after this (s); 0 = 0.5 */
	double backoff_max;      /* doubling up to this (s); 0 = 10 */
	double max_block;        /* longest a WAIT call sleeps (s); 0 = 0.25 */
	int    allow_absent;     /* a camera missing at start is LOST, not an open error */
	/* A fake clock for tests; NULL = CLOCK_MONOTONIC and nanosleep. */
	double (*now)(void *arg);
	void   (*sleep)(void *arg, double seconds);
	void    *clock_arg;
};

struct camera_sup;

/* Opens a supervised camera by spec, or through ops when ops is non-NULL
 * (then spec is the row's argument).  A bad spec is always an error; a
 * source that cannot be opened is one too unless conf->allow_absent. */
struct camera_sup *camera_sup_open(const char *role, const char *spec,
                                   const struct camera_ops *ops, int realtime,
                                   const struct camera_sup_conf *conf,
                                   char *err, size_t errlen);
/* Reads one frame, or tells what happened (enum camera_sup_status).  After
 * LOST every call is one reopen attempt when due, else a sleep of at most
 * max_block, so the caller's loop keeps control. */
int  camera_sup_read(struct camera_sup *s, struct cv_image *im, double *t,
                     char *err, size_t errlen);
/* The camera while it is open (NULL while it is gone). */
struct camera *camera_sup_camera(struct camera_sup *s);
/* Seconds until the next reopen attempt (0 when open); for logs and tests. */
double camera_sup_retry_in(const struct camera_sup *s);
/* Losses and reopen attempts so far. */
unsigned camera_sup_losses(const struct camera_sup *s);
unsigned camera_sup_attempts(const struct camera_sup *s);
void camera_sup_close(struct camera_sup *s);

#endif
