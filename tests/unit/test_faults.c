/*
 * test_faults — the real modules that write durable state, driven with
 * faults injected through base/sysio's table: ENOSPC and EIO on write and
 * fsync, EACCES on open, a process that dies between its write and its
 * rename (fork, _exit in the child's rename), and a read-only folder, for
 * the tokens file (daemon/tokens.c), the face store (models/face.c), a
 * recording (devices/record.c, wav_save) and the state directory
 * (daemon_ensure_state_dir, STATE_DIR/url).  Each case asserts the
 * module's return value, its error text, and that the file on disk is
 * still the old one, read back by the module's own loader; and that what
 * the module holds in memory is the last good state.
 *
 * A read-only folder is chmod 0500.  Root writes there all the same, so as
 * root each such case runs twice: with an injected EROFS on the open, and
 * in a child dropped to uid 65534 (the folder handed to it) where the real
 * chmod refuses; which paths ran is printed.
 *
 * Faces need the BlazeFace model and the ORL faces (../shared/data/faces/
 * orl or $ORL_DIR), as test_face; missing ones fail.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/testutil.h"

#include "base/sysio.h"
#include "daemon/daemon.h"
#include "daemon/service.h"
#include "daemon/tokens.h"
#include "devices/camera.h"
#include "devices/cv_face.h"
#include "devices/record.h"
#include "devices/wav.h"
#include "models/face.h"

#define NOBODY 65534
#define CRASHED 42              /* the child's exit status at its rename */

static char top[64], state[96], err[1024], want[1024];

static int
setup(void **st)
{
	(void)st;
	sysio_reset();
	if (tmpdir_make(top, sizeof top, "/tmp/so-faults-XXXXXX") < 0)
		return -1;
	snprintf(state, sizeof state, "%s/state", top);
	err[0] = '\0';
	return mkdir(state, 0700);
}

static int
teardown(void **st)
{
	(void)st;
	sysio_reset();
	chmod(state, 0700);
	return tmpdir_remove(top);
}

/* ---- helpers ---- */

struct blob {
	char  *p;
	size_t n;
};

static struct blob
slurp(const char *path)
{
	struct blob b = { NULL, 0 };
	FILE *f = fopen(path, "rb");
	size_t cap = 0, k;

	if (f == NULL)
		fail_msg("%s: %s", path, strerror(errno));
	do {
		if (b.n == cap)
			assert_non_null(b.p = realloc(b.p, cap = cap ? 2 * cap : 65536));
		k = fread(b.p + b.n, 1, cap - b.n, f);
		b.n += k;
	} while (k > 0);
	fclose(f);
	return b;
}

/* PATH holds exactly OLD. */
static void
same(const char *path, const struct blob *old)
{
	struct blob now = slurp(path);

	if (now.n != old->n || memcmp(now.p, old->p, now.n) != 0)
		fail_msg("%s changed: %zu bytes, was %zu", path, now.n, old->n);
	free(now.p);
}

/* The temporary files (".NAME.XXXXXX") in DIR. */
static int
temps(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] == '.' && strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

static void
expect_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void
expect_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(want, sizeof want, fmt, ap);
	va_end(ap);
	assert_string_equal(err, want);
}

/* The faults every whole-file writer is put through: the Nth call of CALL
 * (counted from the writer's start) fails with ERR; STEP is what the error
 * names. */
struct fault {
	const char *call;
	unsigned    nth;
	int         err;
	const char *step;
};

static const char *
ename(int e)
{
	switch (e) {
	case ENOSPC: return "ENOSPC";
	case EIO:    return "EIO";
	case EACCES: return "EACCES";
	case EROFS:  return "EROFS";
	default:     return "?";
	}
}

static void
arm(const struct fault *f)
{
	sysio_reset();
	assert_int_equal(sysio_fail(f->call, f->nth, f->err, 0), 0);
}

/* The fault was reached (a test that injects nothing must not pass). */
static void
reached(const struct fault *f)
{
	if (sysio_failed(f->call) != 1)
		fail_msg("the injected %s on %s #%u was never reached", ename(f->err), f->call, f->nth);
	sysio_reset();
}

/* The child's rename: the process dies right there, the new file written
 * and fsync'd but not yet in place. */
static int
die_at_rename(const char *from, const char *to)
{
	(void)from; (void)to;
	_exit(CRASHED);
}

/* Runs fn(arg) in a child that dies at its first rename; fails unless it
 * got there. */
