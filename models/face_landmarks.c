/*
 * face_landmarks — face-api.js's 68-point landmark network, our forward
 * pass (face_landmarks.h).
 *
 * The network, as face-api.js's FaceLandmark68Net runs it (NHWC, tfjs):
 *   x = (RGB - [122.782, 117.001, 104.298]) / 255, 112×112
 *   dense0 (32), dense1 (64), dense2 (128), dense3 (256)   -> 7×7×256
 *   average pool 7×7/2 valid                               -> 256
 *   × fc/weights [256, 136] + fc/bias: x0 y0 x1 y1 ... in 0..1 of the crop
 * A dense block of 4 (the tiny variant: 3 blocks of 3, 128 channels out,
 * a 14×14 pool):
 *   o1 = relu(conv0(x))      stride 2: dense0's a plain 3×3 conv, the
 *                            others depthwise-separable
 *   o2 = sep1(o1); o3 = sep2(relu(o1 + o2)); o4 = sep3(relu(o1 + o2 + o3))
 *   out = relu(o1 + o2 + o3 + o4)
 * sep: a 3×3 depthwise conv (stride 1 or 2), a 1×1 pointwise conv, a bias.
 * Every conv pads "same" as TensorFlow does: at stride 2 on an even size
 * the one padding row and column are at the bottom and right.
 *
 * Activations are HWC (channels last, as tfjs): the depthwise conv runs
 * over contiguous channels, the pointwise conv is one sgemm of the
 * (pixels × ci) activation by the [ci, co] filter.
 */
#include "models/face_landmarks.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "models/tfjs_weights.h"

#define seterr log_seterr
#define WHAT   "face landmark model"

#define MAXBLOCKS 4
#define MAXCONVS  4

struct sep {
	int    ci, co;
	float *dw;      /* 3×3×ci (tfjs [3, 3, ci, 1]) */
	float *pw;      /* ci × co */
	float *b;       /* co */
};

struct face_landmarks {
	int        nblocks, nconvs, tiny;
	int        chan[MAXBLOCKS];
	float     *first_w, *first_b;     /* dense0/conv0: 27 × 32, 32 */
	struct sep sep[MAXBLOCKS][MAXCONVS];   /* [0][0] unused */
	int        fc_in;
	float     *fc_w, *fc_b;           /* fc_in × 136, 136 */
	float     *x, *in, *dw, *o, *acc, *col;   /* scratch */
};

/* ------------------------------------------------------------ loading */

static float *
copy_tensor(const struct tfjs_tensor *t, char *err, size_t errlen)
{
	float *v = malloc(t->n * sizeof *v);

	if (v == NULL)
		seterr(err, errlen, "out of memory");
	else
		memcpy(v, t->v, t->n * sizeof *v);
	return v;
}

/* name/depthwise_filter [3,3,ci,1], /pointwise_filter [1,1,ci,co], /bias [co] */
static int
sep_load(const struct tfjs_weights *w, const char *manifest, const char *prefix, int ci, int co,
    struct sep *s, char *err, size_t errlen)
{
	const struct tfjs_tensor *dw, *pw, *b;
	int dws[4] = { 3, 3, ci, 1 }, pws[4] = { 1, 1, ci, co }, bs[1] = { co };

	if ((dw = tfjs_weights_need(w, manifest, WHAT, prefix, "depthwise_filter", 4, dws, err, errlen)) == NULL)
		return -1;
	if ((pw = tfjs_weights_need(w, manifest, WHAT, prefix, "pointwise_filter", 4, pws, err, errlen)) == NULL)
		return -1;
	if ((b = tfjs_weights_need(w, manifest, WHAT, prefix, "bias", 1, bs, err, errlen)) == NULL)
		return -1;
	s->ci = ci;
	s->co = co;
	if ((s->dw = copy_tensor(dw, err, errlen)) == NULL ||
	    (s->pw = copy_tensor(pw, err, errlen)) == NULL ||
	    (s->b = copy_tensor(b, err, errlen)) == NULL)
		return -1;
	return 0;
}

