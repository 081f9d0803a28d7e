/*
 * admin — what the admin page (/admin/, docs/admin.md) and `smartofficed
 * admin` see and do: the devices' state, the recognizer and its models,
 * the last utterances, the connected clients, the paired devices, the
 * audit log of who changed the screen, the demo session, and a typed
 * command that takes the path speech takes.
 *
 * It watches every event the daemon emits (daemon_emit calls
 * admin_observe), so nothing else has to report to it.  Service thread
 * only, like everything that touches a struct daemon.
 */
#ifndef SO_ADMIN_H
#define SO_ADMIN_H
#include <jansson.h>
#include "daemon/daemon.h"

struct admin;
struct vision_snapshot;

#define ADMIN_AUDIT_MAX      200    /* audit lines kept (the log has them all) */
#define ADMIN_UTTERANCES_MAX 20
#define ADMIN_COOKIE_FILE    "admin.cookie"
#define ADMIN_TEXT_MAX       200    /* bytes of a typed command */

struct admin *admin_new(void);
void admin_free(struct admin *a);

/* Who acts for the events that follow, until admin_actor_clear: a client
 * (its role, name and token) or a text ("mqtt token ab12cd34"). */
void admin_actor_client(struct daemon *d, struct bridge_client *c);
void admin_actor_text(struct daemon *d, const char *by);
void admin_actor_clear(struct daemon *d);

/* Every event the daemon emits (the full, trusted view). */
void admin_observe(struct daemon *d, const json_t *ev);

/* A camera snapshot the vision thread made: sent to the admin clients
 * that asked for one. */
void admin_snapshot(struct daemon *d, const struct vision_snapshot *sn);

/*
 * The command line's way in: a random secret written to
 * STATE_DIR/admin.cookie (mode 0600) at start and removed at exit, taken
 * in a hello as an admin token by whoever can read the state directory
 * (bitcoind's .cookie does the same).  0, or -1 with err.
 */
int  admin_cookie_start(struct daemon *d, char *err, size_t errlen);
void admin_cookie_remove(struct daemon *d);
/* 1 when TOKEN is this run's cookie (constant time). */
int  admin_cookie_ok(const struct daemon *d, const char *token);

/* A trusted client with token TID said hello or left: its last seen. */
void admin_token_seen(struct daemon *d, const char *tid);

/* Someone used a display (a tap, a remote or typed command): the demo
 * session pauses for demo_pause_s, and the walls get the demo event at
 * once. */
void admin_human(struct daemon *d);
/* The 1 s housekeeping: a demo pause that ran out sends the demo event. */
void admin_tick(struct daemon *d);
/* SIGHUP: what admin-status caches (heads.json) is read again. */
void admin_reload(struct daemon *d);
/* Client C opened (1) or closed (0) a document; it left (closed).  A
 * close from a client that had nothing open changes nothing. */
void admin_reading(struct daemon *d, struct bridge_client *c, int reading);
void admin_client_gone(struct daemon *d, struct bridge_client *c);
/* The room audio is the demo session (set at start). */
void admin_set_demo_source(struct daemon *d, int is_demo);
/* 0 when a recognizer result from the room audio must be dropped: it is
 * the demo session and the demo is off or paused (logged on a change). */
int  admin_demo_passes(struct daemon *d);

/* An IN_ENROLL from the vision thread: the enroll event (docs/protocol.md)
 * for the trusted clients; done or failed ends the enrollment. */
struct input;
void admin_enroll_step(struct daemon *d, const struct input *in);

/* The hello's "demo" member while the demo session is the room audio. */
void admin_hello(struct daemon *d, json_t *hello);
/* The admin-status message (docs/protocol.md), a new object. */
json_t *admin_status_json(struct daemon *d);

/* Message handlers (clients.c's dispatch table). */
void admin_on_status(struct daemon *d, struct bridge_client *c, const json_t *msg, json_int_t id,
                     int has_id);
void admin_on_revoke(struct daemon *d, struct bridge_client *c, const json_t *msg, json_int_t id,
                     int has_id);
void admin_on_rename(struct daemon *d, struct bridge_client *c, const json_t *msg, json_int_t id,
                     int has_id);
void admin_on_demo(struct daemon *d, struct bridge_client *c, const json_t *msg, json_int_t id,
                   int has_id);
void admin_on_snapshot(struct daemon *d, struct bridge_client *c, const json_t *msg, json_int_t id,
                       int has_id);
/* A guided face enrollment from the room camera (vision_enroll), and its
 * cancel; the steps reach trusted clients as enroll events. */
void admin_on_enroll(struct daemon *d, struct bridge_client *c, const json_t *msg, json_int_t id,
                     int has_id);
void admin_on_enroll_cancel(struct daemon *d, struct bridge_client *c, const json_t *msg,
                            json_int_t id, int has_id);
/* Any commanding client (remotes too): a typed command. */
void admin_on_typed(struct daemon *d, struct bridge_client *c, const json_t *msg, json_int_t id,
                    int has_id);
/* Anyone: "reading" a document or not (the demo pauses). */
void admin_on_activity(struct daemon *d, struct bridge_client *c, const json_t *msg, json_int_t id,
                       int has_id);
#endif
