/*
 * config — smartofficed.conf: "name = value" lines, '#' comments.
 *
 * One table row per option (as Redis' config.c) binds the name to a field
 * with its type, bounds, default and one line of documentation; the
 * parser, `--print-config` and the sample smartofficed.conf all come from
 * that table.  A bad line is reported as "file:line: what is wrong", and
 * parsing goes on so that every error is reported at once (as OpenBSD's
 * parse.y).
 */
#ifndef SO_CONFIG_H
#define SO_CONFIG_H

#include <stdio.h>

#include "models/speech.h"

struct config {
	/* websocket bridge */
	char  *address;
	int    port;
	char  *web_root;
	int    ws_ring;
	int    ws_max_message;
	int    ws_max_clients, ws_max_per_address; /* connection caps (0: from the fd limit) */
	double ws_hello_s, ws_ping_s, ws_idle_s;  /* hello deadline, ping and idle timeouts */
	char  *allowed_origins;
	double ws_rate, ws_burst;
	char  *js_root, *pdfjs_dir, *documents_dir, *public_url;
	char  *office, *briefing_dir;     /* docs/conference.md */
	char  *tls_cert, *tls_key;        /* both set: https and wss (bridge.h) */
	int    pair_code_ttl;
	double remote_audio_max_s;
	char  *camera_room, *record_dir, *private_face, *private_confirm;
	char  *camera_shelf, *shelf_door;  /* docs/shelf.md */
	char  *face_model, *face_cascade_dir, *face_descriptor, *face_embed_model;
	char  *face_landmark_model;
	double face_min_score, face_threshold, face_absent_s, face_verify_timeout_s;
	int    face_every;
	double hand_engage_s, hand_disengage_s, hand_dwell_s;
	char  *hand_select;
	int    camera_mirrored;
	double cursor_min_cutoff, cursor_beta;
	char  *pointer;           /* off | uinput | file:PATH (devices/pointer.h) */
	int    pointer_width, pointer_height;
	/* files */
	char  *catalogue;
	char  *state_dir;
	/* audio in */
	char  *audio;             /* auto | demo | portaudio[:NAME] | file:PATH */
	char  *demo_audio;
	int    demo_loop;
	int    demo;              /* the demo session may play */
	double demo_pause_s;      /* ... and pauses this long after someone used a display */
	/* recognizer */
	char  *engine;            /* embedding | pocketsphinx */
	char  *speech_models;     /* folder of the embedding's ONNX models */
	char  *speech_heads;      /* heads.json of the trained heads */
	double wake_threshold;    /* 0: the wake head's own */
	char  *hmm;
	char  *cmudict;
	double kws_threshold;
	int    wake_rescore;
	double wake_min_llr;
	double cmd_min_confidence;
	int    end_silence_ms;
	int    cmd_timeout_ms;
	int    cmd_max_ms;
	char  *decoder_args;
	/* feedback */
	int    speak;
	char  *voice;
	int    cue;
	int    feedback_echo;
	int    self_mute;
	/* policy */
	char  *private_unlock;    /* voice | face */
	/* logging */
	char  *log_level;         /* warning | info | debug */
	/* MQTT broker (ui-bridge/mqtt.h, docs/mqtt.md) */
	char  *mqtt_url, *mqtt_user, *mqtt_password_file, *mqtt_cafile, *mqtt_certfile, *mqtt_keyfile;
	int    mqtt_tls_insecure, mqtt_buffer;
	char  *site, *hermes;
	char  *mqttjs_dir;        /* npm mqtt's dist/, served at /js/mqtt/ */
};

/* Fills every field with its default (data paths resolved for the build
 * tree when run from it, else the installed ones). */
void config_defaults(struct config *c);

/* Reads a file over the current values.  Returns the number of errors
 * (0 = fine); each is written to `errs` as "file:line: reason\n". */
int  config_load(struct config *c, const char *path, FILE *errs);

/* Sets one option from text ("port", "7682"); 0 or -1 with err. */
int  config_set(struct config *c, const char *name, const char *value, char *err, size_t errlen);

/* Prints every option, its documentation and current value, in the
 * format config_load reads. */
void config_print(const struct config *c, FILE *out);

/* Prints the table's defaults (installed paths), commented out: the
 * sample smartofficed.conf. */
void config_print_defaults(FILE *out);

/* The recognizer's settings from the configuration (strings borrowed). */
void config_speech(const struct config *c, struct speech_config *sc);
/*
 * A reload: every option a running daemon cannot change (all but the
 * table's live ones: catalogue, private_unlock, log_level, public_url,
 * face_verify_timeout_s) gets its running value back in *next.  Returns how
 * many differed, and their names, comma separated, in names.
 */
int  config_keep_restart_only(struct config *next, const struct config *running, char *names,
                              size_t len);
/* Is this option applied by a reload? */
int  config_is_live(const char *name);

void config_free(struct config *c);

#endif
