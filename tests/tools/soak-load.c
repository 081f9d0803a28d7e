/*
 * soak-load — the load clients of the soak bench (tests/bench/soak).
 *
 * usage: soak-load churn --port N [--clients 100] [--stalled PCT] [--seconds S]
 *                        [--listen MIN,MAX] [--stall SEC] [--status SEC]
 *        soak-load pair  --port N --token T [--guesses 10000] [--addresses 4]
 *                        [--conns 5] [--rate PER_SEC] [--every MS]
 *        soak-load hup   --pid PID --log FILE [--also TEXT] [--count 1000]
 *                        [--timeout SEC]
 *
 * churn: --clients websocket clients on ws://127.0.0.1:PORT/ws for
 *   --seconds (default: until SIGTERM/SIGINT).  --stalled percent (10) of
 *   them connect, say hello as displays and then never read again (their
 *   receive buffer is made small), so that the daemon's per-client
 *   buffering and its drop policy are what ends them: half of them are
 *   silent (the idle timeout, close 1001), the other half send five ping
 *   messages a second that they never read the answers to (unsent replies
 *   and broadcasts pile up: the cull, close 1008).  After --stall seconds
 *   (300) a stalled client reads again: the end of the stream or a close
 *   frame means the daemon had dropped it (counted by close code), else it
 *   "survived"; it leaves and reconnects a second later.
 *   The others churn: connect, hello, listen (answering pings, counting
 *   messages) for a random time in --listen (2,60 s), then leave — four in
 *   five with a close frame, one in five by just closing the socket — and
 *   come back within a second.  Every --status seconds (60) a line
 *   "status t=... key=value ..." goes to stdout; at the end a "summary"
 *   line with the totals.
 *
 * pair: a stranger's flood of pairing guesses: --addresses source addresses
 *   (127.0.0.2, .3, ...; loopback routes all of 127/8) times --conns
 *   connections each, every connection sending a random 6-digit
 *   {"type":"pair"} --rate times a second (18: under the daemon's ws_rate),
 *   --guesses in all.  Meanwhile a trusted wall display (--token, from
 *   127.0.0.1) asks for a pairing every --every ms (2000), reads the code
 *   the daemon shows it, and a newcomer (127.0.0.250, a fresh connection)
 *   pairs with that code.  Each reply is counted by kind: answered (wrong or
 *   no live code: bad-pairing-code), refused by the per-address lock-out
 *   (rate-limited, "wrong codes"), dropped by the message rate limit
 *   (rate-limited, "message dropped", or no reply), paired.
 *
 * hup: sends SIGHUP to --pid --count times, each time waiting until the
 *   daemon logs "reloaded:" (or "reload:" for a refused one) in --log,
 *   and, with --also, a line containing TEXT too (the listener's
 *   "recognizer reloaded": the listener takes only the newest catalogue,
 *   so without it most reloads never reach the recognizer);
 *   prints the time per reload (p50, p95, max), VmRSS before, every 100
 *   reloads, and after.
 *
 * The websocket client is the raw one of tests/tools/wsload.c (RFC 6455:
 * checked Sec-WebSocket-Accept, masked client frames, server frames
 * reassembled, pings answered), one thread, epoll, non-blocking sockets.
 * Exit status: 0 done; 1 usage; 2 the run could not be done (no
 * connection at all, no reload seen, the wall never trusted).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tests/tools/ws_raw.h"

#define SL_MAX_MSG	(1 << 20)
#define SL_HS_MAX	8192
#define SL_GUID		"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

enum { EXIT_OK = 0, EXIT_USAGE = 1, EXIT_FAIL = 2 };
enum kind { K_CHURN, K_STALL, K_GUESS, K_WALL, K_NEWCOMER };
enum state { S_IDLE, S_CONNECTING, S_HANDSHAKE, S_OPEN, S_CLOSING };

struct conn {
	int		 fd;
	int		 idx;
	unsigned char	 kind, state, want_out, hello_ok;
	unsigned char	 draining;	/* a stalled client reading again */
	unsigned char	 got_close;	/* a close frame came */
	unsigned char	 talks;		/* a stalled client that still sends pings */
	uint32_t	 src;		/* source address (host order), 0: any */
	char		 key[32];
	double		 t_open;	/* upgrade done */
	double		 t_deadline;	/* leave / reconnect / give up */
	double		 t_next_send;	/* pair: next guess */
	unsigned char	*rx;
	size_t		 rxlen, rxcap;
	unsigned char	*tx;
	size_t		 txlen, txoff, txcap;
	unsigned char	*msg;
	size_t		 msglen, msgcap;
	int		 msgop;
};

