#include "models/heads.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/embed.h"

enum kind { K_DENSE = 1, K_NORM = 2, K_RELU = 3, K_SOFTMAX = 4, K_SIGMOID = 5, K_STD = 6 };

struct hlayer {
	enum kind kind;
	int in, out;
	float *a, *b;       /* dense: W, bias; norm: gamma, beta; standardize: mean, 1/std */
};

struct head {
	int input, nlayers, maxw;
	struct hlayer *layers;
};

int
heads_sha256_file(const char *path, char hex[65], char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	EVP_MD_CTX *ctx;
	unsigned char buf[65536], md[32];
	unsigned int mdlen = 0;
	size_t n;
	int rc = -1;

	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if ((ctx = EVP_MD_CTX_new()) != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1) {
		while ((n = fread(buf, 1, sizeof buf, f)) > 0)
			EVP_DigestUpdate(ctx, buf, n);
		if (!ferror(f) && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == 32) {
			for (int i = 0; i < 32; i++)
				snprintf(hex + 2 * i, 3, "%02x", md[i]);
			rc = 0;
		}
	}
	if (rc < 0)
		snprintf(err, errlen, "%s: cannot read", path);
	EVP_MD_CTX_free(ctx);
	fclose(f);
	return rc;
}

static void
head_free(struct head *h)
{
	if (h == NULL)
		return;
	for (int i = 0; i < h->nlayers; i++) {
		free(h->layers[i].a);
		free(h->layers[i].b);
	}
	free(h->layers);
	free(h);
}

/* n floats from f, refused before any allocation when the file does not
 * hold that many (a damaged header must not allocate gigabytes). */
static int
read_floats(FILE *f, float **p, size_t n)
{
	long here = ftell(f), end;

	if (here < 0 || fseek(f, 0, SEEK_END) != 0 || (end = ftell(f)) < 0 || fseek(f, here, SEEK_SET) != 0)
		return -1;
	if (n > (size_t)(end - here) / sizeof **p)
		return -1;
	if ((*p = malloc((n ? n : 1) * sizeof **p)) == NULL)
		return -1;
	return fread(*p, sizeof **p, n, f) == n ? 0 : -1;
}

