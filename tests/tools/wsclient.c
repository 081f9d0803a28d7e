/*
 * wsclient — a websocket test client for the integration tests, built on the
 * libwebsockets client API.
 *
 * usage: wsclient [--host H] [--port N] [--path /ws] [--protocol P]
 *                 [--send JSON]... [--send-file F]... [--send-binary]...
 *                 [--count N] [--timeout SEC] [--until TYPE] [--stamp]
 *
 * Connects, then sends the --send, --send-file and --send-binary messages in
 * command-line order, one per writeable callback.  Every text message
 * received is printed on stdout as one line.
 *
 *   --send JSON      a text message
 *   --send-file F    the content of F as one text message (oversize tests)
 *   --send-binary    a 16-byte binary message
 *   --send-binary-file F  the content of F as binary messages of 3200 bytes
 *                    (0.1 s of 16 kHz 16-bit audio) each
 *   --origin O       the Origin header ("" for none; default the host)
 *   --host-header H  the Host header (default the host connected to)
 *   --tls            connect with TLS (wss://), checking the server's
 *                    certificate against the system's CAs ...
 *   --ca FILE        ... or against FILE (a self-signed certificate)
 *   --protocol P     Sec-WebSocket-Protocol to ask for ("" for none;
 *                    default "smartoffice")
 *   --count N        exit 0 after N messages were received
 *   --until TYPE     exit 0 once a message of type TYPE was received
 *   --timeout SEC    give up after SEC seconds (default 10)
 *
 * Exit status: 0 done; 1 usage; 2 timeout or connection failure; 3 the
 * server closed the connection.  Without --count and --until the client
 * reads until the timeout (2) or the server's close (3).
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <libwebsockets.h>

enum { EXIT_DONE = 0, EXIT_USAGE = 1, EXIT_TIMEOUT = 2, EXIT_CLOSED = 3 };

struct out {
	struct out	*next;
	int		 binary;
	size_t		 len;
	unsigned char	*buf;		/* LWS_PRE head-room, then len bytes */
};

static struct {
	int stamp;          /* prefix each message with its arrival time */
	int tls;            /* --tls */
	const char *ca;     /* --ca FILE */
	const char		*host, *path, *protocol, *until, *origin, *host_header;
	int			 port, timeout;
	long			 count;
	struct out		*out_head, *out_tail;
	long			 received;
	char			*rx;
	size_t			 rx_len, rx_cap;
	int			 status;	/* -1 while running */
	struct lws_context	*ctx;
	lws_sorted_usec_list_t	 sul_timeout;
} g = {
	.host = "127.0.0.1", .path = "/ws", .protocol = "smartoffice",
	.port = 7681, .timeout = 10, .status = -1,
};

static void
usage(void)
{
	fprintf(stderr, "usage: wsclient [--host H] [--port N] [--path /ws] "
	    "[--protocol P] [--send JSON]... [--send-file F]... "
	    "[--send-binary]... [--count N] [--timeout SEC] [--until TYPE] [--stamp] "
	    "[--tls [--ca FILE]]\n");
	exit(EXIT_USAGE);
}

/* Records the exit status once; later events cannot change it. */
static void
finish(int status)
{
	if (g.status == -1)
		g.status = status;
}

/* Appends one outgoing message (copied, with LWS_PRE head-room). */
static void
out_add(const void *data, size_t len, int binary)
{
	struct out *o;

	if ((o = calloc(1, sizeof(*o))) == NULL ||
	    (o->buf = malloc(LWS_PRE + len + 1)) == NULL) {
		fprintf(stderr, "wsclient: out of memory\n");
		exit(EXIT_USAGE);
	}
	memcpy(o->buf + LWS_PRE, data, len);
	o->len = len;
	o->binary = binary;
	if (g.out_tail != NULL)
		g.out_tail->next = o;
	else
		g.out_head = o;
	g.out_tail = o;
}

/* Reads a whole file for --send-file. */
static void
out_add_file(const char *path)
{
	FILE *f;
	char *buf = NULL, *p;
	size_t len = 0, cap = 0, n;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "wsclient: %s: %s\n", path, strerror(errno));
		exit(EXIT_USAGE);
	}
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			if ((p = realloc(buf, cap)) == NULL) {
				fprintf(stderr, "wsclient: out of memory\n");
				exit(EXIT_USAGE);
			}
			buf = p;
		}
		if ((n = fread(buf + len, 1, cap - len, f)) == 0)
			break;
		len += n;
	}
	if (ferror(f)) {
		fprintf(stderr, "wsclient: %s: read error\n", path);
		exit(EXIT_USAGE);
	}
	fclose(f);
	out_add(buf != NULL ? buf : "", len, 0);
	free(buf);
}