static void
crash_before_rename(void (*fn)(void *), void *arg)
{
	int status;
	pid_t pid;

	fflush(NULL);
	assert_true((pid = fork()) >= 0);
	if (pid == 0) {
		sysio_set("rename", (sysio_fn)die_at_rename);
		fn(arg);
		_exit(1);                       /* it returned: never reached rename */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) != CRASHED)
		fail_msg("the child exited %d, not at its rename", WEXITSTATUS(status));
}

static int chown_to;
static int
chown_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return lchown(p, (uid_t)chown_to, (gid_t)chown_to);
}

/*
 * The read-only cases: fn's result when it runs where DIR is chmod 0500.
 * Not root: fn runs here (the kernel refuses).  Root: fn runs with an
 * injected EROFS on the NTH open (or mkdir when CALL says), then in a child
 * dropped to uid 65534 with the tree handed to it.  CHECK is called with
 * each result and the errno that path must give.
 */
typedef int (*ro_fn)(void *arg, char *e, size_t elen, int *eno);
typedef void (*ro_check)(void *arg, int rc, int eno, const char *e, int want_errno);

static void
read_only(const char *dir, const char *call, unsigned nth, ro_fn fn, ro_check check, void *arg)
{
	char e[1024];
	int rc, eno = 0, fds[2], status;
	pid_t pid;

	assert_int_equal(chmod(dir, 0500), 0);
	if (geteuid() != 0) {
		printf("  read-only %s: not root, chmod 0500 refuses the write\n", dir);
		rc = fn(arg, e, sizeof e, &eno);
		chmod(dir, 0700);
		check(arg, rc, eno, e, EACCES);
		return;
	}
	printf("  read-only: root ignores chmod 0500: injected EROFS on %s #%u", call, nth);
	sysio_reset();
	sysio_fail(call, nth, EROFS, 0);
	rc = fn(arg, e, sizeof e, &eno);
	assert_int_equal(sysio_failed(call), 1);
	sysio_reset();
	check(arg, rc, eno, e, EROFS);

	/* The kernel's own refusal, as an unprivileged user. */
	chown_to = NOBODY;
	assert_int_equal(nftw(top, chown_one, 16, FTW_PHYS), 0);
	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	assert_true((pid = fork()) >= 0);
	if (pid == 0) {
		struct { int rc, eno, dropped; char e[1024]; } r = { -1, 0, 0, "" };
		close(fds[0]);
		if (setgroups(0, NULL) == 0 && setgid(NOBODY) == 0 && setuid(NOBODY) == 0) {
			r.dropped = 1;
			r.rc = fn(arg, r.e, sizeof r.e, &r.eno);
		} else
			snprintf(r.e, sizeof r.e, "%s", strerror(errno));
		(void)!write(fds[1], &r, sizeof r);
		_exit(0);
	}
	close(fds[1]);
	{
		struct { int rc, eno, dropped; char e[1024]; } r;
		ssize_t got = read(fds[0], &r, sizeof r);
		close(fds[0]);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		chown_to = 0;
		assert_int_equal(nftw(top, chown_one, 16, FTW_PHYS), 0);
		chmod(dir, 0700);
		assert_int_equal(got, (ssize_t)sizeof r);
		if (!r.dropped) {
			/* Not a pass of its own: the injected path above is the check. */
			printf("; could not become uid %d (%s): the injected path alone\n", NOBODY, r.e);
			return;
		}
		printf("; and as uid %d, where chmod 0500 refuses (EACCES)\n", NOBODY);
		check(arg, r.rc, r.eno, r.e, EACCES);
	}
}

/* ---- the tokens file ---- */

struct tok {
	struct tokens *t;
	char           path[256], good[TOKENS_TOKEN_LEN + 1], good_id[9];
	struct blob    old;
};

static void
tok_setup(struct tok *k)
{
	assert_non_null(k->t = tokens_open(state, err, sizeof err));
	if (tokens_add(k->t, TOKEN_DISPLAY, "wall", k->good, k->good_id, err, sizeof err) < 0)
		fail_msg("tokens_add: %s", err);
	snprintf(k->path, sizeof k->path, "%s/tokens", state);
	k->old = slurp(k->path);
}

/* Nothing lost: the handle still trusts only the old token, the file is
 * the old one, and a new handle (the real loader) reads it. */