static struct {
	int		 port, ep;
	uint64_t	 rng;
	volatile sig_atomic_t stop;
	struct conn	*c;
	int		 nc;
	/* churn */
	int		 clients, stalled_pct, seconds, status_s;
	double		 listen_min, listen_max;
	unsigned long	 connects, upgrades, upgrade_fail, connect_fail, hellos, leaves_close,
			 leaves_abrupt, server_closed, msgs, navigates, pings, stall_connects,
			 stall_dropped, stall_dropped_close, stall_survived, stall_1001, stall_1008,
			 stall_pings;
	unsigned long long bytes;
	double		 stall_s;
	int		 open_now, stall_open;
	char		 first_error[200];
	/* pair */
	const char	*token;
	int		 guesses, addresses, conns, every_ms, delay_ms;
	double		 rate;
	unsigned long	 sent, r_wrong, r_locked, r_wslimit, r_paired, r_other;
	unsigned long	 wall_req, wall_pending, wall_refused, wall_codes, new_tries, new_paired,
			 new_failed;
	int		 wall_trusted;
	char		 wall_code[8], wall_err[200], new_err[200], other_err[200];
	double		 t_wall_next;
} g = {
	.clients = 100, .stalled_pct = 10, .status_s = 60, .listen_min = 2, .listen_max = 60,
	.guesses = 10000, .addresses = 4, .conns = 5, .rate = 18, .every_ms = 2000,
	.delay_ms = 1000, .stall_s = 300,
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: soak-load churn --port N [--clients 100] [--stalled PCT] [--seconds S]\n"
	    "                       [--listen MIN,MAX] [--status SEC]\n"
	    "       soak-load pair  --port N --token T [--guesses 10000] [--addresses 4]\n"
	    "                       [--conns 5] [--rate PER_SEC] [--every MS]\n"
	    "       soak-load hup   --pid PID --log FILE [--also TEXT] [--count 1000] [--timeout SEC]\n");
	exit(EXIT_USAGE);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
