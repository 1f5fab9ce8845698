/* lock.c - flock-based run lock with the holder's pid in the file (see lock.h). */
#include "core/lock.h"

#include "core/clock.h"
#include "core/err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

int
run_lock_try(struct run_lock *lk, const char *path, const char *what)
{
	char holder[128] = "", line[160], ts[32];
	ssize_t n;
	int len;

	lk->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lk->fd < 0)
		return cp_err(CP_ERR_IO, "cannot open lock '%s': %s", path, strerror(errno));
	if (flock(lk->fd, LOCK_EX | LOCK_NB) < 0) {
		int busy = errno == EWOULDBLOCK;

		n = pread(lk->fd, holder, sizeof(holder) - 1, 0);
		holder[n > 0 ? n : 0] = '\0';
		holder[strcspn(holder, "\n")] = '\0';
		close(lk->fd);
		lk->fd = -1;
		if (!busy)
			return cp_err(CP_ERR_IO, "cannot lock '%s': %s", path, strerror(errno));
		return cp_err(CP_ERR_BUSY, "another %s is running (%s); this one stops", what,
			      holder[0] ? holder : "holder unknown");
	}
	cp_iso_utc(cp_now(), ts, sizeof(ts));
	len = snprintf(line, sizeof(line), "pid %ld, since %s\n", (long)getpid(), ts);
	if (ftruncate(lk->fd, 0) < 0 || pwrite(lk->fd, line, (size_t)len, 0) != len) {
		/* the lock holds anyway; the note for others is only a courtesy */
	}
	return 0;
}

void
run_lock_release(struct run_lock *lk)
{
	if (lk->fd >= 0) {
		if (ftruncate(lk->fd, 0) < 0) {
			/* nothing to do: the lock goes with the descriptor */
		}
		close(lk->fd);
	}
	lk->fd = -1;
}
