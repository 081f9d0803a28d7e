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
 */
#ifndef SO_BRIDGE_H
#define SO_BRIDGE_H

#include <stddef.h>

struct bridge;
struct bridge_client;

struct bridge_hooks {
	void *ud;
	/* Service thread, after any thread called bridge_wakeup(). */
	void (*on_wakeup)(void *ud);
	/* The hello message a new client gets first (malloc'd JSON text; the
	 * bridge frees it).  NULL: no hello. */
	char *(*hello)(void *ud);
	/* A valid JSON object from a client that the bridge itself does not
	 * answer (anything but "ping").  `json` is the raw text; the hook may
	 * answer with bridge_send().  May be NULL. */
	void (*on_message)(void *ud, struct bridge_client *c, const char *json, size_t len);
};

struct bridge_config {
	const char *address;      /* "127.0.0.1" */
	int         port;         /* 7681; 0 = any free port (see bridge_port) */
	const char *web_root;     /* folder served at "/" (index.html) */
	size_t      ring_size;    /* messages the ring holds (e.g. 256) */
	size_t      max_message;  /* bytes a client message may have (e.g. 65536) */
};

/* Starts listening.  On failure returns NULL and writes why into err. */
struct bridge *bridge_new(const struct bridge_config *cfg, const struct bridge_hooks *hooks,
                          char *err, size_t errlen);
/* The port actually bound (useful with port 0). */
int  bridge_port(const struct bridge *b);
/* One turn of the lws loop; returns <0 when lws gave up. */
int  bridge_service(struct bridge *b);
/* Queue one serialised message for every connected client. */
void bridge_broadcast(struct bridge *b, const char *json, size_t len);
/* Send one message to one client (reply to its request). */
void bridge_send(struct bridge *b, struct bridge_client *c, const char *json, size_t len);
/* Number of connected websocket clients. */
size_t bridge_clients(const struct bridge *b);
/* Broadcast messages the ring still holds for its slowest client (never
 * more than ring_size); for tests and statistics. */
size_t bridge_backlog(const struct bridge *b);
/* Any thread: make the service thread run hooks->on_wakeup soon. */
void bridge_wakeup(struct bridge *b);
/* Service thread: stop accepting, close clients, free everything. */
void bridge_free(struct bridge *b);

#endif