note(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (buf[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

static uint32_t
rnd32(void)
{
	g.rng ^= g.rng >> 12;
	g.rng ^= g.rng << 25;
	g.rng ^= g.rng >> 27;
	return (uint32_t)((g.rng * 2685821657736338717ULL) >> 32);
}

static double
rnd01(void)
{
	return rnd32() / 4294967296.0;
}

static void
on_signal(int sig)
{
	(void)sig;
	g.stop = 1;
}

/* ------------------------------------------------------------------ connections */

/* What epoll watches: a stalled client, once open, only its hang-up. */
static void
conn_watch(struct conn *c)
{
	struct epoll_event ev = { .data.ptr = c };

	if (c->kind == K_STALL && c->state == S_OPEN && !c->draining)
		ev.events = EPOLLRDHUP | (c->want_out ? EPOLLOUT : 0);
	else
		ev.events = EPOLLIN | EPOLLRDHUP | (c->want_out ? EPOLLOUT : 0);
	epoll_ctl(g.ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Closes the socket; the slot waits until t_deadline to reconnect. */
static void
conn_drop(struct conn *c, double reconnect_in)
{
	if (c->state == S_IDLE)
		return;
	if (c->state == S_OPEN || c->state == S_CLOSING) {
		g.open_now--;
		if (c->kind == K_STALL)
			g.stall_open--;
	}
	if (c->fd >= 0) {
		epoll_ctl(g.ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		c->fd = -1;
	}
	free(c->rx), c->rx = NULL, c->rxlen = c->rxcap = 0;
	free(c->tx), c->tx = NULL, c->txlen = c->txoff = c->txcap = 0;
	free(c->msg), c->msg = NULL, c->msglen = c->msgcap = 0;
	c->state = S_IDLE;
	c->hello_ok = 0;
	c->draining = 0;
	c->got_close = 0;
	/* The newcomer goes only when the wall shows a code (newcomer_go). */
	c->t_deadline = c->kind == K_NEWCOMER ? 1e18 : now() + reconnect_in;
}

static void
conn_flush(struct conn *c)
{
	while (c->txoff < c->txlen) {
		ssize_t n = write(c->fd, c->tx + c->txoff, c->txlen - c->txoff);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			if (c->state == S_OPEN && c->kind != K_STALL)
				g.server_closed++;
			conn_drop(c, 1.0);
			return;
		}
		c->txoff += (size_t)n;
	}
	if (c->txoff == c->txlen)
		c->txoff = c->txlen = 0;
	if (c->state != S_CONNECTING && c->want_out != (c->txlen > 0)) {
		c->want_out = c->txlen > 0;
		conn_watch(c);
	}
}

static int
conn_queue(struct conn *c, const void *p, size_t n)
{
	if (reserve(&c->tx, &c->txcap, c->txlen, n) < 0)
		return -1;
	memcpy(c->tx + c->txlen, p, n);
	c->txlen += n;
	return 0;
}

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
		conn_drop(c, 1.0);
		return;
	}
	p = c->tx + c->txlen - len;
	for (i = 0; i < len; i++)
		p[i] ^= h[hl - 4 + (i & 3)];
	conn_flush(c);
}

static void
ws_text(struct conn *c, const char *s)
{
	ws_send(c, 1, s, strlen(s));
}

/* The string value of "key" in msg; -1 if absent. */
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

static void conn_start(struct conn *c);

/* ------------------------------------------------------------------ messages */

static void
on_pair_reply(struct conn *c, const char *msg, const char *type)
{
	char code[40];

	if (!strcmp(type, "hello"))
		return;
	if (!strcmp(type, "paired")) {
		g.r_paired++;
		return;
	}
	if (strcmp(type, "error") != 0 || json_str(msg, "code", code, sizeof code) < 0)
		return;
	if (!strcmp(code, "bad-pairing-code"))
		g.r_wrong++;
	else if (!strcmp(code, "rate-limited") && strstr(msg, "wrong codes") != NULL)
		g.r_locked++;
	else if (!strcmp(code, "rate-limited"))
		g.r_wslimit++;
	else {
		g.r_other++;
		note(g.other_err, sizeof g.other_err, "%.180s", msg);
	}
	(void)c;
}

/* The newcomer types the code the wall shows, --delay ms later. */
static void
newcomer_go(void)
{
	for (int i = 0; i < g.nc; i++)
		if (g.c[i].kind == K_NEWCOMER && g.c[i].state == S_IDLE)
			g.c[i].t_deadline = now() + g.delay_ms / 1000.0;
}

static void
on_wall(struct conn *c, const char *msg, const char *type)
{
	char code[40];

	if (!strcmp(type, "hello")) {
		if (strstr(msg, "\"view\":\"trusted\"") != NULL)
			g.wall_trusted = 1;
	} else if (!strcmp(type, "pair-pending"))
		g.wall_pending++;
	else if (!strcmp(type, "pairing") && json_str(msg, "code", code, sizeof code) == 0 &&
	    strlen(code) == 6) {
		g.wall_codes++;
		memcpy(g.wall_code, code, 7);
		newcomer_go();
	} else if (!strcmp(type, "error")) {
		g.wall_refused++;
		note(g.wall_err, sizeof g.wall_err, "%.180s", msg);
	}
	(void)c;
}

static void
on_newcomer(struct conn *c, const char *msg, const char *type)
{
	if (!strcmp(type, "paired")) {
		g.new_paired++;
		conn_drop(c, 0);
	} else if (!strcmp(type, "error")) {
		g.new_failed++;
		note(g.new_err, sizeof g.new_err, "%.180s", msg);
		conn_drop(c, 0);
	}
}

static void
on_message(struct conn *c, const char *msg, size_t len)
{
	char type[40];

	g.msgs++;
	g.bytes += len;
	if (json_str(msg, "type", type, sizeof type) < 0)
		return;
	switch (c->kind) {
	case K_CHURN:
		if (!strcmp(type, "navigate"))
			g.navigates++;
		else if (!strcmp(type, "hello") && strstr(msg, "\"id\":1") != NULL && !c->hello_ok) {
			c->hello_ok = 1;
			g.hellos++;
		}
		break;
	case K_GUESS:
		on_pair_reply(c, msg, type);
		break;
	case K_WALL:
		on_wall(c, msg, type);
		break;
	case K_NEWCOMER:
		on_newcomer(c, msg, type);
		break;
	}
}

/* Parses the frames in c->rx; keeps an incomplete one. */
static void
ws_parse(struct conn *c)
{
	size_t pos = 0;

	while ((c->state == S_OPEN || c->state == S_CLOSING) && c->rxlen - pos >= 2) {
		unsigned char *f = c->rx + pos, *pl, save;
		int fin = f[0] & 0x80, op = f[0] & 0x0f;
		uint64_t len = f[1] & 0x7f;
		size_t hl = 2, i;

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
		if ((f[1] & 0x80) || len > SL_MAX_MSG) {
			note(g.first_error, sizeof g.first_error, "bad frame from the server");
			conn_drop(c, 1.0);
			return;
		}
		if (c->rxlen - pos < hl + len)
			break;
		pl = f + hl;
		switch (op) {
		case 0x0:
		case 0x1:
		case 0x2:
			if (op != 0)
				c->msgop = op;
			if (fin && c->msglen == 0) {
				save = pl[len];
				pl[len] = '\0';
				if (c->msgop == 1)
					on_message(c, (char *)pl, (size_t)len);
				pl[len] = save;
			} else {
				if (c->msglen + len > SL_MAX_MSG ||
				    reserve(&c->msg, &c->msgcap, c->msglen, (size_t)len) < 0) {
					conn_drop(c, 1.0);
					return;
				}
				memcpy(c->msg + c->msglen, pl, (size_t)len);
				c->msglen += (size_t)len;
				if (fin) {
					c->msg[c->msglen] = '\0';
					if (c->msgop == 1)
						on_message(c, (char *)c->msg, c->msglen);
					c->msglen = 0;
				}
			}
			break;
		case 0x8:	/* close */
			if (c->kind == K_STALL && c->draining) {
				int code = len >= 2 ? pl[0] << 8 | pl[1] : 0;
				g.stall_dropped++;
				g.stall_dropped_close++;
				g.stall_1001 += code == 1001;	/* going away: idle */
				g.stall_1008 += code == 1008;	/* policy: too slow */
			}
			if (c->state == S_OPEN && c->kind == K_CHURN) {
				g.server_closed++;
				if (len >= 2)
					note(g.first_error, sizeof g.first_error,
					    "a listening client closed by the daemon: %d %.*s",
					    pl[0] << 8 | pl[1], (int)(len - 2), (char *)pl + 2);
			}
			conn_drop(c, rnd01());
			return;
		case 0x9:
			g.pings++;
			ws_send(c, 0xA, pl, (size_t)len);
			if (c->state == S_IDLE)
				return;
			break;
		default:
			break;
		}
		if (c->state == S_IDLE)
			return;
		pos += hl + (size_t)len;
	}
	if (c->state == S_IDLE)
		return;
	if (pos > 0) {
		memmove(c->rx, c->rx + pos, c->rxlen - pos);
		c->rxlen -= pos;
	}
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

	for (n = 0; n < 16; n++)
		raw[n] = (unsigned char)rnd32();
	base64(raw, sizeof raw, c->key);
	n = snprintf(req, sizeof req,
	    "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
	    "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
	    "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: smartoffice\r\n"
	    "User-Agent: soak-load\r\n\r\n", g.port, c->key);
	c->state = S_HANDSHAKE;
	c->want_out = 0;
	conn_watch(c);
	if (conn_queue(c, req, (size_t)n) < 0) {
		conn_drop(c, 1.0);
		return;
	}
	conn_flush(c);
}

static void
send_hello(struct conn *c)
{
	char hello[700];

	switch (c->kind) {
	case K_CHURN:
	case K_STALL:
		snprintf(hello, sizeof hello, "{\"type\":\"hello\",\"role\":\"display\","
		    "\"name\":\"soak-%d\",\"id\":1}", c->idx);
		break;
	case K_WALL:
		snprintf(hello, sizeof hello, "{\"type\":\"hello\",\"role\":\"display\","
		    "\"name\":\"wall\",\"token\":\"%s\",\"id\":1}", g.token);
		break;
	case K_NEWCOMER:
		snprintf(hello, sizeof hello, "{\"type\":\"hello\",\"role\":\"remote\","
		    "\"name\":\"newcomer\",\"id\":1}");
		ws_text(c, hello);
		if (c->state != S_OPEN)
			return;
		snprintf(hello, sizeof hello, "{\"type\":\"pair\",\"code\":\"%s\",\"id\":2}", g.wall_code);
		break;
	default:
		snprintf(hello, sizeof hello, "{\"type\":\"hello\",\"role\":\"remote\","
		    "\"name\":\"stranger-%d\",\"id\":1}", c->idx);
		break;
	}
	ws_text(c, hello);
}

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

static void
check_upgrade(struct conn *c)
{
	char *end, want[64], buf[96];
	unsigned char digest[20];
	const char *acc;
	size_t alen, headlen;
	double t = now();

	c->rx[c->rxlen] = '\0';
	if ((end = strstr((char *)c->rx, "\r\n\r\n")) == NULL) {
		if (c->rxlen > SL_HS_MAX) {
			g.upgrade_fail++;
			conn_drop(c, 1.0);
		}
		return;
	}
	headlen = (size_t)(end - (char *)c->rx) + 4;
	end[2] = '\0';
	snprintf(buf, sizeof buf, "%s%s", c->key, SL_GUID);
	sha1((unsigned char *)buf, strlen(buf), digest);
	base64(digest, sizeof digest, want);
	acc = header((char *)c->rx, "Sec-WebSocket-Accept", &alen);
	if (strncmp((char *)c->rx, "HTTP/1.1 101", 12) != 0 || acc == NULL ||
	    alen != strlen(want) || memcmp(acc, want, alen) != 0) {
		g.upgrade_fail++;
		note(g.first_error, sizeof g.first_error, "upgrade refused: %.80s", (char *)c->rx);
		conn_drop(c, 1.0);
		return;
	}
	memmove(c->rx, c->rx + headlen, c->rxlen - headlen);
	c->rxlen -= headlen;
	c->state = S_OPEN;
	c->t_open = t;
	g.open_now++;
	g.upgrades++;
	if (c->kind == K_STALL)
		g.stall_open++;
	if (c->kind == K_CHURN)
		c->t_deadline = t + g.listen_min + rnd01() * (g.listen_max - g.listen_min);
	else if (c->kind == K_STALL)
		c->t_deadline = t + g.stall_s;
	else
		c->t_deadline = 1e18;
	c->t_next_send = t + rnd01() / g.rate;
	send_hello(c);
	if (c->state != S_OPEN)
		return;
	if (c->kind == K_STALL) {
		/* From now on it reads nothing: only a hang-up is watched. */
		conn_watch(c);
		return;
	}
	ws_parse(c);
}

/* ------------------------------------------------------------------ events */

static void
on_readable(struct conn *c)
{
	for (;;) {
		ssize_t n;

		if (reserve(&c->rx, &c->rxcap, c->rxlen, 16384) < 0) {
			conn_drop(c, 1.0);
			return;
		}
		n = read(c->fd, c->rx + c->rxlen, c->rxcap - c->rxlen - 1);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			if (c->kind == K_STALL && c->draining)
				g.stall_dropped++;	/* the daemon had closed it */
			else if (c->state == S_OPEN && c->kind == K_CHURN)
				g.server_closed++;
			else if (c->state == S_HANDSHAKE)
				g.upgrade_fail++;
			conn_drop(c, rnd01());
			return;
		}
		if (n < 0)
			return;
		c->rxlen += (size_t)n;
		if (c->state == S_HANDSHAKE)
			check_upgrade(c);
		else
			ws_parse(c);
		if (c->state == S_IDLE || (c->kind == K_STALL && c->state == S_OPEN && !c->draining))
			return;
	}
}

static void
on_event(struct conn *c, uint32_t ev)
{
	if (c->state == S_CONNECTING) {
		int err = 0;
		socklen_t len = sizeof err;

		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err != 0) {
			g.connect_fail++;
			note(g.first_error, sizeof g.first_error, "connect: %s", strerror(err));
			conn_drop(c, 1.0);
			return;
		}
		send_upgrade(c);
		return;
	}
	if (c->kind == K_STALL && c->state == S_OPEN && !c->draining) {
		/* A hang-up seen while stalled (a window that was not full). */
		if (ev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
			g.stall_dropped++;
			conn_drop(c, 1.0);
			return;
		}
		if (ev & EPOLLOUT)
			conn_flush(c);
		return;
	}
	if (ev & EPOLLOUT)
		conn_flush(c);
	if (c->state != S_IDLE && (ev & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP)))
		on_readable(c);
}

