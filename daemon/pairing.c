#include "daemon/pairing.h"
#include "base/xalloc.h"

#include <sys/random.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <qrencode.h>

/* What one source (address) did lately. */
struct source {
	char   key[48];
	int    wrong;           /* wrong codes since its last lock or success */
	double locked_until;
	double last_request;
	double seen;
};

struct pairing {
	double ttl;
	int    max_attempts;
	int    live;            /* a code is outstanding */
	int    wrong;           /* wrong guesses at it so far */
	double expires;         /* `now` at which it stops working */
	char   code[7];
	double        log_t;        /* last "wrong code" log line */
	unsigned long log_n;        /* wrong codes since */
	char   name[PAIRING_NAME_MAX + 1];
	struct source src[PAIRING_SOURCES];
	size_t nsrc;
};

struct pairing *
pairing_new(double ttl_s, int max_attempts)
{
	struct pairing *p = xcalloc(1, sizeof *p);

	if (p == NULL)
		return NULL;
	p->ttl = ttl_s;
	p->max_attempts = max_attempts > 0 ? max_attempts : 1;
	return p;
}

void
pairing_free(struct pairing *p)
{
	if (p == NULL)
		return;
	explicit_bzero(p, sizeof *p);
	free(p);
}

void
pairing_cancel(struct pairing *p)
{
	p->live = 0;
	p->wrong = 0;
	explicit_bzero(p->code, sizeof p->code);
}

/* A uniform number below 10^6: rejection sampling of 32 random bits
 * (4294 * 10^6 is the largest multiple of 10^6 below 2^32). */
static int
random_code(uint32_t *out)
{
	uint32_t v;

	for (;;) {
		ssize_t r = getrandom(&v, sizeof v, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r != (ssize_t)sizeof v)
			return -1;
		if (v < 4294000000u)
			break;
	}
	*out = v % 1000000u;
	return 0;
}

int
pairing_request(struct pairing *p, const char *name, double now, char code_out[7])
{
	uint32_t v;

	pairing_cancel(p);
	if (random_code(&v) < 0)
		return -1;
	snprintf(p->code, sizeof p->code, "%06u", (unsigned)v);
	snprintf(p->name, sizeof p->name, "%s", name != NULL ? name : "");
	p->expires = now + p->ttl;
	p->live = 1;
	memcpy(code_out, p->code, sizeof p->code);
	return 0;
}

int
pairing_active(const struct pairing *p, double now)
{
	return p->live && now < p->expires;
}

double
pairing_expires_in(const struct pairing *p, double now)
{
	return pairing_active(p, now) ? p->expires - now : 0;
}

int
pairing_log_due(struct pairing *p, double now, unsigned long *n, double *span)
{
	p->log_n++;
	if (p->log_t > 0 && now - p->log_t < PAIRING_LOG_S)
		return 0;
	*n = p->log_n;
	*span = p->log_t > 0 ? now - p->log_t : 0;
	p->log_t = now;
	p->log_n = 0;
	return 1;
}

const char *
pairing_name(const struct pairing *p)
{
	return p->name;
}

int
pairing_check(struct pairing *p, const char *code, double now)
{
	char given[6];
	int ok;

	if (!p->live)
		return -1;
	if (now >= p->expires) {
		pairing_cancel(p);
		return -1;
	}
	/* The length is no secret; the digits are compared in constant time. */
	memset(given, 0, sizeof given);
	ok = code != NULL && strnlen(code, 7) == 6;
	if (ok)
		memcpy(given, code, 6);
	ok = ok && CRYPTO_memcmp(given, p->code, 6) == 0;
	if (ok) {
		pairing_cancel(p);
		return 1;
	}
	if (++p->wrong >= p->max_attempts)
		pairing_cancel(p);
	return 0;
}

/*
 * KEY's entry, made if need be; NULL when every entry is locked out and
 * none can be forgotten (then a newcomer waits like a locked one: a lock
 * must not end because many others were seen).
 */
