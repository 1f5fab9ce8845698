/*
 * ingest_read.c - the inbox's files read ahead on reader threads (see ingest_read.h).
 *
 * One mutex and one condition variable cover the pool: a reader waits for a window slot
 * or queue space, the caller for a hash or a record. Waits are rare and short (the queue
 * holds QUEUE_LEN records), so one of each is simpler than per-file ones and costs nothing.
 */
#include "pipeline/stages/ingest_read.h"

#include "core/err.h"
#include "core/fsutil.h"
#include "core/hex.h"
#include "core/mem.h"
#include "personalization/crypto/hash.h"
#include "pipeline/rules/money.h"
#include "pipeline/stages/ingest_arrival.h"
#include "pipeline/stages/photo_store.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define QUEUE_LEN 256	/* records waiting per file */
#define SEEN_SLOTS 4096 /* the run's photos remembered by hash (a power of two) */
#define CHECK_CACHE 256 /* photo checks a reader remembers (a power of two) */

/* A reader's last photo checks by SHA-256: a photo sent more than once (duplicates, the
 * same photo in several files) is decoded once. Each reader thread has its own. */
struct check_cache {
	char sha[CHECK_CACHE][65];
	char text[CHECK_CACHE][PHOTO_RESULT_TEXT_MAX];
};

struct job {
	struct reader_pool *pool;
	struct check_cache *checks; /* the reading thread's */
	struct read_file rf;
	char *path;
	struct app_record **q; /* ring of QUEUE_LEN */
	size_t head, count;
	int hashed, parsed, cancel, taken;
	int slot; /* the reading thread's (its photo pack) */
};

struct reader_pool {
	const struct ingest_env *env;
	struct job *jobs;
	size_t n, next, consumer; /* next file to take; the file the caller is on */
	size_t window;		  /* files a reader may be ahead of the caller */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t tids[INGEST_MAX_READERS];
	int nthreads, stop;
	/* each reading thread's pack (slot_pack()), "<pack_stem>-<slot>.pack" */
	struct photo_pack *packs[INGEST_MAX_READERS];
	char pack_stem[64];
	int nstarted; /* reading threads that took their slot */
	/* the run's photos by hash: their place in a pack (store_photo()) */
	pthread_mutex_t seen_mu;
	struct {
		char sha[65];
		char *loc;
	} seen[SEEN_SLOTS];
	int inbox_fd; /* the inbox, for opening photos beneath it; -1 if none */
};

/* ---- photos ---- */

/* The pack of the reading thread's slot, made on its first photo: "<stem>-<slot>.pack" (a
 * name taken, which a run of the same second and pid would need, gets "r<n>" after it). */
static int
slot_pack(struct reader_pool *p, int slot, struct photo_pack **out)
{
	const struct ingest_env *env = p->env;
	struct photo_pack *pk = p->packs[slot]; /* this thread's own slot */
	char stem[96];
	int r = CP_ERR_EXISTS;

	for (int n = 0; !pk && r == CP_ERR_EXISTS && n < 100; n++) {
		snprintf(stem, sizeof(stem), n ? "%s-%d-r%d" : "%s-%d", p->pack_stem, slot, n);
		if ((r = photo_pack_create(env->photos_fd, env->photos, stem, &pk)) == 0) {
			pthread_mutex_lock(&p->mu); /* the caller's syncs read the slots */
			p->packs[slot] = pk;
			pthread_mutex_unlock(&p->mu);
		}
	}
	*out = pk;
	return pk ? 0 : r;
}

/* Store the record's photo once per run: appended to the thread's pack, its place noted
 * by its hash so that another record of the run with the same photo (a photo file several
 * records name, on any reader) gets the same place. The lookup and the append hold one
 * lock, so two readers never both store a photo; a slot of the table taken since by
 * another photo only costs a second copy. The bytes are durable once the caller has synced
 * the packs (reader_pool_sync_photos()), before the batch naming them commits. */
