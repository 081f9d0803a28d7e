/*
 * test_hand — the hand-raise tracker (models/hand.c) on the quick set of
 * rendered clips (tests/tools/make-clips, run from $BUILD/tools, BUILD
 * defaulting to the folder this binary was built in), each fed frame by frame with the truth face box:
 * raises engage engage_s..engage_s+0.5 s after the hand is up, the cursor
 * follows the truth path, a dwell (or the other hand) selects, lowering
 * disengages; the no-raise clips and the short raise never engage.  Also
 * the cursor mapping, the config check and refused frames.
 */
#include <ftw.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "models/hand.h"
#include "tests/vision/clip.h"

/* Bounds, measured on the quick set (seed 1; see docs/gestures.md):
 * cursor RMS error 0.041..0.058 screen units per clip. */
#define RMS_MAX		0.08
#define ENGAGE_EARLY	0.1	/* the hand settles a frame or two before "up" */

static char clipdir[64];

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(path);
}

static int
make_quick(void **state)
{
	const char *build = getenv("BUILD");
	char cmd[1024], self[512];
	ssize_t n;

	(void)state;
	/* Without BUILD: the make-clips next to this binary ($BUILD/tests/..). */
	if ((build == NULL || *build == '\0') &&
	    (n = readlink("/proc/self/exe", self, sizeof self - 1)) > 0) {
		self[n] = '\0';
		for (int k = 0; k < 2; k++) {
			char *sl = strrchr(self, '/');
			if (sl != NULL)
				*sl = '\0';
		}
		build = self;
	}
	snprintf(clipdir, sizeof clipdir, "/tmp/so-clips-XXXXXX");
	if (mkdtemp(clipdir) == NULL)
		return -1;
	snprintf(cmd, sizeof cmd, "%s/tools/make-clips %s --set quick --seed 1",
	    build && *build ? build : "build", clipdir);
	if (system(cmd) != 0) {
		fprintf(stderr, "test_hand: %s failed (build the tools first)\n", cmd);
		return -1;
	}
	return 0;
}

