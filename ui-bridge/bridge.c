/*
 * bridge — websocket server for the dashboards; see bridge.h for the
 * threading and broadcast model, docs/protocol.md for the wire format.
 */
#include "ui-bridge/bridge.h"
#include "base/clock.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <time.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "base/log.h"
#include "ui-bridge/protocol.h"

#define BRIDGE_PROTOCOL		"smartoffice"
#define BRIDGE_WS_PATH		"/ws"
#define BRIDGE_QUEUE_MAX	64	/* direct replies one client may owe */
#define BRIDGE_CULL_GRACE	1	/* s to take the close frame */
#define BRIDGE_SHUTDOWN_S	0.5	/* s clients get to take the 1001 close */
#define BRIDGE_CLOSE_AT		(1u << 20) /* a message claiming more (and
					   16 x max_message) is not read */
#define BRIDGE_REFUSED_LOG_S	10	/* one "refused" log line per ... s */

/* A direct reply waiting for one client, with LWS_PRE head-room in buf. */
struct qmsg {
	struct qmsg	*next;
	size_t		 len;
	unsigned char	 buf[];
};

/*
 * A ring element: one serialised broadcast shared by all clients, in two
 * views: payload for trusted clients, pub for public ones (NULL: nothing
 * for them; may be the same buffer as payload).
 */
struct ring_msg {
	void		*payload;	/* LWS_PRE head-room, then len bytes */
	size_t		 len;
	void		*pub;
	size_t		 publen;
};

/* lws' per-session data of the "smartoffice" protocol. */
/* Kernel send buffer of a client socket (bytes): what a client that stops
 * reading can hold before its writes stop. */
#define CLIENT_SNDBUF	(64 * 1024)

struct bridge_client {
	struct bridge_client	*next;		/* b->clients: ring consumers */
	struct bridge		*b;
	struct lws		*wsi;
	uint32_t		 tail;		/* next ring element to send */
	struct qmsg		*q_head, *q_tail;
	size_t			 q_len;
	char			*rx;		/* message being reassembled */
	size_t			 rx_len, rx_cap;
	uint64_t		 id;
	char			 role[12];
	char			 token_id[12];
	char			 name[65];	/* what its hello called it */
	double			 bucket;	/* rate limit: messages in hand */
	double			 bucket_t;	/* ... as of this time */
	double			 limited_t;	/* last rate-limited reply */
	double			 born;		/* connected at (clock_mono) */
	double			 last_rx;	/* last bytes from it, pongs too */
	double			 owed_since;	/* something to send since, no write (0: none) */
	uint64_t		 msg_bytes;	/* of the message being received */
	char			 addr[48];	/* peer address */
	uint16_t		 close_code;	/* culled: the close frame's */
	char			 close_why[24];
	unsigned		 established:1;
	unsigned		 listed:1;	/* in b->clients */
	unsigned		 culled:1;	/* closing; owed nothing more */
	unsigned		 in_msg:1;	/* inside a message */
	unsigned		 rx_discard:1;	/* refused: skip the rest */
	unsigned		 rx_binary:1;
	unsigned		 trusted:1;	/* view: trusted, else public */
	unsigned		 binary_ok:1;	/* binary goes to on_binary */
	unsigned		 rx_pass:1;	/* this message: passed through */
	unsigned		 helloed:1;	/* has sent a hello */
	unsigned		 loopback:1;	/* addr is 127/8 or ::1 */
	unsigned		 pinged:1;	/* a ping is out since last_rx */
	unsigned		 want_ping:1;	/* send one at the next WRITEABLE */
};

/* A folder of web_root with an index.html (remote/, ...) as a mount of its
 * own, so that lws answers "/remote" with a 301 to "/remote/": served as
 * is, the page's relative links would resolve one level too high. */
struct page_mount {
	struct lws_http_mount	 m;
	char			 at[256];	/* "/remote" */
	char			*dir;
};

struct bridge {
	struct lws_context	*ctx;
	struct lws_vhost	*vhost;
	struct lws_ring		*ring;
	struct bridge_client	*clients;
	struct bridge_hooks	 hooks;
	size_t			 ring_size;
	size_t			 max_message;
	size_t			 nclients;
	size_t			 nactive;	/* established, not culled */
	size_t			 max_clients, max_per_address;
	int			 limit_loopback;
	double			 hello_s, ping_s, idle_s;
	double			 refused_t;	/* last "refused" log line */
	unsigned long		 refused;	/* refusals since */
	uint64_t		 next_id;
	double			 rate, burst;
	char			*origins;
	char			*public_host;	/* "host[:port]" of public_url, or NULL */
	int			 port;
	int			 closing;
	char			*address;
	char			*web_root;
	/* lws keeps pointers to these for the vhost's lifetime. */
	struct lws_http_mount	 mount, mount_js, mount_pdfjs, mount_mqttjs, mount_pub, mount_priv, mount_brief;
	struct page_mount	*pages;		/* web_root's page folders */
	int			 tls;		/* cert and key given: https, wss */
	struct lws_protocol_vhost_options pvo_default;
	struct lws_protocol_vhost_options hdr[5];	/* with frame_src: lws' five, CSP widened */
	char			 csp[2048];
	struct lws_protocol_vhost_options pvo;
	char			*js_root, *pdfjs_root, *mqttjs_root, *docs_pub, *docs_priv, *docs_brief;
	lws_sorted_usec_list_t	 sul_cron;
	lws_sorted_usec_list_t	 sul_keep;	/* pings and idle clients */
	lws_sorted_usec_list_t	 sul_tick;	/* wakes the shutdown loop */
	int			 keep_ms;
	void			(*cron)(void *ud);
	void			*cron_ud;
	int			 cron_ms;
	/* Connect and leave lines: at most CONN_LOG_PER_S a second, then one
	 * line saying how many were not written (conn_log_ok). */
	double			 connlog_t;	/* this second's start */
	unsigned		 connlog_n;	/* lines written in it */
	unsigned long		 connlog_dropped;
	double			 connlog_dropped_t;	/* the first one not written */
};

#define CONN_LOG_PER_S	10

/* What lws 4.1 does not know: module scripts must be served as JS. */
static const struct lws_protocol_vhost_options mime_wasm = { NULL, NULL, ".wasm", "application/wasm" };
static const struct lws_protocol_vhost_options mime_map = { &mime_wasm, NULL, ".map", "application/json" };
static const struct lws_protocol_vhost_options mime_pdf = { &mime_map, NULL, ".pdf", "application/pdf" };
static const struct lws_protocol_vhost_options mime_json = { &mime_pdf, NULL, ".json", "application/json" };
static const struct lws_protocol_vhost_options mime_svg = { &mime_json, NULL, ".svg", "image/svg+xml" };
static const struct lws_protocol_vhost_options mime_extra = { &mime_svg, NULL, ".mjs", "text/javascript" };

static int	bridge_callback(struct lws *, enum lws_callback_reasons, void *,
		    void *, size_t);
static int	docs_callback(struct lws *, enum lws_callback_reasons, void *,
		    void *, size_t);

static const struct lws_protocols bridge_protocols[] = {
	{ .name = "http", .callback = lws_callback_http_dummy },
	{ .name = "so-docs", .callback = docs_callback },
	{
		.name = BRIDGE_PROTOCOL,
		.callback = bridge_callback,
		.per_session_data_size = sizeof(struct bridge_client),
		.rx_buffer_size = 4096,
	},
	{ .name = NULL }	/* terminator */
};
#define BRIDGE_WS_PROTOCOL	(&bridge_protocols[2])

