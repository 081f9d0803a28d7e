/*
 * shelf_clip.h — running the shelf model (models/shelf.c) on the clips of
 * tests/tools/shelf-clips and scoring it against their truth.  Shared, as
 * static functions, by shelf-clips (--eval, --eval-dir; tests/bench/shelf)
 * and tests/unit/test_shelf.c, so the unit test and the bench measure the
 * same way.  Include after the system headers.
 *
 * Scoring: a truth take (return) is found when the model says taken
 * (returned) for the same marker no earlier than 0.5 s before and no later
 * than SHELF_FIND_S after it; its latency is the difference.  A model event
 * that matches no truth event is false.
 */
#ifndef SO_TESTS_VISION_SHELF_CLIP_H
#define SO_TESTS_VISION_SHELF_CLIP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "devices/camera.h"
#include "models/shelf.h"

#define SHELF_FIND_S   3.0       /* later than this is not the same event */
#define SHELF_MAX_EV   256

struct shelf_truth {
	double t;
	char   kind[16];             /* door-open, door-closed, taken, returned */
	int    id;
};

struct shelf_runner {
	struct shelf *m;
	const struct shelf_truth *truth;
	int    ntruth, next_door;
	struct shelf_event ev[SHELF_MAX_EV];
	int    nev;
	unsigned long frames, over5;
	double cpu_ms, cpu_max;
	double seconds;
};

struct shelf_score {
	int    takes, takes_found, takes_1s;
	int    returns, returns_found, returns_1s;
	int    false_takes, false_returns;
	double lat_max, lat_sum;
	int    lat_n;
};

static double
shelf_cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
shelf_runner_init(struct shelf_runner *r, enum shelf_scan scan, const struct shelf_truth *truth,
    int ntruth, char *err, size_t errlen)
{
	struct shelf_config cfg = shelf_default_config();
	static unsigned char known[SHELF_NIDS];

	memset(r, 0, sizeof *r);
	/* The catalogue's books are markers 0..15 (models/catalogue.json). */
	for (int i = 0; i < SHELF_NIDS; i++)
		known[i] = i < 16;
	cfg.known = known;
	cfg.scan = scan;
	if ((r->m = shelf_new(&cfg, err, errlen)) == NULL)
		return -1;
	/* The clips start with the door closed. */
	shelf_set_door(r->m, 0, 0);
	r->truth = truth;
	r->ntruth = ntruth;
	return 0;
}

static int
shelf_runner_frame(struct shelf_runner *r, const struct cv_image *im, double t, char *err,
    size_t errlen)
{
	struct shelf_event ev[8];
	double c0;
	int n;

	for (; r->next_door < r->ntruth && r->truth[r->next_door].t <= t; r->next_door++)
		if (!strncmp(r->truth[r->next_door].kind, "door-", 5))
			shelf_set_door(r->m, r->truth[r->next_door].t,
			    !strcmp(r->truth[r->next_door].kind, "door-open"));
	c0 = shelf_cpu_ms();
	n = shelf_frame(r->m, im, t, ev, 8, err, errlen);
	c0 = shelf_cpu_ms() - c0;
	if (n < 0)
		return -1;
	r->frames++;
	r->cpu_ms += c0;
	if (c0 > r->cpu_max)
		r->cpu_max = c0;
	r->over5 += c0 > 5.0;
	r->seconds = t;
	for (int i = 0; i < n && r->nev < SHELF_MAX_EV; i++)
		r->ev[r->nev++] = ev[i];
	return 0;
}

static void
shelf_runner_free(struct shelf_runner *r)
{
	shelf_free(r->m);
	r->m = NULL;
}

static void
shelf_score(const struct shelf_runner *r, const struct shelf_truth *truth, int ntruth,
    struct shelf_score *sc)
{
	int used[SHELF_MAX_EV] = { 0 };

