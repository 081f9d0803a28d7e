#include "daemon/state.h"
#include "base/base64.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ui-bridge/protocol.h"

void
state_init(struct state *st, const struct catalogue *cat, enum unlock unlock)
{
	memset(st, 0, sizeof *st);
	st->cat = cat;
	st->unlock = unlock;
	snprintf(st->screen, sizeof st->screen, "main");
	snprintf(st->public_screen, sizeof st->public_screen, "main");
}

void
state_set_catalogue(struct state *st, const struct catalogue *cat)
{
	const struct catalogue_entry *e;

	st->cat = cat;
	if (catalogue_find(cat, st->screen) == NULL)
		snprintf(st->screen, sizeof st->screen, "main");
	e = catalogue_find(cat, st->public_screen);
	if (e == NULL || e->privacy == CAT_PRIVATE)
		snprintf(st->public_screen, sizeof st->public_screen, "main");
}

json_t *
state_event(struct state *st, const char *type, double t)
{
	/* Stream time to the millisecond: enough, and stable to print. */
	return json_pack("{s:s, s:I, s:f}", "type", type, "seq", (json_int_t)++st->seq,
	    "t", round(t * 1000.0) / 1000.0);
}

/* For every client. */
static void
send_all(state_emit emit, void *ud, json_t *ev)
{
	emit(ud, ev, ev);
	json_decref(ev);
}

/* For trusted clients only. */
static void
send_trusted(state_emit emit, void *ud, json_t *ev)
{
	emit(ud, ev, NULL);
	json_decref(ev);
}

/* Private content, and the controls that change the privacy mode. */
static int
is_private(const struct catalogue_entry *e)
{
	return e->privacy == CAT_PRIVATE || strcmp(e->id, "private-mode") == 0 ||
	    strcmp(e->id, "public-mode") == 0;
}

static void
navigate(struct state *st, const struct catalogue_entry *e, double t, const char *source,
         state_emit emit, void *ud)
{
	json_t *ev = state_event(st, "navigate", t);

	json_object_set_new(ev, "content", json_string(e->id));
	json_object_set_new(ev, "source", json_string(source));
	snprintf(st->screen, sizeof st->screen, "%s", e->id);
	if (e->privacy == CAT_PRIVATE) {
		send_trusted(emit, ud, ev);
		return;
	}
	snprintf(st->public_screen, sizeof st->public_screen, "%s", e->id);
	send_all(emit, ud, ev);
}

static void
set_mode(struct state *st, int private_mode, double t, const char *reason, state_emit emit, void *ud)
{
	json_t *ev = state_event(st, "mode", t);
	const struct catalogue_entry *cur, *main_page;

	st->private_mode = private_mode;
	if (!private_mode)
		st->verify_pending = st->confirm_pending = 0;
	json_object_set_new(ev, "mode", json_string(private_mode ? "private" : "public"));
	json_object_set_new(ev, "reason", json_string(reason));
	send_trusted(emit, ud, ev);
	/* Displays must not be left showing a private screen. */
	cur = catalogue_find(st->cat, st->screen);
	main_page = catalogue_find(st->cat, "main");
	if (!private_mode && cur != NULL && cur->privacy == CAT_PRIVATE && main_page != NULL)
		navigate(st, main_page, t, "policy", emit, ud);
}

/* cause, hint: a refused private mode's finer reason and what to do. */
static void
denied_hint(struct state *st, const struct catalogue_entry *e, double t, const char *reason,
            const char *cause, const char *hint, state_emit emit, void *ud)
{
	json_t *ev = state_event(st, "denied", t);

	json_object_set_new(ev, e->is_control ? "command" : "content", json_string(e->id));
	json_object_set_new(ev, "reason", json_string(reason));
	if (cause != NULL)
		json_object_set_new(ev, "cause", json_string(cause));
	if (hint != NULL)
		json_object_set_new(ev, "hint", json_string(hint));
	send_trusted(emit, ud, ev);
}

static void
denied(struct state *st, const struct catalogue_entry *e, double t, const char *reason,
       state_emit emit, void *ud)
{
	denied_hint(st, e, t, reason, NULL, NULL, emit, ud);
}

/* ---- private mode: the verification's progress and its refusals ---- */

/* What the person in front of the camera is asked to do, by step. */
#define STEP_LOOK_HINT  "look at the camera"
#define STEP_BLINK_HINT "blink, or turn your head a little"

