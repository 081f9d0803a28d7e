/*
 * speech_engine — the recognizers behind models/speech.h, for speech.c
 * alone: the same calls, one set per engine.
 *   speech_emb_*  the speech embedding with trained heads (models/heads.h)
 *   speech_ps_*   PocketSphinx keyword search, grammar and re-scoring
 */
#ifndef SO_SPEECH_ENGINE_H
#define SO_SPEECH_ENGINE_H

#include "models/speech.h"

#define SPEECH_ENGINE_OPS(P, T)                                                          \
	T *P##_new(const struct speech_config *cfg, const struct catalogue *c, speech_cb cb, \
	    void *ud, char *err, size_t errlen);                                             \
	void   P##_free(T *s);                                                               \
	int    P##_feed(T *s, const int16_t *pcm, size_t n);                                 \
	void   P##_flush(T *s);                                                              \
	void   P##_expect_command(T *s);                                                     \
	void   P##_mute(T *s, double from, double to);                                       \
	int    P##_busy(const T *s);                                                         \
	double P##_time(const T *s);

struct speech_ps;
struct speech_emb;
SPEECH_ENGINE_OPS(speech_ps, struct speech_ps)
SPEECH_ENGINE_OPS(speech_emb, struct speech_emb)

#endif
