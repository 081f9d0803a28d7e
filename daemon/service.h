/*
 * service — how the daemon tells systemd what it is doing (sd_notify,
 * libsystemd), and where it tells local programs its address.
 *
 * Under a Type=notify unit (tools/systemd/smartofficed.service) systemd
 * passes NOTIFY_SOCKET; without it every call here does nothing, so a
 * daemon started by hand or by a test is unaffected.  The messages:
 *   READY=1 and STATUS=   once the port is open and the inputs are started
 *   WATCHDOG=1            from the 1 s housekeeping timer, only when
 *                         sd_watchdog_enabled() says systemd wants them
 *   RELOADING=1 ... READY=1 around a SIGHUP reload
 *   STOPPING=1            when the loop ends (SIGTERM, SIGINT, end of input)
 *
 * STATE_DIR/url holds the base URL the running daemon serves (its real
 * port, or public_url), so that `smartofficed tokens add` prints a link
 * that works even when the daemon was started with --port.  The file names
 * the daemon's pid on its second line and is removed when the daemon stops.
 *
 * Service thread only (the watchdog must prove that thread is alive).
 */
#ifndef SO_SERVICE_H
#define SO_SERVICE_H

#include <stddef.h>

/* Reads NOTIFY_SOCKET and WATCHDOG_USEC once (logs the watchdog period). */
void service_init(void);
/* The daemon listens and its inputs run: service_init() (the first time),
 * the base URL (service_base_url) published in STATE_DIR/url, READY=1
 * with STATUS=serving URL/.  Again after a reload (public_url may have
 * changed).  A failure to write the file is logged, no more. */
void service_started(const char *state_dir, const char *public_url, const char *address,
                     int port, int tls);
/* READY=1 with STATUS=status (NULL: the last one again). */
void service_ready(const char *status);
/* Housekeeping, once a second: WATCHDOG=1 when the watchdog is on; the
 * STATUS line again, with the client count, when that count changed. */
void service_tick(size_t clients);
/* RELOADING=1 before a reload; service_ready() again after it. */
void service_reloading(void);
/* STOPPING=1; removes STATE_DIR/url. */
void service_stopping(void);
/* The watchdog period systemd asked for, in microseconds (0: none). */
unsigned long long service_watchdog_usec(void);

/* The base URL clients reach the daemon at: public_url when it is set,
 * else SCHEME://ADDRESS:PORT (https with TLS; for a wildcard address the
 * machine's address on its default route, else 127.0.0.1).  No trailing
 * slash. */
void service_base_url(const char *public_url, const char *address, int port, int tls,
                      char *buf, size_t len);
/* Writes url and this pid into STATE_DIR/url (atomically: a temporary
 * file renamed).  0, or -1 with the reason in err. */
int  service_publish_url(const char *state_dir, const char *url, char *err, size_t errlen);
/* The URL a running daemon published in STATE_DIR/url: 0 and buf, or -1
 * when there is none (no file, a bad one, or its daemon is gone). */
int  service_read_url(const char *state_dir, char *buf, size_t len);

#endif
