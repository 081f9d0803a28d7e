/*
 * make-clips — renders hand-raise test clips with ground truth.
 *
 *   make-clips OUTDIR [--set quick|bench] [--seed N] [--clip NAME] [--list]
 *   make-clips --eval CLIPDIR [--select dwell|other-hand] [--mirrored 0|1] [--events]
 *
 * There is no public footage of people raising a hand, so clips are drawn:
 * a REAL face photo (AT&T/ORL, 92x112 grey, tinted to a skin tone) on a
 * drawn body (torso, shoulders, neck, upper arms and forearms in sleeves or
 * bare, hands with fingers and thumb), over a background (flat, gradient,
 * clutter, office), under a light (brightness, colour cast, gradient),
 * with camera noise.  Arms follow a scripted path per scenario (two-bone
 * inverse kinematics from the shoulder to the wrist).  Each clip is a
 * folder of PPM frames, frames.tsv ("NAME\tT"), truth.tsv (per frame: t,
 * face box, right-hand centre, raised, still, phase, expected cursor) and
 * a line in OUTDIR/manifest.tsv.  Everything follows from the seed.
 *
 * --list writes only the manifest; --clip renders one clip of the set (the
 * bench renders, scores and deletes clips one at a time).  --eval feeds a
 * clip to the tracker (models/hand.c) with the truth face box and prints
 * one line of scores (tests/vision/clip.h).
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "devices/cv.h"
#include "models/hand.h"
#include "tests/vision/clip.h"

#ifndef FACES_DIR
#define FACES_DIR "/work/shared/data/faces/orl"
#endif

/* ---- random numbers (splitmix64: the same clip from the same seed) ---- */

struct rng { uint64_t s; };

