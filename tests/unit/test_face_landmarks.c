/*
 * test_face_landmarks — the 68-point landmark network (models/face_landmarks.c)
 * against the package the weights come from, its refusals, and the blink
 * check built on it, on real closed and open eyes.
 *
 *  - The fixed crops in tests/unit/data/face-landmarks/ (112×112 RGB PPM,
 *    made by our alignment from ORL images: `face-cli --pad 30 lmcrop`)
 *    through our forward pass and through @vladmandic/face-api's
 *    FaceLandmark68TinyNet and FaceLandmark68Net on tfjs in node
 *    (tests/vision/face-reference.mjs --net), run here: the 136 values agree
 *    within 1e-5 of the crop's size.
 *  - A missing, truncated or foreign model is an error that names the file,
 *    and face_open then checks eyes with the eye cascade (never "open" for
 *    everyone, never no check at all).
 *  - Blinks on ORL (../shared/data/faces/orl or $ORL_DIR): its 15 images
 *    with both eyes clearly closed, between the same person's open-eye
 *    images, through face_eyes_open and face_live_feed as the vision thread
 *    calls them; and every person's open-eye images alone, or one photo
 *    repeated, must never pass as a blink.
 *
 * Run from the repository root (tests/run-unit does).  Needs node and
 * node_modules (tools/install-deps), models/facerec (tools/fetch-models)
 * and the ORL faces: missing, the tests fail.
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
#include "models/face_landmarks.h"

#define DATA "tests/unit/data/face-landmarks"
#define TINY FACE_LM_DEFAULT_MODEL
#define FULL "models/facerec/face_landmark_68_model-weights_manifest.json"
#define TINY_SHARD "models/facerec/face_landmark_68_tiny_model.bin"
#define PAD  30          /* ORL's tight crops need a border for BlazeFace */

static const char *crops[] = {
	DATA "/orl_s1_1.ppm", DATA "/orl_s3_4.ppm", DATA "/orl_s20_9.ppm", DATA "/orl_s26_6.ppm",
	DATA "/orl_s34_1.ppm",
};
#define NCROPS ((int)(sizeof crops / sizeof crops[0]))

/*
 * ORL's eyes, labelled by eye on 3× enlargements of the aligned crops:
 * both eyes clearly closed, and the ones left out as neither clearly open
 * nor closed (half-closed, looking down, behind glare).  Every other image
 * is open.
 */
static const int closed[][2] = {
	{ 3, 4 }, { 3, 5 }, { 3, 6 }, { 3, 8 }, { 8, 3 }, { 8, 7 }, { 11, 4 }, { 11, 9 }, { 22, 6 },
	{ 24, 8 }, { 26, 6 }, { 27, 6 }, { 36, 5 }, { 40, 4 }, { 40, 9 },
};
static const int unsure[][2] = {
	{ 1, 10 }, { 4, 6 }, { 4, 9 }, { 7, 2 }, { 13, 3 }, { 19, 4 }, { 19, 5 }, { 19, 7 },
	{ 19, 8 }, { 19, 9 }, { 25, 3 }, { 25, 7 }, { 25, 8 }, { 26, 8 }, { 32, 6 }, { 33, 4 },
	{ 40, 3 }, { 40, 6 },
};
#define NCLOSED ((int)(sizeof closed / sizeof closed[0]))
#define NUNSURE ((int)(sizeof unsure / sizeof unsure[0]))

static int
listed(const int (*l)[2], int n, int s, int k)
{
	for (int i = 0; i < n; i++)
		if (l[i][0] == s && l[i][1] == k)
			return 1;
	return 0;
}

/* Our points and face-api's for every crop, with `net` (landmarks or
 * landmarks-tiny) and `model`; returns the largest difference. */
