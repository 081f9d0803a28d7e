/*
 * hand — the hand-raise motion cursor (see hand.h, docs/gestures.md).
 *
 * Each frame is reduced to a grid of cells (a 2×2-pixel average every
 * `step` pixels, step chosen from the frame width so a 640-wide frame
 * gives 320 cells a row).  Per cell: Y, Cr, Cb.  A cell is a hand cell
 * when its chroma matches the skin of the face (learnt from the face box
 * every frame) and it differs from a background learnt slowly over time
 * (cells under the hand being tracked are not learnt, so a hand held still
 * stays foreground).  Hand cells are grouped into 8-connected blobs near
 * the face; a blob is a hand when its top part (one hand length from its
 * highest cell: fingers up, a bare forearm below is ignored) has the area
 * and width of a hand for this face size.  All distances are in face
 * widths, so the distance to the camera does not matter.
 */
#include "models/hand.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/one_euro.h"

#define HAND_MAXBLOBS	64
#define HAND_LEN	1.1	/* hand length, face widths (wrist to finger tips) */
#define BG_TAU		6.0	/* seconds: background learning time constant */
#define FACE_TAU	0.25	/* seconds: smoothing of the face anchor */
#define CAND_GAP	0.3	/* seconds a candidate may be missed */
#define CAND_SPEED	2.5	/* face widths/s: faster is passing, not held up */
#define OTHER_MIN_S	0.1	/* other-hand select: seen this long presses */

/* Zones, face widths from the face centre (u outwards on the hand's side,
 * v down).  Shoulders are at about v = 1.0; the face box spans
 * u = -0.5..0.5, v = -0.55..0.55. */
#define ENG_U0	0.9
#define ENG_U1	3.0
#define ENG_V0	-1.5
#define ENG_V1	0.6
#define TRK_U0	0.45
#define TRK_U1	3.6
#define TRK_V0	-2.0
#define TRK_V1	0.85

struct blob {
	int    n, ntop;
	int    x0, x1, y0, y1;		/* grid bbox, inclusive */
	int    tx0, tx1;		/* top part's columns */
	double hx, hy;			/* hand point, pixels */
	int    ok;			/* hand-sized */
};

struct hand_tracker {
	struct hand_config cfg;
	/* grid */
	int      w, h, step, gw, gh;
	uint8_t *cy, *ccr, *ccb, *mask, *hold;
	float   *bg;
	int     *lab, *stack;
	int      bg_ok;
	double   t_prev;
	/* skin model (Cr, Cb mean and spread) */
	int      skin_ok;
	double   mcr, mcb, scr, scb;
	/* face anchor */
	int      face_ok;
	struct cv_rect face;		/* smoothed */
	double   face_last_t;
	/* engagement candidate */
	int      cand;
	double   cand_t0, cand_last_t, cand_x, cand_y, cand_speed;
	/* engaged */
	int      engaged;
	int      have_hand;
	double   hand_last_t, hx, hy;
	struct one_euro2 oe;
	double   cur_x, cur_y;
	int      have_cursor;
	/* dwell */
	int      dwell_armed;
	double   dwell_t0, dwell_x, dwell_y;
	/* other hand */
	double   other_t0, other_last_t;
	int      other_seen, pressed;
	/* blobs of the current frame */
	struct blob blobs[HAND_MAXBLOBS];
	int      nblobs;
};

struct hand_config
hand_default_config(void)
{
	struct hand_config c;

	memset(&c, 0, sizeof c);
	c.engage_s = 3.0;
	c.disengage_s = 2.0;
	c.select = HAND_SELECT_DWELL;
	c.dwell_s = 1.0;
	c.dwell_radius = 0.04;
	c.mirrored = 0;
	c.oe_min_cutoff = 0.8;
	c.oe_beta = 4.0;
	c.oe_d_cutoff = 1.0;
	c.motion = 1;
	c.box_u0 = 0.8;
	c.box_u1 = 2.8;
	c.box_v0 = -1.3;
	c.box_v1 = 0.5;
	return c;
}