static void
tok_intact(struct tok *k)
{
	struct tokens *fresh;
	struct token_info info;

	/* the daemon's once-a-second look: no change (or, after a chown, the
	 * same set read again) */
	assert_int_not_equal(tokens_reload_if_changed(k->t, err, sizeof err), -1);
	assert_int_equal(tokens_count(k->t), 1);
	assert_int_equal(tokens_check(k->t, k->good, &info), 1);
	assert_string_equal(info.name, "wall");
	same(k->path, &k->old);
	assert_int_equal(temps(state), 0);
	if ((fresh = tokens_open(state, err, sizeof err)) == NULL)
		fail_msg("the old tokens file no longer loads: %s", err);
	assert_int_equal(tokens_count(fresh), 1);
	assert_int_equal(tokens_check(fresh, k->good, NULL), 1);
	tokens_close(fresh);
}

/* tokens_add: mkdir, open the lock, then sysio_replace (open #2, fchmod,
 * write, fsync, close, rename, the folder's open/fsync/close). */
static void
test_tokens_faults(void **st)
{
	static const struct fault f[] = {
		{ "write", 1, ENOSPC, "write" },
		{ "write", 1, EIO, "write" },
		{ "fsync", 1, ENOSPC, "fsync" },
		{ "fsync", 1, EIO, "fsync" },
		{ "open", 2, EACCES, "create" },
		{ "rename", 1, EIO, "rename" },
	};
	char tok[TOKENS_TOKEN_LEN + 1], id[9];
	struct tok k;

	(void)st;
	tok_setup(&k);
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
		arm(&f[i]);
		assert_int_equal(tokens_add(k.t, TOKEN_REMOTE, "tablet", tok, id, err, sizeof err), -1);
		reached(&f[i]);
		expect_err("%s: %s: %s", k.path, f[i].step, strerror(f[i].err));
		tok_intact(&k);
		/* a revoke that fails keeps the token too */
		arm(&f[i]);
		assert_int_equal(tokens_revoke(k.t, k.good_id, err, sizeof err), -1);
		reached(&f[i]);
		expect_err("%s: %s: %s", k.path, f[i].step, strerror(f[i].err));
		tok_intact(&k);
		if (i == 0)
			printf("  e.g. %s\n", err);
	}
	/* the lock file cannot be made */
	sysio_fail("open", 1, EACCES, 0);
	assert_int_equal(tokens_add(k.t, TOKEN_REMOTE, "tablet", tok, id, err, sizeof err), -1);
	expect_err("%s/tokens.lock: %s", state, strerror(EACCES));
	tok_intact(&k);
	/* the disk has room again: the next add works */
	sysio_reset();
	assert_int_equal(tokens_add(k.t, TOKEN_REMOTE, "tablet", tok, id, err, sizeof err), 0);
	assert_int_equal(tokens_count(k.t), 2);
	tokens_close(k.t);
	free(k.old.p);
}

static void
tok_add_child(void *arg)
{
	struct tok *k = arg;
	char tok[TOKENS_TOKEN_LEN + 1], id[9];

	tokens_add(k->t, TOKEN_REMOTE, "tablet", tok, id, err, sizeof err);
}

static void
test_tokens_crash(void **st)
{
	char tok[TOKENS_TOKEN_LEN + 1], id[9], left[512] = "";
	struct tok k;
	struct dirent *e;
	struct blob b;
	DIR *d;

	(void)st;
	tok_setup(&k);
	crash_before_rename(tok_add_child, &k);
	/* the new file was whole (two tokens) but never renamed */
	assert_non_null(d = opendir(state));
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, ".tokens.", 8) == 0)
			snprintf(left, sizeof left, "%s/%s", state, e->d_name);
	closedir(d);
	assert_true(left[0] != '\0');
	b = slurp(left);
	assert_non_null(memmem(b.p, b.n, "\tremote\t", 8));
	assert_non_null(memmem(b.p, b.n, "\tdisplay\t", 9));
	free(b.p);
	assert_int_equal(unlink(left), 0);
	tok_intact(&k);
	assert_int_equal(tokens_add(k.t, TOKEN_REMOTE, "tablet", tok, id, err, sizeof err), 0);
	tokens_close(k.t);
	free(k.old.p);
}

static int
tok_ro_add(void *arg, char *e, size_t elen, int *eno)
{
	struct tok *k = arg;
	char tok[TOKENS_TOKEN_LEN + 1], id[9];
	int rc = tokens_add(k->t, TOKEN_REMOTE, "tablet", tok, id, e, elen);

	*eno = errno;
	return rc;
}

