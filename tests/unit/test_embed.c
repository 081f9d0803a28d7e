/*
 * The speech embedding (models/embed.c, models/onnx.c) against ONNX
 * Runtime, and the loaders' refusals of damaged model and head files.
 *
 * Reference: tests/unit/data/embed-ref.txt and embed-ref-mel.txt, computed
 * by ONNX Runtime (onnxruntime-web in node, tests/speech/ort-reference.mjs)
 * from embed-ref.wav.  Error bounds: mel frames within 2e-4 (values are
 * about 1..4), embeddings within 1e-3 absolute (values up to about 40;
 * measured: 7e-5; the mel frames 7e-5 (our FFT in double against ONNX
 * Runtime's float32 convolution).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"
#include "devices/wav.h"
#include "models/catalogue.h"
#include "models/embed.h"
#include "models/heads.h"
#include "models/onnx.h"

#define MEL  "models/oww/melspectrogram.onnx"
#define EMB  "models/oww/embedding_model.onnx"
#define REF  "tests/unit/data/embed-ref"

struct got {
	float *v;
	size_t n, cap, dim;
};

static void
keep(struct got *g, const float *x)
{
	if (g->n == g->cap) {
		g->cap = g->cap ? 2 * g->cap : 64;
		g->v = realloc(g->v, g->cap * g->dim * sizeof(float));
	}
	memcpy(g->v + g->n * g->dim, x, g->dim * sizeof(float));
	g->n++;
}

static void
on_emb(void *ud, uint64_t j, const float *e, uint64_t at)
{
	struct got *g = ud;
	assert_int_equal(j, g->n);
	assert_int_equal(at, (uint64_t)EMBED_HOP * j + EMBED_FIRST);
	keep(g, e);
}

static void
on_mel(void *ud, uint64_t i, const float *m)
{
	struct got *g = ud;
	assert_int_equal(i, g->n);
	keep(g, m);
}

/* Lines "j<TAB>v v v ..." into a float array. */
static float *
read_ref(const char *path, size_t dim, size_t *n)
{
	FILE *f = fopen(path, "r");
	char line[16384];
	float *v = NULL;
	size_t k = 0;

	assert_non_null(f);
	while (fgets(line, sizeof line, f) != NULL) {
		char *p = strchr(line, '\t');
		assert_non_null(p);
		v = realloc(v, (k + 1) * dim * sizeof(float));
		for (size_t i = 0; i < dim; i++)
			v[k * dim + i] = strtof(p + 1, &p);
		k++;
	}
	fclose(f);
	*n = k;
	return v;
}

static struct embed_model *
load_model(void)
{
	char err[512];
	struct embed_model *m = embed_model_load(MEL, EMB, err, sizeof err);
	if (m == NULL)
		fail_msg("%s (run tools/fetch-models)", err);
	return m;
}

static void
run(struct embed_model *m, const int16_t *pcm, size_t n, size_t chunk, struct got *emb, struct got *mel)
{
	struct embed_stream *s = embed_stream_new(m, on_emb, emb);
	assert_non_null(s);
	if (mel != NULL)
		embed_stream_set_mel_cb(s, on_mel, mel);
	for (size_t o = 0; o < n; o += chunk)
		embed_feed(s, pcm + o, n - o < chunk ? n - o : chunk);
	assert_int_equal(embed_samples(s), n);
	embed_stream_free(s);
}

