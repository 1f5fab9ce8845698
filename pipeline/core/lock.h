/*
 * lock.h - a run lock: one holder at a time per lock file (flock), released by the kernel
 * when the holder dies, so a killed nightly never leaves a stale lock behind. The file
 * records the holder's pid and start time for the message a second run prints.
 */
#ifndef CP_LOCK_H
#define CP_LOCK_H

#include <stddef.h>

struct run_lock {
	int fd;
};

/* Take the lock at path without waiting. CP_ERR_BUSY, with cp_errmsg() naming the holder
 * ("another nightly run holds ... (pid 123, since ...)"), if someone has it. */
int run_lock_try(struct run_lock *lk, const char *path, const char *what);
void run_lock_release(struct run_lock *lk);

#endif
