/*
 * remote_voice — the recognizer behind a remote's voice button.
 *
 * A worker thread owns a second struct speech (loaded once, at start-up:
 * the acoustic model takes a while) and sleeps until a remote streams
 * audio.  The service thread only copies the client's bytes in (raw 16 kHz
 * s16le, any frame size, odd byte counts included) and never waits for
 * decoding.  The worker decodes each stream as one command, without the
 * wake phrase, and pushes exactly one IN_COMMAND or IN_REJECT input per
 * stream that was ended (audio-end, or cut at max_s), carrying the
 * stream's client id and request id, source "remote-voice".  Times in it
 * are seconds from the start of that stream.  One stream at a time; a
 * cancelled stream (the client went away) gives no result.
 */
#ifndef SO_REMOTE_VOICE_H
#define SO_REMOTE_VOICE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "models/speech.h"

struct queue;
struct remote_voice;

/* Loads the recognizer and starts the (idle) thread.  cfg is copied; cat
 * must outlive its use (see remote_voice_set_catalogue).  Results go to q,
 * then wake(wake_ud) is called (bridge_wakeup).  NULL with err on failure. */
struct remote_voice *remote_voice_new(const struct speech_config *cfg, const struct catalogue *cat,
                                      struct queue *q, void (*wake)(void *), void *wake_ud,
                                      double max_s, char *err, size_t errlen);
/* Stops the thread (a stream in progress is dropped) and frees everything. */
void remote_voice_free(struct remote_voice *rv);

/* Service thread (all of these only take a mutex and copy):
 * start: 0, or -1 while another stream is open or still being decoded. */
int  remote_voice_start(struct remote_voice *rv, uint64_t client_id, json_int_t request_id);
/* Raw s16le bytes of client_id's stream.  0 taken (or dropped because the
 * stream was cut at max_s: the result is on its way), -1 when client_id
 * has no stream (binary-not-supported). */
int  remote_voice_feed(struct remote_voice *rv, uint64_t client_id, const void *bytes, size_t len);
/* audio-end: the result follows through the queue, carrying reply_id (the
 * audio-end's id, -1 for none) as its request_id, since it answers that
 * message.  A stream cut at max_s has already answered with the
 * audio-start's id.  -1 when client_id has no stream. */
int  remote_voice_end(struct remote_voice *rv, uint64_t client_id, json_int_t reply_id);
/* The client disconnected: its stream, if any, is dropped without result. */
void remote_voice_cancel(struct remote_voice *rv, uint64_t client_id);
/* Reload: the recognizer is rebuilt for cat between streams (the old
 * catalogue comes with a reference the thread drops once it has switched
 * away from it, as for the listener). */
void remote_voice_set_catalogue(struct remote_voice *rv, const struct catalogue *cat);
/* The grammar-only phrases (conference.h) for the next stream on, with the
 * caller's reference to extra (NULL: none), as listener_set_grammar. */
void remote_voice_set_grammar(struct remote_voice *rv, const struct grammar_extra *extra);
/* Is a stream open or being decoded (for the service thread's busy). */
int  remote_voice_busy(struct remote_voice *rv);

#endif
