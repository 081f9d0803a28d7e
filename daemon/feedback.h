/*
 * feedback — what the daemon says back: a short cue after the wake
 * phrase, the chosen screen's name, "Sorry?".
 *
 * Its own thread synthesizes (models/tts.h, espeak-ng) and plays
 * (devices/speaker.h), so the service thread never waits for speech.  Each request carries the listener's ticket: once the audio is
 * known, the feedback thread hands it to the listener (listener_ack),
 * which will not wake on it (and, with feedback_echo, mixes it into the
 * replayed input as a loudspeaker would).
 */
#ifndef SO_FEEDBACK_H
#define SO_FEEDBACK_H

#include <stddef.h>
#include <stdint.h>

struct listener;
struct feedback;

struct feedback_config {
	int         speak;       /* say words */
	int         cue;         /* play the wake cue */
	int         play;        /* open the output device (when speaker is NULL) */
	const char *voice;       /* espeak-ng voice */
	const char *speaker;     /* speaker.h spec, or NULL: play ? "portaudio" : "none" */
};

struct feedback *feedback_new(const struct feedback_config *cfg, struct listener *l);
/* Service thread: say text (may be NULL) and/or the cue, then ack ticket. */
void feedback_request(struct feedback *f, const char *text, int cue, unsigned long ticket);
void feedback_free(struct feedback *f);

#endif
