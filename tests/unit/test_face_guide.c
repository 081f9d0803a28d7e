/*
 * test_face_guide — the guided enrollment (models/face_guide.c) on real
 * faces: AT&T/ORL photos of s1 looking straight, turned one way and the
 * other, as frames of a 15 fps camera, through the real BlazeFace model,
 * fed as `face enroll --camera` and the daemon's vision thread feed them:
 * the poses asked in order, the frames kept (3 a pose, 0.3 s apart), a pose
 * not shown skipped after 8 s, too few straight frames a failure, and the
 * kept frames enroll a face that verifies s1's other photos and not
 * another person's.
 *
 * Run from the repository root (tests/run-unit does); the faces are
 * ../shared/data/faces/orl (or $ORL_DIR).  A missing model or face fails.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/testutil.h"

#include "models/face.h"
#include "models/face_guide.h"

#define FPS 15.0

static struct face_ctx *ctx;
static struct cv_image photos[11];   /* s1's photos 1..10 */

static int
setup(void **st)
{
	struct face_config fc = { FACE_DEFAULT_MODEL, NULL, FACE_DEFAULT_MIN_SCORE, 0, 0,
	    FACE_DESC_EMBEDDING, NULL };
	const char *dir = getenv("ORL_DIR");
	char err[512], path[512];

	(void)st;
	if ((ctx = face_open(&fc, err, sizeof err)) == NULL) {
		fprintf(stderr, "face_open: %s\n", err);
		return -1;
	}
	for (int k = 1; k <= 10; k++) {
		snprintf(path, sizeof path, "%s/s1/%d.pgm", dir && *dir ? dir : "../shared/data/faces/orl", k);
		if (cv_face_read_image(path, &photos[k], err, sizeof err) == -1) {
			fprintf(stderr, "%s (set ORL_DIR)\n", err);
			return -1;
		}
	}
	return 0;
}

static int
teardown(void **st)
{
	(void)st;
	for (int k = 1; k <= 10; k++)
		cv_image_free(&photos[k]);
	face_close(ctx);
	return 0;
}

/* What one run said, in order. */
struct run {
	unsigned all;                 /* every mask or'ed */
	int      poses[8], npose;     /* FACE_GUIDE_POSE: the pose asked */
	double   t_pose[8];
	int      skipped[8], nskip;
	double   t_skip[8];
	double   kept_t[FACE_GUIDE_MAX_FRAMES];
	int      kept_pose[FACE_GUIDE_MAX_FRAMES], nkept;
	unsigned end;                 /* DONE or FAILED, from a feed or the end */
	double   t_end;
};

/* Feeds the frames seq[0..n) (photo numbers, one per frame at 15 fps) as
 * the command line does: faces detected only when the guide wants them. */
static void
feed(struct face_guide *g, const int *seq, int n, struct run *r)
{
	struct face_det det[2];
	char err[256];
	unsigned ev;
	int i;

	memset(r, 0, sizeof *r);
	face_guide_start(g);
	for (i = 0; i < n && !r->end; i++) {
		double t = i / FPS;
		const struct cv_image *im = &photos[seq[i]];
		int nd = face_guide_wants(g, t) ? face_detect(ctx, im, det, 2, err, sizeof err) : -1;
		ev = face_guide_feed(g, t, im, det, nd);
		r->all |= ev;
		if ((ev & FACE_GUIDE_SKIPPED) && r->nskip < 8) {
			r->t_skip[r->nskip] = t;
			r->skipped[r->nskip++] = g->skipped;
		}
		if ((ev & FACE_GUIDE_POSE) && r->npose < 8) {
			r->t_pose[r->npose] = t;
			r->poses[r->npose++] = g->pose;
		}
		if (ev & FACE_GUIDE_KEPT) {
			assert_true(r->nkept < FACE_GUIDE_MAX_FRAMES);
			r->kept_t[r->nkept] = t;
			r->kept_pose[r->nkept++] = g->pose;
		}
		if (ev & (FACE_GUIDE_DONE | FACE_GUIDE_FAILED)) {
			r->end = ev & (FACE_GUIDE_DONE | FACE_GUIDE_FAILED);
			r->t_end = t;
		}
	}
	if (!r->end) {
		r->end = face_guide_end(g);
		r->t_end = (n - 1) / FPS;
	}
	assert_int_equal(face_guide_end(g), 0);   /* over: said once */
}

/* s1 straight (photos 1, 3: yaw about 0), turned one way (2, 5), the other
 * (4, 6), 8 frames each photo: as tests/integration/face.sh's camera. */
