/*
 * test_layers — the folders are layers, and includes point down only.
 *
 *   base       log, clock, worker threads, allocation, the input message
 *   devices    microphones, cameras, sensors, outputs          (base)
 *   models     catalogue, speech, faces, hands, shelf          (base, devices)
 *   ui-bridge  websocket server, protocol, MQTT, pages         (base)
 *   daemon     loop, state, routing, clients          (all of the above)
 *   cli        the command line: main(), tokens, face  (all of the above)
 *
 * Reads every .c, .h, .cpp and .hpp of those folders from the repository
 * root (run-unit's working directory) and fails on each quoted include of a
 * folder its own folder may not use, naming file:line.  The checker is run
 * first on a small tree made in a temporary folder, with one upward
 * include planted, so that a checker that sees nothing fails too.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

struct layer {
	const char *dir;
	const char *may[6];   /* folders it may include, besides itself */
};

static const struct layer layers[] = {
	{ "base",      { NULL } },
	{ "devices",   { "base", NULL } },
	{ "models",    { "base", "devices", NULL } },
	{ "ui-bridge", { "base", NULL } },
	{ "daemon",    { "base", "devices", "models", "ui-bridge", NULL } },
	{ "cli",       { "base", "devices", "models", "ui-bridge", "daemon", NULL } },
};
#define NLAYERS (sizeof layers / sizeof layers[0])

static const struct layer *
layer_of(const char *dir)
{
	for (size_t i = 0; i < NLAYERS; i++)
		if (strcmp(layers[i].dir, dir) == 0)
			return &layers[i];
	return NULL;
}

static int
allowed(const struct layer *l, const char *target)
{
	if (strcmp(l->dir, target) == 0)
		return 1;
	for (int i = 0; l->may[i] != NULL; i++)
		if (strcmp(l->may[i], target) == 0)
			return 1;
	return 0;
}

static int
source_name(const char *name)
{
	const char *dot = strrchr(name, '.');

	return dot != NULL && (!strcmp(dot, ".c") || !strcmp(dot, ".h") || !strcmp(dot, ".cpp") ||
	    !strcmp(dot, ".hpp"));
}

/* Checks one file; prints and counts each upward include. */
static int
check_file(const char *root, const struct layer *l, const char *path, int *files)
{
	char full[8200], line[4096], target[64];
	int bad = 0, no = 0;
	FILE *f;

	snprintf(full, sizeof full, "%s/%s", root, path);
	if ((f = fopen(full, "r")) == NULL) {
		printf("    %s: cannot read\n", path);
		return 1;
	}
	(*files)++;
	while (fgets(line, sizeof line, f) != NULL) {
		const char *p = line, *q;
		no++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p++ != '#')
			continue;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, "include", 7) != 0)
			continue;
		p += 7;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '"' || (q = strchr(p + 1, '/')) == NULL || q - p - 1 >= (long)sizeof target)
			continue;
		snprintf(target, sizeof target, "%.*s", (int)(q - p - 1), p + 1);
		/* "../x.h" and folders that are not layers (system-like
		 * quoted includes) are outside this rule. */
		if (layer_of(target) == NULL)
			continue;
		if (!allowed(l, target)) {
			printf("    %s:%d: %s/ includes %s/ (%s may use: %s", path, no, l->dir, target,
			    l->dir, l->may[0] ? l->may[0] : "nothing else");
			for (int i = 1; l->may[i] != NULL; i++)
				printf(", %s", l->may[i]);
			printf(")\n");
			bad++;
		}
	}
	fclose(f);
	return bad;
}

/* Every source file under ROOT's layer folders; returns the violations. */
static int
check_tree(const char *root, int *files)
{
	int bad = 0;

	*files = 0;
	for (size_t i = 0; i < NLAYERS; i++) {
		char dir[4096], rel[4096];
		struct dirent *de;
		DIR *dp;

		snprintf(dir, sizeof dir, "%s/%s", root, layers[i].dir);
		if ((dp = opendir(dir)) == NULL)
			continue;
		while ((de = readdir(dp)) != NULL) {
			if (!source_name(de->d_name))
				continue;
			snprintf(rel, sizeof rel, "%s/%s", layers[i].dir, de->d_name);
			bad += check_file(root, &layers[i], rel, files);
		}
		closedir(dp);
	}
	return bad;
}

static void
put(const char *root, const char *rel, const char *text)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", root, rel);
	*strrchr(path, '/') = '\0';
	mkdir(path, 0700);
	snprintf(path, sizeof path, "%s/%s", root, rel);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

/* The checker itself: a planted upward include is found, with its line. */
static void
test_checker_finds_upward_include(void **state)
{
	char root[] = "/tmp/test_layers.XXXXXX";
	int files, bad;

	(void)state;
	assert_non_null(mkdtemp(root));
	put(root, "base/log.h", "#include <stdio.h>\n");
	put(root, "devices/mic.c", "#include \"base/log.h\"\n#include \"devices/mic.h\"\n");
	put(root, "devices/cam.c", "/* one up */\n  #  include \"daemon/queue.h\"\n");
	put(root, "models/face.c", "#include \"devices/cv.h\"\n#include \"ui-bridge/bridge.h\"\n");
	put(root, "cli/main.c", "#include \"daemon/daemon.h\"\n");
	bad = check_tree(root, &files);
	assert_int_equal(files, 5);
	assert_int_equal(bad, 2);   /* devices -> daemon, models -> ui-bridge */
	{
		char cmd[4200];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
		assert_int_equal(system(cmd), 0);
	}
}

/* The real tree. */
static void
test_tree_points_down(void **state)
{
	int files, bad;

	(void)state;
	bad = check_tree(".", &files);
	printf("    %d source files in %zu layers checked\n", files, NLAYERS);
	if (files < 50)
		fail_msg("only %d source files found: not run from the repository root?", files);
	if (bad > 0)
		fail_msg("%d upward include%s (above)", bad, bad > 1 ? "s" : "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checker_finds_upward_include),
		cmocka_unit_test(test_tree_points_down),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