static int
store_photo(struct job *j, struct app_record *rec)
{
	struct reader_pool *p = j->pool;
	struct photo_pack *pk;
	char hex[65], *loc = NULL;
	unsigned slot;
	int r;

	if ((r = cp_sha256_hex(rec->photo, rec->photo_len, hex)) < 0)
		return r;
	/* the hash is random: its first three hex digits pick the slot */
	slot = (unsigned)(hex_digit(hex[0]) << 8 | hex_digit(hex[1]) << 4 | hex_digit(hex[2])) &
	       (SEEN_SLOTS - 1);
	pthread_mutex_lock(&p->seen_mu);
	if (p->seen[slot].loc && !strcmp(p->seen[slot].sha, hex)) {
		loc = xstrdup(p->seen[slot].loc);
	} else if ((r = slot_pack(p, j->slot, &pk)) < 0 ||
		   (r = photo_pack_append(pk, hex, rec->photo, rec->photo_len, &loc)) < 0) {
		pthread_mutex_unlock(&p->seen_mu);
		return r;
	} else {
		free(p->seen[slot].loc);
		p->seen[slot].loc = xstrdup(loc);
		memcpy(p->seen[slot].sha, hex, sizeof(hex));
		j->rf.photos_stored++;
	}
	pthread_mutex_unlock(&p->seen_mu);
	free(rec->photo_sha256);
	rec->photo_sha256 = xstrdup(hex);
	free(rec->photo_loc);
	rec->photo_loc = loc;
	return 0;
}

/* The photo standard's check of the record's photo (photo_check.h), kept with the record
 * for prepare. Its SHA-256 is known (store_photo()). */
static void
check_photo(struct job *j, struct app_record *rec)
{
	struct check_cache *c = j->checks;
	/* the hash is random: its first two hex digits pick the slot */
	unsigned slot =
		(unsigned)(hex_digit(rec->photo_sha256[0]) << 4 | hex_digit(rec->photo_sha256[1])) &
		(CHECK_CACHE - 1);
	struct photo_result res;

	if (strcmp(c->sha[slot], rec->photo_sha256) != 0) {
		photo_check(rec->photo, rec->photo_len, &j->pool->env->photo, &res);
		photo_result_encode(&j->pool->env->photo, &res, c->text[slot]);
		memcpy(c->sha[slot], rec->photo_sha256, 65);
	}
	free(rec->photo_check);
	rec->photo_check = xstrdup(c->text[slot]);
}

/* Remember a photo file the file's records use (inbox-relative), for the move to the
 * archive; a name with a line break cannot be listed and stays where it is. */
static void
note_photo_ref(struct read_file *rf, const char *rel)
{
	if (strchr(rel, '\n'))
		return;
	if (!rf->photo_refs.max)
		buf_init(&rf->photo_refs, BUF_UNLIMITED);
	(void)buf_appendf(&rf->photo_refs, "%s\n", rel);
}

/* Open the photo at rel (inbox-relative, symlinks already resolved) so that nothing swapped
 * in after the realpath check (a symlink, a FIFO) is read: openat2 beneath the inbox with no
 * symlinks; without openat2 (ENOSYS) the checked path with O_NOFOLLOW. Never blocks. */
static int
open_photo(const struct reader_pool *p, const char *real, const char *rel, int *fd)
{
	struct open_how how = {.flags = O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC,
			       .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS};
	int r;

	*fd = p->inbox_fd >= 0 ? (int)syscall(SYS_openat2, p->inbox_fd, rel, &how, sizeof(how))
			       : -1;
	if (p->inbox_fd >= 0 && *fd < 0 && errno != ENOSYS)
		return cp_err(errno == ENOENT ? CP_ERR_NOTFOUND : CP_ERR_IO, "cannot open '%s': %s",
			      real, strerror(errno));
	if (*fd < 0)
		return fs_open_regular(real, fd);
	if ((r = fs_fd_regular(*fd, real)) < 0) {
		close(*fd);
		*fd = -1;
	}
	return r;
}

static int
read_photo(const struct reader_pool *p, const char *real, const char *rel, size_t max,
	   unsigned char **data, size_t *len)
{
	int fd, r;

	*data = NULL;
	*len = 0;
	if ((r = open_photo(p, real, rel, &fd)) < 0)
		return r;
	r = fs_read_fd(fd, real, max, data, len);
	close(fd);
	return r;
}

