/*
 * statedir — one daemon per state directory (statedir.h).
 */
#include "daemon/statedir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "base/log.h"

int
statedir_lock(const char *dir, char *err, size_t errlen)
{
	char path[4096], line[32], pid[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "%s/%s", dir, STATEDIR_LOCK_FILE);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		log_seterr(err, errlen, "%s: %s", path, strerror(errno));
		return -2;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		if (e != EWOULDBLOCK) {
			log_seterr(err, errlen, "%s: flock: %s", path, strerror(e));
			close(fd);
			return -2;
		}
		n = pread(fd, line, sizeof line - 1, 0);
		line[n > 0 ? n : 0] = '\0';
		line[strcspn(line, "\r\n")] = '\0';
		snprintf(pid, sizeof pid, "%s", line[0] && strspn(line, "0123456789") == strlen(line) ?
		    line : "unknown");
		log_seterr(err, errlen, "state directory %s is in use by another smartofficed (pid %s, %s): "
		    "stop that one first, or give this one its own --state-dir", dir, pid, path);
		close(fd);
		return -1;
	}
	/* Ours: the pid for the next one's message. */
	n = snprintf(line, sizeof line, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, line, (size_t)n, 0) != n)
		log_warn("%s", path);	/* the lock holds all the same */
	return fd;
}

void
statedir_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}
