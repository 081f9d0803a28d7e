/*
 * test_record — --record DIR (devices/record.c): audio and two cameras
 * recorded from three threads at once, then read back through wav_load and
 * the camera "images:" row (frames in order, with their times); a WAV
 * that is readable before close (a crash), file modes, and refusals.
 */
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <pthread.h>
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

#include "base/log.h"
#include "devices/camera.h"
#include "devices/cv_video.h"
#include "devices/record.h"
#include "devices/wav.h"

#define W 160
#define H 120
#define NBITS 8
#define AUDIO_N   (3 * 16000 + 123)   /* a little over 3 s */
#define ROOM_N    25
#define SHELF_N   7

static char dir[64];

static void
draw_frame(struct cv_image *im, int k)
{
	int bw = W / NBITS;

	memset(im->data, 96, im->stride * (size_t)im->h);
	for (int b = 0; b < NBITS; b++) {
		uint8_t v = (k >> b) & 1 ? 250 : 5;
		for (int y = 0; y < 40; y++)
			memset(im->data + (size_t)y * im->stride + (size_t)b * bw * 3, v, (size_t)bw * 3);
	}
}

static int
frame_number(const struct cv_image *im)
{
	int bw = im->w / NBITS, k = 0;

	for (int b = 0; b < NBITS; b++) {
		long sum = 0, n = 0;
		for (int y = 10; y < 30; y++)
			for (int x = b * bw + 5; x < (b + 1) * bw - 5; x++, n++)
				sum += im->data[(size_t)y * im->stride + x * 3];
		if (sum / n > 128)
			k |= 1 << b;
	}
	return k;
}

static int16_t
sample(size_t i)
{
	return (int16_t)((i * 37) % 60000 - 30000);
}

static int
setup_dir(void **state)
{
	log_init(-1);
	return tmpdir_make(dir, sizeof dir, "/tmp/so-rec-XXXXXX");
}

static int
teardown_dir(void **state)
{
	return tmpdir_remove(dir);
}

static void
expect_mode(const char *path, mode_t mode)
{
	struct stat st;

	if (stat(path, &st) < 0)
		fail_msg("%s: %s", path, strerror(errno));
	if ((st.st_mode & 07777) != mode)
		fail_msg("%s: mode %o, expected %o", path, st.st_mode & 07777, mode);
}

/* ---- three threads recording at once ---- */

struct cam_job {
	struct record *r;
	const char    *role;
	int            n;
	double         dt;
	int            failed;
};

static void *
audio_thread(void *arg)
{
	struct record *r = arg;
	int16_t buf[160];
	char err[512];

	for (size_t i = 0; i < AUDIO_N; ) {
		size_t n = AUDIO_N - i < 160 ? AUDIO_N - i : 160;
		for (size_t j = 0; j < n; j++)
			buf[j] = sample(i + j);
		if (record_audio(r, buf, n, err, sizeof err) < 0)
			return (void *)1;
		i += n;
	}
	return NULL;
}

static void *
cam_thread(void *arg)
{
	struct cam_job *job = arg;
	struct cv_image im;
	char err[512];

	if (cv_image_alloc(&im, W, H, 3) < 0)
		return (void *)1;
	for (int k = 0; k < job->n; k++) {
		draw_frame(&im, k);
		if (record_frame(job->r, job->role, &im, 0.25 + k * job->dt, err, sizeof err) < 0) {
			fprintf(stderr, "record_frame: %s\n", err);
			job->failed = 1;
			break;
		}
	}
	cv_image_free(&im);
	return NULL;
}

static void
check_replay(const char *role, int n, double dt)
{
	char spec[300], err[1024];
	struct cv_image im = { 0 };
	struct camera *c;
	double t;
	int k;

	snprintf(spec, sizeof spec, "images:%s/rec/%s", dir, role);
	if ((c = camera_open(role, spec, 0, err, sizeof err)) == NULL)
		fail_msg("camera_open(%s): %s", spec, err);
	assert_int_equal(c->nframes, n);
	for (k = 0; camera_read(c, &im, &t, err, sizeof err) == 1; k++) {
		assert_int_equal(im.w, W);
		assert_int_equal(frame_number(&im), k);
		assert_true(fabs(t - (0.25 + k * dt)) < 1e-6);
	}
	assert_int_equal(k, n);
	assert_int_equal(c->skipped, 0);
	camera_close(c);
	cv_image_free(&im);
}

