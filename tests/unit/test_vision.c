/*
 * test_vision — the camera thread (daemon/vision.c) end to end: a real
 * camera row, the real face detector and recognizer, the real hand tracker
 * and a real input queue.
 *
 *  - hand: clips rendered at test time by $BUILD/tools/make-clips (a raise:
 *    engage, cursor events near the truth, disengage; no-raise clips: no
 *    gesture at all);
 *  - faces: ORL person s1 enrolled into a temporary state dir from
 *    s1/1..5.pgm; image folders made here: a still photo of s1 held for
 *    10 s (verification must fail, never verify), the same photo shaking
 *    with camera noise (must fail too), a "live" s1 (photos of s1 not used
 *    for enrollment, moving, then a head turn and back) that must verify;
 *    private mode: s1 leaving (absent), s2 joining s1 (unknown);
 *  - cameras: a corrupt and a truncated video (IN_CAMERA end, no crash), a
 *    garbage file and an empty folder (vision_new fails naming them), a
 *    live camera that vanishes and comes back (lost, back, t goes on);
 *  - recording and the statistics.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/testutil.h"

#include "base/log.h"
#include "base/queue.h"
#include "daemon/vision.h"
#include "devices/camera.h"
#include "devices/cv_video.h"
#include "devices/record.h"
#include "models/face.h"
#include "models/hand.h"
#include "tests/vision/clip.h"

#ifndef FACES_DIR
#define FACES_DIR "/work/shared/data/faces/orl"
#endif

#define FW 640
#define FH 480
#define FPS 15
#define MAX_IN 8192

static char root[64];          /* /tmp/so-vision-XXXXXX */
static char state_dir[128];

/* ------------------------------------------------------------ running */

struct run {
	struct input in[MAX_IN];
	int    n;
	struct vision_stats st;
};

static pthread_mutex_t wake_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t  wake_cond = PTHREAD_COND_INITIALIZER;
static int             wakes;

static void
wake_cb(void *ud)
{
	(void)ud;
	pthread_mutex_lock(&wake_lock);
	wakes++;
	pthread_cond_signal(&wake_cond);
	pthread_mutex_unlock(&wake_lock);
}

static struct vision_config
base_config(const char *spec)
{
	static const struct face_live_config live = FACE_LIVE_DEFAULTS;
	struct vision_config c;

	memset(&c, 0, sizeof c);
	c.role = "room";
	c.camera = spec;
	c.realtime = 0;
	c.face.model = FACE_DEFAULT_MODEL;
	c.face.cascade_dir = FACE_DEFAULT_CASCADES;
	c.face.min_score = FACE_DEFAULT_MIN_SCORE;
	c.face.threshold = FACE_DEFAULT_THRESHOLD;
	c.face.threads = 1;
	c.live = live;
	c.hand = hand_default_config();
	c.state_dir = state_dir;
	c.enrolled = "s1";
	c.absent_s = 3;
	c.verify_timeout_s = 10;
	c.face_every = 1;
	return c;
}

/* Runs a vision thread over cfg's camera until it says "end" (or 300 s),
 * acting as the service thread: pops every input into r.  verify and priv
 * are asked for before the first frame. */
static void
run_vision(const struct vision_config *cfg, int verify, int priv, struct run *r)
{
	struct queue *q = queue_new(MAX_IN);
	struct vision *v;
	struct input in;
	char err[512] = "";
	int ended = 0, w0;
	time_t deadline = time(NULL) + 300;

	assert_non_null(q);
	memset(r, 0, sizeof *r);
	if ((v = vision_new(cfg, q, wake_cb, NULL, err, sizeof err)) == NULL)
		fail_msg("vision_new(%s): %s", cfg->camera, err);
	if (verify)
		vision_verify(v);
	if (priv)
		vision_set_private(v, 1);
	pthread_mutex_lock(&wake_lock);
	w0 = wakes;
	pthread_mutex_unlock(&wake_lock);
	assert_int_equal(vision_start(v), 0);
	while (!ended && time(NULL) < deadline) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 200000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&wake_lock);
		pthread_cond_timedwait(&wake_cond, &wake_lock, &until);
		pthread_mutex_unlock(&wake_lock);
		while (queue_pop(q, &in)) {
			if (r->n < MAX_IN)
				r->in[r->n++] = in;
			if (in.kind == IN_CAMERA && in.camera.state == CAMERA_END)
				ended = 1;
		}
	}
	vision_stats(v, &r->st);
	vision_free(v);
	while (queue_pop(q, &in))
		if (r->n < MAX_IN)
			r->in[r->n++] = in;
	assert_int_equal(queue_dropped(q), 0);
	queue_free(q);
	if (!ended)
		fail_msg("%s: no IN_CAMERA \"end\" within 300 s", cfg->camera);
	pthread_mutex_lock(&wake_lock);
	if (r->n > 0 && wakes == w0)
		fail_msg("inputs were queued but the service thread was never woken");
	pthread_mutex_unlock(&wake_lock);
}

/* The protocol word of an input: the gesture, the face result, the camera state. */
static const char *
what_of(const struct input *in)
{
	switch (in->kind) {
	case IN_GESTURE: return gesture_kind_name(in->gesture.what);
	case IN_FACE:    return face_result_name(in->face.result);
	case IN_CAMERA:  return camera_state_name(in->camera.state);
	default:         return "?";
	}
}