void
hand_cursor_map(const struct hand_config *cfg, const struct cv_rect *face,
    double hx, double hy, double *sx, double *sy)
{
	double side = cfg->mirrored ? 1.0 : -1.0;
	double fw = face->w > 1 ? face->w : 1;
	double u = (hx - (face->x + face->w / 2)) * side / fw;
	double v = (hy - (face->y + face->h / 2)) / fw;
	double x = (u - cfg->box_u0) / (cfg->box_u1 - cfg->box_u0);
	double y = (v - cfg->box_v0) / (cfg->box_v1 - cfg->box_v0);

	*sx = x < 0 ? 0 : x > 1 ? 1 : x;
	*sy = y < 0 ? 0 : y > 1 ? 1 : y;
}

struct hand_tracker *
hand_new(const struct hand_config *cfg, char *err, size_t errlen)
{
	struct hand_tracker *ht;

	if (!(cfg->engage_s >= 0 && cfg->engage_s <= 60) ||
	    !(cfg->disengage_s > 0 && cfg->disengage_s <= 60) ||
	    !(cfg->dwell_s > 0 && cfg->dwell_s <= 60) ||
	    !(cfg->dwell_radius > 0 && cfg->dwell_radius < 1) ||
	    !(cfg->oe_min_cutoff > 0) || !(cfg->oe_beta >= 0) || !(cfg->oe_d_cutoff > 0) ||
	    !(cfg->box_u1 > cfg->box_u0) || !(cfg->box_v1 > cfg->box_v0) ||
	    (cfg->select != HAND_SELECT_DWELL && cfg->select != HAND_SELECT_OTHER_HAND)) {
		snprintf(err, errlen, "hand: configuration out of range");
		return NULL;
	}
	if ((ht = calloc(1, sizeof *ht)) == NULL) {
		snprintf(err, errlen, "hand: out of memory");
		return NULL;
	}
	ht->cfg = *cfg;
	one_euro2_init(&ht->oe, cfg->oe_min_cutoff, cfg->oe_beta, cfg->oe_d_cutoff);
	return ht;
}

static void
hand_free_grid(struct hand_tracker *ht)
{
	free(ht->cy);
	free(ht->ccr);
	free(ht->ccb);
	free(ht->mask);
	free(ht->hold);
	free(ht->bg);
	free(ht->lab);
	free(ht->stack);
	ht->cy = ht->ccr = ht->ccb = ht->mask = ht->hold = NULL;
	ht->bg = NULL;
	ht->lab = ht->stack = NULL;
	ht->w = ht->h = ht->gw = ht->gh = 0;
}

void
hand_free(struct hand_tracker *ht)
{
	if (ht == NULL)
		return;
	hand_free_grid(ht);
	free(ht);
}

void
hand_reset(struct hand_tracker *ht)
{
	ht->bg_ok = 0;
	ht->skin_ok = 0;
	ht->face_ok = 0;
	ht->cand = 0;
	ht->engaged = 0;
	ht->have_hand = 0;
	ht->have_cursor = 0;
	ht->other_seen = ht->pressed = 0;
	one_euro2_reset(&ht->oe);
}

/* (Re)allocates the grid for a frame size; -1 when out of memory. */
static int
hand_grid(struct hand_tracker *ht, int w, int h)
{
	size_t n;

	if (ht->w == w && ht->h == h)
		return 0;
	hand_free_grid(ht);
	hand_reset(ht);
	ht->step = (w + 200) / 320;
	if (ht->step < 1)
		ht->step = 1;
	ht->gw = w / ht->step;
	ht->gh = h / ht->step;
	n = (size_t)ht->gw * ht->gh;
	ht->cy = malloc(n);
	ht->ccr = malloc(n);
	ht->ccb = malloc(n);
	ht->mask = malloc(n);
	ht->hold = calloc(n, 1);
	ht->bg = malloc(n * 3 * sizeof *ht->bg);
	ht->lab = malloc(n * sizeof *ht->lab);
	ht->stack = malloc(n * sizeof *ht->stack);
	if (!ht->cy || !ht->ccr || !ht->ccb || !ht->mask || !ht->hold || !ht->bg || !ht->lab || !ht->stack) {
		hand_free_grid(ht);
		return -1;
	}
	ht->w = w;
	ht->h = h;
	return 0;
}

