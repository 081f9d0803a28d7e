/*
 * test_tokens — the paired devices' token store (daemon/tokens.c): add,
 * check and revoke through the file; wrong and nearly-right tokens; the
 * file's mode (0600 even under umask 000; a 0644 file refused); bad lines
 * reported as PATH:LINE; a second handle (the CLI) changing the file and
 * the first one re-reading it; concurrent writers losing nothing; a broken
 * file failing closed.  Each test works in its own directory under $TMPDIR.
 */
#include <sys/stat.h>

#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "daemon/tokens.h"
#include "tests/unit/testutil.h"

static char dir[80];            /* the test's own directory */
static char state[96];          /* dir/state: made by the first add */
static char path[112];          /* state/tokens */
static char err[512];

static int
setup(void **st)
{
	const char *tmp = getenv("TMPDIR");

	(void)st;
	if (snprintf(dir, sizeof dir, "%s/so-tokens-XXXXXX", tmp && *tmp ? tmp : "/tmp") >= (int)sizeof dir)
		return -1;      /* a TMPDIR that long: say so by failing */
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(state, sizeof state, "%s/state", dir);
	snprintf(path, sizeof path, "%s/tokens", state);
	err[0] = '\0';
	return 0;
}

static int
teardown(void **st)
{
	(void)st;
	return tmpdir_remove(dir);
}

static mode_t
mode_of(const char *p)
{
	struct stat sb;

	assert_int_equal(stat(p, &sb), 0);
	return sb.st_mode & 07777;
}

static void
sha256_hex(const char *s, char out[65])
{
	unsigned char md[32];
	unsigned int n = 0;

	assert_int_equal(EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL), 1);
	assert_int_equal(n, 32);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static char *
slurp(const char *p)
{
	FILE *f = fopen(p, "r");
	char *buf = calloc(1, 65536);

	assert_non_null(f);
	assert_non_null(buf);
	(void)fread(buf, 1, 65535, f);
	fclose(f);
	return buf;
}

static void
assert_token_shape(const char *tok, const char *id)
{
	assert_int_equal(strlen(tok), 43);
	for (const char *p = tok; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '_'))
			fail_msg("token %s: '%c' is not base64url", tok, *p);
	assert_int_equal(strlen(id), 8);
	assert_int_equal(strspn(id, "0123456789abcdef"), 8);
}

static struct tokens *
open_ok(void)
{
	struct tokens *t = tokens_open(state, err, sizeof err);

	if (t == NULL)
		fail_msg("tokens_open: %s", err);
	return t;
}

