/*
 * face — detection, alignment, enrollment store and liveness (face.h).
 */
#include "models/face.h"
#include "base/sysio.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"

/*
 * The descriptor rows: how a detection becomes a template and how two
 * templates compare (a distance ×100, lower = more alike).
 */
struct face_desc_ops {
	enum face_descriptor kind;
	const char *name;
	int         dim;
	double      threshold;            /* default match threshold */
	int       (*describe)(struct face_ctx *ctx, const struct cv_image *im,
	              const struct face_det *d, float *out, char *err, size_t errlen);
	double    (*distance)(const float *a, const float *b);
};

static const struct face_desc_ops face_desc[FACE_NDESC];

struct face_ctx {
	struct face_config   cfg;
	const struct face_desc_ops *desc;  /* the descriptor row in use */
	struct face_embed   *embed;      /* the embedding's network (its row) */
	struct cv_facenet   *net;        /* NULL: cascade fallback */
	struct cv_cascade   *cascade;    /* face cascade (fallback) */
	struct cv_cascade   *eyes;       /* eye cascade (blink without landmarks), may be NULL */
	struct face_landmarks *lm;       /* the 68 landmarks (blink), may be NULL */
	char                 recog_err[640];  /* recognition refused: why ("" when fine) */
	uint8_t              rgb[FACE_EMBED_SIZE * FACE_EMBED_SIZE * 3];  /* embedding crop */
	uint8_t              lm_rgb[FACE_LM_SIZE * FACE_LM_SIZE * 3];     /* landmark crop */
	float                scores[CV_FACENET_ANCHORS];
	float                regs[CV_FACENET_ANCHORS * CV_FACENET_REGS];
};

/* An enrolled person: n templates of dim floats made by descriptor `kind`. */
struct face_person {
	int    n, dim;
	enum face_descriptor kind;
	float *desc;
};

/* Version 1 (LBP only): "smartoffice-face 1 N DIM\n"; version 2:
 * "smartoffice-face 2 DESCRIPTOR N DIM\n"; then N×DIM floats. */
#define STORE_MAGIC  "smartoffice-face"
#define STORE_MAGIC1 "smartoffice-face 1"

#define seterr log_seterr

/* ------------------------------------------------------------ anchors */

static float anchors[CV_FACENET_ANCHORS][2];
static int anchors_done;

/* MediaPipe's front-camera SSD anchors: strides 8, 16, 16, 16 on a 128
 * input; layers of equal stride share a grid, so stride 8 gives 16×16
 * cells of 2 anchors and stride 16 gives 8×8 cells of 6; offset 0.5;
 * fixed anchor size (the regressors are in input pixels). */
const float *
face_anchors(void)
{
	static const struct { int cells, per; } layer[2] = { { 16, 2 }, { 8, 6 } };
	int i = 0, l, x, y, k;

	if (anchors_done)
		return &anchors[0][0];
	for (l = 0; l < 2; l++)
		for (y = 0; y < layer[l].cells; y++)
			for (x = 0; x < layer[l].cells; x++)
				for (k = 0; k < layer[l].per; k++) {
					anchors[i][0] = (x + 0.5f) / layer[l].cells;
					anchors[i][1] = (y + 0.5f) / layer[l].cells;
					i++;
				}
	anchors_done = 1;
	return &anchors[0][0];
}

/* ------------------------------------------------------------ decoding */

static float
iou(const struct face_det *a, const struct face_det *b)
{
	float x0 = fmaxf(a->box.x, b->box.x), y0 = fmaxf(a->box.y, b->box.y);
	float x1 = fminf(a->box.x + a->box.w, b->box.x + b->box.w);
	float y1 = fminf(a->box.y + a->box.h, b->box.y + b->box.h);
	float inner = fmaxf(0, x1 - x0) * fmaxf(0, y1 - y0);
	float uni = a->box.w * a->box.h + b->box.w * b->box.h - inner;

	return uni > 0 ? inner / uni : 0;
}

static int
by_score(const void *a, const void *b)
{
	float sa = ((const struct face_det *)a)->score, sb = ((const struct face_det *)b)->score;

	return sa < sb ? 1 : sa > sb ? -1 : 0;
}

int
face_decode(const float *scores, const float *regs, const struct cv_letterbox *lb,
    float min_score, struct face_det *out, int max)
{
	const float *a = face_anchors();
	struct face_det cand[128];
	int ncand = 0, nout = 0, i, j, k;
	float s = CV_FACENET_SIZE;

	for (i = 0; i < CV_FACENET_ANCHORS; i++) {
		const float *r = regs + (size_t)i * CV_FACENET_REGS;
		float sc = 1.0f / (1.0f + expf(-scores[i]));
		float cx, cy, w, h;
		struct face_det *d;

		if (!(sc > min_score))
			continue;
		if (ncand == (int)(sizeof cand / sizeof cand[0])) {
			/* keep the best: replace the weakest if this one beats it */
			int worst = 0;
			for (j = 1; j < ncand; j++)
				if (cand[j].score < cand[worst].score)
					worst = j;
			if (cand[worst].score >= sc)
				continue;
			d = &cand[worst];
		} else
			d = &cand[ncand++];
		/* net pixels -> image pixels */
		cx = (a[2 * i] * s + r[0]) * lb->scale - lb->ox;
		cy = (a[2 * i + 1] * s + r[1]) * lb->scale - lb->oy;
		w = r[2] * lb->scale;
		h = r[3] * lb->scale;
		d->box.x = cx - w / 2;
		d->box.y = cy - h / 2;
		d->box.w = w;
		d->box.h = h;
		for (k = 0; k < FACE_NKP; k++) {
			d->kp[k].x = (a[2 * i] * s + r[4 + 2 * k]) * lb->scale - lb->ox;
			d->kp[k].y = (a[2 * i + 1] * s + r[5 + 2 * k]) * lb->scale - lb->oy;
		}
		d->score = sc;
		d->estimated = 0;
	}
	qsort(cand, ncand, sizeof cand[0], by_score);

	/* Weighted NMS (MediaPipe / the package's Postprocess2): each
	 * remaining best candidate absorbs those overlapping it by IoU >= 0.3;
	 * the result is their score-weighted mean, scored by the best. */
	for (i = 0; i < ncand && nout < max; i++) {
		double acc[4 + 2 * FACE_NKP] = { 0 }, wsum = 0;
		struct face_det *d = &cand[i], *o = &out[nout];

		if (d->score <= 0)
			continue;
		for (j = i; j < ncand; j++) {
			struct face_det *e = &cand[j];
			double wt;

			if (e->score <= 0 || (j != i && iou(d, e) < 0.3f))
				continue;
			wt = e->score;
			acc[0] += wt * (e->box.x + e->box.w / 2);
			acc[1] += wt * (e->box.y + e->box.h / 2);
			acc[2] += wt * e->box.w;
			acc[3] += wt * e->box.h;
			for (k = 0; k < FACE_NKP; k++) {
				acc[4 + 2 * k] += wt * e->kp[k].x;
				acc[5 + 2 * k] += wt * e->kp[k].y;
			}
			wsum += wt;
			if (j != i)
				e->score = 0;
		}
		o->box.w = acc[2] / wsum;
		o->box.h = acc[3] / wsum;
		o->box.x = acc[0] / wsum - o->box.w / 2;
		o->box.y = acc[1] / wsum - o->box.h / 2;
		for (k = 0; k < FACE_NKP; k++) {
			o->kp[k].x = acc[4 + 2 * k] / wsum;
			o->kp[k].y = acc[5 + 2 * k] / wsum;
		}
		o->score = d->score;
		o->estimated = 0;
		nout++;
	}
	return nout;
}

