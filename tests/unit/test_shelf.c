/*
 * test_shelf — the bookshelf sensor (models/shelf.c, devices/cv_shelf.cpp)
 * on the quick set of rendered shelf clips (tests/tools/shelf-clips, run
 * from $BUILD/tools; BUILD defaults to the folder this binary was built
 * in), read back through the camera's file row (MJPG) as the daemon reads
 * them: every take and return is reported within 1 s and none that did not
 * happen (hands reaching in, people walking past, light changes, labels
 * partly hidden, the door); a book put back in another slot is found
 * there; a marker the catalogue does not know is counted, never reported;
 * a camera that vanishes in the middle of a take still gives the take once
 * it is back; a door left open for hours says nothing.  Also the marker
 * drawing/detection round trip, the in-place check, the decisions on
 * given markers, and refused configurations and frames.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "tests/unit/testutil.h"

#include "devices/camera.h"
#include "devices/cv_shelf.h"
#include "devices/cv_video.h"
#include "models/shelf.h"
#include "tests/vision/shelf_clip.h"

static char clipdir[64];

static int
make_quick(void **state)
{
	const char *build = getenv("BUILD");
	char cmd[1024], self[512];
	ssize_t n;

	(void)state;
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
	if (tmpdir_make(clipdir, sizeof clipdir, "/tmp/so-shelf-XXXXXX") < 0)
		return -1;
	snprintf(cmd, sizeof cmd, "%s/tools/shelf-clips %s --set quick --seed 1",
	    build && *build ? build : "build", clipdir);
	if (system(cmd) != 0) {
		fprintf(stderr, "test_shelf: %s failed (build the tools first)\n", cmd);
		return -1;
	}
	return 0;
}

static int
remove_quick(void **state)
{
	(void)state;
	return tmpdir_remove(clipdir);
}

/* Runs the model on a clip of the quick set; the score and the runner. */
static void
eval(const char *clip, struct shelf_runner *r, struct shelf_score *sc)
{
	char dir[256], err[1024];

	snprintf(dir, sizeof dir, "%s/%s", clipdir, clip);
	if (shelf_eval_dir(dir, SHELF_SCAN_TRACK, r, sc, err, sizeof err) < 0)
		fail_msg("%s: %s", clip, err);
	print_message("%s: %lu frames, takes %d/%d (within 1 s %d), returns %d/%d (%d), false %d+%d, "
	    "latency max %.2f s, %.2f ms/frame (max %.1f)\n", clip, r->frames, sc->takes_found, sc->takes,
	    sc->takes_1s, sc->returns_found, sc->returns, sc->returns_1s, sc->false_takes,
	    sc->false_returns, sc->lat_max, r->cpu_ms / r->frames, r->cpu_max);
}

/* Every truth event found within 1 s, nothing else. */
static void
check_exact(const char *clip, int takes, int returns)
{
	struct shelf_runner r;
	struct shelf_score sc;

	eval(clip, &r, &sc);
	assert_int_equal(sc.takes, takes);
	assert_int_equal(sc.returns, returns);
	assert_int_equal(sc.takes_1s, takes);
	assert_int_equal(sc.returns_1s, returns);
	assert_int_equal(sc.false_takes, 0);
	assert_int_equal(sc.false_returns, 0);
	assert_true(r.frames > 90);
	shelf_runner_free(&r);
}

static void test_take(void **s)         { (void)s; check_exact("quick-000-take", 1, 0); }
static void test_take_return(void **s)  { (void)s; check_exact("quick-001-take-return", 1, 1); }
static void test_busy(void **s)         { (void)s; check_exact("quick-009-busy", 2, 2); }
static void test_reach(void **s)        { (void)s; check_exact("quick-003-reach", 0, 0); }
static void test_passers(void **s)      { (void)s; check_exact("quick-004-passers", 0, 0); }
static void test_light(void **s)        { (void)s; check_exact("quick-005-light", 0, 0); }
static void test_occlusion(void **s)    { (void)s; check_exact("quick-006-occlusion", 0, 0); }
static void test_door(void **s)         { (void)s; check_exact("quick-007-door", 0, 0); }

/* Put back in another slot: reported as moved, its new home where it is. */
static void
test_return_other(void **state)
{
	struct shelf_runner r;
	struct shelf_score sc;
	struct cv_point home;
	int id = -1;

	(void)state;
	eval("quick-002-return-other", &r, &sc);
	assert_int_equal(sc.takes_1s, 1);
	assert_int_equal(sc.returns_1s, 1);
	assert_int_equal(sc.false_takes + sc.false_returns, 0);
	for (int i = 0; i < r.nev; i++)
		if (r.ev[i].type == SHELF_RETURNED) {
			assert_true(r.ev[i].moved);
			id = r.ev[i].marker;
			assert_int_equal(shelf_marker(r.m, id, &home), SHELF_ON);
			assert_true(fabsf(home.x - r.ev[i].x) < 1 && fabsf(home.y - r.ev[i].y) < 1);
		}
	assert_true(id >= 0);
	shelf_runner_free(&r);
}

