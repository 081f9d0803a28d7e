/*
 * test_wav — reading WAV files and converting them to 16 kHz mono 16-bit
 * (devices/wav.c): every supported encoding of one recording gives the
 * same audio back, broken and unsupported files are refused with the
 * reason, and wav_write/wav_load round-trip.
 *
 * Needs the fixtures of tests/unit/fixtures.sh in $FIXTURES (default
 * build/fixtures); tests/run-unit makes them.
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

#include "devices/wav.h"

/* Loads a file that must load; fails the test with err otherwise. */
static int16_t *
must_load(const char *path, size_t *n, struct wav_info *info, char *warn, size_t warnlen)
{
	char err[1024] = "";
	int16_t *pcm = NULL;

	if (wav_load(path, &pcm, n, info, err, sizeof err, warn, warnlen) != 0)
		fail_msg("%s refused: %s", path, err);
	assert_non_null(pcm);
	return pcm;
}

static double
rms(const int16_t *x, size_t n)
{
	double e = 0.0;

	for (size_t i = 0; i < n; i++)
		e += (double)x[i] * x[i];
	return n ? sqrt(e / n) : 0.0;
}

/* Normalized correlation of a and b over their common length (no lag). */
static double
correlation(const int16_t *a, const int16_t *b, size_t n)
{
	double ab = 0, aa = 0, bb = 0;

	for (size_t i = 0; i < n; i++) {
		ab += (double)a[i] * b[i];
		aa += (double)a[i] * a[i];
		bb += (double)b[i] * b[i];
	}
	return aa > 0 && bb > 0 ? ab / sqrt(aa * bb) : 0.0;
}

static void
put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void
put32(unsigned char *p, uint32_t v)
{
	put16(p, v & 0xFFFF);
	put16(p + 2, v >> 16);
}

struct hdr {
	unsigned tag, channels, rate, align, bits;
	uint32_t data_size;      /* what the data chunk header says */
	int      no_data;        /* leave the data chunk out */
	unsigned fmt_extra;      /* cbSize and that many bytes after the 16 */
};

/* Writes a WAV with a 16-byte fmt chunk (or 18 + fmt_extra), a "LIST"
 * chunk to skip, and ndata bytes of data. */
static void
write_wav(const char *path, const struct hdr *h, const void *data, size_t ndata)
{
	unsigned char b[64];
	FILE *f = fopen(path, "wb");
	unsigned fmt = h->fmt_extra ? 18 + h->fmt_extra : 16;

	assert_non_null(f);
	memcpy(b, "RIFF", 4);
	put32(b + 4, (uint32_t)(4 + 8 + fmt + 12 + (h->no_data ? 0 : 8 + ndata)));
	memcpy(b + 8, "WAVEfmt ", 8);
	put32(b + 16, fmt);
	put16(b + 20, h->tag);
	put16(b + 22, h->channels);
	put32(b + 24, h->rate);
	put32(b + 28, h->rate * h->align);
	put16(b + 32, h->align);
	put16(b + 34, h->bits);
	assert_int_equal(fwrite(b, 1, 36, f), 36);
	if (h->fmt_extra) {
		unsigned char extra[256] = { 0 };
		assert_true(h->fmt_extra <= sizeof extra - 2);
		put16(extra, h->fmt_extra);
		assert_int_equal(fwrite(extra, 1, 2 + h->fmt_extra, f), 2 + h->fmt_extra);
	}
	memcpy(b, "LIST", 4);
	put32(b + 4, 4);
	memcpy(b + 8, "INFO", 4);
	assert_int_equal(fwrite(b, 1, 12, f), 12);
	if (!h->no_data) {
		memcpy(b, "data", 4);
		put32(b + 4, h->data_size);
		assert_int_equal(fwrite(b, 1, 8, f), 8);
		if (ndata)
			assert_int_equal(fwrite(data, 1, ndata, f), ndata);
	}
	assert_int_equal(fclose(f), 0);
}

/* path must be refused, with the path and reason in err. */
static void
expect_refused(const char *path, const char *reason)
{
	char err[1024] = "", warn[256] = "";
	int16_t *pcm = NULL;
	size_t n = 12345;
	struct wav_info info;

	if (wav_load(path, &pcm, &n, &info, err, sizeof err, warn, sizeof warn) != -1) {
		free(pcm);
		fail_msg("%s accepted, expected refusal: %s", path, reason);
	}
	if (strncmp(err, path, strlen(path)) != 0 || strstr(err, reason) == NULL)
		fail_msg("error \"%s\" should start with the path and say \"%s\"", err, reason);
}

