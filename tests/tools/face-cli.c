/*
 * face-cli — runs face_cli() as `smartofficed face` will, plus two
 * measuring commands for tests/bench/face:
 *
 *   face-cli [--state-dir DIR] [--model PATH] [--cascade-dir DIR]
 *            [--threshold X] [--descriptor embedding|lbp] [--embed-model M]
 *            face ...
 *   face-cli [--model PATH] [--pad N] detect IMAGE...
 *       one line per image: PATH COUNT SCORE YAW (best face), the image
 *       padded with an N-pixel black border first
 *   face-cli [--model PATH] [--threads N] fps W H FRAMES IMAGE
 *       detection frames per second on IMAGE scaled into a W×H frame
 *   face-cli [--model PATH] [--threads N] vfps W H FRAMES IMAGE
 *       verification frames per second (detect + align + describe with the
 *       configured descriptor) on IMAGE scaled into a W×H frame
 *   face-cli [--model PATH] crop IMAGE OUT.ppm
 *       the embedding's aligned 150×150 RGB crop of IMAGE's best face
 *   face-cli [--pad N] lmcrop IMAGE OUT.ppm
 *       the landmark network's 112×112 RGB crop of IMAGE's best face
 *   face-cli [--pad N] [--landmark-model M] ear IMAGE...
 *       one line per image: PATH EAR_RIGHT EAR_LEFT EYES_OPEN (the eye
 *       aspect ratios from the 68 landmarks, and face_eyes_open's answer:
 *       with --landmark-model /nonexistent, the eye cascade's)
 *   face-cli [--pad N] [--landmark-model M] eyesfps FRAMES FACE_PX IMAGE
 *       CPU time of one face_eyes_open on IMAGE's best face scaled to
 *       FACE_PX wide (the landmarks, or the cascade as the daemon runs it)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "devices/cv_video.h"
#include "models/face.h"
#include "cli/face_cli.h"

static double
cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* im placed in the middle of a w×h black frame, scaled to half its height */
static int
frame_of(const struct cv_image *im, int w, int h, struct cv_image *out)
{
	int fh = h / 2, fw = im->w * fh / im->h, x, y, ox = (w - fw) / 2, oy = (h - fh) / 2;

	if (cv_image_alloc(out, w, h, 3) == -1)
		return -1;
	for (y = 0; y < fh; y++)
		for (x = 0; x < fw; x++) {
			const uint8_t *s = im->data + (size_t)(y * im->h / fh) * im->stride +
			    (size_t)(x * im->w / fw) * im->channels;
			uint8_t *d = out->data + (size_t)(y + oy) * out->stride + (size_t)(x + ox) * 3;
			d[0] = s[0];
			d[1] = s[im->channels == 3 ? 1 : 0];
			d[2] = s[im->channels == 3 ? 2 : 0];
		}
	return 0;
}

