/*
 * spec — a device spec string ("file:PATH", "v4l2:/dev/video0",
 * "gpio:gpiochip0:17") picks a row of the device's ops table by its prefix;
 * what follows the prefix is the row's argument.
 */
#ifndef SO_SPEC_H
#define SO_SPEC_H

#include <stddef.h>

struct spec_row {
	const char *prefix;      /* "file:", ... */
	const void *ops;         /* the row's ops table */
};

/* The row of spec: 0 with *ops and *arg, or -1 with err ("WHAT \"SPEC\":
 * nothing after \"PREFIX\"", or "WHAT \"SPEC\": expected EXPECTED"). */
int spec_pick(const char *what, const char *spec, const struct spec_row *rows, size_t nrows,
              const char *expected, const void **ops, const char **arg, char *err, size_t errlen);

#endif
