/*
 * smartofficed — hands-free controls for the digital mayor's office.
 *
 * The main thread is the service thread: it runs libwebsockets' loop and
 * owns the interaction state and every client.  The listener thread
 * (microphone + recognizer) and the feedback thread (espeak-ng) only hand
 * it inputs through the queue and wake it with lws_cancel_service(); a
 * signal thread turns SIGINT/SIGTERM/SIGHUP into inputs the same way, so
 * no signal handler ever runs.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemon/admin.h"
#include "daemon/conference.h"
#include "daemon/clients.h"
#include "base/xalloc.h"
#include "daemon/config.h"
#include "daemon/daemon.h"
#include "daemon/feedback.h"
#include "daemon/listener.h"
#include "base/clock.h"
#include "base/log.h"
#include "daemon/pairing.h"
#include "daemon/remote_voice.h"
#include "daemon/service.h"
#include "daemon/tokens.h"
#include "daemon/vision.h"
#include "daemon/shelf.h"
#include "daemon/statedir.h"
#include "devices/events_file.h"
#include "devices/pointer.h"
#include "devices/record.h"
#include "models/face.h"
#include "models/hand.h"
#include "models/tts.h"
#include "base/queue.h"
#include "base/sysio.h"
#include "daemon/state.h"
#include "devices/mic.h"
#include "models/catalogue.h"
#include "models/grammar.h"
#include "ui-bridge/bridge.h"
#include "devices/camera.h"
#include "devices/door.h"
#include "ui-bridge/mqtt.h"
#include "ui-bridge/protocol.h"


/*
 * Websocket clients in all when ws_max_clients is 0: as many as the file
 * descriptor limit leaves room for once WS_FD_RESERVE are kept for files,
 * devices and page loads, so accept(2) never fails for want of one.
 */
#define WS_FD_RESERVE      64


/* ---- events to clients ---- */

/* One event in its two views (state.h): stdout gets the full one. */
void
daemon_emit(void *ud, json_t *ev, json_t *pub)
{
	struct daemon *d = ud;
	char *s = json_dumps(ev, JSON_COMPACT | JSON_REAL_PRECISION(10)), *p = NULL;

	if (s == NULL)
		return;
	admin_observe(d, ev);
	if (pub != NULL && pub != ev)
		p = json_dumps(pub, JSON_COMPACT | JSON_REAL_PRECISION(10));
	if (d->events_stdout) {
		fputs(s, stdout);
		fputc('\n', stdout);
		fflush(stdout);
	}
	if (d->bridge != NULL)
		bridge_broadcast_view(d->bridge, s, strlen(s), pub == ev ? s : p,
		    pub == ev ? strlen(s) : p != NULL ? strlen(p) : 0);
	if (d->mqtt != NULL) {	/* the same two texts; then the retained hellos */
		mqtt_publish_event(d->mqtt, s, strlen(s), pub == ev ? s : p,
		    pub == ev ? strlen(s) : p != NULL ? strlen(p) : 0);
		const char *type = json_string_value(json_object_get(ev, "type")) ?: "";
		if (strcmp(type, "cursor") != 0 && strcmp(type, "preview") != 0)	/* nothing retained changed */
			clients_mqtt_state(d);
	}
	free(p);
	free(s);
}

static char *
hello_hook(void *ud, struct bridge_client *c)
{
	return clients_hello(ud, c, 0, 0);
}

static void
message_hook(void *ud, struct bridge_client *c, const json_t *msg, const char *raw, size_t len)
{
	(void)raw;
	(void)len;
	clients_message(ud, c, msg);
}

static void
binary_hook(void *ud, struct bridge_client *c, const void *buf, size_t len)
{
	clients_binary(ud, c, buf, len);
}

static void
close_hook(void *ud, struct bridge_client *c)
{
	clients_closed(ud, c);
}

static int
token_hook(void *ud, const char *token)
{
	return clients_token_ok(ud, token);
}

static void release_held(struct daemon *d);

/* Housekeeping, once a second: a token revoked from the command line takes
 * effect on the running daemon; old catalogues the threads let go of are
 * freed; a changed briefing folder is listed again. */
static void
cron(void *ud)
{
	clients_check_tokens(ud);
	admin_tick(ud);		/* a demo pause that ran out: the walls' badge */
	conference_tick(ud);
	release_held(ud);
	service_tick(bridge_clients(((struct daemon *)ud)->bridge));	/* WATCHDOG=1 */
	clients_mqtt_state(ud);
}

/* --dump-grammar: what the recognizer is given, for inspection and for
 * running stock PocketSphinx tools on the same grammar. */
