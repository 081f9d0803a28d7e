/*
 * mqtt-load — MQTT subscribers by the thousand for the bench
 * (tests/bench/mqtt) and the wire checks of tests/integration/mqtt*.sh.
 *
 * usage: mqtt-load --port N [--port2 N] [--ws] [--clients N] [--topic T]
 *                  [--ramp PER_SEC] [--user U --password-file F]
 *                  [--site S --token T --cmd-user U --cmd-password-file F]
 *                  [--cmd-port N] [--rounds R] [--interval MS] [--contents A,B]
 *                  [--pid PID] [--daemon-pid PID] [--dump FILE] [--hold SEC]
 *                  [--timeout SEC]
 *
 * Opens N MQTT 3.1.1 connections to 127.0.0.1:PORT (with --port2, every
 * second one to PORT2: two bridged brokers), plain TCP or, with --ws, MQTT
 * over websockets (GET /mqtt, subprotocol "mqtt", our own RFC 6455 framing),
 * at most --ramp new ones a second (2000), each subscribing to --topic
 * (smartoffice/SITE/public/events) at QoS 0.  A client is ready once its
 * SUBACK granted the subscription.  Then, with --token, one more connection
 * (--cmd-user, a commander of the ACL; plain MQTT on --cmd-port, default
 * --port) publishes every --interval ms (500)
 * {"type":"select","content":X,"id":"load-R","token":T} at QoS 1 to
 * smartoffice/SITE/command, alternating between the --contents, --rounds
 * times (20): the daemon carries it out and publishes the navigate on the
 * public topic; arrival minus send time at each subscriber is one sample
 * (as tests/tools/wsload does for the daemon's own websockets).  A client
 * that has not got a round's navigate by the end of the next interval (and
 * at least 2 s) missed it: "lost".  --pid (the broker) and --daemon-pid:
 * VmRSS before and after the clients connect, CPU seconds during the rounds.
 * --dump FILE: the first client's raw received bytes (the wire), --hold SEC:
 * stay connected that long after everyone is ready (wire checks), or until
 * SIGTERM.
 *
 * More subscribers than one process may open (RLIMIT_NOFILE): listener
 * processes (no --token) with --samples FILE write "SEQ ARRIVAL_NS" for
 * every navigate any of their clients gets (CLOCK_MONOTONIC, which every
 * process on the machine shares), and the commander's process with
 * --rounds-out FILE writes "ROUND SEQ SENT_NS" (the seq of each round's
 * navigate as its own first client saw it), and after the last round keeps
 * reading --drain SEC (5) so that a backlog counts as latency, not loss;
 * tests/bench/mqtt joins them.
 * --source-addrs K binds the clients to 127.0.0.1..127.0.0.K in turn (more
 * than one ephemeral port range's worth of connections to one port).
 *
 * Output: readable lines, then one "summary key=value ..." line.  Exit: 0
 * every client ready and every navigate everywhere; 1 usage; 2 otherwise.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
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

enum { EXIT_OK = 0, EXIT_USAGE = 1, EXIT_FAIL = 2 };
enum cstate { C_TCP, C_WSHS, C_CONNACK, C_SUBACK, C_READY, C_DEAD };

struct conn {
	int      fd;
	enum cstate st;
	int      ws, cmd;
	int      port;
	uint8_t *in;  size_t inlen, incap;     /* raw socket bytes not yet used */
	uint8_t *mq;  size_t mqlen, mqcap;     /* MQTT stream (ws: frames' payloads) */
	uint8_t *out; size_t outlen, outoff;   /* pending writes */
	int      got_round;                    /* the last round whose navigate arrived */
	int      tries;                        /* connection attempts (a refused one is retried) */
};

static struct conn *conns;
static int nconns, epfd;
static FILE *dump;
static double *samples;
static size_t nsamples, capsamples;
static int round_no = -1;
static const char *round_content = "";
static double round_sent;
static long ready, failed, closed_, lost, received, acked, got_this_round;
static FILE *samples_out;
static volatile sig_atomic_t stop_flag;
static long round_seq[4096], last_seq;
static int source_addrs = 1;

