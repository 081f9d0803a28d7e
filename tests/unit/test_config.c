/*
 * test_config — smartofficed.conf (daemon/config.c): defaults, the bounds
 * of every kind of option, file syntax, errors as "file:line: reason" with
 * the parse going on, config_print round trips, and the committed sample
 * smartofficed.conf kept equal to config_print_defaults().
 *
 * Run from the repository root (tests/run-unit does).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/testutil.h"

#include "daemon/config.h"
#include "models/speech.h"

#define SAMPLE "smartofficed.conf"

/* config_load into *c, the error text into a malloc'd string. */
static int
load(struct config *c, const char *path, char **errs)
{
	size_t len = 0;
	FILE *f;
	int n;

	*errs = NULL;
	f = open_memstream(errs, &len);
	assert_non_null(f);
	n = config_load(c, path, f);
	fclose(f);
	return n;
}

#define STR_FIELDS(X) X(address) X(web_root) X(catalogue) X(state_dir) X(audio) X(demo_audio) \
	X(hmm) X(cmudict) X(decoder_args) X(voice) X(private_unlock) X(log_level) \
	X(engine) X(speech_models) X(speech_heads)
#define INT_FIELDS(X) X(port) X(ws_ring) X(ws_max_message) X(demo_loop) X(wake_rescore) \
	X(end_silence_ms) X(cmd_timeout_ms) X(cmd_max_ms) X(speak) X(cue) X(feedback_echo) X(self_mute)
#define DBL_FIELDS(X) X(kws_threshold) X(wake_min_llr) X(cmd_min_confidence) X(wake_threshold)

static void
assert_config_equal(const struct config *a, const struct config *b)
{
#define S(f) if (strcmp(a->f, b->f) != 0) fail_msg(#f ": \"%s\" != \"%s\"", a->f, b->f);
#define I(f) if (a->f != b->f) fail_msg(#f ": %d != %d", a->f, b->f);
#define D(f) if (a->f != b->f) fail_msg(#f ": %.17g != %.17g", a->f, b->f);
	STR_FIELDS(S)
	INT_FIELDS(I)
	DBL_FIELDS(D)
#undef S
#undef I
#undef D
}

/* ------------------------------------------------------------------ */

static void
test_defaults(void **state)
{
	struct config c;
	struct speech_config sc;

	config_defaults(&c);
	assert_string_equal(c.address, "127.0.0.1");
	assert_int_equal(c.port, 7681);
	assert_int_equal(c.ws_ring, 256);
	assert_int_equal(c.ws_max_message, 65536);
	assert_string_equal(c.state_dir, "/var/lib/smartoffice");
	assert_string_equal(c.audio, "auto");
	assert_int_equal(c.demo_loop, 1);
	assert_int_equal(c.speak, 1);
	assert_string_equal(c.voice, "en-us");
	assert_int_equal(c.cue, 1);
	assert_int_equal(c.feedback_echo, 0);
	assert_int_equal(c.self_mute, 1);
	assert_string_equal(c.private_unlock, "face");
	assert_string_equal(c.log_level, "info");
	/* Run from the build tree: the data files of the source tree. */
	assert_true(strlen(c.catalogue) > strlen("/models/catalogue.json"));
	assert_string_equal(c.catalogue + strlen(c.catalogue) - strlen("/models/catalogue.json"),
	    "/models/catalogue.json");
	assert_int_equal(access(c.catalogue, R_OK), 0);
	assert_string_equal(c.web_root + strlen(c.web_root) - strlen("/ui-bridge/web"), "/ui-bridge/web");
	assert_int_equal(access(c.web_root, R_OK), 0);
	/* The recognizer's own defaults are the same numbers. */
	speech_default_config(&sc);
	assert_string_equal(c.hmm, sc.hmm);
	assert_string_equal(c.cmudict, sc.cmudict);
	assert_true(c.kws_threshold == sc.kws_threshold);
	assert_true(c.wake_min_llr == sc.wake_min_llr);
	assert_int_equal(c.wake_rescore, sc.wake_rescore);
	assert_true(c.cmd_min_confidence == sc.cmd_min_confidence);
	assert_int_equal(c.end_silence_ms, sc.end_silence_ms);
	assert_int_equal(c.cmd_timeout_ms, sc.cmd_timeout_ms);
	assert_int_equal(c.cmd_max_ms, sc.cmd_max_ms);
	assert_string_equal(c.decoder_args, sc.decoder_args);
	assert_string_equal(c.decoder_args, "");
	/* The embedding engine is the default; its files are the tree's. */
	assert_string_equal(c.engine, "embedding");
	assert_int_equal(sc.engine, SPEECH_ENGINE_EMBEDDING);
	assert_true(c.wake_threshold == 0.0);
	assert_string_equal(c.speech_models + strlen(c.speech_models) - strlen("/models/oww"), "/models/oww");
	assert_string_equal(c.speech_heads + strlen(c.speech_heads) - strlen("/models/heads/heads.json"),
	    "/models/heads/heads.json");
	{
		struct speech_config s2;
		config_speech(&c, &s2);
		assert_int_equal(s2.engine, SPEECH_ENGINE_EMBEDDING);
		assert_string_equal(s2.heads, c.speech_heads);
		assert_string_equal(s2.embed_models, c.speech_models);
	}
	config_free(&c);
	assert_null(c.address);
	assert_null(c.log_level);
}

