/*
 * test_one_euro — the One Euro filter (models/one_euro.c): a constant
 * passes unchanged, jitter on a still point is cut, a fast ramp lags little
 * and less with a higher beta, uneven time steps and repeated time stamps
 * behave.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "models/one_euro.h"

/* Deterministic Gaussian noise (xorshift64 + Box-Muller). */
static uint64_t rng = 88172645463325252ULL;

static double
uniform(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return ((rng >> 11) + 0.5) / 9007199254740992.0;
}

static double
gauss(void)
{
	return sqrt(-2.0 * log(uniform())) * cos(2.0 * M_PI * uniform());
}

static void
test_constant(void **state)
{
	struct one_euro f;

	(void)state;
	one_euro_init(&f, 1.0, 0.5, 1.0);
	for (int i = 0; i < 300; i++)
		assert_true(fabs(one_euro_filter(&f, 0.37, i / 30.0) - 0.37) < 1e-12);
}

/* Std of the filter's output for a still point with N(0, 1) noise. */
static double
still_std(double min_cutoff, double beta)
{
	struct one_euro f;
	double s = 0, ss = 0;
	int n = 0;

	one_euro_init(&f, min_cutoff, beta, 1.0);
	for (int i = 0; i < 3000; i++) {
		double y = one_euro_filter(&f, 5.0 + 0.01 * gauss(), i / 30.0);
		if (i >= 60) {		/* past the start-up */
			s += y;
			ss += y * y;
			n++;
		}
	}
	s /= n;
	return sqrt(ss / n - s * s) / 0.01;
}

static void
test_jitter(void **state)
{
	double r1, r2;

	(void)state;
	/* 30 Hz samples, cutoff 1 Hz: alpha 0.173, theory std x
	 * sqrt(alpha / (2 - alpha)) = 0.31; measured 0.303 with beta 0, 0.315
	 * with a beta that reacts a little to the noise's own speed. */
	r1 = still_std(1.0, 0.0);
	r2 = still_std(1.0, 1.0);
	print_message("jitter std ratio: beta 0 %.3f, beta 1 %.3f\n", r1, r2);
	assert_true(r1 < 0.33);
	assert_true(r2 < 0.34);
	assert_true(still_std(0.3, 0.0) < r1);	/* lower cutoff, less jitter */
}

/* Lag (output behind input, in input units) at the end of a 1 s ramp of
 * speed 1/s, sampled at 30 Hz. */
static double
ramp_lag(double beta)
{
	struct one_euro f;
	double y = 0;
	int i;

	one_euro_init(&f, 1.0, beta, 1.0);
	for (i = 0; i < 30; i++)
		y = one_euro_filter(&f, 0.0, i / 30.0);
	for (i = 0; i <= 30; i++)
		y = one_euro_filter(&f, i / 30.0, (30 + i) / 30.0);
	return 1.0 - y;
}

static void
test_ramp(void **state)
{
	double l0, l1, l10;

	(void)state;
	l0 = ramp_lag(0.0);
	l1 = ramp_lag(1.0);
	l10 = ramp_lag(10.0);
	print_message("ramp lag: beta 0 %.3f, 1 %.3f, 10 %.3f\n", l0, l1, l10);
	/* beta 0 is a plain 1 Hz low-pass: lag ~ speed*tau = 0.16 once steady. */
	assert_true(l0 > 0.1);
	assert_true(l1 < l0);
	assert_true(l10 < l1);
	assert_true(l10 < 0.03);
}

static void
test_variable_steps(void **state)
{
	struct one_euro a, b;
	double t = 0, ya = 0, yb = 0, ymin = 1e9, ymax = -1e9;

	(void)state;
	/* Uneven steps (10..100 ms) converge to a step input, monotonically,
	 * without overshoot, like even ones. */
	one_euro_init(&a, 1.0, 0.5, 1.0);
	one_euro_init(&b, 1.0, 0.5, 1.0);
	one_euro_filter(&a, 0.0, 0.0);
	one_euro_filter(&b, 0.0, 0.0);
	for (int i = 1; i <= 200; i++) {
		double prev = ya;
		t += 0.01 + 0.09 * uniform();
		ya = one_euro_filter(&a, 1.0, t);
		assert_true(ya >= prev - 1e-12);
		if (ya < ymin) ymin = ya;
		if (ya > ymax) ymax = ya;
	}
	for (int i = 1; i <= 200; i++)
		yb = one_euro_filter(&b, 1.0, i / 30.0);
	assert_true(ymax <= 1.0 + 1e-12);
	assert_true(fabs(ya - 1.0) < 1e-3);
	assert_true(fabs(yb - 1.0) < 1e-3);
	/* The same time span in one big step moves further than in a small
	 * one: the step size is used, not ignored. */
	one_euro_reset(&a);
	one_euro_filter(&a, 0.0, 0.0);
	double big = one_euro_filter(&a, 1.0, 0.5);
	one_euro_reset(&a);
	one_euro_filter(&a, 0.0, 0.0);
	double small = one_euro_filter(&a, 1.0, 0.01);
	assert_true(big > small);
	/* A repeated time stamp keeps the previous output. */
	assert_true(fabs(one_euro_filter(&a, 7.0, 0.01) - small) < 1e-12);
}

static void
test_2d(void **state)
{
	struct one_euro2 f;
	double x = 0.2, y = 0.8;

	(void)state;
	one_euro2_init(&f, 1.0, 0.5, 1.0);
	one_euro2_filter(&f, &x, &y, 0.0);
	assert_true(x == 0.2 && y == 0.8);
	x = 0.4, y = 0.8;
	one_euro2_filter(&f, &x, &y, 1 / 30.0);
	assert_true(x > 0.2 && x < 0.4);
	assert_true(fabs(y - 0.8) < 1e-12);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_constant),
		cmocka_unit_test(test_jitter),
		cmocka_unit_test(test_ramp),
		cmocka_unit_test(test_variable_steps),
		cmocka_unit_test(test_2d),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