/* A reference with no part that realpath() would change: relative, no "." or ".." part, no
 * empty part. Opened with no symbolic link on the way, it names the file realpath() would. */
static int
plain_ref(const char *ref)
{
	const char *p = ref;

	if (!*p || *p == '/')
		return 0;
	for (;;) {
		size_t n = strcspn(p, "/");

		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		if (!p[n])
			return 1;
		p += n + 1;
	}
}

/* The common case in one system call: a plain reference to a regular file, opened beneath
 * the inbox with no symbolic link on the way (so nothing swapped in is read). 1 and *fd,
 * *st when so; 0 when load_photo_ref_checked() must look (a link, a missing file, anything
 * else), with nothing left open. */
static int
open_plain_photo(const struct reader_pool *p, const char *ref, int *fd, struct stat *st)
{
	struct open_how how = {.flags = O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC,
			       .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS};

	if (p->inbox_fd < 0 || !plain_ref(ref))
		return 0;
	*fd = (int)syscall(SYS_openat2, p->inbox_fd, ref, &how, sizeof(how));
	if (*fd < 0)
		return 0;
	/* O_NONBLOCK stays: it changes nothing for a regular file */
	if (fstat(*fd, st) < 0 || !S_ISREG(st->st_mode)) {
		close(*fd);
		*fd = -1;
		return 0;
	}
	return 1;
}

/* The photo read (r from reading rel, inbox-relative after symlinks) goes with the record,
 * or the record is rejected for it. */
static void
take_photo(struct job *j, struct app_record *rec, const char *field, int r, unsigned char **data,
	   size_t len, const char *rel)
{
	const struct ingest_env *env = j->pool->env;

	if (r == CP_ERR_FORMAT) {
		app_record_reject(rec, "photo-ref-missing", field,
				  "%s, field '%s': photo reference '%s' is not a regular file",
				  rec->location, field, rec->photo_ref);
	} else if (r == CP_ERR_LIMIT) {
		app_record_reject(rec, "record-too-large", field,
				  "%s, field '%s': photo file '%s' is larger than the limit of %zu "
				  "bytes (ingest.max_record_bytes)",
				  rec->location, field, rec->photo_ref, env->lim.max_record_bytes);
	} else if (r < 0) {
		app_record_reject(rec, "photo-ref-missing", field,
				  "%s, field '%s': photo file '%s' cannot be read", rec->location,
				  field, rec->photo_ref);
	} else {
		rec->photo = *data;
		rec->photo_len = len;
		*data = NULL;
		note_photo_ref(&j->rf, rel);
	}
}

/* A photo reference the fast way did not take: below the inbox (also after symlinks), an
 * existing regular file. */
static void
load_photo_ref_checked(struct job *j, struct app_record *rec, const char *field)
{
	const struct ingest_env *env = j->pool->env;
	char *path = fs_join(env->inbox, rec->photo_ref), *real = NULL;
	unsigned char *data = NULL;
	size_t len = 0, il = strlen(env->inbox_real);
	struct stat st;
	int r;

	if (stat(path, &st) < 0) {
		app_record_reject(rec, "photo-ref-missing", field,
				  "%s, field '%s': photo file '%s' does not exist next to the file",
				  rec->location, field, rec->photo_ref);
		goto out;
	}
	real = realpath(path, NULL);
	if (!real || strncmp(real, env->inbox_real, il) != 0 || real[il] != '/') {
		app_record_reject(rec, "photo-ref-outside", field,
				  "%s, field '%s': photo reference '%s' leads outside the file's "
				  "folder (through a symbolic link)",
				  rec->location, field, rec->photo_ref);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		app_record_reject(rec, "photo-ref-missing", field,
				  "%s, field '%s': photo reference '%s' is not a regular file",
				  rec->location, field, rec->photo_ref);
		goto out;
	}
	if (env->check_arrival && !j->rf.photo_arriving &&
	    !arrival_settled(real, env->settle_seconds)) {
		/* a photo uploaded after its application file: the file waits for it */
		j->rf.photo_arriving = xstrdup(rec->photo_ref);
		goto out;
	}
	r = read_photo(j->pool, real, real + il + 1, env->lim.max_record_bytes, &data, &len);
	take_photo(j, rec, field, r, &data, len, real + il + 1);
out:
	free(data);
	free(real);
	free(path);
}