static double
compare(const char *model, const char *net, int want_tiny)
{
	static uint8_t rgb[FACE_LM_SIZE * FACE_LM_SIZE * 3];
	float ours[NCROPS][FACE_LM_POINTS][2], ref[NCROPS][FACE_LM_POINTS][2];
	char args[64], err[512];
	struct face_landmarks *fl;
	double maxdiff = 0;
	int i, j;

	if ((fl = face_landmarks_load(model, err, sizeof err)) == NULL)
		fail_msg("%s (run tools/fetch-models)", err);
	assert_int_equal(face_landmarks_tiny(fl), want_tiny);
	for (i = 0; i < NCROPS; i++) {
		read_ppm_crop(crops[i], FACE_LM_SIZE, rgb);
		assert_int_equal(face_landmarks_run(fl, rgb, FACE_LM_SIZE * 3, ours[i], err,
		    sizeof err), 0);
	}
	face_landmarks_free(fl);

	snprintf(args, sizeof args, "--net %s", net);
	face_reference(args, crops, NCROPS, 2 * FACE_LM_POINTS, &ref[0][0][0]);
	for (i = 0; i < NCROPS; i++)
		for (j = 0; j < 2 * FACE_LM_POINTS; j++) {
			double d = fabs(ours[i][j / 2][j % 2] - ref[i][j / 2][j % 2]);
			if (d > maxdiff)
				maxdiff = d;
		}
	/* a real face, not zeros: in the crop, the subject's right eye (36-41)
	 * left of the left eye (42-47), both above the mouth (48-67), the chin
	 * (8) lowest */
	for (i = 0; i < NCROPS; i++) {
		float (*q)[2] = ours[i];
		for (j = 0; j < FACE_LM_POINTS; j++) {
			assert_true(q[j][0] > -0.1 && q[j][0] < 1.1);
			assert_true(q[j][1] > -0.1 && q[j][1] < 1.1);
		}
		assert_true(q[39][0] < q[42][0]);
		assert_true(q[37][1] < q[51][1] && q[44][1] < q[51][1]);
		assert_true(q[8][1] > q[57][1]);
	}
	printf("  %s: %d crops, largest difference to face-api.js %.2g of the crop\n", net, NCROPS,
	    maxdiff);
	return maxdiff;
}

static void
test_matches_faceapi(void **st)
{
	(void)st;
	/* measured: 3e-7 for both */
	assert_true(compare(TINY, "landmarks-tiny", 1) < 1e-5);
	assert_true(compare(FULL, "landmarks", 0) < 1e-5);
}

/* ---- bad models */

static char tmp[64];

static void
copy_file(const char *from, const char *to, long keep)
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
	fclose(a);
	fclose(b);
}

/* The ORL image in a PAD-pixel black frame, and its best face. */
static void
load_face(int s, int k, struct cv_image *im, struct face_det *d, struct face_ctx *ctx)
{
	const char *dir = getenv("ORL_DIR");
	char path[512], err[256];
	struct cv_image raw;
	int y;

	snprintf(path, sizeof path, "%s/s%d/%d.pgm", dir && *dir ? dir : "../shared/data/faces/orl",
	    s, k);
	if (cv_face_read_image(path, &raw, err, sizeof err) == -1)
		fail_msg("ORL face %s: %s (set ORL_DIR)", path, err);
	assert_int_equal(cv_image_alloc(im, raw.w + 2 * PAD, raw.h + 2 * PAD, 3), 0);
	for (y = 0; y < raw.h; y++)
		memcpy(im->data + (size_t)(y + PAD) * im->stride + (size_t)PAD * 3,
		    raw.data + (size_t)y * raw.stride, (size_t)raw.w * 3);
	cv_image_free(&raw);
	if (face_detect(ctx, im, d, 1, err, sizeof err) < 1)
		fail_msg("%s: no face", path);
}

/* Loads DIR/m.json as the landmark model: refused with `want` and the
 * path in the message, and face_open falls back to the eye cascade. */
static void
expect_refused(const char *want)
{
	struct face_config fc = { FACE_DEFAULT_MODEL, NULL, FACE_DEFAULT_MIN_SCORE, 0, 0,
	    FACE_DESC_LBP, NULL, 0, NULL };
	char path[256], err[512];
	struct face_landmarks *fl;
	struct face_ctx *ctx;
	struct cv_image im;
	struct face_det d;

	snprintf(path, sizeof path, "%s/m.json", tmp);
	err[0] = '\0';
	if ((fl = face_landmarks_load(path, err, sizeof err)) != NULL)
		fail_msg("a bad model loaded (want \"%s\")", want);
	if (strstr(err, want) == NULL || strstr(err, path) == NULL)
		fail_msg("error \"%s\" does not say \"%s\" about %s", err, want, path);
	printf("  refused: %s\n", err);
	fc.landmark_model = path;
	if ((ctx = face_open(&fc, err, sizeof err)) == NULL)
		fail_msg("face_open failed with a broken landmark model: %s", err);
	assert_int_equal(face_eyes_method(ctx), 0);
	/* the cascade really answers: an open-eyed face is open */
	load_face(1, 1, &im, &d, ctx);
	assert_int_equal(face_eyes_open(ctx, &im, &d, NULL), 1);
	cv_image_free(&im);
	face_close(ctx);
}

