/*
 * bridge — the websocket server (libwebsockets 4.1) that carries events to the
 * dashboards, and the static pages it serves.
 *
 * Threading (as in lws' minimal-ws-server-threads): every bridge_* call except
 * bridge_wakeup() belongs to the service thread.  Other threads only call
 * bridge_wakeup(), which is lws_cancel_service(); the service thread then
 * runs hooks->on_wakeup() from LWS_CALLBACK_EVENT_WAIT_CANCELLED, where the
 * daemon drains its event queue.
 *
 * Broadcast (as in minimal-ws-server-ring): one ring of already serialised
 * messages (with LWS_PRE head-room) per server; each client keeps its own
 * tail; one lws_write per SERVER_WRITEABLE.  A client that falls more than
 * the ring behind is closed (culled), never allowed to grow memory.
 *
 * Views (docs/protocol.md "Roles, trust"): every client is public until the
 * daemon calls bridge_client_set_view() with trusted = 1.  A broadcast
 * carries one text for trusted clients and one (or none) for public ones;
 * a public client is never written what was meant for the trusted.
 */
#ifndef SO_BRIDGE_H
#define SO_BRIDGE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct bridge;
struct bridge_client;

struct bridge_hooks {
	void *ud;
	/* Service thread, after any thread called bridge_wakeup(). */
	void (*on_wakeup)(void *ud);
	/* The hello message a new client gets first (malloc'd JSON text; the
	 * bridge frees it).  NULL: no hello. */
	char *(*hello)(void *ud, struct bridge_client *c);
	/* A valid JSON object from a client that the bridge itself does not
	 * answer (anything but "ping"), parsed once here: msg is borrowed
	 * for the call, with a string "type" (proto_parse_client checked it);
	 * `raw` is its text.  The hook may answer with bridge_send().  May be
	 * NULL. */
	void (*on_message)(void *ud, struct bridge_client *c, const json_t *msg, const char *raw,
	                   size_t len);
	/* Binary data from a client the daemon allowed it for
	 * (bridge_client_allow_binary), as it arrives, in any chunk size.  */
	void (*on_binary)(void *ud, struct bridge_client *c, const void *buf, size_t len);
	/* A client is gone (its pointer is invalid after this returns). */
	void (*on_close)(void *ud, struct bridge_client *c);
	/* GET /documents/private/...: is this token a trusted client's? */
	int  (*token_ok)(void *ud, const char *token);
};

struct bridge_config {
	const char *address;      /* "127.0.0.1" */
	int         port;         /* 7681; 0 = any free port (see bridge_port) */
	const char *web_root;     /* folder served at "/" (index.html) */
	size_t      ring_size;    /* messages the ring holds (e.g. 256) */
	size_t      max_message;  /* bytes a client message may have (e.g. 65536) */
	double      rate;         /* client messages per second (0: no limit) */
	double      burst;        /* ... and the burst above it */
	const char *origins;      /* allowed Origin headers, space separated:
	                           * "self" (the Host the page came from), an
	                           * origin like "http://host:8080", or "*" */
	const char *js_root;      /* served at /js/ (NULL: not served) */
	const char *pdfjs_root;   /* served at /vendor/pdfjs/ (NULL: not served) */
	const char *documents;    /* documents_dir: public/ and private/ PDFs */
	const char *public_url;   /* its host is "self" too (besides addresses, localhost) */
	/*
	 * Connection limits (0: none).  At a limit a new websocket is refused,
	 * unless a client that has sent no hello for hello_s seconds can make
	 * room: that one is closed (1008) instead.  max_per_address counts the
	 * peer's address; it spares loopback peers unless limit_loopback (all
	 * local programs share one address: max_clients bounds them).
	 */
	size_t      max_clients;      /* websocket clients in all */
	size_t      max_per_address;  /* ... from one address */
	int         limit_loopback;
	double      hello_s;
	double      ping_s;           /* a client silent this long is pinged (0: never) */
	double      idle_s;           /* ... and closed when silent this long (0: never) */
	const char *tls_cert;         /* PEM certificate (chain) for https/wss; NULL or "": plain */
	const char *tls_key;          /* ... and its private key */
	const char *mqttjs_root;      /* served at /js/mqtt/: npm mqtt's dist (NULL: not served) */
	const char *briefing;         /* briefing_dir, served at /briefing/ to a valid token only */
	const char *frame_src;        /* origins pages may show in an iframe (CSP frame-src), or NULL */
};

/* Starts listening.  On failure returns NULL and writes why into err. */
struct bridge *bridge_new(const struct bridge_config *cfg, const struct bridge_hooks *hooks,
                          char *err, size_t errlen);
/* The port actually bound (useful with port 0). */
int  bridge_port(const struct bridge *b);
/* 1 when it serves TLS (tls_cert, tls_key): https and wss. */
int  bridge_tls(const struct bridge *b);
/* One turn of the lws loop; returns <0 when lws gave up. */
int  bridge_service(struct bridge *b);
/* Queue one serialised message for every connected client. */
void bridge_broadcast(struct bridge *b, const char *json, size_t len);
/* Queue a message for trusted clients, and `pub` (may be NULL: nothing;
 * may equal json) for public ones. */
void bridge_broadcast_view(struct bridge *b, const char *json, size_t len,
                           const char *pub, size_t publen);
/* Calls fn for each connected client (service thread; fn may bridge_send). */
void bridge_foreach(struct bridge *b, void (*fn)(void *ud, struct bridge_client *c), void *ud);
/* A client's number (never reused within a run), and the client by number. */
uint64_t bridge_client_id(const struct bridge_client *c);
struct bridge_client *bridge_client_by_id(struct bridge *b, uint64_t id);
/* What the daemon takes the client for: role ("display", "remote",
 * "observer"), view, and the id of the token that made it trusted. */
void bridge_client_set_view(struct bridge_client *c, const char *role, int trusted,
                            const char *token_id);
const char *bridge_client_role(const struct bridge_client *c);
/* The name its hello gave (at most 64 bytes; "" none), for lists. */
void bridge_client_set_name(struct bridge_client *c, const char *name);
const char *bridge_client_name(const struct bridge_client *c);
/* When it connected (clock_mono). */
double bridge_client_since(const struct bridge_client *c);
int  bridge_client_trusted(const struct bridge_client *c);
const char *bridge_client_token_id(const struct bridge_client *c);
/* The peer's address as text ("192.0.2.7", "::ffff:127.0.0.1"; "" unknown). */
const char *bridge_client_address(const struct bridge_client *c);
/* Let binary messages through to hooks->on_binary (audio streaming). */
void bridge_client_allow_binary(struct bridge_client *c, int allow);
/* Send one message to one client (reply to its request). */
void bridge_send(struct bridge *b, struct bridge_client *c, const char *json, size_t len);
/* Number of connected websocket clients. */
size_t bridge_clients(const struct bridge *b);
/* Broadcast messages the ring still holds for its slowest client (never
 * more than ring_size); for tests and statistics. */
size_t bridge_backlog(struct bridge *b);
/* Service thread: call fn every ms milliseconds (housekeeping). */
void bridge_every(struct bridge *b, int ms, void (*fn)(void *ud), void *ud);
/* Any thread: make the service thread run hooks->on_wakeup soon. */
void bridge_wakeup(struct bridge *b);
/* Service thread: stop accepting, close clients, free everything. */
void bridge_free(struct bridge *b);

#endif
