#include "daemon/state.h"

#include <math.h>
#include <string.h>

#define PROTOCOL_VERSION 1

void
state_init(struct state *st, const struct catalogue *cat, enum unlock unlock)
{
	memset(st, 0, sizeof *st);
	st->cat = cat;
	st->unlock = unlock;
	snprintf(st->screen, sizeof st->screen, "main");
}

void
state_set_catalogue(struct state *st, const struct catalogue *cat)
{
	st->cat = cat;
	if (catalogue_find(cat, st->screen) == NULL)
		snprintf(st->screen, sizeof st->screen, "main");
}

json_t *
state_event(struct state *st, const char *type, double t)
{
	/* Stream time to the millisecond: enough, and stable to print. */
	return json_pack("{s:s, s:I, s:f}", "type", type, "seq", (json_int_t)++st->seq,
	    "t", round(t * 1000.0) / 1000.0);
}

static void
send(state_emit emit, void *ud, json_t *ev)
{
	emit(ud, ev);
	json_decref(ev);
}

static void
navigate(struct state *st, const char *id, double t, const char *source, state_emit emit, void *ud)
{
	json_t *ev = state_event(st, "navigate", t);

	json_object_set_new(ev, "content", json_string(id));
	json_object_set_new(ev, "source", json_string(source));
	snprintf(st->screen, sizeof st->screen, "%s", id);
	send(emit, ud, ev);
}

static void
set_mode(struct state *st, int private_mode, double t, const char *reason, state_emit emit, void *ud)
{
	json_t *ev = state_event(st, "mode", t);
	const struct catalogue_entry *cur;

	st->private_mode = private_mode;
	json_object_set_new(ev, "mode", json_string(private_mode ? "private" : "public"));
	json_object_set_new(ev, "reason", json_string(reason));
	send(emit, ud, ev);
	/* Public displays must not be left showing a private screen. */
	cur = catalogue_find(st->cat, st->screen);
	if (!private_mode && cur != NULL && cur->privacy == CAT_PRIVATE)
		navigate(st, "main", t, "policy", emit, ud);
}

static void
denied(struct state *st, const struct catalogue_entry *e, double t, const char *reason,
       state_emit emit, void *ud)
{
	json_t *ev = state_event(st, "denied", t);

	json_object_set_new(ev, e->is_control ? "command" : "content", json_string(e->id));
	json_object_set_new(ev, "reason", json_string(reason));
	send(emit, ud, ev);
}

static void
handle_command(struct state *st, const struct input *in, state_emit emit, void *ud,
               struct feedback_say *say)
{
	const struct catalogue_entry *e = catalogue_find(st->cat, in->id);
	json_t *ev;

	if (e == NULL)          /* catalogue reloaded under the recognizer */
		return;
	ev = state_event(st, "intent", in->t);
	json_object_set_new(ev, e->is_control ? "command" : "content", json_string(e->id));
	json_object_set_new(ev, "text", json_string(in->text));
	json_object_set_new(ev, "confidence", json_real(round(in->confidence * 1000.0) / 1000.0));
	send(emit, ud, ev);

	say->text = e->en;
	if (!e->is_control) {
		if (e->privacy == CAT_PRIVATE && !st->private_mode) {
			denied(st, e, in->t, "private-content-in-public-mode", emit, ud);
			say->text = "Only in private mode";
		} else {
			navigate(st, e->id, in->t, "voice", emit, ud);
		}
	} else if (strcmp(e->id, "private-mode") == 0) {
		if (st->unlock == UNLOCK_VOICE)
			set_mode(st, 1, in->t, "voice", emit, ud);
		else {
			denied(st, e, in->t, "face-verification-required", emit, ud);
			say->text = "Face verification required";
		}
	} else if (strcmp(e->id, "public-mode") == 0) {
		set_mode(st, 0, in->t, "voice", emit, ud);
	} else {
		ev = state_event(st, "command", in->t);
		json_object_set_new(ev, "command", json_string(e->id));
		json_object_set_new(ev, "source", json_string("voice"));
		send(emit, ud, ev);
	}
}

void
state_handle(struct state *st, const struct input *in, state_emit emit, void *ud,
             struct feedback_say *say)
{
	json_t *ev;

	say->text = NULL;
	say->cue = 0;
	switch (in->kind) {
	case IN_WAKE:
		send(emit, ud, state_event(st, "wake", in->t));
		say->cue = 1;
		break;
	case IN_COMMAND:
		handle_command(st, in, emit, ud, say);
		break;
	case IN_REJECT:
		ev = state_event(st, "rejected", in->t);
		json_object_set_new(ev, "reason", json_string(in->reason));
		if (in->text[0])
			json_object_set_new(ev, "text", json_string(in->text));
		send(emit, ud, ev);
		if (strcmp(in->reason, "timeout") != 0)
			say->text = "Sorry?";
		break;
	default:
		break;
	}
}

json_t *
state_hello(const struct state *st)
{
	json_t *content = json_array(), *controls = json_array();

	for (size_t i = 0; i < st->cat->nentries; i++) {
		const struct catalogue_entry *e = &st->cat->entries[i];
		if (e->is_control) {
			json_array_append_new(controls, json_pack("{s:s, s:s}", "id", e->id, "en", e->en));
			continue;
		}
		json_array_append_new(content, json_pack("{s:s, s:s, s:s, s:s}", "id", e->id,
		    "en", e->en, "ko", e->ko, "privacy", e->privacy == CAT_PRIVATE ? "private" : "public"));
	}
	return json_pack("{s:s, s:i, s:s, s:s, s:s, s:o, s:o}", "type", "hello",
	    "version", PROTOCOL_VERSION, "server", "smartofficed", "screen", st->screen,
	    "mode", st->private_mode ? "private" : "public", "catalogue", content, "controls", controls);
}