static uint64_t
rnext(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double
runi(struct rng *r)
{
	return (rnext(r) >> 11) * (1.0 / 9007199254740992.0);
}

static double
rrange(struct rng *r, double a, double b)
{
	return a + (b - a) * runi(r);
}

static int
rint_(struct rng *r, int n)
{
	return (int)(runi(r) * n) % n;
}

static double
rgauss(struct rng *r)
{
	return sqrt(-2.0 * log(runi(r) + 1e-12)) * cos(2 * M_PI * runi(r));
}

/* ---- images and drawing (float BGR, lit and quantised at the end) ---- */

struct col { float b, g, r; };

struct canvas {
	int    w, h;
	float *p;	/* w*h*3 */
};

static void
put(struct canvas *c, int x, int y, struct col k, float a)
{
	float *q = c->p + 3 * ((size_t)y * c->w + x);

	q[0] += a * (k.b - q[0]);
	q[1] += a * (k.g - q[1]);
	q[2] += a * (k.r - q[2]);
}

static struct col
shade(struct col k, float f)
{
	struct col o = { k.b * f, k.g * f, k.r * f };
	return o;
}

static void
fill_rect(struct canvas *c, double x0, double y0, double x1, double y1, struct col k)
{
	int a = x0 < 0 ? 0 : (int)x0, b = x1 > c->w ? c->w : (int)x1;
	int d = y0 < 0 ? 0 : (int)y0, e = y1 > c->h ? c->h : (int)y1;

	for (int y = d; y < e; y++)
		for (int x = a; x < b; x++)
			put(c, x, y, k, 1);
}

/* A capsule p0-p1 of radius r, shaded like a cylinder (lit from above-left). */
static void
fill_capsule(struct canvas *c, double x0, double y0, double x1, double y1, double r, struct col k)
{
	double dx = x1 - x0, dy = y1 - y0, l2 = dx * dx + dy * dy;
	int xa = (int)floor(fmin(x0, x1) - r - 1), xb = (int)ceil(fmax(x0, x1) + r + 1);
	int ya = (int)floor(fmin(y0, y1) - r - 1), yb = (int)ceil(fmax(y0, y1) + r + 1);

	if (xa < 0) xa = 0;
	if (ya < 0) ya = 0;
	if (xb > c->w) xb = c->w;
	if (yb > c->h) yb = c->h;
	for (int y = ya; y < yb; y++)
		for (int x = xa; x < xb; x++) {
			double px = x + 0.5 - x0, py = y + 0.5 - y0;
			double s = l2 > 0 ? (px * dx + py * dy) / l2 : 0;
			s = s < 0 ? 0 : s > 1 ? 1 : s;
			double ex = px - s * dx, ey = py - s * dy, d = sqrt(ex * ex + ey * ey);
			if (d > r + 0.5)
				continue;
			float a = d < r - 0.5 ? 1.0f : (float)(r + 0.5 - d);
			double side = (ex - ey) / (r * 1.414 + 1e-9);	/* -1..1 across */
			put(c, x, y, shade(k, (float)(1.0 - 0.18 * (d / r) * (d / r) + 0.06 * -side)), a);
		}
}

/* An ellipse centred at (cx, cy), semi-axis a along (ux, uy), b across. */
static void
fill_ellipse(struct canvas *c, double cx, double cy, double ux, double uy, double a, double b,
    struct col k)
{
	double m = fmax(a, b) + 1;
	int xa = (int)(cx - m), xb = (int)(cx + m) + 1, ya = (int)(cy - m), yb = (int)(cy + m) + 1;

	if (xa < 0) xa = 0;
	if (ya < 0) ya = 0;
	if (xb > c->w) xb = c->w;
	if (yb > c->h) yb = c->h;
	for (int y = ya; y < yb; y++)
		for (int x = xa; x < xb; x++) {
			double px = x + 0.5 - cx, py = y + 0.5 - cy;
			double s = (px * ux + py * uy) / a, t = (-px * uy + py * ux) / b;
			double d = s * s + t * t;
			if (d > 1.0)
				continue;
			put(c, x, y, shade(k, (float)(1.04 - 0.16 * d)), d > 0.85 ? (float)((1 - d) / 0.15) : 1);
		}
}

/* A convex polygon (vertices in order). */
static void
fill_convex(struct canvas *c, const double *px, const double *py, int n, struct col k)
{
	double x0 = 1e9, x1 = -1e9, y0 = 1e9, y1 = -1e9;

	for (int i = 0; i < n; i++) {
		x0 = fmin(x0, px[i]), x1 = fmax(x1, px[i]);
		y0 = fmin(y0, py[i]), y1 = fmax(y1, py[i]);
	}
	for (int y = y0 < 0 ? 0 : (int)y0; y < c->h && y <= y1; y++)
		for (int x = x0 < 0 ? 0 : (int)x0; x < c->w && x <= x1; x++) {
			int pos = 0, neg = 0;
			for (int i = 0; i < n; i++) {
				int j = (i + 1) % n;
				double cr = (px[j] - px[i]) * (y + 0.5 - py[i]) - (py[j] - py[i]) * (x + 0.5 - px[i]);
				pos += cr >= 0, neg += cr <= 0;
			}
			if (pos == n || neg == n)
				put(c, x, y, shade(k, (float)(1.0 - 0.12 * (x - x0) / (x1 - x0 + 1))), 1);
		}
}

/* ---- ORL face photos ---- */

struct photo { int w, h; uint8_t *g; };

static int
photo_load(struct photo *ph, int subject, int image)
{
	char path[512], err[256];
	struct cv_image im;

	snprintf(path, sizeof path, "%s/s%d/%d.pgm", FACES_DIR, subject, image);
	if (pnm_read(path, &im, err, sizeof err) != 0) {
		fprintf(stderr, "make-clips: %s\n", err);
		return -1;
	}
	ph->w = im.w;
	ph->h = im.h;
	if ((ph->g = malloc((size_t)im.w * im.h)) == NULL) {
		cv_image_free(&im);
		return -1;
	}
	for (int i = 0; i < im.w * im.h; i++)
		ph->g[i] = im.data[3 * i];
	cv_image_free(&im);
	return 0;
}

/* ---- people ---- */

struct person {
	double cx, cy, F;	/* face centre and face (box) width, pixels */
	struct col skin, cloth, hair;
	int    short_sleeves;
	struct photo *photo;
	double fingers;		/* spread */
};

/* The face box of a person (what a detector would report). */
static struct cv_rect
person_face(const struct person *p)
{
	struct cv_rect r;

	r.w = (float)p->F;
	r.h = (float)(p->F * 1.09);
	r.x = (float)(p->cx - p->F / 2);
	r.y = (float)(p->cy - r.h / 2);
	return r;
}

/* Face-relative (u outwards on the side, v down, face widths) to pixels. */
static void
rel2px(const struct person *p, int side, double u, double v, double *x, double *y)
{
	*x = p->cx + side * u * p->F;
	*y = p->cy + v * p->F;
}

/* Two-bone IK: the elbow for shoulder S and wrist W, bent down/outwards. */
static void
elbow(double sx, double sy, double wx, double wy, double l1, double l2, int side, double *ex, double *ey)
{
	double dx = wx - sx, dy = wy - sy, d = sqrt(dx * dx + dy * dy), a, ux, uy;
	double e1x, e1y, e2x, e2y;

	if (d < 1e-6) {
		dx = 0, dy = 1, d = 1e-6;
	}
	if (d > l1 + l2 - 1e-3)
		d = l1 + l2 - 1e-3;
	if (d < fabs(l1 - l2) + 1e-3)
		d = fabs(l1 - l2) + 1e-3;
	ux = dx / sqrt(dx * dx + dy * dy), uy = dy / sqrt(dx * dx + dy * dy);
	a = acos(fmax(-1, fmin(1, (l1 * l1 + d * d - l2 * l2) / (2 * l1 * d))));
	e1x = sx + l1 * (ux * cos(a) - uy * sin(a)), e1y = sy + l1 * (ux * sin(a) + uy * cos(a));
	e2x = sx + l1 * (ux * cos(-a) - uy * sin(-a)), e2y = sy + l1 * (ux * sin(-a) + uy * cos(-a));
	/* Lower elbow; on a tie, the one further out. */
	if (e1y + 0.3 * side * e1x > e2y + 0.3 * side * e2x)
		*ex = e1x, *ey = e1y;
	else
		*ex = e2x, *ey = e2y;
}

/* Draws one arm from its shoulder to a hand centred at (hx, hy). */
static void
draw_arm(struct canvas *c, const struct person *p, int side, double hx, double hy, int bent_wrist)
{
	double F = p->F, sx, sy, ex, ey, wx, wy, dx, dy, d, nx, ny;

	rel2px(p, side, 1.2, 1.3, &sx, &sy);
	/* Hand axis: from the elbow through the hand (first guess from the
	 * shoulder), so the wrist sits 0.55 F below the hand's centre. */
	dx = hx - sx, dy = hy - sy, d = sqrt(dx * dx + dy * dy) + 1e-9;
	wx = hx - 0.55 * F * dx / d, wy = hy - 0.55 * F * dy / d;
	elbow(sx, sy, wx, wy, 1.35 * F, 1.25 * F, side, &ex, &ey);
	dx = hx - ex, dy = hy - ey, d = sqrt(dx * dx + dy * dy) + 1e-9;
	dx /= d, dy /= d;
	if (bent_wrist) {		/* typing / touching: hand tilted forward */
		dx = 0.7 * dx + 0.3 * side, dy = 0.7 * dy + 0.3;
		d = sqrt(dx * dx + dy * dy);
		dx /= d, dy /= d;
	}
	wx = hx - 0.55 * F * dx, wy = hy - 0.55 * F * dy;
	nx = -dy, ny = dx;	/* across the hand */
	fill_capsule(c, sx, sy, ex, ey, 0.24 * F, p->cloth);
	if (p->short_sleeves) {
		double mx = sx + 0.55 * (ex - sx), my = sy + 0.55 * (ey - sy);
		fill_capsule(c, sx, sy, mx, my, 0.26 * F, p->cloth);
		fill_capsule(c, ex, ey, wx, wy, 0.15 * F, shade(p->skin, 0.95f));
	} else
		fill_capsule(c, ex, ey, wx + 0.1 * F * dx, wy + 0.1 * F * dy, 0.19 * F, p->cloth);
	/* Palm, four fingers, thumb. */
	fill_ellipse(c, hx - 0.15 * F * dx, hy - 0.15 * F * dy, dx, dy, 0.34 * F, 0.27 * F, p->skin);
	for (int k = 0; k < 4; k++) {
		double off = (-0.19 + 0.127 * k) * F * (side < 0 ? 1 : -1);
		double len = (k == 1 || k == 2 ? 0.55 : 0.45) * F;
		double spread = (k - 1.5) * p->fingers;
		double bx = hx + 0.05 * F * dx + off * nx, by = hy + 0.05 * F * dy + off * ny;
		double tx = bx + len * (dx + spread * nx), ty = by + len * (dy + spread * ny);
		fill_capsule(c, bx, by, tx, ty, 0.058 * F, shade(p->skin, 1.02f));
	}
	{
		double ts = side < 0 ? 1 : -1;	/* palm to the camera: thumb inwards */
		double bx = hx - 0.25 * F * dx + 0.2 * ts * F * nx, by = hy - 0.25 * F * dy + 0.2 * ts * F * ny;
		fill_capsule(c, bx, by, bx + 0.3 * F * dx + 0.25 * ts * F * nx,
		    by + 0.3 * F * dy + 0.25 * ts * F * ny, 0.07 * F, p->skin);
	}
}

/* The head: the photo, tinted, through a soft elliptical mask. */
static void
draw_head(struct canvas *c, const struct person *p)
{
	const struct photo *ph = p->photo;
	double s = p->F / 64.0;		/* photo px -> image px: face 64 px wide in ORL */
	struct cv_rect fb = person_face(p);
	double ox = fb.x - 14 * s, oy = fb.y - 30 * s;
	int xa = (int)ox, ya = (int)oy, xb = (int)(ox + ph->w * s) + 1, yb = (int)(oy + ph->h * s) + 1;

	if (xa < 0) xa = 0;
	if (ya < 0) ya = 0;
	if (xb > c->w) xb = c->w;
	if (yb > c->h) yb = c->h;
	for (int y = ya; y < yb; y++)
		for (int x = xa; x < xb; x++) {
			double u = (x + 0.5 - ox) / s - 0.5, v = (y + 0.5 - oy) / s - 0.5;
			double eu = (u - 46) / 38, ev = (v - 64) / 54, d = sqrt(eu * eu + ev * ev), a;
			int iu, iv;
			if (d > 1.0 || u < 0 || v < 0 || u >= ph->w - 1 || v >= ph->h - 1)
				continue;
			iu = (int)u, iv = (int)v;
			double fu = u - iu, fv = v - iv;
			const uint8_t *g = ph->g + iv * ph->w + iu;
			double val = (1 - fv) * ((1 - fu) * g[0] + fu * g[1]) + fv * ((1 - fu) * g[ph->w] + fu * g[ph->w + 1]);
			a = d > 0.9 ? (1.0 - d) / 0.1 : 1.0;
			/* Hair and shadow (dark) keep little tint; skin takes it. */
			double f = val / 140.0;
			struct col k = shade(p->skin, (float)f);
			if (val < 60) {
				double m = val / 60.0;
				k.b = (float)(m * k.b + (1 - m) * p->hair.b * f * 2);
				k.g = (float)(m * k.g + (1 - m) * p->hair.g * f * 2);
				k.r = (float)(m * k.r + (1 - m) * p->hair.r * f * 2);
			}
			put(c, x, y, k, (float)a);
		}
}

/* Torso, neck, head, then both arms (arms in front of the head, so a hand
 * touching the face or the hair covers it). */
static void
draw_person(struct canvas *c, const struct person *p, double rx, double ry, double lx, double ly,
    int bent_r, int bent_l)
{
	double F = p->F, px[6], py[6];
	double tx[6] = { -1.05, 1.05, 1.5, 1.4, -1.4, -1.5 }, ty[6] = { 0.95, 0.95, 1.4, 6, 6, 1.4 };

	for (int i = 0; i < 6; i++)
		px[i] = p->cx + tx[i] * F, py[i] = p->cy + ty[i] * F;
	fill_convex(c, px, py, 6, p->cloth);
	fill_capsule(c, p->cx, p->cy + 0.3 * F, p->cx, p->cy + 1.0 * F, 0.27 * F, shade(p->skin, 0.85f));
	draw_head(c, p);
	draw_arm(c, p, -1, rx, ry, bent_r);
	draw_arm(c, p, 1, lx, ly, bent_l);
}

/* ---- backgrounds ---- */

static struct col
rcol(struct rng *r, double lo, double hi)
{
	struct col k = { (float)rrange(r, lo, hi), (float)rrange(r, lo, hi), (float)rrange(r, lo, hi) };
	return k;
}

static const struct col wood[] = { { 60, 110, 160 }, { 40, 80, 130 }, { 120, 170, 210 }, { 150, 190, 220 } };

static void
draw_background(struct canvas *c, struct rng *r, int kind)
{
	int w = c->w, h = c->h;
	struct col a = rcol(r, 40, 230), b = rcol(r, 40, 230);

	switch (kind) {
	case 0:		/* flat */
		fill_rect(c, 0, 0, w, h, a);
		break;
	case 1:		/* gradient */
		for (int y = 0; y < h; y++) {
			float f = (float)y / h;
			struct col k = { a.b + f * (b.b - a.b), a.g + f * (b.g - a.g), a.r + f * (b.r - a.r) };
			fill_rect(c, 0, y, w, y + 1, k);
		}
		break;
	case 2:		/* clutter: shapes, some wood/beige, and a texture */
		fill_rect(c, 0, 0, w, h, a);
		for (int i = 0; i < 60; i++) {
			struct col k = rint_(r, 4) == 0 ? wood[rint_(r, 4)] : rcol(r, 20, 240);
			double x = rrange(r, -0.1, 1) * w, y = rrange(r, -0.1, 1) * h;
			double s = rrange(r, 0.03, 0.25) * w;
			if (rint_(r, 2))
				fill_rect(c, x, y, x + s, y + s * rrange(r, 0.3, 2), k);
			else
				fill_ellipse(c, x, y, 1, 0, s / 2, s * rrange(r, 0.2, 0.6), k);
		}
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++) {
				float n = (float)(12 * sin(x * 0.7 + 3 * sin(y * 0.21)) * sin(y * 0.53));
				float *q = c->p + 3 * ((size_t)y * w + x);
				q[0] += n, q[1] += n, q[2] += n;
			}
		break;
	default: {	/* office: wall, window, door, shelf of books, desk, plant */
		struct col wall = rint_(r, 2) ? (struct col){ 200, 215, 220 } : rcol(r, 120, 220);
		fill_rect(c, 0, 0, w, h, wall);
		double wx = rrange(r, 0, 0.6) * w;
		fill_rect(c, wx, 0.08 * h, wx + 0.3 * w, 0.55 * h, (struct col){ 250, 240, 225 });
		fill_rect(c, wx + 0.145 * w, 0.08 * h, wx + 0.155 * w, 0.55 * h, (struct col){ 90, 90, 90 });
		double dx = rrange(r, 0, 0.85) * w;
		fill_rect(c, dx, 0.1 * h, dx + 0.15 * w, h, wood[rint_(r, 4)]);
		double sx = rrange(r, 0, 0.7) * w, sy = rrange(r, 0.1, 0.5) * h;
		fill_rect(c, sx, sy, sx + 0.3 * w, sy + 0.02 * h, wood[0]);
		for (double bx = sx; bx < sx + 0.28 * w; bx += 0.012 * w + rrange(r, 0, 0.01) * w) {
			double bh = rrange(r, 0.05, 0.1) * h;
			fill_rect(c, bx, sy - bh, bx + 0.01 * w, sy, rcol(r, 20, 230));
		}
		double px = rrange(r, 0, 1) * w;
		for (int i = 0; i < 8; i++)
			fill_ellipse(c, px + rrange(r, -0.04, 0.04) * w, 0.7 * h + rrange(r, -0.1, 0.05) * h,
			    cos(i), sin(i), 0.04 * w, 0.012 * w, (struct col){ 50, 140, 60 });
		fill_rect(c, 0, 0.82 * h, w, h, wood[rint_(r, 4)]);
		break;
	}
	}
}

