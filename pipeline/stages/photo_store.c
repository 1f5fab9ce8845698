/* photo_store.c - the stored photos' layout (see photo_store.h). */
#include "pipeline/stages/photo_store.h"

#include "core/err.h"
#include "core/fsutil.h"
#include "core/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

char *
photo_store_rel(const char *sha)
{
	return xasprintf("%.2s/%s.jpg", sha, sha);
}

/* Where a photo stored by the sub-folder layout lives. */
static char *
sharded_path(const char *dir, const char *sha)
{
	char *rel = photo_store_rel(sha), *path = fs_join(dir, rel);

	free(rel);
	return path;
}

/* Where an earlier version stored it: one flat folder. */
static char *
flat_path(const char *dir, const char *sha)
{
	return xasprintf("%s/%s.jpg", dir, sha);
}

char *
photo_store_find(const char *dir, const char *sha)
{
	char *path = sharded_path(dir, sha), *flat;
	struct stat st;

	if (lstat(path, &st) == 0)
		return path;
	flat = flat_path(dir, sha);
	if (lstat(flat, &st) == 0) {
		free(path);
		return flat;
	}
	free(flat);
	return path;
}

int
photo_store_read(const char *dir, const char *sha, size_t max, unsigned char **data, size_t *len)
{
	char *path = sharded_path(dir, sha);
	int r = fs_read_file(path, max, data, len);

	if (r == CP_ERR_NOTFOUND) {
		char *flat = flat_path(dir, sha);

		r = fs_read_file(flat, max, data, len);
		free(flat);
	}
	free(path);
	return r;
}

int
photo_store_present(int dirfd, const char *dir, const char *sha)
{
	char rel[160];
	struct stat st;
	int r;

	snprintf(rel, sizeof(rel), "%.2s/%.64s.jpg", sha, sha);
	r = fstatat(dirfd, rel, &st, 0);
	if (r < 0 && errno == ENOENT) {
		snprintf(rel, sizeof(rel), "%.64s.jpg", sha);
		r = fstatat(dirfd, rel, &st, 0);
	}
	if (r < 0 && errno == ENOENT)
		return CP_ERR_NOTFOUND;
	if (r < 0)
		return cp_err(CP_ERR_IO, "cannot look at '%s/%s': %s", dir, rel, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return cp_err(CP_ERR_IO, "'%s/%s' is not a regular file", dir, rel);
	return 0;
}