static void
verify_progress(struct state *st, const char *what, const char *step, const char *hint,
                double t, state_emit emit, void *ud)
{
	json_t *ev = state_event(st, "verify", t);

	json_object_set_new(ev, "state", json_string(what));
	if (step != NULL)
		json_object_set_new(ev, "step", json_string(step));
	if (hint != NULL)
		json_object_set_new(ev, "hint", json_string(hint));
	send_trusted(emit, ud, ev);
}

/*
 * The camera's failure text (vision.c: start_verify, process_frame,
 * vision_main) as a reason code and what to do about it.
 */
static const char *
failure_reason(const char *text, char *hint, size_t hintlen)
{
	const char *end;

	if (text == NULL)
		text = "";
	if (strcmp(text, "not verified in time") == 0) {
		snprintf(hint, hintlen, "look at the camera and try again");
		return "timeout";
	}
	if (strncmp(text, "nobody is enrolled", 18) == 0) {
		snprintf(hint, hintlen, "set private_face = NAME, then enroll with "
		    "smartofficed face enroll --name NAME --camera");
		return "not-enrolled";
	}
	if (strncmp(text, "no enrolled face for ", 21) == 0) {
		snprintf(hint, hintlen, "enroll with smartofficed face enroll --name %.64s --camera", text + 21);
		return "not-enrolled";
	}
	if ((end = strstr(text, " was enrolled with the ")) != NULL) {
		snprintf(hint, hintlen, "enroll again with smartofficed face enroll --name %.*s --camera",
		    (int)(end - text < 64 ? end - text : 64), text);
		return "not-enrolled";
	}
	if (strncmp(text, "face recognition is off", 23) == 0) {
		snprintf(hint, hintlen, "the face model is broken: run tools/fetch-models, then restart");
		return "face-model-broken";
	}
	if (strcmp(text, "a face enrollment is running") == 0) {
		snprintf(hint, hintlen, "wait for the face enrollment to end (or cancel it on the admin "
		    "page), then try again");
		return "enrolling";
	}
	if (strcmp(text, "the camera stream ended") == 0 || strcmp(text, "the camera is gone") == 0) {
		snprintf(hint, hintlen, "check the room camera (camera_room), then try again");
		return "camera-gone";
	}
	snprintf(hint, hintlen, "look at the camera and try again");
	return "failed";
}

/* A verification that ran and was refused: the verify event (state
 * "failed", or "refused" for the remote's part) says why and what to do,
 * then the denied event (its reason as before, with cause and hint). */
static void
refuse(struct state *st, const char *what, const char *reason, const char *hint,
       const char *denied_reason, double t, state_emit emit, void *ud)
{
	const struct catalogue_entry *pm = catalogue_find(st->cat, "private-mode");
	json_t *ev = state_event(st, "verify", t);

	json_object_set_new(ev, "state", json_string(what));
	json_object_set_new(ev, "reason", json_string(reason));
	json_object_set_new(ev, "hint", json_string(hint));
	send_trusted(emit, ud, ev);
	st->verify_step[0] = '\0';
	if (pm != NULL && denied_reason != NULL)
		denied_hint(st, pm, t, denied_reason, reason, hint, emit, ud);
}

/*
 * Carries out a command (content or control) from any source.  Returns
 * NULL, or the reason it was denied.
 */
static const char *
carry_out(struct state *st, const struct catalogue_entry *e, double t, const char *source,
          state_emit emit, void *ud, struct feedback_say *say)
{
	json_t *ev;

	say->text = e->en;
	if (!e->is_control) {
		if (e->privacy == CAT_PRIVATE && !st->private_mode) {
			denied(st, e, t, "private-content-in-public-mode", emit, ud);
			say->text = "Only in private mode";
			return "private-content-in-public-mode";
		}
		navigate(st, e, t, source, emit, ud);
	} else if (strcmp(e->id, "private-mode") == 0) {
		if (st->unlock != UNLOCK_VOICE && st->face_available) {
			/* The camera checks the face; the mode follows (state_face). */
			if (st->verify_pending || st->confirm_pending)
				return NULL;	/* one runs: its progress is on the walls */
			ev = state_event(st, "verify", t);
			json_object_set_new(ev, "state", json_string("started"));
			json_object_set_new(ev, "challenge", json_string("look at the camera, then blink or turn your head"));
			json_object_set_new(ev, "step", json_string("look"));
			json_object_set_new(ev, "hint", json_string(STEP_LOOK_HINT));
			send_trusted(emit, ud, ev);
			st->verify_pending = 1;
			snprintf(st->verify_step, sizeof st->verify_step, "look");
			say->text = "Look at the camera and blink";
			return NULL;
		}
		if (st->unlock != UNLOCK_VOICE) {
			/* nothing to verify with: no verify event, only why */
			denied_hint(st, e, t, "face-verification-required", "no-camera",
			    "set camera_room, or private_unlock = voice", emit, ud);
			say->text = "Face verification required";
			return "face-verification-required";
		}
		set_mode(st, 1, t, source, emit, ud);
	} else if (strcmp(e->id, "public-mode") == 0) {
		set_mode(st, 0, t, source, emit, ud);
	} else {
		ev = state_event(st, "command", t);
		json_object_set_new(ev, "command", json_string(e->id));
		json_object_set_new(ev, "source", json_string(source));
		if (is_private(e))
			send_trusted(emit, ud, ev);
		else
			send_all(emit, ud, ev);
	}
	return NULL;
}

