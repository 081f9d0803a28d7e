/*
 * face-bench — face verification figures on ORL under made-up light and
 * pose (tests/bench/face).
 *
 *   face-bench [--descriptor embedding|lbp] [--model BLAZEFACE]
 *              [--embed-model MANIFEST] [--threshold X] [--threads N]
 *              [--write DIR] [--people FIRST-LAST] ORL_DIR CONDITION...
 *
 * Each of the 40 people is enrolled (face_enroll, the real store) from
 * their images 1-5 as they are; their images 6-10 are the probes, changed
 * by CONDITION, and each probe is compared with all 40 people: 200 genuine
 * and 7,800 impostor comparisons per condition.  A probe with no face
 * found is a false reject (and never a false accept).  Conditions:
 *   none     the images as they are
 *   side     light from one side: gain 0.15 at one edge to 1.3 at the
 *            other (left for odd probes, right for even ones)
 *   low      low light: ×0.2, Gaussian noise σ 2 grey levels
 *   gamma    gamma 2.2 (dark mid-tones)
 *   shadow   one half of the face ×0.3 (soft 8-pixel edge)
 *   tilt     in-plane rotation ±15°
 *   turn     a perspective squeeze of one side by 25 % (a yaw-like turn)
 *   small    the face at half its size (46×56), upscaled back
 * Prints per condition one line:
 *   COND  FAR@thr  FRR@thr  thr@FRR1 FAR@FRR1  thr@FRR5 FAR@FRR5  nofaces
 * (rates in %; thr is the configured or the descriptor's threshold), and
 * the mean time per probe (detect + align + describe) on one core.
 * --write DIR keeps the changed probes there as PGM files (DIR/COND/sN_K.pgm).
 * --people FIRST-LAST uses only those people (e.g. to choose a threshold on
 * one half and measure it on the other).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "models/face.h"

#define MAX_PEOPLE 40
static int PEOPLE = 40, FIRST = 1;      /* --people FIRST-LAST */

/* process CPU time: "one core" whatever else the machine runs (one thread) */
static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static unsigned long long rng = 88172645463325252ULL;

static double
gauss(void)
{
	double u, v;

	rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
	u = ((rng >> 11) + 0.5) / 9007199254740992.0;
	rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
	v = ((rng >> 11) + 0.5) / 9007199254740992.0;
	return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

static uint8_t
clamp(double v)
{
	return v < 0 ? 0 : v > 255 ? 255 : (uint8_t)lround(v);
}

/* bilinear grey sample of channel 0, edges replicated */
static double
sample(const struct cv_image *im, double x, double y)
{
	int x0, y0, x1, y1;
	double fx, fy;

	if (x < 0) x = 0;
	if (y < 0) y = 0;
	if (x > im->w - 1) x = im->w - 1;
	if (y > im->h - 1) y = im->h - 1;
	x0 = (int)x; y0 = (int)y;
	x1 = x0 + 1 < im->w ? x0 + 1 : x0;
	y1 = y0 + 1 < im->h ? y0 + 1 : y0;
	fx = x - x0; fy = y - y0;
#define P(X, Y) im->data[(size_t)(Y) * im->stride + (size_t)(X) * im->channels]
	return (1 - fy) * ((1 - fx) * P(x0, y0) + fx * P(x1, y0)) +
	    fy * ((1 - fx) * P(x0, y1) + fx * P(x1, y1));
#undef P
}

/* out = condition applied to in (grey content, 3 channels out). */
static int
apply(const char *cond, int k, const struct cv_image *in, struct cv_image *out)
{
	int x, y, w = in->w, h = in->h, flip = k % 2;

	if (cv_image_alloc(out, w, h, 3) == -1)
		return -1;
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++) {
			double v = in->data[(size_t)y * in->stride + (size_t)x * in->channels];
			double fx = flip ? (double)(w - 1 - x) / (w - 1) : (double)x / (w - 1);

			if (strcmp(cond, "side") == 0)
				v *= 0.15 + 1.15 * fx;
			else if (strcmp(cond, "low") == 0)
				v = v * 0.2 + 2 * gauss();
			else if (strcmp(cond, "gamma") == 0)
				v = 255 * pow(v / 255, 2.2);
			else if (strcmp(cond, "shadow") == 0) {
				double e = (fx - 0.5) * w / 8;       /* soft edge, 8 px */
				double s = e < -0.5 ? 0 : e > 0.5 ? 1 : e + 0.5;
				v *= 0.3 + 0.7 * s;
			} else if (strcmp(cond, "tilt") == 0) {
				double a = (flip ? -15 : 15) * M_PI / 180, cx = w / 2.0, cy = h / 2.0;
				double sx = cx + (x - cx) * cos(a) - (y - cy) * sin(a);
				double sy = cy + (x - cx) * sin(a) + (y - cy) * cos(a);
				v = sample(in, sx, sy);
			} else if (strcmp(cond, "turn") == 0) {
				/* columns squeezed towards one side: the near side wide,
				 * the far side narrow; rows scaled with depth a little */
				double t = (double)x / (w - 1), cy = h / 2.0;
				double sx = flip ? t - 0.25 * t * (1 - t) : t + 0.25 * t * (1 - t);
				v = sample(in, sx * (w - 1), cy + (y - cy) * (1 + 0.08 * (fx - 0.5)));
			} else if (strcmp(cond, "small") == 0) {
				/* down to half size and back up: detail lost */
				double sx = ((int)(x / 2) * 2 + 0.5), sy = ((int)(y / 2) * 2 + 0.5);
				v = 0.25 * (sample(in, sx - 0.5, sy - 0.5) + sample(in, sx + 0.5, sy - 0.5) +
				    sample(in, sx - 0.5, sy + 0.5) + sample(in, sx + 0.5, sy + 0.5));
			} else if (strcmp(cond, "none") != 0) {
				cv_image_free(out);
				return -2;
			}
			out->data[(size_t)y * out->stride + (size_t)x * 3] = clamp(v);
			out->data[(size_t)y * out->stride + (size_t)x * 3 + 1] = clamp(v);
			out->data[(size_t)y * out->stride + (size_t)x * 3 + 2] = clamp(v);
		}
	return 0;
}

