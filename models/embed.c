#include "models/embed.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/onnx.h"

/* The inner loops are written so that the compiler vectorizes them over
 * output channels; -O2 alone does not. */
#pragma GCC optimize("O3")

#define FFT_LEN    512
#define MEL_HOP    160
#define NBINS      257
#define GROUP      8
#define GROUP_SPAN (MEL_HOP * (GROUP - 1) + FFT_LEN)     /* 1632 samples */
#define SKIP       4        /* mel frames before embedding 0's window */
#define MAX_LAYERS 40
#define RING       8        /* rows kept per layer (a power of two) */

enum ltype { L_CONV, L_POOL };

struct layer {
	enum ltype type;
	int kh, kw;           /* kernel (time, mel); a pool's stride equals its kernel */
	int padw;             /* padding on each side along mel (convs) */
	int cin, cout;        /* channels (a pool keeps them) */
	int win, wout;        /* widths along mel */
	float *w;             /* conv: [kh][kw][cin][cout] */
	float *bias;          /* conv: [cout] or NULL */
	int act;              /* LeakyRelu then Max(x, floor) */
	float alpha, floor;
};

struct embed_model {
	/* mel: the model's STFT basis is window x cos and -window x sin (checked
	 * at load), so an FFT of the windowed frame computes it; the window, the
	 * FFT's twiddles and bit reversal, and the filterbank [NBINS][EMBED_MELS] */
	float *window, *melw;
	double tw_re[FFT_LEN / 2], tw_im[FFT_LEN / 2];
	int   rev[FFT_LEN];
	float amin, top_db;
	struct layer layers[MAX_LAYERS];
	int nlayers;
	int maxw, maxc;
};

struct embed_stream {
	const struct embed_model *m;
	embed_cb cb;
	void *ud;
	embed_mel_cb mel_cb;
	void *mel_ud;
	int16_t *pcm;                 /* the last GROUP_SPAN samples */
	uint64_t pos;                 /* samples fed */
	uint64_t groups;              /* mel groups made */
	uint64_t frames;              /* mel frames made */
	/* per layer output ring; index -1 (the input) is the mel ring */
	float *rings[MAX_LAYERS + 1];
	uint64_t made[MAX_LAYERS + 1];
	uint64_t emitted;             /* embeddings handed out */
};

static int
fail(char *err, size_t errlen, const char *path, const char *what)
{
	snprintf(err, errlen, "%s: %s", path, what);
	return -1;
}

static const struct onnx_node *
find_op(const struct onnx_model *m, const char *op, int nth)
{
	for (size_t i = 0; i < m->nnodes; i++)
		if (strcmp(m->nodes[i].op, op) == 0 && nth-- == 0)
			return &m->nodes[i];
	return NULL;
}

static const struct onnx_tensor *
weight(const struct onnx_model *m, const struct onnx_node *n, int input)
{
	return n != NULL && input < n->nin ? onnx_find(m, n->in[input]) : NULL;
}

