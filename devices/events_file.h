/*
 * events_file — scripted input events: the file/replay backend of the
 * devices that are not audio or video (gesture sensor, face results, the
 * shelf door), so that a dashboard can be driven without a camera.  One
 * JSON object per line, in time order:
 *
 *   {"t":1.0,"type":"engage"}
 *   {"t":1.2,"type":"cursor","x":0.25,"y":0.5,"state":"move"}
 *   {"t":2.0,"type":"cursor","x":0.25,"y":0.5,"state":"press"}
 *   {"t":2.1,"type":"disengage"}
 *   {"t":3.0,"type":"face","face":"verified","name":"mayor"}
 *   {"t":4.0,"type":"door","state":"open"}       (open, closed, lost, back)
 *
 * Empty lines and lines starting with '#' are skipped.  A bad line is an
 * error naming FILE:LINE, reported before anything is replayed.  At the
 * end an IN_EVENTS_END input is pushed, so
 * that --exit-at-eof waits for the script too.
 */
#ifndef SO_EVENTS_FILE_H
#define SO_EVENTS_FILE_H

#include <stddef.h>

struct queue;
struct events_file;

/* Reads and checks the whole file; NULL with err ("FILE:LINE: reason"). */
struct events_file *events_file_open(const char *path, struct queue *q, void (*wake)(void *),
                                     void *wake_ud, int realtime, char *err, size_t errlen);
/* Starts replaying (a thread): t is seconds after this call. */
int  events_file_start(struct events_file *ef);
/* Stops the thread (if running) and frees everything. */
void events_file_free(struct events_file *ef);

#endif