static void
test_add_check_revoke(void **st)
{
	struct tokens *t = open_ok(), *t2;
	char tok1[44], id1[9], tok2[44], id2[9], hex[65], line[256];
	struct token_info ti;
	char *text;

	/* Nothing is made until the first add. */
	assert_int_equal(tokens_count(t), 0);
	assert_int_equal(access(state, F_OK), -1);
	assert_string_equal(tokens_path(t), path);

	assert_int_equal(tokens_add(t, TOKEN_REMOTE, "Tablet 3", tok1, id1, err, sizeof err), 0);
	assert_token_shape(tok1, id1);
	assert_int_equal(tokens_add(t, TOKEN_DISPLAY, "벽 화면 Wall", tok2, id2, err, sizeof err), 0);
	assert_token_shape(tok2, id2);
	assert_string_not_equal(tok1, tok2);
	assert_string_not_equal(id1, id2);
	assert_int_equal(tokens_count(t), 2);

	memset(&ti, 0, sizeof ti);
	assert_int_equal(tokens_check(t, tok1, &ti), 1);
	assert_string_equal(ti.id, id1);
	assert_int_equal(ti.role, TOKEN_REMOTE);
	assert_string_equal(ti.name, "Tablet 3");
	assert_int_equal(strlen(ti.created), 20);
	assert_int_equal(tokens_check(t, tok2, &ti), 1);
	assert_string_equal(ti.id, id2);
	assert_int_equal(ti.role, TOKEN_DISPLAY);
	assert_string_equal(ti.name, "벽 화면 Wall");
	assert_int_equal(tokens_check(t, tok2, NULL), 1);

	/* The file keeps the hash, never the token. */
	text = slurp(path);
	assert_null(strstr(text, tok1));
	assert_null(strstr(text, tok2));
	sha256_hex(tok1, hex);
	snprintf(line, sizeof line, "%s\t%s\tremote\t%s\tTablet 3\n", id1, hex, tokens_at(t, 0)->created);
	if (strstr(text, line) == NULL)
		fail_msg("no line \"%s\" in:\n%s", line, text);
	free(text);

	/* Listing, in file order. */
	assert_string_equal(tokens_at(t, 0)->id, id1);
	assert_string_equal(tokens_at(t, 1)->id, id2);
	assert_null(tokens_at(t, 2));

	assert_int_equal(tokens_revoke(t, id1, err, sizeof err), 0);
	assert_int_equal(tokens_check(t, tok1, NULL), 0);
	assert_int_equal(tokens_check(t, tok2, NULL), 1);
	assert_int_equal(tokens_count(t), 1);
	assert_int_equal(tokens_revoke(t, id1, err, sizeof err), -1);
	snprintf(line, sizeof line, "no token with id %s", id1);
	assert_string_equal(err, line);

	/* What was written is what a fresh handle reads. */
	t2 = open_ok();
	assert_int_equal(tokens_count(t2), 1);
	assert_int_equal(tokens_check(t2, tok1, NULL), 0);
	assert_int_equal(tokens_check(t2, tok2, &ti), 1);
	assert_string_equal(ti.id, id2);
	tokens_close(t2);
	tokens_close(t);
}

