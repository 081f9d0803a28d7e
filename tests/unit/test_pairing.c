/*
 * test_pairing — the one-time pairing code (daemon/pairing.c) and the QR
 * code of the pairing URL: the code's format; right once, then consumed;
 * wrong guesses counted and the code dead after five; expiry by the time
 * passed in; a new request replacing the old code; guessing throttled per
 * source (ignored while no code is live, a lock-out that is never
 * extended, trusted displays never held up).  The QR matrix is
 * checked as a QR code: square, of the size its version gives, the three
 * finder patterns with their separators, the timing patterns, the dark
 * module, and the format information (BCH-valid, twice the same, level M).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/pairing.h"

static void
assert_code_shape(const char *code)
{
	assert_int_equal(strlen(code), 6);
	assert_int_equal(strspn(code, "0123456789"), 6);
}

static void
test_code_format(void **st)
{
	struct pairing *p = pairing_new(120, 5);
	char code[7], first[7];
	int leading_zero = 0, differ = 0;
	int digit_seen[10] = { 0 };

	assert_non_null(p);
	assert_int_equal(pairing_active(p, 0), 0);
	assert_int_equal(pairing_check(p, "000000", 0), -1);     /* none asked for */
	assert_int_equal(pairing_request(p, "Tablet 3", 10, first), 0);
	assert_code_shape(first);
	assert_string_equal(pairing_name(p), "Tablet 3");
	/* 2000 codes: all six digits; the first digit is 0 a tenth of the time
	 * (codes are zero-padded, not drawn from 100000..999999); all differ
	 * from the first but a handful. */
	for (int i = 0; i < 2000; i++) {
		assert_int_equal(pairing_request(p, "x", 10, code), 0);
		assert_code_shape(code);
		leading_zero += code[0] == '0';
		differ += strcmp(code, first) != 0;
		for (int k = 0; k < 6; k++)
			digit_seen[code[k] - '0'] = 1;
	}
	if (leading_zero < 100 || leading_zero > 320)
		fail_msg("%d of 2000 codes start with 0; about 200 expected", leading_zero);
	assert_true(differ >= 1990);
	for (int d = 0; d < 10; d++)
		assert_int_equal(digit_seen[d], 1);
	pairing_free(p);
}

static void
test_right_once(void **st)
{
	struct pairing *p = pairing_new(120, 5);
	char code[7];

	assert_int_equal(pairing_request(p, "Tablet 3", 100, code), 0);
	assert_int_equal(pairing_active(p, 100), 1);
	assert_int_equal(pairing_check(p, code, 101), 1);
	/* Consumed. */
	assert_int_equal(pairing_active(p, 101), 0);
	assert_true(pairing_expires_in(p, 101) == 0);
	assert_int_equal(pairing_check(p, code, 102), -1);
	assert_string_equal(pairing_name(p), "Tablet 3");
	pairing_free(p);
}

/* A wrong code that is surely not CODE. */
static void
wrong_of(const char *code, char out[7])
{
	memcpy(out, code, 7);
	out[5] = out[5] == '9' ? '0' : (char)(out[5] + 1);
}

static void
test_wrong_codes_count(void **st)
{
	struct pairing *p = pairing_new(120, 5);
	char code[7], wrong[7];

	/* Four wrong guesses, then the right one still works. */
	assert_int_equal(pairing_request(p, "a", 0, code), 0);
	wrong_of(code, wrong);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pairing_check(p, wrong, 1), 0);
	assert_int_equal(pairing_check(p, code, 1), 1);

	/* Five wrong guesses (of any shape) kill it: the right one then fails. */
	assert_int_equal(pairing_request(p, "b", 0, code), 0);
	wrong_of(code, wrong);
	assert_int_equal(pairing_check(p, wrong, 1), 0);
	assert_int_equal(pairing_check(p, "12345", 1), 0);          /* too short */
	assert_int_equal(pairing_check(p, "1234567", 1), 0);        /* too long */
	assert_int_equal(pairing_check(p, NULL, 1), 0);
	assert_int_equal(pairing_active(p, 1), 1);
	assert_int_equal(pairing_check(p, "", 1), 0);               /* the fifth */
	assert_int_equal(pairing_active(p, 1), 0);
	assert_int_equal(pairing_check(p, code, 1), -1);

	/* A code with a longer tail is not the code. */
	assert_int_equal(pairing_request(p, "c", 0, code), 0);
	{
		char longer[8];
		snprintf(longer, sizeof longer, "%s0", code);
		assert_int_equal(pairing_check(p, longer, 1), 0);
	}
	assert_int_equal(pairing_check(p, code, 1), 1);

	/* The limit is the caller's: 3 here. */
	pairing_free(p);
	p = pairing_new(120, 3);
	assert_int_equal(pairing_request(p, "d", 0, code), 0);
	wrong_of(code, wrong);
	for (int i = 0; i < 3; i++)
		assert_int_equal(pairing_check(p, wrong, 1), 0);
	assert_int_equal(pairing_check(p, code, 1), -1);
	pairing_free(p);
}