/* Fills the cells: the mean of a 2×2 block at each grid point, in YCrCb
 * (JPEG's full-range coefficients). */
static void
hand_sample(struct hand_tracker *ht, const struct cv_image *im)
{
	int s = ht->step;

	for (int gy = 0; gy < ht->gh; gy++) {
		int y = gy * s;
		const uint8_t *r0 = im->data + (size_t)y * im->stride;
		const uint8_t *r1 = y + 1 < im->h ? r0 + im->stride : r0;
		for (int gx = 0; gx < ht->gw; gx++) {
			int x = gx * s, x1 = x + 1 < im->w ? x + 1 : x, i = gy * ht->gw + gx;
			int b = r0[3 * x] + r0[3 * x1] + r1[3 * x] + r1[3 * x1];
			int g = r0[3 * x + 1] + r0[3 * x1 + 1] + r1[3 * x + 1] + r1[3 * x1 + 1];
			int r = r0[3 * x + 2] + r0[3 * x1 + 2] + r1[3 * x + 2] + r1[3 * x1 + 2];
			/* Y = .299R + .587G + .114B; Cr = 128 + .713(R - Y); Cb = 128 + .564(B - Y) */
			int yy = (77 * r + 150 * g + 29 * b) >> 10;		/* /4 for the block */
			int cr = 128 + ((183 * (r - 4 * yy)) >> 10);
			int cb = 128 + ((144 * (b - 4 * yy)) >> 10);
			ht->cy[i] = (uint8_t)(yy > 255 ? 255 : yy);
			ht->ccr[i] = (uint8_t)(cr < 0 ? 0 : cr > 255 ? 255 : cr);
			ht->ccb[i] = (uint8_t)(cb < 0 ? 0 : cb > 255 ? 255 : cb);
		}
	}
}

/* Median and spread (1.4826 MAD) of a 256-bin histogram. */
static void
hist_stats(const int *hist, int n, double *med, double *sd)
{
	int dev[256] = { 0 }, c = 0, m = 0;

	for (m = 0; m < 256 && (c += hist[m]) * 2 < n; m++)
		;
	for (int i = 0; i < 256; i++)
		dev[abs(i - m)] += hist[i];
	c = 0;
	int k;
	for (k = 0; k < 256 && (c += dev[k]) * 2 < n; k++)
		;
	*med = m;
	*sd = 1.4826 * k;
}

/* Learns the skin chroma from the middle of the face box (cheeks, nose,
 * mouth; eyes, brows and shadows are left out by brightness). */
