/*
 * tfjs_weights — the weights of a TensorFlow.js layers model: its JSON
 * manifest (groups of shard file names and tensor descriptions) and the
 * binary shards beside it, dequantized to float32.  Shared by the forward
 * passes of face-api.js's networks (models/face_embed.c, the descriptor;
 * models/face_landmarks.c, the 68 landmarks).
 *
 * Every length and value from the files is checked: a missing, truncated,
 * padded, garbled or foreign manifest or shard, or a value that is not a
 * number, is an error naming the file and what is wrong.
 */
#ifndef SO_TFJS_WEIGHTS_H
#define SO_TFJS_WEIGHTS_H

#include <stddef.h>

struct tfjs_tensor {
	char   name[96];
	int    shape[4], rank;
	size_t n;           /* product of the shape */
	float *v;           /* n values, row-major in the tfjs layout */
};

struct tfjs_weights {
	struct tfjs_tensor *t;
	int                 n;
};

/* Reads `manifest` and its shards (file names without a folder, beside it)
 * into w: float32 tensors, stored as float32 or quantized to uint8/uint16
 * with min and scale.  The shards of a group must hold exactly the bytes
 * the group describes. */
int  tfjs_weights_load(const char *manifest, struct tfjs_weights *w, char *err, size_t errlen);
void tfjs_weights_free(struct tfjs_weights *w);

/* The tensor called name, or NULL. */
const struct tfjs_tensor *tfjs_weights_find(const struct tfjs_weights *w, const char *name);

/* The tensor called PREFIX/LEAF (LEAF alone when prefix is NULL) with
 * exactly this rank and shape; else NULL and "MANIFEST: no tensor NAME: not
 * the WHAT" or "... has the wrong shape for the WHAT" (what: "face
 * recognition model", ...). */
const struct tfjs_tensor *tfjs_weights_need(const struct tfjs_weights *w, const char *manifest,
    const char *what, const char *prefix, const char *leaf, int rank, const int *shape,
    char *err, size_t errlen);

#endif
