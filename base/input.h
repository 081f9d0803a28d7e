/*
 * input — what the device threads tell the service thread: one typed
 * message, as OpenBSD's imsg types, a tag and the body of that tag.
 *
 * Every kind has its own body in the union; nothing is carried in strings
 * that an enum can say (cursor state, face result, camera state).  The
 * names are the words of the protocol (docs/protocol.md): *_name() gives
 * them, *_parse() reads them back (events files), -1 for an unknown word.
 */
#ifndef SO_INPUT_H
#define SO_INPUT_H

#include <stdint.h>

enum input_kind {
	IN_WAKE,          /* speech: wake phrase accepted */
	IN_COMMAND,       /* speech: id, confidence, text */
	IN_REJECT,        /* speech: reason, text */
	IN_EOF,           /* the audio source ended */
	IN_DEVICE_ERROR,  /* error: the audio source failed */
	IN_SIGNAL,        /* signo */
	IN_GESTURE,       /* gesture */
	IN_FACE,          /* face */
	IN_CAMERA,        /* camera */
	IN_EVENTS_END,    /* --events-file has no more lines */
	IN_MIC,           /* mic: the microphone went away or came back */
	IN_DOOR,          /* door: the shelf door sensor */
	IN_SHELF,         /* shelf: a book taken or put back */
	IN_ENROLL,        /* enroll: a guided face enrollment's progress */
};

enum gesture_kind   { GESTURE_ENGAGE, GESTURE_CURSOR, GESTURE_DISENGAGE };
enum cursor_state   { CURSOR_MOVE, CURSOR_PRESS, CURSOR_RELEASE };
enum face_result    { FACE_VERIFIED, FACE_UNKNOWN, FACE_ABSENT, FACE_FAILED };
enum camera_state   { CAMERA_LOST, CAMERA_BACK, CAMERA_END };
enum mic_state      { MIC_LOST, MIC_BACK };
enum door_event     { DOOR_EV_OPEN, DOOR_EV_CLOSED, DOOR_EV_LOST, DOOR_EV_BACK };
enum shelf_book     { SHELF_BOOK_TAKEN, SHELF_BOOK_RETURNED };
enum enroll_state   { ENROLL_STARTED, ENROLL_POSE, ENROLL_PROGRESS, ENROLL_SKIPPED, ENROLL_DONE,
                      ENROLL_FAILED };

/* IN_WAKE, IN_COMMAND, IN_REJECT: a recognizer's decision. */
struct input_speech {
	double        t_speech_end;
	double        confidence;
	unsigned long ticket;      /* listener's number, echoed in the ack */
	uint64_t      client;      /* remote voice: the bridge client id (0: the room) */
	long long     request_id;  /* remote voice: the id its reply carries (-1: none) */
	char          id[64];      /* IN_COMMAND: the catalogue entry */
	char          reason[32];  /* IN_REJECT: "low-confidence", "no-command", ... */
	char          text[256];   /* what was heard */
};

struct input_gesture {
	enum gesture_kind what;
	enum cursor_state cursor;  /* GESTURE_CURSOR */
	double            x, y;    /* GESTURE_CURSOR: 0..1 of the screen */
	char              reason[32]; /* GESTURE_DISENGAGE: why ("" unknown) */
};

struct input_face {
	enum face_result result;
	char             text[256];  /* FACE_VERIFIED: the enrolled name; else why, or "" */
	char             camera[16]; /* the camera role */
};

struct input_camera {
	enum camera_state state;
	char              role[16];   /* "room", ... */
	char              text[256];  /* CAMERA_LOST: what went wrong */
};

struct input_door {
	enum door_event   state;
	char              text[256];  /* DOOR_EV_LOST: what went wrong */
};

struct input_shelf {
	enum shelf_book   what;
	int               marker;     /* the ArUco id (catalogue "books") */
	double            t_since;    /* taken: when it left its place */
	int               moved;      /* returned: to another slot */
};

struct input_mic {
	enum mic_state state;
	double         gone_s;       /* MIC_BACK: seconds without audio */
	char           text[256];    /* MIC_LOST: what went wrong */
};

/* IN_ENROLL: one step of a guided enrollment (daemon/vision.c). */
struct input_enroll {
	enum enroll_state state;
	int               got, need;  /* frames of `pose` kept so far, wanted */
	int               images;     /* ENROLL_DONE: frames enrolled */
	char              name[64];   /* who is enrolled */
	char              pose[16];   /* "straight", "left", ... ("" none) */
	char              text[256];  /* STARTED, POSE: what to ask; SKIPPED, FAILED: why;
	                               * DONE: the descriptor */
};

struct input {
	enum input_kind kind;
	double          t;           /* stream seconds when decided */
	char            source[16];  /* "voice" (room microphone), "remote-voice", ... */
	union {
		struct input_speech  speech;   /* IN_WAKE, IN_COMMAND, IN_REJECT */
		struct input_gesture gesture;  /* IN_GESTURE */
		struct input_face    face;     /* IN_FACE */
		struct input_camera  camera;   /* IN_CAMERA */
		struct input_mic     mic;      /* IN_MIC */
		struct input_door    door;     /* IN_DOOR */
		struct input_shelf   shelf;    /* IN_SHELF */
		struct input_enroll  enroll;   /* IN_ENROLL */
		char                 error[256]; /* IN_DEVICE_ERROR */
		int                  signo;    /* IN_SIGNAL */
	};
};

const char *gesture_kind_name(enum gesture_kind k);
const char *cursor_state_name(enum cursor_state s);
const char *face_result_name(enum face_result r);
const char *camera_state_name(enum camera_state s);
const char *mic_state_name(enum mic_state s);
const char *door_event_name(enum door_event e);
const char *shelf_book_name(enum shelf_book b);
const char *enroll_state_name(enum enroll_state s);
int gesture_kind_parse(const char *s);
int cursor_state_parse(const char *s);
int face_result_parse(const char *s);
int camera_state_parse(const char *s);
int mic_state_parse(const char *s);
int door_event_parse(const char *s);
int enroll_state_parse(const char *s);

#endif