static void
hand_learn_skin(struct hand_tracker *ht, const struct cv_rect *f)
{
	int hcr[256] = { 0 }, hcb[256] = { 0 }, n = 0, s = ht->step;
	int x0 = (int)((f->x + 0.25 * f->w) / s), x1 = (int)((f->x + 0.75 * f->w) / s);
	int y0 = (int)((f->y + 0.35 * f->h) / s), y1 = (int)((f->y + 0.85 * f->h) / s);
	double mcr, mcb, scr, scb, a;

	if (x0 < 0) x0 = 0;
	if (y0 < 0) y0 = 0;
	if (x1 >= ht->gw) x1 = ht->gw - 1;
	if (y1 >= ht->gh) y1 = ht->gh - 1;
	for (int gy = y0; gy <= y1; gy++)
		for (int gx = x0; gx <= x1; gx++) {
			int i = gy * ht->gw + gx;
			if (ht->cy[i] < 45 || ht->cy[i] > 240)
				continue;
			hcr[ht->ccr[i]]++;
			hcb[ht->ccb[i]]++;
			n++;
		}
	if (n < 12)
		return;
	hist_stats(hcr, n, &mcr, &scr);
	hist_stats(hcb, n, &mcb, &scb);
	/* Plausible skin only: a face box on a poster or a bad detection
	 * must not teach that blue is skin. */
	if (mcr < 128 || mcr > 185 || mcb < 70 || mcb > 135)
		return;
	scr = fmin(fmax(scr, 2.5), 10) + 3;
	scb = fmin(fmax(scb, 2.5), 10) + 3;
	a = ht->skin_ok ? 0.3 : 1.0;
	ht->mcr += a * (mcr - ht->mcr);
	ht->mcb += a * (mcb - ht->mcb);
	ht->scr += a * (scr - ht->scr);
	ht->scb += a * (scb - ht->scb);
	ht->skin_ok = 1;
}

static int
hand_is_skin(const struct hand_tracker *ht, int i)
{
	int cr = ht->ccr[i], cb = ht->ccb[i];

	if (ht->cy[i] < 35)
		return 0;
	if (!ht->skin_ok)	/* fixed range (Chai & Ngan) until a face is seen */
		return cr >= 133 && cr <= 173 && cb >= 77 && cb <= 127;
	double dr = (cr - ht->mcr) / ht->scr, db = (cb - ht->mcb) / ht->scb;
	return dr * dr + db * db < 9.0;
}

static int
hand_is_fg(const struct hand_tracker *ht, int i)
{
	const float *b = ht->bg + 3 * (size_t)i;

	if (!ht->cfg.motion || !ht->bg_ok)
		return 1;
	return fabsf(ht->cy[i] - b[0]) > 14 || fabsf(ht->ccr[i] - b[1]) + fabsf(ht->ccb[i] - b[2]) > 9;
}

/* Face-relative coordinates of a pixel point for a side (+1 / -1). */
static void
hand_rel(const struct cv_rect *f, int side, double x, double y, double *u, double *v)
{
	*u = (x - (f->x + f->w / 2)) * side / f->w;
	*v = (y - (f->y + f->h / 2)) / f->w;
}

