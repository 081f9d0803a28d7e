/*
 * worker — one thread with a stop flag: start, ask to stop, join.
 *
 * The thread's loop checks worker_stopping(); a thread that sleeps on a
 * condition variable sets wake (called by worker_stop after the flag is
 * set, so it should lock the mutex the thread waits with and broadcast:
 * then no wake-up is lost).  worker_stop is idempotent and does nothing
 * for a worker that never started.
 */
#ifndef SO_WORKER_H
#define SO_WORKER_H

#include <pthread.h>
#include <stdatomic.h>

struct worker {
	pthread_t   thread;
	atomic_int  stop;
	int         running;
	void      (*wake)(void *arg);   /* optional */
	void       *wake_arg;
};

/* Starts fn(arg) in a thread: 0, or -1 with errno (nothing started). */
int  worker_start(struct worker *w, void *(*fn)(void *), void *arg);
/* The thread's side: has a stop been asked? */
int  worker_stopping(struct worker *w);
/* Sets the flag, wakes the thread (w->wake) and joins it. */
void worker_stop(struct worker *w);

#endif
