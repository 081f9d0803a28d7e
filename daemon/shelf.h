/*
 * shelf (daemon) — the bookshelf thread and the routing of its inputs.
 *
 * One thread owns the shelf camera (camera role "shelf", devices/camera.h,
 * the supervised reader: a live camera is reopened with back-off) and the
 * shelf model (models/shelf.h); a second, when `shelf_door` names a sensor
 * (devices/door.h), owns the door sensor.  They own nothing else: what they
 * find is pushed into the queue as IN_SHELF (a book taken or put back),
 * IN_CAMERA (role "shelf": lost, back, end) and IN_DOOR (open, closed,
 * lost, back), as the vision thread does.  --events-file door lines are
 * the door's replay row: the same IN_DOOR.
 *
 * The service thread routes them (shelf_route): every door input reaches
 * the model (shelf_thread_door); a taken book of the catalogue ("books")
 * navigates the walls to its content as a tap would (state_select: private
 * content obeys private mode), or, for a document, the `shelf` event
 * carries its URL; put back, the walls go back to the screen they showed
 * before the take.  Events are `shelf` (docs/protocol.md): a private book
 * is for trusted clients only, never its id or title on a public one.
 */
#ifndef SO_DAEMON_SHELF_H
#define SO_DAEMON_SHELF_H

#include "base/input.h"
#include "models/catalogue.h"

struct daemon;
struct queue;
struct record;
struct shelf_thread;

struct shelf_thread_config {
	const char *camera;           /* camera spec (file:, images:, v4l2:) */
	const char *door;             /* door spec (gpio:, evdev:), or "" */
	int         realtime;
	struct record *rec;           /* --record: keep shelf frames too */
	const struct catalogue *cat;  /* its books' markers are the known ones */
	double      door_open_warn_s; /* warn when the door stays open this long, s (0: 3600) */
};

struct shelf_thread *shelf_thread_new(const struct shelf_thread_config *cfg, struct queue *q,
                                      void (*wake)(void *), void *wake_ud,
                                      char *err, size_t errlen);
int  shelf_thread_start(struct shelf_thread *s);
/* Any thread: the door opened (1) or closed (0) at time t, applied to the
 * model once the shelf stream reaches t (a live sensor's t is the shelf
 * stream's latest time; a replayed one's, its script's). */
void shelf_thread_door(struct shelf_thread *s, double t, int open);
/* Any thread: the catalogue changed (reload); its books become the known markers. */
void shelf_thread_catalogue(struct shelf_thread *s, const struct catalogue *cat);
void shelf_thread_free(struct shelf_thread *s);

/* Service thread: starts the shelf threads the configuration asks for
 * (d->shelf); 0, or -1 after logging why. */
int  shelf_start(struct daemon *d, int realtime, void (*wake)(void *));
/* Service thread: an IN_SHELF or IN_DOOR input. */
void shelf_route(struct daemon *d, const struct input *in);
/* Service thread: stops and frees d->shelf. */
void shelf_stop(struct daemon *d);

#endif