/* Marker 40 is on the shelf but not in the catalogue: seen, counted, never
 * taken or returned; the take of a known book next to it still is. */
static void
test_unknown_marker(void **state)
{
	struct shelf_runner r;
	struct shelf_score sc;

	(void)state;
	eval("quick-008-unknown", &r, &sc);
	print_message("marker 40 seen in %lu frames\n", shelf_stats(r.m)->unknown[40]);
	/* Only the scan bands look for a marker that is not on the shelf: one frame in five. */
	assert_true(shelf_stats(r.m)->unknown[40] > 10);
	assert_int_equal(sc.takes_1s, 1);
	assert_int_equal(sc.false_takes + sc.false_returns, 0);
	for (int i = 0; i < r.nev; i++)
		assert_int_not_equal(r.ev[i].marker, 40);
	shelf_runner_free(&r);
}

/* The camera vanishes from just before the hand reaches the book until
 * after it has left with it: no frames, shelf_camera_lost; once frames
 * come again the take is still reported, once, within settle + take + 1 s. */
static void
test_camera_lost_mid_take(void **state)
{
	struct shelf_truth truth[64];
	struct shelf_runner r;
	struct cv_image im = { 0 };
	struct camera *cam;
	char dir[256], spec[300], err[512];
	double t, t_back = -1, t_take = -1;
	int nt, rc, lost = 0, takes = 0, id = -1;

	(void)state;
	snprintf(dir, sizeof dir, "%s/quick-000-take", clipdir);
	assert_true((nt = shelf_truth_read(dir, truth, 64, err, sizeof err)) > 0);
	for (int i = 0; i < nt; i++)
		if (!strcmp(truth[i].kind, "taken")) {
			t_take = truth[i].t;
			id = truth[i].id;
		}
	assert_true(t_take > 2);
	snprintf(spec, sizeof spec, "file:%s/video.avi", dir);
	assert_non_null(cam = camera_open("shelf", spec, 0, err, sizeof err));
	assert_int_equal(shelf_runner_init(&r, SHELF_SCAN_TRACK, truth, nt, err, sizeof err), 0);
	while ((rc = camera_read(cam, &im, &t, err, sizeof err)) > 0) {
		/* Gone from 1.2 s before the book leaves until 0.8 s after. */
		if (t > t_take - 1.2 && t < t_take + 0.8) {
			if (!lost++)
				shelf_camera_lost(r.m, t);
			continue;
		}
		if (lost && t_back < 0)
			t_back = t;
		assert_int_equal(shelf_runner_frame(&r, &im, t, err, sizeof err), 0);
	}
	assert_int_equal(rc, 0);
	assert_true(lost > 10);
	for (int i = 0; i < r.nev; i++) {
		assert_int_equal(r.ev[i].type, SHELF_TAKEN);
		assert_int_equal(r.ev[i].marker, id);
		assert_true(r.ev[i].t >= t_back);
		assert_true(r.ev[i].t <= t_back + 0.6 + 0.5 + 1.0);
		takes++;
	}
	assert_int_equal(takes, 1);
	shelf_runner_free(&r);
	camera_close(cam);
	cv_image_free(&im);
}

/* The door reports open for three hours over a still shelf: not one event,
 * the books all still on, the frame time bounded. */
static void
test_door_open_for_hours(void **state)
{
	struct shelf_config cfg = shelf_default_config();
	struct shelf_event ev[8];
	struct cv_image im = { 0 };
	struct camera *cam;
	struct shelf *m;
	char spec[300], err[512];
	double t = 0;
	int on = 0;

	(void)state;
	/* A frame of the light clip with the door open: 12 books on the shelf. */
	snprintf(spec, sizeof spec, "file:%s/quick-006-occlusion/video.avi", clipdir);
	assert_non_null(cam = camera_open("shelf", spec, 0, err, sizeof err));
	for (int i = 0; i < 30; i++)
		assert_int_equal(camera_read(cam, &im, &t, err, sizeof err), 1);
	camera_close(cam);
	assert_non_null(m = shelf_new(&cfg, err, sizeof err));
	shelf_set_door(m, 0, 1);
	for (long k = 0; k < 3 * 3600 / 2; k++)
		assert_int_equal(shelf_frame(m, &im, k * 2.0, ev, 8, err, sizeof err), 0);
	for (int id = 0; id < SHELF_NIDS; id++)
		on += shelf_marker(m, id, NULL) == SHELF_ON;
	assert_int_equal(on, 12);
	assert_true(shelf_door_open(m));
	print_message("3 h open: %lu frames, %.2f ms/frame\n", shelf_stats(m)->frames,
	    shelf_stats(m)->det_ms_sum / shelf_stats(m)->frames);
	shelf_free(m);
	cv_image_free(&im);
}

