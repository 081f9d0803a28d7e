/*
 * embed-wav — prints what models/embed.c computes for a WAV file, in the
 * format of tests/speech/ort-reference.mjs, so the two can be compared:
 *
 *   embed-wav [--models DIR] [--mel] [--chunk N] [--time] FILE.wav
 *
 * One line per embedding "j<TAB>v0 v1 ... v95" (or per mel frame with
 * --mel).  --chunk feeds the audio N samples at a time (default: all at
 * once), for the streaming-equals-batch check.  --time prints, instead,
 * the cost per second of audio on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "devices/wav.h"
#include "models/embed.h"

static int nvec;

static void
print_emb(void *ud, uint64_t j, const float *e, uint64_t at)
{
	(void)ud;
	(void)at;
	nvec++;
	printf("%llu\t", (unsigned long long)j);
	for (int i = 0; i < EMBED_DIM; i++)
		printf(i ? " %.7g" : "%.7g", e[i]);
	putchar('\n');
}

static void
count_emb(void *ud, uint64_t j, const float *e, uint64_t at)
{
	(void)ud; (void)j; (void)e; (void)at;
	nvec++;
}

static void
print_mel(void *ud, uint64_t i, const float *m)
{
	(void)ud;
	printf("%llu\t", (unsigned long long)i);
	for (int b = 0; b < EMBED_MELS; b++)
		printf(b ? " %.7g" : "%.7g", m[b]);
	putchar('\n');
}

int
main(int argc, char **argv)
{
	const char *dir = "models/oww", *file = NULL;
	int mel = 0, timing = 0;
	size_t chunk = 0, n;
	int16_t *pcm;
	char err[512], warn[256], mp[1024], ep[1024];
	struct wav_info info;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--models") == 0 && i + 1 < argc) dir = argv[++i];
		else if (strcmp(argv[i], "--mel") == 0) mel = 1;
		else if (strcmp(argv[i], "--time") == 0) timing = 1;
		else if (strcmp(argv[i], "--chunk") == 0 && i + 1 < argc) chunk = strtoul(argv[++i], NULL, 10);
		else if (argv[i][0] == '-') {
			fprintf(stderr, "usage: embed-wav [--models DIR] [--mel] [--chunk N] [--time] FILE.wav\n");
			return 2;
		} else file = argv[i];
	}
	if (file == NULL) {
		fprintf(stderr, "usage: embed-wav [--models DIR] [--mel] [--chunk N] [--time] FILE.wav\n");
		return 2;
	}
	snprintf(mp, sizeof mp, "%s/melspectrogram.onnx", dir);
	snprintf(ep, sizeof ep, "%s/embedding_model.onnx", dir);
	struct embed_model *m = embed_model_load(mp, ep, err, sizeof err);
	if (m == NULL) {
		fprintf(stderr, "embed-wav: %s\n", err);
		return 1;
	}
	if (wav_load(file, &pcm, &n, &info, err, sizeof err, warn, sizeof warn) < 0) {
		fprintf(stderr, "embed-wav: %s\n", err);
		return 1;
	}
	struct embed_stream *s = embed_stream_new(m, timing ? count_emb : mel ? NULL : print_emb, NULL);
	if (mel)
		embed_stream_set_mel_cb(s, print_mel, NULL);
	struct timespec t0, t1;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	if (chunk == 0)
		chunk = n ? n : 1;
	for (size_t o = 0; o < n; o += chunk)
		embed_feed(s, pcm + o, n - o < chunk ? n - o : chunk);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
	if (timing) {
		double cpu = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
		double sm, wm;
		embed_model_cost(m, &sm, &wm);
		fprintf(stderr, "embed-wav: %d embeddings from %.1f s of audio in %.3f s CPU: %.2f ms per second of audio "
		    "(%.1f M multiply-adds per embedding streaming, %.1f M per whole window)\n",
		    nvec, n / 16000.0, cpu, 1000.0 * cpu / (n / 16000.0), sm / 1e6, wm / 1e6);
	}
	embed_stream_free(s);
	embed_model_free(m);
	free(pcm);
	return 0;
}
