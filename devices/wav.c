#include "devices/wav.h"
#include "base/sysio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define WAVE_PCM        1
#define WAVE_FLOAT      3
#define WAVE_EXTENSIBLE 0xFFFE
#define MAX_BYTES       (1ULL << 32)   /* 4 GiB: RIFF cannot say more */

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t
le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

int
wav_read_header(FILE *f, const char *path, struct wav_info *info, char *err, size_t errlen)
{
	unsigned char h[12], ck[8], fmt[40];
	int have_fmt = 0;
	uint16_t tag = 0, align = 0;

	memset(info, 0, sizeof *info);
	if (fread(h, 1, 12, f) != 12 || memcmp(h, "RIFF", 4) != 0 || memcmp(h + 8, "WAVE", 4) != 0) {
		snprintf(err, errlen, "%s: not a WAV file (no RIFF/WAVE header)", path);
		return -1;
	}
	for (;;) {
		uint32_t size;
		if (fread(ck, 1, 8, f) != 8) {
			snprintf(err, errlen, "%s: %s", path, have_fmt ? "no data chunk (truncated file?)"
			    : "no fmt chunk (truncated file?)");
			return -1;
		}
		size = le32(ck + 4);
		if (memcmp(ck, "fmt ", 4) == 0) {
			uint32_t keep = size < sizeof fmt ? size : sizeof fmt;
			if (size < 16 || size > 65536) {
				snprintf(err, errlen, "%s: fmt chunk of %u bytes is malformed", path, size);
				return -1;
			}
			/* Compressed formats carry extra fields: read what PCM
			 * needs, skip the rest, and refuse them by their tag. */
			if (fread(fmt, 1, keep, f) != keep ||
			    fseek(f, (long)(size - keep) + (size & 1), SEEK_CUR) != 0) {
				snprintf(err, errlen, "%s: fmt chunk is truncated", path);
				return -1;
			}
			tag = le16(fmt);
			info->channels = le16(fmt + 2);
			info->rate = le32(fmt + 4);
			align = le16(fmt + 12);
			info->bits = le16(fmt + 14);
			if (tag == WAVE_EXTENSIBLE && size >= 26)
				tag = le16(fmt + 24);     /* the sub-format GUID's first bytes */
			have_fmt = 1;
		} else if (memcmp(ck, "data", 4) == 0) {
			if (!have_fmt) {
				snprintf(err, errlen, "%s: data chunk before the fmt chunk", path);
				return -1;
			}
			if (size == 0xFFFFFFFFu) {
				/* What a writer that could not seek back leaves. */
				snprintf(err, errlen, "%s: data chunk of unknown length (size 0xFFFFFFFF, a streamed WAV); "
				    "rewrite it, e.g. sox IN OUT.wav", path);
				return -1;
			}
			break;
		} else {
			if (fseek(f, (long)size + (size & 1), SEEK_CUR) != 0) {
				snprintf(err, errlen, "%s: chunk '%.4s' runs past the end", path, (char *)ck);
				return -1;
			}
		}
	}
	if (tag != WAVE_PCM && tag != WAVE_FLOAT) {
		snprintf(err, errlen, "%s: compressed WAV (format tag %u) is not supported; "
		    "convert it to PCM, e.g. sox IN -e signed-integer -b 16 OUT.wav", path, tag);
		return -1;
	}
	info->is_float = tag == WAVE_FLOAT;
	if (info->channels < 1 || info->channels > 32) {
		snprintf(err, errlen, "%s: %u channels is not a sensible WAV", path, info->channels);
		return -1;
	}
	if (info->rate < 4000 || info->rate > 192000) {
		snprintf(err, errlen, "%s: sample rate %u Hz is outside 4000..192000", path, info->rate);
		return -1;
	}
	if (info->is_float ? info->bits != 32
	    : (info->bits != 8 && info->bits != 16 && info->bits != 24 && info->bits != 32)) {
		snprintf(err, errlen, "%s: %u-bit %s samples are not supported", path, info->bits,
		    info->is_float ? "float" : "integer");
		return -1;
	}
	if (align != info->channels * info->bits / 8) {
		snprintf(err, errlen, "%s: block align %u does not match %u channels of %u bits",
		    path, align, info->channels, info->bits);
		return -1;
	}
	info->frames = le32(ck + 4) / align;
	return 0;
}

/* One sample of any supported encoding, as a double in -32768..32767. */
static double
sample_at(const unsigned char *p, const struct wav_info *in)
{
	switch (in->bits) {
	case 8:
		return ((int)p[0] - 128) * 256.0;
	case 16:
		return (int16_t)le16(p);
	case 24: {
		int32_t v = (int32_t)((uint32_t)p[0] << 8 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 24);
		return v / 65536.0;
	}
	default:
		if (in->is_float) {
			float fl;
			uint32_t u = le32(p);
			memcpy(&fl, &u, sizeof fl);
			if (!(fl == fl))
				fl = 0.0f;       /* NaN in the file: silence, not UB */
			return fl * 32767.0;
		}
		return (int32_t)le32(p) / 65536.0;
	}
}

static int16_t
clamp16(double v)
{
	if (v > 32767.0)
		return 32767;
	if (v < -32768.0)
		return -32768;
	return (int16_t)(v < 0 ? v - 0.5 : v + 0.5);
}

