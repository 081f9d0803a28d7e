/*
 * fuzz_frames — the frames.tsv of an images: folder (devices/camera_file.c,
 * "images:DIR"; what --record writes and --video-file DIR replays).
 *
 * The folder holds the input as frames.tsv next to two small decodable
 * images, a.pgm and b.pgm (the seeds name them), so the open gets past the
 * list to decoding and reading.
 *
 * Invariants: a refused list has a message; an opened camera has a
 * finite, positive frame rate and a frame count, and reading it to the end
 * gives frames whose times never go back and stay within what real-time
 * pacing can count (1e9 s), no more than it listed.
 */
#include "tests/fuzz/fuzz.h"

#include <math.h>

#include "devices/camera.h"
#include "devices/cv.h"

static char dir[512];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* 4x3 grey, binary PGM. */
	static const char pgm[] = "P5\n4 3\n255\n\x10\x20\x30\x40\x50\x60\x70\x80\x90\xa0\xb0\xc0";

	(void)argc; (void)argv;
	snprintf(dir, sizeof dir, "%s", fuzz_path("frames"));
	FUZZ_CHECK(mkdir(dir, 0700) == 0);
	fuzz_write(fuzz_path("frames/a.pgm"), pgm, sizeof pgm - 1, 0600);
	fuzz_write(fuzz_path("frames/b.pgm"), pgm, sizeof pgm - 1, 0600);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[2600];
	struct camera *c;
	struct cv_image im = { 0 };
	double t, prev = 0;
	long n = 0;
	int r;

	fuzz_write(fuzz_path("frames/frames.tsv"), data, size, 0600);
	err[0] = '\0';
	c = camera_open_ops(&camera_images_ops, "fuzz", dir, 0, err, sizeof err);
	FUZZ_CHECK_STR(err);
	FUZZ_SAY(c != NULL, err);
	if (c == NULL) {
		FUZZ_CHECK(err[0] != '\0');
		return 0;
	}
	FUZZ_CHECK(isfinite(c->fps) && c->fps > 0);
	FUZZ_CHECK(c->nframes >= 1 && c->w == 4 && c->h == 3);
	while ((r = camera_read(c, &im, &t, err, sizeof err)) == 1) {
		/* Paced replays count t in nanoseconds (camera.c). */
		FUZZ_CHECK(isfinite(t) && t >= prev && t <= 1e9 && im.w == 4 && im.h == 3);
		prev = t;
		n++;
		FUZZ_CHECK(n <= c->nframes);
	}
	FUZZ_CHECK(r == 0 && n >= 1);
	cv_image_free(&im);
	camera_close(c);
	return 0;
}