static int
dump_grammar(struct daemon *d, const char *dir)
{
	struct { const char *name; char *text; } g[3] = {
		{ "command.jsgf", grammar_command_jsgf_x(d->cat, conference_grammar(d)) },
		{ "wake.jsgf", grammar_wake_jsgf(d->cat) },
		{ "garbage.jsgf", grammar_garbage_jsgf_x(d->cat, conference_grammar(d)) },
	};
	char path[4096], err[4096];
	FILE *f;
	int rc = 0;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		log_warn("%s", dir);
		rc = 1;
	}
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, g[i].name);
		if (rc == 0 && ((f = fopen(path, "w")) == NULL || fputs(g[i].text, f) < 0 || fclose(f) != 0)) {
			log_warn("%s", path);
			rc = 1;
		}
		free(g[i].text);
	}
	snprintf(path, sizeof path, "%s/words.dict", dir);
	if (rc == 0 && (f = fopen(path, "w")) != NULL) {
		if (grammar_write_dict_x(d->cat, conference_grammar(d), d->cfg.cmudict, f, err, sizeof err) < 0) {
			fputs(err, stderr);
			rc = 1;
		}
		fclose(f);
	} else if (rc == 0) {
		log_warn("%s", path);
		rc = 1;
	}
	if (rc == 0)
		printf("%s: command.jsgf wake.jsgf garbage.jsgf words.dict\n", dir);
	return rc;
}

/*
 * Catalogue lifetimes across reloads.  The service thread (d->cat, the
 * state), the room listener and the remote voice recognizer each use a
 * catalogue, and the last two switch to a new one on their own threads
 * when they are between utterances, so the service thread cannot tell
 * when an old one is no longer in use.  Hence references (catalogue.h):
 * this file holds one on the catalogue in force (d->cat) and one on every
 * older one a thread may still use (d->held), and gives each thread a
 * reference of its own with every catalogue it hands it (listener_new,
 * listener_set_catalogue, remote_voice_new, remote_voice_set_catalogue).
 * A thread drops its reference (catalogue_free) once it has switched away
 * from a catalogue, or replaced one it had not taken yet; release_held()
 * then frees an old catalogue when the reference held here is the last.
 * A thread that keeps its references (one not taught to drop them) costs
 * memory, never safety: its old catalogues are kept until exit, when,
 * the threads being joined, what they still hold is dropped for them.
 *
 * A reload that reads the same catalogue as the one in force (most do:
 * log rotation sends SIGHUP every day) keeps that one and hands it over
 * again: the recognizers are rebuilt as on any reload (the dictionary may
 * have changed), and no catalogue is kept for them.
 */

/* Keeps old (this file's reference to it) until no thread uses it. */
static void
hold(struct daemon *d, struct catalogue *old)
{
	struct catalogue **h = xrealloc(d->held, (d->nheld + 1) * sizeof *h);

	d->held = h;
	d->held[d->nheld++] = old;
}

/* Frees the old catalogues no thread uses any more (each reload, and
 * once a second). */
static void
release_held(struct daemon *d)
{
	size_t i = 0;

	while (i < d->nheld)
		if (catalogue_refs(d->held[i]) == 1) {
			catalogue_free(d->held[i]);
			d->held[i] = d->held[--d->nheld];
		} else
			i++;
}

/* Exit, the threads joined: c's references, theirs included. */
static void
drop_catalogue(struct catalogue *c)
{
	if (c == NULL)
		return;
	while (catalogue_refs(c) > 1)
		catalogue_free(c);
	catalogue_free(c);
}

static int
load_catalogue(const char *path, struct catalogue **out)
{
	char err[8192];

	*out = catalogue_load(path, err, sizeof err);
	if (*out == NULL) {
		fputs(err, stderr);
		return -1;
	}
	return 0;
}

/*
 * Reads the configuration as at start-up: defaults, the file, then the
 * command line's --set/--port/... options.  Returns the error count.
 */
int
daemon_read_config(struct daemon *d, struct config *c, FILE *errs)
{
	char err[1024];
	int nerr;

	config_defaults(c);
	nerr = d->config_path ? config_load(c, d->config_path, errs) : 0;
	for (int i = 0; i < d->nsets; i++) {
		char *eq = strchr(d->sets[i], '='), name[128];
		if (eq == NULL || (size_t)(eq - d->sets[i]) >= sizeof name) {
			fprintf(errs, "command line: \"%s\": expected NAME=VALUE\n", d->sets[i]);
			nerr++;
			continue;
		}
		snprintf(name, sizeof name, "%.*s", (int)(eq - d->sets[i]), d->sets[i]);
		if (config_set(c, name, eq + 1, err, sizeof err) < 0) {
			fprintf(errs, "command line: %s\n", err);
			nerr++;
		}
	}
	return nerr;
}

void
daemon_apply_log_level(const struct config *c)
{
	log_set_verbosity(!strcmp(c->log_level, "debug") ? 1 : !strcmp(c->log_level, "info") ? 0 : -1);
}

/*
 * SIGHUP: a new configuration and catalogue, or nothing changes if either
 * is bad.  Clients stay connected and get a fresh hello.  What needs a new
 * socket or a new device (address, port, audio) waits for a restart.
 */