static void
tok_ro_check(void *arg, int rc, int eno, const char *e, int want_errno)
{
	struct tok *k = arg;

	assert_int_equal(rc, -1);
	snprintf(err, sizeof err, "%s", e);
	expect_err("%s: create: %s", k->path, strerror(want_errno));
	tok_intact(k);
}

static void
test_tokens_read_only(void **st)
{
	struct tok k;

	(void)st;
	tok_setup(&k);
	read_only(state, "open", 2, tok_ro_add, tok_ro_check, &k);
	tokens_close(k.t);
	free(k.old.p);
}

/* ---- the face store ---- */

static struct face_ctx *fctx;

static int
face_group_setup(void **st)
{
	/* One OpenCV thread: the crash cases enroll in a forked child, where
	 * a thread pool made before the fork is not there. */
	struct face_config fc = { FACE_DEFAULT_MODEL, NULL, FACE_DEFAULT_MIN_SCORE, 0, 1,
	    FACE_DESC_LBP, NULL };
	char e[512];

	(void)st;
	if ((fctx = face_open(&fc, e, sizeof e)) == NULL) {
		fprintf(stderr, "face_open: %s\n", e);
		return -1;
	}
	return 0;
}

static int
face_group_teardown(void **st)
{
	(void)st;
	face_close(fctx);
	return 0;
}

static const char *
orl(int person, int k)
{
	static char p[4][512];
	static int n;
	const char *d = getenv("ORL_DIR");
	char *s = p[n++ % 4];

	snprintf(s, sizeof p[0], "%s/s%d/%d.pgm", d && *d ? d : "../shared/data/faces/orl", person, k);
	if (access(s, R_OK) != 0)
		fail_msg("ORL face %s is missing (set ORL_DIR)", s);
	return s;
}

/* The old enrollment: person 1 from 3 images; the one that fails: person
 * 2 from 2, so the loader's count says which is on disk. */
struct fstore {
	char        path[160], dir[128];
	struct blob old;
	struct cv_image ims[2];
};

static int
enroll(struct cv_image *ims, int n, char *e, size_t elen)
{
	return face_enroll(fctx, state, "mayor", ims, n, e, elen);
}

static void
fstore_setup(struct fstore *s)
{
	struct cv_image own[3];

	for (int i = 0; i < 3; i++)
		if (cv_face_read_image(orl(1, i + 1), &own[i], err, sizeof err) == -1)
			fail_msg("%s", err);
	if (enroll(own, 3, err, sizeof err) < 0)
		fail_msg("enroll: %s", err);
	for (int i = 0; i < 3; i++)
		cv_image_free(&own[i]);
	snprintf(s->dir, sizeof s->dir, "%s/faces", state);
	snprintf(s->path, sizeof s->path, "%s/mayor.face", s->dir);
	s->old = slurp(s->path);
	for (int i = 0; i < 2; i++)
		if (cv_face_read_image(orl(2, i + 1), &s->ims[i], err, sizeof err) == -1)
			fail_msg("%s", err);
}

static void
fstore_free(struct fstore *s)
{
	for (int i = 0; i < 2; i++)
		cv_image_free(&s->ims[i]);
	free(s->old.p);
}

/* The templates of the stored enrollment, read by the real loader. */
static int
stored(void)
{
	struct face_person *p;
	int missing, n;

	if ((p = face_person_load(state, "mayor", &missing, err, sizeof err)) == NULL)
		fail_msg("the enrollment no longer loads: %s", err);
	assert_int_equal(face_person_usable(fctx, p, err, sizeof err), 0);
	n = face_person_count(p);
	face_person_free(p);
	return n;
}

/* The old enrollment is on disk, whole, and loads. */
static void
fstore_intact(struct fstore *s)
{
	same(s->path, &s->old);
	assert_int_equal(temps(s->dir), 0);
	assert_int_equal(stored(), 3);
}

