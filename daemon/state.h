/*
 * state — the interaction state and the routing of what was heard.
 *
 * Owned by the service thread alone: the current screen, public or
 * private mode, and the event sequence number.  state_handle() turns one
 * input (a wake, a recognized command, a rejection) into the events the
 * clients get, always in the order intent → navigate/command/mode/denied,
 * and tells what to say back.
 *
 * Every event goes out in two views (docs/protocol.md "Roles, trust"): the
 * full event for trusted clients, and for public ones the same event, a
 * redacted copy, or nothing.  The filtering is decided here, in one place.
 */
#ifndef SO_STATE_H
#define SO_STATE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/queue.h"
#include "models/catalogue.h"

enum unlock { UNLOCK_FACE, UNLOCK_VOICE };

struct state {
	const struct catalogue *cat;
	char          screen[64];
	char          public_screen[64];   /* what public displays show */
	int           private_mode;
	unsigned long seq;
	enum unlock   unlock;
	int           face_available;   /* a room camera runs: private mode by face */
	int           confirm_remote;   /* ... then a paired remote must confirm */
	int           verify_pending;   /* private mode asked; the camera checks */
	int           confirm_pending;  /* face verified; waiting for the remote */
	double        confirm_by;       /* ... until then (a monotonic clock; 0: no deadline yet) */
	char          verify_step[16];  /* "look", "blink" of a running verification, or "" */
};

/*
 * Receives each event: `event` for trusted clients, `pub` for public ones
 * (NULL: not for them; often the same object as event).  The callee must
 * not keep either: they are freed after.
 */
typedef void (*state_emit)(void *ud, json_t *event, json_t *pub);

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
/*
 * A tap: a paired remote or trusted display picked `id` (content or control)
 * from `source` ("remote").  Returns NULL when carried out, else the error
 * code for the reply (PROTO_E_UNKNOWN_CONTENT, PROTO_E_DENIED; *reason set
 * for denied).
 */
const char *state_select(struct state *st, const char *id, const char *source, double t,
                         state_emit emit, void *ud, struct feedback_say *say,
                         const char **reason);
/* Private or public mode from elsewhere (face verification, policy). */
void state_set_mode(struct state *st, int private_mode, double t, const char *reason,
                    state_emit emit, void *ud);
/*
 * What the room camera found: "verified" (the enrolled face, live),
 * "failed" (not within the time), "unknown" (a stranger), "absent" (the
 * enrolled face is gone).  Emits a face event and applies the policy:
 * verified while a private mode request is pending → private (or wait for
 * the remote's confirmation); failed → denied; unknown or absent while
 * private → public.
 */
void state_face(struct state *st, enum face_result result, const char *name, double t,
                state_emit emit, void *ud);
/* The remote's confirmation deadline on a monotonic clock: set TIMEOUT
 * seconds after NOW when a confirmation becomes pending, cleared when none
 * is.  Call after every input. */
void state_confirm_clock(struct state *st, double now, double timeout);
/* 1 when a confirmation is pending and NOW is past its deadline. */
int  state_confirm_late(const struct state *st, double now);
/* A paired remote answered the confirmation request. */
void state_confirm(struct state *st, int accept, double t, state_emit emit, void *ud);
/* A paired remote's confirmation came after its deadline: refused, as
 * reason "confirm-late". */
void state_confirm_expired(struct state *st, double t, state_emit emit, void *ud);
/* A snapshot of the room camera while a verification runs (else nothing):
 * a "preview" event for trusted clients, and a "verify" progress event when
 * the step changed (challenge: the face matched, blink or turn now). */
void state_preview(struct state *st, const uint8_t *jpeg, size_t len, int w, int h, int challenge,
                   double t, state_emit emit, void *ud);
/* A vision event (engage, cursor, disengage, face): trusted clients only. */
void state_emit_trusted(struct state *st, json_t *ev, state_emit emit, void *ud);
/* The hello message for a client of this view (caller decrefs). */
json_t *state_hello(const struct state *st, int trusted, const char *role);
/* A new event object with type, seq and t filled in. */
json_t *state_event(struct state *st, const char *type, double t);

#endif
