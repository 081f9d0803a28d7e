/*
 * shelf — books taken from and put back on the shelf (shelf.h).
 */
#include "models/shelf.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"

#define SG_W  4               /* spine strip samples across */
#define SG_H  8               /* and along */
#define SG_N  (SG_W * SG_H)
#define MAX_ROIS (SHELF_NIDS * 2 + 2)
#define DT_CAP 0.25           /* a longer gap between frames counts as this */
#define SHELF_BURST 4         /* books away at once that mean something big in front */
#define SHELF_BURST_HOLD_S 0.3
#define SHELF_TOUCH_S 0.25    /* a hand held over the place this long (a hand
                                 passing over it on its way is not a grasp) */

struct skinmap { uint64_t m[2]; };

struct strip {
	float v[SG_N];
	float mean, sd;
	float skin;               /* share of cells of skin colour */
	int   ok;                 /* inside the frame */
};

struct mk {
	enum shelf_marker_state st;
	float  hx, hy, side;      /* home */
	struct cv_marker hm;      /* the marker as last seen at home */
	float  fx, fy;            /* where it was taken from */
	double miss_since;        /* left home (-1: at home) */
	double touched_t;         /* a hand last seen over its place */
	double touch;             /* seconds a hand has been over it since it went */
	int    blind;             /* the camera was gone since it was last seen at home:
	                             a hand may have come and gone unseen */
	double away;              /* seconds counted towards a take */
	/* a place it is seen still in (for returns, learning, nudges) */
	int    cand;
	float  cx, cy, cside;
	double cand_since;
	/* this frame */
	int    seen;
	struct cv_marker m;
	/* last frame */
	int    was_seen;
	float  lx, ly, lside;
	/* the spine above and below the label: reference and last sample */
	struct strip ref[2], prev[2];
	int    have_ref, have_prev;
	struct skinmap skin_ref, skin_last; /* skin-coloured cells around and above
	                                       it with the book in place */
};

struct shelf {
	struct shelf_config cfg;
	unsigned char known[SHELF_NIDS];
	struct cv_aruco *det;
	struct mk     mk[SHELF_NIDS];
	int           door_open;
	int           settle_pending;
	double        settle_until, burst_until;
	int           lost;
	double        last_t;
	int           have_last_t;
	unsigned long frame_no;
	unsigned      rr;         /* BUDGET: the next window searched first */
	struct cv_marker found[CV_ARUCO_MAX];
	int           nfound;
	struct shelf_stats st;
};

struct shelf_config
shelf_default_config(void)
{
	struct shelf_config c = {
		.take_s = 0.5, .return_s = 0.2, .settle_s = 0.6, .move_frac = 0.6,
		.changed_ncc = 0.6, .view_frac = 0.5, .scan = SHELF_SCAN_TRACK, .scan_bands = 5,
		.search_budget = 3,
		.det = { .min_side_px = 10, .fast = 1, .aruco3 = 0 },
	};
	return c;
}

int
shelf_scan_parse(const char *name)
{
	static const char *const names[] = { "track", "full", "inplace", "budget", "merged" };

	for (int i = 0; name != NULL && i < (int)(sizeof names / sizeof names[0]); i++)
		if (!strcmp(name, names[i]))
			return i;
	return -1;
}

struct shelf *
shelf_new(const struct shelf_config *cfg, char *err, size_t errlen)
{
	struct shelf *s = calloc(1, sizeof *s);

	if (s == NULL) {
		log_seterr(err, errlen, "out of memory");
		return NULL;
	}
	s->cfg = cfg != NULL ? *cfg : shelf_default_config();
	if (s->cfg.take_s <= 0 || s->cfg.return_s <= 0 || s->cfg.settle_s < 0 ||
	    s->cfg.move_frac <= 0 || s->cfg.scan_bands < 1 || s->cfg.scan_bands > 32 ||
	    s->cfg.search_budget < 1 || (unsigned)s->cfg.scan > SHELF_SCAN_MERGED) {
		log_seterr(err, errlen, "shelf: bad configuration (take_s %.2f, return_s %.2f, "
		    "settle_s %.2f, scan_bands %d, search_budget %d, scan %d)", s->cfg.take_s,
		    s->cfg.return_s, s->cfg.settle_s, s->cfg.scan_bands, s->cfg.search_budget,
		    (int)s->cfg.scan);
		free(s);
		return NULL;
	}
	for (int i = 0; i < SHELF_NIDS; i++) {
		s->known[i] = cfg == NULL || cfg->known == NULL || cfg->known[i];
		s->mk[i].miss_since = -1;
		s->mk[i].touched_t = -1e9;
	}
	s->cfg.known = NULL;
	if ((s->det = cv_aruco_new(&s->cfg.det, err, errlen)) == NULL) {
		free(s);
		return NULL;
	}
	s->door_open = 1;
	s->settle_pending = 1;
	return s;
}