void
daemon_reload(struct daemon *d)
{
	struct config c;
	struct catalogue *cat;

	if (daemon_read_config(d, &c, stderr) > 0) {
		log_warnx("reload: configuration errors; keeping the running configuration");
		config_free(&c);
		return;
	}
	if (load_catalogue(c.catalogue, &cat) < 0) {
		log_warnx("reload: catalogue errors; keeping the running configuration");
		config_free(&c);
		return;
	}
	{
		/* What needs a new socket, device or thread keeps its running
		 * value, so what clients are told matches what runs. */
		char names[1024];
		int n = config_keep_restart_only(&c, &d->cfg, names, sizeof names);
		if (n > 0)
			log_warnx("reload: %s take%s effect at the next start", names, n > 1 ? "" : "s");
	}
	if (catalogue_same(cat, d->cat)) {
		log_debug("reload: the catalogue %s is unchanged", cat->path);
		catalogue_free(cat);
		cat = d->cat;
	} else {
		hold(d, d->cat);
		d->cat = cat;
		state_set_catalogue(&d->state, cat);
		if (d->shelf != NULL)
			shelf_thread_catalogue(d->shelf, cat);
	}
	if (d->listener != NULL)
		listener_set_catalogue(d->listener, catalogue_ref(cat));
	if (d->rv != NULL)
		remote_voice_set_catalogue(d->rv, catalogue_ref(cat));
	release_held(d);
	d->state.unlock = !strcmp(c.private_unlock, "voice") ? UNLOCK_VOICE : UNLOCK_FACE;
	if (!d->verbosity_set)
		daemon_apply_log_level(&c);
	config_free(&d->cfg);
	d->cfg = c;
	clients_scan_documents(d);
	conference_reload(d);
	admin_reload(d);
	clients_check_tokens(d);
	clients_hello_all(d);
	log_info("reloaded: %zu content screens, %zu controls", cat->ncontent, cat->nentries - cat->ncontent);
}

/* The real pointer (pointer = uinput | file:PATH, devices/pointer.h)
 * follows the cursor: it appears at engage, moves and clicks, goes at
 * disengage.  A failure is one warning; the dashboards' cursor goes on. */
static void
pointer_follow(struct pointer *p, const struct input_gesture *g, double t)
{
	static const enum pointer_action act[] = { POINTER_MOVE, POINTER_PRESS, POINTER_RELEASE };
	char err[512];
	int r = 0;

	if (g->what == GESTURE_ENGAGE) {
		if ((r = pointer_engage(p, t, err, sizeof err)) == 0 && pointer_devnode(p) != NULL)
			log_info("pointer: \"%s\" at %s", POINTER_DEV_NAME, pointer_devnode(p));
	} else if (g->what == GESTURE_CURSOR)
		r = pointer_cursor(p, t, g->x, g->y, act[g->cursor], err, sizeof err);
	else
		pointer_disengage(p, t);
	if (r < 0)
		log_warnx("%s (until the next engage the cursor moves the dashboards only)", err);
}

/* The hand cursor: engage, cursor (x, y, state), disengage, for the
 * trusted displays. */
static void
gesture(struct daemon *d, const struct input *in)
{
	const struct input_gesture *g = &in->gesture;
	json_t *ev = state_event(&d->state, gesture_kind_name(g->what), in->t);

	if (g->what == GESTURE_CURSOR) {
		json_object_set_new(ev, "x", json_real(round(g->x * 10000.0) / 10000.0));
		json_object_set_new(ev, "y", json_real(round(g->y * 10000.0) / 10000.0));
		json_object_set_new(ev, "state", json_string(cursor_state_name(g->cursor)));
	} else if (g->what == GESTURE_DISENGAGE && g->reason[0])
		json_object_set_new(ev, "reason", json_string(g->reason));
	state_emit_trusted(&d->state, ev, daemon_emit, d);
	if (d->pointer != NULL)
		pointer_follow(d->pointer, g, in->t);
}

/* A camera went away, came back or ended: an event, and the daemon goes on
 * (--exit-at-eof also waits for the video to end). */
static void
camera_event(struct daemon *d, const struct input *in)
{
	const struct input_camera *c = &in->camera;
	json_t *ev;

	ev = state_event(&d->state, "camera", in->t);
	json_object_set_new(ev, "camera", json_string(c->role));
	json_object_set_new(ev, "state", json_string(camera_state_name(c->state)));
	if (c->text[0])
		json_object_set_new(ev, "reason", json_string(c->text));
	state_emit_trusted(&d->state, ev, daemon_emit, d);
	switch (c->state) {
	case CAMERA_LOST:
		log_warnx("camera %s lost: %s (reopening)", c->role, c->text);
		break;
	case CAMERA_BACK:
		log_info("camera %s is back", c->role);
		break;
	case CAMERA_END:
		log_info("video input ended at %.2f s", in->t);
		d->video_done = 1;
		break;
	}
}

/* The microphone went away (the listener reopens it) or came back: an
 * event for the trusted displays, and the daemon goes on. */
