/* one_euro — the One Euro filter (see one_euro.h). */
#include "models/one_euro.h"

#include <math.h>

/* Smoothing factor of an exponential low-pass with this cutoff for a step
 * of dt seconds: the paper's alpha = 1 / (1 + tau/dt). */
static double
oe_alpha(double cutoff, double dt)
{
	double tau = 1.0 / (2.0 * M_PI * cutoff);

	return 1.0 / (1.0 + tau / dt);
}

void
one_euro_init(struct one_euro *f, double min_cutoff, double beta, double d_cutoff)
{
	f->min_cutoff = min_cutoff > 0 ? min_cutoff : 1.0;
	f->beta = beta >= 0 ? beta : 0.0;
	f->d_cutoff = d_cutoff > 0 ? d_cutoff : 1.0;
	one_euro_reset(f);
}

void
one_euro_reset(struct one_euro *f)
{
	f->primed = 0;
	f->x_prev = f->dx_prev = f->t_prev = 0.0;
}

double
one_euro_filter(struct one_euro *f, double x, double t)
{
	double dt, dx, edx, cutoff, a;

	if (!f->primed) {
		f->primed = 1;
		f->x_prev = x;
		f->dx_prev = 0.0;
		f->t_prev = t;
		return x;
	}
	dt = t - f->t_prev;
	if (!(dt > 0.0))
		return f->x_prev;
	dx = (x - f->x_prev) / dt;
	a = oe_alpha(f->d_cutoff, dt);
	edx = f->dx_prev + a * (dx - f->dx_prev);
	cutoff = f->min_cutoff + f->beta * fabs(edx);
	a = oe_alpha(cutoff, dt);
	f->x_prev = f->x_prev + a * (x - f->x_prev);
	f->dx_prev = edx;
	f->t_prev = t;
	return f->x_prev;
}

void
one_euro2_init(struct one_euro2 *f, double min_cutoff, double beta, double d_cutoff)
{
	one_euro_init(&f->x, min_cutoff, beta, d_cutoff);
	one_euro_init(&f->y, min_cutoff, beta, d_cutoff);
}

void
one_euro2_reset(struct one_euro2 *f)
{
	one_euro_reset(&f->x);
	one_euro_reset(&f->y);
}

void
one_euro2_filter(struct one_euro2 *f, double *x, double *y, double t)
{
	*x = one_euro_filter(&f->x, *x, t);
	*y = one_euro_filter(&f->y, *y, t);
}
