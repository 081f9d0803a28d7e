/*
 * embed — the speech embedding: 16 kHz audio in, one 96-d vector every
 * 80 ms out.  Our own forward pass of openWakeWord's two ONNX models
 * (melspectrogram.onnx: an STFT and a mel filterbank; embedding_model.onnx:
 * Google's speech_embedding CNN), with weights read from the model files by
 * models/onnx.c.
 *
 * Framing (the same as openWakeWord's streaming, and as the reference in
 * tests/speech/ort-reference.mjs):
 *   - mel frame i covers samples [160 i, 160 i + 512), int16-scaled;
 *     frames are made in groups of 8 (group g needs samples up to
 *     1280 g + 1632) because the model clips each call's output at its
 *     maximum - 80 dB; each value is then used as mel / 10 + 2;
 *   - embedding j reads mel frames [8 j + 4, 8 j + 80) (76 x 32) and is
 *     ready when group j + 9 is, at sample 1280 j + 13152.
 * Streaming: the CNN is valid (unpadded) along time and pools by 2 three
 * times, so every layer's rows are kept and each 80 ms computes only the
 * rows that are new; the result equals running the model on each window.
 */
#ifndef SO_EMBED_H
#define SO_EMBED_H

#include <stddef.h>
#include <stdint.h>

#define EMBED_DIM      96
#define EMBED_MELS     32
#define EMBED_HOP      1280          /* samples between embeddings (80 ms) */
#define EMBED_FIRST    13152         /* samples until embedding 0 */
#define EMBED_WINDOW   76            /* mel frames an embedding reads */

struct embed_model;
struct embed_stream;

/* Loads both models and checks that their graphs are the ones this forward
 * pass implements.  NULL with err ("FILE: what is wrong") on failure. */
struct embed_model *embed_model_load(const char *mel_onnx, const char *emb_onnx,
                                     char *err, size_t errlen);
void embed_model_free(struct embed_model *m);

/* One embedding: its index j, the vector, and the stream sample at which
 * it was ready (1280 j + 13152). */
typedef void (*embed_cb)(void *ud, uint64_t j, const float *emb, uint64_t at);
/* One mel frame (after mel / 10 + 2), for tests. */
typedef void (*embed_mel_cb)(void *ud, uint64_t i, const float *mel);

struct embed_stream *embed_stream_new(const struct embed_model *m, embed_cb cb, void *ud);
void embed_stream_free(struct embed_stream *s);
void embed_stream_set_mel_cb(struct embed_stream *s, embed_mel_cb cb, void *ud);
/* Feeds samples in chunks of any size; embeddings come out through the
 * callback before it returns. */
void embed_feed(struct embed_stream *s, const int16_t *pcm, size_t n);
/* Samples fed so far. */
uint64_t embed_samples(const struct embed_stream *s);

/* n samples of quiet white noise (about -75 dBFS), always the same: the
 * room before anyone speaks.  The training clips' lead-in and the daemon's
 * pre-roll are both this, so the heads see at run time what they learnt. */
void embed_quiet_noise(int16_t *out, size_t n);

/* Multiply-adds one embedding costs when streaming, and as a whole window
 * (for the bench). */
void embed_model_cost(const struct embed_model *m, double *stream_macs, double *window_macs);

#endif
