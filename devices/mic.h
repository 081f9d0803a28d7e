/*
 * mic — where audio comes from: 16 kHz mono signed 16-bit samples.
 *
 * Each source is one small ops table (as SQLite's VFS): a live PortAudio
 * row and a WAV-file row, picked by a spec string, so tests can put their
 * own table in (an unplugged microphone is a read that fails with ENODEV).
 *
 *   "file:PATH"          replay a WAV file (any rate, channels, 8/16/24/32
 *                        bit integer or 32-bit float PCM; converted)
 *   "portaudio"          the default capture device
 *   "portaudio:NAME"     the first capture device whose name contains NAME
 */
#ifndef SO_MIC_H
#define SO_MIC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MIC_RATE 16000

struct mic;

struct mic_ops {
	const char *name;
	/* Opens the source named by arg; 0, or -1 with err. */
	int     (*open)(struct mic *m, const char *arg, char *err, size_t errlen);
	/* Up to n samples; 0 at the end, -1 with err (and errno) on failure.
	 * A live source blocks until samples are there. */
	ssize_t (*read)(struct mic *m, int16_t *buf, size_t n, char *err, size_t errlen);
	void    (*close)(struct mic *m);
};

struct mic {
	const struct mic_ops *ops;
	void     *priv;          /* the backend's own */
	int       realtime;      /* file: pace reads to the wall clock */
	uint64_t  samples;       /* delivered so far */
	double    duration;      /* file: seconds in all, else 0 */
};

extern const struct mic_ops mic_file_ops;
extern const struct mic_ops mic_portaudio_ops;

/* Opens the source a spec names (see above). */
struct mic *mic_open(const char *spec, int realtime, char *err, size_t errlen);
/* Opens a source through a given ops table. */
struct mic *mic_open_ops(const struct mic_ops *ops, const char *arg, int realtime,
                         char *err, size_t errlen);
ssize_t mic_read(struct mic *m, int16_t *buf, size_t n, char *err, size_t errlen);
void    mic_close(struct mic *m);

/* Pa_Initialize (a PaError) with ALSA's diagnostics silenced. */
int     mic_pa_initialize(void);

#endif