void
shelf_free(struct shelf *s)
{
	if (s == NULL)
		return;
	cv_aruco_free(s->det);
	free(s);
}

void
shelf_set_door(struct shelf *s, double t, int open)
{
	(void)t;
	if (open && !s->door_open)
		s->settle_pending = 1;
	s->door_open = open != 0;
}

int
shelf_door_open(const struct shelf *s)
{
	return s->door_open;
}

void
shelf_camera_lost(struct shelf *s, double t)
{
	(void)t;
	s->lost = 1;
	s->settle_pending = 1;
	s->have_last_t = 0;
	for (int i = 0; i < SHELF_NIDS; i++) {
		s->mk[i].was_seen = 0;
		s->mk[i].cand = 0;
		s->mk[i].have_prev = 0;
		s->mk[i].blind = s->mk[i].st == SHELF_ON;
	}
}

enum shelf_marker_state
shelf_marker(const struct shelf *s, int id, struct cv_point *home)
{
	if (id < 0 || id >= SHELF_NIDS)
		return SHELF_UNSEEN;
	if (home != NULL) {
		home->x = s->mk[id].hx;
		home->y = s->mk[id].hy;
	}
	return s->mk[id].st;
}

const struct shelf_stats *
shelf_stats(const struct shelf *s)
{
	return &s->st;
}

int
shelf_last_markers(const struct shelf *s, const struct cv_marker **m)
{
	*m = s->found;
	return s->nfound;
}

/* ---- the spine around the label ---- */

/* Grey mean of the w×h block at (x, y), clipped, -1 when outside; *skin
 * is set when the block's mean colour is a skin tone (YCrCb box). */
static float
block_mean(const struct cv_image *im, int x, int y, int w, int h, int *skin)
{
	int x1 = x + w, y1 = y + h, n = 0;
	unsigned sb = 0, sg = 0, sr = 0;

	*skin = 0;
	if (x < 0) x = 0;
	if (y < 0) y = 0;
	if (x1 > im->w) x1 = im->w;
	if (y1 > im->h) y1 = im->h;
	if (x1 <= x || y1 <= y)
		return -1;
	for (int j = y; j < y1; j++) {
		const uint8_t *p = im->data + (size_t)j * im->stride + (size_t)x * im->channels;
		for (int i = x; i < x1; i++, p += im->channels, n++) {
			sb += p[0];
			if (im->channels == 3) {
				sg += p[1];
				sr += p[2];
			}
		}
	}
	if (im->channels != 3)
		return (float)sb / (float)n;
	{
		float b = (float)sb / n, g = (float)sg / n, r = (float)sr / n;
		float Y = 0.299f * r + 0.587f * g + 0.114f * b;
		float cr = (r - Y) * 0.713f + 128, cb = (b - Y) * 0.564f + 128;
		*skin = Y > 45 && cr > 136 && cr < 180 && cb > 77 && cb < 130;
		return (b + 2 * g + r) / 4;
	}
}

/* Samples the strip above (which 0) or below (1) a label centred at
 * (x, y) of the given side. */
static void
strip_sample(const struct cv_image *im, float x, float y, float side, int which, struct strip *st)
{
	float w = 0.8f * side, h = 1.6f * side, gap = 0.75f * side;
	float x0 = x - w / 2, y0 = which == 0 ? y - gap - h : y + gap;
	float cw = w / SG_W, ch = h / SG_H, sum = 0, sq = 0;
	int bw = (int)fmaxf(1, cw), bh = (int)fmaxf(1, ch), nskin = 0;

	st->ok = x0 >= 0 && y0 >= 0 && x0 + w <= im->w && y0 + h <= im->h;
	if (!st->ok)
		return;
	for (int j = 0; j < SG_H; j++)
		for (int i = 0; i < SG_W; i++) {
			int sk;
			float v = block_mean(im, (int)(x0 + i * cw), (int)(y0 + j * ch), bw, bh, &sk);
			st->v[j * SG_W + i] = v;
			nskin += sk;
			sum += v;
			sq += v * v;
		}
	st->skin = (float)nskin / SG_N;
	st->mean = sum / SG_N;
	st->sd = sqrtf(fmaxf(0, sq / SG_N - st->mean * st->mean));
}

