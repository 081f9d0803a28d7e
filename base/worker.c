#include "base/worker.h"

#include <errno.h>

int
worker_start(struct worker *w, void *(*fn)(void *), void *arg)
{
	int e;

	atomic_store(&w->stop, 0);
	if ((e = pthread_create(&w->thread, NULL, fn, arg)) != 0) {
		errno = e;
		return -1;
	}
	w->running = 1;
	return 0;
}

int
worker_stopping(struct worker *w)
{
	return atomic_load(&w->stop);
}

void
worker_stop(struct worker *w)
{
	if (w == NULL || !w->running)
		return;
	atomic_store(&w->stop, 1);
	if (w->wake != NULL)
		w->wake(w->wake_arg);
	pthread_join(w->thread, NULL);
	w->running = 0;
}
