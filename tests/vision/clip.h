/*
 * clip.h — reading the hand-raise test clips of tests/tools/make-clips and
 * scoring the tracker (models/hand.c) on them.  Shared, as static
 * functions, by make-clips (its --eval mode, used by tests/bench/hand) and
 * tests/unit/test_hand.c, so the unit test and the bench measure the same
 * way.  Include after the system headers.
 *
 * A clip folder holds frames (000000.ppm ...), frames.tsv ("NAME\tT" per
 * frame) and truth.tsv (one row per frame, see docs/gestures.md).
 */
#ifndef SO_TESTS_VISION_CLIP_H
#define SO_TESTS_VISION_CLIP_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "devices/cv.h"
#include "models/hand.h"

/* Truth phases of the right hand (the phase column of truth.tsv). */
enum clip_phase {
	CP_REST, CP_RAISE, CP_UP, CP_MOVE, CP_DWELL, CP_OTHER, CP_LOWER, CP_ACT, CP_NPHASE
};
static const char *const clip_phase_names[CP_NPHASE] = {
	"rest", "raise", "up", "move", "dwell", "other", "lower", "act"
};

struct clip_truth {
	double t;
	int    has_face;
	struct cv_rect face;
	double hx, hy;		/* right hand centre, pixels */
	int    raised, still;
	int    phase;		/* enum clip_phase */
	double cx, cy;		/* expected screen cursor, -1 when not raised */
};

/* Skips blanks and '#' comments of a PNM header. */
static int
pnm_skip(FILE *f)
{
	int c;

	while ((c = getc(f)) != EOF) {
		if (c == '#') {
			while ((c = getc(f)) != EOF && c != '\n')
				;
		} else if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
			ungetc(c, f);
			return 0;
		}
	}
	return -1;
}

/* Reads a binary PGM (P5) or PPM (P6, RGB) of maxval 255 into a BGR
 * image (grey is expanded); -1 with the reason in err. */
static int
pnm_read(const char *path, struct cv_image *im, char *err, size_t errlen)
{
	FILE *f;
	char magic[3] = "";
	int w, h, maxv, ch;
	size_t n;
	uint8_t *row = NULL;

	memset(im, 0, sizeof *im);
	if ((f = fopen(path, "rb")) == NULL) {
		snprintf(err, errlen, "%.900s: cannot open", path);
		return -1;
	}
	if (fread(magic, 1, 2, f) != 2 || magic[0] != 'P' || (magic[1] != '5' && magic[1] != '6') ||
	    pnm_skip(f) || fscanf(f, "%d", &w) != 1 || pnm_skip(f) || fscanf(f, "%d", &h) != 1 ||
	    pnm_skip(f) || fscanf(f, "%d", &maxv) != 1 || getc(f) == EOF ||
	    w <= 0 || h <= 0 || w > 16384 || h > 16384 || maxv != 255) {
		snprintf(err, errlen, "%.900s: not a binary 8-bit PGM/PPM", path);
		fclose(f);
		return -1;
	}
	ch = magic[1] == '6' ? 3 : 1;
	if (cv_image_alloc(im, w, h, 3) != 0 || (row = malloc((size_t)w * ch)) == NULL) {
		snprintf(err, errlen, "%.900s: out of memory", path);
		cv_image_free(im);
		fclose(f);
		return -1;
	}
	for (int y = 0; y < h; y++) {
		uint8_t *d = im->data + (size_t)y * im->stride;
		if ((n = fread(row, ch, (size_t)w, f)) != (size_t)w) {
			snprintf(err, errlen, "%.900s: truncated at row %d", path, y);
			free(row);
			cv_image_free(im);
			fclose(f);
			return -1;
		}
		for (int x = 0; x < w; x++) {
			if (ch == 3) {
				d[3 * x] = row[3 * x + 2];
				d[3 * x + 1] = row[3 * x + 1];
				d[3 * x + 2] = row[3 * x];
			} else
				d[3 * x] = d[3 * x + 1] = d[3 * x + 2] = row[x];
		}
	}
	free(row);
	fclose(f);
	return 0;
}