static void
test_wrong_tokens(void **st)
{
	struct tokens *t = open_ok();
	char tok[44], id[9], other[44], bad[64];
	static const int at[] = { 0, 1, 21, 41, 42 };

	assert_int_equal(tokens_add(t, TOKEN_REMOTE, "r", tok, id, err, sizeof err), 0);
	assert_int_equal(tokens_check(t, NULL, NULL), 0);
	assert_int_equal(tokens_check(t, "", NULL), 0);
	assert_int_equal(tokens_check(t, "not-a-token", NULL), 0);
	assert_int_equal(tokens_check(t, id, NULL), 0);
	/* Another real token, of another set. */
	snprintf(other, sizeof other, "%s", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	assert_int_equal(tokens_check(t, other, NULL), 0);
	/* The right length with one character changed, at several places. */
	for (size_t k = 0; k < sizeof at / sizeof at[0]; k++) {
		snprintf(bad, sizeof bad, "%s", tok);
		bad[at[k]] = bad[at[k]] == 'A' ? 'B' : 'A';
		if (tokens_check(t, bad, NULL) != 0)
			fail_msg("%s (changed at %d) was taken for %s", bad, at[k], tok);
	}
	/* One character more or less. */
	snprintf(bad, sizeof bad, "%sA", tok);
	assert_int_equal(tokens_check(t, bad, NULL), 0);
	snprintf(bad, sizeof bad, "%.42s", tok);
	assert_int_equal(tokens_check(t, bad, NULL), 0);
	assert_int_equal(tokens_check(t, tok, NULL), 1);
	tokens_close(t);
}

static void
test_mode_under_umask_000(void **st)
{
	mode_t old = umask(0);
	struct tokens *t = open_ok();
	char tok[44], id[9], lock[128];

	assert_int_equal(tokens_add(t, TOKEN_DISPLAY, "wall", tok, id, err, sizeof err), 0);
	assert_int_equal(mode_of(path), 0600);
	assert_int_equal(mode_of(state), 0700);
	snprintf(lock, sizeof lock, "%s.lock", path);
	assert_int_equal(mode_of(lock), 0600);
	/* A rewrite keeps it so. */
	assert_int_equal(tokens_add(t, TOKEN_REMOTE, "tab", tok, id, err, sizeof err), 0);
	assert_int_equal(tokens_revoke(t, id, err, sizeof err), 0);
	assert_int_equal(mode_of(path), 0600);
	umask(old);
	tokens_close(t);
}

static void
test_open_file_refused(void **st)
{
	struct tokens *t = open_ok();
	char tok[44], id[9], want[512];

	assert_int_equal(tokens_add(t, TOKEN_DISPLAY, "wall", tok, id, err, sizeof err), 0);
	tokens_close(t);

	assert_int_equal(chmod(path, 0644), 0);
	assert_null(tokens_open(state, err, sizeof err));
	snprintf(want, sizeof want, "%s: mode 0644: must not be readable by others (chmod 600)", path);
	assert_string_equal(err, want);

	assert_int_equal(chmod(path, 0620), 0);
	assert_null(tokens_open(state, err, sizeof err));
	snprintf(want, sizeof want, "%s: mode 0620: must not be writable by others (chmod 600)", path);
	assert_string_equal(err, want);

	assert_int_equal(chmod(path, 0600), 0);
	t = open_ok();
	assert_int_equal(tokens_check(t, tok, NULL), 1);
	/* Made too open while the daemon runs: the reload refuses the new
	 * reading (the set read before stays), and the add (which re-reads
	 * under the lock) refuses too. */
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(tokens_reload_if_changed(t, err, sizeof err), -1);
	assert_non_null(strstr(err, "mode 0640: must not be readable by others"));
	assert_int_equal(tokens_check(t, tok, NULL), 1);
	assert_int_equal(tokens_add(t, TOKEN_DISPLAY, "x", tok, id, err, sizeof err), -1);
	assert_non_null(strstr(err, "mode 0640"));
	assert_int_equal(mode_of(path), 0640);
	tokens_close(t);
}

static void
test_bad_lines(void **st)
{
	static const char good[] =
	    "0a1b2c3d\t" "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\t"
	    "remote\t2026-01-02T03:04:05Z\tTablet 3\n";
	static const struct {
		const char *line;
		const char *needle;
	} bad[] = {
		{ "0a1b2c3d\tabc\tremote\t2026-01-02T03:04:05Z\tx\n", "bad sha256" },
		{ "0a1b2c3\t2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\tremote\t2026-01-02T03:04:05Z\tx\n", "bad id" },
		{ "0a1b2c3g\t2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\tremote\t2026-01-02T03:04:05Z\tx\n", "bad id" },
		{ "11111111\t2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\troot\t2026-01-02T03:04:05Z\tx\n", "bad role \"root\"" },
		{ "11111111\t2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\tremote\t2026-01-02 03:04:05\tx\n", "bad created time" },
		{ "11111111\t2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\tremote\t2026-01-02T03:04:05Z\n", "expected 5 tab-separated fields" },
		{ "11111111\t2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\tremote\t2026-01-02T03:04:05Z\tx\ty\n", "got 6" },
		{ "11111111 2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824 remote\n", "got 1" },
		{ "11111111\t2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\tremote\t2026-01-02T03:04:05Z\t"
		  "12345678901234567890123456789012345678901234567890123456789012345\n", "65 bytes long" },
		{ "11111111\t2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\tremote\t2026-01-02T03:04:05Z\tx\r\n", "control character" },
		{ "0A1B2C3D\t2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\tdisplay\t2026-01-02T03:04:05Z\ty\n", "id 0A1B2C3D is used twice" },
	};
	char text[1024];

	assert_int_equal(mkdir(state, 0700), 0);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		/* Line 4: after a comment, an empty line and a good line. */
		snprintf(text, sizeof text, "# tokens\n\n%s%s", good, bad[i].line);
		write_file(path, text);
		assert_int_equal(chmod(path, 0600), 0);
		err[0] = '\0';
		if (tokens_open(state, err, sizeof err) != NULL)
			fail_msg("case %zu: a file with the line \"%s\" was taken", i, bad[i].line);
		expect_error_line(err, path, 4, bad[i].needle);
	}
	/* The good lines alone are fine, with a 64-byte name too. */
	snprintf(text, sizeof text, "# tokens\n\n%s"
	    "11111111\t2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\tobserver\t"
	    "2026-01-02T03:04:05Z\t1234567890123456789012345678901234567890123456789012345678901234\n", good);
	write_file(path, text);
	assert_int_equal(chmod(path, 0600), 0);
	{
		struct tokens *t = open_ok();
		assert_int_equal(tokens_count(t), 2);
		assert_int_equal(tokens_at(t, 1)->role, TOKEN_OBSERVER);
		assert_int_equal(strlen(tokens_at(t, 1)->name), 64);
		/* The good line holds SHA-256("hello"), but a token is 43
		 * characters: nothing shorter is ever taken. */
		assert_int_equal(tokens_check(t, "hello", NULL), 0);
		tokens_close(t);
	}
}