static void
on_term(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static void
die(const char *m)
{
	fprintf(stderr, "mqtt-load: %s\n", m);
	exit(EXIT_USAGE);
}

static void
grow(uint8_t **b, size_t *cap, size_t need)
{
	if (need <= *cap)
		return;
	while (*cap < need)
		*cap = *cap ? *cap * 2 : 512;
	if ((*b = realloc(*b, *cap)) == NULL)
		die("out of memory");
}

static void
kill_conn(struct conn *c)
{
	if (c->st == C_DEAD)
		return;
	if (c->st == C_READY)
		closed_++;
	else
		failed++;
	c->st = C_DEAD;
	epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->in); free(c->mq); free(c->out);
	c->in = c->mq = c->out = NULL;
	c->inlen = c->incap = c->mqlen = c->mqcap = c->outlen = c->outoff = 0;
}

static void
flush_out(struct conn *c)
{
	while (c->outoff < c->outlen) {
		ssize_t n = write(c->fd, c->out + c->outoff, c->outlen - c->outoff);
		if (n < 0) {
			if (errno == EAGAIN) {
				struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.ptr = c };
				epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
				return;
			}
			kill_conn(c);
			return;
		}
		c->outoff += (size_t)n;
	}
	c->outlen = c->outoff = 0;
}

/* Queue bytes, framed as a masked binary websocket frame when c->ws. */
static void
send_bytes(struct conn *c, const uint8_t *p, size_t n)
{
	size_t hdr = 0;
	uint8_t h[14], mask[4];

	if (c->st == C_DEAD)
		return;
	if (c->ws) {
		h[0] = 0x82;
		if (n < 126) {
			h[1] = 0x80 | (uint8_t)n;
			hdr = 2;
		} else {
			h[1] = 0x80 | 126;
			h[2] = (uint8_t)(n >> 8);
			h[3] = (uint8_t)n;
			hdr = 4;
		}
		getrandom(mask, 4, 0);
		memcpy(h + hdr, mask, 4);
		hdr += 4;
	}
	{
		uint8_t *nb = realloc(c->out, c->outlen + hdr + n);
		if (nb == NULL)
			die("out of memory");
		c->out = nb;
	}
	memcpy(c->out + c->outlen, h, hdr);
	for (size_t i = 0; i < n; i++)
		c->out[c->outlen + hdr + i] = c->ws ? p[i] ^ mask[i & 3] : p[i];
	c->outlen += hdr + n;
	flush_out(c);
}

static size_t
put_len(uint8_t *b, size_t n)
{
	size_t i = 0;

	do {
		uint8_t d = n % 128;
		n /= 128;
		b[i++] = d | (n ? 0x80 : 0);
	} while (n);
	return i;
}

static size_t
put_str(uint8_t *b, const char *s)
{
	size_t n = strlen(s);

	b[0] = (uint8_t)(n >> 8);
	b[1] = (uint8_t)n;
	memcpy(b + 2, s, n);
	return n + 2;
}

static const char *opt_user, *opt_pass, *cmd_user, *cmd_pass, *opt_topic, *opt_site;

static void
send_connect(struct conn *c, int i)
{
	uint8_t body[600], pkt[620];
	size_t n = 0, h;
	char id[48];
	const char *u = c->cmd ? cmd_user : opt_user, *p = c->cmd ? cmd_pass : opt_pass;

	snprintf(id, sizeof id, "mqtt-load-%d-%d", (int)getpid(), i);
	n += put_str(body + n, "MQTT");
	body[n++] = 4;
	body[n++] = 0x02 | (u ? 0x80 : 0) | (u && p ? 0x40 : 0);	/* clean session */
	body[n++] = 0x02;	/* keepalive 600 s: no pings during a run */
	body[n++] = 0x58;
	n += put_str(body + n, id);
	if (u)
		n += put_str(body + n, u);
	if (u && p)
		n += put_str(body + n, p);
	pkt[0] = 0x10;
	h = 1 + put_len(pkt + 1, n);
	memcpy(pkt + h, body, n);
	send_bytes(c, pkt, h + n);
	c->st = C_CONNACK;
}

