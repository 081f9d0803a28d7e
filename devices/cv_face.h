/*
 * cv_face — the OpenCV side of face detection and recognition.
 *
 * What OpenCV does for models/face.c, behind opaque handles:
 *  - the BlazeFace network (DNN module): one image in, the raw 896 scores
 *    and 896×16 regressors out; the anchor decoding and NMS are ours (C);
 *  - cascade classifiers (Haar/LBP): rectangles, for the fallback detector
 *    and the eye check of the liveness blink;
 *  - the image helpers those need (read a file, warp to a grey crop).
 * Recognition is ours too (models/face_embed.c: the learned descriptor's
 * forward pass; models/face.c: the LBP fallback), on crops warped here.
 * Conventions of cv.h: 0 or a pointer on success, -1 or NULL with a reason
 * in err; no C++ exception crosses this line.
 */
#ifndef SO_CV_FACE_H
#define SO_CV_FACE_H

#include "devices/cv.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CV_FACENET_SIZE    128   /* network input: 128×128 RGB */
#define CV_FACENET_ANCHORS 896   /* 16×16×2 + 8×8×6 */
#define CV_FACENET_REGS    16    /* box cx,cy,w,h + 6 keypoints x,y */

/* How the input image was placed in the network's square: an input pixel
 * is net_pixel * scale - (ox, oy) (net pixels in 0..128). */
struct cv_letterbox { float scale, ox, oy; };

struct cv_facenet;
struct cv_cascade;

/* Loads the BlazeFace ONNX model (channels-last [1,128,128,3] input). */
struct cv_facenet *cv_facenet_load(const char *path, char *err, size_t errlen);
void cv_facenet_free(struct cv_facenet *net);

/* Runs the network on `im` (grey or BGR, any size), letterboxed into a
 * black square, resized to 128×128, RGB, scaled to [-1,1] as the package's
 * preprocessing does.  Fills scores[896] (logits) and regs[896×16] (in net
 * pixels, relative to each anchor) in anchor order, and *lb. */
int cv_facenet_run(struct cv_facenet *net, const struct cv_image *im, float *scores,
    float *regs, struct cv_letterbox *lb, char *err, size_t errlen);

/* OpenCV's worker threads for everything here (benchmarks on one core:
 * 1); 0 or less leaves OpenCV's default. */
void cv_face_set_threads(int n);

/* Loads a cascade classifier XML file (Haar or LBP). */
struct cv_cascade *cv_cascade_load(const char *path, char *err, size_t errlen);
void cv_cascade_free(struct cv_cascade *c);

/* Detects objects in `im` (inside `roi` when not NULL) no smaller than
 * min_size pixels; writes at most `max` rectangles (image coordinates) to
 * out, largest first, and returns how many were found (may exceed max),
 * or -1. */
int cv_cascade_detect(struct cv_cascade *c, const struct cv_image *im, const struct cv_rect *roi,
    int min_size, struct cv_rect *out, int max, char *err, size_t errlen);

/* Reads an image file (any format OpenCV reads) into *im as BGR. */
int cv_face_read_image(const char *path, struct cv_image *im, char *err, size_t errlen);

/* Warps `im` into a w×h grey crop: out(x,y) = im(m[0]x+m[1]y+m[2],
 * m[3]x+m[4]y+m[5]) (the inverse map), bilinear, border replicated. */
int cv_face_warp_grey(const struct cv_image *im, const double m[6], int w, int h,
    struct cv_image *out, char *err, size_t errlen);

/* The same warp into a w×h RGB crop written to out (rows of `stride`
 * bytes; a grey image gives R = G = B). */
int cv_face_warp_rgb(const struct cv_image *im, const double m[6], int w, int h, uint8_t *out,
    size_t stride, char *err, size_t errlen);

/* Mean grey level of `im` inside r (clipped); -1 when r is outside. */
double cv_face_mean(const struct cv_image *im, const struct cv_rect *r);

#ifdef __cplusplus
}
#endif

#endif
