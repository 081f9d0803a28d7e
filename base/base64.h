/*
 * base64 — RFC 4648 base64 with padding, for binary carried in JSON (the
 * camera previews and snapshots).
 */
#ifndef SO_BASE64_H
#define SO_BASE64_H
#include <stddef.h>

/* A new NUL-terminated string (the caller frees it), or NULL when out of
 * memory: the caller decides (a frame is skipped, nothing stops). */
char *base64_new(const void *data, size_t len);
#endif