/* ------------------------------------------------------------ detector */

static int
load_cascade(const char *dir, const char *file, struct cv_cascade **c, char *err, size_t errlen)
{
	char path[1024];

	snprintf(path, sizeof path, "%s/%s", dir, file);
	*c = cv_cascade_load(path, err, errlen);
	return *c ? 0 : -1;
}

/* The landmark network, from cfg->landmark_model or beside the embedding's
 * manifest.  Missing or broken: -1, said once (the eye cascade takes over:
 * never "eyes open" for everyone); with cfg->landmark_required, -1 with
 * the reason in err, unsaid (face_open fails, or refuses recognition). */
static int
landmarks_open(struct face_ctx *ctx, const struct face_config *cfg, char *err, size_t errlen)
{
	static int warned;
	const char *em = cfg->embed_model && *cfg->embed_model ? cfg->embed_model :
	    FACE_EMBED_DEFAULT_MODEL, *slash = strrchr(em, '/');
	char path[1200], e2[1400];

	if (cfg->landmark_model != NULL)
		snprintf(path, sizeof path, "%s", cfg->landmark_model);
	else
		snprintf(path, sizeof path, "%.*s%s", slash ? (int)(slash - em + 1) : 0, em,
		    FACE_LM_MODEL_FILE);
	if ((ctx->lm = face_landmarks_load(path, e2, sizeof e2)) != NULL)
		return 0;
	if (cfg->landmark_required) {
		seterr(err, errlen, "face landmark model: %s (run tools/fetch-models, or set "
		    "face_landmark_model)", e2);
		return -1;
	}
	if (!warned) {
		warned = 1;
		log_warnx("face landmark model: %s: the blink check uses the eye cascade (run "
		    "tools/fetch-models)", e2);
	}
	return -1;
}

struct face_ctx *
face_open(const struct face_config *cfg, char *err, size_t errlen)
{
	static int warned;
	struct face_ctx *ctx;
	char e2[256];
	const char *cdir = cfg->cascade_dir && *cfg->cascade_dir ? cfg->cascade_dir :
	    FACE_DEFAULT_CASCADES;

	if ((ctx = calloc(1, sizeof *ctx)) == NULL) {
		seterr(err, errlen, "out of memory");
		return NULL;
	}
	ctx->cfg = *cfg;
	if (ctx->cfg.min_score <= 0 || ctx->cfg.min_score >= 1)
		ctx->cfg.min_score = FACE_DEFAULT_MIN_SCORE;
	if (cfg->threads > 0)
		cv_face_set_threads(cfg->threads);
	if (cfg->model && *cfg->model && access(cfg->model, R_OK) == 0) {
		if ((ctx->net = cv_facenet_load(cfg->model, err, errlen)) == NULL) {
			free(ctx);
			return NULL;
		}
	} else if (!warned) {
		warned = 1;
		log_warnx("face model %s is missing: detecting faces with the Haar cascade "
		    "(less accurate, no keypoints; run tools/fetch-models)",
		    cfg->model && *cfg->model ? cfg->model : "(none)");
	}
	if (ctx->net == NULL &&
	    load_cascade(cdir, "haarcascades/haarcascade_frontalface_default.xml", &ctx->cascade,
	    e2, sizeof e2) == -1 &&
	    load_cascade(cdir, "lbpcascades/lbpcascade_frontalface_improved.xml", &ctx->cascade,
	    e2, sizeof e2) == -1) {
		seterr(err, errlen, "no face detector: %s", e2);
		free(ctx);
		return NULL;
	}
	if (landmarks_open(ctx, cfg, err, errlen) == -1) {
		if (cfg->landmark_required) {
			/* the blink check must not go weaker unsaid: as a broken
			 * embedding model (below), refuse */
			if (!cfg->recognizer_optional) {
				face_close(ctx);
				return NULL;
			}
			snprintf(ctx->recog_err, sizeof ctx->recog_err, "%s", err);
			log_warnx("%s: no face is recognized", ctx->recog_err);
		} else if (load_cascade(cdir, "haarcascades/haarcascade_eye.xml", &ctx->eyes, e2,
		    sizeof e2) == -1)
			log_debug("no eye cascade (blink check unavailable): %s", e2);
	}
	if (cfg->descriptor < 0 || cfg->descriptor >= FACE_NDESC) {
		seterr(err, errlen, "face descriptor %d: want embedding or lbp", cfg->descriptor);
		face_close(ctx);
		return NULL;
	}
	ctx->desc = &face_desc[cfg->descriptor];
	if (ctx->desc->kind == FACE_DESC_EMBEDDING) {
		const char *m = cfg->embed_model && *cfg->embed_model ? cfg->embed_model :
		    FACE_EMBED_DEFAULT_MODEL;
		/* missing or corrupt: refuse (no silent fallback to LBP) */
		if ((ctx->embed = face_embed_load(m, e2, sizeof e2)) == NULL) {
			seterr(err, errlen, "face recognition model: %s (run tools/fetch-models, or "
			    "set face_descriptor = lbp and enroll again)", e2);
			if (!cfg->recognizer_optional) {
				face_close(ctx);
				return NULL;
			}
			snprintf(ctx->recog_err, sizeof ctx->recog_err, "%s", err);
			log_warnx("%s: no face is recognized", ctx->recog_err);
		}
	}
	return ctx;
}

void
face_close(struct face_ctx *ctx)
{
	if (ctx == NULL)
		return;
	cv_facenet_free(ctx->net);
	cv_cascade_free(ctx->cascade);
	cv_cascade_free(ctx->eyes);
	face_landmarks_free(ctx->lm);
	face_embed_free(ctx->embed);
	free(ctx);
}

