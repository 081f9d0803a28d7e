/*
 * usage — see usage.h.
 */
#include "cli/usage.h"

#include <stdarg.h>
#include <stdio.h>

int
cli_usage_error(const char *sub, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "smartofficed: %s: ", sub);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(smartofficed %s --help for help)\n", sub);
	return 2;
}
