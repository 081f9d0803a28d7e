/*
 * feedback — what the daemon says back: a short cue after the wake
 * phrase, the chosen screen's name, "Sorry?".
 *
 * Its own thread synthesizes with espeak-ng (and plays through PortAudio
 * when there is an output device), so the service thread never waits for
 * speech.  Each request carries the listener's ticket: once the audio is
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
	int         play;        /* open an output device */
	const char *voice;       /* espeak-ng voice */
};

struct feedback *feedback_new(const struct feedback_config *cfg, struct listener *l);
/* Service thread: say text (may be NULL) and/or the cue, then ack ticket. */
void feedback_request(struct feedback *f, const char *text, int cue, unsigned long ticket);
void feedback_free(struct feedback *f);

/* Synthesizes text as 16 kHz mono (malloc'd); NULL when espeak-ng fails.
 * Service of the feedback thread, exposed for tests and benchmarks. */
int16_t *feedback_synth(const char *voice, const char *text, size_t *n);
/* The wake cue as 16 kHz mono (malloc'd). */
int16_t *feedback_cue(size_t *n);

#endif
