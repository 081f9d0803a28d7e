/*
 * retry — when to try a device again after it went away: the back-off
 * every supervised device (cameras, the microphone, the shelf door) shares.
 *
 * A loss schedules the first attempt backoff_min after it; each failed
 * attempt doubles the wait up to backoff_max; success resets it.  The
 * caller's loop keeps control: retry_wait sleeps at most max_block and says
 * whether an attempt is due.  The clock can be a test's (now/sleep).
 */
#ifndef SO_RETRY_H
#define SO_RETRY_H

struct retry_conf {
	double backoff_min;      /* first attempt this long after a loss (s) */
	double backoff_max;      /* doubling up to this (s) */
	double max_block;        /* longest one retry_wait sleeps (s) */
	/* A fake clock for tests; NULL: clock_mono and clock_sleep. */
	double (*now)(void *arg);
	void   (*sleep)(void *arg, double seconds);
	void    *clock_arg;
};

struct retry {
	struct retry_conf conf;
	double   backoff, next;
	unsigned losses, attempts;
};

/* conf's zero fields take the defaults given (and backoff_max is at
 * least backoff_min). */
void     retry_init(struct retry *r, const struct retry_conf *conf, double backoff_min,
                    double backoff_max, double max_block);
/* The device was just lost: counted, the first attempt scheduled. */
void     retry_lost(struct retry *r);
/* 1 when an attempt is due now (it is counted); else 0 after sleeping at
 * most block seconds (0: the conf's max_block), with the seconds still to
 * wait in *left (may be NULL). */
int      retry_wait(struct retry *r, double block, double *left);
/* The attempt failed: the wait doubles (up to backoff_max). */
void     retry_failed(struct retry *r);
/* The device is back: the next loss starts from backoff_min again. */
void     retry_ok(struct retry *r);
/* Seconds until the next attempt (0 when due). */
double   retry_in(const struct retry *r);
double   retry_now(const struct retry *r);

#endif