/* A hand anywhere near (x, y): skin in a coarse grid over a window 6 marker
 * sides wide and 5 high around the label (the next books and the arm). */
/* Skin-coloured cells of a coarse 8x16 grid over the window 6 marker sides
 * wide from the top of the frame down to 2.5 sides under the label: the
 * books next to it, and the way a hand comes and goes (an arm reaching
 * for the row above lies across this one, its hand above). */
static struct skinmap
skin_map(const struct cv_image *im, float x, float y, float side)
{
	float w = 6 * side, y1 = y + 2.5f * side, cw = w / 8, ch = y1 / 16;
	struct skinmap map = { { 0, 0 } };
	int sk;

	if (im->channels != 3)
		return map;
	for (int j = 0; j < 16; j++)
		for (int i = 0; i < 8; i++) {
			(void)block_mean(im, (int)(x - w / 2 + i * cw), (int)(j * ch),
			    (int)cw / 2 + 1, (int)ch / 3 + 1, &sk);
			if (sk)
				map.m[j / 8] |= 1ULL << ((j % 8) * 8 + i);
		}
	return map;
}

/* Skin where there was none with the book in place (books can be skin
 * coloured, hands are new). */
static int
hand_near(const struct cv_image *im, float x, float y, float side, const struct skinmap *ref)
{
	struct skinmap cur = skin_map(im, x, y, side);

	return __builtin_popcountll(cur.m[0] & ~ref->m[0]) +
	    __builtin_popcountll(cur.m[1] & ~ref->m[1]) >= 4;
}

/* How much a strip still looks like its reference: 1 alike .. 0 changed. */
static float
strip_alike(const struct strip *a, const struct strip *ref)
{
	float c = 0;

	if (ref->sd < 4 && a->sd < 4) {   /* both plain: compare brightness */
		float r = (a->mean + 1) / (ref->mean + 1);
		return r > 0.6f && r < 1.6f ? 1 : 0;
	}
	if (ref->sd < 4 || a->sd < 4)
		return 0;
	for (int i = 0; i < SG_N; i++)
		c += (a->v[i] - a->mean) * (ref->v[i] - ref->mean);
	return c / (SG_N * a->sd * ref->sd);
}

/* Mean absolute change between two samples of the same place. */
static float
strip_mad(const struct strip *a, const struct strip *b)
{
	float d = 0;

	for (int i = 0; i < SG_N; i++)
		d += fabsf(a->v[i] - b->v[i]);
	return d / SG_N;
}

/* ---- decisions ---- */

static float
dist(float ax, float ay, float bx, float by)
{
	return hypotf(ax - bx, ay - by);
}

static int
at_home(const struct shelf *s, const struct mk *k)
{
	return k->seen && dist(k->m.centre.x, k->m.centre.y, k->hx, k->hy) <=
	    (float)s->cfg.move_frac * k->side;
}

/* The place of k is in view: enough of the books near it are seen, and
 * no book above or below it (another row, about the same x) is hidden too:
 * what hides two rows at once is a person, not a hand taking one book. */
static int
place_in_view(const struct shelf *s, int id)
{
	const struct mk *k = &s->mk[id];
	int near = 0, seen = 0;

	for (int i = 0; i < SHELF_NIDS; i++) {
		const struct mk *o = &s->mk[i];
		if (i == id || o->st != SHELF_ON)
			continue;
		if (fabsf(o->hy - k->hy) > 3 * k->side && fabsf(o->hx - k->hx) < 2.5f * k->side &&
		    !at_home(s, o))
			return 0;
		if (fabsf(o->hx - k->hx) > 5 * k->side || fabsf(o->hy - k->hy) > 1.5f * k->side)
			continue;
		near++;
		seen += at_home(s, o);
	}
	return near == 0 || seen >= s->cfg.view_frac * near;
}