static void
conn_start(struct conn *c)
{
	struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };
	struct sockaddr_in a = { .sin_family = AF_INET };
	int one = 1, small = 2048;

	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		g.connect_fail++;
		note(g.first_error, sizeof g.first_error, "socket: %s", strerror(errno));
		c->t_deadline = now() + 1;
		return;
	}
	g.connects++;
	if (c->kind == K_STALL) {
		g.stall_connects++;
		setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (c->src != 0) {
		a.sin_addr.s_addr = htonl(c->src);
		if (bind(c->fd, (struct sockaddr *)&a, sizeof a) < 0) {
			note(g.first_error, sizeof g.first_error, "bind: %s", strerror(errno));
			g.connect_fail++;
			close(c->fd);
			c->fd = -1;
			c->t_deadline = now() + 1;
			return;
		}
	}
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)g.port);
	c->state = S_CONNECTING;
	c->want_out = 1;
	c->t_deadline = now() + 10;	/* connect + upgrade must be done by then */
	if ((connect(c->fd, (struct sockaddr *)&a, sizeof a) < 0 && errno != EINPROGRESS) ||
	    epoll_ctl(g.ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
		g.connect_fail++;
		note(g.first_error, sizeof g.first_error, "connect: %s", strerror(errno));
		conn_drop(c, 1.0);
	}
}

