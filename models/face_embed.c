/*
 * face_embed — dlib's ResNet face descriptor, our forward pass (face_embed.h).
 *
 * The network, as face-api.js's FaceRecognitionNet runs it (NHWC, tfjs):
 *   x = (RGB - [122.782, 117.001, 104.298]) / 255, 150×150
 *   conv 7×7/2 valid 32 + relu, max-pool 3×3/2 valid      -> 35×35×32
 *   3 × residual(32)                                       (conv3+relu, conv3, +x, relu)
 *   residual_down(64), 3 × residual(64)                    -> 17×17×64
 *   residual_down(128), 2 × residual(128)                  -> 8×8×128
 *   residual_down(256), 2 × residual(256)                  -> 4×4×256
 *   residual_down(256)                                     -> 2×2×256
 *   mean over H, W; × fc [256, 128]
 * residual_down: conv 3×3/2 valid + relu, conv 3×3 same; the shortcut is a
 * 2×2/2 average pool of x, zero-padded in channels; when the conv branch is
 * one smaller (odd sizes) it gets a zero row and column at the bottom and
 * right.  Every conv is followed by its bias and a scale layer (×w + b),
 * which we fold into the conv's weights at load time.
 *
 * Activations are HWC (channels last, as tfjs), so a convolution is one
 * im2col (rows = output pixels, columns = ky, kx, ci) times the filter in
 * its tfjs layout [kh, kw, ci, co] viewed as a K × co matrix: no transposes.
 */
#include "models/face_embed.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "models/tfjs_weights.h"

#define seterr log_seterr
#define WHAT   "face recognition model"

struct conv {
	int    k, ci, co, stride, same;
	float *w;        /* k*k*ci × co, scale folded in */
	float *b;        /* co */
};

/* conv32_down, then per block conv1/conv2; fc last */
#define NBLOCKS 14
struct face_embed {
	struct conv first;
	struct conv blk[NBLOCKS][2];
	int         down[NBLOCKS];
	float      *fc;          /* 256 × 128 */
	float      *a, *b, *c, *col;   /* scratch */
	size_t      act_max, col_max;
};

static const struct {
	const char *name;
	int ci, co, down;
} blocks[NBLOCKS] = {
	{ "conv32_1", 32, 32, 0 }, { "conv32_2", 32, 32, 0 }, { "conv32_3", 32, 32, 0 },
	{ "conv64_down", 32, 64, 1 }, { "conv64_1", 64, 64, 0 }, { "conv64_2", 64, 64, 0 },
	{ "conv64_3", 64, 64, 0 },
	{ "conv128_down", 64, 128, 1 }, { "conv128_1", 128, 128, 0 }, { "conv128_2", 128, 128, 0 },
	{ "conv256_down", 128, 256, 1 }, { "conv256_1", 256, 256, 0 }, { "conv256_2", 256, 256, 0 },
	{ "conv256_down_out", 256, 256, 1 },
};

/* ------------------------------------------------------------ loading */

/* prefix/conv/filters, /conv/bias, /scale/weights, /scale/biases -> c */
static int
conv_load(const struct tfjs_weights *w, const char *manifest, const char *prefix, int k, int ci,
    int co, int stride, int same, struct conv *c, char *err, size_t errlen)
{
	const struct tfjs_tensor *f, *b, *sw, *sb;
	int fs[4] = { k, k, ci, co }, vs[1] = { co };
	size_t K = (size_t)k * k * ci, i;

	if ((f = tfjs_weights_need(w, manifest, WHAT, prefix, "conv/filters", 4, fs, err, errlen)) == NULL)
		return -1;
	if ((b = tfjs_weights_need(w, manifest, WHAT, prefix, "conv/bias", 1, vs, err, errlen)) == NULL)
		return -1;
	if ((sw = tfjs_weights_need(w, manifest, WHAT, prefix, "scale/weights", 1, vs, err, errlen)) == NULL)
		return -1;
	if ((sb = tfjs_weights_need(w, manifest, WHAT, prefix, "scale/biases", 1, vs, err, errlen)) == NULL)
		return -1;
	c->k = k;
	c->ci = ci;
	c->co = co;
	c->stride = stride;
	c->same = same;
	c->w = malloc(K * (size_t)co * sizeof *c->w);
	c->b = malloc((size_t)co * sizeof *c->b);
	if (c->w == NULL || c->b == NULL) {
		seterr(err, errlen, "out of memory");
		return -1;
	}
	/* (x * W + b) * s + t  =  x * (W s) + (b s + t) */
	for (i = 0; i < K * (size_t)co; i++)
		c->w[i] = f->v[i] * sw->v[i % (size_t)co];
	for (i = 0; i < (size_t)co; i++)
		c->b[i] = b->v[i] * sw->v[i] + sb->v[i];
	return 0;
}

static void
conv_free(struct conv *c)
{
	free(c->w);
	free(c->b);
}