static void
test_matches_onnx_runtime(void **state)
{
	struct embed_model *m = load_model();
	int16_t *pcm;
	size_t n, nref, nmel;
	char err[256], warn[256];
	struct wav_info info;
	struct got emb = { .dim = EMBED_DIM }, mel = { .dim = EMBED_MELS };
	float *ref, *refmel, worst = 0, worstmel = 0;

	(void)state;
	assert_int_equal(wav_load(REF ".wav", &pcm, &n, &info, err, sizeof err, warn, sizeof warn), 0);
	run(m, pcm, n, n, &emb, &mel);
	ref = read_ref(REF ".txt", EMBED_DIM, &nref);
	refmel = read_ref(REF "-mel.txt", EMBED_MELS, &nmel);
	assert_true(nref > 20);
	assert_int_equal(emb.n, nref);
	assert_int_equal(mel.n, nmel);
	for (size_t i = 0; i < nref * EMBED_DIM; i++)
		worst = fmaxf(worst, fabsf(emb.v[i] - ref[i]));
	for (size_t i = 0; i < nmel * EMBED_MELS; i++)
		worstmel = fmaxf(worstmel, fabsf(mel.v[i] - refmel[i]));
	print_message("max abs error: embeddings %.2g, mel %.2g\n", worst, worstmel);
	assert_true(worst <= 1e-3f);
	assert_true(worstmel <= 2e-4f);
	free(ref);
	free(refmel);
	free(emb.v);
	free(mel.v);
	free(pcm);
	embed_model_free(m);
}

static void
test_streaming_equals_batch(void **state)
{
	struct embed_model *m = load_model();
	int16_t *pcm;
	size_t n;
	char err[256], warn[256];
	struct wav_info info;
	static const size_t chunks[] = { 1, 37, 160, 1280, 4001 };
	struct got whole = { .dim = EMBED_DIM };

	(void)state;
	assert_int_equal(wav_load(REF ".wav", &pcm, &n, &info, err, sizeof err, warn, sizeof warn), 0);
	run(m, pcm, n, n, &whole, NULL);
	for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
		struct got part = { .dim = EMBED_DIM };
		run(m, pcm, n, chunks[c], &part, NULL);
		assert_int_equal(part.n, whole.n);
		assert_memory_equal(part.v, whole.v, whole.n * EMBED_DIM * sizeof(float));
		free(part.v);
	}
	/* Streaming computes a fraction of what whole windows would. */
	double sm, wm;
	embed_model_cost(m, &sm, &wm);
	assert_true(sm > 1e6 && sm < wm / 3);
	free(whole.v);
	free(pcm);
	embed_model_free(m);
}

static uint8_t *
slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b;
	long len;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc((size_t)len);
	assert_int_equal(fread(b, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	*n = (size_t)len;
	return b;
}

static void
dump(const char *path, const void *b, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(b, 1, n, f), n);
	fclose(f);
}

static void
test_bad_model_files(void **state)
{
	char err[512];
	size_t n;
	uint8_t *b = slurp(EMB, &n);

	(void)state;
	/* missing */
	assert_null(embed_model_load("/nonexistent/mel.onnx", EMB, err, sizeof err));
	assert_non_null(strstr(err, "/nonexistent/mel.onnx"));
	/* truncated, at several places */
	static const double cut[] = { 0.001, 0.3, 0.75, 0.999 };
	for (size_t i = 0; i < sizeof cut / sizeof cut[0]; i++) {
		dump(tmp_path, b, (size_t)(n * cut[i]));
		assert_null(embed_model_load(MEL, tmp_path, err, sizeof err));
		assert_non_null(strstr(err, tmp_path));
	}
	/* the models swapped: each refuses to be the other */
	assert_null(embed_model_load(EMB, MEL, err, sizeof err));
	assert_non_null(strstr(err, "not the mel-spectrogram model"));
	/* not ONNX at all */
	dump(tmp_path, "hello, world", 12);
	assert_null(embed_model_load(MEL, tmp_path, err, sizeof err));
	assert_non_null(strstr(err, tmp_path));
	/* a weight of the wrong shape: flip one dimension of the first conv
	 * (24 x 1 x 3 x 3 → 25): found by its raw bytes' dims field */
	{
		struct onnx_model *m = onnx_parse(b, n, EMB, err, sizeof err);
		assert_non_null(m);
		assert_true(m->nnodes > 40);
		assert_non_null(onnx_find(m, "const_fold_opt__287"));
		onnx_free(m);
	}
	/* random damage never crashes the reader */
	uint32_t x = 1;
	for (int trial = 0; trial < 200; trial++) {
		uint8_t *d = malloc(n);
		memcpy(d, b, n);
		for (int k = 0; k < 8; k++) {
			x = x * 1664525u + 1013904223u;
			d[x % (uint32_t)n] ^= (uint8_t)(x >> 24);
		}
		struct onnx_model *m = onnx_parse(d, n, "damaged", err, sizeof err);
		onnx_free(m);
		free(d);
	}
	free(b);
}