/* A listening client's time is up: it leaves (close frame or not). */
static void
churn_leave(struct conn *c)
{
	if (c->state == S_CLOSING) {	/* no answer to our close */
		conn_drop(c, rnd01());
		return;
	}
	if (rnd32() % 5 == 0) {
		g.leaves_abrupt++;
		conn_drop(c, rnd01());
		return;
	}
	g.leaves_close++;
	ws_send(c, 0x8, "\x03\xe8", 2);
	if (c->state != S_IDLE) {
		c->state = S_CLOSING;
		c->t_deadline = now() + 2;
	}
}

static void
timers(double t)
{
	for (int i = 0; i < g.nc; i++) {
		struct conn *c = &g.c[i];

		if (c->state == S_IDLE) {
			if (t >= c->t_deadline && !g.stop) {
				if (c->kind == K_NEWCOMER)
					g.new_tries++;
				conn_start(c);
			}
			continue;
		}
		if (c->state == S_CONNECTING || c->state == S_HANDSHAKE) {
			if (t >= c->t_deadline) {
				g.upgrade_fail++;
				note(g.first_error, sizeof g.first_error, "no upgrade within 10 s");
				conn_drop(c, 1.0);
			}
			continue;
		}
		if (c->kind == K_CHURN && t >= c->t_deadline)
			churn_leave(c);
		else if (c->kind == K_STALL && c->talks && !c->draining && t < c->t_deadline &&
		    t >= c->t_next_send) {
			char m[64];
			snprintf(m, sizeof m, "{\"type\":\"ping\",\"id\":%lu}", ++g.stall_pings);
			c->t_next_send = t + 0.2;
			ws_text(c, m);
		} else if (c->kind == K_STALL && t >= c->t_deadline && !c->draining) {
			/* The stall is over: read what is left; a daemon that
			 * dropped it shows as the end of the stream. */
			c->draining = 1;
			c->t_deadline = t + 5;
			conn_watch(c);
		} else if (c->kind == K_STALL && t >= c->t_deadline) {
			g.stall_survived++;	/* still connected after the stall */
			conn_drop(c, 1.0);
		}
		else if (c->kind == K_GUESS && c->state == S_OPEN && t >= c->t_next_send &&
		    g.sent < (unsigned long)g.guesses) {
			char m[80];
			snprintf(m, sizeof m, "{\"type\":\"pair\",\"code\":\"%06u\",\"id\":%lu}",
			    rnd32() % 1000000u, g.sent + 10);
			g.sent++;
			c->t_next_send += 1.0 / g.rate;
			if (c->t_next_send < t)
				c->t_next_send = t;
			ws_text(c, m);
		} else if (c->kind == K_WALL && c->state == S_OPEN && g.wall_trusted &&
		    t >= g.t_wall_next && g.sent < (unsigned long)g.guesses) {
			char m[80];
			snprintf(m, sizeof m, "{\"type\":\"pair-request\",\"name\":\"newcomer\",\"id\":%lu}",
			    g.wall_req + 100);
			g.wall_req++;
			g.t_wall_next = t + g.every_ms / 1000.0;
			ws_text(c, m);
		}
	}
}

