/*
 * mic — where audio comes from: 16 kHz mono signed 16-bit samples.
 *
 * Each source is one small ops table (as SQLite's VFS): two live rows
 * (ALSA directly, and PortAudio) and a WAV-file row, picked by a spec
 * string, so tests can put their own table in (an unplugged microphone is
 * a read that fails with ENODEV).
 *
 *   "file:PATH"          replay a WAV file (any rate, channels, 8/16/24/32
 *                        bit integer or 32-bit float PCM; converted)
 *   "file:PATH@unplug=T+D[,T+D...]"
 *                        the same, as a microphone that is unplugged at T
 *                        seconds into the file and plugged back D seconds
 *                        later (see "unplug" below)
 *   "alsa"               ALSA's default capture PCM ("alsa:default")
 *   "alsa:PCM"           the ALSA PCM of that name: hw:1,0, plughw:CARD=ID,
 *                        plughw:CARD=smartofficemic (the udev rules' id,
 *                        docs/install.md), or one from an asoundrc; 16 kHz
 *                        mono S16, converted by ALSA (a hw: PCM that
 *                        cannot is opened as plughw: instead).  A loss
 *                        closes the PCM and a reopen opens it again by
 *                        name, so a card that returns is found (mic_alsa.c)
 *   "portaudio"          the default capture device
 *   "portaudio:NAME"     the first capture device whose name contains NAME
 *
 * mic_sup_* wraps a source for the listener thread as camera_sup_* does a
 * camera: a failed read is reported once (LOST), the source is reopened
 * with back-off (at most 1 s apart, so a microphone that returns is heard
 * again within about 1 s), and BACK says how long the stream was without
 * audio, so that stream time goes on as the wall clock did.  The gap is
 * counted in whole MIC_SUP_STEP steps (80 ms: the speech embedding's hop,
 * eight PocketSphinx frames), rounded up, so that a replay resumes on the
 * frame grid it had: the same audio gives the same decisions.
 *
 * unplug: a replay of a device that comes and goes.  The file's timeline is
 * the room's: a read that reaches T fails with ENODEV (as PortAudio's does
 * when ALSA loses a USB microphone); an open at a stream position inside
 * [T, T+D) fails with ENODEV too ("absent"); the supervisor's position
 * advances with the wall clock while the source is gone, so the replay
 * goes on at T + (time gone) -- what was said meanwhile is not heard, and
 * nothing is heard twice.
 *
 * Limits of the live row, measured in a VM with ALSA's snd-dummy card
 * unbound from its driver (a card vanishing as ALSA sees a USB unplug):
 * the loss is seen 0.07 to 1.2 s after it (a host error, or no samples for
 * 1 s).  PortAudio 19.6 then leaves the capture's device files open
 * (Pa_CloseStream aborts first, and gives up when that fails), so the
 * kernel keeps the old card while the daemon runs: a microphone plugged
 * back is a new card, which only a fresh PortAudio device list (no other
 * PortAudio stream open; the spoken feedback keeps one) can name.  Not yet
 * tried on a real USB microphone.  The ALSA row has not that limit: it
 * closes its own PCM (tests/tools/mic-vm measures both rows).
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
	uint64_t  resume_at;     /* set before open: the sample of the file it
	                          * starts at (a reopen after a loss); live
	                          * rows start at the present whatever it says */
};

extern const struct mic_ops mic_file_ops;
extern const struct mic_ops mic_portaudio_ops;
extern const struct mic_ops mic_alsa_ops;

/* Splits a spec into its row and argument; -1 with err naming the spec. */
int  mic_parse_spec(const char *spec, const struct mic_ops **ops, const char **arg,
                    char *err, size_t errlen);
/* Opens the source a spec names (see above). */
struct mic *mic_open(const char *spec, int realtime, char *err, size_t errlen);
/* Opens a source through a given ops table. */
struct mic *mic_open_ops(const struct mic_ops *ops, const char *arg, int realtime,
                         char *err, size_t errlen);
/* The same, starting at sample `at` of a replay (see resume_at). */
struct mic *mic_open_at(const struct mic_ops *ops, const char *arg, int realtime, uint64_t at,
                        char *err, size_t errlen);
ssize_t mic_read(struct mic *m, int16_t *buf, size_t n, char *err, size_t errlen);
void    mic_close(struct mic *m);

/* ---- the supervised reader ---- */

#define MIC_SUP_STEP 1280      /* samples: the gap's unit (80 ms) */

enum mic_sup_status {
	MIC_SUP_END  =  0,   /* a replay ended: stop reading (or mic_sup_rewind) */
	MIC_SUP_LOST = -1,   /* the source just failed (err says why); said once */
	MIC_SUP_WAIT = -2,   /* still gone; call again (after checking your stop flag) */
	MIC_SUP_BACK = -3,   /* reopened after a loss (mic_sup_gap: how long it was gone) */
};

struct mic_sup_conf {
	double backoff_min;      /* first retry after this (s); 0 = 0.25 */
	double backoff_max;      /* doubling up to this (s); 0 = 1 */
	double max_block;        /* longest a WAIT call sleeps (s); 0 = 0.25 */
	int    allow_absent;     /* a source missing at start is LOST, not an open error */
	/* A fake clock for tests; NULL = CLOCK_MONOTONIC and nanosleep. */
	double (*now)(void *arg);
	void   (*sleep)(void *arg, double seconds);
	void    *clock_arg;
};

struct mic_sup;

/* Opens a supervised source by spec, or through ops when ops is non-NULL
 * (then spec is the row's argument).  A bad spec is always an error; a
 * source that cannot be opened is one too unless conf->allow_absent. */
struct mic_sup *mic_sup_open(const char *spec, const struct mic_ops *ops, int realtime,
                             const struct mic_sup_conf *conf, char *err, size_t errlen);
/* Up to n samples (> 0), or what happened (enum mic_sup_status).  After
 * LOST every call is one reopen attempt when due, else a sleep of at most
 * max_block, so the caller's loop keeps control. */
ssize_t mic_sup_read(struct mic_sup *s, int16_t *buf, size_t n, char *err, size_t errlen);
/* A replay that ended starts again from its beginning, the stream going
 * on (the demo loop); 0, or -1 with err. */
int     mic_sup_rewind(struct mic_sup *s, char *err, size_t errlen);
/* Seconds without audio between the last LOST and BACK. */
double  mic_sup_gap(const struct mic_sup *s);
/* Stream position in samples: delivered plus the gaps. */
uint64_t mic_sup_position(const struct mic_sup *s);
/* The source while it is open (NULL while it is gone). */
struct mic *mic_sup_mic(struct mic_sup *s);
/* Losses and reopen attempts so far; seconds until the next attempt. */
unsigned mic_sup_losses(const struct mic_sup *s);
unsigned mic_sup_attempts(const struct mic_sup *s);
double   mic_sup_retry_in(const struct mic_sup *s);
void    mic_sup_close(struct mic_sup *s);

/* The ALSA row: overruns recovered so far (not losses), and the PCM name
 * it opened (plughw:... when a hw: PCM needed converting); 0 and NULL
 * for another row's source. */
unsigned    mic_alsa_overruns(const struct mic *m);
const char *mic_alsa_name(const struct mic *m);

/* Pa_Initialize (a PaError) with ALSA's diagnostics silenced. */
int     mic_pa_initialize(void);

#endif
