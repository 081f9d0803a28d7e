/*
 * admin_cli — `smartofficed admin ...`: what the admin page shows and does,
 * from the command line, against the running daemon (docs/admin.md).
 *
 * It finds the daemon at STATE_DIR/url and proves itself with
 * STATE_DIR/admin.cookie (daemon/admin.h), so whoever may read the state
 * directory (root, the smartoffice user) needs no token.  One websocket
 * (libwebsockets' client, as its minimal examples do): hello, one request,
 * its reply, done.
 */
#include "cli/admin_cli.h"
#include "cli/usage.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <libwebsockets.h>

#include "daemon/admin.h"
#include "daemon/service.h"

#define PROG "smartofficed: admin"
#define usage_error(...) cli_usage_error("admin", __VA_ARGS__)
#define REQ_ID 2

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: smartofficed [--state-dir DIR] admin status [--json]\n"
	    "       smartofficed [--state-dir DIR] admin audit\n"
	    "       smartofficed [--state-dir DIR] admin command TEXT...\n"
	    "       smartofficed [--state-dir DIR] admin demo on|off\n"
	    "       smartofficed [--state-dir DIR] admin snapshot FILE.jpg\n"
	    "       smartofficed [--state-dir DIR] admin enroll NAME\n"
	    "\n"
	    "Asks the running daemon (found at STATE_DIR/url, admitted by\n"
	    "STATE_DIR/admin.cookie) what the admin page shows, or does what it does.\n"
	    "\n"
	    "  status     devices, recognizer and models, clients, paired devices, demo\n"
	    "             session (--json: the admin-status message as it is)\n"
	    "  audit      who changed the screen, by what (the newest last)\n"
	    "  command    a typed command, taken as speech is (\"show me air quality\");\n"
	    "             exit 1 when nothing in the catalogue matches\n"
	    "  demo       switch the demo session on or off until the daemon restarts\n"
	    "             (the configuration's demo = yes|no is the default)\n"
	    "  snapshot   the room camera's next frame, as a JPEG file\n"
	    "  enroll     a guided face enrollment of NAME from the room camera: says\n"
	    "             each pose to take (\"look straight at the camera\", \"left 1 of 3\")\n"
	    "             until NAME is enrolled (exit 0) or it failed (exit 1); the\n"
	    "             daemon keeps its camera (docs/faces.md)\n"
	    "\n"
	    "Paired devices: smartofficed tokens list|rename|revoke; face enrollment\n"
	    "without the daemon: smartofficed face enroll --camera.\n");
}

static struct {
	char    *hello, *request;   /* to send, in order */
	int      sent;
	int      want_snapshot;
	const char *enroll;         /* admin enroll: the name whose events are said */
	int      enrolled;          /* ... its done event came */
	int      cancel;            /* ... to be cancelled (interrupted, or out of time): 1 to send, 2 sent */
	struct lws *wsi;
	json_t  *reply;             /* the reply to REQ_ID */
	json_t  *snapshot;          /* admin-snapshot */
	char    *rx;
	size_t   rx_len;
	char     error[256];
	int      done;
} g;

static const char *s_of(const json_t *o, const char *k);

/* One enroll event (docs/protocol.md), said as a line; done or failed ends. */
static void
say_enroll(const json_t *m)
{
	const char *st = s_of(m, "state");

	if (!strcmp(st, "started") || !strcmp(st, "pose"))
		printf("%s\n", s_of(m, "say"));
	else if (!strcmp(st, "progress"))
		printf("%s %lld of %lld\n", s_of(m, "pose"), (long long)json_integer_value(json_object_get(m, "got")),
		    (long long)json_integer_value(json_object_get(m, "need")));
	else if (!strcmp(st, "skipped"))
		printf("skipped %s: %s\n", s_of(m, "pose"), s_of(m, "reason"));
	else if (!strcmp(st, "done")) {
		printf("enrolled %s: %lld images, descriptor %s%s\n", g.enroll,
		    (long long)json_integer_value(json_object_get(m, "images")), s_of(m, "descriptor"),
		    json_is_false(json_object_get(m, "unlocks")) ?
		    " (not private_face: it does not unlock private mode)" : "");
		g.enrolled = 1;
		g.done = 1;
	} else if (!strcmp(st, "failed")) {
		printf("failed: %s\n", s_of(m, "reason"));
		g.done = 1;
	}
	fflush(stdout);
}

