/*
 * lock.h - a run lock: one holder at a time per lock file (flock), released by the kernel
 * when the holder dies, so a killed run never leaves a stale lock behind. The file records
 * the holder's pid, command and start time for the message a second run prints.
 */
#ifndef CP_LOCK_H
#define CP_LOCK_H

#include <signal.h>
#include <stddef.h>

struct run_lock {
	int fd;
};

/* What this process is, for the note in the lock files it takes ("cardpipe render");
 * main sets it once from the command name. */
void run_lock_set_owner(const char *owner);

/* Take the lock at path without waiting. CP_ERR_BUSY, with cp_errmsg() naming the holder
 * ("another nightly run is running (pid 123, cardpipe nightly, since ...)"), if someone
 * has it. */
int run_lock_try(struct run_lock *lk, const char *path, const char *what);

/* Take the lock at path, waiting up to wait_s seconds for its holder (0: not at all). The
 * wait is logged once, naming the holder; *stop (if not NULL) ends it early with
 * CP_ERR_INTERRUPTED. CP_ERR_BUSY naming the holder when the time is up. */
int run_lock_wait(struct run_lock *lk, const char *path, const char *what, long wait_s,
		  volatile sig_atomic_t *stop);
void run_lock_release(struct run_lock *lk);

#endif
