/*
 * face-embed — the learned face descriptor of 150×150 crops, for the
 * comparison with face-api.js (tests/vision/face-reference.mjs) and timing.
 *
 *   face-embed [--model MANIFEST] [--time N] CROP...
 *
 * Prints, per crop, "PATH<TAB>v0 v1 ... v127" (7 significant digits).
 * --time N also runs each crop N times and prints the mean ms to stderr.
 * Exit 0, 1 on an unreadable crop or model, 2 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "devices/cv_face.h"
#include "models/face_embed.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	const char *model = FACE_EMBED_DEFAULT_MODEL;
	struct face_embed *fe;
	char err[512];
	int i = 1, reps = 0, rc = 0;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--model") == 0 && i + 1 < argc)
			model = argv[++i];
		else if (strcmp(argv[i], "--time") == 0 && i + 1 < argc)
			reps = atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: face-embed [--model MANIFEST] [--time N] CROP...\n");
			return 2;
		}
	}
	if (i >= argc) {
		fprintf(stderr, "usage: face-embed [--model MANIFEST] [--time N] CROP...\n");
		return 2;
	}
	if ((fe = face_embed_load(model, err, sizeof err)) == NULL) {
		fprintf(stderr, "face-embed: %s\n", err);
		return 1;
	}
	for (; i < argc; i++) {
		struct cv_image im;
		unsigned char *rgb;
		float v[FACE_EMBED_DIM];
		int x, y, k;

		if (cv_face_read_image(argv[i], &im, err, sizeof err) == -1) {
			fprintf(stderr, "face-embed: %s\n", err);
			rc = 1;
			continue;
		}
		if (im.w != FACE_EMBED_SIZE || im.h != FACE_EMBED_SIZE) {
			fprintf(stderr, "face-embed: %s: %dx%d, want %dx%d\n", argv[i], im.w, im.h,
			    FACE_EMBED_SIZE, FACE_EMBED_SIZE);
			cv_image_free(&im);
			rc = 1;
			continue;
		}
		rgb = malloc((size_t)im.w * im.h * 3);
		for (y = 0; y < im.h; y++)
			for (x = 0; x < im.w; x++)
				for (k = 0; k < 3; k++)
					rgb[((size_t)y * im.w + x) * 3 + k] =
					    im.data[(size_t)y * im.stride + (size_t)x * 3 + 2 - k];
		if (face_embed_run(fe, rgb, (size_t)im.w * 3, v, err, sizeof err) == -1) {
			fprintf(stderr, "face-embed: %s: %s\n", argv[i], err);
			rc = 1;
		} else {
			printf("%s\t", argv[i]);
			for (k = 0; k < FACE_EMBED_DIM; k++)
				printf(k ? " %.7g" : "%.7g", v[k]);
			printf("\n");
			if (reps > 0) {
				double t0 = now();
				for (k = 0; k < reps; k++)
					face_embed_run(fe, rgb, (size_t)im.w * 3, v, err, sizeof err);
				fprintf(stderr, "%s: %.2f ms per embedding\n", argv[i],
				    (now() - t0) * 1000 / reps);
			}
		}
		free(rgb);
		cv_image_free(&im);
	}
	face_embed_free(fe);
	return rc;
}