static void
take(const char *buf, size_t len)
{
	json_error_t je;
	json_t *m = json_loadb(buf, len, 0, &je), *id;
	const char *type;

	if (m == NULL)
		return;
	type = json_string_value(json_object_get(m, "type"));
	id = json_object_get(m, "id");
	if (json_is_integer(id) && json_integer_value(id) == REQ_ID) {
		g.reply = m;
		if (type != NULL && !strcmp(type, "error")) {
			snprintf(g.error, sizeof g.error, "%s: %s",
			    json_string_value(json_object_get(m, "code")) ?: "error",
			    json_string_value(json_object_get(m, "message")) ?: "");
			g.done = 1;
		} else if (!g.want_snapshot && g.enroll == NULL)
			g.done = 1;
		return;
	}
	if (type != NULL && !strcmp(type, "enroll") && g.enroll != NULL &&
	    !strcmp(json_string_value(json_object_get(m, "name")) ?: "", g.enroll)) {
		say_enroll(m);
		json_decref(m);
		return;
	}
	if (type != NULL && !strcmp(type, "error") && json_is_integer(id) && json_integer_value(id) == 1) {
		snprintf(g.error, sizeof g.error, "the daemon refused the cookie: %s",
		    json_string_value(json_object_get(m, "message")) ?: "");
		g.done = 1;
	} else if (type != NULL && !strcmp(type, "admin-snapshot") && g.want_snapshot) {
		g.snapshot = m;
		g.done = 1;
		return;
	}
	json_decref(m);
}

static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	unsigned char buf[LWS_PRE + 4096];
	const char *msg;

	switch (reason) {
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		snprintf(g.error, sizeof g.error, "cannot connect: %s", in != NULL ? (const char *)in : "?");
		g.done = 1;
		break;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		g.wsi = wsi;
		lws_callback_on_writable(wsi);
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		msg = g.sent == 0 ? g.hello : g.sent == 1 ? g.request :
		    g.cancel == 1 ? "{\"type\":\"enroll-cancel\",\"id\":3}" : NULL;
		if (msg != NULL && g.sent >= 2)
			g.cancel = 2;
		if (msg == NULL || strlen(msg) > sizeof buf - LWS_PRE)
			break;
		memcpy(buf + LWS_PRE, msg, strlen(msg));
		if (lws_write(wsi, buf + LWS_PRE, strlen(msg), LWS_WRITE_TEXT) < (int)strlen(msg)) {
			snprintf(g.error, sizeof g.error, "write failed");
			g.done = 1;
			break;
		}
		if (++g.sent < 2)
			lws_callback_on_writable(wsi);
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE: {
		char *p = realloc(g.rx, g.rx_len + len + 1);
		if (p == NULL) {
			snprintf(g.error, sizeof g.error, "out of memory");
			g.done = 1;
			break;
		}
		g.rx = p;
		memcpy(g.rx + g.rx_len, in, len);
		g.rx_len += len;
		if (lws_is_final_fragment(wsi)) {
			take(g.rx, g.rx_len);
			g.rx_len = 0;
		}
		break;
	}
	case LWS_CALLBACK_CLIENT_CLOSED:
		g.wsi = NULL;
		if (!g.done)
			snprintf(g.error, sizeof g.error, "the daemon closed the connection");
		g.done = 1;
		break;
	default:
		break;
	}
	return 0;
}

/* "http://127.0.0.1:7681" → host, port, tls. */
static int
parse_url(const char *url, char *host, size_t hlen, int *port, int *tls)
{
	const char *p = url, *colon, *end;

	*tls = !strncmp(p, "https://", 8);
	if (strncmp(p, "http://", 7) && !*tls)
		return -1;
	p += *tls ? 8 : 7;
	end = p + strcspn(p, "/");
	if (*p == '[') {		/* [::1]:7681 */
		const char *rb = memchr(p, ']', (size_t)(end - p));
		if (rb == NULL)
			return -1;
		snprintf(host, hlen, "%.*s", (int)(rb - p - 1), p + 1);
		colon = rb + 1 < end && rb[1] == ':' ? rb + 1 : NULL;
	} else {
		colon = memchr(p, ':', (size_t)(end - p));
		snprintf(host, hlen, "%.*s", (int)((colon != NULL ? colon : end) - p), p);
	}
	*port = colon != NULL ? atoi(colon + 1) : *tls ? 443 : 80;
	return *port > 0 && *port < 65536 && host[0] ? 0 : -1;
}