static void
test_expiry(void **st)
{
	struct pairing *p = pairing_new(120, 5);
	char code[7];

	assert_int_equal(pairing_request(p, "a", 1000, code), 0);
	assert_true(pairing_expires_in(p, 1000) == 120);
	assert_true(pairing_expires_in(p, 1119.5) == 0.5);
	assert_int_equal(pairing_active(p, 1119.9), 1);
	assert_int_equal(pairing_check(p, code, 1119.9), 1);

	assert_int_equal(pairing_request(p, "b", 2000, code), 0);
	assert_int_equal(pairing_active(p, 2120), 0);
	assert_true(pairing_expires_in(p, 2120) == 0);
	assert_int_equal(pairing_check(p, code, 2120), -1);
	assert_int_equal(pairing_check(p, code, 2000), -1);          /* gone for good */
	pairing_free(p);
}

static void
test_new_request_replaces(void **st)
{
	struct pairing *p = pairing_new(120, 5);
	char c1[7], c2[7], wrong[7];

	assert_int_equal(pairing_request(p, "first", 0, c1), 0);
	wrong_of(c1, wrong);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pairing_check(p, wrong, 1), 0);
	do
		assert_int_equal(pairing_request(p, "second", 50, c2), 0);
	while (strcmp(c1, c2) == 0);
	assert_string_equal(pairing_name(p), "second");
	/* The new code has its own ttl and its own five attempts. */
	assert_true(pairing_expires_in(p, 60) == 110);
	assert_int_equal(pairing_check(p, c1, 60), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(pairing_check(p, wrong, 60), 0);
	assert_int_equal(pairing_check(p, c2, 60), 1);
	pairing_free(p);
	pairing_free(NULL);
}

/* ---- QR ---- */

static int
dark(char **r, int y, int x)
{
	return r[y][x] == '1';
}

/* The 7x7 finder pattern with its top-left module at (y, x). */
static void
assert_finder(char **r, int y0, int x0, const char *where)
{
	for (int y = 0; y < 7; y++)
		for (int x = 0; x < 7; x++) {
			int ring = y == 0 || y == 6 || x == 0 || x == 6;
			int core = y >= 2 && y <= 4 && x >= 2 && x <= 4;
			if (dark(r, y0 + y, x0 + x) != (ring || core))
				fail_msg("%s finder: module (%d,%d) is %s", where, y, x,
				    dark(r, y0 + y, x0 + x) ? "dark" : "light");
		}
}

static int
is_finder(char **r, int y0, int x0)
{
	for (int y = 0; y < 7; y++)
		for (int x = 0; x < 7; x++) {
			int ring = y == 0 || y == 6 || x == 0 || x == 6;
			int core = y >= 2 && y <= 4 && x >= 2 && x <= 4;
			if (dark(r, y0 + y, x0 + x) != (ring || core))
				return 0;
		}
	return 1;
}

/* 15-bit format information: BCH(15,5) with the generator 0x537. */
static int
bch_format(int data5)
{
	int rem = data5;

	for (int i = 0; i < 10; i++)
		rem = (rem << 1) ^ ((rem >> 9) * 0x537);
	return (data5 << 10 | (rem & 0x3ff)) ^ 0x5412;
}

