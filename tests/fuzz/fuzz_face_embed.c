/*
 * fuzz_face_embed — the face embedding's weights: the tfjs manifest and
 * its shard (models/face_embed.c: face_embed_load, then face_embed_run).
 *
 * The first byte of an input picks what the rest is (byte % 2):
 *   0  the manifest text, beside the real shard (tools/fetch-models puts it
 *      in models/facerec/; the replay runs from the repository root);
 *   1  the shard's bytes, beside the real manifest.
 * Invariants: a refused set has a message; an accepted one runs on a grey
 * crop and gives FACE_EMBED_DIM finite numbers.
 */
#include "tests/fuzz/fuzz.h"

#include <math.h>

#include "models/face_embed.h"

#define REAL_DIR "models/facerec"
#define SHARD    "face_recognition_model.bin"

static char real_manifest[512], real_shard[512], dir[512], manifest[600], shard[600];
static uint8_t crop[FACE_EMBED_SIZE * FACE_EMBED_SIZE * 3];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc; (void)argv;
	snprintf(real_manifest, sizeof real_manifest, "%s", FACE_EMBED_DEFAULT_MODEL);
	snprintf(real_shard, sizeof real_shard, "%s/%s", REAL_DIR, SHARD);
	if (access(real_manifest, R_OK) != 0 || access(real_shard, R_OK) != 0) {
		fprintf(stderr, "fuzz_face_embed: %s or %s is missing (run tools/fetch-models, "
		    "from the repository root)\n", real_manifest, real_shard);
		abort();
	}
	snprintf(dir, sizeof dir, "%s", fuzz_path("facerec"));
	FUZZ_CHECK(mkdir(dir, 0700) == 0);
	snprintf(manifest, sizeof manifest, "%s/manifest.json", dir);
	snprintf(shard, sizeof shard, "%s/%s", dir, SHARD);
	for (size_t i = 0; i < sizeof crop; i++)
		crop[i] = (uint8_t)(96 + (i * 7) % 61);
	return 0;
}

/* Copies a real file to a scratch path. */
static void
copy(const char *from, const char *to)
{
	FILE *f = fopen(from, "rb");
	uint8_t *buf;
	long n;

	FUZZ_CHECK(f != NULL);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	FUZZ_CHECK((buf = malloc((size_t)n + 1)) != NULL);
	FUZZ_CHECK(fread(buf, 1, (size_t)n, f) == (size_t)n);
	fclose(f);
	fuzz_write(to, buf, (size_t)n, 0600);
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int have_shard, have_manifest;
	char err[1024];
	float out[FACE_EMBED_DIM];
	struct face_embed *fe;

	if (size == 0)
		return 0;
	if (data[0] % 2 == 0) {
		if (!have_shard) {
			copy(real_shard, shard);
			have_shard = 1;
		}
		have_manifest = 0;
		fuzz_write(manifest, data + 1, size - 1, 0600);
	} else {
		if (!have_manifest) {
			copy(real_manifest, manifest);
			have_manifest = 1;
		}
		have_shard = 0;
		fuzz_write(shard, data + 1, size - 1, 0600);
	}
	err[0] = '\0';
	fe = face_embed_load(manifest, err, sizeof err);
	FUZZ_CHECK_STR(err);
	FUZZ_SAY(fe != NULL, err);
	if (fe == NULL) {
		FUZZ_CHECK(err[0] != '\0');
		return 0;
	}
	FUZZ_CHECK(face_embed_run(fe, crop, FACE_EMBED_SIZE * 3, out, err, sizeof err) == 0);
	for (int i = 0; i < FACE_EMBED_DIM; i++)
		FUZZ_CHECK(isfinite(out[i]));
	face_embed_free(fe);
	return 0;
}
