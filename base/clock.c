#include "base/clock.h"

#include <errno.h>
#include <math.h>
#include <time.h>

double
clock_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct timespec
to_ts(double s)
{
	struct timespec ts;
	double whole = floor(s);

	ts.tv_sec = (time_t)whole;
	ts.tv_nsec = (long)((s - whole) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

void
clock_sleep(double s)
{
	struct timespec ts;

	if (!(s > 0))
		return;
	ts = to_ts(s);
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

void
clock_sleep_until(double t)
{
	struct timespec ts;

	if (!(t > 0))
		return;
	ts = to_ts(t);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}