/* Finds the hand-coloured moving blobs around the face. */
static void
hand_blobs(struct hand_tracker *ht, const struct cv_rect *face)
{
	int s = ht->step, gw = ht->gw;
	double fw = face->w, fcx = face->x + face->w / 2, fcy = face->y + face->h / 2;
	int x0 = (int)((fcx - 4.0 * fw) / s), x1 = (int)((fcx + 4.0 * fw) / s);
	int y0 = (int)((fcy - 2.3 * fw) / s), y1 = (int)((fcy + 2.0 * fw) / s);
	int ex0 = (int)((face->x - 0.12 * fw) / s), ex1 = (int)((face->x + 1.12 * fw) / s);
	int ey0 = (int)((face->y - 0.45 * fw) / s), ey1 = (int)((face->y + face->h + 0.9 * fw) / s);
	double cell_area = (double)s * s / (fw * fw);
	int hand_rows = (int)(HAND_LEN * fw / s + 0.5);

	ht->nblobs = 0;
	if (x0 < 0) x0 = 0;
	if (y0 < 0) y0 = 0;
	if (x1 >= ht->gw) x1 = ht->gw - 1;
	if (y1 >= ht->gh) y1 = ht->gh - 1;
	if (x0 > x1 || y0 > y1)
		return;
	for (int gy = y0; gy <= y1; gy++)
		for (int gx = x0; gx <= x1; gx++) {
			int i = gy * gw + gx;
			ht->lab[i] = 0;
			ht->mask[i] = !(gx >= ex0 && gx <= ex1 && gy >= ey0 && gy <= ey1) &&
			    hand_is_skin(ht, i) && hand_is_fg(ht, i);
		}
	for (int gy = y0; gy <= y1; gy++)
		for (int gx = x0; gx <= x1; gx++) {
			int i = gy * gw + gx, sp = 0, start, n = 0;
			struct blob *b;
			if (!ht->mask[i] || ht->lab[i])
				continue;
			if (ht->nblobs == HAND_MAXBLOBS)
				return;
			b = &ht->blobs[ht->nblobs];
			memset(b, 0, sizeof *b);
			b->x0 = b->x1 = gx;
			b->y0 = b->y1 = gy;
			ht->lab[i] = ht->nblobs + 1;
			ht->stack[sp++] = i;
			/* Flood fill; the stack keeps every cell of the blob. */
			for (start = 0; start < sp; start++) {
				int c = ht->stack[start], cx = c % gw, cyy = c / gw;
				n++;
				if (cx < b->x0) b->x0 = cx;
				if (cx > b->x1) b->x1 = cx;
				if (cyy < b->y0) b->y0 = cyy;
				if (cyy > b->y1) b->y1 = cyy;
				for (int dy = -1; dy <= 1; dy++)
					for (int dx = -1; dx <= 1; dx++) {
						int nx = cx + dx, ny = cyy + dy, j;
						if (nx < x0 || nx > x1 || ny < y0 || ny > y1)
							continue;
						j = ny * gw + nx;
						if (ht->mask[j] && !ht->lab[j]) {
							ht->lab[j] = ht->nblobs + 1;
							ht->stack[sp++] = j;
						}
					}
			}
			b->n = n;
			if (n * cell_area < 0.04)
				continue;	/* a speck: not kept */
			/* Top part: one hand length from the highest cell. */
			double sx = 0;
			b->tx0 = gw, b->tx1 = -1;
			for (int k = 0; k < sp; k++) {
				int c = ht->stack[k], cx = c % gw, cyy = c / gw;
				if (cyy > b->y0 + hand_rows)
					continue;
				b->ntop++;
				sx += cx;
				if (cx < b->tx0) b->tx0 = cx;
				if (cx > b->tx1) b->tx1 = cx;
			}
			double area = b->ntop * cell_area, width = (b->tx1 - b->tx0 + 1) * (double)s / fw;
			double hpx = fmin((b->y1 - b->y0 + 1) * (double)s, HAND_LEN * fw);
			b->hx = (sx / b->ntop) * s + (s > 1 ? 1.0 : 0.5);
			b->hy = b->y0 * s + 0.5 * hpx;
			b->ok = area >= 0.12 && area <= 1.2 && width <= 1.6 &&
			    (b->y1 - b->y0 + 1) * (double)s / fw <= 4.5;
			ht->nblobs++;
		}
}

/* The hand blob in a zone for a side: the one nearest (px, py) when
 * near >= 0, else the largest; -1 when none. */
static int
hand_pick(const struct hand_tracker *ht, const struct cv_rect *f, int side,
    double u0, double u1, double v0, double v1, double px, double py, double maxjump)
{
	int best = -1;
	double bestv = 0;

	for (int k = 0; k < ht->nblobs; k++) {
		const struct blob *b = &ht->blobs[k];
		double u, v, val;
		if (!b->ok)
			continue;
		hand_rel(f, side, b->hx, b->hy, &u, &v);
		if (u < u0 || u > u1 || v < v0 || v > v1)
			continue;
		if (maxjump > 0) {
			double d = hypot(b->hx - px, b->hy - py);
			if (d > maxjump)
				continue;
			val = -d;
		} else
			val = b->ntop;
		if (best < 0 || val > bestv)
			best = k, bestv = val;
	}
	return best;
}

