#include "base/retry.h"

#include "base/clock.h"

#include <stddef.h>

static double
real_now(void *arg)
{
	(void)arg;
	return clock_mono();
}

static void
real_sleep(void *arg, double s)
{
	(void)arg;
	clock_sleep(s);
}

void
retry_init(struct retry *r, const struct retry_conf *conf, double backoff_min, double backoff_max,
    double max_block)
{
	struct retry_conf c = { 0 };

	if (conf != NULL)
		c = *conf;
	if (c.backoff_min <= 0)
		c.backoff_min = backoff_min;
	if (c.backoff_max <= 0)
		c.backoff_max = backoff_max;
	if (c.backoff_max < c.backoff_min)
		c.backoff_max = c.backoff_min;
	if (c.max_block <= 0)
		c.max_block = max_block;
	if (c.now == NULL || c.sleep == NULL) {
		c.now = real_now;
		c.sleep = real_sleep;
		c.clock_arg = 0;
	}
	r->conf = c;
	r->backoff = c.backoff_min;
	r->next = 0;
	r->losses = r->attempts = 0;
}

double
retry_now(const struct retry *r)
{
	return r->conf.now(r->conf.clock_arg);
}

void
retry_lost(struct retry *r)
{
	r->losses++;
	r->backoff = r->conf.backoff_min;
	r->next = retry_now(r) + r->backoff;
}

int
retry_wait(struct retry *r, double block, double *left)
{
	double now = retry_now(r);

	if (block <= 0)
		block = r->conf.max_block;
	if (now < r->next) {
		double d = r->next - now;
		r->conf.sleep(r->conf.clock_arg, d < block ? d : block);
		now = retry_now(r);
		if (now < r->next) {
			if (left != 0)
				*left = r->next - now;
			return 0;
		}
	}
	r->attempts++;
	return 1;
}

void
retry_failed(struct retry *r)
{
	r->backoff *= 2;
	if (r->backoff > r->conf.backoff_max)
		r->backoff = r->conf.backoff_max;
	r->next = retry_now(r) + r->backoff;
}

void
retry_ok(struct retry *r)
{
	r->backoff = r->conf.backoff_min;
}

double
retry_in(const struct retry *r)
{
	double d = r->next - retry_now(r);

	return d > 0 ? d : 0;
}
