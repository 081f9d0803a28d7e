/*
 * replay — runs a libFuzzer harness over files, without libFuzzer: what
 * `make fuzz-replay` (and so `make test`) links each tests/fuzz/fuzz_*.c
 * with, so the corpora and the crash inputs are replayed with the normal
 * compiler and flags (or ASan's, in build-asan/).
 *
 *   replay [-q] FILE-OR-DIR...
 *
 * Every regular file named, and every regular file directly in a folder
 * named (sorted by name; dot files skipped), is given to
 * LLVMFuzzerTestOneInput once.  Each input has 10 s (REPLAY_TIMEOUT) before
 * it counts as a hang.  Exits 0 after "replay: N inputs" when every input
 * returned; an input that crashes, aborts, trips a sanitizer or hangs
 * ends the run at once, after "replay: FAILED on PATH" on stderr.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));
/* ASan/UBSan's hook, present only in a sanitizer build. */
void __sanitizer_set_death_callback(void (*cb)(void)) __attribute__((weak));

static const char *current;     /* the input being run */
static unsigned timeout_s = 10;

static void
say_failed(void)
{
	const char *a = "replay: FAILED on ", *b = current ? current : "(initialisation)";

	/* Async-signal-safe: write(2) only. */
	if (write(2, a, strlen(a)) < 0 || write(2, b, strlen(b)) < 0 || write(2, "\n", 1) < 0)
		return;
}

static void
on_signal(int sig)
{
	if (sig == SIGALRM) {
		const char *m = "replay: timeout\n";
		if (write(2, m, strlen(m)) < 0)
			_exit(1);
	}
	say_failed();
	signal(sig, SIG_DFL);
	if (sig == SIGALRM)
		_exit(1);
	raise(sig);
}

static int
run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (f == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	do {
		if (len == cap) {
			uint8_t *nb = realloc(buf, cap = cap ? 2 * cap : 65536);
			if (nb == NULL) {
				fprintf(stderr, "replay: %s: out of memory\n", path);
				free(buf);
				fclose(f);
				return -1;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	if (ferror(f)) {
		fprintf(stderr, "replay: %s: read error\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	/* An exact-size copy, so that a read one past the input is seen by
	 * ASan in a sanitizer build, as under libFuzzer. */
	uint8_t *exact = malloc(len ? len : 1);
	if (exact == NULL) {
		free(buf);
		return -1;
	}
	memcpy(exact, buf, len);
	free(buf);
	current = path;
	alarm(timeout_s);
	LLVMFuzzerTestOneInput(exact, len);
	alarm(0);
	current = NULL;
	free(exact);
	return 0;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every regular file of dir, sorted; the number run, or -1. */
static long
run_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;
	long done = 0;

	if (d == NULL) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap = cap ? 2 * cap : 256) * sizeof *nn);
			if (nn == NULL)
				break;
			names = nn;
		}
		if ((names[n] = strdup(e->d_name)) != NULL)
			n++;
	}
	closedir(d);
	qsort(names, n, sizeof *names, by_name);
	for (size_t i = 0; i < n; i++) {
		char path[4096];
		struct stat st;

		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && done >= 0) {
			if (run_file(path) < 0)
				done = -1;
			else
				done++;
		}
		free(names[i]);
	}
	free(names);
	return done;
}

int
main(int argc, char **argv)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGALRM };
	long total = 0;
	int quiet = 0, first = 1;
	const char *t = getenv("REPLAY_TIMEOUT");

	if (argc > 1 && strcmp(argv[1], "-q") == 0) {
		quiet = 1;
		first = 2;
	}
	if (argc <= first) {
		fprintf(stderr, "usage: %s [-q] FILE-OR-DIR...\n", argv[0]);
		return 2;
	}
	if (t != NULL && atoi(t) > 0)
		timeout_s = (unsigned)atoi(t);
	/* A sanitizer has its own handlers for faults (and its report); it
	 * calls back here before it exits, so the input is named either way.
	 * abort() (FUZZ_CHECK), traps and hangs are ours to report. */
	if (__sanitizer_set_death_callback != NULL)
		__sanitizer_set_death_callback(say_failed);
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		if (sigs[i] == SIGALRM || sigs[i] == SIGABRT || sigs[i] == SIGILL ||
		    __sanitizer_set_death_callback == NULL)
			signal(sigs[i], on_signal);
	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = first; i < argc; i++) {
		struct stat st;
		long n;

		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		if (S_ISDIR(st.st_mode))
			n = run_dir(argv[i]);
		else
			n = run_file(argv[i]) < 0 ? -1 : 1;
		if (n < 0)
			return 1;
		total += n;
	}
	if (!quiet)
		printf("replay: %ld inputs\n", total);
	return 0;
}
