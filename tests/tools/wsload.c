/*
 * wsload — a websocket load generator for the fan-out benchmark
 * (tests/bench/fanout): many idle dashboards on one loopback daemon, and
 * how long a navigate takes to reach every one of them.
 *
 * usage: wsload --port N [--host 127.0.0.1] [--clients N] [--hello]
 *               [--ramp PER_SEC] [--token T] [--rounds R] [--interval MS]
 *               [--contents A,B] [--pid PID] [--settle MS] [--timeout SEC]
 *
 * Opens N websocket connections to ws://HOST:PORT/ws, at most --ramp new
 * ones a second (default 2000; 0: all at once), each one optionally saying
 * {"type":"hello","role":"display",...} (--hello).  A client is "ready"
 * once the daemon's hello (and, with --hello, the hello answering ours) has
 * arrived.  Then, with --token, one more connection, a trusted remote,
 * sends every --interval ms (500) a {"type":"select","content":X,"id":R}
 * alternating between the two --contents (transportation,air-quality),
 * --rounds times (20), noting the send time; for each navigate a client
 * receives, arrival minus send time is one latency sample.  With --pid the
 * daemon's VmRSS is read before the first connection, once every client is
 * ready and --settle ms (1000) have passed, and at the end.
 *
 * The websocket client is our own (RFC 6455): HTTP upgrade with a random
 * Sec-WebSocket-Key and a checked Sec-WebSocket-Accept, unmasked server
 * frames (fragments reassembled, pings answered), masked client frames.
 * One thread, epoll, non-blocking sockets; RLIMIT_NOFILE is raised to
 * what N needs.  Only loopback addresses (127.0.0.0/8) are accepted.
 * Bounded in time: the connect phase, the remote's hello and the rounds
 * each have a deadline, and --timeout (600 s) caps the whole run.
 *
 * Output (stdout): readable lines, then one "summary key=value ..." line
 * for scripts.  Exit status: 0 all clients ready and (with --token) every
 * navigate arrived at every client; 1 usage; 2 otherwise.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tests/tools/ws_raw.h"

#define WSLOAD_MAX_MSG		(1 << 20)	/* largest server message accepted */
#define WSLOAD_HS_MAX		8192		/* largest upgrade response */
#define WSLOAD_GUID		"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WSLOAD_EVENTS		1024

enum { EXIT_OK = 0, EXIT_USAGE = 1, EXIT_FAIL = 2 };
enum conn_state { CS_CONNECTING, CS_HANDSHAKE, CS_OPEN, CS_DEAD };
enum conn_end { END_NONE, END_CONNECT, END_HANDSHAKE, END_CLOSED };

struct conn {
	int		 fd;
	int		 idx;		/* client number; -1 for the remote */
	unsigned char	 state;		/* enum conn_state */
	unsigned char	 end;		/* enum conn_end: why it died */
	unsigned char	 hellos;	/* hello messages received */
	unsigned char	 answered;	/* our hello (id 1) got its answer */
	unsigned char	 ready;
	unsigned char	 want_out;	/* EPOLLOUT registered */
	char		 key[32];	/* our Sec-WebSocket-Key */
	unsigned char	*rx;		/* received, not yet parsed (+1 for NUL) */
	size_t		 rxlen, rxcap;
	unsigned char	*tx;		/* to send */
	size_t		 txlen, txoff, txcap;
	unsigned char	*msg;		/* a fragmented message being reassembled */
	size_t		 msglen, msgcap;
	int		 msgop;
	int		 last_round;	/* newest round whose navigate arrived */
	int		 got;		/* navigates received */
};

static struct {
	struct sockaddr_in	 addr;
	const char		*host;
	int			 port, clients, rounds, interval_ms, settle_ms;
	int			 hello, timeout_s, pid;
	double			 ramp;
	const char		*token, *content[2];

	int			 ep;
	struct conn		*conns;		/* clients */
	struct conn		*remote;
	int			 started, ready, open_now;
	int			 fail_connect, fail_handshake, closed;
	int			 first_errno;
	char			 first_error[160];

	double			*sent_at;	/* per round, monotonic seconds */
	int			 nsent;
	float			*lat;		/* latency samples, ms */
	size_t			 nlat;
	int			 remote_hello, remote_trusted;
	int			 replies_ok, replies_err;
	int			 hello_refused;	/* clients whose hello got an error */
	char			 hello_error[160];
	char			 reply_error[160];
	uint64_t		 rng;
} g = {
	.host = "127.0.0.1", .clients = 100, .rounds = 20, .interval_ms = 500,
	.settle_ms = 1000, .timeout_s = 600, .ramp = 2000,
	.content = { "transportation", "air-quality" },
};

