/*
 * daemon — what the service thread owns, shared by main.c (start-up, the
 * event queue, signals) and clients.c (what websocket clients ask for).
 * Only the service thread touches a struct daemon.
 */
#ifndef SO_DAEMON_H
#define SO_DAEMON_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "daemon/config.h"
#include "daemon/state.h"

struct bridge;
struct bridge_client;
struct catalogue;
struct feedback;
struct listener;
struct pairing;
struct queue;
struct remote_voice;
struct tokens;
struct vision;
struct pointer;
struct record;
struct events_file;
struct mqtt;

struct daemon {
	struct config     cfg;
	const char       *config_path;
	int               events_stdout, exit_at_eof;
	struct catalogue *cat;
	struct catalogue **held;           /* older ones a thread may still use (main.c) */
	size_t            nheld;
	struct state      state;
	struct queue     *queue;
	struct bridge    *bridge;
	struct listener  *listener;
	struct feedback  *feedback;
	struct tokens    *tokens;          /* paired devices (STATE_DIR/tokens) */
	int               tokens_unreadable; /* the file was bad at the last look */
	struct pairing   *pairing;         /* the one live pairing code */
	struct vision    *vision;          /* room camera thread, or NULL */
	struct pointer   *pointer;         /* pointer = uinput | file:PATH, or NULL */
	struct shelf_thread *shelf;        /* shelf camera and door threads (daemon/shelf.h), or NULL */
	int               shelf_done;      /* the shelf replay ended (or there is none) */
	struct record    *rec;             /* --record, or NULL */
	int               video_done, audio_done, events_done;
	struct events_file *events;        /* --events-file, or NULL */
	int               verify_started;
	int               vision_private;   /* what the vision thread was last told */
	struct remote_voice *rv;           /* remotes' voice button */
	struct mqtt      *mqtt;            /* the MQTT broker (ui-bridge/mqtt.h), or NULL */
	struct admin     *admin;           /* the admin page's view (admin.h) */
	struct conference *conf;           /* rooms, calls, the TV's briefing folder (conference.h) */
	char            **docs;            /* documents_dir PDFs: "public/x.pdf", ... */
	size_t            ndocs;
	int               quit, exit_code;
	double            eof_at, started; /* clock_mono() */
	int               at_eof;
	char             *sets[64];        /* NAME=VALUE from the command line */
	int               nsets;
	int               verbosity_set;
};

/* What the command line asks of a run (cli/smartofficed.c fills it). */
struct daemon_run_options {
	const char *audio_file;   /* --audio-file, or NULL */
	const char *events_path;  /* --events-file, or NULL */
	const char *dump_dir;     /* --dump-grammar, or NULL */
	int         check;        /* -n */
	int         realtime;     /* 0 with --no-realtime */
	int         video_cli;    /* --video-file was given */
};

/* The configuration as at start-up: defaults, d->config_path, then
 * d->sets (NAME=VALUE).  Errors go to errs; returns their count. */
int  daemon_read_config(struct daemon *d, struct config *c, FILE *errs);
/* The configuration's log_level. */
void daemon_apply_log_level(const struct config *c);
/* Makes the state directory (0700) if it is not there: 0, or -1 and errno. */
int  daemon_ensure_state_dir(const char *dir);
/* Runs the daemon on the configuration already in d->cfg until it stops;
 * returns the exit status.  Frees what it started, not d->cfg. */
int  daemon_run(struct daemon *d, const struct daemon_run_options *o);

/* SIGHUP: the configuration and catalogue again (main.c; test_reload). */
void daemon_reload(struct daemon *d);
/* One event in its two views (state.h's state_emit). */
void daemon_emit(void *ud, json_t *ev, json_t *pub);
/* Seconds since start-up, the `t` of events that come from no stream
 * (taps): the room audio's stream time while it plays, else the clock. */
double daemon_now(struct daemon *d);
/* A recognizer's result (IN_WAKE, IN_COMMAND, IN_REJECT) as the room
 * microphone's are routed: conference context, state, spoken feedback.
 * A typed command (admin.c) takes this path too. */
void daemon_route_speech(struct daemon *d, struct input *in);
/* After an input or a client's message: tell the vision thread what the
 * state now asks (verification, private mode). */
void daemon_follow_state(struct daemon *d);

#endif