static void
send_subscribe(struct conn *c)
{
	uint8_t pkt[300];
	size_t n = 0, tl = strlen(opt_topic);

	pkt[n++] = 0x82;
	n += put_len(pkt + n, 2 + 2 + tl + 1);
	pkt[n++] = 0;
	pkt[n++] = 1;
	n += put_str(pkt + n, opt_topic);
	pkt[n++] = 0;
	send_bytes(c, pkt, n);
	c->st = C_SUBACK;
}

static void
publish_qos1(struct conn *c, const char *topic, const char *payload, uint16_t mid)
{
	uint8_t pkt[2048];
	size_t n = 0, tl = strlen(topic), pl = strlen(payload);

	pkt[n++] = 0x32;
	n += put_len(pkt + n, 2 + tl + 2 + pl);
	n += put_str(pkt + n, topic);
	pkt[n++] = (uint8_t)(mid >> 8);
	pkt[n++] = (uint8_t)mid;
	memcpy(pkt + n, payload, pl);
	n += pl;
	send_bytes(c, pkt, n);
}

static void
sample(double ms)
{
	if (nsamples == capsamples) {
		capsamples = capsamples ? capsamples * 2 : 4096;
		if ((samples = realloc(samples, capsamples * sizeof *samples)) == NULL)
			die("out of memory");
	}
	samples[nsamples++] = ms;
}

