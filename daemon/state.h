/*
 * state — the interaction state and the routing of what was heard.
 *
 * Owned by the service thread alone: the current screen, public or
 * private mode, and the event sequence number.  state_handle() turns one
 * input (a wake, a recognized command, a rejection) into the events the
 * clients get, always in the order intent → navigate/command/mode/denied,
 * and tells what to say back.
 */
#ifndef SO_STATE_H
#define SO_STATE_H

#include <jansson.h>

#include "daemon/queue.h"
#include "models/catalogue.h"

enum unlock { UNLOCK_FACE, UNLOCK_VOICE };

struct state {
	const struct catalogue *cat;
	char          screen[64];
	int           private_mode;
	unsigned long seq;
	enum unlock   unlock;
};

/* Receives each event (the callee must not keep it: it is freed after). */
typedef void (*state_emit)(void *ud, json_t *event);

struct feedback_say {
	const char *text;   /* words to say, or NULL */
	int         cue;    /* play the wake cue */
};

void state_init(struct state *st, const struct catalogue *cat, enum unlock unlock);
/* The catalogue changed (reload): keep the screen if it still exists. */
void state_set_catalogue(struct state *st, const struct catalogue *cat);
/* Routes one input.  Fills *say with what to say back. */
void state_handle(struct state *st, const struct input *in, state_emit emit, void *ud,
                  struct feedback_say *say);
/* The hello message for a new client (caller decrefs). */
json_t *state_hello(const struct state *st);
/* A new event object with type, seq and t filled in. */
json_t *state_event(struct state *st, const char *type, double t);

#endif