static int
load_mel(struct embed_model *em, const char *path, char *err, size_t errlen)
{
	const struct onnx_node *re, *im, *mm, *clip, *rmax, *sub;
	const struct onnx_tensor *wr, *wi, *mw, *amin, *topdb;
	const struct onnx_attr *st;
	struct onnx_model *m = onnx_load(path, err, errlen);
	int rc = -1;

	if (m == NULL)
		return -1;
	re = find_op(m, "Conv", 0);
	im = find_op(m, "Conv", 1);
	mm = find_op(m, "MatMul", 0);
	clip = find_op(m, "Clip", 0);
	rmax = find_op(m, "ReduceMax", 0);
	wr = weight(m, re, 1);
	wi = weight(m, im, 1);
	mw = weight(m, mm, 1);
	amin = weight(m, clip, 1);
	sub = rmax != NULL ? onnx_consumer(m, rmax->out[0]) : NULL;
	topdb = sub != NULL && strcmp(sub->op, "Sub") == 0 ? weight(m, sub, 1) : NULL;
	if (wr == NULL || wi == NULL || mw == NULL || amin == NULL || topdb == NULL ||
	    find_op(m, "Conv", 2) != NULL) {
		fail(err, errlen, path, "not the mel-spectrogram model (two STFT convolutions, a filterbank MatMul, Clip, ReduceMax - top_db)");
		goto out;
	}
	if (wr->ndims != 3 || wr->dims[0] != NBINS || wr->dims[1] != 1 || wr->dims[2] != FFT_LEN || !wr->f ||
	    wi->ndims != 3 || wi->dims[0] != NBINS || wi->dims[1] != 1 || wi->dims[2] != FFT_LEN || !wi->f) {
		fail(err, errlen, path, "STFT weights are not 257 x 1 x 512 floats");
		goto out;
	}
	if ((st = onnx_attr(re, "strides")) == NULL || st->nints != 1 || st->ints[0] != MEL_HOP) {
		fail(err, errlen, path, "the STFT hop is not 160 samples");
		goto out;
	}
	if (mw->ndims != 2 || mw->dims[0] != NBINS || mw->dims[1] != EMBED_MELS || !mw->f) {
		fail(err, errlen, path, "the mel filterbank is not 257 x 32 floats");
		goto out;
	}
	if (amin->count != 1 || !amin->f || topdb->count != 1 || !topdb->f) {
		fail(err, errlen, path, "Clip or top_db constants are not float scalars");
		goto out;
	}
	em->window = malloc(sizeof(float) * FFT_LEN);
	em->melw = malloc(sizeof(float) * NBINS * EMBED_MELS);
	if (em->window == NULL || em->melw == NULL) {
		fail(err, errlen, path, "out of memory");
		goto out;
	}
	/* Row 0 of the real part is the window itself (cos 0 = 1); every other
	 * row must be that window times the DFT's cosine / minus sine. */
	memcpy(em->window, wr->f, sizeof(float) * FFT_LEN);
	for (int k = 0; k < NBINS; k++)
		for (int n = 0; n < FFT_LEN; n++) {
			double ph = 2.0 * M_PI * (double)((k * n) % FFT_LEN) / FFT_LEN;
			double w = em->window[n];
			if (fabs(wr->f[k * FFT_LEN + n] - w * cos(ph)) > 1e-5 ||
			    fabs(wi->f[k * FFT_LEN + n] + w * sin(ph)) > 1e-5) {
				fail(err, errlen, path, "the STFT weights are not a windowed DFT");
				goto out;
			}
		}
	for (int i = 0; i < FFT_LEN / 2; i++) {
		em->tw_re[i] = cos(2.0 * M_PI * i / FFT_LEN);
		em->tw_im[i] = -sin(2.0 * M_PI * i / FFT_LEN);
	}
	for (int i = 0; i < FFT_LEN; i++) {
		int r = 0;
		for (int b = 1, x = i; b < FFT_LEN; b <<= 1, x >>= 1)
			r = (r << 1) | (x & 1);
		em->rev[i] = r;
	}
	memcpy(em->melw, mw->f, sizeof(float) * NBINS * EMBED_MELS);
	em->amin = amin->f[0];
	em->top_db = topdb->f[0];
	rc = 0;
out:
	onnx_free(m);
	return rc;
}

static int
ints_are(const struct onnx_attr *a, int n, const int64_t *v)
{
	if (a == NULL || a->nints != n)
		return 0;
	for (int i = 0; i < n; i++)
		if (a->ints[i] != v[i])
			return 0;
	return 1;
}

/*
 * The embedding graph is a chain: Reshape to [-1, 1, 76, 32], then Conv
 * (with a bias), LeakyRelu, Max(x, constant) blocks and MaxPools, a last
 * Conv without activation, and a Reshape to [-1, 1, 1, 96].
 */
