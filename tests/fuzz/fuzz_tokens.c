/*
 * fuzz_tokens — STATE_DIR/tokens, the paired devices' hashed tokens
 * (daemon/tokens.c: tokens_open, and the add/revoke that re-read and
 * rewrite it).
 *
 * Invariants: a refused file has a message; every entry of an accepted one
 * is well formed (8 hex digits of id, a role, a created time, a valid
 * name), and an unknown token is not taken for one of them.  Adding a
 * token to an accepted file writes a file that loads again with the old
 * entries unchanged, in order, plus the new one, which then checks; revoking
 * it gives the old entries back.
 */
#include "tests/fuzz/fuzz.h"

#include <ctype.h>

#include "daemon/tokens.h"

static char state[512], tokens[600];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc; (void)argv;
	snprintf(state, sizeof state, "%s", fuzz_path("state"));
	snprintf(tokens, sizeof tokens, "%s/tokens", state);
	FUZZ_CHECK(mkdir(state, 0700) == 0);
	return 0;
}

static void
check_entry(const struct token_info *e)
{
	char why[128];

	FUZZ_CHECK(e != NULL);
	FUZZ_CHECK(strlen(e->id) == 8);
	for (int i = 0; i < 8; i++)
		FUZZ_CHECK(isxdigit((unsigned char)e->id[i]));
	FUZZ_CHECK(e->role == TOKEN_DISPLAY || e->role == TOKEN_REMOTE || e->role == TOKEN_OBSERVER);
	FUZZ_CHECK(strlen(e->created) == 20);
	FUZZ_CHECK(memchr(e->name, '\0', sizeof e->name) != NULL);
	FUZZ_CHECK(tokens_name_valid(e->name, why, sizeof why) == 0);
}

static int
same_entry(const struct token_info *a, const struct token_info *b)
{
	return strcmp(a->id, b->id) == 0 && a->role == b->role &&
	    strcmp(a->created, b->created) == 0 && strcmp(a->name, b->name) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512], token[TOKENS_TOKEN_LEN + 1], id[9];
	struct tokens *t, *again;
	struct token_info *old, info;
	size_t n;

	fuzz_write(tokens, data, size, 0600);
	err[0] = '\0';
	t = tokens_open(state, err, sizeof err);
	FUZZ_CHECK_STR(err);
	FUZZ_SAY(t != NULL, err);
	if (t == NULL) {
		FUZZ_CHECK(err[0] != '\0');
		return 0;
	}
	n = tokens_count(t);
	FUZZ_CHECK((old = calloc(n + 1, sizeof *old)) != NULL);
	for (size_t i = 0; i < n; i++) {
		check_entry(tokens_at(t, i));
		old[i] = *tokens_at(t, i);
	}
	FUZZ_CHECK(tokens_at(t, n) == NULL);
	FUZZ_CHECK(tokens_check(t, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG", NULL) == 0);
	FUZZ_CHECK(tokens_reload_if_changed(t, err, sizeof err) == 0);

	if (tokens_add(t, TOKEN_REMOTE, "fuzz", token, id, err, sizeof err) == 0) {
		FUZZ_CHECK(tokens_check(t, token, &info) == 1 && strcmp(info.id, id) == 0);
		FUZZ_CHECK((again = tokens_open(state, err, sizeof err)) != NULL);
		FUZZ_CHECK(tokens_count(again) == n + 1);
		for (size_t i = 0; i < n; i++)
			FUZZ_CHECK(same_entry(tokens_at(again, i), &old[i]));
		FUZZ_CHECK(strcmp(tokens_at(again, n)->id, id) == 0);
		FUZZ_CHECK(tokens_check(again, token, NULL) == 1);
		FUZZ_CHECK(tokens_revoke(again, id, err, sizeof err) == 0);
		FUZZ_CHECK(tokens_reload_if_changed(t, err, sizeof err) == 1);
		FUZZ_CHECK(tokens_count(t) == n && tokens_check(t, token, NULL) == 0);
		for (size_t i = 0; i < n; i++)
			FUZZ_CHECK(same_entry(tokens_at(t, i), &old[i]));
		tokens_close(again);
	} else {
		/* Only a set that cannot take one more fails (a clash of ids). */
		FUZZ_CHECK_STR(err);
	}
	free(old);
	tokens_close(t);
	return 0;
}
