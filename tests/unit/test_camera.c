/*
 * test_camera — camera sources (devices/camera*.c) and the OpenCV video
 * wrapper (devices/cv_video.cpp): a synthetic MJPG clip and image folders
 * made at test time (frame numbers drawn as blocks, so a frame read back
 * says which it is), pacing, frames.tsv timing, bad input, and a camera
 * that vanishes mid-stream, played by a test ops table over the file row,
 * reopened with back-off on a fake clock.
 */
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/testutil.h"

#include "base/log.h"
#include "devices/camera.h"
#include "devices/cv_video.h"

#define W      320
#define H      240
#define NBITS  8
#define CLIP_N 30
#define CLIP_FPS 10.0

static char dir[64];

/* ---- frames that say their number ---- */

/* Draws frame k: NBITS blocks across the top, white for a 1 bit, on grey. */
static void
draw_frame(struct cv_image *im, int k)
{
	int bw = W / NBITS;

	if (im->data == NULL && cv_image_alloc(im, W, H, 3) < 0)
		fail_msg("out of memory");
	memset(im->data, 96, im->stride * (size_t)im->h);
	for (int b = 0; b < NBITS; b++) {
		uint8_t v = (k >> b) & 1 ? 250 : 5;
		for (int y = 0; y < 60; y++)
			memset(im->data + (size_t)y * im->stride + (size_t)b * bw * 3, v, (size_t)bw * 3);
	}
	/* Something that is not flat, so the encoder has work to do. */
	for (int y = 80; y < H; y++)
		for (int x = 0; x < W; x++)
			im->data[(size_t)y * im->stride + x * 3 + 1] = (uint8_t)((x + y + k * 7) & 0xff);
}

/* Reads back the number drawn by draw_frame (lossy coding survives). */
static int
frame_number(const struct cv_image *im)
{
	int bw = im->w / NBITS, k = 0;

	assert_int_equal(im->channels, 3);
	for (int b = 0; b < NBITS; b++) {
		long sum = 0, n = 0;
		for (int y = 15; y < 45; y++)
			for (int x = b * bw + 8; x < (b + 1) * bw - 8; x++, n++)
				sum += im->data[(size_t)y * im->stride + x * 3];
		if (sum / n > 128)
			k |= 1 << b;
	}
	return k;
}

static void
path_in(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", dir, name);
}

static void
write_clip(const char *name, int n, double fps)
{
	char path[256], err[512];
	struct cv_image im = { 0 };
	struct cv_writer *wr;

	path_in(path, sizeof path, name);
	if ((wr = cv_writer_open(path, W, H, fps, err, sizeof err)) == NULL)
		fail_msg("cv_writer_open: %s", err);
	for (int k = 0; k < n; k++) {
		draw_frame(&im, k);
		if (cv_writer_write(wr, &im, err, sizeof err) < 0)
			fail_msg("cv_writer_write: %s", err);
	}
	cv_writer_close(wr);
	cv_image_free(&im);
}

/* A folder sub/ holding frames first..first+n-1 named by fmt, written
 * last first so that the order on disk is not the order asked for. */
static void
write_folder(const char *sub, const char *fmt, int n)
{
	char path[512], name[64], err[512];
	struct cv_image im = { 0 };

	path_in(path, sizeof path, sub);
	assert_int_equal(mkdir(path, 0700), 0);
	for (int k = n - 1; k >= 0; k--) {
		snprintf(name, sizeof name, fmt, k);
		snprintf(path, sizeof path, "%s/%s/%s", dir, sub, name);
		draw_frame(&im, k);
		if (cv_image_save(path, &im, err, sizeof err) < 0)
			fail_msg("cv_image_save: %s", err);
	}
	cv_image_free(&im);
}

static int
setup_dir(void **state)
{
	log_init(-1);
	return tmpdir_make(dir, sizeof dir, "/tmp/so-cam-XXXXXX");
}

static int
teardown_dir(void **state)
{
	return tmpdir_remove(dir);
}

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static struct camera *
open_spec(const char *fmt, const char *arg, int realtime)
{
	char spec[512], err[1024] = "";
	struct camera *c;

	snprintf(spec, sizeof spec, fmt, arg);
	if ((c = camera_open("room", spec, realtime, err, sizeof err)) == NULL)
		fail_msg("camera_open(%s): %s", spec, err);
	return c;
}

/* ---- tests ---- */