/* A photo reference: below the inbox (also after symlinks), an existing regular file. A
 * plain reference to a regular file costs one openat2 (no realpath(): it walks the path
 * with a readlink per part); anything else goes the careful way, which words the
 * rejections. */
static void
load_photo_ref(struct job *j, struct app_record *rec)
{
	const struct ingest_env *env = j->pool->env;
	/* the field as the format names it: CSV column or XML element */
	const char *field = j->rf.fmt == APP_FORMAT_COUNTER_CSV ? "photo" : "Photo";
	unsigned char *data = NULL;
	size_t len = 0;
	struct stat st;
	int fd, r;

	if (!open_plain_photo(j->pool, rec->photo_ref, &fd, &st)) {
		load_photo_ref_checked(j, rec, field);
		return;
	}
	if (env->check_arrival && !j->rf.photo_arriving &&
	    !arrival_settled_fd(fd, &st, env->settle_seconds)) {
		/* a photo uploaded after its application file: the file waits for it */
		j->rf.photo_arriving = xstrdup(rec->photo_ref);
		close(fd);
		return;
	}
	r = fs_read_fd_sized(fd, rec->photo_ref, env->lim.max_record_bytes, (size_t)st.st_size,
			     &data, &len);
	close(fd);
	take_photo(j, rec, field, r, &data, len, rec->photo_ref);
	free(data);
}

/* ---- fields the registry could not hold ---- */

/* A transport balance that is no whole number of fen fits no integer column (PostgreSQL
 * refuses the row, and with it the file): the record is rejected here, for the reason
 * prepare gives. Prepare still holds the amount against reconcile.max_refund_fen. */
static void
check_balance(struct app_record *rec)
{
	long long fen;
	int r;

	if (rec->reject_code || !rec->transport_balance)
		return;
	if ((r = money_parse_fen(rec->transport_balance, LLONG_MAX, &fen)) < 0) {
		app_record_reject(rec, r == CP_ERR_LIMIT ? "amount-too-large" : "amount-invalid",
				  "transport_balance", "transport_balance %s", cp_errmsg());
		cp_err_clear();
	}
}

/* ---- the reader threads ---- */

/* The parser's callback: finish the record's photo, then queue it for the caller. */
static int
on_record(void *arg, struct app_record *rec)
{
	struct job *j = arg;
	struct reader_pool *p = j->pool;
	struct app_record *own;
	int r;

	check_balance(rec);
	if (!rec->reject_code && rec->photo_ref && !rec->photo)
		load_photo_ref(j, rec);
	if (!rec->reject_code && rec->photo) {
		if ((r = store_photo(j, rec)) < 0)
			return r;
		check_photo(j, rec);
	}
	/* the registry keeps the hash, not the bytes */
	free(rec->photo);
	rec->photo = NULL;
	rec->photo_len = 0;
	own = xmalloc(sizeof(*own));
	*own = *rec;
	memset(rec, 0, sizeof(*rec)); /* the parser's release now frees nothing */

	pthread_mutex_lock(&p->mu);
	while (j->count == QUEUE_LEN && !j->cancel)
		pthread_cond_wait(&p->cv, &p->mu);
	if (j->cancel) {
		pthread_mutex_unlock(&p->mu);
		app_record_release(own);
		free(own);
		return CP_ERR_INVALID; /* the caller is done with this file */
	}
	j->q[(j->head + j->count) % QUEUE_LEN] = own;
	if (j->count++ == 0)
		pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return 0;
}

