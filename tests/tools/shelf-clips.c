/*
 * shelf-clips — renders bookshelf-camera test clips with ground truth.
 *
 *   shelf-clips OUTDIR [--set quick|bench] [--seed N] [--clip NAME] [--take ID] [--list]
 *               [--png T]   (one frame at time T as OUTDIR/NAME-T.png, for looking at)
 *   shelf-clips --eval OUTDIR [--set ...] [--seed N] [--clip NAME] [--scan track|full|inplace|budget|merged]
 *   shelf-clips --eval-dir CLIPDIR [--scan track|full|inplace|budget|merged]
 *
 * The shelf is a real photograph (/work/shared/data/shelf/shelves.jpeg,
 * MIT, two rows of real books), cropped to 16:9 and scaled to 1280x720.
 * Books of the clip get a white label with an ArUco marker
 * (devices/cv_shelf.h) on their spine; a few slots start empty (the dark
 * back of the shelf).  Over it: the shelf door (a wooden panel that
 * sweeps open from the left hinge), hands and forearms reaching in (to
 * take a book, put one back in its slot or in another, or only to touch
 * and hover over spines), people walking past close to the camera, light
 * changes (ramps, switches, flicker, colour casts, a gradient), objects
 * hiding part of a label, and camera noise.
 *
 * Each clip is a folder with video.avi (MJPG, 15 fps), truth.tsv ("T\tKIND\tID"
 * with KIND door-open, door-closed, taken, returned; taken = the book has
 * left its slot, returned = it is in a slot again), door.jsonl (the door
 * sensor as --events-file lines) and a line in OUTDIR/manifest.tsv.
 * Everything follows from the seed.  --take ID makes the take clips take
 * marker ID (put on the shelf if the layout left it out).
 *
 * --eval renders the clips in memory (no files) and feeds each frame to the
 * shelf model (models/shelf.c), the door events at their times, and prints
 * one line of scores per clip (tests/vision/shelf_clip.h); --eval-dir does
 * the same for a clip folder read back through the camera's file row.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include "devices/camera.h"
#include "devices/cv.h"
#include "devices/cv_shelf.h"
#include "devices/cv_video.h"
#include "models/shelf.h"
#include "tests/vision/shelf_clip.h"

#ifndef SHELF_PHOTO
#define SHELF_PHOTO "/work/shared/data/shelf/shelves.jpeg"
#endif

#define W    1280
#define H    720
#define FPS  15.0
#define MAX_SLOTS 24
#define MAX_ACTS  64

/* ---- random numbers (splitmix64) ---- */

struct rng { uint64_t s; };

