/*
 * pairing — the one outstanding pairing code, and the QR code of its URL.
 *
 * A device asks to pair (pairing_request): it gets a fresh 6-digit code,
 * which replaces any earlier one, and the trusted displays show it.  The
 * code works once (pairing_check consumes it), expires TTL seconds after it
 * was made, and dies after MAX_ATTEMPTS wrong guesses in all, whoever
 * guessed.  Time is passed in (seconds on any monotonic clock), so tests
 * need not sleep.
 *
 * Each request gives an attacker MAX_ATTEMPTS more guesses out of 10^6, so
 * requests and guesses are throttled per source (the client's address, as
 * the caller names it): one code every PAIRING_REQUEST_GAP s, and after
 * PAIRING_WRONG_MAX wrong codes a lock-out of PAIRING_LOCK_S during which
 * the source's guesses are not even looked at (so they cannot extend it).
 * Guesses while no code is live are not counted: there is nothing to
 * guess.  A trusted asker (a trusted display) is never held up, so pairing
 * goes on while strangers guess.
 *
 * One owner: the service thread (no locking).
 */
#ifndef SO_PAIRING_H
#define SO_PAIRING_H

#include <stddef.h>

#define PAIRING_NAME_MAX    64
#define PAIRING_REQUEST_GAP 3.0   /* s between two codes one source asks for */
#define PAIRING_WRONG_MAX   10    /* wrong codes from one source ... */
#define PAIRING_LOCK_S      300   /* ... lock it out for this long */
#define PAIRING_SOURCES     1024  /* sources remembered (the oldest unlocked
                                     one is forgotten first) */

struct pairing;

/* A pairing with no code.  NULL only when out of memory. */
struct pairing *pairing_new(double ttl_s, int max_attempts);
void            pairing_free(struct pairing *p);

/*
 * A new code for the device NAME (copied, cut at 64 bytes), replacing the
 * previous one: six random digits, uniform, leading zeros allowed, in
 * code_out ("482913" + NUL).  0, or -1 when randomness failed (then there is
 * no code).
 */
int pairing_request(struct pairing *p, const char *name, double now, char code_out[7]);

/*
 * 1: CODE is the code (it is consumed: a second try gets -1); 0: wrong (the
 * attempt counts; the MAX_ATTEMPTS-th wrong one kills the code); -1: there is
 * no live code (none asked for, used, expired or dead).  Compared in
 * constant time.
 */
int pairing_check(struct pairing *p, const char *code, double now);

/*
 * May SOURCE ask for a new code at NOW?  0 when it may (the request is
 * noted), else the seconds it has to wait: the rest of PAIRING_REQUEST_GAP
 * after its last request, or of its lock-out.  trusted: always 0.
 */
double pairing_may_request(struct pairing *p, const char *source, int trusted, double now);

enum pairing_guess {
	PAIRING_GUESS_RIGHT,    /* the code: consumed */
	PAIRING_GUESS_WRONG,    /* counted for the code and for SOURCE */
	PAIRING_GUESS_NO_CODE,  /* no live code: not counted */
	PAIRING_GUESS_LOCKED,   /* SOURCE is locked out: not looked at */
};

/*
 * SOURCE's guess CODE at NOW (pairing_check behind the throttle).  *locked
 * is set to 1 when this guess locked SOURCE out; *wait (LOCKED, or just
 * locked) is how long the lock-out still lasts.
 */
enum pairing_guess pairing_guess(struct pairing *p, const char *source, const char *code, double now,
                                 int *locked, double *wait);

/* Seconds the code has left (0 when there is no live code). */
double pairing_expires_in(const struct pairing *p, double now);

/* 1 when there is a live code (the displays should show it), else 0. */
int pairing_active(const struct pairing *p, double now);

/* The name given with the live (or just consumed) code; "" if none. */
const char *pairing_name(const struct pairing *p);

/*
 * The "wrong code" log line, rate-limited: counts one wrong guess at NOW
 * and returns 1 when a line is due (at most one per PAIRING_LOG_S), with *n
 * the wrong guesses it stands for and *span the seconds since the last
 * line (0 for the first).
 */
#define PAIRING_LOG_S 10
int pairing_log_due(struct pairing *p, double now, unsigned long *n, double *span);

/* Forgets the code (e.g. the requesting device went away). */
void pairing_cancel(struct pairing *p);

/*
 * The QR code of TEXT (byte mode, error correction M, smallest version that
 * fits): *n rows of *n characters each, '1' for a dark module, '0' for a
 * light one, without the quiet zone.  0, or -1 with err.  Free with
 * pairing_qr_free.
 */
int  pairing_qr(const char *text, char ***rows, int *n, char *err, size_t errlen);
void pairing_qr_free(char **rows, int n);

#endif
