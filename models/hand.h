/*
 * hand — the hand-raise motion cursor: a tracker fed one camera frame at a
 * time (BGR struct cv_image) with the face box of the person in front
 * (from the face detector, or NULL when there is none).
 *
 * Gesture (docs/gestures.md): the RIGHT hand held up beside the head —
 * above the shoulder line, in a zone to the side of the face scaled by the
 * face's size, not on the face — for engage_s seconds engages; the hand's
 * position in an interaction box fixed to the face then drives a cursor
 * (0..1 of the screen, One Euro filtered); holding still for dwell_s (or a
 * quick raise of the other hand) selects; the hand down, or the face gone,
 * for disengage_s disengages.
 *
 * Detection is plain C on a grid of cells (2×2-pixel averages every few
 * pixels): skin chroma learnt each frame from the face box (YCrCb, with a
 * fixed fallback range), AND motion against a slowly learnt background (so
 * skin-coloured furniture never counts), connected blobs sized and placed
 * relative to the face, and a candidate that must stay consistent over
 * time.  The tracker owns no thread and no device; one tracker per camera.
 */
#ifndef SO_HAND_H
#define SO_HAND_H

#include <stddef.h>

#include "devices/cv.h"

enum hand_select {
	HAND_SELECT_DWELL,	/* hold still over a spot for dwell_s */
	HAND_SELECT_OTHER_HAND,	/* a quick raise of the other hand */
};

struct hand_config {
	double engage_s;	/* right hand held up this long engages (3.0) */
	double disengage_s;	/* hand down / face lost this long ends it (2.0) */
	enum hand_select select;/* dwell (default) or other-hand */
	double dwell_s;		/* dwell select: still this long presses (1.0) */
	double dwell_radius;	/* dwell select: "still" = within this, screen units (0.04) */
	int    mirrored;	/* the image is mirrored (selfie view): right hand on the right (0) */
	double oe_min_cutoff;	/* One Euro min cutoff, Hz (0.8) */
	double oe_beta;		/* One Euro beta, per screen unit/s (4.0) */
	double oe_d_cutoff;	/* One Euro speed cutoff, Hz (1.0) */
	int    motion;		/* require motion against the learnt background (1) */
	/* Interaction box, in face widths from the face centre: u outwards on
	 * the hand's side, v downwards. */
	double box_u0, box_u1;	/* 0.8 .. 2.8 */
	double box_v0, box_v1;	/* -1.3 .. 0.5 */
};

enum hand_event_type { HAND_ENGAGE, HAND_CURSOR, HAND_DISENGAGE };
enum hand_cursor_state { HAND_MOVE, HAND_PRESS, HAND_RELEASE };

struct hand_event {
	enum hand_event_type   type;
	double                 t;	/* stream time of the frame, seconds */
	float                  x, y;	/* HAND_CURSOR: 0..1 of the screen, top-left origin */
	enum hand_cursor_state state;	/* HAND_CURSOR */
	const char            *reason;	/* HAND_DISENGAGE: "hand down", "face lost" */
};

struct hand_tracker;

/* The defaults above. */
struct hand_config hand_default_config(void);
/* A tracker with a copy of cfg; NULL (reason in err) on a bad config or
 * no memory. */
struct hand_tracker *hand_new(const struct hand_config *cfg, char *err, size_t errlen);
void hand_free(struct hand_tracker *ht);
/* Forgets everything learnt (background, skin, engagement): a new stream. */
void hand_reset(struct hand_tracker *ht);
/* Feeds one frame (3-channel BGR; a grey frame is refused) taken at
 * stream time t (seconds, increasing) with the face box or NULL; writes
 * up to max events into ev and returns how many (at most 4 a frame), or
 * -1 for a frame it cannot use.  Frames may change size between calls
 * (the tracker starts over). */
int  hand_feed(struct hand_tracker *ht, const struct cv_image *bgr, const struct cv_rect *face,
         double t, struct hand_event *ev, size_t max);
/* 1 while engaged. */
int  hand_engaged(const struct hand_tracker *ht);
/* Where the tracker last saw the tracked hand (pixels); -1 when it has
 * none.  For tests and overlays. */
int  hand_last_point(const struct hand_tracker *ht, struct cv_point *p);

/* The mapping from a hand centre (pixels) to the unfiltered screen cursor
 * (0..1, clamped) for this face box: the interaction box of cfg, on the
 * right hand's side.  The clip generator uses it for its ground truth. */
void hand_cursor_map(const struct hand_config *cfg, const struct cv_rect *face,
         double hx, double hy, double *sx, double *sy);

#endif