static void
handle_command(struct state *st, const struct input *in, state_emit emit, void *ud,
               struct feedback_say *say)
{
	const struct catalogue_entry *e = catalogue_find(st->cat, in->speech.id);
	const char *source = in->source[0] ? in->source : "voice";
	json_t *ev;

	if (e == NULL)          /* catalogue reloaded under the recognizer */
		return;
	ev = state_event(st, "intent", in->t);
	json_object_set_new(ev, e->is_control ? "command" : "content", json_string(e->id));
	json_object_set_new(ev, "text", json_string(in->speech.text));
	json_object_set_new(ev, "confidence", json_real(round(in->speech.confidence * 1000.0) / 1000.0));
	json_object_set_new(ev, "source", json_string(source));
	/* What was said for a private command is private too. */
	if (is_private(e))
		send_trusted(emit, ud, ev);
	else
		send_all(emit, ud, ev);
	carry_out(st, e, in->t, source, emit, ud, say);
}

void
state_handle(struct state *st, const struct input *in, state_emit emit, void *ud,
             struct feedback_say *say)
{
	json_t *ev, *pub;

	say->text = NULL;
	say->cue = 0;
	switch (in->kind) {
	case IN_WAKE:
		send_all(emit, ud, state_event(st, "wake", in->t));
		say->cue = 1;
		break;
	case IN_COMMAND:
		handle_command(st, in, emit, ud, say);
		break;
	case IN_REJECT:
		ev = state_event(st, "rejected", in->t);
		json_object_set_new(ev, "reason", json_string(in->speech.reason));
		/* Public displays get the rejection, never the words. */
		pub = json_deep_copy(ev);
		if (in->speech.text[0])
			json_object_set_new(ev, "text", json_string(in->speech.text));
		emit(ud, ev, pub);
		json_decref(ev);
		json_decref(pub);
		if (strcmp(in->speech.reason, "timeout") != 0)
			say->text = "Sorry?";
		break;
	default:
		break;
	}
}

const char *
state_select(struct state *st, const char *id, const char *source, double t,
             state_emit emit, void *ud, struct feedback_say *say, const char **reason)
{
	const struct catalogue_entry *e = catalogue_find(st->cat, id);

	say->text = NULL;
	say->cue = 0;
	*reason = NULL;
	if (e == NULL)
		return PROTO_E_UNKNOWN_CONTENT;
	if ((*reason = carry_out(st, e, t, source, emit, ud, say)) != NULL)
		return PROTO_E_DENIED;
	return NULL;
}

void
state_set_mode(struct state *st, int private_mode, double t, const char *reason,
               state_emit emit, void *ud)
{
	if (st->private_mode == private_mode)
		return;
	set_mode(st, private_mode, t, reason, emit, ud);
}

void
state_face(struct state *st, enum face_result result, const char *name, double t,
           state_emit emit, void *ud)
{
	const char *what = face_result_name(result);
	json_t *ev = state_event(st, "face", t);
	const struct catalogue_entry *pm = catalogue_find(st->cat, "private-mode");

	json_object_set_new(ev, "face", json_string(what));
	if (name != NULL && name[0] && result == FACE_VERIFIED)
		json_object_set_new(ev, "name", json_string(name));
	else if (name != NULL && name[0])
		json_object_set_new(ev, "reason", json_string(name));
	send_trusted(emit, ud, ev);

	if (result == FACE_VERIFIED && st->verify_pending) {
		st->verify_pending = 0;
		st->verify_step[0] = '\0';
		if (st->confirm_remote) {
			st->confirm_pending = 1;
			verify_progress(st, "confirm", "confirm", "confirm on the paired remote", t, emit, ud);
		} else {
			verify_progress(st, "verified", NULL, NULL, t, emit, ud);
			set_mode(st, 1, t, "face-verified", emit, ud);
		}
	} else if (result == FACE_FAILED && st->verify_pending) {
		char hint[160];
		const char *reason = failure_reason(name, hint, sizeof hint);

		st->verify_pending = 0;
		refuse(st, "failed", reason, hint, pm != NULL ? "face-verification-failed" : NULL, t, emit, ud);
	} else if ((result == FACE_ABSENT || result == FACE_UNKNOWN) && st->confirm_pending) {
		st->confirm_pending = 0;	/* the face it would confirm is gone */
		refuse(st, "failed", "face-gone", "stay in front of the camera until the remote confirms", NULL,
		    t, emit, ud);
	} else if ((result == FACE_ABSENT || result == FACE_UNKNOWN) && st->private_mode) {
		set_mode(st, 0, t, result == FACE_ABSENT ? "face-absent" : "unknown-face", emit, ud);
	}
}

