/*
 * test_sysio — the durable-write system-call table (base/sysio.c) itself:
 * the rows by name, a replacement and the real call put back, "fail the
 * Nth call of X with errno E" once and persistently, the counters, short
 * and interrupted writes, and sysio_replace leaving the old file whole and
 * no temporary file behind when each of its steps fails, with the error
 * "PATH: STEP: REASON".  Each test works in its own directory.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

#include "base/sysio.h"
#include "tests/unit/testutil.h"

static char dir[64], path[96];

static int
setup(void **st)
{
	(void)st;
	sysio_reset();
	if (tmpdir_make(dir, sizeof dir, "/tmp/so-sysio-XXXXXX") < 0)
		return -1;
	snprintf(path, sizeof path, "%s/state", dir);
	return 0;
}

static int
teardown(void **st)
{
	(void)st;
	sysio_reset();
	return tmpdir_remove(dir);
}

/* The whole file, NUL-terminated (at most 4 KiB). */
static const char *
slurp(const char *p)
{
	static char buf[4096];
	FILE *f = fopen(p, "r");
	size_t n;

	if (f == NULL)
		fail_msg("%s: %s", p, strerror(errno));
	n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Entries of dir besides . and .. */
static int
entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

static void
test_rows(void **st)
{
	static const char *want[] = { "open", "close", "write", "pwrite", "fsync", "fdatasync",
	    "fchmod", "rename", "mkdir", "unlink" };
	const char *n = NULL;
	size_t i = 0;

	(void)st;
	while ((n = sysio_next(n)) != NULL) {
		assert_true(i < sizeof want / sizeof want[0]);
		assert_string_equal(n, want[i]);
		assert_non_null(sysio_get(n));
		assert_ptr_equal(sysio_get(n), sysio_default(n));
		i++;
	}
	assert_int_equal(i, sizeof want / sizeof want[0]);
	assert_ptr_equal(sysio_default("write"), (sysio_fn)write);
	/* unknown names */
	errno = 0;
	assert_int_equal(sysio_set("read", (sysio_fn)write), -1);
	assert_int_equal(errno, ENOENT);
	assert_null(sysio_get("read"));
	assert_null(sysio_next("read"));
	assert_int_equal(sysio_fail("nope", 1, EIO, 0), -1);
}

static int renames;
static int
fake_rename(const char *from, const char *to)
{
	(void)from; (void)to;
	renames++;
	errno = EXDEV;
	return -1;
}

static void
test_set_and_restore(void **st)
{
	char a[128], b[128];

	(void)st;
	snprintf(a, sizeof a, "%s/a", dir);
	snprintf(b, sizeof b, "%s/b", dir);
	write_file(a, "x");
	assert_int_equal(sysio_set("rename", (sysio_fn)fake_rename), 0);
	assert_ptr_equal(sysio_get("rename"), (sysio_fn)fake_rename);
	assert_int_equal(sysio_rename(a, b), -1);
	assert_int_equal(errno, EXDEV);
	assert_int_equal(renames, 1);
	assert_int_equal(access(a, F_OK), 0);
	/* NULL puts the real call back */
	assert_int_equal(sysio_set("rename", NULL), 0);
	assert_ptr_equal(sysio_get("rename"), sysio_default("rename"));
	assert_int_equal(sysio_rename(a, b), 0);
	assert_int_equal(renames, 1);
	assert_int_equal(access(b, F_OK), 0);
	assert_int_equal(sysio_calls("rename"), 2);
	/* reset too */
	sysio_set("rename", (sysio_fn)fake_rename);
	sysio_reset();
	assert_ptr_equal(sysio_get("rename"), sysio_default("rename"));
	assert_int_equal(sysio_calls("rename"), 0);
}

static void
test_fail_nth(void **st)
{
	char p[128];
	int fd;

	(void)st;
	snprintf(p, sizeof p, "%s/f", dir);
	assert_true((fd = sysio_open(p, O_WRONLY | O_CREAT, 0600)) >= 0);
	assert_int_equal(sysio_fail("write", 3, ENOSPC, 0), 0);
	assert_int_equal(sysio_write(fd, "a", 1), 1);
	assert_int_equal(sysio_write(fd, "b", 1), 1);
	errno = 0;
	assert_int_equal(sysio_write(fd, "c", 1), -1);
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(sysio_write(fd, "d", 1), 1);           /* once only */
	assert_int_equal(sysio_calls("write"), 4);
	assert_int_equal(sysio_failed("write"), 1);
	/* the failed call never reached the file */
	assert_string_equal(slurp(p), "abd");

	/* persistent: the 2nd call from now and every one after */
	assert_int_equal(sysio_fail("fsync", 2, EIO, 1), 0);
	assert_int_equal(sysio_fsync(fd), 0);
	for (int i = 0; i < 3; i++) {
		errno = 0;
		assert_int_equal(sysio_fsync(fd), -1);
		assert_int_equal(errno, EIO);
	}
	assert_int_equal(sysio_failed("fsync"), 3);
	/* disarmed */
	assert_int_equal(sysio_fail("fsync", 0, 0, 0), 0);
	assert_int_equal(sysio_fsync(fd), 0);
	/* a failed close still closes */
	sysio_fail("close", 1, EIO, 0);
	assert_int_equal(sysio_close(fd), -1);
	assert_int_equal(errno, EIO);
	assert_int_equal(fcntl(fd, F_GETFD), -1);
	assert_int_equal(errno, EBADF);
}

/* One byte a call, and an EINTR before each. */
static int interrupt;
static ssize_t
trickle(int fd, const void *buf, size_t n)
{
	if ((interrupt = !interrupt)) {
		errno = EINTR;
		return -1;
	}
	return write(fd, buf, n > 0 ? 1 : 0);
}

static ssize_t
write_nothing(int fd, const void *buf, size_t n)
{
	(void)fd; (void)buf; (void)n;
	return 0;
}

static void
test_write_all(void **st)
{
	char p[128];
	int fd;

	(void)st;
	snprintf(p, sizeof p, "%s/f", dir);
	assert_true((fd = open(p, O_WRONLY | O_CREAT, 0600)) >= 0);
	sysio_set("write", (sysio_fn)trickle);
	assert_int_equal(sysio_write_all(fd, "hello", 5), 0);
	assert_int_equal(sysio_calls("write"), 10);
	assert_string_equal(slurp(p), "hello");
	sysio_set("write", (sysio_fn)write_nothing);
	errno = 0;
	assert_int_equal(sysio_write_all(fd, "x", 1), -1);
	assert_int_equal(errno, EIO);
	close(fd);
}

static void
test_replace(void **st)
{
	struct stat sb;
	mode_t old = umask(0077);
	char err[512];

	(void)st;
	assert_int_equal(sysio_replace(path, "one\n", 4, 0644, err, sizeof err), 0);
	assert_string_equal(slurp(path), "one\n");
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0644);              /* whatever the umask */
	umask(0);
	assert_int_equal(sysio_replace(path, "two\n", 4, 0600, err, sizeof err), 0);
	umask(old);
	assert_string_equal(slurp(path), "two\n");
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(entries(), 1);
	/* every step made once, and the directory fsync'd after the rename */
	assert_int_equal(sysio_calls("rename"), 2);
	assert_int_equal(sysio_calls("fsync"), 4);
	assert_int_equal(sysio_calls("open"), 4);
}

