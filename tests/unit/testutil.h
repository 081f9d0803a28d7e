/*
 * testutil.h — helpers the unit tests share (each test is its own program,
 * so these are static and included, not linked).  Include after cmocka.h.
 */
#ifndef SO_TESTUTIL_H
#define SO_TESTUTIL_H

#include <ftw.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A temporary file for the test at hand: setup_tmp/teardown_tmp. */
static char tmp_path[64];

static int __attribute__((unused))
setup_tmp(void **state)
{
	int fd;

	(void)state;
	snprintf(tmp_path, sizeof tmp_path, "/tmp/so-unit-XXXXXX");
	if ((fd = mkstemp(tmp_path)) < 0)
		return -1;
	close(fd);
	return 0;
}

static int __attribute__((unused))
teardown_tmp(void **state)
{
	(void)state;
	unlink(tmp_path);
	return 0;
}

/* A temporary folder: tmpdir_make("/tmp/so-x-XXXXXX") fills buf; 0 or -1. */
static int __attribute__((unused))
tmpdir_make(char *buf, size_t len, const char *pattern)
{
	snprintf(buf, len, "%s", pattern);
	return mkdtemp(buf) != NULL ? 0 : -1;
}

static int
tmpdir_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

/* Removes a folder and everything in it (not following links). */
static int __attribute__((unused))
tmpdir_remove(const char *path)
{
	return nftw(path, tmpdir_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Uniform white noise of a given RMS, deterministic (the same samples on
 * every run, whatever test asks). */
static void __attribute__((unused))
white_noise(int16_t *out, size_t n, double rms_level)
{
	uint32_t x = 7;
	double a = rms_level * sqrt(3.0);

	for (size_t i = 0; i < n; i++) {
		x = x * 1664525u + 1013904223u;
		out[i] = (int16_t)lrint(a * ((double)(x >> 8) / (double)(1u << 24) * 2.0 - 1.0));
	}
}

/* Path of a fixture made by tests/unit/fixtures.sh (FIXTURES=DIR). */
__attribute__((unused)) static const char *
fixture(const char *name)
{
	static char path[4][1024];
	static int k;
	const char *dir = getenv("FIXTURES");
	char *p = path[k++ % 4];

	snprintf(p, sizeof path[0], "%s/%s", dir && *dir ? dir : "build/fixtures", name);
	if (access(p, R_OK) != 0)
		fail_msg("fixture %s is missing: run tests/run-unit, or tests/unit/fixtures.sh DIR "
		    "and set FIXTURES=DIR", p);
	return p;
}

static void __attribute__((unused))
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static int __attribute__((unused))
count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* errs must hold a line "PATH:LINE: ...needle..." (a file:line error). */
static void __attribute__((unused))
expect_error_line(const char *errs, const char *path, int line, const char *needle)
{
	char prefix[128];

	snprintf(prefix, sizeof prefix, "%s:%d: ", path, line);
	for (const char *p = errs; p && *p; ) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		char one[1024];
		snprintf(one, sizeof one, "%.*s", (int)len, p);
		if (strncmp(one, prefix, strlen(prefix)) == 0 && strstr(one, needle) != NULL)
			return;
		p = eol ? eol + 1 : NULL;
	}
	fail_msg("expected an error \"%s...%s...\", got:\n%s", prefix, needle, errs);
}

/* A binary PPM crop of size² into rgb (rows of size * 3 bytes). */
static void __attribute__((unused))
read_ppm_crop(const char *path, int size, uint8_t *rgb)
{
	FILE *f = fopen(path, "rb");
	int w, h, max;

	if (f == NULL)
		fail_msg("fixture %s is missing", path);
	if (fscanf(f, "P6 %d %d %d", &w, &h, &max) != 3 || fgetc(f) == EOF || w != size ||
	    h != size || max != 255)
		fail_msg("%s: not a %dx%d binary PPM", path, size, size);
	assert_int_equal(fread(rgb, 1, (size_t)w * h * 3, f), (size_t)w * h * 3);
	fclose(f);
}

/*
 * The face networks' reference: `node tests/vision/face-reference.mjs ARGS
 * CROP...` (face-api.js in tfjs) prints "CROP<TAB>values" per crop; ref
 * gets nvals floats per crop, in the order of crops.  Fails unless every
 * crop comes back.
 */
static void __attribute__((unused))
face_reference(const char *args, const char *const *crops, int ncrops, int nvals, float *ref)
{
	char cmd[2048], line[8192];
	FILE *p;
	int n = 0;

	snprintf(cmd, sizeof cmd, "node tests/vision/face-reference.mjs %s", args);
	for (int i = 0; i < ncrops; i++) {
		strcat(cmd, " ");
		strcat(cmd, crops[i]);
	}
	strcat(cmd, " 2>/dev/null");
	assert_non_null(p = popen(cmd, "r"));
	while (fgets(line, sizeof line, p) != NULL && n < ncrops) {
		char *tab = strchr(line, '\t'), *s, *end;
		if (tab == NULL)
			continue;
		*tab = '\0';
		assert_string_equal(line, crops[n]);
		s = tab + 1;
		for (int j = 0; j < nvals; j++, s = end) {
			ref[(size_t)n * nvals + j] = strtof(s, &end);
			assert_true(end != s);
		}
		n++;
	}
	if (pclose(p) != 0 || n != ncrops)
		fail_msg("node tests/vision/face-reference.mjs %s gave %d of %d results (needs node "
		    "and node_modules: tools/install-deps)", args, n, ncrops);
}

#endif