/* Ctrl-C or a kill during admin enroll: the enrollment is cancelled
 * rather than left running in the daemon. */
static volatile sig_atomic_t interrupted;

static void
on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* Reads the first line of PATH into buf: 0, or -1 with errno. */
static int
read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return -1;
	if (fgets(buf, (int)len, f) == NULL) {
		fclose(f);
		errno = EINVAL;
		return -1;
	}
	fclose(f);
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

/* Sends request (stolen) to the daemon; 0 and g.reply, or -1 (said why). */
static int
ask(const char *state_dir, json_t *request, int want_snapshot)
{
	static const struct lws_protocols protocols[] = {
		{ "smartoffice", callback, 0, 65536, 0, NULL, 0 },
		{ NULL, NULL, 0, 0, 0, NULL, 0 }
	};
	struct lws_context_creation_info info;
	struct lws_client_connect_info ci;
	struct lws_context *ctx;
	char url[512], cookie[128], path[4096], host[256];
	int port, tls, limit = g.enroll != NULL ? 120 : 40;
	struct timespec now;
	double deadline;

	if (service_read_url(state_dir, url, sizeof url) < 0) {
		fprintf(stderr, PROG ": no running daemon: %s/url is missing (start smartofficed, "
		    "or give its --state-dir)\n", state_dir);
		json_decref(request);
		return -1;
	}
	snprintf(path, sizeof path, "%s/%s", state_dir, ADMIN_COOKIE_FILE);
	if (read_line(path, cookie, sizeof cookie) < 0) {
		fprintf(stderr, PROG ": %s: %s (run as the daemon's user or root)\n", path, strerror(errno));
		json_decref(request);
		return -1;
	}
	if (parse_url(url, host, sizeof host, &port, &tls) < 0) {
		fprintf(stderr, PROG ": %s/url: cannot read \"%s\" as http(s)://HOST:PORT\n", state_dir, url);
		json_decref(request);
		return -1;
	}
	/* Listening on every address: this machine's loopback reaches it. */
	if (!strcmp(host, "0.0.0.0") || !strcmp(host, "::"))
		snprintf(host, sizeof host, "127.0.0.1");
	json_object_set_new(request, "id", json_integer(REQ_ID));
	{
		json_t *h = json_pack("{s:s, s:s, s:s, s:s, s:i}", "type", "hello", "role", "admin",
		    "name", "command line", "token", cookie, "id", 1);
		g.hello = json_dumps(h, JSON_COMPACT);
		json_decref(h);
	}
	g.request = json_dumps(request, JSON_COMPACT);
	json_decref(request);
	g.want_snapshot = want_snapshot;

	lws_set_log_level(LLL_ERR, NULL);
	memset(&info, 0, sizeof info);
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	if (tls)
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	if ((ctx = lws_create_context(&info)) == NULL) {
		fprintf(stderr, PROG ": cannot start the websocket client\n");
		return -1;
	}
	memset(&ci, 0, sizeof ci);
	ci.context = ctx;
	ci.address = host;
	ci.port = port;
	ci.path = "/ws";
	ci.host = host;
	ci.protocol = "smartoffice";
	/* Its own loopback daemon: a self-signed certificate is expected. */
	if (tls)
		ci.ssl_connection = LCCSCF_USE_SSL | LCCSCF_ALLOW_SELFSIGNED |
		    LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK | LCCSCF_ALLOW_EXPIRED;
	if (lws_client_connect_via_info(&ci) == NULL) {
		fprintf(stderr, PROG ": cannot connect to %s\n", url);
		lws_context_destroy(ctx);
		return -1;
	}
	/* 40 s at most (an enrollment: 120 s; its five poses take at most
	 * 40 s of the camera's time), by the clock: the messages that keep
	 * coming (events, enroll steps) do not push the deadline on. */
	clock_gettime(CLOCK_MONOTONIC, &now);
	deadline = (double)now.tv_sec + now.tv_nsec / 1e9 + limit;
	if (g.enroll != NULL) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_signal;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	while (!g.done) {
		int late = (double)now.tv_sec + now.tv_nsec / 1e9 >= deadline;
		/* An enrollment given up (interrupted, out of time) is
		 * cancelled, and its "failed: cancelled" waited for (5 s). */
		if (g.enroll != NULL && g.sent >= 2 && g.cancel == 0 && (interrupted || late) && g.wsi != NULL) {
			fprintf(stderr, PROG ": %s: cancelling the enrollment\n", interrupted ? "interrupted" : "out of time");
			g.cancel = 1;
			deadline = (double)now.tv_sec + now.tv_nsec / 1e9 + 5;
			lws_callback_on_writable(g.wsi);
		} else if (late)
			break;
		if (lws_service(ctx, 100) < 0)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
	}
	lws_context_destroy(ctx);
	free(g.hello);
	free(g.request);
	free(g.rx);
	if (g.error[0]) {
		fprintf(stderr, PROG ": %s\n", g.error);
		return -1;
	}
	if (g.reply == NULL || (want_snapshot && g.snapshot == NULL) || (g.enroll != NULL && !g.done)) {
		fprintf(stderr, PROG ": no answer from %s within %d s\n", url, limit);
		return -1;
	}
	return 0;
}

