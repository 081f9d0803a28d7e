/*
 * test_bridge — the websocket bridge against a real socket.
 *
 * Each test starts a bridge on 127.0.0.1, port 0, with a temporary web root;
 * a thread runs the service loop as the daemon does.  The test thread talks
 * to it through a hand-written websocket client (fixed Sec-WebSocket-Key,
 * masked frames), and reaches into the service thread only the way the
 * daemon does: bridge_wakeup() and the on_wakeup hook, which runs the
 * command the test posted.  Every wait is bounded by a poll timeout.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "base/log.h"
#include "ui-bridge/bridge.h"

#define WAIT_MS		5000	/* longest a single expected event may take */
#define INDEX_HTML	"<!doctype html><title>t</title><p id=marker>bridge-test</p>\n"
#define APP_JS		"export const x = 1;\n"
#define HELLO		"{\"type\":\"hello\",\"version\":1,\"server\":\"test\"}"

/* ---- service thread fixture ------------------------------------------ */

struct fx;
typedef void (*cmd_fn)(struct fx *, void *);

struct fx {
	char		 dir[64];
	struct bridge	*b;
	pthread_t	 thr;
	pthread_t	 service_tid;
	int		 port;
	atomic_int	 stop;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	cmd_fn		 cmd;
	void		*arg;
	int		 done;
	int		 wrong_thread;	/* on_wakeup ran off the service thread */
	/* hooks */
	char		*hello;		/* NULL: no hello */
	int		 with_on_message;
	char		 last_json[256];	/* what on_message saw */
	int		 messages;
};

static char *
hook_hello(void *ud, struct bridge_client *c)
{
	struct fx *fx = ud;

	return fx->hello != NULL ? strdup(fx->hello) : NULL;
}

/* Runs the posted command, on the service thread. */
static void
hook_wakeup(void *ud)
{
	struct fx *fx = ud;

	if (!pthread_equal(pthread_self(), fx->service_tid))
		fx->wrong_thread = 1;
	pthread_mutex_lock(&fx->mu);
	if (fx->cmd != NULL && !fx->done) {
		fx->cmd(fx, fx->arg);
		fx->done = 1;
		pthread_cond_broadcast(&fx->cv);
	}
	pthread_mutex_unlock(&fx->mu);
}

/* "echo" comes back verbatim; "flood" asks for 200 replies at once. */
static void
hook_message(void *ud, struct bridge_client *c, const json_t *j, const char *json, size_t len)
{
	struct fx *fx = ud;
	const char *type;
	int i;

	fx->messages++;
	type = json_string_value(json_object_get(j, "type"));
	if (type != NULL && strcmp(type, "echo") == 0)
		bridge_send(fx->b, c, json, len);
	else if (type != NULL && strcmp(type, "flood") == 0)
		for (i = 0; i < 200; i++)
			bridge_send(fx->b, c, "{\"type\":\"flood\"}", 16);
	/* After bridge_send: json must stay valid even if c was culled. */
	snprintf(fx->last_json, sizeof(fx->last_json), "%.*s", (int)len, json);
}

static void *
service_main(void *arg)
{
	struct fx *fx = arg;

	/* Before the first service: on_wakeup only ever runs inside it. */
	fx->service_tid = pthread_self();
	while (!atomic_load(&fx->stop))
		if (bridge_service(fx->b) < 0)
			break;
	bridge_free(fx->b);
	fx->b = NULL;
	return NULL;
}