static void
loop_once(int ms)
{
	struct epoll_event evs[512];
	int n = epoll_wait(g.ep, evs, 512, ms);

	for (int i = 0; i < n; i++)
		on_event(evs[i].data.ptr, evs[i].events);
	timers(now());
}

/* ------------------------------------------------------------------ modes */

static void
churn_status(double t0, const char *what)
{
	printf("%s t=%.0f connects=%lu upgrades=%lu open=%d stalled_open=%d hellos=%lu msgs=%lu "
	    "navigates=%lu kB=%llu pings=%lu leaves_close=%lu leaves_abrupt=%lu "
	    "listening_closed_by_daemon=%lu upgrade_fail=%lu connect_fail=%lu "
	    "stalled_connects=%lu stalled_dropped=%lu stalled_dropped_with_close=%lu "
	    "stalled_close_1001=%lu stalled_close_1008=%lu stalled_survived=%lu stalled_pings_sent=%lu\n",
	    what, now() - t0, g.connects, g.upgrades, g.open_now, g.stall_open, g.hellos, g.msgs,
	    g.navigates, g.bytes / 1024, g.pings, g.leaves_close, g.leaves_abrupt, g.server_closed,
	    g.upgrade_fail, g.connect_fail, g.stall_connects, g.stall_dropped,
	    g.stall_dropped_close, g.stall_1001, g.stall_1008, g.stall_survived, g.stall_pings);
	fflush(stdout);
}

static int
run_churn(void)
{
	double t0 = now(), next_status = t0 + g.status_s;
	int nstall = (g.clients * g.stalled_pct + 50) / 100;

	g.nc = g.clients;
	g.c = calloc((size_t)g.nc, sizeof *g.c);
	if (g.c == NULL)
		return EXIT_FAIL;
	for (int i = 0; i < g.nc; i++) {
		g.c[i].fd = -1;
		g.c[i].idx = i;
		/* Spread evenly: every (1/pct)-th client is a stalled one. */
		g.c[i].kind = (nstall > 0 && i % (g.nc / nstall) == 0 && i / (g.nc / nstall) < nstall)
		    ? K_STALL : K_CHURN;
		g.c[i].t_deadline = t0 + rnd01() * 2;	/* a 2 s ramp */
	}
	/* Every second stalled client keeps sending 5 pings a second (it is
	 * not silent, so no idle timeout): its unread replies and broadcasts
	 * pile up until the daemon's per-client limits cull it. */
	for (int i = 0, k = 0; i < g.nc; i++)
		if (g.c[i].kind == K_STALL)
			g.c[i].talks = (unsigned char)(k++ % 2);
	while (!g.stop && (g.seconds == 0 || now() - t0 < g.seconds)) {
		loop_once(20);
		if (now() >= next_status) {
			churn_status(t0, "status");
			next_status += g.status_s;
		}
	}
	churn_status(t0, "summary");
	if (g.first_error[0])
		printf("first problem: %s\n", g.first_error);
	return g.upgrades > 0 ? EXIT_OK : EXIT_FAIL;
}

