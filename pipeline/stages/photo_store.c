/* photo_store.c - the stored photos' layout (see photo_store.h). */
#include "pipeline/stages/photo_store.h"

#include "core/err.h"
#include "core/fsutil.h"
#include "core/hex.h"
#include "core/mem.h"
#include "personalization/crypto/hash.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* "<ab>/<sha>.jpg", relative to the photo folder. */
static char *
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

/* ---- packs (docs/photo-pack.md) ---- */

static const char pack_magic[4] = {'c', 'p', 'p', 'h'};

struct photo_pack {
	int fd;
	char *name; /* "<stem>.pack" */
	char *path; /* for messages */
	off_t size; /* where the next entry goes */
	int dirty;  /* appended since the last sync (atomic) */
	int broken; /* a write failed: where the file ends is not known */
};

int
photo_pack_create(int dirfd, const char *dir, const char *stem, struct photo_pack **out)
{
	struct photo_pack *pk;
	int pfd, made, r = 0;

	*out = NULL;
	made = mkdirat(dirfd, PHOTO_PACK_DIR, 0700) == 0;
	if (!made && errno != EEXIST)
		return cp_err(CP_ERR_IO, "cannot create '%s/%s': %s", dir, PHOTO_PACK_DIR,
			      strerror(errno));
	if (made && fsync(dirfd) < 0)
		return cp_err(CP_ERR_IO, "cannot sync '%s': %s", dir, strerror(errno));
	pfd = openat(dirfd, PHOTO_PACK_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0)
		return cp_err(CP_ERR_IO, "cannot open '%s/%s': %s", dir, PHOTO_PACK_DIR,
			      strerror(errno));
	pk = xcalloc(1, sizeof(*pk));
	pk->name = xasprintf("%s.pack", stem);
	pk->path = xasprintf("%s/%s/%s", dir, PHOTO_PACK_DIR, pk->name);
	pk->fd = openat(pfd, pk->name, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
	if (pk->fd < 0)
		r = cp_err(errno == EEXIST ? CP_ERR_EXISTS : CP_ERR_IO, "cannot create '%s': %s",
			   pk->path, strerror(errno));
	else if (fsync(pfd) < 0) /* the name, before any commit names it */
		r = cp_err(CP_ERR_IO, "cannot sync '%s/%s': %s", dir, PHOTO_PACK_DIR,
			   strerror(errno));
	close(pfd);
	if (r < 0) {
		photo_pack_close(pk);
		return r;
	}
	*out = pk;
	return 0;
}

int
photo_pack_append(struct photo_pack *pk, const char *sha, const void *data, size_t len, char **loc)
{
	unsigned char head[PHOTO_PACK_ENTRY_HEAD];
	off_t at = pk->size;

	*loc = NULL;
	if (pk->broken)
		return cp_err(CP_ERR_IO, "'%s': an earlier write failed", pk->path);
	if (len > PHOTO_PACK_MAX)
		return cp_err(CP_ERR_LIMIT, "a photo of %zu bytes does not fit a pack entry", len);
	if (strlen(sha) != 64 || hex_decode(sha, head + 8, 32) != 32)
		return cp_err(CP_ERR_INVALID, "photo hash '%.80s' is not a SHA-256", sha);
	memcpy(head, pack_magic, 4);
	for (int i = 0; i < 4; i++)
		head[4 + i] = (unsigned char)(len >> (8 * i));
	if (fs_write_fd(pk->fd, head, sizeof(head)) < 0 || fs_write_fd(pk->fd, data, len) < 0) {
		pk->broken =
			1; /* part of an entry may be written: where the file ends is unknown */
		return cp_err(CP_ERR_IO, "cannot write '%s': %s", pk->path, strerror(errno));
	}
	pk->size = at + (off_t)(sizeof(head) + len);
	__atomic_store_n(&pk->dirty, 1, __ATOMIC_RELEASE);
	*loc = xasprintf("%s:%lld", pk->name, (long long)at);
	return 0;
}

int
photo_pack_sync(struct photo_pack *pk)
{
	if (!__atomic_exchange_n(&pk->dirty, 0, __ATOMIC_ACQ_REL))
		return 0;
	if (fdatasync(pk->fd) < 0) {
		__atomic_store_n(&pk->dirty, 1, __ATOMIC_RELEASE);
		return cp_err(CP_ERR_IO, "cannot sync '%s': %s", pk->path, strerror(errno));
	}
	return 0;
}

void
photo_pack_close(struct photo_pack *pk)
{
	if (!pk)
		return;
	if (pk->fd >= 0)
		close(pk->fd);
	free(pk->name);
	free(pk->path);
	free(pk);
}

/* "NAME:OFFSET" into the pack's path under the folder and the offset; a name is letters,
 * digits, '.', '-' and '_' (what photo_pack_create() makes), never a path. */
static int
parse_loc(const char *loc, char **rel, long long *offset)
{
	const char *colon = strrchr(loc, ':');
	char *end;
	size_t n = colon ? (size_t)(colon - loc) : 0;

	if (!colon || n == 0 || n > 200 ||
	    strspn(loc, "abcdefghijklmnopqrstuvwxyz"
			"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != n ||
	    loc[0] == '.' || colon[1] < '0' || colon[1] > '9')
		return cp_err(CP_ERR_INTEGRITY, "photo place '%.80s' is not NAME:OFFSET", loc);
	errno = 0;
	*offset = strtoll(colon + 1, &end, 10);
	if (*end || errno)
		return cp_err(CP_ERR_INTEGRITY, "photo place '%.80s' is not NAME:OFFSET", loc);
	*rel = xasprintf("%s/%.*s", PHOTO_PACK_DIR, (int)n, loc);
	return 0;
}

/* Open the pack of loc and read the entry's head: its length, once the head names sha. */
static int
open_entry(int dirfd, const char *dir, const char *loc, const char *sha, int *fd, long long *offset,
	   size_t *len)
{
	unsigned char head[PHOTO_PACK_ENTRY_HEAD], want[32];
	char *rel = NULL;
	ssize_t n;
	int r;

	*fd = -1;
	if ((r = parse_loc(loc, &rel, offset)) < 0)
		return r;
	if (strlen(sha) != 64 || hex_decode(sha, want, sizeof(want)) != 32) {
		r = cp_err(CP_ERR_INTEGRITY, "photo hash '%.80s' is not a SHA-256", sha);
		goto out;
	}
	*fd = openat(dirfd, rel, O_RDONLY | O_CLOEXEC);
	if (*fd < 0) {
		r = cp_err(errno == ENOENT ? CP_ERR_NOTFOUND : CP_ERR_IO, "cannot open '%s/%s': %s",
			   dir, rel, strerror(errno));
		goto out;
	}
	n = pread(*fd, head, sizeof(head), (off_t)*offset);
	if (n < 0) {
		r = cp_err(CP_ERR_IO, "cannot read '%s/%s': %s", dir, rel, strerror(errno));
	} else if ((size_t)n < sizeof(head) || memcmp(head, pack_magic, 4) != 0) {
		/* the integrity messages name the place, not the folder: prepare's reason for
		 * the record goes into the rejects file its channel gets */
		r = cp_err(CP_ERR_INTEGRITY, "photo %.64s (%s): no photo entry there", sha, loc);
	} else if (memcmp(head + 8, want, 32) != 0) {
		r = cp_err(CP_ERR_INTEGRITY, "photo %.64s (%s): the entry there is another photo's",
			   sha, loc);
	} else {
		*len = (size_t)head[4] | (size_t)head[5] << 8 | (size_t)head[6] << 16 |
		       (size_t)head[7] << 24;
		r = 0;
	}
out:
	if (r < 0 && *fd >= 0) {
		close(*fd);
		*fd = -1;
	}
	free(rel);
	return r;
}

int
photo_store_read_at(const char *dir, const char *loc, const char *sha, size_t max,
		    unsigned char **data, size_t *len)
{
	unsigned char *buf = NULL, got[32], want[32];
	long long offset;
	size_t n = 0;
	ssize_t rd = 0;
	int dirfd, fd = -1, r;

	*data = NULL;
	*len = 0;
	if (!loc) {
		if ((r = photo_store_read(dir, sha, max, &buf, &n)) < 0)
			return r;
		fd = -1;
		loc = "a file of an earlier release";
		goto check;
	}
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return cp_err(errno == ENOENT ? CP_ERR_NOTFOUND : CP_ERR_IO, "cannot open '%s': %s",
			      dir, strerror(errno));
	r = open_entry(dirfd, dir, loc, sha, &fd, &offset, &n);
	close(dirfd);
	if (r < 0)
		return r;
	if (n > max) {
		r = cp_err(CP_ERR_LIMIT, "photo %.64s is %zu bytes, more than %zu", sha, n, max);
		goto out;
	}
	buf = xmalloc(n ? n : 1);
	for (size_t done = 0; done < n; done += (size_t)rd) {
		rd = pread(fd, buf + done, n - done,
			   (off_t)(offset + PHOTO_PACK_ENTRY_HEAD + (long long)done));
		if (rd < 0 && errno == EINTR) {
			rd = 0;
			continue;
		}
		if (rd <= 0) {
			r = rd < 0 ? cp_err(CP_ERR_IO, "cannot read photo %.64s (%s): %s", sha, loc,
					    strerror(errno))
				   : cp_err(CP_ERR_INTEGRITY,
					    "photo %.64s (%s): the pack ends inside it", sha, loc);
			goto out;
		}
	}
check:
	/* the bytes, not only the head: a pack damaged inside an entry is caught here */
	if ((r = cp_sha256(buf, n, got)) < 0)
		goto out;
	(void)hex_decode(sha, want, sizeof(want));
	if (memcmp(got, want, 32) != 0) {
		r = cp_err(CP_ERR_INTEGRITY, "photo %.64s (%s): its bytes are damaged", sha, loc);
		goto out;
	}
	*data = buf;
	*len = n;
	buf = NULL;
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return r;
}

int
photo_store_present_at(int dirfd, const char *dir, const char *loc, const char *sha)
{
	long long offset;
	struct stat st;
	size_t n = 0;
	int fd, r;

	if (!loc)
		return photo_store_present(dirfd, dir, sha);
	if ((r = open_entry(dirfd, dir, loc, sha, &fd, &offset, &n)) < 0)
		return r;
	if (fstat(fd, &st) < 0)
		r = cp_err(CP_ERR_IO, "cannot look at the pack of %s under '%s': %s", loc, dir,
			   strerror(errno));
	else if ((long long)st.st_size < offset + PHOTO_PACK_ENTRY_HEAD + (long long)n)
		r = cp_err(CP_ERR_INTEGRITY, "photo %.64s (%s): the pack ends inside it", sha, loc);
	close(fd);
	return r;
}
