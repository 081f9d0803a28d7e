/*
 * ws_raw — what the raw websocket load clients (wsload, soak-load) share:
 * the upgrade key's SHA-1 and base64 (OpenSSL's libcrypto, which the
 * daemon links already) and a growable buffer.
 */
#ifndef SO_WS_RAW_H
#define SO_WS_RAW_H

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdlib.h>

/* SHA-1 of a short string (the upgrade key). */
static inline void
sha1(const unsigned char *data, size_t len, unsigned char out[20])
{
	SHA1(data, len, out);
}

/* Standard base64 with padding; out must hold 4 * ceil(len / 3) + 1. */
static inline void
base64(const unsigned char *in, size_t len, char *out)
{
	EVP_EncodeBlock((unsigned char *)out, in, (int)len);
}

/* Makes room for n more bytes (plus a NUL) in a growable buffer. */
static inline int
reserve(unsigned char **buf, size_t *cap, size_t len, size_t n)
{
	size_t want = len + n + 1, c = *cap ? *cap : 256;
	unsigned char *p;

	if (want <= *cap)
		return 0;
	while (c < want)
		c *= 2;
	if ((p = realloc(*buf, c)) == NULL)
		return -1;
	*buf = p;
	*cap = c;
	return 0;
}

#endif
