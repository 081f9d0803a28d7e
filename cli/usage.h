/*
 * usage — the command-line tools' one way to refuse bad arguments.
 */
#ifndef SO_CLI_USAGE_H
#define SO_CLI_USAGE_H

/* Prints "smartofficed: SUB: MESSAGE" and "(smartofficed SUB --help for
 * help)" on stderr; returns 2, the tools' exit status for bad usage. */
int cli_usage_error(const char *sub, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