/* ---- markers ---- */

static void
test_marker_round_trip(void **state)
{
	struct cv_aruco_conf conf = { .min_side_px = 10, .fast = 1 };
	struct cv_image frame = { 0 }, mk = { 0 };
	struct cv_marker found[CV_ARUCO_MAX];
	struct cv_aruco *a;
	char err[256];
	int seen[CV_ARUCO_NIDS] = { 0 }, n;

	(void)state;
	assert_non_null(a = cv_aruco_new(&conf, err, sizeof err));
	/* All 50 markers, 30 px each, on a grey page with white margins. */
	assert_int_equal(cv_image_alloc(&frame, 1280, 720, 3), 0);
	memset(frame.data, 200, frame.stride * 720);
	for (int id = 0; id < CV_ARUCO_NIDS; id++) {
		int x0 = 40 + (id % 10) * 120, y0 = 40 + (id / 10) * 130;
		assert_int_equal(cv_aruco_draw(id, 30, &mk, err, sizeof err), 0);
		for (int y = -8; y < 38; y++)
			for (int x = -8; x < 38; x++) {
				int v = x >= 0 && y >= 0 && x < 30 && y < 30 ? mk.data[y * mk.stride + x] : 255;
				memset(frame.data + (size_t)(y0 + y) * frame.stride + (size_t)(x0 + x) * 3, v, 3);
			}
	}
	n = cv_aruco_detect(a, &frame, NULL, found, CV_ARUCO_MAX, err, sizeof err);
	assert_int_equal(n, CV_ARUCO_NIDS);
	for (int i = 0; i < n; i++) {
		int id = found[i].id;
		assert_true(id >= 0 && id < CV_ARUCO_NIDS);
		seen[id]++;
		assert_true(fabsf(found[i].centre.x - (40 + (id % 10) * 120 + 15)) < 2);
		assert_true(fabsf(found[i].centre.y - (40 + (id / 10) * 130 + 15)) < 2);
		assert_true(fabsf(found[i].side - 30) < 3);
		/* In place it verifies; moved by half its size, or as another id, not. */
		assert_int_equal(cv_aruco_verify(a, &frame, &found[i], err, sizeof err), 1);
		struct cv_marker moved = found[i];
		for (int k = 0; k < 4; k++)
			moved.corner[k].x += 60;
		assert_int_equal(cv_aruco_verify(a, &frame, &moved, err, sizeof err), 0);
		moved = found[i];
		moved.id = (id + 1) % CV_ARUCO_NIDS;
		assert_int_equal(cv_aruco_verify(a, &frame, &moved, err, sizeof err), 0);
	}
	for (int id = 0; id < CV_ARUCO_NIDS; id++)
		assert_int_equal(seen[id], 1);
	/* A window finds only what is in it. */
	struct cv_rect roi = { 20, 20, 260, 120 };
	n = cv_aruco_detect(a, &frame, &roi, found, CV_ARUCO_MAX, err, sizeof err);
	assert_int_equal(n, 2);
	/* Refused: an id outside the dictionary, a tiny side, no image. */
	assert_int_equal(cv_aruco_draw(50, 30, &mk, err, sizeof err), -1);
	assert_non_null(strstr(err, "ids 0..49"));
	assert_int_equal(cv_aruco_draw(3, 2, &mk, err, sizeof err), -1);
	assert_int_equal(cv_aruco_detect(a, NULL, NULL, found, 4, err, sizeof err), -1);
	cv_aruco_free(a);
	cv_image_free(&frame);
	cv_image_free(&mk);
}

/* ---- decisions on given markers (no image: the spine checks are skipped) ---- */

static struct cv_marker
marker(int id, float x, float y)
{
	struct cv_marker m = { .id = id, .centre = { x, y }, .side = 30 };

	m.corner[0] = (struct cv_point){ x - 15, y - 15 };
	m.corner[1] = (struct cv_point){ x + 15, y - 15 };
	m.corner[2] = (struct cv_point){ x + 15, y + 15 };
	m.corner[3] = (struct cv_point){ x - 15, y + 15 };
	return m;
}