void
face_embed_free(struct face_embed *fe)
{
	int i;

	if (fe == NULL)
		return;
	conv_free(&fe->first);
	for (i = 0; i < NBLOCKS; i++) {
		conv_free(&fe->blk[i][0]);
		conv_free(&fe->blk[i][1]);
	}
	free(fe->fc);
	free(fe->a);
	free(fe->b);
	free(fe->c);
	free(fe->col);
	free(fe);
}

struct face_embed *
face_embed_load(const char *manifest, char *err, size_t errlen)
{
	struct tfjs_weights w;
	struct face_embed *fe;
	const struct tfjs_tensor *fc;
	int fcs[2] = { 256, FACE_EMBED_DIM }, i;

	if (manifest == NULL || *manifest == '\0') {
		seterr(err, errlen, "no face recognition model configured");
		return NULL;
	}
	if (tfjs_weights_load(manifest, &w, err, errlen) == -1)
		return NULL;
	if ((fe = calloc(1, sizeof *fe)) == NULL) {
		seterr(err, errlen, "out of memory");
		tfjs_weights_free(&w);
		return NULL;
	}
	if (conv_load(&w, manifest, "conv32_down", 7, 3, 32, 2, 0, &fe->first, err, errlen) == -1)
		goto fail;
	for (i = 0; i < NBLOCKS; i++) {
		char p[96];
		fe->down[i] = blocks[i].down;
		snprintf(p, sizeof p, "%s/conv1", blocks[i].name);
		if (conv_load(&w, manifest, p, 3, blocks[i].ci, blocks[i].co, blocks[i].down ? 2 : 1,
		    !blocks[i].down, &fe->blk[i][0], err, errlen) == -1)
			goto fail;
		snprintf(p, sizeof p, "%s/conv2", blocks[i].name);
		if (conv_load(&w, manifest, p, 3, blocks[i].co, blocks[i].co, 1, 1, &fe->blk[i][1],
		    err, errlen) == -1)
			goto fail;
	}
	if ((fc = tfjs_weights_need(&w, manifest, WHAT, NULL, "fc", 2, fcs, err, errlen)) == NULL)
		goto fail;
	if ((fe->fc = malloc(fc->n * sizeof *fe->fc)) == NULL) {
		seterr(err, errlen, "out of memory");
		goto fail;
	}
	memcpy(fe->fc, fc->v, fc->n * sizeof *fe->fc);
	tfjs_weights_free(&w);
	/* largest activation: 72×72×32 after the first conv; largest im2col:
	 * 72×72 rows of 7×7×3 */
	fe->act_max = (size_t)72 * 72 * 32;
	fe->col_max = (size_t)72 * 72 * 147;
	if ((fe->a = malloc(fe->act_max * sizeof(float))) == NULL ||
	    (fe->b = malloc(fe->act_max * sizeof(float))) == NULL ||
	    (fe->c = malloc(fe->act_max * sizeof(float))) == NULL ||
	    (fe->col = malloc(fe->col_max * sizeof(float))) == NULL) {
		seterr(err, errlen, "out of memory");
		face_embed_free(fe);
		return NULL;
	}
	/* one core: the vision thread shares the machine with speech */
	openblas_set_num_threads(1);
	return fe;
fail:
	tfjs_weights_free(&w);
	face_embed_free(fe);
	return NULL;
}

/* ------------------------------------------------------------ forward */

/* out (oh×ow×co) = conv(in h×w×ci), relu when asked. */
static void
conv_run(struct face_embed *fe, const struct conv *c, const float *in, int h, int w, float *out,
    int *oh, int *ow, int relu)
{
	int pad = c->same ? c->k / 2 : 0, k = c->k, ci = c->ci;
	int H = c->same ? (h + c->stride - 1) / c->stride : (h - k) / c->stride + 1;
	int W = c->same ? (w + c->stride - 1) / c->stride : (w - k) / c->stride + 1;
	size_t K = (size_t)k * k * ci, M = (size_t)H * W, i;
	int y, x, ky, kx;

	for (y = 0; y < H; y++)
		for (x = 0; x < W; x++) {
			float *row = fe->col + ((size_t)y * W + x) * K;
			for (ky = 0; ky < k; ky++) {
				int iy = y * c->stride + ky - pad;
				for (kx = 0; kx < k; kx++, row += ci) {
					int ix = x * c->stride + kx - pad;
					if (iy < 0 || iy >= h || ix < 0 || ix >= w)
						memset(row, 0, (size_t)ci * sizeof *row);
					else
						memcpy(row, in + ((size_t)iy * w + ix) * ci,
						    (size_t)ci * sizeof *row);
				}
			}
		}
	for (i = 0; i < M; i++)
		memcpy(out + i * (size_t)c->co, c->b, (size_t)c->co * sizeof *out);
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)M, c->co, (int)K, 1.0f,
	    fe->col, (int)K, c->w, c->co, 1.0f, out, c->co);
	if (relu)
		for (i = 0; i < M * (size_t)c->co; i++)
			if (out[i] < 0)
				out[i] = 0;
	*oh = H;
	*ow = W;
}

