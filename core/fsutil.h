/*
 * fsutil.h - files the crash-safe way.
 *
 * Every output file is written to a temporary name in the same directory, fsynced,
 * renamed over the final name, and the directory fsynced (docs/system.md invariant 3).
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

/* Write all len bytes to fd, retrying short writes and EINTR: 0, or -1 with errno set
 * (the caller names the file in its message). */
int fs_write_fd(int fd, const void *data, size_t len);

/* An output file being written: open, write, then commit (rename) or abort (unlink). */
struct fs_atomic {
	int fd;
	char *path, *tmp;
};
int fs_atomic_open(struct fs_atomic *f, const char *path, mode_t mode);
int fs_atomic_write(struct fs_atomic *f, const void *data, size_t len);
int fs_atomic_commit(struct fs_atomic *f);
void fs_atomic_abort(struct fs_atomic *f);

int fs_write_atomic_nosync(const char *path, const void *data, size_t len, mode_t mode);
/* syncfs() of the file system holding dir: makes every nosync write durable at once. */
int fs_sync_fs(const char *dir);

/* Read a whole file, at most max bytes (CP_ERR_LIMIT past that). NUL-terminated. */
int fs_read_file(const char *path, size_t max, unsigned char **data, size_t *len);
/* The same from an open fd (which stays open); `what` names it in errors. */
int fs_read_fd(int fd, const char *what, size_t max, unsigned char **data, size_t *len);
/* The same for a file of about expect bytes (its st_size): read in one go, then one more
 * read to see the end, instead of growing the buffer a few times. */
int fs_read_fd_sized(int fd, const char *what, size_t max, size_t expect, unsigned char **data,
		     size_t *len);
/* Open an input file for reading without ever blocking in open() (a FIFO renamed over it)
 * and without following a final symlink: *fd is a regular file in blocking mode, else
 * CP_ERR_NOTFOUND (gone), CP_ERR_FORMAT ("not a regular file") or CP_ERR_IO. */
int fs_open_regular(const char *path, int *fd);
/* For an fd opened with O_NONBLOCK: CP_ERR_FORMAT unless a regular file; then blocking. */
int fs_fd_regular(int fd, const char *what);
int fs_exists(const char *path);
/* fsync the directory that holds path. */
int fs_sync_dir_of(const char *path);
/* Remove the temporary files (NAME.tmp.PID) that a killed writer left below dir, whose
 * writer is gone; *removed counts them. A live writer's file is left alone. */
int fs_clean_stale_tmp(const char *dir, long *removed);
/* The writer's pid if name looks like one of our temporary files (NAME.tmp.PID, which the
 * sweep above may delete), else 0. Untrusted names must never look like one (fname_fit). */
long fs_tmp_writer_pid(const char *name);
/* A shipped data file (rel, e.g. "calendar.txt"): the first that exists of
 * $CARDPIPE_DATA/rel, <program dir>/../share/cardpipe/rel (installed or copied with its
 * share/; from <prefix>/lib/cardpipe/, <prefix>/share/cardpipe/rel), <program dir>/../../data/rel (build/bin/ of a source tree) and
 * <compiled-in datadir>/rel ($(PREFIX)/share/cardpipe of make install). Newly allocated
 * canonical path, or NULL with the places tried written to tried. */
char *fs_find_data(const char *rel, char *tried, size_t triedsz);
/* path joined: "a" + "/" + "b", newly allocated. */
char *fs_join(const char *a, const char *b);

#endif