/* Cells under a blob's box (and a margin) are not learnt as background. */
static void
hand_hold(struct hand_tracker *ht, const struct blob *b, double fw)
{
	int m = (int)(0.3 * fw / ht->step) + 1;
	int x0 = b->x0 - m, x1 = b->x1 + m, y0 = b->y0 - m, y1 = b->y1 + m;

	if (x0 < 0) x0 = 0;
	if (y0 < 0) y0 = 0;
	if (x1 >= ht->gw) x1 = ht->gw - 1;
	if (y1 >= ht->gh) y1 = ht->gh - 1;
	for (int y = y0; y <= y1; y++)
		memset(ht->hold + (size_t)y * ht->gw + x0, 1, (size_t)(x1 - x0 + 1));
}

static void
hand_learn_bg(struct hand_tracker *ht, double dt)
{
	size_t n = (size_t)ht->gw * ht->gh;
	float a;

	if (!ht->bg_ok) {
		for (size_t i = 0; i < n; i++) {
			ht->bg[3 * i] = ht->cy[i];
			ht->bg[3 * i + 1] = ht->ccr[i];
			ht->bg[3 * i + 2] = ht->ccb[i];
		}
		ht->bg_ok = 1;
		return;
	}
	a = (float)(1.0 - exp(-(dt > 0 ? dt : 0) / BG_TAU));
	for (size_t i = 0; i < n; i++) {
		float *b = ht->bg + 3 * i;
		if (ht->hold[i])
			continue;
		b[0] += a * (ht->cy[i] - b[0]);
		b[1] += a * (ht->ccr[i] - b[1]);
		b[2] += a * (ht->ccb[i] - b[2]);
	}
}

static void
push(struct hand_event *ev, size_t max, int *n, enum hand_event_type type, double t,
    double x, double y, enum hand_cursor_state st, const char *reason)
{
	if ((size_t)*n >= max)
		return;
	ev[*n].type = type;
	ev[*n].t = t;
	ev[*n].x = (float)x;
	ev[*n].y = (float)y;
	ev[*n].state = st;
	ev[*n].reason = reason;
	(*n)++;
}

static void
hand_disengage(struct hand_tracker *ht, double t, const char *why, struct hand_event *ev,
    size_t max, int *n)
{
	if (ht->pressed)
		push(ev, max, n, HAND_CURSOR, t, ht->cur_x, ht->cur_y, HAND_RELEASE, NULL);
	push(ev, max, n, HAND_DISENGAGE, t, ht->cur_x, ht->cur_y, HAND_MOVE, why);
	ht->engaged = 0;
	ht->have_hand = 0;
	ht->have_cursor = 0;
	ht->cand = 0;
	ht->pressed = ht->other_seen = 0;
}

/* Engaged: follow the hand, move the cursor, select. */
static void
hand_track(struct hand_tracker *ht, const struct cv_rect *f, int side, double t,
    struct hand_event *ev, size_t max, int *n)
{
	const struct hand_config *c = &ht->cfg;
	int k = hand_pick(ht, f, side, TRK_U0, TRK_U1, TRK_V0, TRK_V1, ht->hx, ht->hy, 1.2 * f->w);
	double x, y;

	if (k < 0) {
		if (t - ht->hand_last_t >= c->disengage_s)
			hand_disengage(ht, t, "hand down", ev, max, n);
		return;
	}
	hand_hold(ht, &ht->blobs[k], f->w);
	ht->hx = ht->blobs[k].hx;
	ht->hy = ht->blobs[k].hy;
	ht->hand_last_t = t;
	hand_cursor_map(c, f, ht->hx, ht->hy, &x, &y);
	one_euro2_filter(&ht->oe, &x, &y, t);
	ht->cur_x = x;
	ht->cur_y = y;
	ht->have_cursor = 1;
	push(ev, max, n, HAND_CURSOR, t, x, y, HAND_MOVE, NULL);