static uint64_t
rnext(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double runi(struct rng *r) { return (rnext(r) >> 11) * (1.0 / 9007199254740992.0); }
static double rrange(struct rng *r, double a, double b) { return a + (b - a) * runi(r); }
static int    rint_(struct rng *r, int n) { return (int)(runi(r) * n) % n; }

/* ---- drawing on 8-bit BGR ---- */

struct col { int b, g, r; };

static inline void
px(struct cv_image *im, int x, int y, struct col c)
{
	uint8_t *p;

	if (x < 0 || y < 0 || x >= im->w || y >= im->h)
		return;
	p = im->data + (size_t)y * im->stride + (size_t)x * 3;
	p[0] = (uint8_t)(c.b < 0 ? 0 : c.b > 255 ? 255 : c.b);
	p[1] = (uint8_t)(c.g < 0 ? 0 : c.g > 255 ? 255 : c.g);
	p[2] = (uint8_t)(c.r < 0 ? 0 : c.r > 255 ? 255 : c.r);
}

static struct col
shade(struct col c, double f)
{
	struct col o = { (int)(c.b * f), (int)(c.g * f), (int)(c.r * f) };
	return o;
}

static void
fill_rect(struct cv_image *im, int x0, int y0, int x1, int y1, struct col c)
{
	for (int y = y0 < 0 ? 0 : y0; y < y1 && y < im->h; y++)
		for (int x = x0 < 0 ? 0 : x0; x < x1 && x < im->w; x++)
			px(im, x, y, c);
}

/* An axis-aligned ellipse, shaded towards its rim. */
static void
fill_ellipse(struct cv_image *im, double cx, double cy, double rx, double ry, struct col c)
{
	for (int y = (int)(cy - ry); y <= (int)(cy + ry) + 1; y++) {
		if (y < 0 || y >= im->h)
			continue;
		for (int x = (int)(cx - rx); x <= (int)(cx + rx) + 1; x++) {
			double u = (x - cx) / rx, v = (y - cy) / ry, d = u * u + v * v;
			if (d <= 1)
				px(im, x, y, shade(c, 1.05 - 0.2 * d));
		}
	}
}

/* A capsule from (x0,y0) to (x1,y1), radius r0 at the start to r1 at the end. */
static void
fill_limb(struct cv_image *im, double x0, double y0, double x1, double y1, double r0, double r1,
    struct col c)
{
	double dx = x1 - x0, dy = y1 - y0, l2 = dx * dx + dy * dy + 1e-9, rm = fmax(r0, r1);
	int xa = (int)(fmin(x0, x1) - rm - 1), xb = (int)(fmax(x0, x1) + rm + 1);
	int ya = (int)(fmin(y0, y1) - rm - 1), yb = (int)(fmax(y0, y1) + rm + 1);

	if (xa < 0) xa = 0;
	if (ya < 0) ya = 0;
	if (xb > im->w) xb = im->w;
	if (yb > im->h) yb = im->h;
	for (int y = ya; y < yb; y++)
		for (int x = xa; x < xb; x++) {
			double s = ((x - x0) * dx + (y - y0) * dy) / l2;
			s = s < 0 ? 0 : s > 1 ? 1 : s;
			double ex = x - x0 - s * dx, ey = y - y0 - s * dy, r = r0 + (r1 - r0) * s;
			double d = sqrt(ex * ex + ey * ey);
			if (d <= r)
				px(im, x, y, shade(c, 1.0 - 0.25 * (d / r) * (d / r)));
		}
}

/* Copies the w×h block at (sx, sy) of src to dst at (dx, dy), scaled by k
 * (nearest neighbour). */
static void
blit_scaled(struct cv_image *dst, const struct cv_image *src, int sx, int sy, int w, int h,
    double dx, double dy, double k)
{
	int ow = (int)(w * k), oh = (int)(h * k);

	for (int y = 0; y < oh; y++) {
		int ty = (int)dy + y, fy = sy + (int)(y / k);
		if (ty < 0 || ty >= dst->h || fy < 0 || fy >= src->h)
			continue;
		for (int x = 0; x < ow; x++) {
			int tx = (int)dx + x, fx = sx + (int)(x / k);
			if (tx < 0 || tx >= dst->w || fx < 0 || fx >= src->w)
				continue;
			memcpy(dst->data + (size_t)ty * dst->stride + (size_t)tx * 3,
			    src->data + (size_t)fy * src->stride + (size_t)fx * 3, 3);
		}
	}
}

/* ---- the scene ---- */

/* The photograph's two rows of books, in output pixels (measured on the
 * photo: the rows' book bands and the compartments' x ranges). */
static const struct { int y0, y1; int xs[3][2]; } rows[2] = {
	{ 95, 295, { { 6, 220 }, { 268, 640 }, { 690, 1060 } } },
	{ 380, 690, { { 6, 225 }, { 265, 630 }, { 690, 1030 } } },
};

struct slot {
	int x, w, y0, y1, row;
	int label_y;
	int book;          /* marker id, or -1: empty at the start */
};

enum act_kind { A_DOOR_OPEN, A_DOOR_CLOSE, A_TAKE, A_RETURN, A_REACH, A_PASS, A_LIGHT, A_OCCLUDE };

struct act {
	enum act_kind kind;
	double t0, dur;
	int    slot, id;          /* TAKE / REACH / RETURN / OCCLUDE */
	double a, b, c;           /* parameters */
	struct col col, col2;
};

struct clip {
	char   name[64], scenario[24];
	uint64_t seed;
	double seconds;
	int    nslots;
	struct slot slot[MAX_SLOTS];
	int    side;              /* marker side, px */
	struct act act[MAX_ACTS];
	int    nact;
	int    door_at_start;     /* 1 open */
	double noise;
	struct col cast;          /* per-channel gains ×1000 */
	double grad;
	/* truth */
	struct shelf_truth truth[MAX_ACTS * 2];
	int    ntruth;
};

static struct cv_image photo;   /* the shelf, 1280x720 */
static struct cv_image door_img;

static int
load_photo(char *err, size_t errlen)
{
	struct cv_image full = { 0 }, crop;

	if (photo.data != NULL)
		return 0;
	if (cv_image_load(SHELF_PHOTO, 3, &full, err, errlen) < 0)
		return -1;
	/* The photo area of the figure (it has a title and margins): x 344..2423,
	 * y 557..1726 of 2700x2025 is 16:9 and holds both rows of books. */
	if (full.w != 2700 || full.h != 2025) {
		snprintf(err, errlen, "%s: %dx%d, expected the 2700x2025 photograph", SHELF_PHOTO,
		    full.w, full.h);
		cv_image_free(&full);
		return -1;
	}
	crop = full;
	crop.data = full.data + (size_t)557 * full.stride + 344 * 3;
	crop.w = 2079;
	crop.h = 1169;
	if (cv_image_resize(&crop, W, H, &photo, err, errlen) < 0) {
		cv_image_free(&full);
		return -1;
	}
	cv_image_free(&full);
	/* The door: a wooden panel (grain along y) with a frame. */
	if (cv_image_alloc(&door_img, W, H, 3) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++) {
			double g = 0.85 + 0.08 * sin(x * 0.09 + 3 * sin(y * 0.011)) + 0.05 * sin(x * 0.51);
			int edge = x < 30 || x > W - 30 || y < 30 || y > H - 30;
			struct col wood = { 40, 78, 128 };
			px(&door_img, x, y, shade(wood, edge ? 0.7 : g));
		}
	return 0;
}

static void
add_truth(struct clip *c, double t, const char *kind, int id)
{
	struct shelf_truth *tr = &c->truth[c->ntruth++];

	tr->t = t;
	snprintf(tr->kind, sizeof tr->kind, "%s", kind);
	tr->id = id;
}

static int
truth_cmp(const void *a, const void *b)
{
	const struct shelf_truth *x = a, *y = b;
	return x->t < y->t ? -1 : x->t > y->t;
}

/* Hand timings (seconds). */
#define T_REACH   0.8
#define T_GRASP   0.4
#define T_PULL    0.6
#define T_EXIT    0.6
#define T_INSERT  0.6
#define T_RELEASE 0.3

static struct col
skin(struct rng *r)
{
	static const struct col tones[] = {
		{ 150, 180, 225 }, { 120, 150, 200 }, { 90, 120, 170 }, { 60, 85, 130 }, { 170, 195, 235 },
	};
	return tones[rint_(r, 5)];
}

static struct col
cloth(struct rng *r)
{
	struct col c = { rint_(r, 200) + 20, rint_(r, 200) + 20, rint_(r, 200) + 20 };
	return c;
}

/* Lays out the slots: books in the rows' compartments, a few empty. */
static void
layout(struct clip *c, struct rng *r, int nbooks, int nempty, int unknown_id)
{
	int n = 0, ids[CV_ARUCO_NIDS];

	c->side = 26 + rint_(r, 9);
	for (int i = 0; i < CV_ARUCO_NIDS; i++)
		ids[i] = i;
	/* Catalogue books are ids 0..15 (models/catalogue.json): shuffle those. */
	for (int i = 15; i > 0; i--) {
		int j = rint_(r, i + 1), t = ids[i];
		ids[i] = ids[j];
		ids[j] = t;
	}
	for (int row = 0; row < 2 && n < nbooks + nempty; row++)
		for (int comp = 0; comp < 3 && n < nbooks + nempty; comp++) {
			int x0 = rows[row].xs[comp][0], x1 = rows[row].xs[comp][1];
			int pitch = c->side * 2 + 12 + rint_(r, 20);
			for (int x = x0 + 10 + rint_(r, 30); x + pitch <= x1 && n < nbooks + nempty; x += pitch) {
				struct slot *s = &c->slot[n];
				s->row = row;
				s->w = c->side + 16;
				s->x = x;
				s->y0 = rows[row].y0;
				s->y1 = rows[row].y1;
				s->label_y = (s->y0 + s->y1) / 2 + rint_(r, 40) - 20;
				s->book = n < nbooks ? ids[n] : -1;
				n++;
				if (rint_(r, 3) == 0)
					x += pitch / 2;
			}
		}
	c->nslots = n;
	/* Empty slots spread over the shelf rather than all at the end. */
	for (int i = 0; i < n; i++) {
		int j = rint_(r, n), t = c->slot[i].book;
		c->slot[i].book = c->slot[j].book;
		c->slot[j].book = t;
	}
	if (unknown_id >= 0)
		for (int i = 0; i < n; i++)
			if (c->slot[i].book >= 0) {
				c->slot[i].book = unknown_id;
				break;
			}
}

static void
act_add(struct clip *c, struct act a)
{
	if (c->nact < MAX_ACTS)
		c->act[c->nact++] = a;
}

static double
script_take(struct clip *c, struct rng *r, double t, int slot)
{
	struct act a = { .kind = A_TAKE, .t0 = t, .slot = slot, .id = c->slot[slot].book,
		.col = skin(r), .col2 = cloth(r), .a = rrange(r, -300, 300) };
	a.dur = T_REACH + T_GRASP + T_PULL + T_EXIT;
	act_add(c, a);
	add_truth(c, t + T_REACH + T_GRASP + T_PULL, "taken", a.id);
	return t + a.dur;
}

static double
script_return(struct clip *c, struct rng *r, double t, int id, int slot)
{
	struct act a = { .kind = A_RETURN, .t0 = t, .slot = slot, .id = id,
		.col = skin(r), .col2 = cloth(r), .a = rrange(r, -300, 300) };
	a.dur = T_REACH + T_INSERT + T_RELEASE + T_EXIT;
	act_add(c, a);
	add_truth(c, t + T_REACH + T_INSERT, "returned", id);
	return t + a.dur;
}

static double
script_reach(struct clip *c, struct rng *r, double t, int slot, double hover)
{
	struct act a = { .kind = A_REACH, .t0 = t, .slot = slot, .col = skin(r), .col2 = cloth(r),
		.a = rrange(r, -300, 300), .b = hover, .c = rrange(r, -25, 25) };
	a.dur = 2 * T_REACH + hover;
	act_add(c, a);
	return t + a.dur;
}

static void
script_pass(struct clip *c, struct rng *r, double t)
{
	struct act a = { .kind = A_PASS, .t0 = t, .col = cloth(r), .col2 = cloth(r) };
	double speed = rrange(r, 350, 1400);

	a.a = rrange(r, 150, 240);          /* half width of the torso */
	a.b = speed * (rint_(r, 2) ? 1 : -1);
	a.c = rint_(r, 2);                  /* striped */
	a.dur = (W + 4 * a.a) / speed;
	act_add(c, a);
}

static void
script_light(struct clip *c, struct rng *r, double t)
{
	struct act a = { .kind = A_LIGHT, .t0 = t };

	a.a = rint_(r, 3);                  /* 0 ramp, 1 switch, 2 flicker */
	a.b = rrange(r, 0.45, 1.3);         /* gain reached */
	a.dur = a.a == 0 ? rrange(r, 1, 3) : a.a == 1 ? rrange(r, 2, 6) : rrange(r, 2, 5);
	act_add(c, a);
}

static void
script_occlude(struct clip *c, struct rng *r, double t, int slot)
{
	struct act a = { .kind = A_OCCLUDE, .t0 = t, .slot = slot, .dur = rrange(r, 1, 5) };

	a.a = rrange(r, 0.4, 1.0);          /* share of the label hidden */
	a.b = rint_(r, 4);                  /* from which side */
	a.col = cloth(r);
	act_add(c, a);
}

static void
door(struct clip *c, double t, int open)
{
	struct act a = { .kind = open ? A_DOOR_OPEN : A_DOOR_CLOSE, .t0 = t, .dur = 0.6 };

	act_add(c, a);
	/* The reed switch: open as soon as the door moves, closed once shut. */
	add_truth(c, open ? t : t + a.dur, open ? "door-open" : "door-closed", -1);
}

static int
book_slots(const struct clip *c, int *out)
{
	int n = 0;

	for (int i = 0; i < c->nslots; i++)
		if (c->slot[i].book >= 0)
			out[n++] = i;
	return n;
}

static int
empty_slot(const struct clip *c, struct rng *r)
{
	int e[MAX_SLOTS], n = 0;

	for (int i = 0; i < c->nslots; i++)
		if (c->slot[i].book < 0)
			e[n++] = i;
	return n ? e[rint_(r, n)] : -1;
}

static int force_take = -1;   /* --take ID: the book the take clips take */

/* Builds clip k of a set. */
static void
make_clip(struct clip *c, const char *set, uint64_t seed, int k, const char *scenario)
{
	struct rng r = { seed * 1000003ULL + (uint64_t)k * 7919ULL + 17 };
	int bs[MAX_SLOTS], nb;
	double t;

	memset(c, 0, sizeof *c);
	snprintf(c->scenario, sizeof c->scenario, "%s", scenario);
	snprintf(c->name, sizeof c->name, "%s-%03d-%s", set, k, scenario);
	c->seed = seed;
	c->noise = rrange(&r, 2, 6);
	c->cast.b = (int)rrange(&r, 850, 1100);
	c->cast.g = 1000;
	c->cast.r = (int)rrange(&r, 900, 1150);
	c->grad = rrange(&r, -0.25, 0.25);
	layout(c, &r, 12, 2, !strcmp(scenario, "unknown") ? 40 : -1);
	nb = book_slots(c, bs);
	if (force_take >= 0 && force_take < CV_ARUCO_NIDS) {
		int have = 0;
		for (int i = 0; i < nb; i++)
			have |= c->slot[bs[i]].book == force_take;
		if (!have)
			c->slot[bs[nb - 1]].book = force_take;
	}
	t = 0.5;
	c->door_at_start = 0;
	door(c, t, 1);
	t += 1.5;
	if (!strcmp(scenario, "take") || !strcmp(scenario, "unknown") || !strcmp(scenario, "lost")) {
		int s = bs[rint_(&r, nb)];
		for (int i = 0; i < nb && force_take >= 0; i++)
			if (c->slot[bs[i]].book == force_take)
				s = bs[i];
		if (!strcmp(scenario, "unknown"))
			for (int i = 0; i < nb; i++)
				if (c->slot[bs[i]].book == 40)
					s = bs[(i + 1) % nb];
		t = script_take(c, &r, t, s) + 2.5;
	} else if (!strcmp(scenario, "take-return") || !strcmp(scenario, "return-other")) {
		int s = bs[rint_(&r, nb)], id, to;
		for (int i = 0; i < nb && force_take >= 0; i++)
			if (c->slot[bs[i]].book == force_take)
				s = bs[i];
		id = c->slot[s].book;
		to = s;
		t = script_take(c, &r, t, s) + rrange(&r, 1.5, 4);
		if (!strcmp(scenario, "return-other"))
			to = empty_slot(c, &r);
		t = script_return(c, &r, t, id, to) + 2.5;
	} else if (!strcmp(scenario, "busy")) {
		/* Two takes, a pass, both back in swapped places. */
		int i1 = rint_(&r, nb), s1 = bs[i1], s2 = bs[(i1 + 1 + rint_(&r, nb - 1)) % nb];
		int id1, id2;
		id1 = c->slot[s1].book;
		id2 = c->slot[s2].book;
		t = script_take(c, &r, t, s1) + 1.0;
		t = script_take(c, &r, t, s2) + 1.0;
		script_pass(c, &r, t);
		t += 3;
		t = script_return(c, &r, t, id1, s2) + 1.0;
		t = script_return(c, &r, t, id2, s1) + 2.5;
	} else {
		/* No take: a mixture of the troublemakers for 30 s. */
		double end = 30;
		while (t < end - 3) {
			int what = !strcmp(scenario, "reach") ? 0 : !strcmp(scenario, "passers") ? 1 :
			    !strcmp(scenario, "light") ? 2 : !strcmp(scenario, "occlusion") ? 3 :
			    !strcmp(scenario, "door") ? 4 : rint_(&r, 5);
			switch (what) {
			case 0:
				t = script_reach(c, &r, t, bs[rint_(&r, nb)], rrange(&r, 0.3, 1.5)) + rrange(&r, 0.3, 2);
				break;
			case 1:
				script_pass(c, &r, t);
				t += rrange(&r, 1, 4);
				break;
			case 2:
				script_light(c, &r, t);
				t += rrange(&r, 1.5, 5);
				break;
			case 3:
				script_occlude(c, &r, t, bs[rint_(&r, nb)]);
				t += rrange(&r, 1, 4);
				break;
			case 4:
				door(c, t, 0);
				t += rrange(&r, 1.5, 4);
				door(c, t, 1);
				t += rrange(&r, 2, 4);
				break;
			}
		}
		t = end;
	}
	c->seconds = t;
	qsort(c->truth, (size_t)c->ntruth, sizeof c->truth[0], truth_cmp);
}

/* ---- rendering ---- */

/* The hand at (hx, hy), arm from below at x = ax. */
static void
draw_hand(struct cv_image *im, double ax, double hx, double hy, struct col skin_c, struct col sleeve,
    double t)
{
	double jx = 3 * sin(t * 9.1), jy = 3 * sin(t * 7.3 + 1);

	hx += jx;
	hy += jy;
	fill_limb(im, ax, H + 80, hx, hy + 60, 48, 34, sleeve);
	fill_limb(im, hx, hy + 70, hx, hy + 30, 26, 24, skin_c);
	fill_ellipse(im, hx, hy, 36, 44, skin_c);
	for (int f = 0; f < 4; f++)
		fill_limb(im, hx - 24 + 16 * f, hy - 30, hx - 26 + 17 * f, hy - 64 + (f == 0 || f == 3 ? 10 : 0),
		    8, 7, skin_c);
	fill_limb(im, hx + 30, hy + 10, hx + 52, hy - 14, 9, 8, skin_c);
}

static double
ease(double p)
{
	p = p < 0 ? 0 : p > 1 ? 1 : p;
	return p * p * (3 - 2 * p);
}

struct render {
	struct cv_image scene;     /* the shelf as the books now stand */
	struct cv_image withbook;  /* the photo with every slot's book drawn */
	int    present[MAX_SLOTS]; /* the book in each slot now (-1 none) */
	int    dirty;
	struct cv_image label;
	int16_t *noise;
	size_t  nnoise;
	struct rng r;
};

/* The photo with a label (marker id) on the spine of slot s. */
static void
draw_label(struct cv_image *im, const struct clip *c, const struct slot *s, int id)
{
	char err[128];
	static struct cv_image mk;
	int pad = c->side / 4 + 2, L = c->side + 2 * pad;
	int x0 = s->x + (s->w - L) / 2, y0 = s->label_y - L / 2;

	if (cv_aruco_draw(id, c->side, &mk, err, sizeof err) < 0)
		return;
	fill_rect(im, x0, y0, x0 + L, y0 + L, (struct col){ 235, 238, 240 });
	for (int y = 0; y < c->side; y++)
		for (int x = 0; x < c->side; x++) {
			int v = mk.data[(size_t)y * mk.stride + x] ? 235 : 20;
			px(im, x0 + pad + x, y0 + pad + y, (struct col){ v, v, v });
		}
}

/* The empty slot: the dark back of the shelf. */
static void
draw_gap(struct cv_image *im, const struct slot *s)
{
	for (int y = s->y0; y < s->y1; y++)
		for (int x = s->x; x < s->x + s->w; x++) {
			double f = 0.6 + 0.4 * (double)(y - s->y0) / (s->y1 - s->y0);
			px(im, x, y, shade((struct col){ 28, 30, 36 }, f));
		}
}

static void
rebuild_scene(struct render *R, const struct clip *c)
{
	memcpy(R->scene.data, photo.data, (size_t)H * photo.stride);
	for (int i = 0; i < c->nslots; i++) {
		if (R->present[i] >= 0)
			draw_label(&R->scene, c, &c->slot[i], R->present[i]);
		else
			draw_gap(&R->scene, &c->slot[i]);
	}
	R->dirty = 0;
}

static int
render_init(struct render *R, const struct clip *c)
{
	memset(R, 0, sizeof *R);
	if (cv_image_alloc(&R->scene, W, H, 3) < 0 || cv_image_alloc(&R->withbook, W, H, 3) < 0)
		return -1;
	memcpy(R->withbook.data, photo.data, (size_t)H * photo.stride);
	for (int i = 0; i < c->nslots; i++)
		R->present[i] = c->slot[i].book;
	R->nnoise = 1u << 20;
	if ((R->noise = malloc(R->nnoise * sizeof *R->noise)) == NULL)
		return -1;
	R->r.s = c->seed ^ 0xabcdef;
	for (size_t i = 0; i < R->nnoise; i++) {
		double g = sqrt(-2 * log(runi(&R->r) + 1e-12)) * cos(2 * M_PI * runi(&R->r));
		R->noise[i] = (int16_t)lrint(g * c->noise);
	}
	R->dirty = 1;
	return 0;
}

static void
render_free(struct render *R)
{
	cv_image_free(&R->scene);
	cv_image_free(&R->withbook);
	cv_image_free(&R->label);
	free(R->noise);
}

/* The spine of slot s carrying book id, as a free-standing patch drawn at
 * offset (dx, dy) from its place, scaled by k. */
static void
draw_moving_book(struct render *R, struct cv_image *im, const struct clip *c, int s, int id,
    double dx, double dy, double k)
{
	const struct slot *sl = &c->slot[s];

	/* Paint the book (its photo spine and label) into withbook first. */
	memcpy(R->withbook.data, photo.data, (size_t)H * photo.stride);
	draw_label(&R->withbook, c, sl, id);
	blit_scaled(im, &R->withbook, sl->x, sl->y0, sl->w, sl->y1 - sl->y0,
	    sl->x + dx - sl->w * (k - 1) / 2, sl->y0 + dy, k);
}

static void
render_frame(struct render *R, const struct clip *c, double t, struct cv_image *out)
{
	double gain = 1.0;
	int door_w = 0;

	/* Book states at t (from the take/return acts). */
	int present[MAX_SLOTS];
	for (int i = 0; i < c->nslots; i++)
		present[i] = c->slot[i].book;
	for (int i = 0; i < c->nact; i++) {
		const struct act *a = &c->act[i];
		if (a->kind == A_TAKE && t >= a->t0 + T_REACH + T_GRASP)
			present[a->slot] = -1;
		if (a->kind == A_RETURN && t >= a->t0 + T_REACH + T_INSERT) {
			for (int j = 0; j < c->nslots; j++)
				if (present[j] == a->id)
					present[j] = -1;
			present[a->slot] = a->id;
		}
	}
	for (int i = 0; i < c->nslots; i++)
		if (present[i] != R->present[i]) {
			R->present[i] = present[i];
			R->dirty = 1;
		}
	if (R->dirty)
		rebuild_scene(R, c);
	memcpy(out->data, R->scene.data, (size_t)H * R->scene.stride);

	for (int i = 0; i < c->nact; i++) {
		const struct act *a = &c->act[i];
		double u = t - a->t0;
		if (u < 0 || u > a->dur)
			continue;
		const struct slot *s = &c->slot[a->slot < 0 ? 0 : a->slot];
		double lx = s->x + s->w / 2.0, ly = s->label_y;
		switch (a->kind) {
		case A_OCCLUDE: {
			int L = c->side + 2 * (c->side / 4 + 2), cov = (int)(a->a * L);
			int x0 = (int)lx - L / 2, y0 = (int)ly - L / 2;
			if (a->b == 0)
				fill_rect(out, x0, y0, x0 + cov, y0 + L, a->col);
			else if (a->b == 1)
				fill_rect(out, x0 + L - cov, y0, x0 + L, y0 + L, a->col);
			else if (a->b == 2)
				fill_rect(out, x0 - 4, y0, x0 + L + 4, y0 + cov, a->col);
			else
				fill_rect(out, x0 - 4, y0 + L - cov, x0 + L + 4, y0 + L, a->col);
			break;
		}
		case A_TAKE: {
			double ax = lx + a->a;
			if (u < T_REACH) {
				double p = ease(u / T_REACH);
				draw_hand(out, ax, ax + (lx - ax) * p, H + 60 + (ly - H - 60) * p, a->col, a->col2, t);
			} else if (u < T_REACH + T_GRASP) {
				draw_hand(out, ax, lx, ly, a->col, a->col2, t);
			} else if (u < T_REACH + T_GRASP + T_PULL) {
				double p = ease((u - T_REACH - T_GRASP) / T_PULL);
				draw_moving_book(R, out, c, a->slot, a->id, 0, p * 120, 1 + 0.35 * p);
				draw_hand(out, ax, lx, ly + p * 120 + 20, a->col, a->col2, t);
			} else {
				double p = ease((u - T_REACH - T_GRASP - T_PULL) / T_EXIT);
				double y = ly + 140 + p * (H + 300 - ly);
				draw_moving_book(R, out, c, a->slot, a->id, (ax - lx) * p, y - ly - 20, 1.35);
				draw_hand(out, ax, lx + (ax - lx) * p, y, a->col, a->col2, t);
			}
			break;
		}
		case A_RETURN: {
			double ax = lx + a->a;
			if (u < T_REACH) {
				double p = 1 - ease(u / T_REACH);
				double y = ly + 140 + p * (H + 300 - ly);
				draw_moving_book(R, out, c, a->slot, a->id, (ax - lx) * p, y - ly - 20, 1.35);
				draw_hand(out, ax, lx + (ax - lx) * p, y, a->col, a->col2, t);
			} else if (u < T_REACH + T_INSERT) {
				double p = 1 - ease((u - T_REACH) / T_INSERT);
				draw_moving_book(R, out, c, a->slot, a->id, 0, p * 120, 1 + 0.35 * p);
				draw_hand(out, ax, lx, ly + p * 120 + 20, a->col, a->col2, t);
			} else if (u < T_REACH + T_INSERT + T_RELEASE) {
				draw_hand(out, ax, lx, ly, a->col, a->col2, t);
			} else {
				double p = ease((u - T_REACH - T_INSERT - T_RELEASE) / T_EXIT);
				draw_hand(out, ax, lx + (ax - lx) * p, ly + p * (H + 60 - ly), a->col, a->col2, t);
			}
			break;
		}
		case A_REACH: {
			double ax = lx + a->a, tx = lx + a->c, p;
			if (u < T_REACH)
				p = ease(u / T_REACH);
			else if (u < T_REACH + a->b)
				p = 1;
			else
				p = 1 - ease((u - T_REACH - a->b) / T_REACH);
			draw_hand(out, ax, ax + (tx - ax) * p, H + 60 + (ly - H - 60) * p, a->col, a->col2, t);
			break;
		}
		case A_PASS: {
			double x = a->b > 0 ? -2 * a->a + a->b * u : W + 2 * a->a + a->b * u;
			double rx = a->a;
			for (int y = 0; y < H; y++) {
				double v = (y - H * 0.9) / (H * 0.85);
				double half = rx * sqrt(fmax(0, 1 - v * v * 0.5));
				for (int xx = (int)(x - half); xx < (int)(x + half); xx++) {
					struct col k = a->col;
					if (a->c && ((y / 24) & 1))
						k = a->col2;
					px(out, xx, y, shade(k, 0.8 + 0.2 * cos((xx - x) / half * 1.4)));
				}
			}
			fill_ellipse(out, x, -20, rx * 0.55, rx * 0.7, (struct col){ 60, 80, 110 });
			break;
		}
		case A_LIGHT: {
			double p = u / a->dur;
			if (a->a == 0)
				gain *= 1 + (a->b - 1) * sin(M_PI * p);
			else if (a->a == 1)
				gain *= a->b;
			else
				gain *= 1 + 0.12 * sin(2 * M_PI * 6 * u);
			break;
		}
		case A_DOOR_OPEN:
			door_w = (int)(W * (1 - ease(u / a->dur)));
			break;
		case A_DOOR_CLOSE:
			door_w = (int)(W * ease(u / a->dur));
			break;
		}
	}
	/* The door when it is not moving: closed before the first open, and
	 * between a close and the next open. */
	{
		int closed = !c->door_at_start, moving = 0;
		for (int i = 0; i < c->nact; i++) {
			const struct act *a = &c->act[i];
			if (a->kind != A_DOOR_OPEN && a->kind != A_DOOR_CLOSE)
				continue;
			if (t >= a->t0 && t <= a->t0 + a->dur)
				moving = 1;
			if (t > a->t0 + a->dur)
				closed = a->kind == A_DOOR_CLOSE;
		}
		if (!moving && closed)
			door_w = W;
	}
	for (int y = 0; y < H && door_w > 0; y++) {
		/* The panel seen at an angle: narrower, same picture squeezed. */
		for (int x = 0; x < door_w; x++)
			memcpy(out->data + (size_t)y * out->stride + (size_t)x * 3,
			    door_img.data + (size_t)y * door_img.stride + (size_t)(x * W / door_w) * 3, 3);
	}
	/* Light: gain, colour cast, a gradient across; then noise. */
	{
		size_t off = rnext(&R->r) % (R->nnoise - (size_t)W * 3 - 1);
		int lut[3][256];
		for (int ch = 0; ch < 3; ch++) {
			int cg = ch == 0 ? c->cast.b : ch == 1 ? c->cast.g : c->cast.r;
			for (int v = 0; v < 256; v++)
				lut[ch][v] = (int)(v * gain * cg / 1000.0 * 256);
		}
		for (int y = 0; y < H; y++) {
			uint8_t *p = out->data + (size_t)y * out->stride;
			const int16_t *nz = R->noise + (off + (size_t)y * 977) % (R->nnoise - (size_t)W * 3);
			for (int x = 0; x < W; x++) {
				int g = (int)(256 * (1 + c->grad * (x - W / 2) / (double)W));
				for (int ch = 0; ch < 3; ch++, p++) {
					int v = (int)(((long)lut[ch][*p] * g) >> 16) + nz[x * 3 + ch];
					*p = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
				}
			}
		}
	}
}

/* ---- sets ---- */

static const char *const quick_set[] = {
	"take", "take-return", "return-other", "reach", "passers", "light", "occlusion", "door",
	"unknown", "busy",
};

static int
set_size(const char *set)
{
	return !strcmp(set, "quick") ? (int)(sizeof quick_set / sizeof quick_set[0]) : 60 + 120;
}

static const char *
set_scenario(const char *set, int k)
{
	static const char *const takes[] = { "take", "take-return", "return-other", "busy" };

	if (!strcmp(set, "quick"))
		return quick_set[k];
	/* bench: 60 clips with takes and returns, then 120 no-take clips of
	 * 30 s (one hour), a mixture of all the troublemakers. */
	if (k < 60)
		return takes[k % 4];
	return "mixed";
}

/* ---- writing, evaluating ---- */

static int
mkdir_p(const char *d)
{
	return mkdir(d, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

static void
write_truth(const struct clip *c, const char *dir)
{
	char path[1100];
	FILE *f;

	snprintf(path, sizeof path, "%s/truth.tsv", dir);
	if ((f = fopen(path, "w")) == NULL)
		return;
	fprintf(f, "# t\tkind\tid (%s, %.1f s, marker side %d px)\n", c->scenario, c->seconds, c->side);
	for (int i = 0; i < c->ntruth; i++)
		fprintf(f, "%.4f\t%s\t%d\n", c->truth[i].t, c->truth[i].kind, c->truth[i].id);
	fclose(f);
	snprintf(path, sizeof path, "%s/door.jsonl", dir);
	if ((f = fopen(path, "w")) == NULL)
		return;
	for (int i = 0; i < c->ntruth; i++)
		if (!strncmp(c->truth[i].kind, "door-", 5))
			fprintf(f, "{\"t\":%.3f,\"type\":\"door\",\"state\":\"%s\"}\n", c->truth[i].t,
			    c->truth[i].kind + 5);
	fclose(f);
}

static int
write_clip(const struct clip *c, const char *outdir)
{
	char dir[1024], path[1100], err[256];
	struct render R;
	struct cv_image fr = { 0 };
	struct cv_writer *wr;
	int nf = (int)(c->seconds * FPS);

	snprintf(dir, sizeof dir, "%s/%s", outdir, c->name);
	if (mkdir_p(dir) < 0) {
		fprintf(stderr, "shelf-clips: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof path, "%s/video.avi", dir);
	if (render_init(&R, c) < 0 || cv_image_alloc(&fr, W, H, 3) < 0 ||
	    (wr = cv_writer_open(path, W, H, FPS, err, sizeof err)) == NULL) {
		fprintf(stderr, "shelf-clips: %s\n", err);
		return -1;
	}
	for (int f = 0; f < nf; f++) {
		render_frame(&R, c, f / FPS, &fr);
		if (cv_writer_write(wr, &fr, err, sizeof err) < 0) {
			fprintf(stderr, "shelf-clips: %s\n", err);
			return -1;
		}
	}
	cv_writer_close(wr);
	write_truth(c, dir);
	render_free(&R);
	cv_image_free(&fr);
	return 0;
}

static enum shelf_scan scan_mode = SHELF_SCAN_TRACK;

/* Renders a clip in memory and scores the model on it. */
static int
eval_clip(const struct clip *c)
{
	struct render R;
	struct cv_image fr = { 0 };
	struct shelf_score sc;
	struct shelf_runner run;
	char err[256];
	int nf = (int)(c->seconds * FPS);

	if (render_init(&R, c) < 0 || cv_image_alloc(&fr, W, H, 3) < 0 ||
	    shelf_runner_init(&run, scan_mode, c->truth, c->ntruth, err, sizeof err) < 0) {
		fprintf(stderr, "shelf-clips: %s\n", err);
		return -1;
	}
	for (int f = 0; f < nf; f++) {
		render_frame(&R, c, f / FPS, &fr);
		if (shelf_runner_frame(&run, &fr, f / FPS, err, sizeof err) < 0) {
			fprintf(stderr, "shelf-clips: %s: %s\n", c->name, err);
			return -1;
		}
	}
	shelf_score(&run, c->truth, c->ntruth, &sc);
	shelf_score_print(stdout, c->name, c->scenario, &run, &sc);
	shelf_runner_free(&run);
	render_free(&R);
	cv_image_free(&fr);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *out = NULL, *set = "quick", *only = NULL, *evaldir = NULL;
	uint64_t seed = 1;
	int list = 0, eval = 0;
	double png_t = -1;
	char err[256];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--set") && i + 1 < argc)
			set = argv[++i];
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--clip") && i + 1 < argc)
			only = argv[++i];
		else if (!strcmp(argv[i], "--take") && i + 1 < argc)
			force_take = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--png") && i + 1 < argc)
			png_t = atof(argv[++i]);
		else if (!strcmp(argv[i], "--list"))
			list = 1;
		else if (!strcmp(argv[i], "--eval"))
			eval = 1;
		else if (!strcmp(argv[i], "--eval-dir") && i + 1 < argc)
			evaldir = argv[++i];
		else if (!strcmp(argv[i], "--scan") && i + 1 < argc) {
			i++;
			if (shelf_scan_parse(argv[i]) < 0) {
				fprintf(stderr, "shelf-clips: --scan %s: want track, full, inplace, budget "
				    "or merged\n", argv[i]);
				return 2;
			}
			scan_mode = (enum shelf_scan)shelf_scan_parse(argv[i]);
		} else if (argv[i][0] != '-' && out == NULL)
			out = argv[i];
		else {
			fprintf(stderr, "usage: shelf-clips OUTDIR [--set quick|bench] [--seed N] [--clip NAME] "
			    "[--take ID] [--list] [--eval] [--scan track|full|inplace|budget|merged] [--png T]\n"
			    "       shelf-clips --eval-dir CLIPDIR [--scan track|full|inplace|budget|merged]\n");
			return 2;
		}
	}
	if (evaldir != NULL) {
		struct shelf_score sc;
		struct shelf_runner run;
		if (shelf_eval_dir(evaldir, scan_mode, &run, &sc, err, sizeof err) < 0) {
			fprintf(stderr, "shelf-clips: %s\n", err);
			return 1;
		}
		shelf_score_print(stdout, evaldir, "-", &run, &sc);
		shelf_runner_free(&run);
		return 0;
	}
	if (strcmp(set, "quick") && strcmp(set, "bench")) {
		fprintf(stderr, "shelf-clips: --set quick or bench, not \"%s\"\n", set);
		return 2;
	}
	if (out == NULL && (!eval || png_t >= 0)) {
		fprintf(stderr, "shelf-clips: no OUTDIR\n");
		return 2;
	}
	if (load_photo(err, sizeof err) < 0) {
		fprintf(stderr, "shelf-clips: %s\n", err);
		return 1;
	}
	if (out != NULL && mkdir_p(out) < 0) {
		fprintf(stderr, "shelf-clips: %s: %s\n", out, strerror(errno));
		return 1;
	}
	FILE *man = NULL;
	if (out != NULL && !eval) {
		char mp[1024];
		snprintf(mp, sizeof mp, "%s/manifest.tsv", out);
		if ((man = fopen(mp, only ? "a" : "w")) == NULL) {
			fprintf(stderr, "shelf-clips: %s: %s\n", mp, strerror(errno));
			return 1;
		}
		if (!only)
			fprintf(man, "clip\tscenario\tseconds\ttakes\treturns\tdoor_events\n");
	}
	for (int k = 0; k < set_size(set); k++) {
		static struct clip c;
		int nt = 0, nr = 0, nd = 0;
		make_clip(&c, set, seed, k, set_scenario(set, k));
		if (only != NULL && strcmp(only, c.name))
			continue;
		for (int i = 0; i < c.ntruth; i++) {
			nt += !strcmp(c.truth[i].kind, "taken");
			nr += !strcmp(c.truth[i].kind, "returned");
			nd += !strncmp(c.truth[i].kind, "door-", 5);
		}
		if (man != NULL && !only)
			fprintf(man, "%s\t%s\t%.1f\t%d\t%d\t%d\n", c.name, c.scenario, c.seconds, nt, nr, nd);
		if (png_t >= 0 && out != NULL) {
			struct render R;
			struct cv_image fr = { 0 };
			char pp[1100];
			snprintf(pp, sizeof pp, "%s/%s-%.2f.png", out, c.name, png_t);
			if (render_init(&R, &c) < 0 || cv_image_alloc(&fr, W, H, 3) < 0)
				return 1;
			render_frame(&R, &c, png_t, &fr);
			if (cv_image_save(pp, &fr, err, sizeof err) < 0)
				fprintf(stderr, "shelf-clips: %s\n", err);
			render_free(&R);
			cv_image_free(&fr);
			continue;
		}
		if (eval) {
			if (eval_clip(&c) < 0)
				return 1;
		} else if (!list && write_clip(&c, out) < 0)
			return 1;
	}
	if (man != NULL)
		fclose(man);
	return 0;
}
