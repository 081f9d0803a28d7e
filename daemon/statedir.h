/*
 * statedir — one daemon per state directory.
 *
 * The running daemon's files in STATE_DIR (admin.cookie, url) are its
 * own: a second daemon started on the same directory would replace them
 * and remove them when it stops, locking the first one's command line
 * out.  So the daemon holds flock(2) on STATE_DIR/lock, which names its
 * pid, for as long as it runs; a second one is refused at start, naming
 * the directory and that pid.  The kernel drops the lock with the process,
 * so a daemon killed with kill -9 leaves nothing that stops the next.
 */
#ifndef SO_STATEDIR_H
#define SO_STATEDIR_H
#include <stddef.h>

#define STATEDIR_LOCK_FILE "lock"

/* Takes the lock: its descriptor; -1 when another daemon holds it (err:
 * "state directory DIR is in use by another smartofficed (pid N, ...)");
 * -2 when there is no lock to take (the file cannot be opened or locked:
 * err says why). */
int  statedir_lock(const char *dir, char *err, size_t errlen);
/* Lets it go (fd from statedir_lock; -1 does nothing). */
void statedir_unlock(int fd);
#endif