int
face_uses_net(const struct face_ctx *ctx)
{
	return ctx->net != NULL;
}

/* Keypoints guessed from a frontal cascade box (average face geometry). */
static void
estimate_keypoints(struct face_det *d)
{
	static const float g[FACE_NKP][2] = {
		{ 0.30f, 0.38f }, { 0.70f, 0.38f }, { 0.50f, 0.58f },
		{ 0.50f, 0.78f }, { 0.05f, 0.45f }, { 0.95f, 0.45f },
	};
	int k;

	for (k = 0; k < FACE_NKP; k++) {
		d->kp[k].x = d->box.x + g[k][0] * d->box.w;
		d->kp[k].y = d->box.y + g[k][1] * d->box.h;
	}
	d->estimated = 1;
}

int
face_detect(struct face_ctx *ctx, const struct cv_image *im, struct face_det *out, int max,
    char *err, size_t errlen)
{
	struct cv_letterbox lb;
	struct cv_rect r[FACE_MAX_DETS];
	int n, i, minsz;

	if (ctx->net) {
		if (cv_facenet_run(ctx->net, im, ctx->scores, ctx->regs, &lb, err, errlen) == -1)
			return -1;
		return face_decode(ctx->scores, ctx->regs, &lb, (float)ctx->cfg.min_score, out, max);
	}
	minsz = (im->w < im->h ? im->w : im->h) / 8;
	if (minsz < 24)
		minsz = 24;
	if ((n = cv_cascade_detect(ctx->cascade, im, NULL, minsz, r, FACE_MAX_DETS, err,
	    errlen)) == -1)
		return -1;
	if (n > FACE_MAX_DETS)
		n = FACE_MAX_DETS;
	if (n > max)
		n = max;
	for (i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof out[i]);
		out[i].box = r[i];
		out[i].score = 1.0f;
		estimate_keypoints(&out[i]);
	}
	return n;
}

/* ------------------------------------------------------------ alignment */

/* Where the eyes go in the crop (fractions of its size). */
#define EYE_Y   0.36
#define EYE_X0  0.28
#define EYE_X1  0.72

int
face_align(const struct cv_image *im, const struct face_det *d, struct cv_image *crop,
    char *err, size_t errlen)
{
	struct cv_point a = d->kp[FACE_KP_REYE], b = d->kp[FACE_KP_LEYE], t;
	double dx, dy, dist, want, sc, c, s, m[6];
	double tx0 = EYE_X0 * FACE_CROP_W, ty = EYE_Y * FACE_CROP_H;

	if (a.x > b.x) {             /* image-left eye first */
		t = a;
		a = b;
		b = t;
	}
	dx = b.x - a.x;
	dy = b.y - a.y;
	dist = sqrt(dx * dx + dy * dy);
	if (dist < 2) {
		seterr(err, errlen, "eyes too close to align (%.1f px)", dist);
		return -1;
	}
	want = (EYE_X1 - EYE_X0) * FACE_CROP_W;
	sc = dist / want;                    /* image pixels per crop pixel */
	c = dx / dist * sc;
	s = dy / dist * sc;
	/* crop (u,v) -> image: rotate+scale about the first eye */
	m[0] = c;
	m[1] = -s;
	m[2] = a.x - c * tx0 + s * ty;
	m[3] = s;
	m[4] = c;
	m[5] = a.y - s * tx0 - c * ty;
	return cv_face_warp_grey(im, m, FACE_CROP_W, FACE_CROP_H, crop, err, errlen);
}

/* The nose's offset from the eye midpoint, in eye distances: along the
 * eye line (yaw) when across is 0, across it (pitch) when 1. */
static double
nose_offset(const struct face_det *d, int across)
{
	struct cv_point a = d->kp[FACE_KP_REYE], b = d->kp[FACE_KP_LEYE], n = d->kp[FACE_KP_NOSE];
	double dx = b.x - a.x, dy = b.y - a.y, dist2 = dx * dx + dy * dy;
	double nx = n.x - (a.x + b.x) / 2, ny = n.y - (a.y + b.y) / 2;

	if (dist2 < 1e-12)
		return 0;
	return (across ? ny * dx - nx * dy : nx * dx + ny * dy) / dist2;
}

double
face_yaw(const struct face_det *d)
{
	return nose_offset(d, 0);
}

double
face_pitch(const struct face_det *d)
{
	return nose_offset(d, 1);
}

int
face_eyes_method(const struct face_ctx *ctx)
{
	return ctx->lm != NULL ? 1 : ctx->eyes != NULL ? 0 : -1;
}

void
face_blink_reset(struct face_blink *b)
{
	memset(b, 0, sizeof *b);
}

static int
by_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return x < y ? -1 : x > y;
}

int
face_blink_feed(struct face_blink *b, double ear)
{
	float s[FACE_BLINK_HIST];
	int r = -1;

	if (ear < 0)
		return -1;
	if (b->n >= 3) {
		memcpy(s, b->ear, (size_t)b->n * sizeof *s);
		qsort(s, (size_t)b->n, sizeof *s, by_float);
		r = ear >= FACE_BLINK_RATIO * s[b->n / 2];
	}
	b->ear[b->next] = (float)ear;
	b->next = (b->next + 1) % FACE_BLINK_HIST;
	if (b->n < FACE_BLINK_HIST)
		b->n++;
	return r;
}

int
face_eyes_open(struct face_ctx *ctx, const struct cv_image *im, const struct face_det *d,
    struct face_blink *b)
{
	struct cv_rect roi = { d->box.x, d->box.y, d->box.w, d->box.h * 0.55f }, r[4];
	int minsz = (int)(d->box.w / 8), n;

	if (ctx->lm != NULL) {
		double ear = face_ear(ctx, im, d);
		if (b != NULL)
			return face_blink_feed(b, ear);
		return ear < 0 ? -1 : ear >= FACE_LM_EAR_CLOSED;
	}
	if (ctx->eyes == NULL)
		return -1;
	if (minsz < 8)
		minsz = 8;
	if ((n = cv_cascade_detect(ctx->eyes, im, &roi, minsz, r, 4, NULL, 0)) < 0)
		return -1;
	return n > 0;
}


/* ------------------------------------------------------------ descriptor */

/* Our descriptor of an aligned crop (better than OpenCV's LBPH on ORL: see
 * docs/faces.md): Tan & Triggs illumination normalisation (gamma 0.2, DoG
 * 1-2 px, contrast equalisation), then uniform LBP histograms (59 bins) at
 * radius 1 and 2 over an 8×8 grid of cells, each cell's histogram
 * normalised to sum 1; compared by the chi-square distance averaged over
 * the cells (0 identical .. 2 disjoint), reported ×100. */
