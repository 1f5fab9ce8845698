/*
 * ingest_arrival.c - has an inbox file finished arriving? (see ingest_arrival.h)
 *
 * "Open for writing by another process" is asked of the kernel with a read lease: Linux
 * refuses F_RDLCK with EAGAIN while any descriptor anywhere (any process, any mount
 * namespace, an sftp-server or rsync receiver running as another user) has the file open
 * for writing. Taking a lease needs the file's owner or CAP_LEASE (root has it) and a file
 * system that supports leases (local ones). Where the lease cannot be taken, every
 * /proc/<pid>/fd is scanned once per run for descriptors on inbox files opened for writing;
 * that sees the processes /proc shows us (all of them as root). Where neither works, only
 * the settle time is left, and the log says so once.
 */
#include "pipeline/stages/ingest_arrival.h"

#include "core/fsutil.h"
#include "core/log.h"
#include "core/mem.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct arrival {
	char *inbox, *inbox_real;
	long long settle;
	int require_done;
	int scanned, scan_partial, warned;
	long long wait_ms; /* the longest a settling file still needs */
	char **writing;	   /* inbox paths open for writing, from /proc */
	size_t nwriting;
};

struct arrival *
arrival_new(const char *inbox, const char *inbox_real, long long settle_seconds, int require_done)
{
	struct arrival *a = xcalloc(1, sizeof(*a));

	a->inbox = xstrdup(inbox);
	a->inbox_real = xstrdup(inbox_real);
	a->settle = settle_seconds < 0 ? 0 : settle_seconds;
	a->require_done = require_done;
	return a;
}

void
arrival_free(struct arrival *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->nwriting; i++)
		free(a->writing[i]);
	free(a->writing);
	free(a->inbox);
	free(a->inbox_real);
	free(a);
}

/* ---- the /proc scan ---- */

/* The access mode of /proc/<pid>/fdinfo/<fd>: 1 opened for writing, 0 not, -1 unknown. */
static int
fdinfo_writes(const char *pid, const char *fd)
{
	char path[96], line[128];
	unsigned long flags;
	int w = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/fdinfo/%s", pid, fd);
	if (!(f = fopen(path, "re")))
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "flags: %lo", &flags) == 1) {
			w = (flags & O_ACCMODE) != O_RDONLY;
			break;
		}
	fclose(f);
	return w;
}

static void
scan_pid(struct arrival *a, const char *pid, size_t il)
{
	char dir[64], link[64], target[4096];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%s/fd", pid);
	if (!(d = opendir(dir))) {
		/* a process that ended meanwhile is no writer; one we may not look at is unknown */
		if (errno == EACCES || errno == EPERM)
			a->scan_partial = 1;
		return;
	}
	while ((de = readdir(d))) {
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "%s/%s", dir, de->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strncmp(target, a->inbox_real, il) != 0 || target[il] != '/')
			continue;
		/* unknown access mode: counted as a writer, the safe side */
		if (fdinfo_writes(pid, de->d_name) == 0)
			continue;
		a->writing = xrealloc(a->writing, (a->nwriting + 1) * sizeof(*a->writing));
		a->writing[a->nwriting++] = xstrdup(target);
	}
	closedir(d);
}

/* Once per run: every inbox file some process has open for writing. */
static void
scan_proc(struct arrival *a)
{
	size_t il = strlen(a->inbox_real);
	struct dirent *de;
	DIR *d;

	a->scanned = 1;
	if (!(d = opendir("/proc"))) {
		a->scan_partial = -1;
		return;
	}
	while ((de = readdir(d)))
		if (de->d_name[0] >= '1' && de->d_name[0] <= '9')
			scan_pid(a, de->d_name, il);
	closedir(d);
}

int
arrival_proc_writing(struct arrival *a, const char *name)
{
	char *path;
	int found = 0;

	if (!a->scanned)
		scan_proc(a);
	if (a->scan_partial < 0)
		return -1;
	path = fs_join(a->inbox_real, name);
	for (size_t i = 0; i < a->nwriting && !found; i++)
		found = !strcmp(a->writing[i], path);
	free(path);
	if (!found && a->scan_partial && !a->warned) {
		a->warned = 1;
		log_warn("ingest", "some processes' open files cannot be seen in /proc (not run "
				   "as root?): a file they are still writing is caught only by "
				   "ingest.settle_seconds");
	}
	return found;
}