static const lws_retry_bo_t bridge_idle_policy = {
	.secs_since_valid_ping = 0,
	.secs_since_valid_hangup = 0,
};

/* The peer's address as text ("" when unknown). */
static void
peer_address(struct lws *wsi, char *buf, size_t len)
{
	buf[0] = '\0';
	if (lws_get_peer_simple(wsi, buf, len) == NULL)
		buf[0] = '\0';
}

static int
addr_is_loopback(const char *a)
{
	return strncmp(a, "127.", 4) == 0 || strcmp(a, "::1") == 0 ||
	    strncmp(a, "::ffff:127.", 11) == 0;
}

/* Routes lws' own (error and warning) lines into our log. */
static void
bridge_lws_log(int level, const char *line)
{
	size_t n = strlen(line);

	/* lws ends its lines with '\n'; our logger adds its own. */
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	/* Our filter's refusals: logged by us, once per so many. */
	if (strstr(line, "User code denied connection") != NULL)
		return;
	log_warnx("lws: %.*s", (int)n, line);
}

/* Ring destructor: lws calls it for every element the oldest tail passed. */
static void
ring_msg_free(void *p)
{
	struct ring_msg *m = p;

	if (m->pub != m->payload)
		free(m->pub);
	free(m->payload);
	m->payload = m->pub = NULL;
	m->len = m->publen = 0;
}

/*
 * The ring's head as a tail value.  lws_ring has no getter for it, but a
 * tail consumed as far as possible ends up there.
 */
static uint32_t
ring_head(struct bridge *b)
{
	uint32_t t = lws_ring_get_oldest_tail(b->ring);

	lws_ring_consume(b->ring, &t, NULL, b->ring_size + 1);
	return t;
}

/*
 * Moves the ring's oldest tail to the listed client that lags most (or to
 * the head when nobody is listed) so elements no one needs are freed.
 * O(clients), so it runs when the ring fills up, not per write: lws'
 * lws_ring_consume_and_update_oldest_tail scans every client on each
 * write of the slowest one, which made one broadcast to 10,000 clients
 * cost 10,000² steps (make bench, fan-out).
 */
static void
ring_release(struct bridge *b)
{
	struct bridge_client *c;
	uint32_t oldest;
	size_t most = 0, w;

	oldest = ring_head(b);
	for (c = b->clients; c != NULL; c = c->next) {
		w = lws_ring_get_count_waiting_elements(b->ring, &c->tail);
		if (w > most) {
			most = w;
			oldest = c->tail;
		}
	}
	lws_ring_update_oldest_tail(b->ring, oldest);
}