/* One whole MQTT packet. */
static void
on_packet(struct conn *c, uint8_t type, const uint8_t *p, size_t n)
{
	switch (type >> 4) {
	case 2:	/* CONNACK */
		if (n < 2 || p[1] != 0) {
			kill_conn(c);
			return;
		}
		if (c->cmd) {
			c->st = C_READY;
			return;
		}
		send_subscribe(c);
		break;
	case 9:	/* SUBACK */
		if (n < 3 || p[2] == 0x80) {
			kill_conn(c);
			return;
		}
		c->st = C_READY;
		ready++;
		break;
	case 4:	/* PUBACK */
		acked++;
		break;
	case 3: {	/* PUBLISH */
		size_t tl, off;
		char content[96];
		const char *pl, *k;
		size_t pln;
		if (n < 2)
			return;
		tl = (size_t)p[0] << 8 | p[1];
		off = 2 + tl + (((type >> 1) & 3) ? 2 : 0);
		if (off > n)
			return;
		received++;
		pl = (const char *)p + off;
		pln = n - off;
		if (samples_out != NULL && memmem(pl, pln, "\"type\":\"navigate\"", 17) != NULL &&
		    (k = memmem(pl, pln, "\"seq\":", 6)) != NULL) {
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			fprintf(samples_out, "%ld %lld\n", strtol(k + 6, NULL, 10),
			    (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
		}
		if (round_no < 0 || c->got_round == round_no)
			return;
		if (memmem(pl, pln, "\"type\":\"navigate\"", 17) == NULL ||
		    (k = memmem(pl, pln, "\"content\":\"", 11)) == NULL)
			return;
		k += 11;
		snprintf(content, sizeof content, "%.*s", (int)strcspn(k, "\""), k);
		if (strcmp(content, round_content) == 0) {
			const char *q = memmem(pl, pln, "\"seq\":", 6);
			c->got_round = round_no;
			got_this_round++;
			/* a late navigate of an earlier round with the same screen
			 * has a smaller seq than any this round can have */
			if (round_no < 4096 && round_seq[round_no] == 0 && q != NULL &&
			    strtol(q + 6, NULL, 10) > last_seq) {
				round_seq[round_no] = strtol(q + 6, NULL, 10);
				last_seq = round_seq[round_no];
			}
			sample((now() - round_sent) * 1000.0);
		}
		break;
	}
	default:
		break;
	}
}

static void
parse_mqtt(struct conn *c, const uint8_t *b, size_t n)
{
	size_t off = 0;

	grow(&c->mq, &c->mqcap, c->mqlen + n);
	memcpy(c->mq + c->mqlen, b, n);
	c->mqlen += n;
	while (c->st != C_DEAD && c->mqlen - off >= 2) {
		size_t len = 0, mul = 1, i = off + 1;
		int ok = 0;
		for (; i < c->mqlen && i < off + 5; i++) {
			len += (c->mq[i] & 127) * mul;
			mul *= 128;
			if (!(c->mq[i] & 128)) {
				ok = 1;
				break;
			}
		}
		if (!ok) {
			if (i >= off + 5) {
				kill_conn(c);
				return;
			}
			break;
		}
		i++;
		if (c->mqlen - i < len)
			break;
		on_packet(c, c->mq[off], c->mq + i, len);
		if (c->st == C_DEAD)
			return;
		off = i + len;
	}
	memmove(c->mq, c->mq + off, c->mqlen - off);
	c->mqlen -= off;
}

/* Websocket frames from the server (unmasked) → MQTT stream. */
static void
parse_ws(struct conn *c)
{
	size_t off = 0;

	while (c->st != C_DEAD && c->inlen - off >= 2) {
		uint8_t op = c->in[off] & 15;
		uint64_t len = c->in[off + 1] & 127;
		size_t h = 2;
		if (len == 126) {
			if (c->inlen - off < 4)
				break;
			len = (uint64_t)c->in[off + 2] << 8 | c->in[off + 3];
			h = 4;
		} else if (len == 127) {
			if (c->inlen - off < 10)
				break;
			len = 0;
			for (int i = 0; i < 8; i++)
				len = len << 8 | c->in[off + 2 + i];
			h = 10;
		}
		if (c->inlen - off - h < len)
			break;
		if (op == 2 || op == 0)
			parse_mqtt(c, c->in + off + h, (size_t)len);
		else if (op == 8) {
			kill_conn(c);
			return;
		}	/* mosquitto sends no websocket pings: MQTT has its own keepalive */
		off += h + (size_t)len;
	}
	if (c->st == C_DEAD)
		return;
	memmove(c->in, c->in + off, c->inlen - off);
	c->inlen -= off;
}

static void
on_readable(struct conn *c)
{
	uint8_t buf[65536];

	for (;;) {
		ssize_t n = read(c->fd, buf, sizeof buf);
		if (n == 0 || (n < 0 && errno != EAGAIN)) {
			kill_conn(c);
			return;
		}
		if (n < 0)
			return;
		if (dump != NULL && c == &conns[0]) {
			fwrite(buf, 1, (size_t)n, dump);
			fflush(dump);
		}
		if (!c->ws) {
			parse_mqtt(c, buf, (size_t)n);
		} else {
			grow(&c->in, &c->incap, c->inlen + (size_t)n);
			memcpy(c->in + c->inlen, buf, (size_t)n);
			c->inlen += (size_t)n;
			if (c->st == C_WSHS) {
				uint8_t *e = memmem(c->in, c->inlen, "\r\n\r\n", 4);
				if (e == NULL)
					continue;
				if (c->inlen < 12 || memcmp(c->in + 9, "101", 3) != 0) {
					kill_conn(c);
					return;
				}
				size_t hl = (size_t)(e + 4 - c->in);
				memmove(c->in, c->in + hl, c->inlen - hl);
				c->inlen -= hl;
				send_connect(c, (int)(c - conns));
			}
			parse_ws(c);
		}
		if (c->st == C_DEAD)
			return;
		if ((size_t)n < sizeof buf)	/* drained: no read just to see EAGAIN */
			return;
	}
}

static void
on_connected(struct conn *c)
{
	int err = 0;
	socklen_t l = sizeof err;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };

	getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
	if (err != 0) {
		kill_conn(c);
		return;
	}
	epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
	if (c->ws) {
		char req[512];
		uint8_t key[16];
		char k64[32];
		static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
		getrandom(key, 16, 0);
		for (int i = 0, j = 0; i < 16; i += 3) {
			uint32_t v = (uint32_t)key[i] << 16 | (i + 1 < 16 ? key[i + 1] << 8 : 0) | (i + 2 < 16 ? key[i + 2] : 0);
			k64[j++] = t[v >> 18 & 63];
			k64[j++] = t[v >> 12 & 63];
			k64[j++] = i + 1 < 16 ? t[v >> 6 & 63] : '=';
			k64[j++] = i + 2 < 16 ? t[v & 63] : '=';
			k64[j] = '\0';
		}
		snprintf(req, sizeof req, "GET /mqtt HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
		    "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
		    "Sec-WebSocket-Protocol: mqtt\r\n\r\n", c->port, k64);
		c->ws = 0;	/* the request itself is not framed */
		send_bytes(c, (const uint8_t *)req, strlen(req));
		c->ws = 1;
		c->st = C_WSHS;
	} else
		send_connect(c, (int)(c - conns));
}

static int
open_conn(struct conn *c, int port, int ws, int cmd)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };
	int one = 1;

	int tries = c->tries;

	memset(c, 0, sizeof *c);
	c->tries = tries + 1;
	c->ws = ws;
	c->cmd = cmd;
	c->port = port;
	c->got_round = -1;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) < 0) {
		c->st = C_DEAD;
		failed++;
		return -1;
	}
	if (source_addrs > 1) {
		static unsigned k;
		struct sockaddr_in src = { .sin_family = AF_INET };
		src.sin_addr.s_addr = htonl(INADDR_LOOPBACK + (k++ % (unsigned)source_addrs));
		bind(c->fd, (struct sockaddr *)&src, sizeof src);
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	c->st = C_TCP;
	if (connect(c->fd, (struct sockaddr *)&a, sizeof a) < 0 && errno != EINPROGRESS) {
		close(c->fd);
		c->st = C_DEAD;
		failed++;
		return -1;
	}
	epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev);
	return 0;
}

