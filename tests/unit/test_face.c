/*
 * test_face — face detection, recognition (the learned embedding, the
 * default, and the LBP row), the enrollment store and the liveness state
 * machine (models/face.c, devices/cv_face.cpp) on the real BlazeFace model,
 * the real face recognition network and the AT&T/ORL faces.
 *
 * Run from the repository root (tests/run-unit does): the models are
 * models/blazeface/... and models/facerec/..., the faces
 * ../shared/data/faces/orl (or $ORL_DIR).
 * A missing model or face set fails the tests; nothing is skipped.
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

#define PAD 30

static struct face_ctx *ctx, *lbp;
static char state[64];

static const char *
orl(int person, int k)
{
	static char path[4][512];
	static int n;
	const char *dir = getenv("ORL_DIR");
	char *p = path[n++ % 4];

	snprintf(p, sizeof path[0], "%s/s%d/%d.pgm", dir && *dir ? dir : "../shared/data/faces/orl",
	    person, k);
	if (access(p, R_OK) != 0)
		fail_msg("ORL face %s is missing (set ORL_DIR)", p);
	return p;
}

/* An ORL image in a black frame PAD pixels wide, shifted by dx. */
static void
padded(int person, int k, int dx, struct cv_image *out)
{
	struct cv_image im;
	char err[256];
	int y;

	if (cv_face_read_image(orl(person, k), &im, err, sizeof err) == -1)
		fail_msg("%s", err);
	assert_int_equal(cv_image_alloc(out, im.w + 2 * PAD, im.h + 2 * PAD, 3), 0);
	for (y = 0; y < im.h; y++)
		memcpy(out->data + (size_t)(y + PAD) * out->stride + (size_t)(PAD + dx) * 3,
		    im.data + (size_t)y * im.stride, (size_t)im.w * 3);
	cv_image_free(&im);
}

static int
setup_ctx(void **st)
{
	struct face_config fc = { FACE_DEFAULT_MODEL, NULL, FACE_DEFAULT_MIN_SCORE, 0, 0,
	    FACE_DESC_EMBEDDING, NULL };
	char err[512];

	(void)st;
	if ((ctx = face_open(&fc, err, sizeof err)) == NULL) {
		fprintf(stderr, "face_open: %s\n", err);
		return -1;
	}
	fc.descriptor = FACE_DESC_LBP;
	if ((lbp = face_open(&fc, err, sizeof err)) == NULL) {
		fprintf(stderr, "face_open (lbp): %s\n", err);
		return -1;
	}
	snprintf(state, sizeof state, "/tmp/so-face-XXXXXX");
	if (mkdtemp(state) == NULL)
		return -1;
	return 0;
}