/* A head file: standardize, dense in -> out, softmax. */
static void
write_head(const char *path, uint32_t in, uint32_t out, int truncate)
{
	FILE *f = fopen(path, "wb");
	uint32_t h[2] = { in, 3 }, l[3];
	float v;

	assert_non_null(f);
	fwrite("SOHEAD01", 1, 8, f);
	fwrite(h, sizeof h, 1, f);
	l[0] = 6; l[1] = in; l[2] = in;
	fwrite(l, sizeof l, 1, f);
	for (uint32_t i = 0; i < 2 * in; i++) { v = i < in ? 0.0f : 1.0f; fwrite(&v, 4, 1, f); }
	l[0] = 1; l[1] = in; l[2] = out;
	fwrite(l, sizeof l, 1, f);
	for (uint32_t i = 0; i < in * out + out - (truncate ? 5 : 0); i++) { v = (float)(i % 7) * 0.01f; fwrite(&v, 4, 1, f); }
	l[0] = 4; l[1] = out; l[2] = out;
	fwrite(l, sizeof l, 1, f);
	fclose(f);
}

static void
write_manifest(const char *dir, const char *wake_sha, int intent_in, const char *intent_id)
{
	char path[512], hex[3][65], mel[65], emb[65], err[256], text[4096];
	const char *files[3] = { "wake.head", "endpoint.head", "intent.head" };

	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, files[i]);
		assert_int_equal(heads_sha256_file(path, hex[i], err, sizeof err), 0);
	}
	assert_int_equal(heads_sha256_file(MEL, mel, err, sizeof err), 0);
	assert_int_equal(heads_sha256_file(EMB, emb, err, sizeof err), 0);
	(void)intent_in;
	snprintf(text, sizeof text,
	    "{ \"version\": 1, \"embedding\": { \"mel_sha256\": \"%s\", \"embedding_sha256\": \"%s\" },\n"
	    "  \"wake\": { \"file\": \"wake.head\", \"sha256\": \"%s\", \"window\": 16, \"classes\": [\"none\", \"hey_seoul\", \"seoul_ko\"], \"threshold\": 0.9, \"phrases\": [\"\", \"hey seoul\", \"서울아\"] },\n"
	    "  \"endpoint\": { \"file\": \"endpoint.head\", \"sha256\": \"%s\", \"window\": 2, \"classes\": [\"silent\", \"talking\"], \"threshold\": 0.5 },\n"
	    "  \"intent\": { \"file\": \"intent.head\", \"sha256\": \"%s\", \"classes\": [\"%s\", \"none\"], \"min_confidence\": 0.5 } }\n",
	    mel, emb, wake_sha ? wake_sha : hex[0], hex[1], hex[2], intent_id);
	snprintf(path, sizeof path, "%s/heads.json", dir);
	write_file(path, text);
}