/* ---- scenarios: scripted hand paths ---- */

enum scenario { SC_RAISE, SC_RAISE_SHORT, SC_RAISE_OTHER, SC_TYPING, SC_TOUCH_FACE,
	SC_SCRATCH_HEAD, SC_WAVE_CHEST, SC_WALK_PAST, SC_IDLE, SC_N };
static const char *const sc_names[SC_N] = { "raise", "raise-short", "raise-other", "typing",
	"touch-face", "scratch-head", "wave-chest", "walk-past", "idle" };

/* A key: at time t the hand is at (u, v) (face widths, see rel2px); the
 * segment that starts here has this phase; osc adds an oscillation of
 * amplitude osc (face widths) at hz along u (wave, scratch, typing). */
struct key { double t, u, v; int phase; double osc, hz; int bent; };

struct path { struct key k[128]; int n; };

static void
key_add(struct path *p, double t, double u, double v, int phase)
{
	if (p->n < 128)
		p->k[p->n++] = (struct key){ t, u, v, phase, 0, 0, 0 };
}

/* Position, phase and stillness of a path at time t. */
static void
path_at(const struct path *p, double t, double *u, double *v, int *phase, int *bent)
{
	int i = 0;

	while (i + 1 < p->n && p->k[i + 1].t <= t)
		i++;
	const struct key *a = &p->k[i], *b = i + 1 < p->n ? &p->k[i + 1] : a;
	double s = b->t > a->t ? (t - a->t) / (b->t - a->t) : 0;
	s = s < 0 ? 0 : s > 1 ? 1 : s;
	s = s * s * (3 - 2 * s);
	*u = a->u + s * (b->u - a->u) + a->osc * sin(2 * M_PI * a->hz * (t - a->t)) * (a->phase != CP_REST);
	*v = a->v + s * (b->v - a->v);
	if (a->osc > 0 && a->hz > 4)	/* typing: taps go up and down */
		*v += 0.5 * a->osc * fabs(sin(2 * M_PI * a->hz * 0.7 * (t - a->t)));
	*phase = a->phase;
	*bent = a->bent;
}

