/*
 * cv_shelf — ArUco markers through OpenCV 4.6 contrib (the C side).
 *
 * Books on the shelf carry a printed ArUco marker on their spine
 * (dictionary DICT_4X4_50: ids 0..49, 4x4 bits, one-cell black border;
 * the largest minimum Hamming distance of the 4x4 families, so a marker
 * half in shadow is not read as another).  This header finds them in a
 * frame and draws them (for the clip generator and the printable sheet).
 *
 * A detector keeps its parameters and scratch images, so a reader loop
 * allocates once.  No C++ exception crosses this line: each becomes -1
 * and a reason in err (devices/cv_guard.hpp).
 */
#ifndef SO_CV_SHELF_H
#define SO_CV_SHELF_H

#include <stddef.h>

#include "devices/cv.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CV_ARUCO_NIDS   50       /* DICT_4X4_50 */
#define CV_ARUCO_MAX    64       /* markers one call reports at most */

struct cv_marker {
	int             id;
	struct cv_point corner[4];   /* frame pixels, clockwise from top-left */
	struct cv_point centre;
	float           side;        /* mean side length, pixels */
};

struct cv_aruco_conf {
	float min_side_px;           /* smaller markers are not looked for; 0 = 8 */
	int   fast;                  /* 1: one adaptive threshold window, not three */
	int   aruco3;                /* 1: OpenCV's ArUco3 (detect on a downscaled image) */
};

struct cv_aruco;

struct cv_aruco *cv_aruco_new(const struct cv_aruco_conf *conf, char *err, size_t errlen);
/* Finds markers in the rectangle roi of im (NULL: all of it; clipped to
 * the image), grey or BGR.  Writes up to max markers, corners in frame
 * pixels; returns how many, or -1 with err. */
int  cv_aruco_detect(struct cv_aruco *a, const struct cv_image *im, const struct cv_rect *roi,
                     struct cv_marker *out, int max, char *err, size_t errlen);
/* Checks that marker m->id is still where m says (same corners, give or
 * take a pixel or two): reads its cells straight from the image (a 24x24
 * warp, Otsu threshold) instead of searching.  1 yes, 0 no, -1 with err.
 * About a hundredth of a window search, for markers that have not moved. */
int  cv_aruco_verify(struct cv_aruco *a, const struct cv_image *im, const struct cv_marker *m,
                     char *err, size_t errlen);
/* Larger markers than side_px are not looked for by the next detections
 * (0: no limit, the default).  OpenCV otherwise follows every big square
 * of a window (a striped shirt, a door frame) through to decoding. */
void cv_aruco_set_max_side(struct cv_aruco *a, float side_px);
void cv_aruco_free(struct cv_aruco *a);

/* Draws marker id as a side×side grey image (black and white, border
 * included) into *out (zeroed or reused). */
int  cv_aruco_draw(int id, int side, struct cv_image *out, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