/* config_set must refuse value and leave the option as it was. */
static void
expect_refused(struct config *c, const char *name, const char *value, const char *in_err)
{
	char err[256] = "";
	struct config before;

	config_defaults(&before);
	if (config_set(c, name, value, err, sizeof err) != -1)
		fail_msg("%s = \"%s\" accepted", name, value);
	assert_true(strlen(err) > 0);
	if (strstr(err, in_err) == NULL)
		fail_msg("%s = \"%s\": error \"%s\" lacks \"%s\"", name, value, err, in_err);
	assert_config_equal(c, &before);
	config_free(&before);
}

static void
expect_set(struct config *c, const char *name, const char *value)
{
	char err[256] = "";

	if (config_set(c, name, value, err, sizeof err) != 0)
		fail_msg("%s = \"%s\" refused: %s", name, value, err);
}

static void
test_set_bounds(void **state)
{
	struct config c;

	config_defaults(&c);
	expect_refused(&c, "port", "70000", "70000 is out of range 0..65535");
	expect_refused(&c, "port", "65536", "out of range");
	expect_refused(&c, "port", "-1", "-1 is out of range");
	expect_refused(&c, "port", "abc", "\"abc\" is not a whole number");
	expect_refused(&c, "port", "", "port");
	expect_refused(&c, "port", "12abc", "not a whole number");
	expect_refused(&c, "port", "7681.5", "not a whole number");
	expect_refused(&c, "port", "99999999999999999999999", "port");
	expect_refused(&c, "port", "4294974977", "out of range");   /* 7681 + 2^32 */
	expect_refused(&c, "ws_ring", "7", "out of range 8..65536");
	expect_refused(&c, "cmd_min_confidence", "1.5", "1.5 is out of range 0..1");
	expect_refused(&c, "cmd_min_confidence", "-0.01", "out of range");
	expect_refused(&c, "cmd_min_confidence", "nan", "not a number");
	expect_refused(&c, "cmd_min_confidence", "inf", "not a number");
	expect_refused(&c, "cmd_min_confidence", "0.5x", "not a number");
	expect_refused(&c, "kws_threshold", "0", "out of range");
	expect_refused(&c, "kws_threshold", "2", "2 is out of range");
	expect_refused(&c, "kws_threshold", "1e999", "kws_threshold");
	expect_refused(&c, "speak", "maybe", "\"maybe\" is not yes or no");
	expect_refused(&c, "speak", "", "speak");
	expect_refused(&c, "private_unlock", "retina", "\"retina\" is not one of voice|face");
	expect_refused(&c, "private_unlock", "", "private_unlock");
	expect_refused(&c, "log_level", "verbose", "warning|info|debug");
	expect_refused(&c, "voice", "", "voice: needs a value");
	expect_refused(&c, "engine", "whisper", "\"whisper\" is not one of embedding|pocketsphinx");
	expect_refused(&c, "wake_threshold", "1", "out of range");
	expect_refused(&c, "wake_threshold", "-0.1", "out of range");
	expect_refused(&c, "colour", "blue", "unknown option \"colour\"");
	expect_refused(&c, "", "1", "unknown option");

	expect_set(&c, "port", "0");
	assert_int_equal(c.port, 0);
	expect_set(&c, "port", "65535");
	assert_int_equal(c.port, 65535);
	expect_set(&c, "cmd_min_confidence", "1");
	assert_true(c.cmd_min_confidence == 1.0);
	expect_set(&c, "kws_threshold", "1e-45");
	assert_true(c.kws_threshold == 1e-45);
	expect_set(&c, "engine", "pocketsphinx");
	{
		struct speech_config s3;
		config_speech(&c, &s3);
		assert_int_equal(s3.engine, SPEECH_ENGINE_POCKETSPHINX);
	}
	expect_set(&c, "wake_threshold", "0.9");
	assert_true(c.wake_threshold == 0.9);
	expect_set(&c, "private_unlock", "voice");
	assert_string_equal(c.private_unlock, "voice");
	for (int i = 0; i < 4; i++) {
		static const char *const yes[] = { "yes", "true", "on", "1" }, *const no[] = { "no", "false", "off", "0" };
		expect_set(&c, "cue", no[i]);
		assert_int_equal(c.cue, 0);
		expect_set(&c, "cue", yes[i]);
		assert_int_equal(c.cue, 1);
	}
	expect_set(&c, "voice", "en-gb+m3");
	assert_string_equal(c.voice, "en-gb+m3");
	/* The one option that may be empty. */
	expect_set(&c, "decoder_args", "-lw 8");
	assert_string_equal(c.decoder_args, "-lw 8");
	expect_set(&c, "decoder_args", "");
	assert_string_equal(c.decoder_args, "");
	config_free(&c);
}

