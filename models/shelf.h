/*
 * shelf — which books are on the bookshelf: a model fed one shelf-camera
 * frame at a time (BGR struct cv_image) and the state of the shelf door.
 *
 * Books carry an ArUco marker on the spine (devices/cv_shelf.h).  Each
 * marker the model has seen still in one place for return_s has a home
 * (its slot).  Decisions (docs/shelf.md):
 *
 *   taken     with the door open, the marker has been away from its home
 *             for take_s (not seen there, or seen moved out of it), the
 *             spine around the marker no longer looks as it did (a hand
 *             over the label alone, or a sticker, leaves the spine above
 *             and below in view), and the place is in view: at least half
 *             of the books within a few marker widths are still seen (a
 *             person walking past hides many at once, and then the clock
 *             stops).
 *   returned  a taken marker seen still in one place, any slot, for
 *             return_s: that place becomes its home.
 *
 * The first sighting of a marker after start-up is learnt silently.  With
 * the door closed, and for settle_s after it opens or after the camera
 * comes back, nothing is decided (the door itself sweeps across the view);
 * what was missing then is decided afterwards, so a book taken while the
 * camera was gone is still reported.  With no door sensor the door is
 * always open.
 *
 * Detection runs on the whole frame (SHELF_SCAN_FULL), or (the default,
 * SHELF_SCAN_TRACK) on windows around the known homes and the markers
 * seen last frame, plus one band of scan_bands across the frame in turn,
 * so a marker put anywhere is found within scan_bands frames.  The model
 * owns no thread and no device.
 */
#ifndef SO_SHELF_H
#define SO_SHELF_H

#include <stddef.h>

#include "devices/cv.h"
#include "devices/cv_shelf.h"

#define SHELF_NIDS CV_ARUCO_NIDS

/* How markers are found (docs/shelf.md, "Measured", has each one's figures).
 * All but FULL read the markers at home in place, search one band of the
 * frame in turn, and look in windows around a marker seen last frame away
 * from home and around the places taken books came from; they differ in
 * what a marker that fails the in-place read (hidden, or nudged) costs:
 *   INPLACE  it is read again at a few small offsets of its corners (a
 *            nudge); no window search: what moved farther the band finds;
 *   BUDGET   a window search around its home, at most search_budget
 *            windows a frame, the rest round-robin in the next frames;
 *   MERGED   a window search every frame, windows merged with the band
 *            (the detection of 2026-12-01: frames up to 16 ms).
 * TRACK, the default, is INPLACE. */
enum shelf_scan { SHELF_SCAN_TRACK, SHELF_SCAN_FULL, SHELF_SCAN_INPLACE, SHELF_SCAN_BUDGET,
                  SHELF_SCAN_MERGED };

struct shelf_config {
	double take_s;        /* away from home this long (door open) = taken (0.5) */
	double return_s;      /* seen still this long = returned / learnt (0.4) */
	double settle_s;      /* nothing decided this long after door open / camera back (0.6) */
	double move_frac;     /* farther than this × marker side from home = moved (0.6) */
	double changed_ncc;   /* spine strips correlating less than this with their
	                         reference have changed (0.6) */
	double view_frac;     /* the place is in view when this share of the books
	                         near it is seen (0.5) */
	enum shelf_scan scan; /* SHELF_SCAN_TRACK */
	int    scan_bands;    /* track: the frame is scanned in this many bands (5) */
	int    search_budget; /* BUDGET: window searches a frame at most (3) */
	struct cv_aruco_conf det;
	/* known[id] != 0: the id is in the catalogue; other ids are never
	 * taken or returned, only counted (unknown[]).  NULL: all known. */
	const unsigned char *known;
};

enum shelf_event_type { SHELF_TAKEN, SHELF_RETURNED };

struct shelf_event {
	enum shelf_event_type type;
	int    marker;
	double t;             /* stream time of the frame that decided */
	double t_since;       /* TAKEN: when it left its home; RETURNED: when it
	                         was first seen in its new place */
	float  x, y;          /* its home (RETURNED: the new one), frame pixels */
	int    moved;         /* RETURNED: in another place than it was taken from */
};

enum shelf_marker_state { SHELF_UNSEEN, SHELF_ON, SHELF_GONE };

struct shelf_stats {
	unsigned long frames, detections, decisions_held;
	unsigned long unknown[SHELF_NIDS];   /* frames an id not in the catalogue was seen */
	double det_ms_sum, det_ms_max;       /* detection time (CPU of this thread) */
};

struct shelf_config shelf_default_config(void);
/* "track", "full", "inplace", "budget", "merged": the enum, or -1. */
int shelf_scan_parse(const char *name);
struct shelf *shelf_new(const struct shelf_config *cfg, char *err, size_t errlen);
void shelf_free(struct shelf *s);

/* The door opened (open = 1) or closed, at stream time t. */
void shelf_set_door(struct shelf *s, double t, int open);
int  shelf_door_open(const struct shelf *s);
/* The camera is gone (no frames until it comes back): decisions stop;
 * the first frame after it starts a settle period. */
void shelf_camera_lost(struct shelf *s, double t);

/* One frame at stream time t: detects the markers and decides.  Writes
 * up to max events; returns how many, or -1 with err (the frame is then
 * ignored, the state kept). */
int  shelf_frame(struct shelf *s, const struct cv_image *bgr, double t,
                 struct shelf_event *ev, int max, char *err, size_t errlen);
/* The same decisions from markers found elsewhere (bgr may be NULL: the
 * spine check is then skipped, as if it had changed). */
int  shelf_observe(struct shelf *s, const struct cv_image *bgr, double t,
                   const struct cv_marker *m, int n, struct shelf_event *ev, int max);

enum shelf_marker_state shelf_marker(const struct shelf *s, int id, struct cv_point *home);
const struct shelf_stats *shelf_stats(const struct shelf *s);
/* The markers of the last frame (for tests and the debug overlay). */
int  shelf_last_markers(const struct shelf *s, const struct cv_marker **m);

#endif