/* Removes c from the ring consumers (idempotent). */
static void
client_unlist(struct bridge_client *c)
{
	struct bridge_client **pp;

	if (!c->listed)
		return;
	for (pp = &c->b->clients; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	c->next = NULL;
	c->listed = 0;
}

/* Frees c's queued replies. */
static void
client_queue_clear(struct bridge_client *c)
{
	struct qmsg *m;

	while ((m = c->q_head) != NULL) {
		c->q_head = m->next;
		free(m);
	}
	c->q_tail = NULL;
	c->q_len = 0;
}

/* Frees the partly received message. */
static void
client_rx_clear(struct bridge_client *c)
{
	free(c->rx);
	c->rx = NULL;
	c->rx_len = c->rx_cap = 0;
}

/*
 * Closes a client without letting it hold memory: it leaves the ring at
 * once and its replies are dropped.  The close frame (code, reason) goes
 * out in its WRITEABLE; if its socket never drains, the lagging timeout
 * closes it without one.  why (NULL: say nothing) is for the log.  Never
 * closes synchronously: we may be inside another wsi's callback.
 */
static void
client_close(struct bridge_client *c, uint16_t code, const char *reason,
    const char *why)
{
	if (c->culled)
		return;
	if (why != NULL)
		log_info("bridge: closing websocket client %llu (%s): %s",
		    (unsigned long long)c->id, c->addr, why);
	c->culled = 1;
	c->b->nactive--;
	c->close_code = code;
	snprintf(c->close_why, sizeof(c->close_why), "%s", reason);
	client_unlist(c);
	client_queue_clear(c);
	/* Its ring elements are freed at the next ring_release. */
	lws_set_timeout(c->wsi, PENDING_TIMEOUT_LAGGING, BRIDGE_CULL_GRACE);
	lws_callback_on_writable(c->wsi);
}

/* A client that cannot keep up (ring or reply queue overflow): 1008. */
static void
client_cull(struct bridge_client *c, const char *why)
{
	client_close(c, LWS_CLOSE_STATUS_POLICY_VIOLATION, "too slow", why);
}

/* Appends a copy of json to c's reply queue; culls c when it is full. */
static void
client_queue(struct bridge_client *c, const char *json, size_t len)
{
	struct qmsg *m;

	if (c->culled || json == NULL)
		return;
	if (c->q_len >= BRIDGE_QUEUE_MAX) {
		client_cull(c, "too many unsent replies");
		return;
	}
	if ((m = malloc(sizeof(*m) + LWS_PRE + len)) == NULL) {
		log_warn("bridge: reply dropped");
		return;
	}
	m->next = NULL;
	m->len = len;
	memcpy(m->buf + LWS_PRE, json, len);
	if (c->q_tail != NULL)
		c->q_tail->next = m;
	else
		c->q_head = m;
	c->q_tail = m;
	c->q_len++;
	lws_callback_on_writable(c->wsi);
}

/* Queues an error reply; the id is echoed when the request had one. */
static void
client_error(struct bridge_client *c, const char *code, const char *message,
    json_int_t id, int has_id)
{
	char *s;

	if ((s = proto_error(code, message, id, has_id)) == NULL) {
		log_warnx("bridge: cannot build error reply %s", code);
		return;
	}
	client_queue(c, s, strlen(s));
	free(s);
}

/* Handles one complete text message from c. */
static void
client_dispatch(struct bridge_client *c, const char *buf, size_t len)
{
	struct bridge *b = c->b;
	const char *code, *type;
	char err[256], *s;
	json_t *msg;
	json_int_t id = 0;
	int has_id;

	if (proto_parse_client(buf, len, &msg, &code, err, sizeof(err)) == -1) {
		log_debug("bridge: client %p: %s: %s", (void *)c->wsi, code,
		    err);
		client_error(c, code, err, 0, 0);
		return;
	}
	has_id = proto_get_id(msg, &id);
	type = json_string_value(json_object_get(msg, "type"));
	/* It said who it is: no longer the first to go at a limit. */
	if (strcmp(type, "hello") == 0)
		c->helloed = 1;

	if (strcmp(type, "ping") == 0) {
		if ((s = proto_pong(id, has_id)) != NULL) {
			client_queue(c, s, strlen(s));
			free(s);
		}
	} else if (b->hooks.on_message != NULL) {
		b->hooks.on_message(b->hooks.ud, c, msg, buf, len);
	} else {
		snprintf(err, sizeof(err), "unknown message type \"%s\"", type);
		client_error(c, PROTO_E_UNKNOWN_TYPE, err, id, has_id);
	}
	json_decref(msg);
}

/*
 * Accumulates one RECEIVE chunk.  A message over max_message gets one
 * "too-large" reply and the rest of it is skipped; the connection stays.
 * Binary messages are refused here in one place so that audio streaming
 * (a later issue) can claim them.
 */
/*
 * Token bucket: rate per second, burst on top, charged when a message
 * starts (so oversize and binary messages cost too); at most one
 * rate-limited reply a second.  0: go on; -1: drop the message.
 */
static int
client_charge(struct bridge_client *c)
{
	struct bridge *b = c->b;
	double now;
	char err[96];

	if (b->rate <= 0)
		return 0;
	now = clock_mono();
	c->bucket += (now - c->bucket_t) * b->rate;
	if (c->bucket > b->burst)
		c->bucket = b->burst;
	c->bucket_t = now;
	if (c->bucket >= 1.0) {
		c->bucket -= 1.0;
		return 0;
	}
	if (now - c->limited_t >= 1.0) {
		c->limited_t = now;
		snprintf(err, sizeof(err), "more than %g messages a second: "
		    "message dropped", b->rate);
		client_error(c, PROTO_E_RATE_LIMITED, err, 0, 0);
	}
	return -1;
}

/*
 * Accumulates one RECEIVE chunk (see above).  -1: close the connection
 * (the close reason is set): a message that claims more than close_at
 * bytes would take forever to skip (a frame header may claim 2^62).
 */
static int
client_receive(struct bridge_client *c, const void *in, size_t len)
{
	struct bridge *b = c->b;
	size_t ncap, close_at;
	char *p, msg[96];

	if (!c->in_msg)
		c->msg_bytes = 0;
	c->msg_bytes += len;
	close_at = b->max_message > BRIDGE_CLOSE_AT / 16 ?
	    16 * b->max_message : BRIDGE_CLOSE_AT;
	if (c->msg_bytes + lws_remaining_packet_payload(c->wsi) > close_at) {
		log_info("bridge: client %llu (%s): a message of more than "
		    "%zu bytes: closing", (unsigned long long)c->id, c->addr,
		    close_at);
		lws_close_reason(c->wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
		    (unsigned char *)"message too big", 15);
		return -1;
	}
	if (!c->in_msg) {
		c->in_msg = 1;
		c->rx_discard = 0;
		c->rx_len = 0;
		c->rx_binary = lws_frame_is_binary(c->wsi) != 0;
		c->rx_pass = c->rx_binary && c->binary_ok &&
		    b->hooks.on_binary != NULL;
		/* Audio frames are bounded by the stream, not the rate. */
		if (!c->rx_pass && client_charge(c) < 0)
			c->rx_discard = 1;
	}
	/* Audio: no reassembly, no size cap (the receiver bounds it). */
	if (c->rx_pass) {
		if (len > 0 && c->binary_ok)
			b->hooks.on_binary(b->hooks.ud, c, in, len);
		if (lws_is_final_fragment(c->wsi))
			c->in_msg = 0;
		return 0;
	}

	if (!c->rx_discard && c->rx_binary) {
		c->rx_discard = 1;
		client_error(c, PROTO_E_BINARY,
		    "binary messages are not supported", 0, 0);
	}
	if (!c->rx_discard && len > b->max_message - c->rx_len) {
		c->rx_discard = 1;
		client_rx_clear(c);
		snprintf(msg, sizeof(msg),
		    "a message may have at most %zu bytes", b->max_message);
		client_error(c, PROTO_E_TOO_LARGE, msg, 0, 0);
	}
	if (!c->rx_discard && len > 0) {
		if (c->rx_len + len > c->rx_cap) {
			ncap = c->rx_cap ? c->rx_cap : 1024;
			while (ncap < c->rx_len + len)
				ncap *= 2;
			if (ncap > b->max_message)
				ncap = b->max_message;
			if ((p = realloc(c->rx, ncap)) == NULL) {
				log_warn("bridge: client message dropped");
				c->rx_discard = 1;
				client_rx_clear(c);
				goto final;
			}
			c->rx = p;
			c->rx_cap = ncap;
		}
		memcpy(c->rx + c->rx_len, in, len);
		c->rx_len += len;
	}
final:
	if (!lws_is_final_fragment(c->wsi))
		return 0;
	c->in_msg = 0;
	if (!c->rx_discard)
		client_dispatch(c, c->rx != NULL ? c->rx : "", c->rx_len);
	/* Keep a small buffer for the next message, drop a big one. */
	if (c->rx_cap > 4096)
		client_rx_clear(c);
	c->rx_len = 0;
	return 0;
}

/*
 * One lws_write per WRITEABLE: direct replies first (they answer something
 * the client just did), then the ring.
 */
static int
client_writeable(struct bridge_client *c)
{
	struct bridge *b = c->b;
	const struct ring_msg *rm;
	struct qmsg *m;
	int n;

	if (c->culled) {
		lws_close_reason(c->wsi, (enum lws_close_status)c->close_code,
		    (unsigned char *)c->close_why, strlen(c->close_why));
		return -1;
	}
	if (c->want_ping) {
		/* With a payload: lws 4.1 reports no pong that has none. */
		unsigned char ping[LWS_PRE + 4];

		c->want_ping = 0;
		memcpy(ping + LWS_PRE, "so-k", 4);
		if (lws_write(c->wsi, ping + LWS_PRE, 4, LWS_WRITE_PING) < 4)
			return -1;
	} else if ((m = c->q_head) != NULL) {
		if ((c->q_head = m->next) == NULL)
			c->q_tail = NULL;
		c->q_len--;
		n = lws_write(c->wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT);
		if (n < (int)m->len) {
			free(m);
			log_warnx("bridge: write to client %p failed",
			    (void *)c->wsi);
			return -1;
		}
		free(m);
	} else {
		/* The next ring element meant for this client's view. */
		for (;;) {
			void *p;
			size_t len;

			if ((rm = lws_ring_get_element(b->ring, &c->tail)) == NULL)
				return 0;
			p = c->trusted ? rm->payload : rm->pub;
			len = c->trusted ? rm->len : rm->publen;
			if (p == NULL) {
				lws_ring_consume(b->ring, &c->tail, NULL, 1);
				continue;
			}
			n = lws_write(c->wsi, (unsigned char *)p + LWS_PRE, len,
			    LWS_WRITE_TEXT);
			if (n < (int)len) {
				log_warnx("bridge: write to client %p failed",
				    (void *)c->wsi);
				return -1;
			}
			lws_ring_consume(b->ring, &c->tail, NULL, 1);
			break;
		}
	}

	c->owed_since = 0;	/* a write went out */
	if (c->q_head != NULL || lws_ring_get_element(b->ring, &c->tail))
		lws_callback_on_writable(c->wsi);
	return 0;
}

/* The lines not written since the last such line, if any, in one line. */
static void
conn_log_flush(struct bridge *b, double now)
{
	if (b->connlog_dropped == 0)
		return;
	log_info("bridge: %lu more connect and leave line%s not logged in %.0f s (at most %d a second; "
	    "%zu connected)", b->connlog_dropped, b->connlog_dropped == 1 ? "" : "s",
	    ceil(now - b->connlog_dropped_t), CONN_LOG_PER_S, b->nclients);
	b->connlog_dropped = 0;
}

/*
 * May a connect or leave line be written?  At most CONN_LOG_PER_S a
 * second (2,000 connections a minute would write 4,000 lines); the rest
 * are counted and said in one line once the second is over (conn_log_flush,
 * also from the housekeeping timer).  Audit and hello lines are not
 * throttled.
 */
static int
conn_log_ok(struct bridge *b)
{
	double now = clock_mono();

	if (now - b->connlog_t >= 1.0) {
		conn_log_flush(b, now);
		b->connlog_t = now;
		b->connlog_n = 0;
	}
	if (b->connlog_n < CONN_LOG_PER_S) {
		b->connlog_n++;
		return 1;
	}
	if (b->connlog_dropped++ == 0)
		b->connlog_dropped_t = now;
	return 0;
}

/* A new websocket client: joins the ring at its head and gets hello. */
static void
client_established(struct bridge *b, struct bridge_client *c,
    struct lws *wsi)
{
	char *hello;

	memset(c, 0, sizeof(*c));
	c->b = b;
	c->wsi = wsi;
	c->established = 1;
	c->id = ++b->next_id;
	c->born = c->last_rx = clock_mono();
	peer_address(wsi, c->addr, sizeof(c->addr));
	c->loopback = addr_is_loopback(c->addr);
	snprintf(c->role, sizeof(c->role), "display");
	c->bucket = b->burst;
	c->bucket_t = clock_mono();
	c->limited_t = -1e9;
	/* From the head: hello carries the state, old events would replay. */
	c->tail = ring_head(b);
	/*
	 * A small send buffer: a client that talks (pings) but never reads
	 * would otherwise park megabytes in the kernel (loopback grew one to
	 * 3.9 MB in the soak bench) long before the ring notices it lags.
	 * With this, its writes stop soon and the write deadline closes it.
	 */
	{
		int fd = (int)lws_get_socket_fd(wsi), sz = CLIENT_SNDBUF;
		if (fd >= 0)
			setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
	}
	c->next = b->clients;
	b->clients = c;
	c->listed = 1;
	b->nclients++;
	b->nactive++;
	if (conn_log_ok(b))
		log_info("client %llu connected from %s (%zu connected)", (unsigned long long)c->id,
		    c->addr[0] ? c->addr : "?", b->nclients);

	if (b->hooks.hello != NULL && !b->closing &&
	    (hello = b->hooks.hello(b->hooks.ud, c)) != NULL) {
		client_queue(c, hello, strlen(hello));
		free(hello);
	}
}

/* A websocket client is gone: release its tail and memory (idempotent). */
static void
client_closed(struct bridge *b, struct bridge_client *c)
{
	if (!c->established)
		return;
	if (b->hooks.on_close != NULL && !b->closing)
		b->hooks.on_close(b->hooks.ud, c);
	c->established = 0;
	if (!c->culled)
		b->nactive--;
	client_unlist(c);
	client_queue_clear(c);
	client_rx_clear(c);
	b->nclients--;
	if (conn_log_ok(b))
		log_info("client %llu (%s%s%s%s) left after %.0f s (%zu connected)", (unsigned long long)c->id,
		    c->role, c->name[0] ? " \"" : "", c->name, c->name[0] ? "\"" : "", clock_mono() - c->born,
		    b->nclients);
}

/*
 * Only ws upgrades to BRIDGE_WS_PATH are accepted, so that a typo in a
 * dashboard's URL fails loudly instead of half-working.
 */
/*
 * "self" compares the Origin with the Host the page was loaded from; a
 * page of another site can make both agree by re-pointing its DNS name at
 * us (DNS rebinding).  So the Host must be an address (which no DNS answer
 * can re-point), localhost, or the host of public_url.
 */
/* "" or ":" and 1 to 5 digits: what may follow a host. */
static int
port_ok(const char *p)
{
	size_t n;

	if (*p == '\0')
		return 1;
	n = strspn(p + 1, "0123456789");
	return *p == ':' && n >= 1 && n <= 5 && p[1 + n] == '\0';
}

static int
host_is_ours(const struct bridge *b, const char *host)
{
	char name[256];
	const char *end;
	unsigned char a[16];
	size_t n;

	if (host[0] == '\0')
		return 0;
	if (b->public_host != NULL && strcasecmp(host, b->public_host) == 0)
		return 1;
	if (host[0] == '[') {		/* an IPv6 address, only that */
		if ((end = strchr(host, ']')) == NULL ||
		    (n = (size_t)(end - host - 1)) == 0 || n >= sizeof(name))
			return 0;
		memcpy(name, host + 1, n);
		name[n] = '\0';
		return inet_pton(AF_INET6, name, a) == 1 && port_ok(end + 1);
	}
	n = strcspn(host, ":");
	if (n >= sizeof(name) || !port_ok(host + n))
		return 0;
	memcpy(name, host, n);
	name[n] = '\0';
	return strcasecmp(name, "localhost") == 0 ||
	    inet_pton(AF_INET, name, a) == 1;
}

/*
 * Room for one more client (from addr, when the per-address limit is the
 * one reached; NULL: from anyone): the longest-connected client that has
 * sent no hello for hello_s is closed.  0, or -1 when there is none.
 */
static int
make_room(struct bridge *b, const char *addr)
{
	struct bridge_client *c, *victim = NULL;
	double now = clock_mono();

	if (b->hello_s <= 0)
		return -1;
	for (c = b->clients; c != NULL; c = c->next)
		if (!c->helloed && now - c->born >= b->hello_s &&
		    (addr == NULL || strcmp(c->addr, addr) == 0) &&
		    (victim == NULL || c->born < victim->born))
			victim = c;
	if (victim == NULL)
		return -1;
	client_close(victim, LWS_CLOSE_STATUS_POLICY_VIOLATION,
	    "no hello", "no hello, and the connection limit is reached");
	return 0;
}

/*
 * May one more websocket client connect from addr?  0 yes (perhaps after
 * making room), -1 no (logged, at most once per BRIDGE_REFUSED_LOG_S).
 */
static int
admit(struct bridge *b, const char *addr)
{
	struct bridge_client *c;
	const char *why = NULL;
	size_t n = 0;
	double now;

	if (b->max_per_address > 0 &&
	    (b->limit_loopback || !addr_is_loopback(addr))) {
		for (c = b->clients; c != NULL; c = c->next)
			n += strcmp(c->addr, addr) == 0;
		if (n >= b->max_per_address && make_room(b, addr) < 0)
			why = "per address";
	}
	if (why == NULL && b->max_clients > 0 && b->nactive >= b->max_clients &&
	    make_room(b, NULL) < 0)
		why = "in all";
	if (why == NULL)
		return 0;
	b->refused++;
	now = clock_mono();
	if (now - b->refused_t >= BRIDGE_REFUSED_LOG_S) {
		log_warnx("bridge: websocket from %s refused: too many clients "
		    "%s (%zu connected, at most %zu from one address; %lu "
		    "refused since the last such message)", addr, why,
		    b->nactive, b->max_per_address, b->refused);
		b->refused_t = now;
		b->refused = 0;
	}
	return -1;
}

/*
 * Is the upgrade's Origin allowed (allowed_origins)?  1 yes, 0 no (logged).
 * Programs send no Origin; browsers always do (RFC 6455 10.2).
 */
static int
origin_allowed(struct bridge *b, struct lws *wsi)
{
	char origin[256], host[256], self[300], *list, *tok, *save;
	int ok = 0;

	if (lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN) <= 0)
		return 1;
	if (lws_hdr_copy(wsi, origin, sizeof(origin), WSI_TOKEN_ORIGIN) <= 0)
		return 0;
	if (lws_hdr_copy(wsi, host, sizeof(host), WSI_TOKEN_HOST) <= 0)
		host[0] = '\0';
	if ((list = strdup(b->origins != NULL ? b->origins : "self")) == NULL)
		return 0;
	for (tok = strtok_r(list, " ,", &save); tok != NULL && !ok;
	    tok = strtok_r(NULL, " ,", &save)) {
		if (strcmp(tok, "*") == 0)
			ok = 1;
		else if (strcmp(tok, "self") == 0 && host_is_ours(b, host)) {
			snprintf(self, sizeof(self), "http://%s", host);
			ok = strcasecmp(origin, self) == 0;
			snprintf(self, sizeof(self), "https://%s", host);
			ok = ok || strcasecmp(origin, self) == 0;
		} else
			ok = strcasecmp(origin, tok) == 0;
	}
	free(list);
	if (!ok)
		log_info("bridge: websocket refused: origin %s is not allowed "
		    "(allowed_origins = %s)", origin, b->origins);
	return ok;
}

