/*
 * conference — the office's conference rooms, department calls and the
 * smart TV's briefing folder (docs/conference.md, docs/protocol.md
 * "conference", "call", "tv").  Service thread only.
 *
 * The daemon starts no call: it routes what a person asks (open the
 * picker, pick a room, start, end; call a department from a screen's
 * context; open a briefing document and turn its pages) into events for
 * the trusted clients, which open the room's join URL or the contact URI.
 * Every event here is for trusted clients only: a public display never
 * gets a room link, a contact URI or the briefing folder.
 */
#ifndef SO_CONFERENCE_H
#define SO_CONFERENCE_H

#include <stddef.h>

#include <jansson.h>

#include "daemon/daemon.h"

struct bridge_client;

/* Reads cfg.office and lists cfg.briefing_dir (start-up).  0, or -1 with
 * the office file's errors in err (the daemon does not start). */
int  conference_open(struct daemon *d, char *err, size_t errlen);
/* SIGHUP: both again; a bad office file keeps the running one (logged). */
void conference_reload(struct daemon *d);
void conference_close(struct daemon *d);
/*
 * The grammar-only phrases for the room's recognizer (models/grammar.h):
 * "voice call" and the briefing folder's titles that can be said, built at
 * conference_open and again at a reload or a changed folder (then handed to
 * the listener).  NULL: none.  The caller takes a reference if it keeps it.
 */
struct grammar_extra;
const struct grammar_extra *conference_grammar(struct daemon *d);
/* Housekeeping (every second): a briefing folder that changed is listed
 * again, its titles go to the recognizer and the hellos to the clients. */
void conference_tick(struct daemon *d);
/* Adds what a trusted client may see to its hello: "office" (rooms and
 * departments without their URIs), "briefing" (the TV's documents) and
 * "conference" (what runs now, with its URI). */
void conference_hello(struct daemon *d, json_t *hello, int trusted);
/* The https origins of the rooms' and departments' URIs, space separated
 * ("https://meet.jit.si"), for the pages' CSP frame-src; NULL: none. */
const char *conference_frame_src(struct daemon *d);
/* GET /briefing/NAME.pdf: is NAME in the folder?  (The token is checked
 * by the bridge's hook.) */
int  conference_briefing_has(struct daemon *d, const char *name);

/*
 * Voice (main.c, around state_handle): "video call" said on a screen a
 * department answers for (a disaster event, a key project) calls it, the
 * screen as the call's context, once the daemon has routed the words as
 * usual (the private video-conference screen: only in private mode).
 * before: notes the screen; after: starts the call when it applies and
 * says whom it calls.
 */
void conference_before_voice(struct daemon *d);
void conference_after_voice(struct daemon *d, const struct input *in, struct feedback_say *say);

/* Client messages (clients.c's handlers[]; the sender may command). */
void conference_on_conference(struct daemon *d, struct bridge_client *c, const json_t *msg,
                              json_int_t id, int has_id);
void conference_on_call(struct daemon *d, struct bridge_client *c, const json_t *msg,
                        json_int_t id, int has_id);
void conference_on_tv(struct daemon *d, struct bridge_client *c, const json_t *msg,
                      json_int_t id, int has_id);

#endif
