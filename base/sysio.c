/*
 * sysio — the durable-write system calls through a table of rows
 * {name, current, real}, faults injected per row (sysio.h).
 */
#include "base/sysio.h"
#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* open(2) is variadic: the row calls it with its mode always. */
static int
real_open(const char *path, int flags, mode_t mode)
{
	return open(path, flags, mode);
}

struct row {
	const char      *name;
	_Atomic(sysio_fn) cur;
	sysio_fn         real;
	atomic_uint      calls, failed;
	/* The fault (under fault_mu): the countdown to the failing call. */
	unsigned         countdown;
	int              err, persist;
};

enum { R_OPEN, R_CLOSE, R_WRITE, R_PWRITE, R_FSYNC, R_FDATASYNC, R_FCHMOD, R_RENAME, R_MKDIR,
       R_UNLINK, R_N };

#define ROW(id, n, f) [id] = { .name = n, .cur = (sysio_fn)(f), .real = (sysio_fn)(f) }
static struct row rows[R_N] = {
	ROW(R_OPEN, "open", real_open),
	ROW(R_CLOSE, "close", close),
	ROW(R_WRITE, "write", write),
	ROW(R_PWRITE, "pwrite", pwrite),
	ROW(R_FSYNC, "fsync", fsync),
	ROW(R_FDATASYNC, "fdatasync", fdatasync),
	ROW(R_FCHMOD, "fchmod", fchmod),
	ROW(R_RENAME, "rename", rename),
	ROW(R_MKDIR, "mkdir", mkdir),
	ROW(R_UNLINK, "unlink", unlink),
};

static pthread_mutex_t fault_mu = PTHREAD_MUTEX_INITIALIZER;
static atomic_int      armed;     /* any row has a fault: take the slow path */

static struct row *
row_named(const char *name)
{
	for (int i = 0; name != NULL && i < R_N; i++)
		if (strcmp(rows[i].name, name) == 0)
			return &rows[i];
	return NULL;
}

/* Counts the call; 1 (errno set) when an injected fault fails it. */
static int
faulted(struct row *r)
{
	int hit = 0;

	atomic_fetch_add(&r->calls, 1);
	if (!atomic_load(&armed))
		return 0;
	pthread_mutex_lock(&fault_mu);
	if (r->countdown > 0 && --r->countdown == 0) {
		hit = 1;
		if (r->persist)
			r->countdown = 1;
	}
	if (hit) {
		errno = r->err;
		atomic_fetch_add(&r->failed, 1);
	}
	pthread_mutex_unlock(&fault_mu);
	return hit;
}

#define CUR(id, type) ((type)atomic_load(&rows[id].cur))

int
sysio_open(const char *path, int flags, mode_t mode)
{
	return faulted(&rows[R_OPEN]) ? -1 : CUR(R_OPEN, sysio_open_fn)(path, flags, mode);
}

int
sysio_close(int fd)
{
	/* A failed close still closes (Linux): an injected one must too, or
	 * the test leaks the descriptor. */
	if (faulted(&rows[R_CLOSE])) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return CUR(R_CLOSE, sysio_fd_fn)(fd);
}

ssize_t
sysio_write(int fd, const void *buf, size_t n)
{
	return faulted(&rows[R_WRITE]) ? -1 : CUR(R_WRITE, sysio_write_fn)(fd, buf, n);
}

ssize_t
sysio_pwrite(int fd, const void *buf, size_t n, off_t off)
{
	return faulted(&rows[R_PWRITE]) ? -1 : CUR(R_PWRITE, sysio_pwrite_fn)(fd, buf, n, off);
}

int
sysio_fsync(int fd)
{
	return faulted(&rows[R_FSYNC]) ? -1 : CUR(R_FSYNC, sysio_fd_fn)(fd);
}

int
sysio_fdatasync(int fd)
{
	return faulted(&rows[R_FDATASYNC]) ? -1 : CUR(R_FDATASYNC, sysio_fd_fn)(fd);
}

int
sysio_fchmod(int fd, mode_t mode)
{
	return faulted(&rows[R_FCHMOD]) ? -1 : CUR(R_FCHMOD, sysio_fchmod_fn)(fd, mode);
}

int
sysio_rename(const char *from, const char *to)
{
	return faulted(&rows[R_RENAME]) ? -1 : CUR(R_RENAME, sysio_rename_fn)(from, to);
}

int
sysio_mkdir(const char *path, mode_t mode)
{
	return faulted(&rows[R_MKDIR]) ? -1 : CUR(R_MKDIR, sysio_mkdir_fn)(path, mode);
}

int
sysio_unlink(const char *path)
{
	return faulted(&rows[R_UNLINK]) ? -1 : CUR(R_UNLINK, sysio_unlink_fn)(path);
}

/* ---- helpers ---- */

int
sysio_write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n > 0) {
		ssize_t w = sysio_write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
sysio_sync_dir(const char *dir)
{
	int fd, rc, e;

	if ((fd = sysio_open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0)) < 0)
		return -1;
	rc = sysio_fsync(fd);
	e = errno;
	sysio_close(fd);
	if (rc < 0 && e == EINVAL)
		rc = 0;
	errno = e;
	return rc;
}