/* One residual block: in (h×w×ci) -> out, using tmp. */
static void
block_run(struct face_embed *fe, int bi, const float *in, int h, int w, float *tmp, float *out,
    int *oh, int *ow)
{
	const struct conv *c1 = &fe->blk[bi][0], *c2 = &fe->blk[bi][1];
	int h1, w1, h2, w2, y, x, ch, ci = c1->ci, co = c2->co;

	conv_run(fe, c1, in, h, w, tmp, &h1, &w1, 1);
	conv_run(fe, c2, tmp, h1, w1, out, &h2, &w2, 0);
	if (!fe->down[bi]) {
		size_t n = (size_t)h2 * w2 * co;
		for (size_t i = 0; i < n; i++) {
			float v = out[i] + in[i];
			out[i] = v > 0 ? v : 0;
		}
		*oh = h2;
		*ow = w2;
		return;
	}
	/* shortcut: 2×2/2 average pool (valid), channels zero-padded; the conv
	 * branch padded with zeros at the bottom and right to its size */
	{
		int ph = (h - 2) / 2 + 1, pw = (w - 2) / 2 + 1;
		/* the conv branch (h2×w2) is placed in a ph×pw grid: move it
		 * backwards in place is unsafe, so go from the end */
		for (y = ph - 1; y >= 0; y--)
			for (x = pw - 1; x >= 0; x--) {
				float *o = out + ((size_t)y * pw + x) * co;
				const float *s0 = in + ((size_t)(2 * y) * w + 2 * x) * ci;
				const float *s1 = s0 + ci, *s2 = s0 + (size_t)w * ci, *s3 = s2 + ci;
				int inside = y < h2 && x < w2;
				const float *src = out + ((size_t)y * w2 + x) * co;
				for (ch = co - 1; ch >= 0; ch--) {
					float v = inside ? src[ch] : 0;
					if (ch < ci)
						v += 0.25f * (s0[ch] + s1[ch] + s2[ch] + s3[ch]);
					o[ch] = v > 0 ? v : 0;
				}
			}
		*oh = ph;
		*ow = pw;
	}
}

int
face_embed_run(struct face_embed *fe, const uint8_t *rgb, size_t stride, float *out, char *err,
    size_t errlen)
{
	static const float mean[3] = { 122.782f, 117.001f, 104.298f };
	enum { S = FACE_EMBED_SIZE };
	float *a = fe->a, *b = fe->b, *c = fe->c, *t;
	int h, w, y, x, ch, i;

	if (rgb == NULL || stride < (size_t)S * 3) {
		seterr(err, errlen, "face crop: want %d×%d RGB", S, S);
		return -1;
	}
	for (y = 0; y < S; y++)
		for (x = 0; x < S; x++)
			for (ch = 0; ch < 3; ch++)
				a[((size_t)y * S + x) * 3 + ch] =
				    (rgb[(size_t)y * stride + (size_t)x * 3 + ch] - mean[ch]) / 255.0f;
	conv_run(fe, &fe->first, a, S, S, b, &h, &w, 1);      /* 72×72×32 */
	/* max pool 3×3/2 valid */
	{
		int ph = (h - 3) / 2 + 1, pw = (w - 3) / 2 + 1, ky, kx;
		for (y = 0; y < ph; y++)
			for (x = 0; x < pw; x++)
				for (ch = 0; ch < 32; ch++) {
					float m = -INFINITY;
					for (ky = 0; ky < 3; ky++)
						for (kx = 0; kx < 3; kx++) {
							float v = b[((size_t)(2 * y + ky) * w + 2 * x + kx) *
							    32 + ch];
							if (v > m)
								m = v;
						}
					a[((size_t)y * pw + x) * 32 + ch] = m;
				}
		h = ph;
		w = pw;
	}
	for (i = 0; i < NBLOCKS; i++) {
		block_run(fe, i, a, h, w, c, b, &h, &w);
		t = a;
		a = b;
		b = t;
	}
	/* mean over H, W of 256 channels, then fc */
	{
		float g[256] = { 0 };
		for (i = 0; i < h * w; i++)
			for (ch = 0; ch < 256; ch++)
				g[ch] += a[(size_t)i * 256 + ch];
		for (ch = 0; ch < 256; ch++)
			g[ch] /= (float)(h * w);
		cblas_sgemv(CblasRowMajor, CblasTrans, 256, FACE_EMBED_DIM, 1.0f, fe->fc,
		    FACE_EMBED_DIM, g, 1, 0.0f, out, 1);
	}
	return 0;
}

void
face_embed_align_points(float pts[4][2])
{
	/* dlib's mean face (points 17-67 of the 68), mapped by (v + 0.25) / 1.5
	 * × 150: the centres of the eye contours (36-41, 42-47), the nose tip
	 * (30) and the centre of the lips (48-67). */
	static const float p[4][2] = {
		{ 47.55f, 46.60f }, { 100.48f, 46.60f }, { 74.01f, 76.56f }, { 74.01f, 105.42f },
	};

	memcpy(pts, p, sizeof p);
}

double
face_embed_distance(const float *a, const float *b)
{
	double d = 0;

	for (int i = 0; i < FACE_EMBED_DIM; i++)
		d += (double)(a[i] - b[i]) * (a[i] - b[i]);
	return sqrt(d);
}
