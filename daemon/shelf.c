/*
 * shelf (daemon) — the bookshelf camera and door threads, and the routing
 * of what they find (shelf.h).
 */
#include "daemon/shelf.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/queue.h"
#include "base/worker.h"
#include "base/xalloc.h"
#include "daemon/daemon.h"
#include "daemon/state.h"
#include "devices/camera.h"
#include "devices/door.h"
#include "devices/record.h"
#include "models/shelf.h"

#define ROLE "shelf"
#define DOOR_QUEUE 32

struct shelf_thread {
	struct shelf_thread_config cfg;
	char            *camera, *door, *catpath;
	struct queue    *q;
	void           (*wake)(void *);
	void            *wake_ud;
	struct camera_sup *cam;
	struct shelf    *model;
	int              live;
	struct worker    thr, door_thr;
	struct door_sup *door_sup;
	/* Door changes from the service thread, applied by the shelf thread
	 * once its stream reaches their time (a replayed door and a replayed
	 * video stay in step however slowly the video is read). */
	pthread_mutex_t  door_lock;
	struct { double t; int open; } door_q[DOOR_QUEUE];
	int              door_n;
	pthread_mutex_t  known_lock;     /* guards known_next */
	unsigned char    known_next[SHELF_NIDS];
	atomic_int       known_changed;
	/* the thread's own */
	struct cv_image  im;
	struct camera_clock clk;        /* stream time continues after a reopen */
	int              warned_queue, warned_rec, open_warned;
	unsigned char    seen_unknown[SHELF_NIDS];
	double           open_t;         /* stream time the door opened (-1 closed) */
	_Atomic double   t_now;          /* t_last, for the door thread */
	/* the service thread's own: where the walls were before each take */
	char             before[SHELF_NIDS][64];
	unsigned char    unknown_warned[SHELF_NIDS];
};

static void
push(struct shelf_thread *s, struct input *in)
{
	snprintf(in->source, sizeof in->source, "shelf");
	if (queue_push(s->q, in) < 0) {
		if (!s->warned_queue++)
			log_warnx("event queue full: a shelf input was dropped");
		return;
	}
	s->wake(s->wake_ud);
}

static void
push_camera(struct shelf_thread *s, double t, enum camera_state st, const char *why)
{
	struct input in = { .kind = IN_CAMERA, .t = t };

	in.camera.state = st;
	snprintf(in.camera.role, sizeof in.camera.role, ROLE);
	snprintf(in.camera.text, sizeof in.camera.text, "%.250s", why ? why : "");
	push(s, &in);
}

static void
set_known(unsigned char *known, const struct catalogue *cat)
{
	memset(known, 0, SHELF_NIDS);
	for (size_t i = 0; cat != NULL && i < cat->nbooks; i++)
		if (cat->books[i].marker >= 0 && cat->books[i].marker < SHELF_NIDS)
			known[cat->books[i].marker] = 1;
}

static void
rebuild_model(struct shelf_thread *s)
{
	struct shelf_config cfg = shelf_default_config();
	unsigned char known[SHELF_NIDS];
	struct shelf *m;
	char err[256];
	int open = s->model ? shelf_door_open(s->model) : 1;

	pthread_mutex_lock(&s->known_lock);
	memcpy(known, s->known_next, sizeof known);
	pthread_mutex_unlock(&s->known_lock);
	cfg.known = known;
	if ((m = shelf_new(&cfg, err, sizeof err)) == NULL) {
		log_warnx("shelf: %s (keeping the old book list)", err);
		return;
	}
	shelf_free(s->model);
	s->model = m;
	shelf_set_door(m, s->clk.last, open);
}