static const struct hdr good = { 1, 1, 16000, 2, 16, 320, 0 };

/* ------------------------------------------------------------------ */

static void
test_formats_convert(void **state)
{
	static const struct {
		const char *name;
		unsigned rate, channels, bits;
		int is_float;
		double min_corr;
	} v[] = {
		{ "air_44k_stereo.wav", 44100, 2, 16, 0, 0.99 },
		{ "air_8k_u8.wav", 8000, 1, 8, 0, 0.95 },     /* half the bandwidth, 8 bits */
		{ "air_48k_s24.wav", 48000, 1, 24, 0, 0.99 },  /* WAVE_FORMAT_EXTENSIBLE */
		{ "air_22k_f32.wav", 22050, 1, 32, 1, 0.99 },
	};
	struct wav_info oi, info;
	size_t on, n;
	char warn[256];
	int16_t *orig = must_load(fixture("wake_air.wav"), &on, &oi, warn, sizeof warn);
	double orms = rms(orig, on);

	assert_int_equal(oi.rate, 16000);
	assert_int_equal(oi.channels, 1);
	assert_int_equal(oi.bits, 16);
	assert_int_equal(oi.truncated, 0);
	assert_string_equal(warn, "");
	assert_int_equal(on, oi.frames);
	assert_true(orms > 200.0);      /* speech, not only the noise bed */
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		int16_t *pcm = must_load(fixture(v[i].name), &n, &info, warn, sizeof warn);
		double duration = (double)info.frames / info.rate, r, c;
		assert_int_equal(info.rate, v[i].rate);
		assert_int_equal(info.channels, v[i].channels);
		assert_int_equal(info.bits, v[i].bits);
		assert_int_equal(info.is_float, v[i].is_float);
		assert_int_equal(info.truncated, 0);
		assert_string_equal(warn, "");
		if (fabs((double)n - duration * 16000.0) > 0.01 * duration * 16000.0)
			fail_msg("%s: %zu samples for %.3f s", v[i].name, n, duration);
		if (fabs((double)n - (double)on) > 0.01 * (double)on)
			fail_msg("%s: %zu samples, the original has %zu", v[i].name, n, on);
		r = rms(pcm, n);
		if (fabs(r - orms) > 0.05 * orms)
			fail_msg("%s: RMS %.1f, the original's is %.1f", v[i].name, r, orms);
		c = correlation(orig, pcm, n < on ? n : on);
		if (c < v[i].min_corr)
			fail_msg("%s: correlation with the original %.4f < %.2f", v[i].name, c, v[i].min_corr);
		free(pcm);
	}
	free(orig);
}

static void
test_truncated(void **state)
{
	struct wav_info oi, info;
	size_t on, n;
	char warn[512] = "unset";
	const char *path = fixture("air_truncated.wav");
	int16_t *orig = must_load(fixture("wake_air.wav"), &on, &oi, warn, sizeof warn);
	int16_t *pcm = must_load(path, &n, &info, warn, sizeof warn);
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(info.truncated, 1);
	assert_non_null(strstr(warn, path));
	assert_non_null(strstr(warn, "truncated"));
	/* Everything there, to the last whole sample, and nothing more. */
	assert_int_equal(n, ((size_t)st.st_size - 44) / 2);
	assert_int_equal(info.frames, n);
	assert_true(n < on);
	assert_memory_equal(pcm, orig, n * sizeof *pcm);
	free(pcm);
	free(orig);
}

/* A header that claims almost 4 GiB over a few samples is a truncated
 * file like any other: read what is there (no 4 GiB buffer). */
static void
test_truncated_huge_claim(void **state)
{
	int16_t data[1000], *pcm;
	struct hdr h = good;
	struct wav_info info;
	size_t n;
	char warn[512] = "";

	for (int i = 0; i < 1000; i++)
		data[i] = (int16_t)(i * 37 - 16000);
	h.data_size = 0xFFFFFFF0u;
	write_wav(tmp_path, &h, data, sizeof data);
	pcm = must_load(tmp_path, &n, &info, warn, sizeof warn);
	assert_int_equal(info.truncated, 1);
	assert_non_null(strstr(warn, "truncated"));
	assert_int_equal(n, 1000);
	assert_memory_equal(pcm, data, sizeof data);
	free(pcm);
}