/* Its text: a face's name or reason, a camera's error. */
static const char *
text_of(const struct input *in)
{
	return in->kind == IN_FACE ? in->face.text : in->kind == IN_CAMERA ? in->camera.text : "";
}

static int
count(const struct run *r, enum input_kind k, const char *what)
{
	int n = 0;

	for (int i = 0; i < r->n; i++)
		if (r->in[i].kind == k && (what == NULL ||
		    strcmp(what_of(&r->in[i]), what) == 0))
			n++;
	return n;
}

static const struct input *
first(const struct run *r, enum input_kind k, const char *what)
{
	for (int i = 0; i < r->n; i++)
		if (r->in[i].kind == k && (what == NULL ||
		    strcmp(what_of(&r->in[i]), what) == 0))
			return &r->in[i];
	return NULL;
}

static void
print_run(const char *name, const struct run *r)
{
	int cursors = 0;

	printf("  %s: %d inputs;", name, r->n);
	for (int i = 0; i < r->n; i++) {
		const struct input *in = &r->in[i];
		if (in->kind == IN_GESTURE && in->gesture.what == GESTURE_CURSOR) {
			cursors++;
			continue;
		}
		if (cursors) {
			printf(" cursor×%d", cursors);
			cursors = 0;
		}
		if (in->kind == IN_GESTURE)
			printf(" %s@%.2f%s%s", what_of(in), in->t, *in->gesture.reason ? ":" : "",
			    in->gesture.reason);
		else
			printf(" %s:%s@%.2f%s%s", in->kind == IN_FACE ? "face" : in->kind == IN_CAMERA ?
			    "camera" : "?", what_of(in), in->t, *text_of(in) ? "/" : "", text_of(in));
	}
	if (cursors)
		printf(" cursor×%d", cursors);
	printf("\n  %s: %llu frames %dx%d, %.1f fps, latency min %.2f avg %.2f p95 %.2f "
	    "max %.2f ms (faces %.2f ms on %llu frames, hand %.2f ms)\n", name,
	    (unsigned long long)r->st.frames, r->st.w, r->st.h, r->st.fps, r->st.lat_min_ms,
	    r->st.lat_avg_ms, r->st.lat_p95_ms, r->st.lat_max_ms, r->st.face_avg_ms,
	    (unsigned long long)r->st.face_runs, r->st.hand_avg_ms);
}

/* ------------------------------------------------------------ files */

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
rm_tree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
path_in(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", root, name);
}

/* The clip generator next to this binary: $BUILD/tests/X → $BUILD/tools. */
static void
make_clips_path(char *out, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);

	if (n <= 0)
		fail_msg("readlink /proc/self/exe: %s", strerror(errno));
	self[n] = '\0';
	snprintf(out, len, "%s/../tools/make-clips", dirname(self));
	if (access(out, X_OK) != 0)
		fail_msg("%s is missing: build the tools first (make BUILD=... all)", out);
}

/* Renders one clip of the quick set into ROOT/clips/NAME. */
static void
render_clip(const char *name, char *dir, size_t len)
{
	char tool[PATH_MAX + 32], cmd[2 * PATH_MAX + 256], out[256];

	make_clips_path(tool, sizeof tool);
	path_in(out, sizeof out, "clips");
	snprintf(cmd, sizeof cmd, "'%s' '%s' --set quick --clip %s >/dev/null", tool, out, name);
	if (system(cmd) != 0)
		fail_msg("%s failed", cmd);
	snprintf(dir, len, "%s/%s", out, name);
	if (access(dir, R_OK) != 0)
		fail_msg("make-clips did not make %s", dir);
}

/* ------------------------------------------------------------ drawing */

static uint64_t rng_s = 12345;

