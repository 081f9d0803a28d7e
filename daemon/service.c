#include "daemon/service.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <systemd/sd-daemon.h>

#include "base/log.h"
#include "base/sysio.h"

static int notifying;			/* NOTIFY_SOCKET is set */
static uint64_t watchdog_usec;		/* 0: systemd wants no pings */
static char status[1100];		/* the last STATUS= without the count */
static size_t last_clients = (size_t)-1;
static char url_path[4096];		/* STATE_DIR/url once published */

void
service_init(void)
{
	const char *s = getenv("NOTIFY_SOCKET");
	int r;

	notifying = s != NULL && *s != '\0';
	watchdog_usec = 0;
	r = sd_watchdog_enabled(0, &watchdog_usec);
	if (r < 0) {
		log_warnx("systemd: bad WATCHDOG_USEC or WATCHDOG_PID (%s): no watchdog pings", strerror(-r));
		watchdog_usec = 0;
	} else if (r == 0)
		watchdog_usec = 0;
	else if (watchdog_usec < 2000000)
		/* The pings come from the 1 s timer: a shorter period would
		 * have systemd kill a daemon that is merely busy for a moment. */
		log_warnx("systemd: WatchdogSec=%.1f s is under 2 s, the daemon pings once a second",
		    watchdog_usec / 1e6);
	else
		log_info("systemd: watchdog every %.1f s", watchdog_usec / 1e6);
}

unsigned long long
service_watchdog_usec(void)
{
	return watchdog_usec;
}

/* One datagram; failures are logged once, they never stop the daemon. */
static void
notify(const char *msg)
{
	static int warned;
	int r;

	if (!notifying)
		return;
	if ((r = sd_notify(0, msg)) < 0 && !warned) {
		warned = 1;
		log_warnx("systemd: sd_notify: %s", strerror(-r));
	}
}

void
service_ready(const char *st)
{
	char msg[1200];

	if (st != NULL)
		snprintf(status, sizeof status, "%s", st);
	last_clients = (size_t)-1;
	snprintf(msg, sizeof msg, "READY=1\nSTATUS=%s", status);
	notify(msg);
}

void
service_started(const char *state_dir, const char *public_url, const char *address, int port, int tls)
{
	char url[1024], st[1100], err[4400];
	static int inited;

	if (!inited++)		/* at start; a reload comes here again */
		service_init();
	service_base_url(public_url, address, port, tls, url, sizeof url);
	if (service_publish_url(state_dir, url, err, sizeof err) < 0)
		log_warnx("%s (smartofficed tokens add will print the configured address)", err);
	snprintf(st, sizeof st, "serving %s/", url);
	service_ready(st);
}

void
service_tick(size_t clients)
{
	char msg[1200];

	if (watchdog_usec > 0)
		notify("WATCHDOG=1");
	if (clients == last_clients || status[0] == '\0')
		return;
	last_clients = clients;
	snprintf(msg, sizeof msg, "STATUS=%s; %zu client%s", status, clients, clients == 1 ? "" : "s");
	notify(msg);
}

void
service_reloading(void)
{
	notify("RELOADING=1\nSTATUS=reloading the configuration");
}

void
service_stopping(void)
{
	notify("STOPPING=1\nSTATUS=stopping");
	if (url_path[0] != '\0' && sysio_unlink(url_path) < 0 && errno != ENOENT)
		log_warn("%s", url_path);
	url_path[0] = '\0';
}

/*
 * The address other machines reach this one at, for a daemon listening on
 * every address: the source address of the default route, learnt by
 * connecting a UDP socket (nothing is sent) to a documentation address.
 * No getifaddrs(): that needs netlink, which the unit refuses.
 */
static void
primary_address(char *buf, size_t len)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9) }, me;
	socklen_t n = sizeof me;
	int fd;

	snprintf(buf, len, "127.0.0.1");
	inet_pton(AF_INET, "192.0.2.1", &to.sin_addr);	/* TEST-NET-1 */
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return;
	if (connect(fd, (struct sockaddr *)&to, sizeof to) == 0 &&
	    getsockname(fd, (struct sockaddr *)&me, &n) == 0 && me.sin_addr.s_addr != htonl(INADDR_ANY))
		inet_ntop(AF_INET, &me.sin_addr, buf, (socklen_t)len);
	close(fd);
}

void
service_base_url(const char *public_url, const char *address, int port, int tls, char *buf, size_t len)
{
	size_t n;

	if (public_url != NULL && *public_url != '\0')
		snprintf(buf, len, "%s", public_url);
	else if (address == NULL || *address == '\0' || !strcmp(address, "*") ||
	    !strcmp(address, "0.0.0.0") || !strcmp(address, "::")) {
		char host[INET_ADDRSTRLEN];
		primary_address(host, sizeof host);
		snprintf(buf, len, "%s://%s:%d", tls ? "https" : "http", host, port);
	}
	else if (strchr(address, ':') != NULL)	/* IPv6 */
		snprintf(buf, len, "%s://[%s]:%d", tls ? "https" : "http", address, port);
	else
		snprintf(buf, len, "%s://%s:%d", tls ? "https" : "http", address, port);
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == '/')
		buf[--n] = '\0';
}

int
service_publish_url(const char *state_dir, const char *url, char *err, size_t errlen)
{
	char path[4096], text[4200];
	int n;

	snprintf(path, sizeof path, "%s/url", state_dir);
	n = snprintf(text, sizeof text, "%s\npid %ld\n", url, (long)getpid());
	if (sysio_replace(path, text, (size_t)n < sizeof text ? (size_t)n : sizeof text - 1, 0644,
	    err, errlen) < 0)
		return -1;
	snprintf(url_path, sizeof url_path, "%s", path);
	return 0;
}

int
service_read_url(const char *state_dir, char *buf, size_t len)
{
	char path[4096], line[1024];
	long pid = 0;
	FILE *f;
	size_t n;

	snprintf(path, sizeof path, "%s/url", state_dir);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	if (fgets(line, sizeof line, f) == NULL || fscanf(f, "pid %ld", &pid) != 1 || pid <= 0) {
		fclose(f);
		return -1;
	}
	fclose(f);
	/* A daemon killed with SIGKILL leaves the file behind.  EPERM: it
	 * runs as another user (the service's), so it is there. */
	if (kill((pid_t)pid, 0) < 0 && errno != EPERM)
		return -1;
	n = strcspn(line, "\r\n");
	if (n == 0 || n >= len || strstr(line, "://") == NULL)
		return -1;
	memcpy(buf, line, n);
	buf[n] = '\0';
	return 0;
}