	if (c->select == HAND_SELECT_DWELL) {
		double d = hypot(x - ht->dwell_x, y - ht->dwell_y);
		if (d > c->dwell_radius) {
			ht->dwell_armed = 1;
			ht->dwell_x = x, ht->dwell_y = y, ht->dwell_t0 = t;
		} else if (ht->dwell_armed && t - ht->dwell_t0 >= c->dwell_s) {
			push(ev, max, n, HAND_CURSOR, t, x, y, HAND_PRESS, NULL);
			push(ev, max, n, HAND_CURSOR, t, x, y, HAND_RELEASE, NULL);
			ht->dwell_armed = 0;	/* move away to select again */
		}
	} else {
		int o = hand_pick(ht, f, -side, ENG_U0, ENG_U1, ENG_V0, ENG_V1, 0, 0, 0);
		if (o >= 0) {
			hand_hold(ht, &ht->blobs[o], f->w);
			if (!ht->other_seen)
				ht->other_t0 = t;
			ht->other_seen = 1;
			ht->other_last_t = t;
			if (!ht->pressed && t - ht->other_t0 >= OTHER_MIN_S - 1e-6) {
				push(ev, max, n, HAND_CURSOR, t, x, y, HAND_PRESS, NULL);
				ht->pressed = 1;
			}
		} else if (ht->other_seen && t - ht->other_last_t >= OTHER_MIN_S - 1e-6) {
			ht->other_seen = 0;
			if (ht->pressed) {
				push(ev, max, n, HAND_CURSOR, t, x, y, HAND_RELEASE, NULL);
				ht->pressed = 0;
			}
		}
	}
}

/* Not engaged: is the right hand being held up beside the head? */
static void
hand_watch(struct hand_tracker *ht, const struct cv_rect *f, int side, double t, double dt,
    struct hand_event *ev, size_t max, int *n)
{
	const struct hand_config *c = &ht->cfg;
	int k = hand_pick(ht, f, side, ENG_U0, ENG_U1, ENG_V0, ENG_V1,
	    ht->cand_x, ht->cand_y, ht->cand ? 0.8 * f->w : 0);
	const struct blob *b;
	double x, y;

	if (k < 0 && ht->cand)		/* lost it, or it jumped: any blob */
		k = hand_pick(ht, f, side, ENG_U0, ENG_U1, ENG_V0, ENG_V1, 0, 0, 0);
	if (k < 0) {
		if (ht->cand && t - ht->cand_last_t > CAND_GAP)
			ht->cand = 0;
		return;
	}
	b = &ht->blobs[k];
	hand_hold(ht, b, f->w);
	if (ht->cand && hypot(b->hx - ht->cand_x, b->hy - ht->cand_y) <= 0.8 * f->w &&
	    t - ht->cand_last_t <= CAND_GAP) {
		double sp = dt > 0 ? hypot(b->hx - ht->cand_x, b->hy - ht->cand_y) / f->w / dt : 0;
		ht->cand_speed += 0.5 * (sp - ht->cand_speed);
		/* Still arriving (the end of the raise): the hold starts when the
		 * hand settles. */
		if (ht->cand_t0 < 0 && ht->cand_speed < CAND_SPEED)
			ht->cand_t0 = t;
	} else {
		ht->cand = 1;
		ht->cand_t0 = -1;
		ht->cand_speed = CAND_SPEED * 2;
	}
	ht->cand_x = b->hx;
	ht->cand_y = b->hy;
	ht->cand_last_t = t;
	if (ht->cand_t0 < 0 || t - ht->cand_t0 < c->engage_s - 1e-6)
		return;
	/* Engage: a fresh filter, the hold is not a dwell. */
	ht->engaged = 1;
	ht->have_hand = 1;
	ht->hx = b->hx;
	ht->hy = b->hy;
	ht->hand_last_t = t;
	one_euro2_reset(&ht->oe);
	hand_cursor_map(c, f, b->hx, b->hy, &x, &y);
	one_euro2_filter(&ht->oe, &x, &y, t);
	ht->cur_x = ht->dwell_x = x;
	ht->cur_y = ht->dwell_y = y;
	ht->dwell_armed = 0;
	ht->have_cursor = 1;
	ht->pressed = ht->other_seen = 0;
	push(ev, max, n, HAND_ENGAGE, t, x, y, HAND_MOVE, NULL);
	push(ev, max, n, HAND_CURSOR, t, x, y, HAND_MOVE, NULL);
}