static void
test_refuse_empty_and_not_riff(void **state)
{
	FILE *f;

	f = fopen(tmp_path, "wb");
	fclose(f);
	expect_refused(tmp_path, "not a WAV file");
	f = fopen(tmp_path, "wb");
	fputs("RIFF", f);
	fclose(f);
	expect_refused(tmp_path, "not a WAV file");
	f = fopen(tmp_path, "wb");
	fputs("hey seoul, show me the air quality\nthis is a text file, not audio\n", f);
	fclose(f);
	expect_refused(tmp_path, "not a WAV file");
	f = fopen(tmp_path, "wb");
	fwrite("RIFF\x24\0\0\0AVI LIST", 1, 16, f);
	fclose(f);
	expect_refused(tmp_path, "not a WAV file");
	expect_refused("/nonexistent/file.wav", "No such file");
}

static void
test_refuse_no_data_chunk(void **state)
{
	struct hdr h = good;

	h.no_data = 1;
	write_wav(tmp_path, &h, NULL, 0);
	expect_refused(tmp_path, "no data chunk");
}

static void
test_refuse_bad_headers(void **state)
{
	int16_t data[160] = { 0 };
	struct hdr h;

	h = good;
	h.tag = 2;                   /* Microsoft ADPCM */
	h.bits = 4;
	h.align = 256;
	write_wav(tmp_path, &h, data, sizeof data);
	expect_refused(tmp_path, "compressed WAV (format tag 2)");
	/* As real ADPCM files have it: a 50-byte fmt chunk (cbSize 32, the
	 * coefficient table).  Refused for what it is, not as malformed. */
	h.fmt_extra = 32;
	write_wav(tmp_path, &h, data, sizeof data);
	expect_refused(tmp_path, "compressed WAV (format tag 2)");
	h = good;
	h.tag = 7;                   /* mu-law */
	h.bits = 8;
	h.align = 1;
	write_wav(tmp_path, &h, data, sizeof data);
	expect_refused(tmp_path, "format tag 7");
	h = good;
	h.channels = 0;
	h.align = 0;
	write_wav(tmp_path, &h, data, sizeof data);
	expect_refused(tmp_path, "0 channels");
	h = good;
	h.rate = 1;
	write_wav(tmp_path, &h, data, sizeof data);
	expect_refused(tmp_path, "sample rate 1 Hz");
	h = good;
	h.rate = 384000;
	write_wav(tmp_path, &h, data, sizeof data);
	expect_refused(tmp_path, "sample rate 384000 Hz");
	h = good;
	h.bits = 12;
	write_wav(tmp_path, &h, data, sizeof data);
	expect_refused(tmp_path, "12-bit");
	h = good;
	h.tag = 3;
	h.bits = 16;                 /* 16-bit float does not exist */
	write_wav(tmp_path, &h, data, sizeof data);
	expect_refused(tmp_path, "16-bit float");
	h = good;
	h.align = 4;                 /* mono 16-bit frames are 2 bytes */
	write_wav(tmp_path, &h, data, sizeof data);
	expect_refused(tmp_path, "block align 4");
}

/* 0xFFFFFFFF is what streaming writers put when they do not know the
 * length; it is not a length, and must not become a 4 GiB buffer. */
static void
test_refuse_data_size_ffffffff(void **state)
{
	int16_t data[160] = { 0 };
	struct hdr h = good;

	h.data_size = 0xFFFFFFFFu;
	write_wav(tmp_path, &h, data, sizeof data);
	expect_refused(tmp_path, "data chunk");
}

/* Stereo 32-bit integer with both channels equal is the original exactly. */
static void
test_int32_stereo_exact(void **state)
{
	struct wav_info oi, info;
	size_t on, n;
	char warn[256];
	int16_t *orig = must_load(fixture("wake_air.wav"), &on, &oi, warn, sizeof warn), *pcm;
	int32_t *st = malloc(on * 2 * sizeof *st);
	struct hdr h = { 1, 2, 16000, 8, 32, 0, 0 };

	for (size_t i = 0; i < on; i++)
		st[2 * i] = st[2 * i + 1] = (int32_t)((uint32_t)(int32_t)orig[i] << 16);
	h.data_size = (uint32_t)(on * 8);
	write_wav(tmp_path, &h, st, on * 8);
	pcm = must_load(tmp_path, &n, &info, warn, sizeof warn);
	assert_int_equal(n, on);
	assert_memory_equal(pcm, orig, on * sizeof *pcm);
	free(pcm);
	free(st);
	free(orig);
}

