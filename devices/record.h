/*
 * record — saves what the devices capture (--record DIR), so real footage
 * from the office becomes test data and tuning material.
 *
 *   DIR/audio.wav          16 kHz mono 16-bit; the header's sizes are fixed
 *                          and the file fdatasync'd every
 *                          RECORD_WAV_SYNC_SAMPLES and at close, so a crash
 *                          or a full disk leaves a playable file
 *   DIR/ROLE/NNNNNN.jpg    one file per frame, numbered from 000000
 *   DIR/ROLE/frames.tsv    "NNNNNN.jpg<TAB>T" per frame, T the stream time;
 *                          `images:DIR/ROLE` replays it with that timing
 *
 * DIR and the role folders are made with mode 0700, files 0600: it is
 * footage of people.  A frame's JPEG is written under a temporary name and
 * renamed, and its frames.tsv line is flushed after that, so every listed
 * frame is whole.  All calls are thread-safe (the audio and camera threads
 * record at once); audio and frames take separate locks.
 */
#ifndef SO_RECORD_H
#define SO_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "devices/cv.h"

#define RECORD_WAV_SYNC_SAMPLES (2 * 16000)   /* header fixed every 2 s of audio */
#define RECORD_JPEG_QUALITY     90
#define RECORD_MAX_ROLES        8

struct record;

/* Creates DIR (and missing parents) with mode 0700, or takes an existing
 * folder; -1 with err.  A recording already there (audio.wav, or a role's
 * frames.tsv) is refused rather than mixed with the new one. */
struct record *record_open(const char *dir, char *err, size_t errlen);
/* Appends n samples (16 kHz mono) to DIR/audio.wav, made at the first call. */
int  record_audio(struct record *r, const int16_t *pcm, size_t n, char *err, size_t errlen);
/* Writes one frame of the camera `role` ([a-z0-9_-], 1..31 characters)
 * taken at stream time t. */
int  record_frame(struct record *r, const char *role, const struct cv_image *im, double t,
                  char *err, size_t errlen);
/* Frames written so far for a role; samples written so far. */
uint64_t record_frames(struct record *r, const char *role);
uint64_t record_samples(struct record *r);
/* Fixes the WAV header, closes everything and frees r (NULL is fine);
 * -1 with err when the last write failed (r is freed all the same). */
int  record_close(struct record *r, char *err, size_t errlen);

#endif