static int
remove_quick(void **state)
{
	(void)state;
	return nftw(clipdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Scores one clip of the quick set by its name's scenario. */
static void
run(const char *clip, int mirrored, enum hand_select sel, struct clip_result *res)
{
	struct hand_config cfg = hand_default_config();
	char dir[256], err[1024];

	cfg.mirrored = mirrored;
	cfg.select = sel;
	snprintf(dir, sizeof dir, "%s/%s", clipdir, clip);
	if (clip_run(dir, &cfg, res, NULL, err, sizeof err) != 0)
		fail_msg("%s", err);
	print_message("%s: %d frames, %d engagements, engage after %.2f s, %d presses (%d in the "
	    "dwell), disengage %.2f s after lowering, RMS %.3f, jitter %.1f px, %.2f ms/frame\n",
	    clip, res->frames, res->engagements, res->engage_delay, res->presses,
	    res->press_in_dwell, res->disengage_delay,
	    res->err_n ? sqrt(res->err2_sum / res->err_n) : -1,
	    res->jit_n ? sqrt(res->jit2_sum / res->jit_n) : -1, 1000 * res->cpu_s / res->frames);
}

static void
check_raise(const char *clip, int mirrored, enum hand_select sel)
{
	struct hand_config cfg = hand_default_config();
	struct clip_result res;

	run(clip, mirrored, sel, &res);
	assert_int_equal(res.engagements, 1);
	assert_true(res.t_up > 0);
	assert_true(res.engage_delay >= cfg.engage_s - ENGAGE_EARLY);
	assert_true(res.engage_delay <= cfg.engage_s + 0.5);
	assert_true(res.err_n > 30);
	assert_true(sqrt(res.err2_sum / res.err_n) < RMS_MAX);
	assert_true(res.press_in_dwell >= 1);
	assert_int_equal(res.presses_outside, 0);
	assert_int_equal(res.releases, res.presses);
	assert_int_equal(res.disengagements, 1);
	assert_true(res.disengage_delay > 0);
	assert_true(res.disengage_delay <= cfg.disengage_s + 0.5);
}

static void
check_none(const char *clip, int mirrored)
{
	struct clip_result res;

	run(clip, mirrored, HAND_SELECT_DWELL, &res);
	assert_true(res.frames > 100);
	assert_int_equal(res.engagements, 0);
	assert_int_equal(res.presses, 0);
}

static void test_raise_640(void **s)      { (void)s; check_raise("000-raise", 0, HAND_SELECT_DWELL); }
static void test_raise_1280(void **s)     { (void)s; check_raise("001-raise", 0, HAND_SELECT_DWELL); }
static void test_raise_mirrored(void **s) { (void)s; check_raise("002-raise", 1, HAND_SELECT_DWELL); }
static void test_raise_4th(void **s)      { (void)s; check_raise("003-raise", 0, HAND_SELECT_DWELL); }
static void test_other_hand(void **s)     { (void)s; check_raise("004-raise-other", 0, HAND_SELECT_OTHER_HAND); }
static void test_raise_short(void **s)    { (void)s; check_none("005-raise-short", 0); }
static void test_typing(void **s)         { (void)s; check_none("006-typing", 0); }
static void test_touch_face(void **s)     { (void)s; check_none("007-touch-face", 0); }
static void test_scratch_head(void **s)   { (void)s; check_none("008-scratch-head", 0); }
static void test_wave_chest(void **s)     { (void)s; check_none("009-wave-chest", 0); }
static void test_walk_past(void **s)      { (void)s; check_none("010-walk-past", 0); }
static void test_idle(void **s)           { (void)s; check_none("011-idle", 1); }

/* The raise clip fed with the mirror flag wrong: the right hand is looked
 * for on the wrong side and nothing engages (the side matters). */
static void
test_wrong_side(void **s)
{
	struct clip_result res;

	(void)s;
	run("000-raise", 1, HAND_SELECT_DWELL, &res);
	assert_int_equal(res.engagements, 0);
}

/* In other-hand mode a plain raise (a dwell, no other hand) engages but
 * never presses: holding still is not a select in that mode. */
static void
test_other_hand_needs_hand(void **s)
{
	struct clip_result res;

	(void)s;
	run("000-raise", 0, HAND_SELECT_OTHER_HAND, &res);
	assert_int_equal(res.engagements, 1);
	assert_int_equal(res.presses, 0);
}

static void
test_map(void **s)
{
	struct hand_config c = hand_default_config();
	struct cv_rect f = { 300, 100, 100, 110 };	/* centre 350, 155 */
	double x, y;

	(void)s;
	/* Unmirrored: the right hand is on the image's left; u = 0.8 is the
	 * box's left edge, 2.8 its right. */
	hand_cursor_map(&c, &f, 350 - 80, 155 - 130, &x, &y);
	assert_true(fabs(x) < 1e-9 && fabs(y) < 1e-9);
	hand_cursor_map(&c, &f, 350 - 280, 155 + 50, &x, &y);
	assert_true(fabs(x - 1) < 1e-9 && fabs(y - 1) < 1e-9);
	hand_cursor_map(&c, &f, 350 - 180, 155 - 40, &x, &y);
	assert_true(fabs(x - 0.5) < 1e-9 && fabs(y - 0.5) < 1e-9);
	hand_cursor_map(&c, &f, 0, 1000, &x, &y);	/* clamped */
	assert_true(x == 1 && y == 1);
	c.mirrored = 1;
	hand_cursor_map(&c, &f, 350 + 180, 155 - 40, &x, &y);
	assert_true(fabs(x - 0.5) < 1e-9 && fabs(y - 0.5) < 1e-9);
	/* Twice as far from the camera, same gesture, same cursor. */
	struct cv_rect g = { 150, 50, 50, 55 };
	c.mirrored = 0;
	hand_cursor_map(&c, &g, 175 - 90, 77.5 - 20, &x, &y);
	assert_true(fabs(x - 0.5) < 1e-9 && fabs(y - 0.5) < 1e-9);
}

static void
test_bad_input(void **s)
{
	struct hand_config c = hand_default_config();
	struct hand_tracker *ht;
	struct hand_event ev[8];
	struct cv_image grey, col;
	char err[128] = "";

	(void)s;
	c.disengage_s = 0;
	assert_null(hand_new(&c, err, sizeof err));
	assert_non_null(strstr(err, "hand:"));
	c = hand_default_config();
	c.box_u1 = c.box_u0;
	assert_null(hand_new(&c, err, sizeof err));
	c = hand_default_config();
	assert_non_null(ht = hand_new(&c, err, sizeof err));
	assert_int_equal(cv_image_alloc(&grey, 64, 48, 1), 0);
	assert_int_equal(hand_feed(ht, &grey, NULL, 0.0, ev, 8), -1);
	assert_int_equal(hand_feed(ht, NULL, NULL, 0.0, ev, 8), -1);
	assert_int_equal(cv_image_alloc(&col, 64, 48, 3), 0);
	assert_int_equal(hand_feed(ht, &col, NULL, 0.0, ev, 8), 0);
	/* A face box partly outside the frame is fine. */
	struct cv_rect f = { -20, -10, 40, 44 };
	assert_int_equal(hand_feed(ht, &col, &f, 0.1, ev, 8), 0);
	assert_int_equal(hand_engaged(ht), 0);
	cv_image_free(&grey);
	cv_image_free(&col);
	hand_free(ht);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_raise_640),
		cmocka_unit_test(test_raise_1280),
		cmocka_unit_test(test_raise_mirrored),
		cmocka_unit_test(test_raise_4th),
		cmocka_unit_test(test_other_hand),
		cmocka_unit_test(test_raise_short),
		cmocka_unit_test(test_typing),
		cmocka_unit_test(test_touch_face),
		cmocka_unit_test(test_scratch_head),
		cmocka_unit_test(test_wave_chest),
		cmocka_unit_test(test_walk_past),
		cmocka_unit_test(test_idle),
		cmocka_unit_test(test_wrong_side),
		cmocka_unit_test(test_other_hand_needs_hand),
	};

	return cmocka_run_group_tests(tests, make_quick, remove_quick);
}
