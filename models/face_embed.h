/*
 * face_embed — the learned face descriptor: dlib's ResNet face recognition
 * network (29 convolutions, 128-d output; the weights of face-api.js's
 * `face_recognition_model`, a tfjs manifest and its binary shard, from the
 * npm package @vladmandic/face-api through tools/fetch-models), run by our
 * own forward pass in C (im2col + OpenBLAS cblas_sgemm, one thread).
 *
 * Input: a 150×150 RGB crop aligned as dlib's face chips are (see
 * face_embed_align_points); output: 128 floats.  Two faces of one person
 * are at a Euclidean distance under about 0.6 (dlib's figure on LFW).
 *
 * A struct face_embed holds its scratch buffers: one per thread.
 */
#ifndef SO_FACE_EMBED_H
#define SO_FACE_EMBED_H

#include <stddef.h>
#include <stdint.h>

#define FACE_EMBED_SIZE  150     /* input is FACE_EMBED_SIZE² RGB */
#define FACE_EMBED_DIM   128
#define FACE_EMBED_DEFAULT_MODEL "models/facerec/face_recognition_model-weights_manifest.json"

struct face_embed;

/* Reads the tfjs weights manifest at `manifest` and the shard files it
 * names (beside it), dequantizes (uint8/uint16 with min and scale, or
 * float32), checks every tensor the network needs is there with its shape
 * and finite, and folds each scale layer into its convolution.  A missing,
 * truncated or corrupt file is an error naming the file and what is wrong. */
struct face_embed *face_embed_load(const char *manifest, char *err, size_t errlen);
void face_embed_free(struct face_embed *fe);

/* Runs the network on a FACE_EMBED_SIZE² RGB crop (rows of `stride` bytes,
 * R G B per pixel) and writes FACE_EMBED_DIM floats to out. */
int face_embed_run(struct face_embed *fe, const uint8_t *rgb, size_t stride, float *out,
    char *err, size_t errlen);

/* Where the subject's right eye, left eye, nose tip and mouth centre lie in
 * the 150×150 crop (x, y pixels), from dlib's mean face shape with its face
 * chips' padding of 0.25: the targets of the alignment. */
void face_embed_align_points(float pts[4][2]);

/* Euclidean distance of two descriptors. */
double face_embed_distance(const float *a, const float *b);

#endif
