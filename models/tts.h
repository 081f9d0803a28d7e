/*
 * tts — the daemon's spoken words: espeak-ng synthesis at 16 kHz mono,
 * and the wake cue.  espeak-ng is process-global; tts serialises its
 * callers and starts it on first use.
 */
#ifndef SO_TTS_H
#define SO_TTS_H

#include <stddef.h>
#include <stdint.h>

/* Synthesizes text as 16 kHz mono (malloc'd, *n samples); NULL when
 * espeak-ng cannot start or cannot say it (a missing voice is warned
 * about once per call and the default voice speaks). */
int16_t *tts_synth(const char *voice, const char *text, size_t *n);
/* The wake cue, two short rising tones, as 16 kHz mono (malloc'd). */
int16_t *tts_cue(size_t *n);
/* Stops espeak-ng and frees its buffer, once no thread synthesizes any
 * more: at exit (espeak-ng does not start again in the same process). */
void     tts_shutdown(void);

#endif