static void
emit(struct shelf_event *ev, int max, int *n, const struct shelf_event *e)
{
	if (*n < max)
		ev[*n] = *e;
	(*n)++;
}

/* Seen still in one place: tracks the candidate; 1 once it has held for
 * return_s. */
static int
still_for(struct shelf *s, struct mk *k, double t)
{
	const struct cv_marker *m = &k->m;

	if (!k->cand || dist(m->centre.x, m->centre.y, k->cx, k->cy) > 0.25f * k->cside ||
	    m->side < 0.8f * k->cside || m->side > 1.25f * k->cside) {
		k->cand = 1;
		k->cx = m->centre.x;
		k->cy = m->centre.y;
		k->cside = m->side;
		k->cand_since = t;
		return 0;
	}
	return t - k->cand_since >= s->cfg.return_s;
}

static void
set_home(struct mk *k)
{
	k->hm = k->m;
	k->hx = k->cx;
	k->hy = k->cy;
	k->side = k->cside;
	k->miss_since = -1;
	k->away = 0;
	k->have_ref = 0;
	k->cand = 0;
}

int
shelf_observe(struct shelf *s, const struct cv_image *bgr, double t, const struct cv_marker *m,
    int n, struct shelf_event *ev, int max)
{
	int nev = 0, active;
	double dt = s->have_last_t ? t - s->last_t : 0;

	if (dt < 0)
		dt = 0;
	if (dt > DT_CAP)
		dt = DT_CAP;
	s->last_t = t;
	s->have_last_t = 1;
	s->lost = 0;
	s->st.frames++;
	if (s->settle_pending) {
		s->settle_pending = 0;
		s->settle_until = t + s->cfg.settle_s;
	}
	active = s->door_open && t >= s->settle_until;

	for (int i = 0; i < SHELF_NIDS; i++)
		s->mk[i].seen = 0;
	for (int i = 0; i < n; i++) {
		int id = m[i].id;
		struct mk *k;
		if (id < 0 || id >= SHELF_NIDS)
			continue;
		s->st.detections++;
		if (!s->known[id]) {
			s->st.unknown[id]++;
			continue;
		}
		k = &s->mk[id];
		/* The same id twice (two copies): the one nearer home. */
		if (k->seen && dist(m[i].centre.x, m[i].centre.y, k->hx, k->hy) >=
		    dist(k->m.centre.x, k->m.centre.y, k->hx, k->hy))
			continue;
		k->seen = 1;
		k->m = m[i];
	}

	/* Many books away at once: something big in front (a person walking
	 * past, the door); what is away then counts from zero afterwards. */
	{
		int away = 0;
		for (int id = 0; id < SHELF_NIDS; id++)
			away += s->mk[id].st == SHELF_ON && !at_home(s, &s->mk[id]);
		if (away >= SHELF_BURST)
			s->burst_until = t + SHELF_BURST_HOLD_S;
	}
	for (int id = 0; id < SHELF_NIDS; id++) {
		struct mk *k = &s->mk[id];
		struct shelf_event e = { .marker = id, .t = t };

		if (k->st != SHELF_ON) {
			if (!k->seen) {
				k->cand = 0;
				continue;
			}
			/* A taken book comes back as big as it was: one held up to
			 * the camera is nearer, hence larger. */
			if (k->st == SHELF_GONE && (k->m.side > 1.3f * k->side || k->m.side < 0.7f * k->side)) {
				k->cand = 0;
				continue;
			}
			if (!still_for(s, k, t))
				continue;
			e.type = SHELF_RETURNED;
			e.t_since = k->cand_since;
			e.x = k->cx;
			e.y = k->cy;
			e.moved = dist(k->cx, k->cy, k->fx, k->fy) > (float)s->cfg.move_frac * k->side;
			if (k->st == SHELF_GONE)
				emit(ev, max, &nev, &e);
			set_home(k);
			k->st = SHELF_ON;
			continue;
		}

		/* On the shelf: at home, nudged along its row, or away. */
		if (at_home(s, k)) {
			k->hm = k->m;
			k->touch = 0;
			k->blind = 0;
			k->miss_since = -1;
			k->away = 0;
			k->cand = 0;
			if (bgr != NULL) {
				for (int w = 0; w < 2; w++) {
					struct strip cur;
					strip_sample(bgr, k->hx, k->hy, k->side, w, &cur);
					if (!k->have_ref || !k->ref[w].ok)
						k->ref[w] = cur;
					else if (cur.ok) {
						for (int j = 0; j < SG_N; j++)
							k->ref[w].v[j] = 0.9f * k->ref[w].v[j] + 0.1f * cur.v[j];
						k->ref[w].mean = 0.9f * k->ref[w].mean + 0.1f * cur.mean;
						k->ref[w].sd = 0.9f * k->ref[w].sd + 0.1f * cur.sd;
					}
				}
				/* What is skin coloured with the book in place: cells that were
				 * so in either of the last two samples, half a second apart
				 * (compression makes the colour of skin-toned spines flicker;
				 * a hand passing by is forgotten a second later). */
				if (!k->have_ref) {
					k->skin_ref = k->skin_last = skin_map(bgr, k->hx, k->hy, k->side);
				} else if ((s->st.frames & 7) == (unsigned long)(id & 7)) {
					struct skinmap cur = skin_map(bgr, k->hx, k->hy, k->side);
					for (int q = 0; q < 2; q++)
						k->skin_ref.m[q] = cur.m[q] | k->skin_last.m[q];
					k->skin_last = cur;
				}
				k->have_ref = 1;
			}
			k->have_prev = 0;
			continue;
		}
		if (k->seen && fabsf(k->m.centre.y - k->hy) < 0.5f * k->side &&
		    k->m.side > 0.8f * k->side && k->m.side < 1.25f * k->side) {
			/* Pushed along its row by a neighbour: a new home once still. */
			if (still_for(s, k, t)) {
				set_home(k);
				continue;
			}
		} else if (k->seen) {
			k->cand = 0;
		}
		if (k->miss_since < 0)
			k->miss_since = t;
		if (!active) {
			s->st.decisions_held++;
			continue;
		}
		if (t < s->burst_until) {
			k->away = 0;
			s->st.decisions_held++;
			continue;
		}
		{
			int changed = 1, stable = 1, hand = 0;
			if (bgr != NULL && k->have_ref) {
				float alike = -1;
				int nok = 0;
				for (int w = 0; w < 2; w++) {
					struct strip cur;
					strip_sample(bgr, k->hx, k->hy, k->side, w, &cur);
					if (!cur.ok || !k->ref[w].ok)
						continue;
					nok++;
					alike = fmaxf(alike, strip_alike(&cur, &k->ref[w]));
					if (cur.skin >= 0.15f) {
						hand = 1;
					}
					if (k->have_prev && k->prev[w].ok &&
					    strip_mad(&cur, &k->prev[w]) > 6 + 0.06f * cur.mean)
						stable = 0;
					k->prev[w] = cur;
				}
				k->have_prev = 1;
				changed = nok == 0 || alike < (float)s->cfg.changed_ncc;
				if (hand)
					k->touch += dt;
				else
					hand = hand_near(bgr, k->hx, k->hy, k->side, &k->skin_ref);
			}
			/* Books are taken by hands: without one held over the place
			 * since the marker went, it is something else in front (an arm
			 * or a sleeve across it, a person, a box). */
			if (bgr != NULL && k->touch < SHELF_TOUCH_S && !k->blind)
				changed = 0;
			if (!changed || !stable || hand || !place_in_view(s, id)) {
				s->st.decisions_held++;
				continue;
			}
		}
		k->away += dt;
		if (k->away + 1e-9 < s->cfg.take_s)
			continue;
		e.type = SHELF_TAKEN;
		e.t_since = k->miss_since;
		e.x = k->hx;
		e.y = k->hy;
		emit(ev, max, &nev, &e);
		k->st = SHELF_GONE;
		k->fx = k->hx;
		k->fy = k->hy;
		k->cand = 0;
		k->away = 0;
		k->miss_since = -1;
	}
	for (int id = 0; id < SHELF_NIDS; id++) {
		struct mk *k = &s->mk[id];
		k->was_seen = k->seen;
		if (k->seen) {
			k->lx = k->m.centre.x;
			k->ly = k->m.centre.y;
			k->lside = k->m.side;
		}
	}
	return nev < max ? nev : max;
}

