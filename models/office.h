/*
 * office — the office's own conferencing data (office.json): the meeting
 * rooms of whatever conferencing system it runs (a join URL each: a Jitsi
 * Meet room, a Teams or Webex link, any https page that runs the call) and
 * the departments it calls (a video and a voice URI: https:, sip:, sips:
 * or tel:), and which screens each department answers for (the context a
 * call is made from: "disaster-safety", "city-projects").
 *
 * Data only: smartofficed starts no call itself, it hands the URI to a
 * trusted display (docs/conference.md).  Errors are "file:line: what".
 */
#ifndef SO_OFFICE_H
#define SO_OFFICE_H

#include <stddef.h>

struct office_room {
	char *id;          /* "mayor-room" */
	char *ko, *en;     /* "시장실 회의", "Mayor's meeting room" */
	char *url;         /* https://meet.example.org/seoul-mayor */
};

struct office_department {
	char  *id;         /* "disaster-response" */
	char  *ko, *en;
	char  *video;      /* https:/sip:/sips: URI, or NULL */
	char  *voice;      /* sip:/sips:/tel:/https: URI, or NULL */
	char **contexts;   /* catalogue content ids this department answers for */
	size_t ncontexts;
};

struct office {
	char *path;
	struct office_room *rooms;
	size_t nrooms;
	struct office_department *depts;
	size_t ndepts;
	char *tv_room;     /* the room "start the meeting" opens on the TV, or NULL */
};

/* Reads PATH.  NULL with every error in err ("file:line: what\n" lines). */
struct office *office_load(const char *path, char *err, size_t errlen);
/* The same from a buffer; NAME is the file name errors carry. */
struct office *office_parse(const char *text, size_t len, const char *name, char *err,
                            size_t errlen);
void office_free(struct office *o);

const struct office_room *office_room(const struct office *o, const char *id);
const struct office_department *office_department(const struct office *o, const char *id);
/* The first department whose contexts include CONTENT, or NULL. */
const struct office_department *office_department_for(const struct office *o, const char *content);
/* 1 when URI is one this module accepts for KIND ("room", "video", "voice"). */
int office_uri_ok(const char *uri, const char *kind);

#endif