static void
usage(void)
{
	fprintf(stderr, "usage: wsload --port N [--host 127.0.0.1] [--clients N] "
	    "[--hello] [--ramp PER_SEC] [--token T] [--rounds R] [--interval MS] "
	    "[--contents A,B] [--pid PID] [--settle MS] [--timeout SEC]\n");
	exit(EXIT_USAGE);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Keeps the first failure's text for the report; later ones only count. */
static void
note_error(const char *fmt, ...)
{
	va_list ap;

	if (g.first_error[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(g.first_error, sizeof g.first_error, fmt, ap);
	va_end(ap);
}

/* xorshift64*: frame masks.  Seeded from getrandom(); masks only need to
 * be unpredictable to a browser's peer, not cryptographic here. */
static uint32_t
rnd32(void)
{
	g.rng ^= g.rng >> 12;
	g.rng ^= g.rng << 25;
	g.rng ^= g.rng >> 27;
	return (uint32_t)((g.rng * 2685821657736338717ULL) >> 32);
}

static void
conn_events(struct conn *c, int out)
{
	struct epoll_event ev = { .events = EPOLLIN | (out ? EPOLLOUT : 0), .data.ptr = c };

	if (c->want_out == out)
		return;
	c->want_out = (unsigned char)out;
	epoll_ctl(g.ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Closes a connection and records why; its memory goes back at once. */
static void
conn_kill(struct conn *c, enum conn_end why)
{
	if (c->state == CS_DEAD)
		return;
	if (c->state == CS_OPEN)
		g.open_now--;
	if (c->idx >= 0) {
		if (why == END_CONNECT)
			g.fail_connect++;
		else if (why == END_HANDSHAKE)
			g.fail_handshake++;
		else if (why == END_CLOSED)
			g.closed++;
	}
	c->end = (unsigned char)why;
	c->state = CS_DEAD;
	if (c->fd >= 0) {
		epoll_ctl(g.ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		c->fd = -1;
	}
	free(c->rx), c->rx = NULL, c->rxlen = c->rxcap = 0;
	free(c->tx), c->tx = NULL, c->txlen = c->txoff = c->txcap = 0;
	free(c->msg), c->msg = NULL, c->msglen = c->msgcap = 0;
}

/* Writes what is queued; asks for EPOLLOUT when the socket is full. */
static void
conn_flush(struct conn *c)
{
	while (c->txoff < c->txlen) {
		ssize_t n = write(c->fd, c->tx + c->txoff, c->txlen - c->txoff);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			note_error("client %d: write: %s", c->idx, strerror(errno));
			conn_kill(c, c->state == CS_OPEN ? END_CLOSED : END_HANDSHAKE);
			return;
		}
		c->txoff += (size_t)n;
	}
	if (c->txoff == c->txlen)
		c->txoff = c->txlen = 0;
	if (c->state != CS_CONNECTING)
		conn_events(c, c->txlen > 0);
}

/* Queues raw bytes. */
static int
conn_queue(struct conn *c, const void *p, size_t n)
{
	if (reserve(&c->tx, &c->txcap, c->txlen, n) < 0)
		return -1;
	memcpy(c->tx + c->txlen, p, n);
	c->txlen += n;
	return 0;
}

/* Queues one masked client frame (RFC 6455 5.2) and tries to send it. */
static void
ws_send(struct conn *c, int opcode, const void *data, size_t len)
{
	unsigned char h[14], *p;
	size_t hl = 2, i;
	uint32_t m = rnd32();

	h[0] = (unsigned char)(0x80 | opcode);
	if (len < 126)
		h[1] = (unsigned char)(0x80 | len);
	else if (len < 65536) {
		h[1] = 0x80 | 126;
		h[2] = (unsigned char)(len >> 8), h[3] = (unsigned char)len;
		hl = 4;
	} else {
		h[1] = 0x80 | 127;
		for (i = 0; i < 8; i++)
			h[2 + i] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
		hl = 10;
	}
	memcpy(h + hl, &m, 4);
	hl += 4;
	if (conn_queue(c, h, hl) < 0 || conn_queue(c, data, len) < 0) {
		note_error("out of memory");
		conn_kill(c, END_CLOSED);
		return;
	}
	p = c->tx + c->txlen - len;
	for (i = 0; i < len; i++)
		p[i] ^= h[hl - 4 + (i & 3)];
	conn_flush(c);
}

static void
ws_send_text(struct conn *c, const char *s)
{
	ws_send(c, 1, s, strlen(s));
}

/* ------------------------------------------------------------------ JSON */
/* The daemon writes compact JSON (docs/protocol.md): these find top-level
 * members by their text, enough for the few fields read here. */

/* The string value of "key" in msg, copied to out; -1 if absent. */
static int
json_str(const char *msg, const char *key, char *out, size_t outlen)
{
	char pat[40];
	const char *p;
	size_t n = 0;

	snprintf(pat, sizeof pat, "\"%s\":\"", key);
	if ((p = strstr(msg, pat)) == NULL)
		return -1;
	for (p += strlen(pat); *p && *p != '"' && n + 1 < outlen; p++) {
		if (*p == '\\' && p[1])
			p++;
		out[n++] = *p;
	}
	out[n] = '\0';
	return 0;
}

/* The integer value of "key" (a number, not a string); -1 if absent. */
static long
json_int(const char *msg, const char *key)
{
	char pat[40];
	const char *p;

	snprintf(pat, sizeof pat, "\"%s\":", key);
	for (p = msg; (p = strstr(p, pat)) != NULL; p++) {
		const char *v = p + strlen(pat);
		if (*v >= '0' && *v <= '9')
			return strtol(v, NULL, 10);
	}
	return -1;
}

/* ------------------------------------------------------------------ messages */

static void
on_navigate(struct conn *c, const char *msg, double t)
{
	char content[64];
	int r;

	if (g.nsent == 0 || json_str(msg, "content", content, sizeof content) < 0)
		return;
	/* The newest round that asked for this content. */
	r = g.nsent - 1;
	if (strcmp(content, g.content[r % 2]) != 0)
		r--;
	if (r < 0 || r <= c->last_round || strcmp(content, g.content[r % 2]) != 0)
		return;
	c->last_round = r;
	c->got++;
	g.lat[g.nlat++] = (float)((t - g.sent_at[r]) * 1000.0);
}

/* One whole text message from the server (NUL-terminated). */
static void
on_message(struct conn *c, const char *msg, double t)
{
	char type[33];

	if (json_str(msg, "type", type, sizeof type) < 0)
		return;
	if (c == g.remote) {
		long id = json_int(msg, "id");
		if (strcmp(type, "hello") == 0 && id == 1) {
			g.remote_hello = 1;
			g.remote_trusted = strstr(msg, "\"view\":\"trusted\"") != NULL;
		} else if (strcmp(type, "ok") == 0 && id >= 100)
			g.replies_ok++;
		else if (strcmp(type, "error") == 0) {
			g.replies_err++;
			if (g.reply_error[0] == '\0')
				snprintf(g.reply_error, sizeof g.reply_error, "%.150s", msg);
		}
		return;
	}
	if (strcmp(type, "navigate") == 0) {
		on_navigate(c, msg, t);
		return;
	}
	if (strcmp(type, "hello") == 0)
		c->hellos++;
	if (g.hello && !c->answered && json_int(msg, "id") == 1 &&
	    (strcmp(type, "hello") == 0 || strcmp(type, "error") == 0)) {
		c->answered = 1;
		if (strcmp(type, "error") == 0) {
			g.hello_refused++;
			if (g.hello_error[0] == '\0')
				snprintf(g.hello_error, sizeof g.hello_error, "%.150s", msg);
		}
	}
	/* Ready: the daemon's own hello came, and the answer to ours. */
	if (!c->ready && c->hellos >= 1 && (!g.hello || c->answered)) {
		c->ready = 1;
		g.ready++;
	}
}

/* Parses the frames in c->rx; keeps an incomplete one for later. */
static void
ws_parse(struct conn *c, double t)
{
	size_t pos = 0;

	while (c->state == CS_OPEN && c->rxlen - pos >= 2) {
		unsigned char *f = c->rx + pos, *pl, save;
		int fin = f[0] & 0x80, op = f[0] & 0x0f;
		uint64_t len = f[1] & 0x7f;
		size_t hl = 2, i;

		if (f[1] & 0x80) {
			note_error("client %d: masked frame from the server", c->idx);
			conn_kill(c, END_CLOSED);
			return;
		}
		if (len == 126) {
			if (c->rxlen - pos < 4)
				break;
			len = (uint64_t)f[2] << 8 | f[3];
			hl = 4;
		} else if (len == 127) {
			if (c->rxlen - pos < 10)
				break;
			for (len = 0, i = 0; i < 8; i++)
				len = len << 8 | f[2 + i];
			hl = 10;
		}
		if (len > WSLOAD_MAX_MSG) {
			note_error("client %d: frame of %llu bytes", c->idx, (unsigned long long)len);
			conn_kill(c, END_CLOSED);
			return;
		}
		if (c->rxlen - pos < hl + len)
			break;
		pl = f + hl;
		switch (op) {
		case 0x0:	/* continuation */
		case 0x1:	/* text */
		case 0x2:	/* binary */
			if (op != 0 && c->msglen > 0) {
				note_error("client %d: new message inside a fragmented one", c->idx);
				conn_kill(c, END_CLOSED);
				return;
			}
			if (op != 0)
				c->msgop = op;
			if (fin && c->msglen == 0) {
				save = pl[len];	/* the byte after: rx has room for it */
				pl[len] = '\0';
				if (c->msgop == 1)
					on_message(c, (char *)pl, t);
				pl[len] = save;
			} else {
				if (c->msglen + len > WSLOAD_MAX_MSG ||
				    reserve(&c->msg, &c->msgcap, c->msglen, (size_t)len) < 0) {
					note_error("client %d: message too large", c->idx);
					conn_kill(c, END_CLOSED);
					return;
				}
				memcpy(c->msg + c->msglen, pl, (size_t)len);
				c->msglen += (size_t)len;
				if (fin) {
					c->msg[c->msglen] = '\0';
					if (c->msgop == 1)
						on_message(c, (char *)c->msg, t);
					c->msglen = 0;
				}
			}
			break;
		case 0x8:	/* close: the daemon ended this client */
			if (len >= 2 && g.first_error[0] == '\0')
				note_error("client %d: closed by the server, status %d %.*s", c->idx,
				    pl[0] << 8 | pl[1], (int)(len - 2), (char *)pl + 2);
			conn_kill(c, END_CLOSED);
			return;
		case 0x9:	/* ping */
			ws_send(c, 0xA, pl, (size_t)len);
			if (c->state != CS_OPEN)
				return;
			break;
		default:	/* pong, reserved: ignored */
			break;
		}
		pos += hl + (size_t)len;
	}
	if (c->state != CS_OPEN)
		return;
	if (pos > 0) {
		memmove(c->rx, c->rx + pos, c->rxlen - pos);
		c->rxlen -= pos;
	}
	/* An idle client keeps no big buffer. */
	if (c->rxlen == 0 && c->rxcap > 65536) {
		free(c->rx);
		c->rx = NULL;
		c->rxcap = 0;
	}
}

/* ------------------------------------------------------------------ handshake */

static void
send_upgrade(struct conn *c)
{
	unsigned char raw[16];
	char req[512];
	int n;

	if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
		for (n = 0; n < 16; n++)
			raw[n] = (unsigned char)rnd32();
	base64(raw, sizeof raw, c->key);
	n = snprintf(req, sizeof req,
	    "GET /ws HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
	    "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
	    "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: smartoffice\r\n"
	    "User-Agent: wsload\r\n\r\n", g.host, g.port, c->key);
	c->state = CS_HANDSHAKE;
	if (conn_queue(c, req, (size_t)n) < 0) {
		conn_kill(c, END_HANDSHAKE);
		return;
	}
	conn_flush(c);
}

/* The value of header NAME in the response head (CRLF lines), or NULL. */
static const char *
header(const char *head, const char *name, size_t *vlen)
{
	size_t nl = strlen(name);
	const char *p = strstr(head, "\r\n");

	while (p != NULL && p[2] != '\r') {
		const char *line = p + 2, *end = strstr(line, "\r\n");
		if (end == NULL)
			return NULL;
		if ((size_t)(end - line) > nl && strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
			const char *v = line + nl + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			*vlen = (size_t)(end - v);
			while (*vlen > 0 && (v[*vlen - 1] == ' ' || v[*vlen - 1] == '\t'))
				(*vlen)--;
			return v;
		}
		p = end;
	}
	return NULL;
}

/* Checks the 101 response once its head is in; the rest is frames. */
static void
check_upgrade(struct conn *c, double t)
{
	char *end, want[64], buf[96];
	unsigned char digest[20];
	const char *acc;
	size_t alen, headlen;

	c->rx[c->rxlen] = '\0';
	if ((end = strstr((char *)c->rx, "\r\n\r\n")) == NULL) {
		if (c->rxlen > WSLOAD_HS_MAX) {
			note_error("client %d: upgrade response too long", c->idx);
			conn_kill(c, END_HANDSHAKE);
		}
		return;
	}
	headlen = (size_t)(end - (char *)c->rx) + 4;
	end[2] = '\0';	/* the head, keeping its last CRLF */
	if (strncmp((char *)c->rx, "HTTP/1.1 101", 12) != 0) {
		note_error("client %d: upgrade refused: %.60s", c->idx, (char *)c->rx);
		conn_kill(c, END_HANDSHAKE);
		return;
	}
	snprintf(buf, sizeof buf, "%s%s", c->key, WSLOAD_GUID);
	sha1((unsigned char *)buf, strlen(buf), digest);
	base64(digest, sizeof digest, want);
	acc = header((char *)c->rx, "Sec-WebSocket-Accept", &alen);
	if (acc == NULL || alen != strlen(want) || memcmp(acc, want, alen) != 0) {
		note_error("client %d: bad Sec-WebSocket-Accept", c->idx);
		conn_kill(c, END_HANDSHAKE);
		return;
	}
	memmove(c->rx, c->rx + headlen, c->rxlen - headlen);
	c->rxlen -= headlen;
	c->state = CS_OPEN;
	g.open_now++;
	if (c == g.remote) {
		char hello[600];
		snprintf(hello, sizeof hello, "{\"type\":\"hello\",\"role\":\"remote\","
		    "\"name\":\"wsload\",\"token\":\"%s\",\"id\":1}", g.token);
		ws_send_text(c, hello);
	} else if (g.hello) {
		char hello[128];
		snprintf(hello, sizeof hello, "{\"type\":\"hello\",\"role\":\"display\","
		    "\"name\":\"load-%d\",\"id\":1}", c->idx);
		ws_send_text(c, hello);
	}
	if (c->state == CS_OPEN)
		ws_parse(c, t);
}

/* ------------------------------------------------------------------ events */

static void
on_readable(struct conn *c)
{
	double t;

	for (;;) {
		ssize_t n;

		if (reserve(&c->rx, &c->rxcap, c->rxlen, 16384) < 0) {
			note_error("out of memory");
			conn_kill(c, END_CLOSED);
			return;
		}
		n = read(c->fd, c->rx + c->rxlen, c->rxcap - c->rxlen - 1);
		t = now();	/* arrival time: right after the bytes came in */
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			if (n < 0)
				note_error("client %d: read: %s", c->idx, strerror(errno));
			else if (c->state != CS_OPEN)
				note_error("client %d: connection closed during the upgrade", c->idx);
			conn_kill(c, c->state == CS_OPEN ? END_CLOSED : END_HANDSHAKE);
			return;
		}
		if (n < 0)
			return;
		c->rxlen += (size_t)n;
		if (c->state == CS_HANDSHAKE)
			check_upgrade(c, t);
		else if (c->state == CS_OPEN)
			ws_parse(c, t);
		if (c->state == CS_DEAD)
			return;
	}
}

static void
on_event(struct conn *c, uint32_t ev)
{
	if (c->state == CS_CONNECTING) {
		int err = 0;
		socklen_t len = sizeof err;

		if (!(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err != 0) {
			if (g.first_errno == 0)
				g.first_errno = err;
			note_error("client %d: connect: %s", c->idx, strerror(err));
			conn_kill(c, END_CONNECT);
			return;
		}
		send_upgrade(c);
		return;
	}
	if (ev & EPOLLOUT)
		conn_flush(c);
	if (c->state != CS_DEAD && (ev & (EPOLLIN | EPOLLERR | EPOLLHUP)))
		on_readable(c);
}

/* Starts one non-blocking connect. */
static void
conn_start(struct conn *c, int idx)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.ptr = c };
	int one = 1;

	memset(c, 0, sizeof *c);
	c->idx = idx;
	c->last_round = -1;
	c->want_out = 1;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		if (g.first_errno == 0)
			g.first_errno = errno;
		note_error("client %d: socket: %s", idx, strerror(errno));
		c->state = CS_CONNECTING;
		conn_kill(c, END_CONNECT);
		return;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	c->state = CS_CONNECTING;
	if (connect(c->fd, (struct sockaddr *)&g.addr, sizeof g.addr) < 0 && errno != EINPROGRESS) {
		if (g.first_errno == 0)
			g.first_errno = errno;
		note_error("client %d: connect: %s", idx, strerror(errno));
		conn_kill(c, END_CONNECT);
		return;
	}
	if (epoll_ctl(g.ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
		note_error("client %d: epoll_ctl: %s", idx, strerror(errno));
		conn_kill(c, END_CONNECT);
	}
}

/* Waits up to ms for events and handles them. */
static void
poll_once(int ms)
{
	struct epoll_event evs[WSLOAD_EVENTS];
	int n, i;

	n = epoll_wait(g.ep, evs, WSLOAD_EVENTS, ms < 0 ? 0 : ms);
	for (i = 0; i < n; i++)
		on_event(evs[i].data.ptr, evs[i].events);
}

/* ------------------------------------------------------------------ report */

static long
rss_kb(int pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static int
cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return (x > y) - (x < y);
}

/* The p-th percentile (nearest rank) of the sorted samples. */
static double
pct(double p)
{
	size_t k;

	if (g.nlat == 0)
		return 0;
	k = (size_t)(p / 100.0 * (double)g.nlat + 0.999999);
	if (k < 1)
		k = 1;
	if (k > g.nlat)
		k = g.nlat;
	return g.lat[k - 1];
}

static int
parse_int(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *s == '\0' || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* Raises the open-file limit to what N connections need. */
static int
raise_nofile(int need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -1;
	if (rl.rlim_cur >= (rlim_t)need)
		return 0;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < (rlim_t)need) {
		rl.rlim_max = (rlim_t)need;	/* needs CAP_SYS_RESOURCE */
		rl.rlim_cur = (rlim_t)need;
		if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
			return 0;
		getrlimit(RLIMIT_NOFILE, &rl);
		fprintf(stderr, "wsload: %d clients need %d open files; the hard limit is %llu "
		    "(raise it: ulimit -Hn, limits.conf)\n", g.clients, need,
		    (unsigned long long)rl.rlim_max);
		return -1;
	}
	rl.rlim_cur = (rlim_t)need;
	return setrlimit(RLIMIT_NOFILE, &rl);
}

int
main(int argc, char **argv)
{
	long v, rss0 = -1, rss1 = -1, rss2 = -1;
	double t0, tready = 0, deadline, hard;
	int i, missed = 0, nopen, status = EXIT_OK;
	char *contents = NULL;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
#define NEXT() do { if (val == NULL) usage(); i++; } while (0)
#define INTARG(lo, hi, dst) do { NEXT(); if (parse_int(val, lo, hi, &v) < 0) { \
	fprintf(stderr, "wsload: %s: bad value \"%s\"\n", a, val); usage(); } dst = (int)v; } while (0)
		if (strcmp(a, "--host") == 0) {
			NEXT();
			g.host = val;
		} else if (strcmp(a, "--port") == 0)
			INTARG(1, 65535, g.port);
		else if (strcmp(a, "--clients") == 0)
			INTARG(0, 1000000, g.clients);
		else if (strcmp(a, "--rounds") == 0)
			INTARG(0, 100000, g.rounds);
		else if (strcmp(a, "--interval") == 0)
			INTARG(1, 3600000, g.interval_ms);
		else if (strcmp(a, "--settle") == 0)
			INTARG(0, 600000, g.settle_ms);
		else if (strcmp(a, "--timeout") == 0)
			INTARG(1, 86400, g.timeout_s);
		else if (strcmp(a, "--pid") == 0)
			INTARG(1, INT_MAX, g.pid);
		else if (strcmp(a, "--ramp") == 0) {
			int r;
			INTARG(0, 10000000, r);
			g.ramp = r;
		} else if (strcmp(a, "--token") == 0) {
			NEXT();
			g.token = val;
		} else if (strcmp(a, "--contents") == 0) {
			char *comma;
			NEXT();
			free(contents);
			contents = strdup(val);
			if (contents == NULL || (comma = strchr(contents, ',')) == NULL ||
			    comma == contents || comma[1] == '\0' || strlen(val) > 120)
				usage();
			*comma = '\0';
			g.content[0] = contents;
			g.content[1] = comma + 1;
		} else if (strcmp(a, "--hello") == 0)
			g.hello = 1;
		else
			usage();
	}
	if (g.port == 0)
		usage();
	g.addr.sin_family = AF_INET;
	g.addr.sin_port = htons((uint16_t)g.port);
	if (strcmp(g.host, "localhost") == 0)
		g.host = "127.0.0.1";
	if (inet_pton(AF_INET, g.host, &g.addr.sin_addr) != 1 ||
	    (ntohl(g.addr.sin_addr.s_addr) >> 24) != 127) {
		fprintf(stderr, "wsload: --host %s: only loopback addresses (127.0.0.0/8)\n", g.host);
		return EXIT_USAGE;
	}
	if (g.token != NULL && strlen(g.token) > 256) {
		fprintf(stderr, "wsload: --token: longer than 256 bytes\n");
		return EXIT_USAGE;
	}
	signal(SIGPIPE, SIG_IGN);
	if (raise_nofile(g.clients + 64) < 0)
		return EXIT_FAIL;
	if (getrandom(&g.rng, sizeof g.rng, 0) != (ssize_t)sizeof g.rng || g.rng == 0)
		g.rng = (uint64_t)time(NULL) * 6364136223846793005ULL + 1;
	g.conns = calloc((size_t)g.clients + 1, sizeof *g.conns);
	g.sent_at = calloc((size_t)g.rounds + 1, sizeof *g.sent_at);
	g.lat = calloc((size_t)g.clients * (size_t)g.rounds + 1, sizeof *g.lat);
	if (g.conns == NULL || g.sent_at == NULL || g.lat == NULL ||
	    (g.ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		fprintf(stderr, "wsload: %s\n", strerror(errno));
		return EXIT_FAIL;
	}
	printf("wsload: %d clients to ws://%s:%d/ws%s; ", g.clients, g.host, g.port,
	    g.hello ? ", each says hello as a display" : "");
	if (g.ramp > 0)
		printf("at most %.0f new connections a second\n", g.ramp);
	else
		printf("all connections at once\n");
	if (g.pid)
		rss0 = rss_kb(g.pid);

	/* 1. Connect every client; the phase ends when each is ready or dead,
	 * or at its deadline: the ramp's time plus 30 s. */
	t0 = now();
	hard = t0 + g.timeout_s;
	deadline = t0 + (g.ramp > 0 ? g.clients / g.ramp : 0) + 30;
	if (deadline > hard)
		deadline = hard;
	for (;;) {
		double t = now();
		int due = g.ramp > 0 ? (int)((t - t0) * g.ramp) + 1 : g.clients;
		int dead = g.fail_connect + g.fail_handshake + g.closed;

		if (due > g.clients)
			due = g.clients;
		while (g.started < due) {
			conn_start(&g.conns[g.started], g.started);
			g.started++;
		}
		if (g.started == g.clients && g.ready + dead >= g.clients)
			break;
		if (t > deadline) {
			note_error("connect phase: %d of %d ready after %.0f s", g.ready, g.clients, t - t0);
			break;
		}
		poll_once(g.started < g.clients ? 1 : 50);
	}
	tready = now();
	printf("connected: %d of %d open, %d ready (%s) in %.2f s; failed %d (connect %d, upgrade %d, closed %d)\n",
	    g.open_now, g.clients, g.ready, g.hello ? "the daemon's hello and the answer to ours"
	    : "the daemon's hello", tready - t0, g.fail_connect + g.fail_handshake + g.closed,
	    g.fail_connect, g.fail_handshake, g.closed);
	if (g.hello_refused > 0)
		printf("  %d hellos answered with an error, e.g. %s\n", g.hello_refused, g.hello_error);
	fflush(stdout);

	/* 2. Idle: the daemon settles with every client connected. */
	while (now() < tready + g.settle_ms / 1000.0 && now() < hard)
		poll_once((int)((tready + g.settle_ms / 1000.0 - now()) * 1000) + 1);
	if (g.pid) {
		rss1 = rss_kb(g.pid);
		printf("daemon memory: %ld kB before, %ld kB with %d idle clients: %.1f kB per client\n",
		    rss0, rss1, g.open_now, g.open_now > 0 ? (double)(rss1 - rss0) / g.open_now : 0.0);
		fflush(stdout);
	}

	/* 3. The measuring remote: its hello must come back trusted. */
	if (g.token != NULL && g.rounds > 0) {
		double until = now() + 5;

		g.remote = calloc(1, sizeof *g.remote);
		if (g.remote == NULL)
			return EXIT_FAIL;
		conn_start(g.remote, -1);
		while (!g.remote_hello && g.remote->state != CS_DEAD && now() < until && now() < hard)
			poll_once(10);
		if (!g.remote_hello || !g.remote_trusted) {
			printf("remote: %s\n", !g.remote_hello ? "no hello answered the remote's hello"
			    : "the token did not give the trusted view");
			if (g.reply_error[0])
				printf("  daemon said: %s\n", g.reply_error);
			status = EXIT_FAIL;
		} else {
			/* 4. Rounds: a select every interval, then the stragglers' time. */
			double next = now(), end;
			char sel[200];

			while (g.nsent < g.rounds && now() < hard && g.remote->state == CS_OPEN) {
				double t = now();
				if (t >= next) {
					snprintf(sel, sizeof sel, "{\"type\":\"select\",\"content\":\"%s\",\"id\":%d}",
					    g.content[g.nsent % 2], 100 + g.nsent);
					g.sent_at[g.nsent++] = now();
					ws_send_text(g.remote, sel);
					next += g.interval_ms / 1000.0;
				}
				poll_once((int)((next - now()) * 1000) + 1);
			}
			end = now() + (g.interval_ms > 2000 ? g.interval_ms : 2000) / 1000.0;
			for (;;) {
				int done = 1;
				for (i = 0; i < g.clients && done; i++)
					if (g.conns[i].state == CS_OPEN && g.conns[i].got < g.nsent)
						done = 0;
				if (done || now() > end || now() > hard)
					break;
				poll_once(10);
			}
		}
	}
	if (g.pid)
		rss2 = rss_kb(g.pid);

	/* 5. Report. */
	nopen = 0;
	for (i = 0; i < g.clients; i++) {
		if (g.conns[i].ready && g.conns[i].got < g.nsent)
			missed++;
		if (g.conns[i].state == CS_OPEN)
			nopen++;
	}
	qsort(g.lat, g.nlat, sizeof *g.lat, cmp_float);
	if (g.nsent > 0) {
		printf("rounds: %d selects every %d ms, %d ok, %d errors; navigates %zu of %lld; "
		    "clients that missed one: %d\n", g.nsent, g.interval_ms, g.replies_ok, g.replies_err,
		    g.nlat, (long long)g.nsent * g.ready, missed);
		if (g.reply_error[0])
			printf("  first error reply: %s\n", g.reply_error);
		printf("latency select -> navigate at each client, ms: p50 %.2f  p95 %.2f  p99 %.2f  max %.2f\n",
		    pct(50), pct(95), pct(99), g.nlat ? g.lat[g.nlat - 1] : 0.0);
	}
	if (g.first_error[0])
		printf("first failure: %s\n", g.first_error);
	printf("summary clients=%d open=%d ready=%d failed=%d connect_failed=%d upgrade_failed=%d closed=%d "
	    "connect_s=%.2f rounds=%d navigates=%zu expected=%lld missed_clients=%d select_errors=%d hello_refused=%d "
	    "p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f max_ms=%.2f rss_before_kb=%ld rss_idle_kb=%ld rss_after_kb=%ld\n",
	    g.clients, nopen, g.ready, g.fail_connect + g.fail_handshake + g.closed, g.fail_connect,
	    g.fail_handshake, g.closed, tready - t0, g.nsent, g.nlat, (long long)g.nsent * g.ready,
	    missed, g.replies_err, g.hello_refused, pct(50), pct(95), pct(99), g.nlat ? g.lat[g.nlat - 1] : 0.0,
	    rss0, rss1, rss2);
	fflush(stdout);
	if (g.ready < g.clients || missed > 0 || g.replies_err > 0 || g.hello_refused > 0 ||
	    (g.token != NULL && g.rounds > 0 && g.nsent < g.rounds))
		status = EXIT_FAIL;

	for (i = 0; i < g.clients; i++)
		conn_kill(&g.conns[i], END_NONE);
	if (g.remote != NULL) {
		conn_kill(g.remote, END_NONE);
		free(g.remote);
	}
	free(g.conns);
	free(g.sent_at);
	free(g.lat);
	free(contents);
	close(g.ep);
	return status;
}