static int
run_pair(void)
{
	double t0 = now(), end_by;
	int n = 0;

	if (g.token == NULL)
		usage();
	g.nc = g.addresses * g.conns + 2;
	g.c = calloc((size_t)g.nc, sizeof *g.c);
	if (g.c == NULL)
		return EXIT_FAIL;
	for (int a = 0; a < g.addresses; a++)
		for (int k = 0; k < g.conns; k++, n++) {
			g.c[n].kind = K_GUESS;
			g.c[n].src = (127u << 24) | (uint32_t)(2 + a);
		}
	g.c[n].kind = K_WALL;			/* from 127.0.0.1: it is the wall */
	g.c[n + 1].kind = K_NEWCOMER;
	g.c[n + 1].src = (127u << 24) | 250u;
	for (int i = 0; i < g.nc; i++) {
		g.c[i].fd = -1;
		g.c[i].idx = i;
		g.c[i].t_deadline = g.c[i].kind == K_NEWCOMER ? 1e18 : t0;
	}
	/* The wall first: trusted before the flood starts. */
	conn_start(&g.c[n]);
	while (!g.stop && !g.wall_trusted && now() - t0 < 10)
		loop_once(20);
	if (!g.wall_trusted) {
		printf("pair: the wall display was not trusted within 10 s (%s)\n",
		    g.first_error[0] ? g.first_error : "no hello with view trusted");
		return EXIT_FAIL;
	}
	g.t_wall_next = now() + 1;
	t0 = now();
	end_by = t0 + 600;
	while (!g.stop && g.sent < (unsigned long)g.guesses && now() < end_by)
		loop_once(5);
	/* The last replies. */
	for (double t = now() + 3; now() < t && !g.stop;)
		loop_once(20);
	printf("summary guesses=%lu seconds=%.1f addresses=%d connections=%d answered_wrong=%lu "
	    "refused_locked_out=%lu dropped_rate_limited=%lu unanswered=%lu paired_by_guess=%lu other=%lu "
	    "wall_requests=%lu wall_pending=%lu wall_refused=%lu wall_codes_shown=%lu "
	    "newcomer_tries=%lu newcomer_paired=%lu newcomer_failed=%lu\n",
	    g.sent, now() - t0 - 3, g.addresses, g.addresses * g.conns, g.r_wrong, g.r_locked,
	    g.r_wslimit, g.sent - (g.r_wrong + g.r_locked + g.r_wslimit + g.r_paired + g.r_other),
	    g.r_paired, g.r_other, g.wall_req, g.wall_pending, g.wall_refused, g.wall_codes,
	    g.new_tries, g.new_paired, g.new_failed);
	if (g.wall_err[0])
		printf("wall refused: %s\n", g.wall_err);
	if (g.new_err[0])
		printf("newcomer refused: %s\n", g.new_err);
	if (g.other_err[0])
		printf("other reply: %s\n", g.other_err);
	if (g.first_error[0])
		printf("first problem: %s\n", g.first_error);
	return EXIT_OK;
}

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
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * Reads what was appended to the log: *seen becomes 1 at the reload's
 * line ("reloaded:", or "reload:" for a refused one), *also 1 at a line
 * with ALSO (when given: the listener's "recognizer reloaded").
 */
static void
log_reloaded(FILE *f, const char *also, int *seen, int *also_seen, long *refused)
{
	char line[2048];

	while (fgets(line, sizeof line, f) != NULL) {
		if (strstr(line, "reloaded:") != NULL)
			*seen = 1;
		else if (strstr(line, "reload:") != NULL) {
			(*refused)++;
			*seen = 1;
		}
		if (also != NULL && strstr(line, also) != NULL)
			*also_seen = 1;
	}
	clearerr(f);
}

static int
run_hup(int pid, const char *log, const char *also, int count, int timeout_s)
{
	FILE *f = fopen(log, "r");
	double *ms = calloc((size_t)count, sizeof *ms), sum = 0;
	long before, refused = 0;
	int done = 0;

	if (f == NULL || ms == NULL) {
		fprintf(stderr, "soak-load: %s: %s\n", log, strerror(errno));
		return EXIT_FAIL;
	}
	fseek(f, 0, SEEK_END);
	before = rss_kb(pid);
	printf("reloads 0 rss_kb=%ld\n", before);
	for (int i = 0; i < count && !g.stop; i++) {
		double t0 = now(), t;
		int ok = 0, seen = 0, also_seen = also == NULL;

		if (kill(pid, SIGHUP) < 0) {
			fprintf(stderr, "soak-load: kill %d: %s\n", pid, strerror(errno));
			break;
		}
		while ((t = now()) - t0 < timeout_s) {
			struct timespec ts = { 0, 200000 };
			log_reloaded(f, also, &seen, &also_seen, &refused);
			if (seen && also_seen) {
				ok = 1;
				break;
			}
			nanosleep(&ts, NULL);
		}
		if (!ok) {
			printf("reload %d: no \"reloaded\"%s%s%s line within %d s\n", i + 1,
			    also ? " and \"" : "", also ? also : "", also ? "\"" : "", timeout_s);
			break;
		}
		ms[done++] = (t - t0) * 1000;
		sum += (t - t0) * 1000;
		if (done % 100 == 0)
			printf("reloads %d rss_kb=%ld\n", done, rss_kb(pid));
		fflush(stdout);
	}
	qsort(ms, (size_t)done, sizeof *ms, cmp_double);
#define PCT(p) (done ? ms[(size_t)fmin(done - 1, ceil((p) / 100.0 * done) - 1 < 0 ? 0 : ceil((p) / 100.0 * done) - 1)] : 0)
	printf("summary reloads=%d refused=%ld rss_before_kb=%ld rss_after_kb=%ld mean_ms=%.1f "
	    "p50_ms=%.1f p95_ms=%.1f max_ms=%.1f\n", done, refused, before, rss_kb(pid),
	    done ? sum / done : 0, PCT(50), PCT(95), done ? ms[done - 1] : 0);
	fclose(f);
	return done == count ? EXIT_OK : EXIT_FAIL;
}

/* ------------------------------------------------------------------ main */

static long
num(const char *opt, const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *s == '\0' || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "soak-load: %s: bad value \"%s\" (%ld..%ld)\n", opt, s, lo, hi);
		exit(EXIT_USAGE);
	}
	return v;
}