/*
 * LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: the request is still HTTP, so a
 * foreign Origin gets "403 Forbidden" (docs/protocol.md) rather than a
 * closed connection.  1: refused with headers sent; 0: carry on.
 */
static int
confirm_upgrade(struct bridge *b, struct lws *wsi)
{
	if (b == NULL || origin_allowed(b, wsi))
		return 0;
	if (lws_return_http_status(wsi, HTTP_STATUS_FORBIDDEN,
	    "origin not allowed (allowed_origins)"))
		return -1;
	return 1;
}

static int
filter_connection(struct bridge *b, struct lws *wsi)
{
	char uri[64], host[256];

	if (lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) <= 0 ||
	    strcmp(uri, BRIDGE_WS_PATH) != 0) {
		log_debug("bridge: websocket upgrade refused: path is not %s",
		    BRIDGE_WS_PATH);
		return -1;
	}
	if (b->closing)
		return -1;
	/* Checked at the upgrade already; again should lws skip that. */
	if (!origin_allowed(b, wsi))
		return -1;
	peer_address(wsi, host, sizeof(host));
	return admit(b, host);
}

/*
 * GET /documents/private/NAME?token=T: a PDF for trusted clients only.
 * Names are one path element of [A-Za-z0-9._-] ending in .pdf, so nothing
 * outside the folder can be named.
 */
