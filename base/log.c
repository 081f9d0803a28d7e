#include "base/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int verbosity;
static int journal;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void
log_init(int v)
{
	verbosity = v;
	journal = getenv("JOURNAL_STREAM") != NULL;
}

void
log_set_verbosity(int v)
{
	verbosity = v;
}

int
log_enabled(enum log_level lvl)
{
	if (lvl == LOG_LVL_DEBUG)
		return verbosity >= 1;
	if (lvl == LOG_LVL_INFO)
		return verbosity >= 0;
	return 1;
}

static const char *
level_name(enum log_level lvl)
{
	switch (lvl) {
	case LOG_LVL_ERR:   return "error";
	case LOG_LVL_WARN:  return "warning";
	case LOG_LVL_INFO:  return "info";
	default:            return "debug";
	}
}

void
log_stamp(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char off[8];
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	if (strftime(off, sizeof off, "%z", &tm) != 5)	/* "+0900" */
		snprintf(off, sizeof off, "+0000");
	snprintf(buf + n, len - n, ".%03ld%.3s:%.2s", ts.tv_nsec / 1000000L, off, off + 3);
}

static void
vlog(enum log_level lvl, int with_errno, const char *fmt, va_list ap)
{
	int saved = errno;
	char msg[1024], when[48];

	vsnprintf(msg, sizeof msg, fmt, ap);
	if (!journal)	/* the journal stamps lines itself */
		log_stamp(when, sizeof when);
	/* One fprintf per line under a lock: threads never interleave. */
	pthread_mutex_lock(&log_lock);
	if (journal)
		fprintf(stderr, "<%d>", (int)lvl);
	else
		fprintf(stderr, "%s smartofficed: %s: ", when, level_name(lvl));
	if (with_errno)
		fprintf(stderr, "%s: %s\n", msg, strerror(saved));
	else
		fprintf(stderr, "%s\n", msg);
	pthread_mutex_unlock(&log_lock);
	errno = saved;
}

void
log_msg(enum log_level lvl, int with_errno, const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(lvl))
		return;
	va_start(ap, fmt);
	vlog(lvl, with_errno, fmt, ap);
	va_end(ap);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_ERR, 0, fmt, ap);
	va_end(ap);
	exit(1);
}

void
log_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void
log_append_error(char *buf, size_t cap, size_t *len, const char *path, int line, const char *fmt,
    va_list ap)
{
	int n;

	if (buf == NULL || cap == 0 || *len + 1 >= cap)
		return;
	n = line ? snprintf(buf + *len, cap - *len, "%s:%d: ", path, line)
	         : snprintf(buf + *len, cap - *len, "%s: ", path);
	if (n > 0)
		*len += (size_t)n < cap - *len ? (size_t)n : cap - *len - 1;
	n = vsnprintf(buf + *len, cap - *len, fmt, ap);
	if (n > 0)
		*len += (size_t)n < cap - *len ? (size_t)n : cap - *len - 1;
	if (*len + 1 < cap) {
		buf[(*len)++] = '\n';
		buf[*len] = '\0';
	}
}