static const char *
s_of(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "";
}

static void
print_status(const json_t *st)
{
	const json_t *devs = json_object_get(st, "devices"), *sp = json_object_get(st, "speech"), *v;
	const json_t *demo = json_object_get(st, "demo");
	const char *k;
	size_t i;

	printf("daemon: up %.0f s, screen %s, %s mode\n", json_number_value(json_object_get(st, "uptime_s")),
	    s_of(st, "screen"), s_of(st, "mode"));
	json_object_foreach((json_t *)devs, k, v) {
		printf("%-13s %-8s %s%s%s\n", k, s_of(v, "state"), s_of(v, "spec"),
		    s_of(v, "reason")[0] ? ": " : "", s_of(v, "reason"));
	}
	printf("speech: engine %s, heads %s", s_of(sp, "engine"), s_of(sp, "heads"));
	if (json_is_number(json_object_get(sp, "level_db")))
		printf(", level %.1f dBFS", json_number_value(json_object_get(sp, "level_db")));
	printf("\n");
	json_object_foreach(json_object_get(sp, "models"), k, v)
		printf("  %-9s sha256 %.16s…\n", k, json_string_value(v));
	printf("demo: %s%s%s%s\n", s_of(demo, "state"), s_of(demo, "why")[0] ? " (" : "", s_of(demo, "why"),
	    s_of(demo, "why")[0] ? ")" : "");
	printf("clients (%zu):\n", json_array_size(json_object_get(st, "clients")));
	json_array_foreach(json_object_get(st, "clients"), i, v)
		printf("  %-4lld %-8s %-8s %-20s %-24s %6.0f s  %s\n",
		    (long long)json_integer_value(json_object_get(v, "id")), s_of(v, "role"), s_of(v, "view"),
		    s_of(v, "name"), s_of(v, "address"), json_number_value(json_object_get(v, "connected_s")),
		    s_of(v, "token_id"));
	printf("paired (%zu):\n", json_array_size(json_object_get(st, "paired")));
	json_array_foreach(json_object_get(st, "paired"), i, v)
		printf("  %s  %-8s %-24s created %s, last seen %s\n", s_of(v, "id"), s_of(v, "role"),
		    s_of(v, "name"), s_of(v, "created"), s_of(v, "last_seen")[0] ? s_of(v, "last_seen") : "-");
	printf("utterances (%zu):\n", json_array_size(json_object_get(st, "utterances")));
	json_array_foreach(json_object_get(st, "utterances"), i, v) {
		printf("  %s  %-12s %-8s %-20s \"%s\"", s_of(v, "time"), s_of(v, "source"), s_of(v, "result"),
		    s_of(v, "id"), s_of(v, "text"));
		if (json_is_number(json_object_get(v, "confidence")))
			printf(" %.3f", json_number_value(json_object_get(v, "confidence")));
		printf("\n");
	}
}

static void
print_audit(const json_t *st)
{
	const json_t *v;
	size_t i;

	json_array_foreach(json_object_get(st, "audit"), i, v)
		printf("%s  %-10s %-24s by %s\n", s_of(v, "time"), s_of(v, "what"), s_of(v, "detail"),
		    s_of(v, "by"));
}

