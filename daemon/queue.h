/*
 * queue — what device threads tell the service thread.
 *
 * Device threads own nothing but their device: they push copies of what
 * they found (an input event) under the queue's mutex and then wake the
 * service thread (bridge_wakeup, i.e. lws_cancel_service).  The service
 * thread pops everything in LWS_CALLBACK_EVENT_WAIT_CANCELLED.
 */
#ifndef SO_QUEUE_H
#define SO_QUEUE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

enum input_kind {
	IN_WAKE,          /* wake phrase accepted */
	IN_COMMAND,       /* text, id, confidence */
	IN_REJECT,        /* reason, text */
	IN_EOF,           /* the audio source ended */
	IN_DEVICE_ERROR,  /* text: what went wrong */
	IN_SIGNAL,        /* signo */
	IN_GESTURE,       /* id: "engage", "cursor", "disengage"; x, y; reason:
	                   * cursor state "move", "press", "release" (or why
	                   * it disengaged) */
	IN_FACE,          /* reason: "verified", "unknown", "absent", "failed";
	                   * text: the enrolled name when verified */
	IN_CAMERA,        /* reason: "lost", "back", "end"; id: the camera role;
	                   * text: what went wrong */
};

struct input {
	enum input_kind kind;
	double  t;              /* stream seconds when decided */
	double  t_speech_end;
	double  confidence;
	double  x, y;           /* IN_GESTURE: 0..1 of the screen */
	int     signo;
	unsigned long ticket;   /* listener's number, echoed in the ack */
	uint64_t client;        /* remote voice: the bridge client id (0: the room) */
	long long request_id;   /* remote voice: the id its reply carries (-1: none) */
	char    source[16];     /* "voice" (room microphone), "remote-voice", ... */
	char    id[64];
	char    reason[32];
	char    text[256];
};

struct queue;

struct queue *queue_new(size_t cap);
void          queue_free(struct queue *q);
/* Any thread.  0, or -1 when full (the input is dropped and counted). */
int           queue_push(struct queue *q, const struct input *in);
/* Service thread.  1 with *out, or 0 when empty. */
int           queue_pop(struct queue *q, struct input *out);
/* Inputs dropped because the queue was full. */
unsigned long queue_dropped(struct queue *q);

#endif