static void
test_write_load_round_trip(void **state)
{
	static const size_t lengths[] = { 0, 1, 3, 16000, 48001 };
	struct wav_info info;
	char warn[256], err[256];

	for (size_t k = 0; k < sizeof lengths / sizeof lengths[0]; k++) {
		size_t n = lengths[k], m = 99;
		int16_t *in = malloc((n ? n : 1) * sizeof *in), *out = NULL;
		uint32_t x = 12345;
		for (size_t i = 0; i < n; i++) {
			x = x * 1103515245u + 12345u;
			in[i] = (int16_t)(x >> 16);
		}
		if (n > 2) {
			in[0] = INT16_MIN;
			in[1] = INT16_MAX;
		}
		assert_int_equal(wav_write(tmp_path, in, n, 16000), 0);
		if (wav_load(tmp_path, &out, &m, &info, err, sizeof err, warn, sizeof warn) != 0)
			fail_msg("%zu samples: %s", n, err);
		assert_int_equal(m, n);
		assert_int_equal(info.rate, 16000);
		assert_int_equal(info.channels, 1);
		assert_int_equal(info.bits, 16);
		assert_int_equal(info.truncated, 0);
		if (n)
			assert_memory_equal(out, in, n * sizeof *in);
		free(in);
		free(out);
	}
	assert_int_equal(wav_write("/nonexistent/dir/x.wav", NULL, 0, 16000), -1);
}

static void
test_resample(void **state)
{
	int16_t in[8000], *out;
	size_t m;

	/* A constant stays that constant, at any rate, and the length scales. */
	for (size_t i = 0; i < 8000; i++)
		in[i] = 1000;
	out = wav_resample(in, 8000, 8000, &m);
	assert_int_equal(m, 16000);
	for (size_t i = 0; i < m; i++)
		assert_int_equal(out[i], 1000);
	free(out);
	out = wav_resample(in, 8000, 48000, &m);
	assert_true(m >= 2666 && m <= 2667);
	for (size_t i = 0; i < m; i++)
		assert_int_equal(out[i], 1000);
	free(out);
	/* A 1 kHz tone at 44.1 kHz keeps its amplitude. */
	for (size_t i = 0; i < 8000; i++)
		in[i] = (int16_t)lrint(10000.0 * sin(2 * M_PI * 1000.0 * i / 44100.0));
	out = wav_resample(in, 8000, 44100, &m);
	assert_true(fabs((double)m - 8000.0 * 16000.0 / 44100.0) <= 1.0);
	assert_true(fabs(rms(out + 10, m - 20) - 10000.0 / sqrt(2.0)) < 0.05 * 10000.0 / sqrt(2.0));
	free(out);
}

/* wav_read_header leaves the file at the first data byte. */
static void
test_read_header_position(void **state)
{
	int16_t data[4] = { 0x1234, -2, 3, 4 };
	struct hdr h = good;
	struct wav_info info;
	char err[256];
	int16_t first;
	FILE *f;

	h.data_size = sizeof data;
	write_wav(tmp_path, &h, data, sizeof data);
	f = fopen(tmp_path, "rb");
	assert_int_equal(wav_read_header(f, tmp_path, &info, err, sizeof err), 0);
	assert_int_equal(info.frames, 4);
	assert_int_equal(fread(&first, 2, 1, f), 1);
	assert_int_equal(first, 0x1234);
	fclose(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_formats_convert),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test_setup_teardown(test_truncated_huge_claim, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_refuse_empty_and_not_riff, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_refuse_no_data_chunk, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_refuse_bad_headers, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_refuse_data_size_ffffffff, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_int32_stereo_exact, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_write_load_round_trip, setup_tmp, teardown_tmp),
		cmocka_unit_test(test_resample),
		cmocka_unit_test_setup_teardown(test_read_header_position, setup_tmp, teardown_tmp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