static int
docs_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct bridge *b = lws_context_user(lws_get_context(wsi));
	char token[128], path[4096];
	const char *name = in, *tok, *dir;
	size_t n;
	int rc;

	if (reason != LWS_CALLBACK_HTTP)
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	dir = b->docs_priv;
	/* lws 4.1 passes the whole path, mount point included.  /briefing/ is
	 * the TV's folder (briefing_dir), trusted clients only as well. */
	if (name != NULL && strncmp(name, "/briefing/", 10) == 0) {
		name += 10;
		dir = b->docs_brief;
	} else if (name != NULL && strncmp(name, "/documents/private/", 19) == 0)
		name += 19;
	else if (name != NULL && *name == '/')
		name++;
	n = name != NULL ? strlen(name) : 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("._-", name[i]))
			n = 0;
	if (n < 5 || name[0] == '.' || strcmp(name + n - 4, ".pdf") != 0 ||
	    dir == NULL) {
		lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, NULL);
		goto done;
	}
	/* Returns a pointer to the value, inside token ("token=VALUE"). */
	if ((tok = lws_get_urlarg_by_name(wsi, "token=", token, sizeof(token))) == NULL ||
	    b->hooks.token_ok == NULL || !b->hooks.token_ok(b->hooks.ud, tok)) {
		log_info("bridge: private document %s refused: no valid token",
		    name);
		lws_return_http_status(wsi, HTTP_STATUS_FORBIDDEN, NULL);
		goto done;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	rc = lws_serve_http_file(wsi, path, "application/pdf", NULL, 0);
	if (rc < 0 || (rc > 0 && lws_http_transaction_completed(wsi)))
		return -1;
	return 0;
done:
	if (lws_http_transaction_completed(wsi))
		return -1;
	return 0;
}