static void
write_file(const char *dir, const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Connection limits and timeouts for fx_start_opts (0: none). */
struct fx_opts {
	size_t	 max_clients, max_per_address;
	double	 hello_s, ping_s, idle_s;
};

static struct fx *fx_start_opts(size_t, size_t, int, const char *,
    const struct fx_opts *);

/* Starts a bridge with the given limits and a service thread for it. */
static struct fx *
fx_start(size_t ring, size_t max_message, int with_on_message,
    const char *hello)
{
	return fx_start_opts(ring, max_message, with_on_message, hello, NULL);
}

static struct fx *
fx_start_opts(size_t ring, size_t max_message, int with_on_message,
    const char *hello, const struct fx_opts *o)
{
	struct bridge_config cfg;
	struct bridge_hooks hooks;
	struct fx *fx;
	char err[256];

	fx = calloc(1, sizeof(*fx));
	assert_non_null(fx);
	strcpy(fx->dir, "/tmp/test_bridge.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	write_file(fx->dir, "index.html", INDEX_HTML);
	write_file(fx->dir, "app.js", APP_JS);
	pthread_mutex_init(&fx->mu, NULL);
	pthread_cond_init(&fx->cv, NULL);
	fx->hello = strdup(hello != NULL ? hello : HELLO);
	assert_non_null(fx->hello);
	fx->with_on_message = with_on_message;

	memset(&cfg, 0, sizeof(cfg));
	cfg.address = "127.0.0.1";
	cfg.port = 0;
	cfg.web_root = fx->dir;
	cfg.ring_size = ring;
	cfg.max_message = max_message;
	if (o != NULL) {
		cfg.max_clients = o->max_clients;
		cfg.max_per_address = o->max_per_address;
		cfg.limit_loopback = 1;	/* every test client is on loopback */
		cfg.hello_s = o->hello_s;
		cfg.ping_s = o->ping_s;
		cfg.idle_s = o->idle_s;
	}
	memset(&hooks, 0, sizeof(hooks));
	hooks.ud = fx;
	hooks.on_wakeup = hook_wakeup;
	hooks.hello = hook_hello;
	hooks.on_message = with_on_message ? hook_message : NULL;

	fx->b = bridge_new(&cfg, &hooks, err, sizeof(err));
	if (fx->b == NULL)
		fail_msg("bridge_new: %s", err);
	fx->port = bridge_port(fx->b);
	assert_true(fx->port > 0 && fx->port < 65536);
	assert_int_equal(pthread_create(&fx->thr, NULL, service_main, fx), 0);
	return fx;
}

/* Makes the service thread leave its loop and free the bridge (which
 * closes the clients still connected); fx_stop then joins it. */
static void
fx_halt(struct fx *fx)
{
	if (atomic_exchange(&fx->stop, 1) == 0)
		bridge_wakeup(fx->b);
}

static void
fx_stop(struct fx *fx)
{
	char cmd[128];

	fx_halt(fx);
	pthread_join(fx->thr, NULL);
	assert_false(fx->wrong_thread);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	assert_int_equal(system(cmd), 0);
	pthread_mutex_destroy(&fx->mu);
	pthread_cond_destroy(&fx->cv);
	free(fx->hello);
	free(fx);
}

/* Runs fn(fx, arg) on the service thread and waits for it. */
static void
fx_run(struct fx *fx, cmd_fn fn, void *arg)
{
	struct timespec ts;
	int rc = 0;

	pthread_mutex_lock(&fx->mu);
	fx->cmd = fn;
	fx->arg = arg;
	fx->done = 0;
	pthread_mutex_unlock(&fx->mu);
	bridge_wakeup(fx->b);

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += WAIT_MS / 1000;
	pthread_mutex_lock(&fx->mu);
	while (!fx->done && rc == 0)
		rc = pthread_cond_timedwait(&fx->cv, &fx->mu, &ts);
	fx->cmd = NULL;
	pthread_mutex_unlock(&fx->mu);
	if (rc != 0)
		fail_msg("the service thread did not run on_wakeup in time");
}

static void
cmd_broadcast(struct fx *fx, void *arg)
{
	bridge_broadcast(fx->b, arg, strlen(arg));
}

struct stats {
	size_t clients, backlog;
};

static void
cmd_stats(struct fx *fx, void *arg)
{
	struct stats *st = arg;

	st->clients = bridge_clients(fx->b);
	st->backlog = bridge_backlog(fx->b);
}

static struct stats
fx_stats(struct fx *fx)
{
	struct stats st;

	fx_run(fx, cmd_stats, &st);
	return st;
}

/* Waits until bridge_clients() is n; fails after WAIT_MS plus slack. */
static void
fx_wait_clients(struct fx *fx, size_t n, int ms)
{
	struct stats st;
	int waited;

	for (waited = 0; waited <= ms; waited += 20) {
		st = fx_stats(fx);
		if (st.clients == n)
			return;
		usleep(20 * 1000);
	}
	fail_msg("bridge_clients() is %zu, expected %zu", st.clients, n);
}

/* ---- a minimal websocket client ------------------------------------- */

struct wc {
	int		 fd;
	unsigned char	*buf;
	size_t		 len, cap;
};

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Reads more bytes into w->buf; 1 ok, 0 EOF, -1 error, -2 timeout. */
static int
wc_fill(struct wc *w, long deadline)
{
	struct pollfd pfd = { .fd = w->fd, .events = POLLIN };
	long left;
	ssize_t n;

	if (w->len == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 65536;
		w->buf = realloc(w->buf, w->cap);
		assert_non_null(w->buf);
	}
	left = deadline - now_ms();
	if (left < 0)
		left = 0;
	if (poll(&pfd, 1, (int)left) <= 0)
		return -2;
	n = recv(w->fd, w->buf + w->len, w->cap - w->len, 0);
	if (n == 0)
		return 0;
	if (n < 0)
		return -1;
	w->len += (size_t)n;
	return 1;
}

static void
wc_consume(struct wc *w, size_t n)
{
	memmove(w->buf, w->buf + n, w->len - n);
	w->len -= n;
}

/* src: the loopback address to connect from (NULL: any). */
static int
tcp_connect_from(int port, int rcvbuf, const char *src)
{
	struct sockaddr_in sin;
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	if (src != NULL) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, src, &sin.sin_addr), 1);
		assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	}
	if (rcvbuf > 0)
		assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
		    sizeof(rcvbuf)), 0);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	return fd;
}

static int
tcp_connect(int port, int rcvbuf)
{
	return tcp_connect_from(port, rcvbuf, NULL);
}