static void
mic_event(struct daemon *d, const struct input *in)
{
	json_t *ev = state_event(&d->state, "mic", in->t);

	json_object_set_new(ev, "mic", json_string("room"));
	json_object_set_new(ev, "state", json_string(mic_state_name(in->mic.state)));
	if (in->mic.state == MIC_LOST) {
		json_object_set_new(ev, "reason", json_string(in->mic.text));
		log_warnx("microphone lost at %.2f s: %s (reopening)", in->t, in->mic.text);
	} else {
		json_object_set_new(ev, "gone_s", json_real(round(in->mic.gone_s * 1000.0) / 1000.0));
		log_info("microphone is back after %.2f s", in->mic.gone_s);
	}
	state_emit_trusted(&d->state, ev, daemon_emit, d);
}

void
daemon_route_speech(struct daemon *d, struct input *in)
{
	struct feedback_say say = { 0 };

	conference_before_voice(d);
	state_handle(&d->state, in, daemon_emit, d, &say);
	conference_after_voice(d, in, &say);
	if (d->feedback != NULL)
		feedback_request(d->feedback, say.text, say.cue, in->speech.ticket);
	else if (d->listener != NULL)
		listener_ack(d->listener, in->speech.ticket, NULL, 0, 0);
}

/*
 * After any input: the vision thread learns what the state asks of it (a
 * face verification was requested; private mode began or ended).
 */
void
daemon_follow_state(struct daemon *d)
{
	/* The remote's confirmation must come soon after the face check. */
	state_confirm_clock(&d->state, clock_mono(), d->cfg.face_verify_timeout_s);
	if (d->vision == NULL)
		return;
	/* Asked after the replay ended: no camera will ever answer. */
	if (d->state.verify_pending && d->video_done) {
		state_face(&d->state, FACE_FAILED, "the camera stream ended", daemon_now(d), daemon_emit, d);
		return;
	}
	if (d->state.verify_pending && !d->verify_started) {
		d->verify_started = 1;
		vision_verify(d->vision);
	}
	if (!d->state.verify_pending)
		d->verify_started = 0;
	if (d->state.private_mode != d->vision_private) {
		d->vision_private = d->state.private_mode;
		vision_set_private(d->vision, d->state.private_mode);
	}
}

static void
on_wakeup(void *ud)
{
	struct daemon *d = ud;
	struct input in;

	while (queue_pop(d->queue, &in)) {
		switch (in.kind) {
		case IN_SIGNAL:
			if (in.signo == SIGHUP) {
				log_info("SIGHUP: reloading");
				service_reloading();
				daemon_reload(d);
				/* READY=1 again; public_url may have changed */
				service_started(d->cfg.state_dir, d->cfg.public_url, d->cfg.address,
				    bridge_port(d->bridge), bridge_tls(d->bridge));
			} else {
				log_info("%s: stopping", strsignal(in.signo));
				d->quit = 1;
			}
			break;
		case IN_EOF:
			log_info("audio input ended at %.2f s", in.t);
			d->audio_done = 1;
			break;
		case IN_DEVICE_ERROR:
			log_warnx("audio input: %s", in.error);
			d->audio_done = 1;
			if (d->exit_at_eof)
				d->exit_code = 1;
			break;
		case IN_GESTURE:
			gesture(d, &in);
			break;
		case IN_FACE:
			state_face(&d->state, in.face.result, in.face.text, in.t, daemon_emit, d);
			break;
		case IN_CAMERA:
			if (strcmp(in.camera.role, "shelf") == 0)
				shelf_route(d, &in);
			else
				camera_event(d, &in);
			break;
		case IN_DOOR:
		case IN_SHELF:
			shelf_route(d, &in);
			break;
		case IN_MIC:
			mic_event(d, &in);
			break;
		case IN_ENROLL:
			admin_enroll_step(d, &in);
			break;
		case IN_EVENTS_END:
			log_info("scripted events ended at %.2f s", in.t);
			d->events_done = 1;
			break;
		case IN_WAKE:
		case IN_COMMAND:
		case IN_REJECT:
			if (in.speech.client != 0) {	/* a remote's voice button */
				clients_voice_result(d, &in);
				break;
			}
			if (!admin_demo_passes(d)) {	/* the demo is off or paused */
				if (d->listener != NULL)
					listener_ack(d->listener, in.speech.ticket, NULL, 0, 0);
				break;
			}
			daemon_route_speech(d, &in);
			break;
		}
		daemon_follow_state(d);
	}
	if (d->vision != NULL) {	/* the camera preview of a running verification */
		struct vision_snapshot sn;
		if (vision_snapshot(d->vision, &sn)) {
			if (sn.verifying)
				state_preview(&d->state, sn.jpeg, sn.len, sn.w, sn.h, sn.challenge, sn.t,
				    daemon_emit, d);
			admin_snapshot(d, &sn);
			free(sn.jpeg);
		}
	}
	mqtt_drain(d->mqtt, clients_mqtt_command, d);
	/* --exit-at-eof: once every input in use has ended. */
	if (d->exit_at_eof && !d->at_eof && d->audio_done && d->video_done && d->events_done &&
	    d->shelf_done) {
		d->at_eof = 1;
		d->eof_at = clock_mono();
	}
}