/* Each step failing: the old file whole, no temporary file, the error. */
static void
test_replace_failures(void **st)
{
	static const struct { const char *call; unsigned nth; int err; const char *step; } f[] = {
		{ "open", 1, EACCES, "create" },
		{ "open", 1, EROFS, "create" },
		{ "fchmod", 1, EPERM, "chmod" },
		{ "write", 1, ENOSPC, "write" },
		{ "write", 2, EIO, "write" },           /* the second buffer */
		{ "fsync", 1, EIO, "fsync" },
		{ "fsync", 1, ENOSPC, "fsync" },
		{ "close", 1, EIO, "close" },
		{ "rename", 1, EXDEV, "rename" },
	};
	struct iovec iov[2] = { { "new ", 4 }, { "content\n", 8 } };
	char err[512], want[512];

	(void)st;
	write_file(path, "old content\n");
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
		sysio_reset();
		assert_int_equal(sysio_fail(f[i].call, f[i].nth, f[i].err, 0), 0);
		err[0] = '\0';
		errno = 0;
		assert_int_equal(sysio_replacev(path, iov, 2, 0600, err, sizeof err), -1);
		assert_int_equal(errno, f[i].err);
		assert_int_equal(sysio_failed(f[i].call), 1);
		snprintf(want, sizeof want, "%s: %s: %s", path, f[i].step, strerror(f[i].err));
		assert_string_equal(err, want);
		assert_string_equal(slurp(path), "old content\n");
		assert_int_equal(entries(), 1);                 /* no temporary file left */
	}
	printf("  e.g. %s\n", err);
	sysio_reset();
	assert_int_equal(sysio_replacev(path, iov, 2, 0600, err, sizeof err), 0);
	assert_string_equal(slurp(path), "new content\n");
}