static struct head *
head_load(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	struct head *h = NULL;
	char magic[8];
	uint32_t v[2];
	int width;

	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fread(magic, 1, 8, f) != 8 || memcmp(magic, "SOHEAD01", 8) != 0) {
		snprintf(err, errlen, "%s: not a speech head (no SOHEAD01 header)", path);
		goto fail;
	}
	if (fread(v, sizeof v, 1, f) != 1 || v[0] < 1 || v[0] > 1 << 16 || v[1] < 1 || v[1] > 64) {
		snprintf(err, errlen, "%s: truncated or absurd header", path);
		goto fail;
	}
	if ((h = calloc(1, sizeof *h)) == NULL || (h->layers = calloc(v[1], sizeof *h->layers)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	h->input = width = h->maxw = (int)v[0];
	for (uint32_t i = 0; i < v[1]; i++) {
		uint32_t l[3];
		struct hlayer *L = &h->layers[i];
		int bad = 0;
		if (fread(l, sizeof l, 1, f) != 1) {
			snprintf(err, errlen, "%s: truncated at layer %u", path, i + 1);
			goto fail;
		}
		h->nlayers++;
		L->kind = (enum kind)l[0];
		L->in = (int)l[1];
		L->out = (int)l[2];
		if (L->in != width || L->out < 1 || L->out > 1 << 16) {
			snprintf(err, errlen, "%s: layer %u reads %u values but gets %d", path, i + 1, l[1], width);
			goto fail;
		}
		switch (L->kind) {
		case K_DENSE:
			bad = read_floats(f, &L->a, (size_t)L->in * L->out) < 0 || read_floats(f, &L->b, (size_t)L->out) < 0;
			break;
		case K_NORM:
		case K_STD:
			bad = L->out != L->in || read_floats(f, &L->a, (size_t)L->in) < 0 || read_floats(f, &L->b, (size_t)L->in) < 0;
			break;
		case K_RELU:
		case K_SOFTMAX:
		case K_SIGMOID:
			bad = L->out != L->in;
			break;
		default:
			snprintf(err, errlen, "%s: layer %u has an unknown kind %u", path, i + 1, l[0]);
			goto fail;
		}
		if (bad) {
			snprintf(err, errlen, "%s: layer %u is truncated or has the wrong shape", path, i + 1);
			goto fail;
		}
		width = L->out;
		if (width > h->maxw)
			h->maxw = width;
	}
	if (fgetc(f) != EOF) {
		snprintf(err, errlen, "%s: data after the last layer", path);
		goto fail;
	}
	fclose(f);
	return h;
fail:
	head_free(h);
	fclose(f);
	return NULL;
}

int
head_input(const struct head *h)
{
	return h->input;
}

static int
head_output(const struct head *h)
{
	return h->layers[h->nlayers - 1].out;
}

void
head_run(const struct head *h, const float *in, float *out)
{
	float buf[2][1 << 12];
	float *x = buf[0], *y = buf[1];
	int w = h->input;
	float *dyn = NULL;

	if (h->maxw > (int)(sizeof buf[0] / sizeof buf[0][0])) {
		dyn = malloc(2 * sizeof(float) * (size_t)h->maxw);
		if (dyn == NULL)
			abort();
		x = dyn;
		y = dyn + h->maxw;
	}
	memcpy(x, in, sizeof(float) * (size_t)w);
	for (int i = 0; i < h->nlayers; i++) {
		const struct hlayer *L = &h->layers[i];
		float *t;
		switch (L->kind) {
		case K_DENSE:
			for (int o = 0; o < L->out; o++) {
				const float *wr = L->a + (size_t)o * L->in;
				float s = L->b[o];
				for (int k = 0; k < L->in; k++)
					s += wr[k] * x[k];
				y[o] = s;
			}
			break;
		case K_NORM: {
			double mean = 0, var = 0;
			for (int k = 0; k < w; k++) mean += x[k];
			mean /= w;
			for (int k = 0; k < w; k++) var += (x[k] - mean) * (x[k] - mean);
			var /= w;
			float inv = (float)(1.0 / sqrt(var + 1e-5));
			for (int k = 0; k < w; k++) y[k] = (float)(x[k] - mean) * inv * L->a[k] + L->b[k];
			break;
		}
		case K_STD:
			for (int k = 0; k < w; k++) y[k] = (x[k] - L->a[k]) * L->b[k];
			break;
		case K_RELU:
			for (int k = 0; k < w; k++) y[k] = x[k] > 0 ? x[k] : 0;
			break;
		case K_SIGMOID:
			for (int k = 0; k < w; k++) y[k] = 1.0f / (1.0f + expf(-x[k]));
			break;
		case K_SOFTMAX: {
			float mx = x[0], s = 0;
			for (int k = 1; k < w; k++) mx = x[k] > mx ? x[k] : mx;
			for (int k = 0; k < w; k++) s += (y[k] = expf(x[k] - mx));
			for (int k = 0; k < w; k++) y[k] /= s;
			break;
		}
		}
		w = L->out;
		t = x; x = y; y = t;
	}
	memcpy(out, x, sizeof(float) * (size_t)w);
	free(dyn);
}

void
heads_intent_features(const float *emb, int n, float *out)
{
	const int d = EMBED_DIM, half = n / 2 > 0 ? n / 2 : 1;

	for (int k = 0; k < d; k++) {
		double sum = 0, s1 = 0, s2 = 0;
		float mx = -INFINITY;
		for (int i = 0; i < n; i++) {
			float v = emb[(size_t)i * d + k];
			sum += v;
			if (i < half) s1 += v;
			else s2 += v;
			if (v > mx) mx = v;
		}
		out[k] = (float)(sum / n);
		out[d + k] = mx;
		out[2 * d + k] = (float)(s1 / half);
		out[3 * d + k] = n - half > 0 ? (float)(s2 / (n - half)) : out[2 * d + k];
	}
}

static void
info_free(struct head_info *i)
{
	head_free(i->net);
	for (int k = 0; k < i->nclasses; k++)
		free(i->classes[k]);
}

void
heads_free(struct heads *h)
{
	if (h == NULL)
		return;
	info_free(&h->wake);
	info_free(&h->endpoint);
	info_free(&h->intent);
	for (int i = 0; i < HEADS_MAX_CLASSES; i++)
		free(h->phrase_store[i]);
	free(h->path);
	free(h);
}

/* The folder part of path, with a slash, into out. */
static void
dir_of(const char *path, char *out, size_t n)
{
	const char *sl = strrchr(path, '/');
	snprintf(out, n, "%.*s", sl ? (int)(sl - path + 1) : 0, path);
}

static int
check_sha(const char *file, const char *want, const char *manifest, const char *what, char *err, size_t errlen)
{
	char hex[65];

	if (want == NULL) {
		snprintf(err, errlen, "%s: %s has no sha256", manifest, what);
		return -1;
	}
	if (heads_sha256_file(file, hex, err, errlen) < 0)
		return -1;
	if (strcmp(hex, want) != 0) {
		snprintf(err, errlen, "%s: SHA-256 %s, but %s says %s (%s): run make models, or tools/fetch-models",
		    file, hex, manifest, want, what);
		return -1;
	}
	return 0;
}

static int
load_info(json_t *root, const char *key, const char *manifest, struct head_info *hi, int need_window,
          char *err, size_t errlen)
{
	json_t *o = json_object_get(root, key), *cls, *v;
	const char *file, *sha;
	char dir[1024], path[2048];
	size_t i;

	if (!json_is_object(o)) {
		snprintf(err, errlen, "%s: no \"%s\" head", manifest, key);
		return -1;
	}
	file = json_string_value(json_object_get(o, "file"));
	sha = json_string_value(json_object_get(o, "sha256"));
	cls = json_object_get(o, "classes");
	if (file == NULL || strchr(file, '/') != NULL || !json_is_array(cls) || json_array_size(cls) < 1 ||
	    json_array_size(cls) > HEADS_MAX_CLASSES) {
		snprintf(err, errlen, "%s: head \"%s\" needs \"file\" (a name in the same folder), \"sha256\" and \"classes\" (1 to %d)",
		    manifest, key, HEADS_MAX_CLASSES);
		return -1;
	}
	dir_of(manifest, dir, sizeof dir);
	snprintf(path, sizeof path, "%s%s", dir, file);
	if (check_sha(path, sha, manifest, key, err, errlen) < 0)
		return -1;
	if ((hi->net = head_load(path, err, errlen)) == NULL)
		return -1;
	json_array_foreach(cls, i, v) {
		if (!json_is_string(v)) {
			snprintf(err, errlen, "%s: head \"%s\": classes must be strings", manifest, key);
			return -1;
		}
		hi->classes[hi->nclasses++] = strdup(json_string_value(v));
	}
	if (head_output(hi->net) != hi->nclasses && !(hi->nclasses == 1 && head_output(hi->net) == 1)) {
		snprintf(err, errlen, "%s: gives %d outputs, %s lists %d classes for \"%s\"", path,
		    head_output(hi->net), manifest, hi->nclasses, key);
		return -1;
	}
	hi->window = (int)json_integer_value(json_object_get(o, "window"));
	hi->threshold = json_number_value(json_object_get(o, "threshold"));
	if (need_window && (hi->window < 1 || hi->window > 64 || hi->window * EMBED_DIM != head_input(hi->net))) {
		snprintf(err, errlen, "%s: reads %d values, not \"window\" %d x %d embeddings", path,
		    head_input(hi->net), hi->window, EMBED_DIM);
		return -1;
	}
	if (need_window && !(hi->threshold > 0 && hi->threshold < 1)) {
		snprintf(err, errlen, "%s: head \"%s\" needs a \"threshold\" between 0 and 1", manifest, key);
		return -1;
	}
	return 0;
}

struct heads *
heads_load(const char *manifest, const char *mel_onnx, const char *emb_onnx,
           const struct catalogue *c, char *err, size_t errlen, char *warn, size_t warnlen)
{
	struct heads *h = calloc(1, sizeof *h);
	json_error_t jerr;
	json_t *root = NULL, *emb;
	size_t wl = 0;

	if (warn != NULL && warnlen)
		warn[0] = '\0';
	if (h == NULL || (h->path = strdup(manifest)) == NULL) {
		snprintf(err, errlen, "out of memory");
		free(h);
		return NULL;
	}
	if ((root = json_load_file(manifest, 0, &jerr)) == NULL) {
		if (jerr.line > 0)
			snprintf(err, errlen, "%s:%d: %s", manifest, jerr.line, jerr.text);
		else
			snprintf(err, errlen, "%s: %s (make models writes it)", manifest, jerr.text);
		goto fail;
	}
	emb = json_object_get(root, "embedding");
	if (!json_is_object(emb)) {
		snprintf(err, errlen, "%s: no \"embedding\" object with the models' SHA-256", manifest);
		goto fail;
	}
	if (check_sha(mel_onnx, json_string_value(json_object_get(emb, "mel_sha256")), manifest, "mel model", err, errlen) < 0 ||
	    check_sha(emb_onnx, json_string_value(json_object_get(emb, "embedding_sha256")), manifest, "embedding model", err, errlen) < 0)
		goto fail;
	if (load_info(root, "wake", manifest, &h->wake, 1, err, errlen) < 0 ||
	    load_info(root, "endpoint", manifest, &h->endpoint, 1, err, errlen) < 0 ||
	    load_info(root, "intent", manifest, &h->intent, 0, err, errlen) < 0)
		goto fail;
	if (head_input(h->intent.net) != HEADS_INTENT_INPUT) {
		snprintf(err, errlen, "%s: the intent head reads %d values, not %d", manifest,
		    head_input(h->intent.net), HEADS_INTENT_INPUT);
		goto fail;
	}
	if (h->wake.nclasses < 2 || strcmp(h->wake.classes[0], "none") != 0) {
		snprintf(err, errlen, "%s: the wake head's first class must be \"none\", then one per wake phrase", manifest);
		goto fail;
	}
	{
		json_t *ph = json_object_get(json_object_get(root, "wake"), "phrases"), *v;
		size_t i;
		json_array_foreach(ph, i, v) {
			if (i < (size_t)h->wake.nclasses && json_is_string(v) && json_string_length(v) > 0)
				h->wake_phrases[i] = h->phrase_store[i] = strdup(json_string_value(v));
		}
	}
	h->intent_min_confidence = json_number_value(json_object_get(json_object_get(root, "intent"), "min_confidence"));
	{
		int have_none = 0;
		for (int i = 0; i < h->intent.nclasses; i++) {
			const char *id = h->intent.classes[i];
			if (strcmp(id, "none") == 0) {
				have_none = 1;
				continue;
			}
			if ((h->entries[i] = catalogue_find(c, id)) == NULL) {
				/* An entry renamed or removed since training: that class
				 * can no longer be said (it is rejected), the rest works. */
				if (warn != NULL && wl < warnlen) {
					int n = snprintf(warn + wl, warnlen - wl, "%sno longer in the catalogue: \"%s\"", wl ? "; " : "", id);
					if (n > 0) wl += (size_t)n;
				}
				h->stale[i] = 1;
			}
		}
		if (!have_none) {
			snprintf(err, errlen, "%s: the intent head has no \"none\" class", manifest);
			goto fail;
		}
		for (size_t e = 0; e < c->nentries; e++) {
			int known = 0;
			for (int i = 0; i < h->intent.nclasses && !known; i++)
				known = h->entries[i] == &c->entries[e];
			if (!known && warn != NULL && wl < warnlen) {
				int n = snprintf(warn + wl, warnlen - wl, "%snot trained: \"%s\"", wl ? "; " : "", c->entries[e].id);
				if (n > 0) wl += (size_t)n;
			}
		}
	}
	json_decref(root);
	return h;
fail:
	json_decref(root);
	heads_free(h);
	return NULL;
}