	memset(sc, 0, sizeof *sc);
	for (int i = 0; i < ntruth; i++) {
		int take = !strcmp(truth[i].kind, "taken"), ret = !strcmp(truth[i].kind, "returned");
		if (!take && !ret)
			continue;
		if (take)
			sc->takes++;
		else
			sc->returns++;
		for (int j = 0; j < r->nev; j++) {
			double lat = r->ev[j].t - truth[i].t;
			if (used[j] || r->ev[j].marker != truth[i].id ||
			    r->ev[j].type != (take ? SHELF_TAKEN : SHELF_RETURNED) ||
			    lat < -0.5 || lat > SHELF_FIND_S)
				continue;
			used[j] = 1;
			if (take) {
				sc->takes_found++;
				sc->takes_1s += lat <= 1.0;
			} else {
				sc->returns_found++;
				sc->returns_1s += lat <= 1.0;
			}
			if (lat > sc->lat_max)
				sc->lat_max = lat;
			sc->lat_sum += lat;
			sc->lat_n++;
			break;
		}
	}
	for (int j = 0; j < r->nev; j++)
		if (!used[j]) {
			if (r->ev[j].type == SHELF_TAKEN)
				sc->false_takes++;
			else
				sc->false_returns++;
		}
}

/* One line: clip scenario seconds frames takes found within_1s returns
 * found within_1s false_takes false_returns lat_max lat_sum lat_n cpu_ms
 * cpu_max frames_over_5ms, then the model's events. */
static void
shelf_score_print(FILE *f, const char *name, const char *scenario, const struct shelf_runner *r,
    const struct shelf_score *sc)
{
	fprintf(f, "%s\t%s\t%.2f\t%lu\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%.3f\t%.3f\t%d\t%.1f\t%.2f\t%lu\t",
	    name, scenario, r->seconds, r->frames, sc->takes, sc->takes_found, sc->takes_1s,
	    sc->returns, sc->returns_found, sc->returns_1s, sc->false_takes, sc->false_returns,
	    sc->lat_max, sc->lat_sum, sc->lat_n, r->cpu_ms, r->cpu_max, r->over5);
	for (int j = 0; j < r->nev; j++)
		fprintf(f, "%s%s:%d@%.2f", j ? "," : "", r->ev[j].type == SHELF_TAKEN ? "taken" : "returned",
		    r->ev[j].marker, r->ev[j].t);
	fprintf(f, "\n");
}

/* Reads DIR/truth.tsv; the count, or -1 with err. */
static int
shelf_truth_read(const char *dir, struct shelf_truth *t, int max, char *err, size_t errlen)
{
	char path[1024], line[256];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof path, "%s/truth.tsv", dir);
	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%.200s: cannot open", path);
		return -1;
	}
	while (fgets(line, sizeof line, f) != NULL && n < max) {
		if (line[0] == '#')
			continue;
		if (sscanf(line, "%lf\t%15s\t%d", &t[n].t, t[n].kind, &t[n].id) == 3)
			n++;
	}
	fclose(f);
	return n;
}

/* Runs the model on DIR/video.avi through the camera's file row (as the
 * daemon reads it), the door from DIR/truth.tsv. */
static int
shelf_eval_dir(const char *dir, enum shelf_scan scan, struct shelf_runner *r,
    struct shelf_score *sc, char *err, size_t errlen)
{
	static struct shelf_truth truth[512];
	char spec[1100];
	struct cv_image im = { 0 };
	struct camera *cam;
	double t;
	int nt, rc;

	if ((nt = shelf_truth_read(dir, truth, 512, err, errlen)) < 0)
		return -1;
	snprintf(spec, sizeof spec, "file:%s/video.avi", dir);
	if ((cam = camera_open("shelf", spec, 0, err, errlen)) == NULL)
		return -1;
	if (shelf_runner_init(r, scan, truth, nt, err, errlen) < 0) {
		camera_close(cam);
		return -1;
	}
	while ((rc = camera_read(cam, &im, &t, err, errlen)) > 0)
		if (shelf_runner_frame(r, &im, t, err, errlen) < 0) {
			rc = -1;
			break;
		}
	camera_close(cam);
	cv_image_free(&im);
	if (rc < 0) {
		shelf_runner_free(r);
		return -1;
	}
	shelf_score(r, truth, nt, sc);
	return 0;
}

#endif
