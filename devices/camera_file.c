/*
 * The replay rows of the camera table: a video file ("file:PATH") and a
 * folder of images ("images:DIR[@FPS]"), see camera.h.
 *
 * Both decode their first frame at open, so a file or folder with nothing
 * decodable is refused there, with the reason, instead of ending at once.
 */
#include "devices/camera.h"
#include "devices/cv_video.h"
#include "base/log.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- file:PATH ---- */

#define CAMERA_FILE_DEFAULT_FPS 25.0

struct file_cam {
	struct cv_video *v;
	uint64_t         index;      /* frames read so far */
};

static int
file_open(struct camera *c, const char *path, char *err, size_t errlen)
{
	struct file_cam *fc = calloc(1, sizeof *fc);

	if (fc == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((fc->v = cv_video_open_file(path, err, errlen)) == NULL) {
		free(fc);
		return -1;
	}
	c->fps = cv_video_fps(fc->v);
	if (c->fps <= 0) {
		log_warnx("%s: the video does not say its frame rate; taking %.0f fps",
		    path, CAMERA_FILE_DEFAULT_FPS);
		c->fps = CAMERA_FILE_DEFAULT_FPS;
	}
	c->nframes = cv_video_frame_count(fc->v);
	cv_video_size(fc->v, &c->w, &c->h);
	c->priv = fc;
	return 0;
}

static int
file_read(struct camera *c, struct cv_image *im, double *t, char *err, size_t errlen)
{
	struct file_cam *fc = c->priv;
	int r = cv_video_read(fc->v, im, err, errlen);

	if (r <= 0)
		return r;
	*t = (double)fc->index++ / c->fps;
	return 1;
}

static void
file_close(struct camera *c)
{
	struct file_cam *fc = c->priv;

	if (fc == NULL)
		return;
	cv_video_close(fc->v);
	free(fc);
}

const struct camera_ops camera_file_ops = { "file", file_open, file_read, file_close };

/* ---- images:DIR[@FPS] ---- */

struct img_frame {
	char   *name;
	double  t;
};

struct images_cam {
	char             dir[1024];
	struct img_frame *f;
	size_t           n, cap, next;   /* next: the next entry to decode */
	struct cv_image  first;          /* decoded at open, handed out first */
	size_t           first_at;
	int              has_first;
};

static const char *const image_exts[] = {
	".jpg", ".jpeg", ".png", ".bmp", ".pgm", ".ppm", ".pnm", ".pbm",
	".tif", ".tiff", ".webp", ".jp2",
};

static int
is_image_name(const char *name)
{
	const char *dot = strrchr(name, '.');

	if (name[0] == '.' || dot == NULL)
		return 0;
	for (size_t i = 0; i < sizeof image_exts / sizeof image_exts[0]; i++)
		if (strcasecmp(dot, image_exts[i]) == 0)
			return 1;
	return 0;
}

static int
add_frame(struct images_cam *ic, const char *name, double t)
{
	if (ic->n == ic->cap) {
		size_t cap = ic->cap ? ic->cap * 2 : 64;
		struct img_frame *f = realloc(ic->f, cap * sizeof *f);
		if (f == NULL)
			return -1;
		ic->f = f;
		ic->cap = cap;
	}
	if ((ic->f[ic->n].name = strdup(name)) == NULL)
		return -1;
	ic->f[ic->n++].t = t;
	return 0;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct img_frame *)a)->name, ((const struct img_frame *)b)->name);
}

#define CAMERA_TSV_MAX_T 1e9