static void
test_decisions(void **state)
{
	struct shelf_config cfg = shelf_default_config();
	struct shelf_event ev[8];
	struct cv_marker m[3];
	struct shelf *s;
	char err[256];
	double t = 0;
	int n, taken = 0, returned = 0;

	(void)state;
	assert_non_null(s = shelf_new(&cfg, err, sizeof err));
	shelf_set_door(s, 0, 0);
	m[0] = marker(1, 100, 200);
	m[1] = marker(2, 300, 200);
	/* Learnt silently, door closed or not. */
	for (; t < 1; t += 1 / 15.0)
		assert_int_equal(shelf_observe(s, NULL, t, m, 2, ev, 8), 0);
	assert_int_equal(shelf_marker(s, 1, NULL), SHELF_ON);
	/* Door closed: marker 1 gone for 5 s is not a take. */
	for (; t < 6; t += 1 / 15.0)
		assert_int_equal(shelf_observe(s, NULL, t, &m[1], 1, ev, 8), 0);
	assert_int_equal(shelf_marker(s, 1, NULL), SHELF_ON);
	/* Door open: after settle_s, gone for take_s is a take (once). */
	shelf_set_door(s, t, 1);
	for (double t0 = t; t < t0 + 3; t += 1 / 15.0) {
		n = shelf_observe(s, NULL, t, &m[1], 1, ev, 8);
		for (int i = 0; i < n; i++) {
			assert_int_equal(ev[i].type, SHELF_TAKEN);
			assert_int_equal(ev[i].marker, 1);
			assert_true(t >= t0 + cfg.settle_s + cfg.take_s - 0.1);
			assert_true(t <= t0 + cfg.settle_s + cfg.take_s + 0.2);
			taken++;
		}
	}
	assert_int_equal(taken, 1);
	/* Back in another place, still for return_s: returned, moved. */
	m[2] = marker(1, 500, 200);
	for (double t0 = t; t < t0 + 2; t += 1 / 15.0) {
		struct cv_marker both[2] = { m[1], m[2] };
		n = shelf_observe(s, NULL, t, both, 2, ev, 8);
		for (int i = 0; i < n; i++) {
			assert_int_equal(ev[i].type, SHELF_RETURNED);
			assert_true(ev[i].moved);
			assert_true(t - t0 >= cfg.return_s - 0.1 && t - t0 <= cfg.return_s + 0.2);
			returned++;
		}
	}
	assert_int_equal(returned, 1);
	/* Held up to the camera (twice the size): never a return. */
	n = 0;
	for (int k = 0; k < 40; k++) {
		struct cv_marker big = marker(2, 300, 400);
		big.side = 60;
		m[0] = marker(1, 500, 200);
		if (k == 0) {
			/* First take marker 2 away. */
			for (double t0 = t; t < t0 + 2; t += 1 / 15.0)
				n += shelf_observe(s, NULL, t, &m[0], 1, ev, 8);
			assert_int_equal(n, 1);
			assert_int_equal(shelf_marker(s, 2, NULL), SHELF_GONE);
		}
		struct cv_marker both[2] = { m[0], big };
		assert_int_equal(shelf_observe(s, NULL, t, both, 2, ev, 8), 0);
		t += 1 / 15.0;
	}
	assert_int_equal(shelf_marker(s, 2, NULL), SHELF_GONE);
	shelf_free(s);
}

static void
test_refused(void **state)
{
	struct shelf_config cfg = shelf_default_config();
	struct shelf_event ev[4];
	struct cv_image tiny = { 0 };
	struct shelf *s;
	char err[256];

	(void)state;
	cfg.take_s = 0;
	assert_null(shelf_new(&cfg, err, sizeof err));
	assert_non_null(strstr(err, "take_s"));
	cfg = shelf_default_config();
	cfg.scan_bands = 0;
	assert_null(shelf_new(&cfg, err, sizeof err));
	assert_non_null(strstr(err, "scan_bands"));
	cfg = shelf_default_config();
	assert_non_null(s = shelf_new(&cfg, err, sizeof err));
	assert_int_equal(shelf_frame(s, NULL, 0, ev, 4, err, sizeof err), -1);
	assert_int_equal(cv_image_alloc(&tiny, 8, 8, 3), 0);
	assert_int_equal(shelf_frame(s, &tiny, 0, ev, 4, err, sizeof err), -1);
	assert_non_null(strstr(err, "no frame"));
	/* Markers with ids outside the dictionary are ignored. */
	struct cv_marker odd = marker(77, 10, 10);
	assert_int_equal(shelf_observe(s, NULL, 0, &odd, 1, ev, 4), 0);
	shelf_free(s);
	cv_image_free(&tiny);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_marker_round_trip),
		cmocka_unit_test(test_decisions),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_take),
		cmocka_unit_test(test_take_return),
		cmocka_unit_test(test_return_other),
		cmocka_unit_test(test_busy),
		cmocka_unit_test(test_reach),
		cmocka_unit_test(test_passers),
		cmocka_unit_test(test_light),
		cmocka_unit_test(test_occlusion),
		cmocka_unit_test(test_door),
		cmocka_unit_test(test_unknown_marker),
		cmocka_unit_test(test_camera_lost_mid_take),
		cmocka_unit_test(test_door_open_for_hours),
	};

	return cmocka_run_group_tests(tests, make_quick, remove_quick);
}