static void
test_load_errors_with_lines(void **state)
{
	struct config c, d;
	char *errs, *text, longline[6000];
	int n;

	memset(longline, 'x', sizeof longline);
	memcpy(longline, "voice = ", 8);
	longline[sizeof longline - 1] = '\0';
	if (asprintf(&text,
	    "# a comment\n"                          /*  1 */
	    "\n"                                     /*  2 */
	    "port = 70000\n"                         /*  3  bad */
	    "address = 0.0.0.0\n"                    /*  4 */
	    "bogus = 1\n"                            /*  5  bad */
	    "speak = maybe\n"                        /*  6  bad */
	    "just some words\n"                      /*  7  bad */
	    "    # an indented comment\n"            /*  8 */
	    "private_unlock = retina\n"              /*  9  bad */
	    "cmd_min_confidence = 2\n"               /* 10  bad */
	    "  voice   =   \"en-gb\"   \n"           /* 11 */
	    "end_silence_ms = 300 # trailing comment\n" /* 12 */
	    "catalogue =\n"                          /* 13  bad */
	    "%s\n"                                   /* 14  bad: too long */
	    "cue = no\n"                             /* 15 */
	    "\t\n"                                   /* 16 */
	    "= 5\n"                                  /* 17  bad */
	    "port = 7000\r\n"                        /* 18 */
	    "log_level = debug", longline) < 0)      /* 19, no newline at the end */
		fail();
	write_file(tmp_path, text);
	config_defaults(&c);
	n = load(&c, tmp_path, &errs);
	expect_error_line(errs, tmp_path, 3, "port: 70000 is out of range");
	expect_error_line(errs, tmp_path, 5, "unknown option \"bogus\"");
	expect_error_line(errs, tmp_path, 6, "speak: \"maybe\" is not yes or no");
	expect_error_line(errs, tmp_path, 7, "expected name = value");
	expect_error_line(errs, tmp_path, 9, "private_unlock: \"retina\" is not one of voice|face");
	expect_error_line(errs, tmp_path, 10, "cmd_min_confidence: 2 is out of range");
	expect_error_line(errs, tmp_path, 13, "catalogue: needs a value");
	expect_error_line(errs, tmp_path, 14, "line is longer than");
	expect_error_line(errs, tmp_path, 17, "unknown option \"\"");
	assert_int_equal(n, 9);
	assert_int_equal(count_lines(errs), 9);
	/* The good lines all took effect, the bad ones changed nothing. */
	config_defaults(&d);
	assert_string_equal(c.address, "0.0.0.0");
	assert_string_equal(c.voice, "en-gb");
	assert_int_equal(c.end_silence_ms, 300);
	assert_int_equal(c.cue, 0);
	assert_int_equal(c.port, 7000);
	assert_string_equal(c.log_level, "debug");
	assert_int_equal(c.speak, d.speak);
	assert_string_equal(c.private_unlock, d.private_unlock);
	assert_true(c.cmd_min_confidence == d.cmd_min_confidence);
	assert_string_equal(c.catalogue, d.catalogue);
	config_free(&c);
	config_free(&d);
	free(errs);
	free(text);
}

