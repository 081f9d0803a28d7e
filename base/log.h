/*
 * log — levelled messages on stderr, in the OpenBSD style.
 *
 * log_warn() appends strerror(errno); log_warnx() does not.  When stderr is a
 * systemd journal stream (JOURNAL_STREAM is set) each line starts with the
 * syslog priority "<N>" so journald files it at the right level; on a
 * terminal (or a file) it starts with the local time (ISO 8601, milliseconds)
 * and the level's name instead.  fatal() is only for
 * start-up and broken invariants.
 */
#ifndef SO_LOG_H
#define SO_LOG_H

#include <stdarg.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum log_level { LOG_LVL_ERR = 3, LOG_LVL_WARN = 4, LOG_LVL_INFO = 6, LOG_LVL_DEBUG = 7 };

void log_init(int verbosity);              /* 0 = info, 1 = debug, -1 = warnings only */
void log_set_verbosity(int verbosity);
int  log_enabled(enum log_level lvl);
void log_msg(enum log_level lvl, int with_errno, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_debug(...) log_msg(LOG_LVL_DEBUG, 0, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LVL_INFO, 0, __VA_ARGS__)
#define log_warnx(...) log_msg(LOG_LVL_WARN, 0, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LVL_WARN, 1, __VA_ARGS__)
#define log_errx(...)  log_msg(LOG_LVL_ERR, 0, __VA_ARGS__)

void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Writes a reason into a caller-supplied buffer (err may be NULL), as
 * Redis' anetSetError: modules return -1 and the caller decides what to do. */
/* "2026-12-02T09:30:15.042+09:00": the time now as log lines carry it
 * (local time, milliseconds, the offset); len >= 32. */
void log_stamp(char *buf, size_t len);
void log_seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Appends one "PATH:LINE: message\n" (or "PATH: message\n" when line is
 * 0) to the error list buf (cap bytes, *len used; always NUL-terminated,
 * cut when full): the parsers that report every mistake of a file at once
 * (catalogue, office file). */
void log_append_error(char *buf, size_t cap, size_t *len, const char *path, int line,
                      const char *fmt, va_list ap);

#ifdef __cplusplus
}
#endif

#endif
