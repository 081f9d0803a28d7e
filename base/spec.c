#include "base/spec.h"

#include <string.h>

#include "base/log.h"

int
spec_pick(const char *what, const char *spec, const struct spec_row *rows, size_t nrows,
    const char *expected, const void **ops, const char **arg, char *err, size_t errlen)
{
	for (size_t i = 0; i < nrows; i++) {
		size_t n = strlen(rows[i].prefix);
		if (strncmp(spec, rows[i].prefix, n) != 0)
			continue;
		if (spec[n] == '\0') {
			log_seterr(err, errlen, "%s \"%s\": nothing after \"%s\"", what, spec, rows[i].prefix);
			return -1;
		}
		*ops = rows[i].ops;
		*arg = spec + n;
		return 0;
	}
	log_seterr(err, errlen, "%s \"%.200s\": expected %s", what, spec, expected);
	return -1;
}