static void
test_video_file_frames(void **state)
{
	char path[256], err[512];
	struct cv_image im = { 0 };
	struct camera *c;
	uint8_t *first_buf = NULL;
	double t;
	int k;

	write_clip("clip.avi", CLIP_N, CLIP_FPS);
	path_in(path, sizeof path, "clip.avi");
	c = open_spec("file:%s", path, 0);
	assert_string_equal(c->role, "room");
	assert_true(fabs(c->fps - CLIP_FPS) < 1e-6);
	assert_int_equal(c->nframes, CLIP_N);
	assert_int_equal(c->w, W);
	assert_int_equal(c->h, H);
	for (k = 0; ; k++) {
		int r = camera_read(c, &im, &t, err, sizeof err);
		if (r < 0)
			fail_msg("camera_read: %s", err);
		if (r == 0)
			break;
		assert_int_equal(im.w, W);
		assert_int_equal(im.h, H);
		assert_int_equal(frame_number(&im), k);
		assert_true(fabs(t - k / CLIP_FPS) < 1e-9);
		/* The caller's buffer is reused from the second frame on. */
		if (k == 1)
			first_buf = im.data;
		else if (k > 1)
			assert_ptr_equal(im.data, first_buf);
	}
	assert_int_equal(k, CLIP_N);
	assert_int_equal(c->frames, CLIP_N);
	assert_int_equal(camera_read(c, &im, &t, err, sizeof err), 0);
	camera_close(c);
	cv_image_free(&im);
}

static void
test_image_folder_order_and_fps(void **state)
{
	char path[256], err[512];
	struct cv_image im = { 0 };
	struct camera *c;
	double t;
	int k;

	write_folder("imgs", "frame_%03d.png", 12);
	path_in(path, sizeof path, "imgs/notes.txt");
	write_file(path, "not an image\n");
	path_in(path, sizeof path, "imgs");

	/* Default 15 fps. */
	c = open_spec("images:%s", path, 0);
	assert_true(fabs(c->fps - CAMERA_IMAGES_FPS) < 1e-9);
	assert_int_equal(c->nframes, 12);
	for (k = 0; camera_read(c, &im, &t, err, sizeof err) == 1; k++) {
		assert_int_equal(frame_number(&im), k);
		assert_true(fabs(t - k / 15.0) < 1e-9);
	}
	assert_int_equal(k, 12);
	assert_int_equal(c->skipped, 0);
	camera_close(c);

	/* @FPS from the spec. */
	c = open_spec("images:%s@20", path, 0);
	assert_true(fabs(c->fps - 20) < 1e-9);
	for (k = 0; camera_read(c, &im, &t, err, sizeof err) == 1; k++) {
		assert_int_equal(frame_number(&im), k);
		assert_true(fabs(t - k / 20.0) < 1e-9);
	}
	assert_int_equal(k, 12);
	camera_close(c);
	cv_image_free(&im);
}

static void
test_frames_tsv_timing(void **state)
{
	static const double times[] = { 0.0, 0.1, 0.35, 1.0, 1.0, 2.5 };
	/* The tsv lists the frames in an order other than their names. */
	static const int order[] = { 5, 0, 3, 1, 4, 2 };
	char path[256], line[128], err[1024] = "", text[1024] = "# recorded\n";
	struct cv_image im = { 0 };
	struct camera *c;
	double t;
	int k;

	write_folder("tsv", "%02d.jpg", 6);
	for (k = 0; k < 6; k++) {
		snprintf(line, sizeof line, "%02d.jpg\t%g\n", order[k], times[k]);
		strcat(text, line);
	}
	path_in(path, sizeof path, "tsv/frames.tsv");
	write_file(path, text);
	path_in(path, sizeof path, "tsv");
	c = open_spec("images:%s@99", path, 0);    /* the tsv wins over @FPS */
	assert_true(fabs(c->fps - 5 / 2.5) < 1e-9);
	for (k = 0; camera_read(c, &im, &t, err, sizeof err) == 1; k++) {
		assert_int_equal(frame_number(&im), order[k]);
		assert_true(fabs(t - times[k]) < 1e-9);
	}
	assert_int_equal(k, 6);
	camera_close(c);
	cv_image_free(&im);

	/* A time that goes back is a file:line error. */
	path_in(path, sizeof path, "tsv/frames.tsv");
	write_file(path, "00.jpg\t0\n01.jpg\t0.5\n02.jpg\t0.2\n");
	path_in(path, sizeof path, "tsv");
	snprintf(text, sizeof text, "images:%s", path);
	assert_null(camera_open("room", text, 0, err, sizeof err));
	assert_non_null(strstr(err, "frames.tsv:3:"));
	assert_non_null(strstr(err, "goes back"));
	path_in(path, sizeof path, "tsv/frames.tsv");
	write_file(path, "00.jpg\t0\n01.jpg 0.5\n");
	assert_null(camera_open("room", text, 0, err, sizeof err));
	assert_non_null(strstr(err, "frames.tsv:2:"));
	assert_non_null(strstr(err, "NAME<TAB>SECONDS"));
}