static int
load_cnn(struct embed_model *em, const char *path, char *err, size_t errlen)
{
	struct onnx_model *m = onnx_load(path, err, errlen);
	const struct onnx_node *n;
	const char *cur;
	int h = EMBED_WINDOW, w = EMBED_MELS, c = 1, rc = -1;
	char why[200];

	if (m == NULL)
		return -1;
	n = onnx_consumer(m, m->input);
	if (n == NULL || strcmp(n->op, "Reshape") != 0) {
		fail(err, errlen, path, "not the speech-embedding model (it starts with no Reshape)");
		goto out;
	}
	cur = n->out[0];
	while ((n = onnx_consumer(m, cur)) != NULL && strcmp(n->op, "Reshape") != 0) {
		struct layer *L = &em->layers[em->nlayers];
		const struct onnx_attr *ks = onnx_attr(n, "kernel_shape"), *a;
		if (em->nlayers == MAX_LAYERS) {
			fail(err, errlen, path, "too many layers");
			goto out;
		}
		memset(L, 0, sizeof *L);
		if (ks == NULL || ks->nints != 2 || ks->ints[0] < 1 || ks->ints[1] < 1 || ks->ints[0] > 4 || ks->ints[1] > 4) {
			snprintf(why, sizeof why, "node %s: a kernel_shape of two numbers up to 4 expected", n->name ? n->name : n->op);
			fail(err, errlen, path, why);
			goto out;
		}
		L->kh = (int)ks->ints[0];
		L->kw = (int)ks->ints[1];
		L->win = w;
		L->cin = c;
		if (strcmp(n->op, "Conv") == 0) {
			const struct onnx_tensor *wt = weight(m, n, 1), *bt = n->nin > 2 ? weight(m, n, 2) : NULL;
			const struct onnx_attr *pads = onnx_attr(n, "pads");
			int64_t ones[2] = { 1, 1 };
			if (wt == NULL || wt->f == NULL || wt->ndims != 4 || wt->dims[1] != c ||
			    wt->dims[2] != L->kh || wt->dims[3] != L->kw || wt->dims[0] < 1 || wt->dims[0] > 512 ||
			    (bt != NULL && (bt->f == NULL || (int64_t)bt->count != wt->dims[0])) ||
			    ((a = onnx_attr(n, "strides")) != NULL && !ints_are(a, 2, ones)) ||
			    ((a = onnx_attr(n, "dilations")) != NULL && !ints_are(a, 2, ones)) ||
			    ((a = onnx_attr(n, "group")) != NULL && a->i != 1)) {
				snprintf(why, sizeof why, "node %s: weights or attributes of a shape this forward pass does not run",
				    n->name ? n->name : "Conv");
				fail(err, errlen, path, why);
				goto out;
			}
			if (pads != NULL) {
				/* [time begin, mel begin, time end, mel end]: mel only, symmetric */
				if (pads->nints != 4 || pads->ints[0] != 0 || pads->ints[2] != 0 || pads->ints[1] != pads->ints[3] ||
				    pads->ints[1] < 0 || pads->ints[1] >= L->kw) {
					snprintf(why, sizeof why, "node %s: padding along time is not supported", n->name ? n->name : "Conv");
					fail(err, errlen, path, why);
					goto out;
				}
				L->padw = (int)pads->ints[1];
			}
			L->type = L_CONV;
			L->cout = (int)wt->dims[0];
			L->wout = w + 2 * L->padw - L->kw + 1;
			L->w = malloc(sizeof(float) * wt->count);
			if (bt != NULL)
				L->bias = malloc(sizeof(float) * bt->count);
			if (L->w == NULL || (bt != NULL && L->bias == NULL)) {
				fail(err, errlen, path, "out of memory");
				goto out;
			}
			for (int co = 0; co < L->cout; co++)
				for (int ci = 0; ci < c; ci++)
					for (int dh = 0; dh < L->kh; dh++)
						for (int dw = 0; dw < L->kw; dw++)
							L->w[((dh * L->kw + dw) * c + ci) * L->cout + co] =
							    wt->f[((co * c + ci) * L->kh + dh) * L->kw + dw];
			if (bt != NULL)
				memcpy(L->bias, bt->f, sizeof(float) * bt->count);
			h = h - L->kh + 1;
			c = L->cout;
			cur = n->out[0];
			/* an activation may follow */
			if ((n = onnx_consumer(m, cur)) != NULL && strcmp(n->op, "LeakyRelu") == 0) {
				const struct onnx_tensor *fl;
				const struct onnx_node *mx = onnx_consumer(m, n->out[0]);
				a = onnx_attr(n, "alpha");
				L->alpha = a != NULL ? a->f : 0.01f;
				if (mx == NULL || strcmp(mx->op, "Max") != 0 || mx->nin != 2 ||
				    (fl = onnx_find(m, mx->in[1])) == NULL || fl->f == NULL || fl->count != 1) {
					fail(err, errlen, path, "a LeakyRelu not followed by Max(x, constant)");
					goto out;
				}
				L->floor = fl->f[0];
				L->act = 1;
				cur = mx->out[0];
			}
		} else if (strcmp(n->op, "MaxPool") == 0) {
			const struct onnx_attr *st = onnx_attr(n, "strides");
			const struct onnx_attr *pads = onnx_attr(n, "pads");
			int64_t zero[4] = { 0, 0, 0, 0 };
			if (st == NULL || !ints_are(st, 2, ks->ints) || (pads != NULL && !ints_are(pads, 4, zero))) {
				fail(err, errlen, path, "a MaxPool whose stride is not its kernel");
				goto out;
			}
			L->type = L_POOL;
			L->cout = c;
			L->wout = w / L->kw;
			h = h / L->kh;
			cur = n->out[0];
		} else {
			snprintf(why, sizeof why, "operator %s is not part of the speech-embedding model", n->op);
			fail(err, errlen, path, why);
			goto out;
		}
		w = L->wout;
		if (w < 1 || h < 1) {
			fail(err, errlen, path, "the layers shrink the 76 x 32 window to nothing");
			goto out;
		}
		if (L->win > em->maxw) em->maxw = L->win;
		if (L->cout > em->maxc) em->maxc = L->cout;
		if (L->cin > em->maxc) em->maxc = L->cin;
		em->nlayers++;
	}
	if (n == NULL || h != 1 || w != 1 || c != EMBED_DIM || em->nlayers < 2 ||
	    em->layers[em->nlayers - 1].type != L_CONV || em->layers[em->nlayers - 1].act) {
		snprintf(why, sizeof why, "the layers give %d x %d x %d, not one %d-d vector", h, w, c, EMBED_DIM);
		fail(err, errlen, path, why);
		goto out;
	}
	/* Time strides multiply to the hop: 2 x 2 x 2 = 8 mel frames. */
	{
		int stride = 1;
		for (int i = 0; i < em->nlayers; i++)
			if (em->layers[i].type == L_POOL)
				stride *= em->layers[i].kh;
		if (stride != GROUP) {
			fail(err, errlen, path, "the pools do not step 8 mel frames per embedding");
			goto out;
		}
	}
	rc = 0;
out:
	onnx_free(m);
	return rc;
}

