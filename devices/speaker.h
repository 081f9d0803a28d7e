/*
 * speaker — where the daemon's voice goes: 16 kHz mono signed 16-bit.
 *
 * One ops table, as the microphone's (mic.h), picked by a spec string:
 *
 *   "portaudio"      the default output device (the live row)
 *   "file:PATH"      everything played, in order, written as one WAV file
 *                    at close (the record/replay row: tests read what the
 *                    daemon said, and when)
 *   "none"           nothing is played
 *
 * A speaker that cannot be opened is not an error for the daemon: it says
 * so once and speaks to nobody (speaker_open returns NULL with err).
 */
#ifndef SO_SPEAKER_H
#define SO_SPEAKER_H

#include <stddef.h>
#include <stdint.h>

struct speaker;

struct speaker_ops {
	const char *name;
	int  (*open)(struct speaker *s, const char *arg, char *err, size_t errlen);
	/* Plays n samples, blocking until the device took them; 0 or -1. */
	int  (*play)(struct speaker *s, const int16_t *pcm, size_t n);
	void (*close)(struct speaker *s);
};

struct speaker {
	const struct speaker_ops *ops;
	void *priv;
	int   live;      /* a real device: what it plays reaches the room */
};

extern const struct speaker_ops speaker_portaudio_ops;
extern const struct speaker_ops speaker_file_ops;

/* NULL for "none" (err empty) or a failure (err says why). */
struct speaker *speaker_open(const char *spec, char *err, size_t errlen);
int             speaker_play(struct speaker *s, const int16_t *pcm, size_t n);
void            speaker_close(struct speaker *s);

#endif