/* ---- signals: one thread sigwaits, the service thread acts ---- */

static sigset_t handled;
static atomic_int signals_off;	/* teardown: the queue and bridge are going */
static pthread_t sig_tid;
static atomic_int sig_tid_set;

/*
 * Threads that libraries start before main() blocks the signals (OpenBLAS,
 * which OpenCV links, starts its pool at load time) do not block them: a
 * SIGTERM delivered to one of those would take the default action and kill
 * the process.  There this handler runs instead and hands the signal to the
 * signal thread, whose sigwait() takes it as usual.
 */
static void
forward_signal(int sig)
{
	if (atomic_load(&sig_tid_set))
		pthread_kill(sig_tid, sig);
}

static void *
signal_main(void *arg)
{
	struct daemon *d = arg;

	for (;;) {
		int sig;
		struct input in = { .kind = IN_SIGNAL };
		if (sigwait(&handled, &sig) != 0)
			continue;
		if (atomic_load(&signals_off))
			break;
		in.signo = sig;
		queue_push(d->queue, &in);
		bridge_wakeup(d->bridge);
		if (sig != SIGHUP)
			break;
	}
	return NULL;
}

static void
wake_service(void *ud)
{
	struct daemon *d = ud;

	bridge_wakeup(d->bridge);
}

/* Makes the state directory (0700) if it is not there. */
int
daemon_ensure_state_dir(const char *dir)
{
	struct stat st;

	/* Another process (a second `tokens add`) may make it in between. */
	if (sysio_mkdir(dir, 0700) == 0 || (errno == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode)))
		return 0;
	if (errno == EEXIST)
		errno = ENOTDIR;
	return -1;
}

/* Websocket clients the file descriptor limit leaves room for. */
static size_t
ws_max_clients(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur > 1000000)
		return 1000000;
	return rl.rlim_cur > 2 * WS_FD_RESERVE ? (size_t)rl.rlim_cur - WS_FD_RESERVE : WS_FD_RESERVE;
}

/* auto: the microphone when there is one, else the demo session.  The
 * microphone is ALSA's default capture PCM through the direct ALSA row,
 * not PortAudio: that row finds a microphone again after an unplug
 * (PortAudio 19.6 keeps the lost card open; devices/mic.h, "Limits"). */
static char *
pick_source(struct daemon *d, const char *audio_file, int *realtime, int *loop)
{
	char buf[4096], err[256];

	*loop = 0;
	if (audio_file != NULL) {
		snprintf(buf, sizeof buf, "file:%s", audio_file);
		return xstrdup(buf);
	}
	if (!strcmp(d->cfg.audio, "auto")) {
		struct mic *m = mic_open("alsa", 1, err, sizeof err);
		if (m != NULL) {
			mic_close(m);
			*realtime = 1;
			return xstrdup("alsa");
		}
		log_info("no microphone (%s): playing the demo session %s", err, d->cfg.demo_audio);
	}
	if (!strcmp(d->cfg.audio, "none"))
		return NULL;
	if (!strcmp(d->cfg.audio, "auto") || !strcmp(d->cfg.audio, "demo")) {
		snprintf(buf, sizeof buf, "file:%s", d->cfg.demo_audio);
		*loop = d->cfg.demo_loop;
		return xstrdup(buf);
	}
	return xstrdup(d->cfg.audio);
}

/* pointer = uinput | file:PATH: the hand cursor drives a real pointer too.
 * A /dev/uinput that cannot be opened is one line, and the daemon goes on
 * without it; a bad value or an unwritable file stops the start. */
static int
start_pointer(struct daemon *d)
{
	char err[512];

	if (!strcmp(d->cfg.pointer, "off"))
		return 0;
	d->pointer = pointer_open(d->cfg.pointer, d->cfg.pointer_width, d->cfg.pointer_height,
	    err, sizeof err);
	if (d->pointer != NULL)
		log_info("pointer: %s over %dx%d, while the cursor is engaged", d->cfg.pointer,
		    d->cfg.pointer_width, d->cfg.pointer_height);
	else if (!strcmp(d->cfg.pointer, "uinput"))
		log_warnx("%s; going on without the real pointer", err);
	else {
		log_errx("%s", err);
		return -1;
	}
	return 0;
}