static void
test_load_quoting_and_comments(void **state)
{
	struct config c;
	char *errs;
	int n;

	write_file(tmp_path,
	    "voice = \"  spaced  \"\n"
	    "demo_audio = \"/tmp/take #1.wav\"\n"
	    "audio = file:/tmp/a#b.wav\n"
	    "web_root = /srv/www # where the pages are\n"
	    "state_dir = \"/var/lib/so dir\" # quoted, then a comment\n"
	    "address = \"\"x\"\"\n"
	    "hmm=/models/en-us\n"
	    "#port = 1\n");
	config_defaults(&c);
	n = load(&c, tmp_path, &errs);
	if (n != 0)
		fail_msg("%s", errs);
	assert_string_equal(errs, "");
	assert_string_equal(c.voice, "  spaced  ");
	assert_string_equal(c.demo_audio, "/tmp/take #1.wav");
	assert_string_equal(c.audio, "file:/tmp/a#b.wav");
	assert_string_equal(c.web_root, "/srv/www");
	assert_string_equal(c.state_dir, "/var/lib/so dir");
	assert_string_equal(c.address, "\"x\"");
	assert_string_equal(c.hmm, "/models/en-us");
	assert_int_equal(c.port, 7681);
	config_free(&c);
	free(errs);
}

static void
test_load_missing_file(void **state)
{
	struct config c;
	char *errs;

	config_defaults(&c);
	assert_true(load(&c, "/nonexistent/smartofficed.conf", &errs) > 0);
	assert_non_null(strstr(errs, "/nonexistent/smartofficed.conf: "));
	config_free(&c);
	free(errs);
}