#define DESC_GRID  8
#define DESC_BINS  59
#define DESC_DIM   (2 * DESC_GRID * DESC_GRID * DESC_BINS)

static uint8_t uniform_map[256];

static void
uniform_init(void)
{
	int i, b, next = 0, tr;

	if (uniform_map[255] != 0)
		return;
	for (i = 0; i < 256; i++) {
		for (tr = 0, b = 0; b < 8; b++)
			tr += ((i >> b) & 1) != ((i >> ((b + 1) % 8)) & 1);
		uniform_map[i] = tr <= 2 ? next++ : 58;
	}
}

static void
blur(const float *in, float *out, float *tmp, int w, int h, double sigma)
{
	float k[16];
	int r = (int)ceil(3 * sigma), x, y, i;
	double sum = 0;

	if (r > 7)
		r = 7;
	for (i = -r; i <= r; i++)
		sum += k[i + r] = (float)exp(-(i * i) / (2 * sigma * sigma));
	for (i = 0; i <= 2 * r; i++)
		k[i] /= (float)sum;
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++) {
			float a = 0;
			for (i = -r; i <= r; i++) {
				int xx = x + i < 0 ? 0 : x + i >= w ? w - 1 : x + i;
				a += k[i + r] * in[y * w + xx];
			}
			tmp[y * w + x] = a;
		}
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++) {
			float a = 0;
			for (i = -r; i <= r; i++) {
				int yy = y + i < 0 ? 0 : y + i >= h ? h - 1 : y + i;
				a += k[i + r] * tmp[yy * w + x];
			}
			out[y * w + x] = a;
		}
}

static int
face_describe(const struct cv_image *crop, float *desc)
{
	enum { W = FACE_CROP_W, H = FACE_CROP_H, N = W * H };
	static const int off[2][8][2] = {
		{ { -1, -1 }, { 0, -1 }, { 1, -1 }, { 1, 0 }, { 1, 1 }, { 0, 1 }, { -1, 1 }, { -1, 0 } },
		{ { -2, -2 }, { 0, -2 }, { 2, -2 }, { 2, 0 }, { 2, 2 }, { 0, 2 }, { -2, 2 }, { -2, 0 } },
	};
	float *im, *g1, *g2, *tmp;
	double m;
	int x, y, i, r, c;

	if (crop->w != W || crop->h != H || crop->channels != 1)
		return -1;
	if ((im = malloc(4 * N * sizeof *im)) == NULL)
		return -1;
	g1 = im + N;
	g2 = im + 2 * N;
	tmp = im + 3 * N;
	uniform_init();
	/* Tan & Triggs */
	for (y = 0; y < H; y++)
		for (x = 0; x < W; x++)
			im[y * W + x] = powf(crop->data[y * crop->stride + x] + 1.0f, 0.2f);
	blur(im, g1, tmp, W, H, 1.0);
	blur(im, g2, tmp, W, H, 2.0);
	for (i = 0; i < N; i++)
		im[i] = g1[i] - g2[i];
	for (m = 0, i = 0; i < N; i++)
		m += pow(fabsf(im[i]), 0.1);
	m = pow(m / N, 10);
	for (i = 0; i < N; i++)
		im[i] /= (float)(m > 1e-12 ? m : 1e-12);
	for (m = 0, i = 0; i < N; i++)
		m += pow(fmin(10, fabsf(im[i])), 0.1);
	m = pow(m / N, 10);
	for (i = 0; i < N; i++)
		im[i] = 10 * tanhf(im[i] / (float)(10 * (m > 1e-12 ? m : 1e-12)));
	/* uniform LBP histograms */
	memset(desc, 0, DESC_DIM * sizeof *desc);
	for (r = 0; r < 2; r++) {
		float *h0 = desc + r * DESC_GRID * DESC_GRID * DESC_BINS;
		for (y = 2; y < H - 2; y++)
			for (x = 2; x < W - 2; x++) {
				float v = im[y * W + x];
				int code = 0, cell;
				for (i = 0; i < 8; i++)
					code |= (im[(y + off[r][i][1]) * W + x + off[r][i][0]] >= v) << i;
				cell = (y * DESC_GRID / H) * DESC_GRID + x * DESC_GRID / W;
				h0[cell * DESC_BINS + uniform_map[code]] += 1;
			}
	}
	for (c = 0; c < 2 * DESC_GRID * DESC_GRID; c++) {
		float *h = desc + c * DESC_BINS, s = 0;
		for (i = 0; i < DESC_BINS; i++)
			s += h[i];
		for (i = 0; s > 0 && i < DESC_BINS; i++)
			h[i] /= s;
	}
	free(im);
	return 0;
}

static double
desc_distance(const float *a, const float *b)
{
	double d = 0;
	int i;

	int c, cells = 0;

	for (c = 0; c < 2 * DESC_GRID * DESC_GRID; c++) {
		int cx = c % DESC_GRID, cy = c / DESC_GRID % DESC_GRID;
		/* the corner cells hold hair and background, not the face */
		if ((cx == 0 || cx == DESC_GRID - 1) && (cy == 0 || cy == DESC_GRID - 1))
			continue;
		cells++;
		for (i = c * DESC_BINS; i < (c + 1) * DESC_BINS; i++) {
			float s = a[i] + b[i];
			if (s > 0)
				d += (double)(a[i] - b[i]) * (a[i] - b[i]) / s;
		}
	}
	return 100.0 * d / cells;
}

/* ------------------------------------------------------------ descriptors */

static int
lbp_describe(struct face_ctx *ctx, const struct cv_image *im, const struct face_det *d,
    float *out, char *err, size_t errlen)
{
	struct cv_image crop;
	int r;

	if (face_align(im, d, &crop, err, errlen) == -1)
		return -1;
	r = face_describe(&crop, out);
	cv_image_free(&crop);
	if (r == -1)
		seterr(err, errlen, "cannot describe the face");
	return r;
}

/*
 * The similarity transform that best maps a crop's template points (the
 * subject's right eye, left eye, mouth centre: t[0], t[1], t[3] of a
 * face_embed_align_points-style table) onto the detection's keypoints
 * (least squares), as the inverse map of the warp.  The nose is left out:
 * it moves with yaw and would pull the crop sideways.
 */
