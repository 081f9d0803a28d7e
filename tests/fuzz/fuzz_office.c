/*
 * fuzz_office — office.json (models/office.c: office_parse, office_load),
 * the conference rooms and department contacts the daemon hands to
 * trusted displays (docs/conference.md).
 *
 * Invariants: a refused file has an error message that names the file;
 * an accepted one has only ids of a-z, 0-9 and '-', unique within rooms
 * and within departments, each found again by its look-up; every room's
 * URL and every department's URIs pass office_uri_ok (what a page puts in
 * an iframe or a link is never anything else); every department can be
 * called; tv_room, when set, is a room; a department found by a context
 * lists it; and loading the same bytes from a file gives the same result.
 */
#include "tests/fuzz/fuzz.h"

#include "models/office.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[4096], err2[4096];
	struct office *o = office_parse((const char *)data, size, "office.json", err, sizeof err);
	struct office *o2;
	const char *path;

	FUZZ_CHECK_STR(err);
	FUZZ_SAY(o != NULL, err);
	if (o == NULL) {
		FUZZ_CHECK(strncmp(err, "office.json", 11) == 0);
		return 0;
	}
	for (size_t i = 0; i < o->nrooms; i++) {
		const struct office_room *r = &o->rooms[i];
		FUZZ_CHECK(r->id[0] != '\0' && strspn(r->id, "abcdefghijklmnopqrstuvwxyz0123456789-") ==
		    strlen(r->id));
		FUZZ_CHECK(office_room(o, r->id) == r);
		FUZZ_CHECK(r->ko[0] != '\0' && r->en[0] != '\0');
		FUZZ_CHECK(office_uri_ok(r->url, "room") && strncmp(r->url, "https://", 8) == 0);
	}
	for (size_t i = 0; i < o->ndepts; i++) {
		const struct office_department *dp = &o->depts[i];
		FUZZ_CHECK(office_department(o, dp->id) == dp);
		FUZZ_CHECK(dp->video != NULL || dp->voice != NULL);
		FUZZ_CHECK(dp->video == NULL || office_uri_ok(dp->video, "video"));
		FUZZ_CHECK(dp->voice == NULL || office_uri_ok(dp->voice, "voice"));
		for (size_t j = 0; j < dp->ncontexts; j++) {
			const struct office_department *by = office_department_for(o, dp->contexts[j]);
			int listed = 0;
			FUZZ_CHECK(by != NULL);
			for (size_t k = 0; k < by->ncontexts; k++)
				listed |= strcmp(by->contexts[k], dp->contexts[j]) == 0;
			FUZZ_CHECK(listed);
		}
	}
	FUZZ_CHECK(o->tv_room == NULL || office_room(o, o->tv_room) != NULL);
	path = FUZZ_FILE("office.json", data, size);
	o2 = office_load(path, err2, sizeof err2);
	FUZZ_CHECK(o2 != NULL && o2->nrooms == o->nrooms && o2->ndepts == o->ndepts);
	office_free(o2);
	office_free(o);
	return 0;
}
