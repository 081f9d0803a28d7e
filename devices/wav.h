/*
 * wav — reads RIFF/WAVE files and converts them to 16 kHz mono 16-bit.
 *
 * Accepted: PCM integer 8 (unsigned), 16, 24 and 32 bit, IEEE float 32
 * bit, WAVE_FORMAT_EXTENSIBLE with either, any channel count (mixed down
 * to mono by averaging) and any rate from 4 kHz to 192 kHz (resampled by
 * linear interpolation after a box low-pass when going down).  Refused,
 * with the reason: not RIFF/WAVE, no fmt or data chunk, compressed
 * formats (ADPCM, A-law, mu-law, ...), absurd headers.  A data chunk
 * shorter than its header claims (a truncated file) is read up to where
 * it stops, with a warning in *warn.
 */
#ifndef SO_WAV_H
#define SO_WAV_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct wav_info {
	unsigned rate, channels, bits;
	int      is_float;
	uint64_t frames;         /* frames in the data chunk as present */
	int      truncated;
};

/* Reads the whole file as 16 kHz mono.  Returns 0 with *pcm (malloc'd) and
 * *n, or -1 with err ("PATH: what is wrong"). */
int wav_load(const char *path, int16_t **pcm, size_t *n, struct wav_info *info,
             char *err, size_t errlen, char *warn, size_t warnlen);

/* Parses a header from an open file, leaving it at the data. */
int wav_read_header(FILE *f, const char *path, struct wav_info *info, char *err, size_t errlen);

/* Resamples mono 16-bit from `rate` to 16 kHz (malloc'd result). */
int16_t *wav_resample(const int16_t *in, size_t n, unsigned rate, size_t *out_n);

/* Writes mono 16-bit samples at `rate` as a WAV file (mode 0644), whole
 * or not at all: a new file beside PATH, fsync'd and renamed over it
 * (base/sysio.h), so a failure leaves the old file.  0, or -1 with errno
 * and err ("PATH: write: No space left on device"). */
int wav_save(const char *path, const int16_t *pcm, size_t n, unsigned rate,
             char *err, size_t errlen);
/* wav_save without the message (errno says why). */
int wav_write(const char *path, const int16_t *pcm, size_t n, unsigned rate);

#endif