/* A line of exactly the longest length is fine; one more is not. */
static void
test_load_line_length_limit(void **state)
{
	struct config c;
	char *errs, line[5000];
	size_t max;
	int n;

	/* Find the limit the error message states. */
	memset(line, 'a', sizeof line);
	memcpy(line, "voice = ", 8);
	line[sizeof line - 2] = '\n';
	line[sizeof line - 1] = '\0';
	write_file(tmp_path, line);
	config_defaults(&c);
	n = load(&c, tmp_path, &errs);
	assert_int_equal(n, 1);
	assert_int_equal(sscanf(strstr(errs, "longer than ") + strlen("longer than "), "%zu", &max), 1);
	assert_true(max > 100 && max < sizeof line - 2);
	free(errs);
	/* max characters (then the newline) load. */
	line[max] = '\n';
	line[max + 1] = '\0';
	write_file(tmp_path, line);
	n = load(&c, tmp_path, &errs);
	if (n != 0)
		fail_msg("a line of %zu characters: %s", max, errs);
	assert_int_equal(strlen(c.voice), max - 8);
	free(errs);
	/* max + 1 do not, and the next line is still read as line 2. */
	line[max] = 'a';
	line[max + 1] = '\n';
	line[max + 2] = '\0';
	strcat(line, "port = 1234\nport = x\n");
	write_file(tmp_path, line);
	n = load(&c, tmp_path, &errs);
	assert_int_equal(n, 2);
	expect_error_line(errs, tmp_path, 1, "line is longer than");
	expect_error_line(errs, tmp_path, 3, "not a whole number");
	assert_int_equal(c.port, 1234);
	free(errs);
	config_free(&c);
}

static char *
print_to_string(const struct config *c, int defaults)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	if (defaults)
		config_print_defaults(f);
	else
		config_print(c, f);
	fclose(f);
	return buf;
}

static void
test_print_round_trip(void **state)
{
	struct config c, d;
	char *text, *errs;
	int n;

	config_defaults(&c);
	expect_set(&c, "address", "0.0.0.0");
	expect_set(&c, "port", "0");
	expect_set(&c, "web_root", "/srv/web #2");         /* a '#' after a space */
	expect_set(&c, "state_dir", "/var/lib/so dir");
	expect_set(&c, "audio", "file:/tmp/x.wav");
	expect_set(&c, "demo_loop", "no");
	expect_set(&c, "kws_threshold", "1.2345678901234e-42");
	expect_set(&c, "wake_min_llr", "-3.14159265358979");
	expect_set(&c, "cmd_min_confidence", "0.123456789");
	expect_set(&c, "end_silence_ms", "250");
	expect_set(&c, "cmd_timeout_ms", "60000");
	expect_set(&c, "decoder_args", "-lw 8 -beam 1e-60");
	expect_set(&c, "wake_rescore", "no");
	expect_set(&c, "speak", "no");
	expect_set(&c, "voice", "en-gb+m3");
	expect_set(&c, "cue", "no");
	expect_set(&c, "feedback_echo", "yes");
	expect_set(&c, "self_mute", "no");
	expect_set(&c, "private_unlock", "voice");
	expect_set(&c, "log_level", "debug");
	text = print_to_string(&c, 0);
	write_file(tmp_path, text);
	config_defaults(&d);
	n = load(&d, tmp_path, &errs);
	if (n != 0)
		fail_msg("config_print output has errors:\n%s\n%s", errs, text);
	assert_config_equal(&c, &d);
	free(errs);
	free(text);
	config_free(&d);
	config_free(&c);

	/* And the defaults themselves. */
	config_defaults(&c);
	text = print_to_string(&c, 0);
	write_file(tmp_path, text);
	config_defaults(&d);
	expect_set(&d, "port", "1");
	expect_set(&d, "voice", "xx");
	n = load(&d, tmp_path, &errs);
	assert_int_equal(n, 0);
	assert_config_equal(&c, &d);
	free(errs);
	free(text);
	config_free(&d);
	config_free(&c);
}

