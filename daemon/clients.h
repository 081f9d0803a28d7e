/*
 * clients — what websocket clients ask of the daemon (docs/protocol.md v2):
 * hello with a role and token, select, pairing, the remotes' voice button,
 * documents in the hello.  Service thread only.
 */
#ifndef SO_CLIENTS_H
#define SO_CLIENTS_H

#include <stddef.h>

#include <jansson.h>

#include "daemon/daemon.h"
#include "base/queue.h"

struct bridge_client;

/* A client message the bridge did not answer itself (bridge on_message). */
void  clients_message(struct daemon *d, struct bridge_client *c, const json_t *msg);
/* A reply to c: obj (stolen), with the request's id when it had one; an
 * error reply (code, message). */
void  clients_reply(struct daemon *d, struct bridge_client *c, json_t *obj, json_int_t id, int has_id);
void  clients_reply_error(struct daemon *d, struct bridge_client *c, const char *code,
                          const char *message, json_int_t id, int has_id);
/* msg's string member key, or NULL; *bad is set when it is there but not
 * a string of at most max bytes, or missing and required. */
const char *clients_member(const json_t *msg, const char *key, size_t max, int required, int *bad);
/* Audio bytes between audio-start and audio-end (bridge on_binary). */
void  clients_binary(struct daemon *d, struct bridge_client *c, const void *buf, size_t len);
/* A client left (bridge on_close): its voice stream, if any, is dropped. */
void  clients_closed(struct daemon *d, struct bridge_client *c);
/* The hello for c in its view, with the documents it may open (malloc'd). */
char *clients_hello(struct daemon *d, struct bridge_client *c, json_int_t id, int has_id);
/* Every client gets its hello again (reload). */
void  clients_hello_all(struct daemon *d);
/* GET /documents/private/...: a valid token? */
int   clients_token_ok(struct daemon *d, const char *token);
/* Re-reads the tokens file if it changed: revoked clients go public, those
 * whose token is back are trusted again; an unreadable file changes nothing
 * (logged once). */
void  clients_check_tokens(struct daemon *d);
/* This daemon changed the tokens itself (the admin page's revoke): every
 * client's view is checked against the set now. */
void clients_recheck_tokens(struct daemon *d);
/* Around a change this daemon makes to the tokens (pair, rename, revoke:
 * each re-reads the file under its lock, taking in what the command line
 * changed meanwhile): before it, what the tokens are; after it, every
 * client's view is checked against the set now, and the connections of a
 * renamed token take its new name.  _after frees what _before returned. */
struct clients_tokens_before;
struct clients_tokens_before *clients_tokens_before(struct daemon *d);
void clients_tokens_after(struct daemon *d, struct clients_tokens_before *b);
/* A remote voice result (in->client != 0): reply, then route it. */
void  clients_voice_result(struct daemon *d, struct input *in);
/* Lists documents_dir/public and /private (start-up, reload). */
void  clients_scan_documents(struct daemon *d);
/* A select from a trusted sender (remote, trusted display, MQTT command),
 * routed with source "remote": NULL, or an error code with why in text. */
const char *clients_select(struct daemon *d, const char *content, const char *command, char *text,
                           size_t len);
/* MQTT (ui-bridge/mqtt.h): starts d->mqtt when mqtt_url is set (0, or -1
 * with err); republishes the retained hellos when they changed; carries out
 * one command from the broker (mqtt_drain's fn). */
struct mqtt;
struct mqtt_command;
int   clients_mqtt_start(struct daemon *d, char *err, size_t errlen);
void  clients_mqtt_state(struct daemon *d);
void  clients_mqtt_command(void *ud, struct mqtt *m, const struct mqtt_command *c);

#endif
