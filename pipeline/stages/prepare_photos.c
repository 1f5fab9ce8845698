/*
 * prepare_photos.c - reading and checking a chunk's photos in parallel, with a bounded
 * verdict cache (see prepare_photos.h). Decoding photos is most of prepare's CPU and needs
 * nothing but the bytes, so it is the part worth spreading over the cores; everything that
 * touches the registry stays on the caller's thread, in order.
 */
#include "pipeline/stages/prepare_photos.h"
#include "pipeline/stages/photo_store.h"

#include "core/err.h"
#include "core/fsutil.h"
#include "core/mem.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
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

struct pool {
	const struct photo_checker *pc;
	struct photo_job *jobs;
	size_t n, next;
	size_t decoded; /* photos read and decoded (not a check ingest kept) */
};

/* Checks running in the background (photo_checker_prefetch) until the next run. */
struct prefetch {
	struct pool pool;
	char *shas; /* n strings of 65 bytes, the jobs' sha */
	pthread_t tids[PHOTO_THREADS_MAX];
	int started;
};

struct photo_checker {
	char *dir;
	int dirfd; /* dir, for looking photos up; -1 if it cannot be opened */
	struct photo_limits lim;
	struct cache_slot *cache;
	size_t used;
	struct prefetch *ahead;
	int ran;	/* photo_checker_run() ran */
	size_t decoded; /* photos its last run (with the checks ahead) read and decoded */
};

static void prefetch_finish(struct photo_checker *pc, int help);

struct photo_checker *
photo_checker_new(const char *photo_dir, const struct photo_limits *lim)
{
	struct photo_checker *pc = xcalloc(1, sizeof(*pc));

	pc->dir = xstrdup(photo_dir);
	pc->dirfd = open(photo_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	pc->lim = *lim;
	pc->cache = xcalloc(PHOTO_CACHE_SLOTS, sizeof(*pc->cache));
	return pc;
}

void
photo_checker_free(struct photo_checker *pc)
{
	if (!pc)
		return;
	prefetch_finish(pc, 0);
	if (pc->dirfd >= 0)
		close(pc->dirfd);
	free(pc->dir);
	free(pc->cache);
	free(pc);
}

/* 1 if s is 64 hex digits. */
static int
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

/* A stored photo not there (CP_ERR_NOTFOUND) or not whole (CP_ERR_INTEGRITY: why, in
 * errmsg), which the record's judgement says. */
static void
job_no_photo(struct photo_job *job, int r)
{
	job->state = PHOTO_NOFILE;
	snprintf(job->errmsg, sizeof(job->errmsg), "%s", r == CP_ERR_INTEGRITY ? cp_errmsg() : "");
}

/* A job whose check ingest kept: the photo need only be in the spool. */
static void
look_up_one(const struct photo_checker *pc, struct photo_job *job)
{
	int r = pc->dirfd >= 0 ? photo_store_present_at(pc->dirfd, pc->dir, job->loc, job->sha)
			       : cp_err(CP_ERR_IO, "cannot open '%s'", pc->dir);

	if (r == CP_ERR_NOTFOUND || r == CP_ERR_INTEGRITY) {
		job_no_photo(job, r);
	} else if (r < 0) {
		job->state = PHOTO_ERROR;
		job->err = r;
		snprintf(job->errmsg, sizeof(job->errmsg), "%s", cp_errmsg());
	} else {
		job->state = PHOTO_CHECKED;
	}
}

/* Read and check one stored photo (thread-safe: runs on the workers). */
static void
check_one(const struct photo_checker *pc, struct photo_job *job)
{
	unsigned char *data = NULL;
	size_t len = 0;
	int r;

	if (job->from_store) {
		look_up_one(pc, job);
		return;
	}
	r = photo_store_read_at(pc->dir, job->loc, job->sha, PHOTO_READ_MAX, &data, &len);

	if (r == CP_ERR_NOTFOUND || r == CP_ERR_INTEGRITY) {
		job_no_photo(job, r);
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
}

static void *
worker(void *arg)
{
	struct pool *pool = arg;
	size_t i, decoded = 0;

	while ((i = __atomic_fetch_add(&pool->next, 1, __ATOMIC_RELAXED)) < pool->n)
		if (pool->jobs[i].state == PHOTO_PENDING) {
			decoded += !pool->jobs[i].from_store;
			check_one(pool->pc, &pool->jobs[i]);
		}
	__atomic_fetch_add(&pool->decoded, decoded, __ATOMIC_RELAXED);
	return NULL;
}

/* Each job's state from its sha alone or the cache: PHOTO_PENDING is left to check. */
static void
jobs_classify(const struct photo_checker *pc, struct photo_job *jobs, size_t n)
{
	const struct photo_result *hit;

	for (size_t i = 0; i < n; i++) {
		struct photo_job *job = &jobs[i];

		job->state = PHOTO_PENDING;
		job->from_store = 0;
		if (!job->sha || !job->sha[0]) {
			job->state = PHOTO_NONE;
		} else if (!photo_sha_valid(job->sha)) {
			job->state = PHOTO_BADREF;
		} else if ((hit = cache_find(pc, job->sha)) != NULL) {
			job->res = *hit;
			job->state = PHOTO_CHECKED;
		} else if (photo_result_decode(job->stored, &pc->lim, &job->res)) {
			job->from_store = 1; /* still PHOTO_PENDING: the spool lookup */
		}
	}
}

/* The jobs left to check whose photo an earlier job of the same batch has too: they are
 * parked (state PHOTO_NONE, which the workers skip) and same[i] names the job whose verdict
 * they take afterwards (jobs_take_same()); SIZE_MAX for the others. A chunk often holds
 * the same photo more than once (a record resent, duplicates): it is decoded once. */
static size_t *
jobs_park_same(struct photo_job *jobs, size_t n)
{
	size_t slots = 64, *same, *first;

	while (slots < 2 * n)
		slots *= 2;
	same = xmalloc((n ? n : 1) * sizeof(*same));
	first = xmalloc(slots * sizeof(*first)); /* job index by sha, SIZE_MAX: free */
	memset(first, 0xff, slots * sizeof(*first));
	for (size_t i = 0; i < n; i++) {
		size_t h;

		same[i] = SIZE_MAX;
		if (jobs[i].state != PHOTO_PENDING)
			continue;
		for (h = cache_index(jobs[i].sha) & (slots - 1); first[h] != SIZE_MAX;
		     h = (h + 1) & (slots - 1))
			if (!strcasecmp(jobs[first[h]].sha, jobs[i].sha))
				break;
		if (first[h] == SIZE_MAX) {
			first[h] = i;
		} else {
			same[i] = first[h];
			jobs[i].state = PHOTO_NONE;
		}
	}
	free(first);
	return same;
}

static void
jobs_take_same(struct photo_job *jobs, size_t n, const size_t *same)
{
	for (size_t i = 0; i < n; i++)
		if (same[i] != SIZE_MAX) {
			const char *sha = jobs[i].sha;

			jobs[i] = jobs[same[i]];
			jobs[i].sha = sha;
		}
}

static int
threads_for(size_t n)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 32)
		return 1; /* not worth a thread */
	return cpus > 1 ? (int)(cpus < PHOTO_THREADS_MAX ? cpus : PHOTO_THREADS_MAX) : 1;
}

