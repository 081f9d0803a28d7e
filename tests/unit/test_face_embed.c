/*
 * test_face_embed — the learned face descriptor (models/face_embed.c)
 * against the package the weights come from, and its refusals.
 *
 *  - The fixed crops in tests/unit/data/face-embed/ (150×150 RGB PPM, made by
 *    our alignment from ORL images: `face-cli crop`) through our forward
 *    pass and through @vladmandic/face-api's FaceRecognitionNet on tfjs in
 *    node (tests/vision/face-reference.mjs), run here: the 128 values agree.
 *  - A missing, truncated, padded, garbled or incomplete model is an error
 *    that says what is wrong, and face_open refuses to start face
 *    recognition with it (no silent fallback that would accept anyone).
 *
 * Run from the repository root (tests/run-unit does).  Needs node and
 * node_modules (tools/install-deps) and models/facerec (tools/fetch-models):
 * missing, the tests fail.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/testutil.h"

#include "models/face.h"
#include "models/face_embed.h"

#define DATA  "tests/unit/data/face-embed"
#define MODEL FACE_EMBED_DEFAULT_MODEL
#define SHARD "models/facerec/face_recognition_model.bin"

static const char *crops[] = {
	DATA "/orl_s1_1.ppm", DATA "/orl_s7_6.ppm", DATA "/orl_s20_9.ppm", DATA "/orl_s33_4.ppm",
	DATA "/orl_s12_7_side.ppm",
};
#define NCROPS ((int)(sizeof crops / sizeof crops[0]))

static char tmp[64];

static void
test_matches_faceapi(void **st)
{
	static uint8_t rgb[FACE_EMBED_SIZE * FACE_EMBED_SIZE * 3];
	float ours[NCROPS][FACE_EMBED_DIM], ref[NCROPS][FACE_EMBED_DIM];
	char err[512];
	struct face_embed *fe;
	double maxdiff = 0, mind = 1e9;
	int i, j;

	(void)st;
	if ((fe = face_embed_load(MODEL, err, sizeof err)) == NULL)
		fail_msg("%s (run tools/fetch-models)", err);
	for (i = 0; i < NCROPS; i++) {
		read_ppm_crop(crops[i], FACE_EMBED_SIZE, rgb);
		assert_int_equal(face_embed_run(fe, rgb, FACE_EMBED_SIZE * 3, ours[i], err,
		    sizeof err), 0);
	}
	face_embed_free(fe);

	/* the package's own runtime */
	face_reference("", crops, NCROPS, FACE_EMBED_DIM, &ref[0][0]);
	for (i = 0; i < NCROPS; i++) {
		double norm = 0;
		for (j = 0; j < FACE_EMBED_DIM; j++) {
			double d = fabs(ours[i][j] - ref[i][j]);
			if (d > maxdiff)
				maxdiff = d;
			norm += ref[i][j] * ref[i][j];
		}
		assert_true(sqrt(norm) > 0.5);            /* a real output, not zeros */
		assert_true(face_embed_distance(ours[i], ref[i]) < 1e-4);
		for (j = 0; j < i; j++) {
			double d = face_embed_distance(ours[i], ours[j]);
			if (d < mind)
				mind = d;
		}
	}
	printf("  %d crops: largest difference to face-api.js %.2g; different people at "
	    "least %.3f apart\n", NCROPS, maxdiff, mind);
	assert_true(maxdiff < 1e-5);
	/* five different people: none within the match threshold (measured:
	 * 0.543 at the closest) */
	assert_true(mind * 100 > FACE_EMBED_THRESHOLD);
}

/* ---- bad models */

static void
copy_file(const char *from, const char *to, long keep, long extra)
{
	FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
	long n = 0;
	int ch;

	assert_non_null(a);
	assert_non_null(b);
	while ((keep < 0 || n < keep) && (ch = fgetc(a)) != EOF) {
		fputc(ch, b);
		n++;
	}
	while (extra-- > 0)
		fputc(0, b);
	fclose(a);
	fclose(b);
}

