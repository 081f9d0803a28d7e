#include "daemon/pairing.h"

#include <sys/random.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <qrencode.h>

struct pairing {
	double ttl;
	int    max_attempts;
	int    live;            /* a code is outstanding */
	int    wrong;           /* wrong guesses at it so far */
	double expires;         /* `now` at which it stops working */
	char   code[7];
	char   name[PAIRING_NAME_MAX + 1];
};

struct pairing *
pairing_new(double ttl_s, int max_attempts)
{
	struct pairing *p = calloc(1, sizeof *p);

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
