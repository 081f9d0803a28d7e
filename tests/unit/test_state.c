/*
 * test_state — routing what was heard into client events (daemon/state.c):
 * navigation, the public/private policy, controls, wake and rejections,
 * the hello message, and a catalogue reloaded under the recognizer.
 *
 * Run from the repository root (tests/run-unit does).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "base/queue.h"
#include "daemon/state.h"
#include "models/catalogue.h"

#define CATALOGUE "models/catalogue.json"

struct fixture {
	struct catalogue *cat;
	struct state      st;
	json_t           *events;   /* what state_handle emitted */
	json_t           *pubs;     /* ... what public clients got of each (null: nothing) */
	struct feedback_say say;
};

static void
collect(void *ud, json_t *ev, json_t *pub)
{
	struct fixture *f = ud;

	json_array_append(f->events, ev);
	json_array_append_new(f->pubs, pub != NULL ? json_deep_copy(pub) : json_null());
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	char err[4096] = "";

	f->cat = catalogue_load(CATALOGUE, err, sizeof err);
	if (f->cat == NULL) {
		fprintf(stderr, "%s (run from the repository root)\n", err);
		free(f);
		return -1;
	}
	state_init(&f->st, f->cat, UNLOCK_FACE);
	f->events = json_array();
	f->pubs = json_array();
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	json_decref(f->events);
	json_decref(f->pubs);
	catalogue_free(f->cat);
	free(f);
	return 0;
}

static struct input
command(const char *id, const char *text, double t, double confidence)
{
	struct input in;

	memset(&in, 0, sizeof in);
	in.kind = IN_COMMAND;
	in.t = t;
	in.speech.confidence = confidence;
	snprintf(in.speech.id, sizeof in.speech.id, "%s", id);
	snprintf(in.speech.text, sizeof in.speech.text, "%s", text);
	return in;
}

/* Routes one input; returns how many events it emitted (from index *first). */
static size_t
handle(struct fixture *f, const struct input *in, size_t *first)
{
	size_t before = json_array_size(f->events);

	f->say.text = "unset";
	f->say.cue = -1;
	state_handle(&f->st, in, collect, f, &f->say);
	*first = before;
	return json_array_size(f->events) - before;
}

static json_t *
ev(struct fixture *f, size_t i)
{
	json_t *e = json_array_get(f->events, i);

	assert_non_null(e);
	assert_true(json_is_object(e));
	return e;
}

static const char *
str(json_t *e, const char *key)
{
	json_t *v = json_object_get(e, key);

	if (!json_is_string(v)) {
		char *dump = json_dumps(e, JSON_SORT_KEYS);
		fail_msg("event %s has no string \"%s\"", dump, key);
	}
	return json_string_value(v);
}