static void
test_print_defaults(void **state)
{
	struct config c, d;
	char *text = print_to_string(NULL, 1), *errs, *uncommented, *o;
	int n, settings = 0;

	/* Entirely comments (or blank lines). */
	for (const char *p = text; *p; ) {
		const char *eol = strchr(p, '\n');
		if (*p != '#' && *p != '\n')
			fail_msg("not a comment: \"%.*s\"", (int)(eol ? eol - p : (long)strlen(p)), p);
		p = eol ? eol + 1 : p + strlen(p);
	}
	assert_int_equal(text[strlen(text) - 1], '\n');
	write_file(tmp_path, text);
	config_defaults(&c);
	config_defaults(&d);
	n = load(&c, tmp_path, &errs);
	assert_int_equal(n, 0);
	assert_string_equal(errs, "");
	assert_config_equal(&c, &d);
	free(errs);

	/* Uncommented, every "#name = value" line is a valid setting that
	 * gives the default (with the installed data paths). */
	uncommented = malloc(strlen(text) + 1);
	o = uncommented;
	for (const char *p = text; *p; ) {
		const char *eol = strchr(p, '\n') + 1;
		if (p[0] == '#' && p[1] != ' ' && p[1] != '\n' && strstr(p, " = ") < eol) {
			p++;
			settings++;
		}
		memcpy(o, p, (size_t)(eol - p));
		o += eol - p;
		p = eol;
	}
	*o = '\0';
	/* As many as config_print has options. */
	free(text);
	text = print_to_string(&d, 0);
	n = 0;
	for (const char *p = text; *p; p = strchr(p, '\n') + 1)
		n += *p != '#' && *p != '\n';
	assert_true(n > 20);
	assert_int_equal(settings, n);
	write_file(tmp_path, uncommented);
	n = load(&c, tmp_path, &errs);
	if (n != 0)
		fail_msg("%s", errs);
	assert_string_equal(c.catalogue, SO_DATADIR "/catalogue.json");
	assert_string_equal(c.web_root, SO_DATADIR "/web");
	assert_string_equal(c.demo_audio, SO_DATADIR "/demo/session.wav");
	assert_string_equal(c.speech_models, SO_DATADIR "/oww");
	assert_string_equal(c.speech_heads, SO_DATADIR "/heads/heads.json");
	/* The rest equals the compiled-in defaults. */
	free(c.catalogue);
	free(c.web_root);
	free(c.demo_audio);
	free(c.speech_models);
	free(c.speech_heads);
	c.catalogue = strdup(d.catalogue);
	c.web_root = strdup(d.web_root);
	c.demo_audio = strdup(d.demo_audio);
	c.speech_models = strdup(d.speech_models);
	c.speech_heads = strdup(d.speech_heads);
	assert_config_equal(&c, &d);
	free(errs);
	free(uncommented);
	free(text);
	config_free(&c);
	config_free(&d);
}

/* The ranges the documentation states are the ones config_set enforces. */
static void
test_documented_bounds(void **state)
{
	struct config c;
	char *text = print_to_string(NULL, 1), lo[64], hi[64], name[64], err[256];
	int ranges = 0;

	config_defaults(&c);
	for (const char *p = text; *p; p = strchr(p, '\n') + 1) {
		const char *eol = strchr(p, '\n'), *open = NULL, *dots;
		for (const char *q = p; q < eol; q++)
			if (*q == '(')
				open = q;        /* the line's last '(' */
		if (open == NULL || (dots = strstr(open, "..")) == NULL || dots > eol)
			continue;
		/* lo is everything between '(' and "..": it may be 0.5. */
		assert_true(dots - open - 1 > 0 && dots - open - 1 < (long)sizeof lo);
		snprintf(lo, sizeof lo, "%.*s", (int)(dots - open - 1), open + 1);
		assert_int_equal(sscanf(dots + 2, "%63[^)]", hi), 1);
		assert_int_equal(sscanf(eol + 1, "#%63s =", name), 1);
		if (config_set(&c, name, lo, err, sizeof err) != 0 || config_set(&c, name, hi, err, sizeof err) != 0)
			fail_msg("%s: documented range %s..%s, but: %s", name, lo, hi, err);
		if (strpbrk(lo, ".e") == NULL && strpbrk(hi, ".e") == NULL) {
			/* Whole numbers: one past either end is refused. */
			snprintf(lo, sizeof lo, "%lld", atoll(lo) - 1);
			snprintf(hi, sizeof hi, "%lld", atoll(hi) + 1);
			assert_int_equal(config_set(&c, name, lo, err, sizeof err), -1);
			assert_int_equal(config_set(&c, name, hi, err, sizeof err), -1);
		}
		ranges++;
	}
	assert_true(ranges >= 8);
	config_free(&c);
	free(text);
}