/* Same inode, size and times: the file was not touched between the two looks. */
static int
same_version(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

static void
read_one(struct job *j)
{
	struct reader_pool *p = j->pool;
	const struct ingest_env *env = p->env;
	struct read_file *rf = &j->rf;
	struct instream s;
	struct stat before, after;
	char sha[65];
	int hr, r, seen;

	/* the arrival check found the file complete; a writer that comes back while it is read
	 * is caught by comparing the file before the hash with the file after the parse */
	seen = lstat(j->path, &before) == 0;
	hr = cp_sha256_file_hex(j->path, sha, &rf->size);
	if (hr == 0)
		rf->sha = xstrdup(sha);
	pthread_mutex_lock(&p->mu);
	rf->hash_rc = hr;
	rf->hashed_seen = seen;
	if (seen)
		rf->hashed_as = before;
	if (hr < 0)
		rf->err = xstrdup(cp_errmsg());
	rf->too_large = hr == 0 && (unsigned long long)rf->size > env->slim.max_bytes;
	j->hashed = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);

	/* a file too large is refused unread; one that vanished or failed has nothing */
	r = 0;
	if (hr == 0 && !rf->too_large) {
		r = instream_open_file(&s, j->path, &env->slim);
		if (r == CP_ERR_FORMAT) /* no longer a regular file: the change check catches it */
			r = CP_ERR_IO;
		if (r == 0) {
			r = app_format_detect(&s, &rf->fmt, &rf->fail);
			if (r == 0)
				r = app_parse(&s, rf->fmt, &env->lim, on_record, j, &rf->fail);
			instream_close(&s);
			if (r == CP_ERR_FORMAT && rf->fail.code &&
			    !strcmp(rf->fail.code, INSTREAM_IO_ERROR))
				r = cp_err(CP_ERR_IO, "%s", rf->fail.detail);
		}
		if (r < 0 && r != CP_ERR_FORMAT)
			rf->err = xstrdup(cp_errmsg());
	}
	if (hr == 0 && (!seen || lstat(j->path, &after) < 0 || !same_version(&before, &after)))
		rf->changed = 1;
	else if (hr == 0)
		rf->read_as = after;
	pthread_mutex_lock(&p->mu);
	rf->parse_rc = r;
	j->parsed = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

static void *
reader_main(void *arg)
{
	struct reader_pool *p = arg;
	struct check_cache *checks = xcalloc(1, sizeof(*checks));
	int slot;

	pthread_mutex_lock(&p->mu);
	slot = p->nstarted++;
	for (;;) {
		struct job *j;

		while (!p->stop && p->next < p->n && p->next >= p->consumer + p->window)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->stop || p->next >= p->n)
			break;
		j = &p->jobs[p->next++];
		j->taken = 1;
		j->slot = slot;
		j->checks = checks;
		j->q = xcalloc(QUEUE_LEN, sizeof(*j->q));
		pthread_mutex_unlock(&p->mu);
		read_one(j);
		pthread_mutex_lock(&p->mu);
	}
	pthread_mutex_unlock(&p->mu);
	free(checks);
	return NULL;
}

/* ---- the caller's side ---- */

int
reader_pool_start(const struct ingest_env *env, char *const *names, size_t n, int threads,
		  struct reader_pool **out)
{
	struct reader_pool *p = xcalloc(1, sizeof(*p));

