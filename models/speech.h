/*
 * speech — the recognizer: wake phrase, then one command.
 *
 * Fed 16 kHz mono 16-bit samples from any source, in chunks of any size.
 * Two engines sit behind this interface (config `engine`):
 *
 *  embedding (default): models/embed.c turns the audio into one 96-d
 *    speech embedding every 80 ms; small heads trained on synthetic speech
 *    (models/heads.h, `make models`) decide: the wake head over the last
 *    16 embeddings ("hey seoul" or "서울아"), the endpoint head (is the
 *    speaker still talking?) closes the command, and the intent head names
 *    the catalogue entry, or none, from the command's embeddings.
 *  pocketsphinx: keyword search for the wake phrase, each candidate
 *    re-scored against a garbage grammar (wake_min_llr), then the command
 *    grammar generated from the catalogue until an energy VAD hears the
 *    end, checked against the garbage grammar for its confidence.
 *
 * Results come out through a callback, in stream order, each stamped with
 * the stream time (seconds since the first sample) at which it was decided.
 * One thread owns a struct speech; nothing in it is shared.
 */
#ifndef SO_SPEECH_H
#define SO_SPEECH_H

#include <stddef.h>
#include <stdint.h>

#include "models/catalogue.h"

#define SPEECH_RATE 16000

enum speech_kind {
	SPEECH_WAKE,       /* wake phrase accepted; now listening for a command */
	SPEECH_COMMAND,    /* a command: entry, text, confidence */
	SPEECH_REJECT,     /* the command window ended without a command: reason */
	SPEECH_CANDIDATE,  /* (debug) a wake candidate that the re-score refused */
};

struct speech_result {
	enum speech_kind kind;
	double      t;           /* stream seconds when decided */
	double      t_speech_end;/* end of the utterance (COMMAND/REJECT), else t */
	const char *text;        /* recognized words, or NULL */
	const struct catalogue_entry *entry;   /* COMMAND */
	double      confidence;  /* 0..1 (COMMAND, REJECT low-confidence) */
	double      llr;         /* the raw per-frame score behind it */
	const char *reason;      /* REJECT: "no-command", "low-confidence", "timeout" */
};

typedef void (*speech_cb)(void *ud, const struct speech_result *r);

enum speech_engine { SPEECH_ENGINE_EMBEDDING, SPEECH_ENGINE_POCKETSPHINX };

struct grammar_extra;

struct speech_config {
	enum speech_engine engine;
	/* embedding engine */
	const char *embed_models; /* folder of melspectrogram.onnx, embedding_model.onnx */
	const char *heads;        /* the heads' manifest (heads.json) */
	double wake_threshold;    /* 0: the threshold the wake head was trained with */
	/* pocketsphinx engine (and shared: cmd_* and end_silence_ms) */
	const char *hmm;          /* acoustic model folder */
	const char *cmudict;      /* CMU dictionary to take pronunciations from */
	double kws_threshold;     /* first pass: keyword search threshold */
	double wake_min_llr;      /* second pass: wake candidate needs this */
	int    wake_rescore;      /* 0: accept every keyword-search hit (stock) */
	double cmd_min_confidence;/* below: rejected as low-confidence */
	int    end_silence_ms;    /* silence that ends a command */
	int    cmd_timeout_ms;    /* no speech this long after wake: timeout */
	int    cmd_max_ms;        /* a command longer than this is cut */
	const char *decoder_args; /* extra PocketSphinx arguments ("-lw 8 ...") */
	/* Grammar-only phrases (models/grammar.h: briefing titles, "voice
	 * call"), or NULL: the grammar hears them, no head does.  Their
	 * results' entry is one of them (not in the catalogue). */
	const struct grammar_extra *extra;
};

void speech_default_config(struct speech_config *cfg);

/* Loads the acoustic model and the grammars derived from c (which must
 * outlive the recognizer).  NULL with err on failure. */
struct speech *speech_new(const struct speech_config *cfg, const struct catalogue *c,
                          speech_cb cb, void *ud, char *err, size_t errlen);
void speech_free(struct speech *s);

/* Feeds samples; results are delivered through the callback before it returns. */
int  speech_feed(struct speech *s, const int16_t *pcm, size_t n);
/* Ends the stream: a command in progress is decided now. */
void speech_flush(struct speech *s);
/* Skip the wake phrase: the next utterance is a command (remote voice button). */
void speech_expect_command(struct speech *s);
/* The daemon's own voice plays over [from, to] stream seconds: wake
 * candidates overlapping it (and a 0.3 s tail of echo) are ignored, and a
 * command window that has heard nothing yet starts listening only at `to`. */
void speech_mute(struct speech *s, double from, double to);
/* Inside a command window (a reload must wait for its end). */
int  speech_busy(const struct speech *s);
/* Stream position in seconds. */
double speech_time(const struct speech *s);
/* A recognizer built to replace `old` (a reload) goes on at old's stream time. */
void speech_continue(struct speech *s, const struct speech *old);
/* The stream went on for `seconds` without audio (a microphone that was
 * gone): later results' times count them.  Call after speech_flush. */
void speech_skip(struct speech *s, double seconds);
enum speech_engine speech_engine(const struct speech *s);
const char *speech_engine_name(enum speech_engine e);

#endif
