/* lock.c - flock-based run lock with the holder's pid in the file (see lock.h). */
#include "core/lock.h"

#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

static char lock_owner[64] = "cardpipe";

void
run_lock_set_owner(const char *owner)
{
	snprintf(lock_owner, sizeof(lock_owner), "%s", owner);
}

/* The holder's note ("pid 123, cardpipe nightly, since ..."), or "holder unknown". */
static void
read_holder(int fd, char *holder, size_t size)
{
	ssize_t n = pread(fd, holder, size - 1, 0);

	holder[n > 0 ? n : 0] = '\0';
	holder[strcspn(holder, "\n")] = '\0';
	if (!holder[0])
		snprintf(holder, size, "holder unknown");
}

static int
lock_open(struct run_lock *lk, const char *path)
{
	/* O_NOFOLLOW: a lock file planted as a symbolic link would make us truncate its target */
	lk->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lk->fd < 0)
		return cp_err(CP_ERR_IO, "cannot open lock '%s': %s", path, strerror(errno));
	return 0;
}

static void
write_note(struct run_lock *lk)
{
	char line[160], ts[32];
	int len;

	cp_iso_utc(cp_now(), ts, sizeof(ts));
	len = snprintf(line, sizeof(line), "pid %ld, %s, since %s\n", (long)getpid(), lock_owner,
		       ts);
	if (len < 0 || (size_t)len >= sizeof(line))
		len = (int)sizeof(line) - 1;
	if (ftruncate(lk->fd, 0) < 0 || pwrite(lk->fd, line, (size_t)len, 0) != len) {
		/* the lock holds anyway; the note for others is only a courtesy */
	}
}

int
run_lock_try(struct run_lock *lk, const char *path, const char *what)
{
	char holder[128];
	int r;

	if ((r = lock_open(lk, path)) < 0)
		return r;
	if (flock(lk->fd, LOCK_EX | LOCK_NB) < 0) {
		int busy = errno == EWOULDBLOCK;

		r = busy ? 0 : cp_err(CP_ERR_IO, "cannot lock '%s': %s", path, strerror(errno));
		read_holder(lk->fd, holder, sizeof(holder));
		close(lk->fd);
		lk->fd = -1;
		if (r < 0)
			return r;
		return cp_err(CP_ERR_BUSY, "another %s is running (%s); this one stops", what,
			      holder);
	}
	write_note(lk);
	return 0;
}

int
run_lock_wait(struct run_lock *lk, const char *path, const char *what, long wait_s,
	      volatile sig_atomic_t *stop)
{
	struct timespec nap = {0, 100 * 1000 * 1000};
	long long t0;
	char holder[128] = "";
	int r;

	if ((r = lock_open(lk, path)) < 0)
		return r;
	t0 = cp_mono_ms();
	for (;;) {
		if (flock(lk->fd, LOCK_EX | LOCK_NB) == 0)
			break;
		if (errno != EWOULDBLOCK && errno != EINTR) {
			r = cp_err(CP_ERR_IO, "cannot lock '%s': %s", path, strerror(errno));
			goto fail;
		}
		if (!holder[0]) {
			read_holder(lk->fd, holder, sizeof(holder));
			if (wait_s > 0)
				log_warn("lock",
					 "%s is busy (%s): waiting for it, at most %ld s "
					 "(general.lock_wait)",
					 what, holder, wait_s);
		}
		if (cp_mono_ms() - t0 >= wait_s * 1000LL) {
			read_holder(lk->fd, holder, sizeof(holder));
			if (wait_s > 0)
				r = cp_err(
					CP_ERR_BUSY,
					"%s is busy (%s); gave up after %ld s (general.lock_wait)",
					what, holder, wait_s);
			else
				r = cp_err(CP_ERR_BUSY, "%s is busy (%s); this one stops", what,
					   holder);
			goto fail;
		}
		if (stop && *stop) {
			r = cp_err(CP_ERR_INTERRUPTED, "stopped while waiting for %s (%s)", what,
				   holder);
			goto fail;
		}
		nanosleep(&nap, NULL);
	}
	if (holder[0])
		log_info("lock", "%s is free now; going on", what);
	write_note(lk);
	return 0;
fail:
	close(lk->fd);
	lk->fd = -1;
	return r;
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