/* Parses a non-negative integer option value. */
static long
number(const char *opt, const char *s, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0 || v > max) {
		fprintf(stderr, "wsclient: %s: bad value \"%s\"\n", opt, s);
		exit(EXIT_USAGE);
	}
	return v;
}

/* One complete text message: print it, then check --count and --until. */
static void
got_message(const char *buf, size_t len)
{
	json_t *j, *t;

	if (g.stamp) {
		/* --stamp: when it arrived, for latency measurements. */
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		printf("%.6f\t", (double)now.tv_sec + now.tv_nsec / 1e9);
	}
	fwrite(buf, 1, len, stdout);
	fputc('\n', stdout);
	fflush(stdout);
	g.received++;

	if (g.until != NULL &&
	    (j = json_loadb(buf, len, JSON_DECODE_ANY, NULL)) != NULL) {
		t = json_object_get(j, "type");
		if (json_is_string(t) &&
		    strcmp(json_string_value(t), g.until) == 0)
			finish(EXIT_DONE);
		json_decref(j);
	}
	if (g.count > 0 && g.received >= g.count)
		finish(EXIT_DONE);
}

/* Collects RECEIVE chunks into whole messages. */
static void
receive(struct lws *wsi, const void *in, size_t len)
{
	char *p;
	size_t ncap;

	if (g.rx_len + len + 1 > g.rx_cap) {
		ncap = g.rx_cap ? g.rx_cap : 4096;
		while (ncap < g.rx_len + len + 1)
			ncap *= 2;
		if ((p = realloc(g.rx, ncap)) == NULL) {
			fprintf(stderr, "wsclient: out of memory\n");
			finish(EXIT_TIMEOUT);
			return;
		}
		g.rx = p;
		g.rx_cap = ncap;
	}
	memcpy(g.rx + g.rx_len, in, len);
	g.rx_len += len;
	if (!lws_is_final_fragment(wsi))
		return;
	if (lws_frame_is_binary(wsi))
		fprintf(stderr, "wsclient: binary message of %zu bytes "
		    "ignored\n", g.rx_len);
	else
		got_message(g.rx, g.rx_len);
	g.rx_len = 0;
}

/* Sends the next queued message; one lws_write per writeable. */
static int
send_next(struct lws *wsi)
{
	struct out *o;
	int n;

	if ((o = g.out_head) == NULL)
		return 0;
	g.out_head = o->next;
	if (g.out_head == NULL)
		g.out_tail = NULL;
	n = lws_write(wsi, o->buf + LWS_PRE, o->len,
	    o->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
	free(o->buf);
	free(o);
	if (n < 0) {
		fprintf(stderr, "wsclient: write failed\n");
		finish(EXIT_CLOSED);
		return -1;
	}
	if (g.out_head != NULL)
		lws_callback_on_writable(wsi);
	return 0;
}

static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	unsigned char *p = in;

	switch (reason) {
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		fprintf(stderr, "wsclient: cannot connect to %s:%d%s: %s\n",
		    g.host, g.port, g.path,
		    in != NULL ? (const char *)in : "unknown error");
		finish(EXIT_TIMEOUT);
		lws_cancel_service(lws_get_context(wsi));
		break;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		if (g.out_head != NULL)
			lws_callback_on_writable(wsi);
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (g.status != -1)
			return -1;
		return send_next(wsi);
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (g.status != -1)
			break;
		receive(wsi, in, len);
		if (g.status != -1) {
			lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
			return -1;
		}
		break;
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		if (len >= 2)
			fprintf(stderr, "wsclient: server closed: %u %.*s\n",
			    (unsigned)(p[0] << 8 | p[1]), (int)(len - 2),
			    (const char *)p + 2);
		else
			fprintf(stderr, "wsclient: server closed\n");
		finish(EXIT_CLOSED);
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		if (g.status == -1)
			fprintf(stderr, "wsclient: connection closed\n");
		finish(EXIT_CLOSED);
		lws_cancel_service(lws_get_context(wsi));
		break;
	default:
		break;
	}
	return 0;
}

static const struct lws_protocols protocols[] = {
	{ .name = "wsclient", .callback = callback, .rx_buffer_size = 65536 },
	{ .name = NULL }
};

