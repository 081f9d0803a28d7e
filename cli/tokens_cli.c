#include "cli/tokens_cli.h"
#include "cli/usage.h"

#include <stdio.h>
#include <string.h>

#include "daemon/service.h"
#include "daemon/tokens.h"

#define PROG "smartofficed: tokens"
#define usage_error(...) cli_usage_error("tokens", __VA_ARGS__)

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: smartofficed [--state-dir DIR] tokens list\n"
	    "       smartofficed [--state-dir DIR] tokens add --role display|remote|observer|tv|admin --name NAME\n"
	    "       smartofficed [--state-dir DIR] tokens rename ID NAME\n"
	    "       smartofficed [--state-dir DIR] tokens revoke ID\n"
	    "\n"
	    "Manages the tokens of paired devices, kept hashed in STATE_DIR/tokens (mode 0600).\n"
	    "A running daemon sees the changes before its next token check.\n"
	    "\n"
	    "  list     the tokens: ID, ROLE, CREATED (UTC), NAME\n"
	    "  add      make a token; prints it once, alone on the first line, then\n"
	    "           (display, remote, tv, admin) the URL that carries it: \"open: URL\", at the\n"
	    "           address the running daemon serves (STATE_DIR/url), else at\n"
	    "           public_url or http://ADDRESS:PORT of the configuration\n"
	    "  rename   give the token ID a new NAME (what lists and the admin page show)\n"
	    "  revoke   remove the token ID; its connections fall back to the public view\n");
}

static struct tokens *
open_or_say(const char *state_dir)
{
	char err[512];
	struct tokens *t = tokens_open(state_dir, err, sizeof err);

	if (t == NULL)
		fprintf(stderr, PROG ": %s\n", err);
	return t;
}

static int
cmd_list(const char *state_dir)
{
	struct tokens *t = open_or_say(state_dir);
	size_t n;

	if (t == NULL)
		return 1;
	if ((n = tokens_count(t)) == 0)
		printf("no tokens\n");
	else
		printf("%-8s  %-8s  %-20s  %s\n", "ID", "ROLE", "CREATED", "NAME");
	for (size_t i = 0; i < n; i++) {
		const struct token_info *ti = tokens_at(t, i);
		printf("%-8s  %-8s  %-20s  %s\n", ti->id, tokens_role_name(ti->role), ti->created, ti->name);
	}
	tokens_close(t);
	return 0;
}

/* "--opt VALUE" or "--opt=VALUE" at argv[*i]: 1 and *val, 0 when argv[*i]
 * is not OPT, -1 when its value is missing. */
static int
opt_value(int argc, char **argv, int *i, const char *opt, const char **val)
{
	size_t len = strlen(opt);

	if (strncmp(argv[*i], opt, len) != 0)
		return 0;
	if (argv[*i][len] == '=') {
		*val = argv[*i] + len + 1;
		return 1;
	}
	if (argv[*i][len] != '\0')
		return 0;
	if (*i + 1 >= argc)
		return -1;
	*val = argv[++*i];
	return 1;
}

