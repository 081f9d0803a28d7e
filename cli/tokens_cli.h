/*
 * tokens_cli — `smartofficed [--state-dir DIR] tokens list|add|revoke`.
 *
 * The daemon's main() hands over when the first non-option argument is
 * "tokens"; this module only reads and writes STATE_DIR/tokens (through
 * tokens.h), so it works whether or not a daemon is running: a running one
 * re-reads the file before each token check.
 */
#ifndef SO_TOKENS_CLI_H
#define SO_TOKENS_CLI_H

/*
 * argv[0] is "tokens".  BASE_URL ("http://127.0.0.1:7681", no trailing
 * slash needed) is where the pages are, for the URL printed by `add`.
 * Returns the process exit status: 0 done, 1 failed (unknown id, bad or
 * unwritable tokens file), 2 usage error.  Output on stdout, messages on
 * stderr.
 */
int tokens_cli(int argc, char **argv, const char *state_dir, const char *base_url);

#endif