static void
test_bad_models(void **st)
{
	char path[256], shard[256];

	(void)st;
	snprintf(tmp, sizeof tmp, "/tmp/so-face-lm-XXXXXX");
	assert_non_null(mkdtemp(tmp));
	snprintf(path, sizeof path, "%s/m.json", tmp);
	snprintf(shard, sizeof shard, "%s/face_landmark_68_tiny_model.bin", tmp);

	expect_refused("No such file");
	copy_file(TINY, path, -1);
	expect_refused("face_landmark_68_tiny_model.bin");          /* no shard */
	copy_file(TINY_SHARD, shard, 40000);
	expect_refused("truncated");
	/* another network's manifest, whose shard is there */
	write_file(path, "[{\"paths\":[\"face_landmark_68_tiny_model.bin\"],\"weights\":[{\"name\":"
	    "\"other/w\",\"shape\":[40000],\"dtype\":\"float32\",\"quantization\":"
	    "{\"dtype\":\"uint8\",\"scale\":1,\"min\":0}}]}]");
	expect_refused("no tensor dense0/conv0/filters: not the face landmark model");
	/* the right names with a wrong shape */
	write_file(path, "[{\"paths\":[\"face_landmark_68_tiny_model.bin\"],\"weights\":[{\"name\":"
	    "\"dense0/conv0/filters\",\"shape\":[40000],\"dtype\":\"float32\",\"quantization\":"
	    "{\"dtype\":\"uint8\",\"scale\":1,\"min\":0}}]}]");
	expect_refused("wrong shape for the face landmark model");

	snprintf(path, sizeof path, "rm -rf '%s'", tmp);
	assert_int_equal(system(path), 0);
}

/* ---- blinks on ORL */

struct frame {
	struct cv_image im;
	struct face_det d;
};

/* Feeds frames fr[order[0..n)] at 15 fps through face_live_feed as the
 * vision thread does (the eyes checked only in the challenge, against
 * that challenge's own frames), every frame a match.  5 frames start the
 * challenge; returns 1 when the face was verified by a blink within the
 * frames.  The head-turn challenge is off (never "back"): ORL's photos of
 * one person differ in yaw, which would pass as a turn; frames turned
 * from the first five still do not count for a blink, as in the daemon. */
static int
run_live(struct face_ctx *ctx, struct frame *fr, const int *order, int n)
{
	struct face_live_config c = FACE_LIVE_DEFAULTS;
	struct face_live lv;
	struct face_blink b;
	int i;

	c.yaw_back = -1;
	face_live_init(&lv, &c);
	face_blink_reset(&b);
	for (i = 0; i < n; i++) {
		struct frame *f = &fr[order[i]];
		int eyes;
		/* as daemon/vision.c verify_step (every frame matches) */
		if (lv.st == FACE_LIVE_SEARCHING && lv.matches == 0)
			face_blink_reset(&b);
		eyes = lv.st == FACE_LIVE_CHALLENGE || (face_eyes_method(ctx) == 1 &&
		    lv.st == FACE_LIVE_SEARCHING) ? face_eyes_open(ctx, &f->im, &f->d, &b) : -1;
		if (face_live_feed(&lv, i / 15.0, &f->d, 1, eyes) == FACE_LIVE_VERIFIED) {
			assert_int_equal(lv.blink_done, 1);
			return 1;
		}
	}
	return 0;
}

static struct frame *yaw_of;      /* for by_yaw */
static double yaw_to;

static int
by_yaw(const void *a, const void *b)
{
	double x = fabs(face_yaw(&yaw_of[*(const int *)a].d) - yaw_to);
	double y = fabs(face_yaw(&yaw_of[*(const int *)b].d) - yaw_to);

	return x < y ? -1 : x > y;
}

