/*
 * fuzz_heads — the speech heads: a head file and the manifest heads.json
 * that names it (models/heads.c: heads_load, then head_run on each head).
 *
 * The first byte of an input picks what the rest is (byte % 4):
 *   0, 1, 2  the wake, endpoint or intent head file; the other two are
 *            small valid heads, and the manifest (written for each input)
 *            carries the input's SHA-256, so the loader reads the bytes;
 *   3        the manifest text, next to the three valid heads; in it @M,
 *            @B, @W, @E and @I become the SHA-256 of the mel model, the
 *            embedding model and the wake, endpoint and intent heads.
 * The mel and embedding "models" are small stand-in files: heads_load only
 * checks their hashes.  The catalogue has "main" and "next".
 *
 * Invariants: a refused set has a message; an accepted one has heads whose
 * shapes agree with the manifest, and running each on zeros works.
 */
#include "tests/fuzz/fuzz.h"

#include "models/catalogue.h"
#include "models/embed.h"
#include "models/heads.h"

static struct catalogue *cat;
static char hex_mel[65], hex_emb[65], hex_w[65], hex_e[65], hex_i[65];
static const char *mel, *emb;

/* A head: input, then (kind, in, out) layers with zero-ish weights. */
static size_t
make_head(uint8_t *buf, uint32_t input, const uint32_t (*layers)[3], int n)
{
	size_t o = 0;

	memcpy(buf, "SOHEAD01", 8);
	o = 8;
	memcpy(buf + o, &input, 4); o += 4;
	memcpy(buf + o, &(uint32_t){ (uint32_t)n }, 4); o += 4;
	for (int i = 0; i < n; i++) {
		size_t floats = layers[i][0] == 1 ? (size_t)layers[i][1] * layers[i][2] + layers[i][2]
		    : layers[i][0] == 2 || layers[i][0] == 6 ? 2 * (size_t)layers[i][1] : 0;
		memcpy(buf + o, layers[i], 12); o += 12;
		for (size_t k = 0; k < floats; k++) {
			float f = (float)((k % 7) - 3) * 0.01f;
			memcpy(buf + o, &f, 4); o += 4;
		}
	}
	return o;
}

static void
sha_of(const char *path, char hex[65])
{
	char err[512];

	FUZZ_CHECK(heads_sha256_file(path, hex, err, sizeof err) == 0);
}

static uint8_t wake_head[16384], end_head[16384], intent_head[16384];
static size_t wake_len, end_len, intent_len;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char catalogue[] =
	    "{\"wake\":{\"phrase\":\"hey seoul\"},"
	    "\"content\":[{\"id\":\"main\",\"en\":\"Main\",\"ko\":\"메인\",\"privacy\":\"public\",\"say\":[\"main page\"]}],"
	    "\"controls\":[{\"id\":\"next\",\"en\":\"Next\",\"say\":[\"next\"]}]}";
	static const uint32_t wl[][3] = { { 1, EMBED_DIM, 2 }, { 4, 2, 2 } };
	static const uint32_t el[][3] = { { 6, EMBED_DIM, EMBED_DIM }, { 1, EMBED_DIM, 1 }, { 5, 1, 1 } };
	static const uint32_t il[][3] = { { 2, HEADS_INTENT_INPUT, HEADS_INTENT_INPUT },
	    { 1, HEADS_INTENT_INPUT, 2 }, { 3, 2, 2 }, { 4, 2, 2 } };
	char err[1024];

	(void)argc; (void)argv;
	mel = FUZZ_FILE("melspectrogram.onnx", "mel", 3);
	emb = FUZZ_FILE("embedding_model.onnx", "emb", 3);
	sha_of(mel, hex_mel);
	sha_of(emb, hex_emb);
	wake_len = make_head(wake_head, EMBED_DIM, wl, 2);
	end_len = make_head(end_head, EMBED_DIM, el, 3);
	intent_len = make_head(intent_head, HEADS_INTENT_INPUT, il, 4);
	sha_of(FUZZ_FILE("wake.head", wake_head, wake_len), hex_w);
	sha_of(FUZZ_FILE("endpoint.head", end_head, end_len), hex_e);
	sha_of(FUZZ_FILE("intent.head", intent_head, intent_len), hex_i);
	cat = catalogue_load(FUZZ_FILE("catalogue.json", catalogue, sizeof catalogue - 1), err, sizeof err);
	if (cat == NULL) {
		fprintf(stderr, "fuzz_heads: %s", err);
		abort();
	}
	return 0;
}

