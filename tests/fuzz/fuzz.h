/*
 * fuzz.h — what the harnesses share (each harness is its own program, so
 * these are static and included, not linked).
 *
 * A harness defines LLVMFuzzerTestOneInput (and may define
 * LLVMFuzzerInitialize).  It is linked either with libFuzzer (clang,
 * -fsanitize=fuzzer: `make fuzz`) or with tests/fuzz/replay.c (any
 * compiler: `make fuzz-replay`, part of `make test`).
 *
 * Most parsers read a path, not a buffer: FUZZ_FILE() writes the input to a
 * file in the harness's own scratch folder (under /dev/shm when there is
 * one, so it costs no disk), removed when the process exits normally.
 *
 * FUZZ_CHECK(cond) is an invariant of the parser's result (a round trip, a
 * count that must match): when it does not hold the harness aborts, which
 * libFuzzer and the replay both report as a failure.
 */
#ifndef SO_FUZZ_H
#define SO_FUZZ_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FUZZ_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

static char fuzz_dir_path[256];
static pid_t fuzz_dir_pid;

static int
fuzz_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

static void
fuzz_dir_remove(void)
{
	/* Only the process that made it (libFuzzer's -fork/-jobs children
	 * have their own). */
	if (fuzz_dir_path[0] && getpid() == fuzz_dir_pid)
		nftw(fuzz_dir_path, fuzz_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The scratch folder of this process (mode 0700), made on first use. */
__attribute__((unused)) static const char *
fuzz_dir(void)
{
	const char *base;

	if (fuzz_dir_path[0] && fuzz_dir_pid == getpid())
		return fuzz_dir_path;
	base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
	if (base == NULL || *base == '\0')
		base = "/tmp";
	snprintf(fuzz_dir_path, sizeof fuzz_dir_path, "%s/so-fuzz-XXXXXX", base);
	if (mkdtemp(fuzz_dir_path) == NULL) {
		perror(fuzz_dir_path);
		abort();
	}
	if (fuzz_dir_pid == 0)
		atexit(fuzz_dir_remove);
	fuzz_dir_pid = getpid();
	return fuzz_dir_path;
}

/* DIR/name of the scratch folder: the same string for the same name for
 * the life of the process (a harness may keep it). */
__attribute__((unused)) static const char *
fuzz_path(const char *name)
{
	static struct fuzz_name { char *name, *path; } names[64];
	const char *dir = fuzz_dir();
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0] && names[i].name != NULL; i++)
		if (strcmp(names[i].name, name) == 0)
			return names[i].path;
	FUZZ_CHECK(i < sizeof names / sizeof names[0]);
	names[i].name = strdup(name);
	names[i].path = malloc(strlen(dir) + strlen(name) + 2);
	FUZZ_CHECK(names[i].name != NULL && names[i].path != NULL);
	sprintf(names[i].path, "%s/%s", dir, name);
	return names[i].path;
}

/* Writes data to path (replacing it) with the given mode; aborts on a
 * write error, which is the harness's fault, not the parser's. */
static void __attribute__((unused))
fuzz_write(const char *path, const void *data, size_t size, mode_t mode)
{
	const uint8_t *p = data;
	int fd;

	unlink(path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)) < 0) {
		perror(path);
		abort();
	}
	while (size > 0) {
		ssize_t n = write(fd, p, size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			perror(path);
			abort();
		}
		p += n;
		size -= (size_t)n;
	}
	if (fchmod(fd, mode) < 0 || close(fd) < 0) {
		perror(path);
		abort();
	}
}

/* The input as the scratch file `name` (mode 0600); returns its path. */
#define FUZZ_FILE(name, data, size) \
	(fuzz_write(fuzz_path(name), (data), (size), 0600), fuzz_path(name))

/*
 * sscanf(3) reads its input string inside libc, where ASan does not see a
 * read past the end of a buffer that has no NUL.  Every harness replaces
 * glibc's (C99) sscanf with one that first walks the string in instrumented
 * code, so such a read is reported where it happens (in a sanitizer build:
 * `make fuzz`, or the replay under `make sanitize`), then scans as usual.
 * (glibc's sscanf takes the strlen of its input first, so the whole string
 * is read whatever the format.)
 */
#include <stdarg.h>

int __isoc99_sscanf(const char *s, const char *fmt, ...);
int __isoc99_vsscanf(const char *s, const char *fmt, va_list ap);

int
__isoc99_sscanf(const char *s, const char *fmt, ...)
{
	volatile const char *p = s;
	va_list ap;
	int r;

	static int lax = -1;

	/* FUZZ_SSCANF=lax turns the walk off, to fuzz past a known over-read. */
	if (lax < 0)
		lax = getenv("FUZZ_SSCANF") != NULL && strcmp(getenv("FUZZ_SSCANF"), "lax") == 0;
	while (!lax && *p != '\0')
		p++;
	va_start(ap, fmt);
	r = __isoc99_vsscanf(s, fmt, ap);
	va_end(ap);
	return r;
}

/* With FUZZ_DEBUG set, says what became of an input (for writing seeds:
 * FUZZ_DEBUG=1 build/fuzz/replay-NAME tests/fuzz/corpus/NAME). */
#define FUZZ_SAY(accepted, why) do {					\
	if (getenv("FUZZ_DEBUG") != NULL)				\
		fprintf(stderr, "%s%s%s\n", (accepted) ? "accepted" : "refused", \
		    (accepted) ? "" : ": ", (accepted) ? "" : (why));	\
} while (0)

/* A message a parser put in a char buffer must end within it. */
#define FUZZ_CHECK_STR(buf) FUZZ_CHECK(memchr((buf), '\0', sizeof (buf)) != NULL)

#endif