int16_t *
wav_resample(const int16_t *in, size_t n, unsigned rate, size_t *out_n)
{
	double step = (double)rate / 16000.0;
	size_t m = (size_t)((double)n / step), i;
	int16_t *out = malloc((m ? m : 1) * sizeof *out);
	int half = step > 1.0 ? (int)(step / 2.0) : 0;

	for (i = 0; i < m; i++) {
		double x = i * step, acc = 0.0;
		size_t k = (size_t)x;
		double frac = x - (double)k;
		int cnt = 0;
		/* Going down, average the neighbourhood first (a box low-pass)
		 * so that what is above 8 kHz does not fold back as noise. */
		for (int d = -half; d <= half; d++) {
			long j = (long)k + d;
			if (j < 0 || (size_t)j + 1 >= n)
				continue;
			acc += in[j] * (1.0 - frac) + in[j + 1] * frac;
			cnt++;
		}
		out[i] = cnt ? clamp16(acc / cnt) : (k < n ? in[k] : 0);
	}
	*out_n = m;
	return out;
}

int
wav_load(const char *path, int16_t **pcm, size_t *n, struct wav_info *info,
         char *err, size_t errlen, char *warn, size_t warnlen)
{
	FILE *f = fopen(path, "rb");
	unsigned char *raw = NULL;
	int16_t *mono = NULL;
	size_t got, frame, i;
	uint64_t bytes, avail;
	struct stat st;
	long here;

	if (warn && warnlen)
		warn[0] = '\0';
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (wav_read_header(f, path, info, err, errlen) < 0) {
		fclose(f);
		return -1;
	}
	frame = info->channels * info->bits / 8;
	bytes = info->frames * frame;
	/* A truncated file: no buffer for what the header claims but is not there. */
	avail = bytes;
	if ((here = ftell(f)) >= 0 && fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) &&
	    (uint64_t)st.st_size >= (uint64_t)here && (uint64_t)st.st_size - (uint64_t)here < bytes)
		avail = (uint64_t)st.st_size - (uint64_t)here;
	if (bytes >= MAX_BYTES || (raw = malloc(avail ? avail : 1)) == NULL) {
		snprintf(err, errlen, "%s: data chunk of %llu bytes is too large", path, (unsigned long long)bytes);
		fclose(f);
		return -1;
	}
	got = fread(raw, 1, avail, f);
	fclose(f);
	if (got < bytes) {
		info->truncated = 1;
		if (warn)
			snprintf(warn, warnlen, "%s: truncated: the header announces %llu bytes of audio but "
			    "only %zu are there; using those", path, (unsigned long long)bytes, got);
		info->frames = got / frame;
	}
	mono = malloc((info->frames ? info->frames : 1) * sizeof *mono);
	for (i = 0; i < info->frames; i++) {
		double acc = 0.0;
		for (unsigned c = 0; c < info->channels; c++)
			acc += sample_at(raw + i * frame + c * info->bits / 8, info);
		mono[i] = clamp16(acc / info->channels);
	}
	free(raw);
	if (info->rate != 16000) {
		int16_t *r = wav_resample(mono, info->frames, info->rate, n);
		free(mono);
		mono = r;
	} else {
		*n = info->frames;
	}
	*pcm = mono;
	return 0;
}

int
wav_save(const char *path, const int16_t *pcm, size_t n, unsigned rate, char *err, size_t errlen)
{
	unsigned char h[44];
	uint32_t bytes = (uint32_t)(n * 2);
	struct iovec iov[2];

	if (n > (UINT32_MAX - 36) / 2) {
		snprintf(err, errlen, "%s: %zu samples do not fit a WAV file", path, n);
		errno = EFBIG;
		return -1;
	}
	memcpy(h, "RIFF", 4);
	h[4] = (unsigned char)(bytes + 36); h[5] = (unsigned char)((bytes + 36) >> 8);
	h[6] = (unsigned char)((bytes + 36) >> 16); h[7] = (unsigned char)((bytes + 36) >> 24);
	memcpy(h + 8, "WAVEfmt ", 8);
	h[16] = 16; h[17] = h[18] = h[19] = 0;
	h[20] = 1; h[21] = 0; h[22] = 1; h[23] = 0;
	h[24] = (unsigned char)rate; h[25] = (unsigned char)(rate >> 8);
	h[26] = (unsigned char)(rate >> 16); h[27] = (unsigned char)(rate >> 24);
	h[28] = (unsigned char)(rate * 2); h[29] = (unsigned char)(rate * 2 >> 8);
	h[30] = (unsigned char)(rate * 2 >> 16); h[31] = (unsigned char)(rate * 2 >> 24);
	h[32] = 2; h[33] = 0; h[34] = 16; h[35] = 0;
	memcpy(h + 36, "data", 4);
	h[40] = (unsigned char)bytes; h[41] = (unsigned char)(bytes >> 8);
	h[42] = (unsigned char)(bytes >> 16); h[43] = (unsigned char)(bytes >> 24);
	iov[0].iov_base = h;
	iov[0].iov_len = sizeof h;
	iov[1].iov_base = (void *)pcm;
	iov[1].iov_len = n * sizeof *pcm;
	return sysio_replacev(path, iov, 2, 0644, err, errlen);
}

int
wav_write(const char *path, const int16_t *pcm, size_t n, unsigned rate)
{
	char err[64];

	return wav_save(path, pcm, n, rate, err, sizeof err);
}
