/*
 * prepare_photos.c - reading and checking a chunk's photos in parallel, with a bounded
 * verdict cache (see prepare_photos.h). Decoding photos is most of prepare's CPU and needs
 * nothing but the bytes, so it is the part worth spreading over the cores; everything that
 * touches the registry stays on the caller's thread, in order.
 */
#include "stages/prepare_photos.h"

#include "core/err.h"
#include "core/fsutil.h"
#include "core/mem.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define PHOTO_THREADS_MAX 4
/* Bounded: the table is emptied when half full, so memory stays flat whatever the run's
 * size, and a photo sent again (duplicates, a corrected record resent) is decoded once. */
#define PHOTO_CACHE_SLOTS 8192 /* a power of two */

struct cache_slot {
	char sha[65];
	struct photo_result res;
};

struct photo_checker {
	char *dir;
	struct photo_limits lim;
	struct cache_slot *cache;
	size_t used;
};

struct photo_checker *
photo_checker_new(const char *photo_dir, const struct photo_limits *lim)
{
	struct photo_checker *pc = xcalloc(1, sizeof(*pc));

	pc->dir = xstrdup(photo_dir);
	pc->lim = *lim;
	pc->cache = xcalloc(PHOTO_CACHE_SLOTS, sizeof(*pc->cache));
	return pc;
}

void
photo_checker_free(struct photo_checker *pc)
{
	if (!pc)
		return;
	free(pc->dir);
	free(pc->cache);
	free(pc);
}

int
photo_sha_valid(const char *s)
{
	if (!s || strlen(s) != 64)
		return 0;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') ||
		      (*s >= 'A' && *s <= 'F')))
			return 0;
	return 1;
}

static size_t
cache_index(const char *sha)
{
	size_t h = 0;

	for (int i = 0; i < 16; i++) /* the sha is random: its first hex digits will do */
		h = h * 16 + (size_t)(sha[i] <= '9' ? sha[i] - '0' : (sha[i] | 0x20) - 'a' + 10);
	return h & (PHOTO_CACHE_SLOTS - 1);
}

static const struct photo_result *
cache_find(const struct photo_checker *pc, const char *sha)
{
	for (size_t i = cache_index(sha), k = 0; k < PHOTO_CACHE_SLOTS;
	     k++, i = (i + 1) & (PHOTO_CACHE_SLOTS - 1)) {
		if (!pc->cache[i].sha[0])
			return NULL;
		if (!strcasecmp(pc->cache[i].sha, sha))
			return &pc->cache[i].res;
	}
	return NULL;
}

static void
cache_add(struct photo_checker *pc, const char *sha, const struct photo_result *res)
{
	size_t i;

	if (cache_find(pc, sha))
		return;
	if (pc->used >= PHOTO_CACHE_SLOTS / 2) {
		memset(pc->cache, 0, PHOTO_CACHE_SLOTS * sizeof(*pc->cache));
		pc->used = 0;
	}
	for (i = cache_index(sha); pc->cache[i].sha[0]; i = (i + 1) & (PHOTO_CACHE_SLOTS - 1))
		;
	snprintf(pc->cache[i].sha, sizeof(pc->cache[i].sha), "%s", sha);
	pc->cache[i].res = *res;
	pc->used++;
}

/* Read and check one stored photo (thread-safe: runs on the workers). */
static void
check_one(const struct photo_checker *pc, struct photo_job *job)
{
	unsigned char *data = NULL;
	size_t len = 0;
	char *path = xasprintf("%s/%s.jpg", pc->dir, job->sha);
	int r = fs_read_file(path, PHOTO_READ_MAX, &data, &len);

	if (r == CP_ERR_NOTFOUND) {
		job->state = PHOTO_NOFILE;
	} else if (r == CP_ERR_LIMIT) {
		job->state = PHOTO_TOOBIG;
	} else if (r < 0) {
		job->state = PHOTO_ERROR;
		job->err = r;
		snprintf(job->errmsg, sizeof(job->errmsg), "%s", cp_errmsg());
	} else {
		photo_check(data, len, &pc->lim, &job->res);
		job->state = PHOTO_CHECKED;
	}
	free(data);
	free(path);
}

struct pool {
	const struct photo_checker *pc;
	struct photo_job *jobs;
	size_t n, next;
};

static void *
worker(void *arg)
{
	struct pool *pool = arg;
	size_t i;

	while ((i = __atomic_fetch_add(&pool->next, 1, __ATOMIC_RELAXED)) < pool->n)
		if (pool->jobs[i].state == PHOTO_PENDING)
			check_one(pool->pc, &pool->jobs[i]);
	return NULL;
}

void
photo_checker_run(struct photo_checker *pc, struct photo_job *jobs, size_t n)
{
	struct pool pool = {pc, jobs, n, 0};
	const struct photo_result *hit;
	pthread_t tids[PHOTO_THREADS_MAX];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int nthreads = cpus > 1 ? (int)(cpus < PHOTO_THREADS_MAX ? cpus : PHOTO_THREADS_MAX) : 1;
	int started = 0;

	for (size_t i = 0; i < n; i++) {
		struct photo_job *job = &jobs[i];

		job->state = PHOTO_PENDING;
		if (!job->sha || !job->sha[0]) {
			job->state = PHOTO_NONE;
		} else if (!photo_sha_valid(job->sha)) {
			job->state = PHOTO_BADREF;
		} else if ((hit = cache_find(pc, job->sha)) != NULL) {
			job->res = *hit;
			job->state = PHOTO_CHECKED;
		}
	}
	if (n < 32)
		nthreads = 1; /* not worth a thread */
	for (int t = 1; t < nthreads; t++) {
		if (pthread_create(&tids[started], NULL, worker, &pool) != 0)
			break; /* fewer helpers: this thread does the rest */
		started++;
	}
	worker(&pool);
	for (int t = 0; t < started; t++)
		pthread_join(tids[t], NULL);
	for (size_t i = 0; i < n; i++)
		if (jobs[i].state == PHOTO_CHECKED)
			cache_add(pc, jobs[i].sha, &jobs[i].res);
}
