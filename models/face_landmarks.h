/*
 * face_landmarks — the 68 face landmarks (the iBUG 300-W points dlib's
 * shape predictor gives: jaw 0-16, brows 17-26, nose 27-35, the subject's
 * right eye 36-41 and left eye 42-47, mouth 48-67) from face-api.js's
 * FaceLandmark68Net (the weights of its `face_landmark_68_model`, a tfjs
 * manifest and one uint8-quantized shard, from the npm package
 * @vladmandic/face-api through tools/fetch-models), run by our own forward
 * pass in C (OpenBLAS cblas_sgemm for the pointwise convolutions, one
 * thread).  The tiny variant (`face_landmark_68_tiny_model`) loads too.
 *
 * Input: a FACE_LM_SIZE² RGB crop of the face (face_align_landmarks in
 * models/face.c makes it); output: 68 points, x and y in 0..1 of the crop.
 * The eyes' six points each give the eye aspect ratio (EAR), small when
 * the eye is closed: the liveness blink check.  This network's EAR is
 * compressed (about 0.28 open, 0.24 closed on ORL, where dlib's points
 * give about 0.3 and 0.1 to 0.15).
 *
 * A struct face_landmarks holds its scratch buffers: one per thread.
 */
#ifndef SO_FACE_LANDMARKS_H
#define SO_FACE_LANDMARKS_H

#include <stddef.h>
#include <stdint.h>

#define FACE_LM_SIZE    112     /* input is FACE_LM_SIZE² RGB */
#define FACE_LM_POINTS  68
/* the tiny variant: on ORL it tells closed eyes from open better than the
 * full one, at two thirds of its cost (docs/faces.md) */
#define FACE_LM_MODEL_FILE "face_landmark_68_tiny_model-weights_manifest.json"
#define FACE_LM_DEFAULT_MODEL "models/facerec/" FACE_LM_MODEL_FILE

/* One image alone: eyes closed when the mean EAR of both eyes is below
 * this (on ORL, tiny model: 6 of 15 closed-eye images below, none of 367
 * open ones; docs/faces.md).  Over frames, the EAR against the person's
 * own open level does better (face_blink_feed in models/face.h). */
#define FACE_LM_EAR_CLOSED 0.228

struct face_landmarks;

/* Reads the tfjs manifest and its shard (models/tfjs_weights.c: every
 * length and value checked), and checks every tensor the network needs is
 * there with its shape.  A missing, truncated or corrupt file is an error
 * naming the file and what is wrong. */
struct face_landmarks *face_landmarks_load(const char *manifest, char *err, size_t errlen);
void face_landmarks_free(struct face_landmarks *fl);
/* 1 for the tiny variant (3 dense blocks of 3 convolutions), 0 the full one. */
int  face_landmarks_tiny(const struct face_landmarks *fl);

/* Runs the network on a FACE_LM_SIZE² RGB crop (rows of `stride` bytes,
 * R G B per pixel); writes the 68 points (x, y in 0..1 of the crop). */
int face_landmarks_run(struct face_landmarks *fl, const uint8_t *rgb, size_t stride,
    float pts[FACE_LM_POINTS][2], char *err, size_t errlen);

/* The eye aspect ratio of the subject's right eye (eye 0: points 36-41) or
 * left eye (eye 1: 42-47): (|p2-p6| + |p3-p5|) / (2 |p1-p4|) (Soukupová
 * and Čech, 2016).  pts in any one scale
 * for x and y (a square crop). */
double face_landmarks_ear(const float pts[FACE_LM_POINTS][2], int eye);

#endif