static double
rnd(void)
{
	uint64_t z = (rng_s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return ((z ^ (z >> 31)) >> 11) * (1.0 / 9007199254740992.0);
}

/* ORL photo PERSON/IDX.pgm as BGR, scaled by s. */
static void
orl(const char *person, int idx, double s, struct cv_image *out)
{
	char path[256], err[256];
	struct cv_image g = { 0 };

	snprintf(path, sizeof path, "%s/%s/%d.pgm", FACES_DIR, person, idx);
	if (cv_image_load(path, 3, &g, err, sizeof err) != 0)
		fail_msg("%s", err);
	if (cv_image_resize(&g, (int)lround(g.w * s), (int)lround(g.h * s), out, err,
	    sizeof err) != 0)
		fail_msg("resize: %s", err);
	cv_image_free(&g);
}

/* An office-ish background: a soft gradient with a darker "desk". */
static void
background(struct cv_image *fr)
{
	if (fr->data == NULL && cv_image_alloc(fr, FW, FH, 3) != 0)
		fail_msg("out of memory");
	for (int y = 0; y < FH; y++)
		for (int x = 0; x < FW; x++) {
			uint8_t *p = fr->data + (size_t)y * fr->stride + (size_t)x * 3;
			int v = y > 400 ? 70 : 150 + (x - FW / 2) / 16 - y / 20;
			p[0] = (uint8_t)(v - 10);
			p[1] = (uint8_t)v;
			p[2] = (uint8_t)(v + 12);
		}
}

/* Pastes im with its centre at (cx, cy). */
static void
paste(struct cv_image *fr, const struct cv_image *im, int cx, int cy)
{
	int x0 = cx - im->w / 2, y0 = cy - im->h / 2;

	for (int y = 0; y < im->h; y++) {
		if (y + y0 < 0 || y + y0 >= fr->h)
			continue;
		for (int x = 0; x < im->w; x++)
			if (x + x0 >= 0 && x + x0 < fr->w)
				memcpy(fr->data + (size_t)(y + y0) * fr->stride + (size_t)(x + x0) * 3,
				    im->data + (size_t)y * im->stride + (size_t)x * 3, 3);
	}
}

static void
noise(struct cv_image *fr, int amp)
{
	for (int y = 0; y < fr->h; y++)
		for (int x = 0; x < fr->w * 3; x++) {
			uint8_t *p = fr->data + (size_t)y * fr->stride + x;
			int v = *p + (int)((rnd() - 0.5) * 2 * amp);
			*p = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
		}
}

static void
write_bytes(const char *path, const uint8_t *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Writes frame k of a folder as a JPEG. */
static void
write_frame(const char *dir, int k, const struct cv_image *fr)
{
	char path[256], err[256];
	uint8_t *buf;
	size_t len;

	snprintf(path, sizeof path, "%s/%06d.jpg", dir, k);
	if (cv_image_encode(fr, ".jpg", 92, &buf, &len, err, sizeof err) != 0)
		fail_msg("encode: %s", err);
	write_bytes(path, buf, len);
	free(buf);
}

static void
new_dir(char *dir, size_t len, const char *name)
{
	path_in(dir, len, name);
	rm_tree(dir);
	assert_int_equal(mkdir(dir, 0700), 0);
}

/* ------------------------------------------------------------ setup */

static int
setup(void **state)
{
	struct face_config fc = { FACE_DEFAULT_MODEL, FACE_DEFAULT_CASCADES,
	    FACE_DEFAULT_MIN_SCORE, FACE_DEFAULT_THRESHOLD, 1 };
	struct cv_image ims[5] = { { 0 } };
	struct face_ctx *ctx;
	char err[512];

	(void)state;
	log_init(-1);
	snprintf(root, sizeof root, "/tmp/so-vision-XXXXXX");
	if (mkdtemp(root) == NULL)
		return -1;
	snprintf(state_dir, sizeof state_dir, "%s/state", root);
	if ((ctx = face_open(&fc, err, sizeof err)) == NULL) {
		fprintf(stderr, "face_open: %s\n", err);
		return -1;
	}
	/* s1 enrolled from 1..5, as the ORL bench does */
	for (int i = 0; i < 5; i++) {
		char path[256];
		snprintf(path, sizeof path, "%s/s1/%d.pgm", FACES_DIR, i + 1);
		if (cv_image_load(path, 3, &ims[i], err, sizeof err) != 0) {
			fprintf(stderr, "%s\n", err);
			return -1;
		}
	}
	if (face_enroll(ctx, state_dir, "s1", ims, 5, err, sizeof err) != 0) {
		fprintf(stderr, "face_enroll: %s\n", err);
		return -1;
	}
	for (int i = 0; i < 5; i++)
		cv_image_free(&ims[i]);
	face_close(ctx);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	rm_tree(root);
	return 0;
}

/* ------------------------------------------------------------ hand */

/* A raise clip: engage about engage_s after the hand is up, cursor events
 * near the truth, then disengage after the hand comes down; nothing but
 * gestures and the end. */
static void
test_raise_clip(void **state)
{
	char dir[512], spec[600], err[1024];
	struct clip_truth *tr = NULL;
	struct vision_config cfg;
	static struct run r;
	const struct input *eng, *dis, *end;
	double t_up = -1, t_lower = -1, err2 = 0, last_t = -1;
	int ntr, ncur = 0, nerr = 0, ie = -1, id = -1;

	(void)state;
	render_clip("000-raise", dir, sizeof dir);
	snprintf(spec, sizeof spec, "images:%s", dir);
	cfg = base_config(spec);
	run_vision(&cfg, 0, 0, &r);
	print_run("000-raise", &r);
	if (clip_truth_load(dir, &tr, &ntr, err, sizeof err) != 0)
		fail_msg("%s", err);
	for (int i = 0; i < ntr; i++) {
		if (tr[i].phase == CP_UP && t_up < 0)
			t_up = tr[i].t;
		if (tr[i].phase == CP_LOWER && t_up >= 0 && t_lower < 0)
			t_lower = tr[i].t;
	}
	assert_true(t_up > 0 && t_lower > t_up);

	eng = first(&r, IN_GESTURE, "engage");
	dis = first(&r, IN_GESTURE, "disengage");
	end = first(&r, IN_CAMERA, "end");
	assert_non_null(eng);
	assert_non_null(dis);
	assert_non_null(end);
	assert_int_equal(count(&r, IN_GESTURE, "engage"), 1);
	assert_int_equal(count(&r, IN_GESTURE, "disengage"), 1);
	assert_int_equal(count(&r, IN_FACE, NULL), 0);
	assert_int_equal(count(&r, IN_CAMERA, NULL), 1);
	/* engage_s (3 s) after the hand is up, give or take */
	if (eng->t < t_up + cfg.hand.engage_s - 0.5 || eng->t > t_up + cfg.hand.engage_s + 0.7)
		fail_msg("engage at %.2f s; the hand is up at %.2f s (engage_s %.1f)", eng->t, t_up,
		    cfg.hand.engage_s);
	if (dis->t < t_lower || dis->t > t_lower + cfg.hand.disengage_s + 1.5)
		fail_msg("disengage at %.2f s; the hand goes down at %.2f s", dis->t, t_lower);
	/* order: engage, cursors, disengage, end; t never goes back */
	for (int i = 0; i < r.n; i++) {
		const struct input *in = &r.in[i];
		assert_true(in->t >= last_t);
		last_t = in->t;
		assert_string_equal(in->source, "vision");
		if (in == eng)
			ie = i;
		if (in == dis)
			id = i;
		if (in->kind != IN_GESTURE || in->gesture.what != GESTURE_CURSOR)
			continue;
		ncur++;
		assert_true(ie >= 0 && id < 0);
		assert_true(in->gesture.x >= 0 && in->gesture.x <= 1 && in->gesture.y >= 0 && in->gesture.y <= 1);
		assert_true(in->gesture.cursor == CURSOR_MOVE || in->gesture.cursor == CURSOR_PRESS ||
		    in->gesture.cursor == CURSOR_RELEASE);
		/* against the truth of that frame, while the hand is up */
		for (int k = 0; k < ntr; k++)
			if (fabs(tr[k].t - in->t) < 1e-3 && tr[k].raised && tr[k].cx >= 0) {
				err2 += (in->gesture.x - tr[k].cx) * (in->gesture.x - tr[k].cx) +
				    (in->gesture.y - tr[k].cy) * (in->gesture.y - tr[k].cy);
				nerr++;
			}
	}
	assert_true(r.in[r.n - 1].kind == IN_CAMERA);
	assert_string_equal(r.in[r.n - 1].camera.role, "room");
	printf("  000-raise: up %.2f engage %.2f (+%.2f), lower %.2f disengage %.2f, %d cursors, "
	    "RMS error %.3f screen (%d frames)\n", t_up, eng->t, eng->t - t_up, t_lower, dis->t,
	    ncur, nerr ? sqrt(err2 / nerr) : -1, nerr);
	assert_true(ncur >= 15);
	assert_true(nerr >= 15);
	/* The generator's truth face box is the photo's, about 0.8 times the
	 * width of BlazeFace's box, which scales the interaction box: the
	 * tracker alone on the truth boxes gives about 0.05. */
	assert_true(sqrt(err2 / nerr) < 0.2);
	/* every frame of the clip went through */
	assert_int_equal(r.st.frames, (uint64_t)ntr);
	free(tr);
	rm_tree(dir);
}

/* No-raise clips: no gesture input at all, only the end. */
static void
test_no_raise_clips(void **state)
{
	static const char *const clips[] = { "006-typing", "008-scratch-head", "010-walk-past" };
	char dir[512], spec[600];
	struct vision_config cfg;
	static struct run r;

	(void)state;
	for (size_t i = 0; i < sizeof clips / sizeof clips[0]; i++) {
		render_clip(clips[i], dir, sizeof dir);
		snprintf(spec, sizeof spec, "images:%s", dir);
		cfg = base_config(spec);
		run_vision(&cfg, 0, 0, &r);
		print_run(clips[i], &r);
		assert_true(r.st.frames > 100);
		if (count(&r, IN_GESTURE, NULL) != 0)
			fail_msg("%s: %d gesture inputs, the first %s at %.2f s", clips[i],
			    count(&r, IN_GESTURE, NULL), what_of(first(&r, IN_GESTURE, NULL)),
			    first(&r, IN_GESTURE, NULL)->t);
		assert_int_equal(r.n, 1);
		assert_int_equal(r.in[0].kind, IN_CAMERA);
		assert_string_equal(what_of(&r.in[0]), "end");
		rm_tree(dir);
	}
}

/* ------------------------------------------------------------ faces */

/* A still photo of the enrolled s1 held to the camera for 10 s: it matches
 * on every frame, but never passes the challenge: "failed" at the timeout,
 * never "verified". */
static void
test_still_photo_fails(void **state)
{
	char dir[256], spec[300], err[256];
	struct cv_image fr = { 0 }, face = { 0 };
	struct vision_config cfg;
	static struct run r;
	const struct input *f;
	uint8_t *buf;
	size_t len;

	(void)state;
	new_dir(dir, sizeof dir, "still");
	background(&fr);
	orl("s1", 1, 2.0, &face);
	paste(&fr, &face, FW / 2, FH / 2 - 20);
	if (cv_image_encode(&fr, ".jpg", 92, &buf, &len, err, sizeof err) != 0)
		fail_msg("%s", err);
	for (int k = 0; k < 10 * FPS; k++) {
		char path[300];
		snprintf(path, sizeof path, "%s/%06d.jpg", dir, k);
		write_bytes(path, buf, len);
	}
	free(buf);
	snprintf(spec, sizeof spec, "images:%s@%d", dir, FPS);
	cfg = base_config(spec);
	cfg.verify_timeout_s = 8;
	run_vision(&cfg, 1, 0, &r);
	print_run("still", &r);
	assert_int_equal(count(&r, IN_FACE, "verified"), 0);
	assert_int_equal(count(&r, IN_FACE, "failed"), 1);
	assert_int_equal(count(&r, IN_FACE, NULL), 1);
	f = first(&r, IN_FACE, "failed");
	assert_true(f->t > 8.0 && f->t < 8.0 + 2.0 / FPS);
	assert_non_null(strstr(text_of(f), "not verified in time"));
	assert_int_equal(count(&r, IN_GESTURE, NULL), 0);
	cv_image_free(&fr);
	cv_image_free(&face);
	rm_tree(dir);
}

/* The same photo held by a hand: it shakes by a few pixels, and the camera
 * adds noise.  Still no "verified". */
static void
test_shaking_photo_fails(void **state)
{
	char dir[256], spec[300];
	struct cv_image fr = { 0 }, face = { 0 };
	struct vision_config cfg;
	static struct run r;

	(void)state;
	new_dir(dir, sizeof dir, "shaking");
	orl("s1", 1, 2.0, &face);
	rng_s = 99;
	for (int k = 0; k < 10 * FPS; k++) {
		background(&fr);
		paste(&fr, &face, FW / 2 + (int)lround(6 * sin(k * 0.7) + 3 * (rnd() - 0.5)),
		    FH / 2 - 20 + (int)lround(4 * cos(k * 0.5) + 3 * (rnd() - 0.5)));
		noise(&fr, 6);
		write_frame(dir, k, &fr);
	}
	snprintf(spec, sizeof spec, "images:%s@%d", dir, FPS);
	cfg = base_config(spec);
	cfg.verify_timeout_s = 8;
	run_vision(&cfg, 1, 0, &r);
	print_run("shaking", &r);
	assert_int_equal(count(&r, IN_FACE, "verified"), 0);
	assert_int_equal(count(&r, IN_FACE, "failed"), 1);
	cv_image_free(&fr);
	cv_image_free(&face);
	rm_tree(dir);
}

/* Writes the frames of a live s1 into dir: looking at the camera (photo
 * 8, not enrolled) while moving a little, a head turn (photo 6, yaw about
 * -0.28) and back; with camera noise.  Returns the time the head is back. */
static double
write_live(const char *dir, int *nframes)
{
	struct cv_image fr = { 0 }, front = { 0 }, turned = { 0 };
	int k = 0;
	double t_back = 0;

	orl("s1", 8, 2.0, &front);
	orl("s1", 6, 2.0, &turned);
	rng_s = 7;
	for (; k < 6 * FPS; k++) {
		double t = (double)k / FPS;
		const struct cv_image *im = &front;
		if (t >= 2.0 && t < 2.6)
			im = &turned;
		if (t >= 2.6 && t_back == 0)
			t_back = t;
		background(&fr);
		paste(&fr, im, FW / 2 + (int)lround(10 * sin(t * 1.3)), FH / 2 - 20 +
		    (int)lround(5 * sin(t * 0.9)));
		noise(&fr, 4);
		write_frame(dir, k, &fr);
	}
	*nframes = k;
	cv_image_free(&fr);
	cv_image_free(&front);
	cv_image_free(&turned);
	return t_back;
}

/* A live s1 (moving, a head turn and back): "verified" with the name,
 * after the turn, once. */
static void
test_live_person_verified(void **state)
{
	char dir[256], spec[300];
	struct vision_config cfg;
	static struct run r;
	const struct input *f;
	double t_back;
	int n;

	(void)state;
	new_dir(dir, sizeof dir, "live");
	t_back = write_live(dir, &n);
	snprintf(spec, sizeof spec, "images:%s@%d", dir, FPS);
	cfg = base_config(spec);
	run_vision(&cfg, 1, 0, &r);
	print_run("live", &r);
	assert_int_equal(count(&r, IN_FACE, "failed"), 0);
	assert_int_equal(count(&r, IN_FACE, "verified"), 1);
	f = first(&r, IN_FACE, "verified");
	assert_string_equal(text_of(f), "s1");
	assert_string_equal(f->face.camera, "room");
	assert_true(f->t >= t_back && f->t < t_back + 1.0);

	/* The same frames without a verification asked for: no face input. */
	run_vision(&cfg, 0, 0, &r);
	assert_int_equal(count(&r, IN_FACE, NULL), 0);

	/* Someone else's enrollment (s2) is not unlocked by s1. */
	{
		struct face_config fc = { FACE_DEFAULT_MODEL, FACE_DEFAULT_CASCADES,
		    FACE_DEFAULT_MIN_SCORE, FACE_DEFAULT_THRESHOLD, 1 };
		struct cv_image ims[5] = { { 0 } };
		struct face_ctx *ctx = face_open(&fc, NULL, 0);
		char err[256];
		assert_non_null(ctx);
		for (int i = 0; i < 5; i++)
			orl("s2", i + 1, 1.0, &ims[i]);
		if (face_enroll(ctx, state_dir, "s2", ims, 5, err, sizeof err) != 0)
			fail_msg("enroll s2: %s", err);
		for (int i = 0; i < 5; i++)
			cv_image_free(&ims[i]);
		face_close(ctx);
	}
	cfg.enrolled = "s2";
	cfg.verify_timeout_s = 4;
	run_vision(&cfg, 1, 0, &r);
	print_run("live-as-s2", &r);
	assert_int_equal(count(&r, IN_FACE, "verified"), 0);
	assert_int_equal(count(&r, IN_FACE, "failed"), 1);
	rm_tree(dir);
}

/* Nobody enrolled, or a name with no enrollment: "failed" at once. */
static void
test_verify_nobody_enrolled(void **state)
{
	char dir[256], spec[300];
	struct vision_config cfg;
	static struct run r;
	int n;

	(void)state;
	new_dir(dir, sizeof dir, "live2");
	write_live(dir, &n);
	snprintf(spec, sizeof spec, "images:%s@%d", dir, FPS);
	cfg = base_config(spec);
	cfg.enrolled = "";
	run_vision(&cfg, 1, 0, &r);
	assert_int_equal(count(&r, IN_FACE, NULL), 1);
	assert_int_equal(count(&r, IN_FACE, "failed"), 1);
	assert_true(first(&r, IN_FACE, "failed")->t < 0.01);
	assert_non_null(strstr(first(&r, IN_FACE, "failed")->face.text, "nobody"));
	cfg.enrolled = "nobody-here";
	run_vision(&cfg, 1, 0, &r);
	assert_int_equal(count(&r, IN_FACE, "failed"), 1);
	assert_non_null(strstr(first(&r, IN_FACE, "failed")->face.text, "nobody-here"));
	rm_tree(dir);
}

/* Private mode: s1 sits there for 3 s and leaves: "absent" once, absent_s
 * after the last match.  s2 joins s1: "unknown" once. */
static void
test_private_absent_unknown(void **state)
{
	char dir[256], spec[300];
	struct cv_image fr = { 0 }, s1 = { 0 }, s2 = { 0 };
	struct vision_config cfg;
	static struct run r;
	const struct input *f;

	(void)state;
	orl("s1", 1, 1.8, &s1);
	orl("s2", 1, 1.8, &s2);

	/* absent: s1 for 3 s, then the empty room for 6 s */
	new_dir(dir, sizeof dir, "absent");
	rng_s = 3;
	for (int k = 0; k < 9 * FPS; k++) {
		background(&fr);
		if (k < 3 * FPS)
			paste(&fr, &s1, FW / 2 + (k % 5), FH / 2 - 20);
		noise(&fr, 4);
		write_frame(dir, k, &fr);
	}
	snprintf(spec, sizeof spec, "images:%s@%d", dir, FPS);
	cfg = base_config(spec);
	cfg.absent_s = 3;
	run_vision(&cfg, 0, 1, &r);
	print_run("absent", &r);
	assert_int_equal(count(&r, IN_FACE, "absent"), 1);
	assert_int_equal(count(&r, IN_FACE, "unknown"), 0);
	f = first(&r, IN_FACE, "absent");
	/* last seen within the last check period before 3 s; then 3 s */
	assert_true(f->t >= 3.0 + 3.0 - (VISION_PRIVATE_EVERY + 1.0) / FPS && f->t <= 6.0 + 0.5);
	assert_string_equal(text_of(f), "s1");
	/* without private mode: nothing */
	run_vision(&cfg, 0, 0, &r);
	assert_int_equal(count(&r, IN_FACE, NULL), 0);
	rm_tree(dir);

	/* unknown: s1 alone for 3 s, then s2 beside s1 for 4 s */
	new_dir(dir, sizeof dir, "unknown");
	for (int k = 0; k < 7 * FPS; k++) {
		background(&fr);
		if (k < 3 * FPS) {
			paste(&fr, &s1, FW / 2, FH / 2 - 20);
		} else {
			paste(&fr, &s1, FW / 2 - 130, FH / 2 - 20);
			paste(&fr, &s2, FW / 2 + 130, FH / 2 - 10);
		}
		noise(&fr, 4);
		write_frame(dir, k, &fr);
	}
	snprintf(spec, sizeof spec, "images:%s@%d", dir, FPS);
	cfg = base_config(spec);
	cfg.absent_s = 30;
	run_vision(&cfg, 0, 1, &r);
	print_run("unknown", &r);
	assert_int_equal(count(&r, IN_FACE, "unknown"), 1);
	assert_int_equal(count(&r, IN_FACE, "absent"), 0);
	f = first(&r, IN_FACE, "unknown");
	assert_true(f->t >= 3.0 && f->t <= 3.0 + (VISION_UNKNOWN_CHECKS + 1.0) *
	    VISION_PRIVATE_EVERY / FPS + 0.2);
	rm_tree(dir);
	cv_image_free(&fr);
	cv_image_free(&s1);
	cv_image_free(&s2);
}

/* ------------------------------------------------------------ cameras */

/* An MJPG .avi of n frames (a moving block, so frames differ). */
static void
write_avi(const char *path, int n)
{
	struct cv_image fr = { 0 };
	struct cv_writer *w;
	char err[256];

	if ((w = cv_writer_open(path, 320, 240, 10, err, sizeof err)) == NULL)
		fail_msg("%s", err);
	assert_int_equal(cv_image_alloc(&fr, 320, 240, 3), 0);
	for (int k = 0; k < n; k++) {
		memset(fr.data, 90, fr.stride * 240);
		for (int y = 100; y < 140; y++)
			memset(fr.data + (size_t)y * fr.stride + (size_t)(k * 8 % 280) * 3, 230, 120);
		if (cv_writer_write(w, &fr, err, sizeof err) != 0)
			fail_msg("%s", err);
	}
	cv_writer_close(w);
	cv_image_free(&fr);
}

/* A video damaged in the middle, and one cut short: frames up to where it
 * can be read, then IN_CAMERA "end"; the thread does not crash.  A file of
 * garbage and an empty folder: vision_new fails and says which. */
static void
test_bad_video(void **state)
{
	char path[256], spec[300], err[512];
	struct vision_config cfg;
	static struct run r;
	struct stat sb;
	struct queue *q = queue_new(16);
	FILE *f;

	(void)state;
	/* damaged: 4 KB of garbage over the middle */
	path_in(path, sizeof path, "damaged.avi");
	write_avi(path, 40);
	assert_int_equal(stat(path, &sb), 0);
	assert_non_null(f = fopen(path, "r+b"));
	assert_int_equal(fseek(f, sb.st_size / 2, SEEK_SET), 0);
	for (int i = 0; i < 4096; i++)
		fputc((int)(rnd() * 256), f);
	assert_int_equal(fclose(f), 0);
	snprintf(spec, sizeof spec, "file:%s", path);
	cfg = base_config(spec);
	run_vision(&cfg, 0, 0, &r);
	print_run("damaged", &r);
	assert_true(r.st.frames >= 10 && r.st.frames <= 40);
	assert_int_equal(count(&r, IN_CAMERA, "end"), 1);
	assert_true(r.in[r.n - 1].kind == IN_CAMERA);

	/* truncated to a third */
	path_in(path, sizeof path, "cut.avi");
	write_avi(path, 40);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(truncate(path, sb.st_size / 3), 0);
	snprintf(spec, sizeof spec, "file:%s", path);
	cfg = base_config(spec);
	run_vision(&cfg, 0, 0, &r);
	print_run("cut", &r);
	assert_true(r.st.frames >= 3 && r.st.frames < 40);
	assert_int_equal(count(&r, IN_CAMERA, "end"), 1);

	/* garbage: refused at vision_new, the file named */
	path_in(path, sizeof path, "garbage.avi");
	write_file(path, "RIFF this is not a video at all, only some text\n");
	snprintf(spec, sizeof spec, "file:%s", path);
	cfg = base_config(spec);
	err[0] = '\0';
	assert_null(vision_new(&cfg, q, wake_cb, NULL, err, sizeof err));
	printf("  garbage: %s\n", err);
	assert_non_null(strstr(err, path));

	/* an empty folder */
	new_dir(path, sizeof path, "empty");
	snprintf(spec, sizeof spec, "images:%s", path);
	cfg = base_config(spec);
	err[0] = '\0';
	assert_null(vision_new(&cfg, q, wake_cb, NULL, err, sizeof err));
	printf("  empty: %s\n", err);
	assert_non_null(strstr(err, path));

	/* a bad spec */
	cfg = base_config("webcam0");
	err[0] = '\0';
	assert_null(vision_new(&cfg, q, wake_cb, NULL, err, sizeof err));
	assert_non_null(strstr(err, "webcam0"));
	queue_free(q);
}

/* A live camera (a test row over the images row) that fails after 20
 * frames, is gone for one reopen, then gives 30 more and ends. */
static int lost_reads, lost_opens, lost_phase;

static int
lost_open(struct camera *c, const char *arg, char *err, size_t errlen)
{
	if (lost_opens++ == 1) {
		errno = ENODEV;
		snprintf(err, errlen, "test camera: %s", strerror(ENODEV));
		return -1;
	}
	if (camera_images_ops.open(c, arg, err, errlen) != 0)
		return -1;
	c->live = 1;
	return 0;
}

static int
lost_read(struct camera *c, struct cv_image *im, double *t, char *err, size_t errlen)
{
	if (lost_phase == 0 && lost_reads == 20) {
		lost_phase = 1;
		errno = ENODEV;
		snprintf(err, errlen, "test camera: read failed: %s", strerror(ENODEV));
		return -1;
	}
	if (lost_reads >= 50)
		return 0;
	lost_reads++;
	return camera_images_ops.read(c, im, t, err, errlen);
}

static void
lost_close(struct camera *c)
{
	camera_images_ops.close(c);
}

static const struct camera_ops lost_ops = { "lost", lost_open, lost_read, lost_close };

static void
test_camera_lost_back(void **state)
{
	char dir[256];
	struct cv_image fr = { 0 };
	struct vision_config cfg;
	static struct run r;
	const struct input *lost, *back;
	double last = -1;
	int il = -1, ib = -1;

	(void)state;
	new_dir(dir, sizeof dir, "frames");
	for (int k = 0; k < 40; k++) {
		background(&fr);
		noise(&fr, 4);
		write_frame(dir, k, &fr);
	}
	lost_reads = lost_opens = lost_phase = 0;
	cfg = base_config(dir);
	cfg.ops = &lost_ops;
	cfg.backoff_min = 0.05;
	cfg.backoff_max = 0.1;
	run_vision(&cfg, 0, 0, &r);
	print_run("lost", &r);
	assert_int_equal(count(&r, IN_CAMERA, "lost"), 1);
	assert_int_equal(count(&r, IN_CAMERA, "back"), 1);
	assert_int_equal(count(&r, IN_CAMERA, "end"), 1);
	lost = first(&r, IN_CAMERA, "lost");
	back = first(&r, IN_CAMERA, "back");
	assert_non_null(strstr(lost->camera.text, "read failed"));
	assert_string_equal(lost->camera.role, "room");
	for (int i = 0; i < r.n; i++) {
		if (&r.in[i] == lost)
			il = i;
		if (&r.in[i] == back)
			ib = i;
		assert_true(r.in[i].t >= last);
		last = r.in[i].t;
	}
	assert_true(il >= 0 && ib > il);
	assert_true(lost->t > 1.2 && lost->t < 1.4);      /* frame 19 at 15 fps */
	assert_int_equal(r.st.frames, 50);
	/* the stream time goes on after the reopen: 50 frames, 1/15 s apart */
	assert_true(r.in[r.n - 1].t > 49.0 / 15 - 0.01 && r.in[r.n - 1].t < 49.0 / 15 + 0.01);
	assert_int_equal(lost_opens, 3);
	cv_image_free(&fr);
	rm_tree(dir);
}

/* A replay that fails mid-stream is not reopened: "lost", then "end". */
static int
replay_read(struct camera *c, struct cv_image *im, double *t, char *err, size_t errlen)
{
	if (lost_reads++ == 10) {
		errno = EIO;
		snprintf(err, errlen, "test replay: read failed");
		return -1;
	}
	return camera_images_ops.read(c, im, t, err, errlen);
}

static void
test_replay_lost_ends(void **state)
{
	char dir[256];
	struct cv_image fr = { 0 };
	struct camera_ops ops = camera_images_ops;
	struct vision_config cfg;
	static struct run r;

	(void)state;
	ops.read = replay_read;
	new_dir(dir, sizeof dir, "replay");
	for (int k = 0; k < 20; k++) {
		background(&fr);
		write_frame(dir, k, &fr);
	}
	lost_reads = 0;
	cfg = base_config(dir);
	cfg.ops = &ops;
	run_vision(&cfg, 0, 0, &r);
	assert_int_equal(r.n, 2);
	assert_string_equal(what_of(&r.in[0]), "lost");
	assert_string_equal(what_of(&r.in[1]), "end");
	assert_int_equal(r.st.frames, 10);
	cv_image_free(&fr);
	rm_tree(dir);
}

/* --record: every processed frame is written with its time; statistics
 * hold together. */
static void
test_record_and_stats(void **state)
{
	char dir[256], rdir[256], spec[300], err[512], path[600], line[128];
	struct cv_image fr = { 0 };
	struct vision_config cfg;
	static struct run r;
	struct record *rec;
	FILE *f;
	int lines = 0;

	(void)state;
	new_dir(dir, sizeof dir, "torecord");
	for (int k = 0; k < 30; k++) {
		background(&fr);
		noise(&fr, 8);
		write_frame(dir, k, &fr);
	}
	path_in(rdir, sizeof rdir, "recording");
	if ((rec = record_open(rdir, err, sizeof err)) == NULL)
		fail_msg("%s", err);
	snprintf(spec, sizeof spec, "images:%s@10", dir);
	cfg = base_config(spec);
	cfg.rec = rec;
	cfg.face_every = 3;
	run_vision(&cfg, 0, 0, &r);
	assert_int_equal(record_frames(rec, "room"), 30);
	assert_int_equal(record_close(rec, err, sizeof err), 0);
	snprintf(path, sizeof path, "%s/room/frames.tsv", rdir);
	assert_non_null(f = fopen(path, "r"));
	while (fgets(line, sizeof line, f) != NULL)
		lines++;
	fclose(f);
	assert_int_equal(lines, 30);
	assert_int_equal(r.st.frames, 30);
	assert_int_equal(r.st.face_runs, 10);     /* every 3rd frame */
	assert_int_equal(r.st.w, FW);
	assert_int_equal(r.st.h, FH);
	assert_int_equal(r.st.inputs, 1);          /* the end */
	assert_true(r.st.fps > 0);
	assert_true(r.st.lat_min_ms > 0);
	assert_true(r.st.lat_min_ms <= r.st.lat_avg_ms);
	assert_true(r.st.lat_avg_ms <= r.st.lat_max_ms);
	assert_true(r.st.lat_p95_ms <= r.st.lat_max_ms && r.st.lat_p95_ms >= r.st.lat_min_ms);
	cv_image_free(&fr);
	rm_tree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_video),
		cmocka_unit_test(test_camera_lost_back),
		cmocka_unit_test(test_replay_lost_ends),
		cmocka_unit_test(test_record_and_stats),
		cmocka_unit_test(test_verify_nobody_enrolled),
		cmocka_unit_test(test_still_photo_fails),
		cmocka_unit_test(test_shaking_photo_fails),
		cmocka_unit_test(test_live_person_verified),
		cmocka_unit_test(test_private_absent_unknown),
		cmocka_unit_test(test_raise_clip),
		cmocka_unit_test(test_no_raise_clips),
	};

	(void)clip_run;                    /* the bench's; clip.h is shared */
	if (getenv("TEST_FILTER"))
		cmocka_set_test_filter(getenv("TEST_FILTER"));
	return cmocka_run_group_tests(tests, setup, teardown);
}