void
embed_model_free(struct embed_model *m)
{
	if (m == NULL)
		return;
	for (int i = 0; i < MAX_LAYERS; i++) {
		free(m->layers[i].w);
		free(m->layers[i].bias);
	}
	free(m->window);
	free(m->melw);
	free(m);
}

struct embed_model *
embed_model_load(const char *mel_onnx, const char *emb_onnx, char *err, size_t errlen)
{
	struct embed_model *m = calloc(1, sizeof *m);

	if (m == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	m->maxw = EMBED_MELS;
	m->maxc = 1;
	if (load_mel(m, mel_onnx, err, errlen) < 0 || load_cnn(m, emb_onnx, err, errlen) < 0) {
		embed_model_free(m);
		return NULL;
	}
	return m;
}

void
embed_quiet_noise(int16_t *out, size_t n)
{
	uint32_t seed = 12345u;

	for (size_t i = 0; i < n; i++) {
		seed = seed * 1664525u + 1013904223u;
		out[i] = (int16_t)((int)(seed >> 28) - 8);
	}
}

void
embed_model_cost(const struct embed_model *m, double *stream_macs, double *window_macs)
{
	double s = 0, wnd = 0;
	int rows_new = GROUP, h = EMBED_WINDOW;

	for (int i = 0; i < m->nlayers; i++) {
		const struct layer *L = &m->layers[i];
		if (L->type == L_POOL) {
			rows_new /= L->kh;
			h /= L->kh;
			continue;
		}
		h = h - L->kh + 1;
		double per_row = (double)L->wout * L->cout * L->cin * L->kh * L->kw;
		s += per_row * rows_new;
		wnd += per_row * h;
	}
	s += GROUP * (2.0 * FFT_LEN * 9 + (double)NBINS * EMBED_MELS);   /* FFT, filterbank */
	*stream_macs = s;
	*window_macs = wnd;
}

static size_t
row_floats(const struct embed_model *m, int li)
{
	/* li == -1: the mel input, one channel */
	return li < 0 ? EMBED_MELS : (size_t)m->layers[li].wout * m->layers[li].cout;
}

struct embed_stream *
embed_stream_new(const struct embed_model *m, embed_cb cb, void *ud)
{
	struct embed_stream *s = calloc(1, sizeof *s);

	if (s == NULL)
		return NULL;
	s->m = m;
	s->cb = cb;
	s->ud = ud;
	s->pcm = calloc(GROUP_SPAN, sizeof *s->pcm);
	if (s->pcm == NULL)
		goto fail;
	for (int li = -1; li < m->nlayers; li++)
		if ((s->rings[li + 1] = calloc(RING * row_floats(m, li), sizeof(float))) == NULL)
			goto fail;
	return s;
fail:
	embed_stream_free(s);
	return NULL;
}

void
embed_stream_free(struct embed_stream *s)
{
	if (s == NULL)
		return;
	for (int i = 0; i <= MAX_LAYERS; i++)
		free(s->rings[i]);
	free(s->pcm);
	free(s);
}

void
embed_stream_set_mel_cb(struct embed_stream *s, embed_mel_cb cb, void *ud)
{
	s->mel_cb = cb;
	s->mel_ud = ud;
}

uint64_t
embed_samples(const struct embed_stream *s)
{
	return s->pos;
}

static float *
ring_row(struct embed_stream *s, int li, uint64_t r)
{
	return s->rings[li + 1] + (r & (RING - 1)) * row_floats(s->m, li);
}

/* One output row of a convolution: out[w][co] over input rows r .. r+kh-1.
 * Output channels go in blocks of CO_BLOCK whose sums stay in registers
 * over the whole kernel (every layer here has a multiple of 24 channels;
 * others take the plain loop).  Built twice, for AVX2 with FMA and for any
 * x86-64; the loader picks. */
#define CO_BLOCK 24
__attribute__((target_clones("arch=haswell", "default")))
static void
conv_row(struct embed_stream *s, const struct layer *L, int li, uint64_t r, float *out)
{
	const int cin = L->cin, cout = L->cout;
	const float *rows[4];

	for (int dh = 0; dh < L->kh; dh++)
		rows[dh] = ring_row(s, li - 1, r + (uint64_t)dh);
	for (int wo = 0; wo < L->wout; wo++) {
		float *restrict o = out + (size_t)wo * cout;
		int co0 = 0;
		for (; co0 + CO_BLOCK <= cout; co0 += CO_BLOCK) {
			float t[CO_BLOCK];
			for (int k = 0; k < CO_BLOCK; k++)
				t[k] = L->bias != NULL ? L->bias[co0 + k] : 0.0f;
			for (int dh = 0; dh < L->kh; dh++)
				for (int dw = 0; dw < L->kw; dw++) {
					int wi = wo + dw - L->padw;
					if (wi < 0 || wi >= L->win)
						continue;
					const float *restrict x = rows[dh] + (size_t)wi * cin;
					const float *restrict wt = L->w + (size_t)(dh * L->kw + dw) * cin * cout + co0;
					for (int ci = 0; ci < cin; ci++) {
						const float a = x[ci];
						const float *restrict wc = wt + (size_t)ci * cout;
						for (int k = 0; k < CO_BLOCK; k++)
							t[k] += a * wc[k];
					}
				}
			memcpy(o + co0, t, sizeof t);
		}
		for (int co = co0; co < cout; co++) {
			float t = L->bias != NULL ? L->bias[co] : 0.0f;
			for (int dh = 0; dh < L->kh; dh++)
				for (int dw = 0; dw < L->kw; dw++) {
					int wi = wo + dw - L->padw;
					if (wi < 0 || wi >= L->win)
						continue;
					const float *x = rows[dh] + (size_t)wi * cin;
					const float *wt = L->w + (size_t)(dh * L->kw + dw) * cin * cout + co;
					for (int ci = 0; ci < cin; ci++)
						t += x[ci] * wt[(size_t)ci * cout];
				}
			o[co] = t;
		}
		if (L->act)
			for (int co = 0; co < cout; co++) {
				float v = o[co] >= 0.0f ? o[co] : o[co] * L->alpha;
				o[co] = v > L->floor ? v : L->floor;
			}
	}
}

static void
pool_row(struct embed_stream *s, const struct layer *L, int li, uint64_t r, float *out)
{
	const int c = L->cin;

	for (int wo = 0; wo < L->wout; wo++) {
		float *o = out + (size_t)wo * c;
		for (int co = 0; co < c; co++)
			o[co] = -INFINITY;
		for (int dh = 0; dh < L->kh; dh++) {
			const float *in = ring_row(s, li - 1, r * (uint64_t)L->kh + (uint64_t)dh);
			for (int dw = 0; dw < L->kw; dw++) {
				const float *x = in + (size_t)(wo * L->kw + dw) * c;
				for (int co = 0; co < c; co++)
					o[co] = x[co] > o[co] ? x[co] : o[co];
			}
		}
	}
}

/* Computes every layer row whose inputs are there. */
static void
run_layers(struct embed_stream *s)
{
	const struct embed_model *m = s->m;

	for (int li = 0; li < m->nlayers; li++) {
		const struct layer *L = &m->layers[li];
		uint64_t have = s->made[li];     /* rows of this layer's input */
		for (;;) {
			uint64_t r = s->made[li + 1];
			uint64_t need = L->type == L_CONV ? r + (uint64_t)L->kh : (r + 1) * (uint64_t)L->kh;
			if (need > have)
				break;
			float *out = ring_row(s, li, r);
			if (L->type == L_CONV)
				conv_row(s, L, li, r, out);
			else
				pool_row(s, L, li, r, out);
			s->made[li + 1]++;
		}
	}
	/* The last layer's rows are embeddings. */
	for (; s->emitted < s->made[m->nlayers]; s->emitted++)
		if (s->cb != NULL)
			s->cb(s->ud, s->emitted, ring_row(s, m->nlayers - 1, s->emitted),
			    (uint64_t)EMBED_HOP * s->emitted + EMBED_FIRST);
}

/* Power spectrum of one windowed frame: an in-place radix-2 FFT. */
static void
power_spectrum(const struct embed_model *m, const int16_t *x, float *pw)
{
	double re[FFT_LEN], im[FFT_LEN];   /* float loses low bins to cancellation */

	for (int n = 0; n < FFT_LEN; n++) {
		re[m->rev[n]] = (double)m->window[n] * x[n];
		im[m->rev[n]] = 0.0;
	}
	for (int len = 2; len <= FFT_LEN; len <<= 1) {
		int half = len / 2, step = FFT_LEN / len;
		for (int i = 0; i < FFT_LEN; i += len)
			for (int j = 0; j < half; j++) {
				double wr = m->tw_re[j * step], wi = m->tw_im[j * step];
				double ar = re[i + j + half], ai = im[i + j + half];
				double tr = ar * wr - ai * wi, ti = ar * wi + ai * wr;
				re[i + j + half] = re[i + j] - tr;
				im[i + j + half] = im[i + j] - ti;
				re[i + j] += tr;
				im[i + j] += ti;
			}
	}
	for (int k = 0; k < NBINS; k++)
		pw[k] = (float)(re[k] * re[k] + im[k] * im[k]);
}

/* The 8 mel frames of one group, from the last GROUP_SPAN samples. */
static void
mel_group(struct embed_stream *s)
{
	const struct embed_model *m = s->m;
	float mel[GROUP][EMBED_MELS];
	float top = -INFINITY;

	for (int f = 0; f < GROUP; f++) {
		float pw[NBINS];
		power_spectrum(m, s->pcm + f * MEL_HOP, pw);
		for (int b = 0; b < EMBED_MELS; b++)
			mel[f][b] = 0.0f;
		for (int k = 0; k < NBINS; k++) {
			const float p = pw[k];
			const float *w = m->melw + (size_t)k * EMBED_MELS;
			for (int b = 0; b < EMBED_MELS; b++)
				mel[f][b] += p * w[b];
		}
		for (int b = 0; b < EMBED_MELS; b++) {
			float v = mel[f][b] < m->amin ? m->amin : mel[f][b];
			v = 10.0f * logf(v) / 2.3025851249694824f;
			mel[f][b] = v;
			if (v > top)
				top = v;
		}
	}
	for (int f = 0; f < GROUP; f++) {
		uint64_t i = s->frames++;
		for (int b = 0; b < EMBED_MELS; b++) {
			float v = mel[f][b] < top - m->top_db ? top - m->top_db : mel[f][b];
			mel[f][b] = v / 10.0f + 2.0f;
		}
		if (s->mel_cb != NULL)
			s->mel_cb(s->mel_ud, i, mel[f]);
		if (i < SKIP)
			continue;
		memcpy(ring_row(s, -1, s->made[0]), mel[f], sizeof mel[f]);
		s->made[0]++;
		run_layers(s);
	}
	s->groups++;
}

void
embed_feed(struct embed_stream *s, const int16_t *pcm, size_t n)
{
	while (n > 0) {
		/* Samples of the current group still missing. */
		uint64_t group_end = s->groups * (uint64_t)EMBED_HOP + GROUP_SPAN;
		uint64_t want = group_end - s->pos;
		size_t take = n < want ? n : (size_t)want;
		/* pcm[] holds samples [group_end - GROUP_SPAN, group_end) */
		size_t at = (size_t)(s->pos - (group_end - GROUP_SPAN));
		memcpy(s->pcm + at, pcm, take * sizeof *pcm);
		s->pos += take;
		pcm += take;
		n -= take;
		if (s->pos == group_end) {
			mel_group(s);
			/* keep the overlap with the next group */
			memmove(s->pcm, s->pcm + EMBED_HOP, (GROUP_SPAN - EMBED_HOP) * sizeof *s->pcm);
		}
	}
}
