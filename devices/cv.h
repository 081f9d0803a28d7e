/*
 * cv — the C face of the OpenCV wrapper.
 *
 * OpenCV 4.6 is C++; the wrapper (devices/cv_*.cpp, the only C++ in the
 * tree) keeps every cv::Mat on its side and hands C code plain, typed
 * values: images, rectangles, points.  Each cv_*.h next to this file covers
 * one area (video and images, faces); this header holds the types they share.
 *
 * Conventions: every function that can fail returns 0 (or a pointer) on
 * success and -1 (or NULL) with a reason in a caller-supplied err buffer;
 * no C++ exception ever crosses the extern "C" line.
 */
#ifndef SO_CV_H
#define SO_CV_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* An 8-bit image, rows `stride` bytes apart: channels 1 (grey) or 3 (BGR,
 * OpenCV's order).  `data` is malloc'd and owned by whoever holds the
 * struct; cv_image_free() releases it. */
struct cv_image {
	int      w, h, channels;
	size_t   stride;
	uint8_t *data;
};

struct cv_rect  { float x, y, w, h; };   /* pixels, top-left origin */
struct cv_point { float x, y; };

/* Allocates w×h×channels (zeroed); -1 when out of memory. */
int  cv_image_alloc(struct cv_image *im, int w, int h, int channels);
void cv_image_free(struct cv_image *im);

#ifdef __cplusplus
}
#endif

#endif