void
face_landmarks_free(struct face_landmarks *fl)
{
	if (fl == NULL)
		return;
	for (int i = 0; i < MAXBLOCKS; i++)
		for (int j = 0; j < MAXCONVS; j++) {
			free(fl->sep[i][j].dw);
			free(fl->sep[i][j].pw);
			free(fl->sep[i][j].b);
		}
	free(fl->first_w);
	free(fl->first_b);
	free(fl->fc_w);
	free(fl->fc_b);
	free(fl->x);
	free(fl->in);
	free(fl->dw);
	free(fl->o);
	free(fl->acc);
	free(fl->col);
	free(fl);
}

int
face_landmarks_tiny(const struct face_landmarks *fl)
{
	return fl->tiny;
}

struct face_landmarks *
face_landmarks_load(const char *manifest, char *err, size_t errlen)
{
	struct tfjs_weights w;
	struct face_landmarks *fl;
	const struct tfjs_tensor *t;
	int fs[4] = { 3, 3, 3, 32 }, bs[1] = { 32 }, fcw[2], fcb[1] = { 2 * FACE_LM_POINTS };
	size_t act = (size_t)56 * 56 * 32;
	int b, j, ci;

	if (manifest == NULL || *manifest == '\0') {
		seterr(err, errlen, "no face landmark model configured");
		return NULL;
	}
	if (tfjs_weights_load(manifest, &w, err, errlen) == -1)
		return NULL;
	if ((fl = calloc(1, sizeof *fl)) == NULL) {
		seterr(err, errlen, "out of memory");
		tfjs_weights_free(&w);
		return NULL;
	}
	/* the full network has a fourth block; the tiny one has 3 of 3 */
	fl->tiny = tfjs_weights_find(&w, "dense3/conv0/depthwise_filter") == NULL;
	fl->nblocks = fl->tiny ? 3 : 4;
	fl->nconvs = fl->tiny ? 3 : 4;
	for (b = 0; b < fl->nblocks; b++)
		fl->chan[b] = 32 << b;
	if ((t = tfjs_weights_need(&w, manifest, WHAT, NULL, "dense0/conv0/filters", 4, fs, err,
	    errlen)) == NULL || (fl->first_w = copy_tensor(t, err, errlen)) == NULL ||
	    (t = tfjs_weights_need(&w, manifest, WHAT, NULL, "dense0/conv0/bias", 1, bs, err,
	    errlen)) == NULL || (fl->first_b = copy_tensor(t, err, errlen)) == NULL)
		goto fail;
	for (b = 0, ci = 32; b < fl->nblocks; ci = fl->chan[b], b++)
		for (j = b == 0 ? 1 : 0; j < fl->nconvs; j++) {
			char p[64];
			snprintf(p, sizeof p, "dense%d/conv%d", b, j);
			if (sep_load(&w, manifest, p, j == 0 ? ci : fl->chan[b], fl->chan[b],
			    &fl->sep[b][j], err, errlen) == -1)
				goto fail;
		}
	fl->fc_in = fl->chan[fl->nblocks - 1];
	fcw[0] = fl->fc_in;
	fcw[1] = 2 * FACE_LM_POINTS;
	if ((t = tfjs_weights_need(&w, manifest, WHAT, NULL, "fc/weights", 2, fcw, err, errlen)) == NULL ||
	    (fl->fc_w = copy_tensor(t, err, errlen)) == NULL ||
	    (t = tfjs_weights_need(&w, manifest, WHAT, NULL, "fc/bias", 1, fcb, err, errlen)) == NULL ||
	    (fl->fc_b = copy_tensor(t, err, errlen)) == NULL)
		goto fail;
	tfjs_weights_free(&w);
	/* largest activation: 56×56×32 (every block halves the side and
	 * doubles the channels); the first conv's im2col: 56×56 rows of 27 */
	if ((fl->x = malloc((size_t)FACE_LM_SIZE * FACE_LM_SIZE * 3 * sizeof(float))) == NULL ||
	    (fl->in = malloc(act * sizeof(float))) == NULL ||
	    (fl->dw = malloc(act * sizeof(float))) == NULL ||
	    (fl->o = malloc(act * sizeof(float))) == NULL ||
	    (fl->acc = malloc(act * sizeof(float))) == NULL ||
	    (fl->col = malloc((size_t)56 * 56 * 27 * sizeof(float))) == NULL) {
		seterr(err, errlen, "out of memory");
		face_landmarks_free(fl);
		return NULL;
	}
	openblas_set_num_threads(1);
	return fl;
fail:
	tfjs_weights_free(&w);
	face_landmarks_free(fl);
	return NULL;
}