#define REST_U 1.15
#define REST_V 3.7
#define DESK_V 2.7

/* A clip as listed in the manifest. */
struct clip {
	char     name[64];
	int      sc;
	uint64_t seed;
	int      w, h, fps, mirrored;
	double   dur;
	int      expect;
};

/* Repeated no-raise activity for the right hand: go to a spot from rest
 * or desk, do it for a while, come back. */
static void
script_activity(struct path *p, struct rng *r, int sc, double dur)
{
	double t = 0, base_v = sc == SC_TYPING || sc == SC_IDLE ? DESK_V : REST_V;
	double base_u = sc == SC_TYPING ? 0.55 : REST_U;

	key_add(p, 0, base_u, base_v, CP_REST);
	t = rrange(r, 0.5, 2.0);
	while (t < dur - 1) {
		double u, v, hold = rrange(r, 2, 5), osc = 0, hz = 0;
		int bent = 0;
		switch (sc) {
		case SC_TOUCH_FACE:
			u = rrange(r, -0.35, 0.5), v = rrange(r, -0.1, 0.5), bent = 1;
			osc = 0.03, hz = 0.7;
			break;
		case SC_SCRATCH_HEAD:
			u = rrange(r, -0.4, 0.55), v = rrange(r, -0.95, -0.6);
			osc = 0.08, hz = rrange(r, 2, 4), hold = rrange(r, 2, 4);
			break;
		case SC_WAVE_CHEST:
			u = rrange(r, 0.0, 0.9), v = rrange(r, 1.45, 1.9);
			osc = rrange(r, 0.25, 0.4), hz = rrange(r, 1.5, 2.5), hold = rrange(r, 3, 6);
			break;
		case SC_TYPING:
			u = rint_(r, 4) ? rrange(r, 0.3, 0.7) : rrange(r, 1.1, 1.4);	/* keys or mouse */
			v = DESK_V + rrange(r, -0.1, 0.1), bent = 1;
			osc = 0.05, hz = rrange(r, 5, 9), hold = rrange(r, 3, 8);
			break;
		default:	/* idle: drift on the desk or the lap */
			u = rrange(r, 0.4, 1.3), v = rrange(r, 2.4, 3.6);
			osc = 0.02, hz = 0.3;
			break;
		}
		key_add(p, t, base_u, base_v, CP_ACT);
		t += rrange(r, 0.5, 0.8);
		key_add(p, t, u, v, CP_ACT);
		p->k[p->n - 1].osc = osc, p->k[p->n - 1].hz = hz, p->k[p->n - 1].bent = bent;
		t += hold;
		key_add(p, t, u, v, CP_ACT);
		p->k[p->n - 1].bent = bent;
		t += rrange(r, 0.5, 0.8);
		key_add(p, t, base_u, base_v, CP_REST);
		t += rrange(r, 0.5, 3);
	}
	key_add(p, t + 100, base_u, base_v, CP_REST);
}