static void
frame(struct shelf_thread *s, double t)
{
	struct shelf_event ev[16];
	char err[256];
	int n, d;

	pthread_mutex_lock(&s->door_lock);
	for (d = 0; d < s->door_n && s->door_q[d].t <= t; d++)
		shelf_set_door(s->model, s->door_q[d].t, s->door_q[d].open);
	if (d > 0) {
		memmove(s->door_q, s->door_q + d, (size_t)(s->door_n - d) * sizeof s->door_q[0]);
		s->door_n -= d;
	}
	pthread_mutex_unlock(&s->door_lock);
	/* A door open for an hour: a wedge, or a stuck sensor; said once, and
	 * the books are still watched. */
	if (!shelf_door_open(s->model)) {
		s->open_t = -1;
	} else if (s->open_t < 0) {
		s->open_t = t;
		s->open_warned = 0;
	} else if (!s->open_warned && t - s->open_t > s->cfg.door_open_warn_s) {
		s->open_warned = 1;
		log_warnx("shelf door open for %.0f min (a stuck sensor?); books are still watched",
		    (t - s->open_t) / 60);
	}
	if ((n = shelf_frame(s->model, &s->im, t, ev, 16, err, sizeof err)) < 0) {
		log_warnx("shelf: %s", err);
		return;
	}
	/* A marker the catalogue does not know, seen for a while: said once. */
	for (int id = 0; id < SHELF_NIDS; id++)
		if (!s->seen_unknown[id] && shelf_stats(s->model)->unknown[id] >= 10) {
			s->seen_unknown[id] = 1;
			log_warnx("shelf: marker %d is on the shelf but is no book of the catalogue "
			    "(\"books\" in %s); ignored", id, s->catpath);
		}
	for (int i = 0; i < n; i++) {
		struct input in = { .kind = IN_SHELF, .t = t };
		in.shelf.what = ev[i].type == SHELF_TAKEN ? SHELF_BOOK_TAKEN : SHELF_BOOK_RETURNED;
		in.shelf.marker = ev[i].marker;
		in.shelf.t_since = ev[i].t_since;
		in.shelf.moved = ev[i].moved;
		log_info("shelf: marker %d %s at %.2f s (%.0f, %.0f)", ev[i].marker,
		    ev[i].type == SHELF_TAKEN ? "taken" : "returned", t, ev[i].x, ev[i].y);
		push(s, &in);
	}
	if (s->cfg.rec != NULL && !s->warned_rec &&
	    record_frame(s->cfg.rec, ROLE, &s->im, t, err, sizeof err) < 0) {
		log_warnx("record: %s (camera shelf is no longer recorded)", err);
		s->warned_rec = 1;
	}
}

static void *
shelf_main(void *arg)
{
	struct shelf_thread *s = arg;
	char err[512];
	double t;

	while (!worker_stopping(&s->thr)) {
		if (atomic_exchange(&s->known_changed, 0))
			rebuild_model(s);
		switch (camera_sup_read(s->cam, &s->im, &t, err, sizeof err)) {
		case CAMERA_SUP_FRAME:
			t = camera_clock_frame(&s->clk, camera_sup_camera(s->cam), t);
			atomic_store(&s->t_now, t);
			if (s->im.channels == 3)
				frame(s, t);
			break;
		case CAMERA_SUP_END:
			log_info("camera shelf: the replay ended at %.2f s", s->clk.last);
			push_camera(s, s->clk.last, CAMERA_END, "");
			return NULL;
		case CAMERA_SUP_LOST:
			log_warnx("camera shelf lost: %s", err);
			shelf_camera_lost(s->model, s->clk.last);
			push_camera(s, s->clk.last, CAMERA_LOST, err);
			if (!s->live) {
				push_camera(s, s->clk.last, CAMERA_END, "a replay is not reopened");
				return NULL;
			}
			break;
		case CAMERA_SUP_BACK:
			log_info("camera shelf is back");
			push_camera(s, s->clk.last, CAMERA_BACK, "");
			s->clk.rebase = 1;
			break;
		default:
			break;
		}
	}
	return NULL;
}