static void
crop_transform(const struct face_det *d, const float t[4][2], double m[6])
{
	const struct cv_point *k = d->kp;
	double src[3][2], dst[3][2], su = 0, sv = 0, sx = 0, sy = 0, num_a = 0, num_b = 0, den = 0;
	double a, b;
	int i;

	/* crop points (template) -> image points (keypoints) */
	src[0][0] = t[0][0]; src[0][1] = t[0][1];
	src[1][0] = t[1][0]; src[1][1] = t[1][1];
	src[2][0] = t[3][0]; src[2][1] = t[3][1];
	dst[0][0] = k[FACE_KP_REYE].x; dst[0][1] = k[FACE_KP_REYE].y;
	dst[1][0] = k[FACE_KP_LEYE].x; dst[1][1] = k[FACE_KP_LEYE].y;
	dst[2][0] = k[FACE_KP_MOUTH].x; dst[2][1] = k[FACE_KP_MOUTH].y;
	/* the subject's right eye is on the image's left in a frontal
	 * picture; a mirrored pair would flip the crop: order by x */
	if (dst[0][0] > dst[1][0]) {
		double tx = dst[0][0], ty = dst[0][1];
		dst[0][0] = dst[1][0]; dst[0][1] = dst[1][1];
		dst[1][0] = tx; dst[1][1] = ty;
	}
	for (i = 0; i < 3; i++) {
		su += src[i][0]; sv += src[i][1];
		sx += dst[i][0]; sy += dst[i][1];
	}
	su /= 3; sv /= 3; sx /= 3; sy /= 3;
	for (i = 0; i < 3; i++) {
		double u = src[i][0] - su, v = src[i][1] - sv, x = dst[i][0] - sx, y = dst[i][1] - sy;
		num_a += u * x + v * y;
		num_b += u * y - v * x;
		den += u * u + v * v;
	}
	a = num_a / den;
	b = num_b / den;
	m[0] = a;
	m[1] = -b;
	m[2] = sx - a * su + b * sv;
	m[3] = b;
	m[4] = a;
	m[5] = sy - b * su - a * sv;
}

int
face_align_embed(const struct cv_image *im, const struct face_det *d, uint8_t *rgb,
    char *err, size_t errlen)
{
	float t[4][2];
	double m[6];
	double dx = d->kp[FACE_KP_LEYE].x - d->kp[FACE_KP_REYE].x;
	double dy = d->kp[FACE_KP_LEYE].y - d->kp[FACE_KP_REYE].y;

	if (sqrt(dx * dx + dy * dy) < 2) {
		seterr(err, errlen, "eyes too close to align (%.1f px)", sqrt(dx * dx + dy * dy));
		return -1;
	}
	face_embed_align_points(t);
	/* the crop dlib's network was trained on: a "face chip", 150×150,
	 * padding 0.25 around its mean face */
	crop_transform(d, t, m);
	return cv_face_warp_rgb(im, m, FACE_EMBED_SIZE, FACE_EMBED_SIZE, rgb,
	    (size_t)FACE_EMBED_SIZE * 3, err, errlen);
}

/*
 * The landmark network's crop: the face chip's template (dlib's mean face:
 * eye centres and mouth) with a padding of LM_PAD instead of 0.25, scaled
 * to FACE_LM_SIZE, eyes level.  The whole face, jaw to jaw and brows to
 * chin, nearly fills the square, as in the face boxes face-api.js feeds
 * it.  LM_PAD was chosen on ORL's closed and open eyes (0.1 and 0.15 tell
 * them apart best, 0 and 0.25 worse; docs/faces.md).
 */
#define LM_PAD 0.15

int
face_align_landmarks(const struct cv_image *im, const struct face_det *d, uint8_t *rgb,
    double m[6], char *err, size_t errlen)
{
	float t[4][2];
	double dx = d->kp[FACE_KP_LEYE].x - d->kp[FACE_KP_REYE].x;
	double dy = d->kp[FACE_KP_LEYE].y - d->kp[FACE_KP_REYE].y;
	double pad = LM_PAD;
	int i;

	if (sqrt(dx * dx + dy * dy) < 2) {
		seterr(err, errlen, "eyes too close to align (%.1f px)", sqrt(dx * dx + dy * dy));
		return -1;
	}
	face_embed_align_points(t);
	for (i = 0; i < 4; i++) {
		/* chip pixel -> mean-face unit -> this crop's pixel */
		t[i][0] = (float)(((t[i][0] / FACE_EMBED_SIZE) * 1.5 - 0.25 + pad) / (1 + 2 * pad) *
		    FACE_LM_SIZE);
		t[i][1] = (float)(((t[i][1] / FACE_EMBED_SIZE) * 1.5 - 0.25 + pad) / (1 + 2 * pad) *
		    FACE_LM_SIZE);
	}
	crop_transform(d, t, m);
	return cv_face_warp_rgb(im, m, FACE_LM_SIZE, FACE_LM_SIZE, rgb, (size_t)FACE_LM_SIZE * 3,
	    err, errlen);
}

int
face_landmarks_det(struct face_ctx *ctx, const struct cv_image *im, const struct face_det *d,
    float pts[FACE_LM_POINTS][2], char *err, size_t errlen)
{
	double m[6];
	int i;

	if (ctx->lm == NULL) {
		seterr(err, errlen, "no face landmark model");
		return -1;
	}
	if (face_align_landmarks(im, d, ctx->lm_rgb, m, err, errlen) == -1 ||
	    face_landmarks_run(ctx->lm, ctx->lm_rgb, (size_t)FACE_LM_SIZE * 3, pts, err,
	    errlen) == -1)
		return -1;
	for (i = 0; i < FACE_LM_POINTS; i++) {
		double u = pts[i][0] * FACE_LM_SIZE, v = pts[i][1] * FACE_LM_SIZE;
		pts[i][0] = (float)(m[0] * u + m[1] * v + m[2]);
		pts[i][1] = (float)(m[3] * u + m[4] * v + m[5]);
	}
	return 0;
}

double
face_ear(struct face_ctx *ctx, const struct cv_image *im, const struct face_det *d)
{
	float pts[FACE_LM_POINTS][2];
	char err[256];

	if (face_landmarks_det(ctx, im, d, pts, err, sizeof err) == -1)
		return -1;
	return (face_landmarks_ear(pts, 0) + face_landmarks_ear(pts, 1)) / 2;
}

static int
embed_describe(struct face_ctx *ctx, const struct cv_image *im, const struct face_det *d,
    float *out, char *err, size_t errlen)
{
	if (ctx->embed == NULL) {
		seterr(err, errlen, "%s", ctx->recog_err);
		return -1;
	}
	if (face_align_embed(im, d, ctx->rgb, err, errlen) == -1)
		return -1;
	return face_embed_run(ctx->embed, ctx->rgb, (size_t)FACE_EMBED_SIZE * 3, out, err, errlen);
}