static void
test_face_faults(void **st)
{
	static const struct fault f[] = {
		{ "write", 1, ENOSPC, "write" },
		{ "write", 1, EIO, "write" },
		{ "fsync", 1, ENOSPC, "fsync" },
		{ "fsync", 1, EIO, "fsync" },
		{ "open", 1, EACCES, "create" },
		{ "rename", 1, EIO, "rename" },
	};
	struct fstore s;

	(void)st;
	fstore_setup(&s);
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
		arm(&f[i]);
		assert_int_equal(enroll(s.ims, 2, err, sizeof err), -1);
		reached(&f[i]);
		expect_err("%s: %s: %s; not enrolled, the earlier enrollment is kept", s.path,
		    f[i].step, strerror(f[i].err));
		fstore_intact(&s);
		if (i == 0)
			printf("  e.g. %s\n", err);
	}
	/* room again: person 2 replaces person 1 */
	assert_int_equal(enroll(s.ims, 2, err, sizeof err), 0);
	assert_int_equal(stored(), 2);
	/* the first enrollment of a name that fails says only that */
	sysio_fail("write", 1, ENOSPC, 0);
	assert_int_equal(face_enroll(fctx, state, "deputy", s.ims, 2, err, sizeof err), -1);
	expect_err("%s/deputy.face: write: %s; not enrolled", s.dir, strerror(ENOSPC));
	snprintf(want, sizeof want, "%s/deputy.face", s.dir);
	assert_int_equal(access(want, F_OK), -1);
	fstore_free(&s);
}

static void
face_child(void *arg)
{
	struct fstore *s = arg;

	enroll(s->ims, 2, err, sizeof err);
}

static void
test_face_crash(void **st)
{
	struct fstore s;

	(void)st;
	fstore_setup(&s);
	crash_before_rename(face_child, &s);
	/* the child's whole new file is left beside it, under a dot name */
	assert_int_equal(temps(s.dir), 1);
	same(s.path, &s.old);
	assert_int_equal(stored(), 3);
	fstore_free(&s);
}

static int
face_ro_enroll(void *arg, char *e, size_t elen, int *eno)
{
	struct fstore *s = arg;
	int rc = enroll(s->ims, 2, e, elen);

	*eno = errno;
	return rc;
}

static void
face_ro_check(void *arg, int rc, int eno, const char *e, int want_errno)
{
	struct fstore *s = arg;

	assert_int_equal(rc, -1);
	snprintf(err, sizeof err, "%s", e);
	expect_err("%s: create: %s; not enrolled, the earlier enrollment is kept", s->path,
	    strerror(want_errno));
	fstore_intact(s);
}

static void
test_face_read_only(void **st)
{
	struct fstore s;

	(void)st;
	fstore_setup(&s);
	read_only(s.dir, "open", 1, face_ro_enroll, face_ro_check, &s);
	fstore_free(&s);
}

/* ---- recordings ---- */

static int16_t
sample(size_t i)
{
	return (int16_t)((i * 7919u) % 20000u) - 10000;
}

/* Records N samples from sample(FROM) on, in 1600-sample pieces; the
 * first failing call's rc. */
static int
feed(struct record *r, size_t from, size_t n)
{
	int16_t buf[1600];

	for (size_t i = 0; i < n; ) {
		size_t m = n - i < 1600 ? n - i : 1600;
		for (size_t j = 0; j < m; j++)
			buf[j] = sample(from + i + j);
		if (record_audio(r, buf, m, err, sizeof err) < 0)
			return -1;
		i += m;
	}
	return 0;
}

/* REC/audio.wav plays, holding exactly the first N samples. */
static void
plays(const char *rec, size_t n)
{
	char p[256], warn[256];
	struct wav_info info;
	int16_t *pcm;
	size_t got;

	snprintf(p, sizeof p, "%s/audio.wav", rec);
	if (wav_load(p, &pcm, &got, &info, err, sizeof err, warn, sizeof warn) < 0)
		fail_msg("the recording does not load: %s", err);
	assert_int_equal(got, n);
	for (size_t i = 0; i < n; i++)
		if (pcm[i] != sample(i))
			fail_msg("sample %zu is %d, recorded %d", i, pcm[i], sample(i));
	free(pcm);
}