/* The committed sample is exactly what the code prints: docs and code in step. */
static void
test_sample_file_matches(void **state)
{
	char *text = print_to_string(NULL, 1), *file;
	FILE *f = fopen(SAMPLE, "rb");
	long len;

	if (f == NULL) {
		free(text);
		fail_msg("%s is missing (run from the repository root); make it with "
		    "`smartofficed --print-config --defaults > %s`", SAMPLE, SAMPLE);
	}
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	file = calloc(1, (size_t)len + 1);
	assert_int_equal(fread(file, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	if (strcmp(file, text) != 0) {
		free(file);
		free(text);
		fail_msg("%s differs from config_print_defaults(); regenerate it with "
		    "`smartofficed --print-config --defaults > %s`", SAMPLE, SAMPLE);
	}
	free(file);
	free(text);
}

/* A reload keeps what a running daemon cannot change, applies the live
 * rows, and names what waits for a restart. */
static void
test_reload_keeps_restart_only(void **state)
{
	struct config run, next;
	char err[256], names[512];

	(void)state;
	config_defaults(&run);
	config_defaults(&next);
	assert_int_equal(config_keep_restart_only(&next, &run, names, sizeof names), 0);
	assert_string_equal(names, "");
	assert_int_equal(config_set(&next, "port", "9999", err, sizeof err), 0);
	assert_int_equal(config_set(&next, "engine", "pocketsphinx", err, sizeof err), 0);
	assert_int_equal(config_set(&next, "ws_rate", "5", err, sizeof err), 0);
	assert_int_equal(config_set(&next, "log_level", "debug", err, sizeof err), 0);
	assert_int_equal(config_set(&next, "private_unlock", "voice", err, sizeof err), 0);
	assert_int_equal(config_set(&next, "catalogue", "/tmp/other.json", err, sizeof err), 0);
	assert_int_equal(config_keep_restart_only(&next, &run, names, sizeof names), 3);
	assert_string_equal(names, "port, ws_rate, engine");
	assert_int_equal(next.port, run.port);
	assert_string_equal(next.engine, run.engine);
	assert_true(next.ws_rate == run.ws_rate);
	/* The live ones are the new values. */
	assert_string_equal(next.log_level, "debug");
	assert_string_equal(next.private_unlock, "voice");
	assert_string_equal(next.catalogue, "/tmp/other.json");
	assert_true(config_is_live("catalogue") && config_is_live("public_url"));
	assert_false(config_is_live("port") || config_is_live("no-such-option"));
	/* A short buffer is cut, the count is still right. */
	assert_int_equal(config_set(&next, "port", "9998", err, sizeof err), 0);
	assert_int_equal(config_keep_restart_only(&next, &run, names, 3), 1);
	assert_int_equal(strlen(names), 2);
	config_free(&run);
	config_free(&next);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_set_bounds),
		cmocka_unit_test_setup_teardown(test_load_errors_with_lines, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_load_quoting_and_comments, setup_tmp, teardown_tmp),
		cmocka_unit_test(test_load_missing_file),
		cmocka_unit_test_setup_teardown(test_load_line_length_limit, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_print_round_trip, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_print_defaults, setup_tmp, teardown_tmp),
		cmocka_unit_test(test_documented_bounds),
		cmocka_unit_test(test_reload_keeps_restart_only),
		cmocka_unit_test(test_sample_file_matches),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
