/*
 * listener — the audio thread: microphone → recognizer → input queue.
 *
 * It owns the microphone and the recognizer and nothing else.  Each
 * recognition result is copied into the queue and the service thread is
 * woken; for results that cause spoken feedback the thread then waits
 * (bounded) for the feedback's audio, so that it knows when not to listen
 * to itself, and so that a file replayed as fast as possible gives the
 * same events as one replayed in real time.
 */
#ifndef SO_LISTENER_H
#define SO_LISTENER_H

#include <stddef.h>
#include <stdint.h>

#include "models/speech.h"

struct queue;
struct record;
struct listener;

struct listener_config {
	const char *source;        /* mic spec: file:PATH, portaudio[:NAME] */
	int         realtime;      /* file: pace to the wall clock */
	int         loop;          /* file: start again at the end */
	int         echo;          /* mix feedback audio into the input */
	int         self_mute;     /* deaf to wake while our feedback plays */
	struct record *rec;        /* --record: keep what the microphone hears (or NULL) */
	struct speech_config speech;
};

/* Opens the source and loads the recognizer; NULL with err on failure.
 * cat comes with a reference (catalogue_ref) that the listener drops once
 * it has switched away from it or is freed; on failure it stays the
 * caller's. */
struct listener *listener_new(const struct listener_config *cfg, const struct catalogue *cat,
                              struct queue *q, void (*wake)(void *), void *wake_ud,
                              char *err, size_t errlen);
int  listener_start(struct listener *l);
/* Asks the thread to stop and joins it. */
void listener_stop(struct listener *l);
void listener_free(struct listener *l);
/* Service thread: use this catalogue from the next chunk on (reload); it
 * comes with a reference of its own that the listener drops, as above. */
void listener_set_catalogue(struct listener *l, const struct catalogue *cat);
/* Service thread: these grammar-only phrases (models/grammar.h; NULL for
 * none) from the next utterance boundary on, with the catalogue if one is
 * waiting too; extra comes with a reference the listener takes. */
struct grammar_extra;
void listener_set_grammar(struct listener *l, const struct grammar_extra *extra);
/* Feedback thread: the audio answering `ticket` (16 kHz mono, may be
 * NULL/0; takes ownership of pcm), and whether it is played on a
 * loudspeaker (then the listener must not take it for the user). */
/* Any thread: 1 and *db, the level of the last 20 ms the microphone gave
 * (RMS, dB below full scale, -100 for silence), once it gave any; else 0. */
int  listener_level(struct listener *l, double *db);
/* The audio source it reads ("portaudio", "file:PATH"; "" for NULL). */
const char *listener_source(const struct listener *l);
void listener_ack(struct listener *l, unsigned long ticket, int16_t *pcm, size_t n, int audible);

#endif