static void
test_realtime_pacing(void **state)
{
	char path[256], err[512];
	struct cv_image im = { 0 };
	struct camera *c;
	double t, t0 = 0, dt;
	int k;

	write_folder("pace", "p%02d.png", 10);
	path_in(path, sizeof path, "pace");
	/* 10 frames at 50 fps: the last comes 0.18 s after the first. */
	c = open_spec("images:%s@50", path, 1);
	for (k = 0; camera_read(c, &im, &t, err, sizeof err) == 1; k++)
		if (k == 0)
			t0 = now();
	dt = now() - t0;
	assert_int_equal(k, 10);
	if (dt < 0.17 || dt > 1.0)
		fail_msg("0.18 s of frames read in %.3f s", dt);
	camera_close(c);

	/* Not realtime: far faster. */
	c = open_spec("images:%s@5", path, 0);     /* 1.8 s of frames */
	t0 = now();
	for (k = 0; camera_read(c, &im, &t, err, sizeof err) == 1; k++)
		;
	assert_int_equal(k, 10);
	assert_true(now() - t0 < 1.0);
	camera_close(c);
	cv_image_free(&im);
}

static void
test_corrupt_and_missing_video(void **state)
{
	char path[256], spec[300], err[1024] = "";
	FILE *f;

	path_in(path, sizeof path, "random.avi");
	assert_non_null(f = fopen(path, "wb"));
	srand(7);
	for (int i = 0; i < 64 * 1024; i++)
		fputc(rand() & 0xff, f);
	fclose(f);
	snprintf(spec, sizeof spec, "file:%s", path);
	assert_null(camera_open("room", spec, 0, err, sizeof err));
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "not a decodable video"));

	/* A real clip cut to its first 3 KB: no whole frame in it. */
	write_clip("whole.avi", 5, 10);
	{
		char whole[256], cut[256], buf[3072];
		size_t n;
		FILE *in, *out;
		path_in(whole, sizeof whole, "whole.avi");
		path_in(cut, sizeof cut, "cut.avi");
		assert_non_null(in = fopen(whole, "rb"));
		assert_non_null(out = fopen(cut, "wb"));
		n = fread(buf, 1, sizeof buf, in);
		assert_int_equal(fwrite(buf, 1, n, out), n);
		fclose(in);
		fclose(out);
		snprintf(spec, sizeof spec, "file:%s", cut);
		err[0] = '\0';
		assert_null(camera_open("room", spec, 0, err, sizeof err));
		assert_non_null(strstr(err, "cut.avi"));
		assert_non_null(strstr(err, "not a decodable video"));
	}

	snprintf(spec, sizeof spec, "file:%s/nothere.avi", dir);
	assert_null(camera_open("room", spec, 0, err, sizeof err));
	assert_non_null(strstr(err, "nothere.avi"));
	assert_non_null(strstr(err, "No such file"));

	snprintf(spec, sizeof spec, "file:%s", dir);
	assert_null(camera_open("room", spec, 0, err, sizeof err));
	assert_non_null(strstr(err, "not a regular file"));
}

static void
test_empty_and_broken_folders(void **state)
{
	char path[256], spec[300], err[1024] = "";
	struct cv_image im = { 0 };
	struct camera *c;
	double t;
	int k, seen[8], n = 0;

	path_in(path, sizeof path, "empty");
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(spec, sizeof spec, "images:%s", path);
	assert_null(camera_open("room", spec, 0, err, sizeof err));
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "no image files"));

	/* Only a broken image: refused at open. */
	path_in(path, sizeof path, "empty/broken.jpg");
	write_file(path, "this is no JPEG\n");
	err[0] = '\0';
	assert_null(camera_open("room", spec, 0, err, sizeof err));
	assert_non_null(strstr(err, "none of the 1 image file(s) could be decoded"));

	/* A broken one among good ones: skipped, the others keep their time. */
	write_folder("mixed", "m%d.png", 4);
	path_in(path, sizeof path, "mixed/m2.png");
	write_file(path, "truncated\n");
	path_in(path, sizeof path, "mixed");
	c = open_spec("images:%s@10", path, 0);
	while (camera_read(c, &im, &t, err, sizeof err) == 1) {
		k = frame_number(&im);
		assert_true(fabs(t - k / 10.0) < 1e-9);
		seen[n++] = k;
	}
	assert_int_equal(n, 3);
	assert_int_equal(seen[0], 0);
	assert_int_equal(seen[1], 1);
	assert_int_equal(seen[2], 3);
	assert_int_equal(c->skipped, 1);
	camera_close(c);
	cv_image_free(&im);

	snprintf(spec, sizeof spec, "images:%s/nothere", dir);
	assert_null(camera_open("room", spec, 0, err, sizeof err));
	assert_non_null(strstr(err, "nothere"));
	assert_non_null(strstr(err, "No such file"));
}