static void
test_names(void **st)
{
	struct tokens *t = open_ok();
	char tok[44], id[9];
	char n64[65], n65[66];

	memset(n64, 'x', 64);
	n64[64] = '\0';
	memset(n65, 'x', 65);
	n65[65] = '\0';
	assert_int_equal(tokens_add(t, TOKEN_REMOTE, "a\tb", tok, id, err, sizeof err), -1);
	assert_non_null(strstr(err, "tab"));
	assert_int_equal(tokens_add(t, TOKEN_REMOTE, "a\nb", tok, id, err, sizeof err), -1);
	assert_non_null(strstr(err, "newline"));
	assert_int_equal(tokens_add(t, TOKEN_REMOTE, n65, tok, id, err, sizeof err), -1);
	assert_non_null(strstr(err, "at most 64"));
	assert_int_equal(tokens_count(t), 0);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(tokens_add(t, TOKEN_REMOTE, n64, tok, id, err, sizeof err), 0);
	assert_int_equal(tokens_add(t, TOKEN_OBSERVER, "", tok, id, err, sizeof err), 0);
	tokens_close(t);
	t = open_ok();
	assert_int_equal(tokens_count(t), 2);
	assert_string_equal(tokens_at(t, 0)->name, n64);
	assert_string_equal(tokens_at(t, 1)->name, "");
	tokens_close(t);

	enum token_role r;
	assert_int_equal(tokens_role_parse("observer", &r), 0);
	assert_int_equal(r, TOKEN_OBSERVER);
	assert_int_equal(tokens_role_parse("Display", &r), -1);
	assert_string_equal(tokens_role_name(TOKEN_REMOTE), "remote");
}

/* The daemon's handle (d) and the CLI's (cli) on the same file. */
static void
test_reload(void **st)
{
	struct tokens *d = open_ok(), *cli = open_ok();
	char tok1[44], id1[9], tok2[44], id2[9];
	struct token_info ti;

	assert_int_equal(tokens_reload_if_changed(d, err, sizeof err), 0);
	assert_int_equal(tokens_add(cli, TOKEN_REMOTE, "from the CLI", tok1, id1, err, sizeof err), 0);
	assert_int_equal(tokens_check(d, tok1, NULL), 0);          /* not seen yet */
	assert_int_equal(tokens_reload_if_changed(d, err, sizeof err), 1);
	assert_int_equal(tokens_check(d, tok1, &ti), 1);
	assert_string_equal(ti.name, "from the CLI");
	assert_int_equal(tokens_reload_if_changed(d, err, sizeof err), 0);
	assert_int_equal(tokens_reload_if_changed(cli, err, sizeof err), 0);   /* its own write */

	/* The daemon pairs a device while the CLI's view is stale: the CLI's
	 * next add must not lose it (re-read under the lock). */
	assert_int_equal(tokens_add(d, TOKEN_DISPLAY, "paired", tok2, id2, err, sizeof err), 0);
	assert_int_equal(tokens_count(cli), 1);
	{
		char tok3[44], id3[9];
		struct tokens *again;

		assert_int_equal(tokens_add(cli, TOKEN_OBSERVER, "third", tok3, id3, err, sizeof err), 0);
		assert_int_equal(tokens_count(cli), 3);
		again = open_ok();
		assert_int_equal(tokens_count(again), 3);
		assert_int_equal(tokens_check(again, tok1, NULL), 1);
		assert_int_equal(tokens_check(again, tok2, NULL), 1);
		assert_int_equal(tokens_check(again, tok3, NULL), 1);
		tokens_close(again);
	}

	/* Revoked by the CLI: gone from the daemon after its reload. */
	assert_int_equal(tokens_revoke(cli, id1, err, sizeof err), 0);
	assert_int_equal(tokens_reload_if_changed(d, err, sizeof err), 1);
	assert_int_equal(tokens_check(d, tok1, NULL), 0);
	assert_int_equal(tokens_check(d, tok2, NULL), 1);

	/* The file removed: an empty set. */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(tokens_reload_if_changed(d, err, sizeof err), 1);
	assert_int_equal(tokens_count(d), 0);
	assert_int_equal(tokens_check(d, tok2, NULL), 0);
	assert_int_equal(tokens_reload_if_changed(d, err, sizeof err), 0);
	tokens_close(cli);
	tokens_close(d);
}

