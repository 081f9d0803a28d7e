/*
 * heads — the small trained networks that make the speech decisions over
 * the embeddings of models/embed.c: the wake head (is the wake phrase
 * ending now?), the endpoint head (is the speaker still talking?) and the
 * intent head (which catalogue entry, or none, was said?).
 *
 * They are trained by `make models` (models/train/) and described by a
 * manifest, models/heads/heads.json: each head's file, its SHA-256, its
 * input window, its classes and thresholds, and the SHA-256 of the
 * embedding models and of the catalogue it was trained from.  A head file:
 *
 *   "SOHEAD01"  u32 input  u32 nlayers
 *   per layer:  u32 kind  u32 in  u32 out, then its floats:
 *     1 dense        W[out][in], b[out]
 *     2 layer norm   gamma[in], beta[in]  (in == out)
 *     3 relu, 4 softmax, 5 sigmoid        (no floats)
 *     6 standardize  mean[in], 1/std[in]  (in == out)
 *
 * little-endian.  Every size is checked against the file and the manifest.
 */
#ifndef SO_HEADS_H
#define SO_HEADS_H

#include <stddef.h>

#include "models/catalogue.h"

#define HEADS_MAX_CLASSES 128

struct head;

struct head_info {
	struct head *net;
	int    window;                  /* embeddings read (wake, endpoint) */
	int    nclasses;
	char  *classes[HEADS_MAX_CLASSES];
	double threshold;               /* wake: class score; endpoint: p(talking) */
};

struct heads {
	char *path;                     /* the manifest */
	struct head_info wake, endpoint, intent;
	double intent_min_confidence;
	/* intent class -> catalogue entry (NULL for "none", and for a class
	 * the catalogue no longer has: stale) */
	const struct catalogue_entry *entries[HEADS_MAX_CLASSES];
	char stale[HEADS_MAX_CLASSES];
	const char *wake_phrases[HEADS_MAX_CLASSES];   /* words per wake class ("phrases"), or NULL */
	char *phrase_store[HEADS_MAX_CLASSES];
};

/*
 * Loads the manifest and the three heads next to it, checking every file's
 * SHA-256 and shape; mel_onnx / emb_onnx are checked against the hashes the
 * heads were trained on.  Intent classes the catalogue no longer has, and
 * catalogue entries the head was not trained on, are listed in *warn (the
 * heads still load: those classes are rejected, those entries are left to
 * the grammar's second opinion, until `make models` runs again).
 * NULL with err naming the file and what is wrong.
 */
struct heads *heads_load(const char *manifest, const char *mel_onnx, const char *emb_onnx,
                         const struct catalogue *c, char *err, size_t errlen, char *warn, size_t warnlen);
void heads_free(struct heads *h);

/* The input size of a head. */
int  head_input(const struct head *h);
/* Runs a head: in[head_input], out[classes]. */
void head_run(const struct head *h, const float *in, float *out);

/* The intent head's input from n embeddings (n >= 1): their mean, their
 * maximum, and the means of the first and second halves (4 x 96). */
#define HEADS_INTENT_INPUT (4 * 96)
void heads_intent_features(const float *emb, int n, float *out);

/* SHA-256 of a file as 64 hex digits; -1 with err if unreadable. */
int  heads_sha256_file(const char *path, char hex[65], char *err, size_t errlen);

#endif