/* The room camera, when one is configured: face and hand tracking. */
static int
start_vision(struct daemon *d, int realtime)
{
	struct vision_config vc;
	char err[1024];

	if (d->cfg.camera_room[0] == '\0') {
		d->video_done = 1;
		return 0;
	}
	memset(&vc, 0, sizeof vc);
	vc.role = "room";
	vc.camera = d->cfg.camera_room;
	vc.realtime = realtime;
	vc.face = (struct face_config){ d->cfg.face_model, d->cfg.face_cascade_dir, d->cfg.face_min_score,
	    d->cfg.face_threshold, 1, face_descriptor_parse(d->cfg.face_descriptor),
	    d->cfg.face_embed_model };
	vc.face.landmark_model = d->cfg.face_landmark_model;
	vc.face.landmark_required = 1;
	vc.live = (struct face_live_config)FACE_LIVE_DEFAULTS;
	vc.hand = hand_default_config();
	vc.hand.engage_s = d->cfg.hand_engage_s;
	vc.hand.disengage_s = d->cfg.hand_disengage_s;
	vc.hand.dwell_s = d->cfg.hand_dwell_s;
	vc.hand.select = !strcmp(d->cfg.hand_select, "other-hand") ? HAND_SELECT_OTHER_HAND : HAND_SELECT_DWELL;
	vc.hand.mirrored = d->cfg.camera_mirrored;
	vc.hand.oe_min_cutoff = d->cfg.cursor_min_cutoff;
	vc.hand.oe_beta = d->cfg.cursor_beta;
	vc.state_dir = d->cfg.state_dir;
	vc.enrolled = d->cfg.private_face;
	vc.absent_s = d->cfg.face_absent_s;
	vc.verify_timeout_s = d->cfg.face_verify_timeout_s;
	vc.face_every = d->cfg.face_every;
	vc.rec = d->rec;
	if ((d->vision = vision_new(&vc, d->queue, wake_service, d, err, sizeof err)) == NULL) {
		log_errx("camera: %s", err);
		return -1;
	}
	d->state.face_available = 1;
	d->state.confirm_remote = !strcmp(d->cfg.private_confirm, "remote");
	if (vision_start(d->vision) < 0) {
		log_errx("cannot start the camera thread");
		return -1;
	}
	return 0;
}

double
daemon_now(struct daemon *d)
{
	return round((clock_mono() - d->started) * 1000.0) / 1000.0;
}

/*
 * -n: the device specs and the broker's address, which are otherwise only
 * parsed when the device or the connection starts.  Each bad one is
 * reported; returns how many.
 */
static int
check_specs(const struct config *c)
{
	const struct camera_ops *cops;
	const struct door_ops *dops;
	const char *arg;
	char err[512], host[256];
	int bad = 0, port, tls;
	const struct mic_ops *mops;

	if (strcmp(c->audio, "auto") && strcmp(c->audio, "demo") && strcmp(c->audio, "none") &&
	    mic_parse_spec(c->audio, &mops, &arg, err, sizeof err) < 0)
		bad++, log_errx("audio: %s", err);
	if (c->camera_room[0] && camera_parse_spec(c->camera_room, &cops, &arg, err, sizeof err) < 0)
		bad++, log_errx("camera_room: %s", err);
	if (c->camera_shelf[0] && camera_parse_spec(c->camera_shelf, &cops, &arg, err, sizeof err) < 0)
		bad++, log_errx("camera_shelf: %s", err);
	if (c->shelf_door[0] && door_parse_spec(c->shelf_door, &dops, &arg, err, sizeof err) < 0)
		bad++, log_errx("shelf_door: %s", err);
	if (c->mqtt_url[0] && mqtt_parse_url(c->mqtt_url, host, sizeof host, &port, &tls, err,
	    sizeof err) < 0)
		bad++, log_errx("mqtt_url: %s", err);
	if (!mqtt_site_valid(c->site))
		bad++, log_errx("site: \"%s\" is not a site id (letters, digits, - and _; 1 to 64)", c->site);
	return bad;
}

/*
 * The daemon itself, once cli/smartofficed.c has read the command line and
 * the configuration into *d: the catalogue, the devices, the threads and the
 * service loop, until a signal or the end of the inputs.  Returns the exit
 * status; everything it started is stopped and freed.
 */
