/*
 * base64 — RFC 4648 base64 with padding (base64.h).
 */
#include "base/base64.h"

#include <stdint.h>
#include <stdlib.h>

char *
base64_new(const void *data, size_t len)
{
	const uint8_t *p = data;
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = (len + 2) / 3 * 4, o = 0;
	char *s = malloc(n + 1);

	if (s == NULL)
		return NULL;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < len ? (uint32_t)p[i + 1] << 8 : 0) |
		    (i + 2 < len ? p[i + 2] : 0);
		s[o++] = abc[v >> 18 & 63];
		s[o++] = abc[v >> 12 & 63];
		s[o++] = i + 1 < len ? abc[v >> 6 & 63] : '=';
		s[o++] = i + 2 < len ? abc[v & 63] : '=';
	}
	s[o] = '\0';
	return s;
}
