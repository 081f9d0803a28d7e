/*
 * fuzz_events — an --events-file script (devices/events_file.c:
 * events_file_open, which reads and checks every line before anything is
 * replayed).
 *
 * Invariant: a refused script has a message naming FILE:LINE or the
 * problem.  (The replay thread is not started: it only copies the parsed
 * inputs into the queue.)
 */
#include "tests/fuzz/fuzz.h"

#include "devices/events_file.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	const char *path = FUZZ_FILE("events.jsonl", data, size);
	struct events_file *ef;

	err[0] = '\0';
	ef = events_file_open(path, NULL, NULL, NULL, 0, err, sizeof err);
	FUZZ_CHECK_STR(err);
	FUZZ_SAY(ef != NULL, err);
	if (ef == NULL)
		FUZZ_CHECK(err[0] != '\0');
	events_file_free(ef);
	return 0;
}