static void
test_record_audio_faults(void **st)
{
	static const struct fault f[] = {
		{ "write", 1, ENOSPC, "write" },
		{ "write", 1, EIO, "write" },
		{ "fdatasync", 1, EIO, "fdatasync" },
		{ "fdatasync", 1, ENOSPC, "fdatasync" },
	};
	char rec[128];

	(void)st;
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
		struct record *r;
		char first[1024];

		snprintf(rec, sizeof rec, "%s/rec%zu", top, i);
		assert_non_null(r = record_open(rec, err, sizeof err));
		/* 2.5 s: the header fixed and synced at 2 s */
		assert_int_equal(feed(r, 0, 40000), 0);
		plays(rec, RECORD_WAV_SYNC_SAMPLES);
		/* the fault: on the next write, or at the next sync (4 s) */
		arm(&f[i]);
		assert_int_equal(feed(r, 40000, 40000), -1);
		reached(&f[i]);
		expect_err("%s/audio.wav: %s: %s", rec, f[i].step, strerror(f[i].err));
		snprintf(first, sizeof first, "%s", err);
		/* it stays failed with the same reason, and the file plays */
		assert_int_equal(feed(r, 80000, 1600), -1);
		assert_string_equal(err, first);
		plays(rec, strcmp(f[i].call, "write") == 0 ? RECORD_WAV_SYNC_SAMPLES : 2 * RECORD_WAV_SYNC_SAMPLES);
		/* close fixes the header to every sample written, and says why
		 * recording stopped */
		{
			uint64_t kept = record_samples(r);
			assert_int_equal(record_close(r, err, sizeof err), -1);
			assert_string_equal(err, first);
			plays(rec, (size_t)kept);
		}
		if (i == 0 || i == 2)
			printf("  e.g. %s\n", err);
	}
	/* EACCES on the new audio file */
	{
		struct record *r;
		snprintf(rec, sizeof rec, "%s/rec-acc", top);
		assert_non_null(r = record_open(rec, err, sizeof err));
		sysio_fail("open", 1, EACCES, 0);
		assert_int_equal(feed(r, 0, 1600), -1);
		expect_err("%s/audio.wav: %s", rec, strerror(EACCES));
		assert_int_equal(record_close(r, err, sizeof err), -1);
	}
}

/* The crashing children's recorder: still reachable when they die (a
 * leak checker following them must not count the crash as a leak). */
static struct record *volatile child_rec;   /* volatile: a store never read is kept */

static void
audio_child(void *arg)
{
	/* 2.5 s recorded, then the process dies without closing */
	if ((child_rec = record_open(arg, err, sizeof err)) == NULL || feed(child_rec, 0, 40000) < 0)
		_exit(2);
	_exit(CRASHED);
}

static void
frame_of(struct cv_image *im, int k)
{
	memset(im->data, (k * 40 + 20) & 0xff, (size_t)im->h * im->stride);
}

/* Records frames 0, 1, 2: dies at frame 2's rename. */
static void
frames_child(void *arg)
{
	static struct cv_image im;
	struct record *r = child_rec = record_open(arg, err, sizeof err);

	if (r == NULL || cv_image_alloc(&im, 64, 48, 3) < 0)
		_exit(2);
	sysio_set("rename", NULL);              /* frames 0 and 1 are whole */
	for (int k = 0; k < 3; k++) {
		frame_of(&im, k);
		if (k == 2)
			sysio_set("rename", (sysio_fn)die_at_rename);
		if (record_frame(r, "room", &im, 0.1 * k, err, sizeof err) < 0)
			_exit(3);
	}
}

/* images:REC/room replays exactly N whole frames. */
static void
replays(const char *rec, int n)
{
	char spec[300];
	struct cv_image im = { 0 };
	struct camera *c;
	double t;
	int k;

	snprintf(spec, sizeof spec, "images:%s/room", rec);
	if ((c = camera_open("room", spec, 0, err, sizeof err)) == NULL)
		fail_msg("camera_open(%s): %s", spec, err);
	for (k = 0; camera_read(c, &im, &t, err, sizeof err) == 1; k++)
		assert_int_equal(im.data[0] / 40, k);   /* 20, 60, 100: JPEG keeps that */
	assert_int_equal(k, n);
	assert_int_equal(c->skipped, 0);
	camera_close(c);
	cv_image_free(&im);
}

static void
test_record_crash(void **st)
{
	char rec[128];

	(void)st;
	snprintf(rec, sizeof rec, "%s/rec-a", top);
	crash_before_rename(audio_child, rec);
	plays(rec, RECORD_WAV_SYNC_SAMPLES);
	snprintf(rec, sizeof rec, "%s/rec-v", top);
	crash_before_rename(frames_child, rec);
	replays(rec, 2);
}