struct score { double d; int genuine; };

static int
by_d(const void *a, const void *b)
{
	double x = ((const struct score *)a)->d, y = ((const struct score *)b)->d;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	struct face_config fc = { 0 };
	struct face_ctx *ctx;
	struct face_person *people[MAX_PEOPLE];
	char err[512], state[] = "/tmp/so-face-bench.XXXXXX", path[2048];
	const char *orl, *write_dir = NULL;
	int i = 1, s, k, c, ret = 0;
	double t_sum = 0;
	int t_n = 0;

	log_init(0);
	fc.model = FACE_DEFAULT_MODEL;
	fc.threads = 1;
	for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		if (strcmp(argv[i], "--descriptor") == 0) {
			if ((fc.descriptor = face_descriptor_parse(argv[i + 1])) < 0) {
				fprintf(stderr, "face-bench: --descriptor embedding|lbp\n");
				return 2;
			}
		} else if (strcmp(argv[i], "--model") == 0)
			fc.model = argv[i + 1];
		else if (strcmp(argv[i], "--embed-model") == 0)
			fc.embed_model = argv[i + 1];
		else if (strcmp(argv[i], "--threshold") == 0)
			fc.threshold = atof(argv[i + 1]);
		else if (strcmp(argv[i], "--threads") == 0)
			fc.threads = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--write") == 0)
			write_dir = argv[i + 1];
		else if (strcmp(argv[i], "--people") == 0) {
			int a, b;
			if (sscanf(argv[i + 1], "%d-%d", &a, &b) != 2 || a < 1 || b > MAX_PEOPLE ||
			    b - a < 1) {
				fprintf(stderr, "face-bench: --people FIRST-LAST within 1-40\n");
				return 2;
			}
			FIRST = a;
			PEOPLE = b - a + 1;
		}
		else {
			fprintf(stderr, "face-bench: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	if (i + 1 >= argc) {
		fprintf(stderr, "usage: face-bench [options] ORL_DIR CONDITION...\n");
		return 2;
	}
	orl = argv[i++];
	if ((ctx = face_open(&fc, err, sizeof err)) == NULL) {
		fprintf(stderr, "face-bench: %s\n", err);
		return 1;
	}
	if (mkdtemp(state) == NULL) {
		perror("face-bench: mkdtemp");
		return 1;
	}
	/* enroll everyone from images 1-5 as they are */
	for (s = 0; s < PEOPLE; s++) {
		struct cv_image ims[5];
		char name[16];
		int missing;

		for (k = 0; k < 5; k++) {
			snprintf(path, sizeof path, "%s/s%d/%d.pgm", orl, s + FIRST, k + 1);
			if (cv_face_read_image(path, &ims[k], err, sizeof err) == -1) {
				fprintf(stderr, "face-bench: %s\n", err);
				return 1;
			}
		}
		snprintf(name, sizeof name, "s%d", s + FIRST);
		if (face_enroll(ctx, state, name, ims, 5, err, sizeof err) == -1) {
			fprintf(stderr, "face-bench: enroll %s: %s\n", name, err);
			return 1;
		}
		for (k = 0; k < 5; k++)
			cv_image_free(&ims[k]);
		if ((people[s] = face_person_load(state, name, &missing, err, sizeof err)) == NULL) {
			fprintf(stderr, "face-bench: %s\n", err);
			return 1;
		}
	}
	printf("descriptor %s, threshold %.1f; %d people (s%d-s%d) enrolled from images 1-5, probes "
	    "6-10 changed by the condition: %d genuine, %d impostor comparisons each\n",
	    face_descriptor_name(face_descriptor_of(ctx)), face_threshold(ctx), PEOPLE, FIRST,
	    FIRST + PEOPLE - 1, 5 * PEOPLE, 5 * PEOPLE * (PEOPLE - 1));
	printf("  %-8s %8s %7s   %6s %8s   %6s %8s   %s\n", "cond", "FAR%", "FRR%", "thr@1",
	    "FAR%@1", "thr@5", "FAR%@5", "no face");
	for (c = i; c < argc; c++) {
		const char *cond = argv[c];
		struct score *sc = calloc(PEOPLE * PEOPLE * 5, sizeof *sc);
		float *desc = malloc((size_t)face_desc_dim(ctx) * sizeof *desc);
		int n = 0, nofaces = 0, fa = 0, fr = 0, ng = 0, ni = 0, j;
		double thr = face_threshold(ctx), at[2] = { 0.01, 0.05 }, th_at[2], far_at[2];

		for (s = 0; s < PEOPLE; s++)
			for (k = 6; k <= 10; k++) {
				struct cv_image im, probe;
				struct face_det d[FACE_MAX_DETS];
				int nd, r;
				double t0;

				snprintf(path, sizeof path, "%s/s%d/%d.pgm", orl, s + FIRST, k);
				if (cv_face_read_image(path, &im, err, sizeof err) == -1) {
					fprintf(stderr, "face-bench: %s\n", err);
					return 1;
				}
				if ((r = apply(cond, k, &im, &probe)) != 0) {
					fprintf(stderr, "face-bench: %s\n", r == -2 ?
					    "unknown condition" : "out of memory");
					return 2;
				}
				if (write_dir) {
					FILE *f;
					snprintf(path, sizeof path, "%s/%s", write_dir, cond);
					mkdir(write_dir, 0755);
					mkdir(path, 0755);
					snprintf(path, sizeof path, "%s/%s/s%d_%d.pgm", write_dir, cond,
					    s + FIRST, k);
					if ((f = fopen(path, "wb")) != NULL) {
						fprintf(f, "P5\n%d %d\n255\n", probe.w, probe.h);
						for (int y = 0; y < probe.h; y++)
							for (int x = 0; x < probe.w; x++)
								fputc(probe.data[(size_t)y * probe.stride +
								    (size_t)x * 3], f);
						fclose(f);
					}
				}
				t0 = now();
				nd = face_detect(ctx, &probe, d, FACE_MAX_DETS, err, sizeof err);
				r = nd > 0 ? face_describe_det(ctx, &probe, &d[0], desc, err, sizeof err) : -1;
				t_sum += now() - t0;
				t_n++;
				for (j = 0; j < PEOPLE; j++) {
					sc[n].genuine = j == s;
					sc[n].d = r == 0 ? face_person_nearest(ctx, people[j], desc) : 1e9;
					n++;
				}
				if (r != 0)
					nofaces++;
				cv_image_free(&im);
				cv_image_free(&probe);
			}
		for (j = 0; j < n; j++) {
			if (sc[j].genuine) {
				ng++;
				fr += !(sc[j].d <= thr);
			} else {
				ni++;
				fa += sc[j].d <= thr;
			}
		}
		/* the smallest threshold whose FRR is at most 1 % / 5 % */
		qsort(sc, (size_t)n, sizeof *sc, by_d);
		for (int q = 0; q < 2; q++) {
			int g = 0, im = 0, need = (int)ceil((1 - at[q]) * ng);
			th_at[q] = -1;
			far_at[q] = 100;
			for (j = 0; j < n; j++) {
				if (sc[j].genuine)
					g++;
				else
					im++;
				if (g >= need && sc[j].d < 1e8) {
					th_at[q] = sc[j].d;
					/* impostors tied at that distance count too */
					while (j + 1 < n && sc[j + 1].d == sc[j].d)
						im += !sc[++j].genuine;
					far_at[q] = 100.0 * im / ni;
					break;
				}
			}
		}
		printf("  %-8s %8.3f %7.2f   %6.1f %8.3f   %6.1f %8.3f   %d/%d\n", cond,
		    100.0 * fa / ni, 100.0 * fr / ng, th_at[0], far_at[0], th_at[1], far_at[1],
		    nofaces, 5 * PEOPLE);
		fflush(stdout);
		free(sc);
		free(desc);
	}
	printf("  CPU time per probe (detect + align + describe), one core: %.1f ms (%.0f per s)\n",
	    t_sum * 1000 / t_n, t_n / t_sum);
	for (s = 0; s < PEOPLE; s++) {
		snprintf(path, sizeof path, "%s/faces/s%d.face", state, s + FIRST);
		unlink(path);
		face_person_free(people[s]);
	}
	snprintf(path, sizeof path, "%s/faces", state);
	rmdir(path);
	rmdir(state);
	face_close(ctx);
	return ret;
}