static void
test_round_trip(void **state)
{
	char path[300], err[1024] = "", warn[512];
	struct cam_job room, shelf;
	struct record *r;
	struct wav_info info;
	pthread_t ta, tr, ts;
	void *ra;
	int16_t *pcm;
	size_t n;

	snprintf(path, sizeof path, "%s/rec", dir);
	if ((r = record_open(path, err, sizeof err)) == NULL)
		fail_msg("record_open: %s", err);
	expect_mode(path, 0700);
	room = (struct cam_job){ r, "room", ROOM_N, 1 / 30.0, 0 };
	shelf = (struct cam_job){ r, "shelf", SHELF_N, 0.2, 0 };
	assert_int_equal(pthread_create(&ta, NULL, audio_thread, r), 0);
	assert_int_equal(pthread_create(&tr, NULL, cam_thread, &room), 0);
	assert_int_equal(pthread_create(&ts, NULL, cam_thread, &shelf), 0);
	pthread_join(ta, &ra);
	pthread_join(tr, NULL);
	pthread_join(ts, NULL);
	assert_null(ra);
	assert_false(room.failed);
	assert_false(shelf.failed);
	assert_int_equal(record_samples(r), AUDIO_N);
	assert_int_equal(record_frames(r, "room"), ROOM_N);
	assert_int_equal(record_frames(r, "shelf"), SHELF_N);
	assert_int_equal(record_frames(r, "door"), 0);
	assert_int_equal(record_close(r, err, sizeof err), 0);

	snprintf(path, sizeof path, "%s/rec/audio.wav", dir);
	expect_mode(path, 0600);
	if (wav_load(path, &pcm, &n, &info, err, sizeof err, warn, sizeof warn) < 0)
		fail_msg("wav_load: %s", err);
	assert_int_equal(info.rate, 16000);
	assert_int_equal(info.channels, 1);
	assert_int_equal(info.bits, 16);
	assert_false(info.truncated);
	assert_int_equal(n, AUDIO_N);
	for (size_t i = 0; i < n; i++)
		if (pcm[i] != sample(i))
			fail_msg("sample %zu: %d, expected %d", i, pcm[i], sample(i));
	free(pcm);

	snprintf(path, sizeof path, "%s/rec/room", dir);
	expect_mode(path, 0700);
	snprintf(path, sizeof path, "%s/rec/room/000000.jpg", dir);
	expect_mode(path, 0600);
	snprintf(path, sizeof path, "%s/rec/room/frames.tsv", dir);
	expect_mode(path, 0600);
	snprintf(path, sizeof path, "%s/rec/room/%06d.jpg", dir, ROOM_N);
	assert_int_equal(access(path, F_OK), -1);
	check_replay("room", ROOM_N, 1 / 30.0);
	check_replay("shelf", SHELF_N, 0.2);
}

/* Before close (a crash), the WAV already plays up to the last header fix. */
static void
test_wav_readable_before_close(void **state)
{
	char path[300], err[1024] = "", warn[512];
	int16_t buf[1000], *pcm;
	struct record *r;
	struct wav_info info;
	size_t n, total = 0;

	snprintf(path, sizeof path, "%s/a/b", dir);      /* parents are made */
	if ((r = record_open(path, err, sizeof err)) == NULL)
		fail_msg("record_open: %s", err);
	for (int k = 0; k < 50; k++) {                  /* 3.125 s */
		for (int j = 0; j < 1000; j++)
			buf[j] = sample(total + j);
		assert_int_equal(record_audio(r, buf, 1000, err, sizeof err), 0);
		total += 1000;
	}
	snprintf(path, sizeof path, "%s/a/b/audio.wav", dir);
	if (wav_load(path, &pcm, &n, &info, err, sizeof err, warn, sizeof warn) < 0)
		fail_msg("wav_load before close: %s", err);
	/* The header was fixed at 2 s at least; the data is there. */
	assert_true(n >= RECORD_WAV_SYNC_SAMPLES);
	assert_true(n <= total);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(pcm[i], sample(i));
	free(pcm);
	assert_int_equal(record_close(r, err, sizeof err), 0);
	if (wav_load(path, &pcm, &n, &info, err, sizeof err, warn, sizeof warn) < 0)
		fail_msg("wav_load: %s", err);
	assert_int_equal(n, total);
	free(pcm);
}

static void
test_refusals(void **state)
{
	char path[300], err[1024] = "";
	struct cv_image im;
	struct record *r;
	int16_t s[10] = { 0 };

	assert_int_equal(cv_image_alloc(&im, W, H, 3), 0);
	snprintf(path, sizeof path, "%s/rec", dir);
	assert_non_null(r = record_open(path, err, sizeof err));
	assert_int_equal(record_audio(r, s, 10, err, sizeof err), 0);
	assert_int_equal(record_frame(r, "room", &im, 0, err, sizeof err), 0);
	assert_int_equal(record_frame(r, "../up", &im, 0, err, sizeof err), -1);
	assert_non_null(strstr(err, "\"../up\""));
	assert_int_equal(record_frame(r, "", &im, 0, err, sizeof err), -1);
	assert_int_equal(record_close(r, err, sizeof err), 0);

	/* The same folder again: not mixed with the earlier recording. */
	err[0] = '\0';
	assert_null(record_open(path, err, sizeof err));
	assert_non_null(strstr(err, "audio.wav"));
	assert_non_null(strstr(err, "already there"));
	/* Without audio.wav, a role's old frames.tsv is refused at its first frame. */
	snprintf(path, sizeof path, "%s/rec/audio.wav", dir);
	assert_int_equal(unlink(path), 0);
	snprintf(path, sizeof path, "%s/rec", dir);
	assert_non_null(r = record_open(path, err, sizeof err));
	assert_int_equal(record_frame(r, "room", &im, 0, err, sizeof err), -1);
	assert_non_null(strstr(err, "room/frames.tsv"));
	assert_int_equal(record_frame(r, "shelf", &im, 0, err, sizeof err), 0);
	assert_int_equal(record_close(r, err, sizeof err), 0);

	/* A folder that cannot be made. */
	snprintf(path, sizeof path, "%s/rec/room/frames.tsv/x", dir);
	assert_null(record_open(path, err, sizeof err));
	assert_non_null(strstr(err, "frames.tsv"));
	assert_null(record_open("", err, sizeof err));
	cv_image_free(&im);
	assert_int_equal(record_close(NULL, err, sizeof err), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_wav_readable_before_close, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_refusals, setup_dir, teardown_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