static void
test_poses_and_enroll(void **st)
{
	int seq[48], order[6] = { 1, 3, 2, 5, 4, 6 }, matched = 0;
	struct face_guide g = { 0 };
	struct face_person *p;
	struct face_verdict v;
	struct run r;
	char dir[64], err[512];
	int missing;

	(void)st;
	for (int i = 0; i < 48; i++)
		seq[i] = order[i / 8];
	feed(&g, seq, 48, &r);
	assert_int_equal(r.end, FACE_GUIDE_DONE);
	assert_int_equal(g.got[0], 3);
	assert_int_equal(g.got[1], 3);
	assert_int_equal(g.got[2], 3);
	assert_int_equal(g.got[3], 0);
	assert_int_equal(g.got[4], 0);
	assert_int_equal(g.n, 9);
	/* asked for left, right, then up; up and down never seen */
	assert_true(r.npose >= 3);
	assert_int_equal(r.poses[0], 1);
	assert_int_equal(r.poses[1], 2);
	assert_int_equal(r.poses[2], 3);
	assert_int_equal(g.skipped_at_end, (1u << 3) | (1u << 4));
	assert_string_equal(face_guide_pose_name(1), "left");
	assert_string_equal(face_guide_pose_say(0), "look straight at the camera");
	/* kept in pose order, at least 0.3 s apart, each pose's after its prompt */
	for (int i = 0; i < r.nkept; i++) {
		assert_int_equal(r.kept_pose[i], i / 3);
		if (i > 0)
			assert_true(r.kept_t[i] - r.kept_t[i - 1] >= FACE_GUIDE_GAP_S - 1e-9);
		if (i >= 3)
			assert_true(r.kept_t[i] >= r.t_pose[i / 3 - 1]);
	}
	/* the kept frames enroll s1 */
	assert_int_equal(tmpdir_make(dir, sizeof dir, "/tmp/so-guide-XXXXXX"), 0);
	if (face_enroll(ctx, dir, "s1", g.ims, g.n, err, sizeof err) == -1)
		fail_msg("face_enroll: %s", err);
	assert_non_null(p = face_person_load(dir, "s1", &missing, err, sizeof err));
	for (int k = 7; k <= 10; k++) {
		assert_int_equal(face_person_verify(ctx, p, &photos[k], &v, err, sizeof err), 0);
		matched += v.match;
	}
	printf("  kept 3/3/3/0/0; s1's photos 7-10: %d of 4 match\n", matched);
	assert_int_equal(matched, 4);
	{
		struct cv_image other;
		const char *odir = getenv("ORL_DIR");
		char path[512];
		snprintf(path, sizeof path, "%s/s4/1.pgm", odir && *odir ? odir : "../shared/data/faces/orl");
		assert_int_equal(cv_face_read_image(path, &other, err, sizeof err), 0);
		assert_int_equal(face_person_verify(ctx, p, &other, &v, err, sizeof err), 0);
		assert_false(v.match);
		cv_image_free(&other);
	}
	face_person_free(p);
	face_guide_clear(&g);
	assert_int_equal(g.n, 0);
	tmpdir_remove(dir);
}

/* Straight for 1 s, then straight still for 10 s: the left pose is
 * skipped 8 s after it was asked for, and right is asked next. */
static void
test_pose_skipped(void **st)
{
	int seq[165];
	struct face_guide g = { 0 };
	struct run r;

	(void)st;
	for (int i = 0; i < 165; i++)
		seq[i] = i % 16 < 8 ? 1 : 3;
	feed(&g, seq, 165, &r);
	assert_true(r.nskip >= 1);
	assert_int_equal(r.skipped[0], 1);
	assert_int_equal(r.poses[0], 1);
	assert_true(r.t_skip[0] - r.t_pose[0] > FACE_GUIDE_POSE_S);
	assert_true(r.t_skip[0] - r.t_pose[0] <= FACE_GUIDE_POSE_S + 1.5 / FPS);
	assert_int_equal(r.poses[1], 2);             /* right, at the same frame */
	assert_true(r.t_pose[1] == r.t_skip[0]);
	assert_int_equal(g.got[1], 0);
	assert_int_equal(g.got[0], 3);
	face_guide_clear(&g);
}

/* Only a turned face: after 8 s the straight pose fails the enrollment,
 * nothing kept; the reason says how many straight frames there were. */
static void
test_no_straight_fails(void **st)
{
	int seq[140];
	struct face_guide g = { 0 };
	struct run r;
	char why[160];

	(void)st;
	for (int i = 0; i < 140; i++)
		seq[i] = 2;
	feed(&g, seq, 140, &r);
	assert_int_equal(r.end, FACE_GUIDE_FAILED);
	assert_true(r.all & FACE_GUIDE_SKIPPED);
	assert_int_equal(r.skipped[0], 0);
	assert_true(r.t_end > FACE_GUIDE_POSE_S && r.t_end < FACE_GUIDE_POSE_S + 0.2);
	assert_int_equal(g.n, 0);
	face_guide_why(&g, why, sizeof why);
	assert_string_equal(why, "only 0 frames looking straight with one face; at least 3 are needed");
	face_guide_clear(&g);
}

/* Two faces, or a frame not looked at, are never kept; wants() is 0
 * during the gap after a kept frame. */
static void
test_one_face_only(void **st)
{
	struct face_guide g = { 0 };
	struct face_det det[2];
	char err[256];

	(void)st;
	face_guide_start(&g);
	assert_int_equal(face_detect(ctx, &photos[1], det, 2, err, sizeof err), 1);
	det[1] = det[0];
	assert_int_equal(face_guide_feed(&g, 0.0, &photos[1], det, 2), 0);
	assert_int_equal(face_guide_feed(&g, 0.1, &photos[1], det, -1), 0);
	assert_int_equal(face_guide_feed(&g, 0.2, &photos[1], det, 0), 0);
	assert_true(face_guide_wants(&g, 0.3));
	assert_int_equal(face_guide_feed(&g, 0.3, &photos[1], det, 1), FACE_GUIDE_KEPT);
	assert_false(face_guide_wants(&g, 0.5));
	assert_int_equal(face_guide_feed(&g, 0.5, &photos[1], det, 1), 0);
	assert_true(face_guide_wants(&g, 0.6));
	assert_int_equal(g.got[0], 1);
	/* started again: nothing kept */
	face_guide_start(&g);
	assert_int_equal(g.n, 0);
	assert_int_equal(g.got[0], 0);
	face_guide_clear(&g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_poses_and_enroll),
		cmocka_unit_test(test_pose_skipped),
		cmocka_unit_test(test_no_straight_fails),
		cmocka_unit_test(test_one_face_only),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