static void
test_record_frame_faults(void **st)
{
	static const struct fault f[] = {
		{ "write", 1, ENOSPC, "write" },        /* the JPEG */
		{ "write", 2, ENOSPC, "write" },        /* its frames.tsv line */
		{ "write", 1, EIO, "write" },
	};
	char rec[128], room[160], path[256];
	struct cv_image im;
	struct record *r;

	(void)st;
	snprintf(rec, sizeof rec, "%s/rec", top);
	snprintf(room, sizeof room, "%s/room", rec);
	assert_non_null(r = record_open(rec, err, sizeof err));
	assert_int_equal(cv_image_alloc(&im, 64, 48, 3), 0);
	frame_of(&im, 0);
	assert_int_equal(record_frame(r, "room", &im, 0, err, sizeof err), 0);
	frame_of(&im, 1);
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
		arm(&f[i]);
		assert_int_equal(record_frame(r, "room", &im, 0.1, err, sizeof err), -1);
		reached(&f[i]);
		if (f[i].nth == 1)
			snprintf(path, sizeof path, "%s/room/000001.jpg", rec);
		else
			snprintf(path, sizeof path, "%s/room/frames.tsv", rec);
		expect_err("%s: write: %s", path, strerror(f[i].err));
		assert_int_equal(temps(room), 0);
		replays(rec, 1);
	}
	assert_int_equal(record_frames(r, "room"), 1);
	assert_int_equal(record_frame(r, "room", &im, 0.1, err, sizeof err), 0);
	assert_int_equal(record_close(r, err, sizeof err), 0);
	replays(rec, 2);
	cv_image_free(&im);
}

static int
rec_ro(void *arg, char *e, size_t elen, int *eno)
{
	struct record *r = record_open(arg, e, elen);
	int16_t s[160] = { 0 };
	int rc;

	if (r == NULL)
		return -2;
	rc = record_audio(r, s, 160, e, elen);
	*eno = errno;
	record_close(r, NULL, 0);
	return rc;
}

static void
rec_ro_check(void *arg, int rc, int eno, const char *e, int want_errno)
{
	assert_int_equal(rc, -1);
	snprintf(err, sizeof err, "%s", e);
	expect_err("%s/audio.wav: %s", (const char *)arg, strerror(want_errno));
	assert_int_equal(access(want, F_OK), -1);
}

static void
test_record_read_only(void **st)
{
	char rec[128];
	struct record *r;

	(void)st;
	snprintf(rec, sizeof rec, "%s/rec", top);
	assert_non_null(r = record_open(rec, err, sizeof err));
	assert_int_equal(record_close(r, err, sizeof err), 0);
	read_only(rec, "open", 1, rec_ro, rec_ro_check, rec);
}

/* wav_save: whole or not at all. */
struct wv {
	char    path[128];
	int16_t pcm[1000];
};

static void
wav_child(void *arg)
{
	struct wv *w = arg;

	wav_save(w->path, w->pcm, 1000, 16000, err, sizeof err);
}

static void
test_wav_save_faults(void **st)
{
	static const struct fault f[] = {
		{ "write", 1, ENOSPC, "write" },
		{ "write", 2, ENOSPC, "write" },        /* the samples after the header */
		{ "fsync", 1, EIO, "fsync" },
		{ "open", 1, EACCES, "create" },
	};
	static struct wv w;
	char warn[128];
	struct wav_info info;
	int16_t *pcm;
	size_t n;

	(void)st;
	snprintf(w.path, sizeof w.path, "%s/said.wav", state);
	for (size_t i = 0; i < 1000; i++)
		w.pcm[i] = sample(i);
	assert_int_equal(wav_save(w.path, w.pcm, 500, 16000, err, sizeof err), 0);
	for (size_t i = 0; i < sizeof f / sizeof f[0] + 1; i++) {
		if (i < sizeof f / sizeof f[0]) {
			arm(&f[i]);
			assert_int_equal(wav_save(w.path, w.pcm, 1000, 16000, err, sizeof err), -1);
			reached(&f[i]);
			expect_err("%s: %s: %s", w.path, f[i].step, strerror(f[i].err));
		} else
			crash_before_rename(wav_child, &w);
		if (wav_load(w.path, &pcm, &n, &info, err, sizeof err, warn, sizeof warn) < 0)
			fail_msg("the old file does not load: %s", err);
		assert_int_equal(n, 500);
		assert_memory_equal(pcm, w.pcm, 500 * sizeof *pcm);
		free(pcm);
	}
	/* wav_write says it with errno */
	sysio_fail("write", 1, ENOSPC, 0);
	errno = 0;
	assert_int_equal(wav_write(w.path, w.pcm, 1000, 16000), -1);
	assert_int_equal(errno, ENOSPC);
}

/* ---- the state directory and STATE_DIR/url ---- */