/* ---- detection ---- */

static void
add_roi(struct cv_rect *r, int *n, float cx, float cy, float half)
{
	if (*n >= MAX_ROIS)
		return;
	r[*n].x = cx - half;
	r[*n].y = cy - half;
	r[*n].w = r[*n].h = 2 * half;
	(*n)++;
}

static int
overlap(const struct cv_rect *a, const struct cv_rect *b)
{
	return a->x < b->x + b->w && b->x < a->x + a->w && a->y < b->y + b->h && b->y < a->y + a->h;
}

/* Merges overlapping windows until none overlap (a marker on the line
 * between two windows would otherwise be cut in both). */
static int
merge_rois(struct cv_rect *r, int n)
{
	for (int changed = 1; changed;) {
		changed = 0;
		for (int i = 0; i < n && !changed; i++)
			for (int j = i + 1; j < n && !changed; j++) {
				if (!overlap(&r[i], &r[j]))
					continue;
				float x0 = fminf(r[i].x, r[j].x), y0 = fminf(r[i].y, r[j].y);
				float x1 = fmaxf(r[i].x + r[i].w, r[j].x + r[j].w);
				float y1 = fmaxf(r[i].y + r[i].h, r[j].y + r[j].h);
				r[i].x = x0;
				r[i].y = y0;
				r[i].w = x1 - x0;
				r[i].h = y1 - y0;
				r[j] = r[--n];
				changed = 1;
			}
	}
	return n;
}

