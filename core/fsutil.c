/* fsutil.c - temp-write-fsync-rename files, mkdir -p, bounded reads (see fsutil.h). */
#include "core/fsutil.h"

#include "core/err.h"
#include "core/mem.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
fs_mkdirs(const char *path, mode_t mode)
{
	char *p = xstrdup(path);
	int r = 0;

	for (char *s = p + 1;; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;

			*s = '\0';
			if (mkdir(p, mode) < 0 && errno != EEXIST) {
				r = cp_err(CP_ERR_IO, "cannot create directory '%s': %s", p,
					   strerror(errno));
				break;
			}
			*s = c;
			if (c == '\0')
				break;
		}
	}
	free(p);
	return r;
}

char *
fs_join(const char *a, const char *b)
{
	size_t la = strlen(a);

	return xasprintf("%s%s%s", a, la && a[la - 1] == '/' ? "" : "/", b);
}

int
fs_sync_dir_of(const char *path)
{
	char *copy = xstrdup(path);
	int fd, r = 0;

	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0)
		r = cp_err(CP_ERR_IO, "cannot sync directory of '%s': %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	free(copy);
	return r;
}

int
fs_atomic_open(struct fs_atomic *f, const char *path, mode_t mode)
{
	f->path = xstrdup(path);
	f->tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	f->fd = open(f->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (f->fd < 0) {
		int r = cp_err(CP_ERR_IO, "cannot create '%s': %s", f->tmp, strerror(errno));

		free(f->path);
		free(f->tmp);
		f->path = f->tmp = NULL;
		return r;
	}
	return 0;
}

int
fs_write_fd(int fd, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
fs_atomic_write(struct fs_atomic *f, const void *data, size_t len)
{
	if (fs_write_fd(f->fd, data, len) < 0)
		return cp_err(CP_ERR_IO, "cannot write '%s': %s", f->tmp, strerror(errno));
	return 0;
}

static int
commit(struct fs_atomic *f, int sync)
{
	int r = 0;

	if (sync && fsync(f->fd) < 0)
		r = cp_err(CP_ERR_IO, "cannot sync '%s': %s", f->tmp, strerror(errno));
	if (close(f->fd) < 0 && r == 0)
		r = cp_err(CP_ERR_IO, "cannot close '%s': %s", f->tmp, strerror(errno));
	f->fd = -1;
	if (r == 0 && rename(f->tmp, f->path) < 0)
		r = cp_err(CP_ERR_IO, "cannot rename '%s' to '%s': %s", f->tmp, f->path,
			   strerror(errno));
	if (r == 0 && sync)
		r = fs_sync_dir_of(f->path);
	if (r < 0)
		unlink(f->tmp);
	free(f->path);
	free(f->tmp);
	f->path = f->tmp = NULL;
	return r;
}

int
fs_atomic_commit(struct fs_atomic *f)
{
	return commit(f, 1);
}

void
fs_atomic_abort(struct fs_atomic *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	if (f->tmp)
		unlink(f->tmp);
	free(f->path);
	free(f->tmp);
	f->path = f->tmp = NULL;
}

static int
write_atomic(const char *path, const void *data, size_t len, mode_t mode, int sync)
{
	struct fs_atomic f;
	int r;

	if ((r = fs_atomic_open(&f, path, mode)) < 0)
		return r;
	if ((r = fs_atomic_write(&f, data, len)) < 0) {
		fs_atomic_abort(&f);
		return r;
	}
	return commit(&f, sync);
}

int
fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	return write_atomic(path, data, len, mode, 1);
}

int
fs_write_atomic_nosync(const char *path, const void *data, size_t len, mode_t mode)
{
	return write_atomic(path, data, len, mode, 0);
}

int
fs_sync_fs(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return cp_err(CP_ERR_IO, "cannot open '%s': %s", dir, strerror(errno));
	if (syncfs(fd) < 0)
		r = cp_err(CP_ERR_IO, "cannot sync the file system of '%s': %s", dir,
			   strerror(errno));
	close(fd);
	return r;
}

int
fs_fd_regular(int fd, const char *what)
{
	struct stat st;
	int fl;

	if (fstat(fd, &st) < 0)
		return cp_err(CP_ERR_IO, "cannot stat '%s': %s", what, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return cp_err(CP_ERR_FORMAT, "'%s': not a regular file", what);
	if ((fl = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
		return cp_err(CP_ERR_IO, "'%s': %s", what, strerror(errno));
	return 0;
}

int
fs_open_regular(const char *path, int *fd)
{
	int r;

	*fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (*fd < 0)
		return cp_err(errno == ENOENT ? CP_ERR_NOTFOUND : CP_ERR_IO, "cannot open '%s': %s",
			      path, strerror(errno));
	if ((r = fs_fd_regular(*fd, path)) < 0) {
		close(*fd);
		*fd = -1;
	}
	return r;
}

int
fs_read_file(const char *path, size_t max, unsigned char **data, size_t *len)
{
	int fd, r;

	*data = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cp_err(errno == ENOENT ? CP_ERR_NOTFOUND : CP_ERR_IO, "cannot open '%s': %s",
			      path, strerror(errno));
	r = fs_read_fd(fd, path, max, data, len);
	close(fd);
	return r;
}

int
fs_read_fd(int fd, const char *path, size_t max, unsigned char **data, size_t *len)
{
	return fs_read_fd_sized(fd, path, max, 0, data, len);
}

int
fs_read_fd_sized(int fd, const char *path, size_t max, size_t expect, unsigned char **data,
		 size_t *len)
{
	unsigned char *p = NULL;
	size_t cap = 0, n = 0;
	int r = 0;

	*data = NULL;
	*len = 0;
	if (expect && expect <= max) {
		/* room for the whole file and the read of 0 that ends it */
		cap = expect + 4096;
		p = xmalloc(cap + 1);
	}
	for (;;) {
		ssize_t got;

		if (cap - n < 4096) {
			cap = cap ? cap * 2 : 8192;
			p = xrealloc(p, cap + 1);
		}
		got = read(fd, p + n, cap - n);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			r = cp_err(CP_ERR_IO, "cannot read '%s': %s", path, strerror(errno));
			break;
		}
		if (got == 0)
			break;
		n += (size_t)got;
		if (n > max) {
			r = cp_err(CP_ERR_LIMIT, "'%s' is larger than %zu bytes", path, max);
			break;
		}
	}
	if (r < 0) {
		free(p);
		return r;
	}
	if (!p)
		p = xmalloc(1);
	p[n] = '\0';
	*data = p;
	*len = n;
	return 0;
}

int
fs_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* "name.tmp.1234" -> 1234, or 0 if name is not one of our temporary files. */
long
fs_tmp_writer_pid(const char *name)
{
	const char *t = strstr(name, ".tmp."), *p;
	char *end;
	long pid;

	if (!t)
		return 0;
	for (p = t; (p = strstr(p + 1, ".tmp.")) != NULL;)
		t = p;
	pid = strtol(t + 5, &end, 10);
	return (*end == '\0' && pid > 0) ? pid : 0;
}

int
fs_clean_stale_tmp(const char *dir, long *removed)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int r = 0;

	if (!d)
		return errno == ENOENT
			       ? 0
			       : cp_err(CP_ERR_IO, "cannot read '%s': %s", dir, strerror(errno));
	while (r == 0 && (e = readdir(d)) != NULL) {
		char *path;
		long pid;
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		path = fs_join(dir, e->d_name);
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			r = fs_clean_stale_tmp(path, removed);
		} else if ((pid = fs_tmp_writer_pid(e->d_name)) != 0 &&
			   !(kill((pid_t)pid, 0) == 0 || errno == EPERM)) {
			if (unlink(path) == 0)
				(*removed)++;
		}
		free(path);
	}
	closedir(d);
	return r;
}

/* Where make install puts data/ ($(PREFIX)/share/cardpipe); the Makefile passes it. */
#ifndef CARDPIPE_DATADIR
#define CARDPIPE_DATADIR "/usr/local/share/cardpipe"
#endif

/* The directory of the running program, or "" when /proc/self/exe cannot be read. */
static void
exe_dir(char *dir, size_t dirsz)
{
	ssize_t n = readlink("/proc/self/exe", dir, dirsz - 1);
	char *slash;

	dir[n > 0 ? n : 0] = '\0';
	if ((slash = strrchr(dir, '/')))
		*slash = '\0';
	else
		dir[0] = '\0';
}

char *
fs_find_data(const char *rel, char *tried, size_t triedsz)
{
	enum { NCAND = 4 };
	char exe[PATH_MAX], *cand[NCAND] = {NULL, NULL, NULL, NULL}, *found = NULL;
	const char *env = getenv("CARDPIPE_DATA");

	if (env && env[0])
		cand[0] = fs_join(env, rel);
	exe_dir(exe, sizeof(exe));
	if (exe[0]) {
		char *marker = xasprintf("%s/../../pipeline/cardpipe_main.c", exe);

		size_t n = strlen(exe);
		/* the emulated line's programs live in <prefix>/lib/cardpipe */
		int libexec = n >= 13 && !strcmp(exe + n - 13, "/lib/cardpipe");

		/* installed or copied with its share/: <prefix>/bin/../share/cardpipe */
		cand[1] = xasprintf("%s/%s../share/cardpipe/%s", exe, libexec ? "../" : "", rel);
		/* build/bin/ of a source tree (only there: /usr/bin/../../data is no place) */
		if (fs_exists(marker))
			cand[2] = xasprintf("%s/../../data/%s", exe, rel);
		free(marker);
	}
	cand[3] = xasprintf("%s/%s", CARDPIPE_DATADIR, rel);
	if (triedsz)
		tried[0] = '\0';
	for (size_t i = 0; i < NCAND; i++) {
		if (!cand[i])
			continue;
		if (!found && fs_exists(cand[i])) {
			/* canonical, so messages name the file plainly */
			found = realpath(cand[i], NULL);
			if (!found)
				found = xstrdup(cand[i]);
		} else if (!found && triedsz) {
			size_t l = strlen(tried);

			snprintf(tried + l, triedsz - l, "%s'%s'", l ? ", " : "", cand[i]);
		}
		free(cand[i]);
	}
	return found;
}