/* The rename done, the directory's fsync failing: done, with a warning. */
static void
test_replace_dir_fsync(void **st)
{
	char err[256] = "";

	(void)st;
	write_file(path, "old\n");
	sysio_fail("fsync", 2, EIO, 0);
	assert_int_equal(sysio_replace(path, "new\n", 4, 0600, err, sizeof err), 0);
	assert_int_equal(sysio_failed("fsync"), 1);
	assert_string_equal(slurp(path), "new\n");
	/* a file system that cannot fsync a directory (EINVAL): not an error */
	sysio_reset();
	sysio_fail("fsync", 1, EINVAL, 0);
	assert_int_equal(sysio_sync_dir(dir), 0);
	sysio_fail("fsync", 1, EIO, 0);
	assert_int_equal(sysio_sync_dir(dir), -1);
	assert_int_equal(errno, EIO);
	assert_int_equal(sysio_sync_dir("/nonexistent-so-dir"), -1);
	assert_int_equal(errno, ENOENT);
}

/* A temporary file left by a crash does not stop the next write. */
static void
test_replace_after_leftover(void **st)
{
	char left[128], err[256];

	(void)st;
	snprintf(left, sizeof left, "%s/.state.AAAAAA", dir);
	write_file(left, "half a fi");
	assert_int_equal(sysio_replace(path, "ok\n", 3, 0600, err, sizeof err), 0);
	assert_string_equal(slurp(path), "ok\n");
	assert_string_equal(slurp(left), "half a fi");
	/* a folder that is not there */
	assert_int_equal(sysio_replace("/so-no-such-dir/x", "", 0, 0600, err, sizeof err), -1);
	assert_string_equal(err, "/so-no-such-dir/x: create: No such file or directory");
}

static int fd_threads;
static void *
writer(void *ud)
{
	(void)ud;
	for (int i = 0; i < 1000; i++)
		sysio_write(fd_threads, "x", 1);
	return NULL;
}

static void
test_counts_threads(void **st)
{
	pthread_t t[4];

	(void)st;
	assert_true((fd_threads = open("/dev/null", O_WRONLY)) >= 0);
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, writer, NULL);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(sysio_calls("write"), 4000);
	/* one fault among the threads fails exactly one call */
	sysio_fail("write", 1500, ENOSPC, 0);
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, writer, NULL);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(sysio_failed("write"), 1);
	close(fd_threads);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_and_restore, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fail_nth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_all, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace_dir_fsync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace_after_leftover, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counts_threads, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