/* The door sensor's thread: changes, losses and returns into the queue. */
static void *
door_main(void *arg)
{
	struct shelf_thread *s = arg;
	char err[256];
	int open;

	while (!worker_stopping(&s->door_thr)) {
		struct input in = { .kind = IN_DOOR };
		int r = door_sup_read(s->door_sup, 200, &open, err, sizeof err);
		in.t = atomic_load(&s->t_now);
		if (r == DOOR_SUP_CHANGE || r == DOOR_SUP_BACK) {
			if (r == DOOR_SUP_BACK) {
				in.door.state = DOOR_EV_BACK;
				push(s, &in);
			}
			in.door.state = open ? DOOR_EV_OPEN : DOOR_EV_CLOSED;
			push(s, &in);
		} else if (r == DOOR_SUP_LOST) {
			in.door.state = DOOR_EV_LOST;
			snprintf(in.door.text, sizeof in.door.text, "%.250s", err);
			push(s, &in);
		}
	}
	return NULL;
}

struct shelf_thread *
shelf_thread_new(const struct shelf_thread_config *cfg, struct queue *q, void (*wake)(void *),
    void *wake_ud, char *err, size_t errlen)
{
	struct camera_sup_conf conf = { 0 };
	struct shelf_thread *s;
	struct camera *c;

	if (cfg->camera == NULL || *cfg->camera == '\0') {
		snprintf(err, errlen, "camera shelf: no camera spec");
		return NULL;
	}
	s = xcalloc(1, sizeof *s);
	s->cfg = *cfg;
	s->camera = xstrdup(cfg->camera);
	s->door = xstrdup(cfg->door ? cfg->door : "");
	s->cfg.camera = s->camera;
	s->cfg.door = s->door;
	s->cfg.cat = NULL;   /* not kept: a reload frees it (shelf_thread_catalogue) */
	s->catpath = xstrdup(cfg->cat && cfg->cat->path ? cfg->cat->path : "the catalogue");
	if (s->cfg.door_open_warn_s <= 0)
		s->cfg.door_open_warn_s = 3600;
	s->q = q;
	s->wake = wake;
	s->wake_ud = wake_ud;
	pthread_mutex_init(&s->door_lock, NULL);
	pthread_mutex_init(&s->known_lock, NULL);
	set_known(s->known_next, cfg->cat);
	s->open_t = -1;
	conf.allow_absent = strncmp(s->camera, "v4l2:", 5) == 0;
	if ((s->cam = camera_sup_open(ROLE, s->camera, NULL, cfg->realtime, &conf, err, errlen)) == NULL)
		goto fail;
	c = camera_sup_camera(s->cam);
	s->live = c != NULL ? c->live : 1;
	rebuild_model(s);
	if (s->model == NULL) {
		snprintf(err, errlen, "shelf: cannot make the model");
		goto fail;
	}
	if (*s->door != '\0') {
		/* A sensor: the door is what it says, from its first read. */
		if ((s->door_sup = door_sup_open(s->door, NULL, 1, 0.5, 10, err, errlen)) == NULL)
			goto fail;
	}
	if (c != NULL)
		log_info("camera shelf: %s, %dx%d; %zu books in the catalogue%s%s", s->camera, c->w, c->h,
		    cfg->cat ? cfg->cat->nbooks : 0, *s->door ? "; door " : "", s->door);
	return s;
fail:
	shelf_thread_free(s);
	return NULL;
}

int
shelf_thread_start(struct shelf_thread *s)
{
	if (worker_start(&s->thr, shelf_main, s) < 0)
		return -1;
	if (s->door_sup != NULL && worker_start(&s->door_thr, door_main, s) < 0)
		return -1;
	return 0;
}

void
shelf_thread_door(struct shelf_thread *s, double t, int open)
{
	pthread_mutex_lock(&s->door_lock);
	if (s->door_n == DOOR_QUEUE) {   /* the stream is stuck: keep the newest */
		memmove(s->door_q, s->door_q + 1, (DOOR_QUEUE - 1) * sizeof s->door_q[0]);
		s->door_n--;
	}
	s->door_q[s->door_n].t = t;
	s->door_q[s->door_n++].open = open != 0;
	pthread_mutex_unlock(&s->door_lock);
}