void
state_confirm(struct state *st, int accept, double t, state_emit emit, void *ud)
{
	const struct catalogue_entry *pm = catalogue_find(st->cat, "private-mode");

	if (!st->confirm_pending)
		return;
	st->confirm_pending = 0;
	if (accept) {
		set_mode(st, 1, t, "face-verified+remote", emit, ud);
		return;
	}
	(void)pm;
	refuse(st, "refused", "refused-on-remote", "the remote said no; ask for private mode again",
	    "refused-on-remote", t, emit, ud);
}

void
state_confirm_expired(struct state *st, double t, state_emit emit, void *ud)
{
	if (!st->confirm_pending)
		return;
	st->confirm_pending = 0;
	refuse(st, "refused", "confirm-late", "confirm on the remote sooner: ask for private mode again",
	    "refused-on-remote", t, emit, ud);
}


void
state_preview(struct state *st, const uint8_t *jpeg, size_t len, int w, int h, int challenge,
              double t, state_emit emit, void *ud)
{
	const char *step = challenge ? "blink" : "look";
	const char *hint = challenge ? STEP_BLINK_HINT : STEP_LOOK_HINT;
	char *b64;
	json_t *ev;

	if (!st->verify_pending)
		return;		/* never outside a verification */
	if (strcmp(st->verify_step, step) != 0) {
		snprintf(st->verify_step, sizeof st->verify_step, "%s", step);
		verify_progress(st, "progress", step, hint, t, emit, ud);
	}
	if ((b64 = base64_new(jpeg, len)) == NULL)
		return;
	ev = state_event(st, "preview", t);
	json_object_set_new(ev, "camera", json_string("room"));
	json_object_set_new(ev, "format", json_string("jpeg"));
	json_object_set_new(ev, "w", json_integer(w));
	json_object_set_new(ev, "h", json_integer(h));
	json_object_set_new(ev, "step", json_string(step));
	json_object_set_new(ev, "hint", json_string(hint));
	json_object_set_new(ev, "data", json_string(b64));
	free(b64);
	send_trusted(emit, ud, ev);
}

void
state_emit_trusted(struct state *st, json_t *ev, state_emit emit, void *ud)
{
	(void)st;
	send_trusted(emit, ud, ev);
}

json_t *
state_hello(const struct state *st, int trusted, const char *role)
{
	json_t *content = json_array(), *controls = json_array();

	for (size_t i = 0; i < st->cat->nentries; i++) {
		const struct catalogue_entry *e = &st->cat->entries[i];
		if (!trusted && is_private(e))
			continue;
		if (e->is_control) {
			json_array_append_new(controls, json_pack("{s:s, s:s}", "id", e->id, "en", e->en));
			continue;
		}
		json_array_append_new(content, json_pack("{s:s, s:s, s:s, s:s}", "id", e->id,
		    "en", e->en, "ko", e->ko, "privacy", e->privacy == CAT_PRIVATE ? "private" : "public"));
	}
	return json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:o, s:o}", "type", "hello",
	    "version", PROTO_VERSION, "server", "smartofficed", "role", role ? role : "display",
	    "view", trusted ? "trusted" : "public",
	    "screen", trusted ? st->screen : st->public_screen,
	    "mode", trusted && st->private_mode ? "private" : "public",
	    "catalogue", content, "controls", controls);
}

void
state_confirm_clock(struct state *st, double now, double timeout)
{
	if (!st->confirm_pending)
		st->confirm_by = 0;
	else if (st->confirm_by == 0)
		st->confirm_by = now + timeout;
}

int
state_confirm_late(const struct state *st, double now)
{
	return st->confirm_pending && st->confirm_by > 0 && now > st->confirm_by;
}