static double
embed_distance(const float *a, const float *b)
{
	return 100.0 * face_embed_distance(a, b);
}

static const struct face_desc_ops face_desc[FACE_NDESC] = {
	[FACE_DESC_EMBEDDING] = { FACE_DESC_EMBEDDING, "embedding", FACE_EMBED_DIM,
	    FACE_EMBED_THRESHOLD, embed_describe, embed_distance },
	[FACE_DESC_LBP] = { FACE_DESC_LBP, "lbp", DESC_DIM, FACE_LBP_THRESHOLD, lbp_describe,
	    desc_distance },
};

const char *
face_descriptor_name(enum face_descriptor d)
{
	return d >= 0 && d < FACE_NDESC ? face_desc[d].name : "?";
}

int
face_descriptor_parse(const char *s)
{
	for (int i = 0; i < FACE_NDESC; i++)
		if (s != NULL && strcmp(s, face_desc[i].name) == 0)
			return i;
	return -1;
}

const char *
face_recognizer_error(const struct face_ctx *ctx)
{
	return ctx->recog_err[0] ? ctx->recog_err : NULL;
}

enum face_descriptor
face_descriptor_of(const struct face_ctx *ctx)
{
	return ctx->desc->kind;
}

double
face_threshold(const struct face_ctx *ctx)
{
	return ctx->cfg.threshold > 0 ? ctx->cfg.threshold : ctx->desc->threshold;
}


/* ------------------------------------------------------------ store */

int
face_name_valid(const char *name)
{
	size_t i, n = name ? strlen(name) : 0;

	if (n == 0 || n >= FACE_NAME_MAX || name[0] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		char ch = name[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '.'))
			return 0;
	}
	return 1;
}

/* DIR/faces: checked (ours, a directory, not open to others: fixed to 0700
 * with a warning), created 0700 when `create`.  1 when missing. */