void
shelf_thread_catalogue(struct shelf_thread *s, const struct catalogue *cat)
{
	unsigned char known[SHELF_NIDS];

	set_known(known, cat);
	pthread_mutex_lock(&s->known_lock);
	if (memcmp(known, s->known_next, sizeof known) != 0) {
		memcpy(s->known_next, known, sizeof known);
		atomic_store(&s->known_changed, 1);
	}
	pthread_mutex_unlock(&s->known_lock);
}

void
shelf_thread_free(struct shelf_thread *s)
{
	if (s == NULL)
		return;
	worker_stop(&s->thr);
	worker_stop(&s->door_thr);
	camera_sup_close(s->cam);
	door_sup_close(s->door_sup);
	shelf_free(s->model);
	cv_image_free(&s->im);
	pthread_mutex_destroy(&s->known_lock);
	pthread_mutex_destroy(&s->door_lock);
	free(s->camera);
	free(s->door);
	free(s->catpath);
	free(s);
}

/* ---- the service thread's side ---- */

int
shelf_start(struct daemon *d, int realtime, void (*wake)(void *))
{
	struct shelf_thread_config sc = { 0 };
	char err[1024];

	d->shelf_done = 1;
	if (d->cfg.camera_shelf == NULL || d->cfg.camera_shelf[0] == '\0')
		return 0;
	sc.camera = d->cfg.camera_shelf;
	sc.door = d->cfg.shelf_door;
	sc.realtime = realtime;
	sc.rec = d->rec;
	sc.cat = d->cat;
	if ((d->shelf = shelf_thread_new(&sc, d->queue, wake, d, err, sizeof err)) == NULL) {
		log_errx("%s", err);
		return -1;
	}
	if (d->cat->nbooks == 0)
		log_warnx("camera shelf: the catalogue has no \"books\": no book will be reported");
	if (shelf_thread_start(d->shelf) < 0) {
		log_errx("cannot start the shelf thread");
		return -1;
	}
	d->shelf_done = 0;
	return 0;
}

void
shelf_stop(struct daemon *d)
{
	shelf_thread_free(d->shelf);
	d->shelf = NULL;
}

/* A `shelf` event with the book's details, for the views it is for. */
static void
book_event(struct daemon *d, const struct catalogue_book *b, const char *what, double t,
    const char *denied)
{
	json_t *ev = state_event(&d->state, "shelf", t);

	json_object_set_new(ev, "event", json_string(what));
	json_object_set_new(ev, "book", json_string(b->id));
	json_object_set_new(ev, "marker", json_integer(b->marker));
	json_object_set_new(ev, "en", json_string(b->en));
	json_object_set_new(ev, "ko", json_string(b->ko));
	json_object_set_new(ev, "privacy", json_string(b->privacy == CAT_PRIVATE ? "private" : "public"));
	if (b->content != NULL)
		json_object_set_new(ev, "content", json_string(b->content));
	if (b->document != NULL) {
		char url[300];
		json_object_set_new(ev, "document", json_string(b->document));
		if (denied == NULL) {
			snprintf(url, sizeof url, "/documents/%s", b->document);
			json_object_set_new(ev, "url", json_string(url));
		}
	}
	if (denied != NULL)
		json_object_set_new(ev, "denied", json_string(denied));
	/* A private book: not a word of it to public displays. */
	daemon_emit(d, ev, b->privacy == CAT_PRIVATE ? NULL : ev);
	json_decref(ev);
}