/* Reads DIR/frames.tsv: "NAME<TAB>T" per line, times never going back. */
static int
read_tsv(struct images_cam *ic, FILE *f, const char *path, char *err, size_t errlen)
{
	char line[1200];
	int lineno = 0;

	while (fgets(line, sizeof line, f) != NULL) {
		char *tab, *end;
		double t;
		size_t len = strlen(line);

		lineno++;
		if (len > 0 && line[len - 1] != '\n' && !feof(f)) {
			snprintf(err, errlen, "%s:%d: line too long", path, lineno);
			return -1;
		}
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		if ((tab = strchr(line, '\t')) == NULL || tab == line) {
			snprintf(err, errlen, "%s:%d: expected NAME<TAB>SECONDS, got \"%s\"",
			    path, lineno, line);
			return -1;
		}
		*tab = '\0';
		errno = 0;
		t = strtod(tab + 1, &end);
		/* At most ~31 years: a time the real-time pacing can still
		 * count in nanoseconds (camera.c, sleep_until). */
		if (end == tab + 1 || *end != '\0' || errno != 0 || !isfinite(t) || t < 0 ||
		    t > CAMERA_TSV_MAX_T) {
			snprintf(err, errlen, "%s:%d: \"%s\" is not a time in seconds (0 to 1e9)",
			    path, lineno, tab + 1);
			return -1;
		}
		if (ic->n > 0 && t < ic->f[ic->n - 1].t) {
			snprintf(err, errlen, "%s:%d: time %g goes back (previous %g)",
			    path, lineno, t, ic->f[ic->n - 1].t);
			return -1;
		}
		if (add_frame(ic, line, t) < 0) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (ic->n == 0) {
		snprintf(err, errlen, "%s: no frames listed", path);
		return -1;
	}
	return 0;
}

static int
list_dir(struct images_cam *ic, double fps, char *err, size_t errlen)
{
	DIR *d = opendir(ic->dir);
	struct dirent *e;

	if (d == NULL) {
		snprintf(err, errlen, "%s: %s", ic->dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (!is_image_name(e->d_name))
			continue;
		if (add_frame(ic, e->d_name, 0) < 0) {
			closedir(d);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	closedir(d);
	if (ic->n == 0) {
		snprintf(err, errlen, "%s: no image files in the folder (.jpg, .png, .bmp, .pgm, ...)",
		    ic->dir);
		return -1;
	}
	qsort(ic->f, ic->n, sizeof *ic->f, by_name);
	for (size_t i = 0; i < ic->n; i++)
		ic->f[i].t = (double)i / fps;
	return 0;
}

/* Decodes entries from ic->next on until one decodes: 1, or 0 when none is left. */
static int
decode_next(struct camera *c, struct images_cam *ic, struct cv_image *im, size_t *at)
{
	char path[2300], err[2400];

	while (ic->next < ic->n) {
		size_t i = ic->next++;
		snprintf(path, sizeof path, "%s/%s", ic->dir, ic->f[i].name);
		if (cv_image_load(path, 3, im, err, sizeof err) == 0) {
			*at = i;
			return 1;
		}
		c->skipped++;
		log_warnx("camera %s: skipped: %s", c->role[0] ? c->role : "?", err);
	}
	return 0;
}

static void
images_free(struct images_cam *ic)
{
	for (size_t i = 0; i < ic->n; i++)
		free(ic->f[i].name);
	free(ic->f);
	cv_image_free(&ic->first);
	free(ic);
}

static int
images_open(struct camera *c, const char *arg, char *err, size_t errlen)
{
	struct images_cam *ic = calloc(1, sizeof *ic);
	const char *at = strrchr(arg, '@');
	double fps = CAMERA_IMAGES_FPS;
	char tsv[1100];
	FILE *f;
	size_t dirlen = strlen(arg);

	if (ic == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (at != NULL) {
		char *end;
		double v;
		errno = 0;
		v = strtod(at + 1, &end);
		if (end != at + 1 && *end == '\0') {
			if (errno != 0 || !isfinite(v) || v <= 0 || v > 1000) {
				snprintf(err, errlen, "camera \"images:%s\": frame rate \"%s\" is not in 0..1000",
				    arg, at + 1);
				free(ic);
				return -1;
			}
			fps = v;
			dirlen = (size_t)(at - arg);
		}
	}
	if (dirlen == 0 || dirlen >= sizeof ic->dir) {
		snprintf(err, errlen, "camera \"images:%s\": bad folder name", arg);
		free(ic);
		return -1;
	}
	memcpy(ic->dir, arg, dirlen);
	ic->dir[dirlen] = '\0';

	snprintf(tsv, sizeof tsv, "%s/frames.tsv", ic->dir);
	if ((f = fopen(tsv, "r")) != NULL) {
		int r = read_tsv(ic, f, tsv, err, errlen);
		fclose(f);
		if (r < 0) {
			images_free(ic);
			return -1;
		}
		/* The list's own rate, when it has one that makes sense: times a
		 * denormal apart would make it infinite (fuzz_frames). */
		c->fps = fps;
		if (ic->n > 1 && ic->f[ic->n - 1].t > ic->f[0].t) {
			double r = (double)(ic->n - 1) / (ic->f[ic->n - 1].t - ic->f[0].t);
			if (isfinite(r) && r <= 1000)
				c->fps = r;
		}
	} else if (errno != ENOENT) {
		snprintf(err, errlen, "%s: %s", tsv, strerror(errno));
		images_free(ic);
		return -1;
	} else {
		if (list_dir(ic, fps, err, errlen) < 0) {
			images_free(ic);
			return -1;
		}
		c->fps = fps;
	}
	c->priv = ic;
	if (!decode_next(c, ic, &ic->first, &ic->first_at)) {
		snprintf(err, errlen, "%s: none of the %zu image file(s) could be decoded",
		    ic->dir, ic->n);
		images_free(ic);
		c->priv = NULL;
		return -1;
	}
	ic->has_first = 1;
	c->nframes = (long)ic->n;
	c->w = ic->first.w;
	c->h = ic->first.h;
	return 0;
}

static int
images_read(struct camera *c, struct cv_image *im, double *t, char *err, size_t errlen)
{
	struct images_cam *ic = c->priv;
	size_t at;

	if (ic->has_first) {
		/* Hand over the decoded buffer; the caller's old one is freed. */
		struct cv_image old = *im;
		*im = ic->first;
		ic->first = old;
		cv_image_free(&ic->first);
		ic->has_first = 0;
		*t = ic->f[ic->first_at].t;
		return 1;
	}
	if (!decode_next(c, ic, im, &at))
		return 0;
	*t = ic->f[at].t;
	return 1;
}

static void
images_close(struct camera *c)
{
	if (c->priv != NULL)
		images_free(c->priv);
}

const struct camera_ops camera_images_ops = { "images", images_open, images_read, images_close };
