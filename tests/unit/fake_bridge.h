/*
 * fake_bridge — ui-bridge/bridge.h without libwebsockets, for the unit tests
 * of what the daemon tells its clients (test_clients, test_reload).
 *
 * It defines every function of bridge.h under the real names, so a test
 * linked with fake_bridge.o before build/libsmartoffice.a never pulls the
 * real ui-bridge/bridge.o out of the archive (see the Makefile).  Clients
 * are made by the test (fake_client_new), not by sockets; everything the
 * daemon sends one of them — a reply (bridge_send) or its view of a
 * broadcast (bridge_broadcast_view: the trusted text to trusted clients,
 * `pub` to the others, nothing when pub is NULL) — is kept in that
 * client's inbox, in order, for the test to read back.
 *
 * Service thread only, like the real one, except bridge_wakeup (counted).
 */
#ifndef SO_FAKE_BRIDGE_H
#define SO_FAKE_BRIDGE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ui-bridge/bridge.h"

/* How a message reached the inbox. */
enum fake_how { FAKE_SENT, FAKE_BROADCAST };

/* A bridge with no clients; bridge_port() answers `port`. */
struct bridge *fake_bridge_new(int port);
/* bridge_free() is the same. */
void           fake_bridge_free(struct bridge *b);

/* A client connected from ADDRESS ("192.0.2.7", "2001:db8::1"): public,
 * role "display", no binary, as a new websocket is. */
struct bridge_client *fake_client_new(struct bridge *b, const char *address);
/* The client leaves (its pointer is invalid afterwards). */
void   fake_client_close(struct bridge *b, struct bridge_client *c);

/* Messages in c's inbox not read yet. */
size_t fake_client_pending(const struct bridge_client *c);
/* The oldest unread message, parsed (the caller decrefs), and how it came;
 * NULL when the inbox is read to the end.  A text that is not JSON fails
 * the test (cmocka). */
json_t *fake_client_next(struct bridge_client *c, enum fake_how *how);
/* The raw text of the oldest unread message (borrowed), or NULL; does not
 * consume it. */
const char *fake_client_peek(const struct bridge_client *c);
/* Everything c was ever written, unread or not, one text per line
 * (malloc'd): for "never got X" checks and failure messages. */
char  *fake_client_all(const struct bridge_client *c);
/* Forgets what was read and unread. */
void   fake_client_clear(struct bridge_client *c);
/* Binary allowed (bridge_client_allow_binary)? */
int    fake_client_binary(const struct bridge_client *c);

/* bridge_wakeup() calls so far (any thread). */
unsigned long fake_bridge_wakeups(const struct bridge *b);
/* Broadcasts so far (bridge_broadcast and bridge_broadcast_view). */
unsigned long fake_bridge_broadcasts(const struct bridge *b);

#endif