/* The manifest text, with the placeholders replaced; malloc'd. */
static char *
expand(const uint8_t *text, size_t len)
{
	char *out = malloc(len * 32 + 1), *o = out;

	FUZZ_CHECK(out != NULL);
	for (size_t i = 0; i < len; i++) {
		const char *h = NULL;
		if (text[i] == '@' && i + 1 < len) {
			switch (text[i + 1]) {
			case 'M': h = hex_mel; break;
			case 'B': h = hex_emb; break;
			case 'W': h = hex_w; break;
			case 'E': h = hex_e; break;
			case 'I': h = hex_i; break;
			}
		}
		if (h != NULL) {
			memcpy(o, h, 64);
			o += 64;
			i++;
		} else {
			*o++ = (char)text[i];
		}
	}
	*o = '\0';
	return out;
}

static void
run(const struct head_info *hi)
{
	int n = head_input(hi->net);
	float *in = calloc((size_t)n, sizeof *in), *out = calloc((size_t)hi->nclasses, sizeof *out);

	FUZZ_CHECK(in != NULL && out != NULL);
	head_run(hi->net, in, out);
	free(in);
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "wake.fuzz", "endpoint.fuzz", "intent.fuzz" };
	char err[1024], warn[512], *text, hex[65];
	const char *file[3] = { "wake.head", "endpoint.head", "intent.head" };
	const char *sha[3] = { hex_w, hex_e, hex_i };
	struct heads *h;
	int pick;

	if (size < 1)
		return 0;
	pick = data[0] % 4;
	if (pick < 3) {
		sha_of(FUZZ_FILE(names[pick], data + 1, size - 1), hex);
		file[pick] = names[pick];
		sha[pick] = hex;
		FUZZ_CHECK(asprintf(&text,
		    "{\"embedding\":{\"mel_sha256\":\"%s\",\"embedding_sha256\":\"%s\"},\n"
		    "\"wake\":{\"file\":\"%s\",\"sha256\":\"%s\",\"classes\":[\"none\",\"hey seoul\"],"
		    "\"phrases\":[\"\",\"hey seoul\"],\"window\":1,\"threshold\":0.5},\n"
		    "\"endpoint\":{\"file\":\"%s\",\"sha256\":\"%s\",\"classes\":[\"talking\"],"
		    "\"window\":1,\"threshold\":0.5},\n"
		    "\"intent\":{\"file\":\"%s\",\"sha256\":\"%s\",\"classes\":[\"none\",\"main\"],"
		    "\"min_confidence\":0.5}}\n",
		    hex_mel, hex_emb, file[0], sha[0], file[1], sha[1], file[2], sha[2]) > 0);
	} else {
		text = expand(data + 1, size - 1);
	}
	fuzz_write(fuzz_path("heads.json"), text, strlen(text), 0600);
	free(text);
	err[0] = '\0';
	h = heads_load(fuzz_path("heads.json"), mel, emb, cat, err, sizeof err, warn, sizeof warn);
	FUZZ_CHECK_STR(err);
	FUZZ_SAY(h != NULL, err);
	if (h == NULL) {
		FUZZ_CHECK(err[0] != '\0');
		return 0;
	}
	FUZZ_CHECK_STR(warn);
	FUZZ_CHECK(h->wake.nclasses >= 2 && h->intent.nclasses >= 1 && h->endpoint.nclasses >= 1);
	FUZZ_CHECK(head_input(h->wake.net) == h->wake.window * EMBED_DIM);
	FUZZ_CHECK(head_input(h->endpoint.net) == h->endpoint.window * EMBED_DIM);
	FUZZ_CHECK(head_input(h->intent.net) == HEADS_INTENT_INPUT);
	for (int i = 0; i < h->intent.nclasses; i++)
		FUZZ_CHECK(strcmp(h->intent.classes[i], "none") == 0 || h->entries[i] != NULL || h->stale[i]);
	run(&h->wake);
	run(&h->endpoint);
	run(&h->intent);
	heads_free(h);
	return 0;
}
