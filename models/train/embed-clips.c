/*
 * embed-clips — the training pipeline's feature step: runs models/embed.c,
 * the daemon's own forward pass, over every clip of a set made by
 * models/train/synth.py, so the heads learn from exactly what the daemon
 * computes.
 *
 *   embed-clips [--models DIR] [--pad SECONDS] [--cut SECONDS] [-j N] SET.raw SET.tsv OUT.emb
 *
 * Each clip gets a fresh stream, after `pad` seconds (default 1) of quiet
 * noise so that the first embeddings of the clip have a whole context
 * window.  --cut S stops a clip S seconds after its mark (the TSV's fourth
 * column, when it is not negative): the wake head reads nothing later, and
 * it halves the cost of the wake set.  OUT.emb (little-endian):
 *   "SOEMB001"  u32 clips  u32 dim (96)
 *   per clip:   u32 row (0-based, the TSV's data lines)  u32 n
 *               f32 t[n]    seconds from the clip's start at which each
 *                           embedding was ready (negative inside the pad)
 *               f32 e[n][dim]
 * Progress goes to stderr.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "models/embed.h"

struct clip {
	uint64_t off, n;
	double mark;
	uint32_t nemb;
	float *t, *e;
};

struct job {
	const struct embed_model *m;
	struct clip *clips;
	size_t nclips;
	const int16_t *raw;
	size_t nraw;
	double pad, cut;
	int id, jobs;
	size_t *done;
	pthread_mutex_t *lock;
};

struct collect {
	struct clip *c;
	size_t cap;
	uint64_t pad;
};

static void
on_emb(void *ud, uint64_t j, const float *e, uint64_t at)
{
	struct collect *k = ud;
	struct clip *c = k->c;

	(void)j;
	if (c->nemb == k->cap) {
		k->cap = k->cap ? k->cap * 2 : 64;
		c->t = realloc(c->t, k->cap * sizeof *c->t);
		c->e = realloc(c->e, k->cap * EMBED_DIM * sizeof *c->e);
		if (c->t == NULL || c->e == NULL) {
			fprintf(stderr, "embed-clips: out of memory\n");
			exit(1);
		}
	}
	c->t[c->nemb] = (float)(((double)at - (double)k->pad) / 16000.0);
	memcpy(c->e + (size_t)c->nemb * EMBED_DIM, e, EMBED_DIM * sizeof *e);
	c->nemb++;
}

static void *
worker(void *arg)
{
	struct job *jb = arg;
	uint64_t padn = (uint64_t)(jb->pad * 16000.0);
	int16_t *pad = calloc(padn ? padn : 1, sizeof *pad);

	if (pad == NULL) {
		fprintf(stderr, "embed-clips: out of memory\n");
		exit(1);
	}
	embed_quiet_noise(pad, padn);
	for (size_t i = (size_t)jb->id; i < jb->nclips; i += (size_t)jb->jobs) {
		struct clip *c = &jb->clips[i];
		struct collect k = { c, 0, padn };
		struct embed_stream *s = embed_stream_new(jb->m, on_emb, &k);
		if (s == NULL) {
			fprintf(stderr, "embed-clips: out of memory\n");
			exit(1);
		}
		embed_feed(s, pad, padn);
		uint64_t n = c->n;
		if (jb->cut >= 0 && c->mark >= 0) {
			uint64_t until = (uint64_t)((c->mark + jb->cut) * 16000.0);
			if (until < n)
				n = until;
		}
		embed_feed(s, jb->raw + c->off, n);
		embed_stream_free(s);
		pthread_mutex_lock(jb->lock);
		(*jb->done)++;
		pthread_mutex_unlock(jb->lock);
	}
	free(pad);
	return NULL;
}

static void
usage(void)
{
	fprintf(stderr, "usage: embed-clips [--models DIR] [--pad SECONDS] [-j N] SET.raw SET.tsv OUT.emb\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *dir = "models/oww", *args[3];
	int nargs = 0, jobs = 2;
	double pad = 1.0, cut = -1;
	char err[512], mp[1024], ep[1024], line[8192];

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--models") == 0 && i + 1 < argc) dir = argv[++i];
		else if (strcmp(argv[i], "--pad") == 0 && i + 1 < argc) pad = atof(argv[++i]);
		else if (strcmp(argv[i], "--cut") == 0 && i + 1 < argc) cut = atof(argv[++i]);
		else if (strcmp(argv[i], "-j") == 0 && i + 1 < argc) jobs = atoi(argv[++i]);
		else if (argv[i][0] == '-' || nargs == 3) usage();
		else args[nargs++] = argv[i];
	}
	if (nargs != 3 || jobs < 1 || jobs > 64 || pad < 0 || pad > 30 || cut > 600)
		usage();
	snprintf(mp, sizeof mp, "%s/melspectrogram.onnx", dir);
	snprintf(ep, sizeof ep, "%s/embedding_model.onnx", dir);
	struct embed_model *m = embed_model_load(mp, ep, err, sizeof err);
	if (m == NULL) {
		fprintf(stderr, "embed-clips: %s\n", err);
		return 1;
	}

	/* the audio */
	FILE *f = fopen(args[0], "rb");
	struct stat st;
	if (f == NULL || fstat(fileno(f), &st) < 0) {
		fprintf(stderr, "embed-clips: %s: %s\n", args[0], strerror(errno));
		return 1;
	}
	size_t nraw = (size_t)st.st_size / 2;
	int16_t *raw = malloc(nraw ? nraw * 2 : 2);
	if (raw == NULL || fread(raw, 2, nraw, f) != nraw) {
		fprintf(stderr, "embed-clips: %s: cannot read\n", args[0]);
		return 1;
	}
	fclose(f);

	/* the index: offset and length are its first two columns */
	struct clip *clips = NULL;
	size_t nclips = 0, cap = 0;
	int lineno = 0;
	if ((f = fopen(args[1], "r")) == NULL) {
		fprintf(stderr, "embed-clips: %s: %s\n", args[1], strerror(errno));
		return 1;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		unsigned long long off, n;
		char label[128];
		double mark;
		if (++lineno == 1)
			continue;              /* header */
		if (sscanf(line, "%llu\t%llu\t%127[^\t]\t%lf", &off, &n, label, &mark) != 4 || off + n > nraw) {
			fprintf(stderr, "embed-clips: %s:%d: offset, length, label and mark expected, inside %s\n",
			    args[1], lineno, args[0]);
			return 1;
		}
		if (nclips == cap) {
			cap = cap ? cap * 2 : 1024;
			clips = realloc(clips, cap * sizeof *clips);
		}
		clips[nclips++] = (struct clip){ off, n, mark, 0, NULL, NULL };
	}
	fclose(f);

	pthread_t th[64];
	struct job jb[64];
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	size_t done = 0;
	time_t t0 = time(NULL), last = t0;
	for (int i = 0; i < jobs; i++) {
		jb[i] = (struct job){ m, clips, nclips, raw, nraw, pad, cut, i, jobs, &done, &lock };
		pthread_create(&th[i], NULL, worker, &jb[i]);
	}
	for (;;) {
		struct timespec ts = { 0, 200000000 };
		nanosleep(&ts, NULL);
		pthread_mutex_lock(&lock);
		size_t d = done;
		pthread_mutex_unlock(&lock);
		if (d == nclips)
			break;
		if (time(NULL) - last >= 10) {
			last = time(NULL);
			fprintf(stderr, "embed-clips: %s: %zu/%zu clips, %lds\n", args[1], d, nclips, (long)(last - t0));
		}
	}
	for (int i = 0; i < jobs; i++)
		pthread_join(th[i], NULL);

	if ((f = fopen(args[2], "wb")) == NULL) {
		fprintf(stderr, "embed-clips: %s: %s\n", args[2], strerror(errno));
		return 1;
	}
	uint32_t hdr[2] = { (uint32_t)nclips, EMBED_DIM };
	fwrite("SOEMB001", 1, 8, f);
	fwrite(hdr, sizeof hdr, 1, f);
	size_t total = 0;
	for (size_t i = 0; i < nclips; i++) {
		uint32_t h2[2] = { (uint32_t)i, clips[i].nemb };
		fwrite(h2, sizeof h2, 1, f);
		fwrite(clips[i].t, sizeof(float), clips[i].nemb, f);
		fwrite(clips[i].e, sizeof(float), (size_t)clips[i].nemb * EMBED_DIM, f);
		total += clips[i].nemb;
		free(clips[i].t);
		free(clips[i].e);
	}
	if (fclose(f) != 0) {
		fprintf(stderr, "embed-clips: %s: %s\n", args[2], strerror(errno));
		return 1;
	}
	fprintf(stderr, "embed-clips: %s: %zu clips, %zu embeddings, %lds\n", args[1], nclips, total,
	    (long)(time(NULL) - t0));
	free(clips);
	free(raw);
	embed_model_free(m);
	return 0;
}