/* IMAGE with a pad-pixel black border (ORL's tight crops need context). */
static int
read_padded(const char *path, int pad, struct cv_image *big, char *err, size_t errlen)
{
	struct cv_image im;
	int y;

	memset(big, 0, sizeof *big);
	if (cv_face_read_image(path, &im, err, errlen) == -1)
		return -1;
	if (cv_image_alloc(big, im.w + 2 * pad, im.h + 2 * pad, 3) == -1) {
		cv_image_free(&im);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (y = 0; y < im.h; y++)
		memcpy(big->data + (size_t)(y + pad) * big->stride + (size_t)pad * 3,
		    im.data + (size_t)y * im.stride, (size_t)im.w * 3);
	cv_image_free(&im);
	return 0;
}

int
main(int argc, char **argv)
{
	struct face_cli_config cfg = { "state", FACE_DEFAULT_MODEL, NULL, 0, 0 };
	struct face_config fc = { 0 };
	struct face_ctx *ctx;
	struct face_det d[FACE_MAX_DETS];
	char err[512];
	int i = 1, pad = 0, rc = 0;

	log_init(0);
	for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		if (strcmp(argv[i], "--state-dir") == 0)
			cfg.state_dir = argv[i + 1];
		else if (strcmp(argv[i], "--model") == 0)
			cfg.model = argv[i + 1];
		else if (strcmp(argv[i], "--cascade-dir") == 0)
			cfg.cascade_dir = argv[i + 1];
		else if (strcmp(argv[i], "--threshold") == 0)
			cfg.threshold = atof(argv[i + 1]);
		else if (strcmp(argv[i], "--pad") == 0)
			pad = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--threads") == 0)
			fc.threads = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--descriptor") == 0) {
			if ((cfg.descriptor = face_descriptor_parse(argv[i + 1])) < 0) {
				fprintf(stderr, "face-cli: --descriptor embedding|lbp\n");
				return 2;
			}
		} else if (strcmp(argv[i], "--embed-model") == 0)
			cfg.embed_model = argv[i + 1];
		else if (strcmp(argv[i], "--landmark-model") == 0)
			fc.landmark_model = argv[i + 1];
		else {
			fprintf(stderr, "face-cli: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	if (i >= argc) {
		fprintf(stderr, "usage: face-cli [options] face|detect|fps ...\n");
		return 2;
	}
	if (strcmp(argv[i], "face") == 0)
		return face_cli(argc - i, argv + i, &cfg);

	fc.model = cfg.model;
	fc.cascade_dir = cfg.cascade_dir;
	fc.min_score = FACE_DEFAULT_MIN_SCORE;
	fc.threshold = 0;
	fc.descriptor = cfg.descriptor;
	fc.embed_model = cfg.embed_model;
	if ((ctx = face_open(&fc, err, sizeof err)) == NULL) {
		fprintf(stderr, "face-cli: %s\n", err);
		return 1;
	}
	if (strcmp(argv[i], "detect") == 0) {
		for (i++; i < argc; i++) {
			struct cv_image im, big;
			int n, y;

			if (cv_face_read_image(argv[i], &im, err, sizeof err) == -1) {
				fprintf(stderr, "face-cli: %s\n", err);
				rc = 1;
				continue;
			}
			if (cv_image_alloc(&big, im.w + 2 * pad, im.h + 2 * pad, 3) == -1)
				return 1;
			for (y = 0; y < im.h; y++)
				memcpy(big.data + (size_t)(y + pad) * big.stride + (size_t)pad * 3,
				    im.data + (size_t)y * im.stride, (size_t)im.w * 3);
			n = face_detect(ctx, &big, d, FACE_MAX_DETS, err, sizeof err);
			if (n < 0)
				fprintf(stderr, "face-cli: %s: %s\n", argv[i], err);
			else
				printf("%s %d %.3f %.3f\n", argv[i], n, n ? d[0].score : 0,
				    n ? face_yaw(&d[0]) : 0);
			cv_image_free(&im);
			cv_image_free(&big);
		}
	} else if (strcmp(argv[i], "vfps") == 0 && i + 4 < argc) {
		struct cv_image im, fr;
		int w = atoi(argv[i + 1]), h = atoi(argv[i + 2]), frames = atoi(argv[i + 3]), k, n = 0;
		float *desc = malloc((size_t)face_desc_dim(ctx) * sizeof *desc);
		double t0, t1, c0, c1;

		if (cv_face_read_image(argv[i + 4], &im, err, sizeof err) == -1 ||
		    frame_of(&im, w, h, &fr) == -1) {
			fprintf(stderr, "face-cli: %s\n", err);
			return 1;
		}
		t0 = now();
		c0 = cpu_now();
		for (k = 0; k < frames; k++)
			n += face_detect(ctx, &fr, d, FACE_MAX_DETS, err, sizeof err) >= 1 &&
			    face_describe_det(ctx, &fr, &d[0], desc, err, sizeof err) == 0;
		t1 = now();
		c1 = cpu_now();
		/* CPU time: the figure for one core whatever else the machine runs */
		printf("%s %dx%d %d frames: %.2f ms CPU/frame = %.1f fps on one core (wall %.1f fps; "
		    "%d described)\n", face_descriptor_name(face_descriptor_of(ctx)), w, h, frames,
		    (c1 - c0) * 1000 / frames, frames / (c1 - c0), frames / (t1 - t0), n);
		free(desc);
		cv_image_free(&im);
		cv_image_free(&fr);
	} else if (strcmp(argv[i], "fps") == 0 && i + 4 < argc) {
		struct cv_image im, fr;
		int w = atoi(argv[i + 1]), h = atoi(argv[i + 2]), frames = atoi(argv[i + 3]), k, n = 0;
		double t0, t1;

		if (cv_face_read_image(argv[i + 4], &im, err, sizeof err) == -1 ||
		    frame_of(&im, w, h, &fr) == -1) {
			fprintf(stderr, "face-cli: %s\n", err);
			return 1;
		}
		face_detect(ctx, &fr, d, FACE_MAX_DETS, err, sizeof err);   /* warm-up */
		t0 = now();
		for (k = 0; k < frames; k++)
			n += face_detect(ctx, &fr, d, FACE_MAX_DETS, err, sizeof err) == 1;
		t1 = now();
		printf("%dx%d %d frames %.1f fps %.2f ms/frame (%d with one face)\n", w, h, frames,
		    frames / (t1 - t0), (t1 - t0) * 1000 / frames, n);
		cv_image_free(&im);
		cv_image_free(&fr);
	} else if (strcmp(argv[i], "crop") == 0 && i + 2 < argc) {
		static uint8_t rgb[FACE_EMBED_SIZE * FACE_EMBED_SIZE * 3];
		struct cv_image im;
		FILE *f;

		if (cv_face_read_image(argv[i + 1], &im, err, sizeof err) == -1 ||
		    face_detect(ctx, &im, d, FACE_MAX_DETS, err, sizeof err) < 1 ||
		    face_align_embed(&im, &d[0], rgb, err, sizeof err) == -1) {
			fprintf(stderr, "face-cli: %s: %s\n", argv[i + 1], err);
			return 1;
		}
		if ((f = fopen(argv[i + 2], "wb")) == NULL) {
			perror(argv[i + 2]);
			return 1;
		}
		fprintf(f, "P6\n%d %d\n255\n", FACE_EMBED_SIZE, FACE_EMBED_SIZE);
		fwrite(rgb, 1, sizeof rgb, f);
		fclose(f);
		cv_image_free(&im);
	} else if (strcmp(argv[i], "lmcrop") == 0 && i + 2 < argc) {
		static uint8_t rgb[FACE_LM_SIZE * FACE_LM_SIZE * 3];
		struct cv_image im;
		double m[6];
		FILE *f;

		if (read_padded(argv[i + 1], pad, &im, err, sizeof err) == -1 ||
		    face_detect(ctx, &im, d, FACE_MAX_DETS, err, sizeof err) < 1 ||
		    face_align_landmarks(&im, &d[0], rgb, m, err, sizeof err) == -1) {
			fprintf(stderr, "face-cli: %s: %s\n", argv[i + 1], err);
			return 1;
		}
		if ((f = fopen(argv[i + 2], "wb")) == NULL) {
			perror(argv[i + 2]);
			return 1;
		}
		fprintf(f, "P6\n%d %d\n255\n", FACE_LM_SIZE, FACE_LM_SIZE);
		fwrite(rgb, 1, sizeof rgb, f);
		fclose(f);
		cv_image_free(&im);
	} else if (strcmp(argv[i], "ear") == 0) {
		for (i++; i < argc; i++) {
			float pts[FACE_LM_POINTS][2];
			struct cv_image im;
			double er = -1, el = -1;

			if (read_padded(argv[i], pad, &im, err, sizeof err) == -1 ||
			    face_detect(ctx, &im, d, FACE_MAX_DETS, err, sizeof err) < 1) {
				printf("%s -1 -1 -1\n", argv[i]);
				rc = 1;
				if (im.data)
					cv_image_free(&im);
				continue;
			}
			if (face_landmarks_det(ctx, &im, &d[0], pts, err, sizeof err) == 0) {
				er = face_landmarks_ear(pts, 0);
				el = face_landmarks_ear(pts, 1);
			}
			printf("%s %.4f %.4f %d\n", argv[i], er, el, face_eyes_open(ctx, &im, &d[0], NULL));
			cv_image_free(&im);
		}
	} else if (strcmp(argv[i], "eyesfps") == 0 && i + 3 < argc) {
		struct cv_image im, big = { 0 };
		int frames = atoi(argv[i + 1]), px = atoi(argv[i + 2]), k, open = 0;
		double c0, c1, s;

		if (read_padded(argv[i + 3], pad, &im, err, sizeof err) == -1 ||
		    face_detect(ctx, &im, d, FACE_MAX_DETS, err, sizeof err) < 1) {
			fprintf(stderr, "face-cli: %s: no face\n", argv[i + 3]);
			return 1;
		}
		s = px / d[0].box.w;
		if (cv_image_resize(&im, (int)(im.w * s), (int)(im.h * s), &big, err, sizeof err) != 0 ||
		    face_detect(ctx, &big, d, FACE_MAX_DETS, err, sizeof err) < 1) {
			fprintf(stderr, "face-cli: %s: no face at %d px\n", argv[i + 3], px);
			return 1;
		}
		face_eyes_open(ctx, &big, &d[0], NULL);     /* warm-up */
		c0 = cpu_now();
		for (k = 0; k < frames; k++)
			open += face_eyes_open(ctx, &big, &d[0], NULL) == 1;
		c1 = cpu_now();
		printf("%s, face %.0f px: %.2f ms CPU per check (%d of %d open)\n",
		    face_eyes_method(ctx) == 1 ? "landmarks" : "eye cascade", d[0].box.w,
		    (c1 - c0) * 1000 / frames, open, frames);
		cv_image_free(&im);
		cv_image_free(&big);
	} else {
		fprintf(stderr, "face-cli: unknown command %s\n", argv[i]);
		rc = 2;
	}
	face_close(ctx);
	return rc;
}