static void
send_all(int fd, const void *p, size_t len)
{
	const unsigned char *b = p;
	ssize_t n;

	while (len > 0) {
		n = send(fd, b, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		assert_true(n > 0);
		b += n;
		len -= (size_t)n;
	}
}

/*
 * Connects and upgrades.  Returns the HTTP status of the answer (101 on
 * success); the response head is copied into head.  Bytes after the head
 * (the first frames) stay in w->buf.
 */
/*
 * As wc_open, from the loopback address src (NULL: any), with the Host
 * header host (NULL: 127.0.0.1:PORT) and more header lines (each ending
 * in CRLF; NULL: none).
 */
static int
wc_open_ex(struct wc *w, int port, const char *src, const char *host,
    const char *more, char *head, size_t headlen)
{
	char req[1024], line[32], hostbuf[64];
	unsigned char *end;
	long deadline = now_ms() + WAIT_MS;
	int status = 0, r;
	size_t hl;

	memset(w, 0, sizeof(*w));
	w->fd = tcp_connect_from(port, 0, src);
	if (host == NULL) {
		snprintf(hostbuf, sizeof(hostbuf), "127.0.0.1:%d", port);
		host = hostbuf;
	}
	snprintf(req, sizeof(req),
	    "GET /ws HTTP/1.1\r\n"
	    "Host: %s\r\n"
	    "Upgrade: websocket\r\n"
	    "Connection: Upgrade\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Sec-WebSocket-Version: 13\r\n"
	    "%s"
	    "\r\n", host, more != NULL ? more : "");
	send_all(w->fd, req, strlen(req));

	for (;;) {
		end = w->len >= 4 ? memmem(w->buf, w->len, "\r\n\r\n", 4) : NULL;
		if (end != NULL)
			break;
		if ((r = wc_fill(w, deadline)) != 1)
			return r == 0 ? 0 : -1;
	}
	hl = (size_t)(end - w->buf) + 4;
	if (head != NULL)
		snprintf(head, headlen, "%.*s", (int)hl, (char *)w->buf);
	snprintf(line, sizeof(line), "%.*s",
	    (int)(hl < sizeof(line) - 1 ? hl : sizeof(line) - 1),
	    (char *)w->buf);
	if (sscanf(line, "HTTP/1.1 %d", &status) != 1)
		status = -1;
	wc_consume(w, hl);
	return status;
}

static int
wc_open(struct wc *w, int port, const char *path, const char *proto,
    int rcvbuf, char *head, size_t headlen)
{
	char req[512], line[32];
	unsigned char *end;
	long deadline = now_ms() + WAIT_MS;
	int status = 0, r;
	size_t hl;

	memset(w, 0, sizeof(*w));
	w->fd = tcp_connect(port, rcvbuf);
	snprintf(req, sizeof(req),
	    "GET %s HTTP/1.1\r\n"
	    "Host: 127.0.0.1:%d\r\n"
	    "Upgrade: websocket\r\n"
	    "Connection: Upgrade\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Sec-WebSocket-Version: 13\r\n"
	    "%s%s%s"
	    "\r\n", path, port,
	    proto != NULL ? "Sec-WebSocket-Protocol: " : "",
	    proto != NULL ? proto : "", proto != NULL ? "\r\n" : "");
	send_all(w->fd, req, strlen(req));

	for (;;) {
		end = w->len >= 4 ? memmem(w->buf, w->len, "\r\n\r\n", 4) : NULL;
		if (end != NULL)
			break;
		if ((r = wc_fill(w, deadline)) != 1)
			return r == 0 ? 0 : -1;
	}
	hl = (size_t)(end - w->buf) + 4;
	if (head != NULL) {
		snprintf(head, headlen, "%.*s", (int)hl, (char *)w->buf);
	}
	/* w->buf is not NUL-terminated: scan a bounded copy. */
	snprintf(line, sizeof(line), "%.*s",
	    (int)(hl < sizeof(line) - 1 ? hl : sizeof(line) - 1),
	    (char *)w->buf);
	if (sscanf(line, "HTTP/1.1 %d", &status) != 1)
		status = -1;
	wc_consume(w, hl);
	return status;
}

static void
wc_close(struct wc *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	free(w->buf);
	w->buf = NULL;
	w->len = w->cap = 0;
}

/* Sends one masked frame. */
static void
wc_frame(struct wc *w, int opcode, int fin, const void *data, size_t len)
{
	static const unsigned char key[4] = { 0x37, 0xfa, 0x21, 0x3d };
	unsigned char hdr[14], *p;
	size_t h = 0, i;

	hdr[h++] = (unsigned char)((fin ? 0x80 : 0) | opcode);
	if (len < 126)
		hdr[h++] = (unsigned char)(0x80 | len);
	else if (len < 65536) {
		hdr[h++] = 0x80 | 126;
		hdr[h++] = (unsigned char)(len >> 8);
		hdr[h++] = (unsigned char)len;
	} else {
		hdr[h++] = 0x80 | 127;
		for (i = 0; i < 8; i++)
			hdr[h++] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
	}
	memcpy(hdr + h, key, 4);
	h += 4;
	p = malloc(h + len + 1);
	assert_non_null(p);
	memcpy(p, hdr, h);
	for (i = 0; i < len; i++)
		p[h + i] = ((const unsigned char *)data)[i] ^ key[i % 4];
	send_all(w->fd, p, h + len);
	free(p);
}

static void
wc_text(struct wc *w, const char *s)
{
	wc_frame(w, 0x1, 1, s, strlen(s));
}

/*
 * Receives one whole message (continuations joined).  Returns its opcode
 * (1 text, 2 binary, 8 close), 0 on EOF, -1 on error, -2 on timeout.  The
 * payload is malloc'd and NUL-terminated in *out.
 */
static int
wc_recv(struct wc *w, int ms, char **out, size_t *outlen)
{
	long deadline = now_ms() + ms;
	unsigned char *msg = NULL;
	size_t mlen = 0, plen, h;
	int opcode = -1, op, fin, r, i;

	*out = NULL;
	*outlen = 0;
	for (;;) {
		while (w->len < 2 || w->len < (h = 2 +
		    ((w->buf[1] & 0x7f) == 126 ? 2 :
		    (w->buf[1] & 0x7f) == 127 ? 8 : 0))) {
			if ((r = wc_fill(w, deadline)) != 1)
				goto out;
		}
		op = w->buf[0] & 0x0f;
		fin = (w->buf[0] & 0x80) != 0;
		assert_false(w->buf[1] & 0x80);	/* servers do not mask */
		plen = w->buf[1] & 0x7f;
		if (plen == 126)
			plen = (size_t)w->buf[2] << 8 | w->buf[3];
		else if (plen == 127)
			for (plen = 0, i = 0; i < 8; i++)
				plen = plen << 8 | w->buf[2 + i];
		while (w->len < h + plen)
			if ((r = wc_fill(w, deadline)) != 1)
				goto out;
		if (op != 0)
			opcode = op;
		msg = realloc(msg, mlen + plen + 1);
		assert_non_null(msg);
		memcpy(msg + mlen, w->buf + h, plen);
		mlen += plen;
		msg[mlen] = '\0';
		wc_consume(w, h + plen);
		if (fin) {
			*out = (char *)msg;
			*outlen = mlen;
			return opcode;
		}
	}
out:
	free(msg);
	return r;
}

/* Receives one text message and parses it; fails the test otherwise. */
static json_t *
wc_json(struct wc *w, char **raw)
{
	char *m;
	size_t len;
	json_t *j;
	int op;

	op = wc_recv(w, WAIT_MS, &m, &len);
	if (op != 1)
		fail_msg("expected a text message, got %d", op);
	j = json_loadb(m, len, 0, NULL);
	if (j == NULL)
		fail_msg("not JSON: %s", m);
	if (raw != NULL)
		*raw = m;
	else
		free(m);
	return j;
}

/* Receives a message and checks its "type" (and "code" if given). */
static json_t *
wc_expect(struct wc *w, const char *type, const char *code)
{
	json_t *j = wc_json(w, NULL);

	assert_string_equal(json_string_value(json_object_get(j, "type")), type);
	if (code != NULL)
		assert_string_equal(json_string_value(json_object_get(j,
		    "code")), code);
	return j;
}

/* A ws client that has read its hello. */
static void
wc_open_ready(struct wc *w, struct fx *fx)
{
	char *raw;
	json_t *j;

	assert_int_equal(wc_open(w, fx->port, "/ws", NULL, 0, NULL, 0), 101);
	j = wc_json(w, &raw);
	assert_string_equal(raw, HELLO);
	free(raw);
	json_decref(j);
}

/* Sends a ping with id and checks the pong. */
static void
wc_ping(struct wc *w, int id)
{
	char s[64];
	json_t *j;

	snprintf(s, sizeof(s), "{\"type\":\"ping\",\"id\":%d}", id);
	wc_text(w, s);
	j = wc_expect(w, "pong", NULL);
	assert_int_equal(json_integer_value(json_object_get(j, "id")), id);
	json_decref(j);
}

/*
 * A plain HTTP GET; returns the response read until `until` appears in it
 * or the server closes (malloc'd, NUL-terminated).
 */
static char *
http_get(int port, const char *path, const char *until)
{
	struct wc w;
	char req[256], *out;
	long deadline = now_ms() + WAIT_MS;

	memset(&w, 0, sizeof(w));
	w.fd = tcp_connect(port, 0);
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n"
	    "Connection: close\r\n\r\n", path);
	send_all(w.fd, req, strlen(req));
	while (w.buf == NULL ||
	    memmem(w.buf, w.len, until, strlen(until)) == NULL)
		if (wc_fill(&w, deadline) != 1)
			break;
	out = malloc(w.len + 1);
	assert_non_null(out);
	if (w.len > 0)
		memcpy(out, w.buf, w.len);
	out[w.len] = '\0';
	wc_close(&w);
	return out;
}