/* The lws callback of the "smartoffice" protocol. */
static int
bridge_callback(struct lws *wsi, enum lws_callback_reasons reason,
    void *user, void *in, size_t len)
{
	struct bridge *b = lws_context_user(lws_get_context(wsi));
	struct bridge_client *c = user;

	switch (reason) {
	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
		return confirm_upgrade(b, wsi);
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		return filter_connection(b, wsi);
	case LWS_CALLBACK_ESTABLISHED:
		client_established(b, c, wsi);
		return 0;
	case LWS_CALLBACK_CLOSED:
	case LWS_CALLBACK_WSI_DESTROY:
		/* WSI_DESTROY is a backstop should CLOSED not come. */
		if (c != NULL)
			client_closed(b, c);
		return 0;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		if (c == NULL || !c->established)
			return 0;
		return client_writeable(c);
	case LWS_CALLBACK_RECEIVE:
		if (c == NULL || !c->established || c->culled)
			return 0;
		c->last_rx = clock_mono();
		c->pinged = 0;
		return client_receive(c, in, len);
	case LWS_CALLBACK_RECEIVE_PONG:
		if (c != NULL && c->established) {
			c->last_rx = clock_mono();
			c->pinged = 0;
		}
		return 0;
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		/*
		 * lws delivers this once to each protocol of the vhost; this
		 * protocol's callback is the one place we act on it.
		 */
		if (b != NULL && !b->closing && b->hooks.on_wakeup != NULL)
			b->hooks.on_wakeup(b->hooks.ud);
		return 0;
	default:
		break;
	}
	/* Plain HTTP that lws bound to the default protocol: serve files. */
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

/* The bridge's own copies of its configuration, and the bridge. */
static void
bridge_release(struct bridge *b)
{
	free(b->web_root);
	free(b->address);
	free(b->origins);
	free(b->public_host);
	free(b->js_root);
	free(b->pdfjs_root);
	free(b->mqttjs_root);
	free(b->docs_pub);
	free(b->docs_priv);
	free(b->docs_brief);
	for (struct page_mount *pm = b->pages; pm != NULL && pm->dir != NULL; pm++)
		free(pm->dir);
	free(b->pages);
	free(b);
}

/* Adds a mount per page folder of web_root (struct page_mount) at the end
 * of the chain.  A folder that cannot be added is served as before. */
static void
add_page_mounts(struct bridge *b)
{
	struct lws_http_mount *last = &b->mount;
	struct dirent *e;
	struct stat st;
	char path[4200];
	size_t n = 0, cap = 0;
	DIR *dir;

	if ((dir = opendir(b->web_root)) == NULL)
		return;
	while ((e = readdir(dir)) != NULL) {
		struct page_mount *pm;
		if (e->d_name[0] == '.' || strlen(e->d_name) > 200)
			continue;
		snprintf(path, sizeof(path), "%s/%s/index.html", b->web_root, e->d_name);
		if (stat(path, &st) == -1 || !S_ISREG(st.st_mode))
			continue;
		if (n + 1 >= cap) {	/* one zeroed entry ends the array */
			cap = cap ? cap * 2 : 8;
			if ((pm = realloc(b->pages, cap * sizeof(*pm))) == NULL)
				break;
			b->pages = pm;
			memset(b->pages + n, 0, (cap - n) * sizeof(*pm));
		}
		pm = &b->pages[n];
		snprintf(pm->at, sizeof(pm->at), "/%s", e->d_name);
		snprintf(path, sizeof(path), "%s/%s", b->web_root, e->d_name);
		if ((pm->dir = strdup(path)) == NULL)
			break;
		n++;
	}
	closedir(dir);
	while (last->mount_next != NULL)
		last = (struct lws_http_mount *)last->mount_next;
	for (size_t i = 0; i < n; i++) {
		struct lws_http_mount *m = &b->pages[i].m;
		*m = b->mount;		/* served as "/" is, but for the folder */
		m->mount_next = NULL;
		m->mountpoint = b->pages[i].at;
		m->mountpoint_len = (unsigned char)strlen(b->pages[i].at);
		m->origin = b->pages[i].dir;
		last->mount_next = m;
		last = m;
	}
}

/*
 * Every keep_ms: a client silent for ping_s gets a ping (once until it
 * sends something, a pong included); one silent for idle_s is a dead peer
 * (or one that never finishes a frame) and is dropped without a close
 * frame, which it would not read.
 */
static void
keep_fire(lws_sorted_usec_list_t *sul)
{
	struct bridge *b = lws_container_of(sul, struct bridge, sul_keep);
	struct bridge_client *c, *next;
	double now = clock_mono(), silent;

	if (b->closing)
		return;
	for (c = b->clients; c != NULL; c = next) {
		next = c->next;
		silent = now - c->last_rx;
		/* Owed something and no write since: the deadline runs. */
		if (c->q_head == NULL && lws_ring_get_element(b->ring, &c->tail) == NULL)
			c->owed_since = 0;
		else if (c->owed_since == 0)
			c->owed_since = now;
		if (b->idle_s > 0 && c->owed_since > 0 && now - c->owed_since >= b->idle_s &&
		    !c->culled) {
			log_info("bridge: client %llu (%s): has read nothing for %.0f s: "
			    "dropped", (unsigned long long)c->id, c->addr, now - c->owed_since);
			client_close(c, LWS_CLOSE_STATUS_POLICY_VIOLATION, "not reading", NULL);
			lws_set_timeout(c->wsi, PENDING_TIMEOUT_LAGGING, LWS_TO_KILL_ASYNC);
		} else if (b->idle_s > 0 && silent >= b->idle_s) {
			log_info("bridge: client %llu (%s): silent for %.0f s: "
			    "dropped", (unsigned long long)c->id, c->addr,
			    silent);
			client_close(c, LWS_CLOSE_STATUS_GOINGAWAY, "idle", NULL);
			lws_set_timeout(c->wsi, PENDING_TIMEOUT_LAGGING,
			    LWS_TO_KILL_ASYNC);
		} else if (b->ping_s > 0 && silent >= b->ping_s && !c->pinged) {
			c->pinged = 1;
			c->want_ping = 1;
			lws_callback_on_writable(c->wsi);
		}
	}
	lws_sul_schedule(b->ctx, 0, &b->sul_keep, keep_fire,
	    (lws_usec_t)b->keep_ms * LWS_US_PER_MS);
}

static void
tick_fire(lws_sorted_usec_list_t *sul)
{
	/* Only makes lws_service return. */
}

/* Starts the server; see bridge.h. */
struct bridge *
bridge_new(const struct bridge_config *cfg, const struct bridge_hooks *hooks,
    char *err, size_t errlen)
{
	struct lws_context_creation_info info;
	struct bridge *b;
	struct stat st;

	if (cfg->web_root == NULL || stat(cfg->web_root, &st) == -1) {
		snprintf(err, errlen, "web root %s: %s",
		    cfg->web_root != NULL ? cfg->web_root : "(none)",
		    cfg->web_root != NULL ? strerror(errno) : "not set");
		return NULL;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "web root %s: not a directory",
		    cfg->web_root);
		return NULL;
	}
	if (cfg->ring_size < 1 || cfg->ring_size > 65536) {
		snprintf(err, errlen, "ring size %zu: must be 1 to 65536",
		    cfg->ring_size);
		return NULL;
	}
	if (cfg->max_message < 16) {
		snprintf(err, errlen, "max message %zu: must be at least 16",
		    cfg->max_message);
		return NULL;
	}
	if (cfg->port < 0 || cfg->port > 65535) {
		snprintf(err, errlen, "port %d: out of range", cfg->port);
		return NULL;
	}

	if ((b = calloc(1, sizeof(*b))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (hooks != NULL)
		b->hooks = *hooks;
	b->ring_size = cfg->ring_size;
	b->max_message = cfg->max_message;
	b->rate = cfg->rate;
	b->burst = cfg->burst > 1 ? cfg->burst : 1;
	b->max_clients = cfg->max_clients;
	b->max_per_address = cfg->max_per_address;
	b->limit_loopback = cfg->limit_loopback;
	b->hello_s = cfg->hello_s;
	b->ping_s = cfg->ping_s;
	b->idle_s = cfg->idle_s;
	b->refused_t = -1e9;
	b->origins = strdup(cfg->origins != NULL ? cfg->origins : "self");
	if (cfg->public_url != NULL && strstr(cfg->public_url, "://") != NULL) {
		const char *h = strstr(cfg->public_url, "://") + 3;
		b->public_host = strndup(h, strcspn(h, "/"));
	}
	b->web_root = strdup(cfg->web_root);
	if (cfg->address != NULL)
		b->address = strdup(cfg->address);
	if (b->web_root == NULL ||
	    (cfg->address != NULL && b->address == NULL)) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	/* lws_ring keeps one element free; + 1 so ring_size messages fit. */
	b->ring = lws_ring_create(sizeof(struct ring_msg), b->ring_size + 1,
	    ring_msg_free);
	if (b->ring == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}

	b->mount.mountpoint = "/";
	b->mount.mountpoint_len = 1;
	b->mount.origin = b->web_root;
	b->mount.def = "index.html";
	b->mount.origin_protocol = LWSMPRO_FILE;
	b->mount.extra_mimetypes = &mime_extra;
	/* Optional folders, each its own mount, chained behind "/". */
	{
		struct lws_http_mount *last = &b->mount;
		struct { struct lws_http_mount *m; const char *at; const char *dir;
		    const char *sub; char **keep; } opt[] = {
			{ &b->mount_js, "/js", cfg->js_root, "", &b->js_root },
			{ &b->mount_pdfjs, "/vendor/pdfjs", cfg->pdfjs_root, "", &b->pdfjs_root },
			{ &b->mount_mqttjs, "/js/mqtt", cfg->mqttjs_root, "", &b->mqttjs_root },
			{ &b->mount_pub, "/documents/public", cfg->documents, "/public", &b->docs_pub },
		};
		char dir[4096];

		for (size_t i = 0; i < sizeof(opt) / sizeof(opt[0]); i++) {
			if (opt[i].dir == NULL || *opt[i].dir == '\0')
				continue;
			snprintf(dir, sizeof(dir), "%s%s", opt[i].dir, opt[i].sub);
			if (stat(dir, &st) == -1 || !S_ISDIR(st.st_mode)) {
				log_info("bridge: %s: not a folder; %s/ is not served",
				    dir, opt[i].at);
				continue;
			}
			if ((*opt[i].keep = strdup(dir)) == NULL)
				continue;
			opt[i].m->mountpoint = opt[i].at;
			opt[i].m->mountpoint_len = (unsigned char)strlen(opt[i].at);
			opt[i].m->origin = *opt[i].keep;
			opt[i].m->origin_protocol = LWSMPRO_FILE;
			opt[i].m->extra_mimetypes = &mime_extra;
			last->mount_next = opt[i].m;
			last = opt[i].m;
		}
		if (cfg->documents != NULL && *cfg->documents != '\0') {
			snprintf(dir, sizeof(dir), "%s/private", cfg->documents);
			b->docs_priv = strdup(dir);
			b->mount_priv.mountpoint = "/documents/private";
			b->mount_priv.mountpoint_len = 18;
			b->mount_priv.origin = "so-docs";
			b->mount_priv.origin_protocol = LWSMPRO_CALLBACK;
			last->mount_next = &b->mount_priv;
		}
		if (cfg->briefing != NULL && *cfg->briefing != '\0' &&
		    (b->docs_brief = strdup(cfg->briefing)) != NULL) {
			b->mount_brief.mountpoint = "/briefing";
			b->mount_brief.mountpoint_len = 9;
			b->mount_brief.origin = "so-docs";
			b->mount_brief.origin_protocol = LWSMPRO_CALLBACK;
			if (b->docs_priv != NULL)
				b->mount_priv.mount_next = &b->mount_brief;
			else
				last->mount_next = &b->mount_brief;
		}
	}
	add_page_mounts(b);
	/* Browsers without a subprotocol get "smartoffice". */
	b->pvo_default.name = "default";
	b->pvo_default.value = "1";
	b->pvo.name = BRIDGE_PROTOCOL;
	b->pvo.options = &b->pvo_default;

	lws_set_log_level(LLL_ERR | LLL_WARN, bridge_lws_log);

	memset(&info, 0, sizeof(info));
	/* Text that is not UTF-8: lws closes with 1007 (RFC 6455 8.1). */
	info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS |
	    LWS_SERVER_OPTION_HTTP_HEADERS_SECURITY_BEST_PRACTICES_ENFORCE |
	    LWS_SERVER_OPTION_VALIDATE_UTF8;
	if (cfg->frame_src != NULL && *cfg->frame_src != '\0')
		info.options &= ~(uint64_t)LWS_SERVER_OPTION_HTTP_HEADERS_SECURITY_BEST_PRACTICES_ENFORCE;
	/* tls_cert and tls_key: lws' own TLS (OpenSSL) on the one port. */
	b->tls = cfg->tls_cert != NULL && *cfg->tls_cert != '\0';
	if (b->tls && (cfg->tls_key == NULL || *cfg->tls_key == '\0')) {
		snprintf(err, errlen, "tls_cert is set but tls_key is not");
		goto fail;
	}
	for (int i = 0; b->tls && i < 2; i++) {
		const char *f = i == 0 ? cfg->tls_cert : cfg->tls_key;
		FILE *fp = fopen(f, "r");
		if (fp == NULL) {
			snprintf(err, errlen, "%s %s: %s", i == 0 ? "tls_cert" : "tls_key", f, strerror(errno));
			goto fail;
		}
		fclose(fp);
	}
	if (b->tls)
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.user = b;
	info.count_threads = 1;
	if ((b->ctx = lws_create_context(&info)) == NULL) {
		snprintf(err, errlen, "cannot create the websocket context");
		goto fail;
	}

	memset(&info, 0, sizeof(info));
	info.vhost_name = "smartoffice";
	info.iface = b->address != NULL && *b->address != '\0' &&
	    strcmp(b->address, "*") != 0 ? b->address : NULL;
	info.port = cfg->port;
	info.protocols = bridge_protocols;
	info.pvo = &b->pvo;
	info.mounts = &b->mount;
	info.options =
	    LWS_SERVER_OPTION_HTTP_HEADERS_SECURITY_BEST_PRACTICES_ENFORCE;
	/*
	 * frame_src (the office's conference origins, docs/conference.md): the
	 * same five headers lws' best-practices option sends, with frame-src
	 * for those origins only, so a trusted page can show a room in an
	 * iframe; nothing else is widened.
	 */
	if (cfg->frame_src != NULL && *cfg->frame_src != '\0') {
		static const char *names[] = { "content-security-policy:", "x-content-type-options:",
		    "x-xss-protection:", "x-frame-options:", "referrer-policy:" };
		static const char *values[] = { NULL, "nosniff", "1; mode=block", "deny", "no-referrer" };

		snprintf(b->csp, sizeof(b->csp), "default-src 'none'; img-src 'self' data: ; "
		    "script-src 'self'; font-src 'self'; style-src 'self'; connect-src 'self' ws: wss:; "
		    "frame-src %s; frame-ancestors 'none'; base-uri 'none';form-action 'self';",
		    cfg->frame_src);
		for (int i = 0; i < 5; i++) {
			b->hdr[i].next = i < 4 ? &b->hdr[i + 1] : NULL;
			b->hdr[i].name = names[i];
			b->hdr[i].value = i == 0 ? b->csp : values[i];
		}
		info.headers = &b->hdr[0];
		info.options = 0;
	}
	if (b->tls) {	/* lws 4.1 looks for the option on the vhost too */
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		info.ssl_cert_filepath = cfg->tls_cert;
		info.ssl_private_key_filepath = cfg->tls_key;
		/* HTTP/1.1 only: websockets over HTTP/2 (RFC 8441) would pass
		 * by the upgrade checks and the per-connection limits. */
		info.alpn = "http/1.1";
	}
	/* No idle-validity timer per connection: lws reschedules it in a
	 * sorted list on every read and write, O(clients) each (make bench,
	 * fan-out); one timer (keep_fire) pings silent clients and drops dead
	 * ones instead, O(clients) once per keep_ms. */
	info.retry_and_idle_policy = &bridge_idle_policy;
	if ((b->vhost = lws_create_vhost(b->ctx, &info)) == NULL) {
		if (b->tls)
			snprintf(err, errlen, "cannot listen on %s port %d with TLS "
			    "(tls_cert %s, tls_key %s: a PEM certificate and its key; "
			    "the lines above say more)", b->address != NULL ? b->address : "*",
			    cfg->port, cfg->tls_cert, cfg->tls_key);
		else
			snprintf(err, errlen, "cannot listen on %s port %d",
			    b->address != NULL ? b->address : "*", cfg->port);
		goto fail;
	}
	b->port = lws_get_vhost_listen_port(b->vhost);
	if (b->ping_s > 0 || b->idle_s > 0) {
		double least = b->ping_s > 0 ? b->ping_s : b->idle_s;

		if (b->idle_s > 0 && b->ping_s > 0 && b->idle_s - b->ping_s < least)
			least = b->idle_s - b->ping_s;
		b->keep_ms = (int)(least * 1000 / 4);
		b->keep_ms = b->keep_ms < 50 ? 50 : b->keep_ms > 1000 ? 1000 : b->keep_ms;
		lws_sul_schedule(b->ctx, 0, &b->sul_keep, keep_fire,
		    (lws_usec_t)b->keep_ms * LWS_US_PER_MS);
	}
	log_info("bridge: listening on %s:%d%s, serving %s",
	    b->address != NULL ? b->address : "*", b->port, b->tls ? " (TLS)" : "", b->web_root);
	return b;
fail:
	if (b->ctx != NULL)
		lws_context_destroy(b->ctx);
	if (b->ring != NULL)
		lws_ring_destroy(b->ring);
	bridge_release(b);
	return NULL;
}

/* The bound port. */
int
bridge_port(const struct bridge *b)
{
	return b->port;
}

/* 1 with TLS (https, wss). */
int
bridge_tls(const struct bridge *b)
{
	return b->tls;
}

/* One turn of the event loop; lws 4.1 ignores the timeout argument. */
int
bridge_service(struct bridge *b)
{
	return lws_service(b->ctx, 0);
}

/*
 * Puts one message into the ring for every client.  On a full ring the
 * clients that still need its oldest element are culled first: they lag by
 * the whole ring, and memory must not grow for them.
 */
void
bridge_broadcast(struct bridge *b, const char *json, size_t len)
{
	bridge_broadcast_view(b, json, len, json, len);
}

/* Copies json into a new buffer with LWS_PRE head-room. */
static void *
ring_copy(const char *json, size_t len)
{
	unsigned char *p = malloc(LWS_PRE + len);

	if (p != NULL)
		memcpy(p + LWS_PRE, json, len);
	return p;
}

/* Broadcast in two views; see bridge.h. */
void
bridge_broadcast_view(struct bridge *b, const char *json, size_t len,
    const char *pub, size_t publen)
{
	struct bridge_client *c, *next;
	struct ring_msg m;

	/* No listener: nothing to keep; newcomers get the state in hello. */
	if (b->closing || json == NULL || b->clients == NULL)
		return;
	/* Reclaim what every client has read, once per quarter ring. */
	if (lws_ring_get_count_free_elements(b->ring) <= b->ring_size / 4)
		ring_release(b);
	if (lws_ring_get_count_free_elements(b->ring) == 0) {
		for (c = b->clients; c != NULL; c = next) {
			next = c->next;
			if (lws_ring_get_count_waiting_elements(b->ring,
			    &c->tail) >= b->ring_size)
				client_cull(c, "lagging a whole ring behind");
		}
		ring_release(b);
		if (lws_ring_get_count_free_elements(b->ring) == 0) {
			/* Cannot happen: culling freed the oldest element. */
			log_warnx("bridge: ring full, message dropped");
			return;
		}
	}

	memset(&m, 0, sizeof(m));
	if ((m.payload = ring_copy(json, len)) == NULL) {
		log_warn("bridge: broadcast dropped");
		return;
	}
	m.len = len;
	if (pub == json && publen == len) {
		m.pub = m.payload;
		m.publen = len;
	} else if (pub != NULL) {
		if ((m.pub = ring_copy(pub, publen)) == NULL) {
			free(m.payload);
			log_warn("bridge: broadcast dropped");
			return;
		}
		m.publen = publen;
	}
	if (lws_ring_insert(b->ring, &m, 1) != 1) {
		if (m.pub != m.payload)
			free(m.pub);
		free(m.payload);
		log_warnx("bridge: ring full, message dropped");
		return;
	}
	lws_callback_on_writable_all_protocol(b->ctx, BRIDGE_WS_PROTOCOL);
}

/* Queues a direct reply for one client. */
void
bridge_send(struct bridge *b, struct bridge_client *c, const char *json,
    size_t len)
{
	if (b->closing || c == NULL || !c->established)
		return;
	client_queue(c, json, len);
}

void
bridge_foreach(struct bridge *b, void (*fn)(void *, struct bridge_client *),
    void *ud)
{
	struct bridge_client *c, *next;

	for (c = b->clients; c != NULL; c = next) {
		next = c->next;
		if (c->established && !c->culled)
			fn(ud, c);
	}
}

uint64_t
bridge_client_id(const struct bridge_client *c)
{
	return c->id;
}

/* Linear: used for a reply after a slow job (remote voice), not per event. */
struct bridge_client *
bridge_client_by_id(struct bridge *b, uint64_t id)
{
	struct bridge_client *c;

	for (c = b->clients; c != NULL; c = c->next)
		if (c->id == id && c->established && !c->culled)
			return c;
	return NULL;
}

void
bridge_client_set_view(struct bridge_client *c, const char *role, int trusted,
    const char *token_id)
{
	char r[sizeof(c->role)], t[sizeof(c->token_id)];

	/* Copies first: the caller may pass the client's own strings. */
	snprintf(r, sizeof(r), "%s", role != NULL ? role : "display");
	snprintf(t, sizeof(t), "%s", token_id != NULL ? token_id : "");
	memcpy(c->role, r, sizeof(r));
	memcpy(c->token_id, t, sizeof(t));
	c->trusted = trusted != 0;
}

void
bridge_client_set_name(struct bridge_client *c, const char *name)
{
	snprintf(c->name, sizeof c->name, "%s", name != NULL ? name : "");
}

const char *
bridge_client_name(const struct bridge_client *c)
{
	return c->name;
}

double
bridge_client_since(const struct bridge_client *c)
{
	return c->born;
}

const char *
bridge_client_role(const struct bridge_client *c)
{
	return c->role;
}

int
bridge_client_trusted(const struct bridge_client *c)
{
	return c->trusted;
}

const char *
bridge_client_token_id(const struct bridge_client *c)
{
	return c->token_id;
}

const char *
bridge_client_address(const struct bridge_client *c)
{
	return c->addr;
}

void
bridge_client_allow_binary(struct bridge_client *c, int allow)
{
	c->binary_ok = allow != 0;
}

/* Connected websocket clients, culled ones included until they are gone. */
size_t
bridge_clients(const struct bridge *b)
{
	return b->nclients;
}

/* Broadcast messages the ring holds for the slowest client. */
size_t
bridge_backlog(struct bridge *b)
{
	ring_release(b);
	return lws_ring_get_count_waiting_elements(b->ring, NULL);
}

static void
cron_fire(lws_sorted_usec_list_t *sul)
{
	struct bridge *b = lws_container_of(sul, struct bridge, sul_cron);

	if (b->closing || b->cron == NULL)
		return;
	if (clock_mono() - b->connlog_t >= 1.0)
		conn_log_flush(b, clock_mono());
	b->cron(b->cron_ud);
	lws_sul_schedule(b->ctx, 0, &b->sul_cron, cron_fire,
	    (lws_usec_t)b->cron_ms * LWS_US_PER_MS);
}

/* Housekeeping every ms milliseconds on the service thread (one timer, as
 * Redis' serverCron; the callee keeps its own per-task periods). */
void
bridge_every(struct bridge *b, int ms, void (*fn)(void *ud), void *ud)
{
	b->cron = fn;
	b->cron_ud = ud;
	b->cron_ms = ms > 0 ? ms : 1000;
	lws_sul_schedule(b->ctx, 0, &b->sul_cron, cron_fire,
	    (lws_usec_t)b->cron_ms * LWS_US_PER_MS);
}

/* Any thread: wake the service thread (LWS_CALLBACK_EVENT_WAIT_CANCELLED). */
void
bridge_wakeup(struct bridge *b)
{
	lws_cancel_service(b->ctx);
}

/*
 * Tells every client the server is going away (close 1001) and gives them
 * BRIDGE_SHUTDOWN_S to take it; then destroys the context (lws closes what
 * is left, which frees each client's queue through LWS_CALLBACK_CLOSED),
 * then the ring and with it every message still in it.  No hook runs from
 * here on (closing): the daemon may have freed what they use.
 */
void
bridge_free(struct bridge *b)
{
	struct bridge_client *c, *next;
	double until;

	if (b == NULL)
		return;
	b->closing = 1;
	if (b->cron != NULL)
		lws_sul_schedule(b->ctx, 0, &b->sul_cron, NULL, LWS_SET_TIMER_USEC_CANCEL);
	lws_sul_schedule(b->ctx, 0, &b->sul_keep, NULL, LWS_SET_TIMER_USEC_CANCEL);
	for (c = b->clients; c != NULL; c = next) {
		next = c->next;
		client_close(c, LWS_CLOSE_STATUS_GOINGAWAY, "shutting down", NULL);
	}
	until = clock_mono() + BRIDGE_SHUTDOWN_S;
	while (b->nclients > 0 && clock_mono() < until) {
		lws_sul_schedule(b->ctx, 0, &b->sul_tick, tick_fire,
		    50 * LWS_US_PER_MS);
		if (lws_service(b->ctx, 0) < 0)
			break;
	}
	lws_sul_schedule(b->ctx, 0, &b->sul_tick, NULL, LWS_SET_TIMER_USEC_CANCEL);
	lws_context_destroy(b->ctx);
	conn_log_flush(b, clock_mono());	/* the leaves of the last ones too */
	lws_ring_destroy(b->ring);
	bridge_release(b);
}