static void
test_bad_specs(void **state)
{
	char err[512] = "";

	assert_null(camera_open("room", "webcam:0", 0, err, sizeof err));
	assert_non_null(strstr(err, "\"webcam:0\""));
	assert_non_null(strstr(err, "file:PATH"));
	assert_non_null(strstr(err, "v4l2:DEV"));
	err[0] = '\0';
	assert_null(camera_open("room", "", 0, err, sizeof err));
	assert_non_null(strstr(err, "camera \"\""));
	err[0] = '\0';
	assert_null(camera_open("room", "file:", 0, err, sizeof err));
	assert_non_null(strstr(err, "\"file:\""));
	err[0] = '\0';
	assert_null(camera_open("room", "images:/tmp@0", 0, err, sizeof err));
	assert_non_null(strstr(err, "images:/tmp@0"));
	assert_non_null(strstr(err, "frame rate"));
	err[0] = '\0';
	assert_null(camera_open("room", "v4l2:0@fast", 0, err, sizeof err));
	assert_non_null(strstr(err, "v4l2:0@fast"));
	assert_non_null(strstr(err, "\"fast\""));
	err[0] = '\0';
	assert_null(camera_open("room", "v4l2:0@10x", 0, err, sizeof err));
	assert_non_null(strstr(err, "\"10x\""));
	err[0] = '\0';
	assert_null(camera_open("room", "v4l2:/dev/video97", 0, err, sizeof err));
	assert_non_null(strstr(err, "/dev/video97"));
}

/* ---- a camera that vanishes: the file row failing after N reads ---- */

static int reads_before_unplug, reads_done, opens, opens_to_refuse, closes;
static double fake_t, open_times[32], max_sleep;

static double
fake_now(void *arg)
{
	return fake_t;
}

static void
fake_sleep(void *arg, double s)
{
	assert_true(s > 0);
	if (s > max_sleep)
		max_sleep = s;
	fake_t += s;
}

static int
faulty_open(struct camera *c, const char *arg, char *err, size_t errlen)
{
	if (opens < 32)
		open_times[opens] = fake_t;
	if (opens++ > 0 && opens_to_refuse > 0) {
		opens_to_refuse--;
		errno = ENOENT;
		snprintf(err, errlen, "test camera: %s", strerror(ENOENT));
		return -1;
	}
	reads_done = 0;
	return camera_file_ops.open(c, arg, err, errlen);
}

static int
faulty_read(struct camera *c, struct cv_image *im, double *t, char *err, size_t errlen)
{
	if (reads_done++ >= reads_before_unplug) {
		errno = ENODEV;
		snprintf(err, errlen, "test camera: read failed: %s", strerror(ENODEV));
		return -1;
	}
	return camera_file_ops.read(c, im, t, err, errlen);
}

static void
faulty_close(struct camera *c)
{
	closes++;
	camera_file_ops.close(c);
}

static const struct camera_ops faulty_ops = { "faulty", faulty_open, faulty_read, faulty_close };

