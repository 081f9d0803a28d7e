/*
 * face_guide — a guided enrollment: which pose to ask for next, which
 * frames to keep (docs/faces.md "Guided enrollment").
 *
 * The person is asked for one pose after another (straight, left, right,
 * up, down); for each, frames that show exactly one face in that pose are
 * kept, up to per_pose, at least gap_s apart (different moments, not one
 * frame many times), within pose_s seconds of the camera's stream time per
 * pose.  The pose is read from the keypoints against the straight pose's
 * mean: yaw (the nose along the eye line, in eye distances) and pitch (the
 * nose below the eye line).  A pose not shown in time is skipped; the
 * straight pose needs min_front frames, else the enrollment fails.
 *
 * No camera, no detector, no store: the caller feeds it frames, their
 * stream times and their detections, says what it reports, and enrolls
 * the kept frames (face_enroll).  `smartofficed face enroll --camera`
 * (cli/face_cli.c) and the daemon's vision thread (daemon/vision.c) both
 * drive it.  One thread at a time.
 */
#ifndef SO_FACE_GUIDE_H
#define SO_FACE_GUIDE_H

#include "devices/cv.h"
#include "models/face.h"

#define FACE_GUIDE_POSES      5
#define FACE_GUIDE_PER_POSE   3      /* frames kept per pose */
#define FACE_GUIDE_MIN_FRONT  3      /* straight frames needed */
#define FACE_GUIDE_GAP_S      0.3    /* stream time between kept frames */
#define FACE_GUIDE_POSE_S     8.0    /* stream time per pose */
#define FACE_GUIDE_MAX_FRAMES (FACE_GUIDE_POSES * FACE_GUIDE_PER_POSE)

/* What a feed (or the end) reports: a mask, in the order to say them. */
enum {
	FACE_GUIDE_SKIPPED = 1 << 0,  /* pose `skipped` not seen within pose_s */
	FACE_GUIDE_POSE    = 1 << 1,  /* a new pose is asked for: `pose` */
	FACE_GUIDE_KEPT    = 1 << 2,  /* a frame of `pose` kept: got[pose] of per_pose */
	FACE_GUIDE_DONE    = 1 << 3,  /* over: enough straight frames, enroll ims[0..n) */
	FACE_GUIDE_FAILED  = 1 << 4,  /* over: too few straight frames (face_guide_why) */
};

struct face_guide {
	int             pose;         /* the pose asked for (FACE_GUIDE_POSES: all asked) */
	int             got[FACE_GUIDE_POSES];  /* frames kept per pose */
	int             skipped;      /* FACE_GUIDE_SKIPPED: which pose */
	unsigned        skipped_at_end; /* face_guide_end: bit p = pose p never seen */
	int             over;         /* DONE or FAILED reported */
	struct cv_image ims[FACE_GUIDE_MAX_FRAMES];  /* the kept frames (copies) */
	int             n;
	double          t_kept;       /* stream time of the last kept frame */
	/* the guide's own */
	double          t_pose, yaw0, pitch0;
};

/* Starts (again) at the straight pose; frees frames kept before.  A
 * zeroed struct may be started. */
void face_guide_start(struct face_guide *g);
/* Frees the kept frames (the struct may be started again). */
void face_guide_clear(struct face_guide *g);

/* 1 when a frame at stream time t could be kept (so detecting faces on it
 * is worth it); 0 while the gap since the last kept one runs, or over. */
int face_guide_wants(const struct face_guide *g, double t);

/* One frame at stream time t (non-decreasing) and its ndet detections
 * (ndet < 0: not looked at: only the clock moves).  Returns the mask of
 * what happened (0: nothing to say). */
unsigned face_guide_feed(struct face_guide *g, double t, const struct cv_image *frame,
                         const struct face_det *det, int ndet);

/* The camera ended before the last pose: poses not seen are in
 * skipped_at_end (when the straight one had enough), then DONE or FAILED.
 * 0 when already over. */
unsigned face_guide_end(struct face_guide *g);

/* FACE_GUIDE_FAILED: why, "only N frame(s) looking straight with one face;
 * at least 3 are needed". */
void face_guide_why(const struct face_guide *g, char *buf, size_t len);

/* Pose p: its name ("straight", "left", ...) and what to ask ("look
 * straight at the camera"); NULL out of range. */
const char *face_guide_pose_name(int p);
const char *face_guide_pose_say(int p);

#endif