static void
door_input(struct daemon *d, const struct input *in)
{
	const struct input_door *dr = &in->door;
	json_t *ev = state_event(&d->state, "shelf", in->t);
	int lostback = dr->state == DOOR_EV_LOST || dr->state == DOOR_EV_BACK;

	json_object_set_new(ev, "event", json_string("door"));
	json_object_set_new(ev, "state", json_string(door_event_name(dr->state)));
	if (dr->text[0])
		json_object_set_new(ev, "reason", json_string(dr->text));
	/* Open and closed are for everyone; a sensor's troubles, as a camera's,
	 * for trusted clients. */
	daemon_emit(d, ev, lostback ? NULL : ev);
	json_decref(ev);
	switch (dr->state) {
	case DOOR_EV_OPEN:
	case DOOR_EV_CLOSED:
		if (d->shelf != NULL)
			shelf_thread_door(d->shelf, in->t, dr->state == DOOR_EV_OPEN);
		log_info("shelf door %s at %.2f s", door_event_name(dr->state), in->t);
		break;
	case DOOR_EV_LOST:
		log_warnx("shelf door sensor lost: %s (reopening; the door counts as open)", dr->text);
		if (d->shelf != NULL)
			shelf_thread_door(d->shelf, in->t, 1);
		break;
	case DOOR_EV_BACK:
		log_info("shelf door sensor is back");
		break;
	}
}

static void
camera_input(struct daemon *d, const struct input *in)
{
	const struct input_camera *c = &in->camera;
	json_t *ev = state_event(&d->state, "camera", in->t);

	json_object_set_new(ev, "camera", json_string(c->role));
	json_object_set_new(ev, "state", json_string(camera_state_name(c->state)));
	if (c->text[0])
		json_object_set_new(ev, "reason", json_string(c->text));
	state_emit_trusted(&d->state, ev, daemon_emit, d);
	if (c->state == CAMERA_LOST)
		log_warnx("camera shelf lost: %s (reopening)", c->text);
	else if (c->state == CAMERA_END)
		d->shelf_done = 1;
}

static void
book_input(struct daemon *d, const struct input *in)
{
	const struct input_shelf *sh = &in->shelf;
	const struct catalogue_book *b = catalogue_book_by_marker(d->cat, sh->marker);
	struct shelf_thread *s = d->shelf;
	struct feedback_say say;
	const char *reason = NULL, *err;
	char *before;

	if (b == NULL) {
		/* The catalogue was reloaded under the thread. */
		if (sh->marker >= 0 && sh->marker < SHELF_NIDS && s != NULL &&
		    !s->unknown_warned[sh->marker]++)
			log_warnx("shelf: marker %d is not a book of the catalogue; ignored", sh->marker);
		return;
	}
	before = s != NULL && sh->marker < SHELF_NIDS ? s->before[sh->marker] : NULL;
	if (sh->what == SHELF_BOOK_TAKEN) {
		const char *denied = b->privacy == CAT_PRIVATE && !d->state.private_mode ?
		    "private-content-in-public-mode" : NULL;
		if (before != NULL)
			snprintf(before, sizeof s->before[0], "%s", d->state.screen);
		book_event(d, b, "taken", in->t, denied);
		if (b->content != NULL &&
		    (err = state_select(&d->state, b->content, "shelf", in->t, daemon_emit, d, &say,
		        &reason)) != NULL)
			log_info("shelf: %s taken; %s: %s", b->id, err, reason ? reason : "");
		return;
	}
	book_event(d, b, "returned", in->t, NULL);
	/* Put back: the walls go back to what they showed, if still on the book. */
	if (b->content != NULL && before != NULL && before[0] != '\0' &&
	    strcmp(d->state.screen, b->content) == 0 && strcmp(before, b->content) != 0)
		(void)state_select(&d->state, before, "shelf", in->t, daemon_emit, d, &say, &reason);
	if (before != NULL)
		before[0] = '\0';
}

void
shelf_route(struct daemon *d, const struct input *in)
{
	switch (in->kind) {
	case IN_DOOR:
		door_input(d, in);
		break;
	case IN_SHELF:
		book_input(d, in);
		break;
	case IN_CAMERA:
		camera_input(d, in);
		break;
	default:
		break;
	}
}