static void
test_vanished_camera_backoff(void **state)
{
	static const double expect_gaps[] = { 0.5, 1, 2, 4, 8, 10, 10 };
	struct camera_sup_conf conf = { .now = fake_now, .sleep = fake_sleep };
	char path[256], err[512] = "";
	struct cv_image im = { 0 };
	struct camera_sup *s;
	double t, lost_at;
	int r, lost = 0, waits = 0, k;

	write_clip("live.avi", 20, 10);
	path_in(path, sizeof path, "live.avi");
	reads_before_unplug = 4;
	opens = closes = 0;
	opens_to_refuse = 6;          /* gone for 6 tries after the loss */
	fake_t = 100;
	max_sleep = 0;
	if ((s = camera_sup_open("room", path, &faulty_ops, 0, &conf, err, sizeof err)) == NULL)
		fail_msg("camera_sup_open: %s", err);
	for (k = 0; k < 4; k++) {
		assert_int_equal(camera_sup_read(s, &im, &t, err, sizeof err), CAMERA_SUP_FRAME);
		assert_int_equal(frame_number(&im), k);
	}
	errno = 0;
	assert_int_equal(camera_sup_read(s, &im, &t, err, sizeof err), CAMERA_SUP_LOST);
	assert_int_equal(errno, ENODEV);
	assert_non_null(strstr(err, "test camera: read failed"));
	assert_null(camera_sup_camera(s));
	assert_int_equal(closes, 1);
	lost_at = fake_t;
	assert_true(fabs(camera_sup_retry_in(s) - 0.5) < 1e-9);

	/* Gone: WAIT until a reopen works, LOST never said again. */
	for (int i = 0; i < 1000; i++) {
		r = camera_sup_read(s, &im, &t, err, sizeof err);
		if (r == CAMERA_SUP_BACK)
			break;
		if (r == CAMERA_SUP_LOST)
			lost++;
		else
			assert_int_equal(r, CAMERA_SUP_WAIT);
		waits++;
	}
	assert_int_equal(r, CAMERA_SUP_BACK);
	assert_int_equal(lost, 0);
	assert_true(waits > 7);
	assert_true(max_sleep <= 0.25 + 1e-9);
	assert_int_equal(camera_sup_losses(s), 1);
	assert_int_equal(camera_sup_attempts(s), 7);
	assert_int_equal(opens, 8);
	/* Tries at 0.5 s after the loss, then doubling up to 10 s. */
	for (k = 0; k < 7; k++) {
		double at = open_times[k + 1] - (k == 0 ? lost_at : open_times[k]);
		if (fabs(at - expect_gaps[k]) > 1e-6)
			fail_msg("try %d came %.3f s after the one before, expected %.3f",
			    k + 1, at, expect_gaps[k]);
	}
	/* Frames again, from the reopened source. */
	assert_non_null(camera_sup_camera(s));
	assert_int_equal(camera_sup_read(s, &im, &t, err, sizeof err), CAMERA_SUP_FRAME);
	assert_int_equal(frame_number(&im), 0);

	/* A second loss starts the back-off at 0.5 s again. */
	for (k = 1; k < 4; k++)
		assert_int_equal(camera_sup_read(s, &im, &t, err, sizeof err), CAMERA_SUP_FRAME);
	assert_int_equal(camera_sup_read(s, &im, &t, err, sizeof err), CAMERA_SUP_LOST);
	assert_true(fabs(camera_sup_retry_in(s) - 0.5) < 1e-9);
	assert_int_equal(camera_sup_losses(s), 2);
	camera_sup_close(s);
	cv_image_free(&im);
}

/* A replay that ends is END, not a loss; a camera absent at start. */
static void
test_sup_end_and_absent(void **state)
{
	struct camera_sup_conf conf = { .now = fake_now, .sleep = fake_sleep, .backoff_min = 1,
	    .backoff_max = 3 };
	char path[256], spec[300], err[512] = "";
	struct cv_image im = { 0 };
	struct camera_sup *s;
	double t;
	int n = 0, r;

	write_clip("short.avi", 3, 10);
	path_in(path, sizeof path, "short.avi");
	snprintf(spec, sizeof spec, "file:%s", path);
	if ((s = camera_sup_open("shelf", spec, NULL, 0, NULL, err, sizeof err)) == NULL)
		fail_msg("camera_sup_open: %s", err);
	assert_string_equal(camera_sup_camera(s)->role, "shelf");
	while ((r = camera_sup_read(s, &im, &t, err, sizeof err)) == CAMERA_SUP_FRAME)
		n++;
	assert_int_equal(r, CAMERA_SUP_END);
	assert_int_equal(n, 3);
	assert_int_equal(camera_sup_losses(s), 0);
	camera_sup_close(s);

	/* Bad spec: always an error, allow_absent or not. */
	conf.allow_absent = 1;
	assert_null(camera_sup_open("room", "usb:1", NULL, 0, &conf, err, sizeof err));
	assert_non_null(strstr(err, "usb:1"));

	/* Missing at start: an error, unless allowed; then LOST at once. */
	snprintf(spec, sizeof spec, "file:%s/later.avi", dir);
	conf.allow_absent = 0;
	assert_null(camera_sup_open("room", spec, NULL, 0, &conf, err, sizeof err));
	assert_non_null(strstr(err, "later.avi"));
	conf.allow_absent = 1;
	fake_t = 0;
	if ((s = camera_sup_open("room", spec, NULL, 0, &conf, err, sizeof err)) == NULL)
		fail_msg("camera_sup_open: %s", err);
	err[0] = '\0';
	assert_int_equal(camera_sup_read(s, &im, &t, err, sizeof err), CAMERA_SUP_LOST);
	assert_non_null(strstr(err, "later.avi"));
	assert_int_equal(camera_sup_read(s, &im, &t, err, sizeof err), CAMERA_SUP_WAIT);
	/* The file appears: the next due try opens it. */
	write_clip("later.avi", 2, 10);
	while ((r = camera_sup_read(s, &im, &t, err, sizeof err)) == CAMERA_SUP_WAIT)
		;
	assert_int_equal(r, CAMERA_SUP_BACK);
	assert_true(fake_t >= 1.0 - 1e-9 && fake_t < 3.0);
	assert_int_equal(camera_sup_read(s, &im, &t, err, sizeof err), CAMERA_SUP_FRAME);
	assert_int_equal(frame_number(&im), 0);
	camera_sup_close(s);
	cv_image_free(&im);
}