/* ---- tests ---------------------------------------------------------- */

static void
test_new_fails(void **state)
{
	struct bridge_config cfg = {
		.address = "127.0.0.1", .port = 0,
		.web_root = "/nonexistent/smartoffice-web",
		.ring_size = 8, .max_message = 1024,
	};
	char err[256] = "";

	assert_null(bridge_new(&cfg, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/smartoffice-web"));
	assert_non_null(strstr(err, "No such file"));

	cfg.web_root = "/etc/hostname";		/* a file, not a folder */
	err[0] = '\0';
	assert_null(bridge_new(&cfg, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "not a directory"));

	/* A port in use. */
	{
		struct bridge *b;
		char dir[] = "/tmp/test_bridge.XXXXXX";

		assert_non_null(mkdtemp(dir));
		cfg.web_root = dir;
		b = bridge_new(&cfg, NULL, err, sizeof(err));
		assert_non_null(b);
		cfg.port = bridge_port(b);
		err[0] = '\0';
		assert_null(bridge_new(&cfg, NULL, err, sizeof(err)));
		assert_non_null(strstr(err, "cannot listen"));
		bridge_free(b);
		assert_int_equal(rmdir(dir), 0);
	}
}

static void
test_hello_first(void **state)
{
	struct fx *fx = fx_start(8, 65536, 0, NULL);
	struct wc a, b;
	char head[1024], *raw;
	json_t *j;

	/* With the subprotocol header, as our own page could send it. */
	assert_int_equal(wc_open(&a, fx->port, "/ws", "smartoffice", 0, head,
	    sizeof(head)), 101);
	assert_non_null(strcasestr(head,
	    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
	assert_non_null(strcasestr(head, "Sec-WebSocket-Protocol: smartoffice"));
	j = wc_json(&a, &raw);
	assert_string_equal(raw, HELLO);
	free(raw);
	json_decref(j);

	/* Without it, as `new WebSocket("ws://host/ws")` does. */
	assert_int_equal(wc_open(&b, fx->port, "/ws", NULL, 0, NULL, 0), 101);
	j = wc_json(&b, &raw);
	assert_string_equal(raw, HELLO);
	free(raw);
	json_decref(j);

	fx_wait_clients(fx, 2, WAIT_MS);
	wc_close(&a);
	fx_wait_clients(fx, 1, WAIT_MS);
	wc_close(&b);
	fx_wait_clients(fx, 0, WAIT_MS);
	fx_stop(fx);
}

static void
test_big_hello(void **state)
{
	struct fx *fx;
	struct wc w;
	char *big, *raw;
	size_t n = 300000;
	json_t *j;

	/* The catalogue makes hello the biggest message; it must not split. */
	big = malloc(n + 64);
	assert_non_null(big);
	strcpy(big, "{\"type\":\"hello\",\"pad\":\"");
	memset(big + strlen(big), 'k', n);
	strcpy(big + 23 + n, "\"}");
	fx = fx_start(8, 65536, 0, big);

	assert_int_equal(wc_open(&w, fx->port, "/ws", NULL, 0, NULL, 0), 101);
	j = wc_json(&w, &raw);
	assert_string_equal(raw, big);
	assert_int_equal(strlen(raw), n + 25);
	free(raw);
	json_decref(j);
	wc_ping(&w, 1);
	wc_close(&w);
	fx_stop(fx);
	free(big);
}

static void
test_ws_path_and_http(void **state)
{
	struct fx *fx = fx_start(8, 65536, 0, NULL);
	struct wc w;
	char *resp, *body;
	int status;

	/* Upgrades elsewhere than /ws are refused. */
	status = wc_open(&w, fx->port, "/other", NULL, 0, NULL, 0);
	assert_int_not_equal(status, 101);
	wc_close(&w);

	/* GET / serves index.html from the web root. */
	resp = http_get(fx->port, "/", INDEX_HTML);
	assert_int_equal(strncmp(resp, "HTTP/1.1 200", 12), 0);
	assert_non_null(strcasestr(resp, "content-type: text/html"));
	body = strstr(resp, "\r\n\r\n");
	assert_non_null(body);
	assert_string_equal(body + 4, INDEX_HTML);
	free(resp);

	/* Scripts get a JavaScript type, or browsers refuse ES modules. */
	resp = http_get(fx->port, "/app.js", APP_JS);
	assert_int_equal(strncmp(resp, "HTTP/1.1 200", 12), 0);
	assert_non_null(strcasestr(resp, "javascript"));
	free(resp);

	/* Missing files are 404. */
	resp = http_get(fx->port, "/missing.html", "\r\n");
	assert_int_equal(strncmp(resp, "HTTP/1.1 404", 12), 0);
	free(resp);
	fx_stop(fx);
}

static void
test_broadcast(void **state)
{
	struct fx *fx = fx_start(8, 65536, 0, NULL);
	struct wc a, b;
	char *raw;
	json_t *j;
	int i;

	/* Nobody listening: nothing is kept. */
	fx_run(fx, cmd_broadcast, "{\"type\":\"lost\"}");
	assert_int_equal(fx_stats(fx).backlog, 0);

	wc_open_ready(&a, fx);
	wc_open_ready(&b, fx);
	fx_wait_clients(fx, 2, WAIT_MS);
	fx_run(fx, cmd_broadcast, "{\"type\":\"wake\",\"seq\":1,\"t\":0.5}");
	fx_run(fx, cmd_broadcast, "{\"type\":\"navigate\",\"seq\":2}");
	for (i = 0; i < 2; i++) {
		struct wc *w = i == 0 ? &a : &b;

		j = wc_json(w, &raw);
		assert_string_equal(raw, "{\"type\":\"wake\",\"seq\":1,\"t\":0.5}");
		free(raw);
		json_decref(j);
		j = wc_json(w, &raw);
		assert_string_equal(raw, "{\"type\":\"navigate\",\"seq\":2}");
		free(raw);
		json_decref(j);
	}
	/* Everyone has it: the ring is empty again. */
	assert_int_equal(fx_stats(fx).backlog, 0);

	/* A client that joins later does not get old events replayed. */
	fx_run(fx, cmd_broadcast, "{\"type\":\"old\"}");
	{
		struct wc c;

		wc_open_ready(&c, fx);
		fx_run(fx, cmd_broadcast, "{\"type\":\"new\"}");
		json_decref(wc_expect(&c, "new", NULL));
		wc_close(&c);
	}
	json_decref(wc_expect(&a, "old", NULL));
	json_decref(wc_expect(&a, "new", NULL));
	json_decref(wc_expect(&b, "old", NULL));
	json_decref(wc_expect(&b, "new", NULL));
	assert_false(fx->wrong_thread);
	wc_close(&a);
	wc_close(&b);
	fx_wait_clients(fx, 0, WAIT_MS);
	fx_stop(fx);
}

static void
test_ping_pong(void **state)
{
	struct fx *fx = fx_start(8, 65536, 0, NULL);
	struct wc w;
	char *raw;
	json_t *j;

	wc_open_ready(&w, fx);
	wc_ping(&w, 42);
	wc_text(&w, "{\"type\":\"ping\"}");
	j = wc_json(&w, &raw);
	assert_string_equal(raw, "{\"type\":\"pong\"}");
	free(raw);
	json_decref(j);
	wc_text(&w, "{\"type\":\"ping\",\"id\":-9007199254740993}");
	j = wc_json(&w, &raw);
	assert_string_equal(raw, "{\"type\":\"pong\",\"id\":-9007199254740993}");
	free(raw);
	json_decref(j);
	wc_close(&w);
	fx_stop(fx);
}

static void
test_errors_keep_connection(void **state)
{
	static const struct {
		const char *send, *code;
	} cases[] = {
		{ "{nope", "invalid-json" },
		{ "", "invalid-json" },
		{ "{\"type\":\"ping\"} trailing", "invalid-json" },
		{ "{\"type\":\"ping\",\"type\":\"ping\"}", "invalid-json" },
		{ "[1,2]", "not-an-object" },
		{ "\"ping\"", "not-an-object" },
		{ "{\"id\":1}", "missing-type" },
		{ "{\"type\":7}", "bad-type" },
		{ "{\"type\":\"ping\",\"id\":\"1\"}", "bad-id" },
		{ "{\"type\":\"ping\",\"id\":1.5}", "bad-id" },
	};
	struct fx *fx = fx_start(8, 65536, 0, NULL);
	struct wc w;
	json_t *j;
	size_t i;

	wc_open_ready(&w, fx);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		wc_text(&w, cases[i].send);
		j = wc_expect(&w, "error", cases[i].code);
		assert_true(json_is_string(json_object_get(j, "message")));
		assert_null(json_object_get(j, "id"));
		json_decref(j);
		wc_ping(&w, (int)i);
	}

	/* Without an on_message hook, other types are unknown; id echoed. */
	wc_text(&w, "{\"type\":\"hello\",\"id\":77,\"role\":\"display\"}");
	j = wc_expect(&w, "error", "unknown-type");
	assert_int_equal(json_integer_value(json_object_get(j, "id")), 77);
	json_decref(j);
	wc_ping(&w, 100);
	fx_wait_clients(fx, 1, WAIT_MS);
	wc_close(&w);
	fx_stop(fx);
}

static void
test_fragments_and_limits(void **state)
{
	struct fx *fx = fx_start(8, 1024, 0, NULL);
	struct wc w;
	char *big;
	json_t *j;
	size_t n;

	wc_open_ready(&w, fx);

	/* A message in three frames is one message. */
	wc_frame(&w, 0x1, 0, "{\"type\":", 8);
	wc_frame(&w, 0x0, 0, "\"ping\",\"id\"", 11);
	wc_frame(&w, 0x0, 1, ":5}", 3);
	j = wc_expect(&w, "pong", NULL);
	assert_int_equal(json_integer_value(json_object_get(j, "id")), 5);
	json_decref(j);

	/* Exactly max_message bytes is allowed. */
	big = malloc(8192);
	assert_non_null(big);
	strcpy(big, "{\"type\":\"ping\",\"id\":6}");
	n = strlen(big);
	memset(big + n, ' ', 1024 - n);
	big[1024] = '\0';
	wc_text(&w, big);
	j = wc_expect(&w, "pong", NULL);
	assert_int_equal(json_integer_value(json_object_get(j, "id")), 6);
	json_decref(j);

	/* One byte more is too large, and answered once. */
	big[1024] = ' ';
	big[1025] = '\0';
	wc_text(&w, big);
	j = wc_expect(&w, "error", "too-large");
	assert_non_null(strstr(json_string_value(json_object_get(j,
	    "message")), "1024"));
	json_decref(j);
	wc_ping(&w, 7);

	/* Large in a single frame (several lws chunks). */
	memset(big, 'x', 8000);
	wc_frame(&w, 0x1, 1, big, 8000);
	json_decref(wc_expect(&w, "error", "too-large"));
	wc_ping(&w, 8);

	/* Large across fragments: one error, the rest skipped. */
	wc_frame(&w, 0x1, 0, big, 600);
	wc_frame(&w, 0x0, 0, big, 600);
	wc_frame(&w, 0x0, 1, big, 600);
	json_decref(wc_expect(&w, "error", "too-large"));
	wc_ping(&w, 9);

	/* Binary is refused, the connection stays. */
	wc_frame(&w, 0x2, 1, "\x01\x02\x03", 3);
	json_decref(wc_expect(&w, "error", "binary-not-supported"));
	wc_frame(&w, 0x2, 0, big, 700);
	wc_frame(&w, 0x0, 1, big, 700);
	json_decref(wc_expect(&w, "error", "binary-not-supported"));
	wc_ping(&w, 10);

	free(big);
	fx_wait_clients(fx, 1, WAIT_MS);
	wc_close(&w);
	fx_stop(fx);
}

static void
test_on_message_hook(void **state)
{
	struct fx *fx = fx_start(8, 65536, 1, NULL);
	const char *m = "{\"type\":\"echo\",\"id\":9,\"x\":\"\xea\xb0\x80\"}";
	struct wc w;
	char *raw;
	json_t *j;

	wc_open_ready(&w, fx);
	wc_text(&w, m);
	j = wc_json(&w, &raw);
	assert_string_equal(raw, m);
	free(raw);
	json_decref(j);

	/* ping stays the bridge's own, even with a hook. */
	wc_ping(&w, 3);
	/* Read what the hook saw after a round through the service thread. */
	fx_stats(fx);
	assert_string_equal(fx->last_json, m);
	assert_int_equal(fx->messages, 1);
	wc_close(&w);
	fx_stop(fx);
}

static void
test_cull_reply_flood(void **state)
{
	struct fx *fx = fx_start(8, 65536, 1, NULL);
	struct wc w, ok;
	char *m;
	size_t len;
	int op;

	wc_open_ready(&ok, fx);
	wc_open_ready(&w, fx);
	fx_wait_clients(fx, 2, WAIT_MS);

	/* 200 replies in one go overflow the 64-message queue: closed 1008. */
	wc_text(&w, "{\"type\":\"flood\"}");
	op = wc_recv(&w, WAIT_MS, &m, &len);
	assert_int_equal(op, 8);
	assert_true(len >= 2);
	assert_int_equal((unsigned char)m[0] << 8 | (unsigned char)m[1], 1008);
	assert_string_equal(m + 2, "too slow");
	free(m);
	wc_close(&w);
	fx_wait_clients(fx, 1, WAIT_MS);

	/* The other client is unaffected. */
	wc_ping(&ok, 1);
	wc_close(&ok);
	fx_stop(fx);
}

static void
test_cull_slow_client(void **state)
{
	struct fx *fx = fx_start(4, 65536, 0, NULL);
	struct wc fast, slow, late;
	struct stats st;
	char *msg, *raw;
	size_t pad = 16384;
	long deadline, n;
	json_t *j;
	int r, culled = 0, late_state = 0;

	wc_open_ready(&fast, fx);
	/* A small receive buffer and no reading: the server's send stalls. */
	assert_int_equal(wc_open(&slow, fx->port, "/ws", NULL, 2048, NULL, 0),
	    101);
	fx_wait_clients(fx, 2, WAIT_MS);

	msg = malloc(pad + 128);
	assert_non_null(msg);
	deadline = now_ms() + 60000;
	for (n = 1; now_ms() < deadline; n++) {
		int k = snprintf(msg, 128, "{\"type\":\"t\",\"seq\":%ld,\"pad\":\"",
		    n);

		memset(msg + k, 'p', pad);
		strcpy(msg + k + pad, "\"}");
		fx_run(fx, cmd_broadcast, msg);

		/* The fast client keeps up and sees every message in order. */
		j = wc_json(&fast, NULL);
		assert_int_equal(json_integer_value(json_object_get(j, "seq")),
		    n);
		json_decref(j);

		/*
		 * A client joining while the ring holds old messages (for the
		 * stalled one) starts at the next broadcast: nothing replayed.
		 */
		if (late_state == 1) {
			j = wc_json(&late, NULL);
			assert_int_equal(json_integer_value(json_object_get(j,
			    "seq")), n);
			json_decref(j);
			wc_close(&late);
			late_state = 2;
		}

		st = fx_stats(fx);
		assert_true(st.backlog <= 4);
		if (late_state == 0 && st.backlog >= 2) {
			wc_open_ready(&late, fx);
			late_state = 1;
		}
		if (st.clients == 1) {
			culled = 1;
			break;
		}
		usleep(500);
	}
	assert_true(culled);
	assert_int_equal(late_state, 2);
	print_message("slow client culled after %ld broadcasts\n", n);

	/* The survivor still gets the latest message. */
	fx_run(fx, cmd_broadcast, "{\"type\":\"latest\"}");
	j = wc_json(&fast, &raw);
	assert_string_equal(raw, "{\"type\":\"latest\"}");
	free(raw);
	json_decref(j);
	assert_true(fx_stats(fx).backlog <= 1);

	/* The slow client's connection really is gone: draining ends. */
	deadline = now_ms() + 10000;
	do {
		slow.len = 0;
		r = wc_fill(&slow, deadline);
	} while (r == 1);
	assert_true(r == 0 || r == -1);

	free(msg);
	wc_close(&slow);
	wc_close(&fast);
	fx_stop(fx);
}

/*
 * Reads until a close frame (other messages are skipped) and returns its
 * status code; -1 if the connection ended without one (or timed out).
 */
static int
wc_close_code(struct wc *w, int ms)
{
	long deadline = now_ms() + ms;
	char *m;
	size_t len;
	int op, code = -1;

	for (;;) {
		long left = deadline - now_ms();

		op = wc_recv(w, left > 0 ? (int)left : 0, &m, &len);
		if (op == 8) {
			if (len >= 2)
				code = (unsigned char)m[0] << 8 | (unsigned char)m[1];
			free(m);
			return code;
		}
		free(m);
		if (op <= 0)
			return -1;
	}
}

/* The connection is closed or closing: EOF (or an error) within ms. */
static int
wc_gone(struct wc *w, int ms)
{
	long deadline = now_ms() + ms;
	int r;

	do {
		w->len = 0;
		r = wc_fill(w, deadline);
	} while (r == 1);
	return r == 0 || r == -1;
}

/* Stopping the server says so: close 1001 (going away), not a dropped TCP
 * connection. */
static void
test_close_going_away(void **state)
{
	struct fx *fx = fx_start(8, 65536, 0, NULL);
	struct wc a, b;

	wc_open_ready(&a, fx);
	wc_open_ready(&b, fx);
	fx_wait_clients(fx, 2, WAIT_MS);
	fx_halt(fx);
	assert_int_equal(wc_close_code(&a, WAIT_MS), 1001);
	assert_int_equal(wc_close_code(&b, WAIT_MS), 1001);
	wc_close(&a);
	wc_close(&b);
	fx_stop(fx);
}

/* Text that is not UTF-8 closes with 1007 (RFC 6455 8.1), also when the
 * bad sequence spans two fragments; a good one split so passes. */
static void
test_invalid_utf8(void **state)
{
	static const char u1[] = "{\"type\":\"echo\",\"x\":\"\xea\xb0";
	static const char u2[] = "{\"type\":\"ping\",\"x\":\"\xe2\x82";
	struct fx *fx = fx_start(8, 65536, 1, NULL);
	struct wc w;

	wc_open_ready(&w, fx);
	wc_frame(&w, 0x1, 0, u1, strlen(u1));
	wc_frame(&w, 0x0, 1, "\x80\"}", 3);
	json_decref(wc_expect(&w, "echo", NULL));
	wc_ping(&w, 1);
	wc_text(&w, "{\"type\":\"ping\",\"x\":\"\xff\"}");
	assert_int_equal(wc_close_code(&w, WAIT_MS), 1007);
	wc_close(&w);

	wc_open_ready(&w, fx);
	wc_frame(&w, 0x1, 0, u2, strlen(u2));
	wc_frame(&w, 0x0, 1, "\x28\"}", 3);
	assert_int_equal(wc_close_code(&w, WAIT_MS), 1007);
	wc_close(&w);
	fx_wait_clients(fx, 0, WAIT_MS);
	fx_stop(fx);
}

/* Sends a masked frame header claiming len payload bytes, then the first
 * n of them (zeros). */
static void
wc_claim(struct wc *w, int opcode, uint64_t len, size_t n)
{
	unsigned char hdr[14] = { (unsigned char)(0x80 | opcode), 0x80 | 127 };
	unsigned char *zero = calloc(1, n + 1);
	int i;

	assert_non_null(zero);
	for (i = 0; i < 8; i++)
		hdr[2 + i] = (unsigned char)(len >> (56 - 8 * i));
	memset(hdr + 10, 0x5a, 4);
	send_all(w->fd, hdr, sizeof(hdr));
	if (n > 0)
		send_all(w->fd, zero, n);
	free(zero);
}

/* A frame that claims 2^62 bytes is not waited for: closed with 1009, text
 * or binary; other clients are served meanwhile. */
static void
test_huge_frame_claim(void **state)
{
	struct fx *fx = fx_start(8, 65536, 0, NULL);
	struct wc w, ok;

	wc_open_ready(&ok, fx);
	wc_open_ready(&w, fx);
	wc_claim(&w, 0x1, (uint64_t)1 << 62, 100);
	assert_int_equal(wc_close_code(&w, WAIT_MS), 1009);
	wc_close(&w);
	wc_open_ready(&w, fx);
	wc_claim(&w, 0x2, (uint64_t)1 << 62, 100);
	assert_int_equal(wc_close_code(&w, WAIT_MS), 1009);
	wc_close(&w);
	/* Big, but below the point of closing: refused, skipped, kept. */
	wc_open_ready(&w, fx);
	wc_claim(&w, 0x1, 200000, 200000);
	json_decref(wc_expect(&w, "error", "too-large"));
	wc_ping(&w, 2);
	wc_close(&w);
	wc_ping(&ok, 1);
	wc_close(&ok);
	fx_stop(fx);
}

/* "self" trusts a Host that is an address: a bracketed one must be an IPv6
 * address, with nothing after it but a port. */
static void
test_origin_host_literal(void **state)
{
	static const struct {
		const char *host, *origin;
		int ok;
	} cases[] = {
		{ "[::1]:PORT", "http://[::1]:PORT", 1 },
		{ "[::ffff:127.0.0.1]", "http://[::ffff:127.0.0.1]", 1 },
		{ "127.0.0.1:PORT", "http://127.0.0.1:PORT", 1 },
		{ "[evil]x", "http://[evil]x", 0 },
		{ "[::1]x", "http://[::1]x", 0 },
		{ "[::1]:80x", "http://[::1]:80x", 0 },
		{ "[::1]evil.example", "http://[::1]evil.example", 0 },
		{ "[]", "http://[]", 0 },
		{ "1.2.3.4.5", "http://1.2.3.4.5", 0 },
		{ "127.0.0.1:x", "http://127.0.0.1:x", 0 },
	};
	struct fx *fx = fx_start(8, 65536, 0, NULL);
	char host[64], origin[80], more[128], *p;
	struct wc w;
	size_t i;
	int status;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(host, sizeof(host), "%s", cases[i].host);
		snprintf(origin, sizeof(origin), "%s", cases[i].origin);
		if ((p = strstr(host, "PORT")) != NULL)
			snprintf(p, sizeof(host) - (size_t)(p - host), "%d", fx->port);
		if ((p = strstr(origin, "PORT")) != NULL)
			snprintf(p, sizeof(origin) - (size_t)(p - origin), "%d", fx->port);
		snprintf(more, sizeof(more), "Origin: %s\r\n", origin);
		status = wc_open_ex(&w, fx->port, NULL, host, more, NULL, 0);
		if ((status == 101) != cases[i].ok)
			fail_msg("Host %s, Origin %s: status %d", host, origin, status);
		wc_close(&w);
	}
	fx_stop(fx);
}

/* Opens a client from src that says hello (1) or nothing (0); returns the
 * upgrade's status. */
static int
wc_open_from(struct wc *w, struct fx *fx, const char *src, int hello)
{
	int status = wc_open_ex(w, fx->port, src, NULL, NULL, NULL, 0);
	json_t *j;

	if (status != 101)
		return status;
	j = wc_json(w, NULL);	/* the server's hello */
	json_decref(j);
	if (hello) {
		wc_text(w, "{\"type\":\"hello\",\"role\":\"display\"}");
		wc_ping(w, 99);	/* ... and it was read */
	}
	return status;
}

/*
 * Caps: max_clients in all, max_per_address from one address.  At a cap a
 * newcomer is refused, unless a client that has said no hello for hello_s
 * can make room: that one is closed (1008) instead.
 */
static void
test_connection_caps(void **state)
{
	struct fx_opts o = { .max_clients = 3, .max_per_address = 2, .hello_s = 0.4 };
	struct fx *fx = fx_start_opts(8, 65536, 1, NULL, &o);
	struct wc a1, a2, a3, b1, b2;
	int status;

	assert_int_equal(wc_open_from(&a1, fx, "127.0.0.1", 1), 101);
	assert_int_equal(wc_open_from(&a2, fx, "127.0.0.1", 1), 101);
	/* A third from the same address: refused. */
	status = wc_open_from(&a3, fx, "127.0.0.1", 0);
	assert_int_not_equal(status, 101);
	wc_close(&a3);
	/* Another address still gets in, up to the total. */
	assert_int_equal(wc_open_from(&b1, fx, "127.0.0.2", 0), 101);
	fx_wait_clients(fx, 3, WAIT_MS);
	status = wc_open_from(&b2, fx, "127.0.0.3", 0);
	assert_int_not_equal(status, 101);	/* b1 is still young */
	wc_close(&b2);
	/* b1 has said nothing for hello_s: it makes room. */
	usleep(600 * 1000);
	assert_int_equal(wc_open_from(&b2, fx, "127.0.0.3", 1), 101);
	assert_int_equal(wc_close_code(&b1, WAIT_MS), 1008);
	wc_close(&b1);
	fx_wait_clients(fx, 3, WAIT_MS);
	/* Those who said hello are never made room for. */
	usleep(600 * 1000);
	status = wc_open_from(&a3, fx, "127.0.0.4", 0);
	assert_int_not_equal(status, 101);
	wc_close(&a3);
	wc_ping(&a1, 1);
	wc_ping(&a2, 2);
	wc_ping(&b2, 3);
	wc_close(&a1);
	wc_close(&a2);
	wc_close(&b2);
	fx_wait_clients(fx, 0, WAIT_MS);
	fx_stop(fx);
}

/*
 * A client silent for ping_s is pinged; one that answers stays, one that
 * does not (a dead peer, or one stuck in a frame it never finishes) is
 * closed once it has been silent for idle_s.
 */
static void
test_ping_idle(void **state)
{
	struct fx_opts o = { .ping_s = 0.3, .idle_s = 0.9 };
	struct fx *fx = fx_start_opts(8, 65536, 0, NULL, &o);
	struct wc alive, dead, stuck;
	long until;
	char *m;
	size_t len;
	int op, pings = 0;

	wc_open_ready(&alive, fx);
	wc_open_ready(&dead, fx);
	wc_open_ready(&stuck, fx);
	wc_claim(&stuck, 0x1, 1000, 0);	/* a header, never its payload */
	fx_wait_clients(fx, 3, WAIT_MS);
	until = now_ms() + 2500;
	while (now_ms() < until) {
		op = wc_recv(&alive, 200, &m, &len);
		if (op == 9) {	/* ping: pong with its payload */
			pings++;
			wc_frame(&alive, 0xa, 1, m, len);
		} else
			assert_int_equal(op, -2);
		free(m);
	}
	assert_true(pings >= 2);
	fx_wait_clients(fx, 1, WAIT_MS);
	assert_true(wc_gone(&dead, WAIT_MS));
	assert_true(wc_gone(&stuck, WAIT_MS));
	wc_ping(&alive, 1);
	wc_close(&alive);
	wc_close(&dead);
	wc_close(&stuck);
	fx_stop(fx);
}

/*
 * A client that talks (a ping message every 0.2 s, so it is never silent)
 * but never reads: once its small buffers are full the server's writes
 * stop, and idle_s after the last write it is dropped (1008 "not reading"),
 * long before its replies (64) or the ring (256 messages) would overflow;
 * a client that reads stays.  The soak bench found such clients parking
 * megabytes each in the kernel, never dropped.
 */
static void
test_talking_nonreader_dropped(void **state)
{
	struct fx_opts o = { .ping_s = 0, .idle_s = 1.5 };
	struct fx *fx = fx_start_opts(256, 65536, 0, NULL, &o);
	struct wc fast, stuck;
	struct stats st;
	size_t pad = 16384;
	char *msg = malloc(pad + 128);
	long t0, deadline, n, dropped_at = -1;
	json_t *j;

	(void)state;
	assert_non_null(msg);
	wc_open_ready(&fast, fx);
	assert_int_equal(wc_open(&stuck, fx->port, "/ws", NULL, 2048, NULL, 0), 101);
	fx_wait_clients(fx, 2, WAIT_MS);
	t0 = now_ms();
	deadline = t0 + 10000;
	for (n = 1; now_ms() < deadline; n++) {
		int k = snprintf(msg, 128, "{\"type\":\"t\",\"seq\":%ld,\"pad\":\"", n);

		memset(msg + k, 'p', pad);
		strcpy(msg + k + pad, "\"}");
		fx_run(fx, cmd_broadcast, msg);
		/* The reader reads every one (and pongs: it talks too). */
		for (;;) {
			j = wc_json(&fast, NULL);
			if (strcmp(json_string_value(json_object_get(j, "type")), "pong") != 0)
				break;
			json_decref(j);
		}
		assert_int_equal(json_integer_value(json_object_get(j, "seq")), n);
		json_decref(j);
		if (n % 4 == 0) {
			wc_text(&stuck, "{\"type\":\"ping\"}");
			wc_text(&fast, "{\"type\":\"ping\"}");
		}
		st = fx_stats(fx);
		if (st.clients == 1) {
			dropped_at = now_ms() - t0;
			break;
		}
		usleep(50 * 1000);
	}
	printf("    dropped after %ld ms and %ld broadcasts\n", dropped_at, n);
	assert_true(dropped_at >= 1500);	/* not before idle_s */
	assert_true(dropped_at > 0 && dropped_at < 8000);
	assert_true(n < 200);			/* not the ring's overflow */
	assert_true(wc_gone(&stuck, WAIT_MS));
	fx_wait_clients(fx, 1, WAIT_MS);	/* the reader stays */
	free(msg);
	wc_close(&fast);
	wc_close(&stuck);
	fx_stop(fx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_fails),
		cmocka_unit_test(test_hello_first),
		cmocka_unit_test(test_big_hello),
		cmocka_unit_test(test_ws_path_and_http),
		cmocka_unit_test(test_broadcast),
		cmocka_unit_test(test_ping_pong),
		cmocka_unit_test(test_errors_keep_connection),
		cmocka_unit_test(test_fragments_and_limits),
		cmocka_unit_test(test_on_message_hook),
		cmocka_unit_test(test_cull_reply_flood),
		cmocka_unit_test(test_cull_slow_client),
		cmocka_unit_test(test_talking_nonreader_dropped),
		cmocka_unit_test(test_close_going_away),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_huge_frame_claim),
		cmocka_unit_test(test_origin_host_literal),
		cmocka_unit_test(test_connection_caps),
		cmocka_unit_test(test_ping_idle),
	};

	signal(SIGPIPE, SIG_IGN);
	log_init(-1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