/* Follows the face box: smoothed, but a jump (another person, a new
 * detection) is taken at once. */
static void
hand_face(struct hand_tracker *ht, const struct cv_rect *f, double t, double dt)
{
	struct cv_rect *a = &ht->face;

	if (!ht->face_ok || fabs(f->x + f->w / 2 - (a->x + a->w / 2)) > 0.7 * a->w ||
	    fabs(f->y + f->h / 2 - (a->y + a->h / 2)) > 0.7 * a->w ||
	    f->w > 1.3 * a->w || f->w < a->w / 1.3) {
		*a = *f;
	} else {
		float k = (float)(1.0 - exp(-(dt > 0 ? dt : 0) / FACE_TAU));
		a->x += k * (f->x - a->x);
		a->y += k * (f->y - a->y);
		a->w += k * (f->w - a->w);
		a->h += k * (f->h - a->h);
	}
	ht->face_ok = 1;
	ht->face_last_t = t;
}

int
hand_feed(struct hand_tracker *ht, const struct cv_image *bgr, const struct cv_rect *face,
    double t, struct hand_event *ev, size_t max)
{
	int n = 0, side = ht->cfg.mirrored ? 1 : -1;
	double dt;

	if (bgr == NULL || bgr->data == NULL || bgr->channels != 3 || bgr->w < 16 || bgr->h < 16 ||
	    bgr->stride < (size_t)bgr->w * 3)
		return -1;
	if (hand_grid(ht, bgr->w, bgr->h) != 0)
		return -1;
	dt = ht->bg_ok ? t - ht->t_prev : 0;
	if (dt < 0) {		/* time went back: a new stream */
		hand_reset(ht);
		dt = 0;
	}
	ht->t_prev = t;
	hand_sample(ht, bgr);
	memset(ht->hold, 0, (size_t)ht->gw * ht->gh);

	if (face != NULL && face->w >= 8 && face->h >= 8) {
		hand_face(ht, face, t, dt);
		hand_learn_skin(ht, face);
	} else if (ht->face_ok) {
		double lost = t - ht->face_last_t;
		if (ht->engaged && lost >= ht->cfg.disengage_s) {
			hand_disengage(ht, t, "face lost", ev, max, &n);
			ht->face_ok = 0;
		} else if (!ht->engaged && lost > 0.5) {
			ht->face_ok = 0;
			ht->cand = 0;
		}
	}
	if (ht->face_ok) {
		/* Blobs against this frame's face when there is one (the hand is
		 * kept off it), placed against the smoothed anchor. */
		hand_blobs(ht, face != NULL && face->w >= 8 ? face : &ht->face);
		if (ht->engaged)
			hand_track(ht, &ht->face, side, t, ev, max, &n);
		else
			hand_watch(ht, &ht->face, side, t, dt, ev, max, &n);
	}
	hand_learn_bg(ht, dt);
	return n;
}

int
hand_engaged(const struct hand_tracker *ht)
{
	return ht->engaged;
}

int
hand_last_point(const struct hand_tracker *ht, struct cv_point *p)
{
	if (!ht->engaged && !ht->cand)
		return -1;
	p->x = (float)(ht->engaged ? ht->hx : ht->cand_x);
	p->y = (float)(ht->engaged ? ht->hy : ht->cand_y);
	return 0;
}