/* The raise scenarios; returns the clip duration.  The left hand gets a
 * quick raise in raise-other. */
static double
script_raise(struct path *p, struct path *lp, struct rng *r, int sc)
{
	double t = rrange(r, 1.0, 2.5), u0 = rrange(r, 1.3, 1.8), v0 = rrange(r, -0.35, 0.1);
	int reps = sc == SC_RAISE_SHORT ? 2 : 1;

	key_add(p, 0, REST_U, REST_V, CP_REST);
	key_add(lp, 0, REST_U, REST_V, CP_REST);
	for (int rep = 0; rep < reps; rep++) {
		key_add(p, t, REST_U, REST_V, CP_RAISE);
		t += rrange(r, 0.6, 0.8);
		key_add(p, t, u0, v0, CP_UP);
		p->k[p->n - 1].osc = 0.015, p->k[p->n - 1].hz = 0.5;
		if (sc == SC_RAISE_SHORT) {
			t += 1.5;
			key_add(p, t, u0, v0, CP_LOWER);
			t += 0.7;
			key_add(p, t, REST_U, REST_V, CP_REST);
			t += rrange(r, 2.0, 3.0);
			continue;
		}
		t += rrange(r, 4.0, 5.0);
		key_add(p, t, u0, v0, CP_MOVE);
		int nw = 4 + rint_(r, 3);
		double u = u0, v = v0;
		for (int i = 0; i < nw; i++) {
			do {
				u = rrange(r, 0.95, 2.65), v = rrange(r, -1.15, 0.35);
			} while (hypot(u - p->k[p->n - 1].u, v - p->k[p->n - 1].v) < 0.4);
			t += rrange(r, 0.6, 1.0);
			key_add(p, t, u, v, i + 1 < nw ? CP_MOVE : sc == SC_RAISE_OTHER ? CP_OTHER : CP_DWELL);
		}
		p->k[p->n - 1].osc = 0.012, p->k[p->n - 1].hz = 0.4;
		if (sc == SC_RAISE_OTHER) {
			double lt = t + 0.5;
			key_add(lp, lt, REST_U, REST_V, CP_RAISE);
			key_add(lp, lt + 0.35, 1.4, -0.2, CP_UP);
			key_add(lp, lt + 0.8, 1.4, -0.2, CP_LOWER);
			key_add(lp, lt + 1.15, REST_U, REST_V, CP_REST);
		}
		t += sc == SC_RAISE_OTHER ? 2.0 : 1.8;
		key_add(p, t, u, v, CP_LOWER);
		t += rrange(r, 0.6, 0.8);
		key_add(p, t, REST_U, REST_V, CP_REST);
		t += 3.0;
	}
	key_add(p, t + 100, REST_U, REST_V, CP_REST);
	key_add(lp, t + 100, REST_U, REST_V, CP_REST);
	return t;
}

/* ---- rendering a clip ---- */

static const struct col skins[] = {	/* BGR, light to dark */
	{ 180, 200, 240 }, { 150, 180, 230 }, { 120, 160, 215 }, { 110, 150, 200 },
	{ 80, 120, 180 }, { 70, 100, 150 }, { 50, 75, 120 }, { 40, 60, 95 },
};