/* Loads DIR/truth.tsv (header line first); -1 with the reason in err. */
static int
clip_truth_load(const char *dir, struct clip_truth **out, int *nout, char *err, size_t errlen)
{
	char path[1024], line[512], ph[32];
	struct clip_truth *v = NULL, r;
	int n = 0, cap = 0, lineno = 0;
	FILE *f;

	snprintf(path, sizeof path, "%s/truth.tsv", dir);
	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%.900s: cannot open", path);
		return -1;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		float fx, fy, fw, fh;
		if (++lineno == 1)
			continue;
		memset(&r, 0, sizeof r);
		if (sscanf(line, "%lf %f %f %f %f %lf %lf %d %d %31s %lf %lf", &r.t, &fx, &fy, &fw, &fh,
		    &r.hx, &r.hy, &r.raised, &r.still, ph, &r.cx, &r.cy) != 12) {
			snprintf(err, errlen, "%.900s:%d: expected 12 fields", path, lineno);
			free(v);
			fclose(f);
			return -1;
		}
		r.has_face = fw > 0;
		r.face.x = fx, r.face.y = fy, r.face.w = fw, r.face.h = fh;
		r.phase = CP_ACT;
		for (int k = 0; k < CP_NPHASE; k++)
			if (strcmp(ph, clip_phase_names[k]) == 0)
				r.phase = k;
		if (n == cap) {
			struct clip_truth *nv;
			cap = cap ? cap * 2 : 256;
			if ((nv = realloc(v, cap * sizeof *v)) == NULL) {
				snprintf(err, errlen, "out of memory");
				free(v);
				fclose(f);
				return -1;
			}
			v = nv;
		}
		v[n++] = r;
	}
	fclose(f);
	*out = v;
	*nout = n;
	return 0;
}

struct clip_result {
	int    frames;
	int    engagements, disengagements, presses, releases;
	int    press_in_dwell;		/* presses during a truth dwell */
	int    presses_outside;		/* presses anywhere else */
	double t_up;			/* first truth "up" frame, -1 if none */
	double engage_delay;		/* first engage - t_up (-1: none) */
	double t_lower;			/* first truth "lower" after t_up, -1 if none */
	double disengage_delay;		/* first disengage after t_lower - t_lower (-1) */
	double err2_sum;		/* squared cursor error, screen units */
	double errpx2_sum;		/* squared error in pixels of 1920x1080 */
	int    err_n;
	double jit2_sum;		/* squared deviation from the segment mean, px */
	int    jit_n;
	double cpu_s;			/* CPU time inside hand_feed */
	double seconds;			/* clip duration */
};

/* Closes one still segment's jitter sums. */
static void
clip_jitter_flush(struct clip_result *res, double *sx, double *sy, double *sxx, double *syy, int *n)
{
	if (*n >= 5) {
		double mx = *sx / *n, my = *sy / *n;
		res->jit2_sum += (*sxx - *n * mx * mx) + (*syy - *n * my * my);
		res->jit_n += *n;
	}
	*sx = *sy = *sxx = *syy = 0;
	*n = 0;
}

/* Feeds every frame of the clip in DIR to a new tracker with cfg, the
 * truth face box standing in for the face detector, and scores the events
 * against truth.tsv.  Events are printed to evout when it is not NULL.
 * -1 with the reason in err when the clip cannot be read. */
