/*
 * sysio — the system calls that write durable state, called through a
 * table, as SQLite's os_unix.c routes its calls through aSyscall[].
 *
 * Everything the daemon must not lose (STATE_DIR and what is in it: the
 * tokens, the face store, the url file; recordings; --dump-grammar) is
 * written with sysio_open/write/fsync/rename/... instead of the libc calls.
 * In the daemon each row is the real call and costs one pointer call and
 * an atomic counter.  Tests replace a row by name (sysio_set, as
 * sqlite3_vfs.xSetSystemCall) or make the Nth call of one fail with a
 * chosen errno (sysio_fail), then drive the real modules: a disk that
 * fills, an fsync that reports EIO, a directory made read-only, a process
 * that dies right before its rename.
 *
 * sysio_replace is the one way a whole file is written: a new file beside
 * it, written, fsync'd, renamed over the old one, the directory fsync'd.
 * Until the rename the old file is untouched, so a failure or a crash at
 * any step leaves either the old file or the new one, never half of one.
 *
 * Reads are not in the table: a reader is tested with damaged files.
 * Thread-safe: the calls and counters are; sysio_set/sysio_fail/
 * sysio_reset are for a test's single thread, before the work starts.
 */
#ifndef SO_SYSIO_H
#define SO_SYSIO_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

/* The calls.  Each behaves as the libc call of the same name (open takes
 * its mode always). */
int     sysio_open(const char *path, int flags, mode_t mode);
int     sysio_close(int fd);
ssize_t sysio_write(int fd, const void *buf, size_t n);
ssize_t sysio_pwrite(int fd, const void *buf, size_t n, off_t off);
int     sysio_fsync(int fd);
int     sysio_fdatasync(int fd);
int     sysio_fchmod(int fd, mode_t mode);
int     sysio_rename(const char *from, const char *to);
int     sysio_mkdir(const char *path, mode_t mode);
int     sysio_unlink(const char *path);

/* The row types, for a test's replacement (cast to sysio_fn to set it). */
typedef int     (*sysio_open_fn)(const char *, int, mode_t);
typedef int     (*sysio_fd_fn)(int);                 /* close, fsync, fdatasync */
typedef ssize_t (*sysio_write_fn)(int, const void *, size_t);
typedef ssize_t (*sysio_pwrite_fn)(int, const void *, size_t, off_t);
typedef int     (*sysio_fchmod_fn)(int, mode_t);
typedef int     (*sysio_rename_fn)(const char *, const char *);
typedef int     (*sysio_mkdir_fn)(const char *, mode_t);
typedef int     (*sysio_unlink_fn)(const char *);

/*
 * Writes all N bytes (again after EINTR and short writes).  0, or -1 with
 * errno (a write that wrote nothing is EIO).
 */
int sysio_write_all(int fd, const void *buf, size_t n);

/*
 * Replaces PATH with the N buffers of IOV, atomically: DIR/.NAME.XXXXXX
 * made with MODE (exactly, whatever the umask; O_EXCL, O_NOFOLLOW),
 * written, fsync'd, closed, renamed over PATH, then DIR fsync'd so the
 * rename itself survives a power cut.  0, or -1 with errno and err
 * "PATH: STEP: REASON" (STEP create, chmod, write, fsync, close, rename),
 * e.g. "/var/lib/smartoffice/tokens: write: No space left on device";
 * then the temporary file is removed and PATH is as it was.  A directory
 * fsync that fails after the rename is logged as a warning, not an error:
 * the new file is in place and readers see it.
 */
int sysio_replacev(const char *path, const struct iovec *iov, int n, mode_t mode,
                   char *err, size_t errlen);
/* The same for one buffer. */
int sysio_replace(const char *path, const void *buf, size_t len, mode_t mode,
                  char *err, size_t errlen);

/* fsync of a directory (after a rename or a file made in it); 0 or -1
 * with errno.  EINVAL (a file system that cannot) counts as done. */
int sysio_sync_dir(const char *dir);

/* ---- the table (tests) ---- */

typedef void (*sysio_fn)(void);

/*
 * Makes NAME ("open", "write", "fsync", ...) call FN from now on; FN NULL
 * puts the real call back.  0, or -1 (errno ENOENT) for a name not in the
 * table.  FN must have the row's type above.
 */
int         sysio_set(const char *name, sysio_fn fn);
/* The call a row makes now, and its real one; NULL for an unknown name. */
sysio_fn    sysio_get(const char *name);
sysio_fn    sysio_default(const char *name);
/* The row after NAME (NULL: the first), NULL after the last: a walk over
 * the table. */
const char *sysio_next(const char *name);

/*
 * Fault injection: the NTH call of NAME from now (1 = the next one) fails
 * with errno ERR without reaching the row's function; with PERSIST every
 * call after it fails too.  NTH 0 disarms.  0, or -1 for an unknown name.
 */
int         sysio_fail(const char *name, unsigned nth, int err, int persist);
/* Calls of NAME since the last reset, and how many of them were failed by
 * sysio_fail (so a test can see that its fault was reached). */
unsigned    sysio_calls(const char *name);
unsigned    sysio_failed(const char *name);
/* Every row back to its real call, faults disarmed, counters zero. */
void        sysio_reset(void);

#endif