static json_int_t
num(json_t *e, const char *key)
{
	json_t *v = json_object_get(e, key);

	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

static double
real(json_t *e, const char *key)
{
	json_t *v = json_object_get(e, key);

	assert_true(json_is_number(v));
	return json_number_value(v);
}

/* ------------------------------------------------------------------ */

static void
test_navigate(void **state)
{
	struct fixture *f = *state;
	struct input in = command("air-quality", "show me the air quality", 2.5, 0.87654);
	size_t i;
	json_t *e;

	assert_string_equal(f->st.screen, "main");
	assert_int_equal(handle(f, &in, &i), 2);
	e = ev(f, i);
	assert_string_equal(str(e, "type"), "intent");
	assert_int_equal(num(e, "seq"), 1);
	assert_true(real(e, "t") == 2.5);
	assert_string_equal(str(e, "content"), "air-quality");
	assert_string_equal(str(e, "text"), "show me the air quality");
	assert_true(real(e, "confidence") == 0.877);
	assert_null(json_object_get(e, "command"));
	e = ev(f, i + 1);
	assert_string_equal(str(e, "type"), "navigate");
	assert_int_equal(num(e, "seq"), 2);
	assert_true(real(e, "t") == 2.5);
	assert_string_equal(str(e, "content"), "air-quality");
	assert_string_equal(str(e, "source"), "voice");
	assert_string_equal(f->say.text, "Air quality");
	assert_int_equal(f->say.cue, 0);
	assert_string_equal(f->st.screen, "air-quality");
	/* The sequence goes on across inputs. */
	in = command("transportation", "traffic", 3.25, 0.9);
	assert_int_equal(handle(f, &in, &i), 2);
	assert_int_equal(num(ev(f, i), "seq"), 3);
	assert_int_equal(num(ev(f, i + 1), "seq"), 4);
	assert_string_equal(str(ev(f, i + 1), "content"), "transportation");
	assert_string_equal(f->say.text, "Transportation");
	assert_string_equal(f->st.screen, "transportation");
}

static void
test_private_in_public_denied(void **state)
{
	struct fixture *f = *state;
	struct input in = command("approval-documents", "documents for approval", 1.0, 0.8);
	size_t i;
	json_t *e;

	assert_int_equal(handle(f, &in, &i), 2);
	e = ev(f, i);
	assert_string_equal(str(e, "type"), "intent");
	assert_string_equal(str(e, "content"), "approval-documents");
	e = ev(f, i + 1);
	assert_string_equal(str(e, "type"), "denied");
	assert_int_equal(num(e, "seq"), 2);
	assert_string_equal(str(e, "content"), "approval-documents");
	assert_string_equal(str(e, "reason"), "private-content-in-public-mode");
	assert_string_equal(f->st.screen, "main");
	assert_int_equal(f->st.private_mode, 0);
	assert_non_null(f->say.text);
	assert_string_not_equal(f->say.text, "Documents for approval");
	/* The other private screen too. */
	in = command("video-conference", "video call", 1.5, 0.8);
	assert_int_equal(handle(f, &in, &i), 2);
	assert_string_equal(str(ev(f, i + 1), "type"), "denied");
	assert_string_equal(f->st.screen, "main");
}

static void
test_voice_unlock_private_then_public(void **state)
{
	struct fixture *f = *state;
	struct input in;
	size_t i;
	json_t *e;

	state_init(&f->st, f->cat, UNLOCK_VOICE);
	in = command("private-mode", "private mode", 1.0, 0.9);
	assert_int_equal(handle(f, &in, &i), 2);
	e = ev(f, i);
	assert_string_equal(str(e, "type"), "intent");
	assert_string_equal(str(e, "command"), "private-mode");
	assert_null(json_object_get(e, "content"));
	e = ev(f, i + 1);
	assert_string_equal(str(e, "type"), "mode");
	assert_int_equal(num(e, "seq"), 2);
	assert_string_equal(str(e, "mode"), "private");
	assert_string_equal(str(e, "reason"), "voice");
	assert_int_equal(f->st.private_mode, 1);
	assert_string_equal(f->say.text, "Private mode");

	in = command("approval-documents", "approval documents", 2.0, 0.9);
	assert_int_equal(handle(f, &in, &i), 2);
	e = ev(f, i + 1);
	assert_string_equal(str(e, "type"), "navigate");
	assert_string_equal(str(e, "content"), "approval-documents");
	assert_string_equal(str(e, "source"), "voice");
	assert_string_equal(f->st.screen, "approval-documents");

	/* Back to public: a public display must not keep private content. */
	in = command("public-mode", "public mode", 3.0, 0.9);
	assert_int_equal(handle(f, &in, &i), 3);
	assert_string_equal(str(ev(f, i), "type"), "intent");
	assert_string_equal(str(ev(f, i), "command"), "public-mode");
	e = ev(f, i + 1);
	assert_string_equal(str(e, "type"), "mode");
	assert_string_equal(str(e, "mode"), "public");
	e = ev(f, i + 2);
	assert_string_equal(str(e, "type"), "navigate");
	assert_int_equal(num(e, "seq"), 7);
	assert_true(real(e, "t") == 3.0);
	assert_string_equal(str(e, "content"), "main");
	assert_string_equal(str(e, "source"), "policy");
	assert_string_equal(f->st.screen, "main");
	assert_int_equal(f->st.private_mode, 0);

	/* Public mode over a public screen: no navigation. */
	in = command("air-quality", "air quality", 4.0, 0.9);
	handle(f, &in, &i);
	in = command("public-mode", "public mode", 5.0, 0.9);
	assert_int_equal(handle(f, &in, &i), 2);
	assert_string_equal(f->st.screen, "air-quality");
}

static void
test_face_unlock_denied(void **state)
{
	struct fixture *f = *state;
	struct input in = command("private-mode", "go private", 1.0, 0.9);
	size_t i;
	json_t *e;

	assert_int_equal(f->st.unlock, UNLOCK_FACE);
	assert_int_equal(handle(f, &in, &i), 2);
	e = ev(f, i + 1);
	assert_string_equal(str(e, "type"), "denied");
	assert_string_equal(str(e, "command"), "private-mode");
	assert_string_equal(str(e, "reason"), "face-verification-required");
	assert_null(json_object_get(e, "content"));
	assert_int_equal(f->st.private_mode, 0);
	assert_non_null(f->say.text);
	assert_string_not_equal(f->say.text, "Private mode");
	/* And still no private content. */
	in = command("approval-documents", "documents", 2.0, 0.9);
	handle(f, &in, &i);
	assert_string_equal(str(ev(f, i + 1), "type"), "denied");
}

/* Private mode asked for while a guided enrollment holds the camera: the
 * verification fails with its own reason and a hint that says to wait
 * (not "look at the camera"). */
static void
test_face_failed_enrolling(void **state)
{
	struct fixture *f = *state;
	struct input in = command("private-mode", "go private", 1.0, 0.9);
	size_t i, n;
	json_t *e = NULL;

	f->st.face_available = 1;
	handle(f, &in, &i);
	assert_string_equal(str(ev(f, i), "type"), "intent");
	assert_string_equal(str(ev(f, i + 1), "type"), "verify");
	assert_string_equal(str(ev(f, i + 1), "state"), "started");
	i = json_array_size(f->events);
	state_face(&f->st, FACE_FAILED, "a face enrollment is running", 1.2, collect, f);
	n = json_array_size(f->events);
	for (; i < n && e == NULL; i++)
		if (!strcmp(str(ev(f, i), "type"), "verify"))
			e = ev(f, i);
	assert_non_null(e);
	assert_string_equal(str(e, "state"), "failed");
	assert_string_equal(str(e, "reason"), "enrolling");
	assert_non_null(strstr(str(e, "hint"), "wait for the face enrollment to end"));
	assert_int_equal(f->st.private_mode, 0);
}

static void
test_control(void **state)
{
	struct fixture *f = *state;
	struct input in = command("next", "next page", 4.125, 0.75);
	size_t i;
	json_t *e;

	assert_int_equal(handle(f, &in, &i), 2);
	e = ev(f, i);
	assert_string_equal(str(e, "type"), "intent");
	assert_string_equal(str(e, "command"), "next");
	assert_string_equal(str(e, "text"), "next page");
	assert_true(real(e, "confidence") == 0.75);
	e = ev(f, i + 1);
	assert_string_equal(str(e, "type"), "command");
	assert_int_equal(num(e, "seq"), 2);
	assert_true(real(e, "t") == 4.125);
	assert_string_equal(str(e, "command"), "next");
	assert_string_equal(str(e, "source"), "voice");
	assert_string_equal(f->say.text, "Next");
	assert_string_equal(f->st.screen, "main");
}

static void
test_wake(void **state)
{
	struct fixture *f = *state;
	struct input in;
	size_t i;
	json_t *e;

	memset(&in, 0, sizeof in);
	in.kind = IN_WAKE;
	in.t = 1.7;
	assert_int_equal(handle(f, &in, &i), 1);
	e = ev(f, i);
	assert_string_equal(str(e, "type"), "wake");
	assert_int_equal(num(e, "seq"), 1);
	assert_true(real(e, "t") == 1.7);
	assert_int_equal(f->say.cue, 1);
	assert_null(f->say.text);
}

static void
test_reject(void **state)
{
	struct fixture *f = *state;
	struct input in;
	size_t i;
	json_t *e;

	memset(&in, 0, sizeof in);
	in.kind = IN_REJECT;
	in.t = 6.0;
	snprintf(in.speech.reason, sizeof in.speech.reason, "low-confidence");
	snprintf(in.speech.text, sizeof in.speech.text, "show me the weather");
	assert_int_equal(handle(f, &in, &i), 1);
	e = ev(f, i);
	assert_string_equal(str(e, "type"), "rejected");
	assert_string_equal(str(e, "reason"), "low-confidence");
	assert_string_equal(str(e, "text"), "show me the weather");
	assert_string_equal(f->say.text, "Sorry?");
	assert_int_equal(f->say.cue, 0);

	snprintf(in.speech.reason, sizeof in.speech.reason, "no-command");
	in.speech.text[0] = '\0';
	assert_int_equal(handle(f, &in, &i), 1);
	assert_string_equal(str(ev(f, i), "reason"), "no-command");
	assert_null(json_object_get(ev(f, i), "text"));
	assert_string_equal(f->say.text, "Sorry?");

	/* A timeout is silence: nothing to apologise for. */
	snprintf(in.speech.reason, sizeof in.speech.reason, "timeout");
	assert_int_equal(handle(f, &in, &i), 1);
	e = ev(f, i);
	assert_string_equal(str(e, "type"), "rejected");
	assert_int_equal(num(e, "seq"), 3);
	assert_string_equal(str(e, "reason"), "timeout");
	assert_null(f->say.text);
	assert_string_equal(f->st.screen, "main");
}

static void
test_other_inputs_emit_nothing(void **state)
{
	struct fixture *f = *state;
	static const enum input_kind kinds[] = { IN_EOF, IN_DEVICE_ERROR, IN_SIGNAL };
	struct input in;
	size_t i;

	for (size_t k = 0; k < 3; k++) {
		memset(&in, 0, sizeof in);
		in.kind = kinds[k];
		assert_int_equal(handle(f, &in, &i), 0);
		assert_null(f->say.text);
		assert_int_equal(f->say.cue, 0);
	}
	assert_int_equal(f->st.seq, 0);
}

static void
test_hello(void **state)
{
	struct fixture *f = *state;
	json_t *h = state_hello(&f->st, 1, "display"), *content, *controls, *x;
	size_t i, nprivate = 0;

	assert_non_null(h);
	assert_string_equal(str(h, "type"), "hello");
	assert_int_equal(num(h, "version"), 2);
	assert_string_equal(str(h, "view"), "trusted");
	assert_string_equal(str(h, "role"), "display");
	assert_string_equal(str(h, "screen"), "main");
	assert_string_equal(str(h, "mode"), "public");
	content = json_object_get(h, "catalogue");
	controls = json_object_get(h, "controls");
	assert_true(json_is_array(content));
	assert_true(json_is_array(controls));
	assert_int_equal(json_array_size(content), f->cat->ncontent);
	assert_int_equal(json_array_size(controls), f->cat->nentries - f->cat->ncontent);
	assert_int_equal(json_array_size(content), 26);
	assert_int_equal(json_array_size(controls), 10);
	json_array_foreach(content, i, x) {
		const struct catalogue_entry *e = &f->cat->entries[i];
		assert_string_equal(str(x, "id"), e->id);
		assert_string_equal(str(x, "en"), e->en);
		assert_string_equal(str(x, "ko"), e->ko);
		assert_string_equal(str(x, "privacy"), e->privacy == CAT_PRIVATE ? "private" : "public");
		nprivate += e->privacy == CAT_PRIVATE;
	}
	assert_int_equal(nprivate, 2);
	assert_string_equal(str(json_array_get(content, 3), "id"), "air-quality");
	assert_string_equal(str(json_array_get(content, 3), "ko"), "대기환경");
	json_array_foreach(controls, i, x) {
		const struct catalogue_entry *e = &f->cat->entries[f->cat->ncontent + i];
		assert_string_equal(str(x, "id"), e->id);
		assert_string_equal(str(x, "en"), e->en);
	}
	assert_string_equal(str(json_array_get(controls, 0), "id"), "next");
	json_decref(h);

	/* It follows the state. */
	state_init(&f->st, f->cat, UNLOCK_VOICE);
	{
		struct input in = command("private-mode", "private", 1, 1);
		size_t first;
		handle(f, &in, &first);
		in = command("video-conference", "video call", 2, 1);
		handle(f, &in, &first);
	}
	h = state_hello(&f->st, 1, "display");
	assert_string_equal(str(h, "screen"), "video-conference");
	assert_string_equal(str(h, "mode"), "private");
	json_decref(h);
}

/* Does any public copy so far mention s (as a JSON text)? */
static int
public_mentions(struct fixture *f, const char *s)
{
	size_t i;
	json_t *p;
	int found = 0;

	json_array_foreach(f->pubs, i, p) {
		char *text = json_dumps(p, JSON_COMPACT | JSON_ENCODE_ANY);
		found |= text != NULL && strstr(text, s) != NULL;
		free(text);
	}
	return found;
}

/* Public clients never get private content, private mode, or the words of
 * a private command; trusted ones get everything. */
static void
test_views(void **state)
{
	struct fixture *f = *state;
	struct input in;
	size_t first, n, i;
	json_t *h, *x;

	state_init(&f->st, f->cat, UNLOCK_VOICE);
	in = command("air-quality", "show air quality", 1, 0.9);
	n = handle(f, &in, &first);
	assert_int_equal(n, 2);
	for (i = first; i < first + n; i++)        /* public: sent as is */
		assert_true(json_equal(json_array_get(f->pubs, i), ev(f, i)));

	in = command("private-mode", "secret words private mode", 2, 0.9);
	n = handle(f, &in, &first);
	assert_int_equal(n, 2);                      /* intent, mode */
	assert_string_equal(str(ev(f, first + 1), "mode"), "private");
	assert_true(json_is_null(json_array_get(f->pubs, first)));
	assert_true(json_is_null(json_array_get(f->pubs, first + 1)));

	in = command("approval-documents", "documents for approval", 3, 0.9);
	n = handle(f, &in, &first);
	assert_int_equal(n, 2);
	assert_string_equal(str(ev(f, first + 1), "type"), "navigate");
	assert_string_equal(f->st.screen, "approval-documents");
	assert_string_equal(f->st.public_screen, "air-quality");

	/* A rejection: the words stay with the trusted. */
	memset(&in, 0, sizeof in);
	in.kind = IN_REJECT;
	in.t = 4;
	snprintf(in.speech.reason, sizeof in.speech.reason, "low-confidence");
	snprintf(in.speech.text, sizeof in.speech.text, "budget of the mayor");
	n = handle(f, &in, &first);
	assert_int_equal(n, 1);
	assert_string_equal(str(ev(f, first), "text"), "budget of the mayor");
	assert_null(json_object_get(json_array_get(f->pubs, first), "text"));
	assert_string_equal(str(json_array_get(f->pubs, first), "reason"), "low-confidence");

	assert_false(public_mentions(f, "approval-documents"));
	assert_false(public_mentions(f, "private"));
	assert_false(public_mentions(f, "secret"));
	assert_false(public_mentions(f, "budget"));

	/* Hello in the public view: public entries, public screen and mode. */
	h = state_hello(&f->st, 0, "display");
	assert_string_equal(str(h, "view"), "public");
	assert_string_equal(str(h, "screen"), "air-quality");
	assert_string_equal(str(h, "mode"), "public");
	json_array_foreach(json_object_get(h, "catalogue"), i, x)
		assert_string_equal(str(x, "privacy"), "public");
	assert_int_equal(json_array_size(json_object_get(h, "catalogue")), 24);
	json_array_foreach(json_object_get(h, "controls"), i, x) {
		assert_string_not_equal(str(x, "id"), "private-mode");
		assert_string_not_equal(str(x, "id"), "public-mode");
	}
	assert_int_equal(json_array_size(json_object_get(h, "controls")), 8);
	json_decref(h);

	/* Back to public: the private screen is left for main, for everyone. */
	in = command("public-mode", "public mode", 5, 0.9);
	n = handle(f, &in, &first);
	assert_int_equal(n, 3);                      /* intent, mode, navigate */
	assert_string_equal(str(ev(f, first + 2), "content"), "main");
	assert_string_equal(str(ev(f, first + 2), "source"), "policy");
	assert_true(json_equal(json_array_get(f->pubs, first + 2), ev(f, first + 2)));
	assert_string_equal(f->st.public_screen, "main");
}

/* A tap from a paired remote: the same routing, source "remote", no intent;
 * errors for unknown and denied ids. */
static void
test_select(void **state)
{
	struct fixture *f = *state;
	const char *code, *reason;
	size_t before = json_array_size(f->events);

	code = state_select(&f->st, "transportation", "remote", 1, collect, f, &f->say, &reason);
	assert_null(code);
	assert_int_equal(json_array_size(f->events), before + 1);
	assert_string_equal(str(ev(f, before), "type"), "navigate");
	assert_string_equal(str(ev(f, before), "source"), "remote");
	assert_string_equal(f->st.screen, "transportation");

	code = state_select(&f->st, "no-such-screen", "remote", 2, collect, f, &f->say, &reason);
	assert_string_equal(code, "unknown-content");
	assert_int_equal(json_array_size(f->events), before + 1);

	code = state_select(&f->st, "video-conference", "remote", 3, collect, f, &f->say, &reason);
	assert_string_equal(code, "denied");
	assert_string_equal(reason, "private-content-in-public-mode");
	assert_string_equal(f->st.screen, "transportation");

	code = state_select(&f->st, "private-mode", "remote", 4, collect, f, &f->say, &reason);
	assert_string_equal(code, "denied");
	assert_string_equal(reason, "face-verification-required");
	assert_int_equal(f->st.private_mode, 0);

	code = state_select(&f->st, "next", "remote", 5, collect, f, &f->say, &reason);
	assert_null(code);
	assert_string_equal(str(ev(f, json_array_size(f->events) - 1), "command"), "next");

	/* Face verification (the vision side) switches the mode. */
	state_set_mode(&f->st, 1, 6, "face-verified", collect, f);
	assert_int_equal(f->st.private_mode, 1);
	assert_string_equal(str(ev(f, json_array_size(f->events) - 1), "reason"), "face-verified");
	assert_true(json_is_null(json_array_get(f->pubs, json_array_size(f->pubs) - 1)));
}

/* The catalogue reloaded: ids the recognizer still has but the catalogue no
 * longer does are dropped, and a screen that went away becomes main. */
static void
test_catalogue_reloaded(void **state)
{
	struct fixture *f = *state;
	char path[] = "/tmp/test_state-XXXXXX", err[2048] = "";
	struct catalogue *small;
	struct input in;
	size_t i;
	FILE *fp;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	fputs("{ \"wake\": { \"phrase\": \"hey seoul\" },\n"
	    "  \"content\": [ { \"id\": \"main\", \"en\": \"Main\", \"ko\": \"메인\", \"privacy\": \"public\",\n"
	    "                 \"say\": [\"main page\"] },\n"
	    "               { \"id\": \"air-quality\", \"en\": \"Air\", \"ko\": \"대기\", \"privacy\": \"public\",\n"
	    "                 \"say\": [\"air quality\"] } ],\n"
	    "  \"controls\": [ { \"id\": \"next\", \"en\": \"Next\", \"say\": [\"next\"] } ] }\n", fp);
	fclose(fp);
	small = catalogue_load(path, err, sizeof err);
	unlink(path);
	if (small == NULL)
		fail_msg("%s", err);

	in = command("cctv", "cctv", 1.0, 0.9);
	assert_int_equal(handle(f, &in, &i), 2);
	assert_string_equal(f->st.screen, "cctv");
	state_set_catalogue(&f->st, small);
	assert_string_equal(f->st.screen, "main");
	assert_int_equal(handle(f, &in, &i), 0);
	assert_null(f->say.text);
	assert_int_equal(f->st.seq, 2);
	in = command("no-such-id", "whatever", 2.0, 0.9);
	assert_int_equal(handle(f, &in, &i), 0);
	/* Known ids still work, and a screen that stays is kept. */
	in = command("air-quality", "air quality", 3.0, 0.9);
	assert_int_equal(handle(f, &in, &i), 2);
	assert_int_equal(num(ev(f, i), "seq"), 3);
	state_set_catalogue(&f->st, f->cat);
	assert_string_equal(f->st.screen, "air-quality");
	catalogue_free(small);
}

static void
test_event(void **state)
{
	struct fixture *f = *state;
	json_t *e = state_event(&f->st, "custom", 12.3456);

	assert_string_equal(str(e, "type"), "custom");
	assert_int_equal(num(e, "seq"), 1);
	assert_true(real(e, "t") == 12.346);
	json_decref(e);
	e = state_event(&f->st, "custom", 0);
	assert_int_equal(num(e, "seq"), 2);
	assert_true(real(e, "t") == 0.0);
	json_decref(e);
}

/* The remote's confirmation deadline: armed once when a confirmation is
 * pending, late only past it, cleared when none is. */
static void
test_confirm_deadline(void **state)
{
	struct fixture *f = *state;
	struct state *st = &f->st;

	st->confirm_pending = 0;
	state_confirm_clock(st, 100.0, 15.0);
	assert_true(st->confirm_by == 0);
	assert_false(state_confirm_late(st, 1e9));
	st->confirm_pending = 1;
	state_confirm_clock(st, 100.0, 15.0);
	state_confirm_clock(st, 110.0, 15.0);		/* not re-armed */
	assert_true(st->confirm_by == 115.0);
	assert_false(state_confirm_late(st, 114.9));
	assert_true(state_confirm_late(st, 115.1));
	st->confirm_pending = 0;
	state_confirm_clock(st, 120.0, 15.0);
	assert_true(st->confirm_by == 0);
	assert_false(state_confirm_late(st, 200.0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_navigate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_private_in_public_denied, setup, teardown),
		cmocka_unit_test_setup_teardown(test_voice_unlock_private_then_public, setup, teardown),
		cmocka_unit_test_setup_teardown(test_face_unlock_denied, setup, teardown),
		cmocka_unit_test_setup_teardown(test_face_failed_enrolling, setup, teardown),
		cmocka_unit_test_setup_teardown(test_control, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wake, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reject, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_inputs_emit_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_views, setup, teardown),
		cmocka_unit_test_setup_teardown(test_select, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hello, setup, teardown),
		cmocka_unit_test_setup_teardown(test_catalogue_reloaded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_event, setup, teardown),
		cmocka_unit_test_setup_teardown(test_confirm_deadline, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