/* One person's blinks: for each closed-eye image, the 3 open-eyed images
 * nearest to it in yaw (the head still) in turn for 9 frames (5 matching,
 * 4 in the challenge), the closed image twice, 3 open ones: caught or
 * not.  Then the open images alone, cycled, and the first one repeated,
 * and the closed one repeated: never a blink.  Adds to the counts. */
static void
person(struct face_ctx *ctx, int s, int *caught, int *tried, int *false_blinks, int *runs)
{
	struct frame fr[10];
	int open[10], nopen = 0, shut[10], nshut = 0, near[10], order[64], n, i, j, k;

	for (k = 1; k <= 10; k++) {
		load_face(s, k, &fr[k - 1].im, &fr[k - 1].d, ctx);
		if (listed(closed, NCLOSED, s, k))
			shut[nshut++] = k - 1;
		else if (!listed(unsure, NUNSURE, s, k))
			open[nopen++] = k - 1;
	}
	assert_true(nopen >= 3);
	for (j = 0; j < nshut; j++) {
		memcpy(near, open, sizeof open);
		yaw_of = fr;
		yaw_to = face_yaw(&fr[shut[j]].d);
		qsort(near, (size_t)nopen, sizeof near[0], by_yaw);
		n = 0;
		for (i = 0; i < 9; i++)
			order[n++] = near[i % 3];
		order[n++] = shut[j];
		order[n++] = shut[j];
		for (i = 0; i < 3; i++)
			order[n++] = near[i % 3];
		*caught += run_live(ctx, fr, order, n);
		(*tried)++;
	}
	/* open eyes only: every open photo in turn, four times over */
	for (n = 0; n < 4 * nopen && n < 64; n++)
		order[n] = open[n % nopen];
	*false_blinks += run_live(ctx, fr, order, n);
	/* a photo held still, eyes open or closed */
	for (n = 0; n < 30; n++)
		order[n] = open[0];
	*false_blinks += run_live(ctx, fr, order, n);
	*runs += 2;
	if (nshut > 0) {
		for (n = 0; n < 30; n++)
			order[n] = shut[0];
		*false_blinks += run_live(ctx, fr, order, n);
		(*runs)++;
	}
	for (k = 0; k < 10; k++)
		cv_image_free(&fr[k].im);
}

static void
blinks(const char *landmark_model, int *caught, int *tried, int *false_blinks, int *runs)
{
	struct face_config fc = { FACE_DEFAULT_MODEL, NULL, FACE_DEFAULT_MIN_SCORE, 0, 0,
	    FACE_DESC_LBP, NULL, 0, landmark_model };
	struct face_ctx *ctx;
	char err[512];

	if ((ctx = face_open(&fc, err, sizeof err)) == NULL)
		fail_msg("%s", err);
	assert_int_equal(face_eyes_method(ctx), landmark_model == NULL ? 1 : 0);
	*caught = *tried = *false_blinks = *runs = 0;
	for (int s = 1; s <= 40; s++)
		person(ctx, s, caught, tried, false_blinks, runs);
	face_close(ctx);
}

static void
test_blink_orl(void **st)
{
	int caught, tried, fb, runs, ccaught, ctried, cfb, cruns;

	(void)st;
	blinks(NULL, &caught, &tried, &fb, &runs);
	blinks("/nonexistent/lm.json", &ccaught, &ctried, &cfb, &cruns);
	printf("  ORL blinks: landmarks %d of %d closed-eye images caught, %d false blinks in %d "
	    "runs without one; eye cascade %d of %d, %d false in %d\n", caught, tried, fb, runs,
	    ccaught, ctried, cfb, cruns);
	assert_int_equal(tried, NCLOSED);
	assert_int_equal(ctried, NCLOSED);
	/* measured: 10 of 15 caught, no false blink in 89 runs (the eye
	 * cascade, for comparison: 9 of 15, and 10 false blinks: it loses
	 * open eyes now and then) */
	assert_true(caught >= 10);
	assert_int_equal(fb, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matches_faceapi),
		cmocka_unit_test(test_bad_models),
		cmocka_unit_test(test_blink_orl),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