static double
cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Marker m read in place with its corners moved by (dx, dy). */
static int
verify_at(struct shelf *s, const struct cv_image *bgr, const struct cv_marker *m, float dx,
    float dy, struct cv_marker *out, char *err, size_t errlen)
{
	int k;

	*out = *m;
	for (int c = 0; c < 4; c++) {
		out->corner[c].x += dx;
		out->corner[c].y += dy;
	}
	out->centre.x += dx;
	out->centre.y += dy;
	if ((k = cv_aruco_verify(s->det, bgr, out, err, errlen)) < 0)
		return -1;
	return k;
}

/* INPLACE: a marker that failed the read at home, read again a sixth and
 * a third of its side along the row and a sixth up and down (a neighbour
 * pushed it; cv_aruco_verify takes about a pixel either way).  1 with
 * *out where it was read, 0 hidden (or moved farther: the band finds it). */
static int
verify_nudged(struct shelf *s, const struct cv_image *bgr, const struct cv_marker *m,
    struct cv_marker *out, char *err, size_t errlen)
{
	static const float off[][2] = { { -1, 0 }, { 1, 0 }, { -2, 0 }, { 2, 0 }, { 0, -1 }, { 0, 1 } };
	float step = m->side / 6;
	int k;

	for (size_t i = 0; i < sizeof off / sizeof off[0]; i++)
		if ((k = verify_at(s, bgr, m, off[i][0] * step, off[i][1] * step, out, err, errlen)) != 0)
			return k;
	return 0;
}