/* ------------------------------------------------------------ forward */

/* TensorFlow's "same" padding before the first row/column: half the
 * total, rounded down (the odd one goes after). */
static int
pad_before(int in, int out, int stride)
{
	int total = (out - 1) * stride + 3 - in;

	return total > 0 ? total / 2 : 0;
}

/* dense0/conv0: 3×3 stride 2 same, 3 -> 32, + bias (relu by the caller). */
static void
first_conv(struct face_landmarks *fl, const float *x, int h, int w, float *out, int *oh, int *ow)
{
	int H = (h + 1) / 2, W = (w + 1) / 2, py = pad_before(h, H, 2), px = pad_before(w, W, 2);
	int y, xx, ky, kx;
	size_t M = (size_t)H * W, i;

	for (y = 0; y < H; y++)
		for (xx = 0; xx < W; xx++) {
			float *row = fl->col + ((size_t)y * W + xx) * 27;
			for (ky = 0; ky < 3; ky++) {
				int iy = 2 * y + ky - py;
				for (kx = 0; kx < 3; kx++, row += 3) {
					int ix = 2 * xx + kx - px;
					if (iy < 0 || iy >= h || ix < 0 || ix >= w)
						row[0] = row[1] = row[2] = 0;
					else
						memcpy(row, x + ((size_t)iy * w + ix) * 3, 3 * sizeof *row);
				}
			}
		}
	for (i = 0; i < M; i++)
		memcpy(out + i * 32, fl->first_b, 32 * sizeof *out);
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)M, 32, 27, 1.0f, fl->col, 27,
	    fl->first_w, 32, 1.0f, out, 32);
	*oh = H;
	*ow = W;
}

/* out (H×W×co) = pointwise(depthwise(in h×w×ci, stride)) + bias. */
static void
sep_conv(struct face_landmarks *fl, const struct sep *s, const float *in, int h, int w,
    int stride, float *out, int *oh, int *ow)
{
	int ci = s->ci, H = (h + stride - 1) / stride, W = (w + stride - 1) / stride;
	int py = pad_before(h, H, stride), px = pad_before(w, W, stride), y, x, ky, kx, c;
	size_t M = (size_t)H * W, i;

	for (y = 0; y < H; y++)
		for (x = 0; x < W; x++) {
			float *d = fl->dw + ((size_t)y * W + x) * ci;
			memset(d, 0, (size_t)ci * sizeof *d);
			for (ky = 0; ky < 3; ky++) {
				int iy = y * stride + ky - py;
				if (iy < 0 || iy >= h)
					continue;
				for (kx = 0; kx < 3; kx++) {
					int ix = x * stride + kx - px;
					const float *src, *k;
					if (ix < 0 || ix >= w)
						continue;
					src = in + ((size_t)iy * w + ix) * ci;
					k = s->dw + (size_t)(ky * 3 + kx) * ci;
					for (c = 0; c < ci; c++)
						d[c] += src[c] * k[c];
				}
			}
		}
	for (i = 0; i < M; i++)
		memcpy(out + i * (size_t)s->co, s->b, (size_t)s->co * sizeof *out);
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)M, s->co, ci, 1.0f, fl->dw, ci,
	    s->pw, s->co, 1.0f, out, s->co);
	*oh = H;
	*ow = W;
}