/* Checks everything a QR reader looks for first.  Returns the version. */
static int
assert_qr(char **r, int n)
{
	int v, f1 = 0, f2 = 0;

	assert_true(n >= 21 && n <= 177);
	assert_int_equal((n - 17) % 4, 0);
	v = (n - 17) / 4;
	for (int y = 0; y < n; y++) {
		assert_int_equal((int)strlen(r[y]), n);
		assert_int_equal((int)strspn(r[y], "01"), n);
	}
	assert_finder(r, 0, 0, "top-left");
	assert_finder(r, 0, n - 7, "top-right");
	assert_finder(r, n - 7, 0, "bottom-left");
	assert_false(is_finder(r, n - 7, n - 7));       /* three corners, not four */
	/* Separators: light around each finder. */
	for (int i = 0; i < 8; i++) {
		assert_false(dark(r, 7, i));
		assert_false(dark(r, i, 7));
		assert_false(dark(r, 7, n - 1 - i));
		assert_false(dark(r, i, n - 8));
		assert_false(dark(r, n - 8, i));
		assert_false(dark(r, n - 1 - i, 7));
	}
	/* Timing patterns: row 6 and column 6 alternate between the finders. */
	for (int i = 8; i < n - 8; i++) {
		assert_int_equal(dark(r, 6, i), i % 2 == 0);
		assert_int_equal(dark(r, i, 6), i % 2 == 0);
	}
	/* The dark module. */
	assert_true(dark(r, n - 8, 8));
	/* Format information, both copies (bit i; x = column, y = row). */
	for (int i = 0; i <= 5; i++)
		f1 |= dark(r, i, 8) << i;
	f1 |= dark(r, 7, 8) << 6;
	f1 |= dark(r, 8, 8) << 7;
	f1 |= dark(r, 8, 7) << 8;
	for (int i = 9; i < 15; i++)
		f1 |= dark(r, 8, 14 - i) << i;
	for (int i = 0; i < 8; i++)
		f2 |= dark(r, 8, n - 1 - i) << i;
	for (int i = 8; i < 15; i++)
		f2 |= dark(r, n - 15 + i, 8) << i;
	assert_int_equal(f1, f2);
	{
		int data = (f1 ^ 0x5412) >> 10;
		assert_int_equal(bch_format(data), f1);         /* a valid code word */
		assert_int_equal(data >> 3, 0);                 /* level M (bits 00) */
	}
	return v;
}

static void
test_qr(void **st)
{
	/* Byte-mode capacities at level M: version 1 holds 14 bytes, 2 holds
	 * 26, 3 holds 42, 4 holds 62; the size is 17 + 4 * version.  Lower-case
	 * letters: byte mode whatever the encoder's mode optimisation. */
	static const struct {
		const char *text;
		int         size;
	} cases[] = {
		{ "HELLO", 21 },
		{ "abcdefghijklmn", 21 },
		{ "abcdefghijklmno", 25 },
		{ "abcdefghijklmnopqrstuvwxyzabcdefghijklmnop", 29 },       /* 42 */
		{ "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopq", 33 },      /* 43 */
		/* The pairing URL, 40 bytes: libqrencode may code its digit runs
		 * in numeric mode, which saves a few bits, not the 14 bytes that
		 * would make it fit version 2. */
		{ "http://127.0.0.1:7681/remote#pair=482913", 29 },
	};
	char err[256];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char **rows = NULL;
		int n = 0;

		if (pairing_qr(cases[i].text, &rows, &n, err, sizeof err) < 0)
			fail_msg("pairing_qr(\"%s\"): %s", cases[i].text, err);
		if (n != cases[i].size)
			fail_msg("\"%s\" (%zu bytes): %d modules, want %d", cases[i].text,
			    strlen(cases[i].text), n, cases[i].size);
		assert_int_equal(assert_qr(rows, n), (cases[i].size - 17) / 4);
		pairing_qr_free(rows, n);
	}
}

static void
test_qr_differs_and_limits(void **st)
{
	char **a, **b, err[256], *big;
	int na, nb, same = 1;

	assert_int_equal(pairing_qr("http://127.0.0.1:7681/remote#pair=482913", &a, &na, err, sizeof err), 0);
	assert_int_equal(pairing_qr("http://127.0.0.1:7681/remote#pair=482914", &b, &nb, err, sizeof err), 0);
	assert_int_equal(na, nb);
	for (int y = 0; y < na; y++)
		same &= strcmp(a[y], b[y]) == 0;
	assert_false(same);
	pairing_qr_free(a, na);
	pairing_qr_free(b, nb);

	/* More than version 40 holds at level M (2331 bytes): an error. */
	big = malloc(3001);
	assert_non_null(big);
	memset(big, 'a', 3000);
	big[3000] = '\0';
	a = (char **)1;
	assert_int_equal(pairing_qr(big, &a, &na, err, sizeof err), -1);
	assert_null(a);
	assert_int_equal(na, 0);
	assert_non_null(strstr(err, "QR code of"));
	free(big);
}