static int
write_jpeg(const char *path, const char *b64)
{
	size_t n = strlen(b64), cap = n / 4 * 3 + 3;
	unsigned char *raw = malloc(cap);
	int len;
	FILE *f;

	if (raw == NULL)
		return -1;
	len = lws_b64_decode_string_len(b64, (int)n, (char *)raw, (int)cap);
	if (len <= 0 || (f = fopen(path, "wb")) == NULL) {
		if (len > 0)
			fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
		free(raw);
		return -1;
	}
	if (fwrite(raw, 1, (size_t)len, f) != (size_t)len || fclose(f) != 0) {
		fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
		free(raw);
		return -1;
	}
	free(raw);
	return len;
}

int
admin_cli(int argc, char **argv, const char *state_dir)
{
	const char *cmd;
	int rc = 0, json = 0;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h") || (i == 1 && !strcmp(argv[i], "help"))) {
			usage(stdout);
			return 0;
		}
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "status") || !strcmp(cmd, "audit")) {
		for (int i = 2; i < argc; i++) {
			if (!strcmp(argv[i], "--json") && !strcmp(cmd, "status"))
				json = 1;
			else
				return usage_error("unexpected argument \"%s\"", argv[i]);
		}
		if (ask(state_dir, json_pack("{s:s}", "type", "admin-status"), 0) < 0)
			return 1;
		if (json) {
			json_object_del(g.reply, "id");
			char *s = json_dumps(g.reply, JSON_INDENT(1));
			puts(s);
			free(s);
		} else if (!strcmp(cmd, "status"))
			print_status(g.reply);
		else
			print_audit(g.reply);
	} else if (!strcmp(cmd, "command")) {
		char text[ADMIN_TEXT_MAX + 1] = "";
		size_t n = 0;
		if (argc < 3)
			return usage_error("command needs the words: smartofficed admin command show me air quality");
		for (int i = 2; i < argc; i++) {
			int w = snprintf(text + n, sizeof text - n, "%s%s", i > 2 ? " " : "", argv[i]);
			if (w < 0 || (size_t)w >= sizeof text - n)
				return usage_error("command: at most %s bytes", "200");
			n += (size_t)w;
		}
		if (ask(state_dir, json_pack("{s:s, s:s}", "type", "typed", "text", text), 0) < 0)
			return 1;
		if (!strcmp(s_of(g.reply, "result"), "command")) {
			printf("command: %s%s\n", s_of(g.reply, "content"), s_of(g.reply, "command"));
		} else {
			printf("rejected: %s (\"%s\" names nothing in the catalogue)\n", s_of(g.reply, "reason"),
			    s_of(g.reply, "words"));
			rc = 1;
		}
	} else if (!strcmp(cmd, "demo")) {
		if (argc != 3 || (strcmp(argv[2], "on") && strcmp(argv[2], "off")))
			return usage_error("demo needs on or off");
		if (ask(state_dir, json_pack("{s:s, s:b}", "type", "demo", "on", !strcmp(argv[2], "on")), 0) < 0)
			return 1;
		printf("demo session %s\n", argv[2]);
	} else if (!strcmp(cmd, "snapshot")) {
		int len;
		if (argc != 3)
			return usage_error("snapshot needs a FILE.jpg to write");
		if (ask(state_dir, json_pack("{s:s}", "type", "snapshot"), 1) < 0)
			return 1;
		if ((len = write_jpeg(argv[2], s_of(g.snapshot, "jpeg"))) < 0)
			rc = 1;
		else
			printf("%s: %d bytes, %lldx%lld, room camera at %.2f s\n", argv[2], len,
			    (long long)json_integer_value(json_object_get(g.snapshot, "w")),
			    (long long)json_integer_value(json_object_get(g.snapshot, "h")),
			    json_number_value(json_object_get(g.snapshot, "t")));
	} else if (!strcmp(cmd, "enroll")) {
		if (argc != 3)
			return usage_error("enroll needs the NAME to enroll");
		g.enroll = argv[2];
		if (ask(state_dir, json_pack("{s:s, s:s}", "type", "enroll", "name", argv[2]), 0) < 0)
			return 1;
		rc = g.enrolled ? 0 : 1;
	} else
		return usage_error("unknown command \"%s\" (status, audit, command, demo, snapshot, enroll)", cmd);
	json_decref(g.reply);
	json_decref(g.snapshot);
	return rc;
}
