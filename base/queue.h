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

#include "base/input.h"

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