/* ---- guessing, per source ---- */

/* Guesses while there is no code to guess are not counted at all. */
static void
test_guess_without_code(void **st)
{
	struct pairing *p = pairing_new(120, 5);
	char code[7], wrong[7];
	double wait = 0;
	int locked = 0;

	for (int i = 0; i < 100; i++)
		assert_int_equal(pairing_guess(p, "10.0.0.9", "000000", i * 0.01, &locked, &wait),
		    PAIRING_GUESS_NO_CODE);
	assert_int_equal(locked, 0);
	assert_true(pairing_may_request(p, "10.0.0.9", 0, 2) == 0);
	assert_int_equal(pairing_request(p, "x", 2, code), 0);
	wrong_of(code, wrong);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pairing_guess(p, "10.0.0.9", wrong, 3, &locked, &wait),
		    PAIRING_GUESS_WRONG);
	assert_int_equal(locked, 0);
	assert_int_equal(pairing_guess(p, "10.0.0.9", code, 3, &locked, &wait), PAIRING_GUESS_RIGHT);
	pairing_free(p);
}

/* Makes SOURCE guess wrong until it is locked out (new codes asked for by a
 * trusted display as the old ones die); returns the time it was locked. */
static double
lock_out(struct pairing *p, const char *source, double now)
{
	char code[7], wrong[7];
	double wait = 0;
	int locked = 0, n = 0;

	while (!locked) {
		if (!pairing_active(p, now)) {
			assert_true(pairing_may_request(p, "wall", 1, now) == 0);
			assert_int_equal(pairing_request(p, "x", now, code), 0);
			wrong_of(code, wrong);
		}
		assert_int_equal(pairing_guess(p, source, wrong, now, &locked, &wait), PAIRING_GUESS_WRONG);
		n++;
		now += 0.1;
	}
	assert_int_equal(n, PAIRING_WRONG_MAX);
	assert_true(wait == PAIRING_LOCK_S);
	return now - 0.1;
}

/*
 * PAIRING_WRONG_MAX wrong codes lock that source out: its requests wait and
 * its guesses are not even looked at (the right code included); another
 * source and a trusted display are not held up.
 */
static void
test_lock_is_per_source(void **st)
{
	struct pairing *p = pairing_new(120, 5);
	char code[7];
	double t, wait = 0;
	int locked = 0;

	t = lock_out(p, "10.0.0.66", 100);
	assert_true(pairing_may_request(p, "10.0.0.66", 0, t + 1) > PAIRING_LOCK_S - 2);
	/* A trusted display asks: a code, at once. */
	assert_true(pairing_may_request(p, "10.0.0.66", 1, t + 1) == 0);
	assert_int_equal(pairing_request(p, "tablet", t + 1, code), 0);
	/* The locked source cannot use it, not even when right, and that does
	 * not count against the code. */
	for (int i = 0; i < 10; i++)
		assert_int_equal(pairing_guess(p, "10.0.0.66", code, t + 2, &locked, &wait),
		    PAIRING_GUESS_LOCKED);
	assert_true(wait > PAIRING_LOCK_S - 3 && wait <= PAIRING_LOCK_S);
	assert_int_equal(pairing_active(p, t + 2), 1);
	/* Another source asks and pairs. */
	assert_true(pairing_may_request(p, "10.0.0.7", 0, t + 2) == 0);
	assert_int_equal(pairing_request(p, "tablet", t + 2, code), 0);
	assert_int_equal(pairing_guess(p, "10.0.0.7", code, t + 3, &locked, &wait), PAIRING_GUESS_RIGHT);
	pairing_free(p);
}

/* A lock ends PAIRING_LOCK_S after it began, however much the source tries
 * meanwhile; then it starts from nothing. */
