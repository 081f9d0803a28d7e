/*
 * fuzz_wav — a WAV file (devices/wav.c: wav_load, wav_read_header), as
 * --audio-file and the demo session read it.
 *
 * Invariants: a refused file has a message; an accepted one has a
 * supported format and as many 16 kHz samples as its frames give at its
 * rate (resampled, or the frames themselves at 16 kHz), all readable.  The
 * header is also read from a stream that is not a regular file (fmemopen),
 * where wav_load's truncation check cannot stat: it must agree.
 */
#include "tests/fuzz/fuzz.h"

#include "devices/wav.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512], warn[512];
	const char *path = FUZZ_FILE("audio.wav", data, size);
	struct wav_info info, hinfo;
	int16_t *pcm = NULL;
	size_t n = 0;
	long sum = 0;
	int r;
	FILE *f;

	err[0] = '\0';
	r = wav_load(path, &pcm, &n, &info, err, sizeof err, warn, sizeof warn);
	FUZZ_CHECK_STR(err);
	FUZZ_SAY(r == 0, err);
	if (r < 0) {
		FUZZ_CHECK(err[0] != '\0');
	} else {
		FUZZ_CHECK_STR(warn);
		FUZZ_CHECK(pcm != NULL);
		FUZZ_CHECK(info.channels >= 1 && info.channels <= 32);
		FUZZ_CHECK(info.rate >= 4000 && info.rate <= 192000);
		FUZZ_CHECK(info.bits == 8 || info.bits == 16 || info.bits == 24 || info.bits == 32);
		/* Every frame of the file was there to be read. */
		FUZZ_CHECK(info.frames * info.channels * (info.bits / 8) <= size);
		if (info.rate == 16000)
			FUZZ_CHECK(n == info.frames);
		else
			FUZZ_CHECK(n == (size_t)((double)info.frames / ((double)info.rate / 16000.0)));
		for (size_t i = 0; i < n; i++)
			sum += pcm[i];
		free(pcm);
	}
	if (size > 0 && (f = fmemopen((void *)data, size, "rb")) != NULL) {
		int hr = wav_read_header(f, "stream", &hinfo, err, sizeof err);
		FUZZ_CHECK_STR(err);
		/* A file wav_load read has a header the stream reads too. */
		if (r == 0)
			FUZZ_CHECK(hr == 0 && hinfo.rate == info.rate &&
			    hinfo.channels == info.channels && hinfo.bits == info.bits);
		fclose(f);
	}
	(void)sum;
	return 0;
}