/* ---- the lease ---- */

/* 1 open for writing somewhere, 0 not, -1 no lease possible here (not the owner without
 * CAP_LEASE, a file system without leases). */
static int
lease_says_writing(int fd)
{
	int r;

	/* a writer opening the file in the instant the lease is held breaks it with a signal
	 * to us: SIGURG, whose default is to be ignored, instead of SIGIO, which kills */
	if (fcntl(fd, F_SETSIG, SIGURG) < 0)
		return -1;
	r = fcntl(fd, F_SETLEASE, F_RDLCK);
	if (r == 0) {
		fcntl(fd, F_SETLEASE, F_UNLCK);
		return 0;
	}
	return errno == EAGAIN || errno == EBUSY ? 1 : -1;
}

int
arrival_open_for_write(struct arrival *a, const char *path)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC), r;
	size_t il = strlen(a->inbox);

	if (fd < 0)
		return -1;
	r = lease_says_writing(fd);
	close(fd);
	/* the /proc scan knows the inbox's files only */
	if (r < 0 && !strncmp(path, a->inbox, il) && path[il] == '/' && !strchr(path + il + 1, '/'))
		r = arrival_proc_writing(a, path + il + 1);
	return r;
}

/* ---- the checks ---- */

long long
arrival_wait_ms(const struct arrival *a)
{
	return a->wait_ms;
}

void
arrival_again(struct arrival *a)
{
	for (size_t i = 0; i < a->nwriting; i++)
		free(a->writing[i]);
	free(a->writing);
	a->writing = NULL;
	a->nwriting = 0;
	a->scanned = a->scan_partial = 0;
	a->wait_ms = 0;
}

/* Seconds since the file's last change (ctime), by the kernel's clock, not cp_now(): file
 * times are the kernel's. ctime moves with every write, truncation, rename or utime, and
 * no client can set it. A time ahead of the clock counts as now. */
static long long
age_ms(const struct stat *st)
{
	struct timespec now;
	long long age;

	clock_gettime(CLOCK_REALTIME, &now);
	age = ((long long)now.tv_sec - (long long)st->st_ctim.tv_sec) * 1000 +
	      ((long long)now.tv_nsec - (long long)st->st_ctim.tv_nsec) / 1000000;
	return age < 0 ? 0 : age;
}

int
arrival_settled(const char *path, long long settle_seconds)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC), ok;
	struct stat st;

	if (fd < 0)
		return 1; /* missing or unreadable: the caller's own checks say so */
	ok = lease_says_writing(fd) <= 0 && fstat(fd, &st) == 0 &&
	     age_ms(&st) >= settle_seconds * 1000;
	close(fd);
	return ok;
}

int
arrival_settled_fd(int fd, const struct stat *st, long long settle_seconds)
{
	return lease_says_writing(fd) <= 0 && age_ms(st) >= settle_seconds * 1000;
}

int
arrival_ready(struct arrival *a, const char *name, char *why_buf, size_t why_sz, const char **why)
{
	char *path = fs_join(a->inbox, name), *marker = NULL;
	struct stat st;
	long long age;
	int ready = ARRIVAL_NOT_YET, w;

	*why = "";
	if (a->require_done) {
		marker = xasprintf("%s%s", path, DONE_SUFFIX);
		if (!fs_exists(marker)) {
			snprintf(why_buf, why_sz, "waiting for its done marker '%s%s'", name,
				 DONE_SUFFIX);
			*why = why_buf;
			goto out;
		}
	}
	w = arrival_open_for_write(a, path);
	if (w > 0) {
		*why = "still being written (open for writing by another process)";
		goto out;
	}
	if (lstat(path, &st) < 0) {
		*why = "gone from the inbox";
		goto out;
	}
	age = age_ms(&st);
	if (age < a->settle * 1000) {
		snprintf(why_buf, why_sz,
			 "still arriving: changed %lld s ago, less than ingest.settle_seconds "
			 "(%lld)",
			 age / 1000, a->settle);
		*why = why_buf;
		if (a->settle * 1000 - age > a->wait_ms)
			a->wait_ms = a->settle * 1000 - age;
		ready = ARRIVAL_SETTLING;
		goto out;
	}
	ready = ARRIVAL_READY;
out:
	free(marker);
	free(path);
	return ready;
}