/* Loads DIR/m.json, expects failure with `want` in the message. */
static void
expect_refused(const char *want)
{
	char path[256], err[512];
	struct face_embed *fe;
	struct face_config fc = { FACE_DEFAULT_MODEL, NULL, FACE_DEFAULT_MIN_SCORE, 0, 0,
	    FACE_DESC_EMBEDDING, NULL };
	struct face_ctx *ctx;

	snprintf(path, sizeof path, "%s/m.json", tmp);
	err[0] = '\0';
	fe = face_embed_load(path, err, sizeof err);
	if (fe != NULL)
		fail_msg("a bad model loaded (want \"%s\")", want);
	if (strstr(err, want) == NULL || strstr(err, path) == NULL)
		fail_msg("error \"%s\" does not say \"%s\" about %s", err, want, path);
	printf("  refused: %s\n", err);
	/* and face recognition does not start with it */
	fc.embed_model = path;
	err[0] = '\0';
	ctx = face_open(&fc, err, sizeof err);
	assert_null(ctx);
	assert_non_null(strstr(err, "face recognition model"));
	assert_non_null(strstr(err, want));
}

static void
test_bad_models(void **st)
{
	char path[256], shard[256];

	(void)st;
	snprintf(tmp, sizeof tmp, "/tmp/so-face-embed-XXXXXX");
	assert_non_null(mkdtemp(tmp));
	snprintf(path, sizeof path, "%s/m.json", tmp);
	snprintf(shard, sizeof shard, "%s/face_recognition_model.bin", tmp);

	/* missing */
	expect_refused("No such file");
	/* not JSON */
	write_file(path, "{\"this is\": not json");
	expect_refused("not a weights manifest");
	/* the manifest without its shard */
	copy_file(MODEL, path, -1, 0);
	expect_refused("face_recognition_model.bin");
	/* a truncated shard */
	copy_file(SHARD, shard, 4000000, 0);
	expect_refused("truncated");
	/* a shard with bytes the manifest does not describe */
	copy_file(SHARD, shard, -1, 16);
	expect_refused("the manifest describes");
	/* another network's manifest (one tensor the size of the shard) */
	write_file(path, "[{\"paths\":[\"face_recognition_model.bin\"],\"weights\":[{\"name\":"
	    "\"other/w\",\"shape\":[6444048],\"dtype\":\"float32\",\"quantization\":"
	    "{\"dtype\":\"uint8\",\"scale\":1,\"min\":0}}]}]");
	expect_refused("no tensor conv32_down/conv/filters");
	/* NaN in the weights */
	write_file(shard, "\xff\xff\xff\xff");
	write_file(path, "[{\"paths\":[\"face_recognition_model.bin\"],\"weights\":[{\"name\":"
	    "\"conv32_down/conv/filters\",\"shape\":[1],\"dtype\":\"float32\"}]}]");
	expect_refused("not a number");

	snprintf(path, sizeof path, "rm -rf '%s'", tmp);
	assert_int_equal(system(path), 0);
}

/* The LBP row needs no embedding model: face_descriptor = lbp still runs
 * when the model is broken. */
static void
test_lbp_without_model(void **st)
{
	struct face_config fc = { FACE_DEFAULT_MODEL, NULL, FACE_DEFAULT_MIN_SCORE, 0, 0,
	    FACE_DESC_LBP, "/nonexistent/m.json" };
	struct face_ctx *ctx;
	char err[512];

	(void)st;
	ctx = face_open(&fc, err, sizeof err);
	if (ctx == NULL)
		fail_msg("%s", err);
	assert_int_equal(face_descriptor_of(ctx), FACE_DESC_LBP);
	assert_true(fabs(face_threshold(ctx) - FACE_LBP_THRESHOLD) < 1e-9);
	face_close(ctx);
	assert_int_equal(face_descriptor_parse("embedding"), FACE_DESC_EMBEDDING);
	assert_int_equal(face_descriptor_parse("lbp"), FACE_DESC_LBP);
	assert_int_equal(face_descriptor_parse("lbph"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matches_faceapi),
		cmocka_unit_test(test_bad_models),
		cmocka_unit_test(test_lbp_without_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