/* Wait for the background checks and keep their verdicts. With help, this thread checks
 * what is left of them too instead of waiting idle: the background threads are one fewer
 * than the cores, and a chunk's photos usually take longer than its registry work. */
static void
prefetch_finish(struct photo_checker *pc, int help)
{
	struct prefetch *pf = pc->ahead;

	if (!pf)
		return;
	if (help && pf->started)
		worker(&pf->pool);
	for (int t = 0; t < pf->started; t++)
		pthread_join(pf->tids[t], NULL);
	/* room for all of them at once, so the table is not emptied while they go in */
	if (pc->used + pf->pool.n >= PHOTO_CACHE_SLOTS / 2) {
		memset(pc->cache, 0, PHOTO_CACHE_SLOTS * sizeof(*pc->cache));
		pc->used = 0;
	}
	for (size_t i = 0; i < pf->pool.n && pf->started; i++)
		if (pf->pool.jobs[i].state == PHOTO_CHECKED)
			cache_add(pc, pf->pool.jobs[i].sha, &pf->pool.jobs[i].res);
	pc->decoded += pf->pool.decoded;
	free(pf->pool.jobs);
	free(pf->shas);
	free(pf);
	pc->ahead = NULL;
}

void
photo_checker_prefetch(struct photo_checker *pc, char *const *shas, size_t n)
{
	struct prefetch *pf;
	/* the caller's thread has the registry work: leave it one core */
	int nthreads = threads_for(n) - 1;

	prefetch_finish(pc, 0);
	if (n == 0 || nthreads < 1)
		return;
	pf = xcalloc(1, sizeof(*pf));
	pf->shas = xcalloc(n, 65);
	pf->pool.pc = pc;
	pf->pool.jobs = xcalloc(n, sizeof(*pf->pool.jobs));
	pf->pool.n = n;
	for (size_t i = 0; i < n; i++) {
		if (shas[i])
			snprintf(pf->shas + i * 65, 65, "%s", shas[i]);
		pf->pool.jobs[i].sha = pf->shas + i * 65;
	}
	jobs_classify(pc, pf->pool.jobs, n);
	free(jobs_park_same(pf->pool.jobs, n)); /* only the first of each goes to the cache */
	for (int t = 0; t < nthreads; t++) {
		if (pthread_create(&pf->tids[pf->started], NULL, worker, &pf->pool) != 0)
			break;
		pf->started++;
	}
	pc->ahead = pf; /* with no thread started, finishing it adds nothing */
}

void
photo_checker_run(struct photo_checker *pc, struct photo_job *jobs, size_t n)
{
	struct pool pool = {pc, jobs, n, 0, 0};
	pthread_t tids[PHOTO_THREADS_MAX];
	int nthreads = threads_for(n);
	int started = 0;

	size_t *same;

	pc->decoded = 0;
	pc->ran = 1;
	prefetch_finish(pc, 1);
	jobs_classify(pc, jobs, n);
	same = jobs_park_same(jobs, n);
	for (int t = 1; t < nthreads; t++) {
		if (pthread_create(&tids[started], NULL, worker, &pool) != 0)
			break; /* fewer helpers: this thread does the rest */
		started++;
	}
	worker(&pool);
	for (int t = 0; t < started; t++)
		pthread_join(tids[t], NULL);
	jobs_take_same(jobs, n, same);
	free(same);
	pc->decoded += pool.decoded;
	for (size_t i = 0; i < n; i++)
		if (jobs[i].state == PHOTO_CHECKED)
			cache_add(pc, jobs[i].sha, &jobs[i].res);
}

int
photo_checker_wants_ahead(const struct photo_checker *pc)
{
	return !pc->ran || pc->decoded > 0;
}
