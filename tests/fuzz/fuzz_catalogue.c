/*
 * fuzz_catalogue — catalogue.json (models/catalogue.c: catalogue_load), and
 * what is made from an accepted one (models/grammar.c: the three JSGF
 * grammars, the pronunciation dictionary, matching a hypothesis back).
 *
 * Invariants: a refused file has an error message; an accepted one has
 * content with a "main" entry, every id found again by catalogue_find, and
 * every phrase of an entry matched back by grammar_match to that entry (the
 * loader refuses a phrase two entries share, and a whole phrase is tried
 * before any carrier split).
 */
#include "tests/fuzz/fuzz.h"

#include "models/catalogue.h"
#include "models/grammar.h"

static const char *dict;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char d[] = "hey HH EY\nseoul S OW L\nshow SH OW\nme M IY\nthe DH AH\n"
	    "main M EY N\npage P EY JH\nnext N EH K S T\nair EH R\nquality K W AA L AH T IY\n";

	(void)argc; (void)argv;
	dict = FUZZ_FILE("cmudict.dict", d, sizeof d - 1);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[2048], *g;
	const char *path = FUZZ_FILE("catalogue.json", data, size);
	struct catalogue *c = catalogue_load(path, err, sizeof err);
	FILE *out;

	FUZZ_CHECK_STR(err);
	FUZZ_SAY(c != NULL, err);
	if (c == NULL) {
		FUZZ_CHECK(err[0] != '\0');
		return 0;
	}
	FUZZ_CHECK(c->wake != NULL && c->ncontent > 0 && c->ncontent <= c->nentries);
	FUZZ_CHECK(catalogue_find(c, "main") != NULL);
	for (size_t i = 0; i < c->nentries; i++) {
		const struct catalogue_entry *e = &c->entries[i];
		FUZZ_CHECK(catalogue_find(c, e->id) == e);
		FUZZ_CHECK(e->is_control == (i >= c->ncontent));
		for (size_t j = 0; j < e->nsay; j++) {
			const struct catalogue_entry *m = grammar_match(c, e->say[j]);
			FUZZ_CHECK(m == e);
		}
	}
	for (size_t i = 0; i < c->nwords; i++)
		FUZZ_CHECK(c->words[i] != NULL && c->words[i][0] != '\0');
	g = grammar_command_jsgf(c);
	FUZZ_CHECK(g != NULL);
	free(g);
	g = grammar_garbage_jsgf(c);
	FUZZ_CHECK(g != NULL);
	free(g);
	g = grammar_wake_jsgf(c);
	FUZZ_CHECK(g != NULL);
	free(g);
	if ((out = fopen("/dev/null", "w")) != NULL) {
		(void)grammar_write_dict(c, dict, out, err, sizeof err);
		FUZZ_CHECK_STR(err);
		fclose(out);
	}
	catalogue_free(c);
	return 0;
}