static void
on_timeout(lws_sorted_usec_list_t *sul)
{
	if (g.status == -1)
		fprintf(stderr, "wsclient: timeout after %d s (%ld messages "
		    "received)\n", g.timeout, g.received);
	finish(EXIT_TIMEOUT);
	/* lws_service would otherwise wait for its next event (up to 30 s) */
	lws_cancel_service(g.ctx);
}

/* F's bytes as binary messages of 3200 bytes. */
static void
out_add_binary_file(const char *path)
{
	unsigned char buf[3200];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (f == NULL) {
		fprintf(stderr, "wsclient: %s: %s\n", path, strerror(errno));
		exit(EXIT_USAGE);
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		out_add(buf, n, 1);
	fclose(f);
}

int
main(int argc, char **argv)
{
	struct lws_context_creation_info info;
	struct lws_client_connect_info ci;
	static const unsigned char binary[16] = {
		0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	};
	struct out *o;
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--send-binary") == 0) {
			out_add(binary, sizeof(binary), 1);
			continue;
		}
		if (strcmp(a, "--tls") == 0) {
			g.tls = 1;
			continue;
		}
		if (i + 1 >= argc)
			usage();
		if (strcmp(a, "--host") == 0)
			g.host = argv[++i];
		else if (strcmp(a, "--port") == 0)
			g.port = (int)number(a, argv[++i], 65535);
		else if (strcmp(a, "--path") == 0)
			g.path = argv[++i];
		else if (strcmp(a, "--protocol") == 0)
			g.protocol = argv[++i];
		else if (strcmp(a, "--send") == 0) {
			i++;
			out_add(argv[i], strlen(argv[i]), 0);
		} else if (strcmp(a, "--send-file") == 0)
			out_add_file(argv[++i]);
		else if (strcmp(a, "--send-binary-file") == 0)
			out_add_binary_file(argv[++i]);
		else if (strcmp(a, "--origin") == 0)
			g.origin = argv[++i];
		else if (strcmp(a, "--host-header") == 0)
			g.host_header = argv[++i];
		else if (strcmp(a, "--count") == 0)
			g.count = number(a, argv[++i], LONG_MAX);
		else if (strcmp(a, "--timeout") == 0)
			g.timeout = (int)number(a, argv[++i], 86400);
		else if (strcmp(a, "--until") == 0)
			g.until = argv[++i];
		else if (strcmp(a, "--stamp") == 0)
			g.stamp = 1;
		else if (strcmp(a, "--ca") == 0)
			g.ca = argv[++i];
		else
			usage();
	}

	signal(SIGPIPE, SIG_IGN);
	lws_set_log_level(LLL_ERR, NULL);

	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.fd_limit_per_thread = 16;
	if (g.tls) {
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		info.client_ssl_ca_filepath = g.ca;
	}
	if ((g.ctx = lws_create_context(&info)) == NULL) {
		fprintf(stderr, "wsclient: cannot create the lws context\n");
		return EXIT_TIMEOUT;
	}
	lws_sul_schedule(g.ctx, 0, &g.sul_timeout, on_timeout,
	    (lws_usec_t)g.timeout * LWS_USEC_PER_SEC);

	memset(&ci, 0, sizeof(ci));
	ci.context = g.ctx;
	ci.address = g.host;
	ci.port = g.port;
	ci.path = g.path;
	ci.host = g.host_header != NULL ? g.host_header : g.host;
	/* lws writes "Origin: http://" and then this. */
	if (g.origin != NULL && strncmp(g.origin, "http://", 7) == 0)
		g.origin += 7;
	ci.origin = g.origin == NULL ? g.host : *g.origin != '\0' ? g.origin : NULL;
	ci.protocol = *g.protocol != '\0' ? g.protocol : NULL;
	ci.local_protocol_name = "wsclient";
	if (g.tls)
		ci.ssl_connection = LCCSCF_USE_SSL;
	if (lws_client_connect_via_info(&ci) == NULL) {
		fprintf(stderr, "wsclient: cannot connect to %s:%d\n", g.host,
		    g.port);
		finish(EXIT_TIMEOUT);
	}

	while (g.status == -1)
		if (lws_service(g.ctx, 0) < 0) {
			finish(EXIT_TIMEOUT);
			break;
		}

	lws_sul_cancel(&g.sul_timeout);
	lws_context_destroy(g.ctx);
	while ((o = g.out_head) != NULL) {
		g.out_head = o->next;
		free(o->buf);
		free(o);
	}
	free(g.rx);
	return g.status;
}