static int
teardown_ctx(void **st)
{
	char cmd[128];

	(void)st;
	face_close(ctx);
	face_close(lbp);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", state);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- anchors and decoding (pure C) */

static void
test_anchors(void **st)
{
	const float *a = face_anchors();

	(void)st;
	/* 16×16×2 + 8×8×6 = 896 anchors, in the network's output order */
	assert_true(fabsf(a[0] - 0.5f / 16) < 1e-6 && fabsf(a[1] - 0.5f / 16) < 1e-6);
	assert_true(fabsf(a[2] - 0.5f / 16) < 1e-6);            /* 2nd anchor, same cell */
	assert_true(fabsf(a[4] - 1.5f / 16) < 1e-6);            /* next cell along x */
	assert_true(fabsf(a[2 * 511] - 15.5f / 16) < 1e-6 && fabsf(a[2 * 511 + 1] - 15.5f / 16) < 1e-6);
	assert_true(fabsf(a[2 * 512] - 0.5f / 8) < 1e-6 && fabsf(a[2 * 512 + 1] - 0.5f / 8) < 1e-6);
	assert_true(fabsf(a[2 * 517] - 0.5f / 8) < 1e-6);       /* 6 anchors per cell */
	assert_true(fabsf(a[2 * 518] - 1.5f / 8) < 1e-6);
	assert_true(fabsf(a[2 * 895] - 7.5f / 8) < 1e-6 && fabsf(a[2 * 895 + 1] - 7.5f / 8) < 1e-6);
	assert_int_equal(CV_FACENET_ANCHORS, 896);
}

static void
test_decode_nms(void **st)
{
	static float scores[CV_FACENET_ANCHORS], regs[CV_FACENET_ANCHORS * 16];
	struct cv_letterbox lb = { 2.0f, 10.0f, 0.0f };   /* a 256-wide image, 10 px pad */
	struct face_det d[4];
	int i, n;

	(void)st;
	for (i = 0; i < CV_FACENET_ANCHORS; i++)
		scores[i] = -10;
	/* anchors 600 and 601 share a cell of the 8×8 layer: two boxes of the
	 * same face, 40 net px, 2 px apart; anchor 0: a weak far one */
	scores[600] = 2.0f;              /* sigmoid 0.881 */
	scores[601] = 0.0f;              /* sigmoid 0.5 (> 0.45) */
	scores[0] = 1.0f;
	regs[600 * 16 + 2] = regs[600 * 16 + 3] = 40;
	regs[601 * 16 + 0] = 2;
	regs[601 * 16 + 2] = regs[601 * 16 + 3] = 40;
	regs[0 * 16 + 2] = regs[0 * 16 + 3] = 8;
	regs[600 * 16 + 4] = -10;         /* right eye 10 px left of the anchor */
	n = face_decode(scores, regs, &lb, 0.45f, d, 4);
	assert_int_equal(n, 2);
	assert_true(fabsf(d[0].score - 0.8808f) < 1e-3);
	/* cell of anchor 600: (600-512)/6 = 14 -> x 6, y 1 of 8 -> centre
	 * (6.5/8*128, 1.5/8*128) = (104, 24) net px; 601 is 2 px right; the
	 * weighted mean is 104 + 2*0.5/(0.881+0.5) = 104.724 */
	assert_true(fabsf(d[0].box.x + d[0].box.w / 2 - (104.724f * 2 - 10)) < 0.05f);
	assert_true(fabsf(d[0].box.w - 80) < 1e-3);
	assert_true(fabsf(d[0].kp[FACE_KP_REYE].x - ((104 - 10 * 0.881f / 1.381f) * 2 - 10)) < 0.1f);
	assert_true(fabsf(d[1].score - 0.731f) < 1e-3);       /* anchor 0 kept apart */
	assert_true(fabsf(d[1].box.x + d[1].box.w / 2 - (4 * 2 - 10)) < 1e-3);
}

/* ---- detection on ORL */

static void
test_detect_orl(void **st)
{
	struct face_det d[FACE_MAX_DETS];
	char err[256];
	int p, k, one = 0, total = 0, n;

	(void)st;
	assert_true(face_uses_net(ctx));
	for (p = 1; p <= 40; p++)
		for (k = 1; k <= 10; k++) {
			struct cv_image im;
			padded(p, k, 0, &im);
			if ((n = face_detect(ctx, &im, d, FACE_MAX_DETS, err, sizeof err)) == -1)
				fail_msg("%s: %s", orl(p, k), err);
			total++;
			if (n == 1) {
				one++;
				/* the box is inside the original picture, around the eyes */
				assert_true(d[0].box.x > PAD - 20 && d[0].box.x + d[0].box.w < PAD + 92 + 20);
				assert_true(d[0].kp[FACE_KP_REYE].x < d[0].kp[FACE_KP_LEYE].x);
				assert_true(d[0].kp[FACE_KP_NOSE].y > d[0].kp[FACE_KP_REYE].y);
			}
			cv_image_free(&im);
		}
	printf("  exactly one face in %d of %d padded ORL images\n", one, total);
	assert_true(one >= 396);     /* measured: 400 of 400 */
}

/* ---- enrollment and verification */

static void
enroll_with(struct face_ctx *c, const char *name, int person, const int *ks, int n)
{
	struct cv_image ims[10];
	char err[256];
	int i;

	for (i = 0; i < n; i++)
		if (cv_face_read_image(orl(person, ks[i]), &ims[i], err, sizeof err) == -1)
			fail_msg("%s", err);
	if (face_enroll(c, state, name, ims, n, err, sizeof err) == -1)
		fail_msg("enroll %s: %s", name, err);
	for (i = 0; i < n; i++)
		cv_image_free(&ims[i]);
}

static void
enroll(const char *name, int person, const int *ks, int n)
{
	enroll_with(ctx, name, person, ks, n);
}

static int
verify_with(struct face_ctx *c, struct face_person *p, int person, int k, double *score)
{
	struct cv_image im;
	struct face_verdict v;
	char err[512];

	if (cv_face_read_image(orl(person, k), &im, err, sizeof err) == -1 ||
	    face_person_verify(c, p, &im, &v, err, sizeof err) == -1)
		fail_msg("verify %s: %s", orl(person, k), err);
	cv_image_free(&im);
	assert_true(v.face);
	if (score)
		*score = v.score;
	return v.match;
}

static int
verify(struct face_person *p, int person, int k, double *score)
{
	return verify_with(ctx, p, person, k, score);
}

static void
test_enroll_verify(void **st)
{
	static const int first5[5] = { 1, 2, 3, 4, 5 };
	struct face_person *p;
	char name[16], err[256];
	int s, k, other, missing, genuine = 0, s1 = 0, false_acc = 0, impostors = 0;
	double sc;

	(void)st;
	for (s = 1; s <= 8; s++) {
		snprintf(name, sizeof name, "s%d", s);
		enroll(name, s, first5, 5);
		if ((p = face_person_load(state, name, &missing, err, sizeof err)) == NULL)
			fail_msg("%s", err);
		for (k = 6; k <= 10; k++) {
			int m = verify(p, s, k, &sc);
			genuine += m;
			if (s == 1)
				s1 += m;
		}
		for (other = 1; other <= 40; other++)
			if (other != s) {
				false_acc += verify(p, other, 7, NULL);
				impostors++;
			}
		face_person_free(p);
	}
	printf("  embedding: genuine matches %d/40 (s1: %d/5), false accepts %d/%d\n", genuine,
	    s1, false_acc, impostors);
	/* measured at the default threshold: 40/40 (LBP: 34/40, s1 turns the
	 * head in images 5-6 and matched 2/5), 0 false accepts */
	assert_true(genuine >= 38);
	assert_int_equal(false_acc, 0);
}

/* The LBP row of the same table still works (face_descriptor = lbp). */
static void
test_enroll_verify_lbp(void **st)
{
	static const int first5[5] = { 1, 2, 3, 4, 5 };
	struct face_person *p;
	char name[16], err[256];
	int s, k, other, missing, genuine = 0, false_acc = 0;

	(void)st;
	for (s = 1; s <= 8; s++) {
		snprintf(name, sizeof name, "lbp%d", s);
		enroll_with(lbp, name, s, first5, 5);
		if ((p = face_person_load(state, name, &missing, err, sizeof err)) == NULL)
			fail_msg("%s", err);
		assert_int_equal(face_person_descriptor(p), FACE_DESC_LBP);
		for (k = 6; k <= 10; k++)
			genuine += verify_with(lbp, p, s, k, NULL);
		for (other = 1; other <= 40; other += 3)
			if (other != s)
				false_acc += verify_with(lbp, p, other, 7, NULL);
		face_person_free(p);
	}
	printf("  lbp: genuine matches %d/40, false accepts %d\n", genuine, false_acc);
	assert_true(genuine >= 32);                 /* measured: 34/40 */
	assert_int_equal(false_acc, 0);
}

/*
 * An enrollment made by one descriptor is refused by the other, with a
 * message that says which and what to do (never garbage distances); the
 * old store format (version 1, LBP only) reads as an LBP enrollment.
 */
static void
test_descriptor_mismatch(void **st)
{
	static const int ks[3] = { 1, 2, 3 };
	struct face_person *p;
	struct face_verdict v;
	struct cv_image im;
	char err[512], file[160], *buf;
	double dist;
	int missing;
	FILE *f;
	long len;

	(void)st;
	enroll_with(lbp, "old", 6, ks, 3);
	assert_non_null(p = face_person_load(state, "old", &missing, err, sizeof err));
	assert_int_equal(face_person_descriptor(p), FACE_DESC_LBP);
	assert_int_equal(face_person_usable(lbp, p, err, sizeof err), 0);
	assert_int_equal(face_person_usable(ctx, p, err, sizeof err), -1);
	printf("  %s\n", err);
	assert_non_null(strstr(err, "enrolled with the lbp descriptor"));
	assert_non_null(strstr(err, "face_descriptor is embedding"));
	if (cv_face_read_image(orl(6, 4), &im, err, sizeof err) == -1)
		fail_msg("%s", err);
	assert_int_equal(face_person_verify(ctx, p, &im, &v, err, sizeof err), -1);
	assert_non_null(strstr(err, "enroll again"));
	/* the LBP one matches its own person's image */
	assert_int_equal(face_person_verify(lbp, p, &im, &v, err, sizeof err), 0);
	assert_true(v.face);
	face_person_free(p);

	/* rewritten as the old version 1 file: the same templates, read as LBP */
	snprintf(file, sizeof file, "%s/faces/old.face", state);
	assert_non_null(f = fopen(file, "rb"));
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	assert_non_null(buf = malloc((size_t)len + 64));
	assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	{
		char *nl = memchr(buf, '\n', 96), hdr[64];
		int hl = snprintf(hdr, sizeof hdr, "smartoffice-face 1 3 7552\n");
		assert_non_null(nl);
		assert_non_null(f = fopen(file, "wb"));
		fwrite(hdr, 1, (size_t)hl, f);
		fwrite(nl + 1, 1, (size_t)(len - (nl + 1 - buf)), f);
		fclose(f);
	}
	free(buf);
	assert_non_null(p = face_person_load(state, "old", &missing, err, sizeof err));
	assert_int_equal(face_person_descriptor(p), FACE_DESC_LBP);
	assert_int_equal(face_person_count(p), 3);
	assert_int_equal(face_person_verify(lbp, p, &im, &v, err, sizeof err), 0);
	assert_true(v.match);
	face_person_free(p);

	/* the other way: an embedding enrollment under lbp, and the LBP crop API */
	enroll("new", 6, ks, 3);
	assert_non_null(p = face_person_load(state, "new", &missing, err, sizeof err));
	assert_int_equal(face_person_descriptor(p), FACE_DESC_EMBEDDING);
	assert_int_equal(face_person_verify(lbp, p, &im, &v, err, sizeof err), -1);
	assert_non_null(strstr(err, "enrolled with the embedding descriptor"));
	{
		struct cv_image crop;
		assert_int_equal(cv_image_alloc(&crop, FACE_CROP_W, FACE_CROP_H, 1), 0);
		memset(crop.data, 100, crop.stride * crop.h);
		assert_int_equal(face_person_distance(p, &crop, &dist, err, sizeof err), -1);
		cv_image_free(&crop);
	}
	assert_int_equal(face_person_verify(ctx, p, &im, &v, err, sizeof err), 0);
	assert_true(v.match);
	face_person_free(p);
	cv_image_free(&im);

	/* a version 2 file naming a descriptor we do not know */
	write_file(file, "smartoffice-face 2 arcface 1 512\nxxxx");
	assert_int_equal(chmod(file, 0600), 0);
	assert_null(face_person_load(state, "old", &missing, err, sizeof err));
	assert_non_null(strstr(err, "does not know"));
}

static void
test_store_modes(void **st)
{
	static const int ks[3] = { 1, 2, 3 };
	struct face_person *p;
	struct stat sb;
	char dir[128], file[160], err[256];
	int missing;

	(void)st;
	enroll("alice", 3, ks, 3);
	snprintf(dir, sizeof dir, "%s/faces", state);
	snprintf(file, sizeof file, "%s/alice.face", dir);
	assert_int_equal(stat(dir, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	assert_int_equal(stat(file, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);

	/* readable by others: loaded, with a warning, and made 0600 */
	assert_int_equal(chmod(file, 0644), 0);
	p = face_person_load(state, "alice", &missing, err, sizeof err);
	assert_non_null(p);
	face_person_free(p);
	assert_int_equal(stat(file, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);

	/* writable by others: refused */
	assert_int_equal(chmod(file, 0666), 0);
	p = face_person_load(state, "alice", &missing, err, sizeof err);
	assert_null(p);
	assert_int_equal(missing, 0);
	assert_non_null(strstr(err, "refusing"));

	/* an open directory is closed again */
	assert_int_equal(chmod(file, 0600), 0);
	assert_int_equal(chmod(dir, 0755), 0);
	p = face_person_load(state, "alice", &missing, err, sizeof err);
	assert_non_null(p);
	face_person_free(p);
	assert_int_equal(stat(dir, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);

	/* unknown and invalid names */
	assert_null(face_person_load(state, "bob", &missing, err, sizeof err));
	assert_int_equal(missing, 1);
	assert_null(face_person_load(state, "../alice", &missing, err, sizeof err));
	assert_int_equal(missing, 0);
	assert_false(face_name_valid(""));
	assert_false(face_name_valid(".hidden"));
	assert_false(face_name_valid("a/b"));
	assert_true(face_name_valid("Mayor.Oh-2"));

	/* a corrupt store file is refused with the reason */
	write_file(file, "smartoffice-face 1 5 7552\nshort");
	assert_int_equal(chmod(file, 0600), 0);
	assert_null(face_person_load(state, "alice", &missing, err, sizeof err));
	assert_non_null(strstr(err, "re-enroll"));
	write_file(file, "smartoffice-face 2 embedding 5 128\nshort");
	assert_null(face_person_load(state, "alice", &missing, err, sizeof err));
	assert_non_null(strstr(err, "re-enroll"));
	write_file(file, "smartoffice-face 2 embedding 1 7552\nshort");   /* wrong dim */
	assert_null(face_person_load(state, "alice", &missing, err, sizeof err));
	assert_non_null(strstr(err, "re-enroll"));
}

/* Writes LEN bytes to PATH, mode 0600. */
static void
write_bytes(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, 0600), 0);
}

/*
 * Damaged store files are refused without reading past what was read (the
 * header is parsed within the file's bytes: valgrind checks it), and a good
 * file whose first descriptor byte happens to be white space still loads.
 */
static void
test_store_damaged(void **st)
{
	static const int ks[2] = { 1, 2 };
	struct face_person *p;
	char file[160], err[256], *buf, *good;
	size_t n, goodlen, hl;
	int missing;
	FILE *f;

	(void)st;
	enroll("dora", 4, ks, 2);
	snprintf(file, sizeof file, "%s/faces/dora.face", state);
	assert_non_null(f = fopen(file, "r"));
	assert_non_null(good = malloc(1 << 20));
	goodlen = fread(good, 1, 1 << 20, f);
	fclose(f);
	assert_true(goodlen > 64);
	hl = (size_t)((char *)memchr(good, '\n', 64) - good) + 1;

	/* Nothing but header digits, no newline, no NUL: sscanf on it read
	 * past the end of the buffer. */
	n = 100000;
	assert_non_null(buf = malloc(n));
	memcpy(buf, "smartoffice-face 1 2 ", 21);
	memset(buf + 21, '7', n - 21);
	write_bytes(file, buf, n);
	assert_null(face_person_load(state, "dora", &missing, err, sizeof err));
	assert_int_equal(missing, 0);
	assert_non_null(strstr(err, "re-enroll"));
	/* The magic alone, cut short. */
	write_bytes(file, "smartoffice-face 1", 18);
	assert_null(face_person_load(state, "dora", &missing, err, sizeof err));
	assert_non_null(strstr(err, "re-enroll"));
	/* A header line with more than two numbers, or a sign. */
	write_bytes(file, "smartoffice-face 1 2 3\n", 23);
	assert_null(face_person_load(state, "dora", &missing, err, sizeof err));
	free(buf);

	/* The descriptors start with a space, a tab and a newline byte: the
	 * header's "\n" in sscanf skipped them as white space. */
	assert_non_null(buf = malloc(goodlen));
	memcpy(buf, good, goodlen);
	buf[hl] = ' ';
	buf[hl + 1] = '\t';
	buf[hl + 2] = '\n';
	write_bytes(file, buf, goodlen);
	p = face_person_load(state, "dora", &missing, err, sizeof err);
	if (p == NULL)
		fail_msg("a good file refused: %s", err);
	face_person_free(p);
	free(buf);
	free(good);
}

/* ---- liveness */

/* Detects the face of ORL image (person, k), padded and shifted by dx, and
 * whether it matches p. */
static void
frame(struct face_person *p, int person, int k, int dx, struct face_det *d, int *match)
{
	struct face_det dd[FACE_MAX_DETS];
	struct cv_image im;
	char err[512];
	double dist;

	padded(person, k, dx, &im);
	assert_true(face_detect(ctx, &im, dd, FACE_MAX_DETS, err, sizeof err) >= 1);
	*d = dd[0];
	if (face_person_match(ctx, p, &im, d, &dist, err, sizeof err) != 0)
		fail_msg("%s", err);
	*match = dist <= face_threshold(ctx);
	cv_image_free(&im);
}

static void
test_live_still_photo(void **st)
{
	static const int ks[5] = { 1, 2, 3, 4, 5 };
	struct face_live lv;
	struct face_person *p;
	struct face_det d;
	char err[256];
	int i, m, missing;

	(void)st;
	enroll("s2", 2, ks, 5);
	assert_non_null(p = face_person_load(state, "s2", &missing, err, sizeof err));
	frame(p, 2, 1, 0, &d, &m);
	assert_true(m);                         /* it is the enrolled face */
	/* the same frame 100 times, eyes seen open (a photo does not blink) */
	face_live_init(&lv, NULL);
	for (i = 0; i < 100; i++)
		assert_int_not_equal(face_live_feed(&lv, i * 0.1, &d, 1, 1), FACE_LIVE_VERIFIED);
	assert_int_equal(lv.st, FACE_LIVE_CHALLENGE);
	/* the photo moved around in front of the camera: same yaw */
	face_live_init(&lv, NULL);
	for (i = 0; i < 60; i++) {
		int dx = (i % 12 < 6 ? i % 6 : 6 - i % 6) * 4 - 12;
		frame(p, 2, 1, dx, &d, &m);
		assert_int_not_equal(face_live_feed(&lv, i * 0.1, &d, m, 1), FACE_LIVE_VERIFIED);
	}
	/* one matching frame never verifies, even with a "blink" */
	face_live_init(&lv, NULL);
	frame(p, 2, 1, 0, &d, &m);
	assert_int_equal(face_live_feed(&lv, 0, &d, 1, 0), FACE_LIVE_SEARCHING);
	face_person_free(p);
}

static void
test_live_head_turn(void **st)
{
	static const int ks[5] = { 1, 2, 3, 4, 5 };
	/* s1: 8 and 7 frontal (yaw about 0), 6 turned (yaw about -0.26) */
	static const int seq[] = { 8, 8, 8, 8, 8, 8, 6, 6, 6, 7, 7, 7, 8, 8 };
	struct face_live lv;
	struct face_person *p;
	struct face_det d;
	char err[256];
	int i, m, missing, at = -1;
	enum face_live_state s;

	(void)st;
	enroll("s1", 1, ks, 5);
	assert_non_null(p = face_person_load(state, "s1", &missing, err, sizeof err));
	face_live_init(&lv, NULL);
	for (i = 0; i < (int)(sizeof seq / sizeof seq[0]); i++) {
		frame(p, 1, seq[i], 0, &d, &m);
		s = face_live_feed(&lv, i * 0.1, &d, m, -1);
		if (s == FACE_LIVE_VERIFIED && at < 0)
			at = i;
	}
	printf("  head turn verified at frame %d\n", at);
	assert_true(at > 8);                    /* only after the turn and back */
	/* the turn alone, without coming back, is not enough */
	face_live_init(&lv, NULL);
	for (i = 0; i < 9; i++) {
		frame(p, 1, seq[i], 0, &d, &m);
		assert_int_not_equal(face_live_feed(&lv, i * 0.1, &d, m, -1), FACE_LIVE_VERIFIED);
	}
	/* someone else turning the head is never verified */
	face_live_init(&lv, NULL);
	for (i = 0; i < (int)(sizeof seq / sizeof seq[0]); i++) {
		frame(p, 5, seq[i] == 6 ? 6 : 1, 0, &d, &m);   /* s5: 6 is turned */
		assert_int_not_equal(face_live_feed(&lv, i * 0.1, &d, m, -1), FACE_LIVE_VERIFIED);
	}
	face_person_free(p);
}

static void
test_live_blink_and_reset(void **st)
{
	struct face_live lv;
	struct face_det d;
	int i, k;
	/* eyes: open ×6, closed ×2, open ×3 */
	static const int eyes[] = { 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1 };

	(void)st;
	memset(&d, 0, sizeof d);
	d.box = (struct cv_rect){ 100, 100, 80, 80 };
	d.kp[FACE_KP_REYE] = (struct cv_point){ 120, 130 };
	d.kp[FACE_KP_LEYE] = (struct cv_point){ 160, 130 };
	d.kp[FACE_KP_NOSE] = (struct cv_point){ 140, 150 };
	face_live_init(&lv, NULL);
	for (i = 0; i < 11; i++)
		face_live_feed(&lv, i * 0.1, &d, 1, eyes[i]);
	assert_int_equal(lv.st, FACE_LIVE_VERIFIED);
	/* eyes closed too long is not a blink */
	face_live_init(&lv, NULL);
	for (i = 0; i < 6; i++)
		face_live_feed(&lv, i * 0.1, &d, 1, 1);
	for (k = 0; k < 10; k++, i++)
		face_live_feed(&lv, i * 0.1, &d, 1, 0);
	for (k = 0; k < 3; k++, i++)
		assert_int_not_equal(face_live_feed(&lv, i * 0.1, &d, 1, 1), FACE_LIVE_VERIFIED);
	/* verified, then the face is gone past lost_s: back to searching */
	face_live_init(&lv, NULL);
	for (i = 0; i < 11; i++)
		face_live_feed(&lv, i * 0.1, &d, 1, eyes[i]);
	assert_int_equal(face_live_feed(&lv, 1.5, NULL, 0, -1), FACE_LIVE_VERIFIED);
	assert_int_equal(face_live_feed(&lv, 2.5, NULL, 0, -1), FACE_LIVE_SEARCHING);
	/* a blink by a face that jumped across the frame (another face) does not count */
	face_live_init(&lv, NULL);
	for (i = 0; i < 6; i++)
		face_live_feed(&lv, i * 0.1, &d, 1, 1);
	d.box.x += 300;
	for (; i < 11; i++)
		assert_int_not_equal(face_live_feed(&lv, i * 0.1, &d, 1, eyes[i]), FACE_LIVE_VERIFIED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_anchors),
		cmocka_unit_test(test_decode_nms),
		cmocka_unit_test(test_detect_orl),
		cmocka_unit_test(test_enroll_verify),
		cmocka_unit_test(test_enroll_verify_lbp),
		cmocka_unit_test(test_descriptor_mismatch),
		cmocka_unit_test(test_store_modes),
		cmocka_unit_test(test_store_damaged),
		cmocka_unit_test(test_live_still_photo),
		cmocka_unit_test(test_live_head_turn),
		cmocka_unit_test(test_live_blink_and_reset),
	};

	/* TEST_FILTER=test_store_damaged: that test alone (e.g. under valgrind,
	 * which takes an hour over the whole set). */
	if (getenv("TEST_FILTER") != NULL)
		cmocka_set_test_filter(getenv("TEST_FILTER"));
	return cmocka_run_group_tests(tests, setup_ctx, teardown_ctx);
}
