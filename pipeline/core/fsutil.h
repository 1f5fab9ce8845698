/*
 * fsutil.h - files the crash-safe way.
 *
 * Every output file is written to a temporary name in the same directory, fsynced,
 * renamed over the final name, and the directory fsynced (design.md invariant 3).
 * Files that may hold personal data are created 0600.
 */
#ifndef CP_FSUTIL_H
#define CP_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

/* mkdir -p with mode for created directories. */
int fs_mkdirs(const char *path, mode_t mode);
/* Atomically replace path with len bytes of data (mode for the new file). */
int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode);

/* An output file being written: open, write, then commit (rename) or abort (unlink). */
struct fs_atomic {
	int fd;
	char *path, *tmp;
};
int fs_atomic_open(struct fs_atomic *f, const char *path, mode_t mode);
int fs_atomic_write(struct fs_atomic *f, const void *data, size_t len);
int fs_atomic_commit(struct fs_atomic *f);
void fs_atomic_abort(struct fs_atomic *f);

/* Read a whole file, at most max bytes (CP_ERR_LIMIT past that). NUL-terminated. */
int fs_read_file(const char *path, size_t max, unsigned char **data, size_t *len);
int fs_exists(const char *path);
/* fsync the directory that holds path. */
int fs_sync_dir_of(const char *path);
/* Remove the temporary files (NAME.tmp.PID) that a killed writer left below dir, whose
 * writer is gone; *removed counts them. A live writer's file is left alone. */
int fs_clean_stale_tmp(const char *dir, long *removed);
/* path joined: "a" + "/" + "b", newly allocated. */
char *fs_join(const char *a, const char *b);

#endif
