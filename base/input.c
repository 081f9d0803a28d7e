#include "base/input.h"

#include <string.h>

static const char *const gestures[] = { "engage", "cursor", "disengage" };
static const char *const cursors[]  = { "move", "press", "release" };
static const char *const faces[]    = { "verified", "unknown", "absent", "failed" };
static const char *const cameras[]  = { "lost", "back", "end" };
static const char *const mics[]     = { "lost", "back" };
static const char *const doors[]    = { "open", "closed", "lost", "back" };
static const char *const books[]    = { "taken", "returned" };
static const char *const enrolls[]  = { "started", "pose", "progress", "skipped", "done", "failed" };

#define N(a) ((int)(sizeof(a) / sizeof(a)[0]))

static const char *
name(const char *const *names, int n, int v)
{
	return v >= 0 && v < n ? names[v] : "?";
}

static int
parse(const char *const *names, int n, const char *s)
{
	for (int i = 0; s != NULL && i < n; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

const char *gesture_kind_name(enum gesture_kind k) { return name(gestures, N(gestures), (int)k); }
const char *cursor_state_name(enum cursor_state s) { return name(cursors, N(cursors), (int)s); }
const char *face_result_name(enum face_result r)   { return name(faces, N(faces), (int)r); }
const char *camera_state_name(enum camera_state s) { return name(cameras, N(cameras), (int)s); }
const char *mic_state_name(enum mic_state s)       { return name(mics, N(mics), (int)s); }
int gesture_kind_parse(const char *s) { return parse(gestures, N(gestures), s); }
int cursor_state_parse(const char *s) { return parse(cursors, N(cursors), s); }
int face_result_parse(const char *s)  { return parse(faces, N(faces), s); }
int camera_state_parse(const char *s) { return parse(cameras, N(cameras), s); }
int mic_state_parse(const char *s)    { return parse(mics, N(mics), s); }
const char *door_event_name(enum door_event e)     { return name(doors, N(doors), (int)e); }
const char *shelf_book_name(enum shelf_book b)     { return name(books, N(books), (int)b); }
int door_event_parse(const char *s)   { return parse(doors, N(doors), s); }
const char *enroll_state_name(enum enroll_state s) { return name(enrolls, N(enrolls), (int)s); }
int enroll_state_parse(const char *s) { return parse(enrolls, N(enrolls), s); }