/* The wrapper's image helpers: files, resize, grey, writer checks. */
static void
test_image_helpers(void **state)
{
	char path[256], err[512];
	struct cv_image im = { 0 }, back = { 0 }, grey = { 0 }, small = { 0 };
	struct cv_writer *wr;

	draw_frame(&im, 0xa5);
	path_in(path, sizeof path, "one.png");
	assert_int_equal(cv_image_save(path, &im, err, sizeof err), 0);
	assert_int_equal(cv_image_load(path, 3, &back, err, sizeof err), 0);
	assert_int_equal(back.w, W);
	assert_int_equal(back.channels, 3);
	assert_memory_equal(back.data, im.data, im.stride * H);   /* PNG is lossless */

	assert_int_equal(cv_image_to_grey(&im, &grey, err, sizeof err), 0);
	assert_int_equal(grey.channels, 1);
	assert_int_equal(grey.data[0], 250);                /* a white block, 0xa5 bit 0 */
	assert_int_equal(grey.data[W / NBITS + 5], 5);      /* bit 1 is off */
	assert_int_equal(cv_image_load(path, 1, &back, err, sizeof err), 0);
	assert_int_equal(back.channels, 1);
	/* The decoder's own grey conversion may round differently by one. */
	for (size_t i = 0; i < (size_t)W * H; i++)
		if (abs(back.data[i] - grey.data[i]) > 1)
			fail_msg("grey pixel %zu: loaded %d, converted %d", i, back.data[i], grey.data[i]);

	assert_int_equal(cv_image_resize(&im, W / 2, H / 2, &small, err, sizeof err), 0);
	assert_int_equal(small.w, W / 2);
	assert_int_equal(small.h, H / 2);
	assert_int_equal(frame_number(&small), 0xa5);

	path_in(path, sizeof path, "nothere/x.png");
	assert_int_equal(cv_image_load(path, 3, &back, err, sizeof err), -1);
	assert_non_null(strstr(err, "No such file"));
	path_in(path, sizeof path, "one.png");
	assert_int_equal(cv_image_load(path, 2, &back, err, sizeof err), -1);

	path_in(path, sizeof path, "sizes.avi");
	assert_non_null(wr = cv_writer_open(path, W, H, 10, err, sizeof err));
	assert_int_equal(cv_writer_write(wr, &small, err, sizeof err), -1);
	assert_non_null(strstr(err, "320x240"));
	assert_int_equal(cv_writer_write(wr, &im, err, sizeof err), 0);
	cv_writer_close(wr);
	assert_null(cv_writer_open(path, 0, H, 10, err, sizeof err));

	cv_image_free(&im);
	cv_image_free(&back);
	cv_image_free(&grey);
	cv_image_free(&small);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_video_file_frames, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_image_folder_order_and_fps, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_frames_tsv_timing, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_realtime_pacing, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_corrupt_and_missing_video, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_empty_and_broken_folders, setup_dir, teardown_dir),
		cmocka_unit_test(test_bad_specs),
		cmocka_unit_test_setup_teardown(test_vanished_camera_backoff, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_sup_end_and_absent, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_image_helpers, setup_dir, teardown_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