static void
relu_to(float *dst, const float *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = src[i] > 0 ? src[i] : 0;
}

/* One dense block: fl->in (h×w) -> fl->in (the output, relu'd). */
static void
dense_block(struct face_landmarks *fl, int b, int *h, int *w)
{
	int H, W, h2, w2, j;
	size_t n, i;

	if (b == 0)
		first_conv(fl, fl->x, *h, *w, fl->acc, &H, &W);
	else
		sep_conv(fl, &fl->sep[b][0], fl->in, *h, *w, 2, fl->acc, &H, &W);
	n = (size_t)H * W * fl->chan[b];
	relu_to(fl->acc, fl->acc, n);             /* acc = o1 */
	for (j = 1; j < fl->nconvs; j++) {
		relu_to(fl->in, fl->acc, n);      /* relu(o1 + ... + oj) */
		sep_conv(fl, &fl->sep[b][j], fl->in, H, W, 1, fl->o, &h2, &w2);
		for (i = 0; i < n; i++)
			fl->acc[i] += fl->o[i];
	}
	relu_to(fl->in, fl->acc, n);
	*h = H;
	*w = W;
}

int
face_landmarks_run(struct face_landmarks *fl, const uint8_t *rgb, size_t stride,
    float pts[FACE_LM_POINTS][2], char *err, size_t errlen)
{
	static const float mean[3] = { 122.782f, 117.001f, 104.298f };
	enum { S = FACE_LM_SIZE };
	float g[256], out[2 * FACE_LM_POINTS];
	int h = S, w = S, y, x, ch, b, k, c, pool;

	if (rgb == NULL || stride < (size_t)S * 3) {
		seterr(err, errlen, "face crop: want %d×%d RGB", S, S);
		return -1;
	}
	for (y = 0; y < S; y++)
		for (x = 0; x < S; x++)
			for (ch = 0; ch < 3; ch++)
				fl->x[((size_t)y * S + x) * 3 + ch] =
				    (rgb[(size_t)y * stride + (size_t)x * 3 + ch] - mean[ch]) / 255.0f;
	for (b = 0; b < fl->nblocks; b++)
		dense_block(fl, b, &h, &w);
	/* average pool h×h (7×7, tiny 14×14) stride 2 valid: one window */
	pool = fl->tiny ? 14 : 7;
	if (h != pool || w != pool) {
		seterr(err, errlen, "face landmarks: %d×%d before the pool, want %d×%d", h, w, pool,
		    pool);
		return -1;
	}
	c = fl->fc_in;
	memset(g, 0, sizeof g);
	for (k = 0; k < h * w; k++)
		for (ch = 0; ch < c; ch++)
			g[ch] += fl->in[(size_t)k * c + ch];
	for (ch = 0; ch < c; ch++)
		g[ch] /= (float)(h * w);
	memcpy(out, fl->fc_b, sizeof out);
	cblas_sgemv(CblasRowMajor, CblasTrans, c, 2 * FACE_LM_POINTS, 1.0f, fl->fc_w,
	    2 * FACE_LM_POINTS, g, 1, 1.0f, out, 1);
	/* face-api's postProcess on a square input: × size / size, no shift */
	for (k = 0; k < FACE_LM_POINTS; k++) {
		pts[k][0] = out[2 * k];
		pts[k][1] = out[2 * k + 1];
	}
	return 0;
}

static double
dist(const float *a, const float *b)
{
	double dx = a[0] - b[0], dy = a[1] - b[1];

	return sqrt(dx * dx + dy * dy);
}

double
face_landmarks_ear(const float pts[FACE_LM_POINTS][2], int eye)
{
	const float (*p)[2] = pts + (eye ? 42 : 36);
	double width = dist(p[0], p[3]);

	if (width < 1e-6)
		return 0;
	return (dist(p[1], p[5]) + dist(p[2], p[4])) / (2 * width);
}