static int
clip_run(const char *dir, const struct hand_config *cfg, struct clip_result *res, FILE *evout,
    char *err, size_t errlen)
{
	char path[1024], line[512], name[256];
	struct clip_truth *tr = NULL;
	struct hand_tracker *ht;
	struct hand_event ev[8];
	struct cv_image im;
	int ntr, i = 0, engaged = 0, have_cursor = 0, jn = 0;
	double cur_x = 0, cur_y = 0, jsx = 0, jsy = 0, jsxx = 0, jsyy = 0, t;
	double seg_start = -1;
	int prev_still = 0;
	FILE *f;

	memset(res, 0, sizeof *res);
	res->t_up = res->engage_delay = res->t_lower = res->disengage_delay = -1;
	if (clip_truth_load(dir, &tr, &ntr, err, errlen) != 0)
		return -1;
	snprintf(path, sizeof path, "%s/frames.tsv", dir);
	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%.900s: cannot open", path);
		free(tr);
		return -1;
	}
	if ((ht = hand_new(cfg, err, errlen)) == NULL) {
		fclose(f);
		free(tr);
		return -1;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		struct timespec a, b;
		const struct clip_truth *r;
		int nev;

		if (sscanf(line, "%255s %lf", name, &t) != 2)
			continue;
		if (i >= ntr) {
			snprintf(err, errlen, "%.900s: more frames than truth rows", path);
			goto fail;
		}
		r = &tr[i++];
		snprintf(path, sizeof path, "%.700s/%.255s", dir, name);
		if (pnm_read(path, &im, err, errlen) != 0)
			goto fail;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
		nev = hand_feed(ht, &im, r->has_face ? &r->face : NULL, t, ev, 8);
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
		cv_image_free(&im);
		res->cpu_s += (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) * 1e-9;
		res->frames++;
		res->seconds = t;
		if (r->phase == CP_UP && res->t_up < 0)
			res->t_up = t;
		if (r->phase == CP_LOWER && res->t_up >= 0 && res->t_lower < 0)
			res->t_lower = t;
		if (nev < 0) {
			snprintf(err, errlen, "%.900s: tracker refused the frame", path);
			goto fail;
		}
		for (int k = 0; k < nev; k++) {
			if (evout)
				fprintf(evout, "%.3f\t%s\t%.4f\t%.4f\t%s\n", ev[k].t,
				    ev[k].type == HAND_ENGAGE ? "engage" :
				    ev[k].type == HAND_DISENGAGE ? "disengage" : "cursor",
				    ev[k].x, ev[k].y,
				    ev[k].type != HAND_CURSOR ? (ev[k].reason ? ev[k].reason : "-") :
				    ev[k].state == HAND_PRESS ? "press" :
				    ev[k].state == HAND_RELEASE ? "release" : "move");
			switch (ev[k].type) {
			case HAND_ENGAGE:
				engaged = 1;
				have_cursor = 0;
				if (res->engagements++ == 0 && res->t_up >= 0)
					res->engage_delay = t - res->t_up;
				break;
			case HAND_DISENGAGE:
				engaged = 0;
				res->disengagements++;
				if (res->t_lower >= 0 && res->disengage_delay < 0)
					res->disengage_delay = t - res->t_lower;
				break;
			case HAND_CURSOR:
				have_cursor = 1;
				cur_x = ev[k].x;
				cur_y = ev[k].y;
				if (ev[k].state == HAND_PRESS) {
					res->presses++;
					if (r->phase == CP_DWELL || r->phase == CP_OTHER)
						res->press_in_dwell++;
					else
						res->presses_outside++;
				} else if (ev[k].state == HAND_RELEASE)
					res->releases++;
				break;
			}
		}
		/* Cursor error: engaged frames with the hand up in truth. */
		if (engaged && have_cursor && r->raised && r->cx >= 0) {
			double dx = cur_x - r->cx, dy = cur_y - r->cy;
			res->err2_sum += dx * dx + dy * dy;
			res->errpx2_sum += dx * dx * 1920 * 1920 + dy * dy * 1080 * 1080;
			res->err_n++;
		}
		/* Jitter: still segments, after 0.5 s of settling. */
		if (!(r->still && prev_still))
			seg_start = t;
		prev_still = r->still;
		if (!r->still || !engaged || !have_cursor)
			clip_jitter_flush(res, &jsx, &jsy, &jsxx, &jsyy, &jn);
		else if (t - seg_start >= 0.5) {
			double px = cur_x * 1920, py = cur_y * 1080;
			jsx += px, jsy += py, jsxx += px * px, jsyy += py * py;
			jn++;
		}
	}
	clip_jitter_flush(res, &jsx, &jsy, &jsxx, &jsyy, &jn);
	if (res->frames == 0) {
		snprintf(err, errlen, "%.900s/frames.tsv: no frames", dir);
		goto fail;
	}
	hand_free(ht);
	fclose(f);
	free(tr);
	return 0;
fail:
	hand_free(ht);
	fclose(f);
	free(tr);
	return -1;
}

#endif