static void
pump(double until)
{
	struct epoll_event evs[1024];

	for (;;) {
		double left = until - now();
		int n;
		if (left <= 0 || stop_flag)
			return;
		n = epoll_wait(epfd, evs, 1024, (int)(left * 1000) + 1);
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			if (c->st == C_DEAD)
				continue;
			if (c->st == C_TCP) {
				on_connected(c);
				continue;
			}
			if (evs[i].events & EPOLLOUT) {
				struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
				epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
				flush_out(c);
			}
			if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				on_readable(c);
		}
		if (n == 0)
			return;
	}
}

static long
rss_kb(int pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof path, "/proc/%d/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static double
cpu_s(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	FILE *f;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	if (fgets(buf, sizeof buf, f) == NULL || (p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2) {
		fclose(f);
		return -1;
	}
	fclose(f);
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
pct(double p)
{
	if (nsamples == 0)
		return -1;
	size_t i = (size_t)(p / 100.0 * (double)(nsamples - 1) + 0.5);
	return samples[i];
}

static char *
read_line(const char *path)
{
	static char buf[4][256];
	static int k;
	FILE *f = fopen(path, "r");
	char *b = buf[k++ & 3];

	if (f == NULL || fgets(b, 256, f) == NULL) {
		fprintf(stderr, "mqtt-load: cannot read %s\n", path);
		exit(EXIT_USAGE);
	}
	fclose(f);
	b[strcspn(b, "\r\n")] = '\0';
	return b;
}

int
main(int argc, char **argv)
{
	int port = 0, port2 = 0, cmd_port = 0, ws = 0, n = 1, rounds = 20, interval = 500, pid = 0, dpid = 0;
	double ramp = 2000, hold = 0, timeout = 600, drain = 5;
	const char *token = NULL, *contents = "transportation,air-quality", *dumpf = NULL;
	const char *samples_path = NULL, *rounds_path = NULL;
	FILE *rounds_out = NULL;
	double *sent_at = NULL;
	char topic[256], ctopic[256], ca[96], cb[96];
	struct rlimit rl;
	long rss0, rss1, drss0, drss1;
	double t0, cpu0 = -1, cpu1 = -1, dcpu0 = -1, dcpu1 = -1, deadline;
	struct conn *cmd;

	opt_site = "office";
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
#define ARG(name) (strcmp(a, name) == 0 && v != NULL && ++i)
		if (ARG("--port")) port = atoi(v);
		else if (ARG("--port2")) port2 = atoi(v);
		else if (ARG("--cmd-port")) cmd_port = atoi(v);
		else if (strcmp(a, "--ws") == 0) ws = 1;
		else if (ARG("--clients")) n = atoi(v);
		else if (ARG("--topic")) opt_topic = v;
		else if (ARG("--ramp")) ramp = atof(v);
		else if (ARG("--user")) opt_user = v;
		else if (ARG("--password-file")) opt_pass = read_line(v);
		else if (ARG("--cmd-user")) cmd_user = v;
		else if (ARG("--cmd-password-file")) cmd_pass = read_line(v);
		else if (ARG("--site")) opt_site = v;
		else if (ARG("--token")) token = v;
		else if (ARG("--rounds")) rounds = atoi(v);
		else if (ARG("--interval")) interval = atoi(v);
		else if (ARG("--contents")) contents = v;
		else if (ARG("--pid")) pid = atoi(v);
		else if (ARG("--daemon-pid")) dpid = atoi(v);
		else if (ARG("--dump")) dumpf = v;
		else if (ARG("--hold")) hold = atof(v);
		else if (ARG("--timeout")) timeout = atof(v);
		else if (ARG("--samples")) samples_path = v;
		else if (ARG("--drain")) drain = atof(v);
		else if (ARG("--rounds-out")) rounds_path = v;
		else if (ARG("--source-addrs")) source_addrs = atoi(v);
		else {
			fprintf(stderr, "mqtt-load: unknown or incomplete argument \"%s\" (see the comment at the top of tests/tools/mqtt-load.c)\n", a);
			return EXIT_USAGE;
		}
	}
	if (port <= 0 || n < 1 || rounds < 0 || interval < 1)
		die("--port N is required; --clients >= 1");
	snprintf(topic, sizeof topic, "smartoffice/%s/public/events", opt_site);
	if (opt_topic == NULL)
		opt_topic = topic;
	snprintf(ctopic, sizeof ctopic, "smartoffice/%s/command", opt_site);
	if (sscanf(contents, "%95[^,],%95s", ca, cb) != 2)
		die("--contents A,B");
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	if (samples_path != NULL && (samples_out = fopen(samples_path, "w")) == NULL)
		die("cannot write --samples");
	if (rounds_path != NULL && (rounds_out = fopen(rounds_path, "w")) == NULL)
		die("cannot write --rounds-out");
	if (source_addrs < 1 || source_addrs > 250)
		die("--source-addrs 1..250");
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < (rlim_t)n + 64) {
		rl.rlim_cur = rl.rlim_max < (rlim_t)n + 64 ? rl.rlim_max : (rlim_t)n + 64;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (dumpf != NULL && (dump = fopen(dumpf, "w")) == NULL)
		die("cannot write --dump");
	if ((conns = calloc((size_t)n + 1, sizeof *conns)) == NULL)
		die("out of memory");
	nconns = n + 1;
	epfd = epoll_create1(0);
	deadline = now() + timeout;
	rss0 = rss_kb(pid);
	drss0 = rss_kb(dpid);
	t0 = now();
	for (int i = 0; i < n; i++) {
		open_conn(&conns[i], port2 && (i & 1) ? port2 : port, ws, 0);
		if (ramp > 0 && (i + 1) % 100 == 0) {
			double due = t0 + (i + 1) / ramp;
			pump(due > now() ? due : now() + 0.0005);
		}
	}
	/* A connection that failed before its SUBACK (a full accept queue
	 * under the ramp) is tried again, twice at most, as a real client would. */
	for (double retry_at = now() + 0.5;;) {
		int retryable = 0;
		if (now() >= deadline || now() > t0 + 60 + n / 50.0 || ready == n)
			break;
		for (int i = 0; i < n; i++)
			retryable += conns[i].st == C_DEAD && conns[i].tries < 3;
		if (ready + failed + closed_ >= n && retryable == 0)
			break;
		pump(now() + 0.1);
		if (now() >= retry_at) {
			retry_at = now() + 0.5;
			for (int i = 0; i < n; i++)
				if (conns[i].st == C_DEAD && conns[i].tries < 3) {
					failed--;
					open_conn(&conns[i], port2 && (i & 1) ? port2 : port, ws, 0);
				}
		}
	}
	printf("clients %d: ready %ld, failed %ld in %.2f s (%s%s)\n", n, ready, failed, now() - t0,
	    ws ? "MQTT over websockets" : "plain MQTT", port2 ? ", two brokers" : "");
	fflush(stdout);
	pump(now() + 1.0);
	rss1 = rss_kb(pid);
	drss1 = rss_kb(dpid);
	if (hold > 0)
		while (!stop_flag && now() < deadline && hold > 0) {
			double until = now() + (hold < 1 ? hold : 1);
			hold -= until - now();
			pump(until);
		}
	if (token != NULL && rounds > 0) {
		char payload[512];
		cmd = &conns[n];
		open_conn(cmd, cmd_port > 0 ? cmd_port : port, 0, 1);
		for (double until = now() + 5; cmd->st != C_READY && cmd->st != C_DEAD && now() < until;)
			pump(now() + 0.05);
		if (cmd->st != C_READY) {
			printf("the commander could not connect (check --cmd-user / --cmd-password-file)\n");
			rounds = 0;
		}
		cpu0 = cpu_s(pid);
		dcpu0 = cpu_s(dpid);
		if ((sent_at = calloc((size_t)rounds + 1, sizeof *sent_at)) == NULL)
			die("out of memory");
		for (int r = 0; r < rounds && now() < deadline && !stop_flag; r++) {
			long missing = 0, want = 0;
			double wait_until;
			round_content = (r & 1) ? ca : cb;
			snprintf(payload, sizeof payload,
			    "{\"type\":\"select\",\"content\":\"%s\",\"id\":\"load-%d-%d\",\"token\":\"%s\"}",
			    round_content, (int)getpid(), r, token);
			for (int i = 0; i < n; i++)
				want += conns[i].st == C_READY;
			got_this_round = 0;
			round_no = r;
			round_sent = now();
			sent_at[r] = round_sent;
			publish_qos1(cmd, ctopic, payload, (uint16_t)(r + 1));
			wait_until = round_sent + (interval / 1000.0 > 2.0 ? interval / 1000.0 : 2.0);
			for (;;) {
				pump(now() + 0.01);
				missing = want - got_this_round;
				if (missing <= 0 || now() > wait_until || stop_flag)
					break;
			}
			lost += missing > 0 ? missing : 0;
			/* a late navigate of this round no longer counts */
			round_no = -1;
			if (now() < round_sent + interval / 1000.0)
				pump(round_sent + interval / 1000.0);
		}
		/* Late navigates still count as samples (--samples): a backlog at
		 * the broker is latency, not loss; only what never came is lost. */
		if (samples_out != NULL && !stop_flag)
			pump(now() + drain);
		cpu1 = cpu_s(pid);
		dcpu1 = cpu_s(dpid);
		if (rounds_out != NULL)
			for (int r = 0; r < rounds; r++)
				fprintf(rounds_out, "%d %ld %lld\n", r, round_seq[r], (long long)(sent_at[r] * 1e9));
	}
	if (rounds_out != NULL)
		fclose(rounds_out);
	if (samples_out != NULL)
		fclose(samples_out);
	free(sent_at);
	qsort(samples, nsamples, sizeof *samples, cmp_d);
	printf("samples %zu: p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms; lost %ld\n", nsamples,
	    pct(50), pct(95), pct(99), nsamples ? samples[nsamples - 1] : -1.0, lost);
	if (pid > 0)
		printf("broker: VmRSS %ld kB -> %ld kB (%.2f kB per subscriber), CPU %.2f s during the rounds\n",
		    rss0, rss1, n > 0 && rss0 >= 0 ? (double)(rss1 - rss0) / n : -1.0, cpu1 - cpu0);
	if (dpid > 0)
		printf("daemon: VmRSS %ld kB -> %ld kB, CPU %.2f s during the rounds\n", drss0, drss1,
		    dcpu1 - dcpu0);
	printf("summary clients=%d ready=%ld failed=%ld closed=%ld rounds=%d samples=%zu p50_ms=%.1f "
	    "p95_ms=%.1f p99_ms=%.1f max_ms=%.1f lost=%ld received=%ld broker_rss_before_kb=%ld "
	    "broker_rss_kb=%ld broker_cpu_s=%.2f daemon_rss_before_kb=%ld daemon_rss_kb=%ld daemon_cpu_s=%.2f\n",
	    n, ready, failed, closed_, rounds, nsamples, pct(50), pct(95), pct(99),
	    nsamples ? samples[nsamples - 1] : -1.0, lost, received, rss0, rss1, cpu1 - cpu0, drss0, drss1,
	    dcpu1 - dcpu0);
	if (dump != NULL)
		fclose(dump);
	return ready == n && lost == 0 && closed_ == 0 ? EXIT_OK : EXIT_FAIL;
}