int
shelf_frame(struct shelf *s, const struct cv_image *bgr, double t, struct shelf_event *ev,
    int max, char *err, size_t errlen)
{
	struct cv_rect roi[MAX_ROIS];
	struct cv_marker ver[CV_ARUCO_MAX];
	int nroi = 0, n = 0, k, nver = 0;
	double c0 = cpu_ms(), ms;

	if (bgr == NULL || bgr->data == NULL || bgr->w < 16 || bgr->h < 16) {
		log_seterr(err, errlen, "shelf: no frame");
		return -1;
	}
	if (s->cfg.scan == SHELF_SCAN_FULL) {
		roi[nroi].x = roi[nroi].y = 0;
		roi[nroi].w = (float)bgr->w;
		roi[nroi++].h = (float)bgr->h;
		cv_aruco_set_max_side(s->det, 0);
	} else {
		int nb = s->cfg.scan_bands, b = (int)(s->frame_no % (unsigned long)nb), ntrack;
		float bh = (float)bgr->h / nb, margin = 36, big = 0;
		struct cv_rect rest[MAX_ROIS];
		int nrest = 0;
		roi[nroi].x = 0;
		roi[nroi].w = (float)bgr->w;
		roi[nroi].y = b * bh - margin;
		roi[nroi++].h = bh + 2 * margin;
		/* roi[1..ntrack): markers seen last frame away from home and the
		 * places taken books came from (returns: searched every frame);
		 * rest[]: the homes of markers the read in place missed. */
		for (int id = 0; id < SHELF_NIDS; id++) {
			const struct mk *m = &s->mk[id];
			if (m->st != SHELF_UNSEEN && m->side > big)
				big = m->side;
			if (m->st == SHELF_ON) {
				/* Still there, read in place: no search. */
				if ((k = cv_aruco_verify(s->det, bgr, &m->hm, err, errlen)) < 0)
					return -1;
				if (k == 1 && nver < CV_ARUCO_MAX) {
					ver[nver++] = m->hm;
					continue;
				}
				if (s->cfg.scan == SHELF_SCAN_INPLACE || s->cfg.scan == SHELF_SCAN_TRACK) {
					if (nver < CV_ARUCO_MAX &&
					    (k = verify_nudged(s, bgr, &m->hm, &ver[nver], err, errlen)) < 0)
						return -1;
					nver += nver < CV_ARUCO_MAX && k == 1;
				} else if (s->cfg.scan == SHELF_SCAN_MERGED) {
					add_roi(roi, &nroi, m->hx, m->hy, 1.7f * m->side);
				} else {
					add_roi(rest, &nrest, m->hx, m->hy, 1.7f * m->side);
				}
			}
			if (m->st == SHELF_GONE)
				add_roi(roi, &nroi, m->fx, m->fy, 1.7f * m->side);
			if (m->was_seen && (m->st != SHELF_ON ||
			    dist(m->lx, m->ly, m->hx, m->hy) > (float)s->cfg.move_frac * m->side))
				add_roi(roi, &nroi, m->lx, m->ly, 2.2f * m->lside);
		}
		if (s->cfg.scan == SHELF_SCAN_MERGED) {
			nroi = merge_rois(roi, nroi);
			cv_aruco_set_max_side(s->det, 0);
		} else {
			/* The band is never merged with a window: the union of the
			 * band and a window above it is the width of the frame and
			 * twice the band's height (the 16 ms frames of 2026-12-01). */
			ntrack = nroi = 1 + merge_rois(roi + 1, nroi - 1);
			nrest = merge_rois(rest, nrest);
			/* BUDGET: the tracking windows first, then the homes in turn,
			 * search_budget windows in all (at least the tracking ones). */
			for (int i = 0; i < nrest && (nroi - 1 < s->cfg.search_budget ||
			    s->cfg.scan != SHELF_SCAN_BUDGET) && nroi < MAX_ROIS; i++)
				roi[nroi++] = rest[(s->rr + (unsigned)i) % (unsigned)nrest];
			if (nrest > 0)
				s->rr = (s->rr + (unsigned)(nroi - ntrack)) % (unsigned)nrest;
			/* Markers as big as a book held up to the camera at most
			 * (until one is known, any size). */
			cv_aruco_set_max_side(s->det, big > 0 ? fmaxf(2 * big, 4 * s->cfg.det.min_side_px) : 0);
		}
	}
	s->frame_no++;
	for (int i = 0; i < nroi && n < CV_ARUCO_MAX; i++) {
		if ((k = cv_aruco_detect(s->det, bgr, &roi[i], s->found + n, CV_ARUCO_MAX - n,
		    err, errlen)) < 0)
			return -1;
		/* A marker on the edge of two windows comes back twice. */
		for (int j = n; j < n + k; j++) {
			int dup = 0;
			for (int q = 0; q < n && !dup; q++)
				dup = s->found[q].id == s->found[j].id &&
				    dist(s->found[q].centre.x, s->found[q].centre.y,
				        s->found[j].centre.x, s->found[j].centre.y) < s->found[q].side;
			if (dup) {
				s->found[j] = s->found[n + k - 1];
				k--;
				j--;
			}
		}
		n += k;
	}
	/* Verified in place, unless a search found them too. */
	for (int i = 0; i < nver && n < CV_ARUCO_MAX; i++) {
		int dup = 0;
		for (int q = 0; q < n && !dup; q++)
			dup = s->found[q].id == ver[i].id;
		if (!dup)
			s->found[n++] = ver[i];
	}
	s->nfound = n;
	ms = cpu_ms() - c0;
	s->st.det_ms_sum += ms;
	if (ms > s->st.det_ms_max)
		s->st.det_ms_max = ms;
	return shelf_observe(s, bgr, t, s->found, n, ev, max);
}
