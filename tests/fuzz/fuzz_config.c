/*
 * fuzz_config — a smartofficed.conf (daemon/config.c: config_load).
 *
 * Invariants: whatever the file, the values in effect afterwards print
 * (config_print, what --print-config shows) as a file that loads with no
 * error and prints the same again: a configuration the daemon accepted can
 * always be written out and read back.
 */
#include "tests/fuzz/fuzz.h"

#include "daemon/config.h"

static FILE *devnull;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc; (void)argv;
	devnull = fopen("/dev/null", "w");
	return 0;
}

/* config_print of c, malloc'd. */
static char *
printed(const struct config *c, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	FUZZ_CHECK(f != NULL);
	config_print(c, f);
	FUZZ_CHECK(fclose(f) == 0);
	return buf;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c, back;
	const char *path = FUZZ_FILE("smartofficed.conf", data, size);
	char *text, *text2;
	size_t len, len2;

	config_defaults(&c);
	int nerr = config_load(&c, path, getenv("FUZZ_DEBUG") != NULL ? stderr : devnull);

	FUZZ_SAY(nerr == 0, "errors above");
	text = printed(&c, &len);
	path = FUZZ_FILE("printed.conf", text, len);
	config_defaults(&back);
	FUZZ_CHECK(config_load(&back, path, stderr) == 0);
	text2 = printed(&back, &len2);
	FUZZ_CHECK(len == len2 && memcmp(text, text2, len) == 0);
	free(text);
	free(text2);
	config_free(&back);
	config_free(&c);
	return 0;
}
