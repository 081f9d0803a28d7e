#include "base/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void
vlog(enum log_level lvl, int with_errno, const char *fmt, va_list ap)
{
	int saved = errno;
	char msg[1024];

	vsnprintf(msg, sizeof msg, fmt, ap);
	/* One fprintf per line under a lock: threads never interleave. */
	pthread_mutex_lock(&log_lock);
	if (journal)
		fprintf(stderr, "<%d>", (int)lvl);
	else
		fprintf(stderr, "smartofficed: %s: ", level_name(lvl));
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