static int
mkdir_p(const char *path)
{
	char tmp[1024];

	snprintf(tmp, sizeof tmp, "%s", path);
	for (char *s = tmp + 1; *s; s++)
		if (*s == '/') {
			*s = 0;
			if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
				return -1;
			*s = '/';
		}
	return mkdir(tmp, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

static void
person_random(struct person *p, struct rng *r, struct photo *ph, double F)
{
	p->F = F;
	p->skin = skins[rint_(r, 8)];
	/* Clothes: mostly any colour, sometimes a skin-like beige. */
	p->cloth = rint_(r, 8) == 0 ? (struct col){ 140, 175, 205 } : rcol(r, 15, 235);
	p->hair = rcol(r, 10, 60);
	p->short_sleeves = rint_(r, 10) < 3;
	p->photo = ph;
	p->fingers = rrange(r, 0.0, 0.12);
}

static int
render_clip(const char *out, const struct clip *cl)
{
	struct rng r = { cl->seed };
	struct canvas bg, c;
	struct photo ph[4];
	struct person me, walker;
	struct path rp, lp;
	char dir[1024], path[1200];
	FILE *ft = NULL, *fr = NULL, *fo;
	uint8_t *row = NULL;
	int nframes = (int)(cl->dur * cl->fps + 0.5), w = cl->w, h = cl->h, rc = -1;
	struct hand_config hc = hand_default_config();

	memset(&rp, 0, sizeof rp);
	memset(&lp, 0, sizeof lp);
	memset(ph, 0, sizeof ph);
	hc.mirrored = cl->mirrored;
	snprintf(dir, sizeof dir, "%s/%s", out, cl->name);
	if (mkdir_p(dir) != 0) {
		fprintf(stderr, "make-clips: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	bg.w = c.w = w, bg.h = c.h = h;
	bg.p = calloc((size_t)w * h * 3, sizeof(float));
	c.p = malloc((size_t)w * h * 3 * sizeof(float));
	row = malloc((size_t)w * 3);
	if (!bg.p || !c.p || !row)
		goto done;
	for (int i = 0; i < 4; i++)
		if (photo_load(&ph[i], 1 + rint_(&r, 40), 1 + rint_(&r, 10)) != 0)
			goto done;
	draw_background(&bg, &r, rint_(&r, 4));

	/* Where the person stands: face width F, room on the right hand's
	 * side (image left before mirroring) for the raised hand. */
	double Fmax = fmin(140, fmin(w / 4.6, h / 3.4)), Fmin = fmin(40, Fmax);
	double F = rrange(&r, Fmin, Fmax);
	person_random(&me, &r, &ph[0], F);
	me.cx = rrange(&r, 3.2 * F, fmax(3.2 * F, w - 1.6 * F));
	me.cy = rrange(&r, 1.5 * F, fmax(1.5 * F, h - 2.2 * F));
	double sway = rrange(&r, 0.0, 0.06) * F, sway_hz = rrange(&r, 0.1, 0.3);
	double dur = cl->dur;
	if (cl->sc == SC_RAISE || cl->sc == SC_RAISE_SHORT || cl->sc == SC_RAISE_OTHER)
		dur = script_raise(&rp, &lp, &r, cl->sc);
	else {
		script_activity(&rp, &r, cl->sc, dur);
		key_add(&lp, 0, cl->sc == SC_TYPING ? 0.55 : REST_U, cl->sc == SC_TYPING || cl->sc == SC_IDLE ? DESK_V : REST_V, CP_REST);
		if (cl->sc == SC_TYPING)
			lp.k[0].osc = 0.05, lp.k[0].hz = 6, lp.k[0].phase = CP_ACT, lp.k[0].bent = 1;
		key_add(&lp, dur + 100, lp.k[0].u, lp.k[0].v, lp.k[0].phase);
	}
	nframes = (int)(dur * cl->fps + 0.5);

	/* Light and camera: a table of Gaussian noise read at random places
	 * (a Box-Muller per pixel made the renderer 10x slower). */
	static float gtab[65536];
	for (int i = 0; i < 65536; i++)
		gtab[i] = (float)rgauss(&r);
	uint32_t nx = (uint32_t)rnext(&r) | 1;
	double gain = rrange(&r, 0.65, 1.25), noise = rrange(&r, 1.0, 6.0);
	double cast[3] = { rrange(&r, 0.85, 1.15), rrange(&r, 0.9, 1.1), rrange(&r, 0.85, 1.15) };
	double gx = rrange(&r, -0.4, 0.4), gy = rrange(&r, -0.3, 0.3);

	snprintf(path, sizeof path, "%s/frames.tsv", dir);
	ft = fopen(path, "w");
	snprintf(path, sizeof path, "%s/truth.tsv", dir);
	fr = fopen(path, "w");
	if (!ft || !fr)
		goto done;
	fprintf(fr, "t\tface_x\tface_y\tface_w\tface_h\thand_x\thand_y\traised\tstill\tphase\tcursor_x\tcursor_y\n");

	/* walk-past: people cross the frame one after another. */
	double walk_t0 = 0, walk_len = 0, walk_cy = 0;
	int walk_dir = 1;
	for (int f = 0; f < nframes; f++) {
		double t = (double)f / cl->fps, u, v, lu, lv, hx, hy, lx, ly;
		int phase, lphase, bent, lbent, has_face = 1;
		struct person *p = &me;
		struct cv_rect fb;

		memcpy(c.p, bg.p, (size_t)w * h * 3 * sizeof(float));
		if (cl->sc == SC_WALK_PAST) {
			if (t >= walk_t0 + walk_len) {	/* next walker after a gap */
				walk_t0 = t + rrange(&r, 0.5, 3.0);
				walk_len = rrange(&r, 3, 6);
				walk_dir = rint_(&r, 2) ? 1 : -1;
				person_random(&walker, &r, &ph[1 + rint_(&r, 3)], rrange(&r, Fmin, Fmax));
				walk_cy = rrange(&r, 1.5 * walker.F, fmax(1.5 * walker.F, h - 2.2 * walker.F));
			}
			if (t < walk_t0) {
				has_face = 0;
				p = NULL;
			} else {
				double s = (t - walk_t0) / walk_len;
				p = &walker;
				p->cx = walk_dir > 0 ? -1.5 * p->F + s * (w + 3 * p->F) : w + 1.5 * p->F - s * (w + 3 * p->F);
				p->cy = walk_cy + 0.02 * p->F * sin(2 * M_PI * 2 * t);
				if (p->cx - p->F / 2 < 0 || p->cx + p->F / 2 > w)
					has_face = 0;	/* half out of frame: no detection */
			}
			double sw = 0.5 * sin(2 * M_PI * 0.9 * t);
			u = REST_U + 0.1, v = 3.0 + 0.1 * fabs(sw), lu = REST_U + 0.1, lv = v;
			u += sw, lu -= sw;
			phase = lphase = CP_ACT, bent = lbent = 0;
		} else {
			double s0 = sway * sin(2 * M_PI * sway_hz * t);
			me.cx += s0;
			path_at(&rp, t, &u, &v, &phase, &bent);
			path_at(&lp, t, &lu, &lv, &lphase, &lbent);
		}
		if (p != NULL) {
			/* tremor: a real hand is never perfectly still */
			u += 0.01 * sin(2 * M_PI * 3.1 * t + cl->seed % 7);
			v += 0.01 * sin(2 * M_PI * 2.3 * t + cl->seed % 5);
			rel2px(p, -1, u, v, &hx, &hy);
			rel2px(p, 1, lu, lv, &lx, &ly);
			draw_person(&c, p, hx, hy, lx, ly, bent, lbent);
			fb = person_face(p);
		} else {
			hx = hy = -1;
			memset(&fb, 0, sizeof fb);
		}
		if (cl->sc != SC_WALK_PAST)
			me.cx -= sway * sin(2 * M_PI * sway_hz * t);

		/* Light, noise, quantise; mirror when asked. */
		snprintf(path, sizeof path, "%s/%06d.ppm", dir, f);
		if ((fo = fopen(path, "wb")) == NULL)
			goto done;
		fprintf(fo, "P6\n%d %d\n255\n", w, h);
		for (int y = 0; y < h; y++) {
			float ly_ = (float)(gain * (1 + gy * ((double)y / h - 0.5)));
			float cr = (float)cast[2], cg = (float)cast[1], cb = (float)cast[0], nz = (float)noise;
			for (int x = 0; x < w; x++) {
				int sx = cl->mirrored ? w - 1 - x : x;
				const float *q = c.p + 3 * ((size_t)y * w + sx);
				float l = ly_ * (float)(1 + gx * ((double)sx / w - 0.5)), val;
				nx ^= nx << 13, nx ^= nx >> 17, nx ^= nx << 5;
				val = q[2] * l * cr + nz * gtab[nx & 0xffff];
				row[3 * x] = (uint8_t)(val < 0 ? 0 : val > 255 ? 255 : val + 0.5f);
				val = q[1] * l * cg + nz * gtab[(nx >> 8) & 0xffff];
				row[3 * x + 1] = (uint8_t)(val < 0 ? 0 : val > 255 ? 255 : val + 0.5f);
				val = q[0] * l * cb + nz * gtab[(nx >> 16) & 0xffff];
				row[3 * x + 2] = (uint8_t)(val < 0 ? 0 : val > 255 ? 255 : val + 0.5f);
			}
			fwrite(row, 3, (size_t)w, fo);
		}
		if (fclose(fo) != 0)
			goto done;
		fprintf(ft, "%06d.ppm\t%.4f\n", f, t);

		if (cl->mirrored && has_face) {
			fb.x = w - (fb.x + fb.w);
			hx = w - hx;
		}
		int raised = phase == CP_UP || phase == CP_MOVE || phase == CP_DWELL || phase == CP_OTHER;
		int still = phase == CP_UP || phase == CP_DWELL || phase == CP_OTHER;
		double scx = -1, scy = -1;
		if (cl->sc == SC_WALK_PAST || cl->sc >= SC_TYPING)
			raised = still = 0;
		if (raised && has_face)
			hand_cursor_map(&hc, &fb, hx, hy, &scx, &scy);
		if (has_face)
			fprintf(fr, "%.4f\t%.1f\t%.1f\t%.1f\t%.1f", t, fb.x, fb.y, fb.w, fb.h);
		else
			fprintf(fr, "%.4f\t-1\t-1\t-1\t-1", t);
		fprintf(fr, "\t%.1f\t%.1f\t%d\t%d\t%s\t%.4f\t%.4f\n", hx, hy, raised, still,
		    clip_phase_names[phase], scx, scy);
	}
	rc = 0;
done:
	if (rc != 0)
		fprintf(stderr, "make-clips: %s: could not render\n", cl->name);
	if (ft && fclose(ft) != 0)
		rc = -1;
	if (fr && fclose(fr) != 0)
		rc = -1;
	for (int i = 0; i < 4; i++)
		free(ph[i].g);
	free(bg.p);
	free(c.p);
	free(row);
	return rc;
}

/* ---- sets ---- */

static int
make_set(const char *set, uint64_t seed, struct clip **out)
{
	static const struct { int sc, w, h, fps, mir; double dur; } quick[] = {
		{ SC_RAISE, 640, 480, 15, 0, 0 }, { SC_RAISE, 1280, 720, 15, 0, 0 },
		{ SC_RAISE, 640, 480, 30, 1, 0 }, { SC_RAISE, 640, 480, 15, 0, 0 },
		{ SC_RAISE_OTHER, 640, 480, 15, 0, 0 }, { SC_RAISE_SHORT, 640, 480, 15, 0, 0 },
		{ SC_TYPING, 640, 480, 15, 0, 12 }, { SC_TOUCH_FACE, 640, 480, 15, 0, 12 },
		{ SC_SCRATCH_HEAD, 640, 480, 15, 0, 12 }, { SC_WAVE_CHEST, 640, 480, 15, 0, 12 },
		{ SC_WALK_PAST, 640, 480, 15, 0, 12 }, { SC_IDLE, 640, 480, 15, 1, 12 },
	};
	struct rng r = { seed * 7919 + 17 };
	struct clip *v;
	int n = 0, cap = 400;

	if ((v = calloc(cap, sizeof *v)) == NULL)
		return -1;
	if (strcmp(set, "quick") == 0) {
		for (size_t i = 0; i < sizeof quick / sizeof quick[0]; i++) {
			struct clip *c = &v[n++];
			c->sc = quick[i].sc, c->w = quick[i].w, c->h = quick[i].h, c->fps = quick[i].fps;
			c->mirrored = quick[i].mir, c->dur = quick[i].dur;
		}
	} else {
		/* ~100 raises, 20 short raises, and 6 x 10 one-minute no-raise
		 * clips (one hour), mostly at low resolution to stay fast. */
		for (int i = 0; i < 110; i++) {
			struct clip *c = &v[n++];
			int k = rint_(&r, 10);
			c->sc = i < 90 ? SC_RAISE : i < 100 ? SC_RAISE_OTHER : SC_RAISE_SHORT;
			c->w = k < 6 ? 640 : 1280, c->h = k < 6 ? 480 : 720;
			c->fps = rint_(&r, 3) ? 15 : 30;
			c->mirrored = rint_(&r, 4) == 0;
		}
		for (int i = 0; i < 10; i++) {
			struct clip *c = &v[n++];
			c->sc = SC_RAISE_SHORT, c->w = 640, c->h = 480, c->fps = 15;
		}
		for (int s = SC_TYPING; s < SC_N; s++)
			for (int i = 0; i < 10; i++) {
				struct clip *c = &v[n++];
				int k = rint_(&r, 10);
				c->sc = s, c->dur = 60, c->fps = 15;
				c->w = k < 7 ? 320 : 640, c->h = k < 7 ? 240 : 480;
				c->mirrored = rint_(&r, 4) == 0;
			}
	}
	for (int i = 0; i < n; i++) {
		v[i].seed = seed * 1000003ULL + (uint64_t)i * 7777 + 1;
		v[i].expect = v[i].sc == SC_RAISE || v[i].sc == SC_RAISE_OTHER;
		snprintf(v[i].name, sizeof v[i].name, "%03d-%s", i, sc_names[v[i].sc]);
	}
	*out = v;
	return n;
}

static int
usage(void)
{
	fprintf(stderr, "usage: make-clips OUTDIR [--set quick|bench] [--seed N] [--clip NAME] [--list]\n"
	    "       make-clips --eval CLIPDIR [--select dwell|other-hand] [--mirrored 0|1] [--events]\n");
	return 2;
}

/* --eval: one line of scores for a clip (tests/bench/hand sums them). */
static int
eval_clip(const char *dir, int argc, char **argv)
{
	struct hand_config cfg = hand_default_config();
	struct clip_result res;
	char err[1024];
	int events = 0;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--select") == 0 && i + 1 < argc)
			cfg.select = strcmp(argv[++i], "other-hand") == 0 ? HAND_SELECT_OTHER_HAND : HAND_SELECT_DWELL;
		else if (strcmp(argv[i], "--mirrored") == 0 && i + 1 < argc)
			cfg.mirrored = atoi(argv[++i]);
		else if (strcmp(argv[i], "--min-cutoff") == 0 && i + 1 < argc)
			cfg.oe_min_cutoff = atof(argv[++i]);
		else if (strcmp(argv[i], "--beta") == 0 && i + 1 < argc)
			cfg.oe_beta = atof(argv[++i]);
		else if (strcmp(argv[i], "--d-cutoff") == 0 && i + 1 < argc)
			cfg.oe_d_cutoff = atof(argv[++i]);
		else if (strcmp(argv[i], "--events") == 0)
			events = 1;
		else
			return usage();
	}
	if (clip_run(dir, &cfg, &res, events ? stdout : NULL, err, sizeof err) != 0) {
		fprintf(stderr, "make-clips: %s\n", err);
		return 1;
	}
	/* clip frames seconds engagements engage_delay presses press_in_dwell
	 * disengage_delay err_n errpx2_sum jit_n jit2_sum cpu_s */
	printf("%s\t%d\t%.3f\t%d\t%.3f\t%d\t%d\t%.3f\t%d\t%.1f\t%d\t%.2f\t%.4f\n", dir, res.frames,
	    res.seconds, res.engagements, res.engage_delay, res.presses, res.press_in_dwell,
	    res.disengage_delay, res.err_n, res.errpx2_sum, res.jit_n, res.jit2_sum, res.cpu_s);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *out = NULL, *set = "quick", *only = NULL;
	uint64_t seed = 1;
	int list = 0, n;
	struct clip *clips;
	char path[1100];
	FILE *mf;

	if (argc >= 3 && strcmp(argv[1], "--eval") == 0)
		return eval_clip(argv[2], argc - 3, argv + 3);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--set") == 0 && i + 1 < argc)
			set = argv[++i];
		else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--clip") == 0 && i + 1 < argc)
			only = argv[++i];
		else if (strcmp(argv[i], "--list") == 0)
			list = 1;
		else if (argv[i][0] != '-' && out == NULL)
			out = argv[i];
		else
			return usage();
	}
	if (out == NULL || (strcmp(set, "quick") != 0 && strcmp(set, "bench") != 0))
		return usage();
	if ((n = make_set(set, seed, &clips)) < 0)
		return 1;
	if (mkdir_p(out) != 0) {
		fprintf(stderr, "make-clips: %s: %s\n", out, strerror(errno));
		free(clips);
		return 1;
	}
	snprintf(path, sizeof path, "%s/manifest.tsv", out);
	if (only == NULL) {
		if ((mf = fopen(path, "w")) == NULL) {
			fprintf(stderr, "make-clips: %s: %s\n", path, strerror(errno));
			free(clips);
			return 1;
		}
		fprintf(mf, "clip\tscenario\tseed\twidth\theight\tfps\tframes\texpect_engage\tmirrored\n");
	} else
		mf = NULL;
	for (int i = 0; i < n; i++) {
		struct clip *c = &clips[i];
		if (only && strcmp(only, c->name) != 0)
			continue;
		if (!list && render_clip(out, c) != 0) {
			if (mf)
				fclose(mf);
			free(clips);
			return 1;
		}
		if (mf) {
			int frames = 0;
			if (!list) {
				char tp[1200], line[256];
				FILE *f;
				snprintf(tp, sizeof tp, "%s/%s/frames.tsv", out, c->name);
				if ((f = fopen(tp, "r")) != NULL) {
					while (fgets(line, sizeof line, f))
						frames++;
					fclose(f);
				}
			}
			fprintf(mf, "%s\t%s\t%llu\t%d\t%d\t%d\t%d\t%d\t%d\n", c->name, sc_names[c->sc],
			    (unsigned long long)c->seed, c->w, c->h, c->fps, frames, c->expect, c->mirrored);
		}
	}
	if (mf && fclose(mf) != 0) {
		free(clips);
		return 1;
	}
	free(clips);
	return 0;
}