/*
 * A file that cannot be read as tokens (a bad line, a mode too open, not a
 * file) is not a revocation: the set read before stays in force until the
 * file is good again.  Only a good file without a token revokes it.
 */
static void
test_broken_file_keeps_last_good(void **st)
{
	struct tokens *d = open_ok();
	char tok[44], id[9], tok2[44], id2[9], *good;

	assert_int_equal(tokens_add(d, TOKEN_DISPLAY, "wall", tok, id, err, sizeof err), 0);
	assert_int_equal(tokens_add(d, TOKEN_REMOTE, "tablet", tok2, id2, err, sizeof err), 0);
	good = slurp(path);
	/* Someone edits the file by hand and breaks line 3 (mode stays 0600). */
	write_file(path, "# edited\n\nnot a token line\n");
	assert_int_equal(mode_of(path), 0600);
	assert_int_equal(tokens_reload_if_changed(d, err, sizeof err), -1);
	expect_error_line(err, path, 3, "expected 5 tab-separated fields");
	assert_int_equal(tokens_count(d), 2);
	assert_int_equal(tokens_check(d, tok, NULL), 1);
	assert_int_equal(tokens_check(d, tok2, NULL), 1);
	/* Reported once, not on every check. */
	assert_int_equal(tokens_reload_if_changed(d, err, sizeof err), 0);
	/* A writer refuses to overwrite it. */
	assert_int_equal(tokens_revoke(d, id, err, sizeof err), -1);
	expect_error_line(err, path, 3, "expected 5");
	/* Replaced by a folder: not a file; still the same set. */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(tokens_reload_if_changed(d, err, sizeof err), -1);
	assert_non_null(strstr(err, "not a regular file"));
	assert_int_equal(tokens_check(d, tok, NULL), 1);
	assert_int_equal(rmdir(path), 0);
	/* Fixed: the same set, read again. */
	write_file(path, good);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(tokens_reload_if_changed(d, err, sizeof err), 1);
	assert_int_equal(tokens_count(d), 2);
	assert_int_equal(tokens_check(d, tok, NULL), 1);
	/* A good file without the tablet: that is a revocation. */
	{
		struct tokens *cli = open_ok();

		assert_int_equal(tokens_revoke(cli, id2, err, sizeof err), 0);
		tokens_close(cli);
	}
	assert_int_equal(tokens_reload_if_changed(d, err, sizeof err), 1);
	assert_int_equal(tokens_check(d, tok, NULL), 1);
	assert_int_equal(tokens_check(d, tok2, NULL), 0);
	free(good);
	tokens_close(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_add_check_revoke, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_tokens, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mode_under_umask_000, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_file_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_broken_file_keeps_last_good, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
