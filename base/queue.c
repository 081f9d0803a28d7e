#include "base/queue.h"
#include "base/xalloc.h"

#include <stdlib.h>

struct queue {
	pthread_mutex_t lock;
	struct input   *ring;
	size_t          cap, head, len;
	unsigned long   dropped;
};

struct queue *
queue_new(size_t cap)
{
	struct queue *q = xcalloc(1, sizeof *q);

	pthread_mutex_init(&q->lock, NULL);
	q->ring = xcalloc(cap, sizeof *q->ring);
	q->cap = cap;
	return q;
}

void
queue_free(struct queue *q)
{
	if (q == NULL)
		return;
	pthread_mutex_destroy(&q->lock);
	free(q->ring);
	free(q);
}

int
queue_push(struct queue *q, const struct input *in)
{
	int rc = 0;

	pthread_mutex_lock(&q->lock);
	if (q->len == q->cap) {
		/* Bounded: a stalled service thread must not eat memory. */
		q->dropped++;
		rc = -1;
	} else {
		q->ring[(q->head + q->len) % q->cap] = *in;
		q->len++;
	}
	pthread_mutex_unlock(&q->lock);
	return rc;
}

int
queue_pop(struct queue *q, struct input *out)
{
	int rc = 0;

	pthread_mutex_lock(&q->lock);
	if (q->len > 0) {
		*out = q->ring[q->head];
		q->head = (q->head + 1) % q->cap;
		q->len--;
		rc = 1;
	}
	pthread_mutex_unlock(&q->lock);
	return rc;
}

unsigned long
queue_dropped(struct queue *q)
{
	unsigned long d;

	pthread_mutex_lock(&q->lock);
	d = q->dropped;
	pthread_mutex_unlock(&q->lock);
	return d;
}