int
daemon_run(struct daemon *d, const struct daemon_run_options *o)
{
	const char *audio_file = o->audio_file, *dump_dir = o->dump_dir, *events_path = o->events_path;
	char err[1024], *source;
	int video_cli = o->video_cli, check = o->check, realtime = o->realtime, loop;
	struct bridge_config bc;
	struct bridge_hooks hooks = { .on_wakeup = on_wakeup, .hello = hello_hook, .on_message = message_hook,
	    .on_binary = binary_hook, .on_close = close_hook, .token_ok = token_hook };
	struct listener_config lc;
	struct feedback_config fc;
	pthread_t sigthread;
	int sigthread_started = 0, lockfd = -1;

	d->exit_code = 0;
	if (load_catalogue(d->cfg.catalogue, &d->cat) < 0) {
		d->exit_code = 1;
		goto out;
	}
	if (conference_open(d, err, sizeof err) < 0) {	/* office: rooms, departments */
		log_errx("%s", err);
		d->exit_code = 1;
		goto out;
	}
	if (check && check_specs(&d->cfg) > 0) {	/* what only a start would find */
		d->exit_code = 1;
		goto out;
	}
	if (check) {
		printf("configuration OK\n");
		goto out;
	}
	if (dump_dir != NULL) {
		d->exit_code = dump_grammar(d, dump_dir);
		goto out;
	}
	if (daemon_ensure_state_dir(d->cfg.state_dir) < 0)
		log_warn("state directory %s", d->cfg.state_dir);
	/* One daemon per state directory: a second one would take over, then
	 * remove, the first one's admin.cookie and url (statedir.h). */
	if ((lockfd = statedir_lock(d->cfg.state_dir, err, sizeof err)) == -1) {
		log_errx("%s", err);
		d->exit_code = 1;
		goto out;
	}
	if (lockfd < 0)		/* a read-only state directory: run, unguarded */
		log_warnx("%s (another daemon on this state directory would not be noticed)", err);
	if ((d->tokens = tokens_open(d->cfg.state_dir, err, sizeof err)) == NULL) {
		log_errx("%s", err);
		d->exit_code = 1;
		goto out;
	}
	d->pairing = pairing_new(d->cfg.pair_code_ttl, 5);
	d->admin = admin_new();
	if (admin_cookie_start(d, err, sizeof err) < 0)	/* the command line's way in */
		log_warnx("admin: %s (smartofficed admin cannot reach this daemon)", err);
	clients_scan_documents(d);

	state_init(&d->state, d->cat, !strcmp(d->cfg.private_unlock, "voice") ? UNLOCK_VOICE : UNLOCK_FACE);
	d->queue = queue_new(256);

	/* Signals are taken by one thread only; block them everywhere first. */
	sigemptyset(&handled);
	sigaddset(&handled, SIGINT);
	sigaddset(&handled, SIGTERM);
	sigaddset(&handled, SIGHUP);
	{
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = forward_signal;
		sa.sa_flags = SA_RESTART;
		sigfillset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
	}
	pthread_sigmask(SIG_BLOCK, &handled, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* --video-file alone: the video is the whole input. */
	if (video_cli && audio_file == NULL) {
		free(d->cfg.audio);
		d->cfg.audio = xstrdup("none");
	}
	if (d->cfg.record_dir[0] != '\0' &&
	    (d->rec = record_open(d->cfg.record_dir, err, sizeof err)) == NULL) {
		log_errx("--record: %s", err);
		d->exit_code = 1;
		goto out;
	}
	source = pick_source(d, audio_file, &realtime, &loop);
	admin_set_demo_source(d, source != NULL && audio_file == NULL && strncmp(source, "file:", 5) == 0 &&
	    strcmp(source + 5, d->cfg.demo_audio) == 0);
	memset(&lc, 0, sizeof lc);
	lc.source = source;
	lc.realtime = realtime;
	lc.loop = loop;
	lc.echo = d->cfg.feedback_echo;
	lc.self_mute = d->cfg.self_mute;
	lc.rec = d->rec;
	config_speech(&d->cfg, &lc.speech);
	if (source != NULL) {
		/* The room's grammar carries the briefing titles and "voice
		 * call" (conference.h), as the remotes' does. */
		lc.speech.extra = conference_grammar(d);
		/* Its reference; still ours if it fails. */
		d->listener = listener_new(&lc, catalogue_ref(d->cat), d->queue, wake_service, d, err,
		    sizeof err);
		lc.speech.extra = NULL;
		free(source);
		if (d->listener == NULL) {
			catalogue_free(d->cat);
			log_errx("%s", err);
			d->exit_code = 1;
			goto out;
		}
	} else {
		log_info("no audio input (audio = none)");
		d->audio_done = 1;
	}
	/* The port opens once the audio source and the recognizer are ready. */
	bc = (struct bridge_config){ d->cfg.address, d->cfg.port, d->cfg.web_root,
	    (size_t)d->cfg.ws_ring, (size_t)d->cfg.ws_max_message, d->cfg.ws_rate, d->cfg.ws_burst,
	    d->cfg.allowed_origins, d->cfg.js_root, d->cfg.pdfjs_dir, d->cfg.documents_dir, d->cfg.public_url,
	    d->cfg.ws_max_clients > 0 ? (size_t)d->cfg.ws_max_clients : ws_max_clients(),
	    (size_t)d->cfg.ws_max_per_address, 0, d->cfg.ws_hello_s, d->cfg.ws_ping_s, d->cfg.ws_idle_s };
	bc.tls_cert = d->cfg.tls_cert;
	bc.tls_key = d->cfg.tls_key;
	bc.mqttjs_root = d->cfg.mqttjs_dir;
	bc.briefing = d->cfg.briefing_dir;
	bc.frame_src = conference_frame_src(d);	/* the office's https origins */
	hooks.ud = d;
	if ((d->bridge = bridge_new(&bc, &hooks, err, sizeof err)) == NULL) {
		log_errx("%s", err);
		d->exit_code = 1;
		goto out;
	}
	bridge_every(d->bridge, 1000, cron, d);
	if (clients_mqtt_start(d, err, sizeof err) < 0) {
		log_errx("mqtt: %s", err);
		d->exit_code = 1;
		goto out;
	}
	/* The remotes' voice button: its own recognizer, idle until used. */
	lc.speech.extra = conference_grammar(d);	/* the slot takes its own reference */
	d->rv = remote_voice_new(&lc.speech, catalogue_ref(d->cat), d->queue, wake_service, d,
	    d->cfg.remote_audio_max_s, err, sizeof err);
	lc.speech.extra = NULL;
	if (d->rv == NULL)
		catalogue_free(d->cat);
	if (d->rv == NULL)
		log_warnx("remote voice: %s (the remotes' voice button is off)", err);
	fc = (struct feedback_config){ d->cfg.speak, d->cfg.cue, realtime, d->cfg.voice };
	d->feedback = feedback_new(&fc, d->listener);
	if (pthread_create(&sigthread, NULL, signal_main, d) == 0) {
		sigthread_started = 1;
		sig_tid = sigthread;
		atomic_store(&sig_tid_set, 1);
	}
	d->events_done = 1;
	if (events_path != NULL) {
		if ((d->events = events_file_open(events_path, d->queue, wake_service, d, realtime, err,
		    sizeof err)) == NULL) {
			log_errx("--events-file: %s", err);
			d->exit_code = 1;
			goto out;
		}
		d->events_done = 0;
		events_file_start(d->events);
	}
	if (start_pointer(d) < 0 || start_vision(d, realtime) < 0 || shelf_start(d, realtime, wake_service) < 0) {
		d->exit_code = 1;
		goto out;
	}
	if (d->listener != NULL && listener_start(d->listener) < 0) {
		log_errx("cannot start the audio thread");
		d->exit_code = 1;
		goto out;
	}
	d->started = clock_mono();
	log_info("listening; dashboards: %s://%s:%d/ (websocket /ws)", bridge_tls(d->bridge) ? "https" : "http",
	    d->cfg.address, bridge_port(d->bridge));
	service_started(d->cfg.state_dir, d->cfg.public_url, d->cfg.address, bridge_port(d->bridge),
	    bridge_tls(d->bridge));

	while (!d->quit) {
		if (bridge_service(d->bridge) < 0) {
			log_errx("the websocket server failed");
			d->exit_code = 1;
			break;
		}
		/* --exit-at-eof: every event is on stdout already; give clients
		 * the time to be written to (bounded), then stop. */
		if (d->at_eof && (bridge_backlog(d->bridge) == 0 || (clock_mono() - d->eof_at) > 2.0))
			break;
	}
	service_stopping();
	{
		/* What operators and `make bench` want to know after a run. */
		struct rusage ru;
		double cpu;
		getrusage(RUSAGE_SELF, &ru);
		cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
		log_info("resources: cpu %.2f s in %.2f s (%.1f%% of one core), peak memory %.1f MB",
		    cpu, (clock_mono() - d->started), 100.0 * cpu / ((clock_mono() - d->started) + 1e-9), ru.ru_maxrss / 1024.0);
	}
out:
	/* The signal thread must not touch the queue or the bridge from here
	 * on: tell it, wake it if it still waits, and join it. */
	if (sigthread_started) {
		atomic_store(&signals_off, 1);
		pthread_kill(sigthread, SIGHUP);
		pthread_join(sigthread, NULL);
	}
	listener_stop(d->listener);
	events_file_free(d->events);
	if (d->vision != NULL) {
		struct vision_stats vs;
		vision_stop(d->vision);
		vision_stats(d->vision, &vs);
		log_info("vision: %lu frames, %.1f fps, frame to event %.1f ms average, %.1f ms p95, %.1f ms max",
		    (unsigned long)vs.frames, vs.fps, vs.lat_avg_ms, vs.lat_p95_ms, vs.lat_max_ms);
		vision_free(d->vision);
	}
	shelf_stop(d);
	pointer_close(d->pointer);          /* after the threads that feed it */
	feedback_free(d->feedback);
	tts_shutdown();
	listener_free(d->listener);
	remote_voice_free(d->rv);
	mqtt_free(d->mqtt);
	if (d->bridge != NULL)
		bridge_free(d->bridge);
	tokens_close(d->tokens);
	if (d->rec != NULL && record_close(d->rec, err, sizeof err) < 0)
		log_warnx("--record: %s", err);
	pairing_free(d->pairing);
	admin_cookie_remove(d);
	statedir_unlock(lockfd);	/* after the files it guards are gone */
	admin_free(d->admin);
	d->admin = NULL;
	conference_close(d);
	for (size_t i = 0; i < d->ndocs; i++)
		free(d->docs[i]);
	free(d->docs);
	queue_free(d->queue);
	/* The threads are joined: nothing uses a catalogue any more. */
	drop_catalogue(d->cat);
	for (size_t i = 0; i < d->nheld; i++)
		drop_catalogue(d->held[i]);
	free(d->held);
	return d->exit_code;
}