static int
cmd_add(int argc, char **argv, const char *state_dir, const char *base_url)
{
	const char *role_s = NULL, *name = NULL, *v;
	char token[TOKENS_TOKEN_LEN + 1], id[9], err[512], live[1024];
	enum token_role role;
	struct tokens *t;
	size_t blen;
	int r;

	for (int i = 2; i < argc; i++) {
		if ((r = opt_value(argc, argv, &i, "--role", &v)) != 0) {
			if (r < 0)
				return usage_error("%s needs a value", "--role");
			if (role_s != NULL)
				return usage_error("%s given twice", "--role");
			role_s = v;
		} else if ((r = opt_value(argc, argv, &i, "--name", &v)) != 0) {
			if (r < 0)
				return usage_error("%s needs a value", "--name");
			if (name != NULL)
				return usage_error("%s given twice", "--name");
			name = v;
		} else {
			return usage_error("add: unexpected argument \"%s\"", argv[i]);
		}
	}
	if (role_s == NULL)
		return usage_error("add needs --role display|remote|observer|tv|admin");
	if (tokens_role_parse(role_s, &role) < 0)
		return usage_error("unknown role \"%s\": display, remote, observer, tv or admin", role_s);
	if (name == NULL)
		return usage_error("add needs --name NAME");
	if (tokens_name_valid(name, err, sizeof err) < 0)
		return usage_error("--name: %s", err);
	if ((t = open_or_say(state_dir)) == NULL)
		return 1;
	if (tokens_add(t, role, name, token, id, err, sizeof err) < 0) {
		fprintf(stderr, PROG ": %s\n", err);
		tokens_close(t);
		return 1;
	}
	tokens_close(t);
	/* The running daemon's own address: its real port (--port, port 0),
	 * its scheme (TLS), its public_url. */
	if (service_read_url(state_dir, live, sizeof live) == 0)
		base_url = live;
	blen = strlen(base_url);
	while (blen > 0 && base_url[blen - 1] == '/')
		blen--;
	printf("%s\n", token);
	if (role == TOKEN_DISPLAY)
		printf("open: %.*s/#token=%s\n", (int)blen, base_url, token);
	else if (role == TOKEN_REMOTE)
		printf("open: %.*s/remote/#token=%s\n", (int)blen, base_url, token);
	else if (role == TOKEN_TV)
		printf("open: %.*s/tv/#token=%s\n", (int)blen, base_url, token);
	else if (role == TOKEN_ADMIN)
		printf("open: %.*s/admin/#token=%s\n", (int)blen, base_url, token);
	fflush(stdout);
	fprintf(stderr, PROG ": added %s token %s \"%s\"; the token is shown only once: copy it now\n",
	    tokens_role_name(role), id, name);
	memset(token, 0, sizeof token);
	return 0;
}

static int
cmd_revoke(int argc, char **argv, const char *state_dir)
{
	struct tokens *t;
	char err[512];

	if (argc < 3)
		return usage_error("revoke needs a token ID (see: smartofficed tokens list)");
	if (argc > 3)
		return usage_error("revoke: unexpected argument \"%s\"", argv[3]);
	if ((t = open_or_say(state_dir)) == NULL)
		return 1;
	if (tokens_revoke(t, argv[2], err, sizeof err) < 0) {
		fprintf(stderr, PROG ": revoke: %s\n", err);
		tokens_close(t);
		return 1;
	}
	tokens_close(t);
	printf("revoked %s\n", argv[2]);
	return 0;
}

static int
cmd_rename(int argc, char **argv, const char *state_dir)
{
	struct tokens *t;
	char err[512];

	if (argc < 4)
		return usage_error("rename needs a token ID and a NAME (see: smartofficed tokens list)");
	if (argc > 4)
		return usage_error("rename: unexpected argument \"%s\" (quote a NAME with spaces)", argv[4]);
	if ((t = open_or_say(state_dir)) == NULL)
		return 1;
	if (tokens_rename(t, argv[2], argv[3], err, sizeof err) < 0) {
		fprintf(stderr, PROG ": rename: %s\n", err);
		tokens_close(t);
		return 1;
	}
	tokens_close(t);
	printf("renamed %s \"%s\"\n", argv[2], argv[3]);
	return 0;
}

int
tokens_cli(int argc, char **argv, const char *state_dir, const char *base_url)
{
	const char *cmd;

	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0 ||
		    (i == 1 && strcmp(argv[i], "help") == 0)) {
			usage(stdout);
			return 0;
		}
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	cmd = argv[1];
	if (strcmp(cmd, "list") == 0) {
		if (argc > 2)
			return usage_error("list: unexpected argument \"%s\"", argv[2]);
		return cmd_list(state_dir);
	}
	if (strcmp(cmd, "add") == 0)
		return cmd_add(argc, argv, state_dir, base_url);
	if (strcmp(cmd, "rename") == 0)
		return cmd_rename(argc, argv, state_dir);
	if (strcmp(cmd, "revoke") == 0)
		return cmd_revoke(argc, argv, state_dir);
	return usage_error("unknown command \"%s\": list, add, rename or revoke", cmd);
}