	*out = NULL;
	if (threads < 1)
		threads = 1;
	if (threads > INGEST_MAX_READERS)
		threads = INGEST_MAX_READERS;
	p->env = env;
	p->n = n;
	p->inbox_fd =
		env->inbox_real ? open(env->inbox_real, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
	p->jobs = xcalloc(n ? n : 1, sizeof(*p->jobs));
	/* each reader one file ahead of the one the caller is on, and one more to start */
	p->window = (size_t)threads + 1;
	for (size_t i = 0; i < n; i++) {
		p->jobs[i].pool = p;
		p->jobs[i].rf.name = names[i];
		p->jobs[i].path = fs_join(env->inbox, names[i]);
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_mutex_init(&p->seen_mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	{ /* the run's packs: "<UTC time>-<pid>-<slot>.pack", a name no other run has */
		time_t now = time(NULL);
		struct tm tm;
		char when[32] = "0";

		if (gmtime_r(&now, &tm))
			strftime(when, sizeof(when), "%Y%m%dT%H%M%SZ", &tm);
		snprintf(p->pack_stem, sizeof(p->pack_stem), "%s-%ld", when, (long)getpid());
	}
	for (int t = 0; t < threads; t++) {
		if (pthread_create(&p->tids[t], NULL, reader_main, p) != 0)
			break;
		p->nthreads++;
	}
	if (p->nthreads == 0) {
		reader_pool_free(p);
		return cp_err(CP_ERR_NOMEM, "cannot start an ingest reader thread");
	}
	*out = p;
	return 0;
}

struct read_file *
reader_hash(struct reader_pool *p, size_t i)
{
	struct job *j = &p->jobs[i];

	pthread_mutex_lock(&p->mu);
	while (!j->hashed)
		pthread_cond_wait(&p->cv, &p->mu);
	pthread_mutex_unlock(&p->mu);
	return &j->rf;
}

int
reader_next(struct reader_pool *p, size_t i, struct app_record **rec)
{
	struct job *j = &p->jobs[i];
	int got = 0;

	*rec = NULL;
	pthread_mutex_lock(&p->mu);
	while (j->count == 0 && !j->parsed)
		pthread_cond_wait(&p->cv, &p->mu);
	if (j->count) {
		*rec = j->q[j->head];
		j->head = (j->head + 1) % QUEUE_LEN;
		if (j->count-- == QUEUE_LEN)
			pthread_cond_broadcast(&p->cv);
		got = 1;
	}
	pthread_mutex_unlock(&p->mu);
	return got;
}

void
reader_done(struct reader_pool *p, size_t i)
{
	struct job *j = &p->jobs[i];

	pthread_mutex_lock(&p->mu);
	j->cancel = 1;
	pthread_cond_broadcast(&p->cv);
	while (j->taken && !j->parsed)
		pthread_cond_wait(&p->cv, &p->mu);
	while (j->count) {
		struct app_record *rec = j->q[j->head];

		j->head = (j->head + 1) % QUEUE_LEN;
		j->count--;
		app_record_release(rec);
		free(rec);
	}
	p->consumer = i + 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

int
reader_file_changed(const struct read_file *rf, const char *path)
{
	struct stat now;

	return lstat(path, &now) < 0 || !same_version(&rf->read_as, &now);
}

int
reader_file_changed_since_hash(const struct read_file *rf, const char *path)
{
	struct stat now;

	return !rf->hashed_seen || lstat(path, &now) < 0 || !same_version(&rf->hashed_as, &now);
}

int
reader_pool_sync_photos(struct reader_pool *p)
{
	struct photo_pack *packs[INGEST_MAX_READERS];
	int r = 0;

	pthread_mutex_lock(&p->mu);
	memcpy(packs, p->packs, sizeof(packs));
	pthread_mutex_unlock(&p->mu);
	/* outside the lock: the readers go on appending while the bytes go to the disk */
	for (int t = 0; t < INGEST_MAX_READERS; t++)
		if (packs[t] && (r = photo_pack_sync(packs[t])) < 0)
			break;
	return r;
}

void
reader_pool_free(struct reader_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	for (size_t i = 0; i < p->n; i++)
		p->jobs[i].cancel = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (int t = 0; t < p->nthreads; t++)
		pthread_join(p->tids[t], NULL);
	for (size_t i = 0; i < p->n; i++) {
		struct job *j = &p->jobs[i];

		while (j->count) {
			app_record_release(j->q[j->head]);
			free(j->q[j->head]);
			j->head = (j->head + 1) % QUEUE_LEN;
			j->count--;
		}
		free(j->q);
		free(j->path);
		free(j->rf.sha);
		free(j->rf.err);
		free(j->rf.photo_arriving);
		buf_release(&j->rf.photo_refs);
	}
	for (int t = 0; t < INGEST_MAX_READERS; t++)
		photo_pack_close(p->packs[t]);
	for (size_t i = 0; i < SEEN_SLOTS; i++)
		free(p->seen[i].loc);
	pthread_mutex_destroy(&p->mu);
	pthread_mutex_destroy(&p->seen_mu);
	pthread_cond_destroy(&p->cv);
	free(p->jobs);
	if (p->inbox_fd >= 0)
		close(p->inbox_fd);
	free(p);
}