int
main(int argc, char **argv)
{
	const char *mode, *log = NULL, *also = NULL;
	int pid = 0, count = 1000, timeout_s = 10;
	struct sigaction sa = { .sa_handler = on_signal };
	struct rlimit rl;

	if (argc < 2)
		usage();
	mode = argv[1];
	for (int i = 2; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (v == NULL)
			usage();
		i++;
		if (!strcmp(o, "--port"))
			g.port = (int)num(o, v, 1, 65535);
		else if (!strcmp(o, "--clients"))
			g.clients = (int)num(o, v, 1, 20000);
		else if (!strcmp(o, "--stalled"))
			g.stalled_pct = (int)num(o, v, 0, 100);
		else if (!strcmp(o, "--seconds"))
			g.seconds = (int)num(o, v, 0, 100000000);
		else if (!strcmp(o, "--status"))
			g.status_s = (int)num(o, v, 1, 86400);
		else if (!strcmp(o, "--listen")) {
			if (sscanf(v, "%lf,%lf", &g.listen_min, &g.listen_max) != 2 || g.listen_min < 0 ||
			    g.listen_max < g.listen_min) {
				fprintf(stderr, "soak-load: --listen: expected MIN,MAX seconds\n");
				return EXIT_USAGE;
			}
		} else if (!strcmp(o, "--token"))
			g.token = v;
		else if (!strcmp(o, "--guesses"))
			g.guesses = (int)num(o, v, 1, 100000000);
		else if (!strcmp(o, "--addresses"))
			g.addresses = (int)num(o, v, 1, 200);
		else if (!strcmp(o, "--conns"))
			g.conns = (int)num(o, v, 1, 1000);
		else if (!strcmp(o, "--rate"))
			g.rate = (double)num(o, v, 1, 100000);
		else if (!strcmp(o, "--stall"))
			g.stall_s = (double)num(o, v, 1, 86400);
		else if (!strcmp(o, "--delay"))
			g.delay_ms = (int)num(o, v, 0, 3600000);
		else if (!strcmp(o, "--every"))
			g.every_ms = (int)num(o, v, 10, 3600000);
		else if (!strcmp(o, "--pid"))
			pid = (int)num(o, v, 1, 1 << 30);
		else if (!strcmp(o, "--log"))
			log = v;
		else if (!strcmp(o, "--also"))
			also = v;
		else if (!strcmp(o, "--count"))
			count = (int)num(o, v, 1, 10000000);
		else if (!strcmp(o, "--timeout"))
			timeout_s = (int)num(o, v, 1, 3600);
		else
			usage();
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (getrandom(&g.rng, sizeof g.rng, 0) != (ssize_t)sizeof g.rng || g.rng == 0)
		g.rng = 0x9E3779B97F4A7C15ULL ^ (uint64_t)getpid();
	if (!strcmp(mode, "hup")) {
		if (pid == 0 || log == NULL)
			usage();
		return run_hup(pid, log, also, count, timeout_s);
	}
	if (g.port == 0)
		usage();
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if ((g.ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		perror("soak-load: epoll_create1");
		return EXIT_FAIL;
	}
	if (!strcmp(mode, "churn"))
		return run_churn();
	if (!strcmp(mode, "pair"))
		return run_pair();
	usage();
	return EXIT_USAGE;
}
