/*
 * one_euro — the One Euro filter (Casiez, Roussel, Vogel, "1€ Filter: A
 * Simple Speed-based Low-pass Filter for Noisy Input in Interactive
 * Systems", CHI 2012).
 *
 * A first-order low-pass whose cutoff rises with the signal's speed: still,
 * it cuts at min_cutoff (little jitter); moving fast, at min_cutoff +
 * beta·|speed| (little lag).  The speed is itself low-passed at d_cutoff.
 * Time stamps may be unevenly spaced (dropped camera frames).
 */
#ifndef SO_ONE_EURO_H
#define SO_ONE_EURO_H

struct one_euro {
	double min_cutoff;	/* Hz: cutoff while still */
	double beta;		/* cutoff gained per unit of speed (1/unit) */
	double d_cutoff;	/* Hz: cutoff of the speed estimate */
	int    primed;		/* a first sample has been seen */
	double x_prev, dx_prev, t_prev;
};

/* Two filters sharing parameters: a cursor's x and y. */
struct one_euro2 {
	struct one_euro x, y;
};

/* Sets the parameters and forgets the history (nonsensical values are
 * replaced by the paper's defaults: 1 Hz, 0, 1 Hz). */
void   one_euro_init(struct one_euro *f, double min_cutoff, double beta, double d_cutoff);
/* Forgets the history, keeps the parameters: the next sample passes as is. */
void   one_euro_reset(struct one_euro *f);
/* Filters sample x taken at time t (seconds).  A time that does not move
 * forward returns the previous output unchanged, so a duplicate frame
 * cannot divide by zero. */
double one_euro_filter(struct one_euro *f, double x, double t);

void   one_euro2_init(struct one_euro2 *f, double min_cutoff, double beta, double d_cutoff);
void   one_euro2_reset(struct one_euro2 *f);
/* Filters the point (*x, *y) in place. */
void   one_euro2_filter(struct one_euro2 *f, double *x, double *y, double t);

#endif