/* DIR/.NAME.XXXXXX made O_EXCL; the descriptor, or -1 with errno. */
static int
make_temp(const char *dir, const char *name, mode_t mode, char *tmp, size_t len)
{
	static const char al[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	static atomic_uint seq;
	unsigned char rnd[6];

	for (int tries = 0; tries < 100; tries++) {
		char suf[7];
		int fd;

		if (getrandom(rnd, sizeof rnd, GRND_NONBLOCK) != (ssize_t)sizeof rnd) {
			unsigned v = (unsigned)getpid() * 2654435761u ^ (unsigned)time(NULL) ^
			    atomic_fetch_add(&seq, 1) * 40503u;
			for (size_t i = 0; i < sizeof rnd; i++, v >>= 5)
				rnd[i] = (unsigned char)v;
		}
		for (size_t i = 0; i < sizeof rnd; i++)
			suf[i] = al[rnd[i] % (sizeof al - 1)];
		suf[6] = '\0';
		if ((size_t)snprintf(tmp, len, "%s/.%s.%s", dir, name, suf) >= len) {
			errno = ENAMETOOLONG;
			return -1;
		}
		fd = sysio_open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	return -1;
}

int
sysio_replacev(const char *path, const struct iovec *iov, int n, mode_t mode, char *err,
    size_t errlen)
{
	char dir[4096], tmp[4200];
	const char *slash = strrchr(path, '/'), *name, *step;
	int fd, e;

	if (slash == NULL) {
		snprintf(dir, sizeof dir, ".");
		name = path;
	} else if ((size_t)(slash - path) >= sizeof dir) {
		log_seterr(err, errlen, "%.60s...: path too long", path);
		errno = ENAMETOOLONG;
		return -1;
	} else {
		snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
		name = slash + 1;
	}
	step = "create";
	if ((fd = make_temp(dir, name, mode, tmp, sizeof tmp)) < 0)
		goto fail;
	step = "chmod";
	if (sysio_fchmod(fd, mode) < 0)
		goto fail_fd;
	step = "write";
	for (int i = 0; i < n; i++)
		if (sysio_write_all(fd, iov[i].iov_base, iov[i].iov_len) < 0)
			goto fail_fd;
	step = "fsync";
	if (sysio_fsync(fd) < 0)
		goto fail_fd;
	step = "close";
	if (sysio_close(fd) < 0) {
		fd = -1;
		goto fail_tmp;
	}
	step = "rename";
	if (sysio_rename(tmp, path) < 0) {
		fd = -1;
		goto fail_tmp;
	}
	if (sysio_sync_dir(dir) < 0)
		log_warn("%s: fsync of %s (the new file is in place, but may not survive a power cut)",
		    path, dir);
	return 0;
fail_fd:
	e = errno;
	sysio_close(fd);
	errno = e;
fail_tmp:
	e = errno;
	sysio_unlink(tmp);
	errno = e;
fail:
	e = errno;
	log_seterr(err, errlen, "%s: %s: %s", path, step, strerror(e));
	errno = e;
	return -1;
}

int
sysio_replace(const char *path, const void *buf, size_t len, mode_t mode, char *err,
    size_t errlen)
{
	struct iovec iov = { (void *)buf, len };

	return sysio_replacev(path, &iov, 1, mode, err, errlen);
}

/* ---- the table ---- */

int
sysio_set(const char *name, sysio_fn fn)
{
	struct row *r = row_named(name);

	if (r == NULL) {
		errno = ENOENT;
		return -1;
	}
	atomic_store(&r->cur, fn != NULL ? fn : r->real);
	return 0;
}

sysio_fn
sysio_get(const char *name)
{
	struct row *r = row_named(name);

	return r != NULL ? atomic_load(&r->cur) : NULL;
}

sysio_fn
sysio_default(const char *name)
{
	struct row *r = row_named(name);

	return r != NULL ? r->real : NULL;
}

const char *
sysio_next(const char *name)
{
	struct row *r;

	if (name == NULL)
		return rows[0].name;
	if ((r = row_named(name)) == NULL || r - rows + 1 >= R_N)
		return NULL;
	return r[1].name;
}

int
sysio_fail(const char *name, unsigned nth, int err, int persist)
{
	struct row *r = row_named(name);
	int any = 0;

	if (r == NULL) {
		errno = ENOENT;
		return -1;
	}
	pthread_mutex_lock(&fault_mu);
	r->countdown = nth;
	r->err = err;
	r->persist = persist;
	for (int i = 0; i < R_N; i++)
		any |= rows[i].countdown > 0;
	atomic_store(&armed, any);
	pthread_mutex_unlock(&fault_mu);
	return 0;
}

unsigned
sysio_calls(const char *name)
{
	struct row *r = row_named(name);

	return r != NULL ? atomic_load(&r->calls) : 0;
}

unsigned
sysio_failed(const char *name)
{
	struct row *r = row_named(name);

	return r != NULL ? atomic_load(&r->failed) : 0;
}

void
sysio_reset(void)
{
	pthread_mutex_lock(&fault_mu);
	for (int i = 0; i < R_N; i++) {
		atomic_store(&rows[i].cur, rows[i].real);
		atomic_store(&rows[i].calls, 0);
		atomic_store(&rows[i].failed, 0);
		rows[i].countdown = 0;
		rows[i].err = 0;
		rows[i].persist = 0;
	}
	atomic_store(&armed, 0);
	pthread_mutex_unlock(&fault_mu);
}