static void
test_lock_not_extended(void **st)
{
	struct pairing *p = pairing_new(120, 5);
	char code[7], wrong[7];
	double t, wait = 0;
	int locked = 0;

	t = lock_out(p, "10.0.0.66", 0);
	for (double u = t; u < t + PAIRING_LOCK_S; u += 0.5) {
		if (!pairing_active(p, u)) {
			assert_true(pairing_may_request(p, "wall", 1, u) == 0);
			assert_int_equal(pairing_request(p, "x", u, code), 0);
			wrong_of(code, wrong);
		}
		assert_int_equal(pairing_guess(p, "10.0.0.66", wrong, u, &locked, &wait),
		    PAIRING_GUESS_LOCKED);
		assert_true(pairing_may_request(p, "10.0.0.66", 0, u) > 0);
	}
	assert_true(pairing_may_request(p, "10.0.0.66", 0, t + PAIRING_LOCK_S) == 0);
	assert_int_equal(pairing_request(p, "x", t + PAIRING_LOCK_S, code), 0);
	wrong_of(code, wrong);
	locked = 0;
	for (int i = 0; i < 4; i++)
		assert_int_equal(pairing_guess(p, "10.0.0.66", wrong, t + PAIRING_LOCK_S, &locked, &wait),
		    PAIRING_GUESS_WRONG);
	assert_int_equal(locked, 0);
	pairing_free(p);
}

/* One source asks for a code at most every PAIRING_REQUEST_GAP s; others
 * and trusted displays are not held up by it. */
static void
test_request_gap(void **st)
{
	struct pairing *p = pairing_new(120, 5);

	assert_true(pairing_may_request(p, "10.0.0.1", 0, 50) == 0);
	assert_true(pairing_may_request(p, "10.0.0.1", 0, 51) > 1.9);
	assert_true(pairing_may_request(p, "10.0.0.2", 0, 51) == 0);
	assert_true(pairing_may_request(p, "10.0.0.1", 1, 51) == 0);
	assert_true(pairing_may_request(p, "10.0.0.1", 0, 50 + PAIRING_REQUEST_GAP) == 0);
	pairing_free(p);
}

/* More sources than are remembered: the oldest unlocked is forgotten, a
 * locked one never is. */
static void
test_many_sources(void **st)
{
	struct pairing *p = pairing_new(120, 5);
	char src[32];
	double t, wait = 0;
	int locked = 0;

	t = lock_out(p, "10.9.9.9", 0);
	for (int i = 0; i < 3 * PAIRING_SOURCES; i++) {
		snprintf(src, sizeof src, "10.1.%d.%d", i / 250, i % 250);
		assert_true(pairing_may_request(p, src, 0, t + 1) == 0);
	}
	assert_int_equal(pairing_guess(p, "10.9.9.9", "000000", t + 2, &locked, &wait),
	    PAIRING_GUESS_LOCKED);
	pairing_free(p);
}

/* The "wrong code" log line: the first at once, then one per
 * PAIRING_LOG_S standing for every guess since. */
static void
test_log_rate_limited(void **state)
{
	struct pairing *p = pairing_new(120, 5);
	unsigned long n = 0;
	double span = -1;
	int lines = 0;

	(void)state;
	assert_int_equal(pairing_log_due(p, 1000.0, &n, &span), 1);
	assert_int_equal(n, 1);
	assert_true(span == 0);
	/* 500 wrong codes in 25 s: two more lines, at 10 s and 20 s. */
	for (int i = 1; i <= 500; i++)
		if (pairing_log_due(p, 1000.0 + i * 0.05, &n, &span)) {
			lines++;
			assert_true(span >= PAIRING_LOG_S);
		}
	assert_int_equal(lines, 2);
	assert_int_equal(n, 200);	/* the second line: 200 guesses in 10 s */
	pairing_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_code_format),
		cmocka_unit_test(test_right_once),
		cmocka_unit_test(test_wrong_codes_count),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_new_request_replaces),
		cmocka_unit_test(test_guess_without_code),
		cmocka_unit_test(test_lock_is_per_source),
		cmocka_unit_test(test_lock_not_extended),
		cmocka_unit_test(test_request_gap),
		cmocka_unit_test(test_many_sources),
		cmocka_unit_test(test_log_rate_limited),
		cmocka_unit_test(test_qr),
		cmocka_unit_test(test_qr_differs_and_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