static void
test_bad_heads(void **state)
{
	char dir[64], p[512], man[256], err[512], warn[512];
	struct catalogue *c;
	struct heads *h;

	(void)state;
	c = catalogue_load("models/catalogue.json", err, sizeof err);
	assert_non_null(c);
	assert_int_equal(tmpdir_make(dir, sizeof dir, "/tmp/so-heads-XXXXXX"), 0);
	snprintf(man, sizeof man, "%s/heads.json", dir);
	snprintf(p, sizeof p, "%s/wake.head", dir);
	write_head(p, 16 * EMBED_DIM, 3, 0);
	snprintf(p, sizeof p, "%s/endpoint.head", dir);
	write_head(p, 2 * EMBED_DIM, 2, 0);
	snprintf(p, sizeof p, "%s/intent.head", dir);
	write_head(p, HEADS_INTENT_INPUT, 2, 0);

	/* good: loads, runs, and names the screens it does not know */
	write_manifest(dir, NULL, HEADS_INTENT_INPUT, "air-quality");
	h = heads_load(man, MEL, EMB, c, err, sizeof err, warn, sizeof warn);
	if (h == NULL)
		fail_msg("%s", err);
	assert_non_null(strstr(warn, "\"transportation\""));
	assert_string_equal(h->wake_phrases[2], "서울아");
	assert_ptr_equal(h->entries[0], catalogue_find(c, "air-quality"));
	assert_null(h->entries[1]);
	{
		float in[16 * EMBED_DIM] = { 0 }, out[3];
		head_run(h->wake.net, in, out);
		assert_true(fabsf(out[0] + out[1] + out[2] - 1.0f) < 1e-5f);
	}
	heads_free(h);

	/* wrong SHA-256 */
	write_manifest(dir, "0000000000000000000000000000000000000000000000000000000000000000", HEADS_INTENT_INPUT, "air-quality");
	assert_null(heads_load(man, MEL, EMB, c, err, sizeof err, warn, sizeof warn));
	assert_non_null(strstr(err, "wake.head"));
	assert_non_null(strstr(err, "SHA-256"));

	/* an entry the catalogue does not have: loads, says so, never picks it */
	write_manifest(dir, NULL, HEADS_INTENT_INPUT, "no-such-screen");
	h = heads_load(man, MEL, EMB, c, err, sizeof err, warn, sizeof warn);
	assert_non_null(h);
	assert_non_null(strstr(warn, "no longer in the catalogue: \"no-such-screen\""));
	assert_null(h->entries[0]);
	assert_int_equal(h->stale[0], 1);
	heads_free(h);

	/* wrong shape: a wake head reading 15 embeddings */
	snprintf(p, sizeof p, "%s/wake.head", dir);
	write_head(p, 15 * EMBED_DIM, 3, 0);
	write_manifest(dir, NULL, HEADS_INTENT_INPUT, "air-quality");
	assert_null(heads_load(man, MEL, EMB, c, err, sizeof err, warn, sizeof warn));
	assert_non_null(strstr(err, "wake.head"));
	assert_non_null(strstr(err, "window"));

	/* truncated */
	write_head(p, 16 * EMBED_DIM, 3, 1);
	write_manifest(dir, NULL, HEADS_INTENT_INPUT, "air-quality");
	assert_null(heads_load(man, MEL, EMB, c, err, sizeof err, warn, sizeof warn));
	assert_non_null(strstr(err, "wake.head"));

	/* missing head, missing manifest, broken manifest */
	unlink(p);
	assert_null(heads_load(man, MEL, EMB, c, err, sizeof err, warn, sizeof warn));
	assert_non_null(strstr(err, "wake.head"));
	write_file(man, "{ \"version\": 1,\n  \"wake\": ]\n");
	assert_null(heads_load(man, MEL, EMB, c, err, sizeof err, warn, sizeof warn));
	snprintf(p, sizeof p, "%s:2:", man);
	assert_non_null(strstr(err, p));
	unlink(man);
	assert_null(heads_load(man, MEL, EMB, c, err, sizeof err, warn, sizeof warn));
	assert_non_null(strstr(err, man));

	tmpdir_remove(dir);
	catalogue_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matches_onnx_runtime),
		cmocka_unit_test(test_streaming_equals_batch),
		cmocka_unit_test_setup_teardown(test_bad_model_files, setup_tmp, teardown_tmp),
		cmocka_unit_test(test_bad_heads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
