/*
 * ingest_read.h - reading the inbox's files ahead of the registry, on reader threads.
 *
 * Everything ingest does to a file that needs only its bytes runs here, for several files
 * at once: the SHA-256 of the raw file, format detection, the streamed parse, photo
 * references resolved, every photo stored once in a pack under spool/photos/packs/
 * (photo_store.h) and checked
 * against the photo standard while its bytes are in memory (the result goes with the
 * record to the registry, so prepare does not read the photo again). The
 * caller (ingest.c, the only registry user) takes the files in order and each file's
 * records in order, so what reaches the registry does not depend on the threads.
 *
 * Memory stays bounded: a reader works at most a few files ahead of the caller, and a
 * file's records wait in a queue of fixed length (a full queue stops its reader). Photo
 * bytes are dropped once stored; a queued record keeps only its fields and photo hash.
 *
 * Photos are appended to a pack per reading thread without an fsync each: the caller makes
 * them durable with reader_pool_sync_photos() before it commits a batch that names them.
 */
#ifndef CP_STAGE_INGEST_READ_H
#define CP_STAGE_INGEST_READ_H

#include "core/buf.h"
#include "formats/app_parse.h"
#include "formats/instream.h"
#include "pipeline/rules/photo_check.h"

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* What the readers need: read-only for them while they run. */
struct ingest_env {
	const char *inbox;	/* paths.inbox as configured */
	const char *inbox_real; /* the same after realpath(): photo references stay below it */
	const char *photos;	/* spool/photos */
	int photos_fd;		/* open on photos */
	struct parse_limits lim;
	struct instream_limits slim;
	int check_arrival;	   /* photo references must have finished arriving too */
	long long settle_seconds;  /* ingest.settle_seconds */
	struct photo_limits photo; /* photo.*: each stored photo is checked against them */
};

/* One inbox file as its reader left it. Fields are valid once reader_hash() (hash_rc,
 * sha, size, err) or reader_next() returning 0 (the rest) says so. */
struct read_file {
	char *name;
	int hash_rc; /* 0, CP_ERR_NOTFOUND (vanished), or another failure (err says) */
	char *sha;   /* lower-case hex */
	off_t size;
	enum app_format fmt;
	int parse_rc; /* 0; CP_ERR_FORMAT (fail says why); another failure (err says) */
	struct parse_fail fail;
	char *err;		 /* the reader's message for a failure that is not the file's */
	long long photos_stored; /* photos appended to a pack (not stored before in this run) */
	int too_large;		 /* larger than slim.max_bytes: not parsed */
	int changed; /* written to, replaced or removed while it was read: its hash and records
		      * are of no one version of the file */
	char *photo_arriving; /* a photo it refers to is still arriving: read it next run */
	/* the photo files its records name and ingest read, one path a line, relative to the
	 * inbox after symbolic links: they move to the archive with the file */
	struct buf photo_refs;
	struct stat read_as;   /* the file as it was when the reader finished */
	struct stat hashed_as; /* the file as it was before the hash (set with rf->sha) */
	int hashed_seen;       /* 1 if hashed_as holds it (the file was there) */
};

struct reader_pool;

#define INGEST_MAX_READERS 16 /* the most ingest.threads may ask for */

/* Start threads (>= 1) readers over names[0..n) (borrowed until reader_pool_free). */
int reader_pool_start(const struct ingest_env *env, char *const *names, size_t n, int threads,
		      struct reader_pool **out);
/* File i's hash, once known. Files are taken in order: i is the file after the last one
 * given to reader_done (0 at first). */
struct read_file *reader_hash(struct reader_pool *p, size_t i);
/* The next record of file i into *rec (the caller releases it with app_record_release and
 * free): 1; 0 at the end of the file, when parse_rc, fail and fmt are final. */
int reader_next(struct reader_pool *p, size_t i, struct app_record **rec);
/* Done with file i: its reader stops (if it is still reading), queued records are
 * dropped, and the readers may start on later files. */
void reader_done(struct reader_pool *p, size_t i);
/* 1 if the file at path is no longer the one the reader read (rf->read_as). */
int reader_file_changed(const struct read_file *rf, const char *path);
/* 1 if the file at path is no longer the one whose hash the reader took (rf->hashed_as):
 * usable as soon as reader_hash() returned, before the file is parsed. */
int reader_file_changed_since_hash(const struct read_file *rf, const char *path);
/* Make every photo the readers stored so far durable (their packs' fdatasync): before a
 * commit of records that name them. */
int reader_pool_sync_photos(struct reader_pool *p);
/* Stop every reader and free the pool. */
void reader_pool_free(struct reader_pool *p);

#endif