static int
store_dir(const char *state_dir, int create, char *path, size_t len, char *err, size_t errlen)
{
	struct stat st;

	if (state_dir == NULL || *state_dir == '\0') {
		seterr(err, errlen, "no state directory");
		return -1;
	}
	snprintf(path, len, "%s/faces", state_dir);
	if (lstat(path, &st) == -1) {
		if (errno != ENOENT) {
			seterr(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
		if (!create)
			return 1;
		if (sysio_mkdir(state_dir, 0700) == -1 && errno != EEXIST) {
			seterr(err, errlen, "%s: %s", state_dir, strerror(errno));
			return -1;
		}
		if (sysio_mkdir(path, 0700) == -1 || chmod(path, 0700) == -1) {
			seterr(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
		return 0;
	}
	if (!S_ISDIR(st.st_mode)) {
		seterr(err, errlen, "%s: not a directory", path);
		return -1;
	}
	if (st.st_uid != geteuid()) {
		seterr(err, errlen, "%s: owned by uid %u, not by us: refusing it", path,
		    (unsigned)st.st_uid);
		return -1;
	}
	if (st.st_mode & 077) {
		log_warnx("%s: mode %03o lets others in; setting 0700", path,
		    (unsigned)(st.st_mode & 0777));
		if (chmod(path, 0700) == -1) {
			seterr(err, errlen, "%s: chmod: %s", path, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/*
 * The store file's first line, parsed within its LEN bytes (the buffer is
 * binary and has no NUL): version 1 STORE_MAGIC1 " N DIM\n" (LBP), version
 * 2 STORE_MAGIC " 2 DESCRIPTOR N DIM\n".  The header's length, or -1 when
 * it is not one (*kind = -1 when it names a descriptor we do not know).
 * Exactly one space between fields and nothing else on the line, so the
 * descriptors start right after the newline even when their first bytes
 * look like white space.
 */
static int
store_header(const char *buf, size_t len, int *kind, int *n, int *dim)
{
	char line[96], *end, *sp;
	const char *nl;
	size_t ml = strlen(STORE_MAGIC);
	long v[2];

	if ((nl = memchr(buf, '\n', len < sizeof line ? len : sizeof line)) == NULL)
		return -1;
	memcpy(line, buf, (size_t)(nl - buf));
	line[nl - buf] = '\0';
	if (strncmp(line, STORE_MAGIC " ", ml + 1) != 0)
		return -1;
	if (strncmp(line + ml, " 1 ", 3) == 0) {
		*kind = FACE_DESC_LBP;
		end = line + ml + 2;
	} else if (strncmp(line + ml, " 2 ", 3) == 0) {
		char *name = line + ml + 3;
		if ((sp = strchr(name, ' ')) == NULL)
			return -1;
		*sp = '\0';
		*kind = face_descriptor_parse(name);
		*sp = ' ';
		end = sp;
	} else
		return -1;
	for (int i = 0; i < 2; i++) {
		const char *p = end + 1;
		if (*end != ' ' || *p < '0' || *p > '9')
			return -1;
		errno = 0;
		v[i] = strtol(p, &end, 10);
		if (errno != 0 || v[i] > 1000000)
			return -1;
	}
	if (*end != '\0')
		return -1;
	*n = (int)v[0];
	*dim = (int)v[1];
	return (int)(nl - buf) + 1;
}

struct face_person *
face_person_load(const char *state_dir, const char *name, int *missing, char *err, size_t errlen)
{
	char dir[1024], path[1200], *buf = NULL;
	struct face_person *p = NULL;
	struct stat st;
	int fd, r;
	size_t got = 0;

	*missing = 0;
	if (!face_name_valid(name)) {
		seterr(err, errlen, "\"%s\": not a valid name (1-63 of A-Z a-z 0-9 _ . -)", name);
		return NULL;
	}
	if ((r = store_dir(state_dir, 0, dir, sizeof dir, err, errlen)) == -1)
		return NULL;
	snprintf(path, sizeof path, "%s/%s.face", dir, name);
	if (r == 1 || ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1 &&
	    errno == ENOENT)) {
		*missing = 1;
		seterr(err, errlen, "no enrolled face named \"%s\"", name);
		return NULL;
	}
	if (fd == -1) {
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		seterr(err, errlen, "%s: not a regular file", path);
		goto out;
	}
	/* Writable by others: someone could have enrolled their own face. */
	if (st.st_uid != geteuid() || (st.st_mode & 022)) {
		seterr(err, errlen, "%s: owned by uid %u with mode %03o: others could have "
		    "changed it; refusing it (re-enroll)", path, (unsigned)st.st_uid,
		    (unsigned)(st.st_mode & 0777));
		goto out;
	}
	if (st.st_mode & 044) {
		log_warnx("%s: mode %03o lets others read biometric data; setting 0600", path,
		    (unsigned)(st.st_mode & 0777));
		if (fchmod(fd, 0600) == -1) {
			seterr(err, errlen, "%s: chmod: %s", path, strerror(errno));
			goto out;
		}
	}
	if (st.st_size <= 0 || st.st_size > (64 << 20) ||
	    (buf = malloc((size_t)st.st_size)) == NULL) {
		seterr(err, errlen, "%s: empty or too large", path);
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t k = read(fd, buf + got, (size_t)st.st_size - got);
		if (k <= 0) {
			seterr(err, errlen, "%s: read: %s", path, k == 0 ? "short" : strerror(errno));
			goto out;
		}
		got += (size_t)k;
	}
	if ((p = calloc(1, sizeof *p)) == NULL) {
		seterr(err, errlen, "out of memory");
		goto out;
	}
	{
		int n, dim, kind = -1, hl = store_header(buf, got, &kind, &n, &dim);
		if (hl >= 0 && kind < 0) {
			seterr(err, errlen, "%s: made by a face descriptor this version does not "
			    "know (re-enroll)", path);
			free(p);
			p = NULL;
		} else if (hl < 0 || dim != face_desc[kind].dim || n <= 0 || n > 1000 ||
		    got != (size_t)hl + (size_t)n * dim * sizeof(float)) {
			seterr(err, errlen, "%s: not an enrolled face of this version (re-enroll)",
			    path);
			free(p);
			p = NULL;
		} else if ((p->desc = malloc((size_t)n * dim * sizeof(float))) == NULL) {
			seterr(err, errlen, "out of memory");
			free(p);
			p = NULL;
		} else {
			memcpy(p->desc, buf + hl, (size_t)n * dim * sizeof(float));
			p->n = n;
			p->dim = dim;
			p->kind = (enum face_descriptor)kind;
		}
	}
out:
	free(buf);
	close(fd);
	return p;
}

void
face_person_free(struct face_person *p)
{
	if (p == NULL)
		return;
	free(p->desc);
	free(p);
}

enum face_descriptor
face_person_descriptor(const struct face_person *p)
{
	return p->kind;
}

int
face_person_count(const struct face_person *p)
{
	return p->n;
}

int
face_person_usable(const struct face_ctx *ctx, const struct face_person *p, char *err,
    size_t errlen)
{
	if (ctx->recog_err[0]) {
		seterr(err, errlen, "%s", ctx->recog_err);
		return -1;
	}
	if (p->kind == ctx->desc->kind)
		return 0;
	seterr(err, errlen, "the face was enrolled with the %s descriptor and face_descriptor "
	    "is %s: its templates cannot be compared (enroll again with `smartofficed face "
	    "enroll`, or set face_descriptor = %s)", face_desc[p->kind].name, ctx->desc->name,
	    face_desc[p->kind].name);
	return -1;
}

/* The best face of `im`; 0 found, 1 none, -1 error. */
static int
best_face(struct face_ctx *ctx, const struct cv_image *im, struct face_det *best, char *err,
    size_t errlen)
{
	struct face_det d[FACE_MAX_DETS];
	int n;

	if ((n = face_detect(ctx, im, d, FACE_MAX_DETS, err, errlen)) == -1)
		return -1;
	if (n == 0)
		return 1;
	*best = d[0];
	return 0;
}

int
face_enroll(struct face_ctx *ctx, const char *state_dir, const char *name,
    const struct cv_image *ims, int n, char *err, size_t errlen)
{
	const struct face_desc_ops *ops = ctx->desc;
	int i, r, rc = -1, hl;
	char dir[1024], path[1200], e2[1400], *buf = NULL;
	size_t len = 0, rec = (size_t)ops->dim * sizeof(float);
	float *desc = NULL;

	if (!face_name_valid(name)) {
		seterr(err, errlen, "\"%s\": not a valid name (1-63 of A-Z a-z 0-9 _ . -)", name);
		return -1;
	}
	if (n <= 0 || n > 1000) {
		seterr(err, errlen, n <= 0 ? "no images to enroll from" :
		    "at most 1000 images to enroll from");
		return -1;
	}
	len = 96 + (size_t)n * rec;
	if ((buf = malloc(len)) == NULL || (desc = malloc(rec)) == NULL) {
		seterr(err, errlen, "out of memory");
		goto out;
	}
	hl = snprintf(buf, 96, STORE_MAGIC " 2 %s %d %d\n", ops->name, n, ops->dim);
	for (i = 0; i < n; i++) {
		struct face_det d;
		if ((r = best_face(ctx, &ims[i], &d, e2, sizeof e2)) != 0) {
			seterr(err, errlen, "image %d: %s", i + 1, r == 1 ? "no face found" : e2);
			goto out;
		}
		if (ops->describe(ctx, &ims[i], &d, desc, e2, sizeof e2) == -1) {
			seterr(err, errlen, "image %d: %s", i + 1, e2);
			goto out;
		}
		memcpy(buf + hl + (size_t)i * rec, desc, rec);   /* buf + hl: not float-aligned */
	}
	len = (size_t)hl + (size_t)n * rec;
	if (store_dir(state_dir, 1, dir, sizeof dir, err, errlen) == -1)
		goto out;
	snprintf(path, sizeof path, "%s/%s.face", dir, name);
	/* A new 0600 file beside the old one, fsync'd and renamed over it
	 * (base/sysio.h): a failure at any step leaves the old enrollment. */
	if (sysio_replace(path, buf, len, 0600, e2, sizeof e2) == -1) {
		seterr(err, errlen, "%s; not enrolled%s", e2, access(path, F_OK) == 0 ?
		    ", the earlier enrollment is kept" : "");
		goto out;
	}
	rc = 0;
out:
	free(desc);
	free(buf);
	return rc;
}

/* The smallest distance of descriptor d to p's templates. */
static double
nearest(const struct face_desc_ops *ops, const struct face_person *p, const float *d)
{
	double best = 1e9, x;

	for (int i = 0; i < p->n; i++)
		if ((x = ops->distance(d, p->desc + (size_t)i * p->dim)) < best)
			best = x;
	return best;
}

int
face_describe_det(struct face_ctx *ctx, const struct cv_image *im, const struct face_det *d,
    float *out, char *err, size_t errlen)
{
	return ctx->desc->describe(ctx, im, d, out, err, errlen);
}

int
face_desc_dim(const struct face_ctx *ctx)
{
	return ctx->desc->dim;
}

double
face_person_nearest(const struct face_ctx *ctx, const struct face_person *p, const float *desc)
{
	return p->kind == ctx->desc->kind ? nearest(ctx->desc, p, desc) : 1e9;
}

int
face_person_distance(struct face_person *p, const struct cv_image *crop, double *dist,
    char *err, size_t errlen)
{
	float *d;

	if (p->kind != FACE_DESC_LBP) {
		seterr(err, errlen, "an aligned grey crop is for LBP enrollments; this one is %s "
		    "(face_person_match)", face_desc[p->kind].name);
		return -1;
	}
	if ((d = malloc(DESC_DIM * sizeof *d)) == NULL || face_describe(crop, d) == -1) {
		free(d);
		seterr(err, errlen, "cannot describe the face");
		return -1;
	}
	*dist = nearest(&face_desc[FACE_DESC_LBP], p, d);
	free(d);
	return 0;
}

int
face_person_match(struct face_ctx *ctx, struct face_person *p, const struct cv_image *im,
    const struct face_det *det, double *dist, char *err, size_t errlen)
{
	const struct face_desc_ops *ops = ctx->desc;
	float *d;

	if (face_person_usable(ctx, p, err, errlen) == -1)
		return -1;
	if ((d = malloc((size_t)ops->dim * sizeof *d)) == NULL) {
		seterr(err, errlen, "out of memory");
		return -1;
	}
	if (ops->describe(ctx, im, det, d, err, errlen) == -1) {
		free(d);
		return -1;
	}
	*dist = nearest(ops, p, d);
	free(d);
	return 0;
}

int
face_person_verify(struct face_ctx *ctx, struct face_person *p, const struct cv_image *im,
    struct face_verdict *v, char *err, size_t errlen)
{
	struct face_det d;
	int r;

	memset(v, 0, sizeof *v);
	v->score = -1;
	if ((r = best_face(ctx, im, &d, err, errlen)) == -1)
		return -1;
	if (r == 1)
		return 0;
	v->face = 1;
	if (face_person_match(ctx, p, im, &d, &v->score, err, errlen) == -1)
		return -1;
	v->match = v->score <= face_threshold(ctx);
	return 0;
}

int
face_verify(struct face_ctx *ctx, const char *state_dir, const char *name,
    const struct cv_image *im, struct face_verdict *v, char *err, size_t errlen)
{
	struct face_person *p;
	int missing, r;

	if ((p = face_person_load(state_dir, name, &missing, err, errlen)) == NULL)
		return -1;
	r = face_person_verify(ctx, p, im, v, err, errlen);
	face_person_free(p);
	return r;
}

/* ------------------------------------------------------------ liveness */

void
face_live_init(struct face_live *lv, const struct face_live_config *c)
{
	static const struct face_live_config def = FACE_LIVE_DEFAULTS;

	memset(lv, 0, sizeof *lv);
	lv->c = c ? *c : def;
	if (lv->c.min_matches < 2)
		lv->c.min_matches = 2;      /* never on one frame */
	lv->st = FACE_LIVE_SEARCHING;
	lv->eyes_prev = -1;
}

static void
live_reset(struct face_live *lv)
{
	struct face_live_config c = lv->c;

	face_live_init(lv, &c);
}

enum face_live_state
face_live_feed(struct face_live *lv, double t, const struct face_det *d, int match,
    int eyes_open)
{
	struct cv_point centre;
	double yaw, dev;

	if (lv->st == FACE_LIVE_VERIFIED) {
		/* stays verified while the face is there and still matches
		 * (turned frames may not: only absence resets it) */
		if (d != NULL)
			lv->t_last_face = t;
		else if (t - lv->t_last_face > lv->c.lost_s)
			live_reset(lv);
		return lv->st;
	}
	if (d == NULL) {
		if (lv->have_last && t - lv->t_last_face > lv->c.lost_s)
			live_reset(lv);
		return lv->st;
	}
	centre.x = d->box.x + d->box.w / 2;
	centre.y = d->box.y + d->box.h / 2;
	/* A face that jumps by more than its width is another face. */
	if (lv->have_last && (fabs(centre.x - lv->last_centre.x) > lv->last_width ||
	    fabs(centre.y - lv->last_centre.y) > lv->last_width))
		live_reset(lv);
	lv->have_last = 1;
	lv->last_centre = centre;
	lv->last_width = d->box.w;
	lv->t_last_face = t;
	yaw = face_yaw(d);

	if (lv->st == FACE_LIVE_SEARCHING) {
		/* A frame that does not match takes one back rather than
		 * starting over: a real face near the threshold matches most
		 * frames, not every one; a stranger gains nothing. */
		if (!match) {
			if (lv->matches > 0)
				lv->matches--;
			return lv->st;
		}
		lv->matches++;
		lv->yaw_sum += yaw;
		lv->yaw_n++;
		if (lv->matches >= lv->c.min_matches) {
			lv->st = FACE_LIVE_CHALLENGE;
			lv->base_yaw = lv->yaw_sum / lv->yaw_n;
			lv->t_start = t;
		}
		lv->eyes_prev = eyes_open;
		lv->open_frames = eyes_open == 1;
		return lv->st;
	}

	/* FACE_LIVE_CHALLENGE */
	if (t - lv->t_start > lv->c.timeout_s) {
		live_reset(lv);
		return lv->st;
	}
	if (d->estimated == 0) {
		dev = fabs(yaw - lv->base_yaw);
		if (!lv->turned && dev >= lv->c.yaw_turn)
			lv->turned = 1;
		else if (lv->turned && dev <= lv->c.yaw_back)
			lv->turn_done = 1;
		/* A blink is the eyes closing in a still head: eyes the
		 * cascade loses while the head is turned away are not closed,
		 * so no blink spans a turn (the turn is its own challenge). */
		if (dev >= lv->c.yaw_turn) {
			eyes_open = -1;
			lv->eyes_prev = -1;
			lv->open_frames = 0;
		}
	}
	if (eyes_open == 1) {
		if (lv->eyes_prev == 0 && lv->open_frames >= 2 &&
		    t - lv->t_closed <= lv->c.blink_max_s)
			lv->blink_done = 1;
		if (lv->eyes_prev != 0)
			lv->open_frames++;
		else
			lv->open_frames = 1;
	} else if (eyes_open == 0 && lv->eyes_prev == 1)
		lv->t_closed = t;
	if (eyes_open != -1)
		lv->eyes_prev = eyes_open;

	/* matched frames after the challenge: the same person came back */
	if (lv->turn_done || lv->blink_done) {
		if (match)
			lv->matches_after++;
		if (lv->matches_after >= 2)
			lv->st = FACE_LIVE_VERIFIED;
	}
	return lv->st;
}