static struct source *
source_get(struct pairing *p, const char *key, double now)
{
	struct source *s = NULL;

	for (size_t i = 0; i < p->nsrc; i++)
		if (strncmp(p->src[i].key, key, sizeof p->src[i].key - 1) == 0) {
			p->src[i].seen = now;
			return &p->src[i];
		}
	if (p->nsrc < PAIRING_SOURCES)
		s = &p->src[p->nsrc++];
	else
		for (size_t i = 0; i < p->nsrc; i++)
			if (now >= p->src[i].locked_until && (s == NULL || p->src[i].seen < s->seen))
				s = &p->src[i];
	if (s == NULL)
		return NULL;
	memset(s, 0, sizeof *s);
	snprintf(s->key, sizeof s->key, "%s", key);
	s->last_request = -1e18;
	s->seen = now;
	return s;
}

/* Every entry is locked: the soonest any lock ends. */
static double
soonest_unlock(const struct pairing *p, double now)
{
	double w = PAIRING_LOCK_S;

	for (size_t i = 0; i < p->nsrc; i++)
		if (p->src[i].locked_until - now < w)
			w = p->src[i].locked_until - now;
	return w > 0 ? w : 0.001;
}

double
pairing_may_request(struct pairing *p, const char *source, int trusted, double now)
{
	struct source *s;

	if (trusted)
		return 0;
	if ((s = source_get(p, source != NULL ? source : "", now)) == NULL)
		return soonest_unlock(p, now);
	if (now < s->locked_until)
		return s->locked_until - now;
	if (now - s->last_request < PAIRING_REQUEST_GAP)
		return PAIRING_REQUEST_GAP - (now - s->last_request);
	s->last_request = now;
	return 0;
}

enum pairing_guess
pairing_guess(struct pairing *p, const char *source, const char *code, double now, int *locked,
              double *wait)
{
	struct source *s = source_get(p, source != NULL ? source : "", now);
	int r;

	*locked = 0;
	if (s == NULL) {
		*wait = soonest_unlock(p, now);
		return PAIRING_GUESS_LOCKED;
	}
	if (now < s->locked_until) {
		*wait = s->locked_until - now;
		return PAIRING_GUESS_LOCKED;
	}
	if ((r = pairing_check(p, code, now)) < 0)
		return PAIRING_GUESS_NO_CODE;
	if (r == 1) {
		s->wrong = 0;
		return PAIRING_GUESS_RIGHT;
	}
	if (++s->wrong >= PAIRING_WRONG_MAX) {
		s->wrong = 0;
		s->locked_until = now + PAIRING_LOCK_S;
		*locked = 1;
		*wait = PAIRING_LOCK_S;
	}
	return PAIRING_GUESS_WRONG;
}

void
pairing_qr_free(char **rows, int n)
{
	if (rows == NULL)
		return;
	for (int i = 0; i < n; i++)
		free(rows[i]);
	free(rows);
}

int
pairing_qr(const char *text, char ***rows, int *n, char *err, size_t errlen)
{
	QRcode *qr;
	char **r;
	int w;

	*rows = NULL;
	*n = 0;
	if ((qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1)) == NULL) {
		snprintf(err, errlen, "QR code of \"%.40s%s\": %s", text, strlen(text) > 40 ? "..." : "",
		    errno == ERANGE ? "too long" : strerror(errno));
		return -1;
	}
	w = qr->width;
	if ((r = calloc((size_t)w, sizeof *r)) == NULL)
		goto nomem;
	for (int y = 0; y < w; y++) {
		if ((r[y] = malloc((size_t)w + 1)) == NULL) {
			pairing_qr_free(r, y);
			goto nomem;
		}
		/* libqrencode: bit 0 of each byte is the module's colour. */
		for (int x = 0; x < w; x++)
			r[y][x] = qr->data[y * w + x] & 1 ? '1' : '0';
		r[y][w] = '\0';
	}
	QRcode_free(qr);
	*rows = r;
	*n = w;
	return 0;
nomem:
	QRcode_free(qr);
	snprintf(err, errlen, "QR code: out of memory");
	return -1;
}