static void
test_state_dir(void **st)
{
	char sub[128], file[128];

	(void)st;
	snprintf(sub, sizeof sub, "%s/new", state);
	sysio_fail("mkdir", 1, EIO, 0);
	errno = 0;
	assert_int_equal(daemon_ensure_state_dir(sub), -1);
	assert_int_equal(errno, EIO);
	assert_int_equal(access(sub, F_OK), -1);
	sysio_fail("mkdir", 1, ENOSPC, 0);
	assert_int_equal(daemon_ensure_state_dir(sub), -1);
	assert_int_equal(errno, ENOSPC);
	sysio_reset();
	assert_int_equal(daemon_ensure_state_dir(sub), 0);
	assert_int_equal(daemon_ensure_state_dir(sub), 0);      /* already there */
	snprintf(file, sizeof file, "%s/file", state);
	write_file(file, "x");
	assert_int_equal(daemon_ensure_state_dir(file), -1);
	assert_int_equal(errno, ENOTDIR);
	/* the tokens' own mkdir of a state directory that cannot be made */
	{
		struct tokens *t;
		char tok[TOKENS_TOKEN_LEN + 1], id[9], missing[160];
		snprintf(missing, sizeof missing, "%s/gone", state);
		assert_non_null(t = tokens_open(missing, err, sizeof err));
		sysio_fail("mkdir", 1, EACCES, 0);
		assert_int_equal(tokens_add(t, TOKEN_DISPLAY, "wall", tok, id, err, sizeof err), -1);
		expect_err("%s: %s", missing, strerror(EACCES));
		assert_int_equal(tokens_count(t), 0);
		tokens_close(t);
	}
}

static int
sd_ro(void *arg, char *e, size_t elen, int *eno)
{
	int rc = daemon_ensure_state_dir(arg);

	*eno = errno;
	snprintf(e, elen, "%s", rc < 0 ? strerror(errno) : "made");
	return rc;
}

static void
sd_ro_check(void *arg, int rc, int eno, const char *e, int want_errno)
{
	assert_int_equal(rc, -1);
	assert_int_equal(eno, want_errno);
	assert_string_equal(e, strerror(want_errno));
	assert_int_equal(access(arg, F_OK), -1);
}

static void
test_state_dir_read_only(void **st)
{
	char sub[128];

	(void)st;
	snprintf(sub, sizeof sub, "%s/new", state);
	read_only(state, "mkdir", 1, sd_ro, sd_ro_check, sub);
}

static void
url_child(void *arg)
{
	service_publish_url(state, arg, err, sizeof err);
}

static void
test_url_file(void **st)
{
	static const struct fault f[] = {
		{ "write", 1, ENOSPC, "write" },
		{ "fsync", 1, EIO, "fsync" },
		{ "open", 1, EACCES, "create" },
	};
	char url[256], path[160];

	(void)st;
	snprintf(path, sizeof path, "%s/url", state);
	assert_int_equal(service_publish_url(state, "http://192.0.2.7:7681", err, sizeof err), 0);
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
		arm(&f[i]);
		assert_int_equal(service_publish_url(state, "http://192.0.2.8:7681", err, sizeof err), -1);
		reached(&f[i]);
		expect_err("%s: %s: %s", path, f[i].step, strerror(f[i].err));
		assert_int_equal(service_read_url(state, url, sizeof url), 0);
		assert_string_equal(url, "http://192.0.2.7:7681");
	}
	crash_before_rename(url_child, (void *)"http://192.0.2.9:7681");
	assert_int_equal(service_read_url(state, url, sizeof url), 0);
	assert_string_equal(url, "http://192.0.2.7:7681");
}

int
main(void)
{
	const struct CMUnitTest files[] = {
		cmocka_unit_test_setup_teardown(test_tokens_faults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tokens_crash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tokens_read_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_audio_faults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_frame_faults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_crash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_read_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wav_save_faults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_dir_read_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_url_file, setup, teardown),
	};
	const struct CMUnitTest faces[] = {
		cmocka_unit_test_setup_teardown(test_face_faults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_face_crash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_face_read_only, setup, teardown),
	};
	/* Faces first: their one OpenCV thread is set before anything else
	 * made OpenCV's thread pool (changing it after, valgrind saw a jump
	 * to address 0 in the network's forward pass). */
	int rc = cmocka_run_group_tests_name("faces", faces, face_group_setup, face_group_teardown);

	return rc | cmocka_run_group_tests_name("files", files, NULL, NULL);
}
