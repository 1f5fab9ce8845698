/*
 * prepare_photos.h - prepare's photo checks for a chunk of records. Ingest checks each
 * photo while it holds the bytes and keeps the result with the record
 * (application.photo_check): that result is taken as it is when it was made with the
 * limits in force now, and the photo is then only looked up in the spool, never read.
 * Records without one (ingested by an earlier release, or the limits changed since) have
 * their stored photo (photo_store.h) read and checked against the standard
 * (rules/photo_check.h) on the machine's cores. Verdicts are remembered by SHA-256 for the
 * rest of the run (the same bytes always get the same verdict).
 */
#ifndef CP_PREPARE_PHOTOS_H
#define CP_PREPARE_PHOTOS_H

#include "pipeline/rules/photo_check.h"

#include <stddef.h>

/* far past any photo.max_bytes: a stored photo this large is judged too large unread */
#define PHOTO_READ_MAX (64u << 20)

enum photo_state {
	PHOTO_PENDING,
	PHOTO_NONE,    /* the record has no stored photo */
	PHOTO_CHECKED, /* res holds the verdict */
	PHOTO_NOFILE,  /* the stored photo is not in the spool, or not whole (errmsg says) */
	PHOTO_BADREF,  /* the registry's reference is not a SHA-256 */
	PHOTO_TOOBIG,  /* larger than PHOTO_READ_MAX */
	PHOTO_ERROR    /* the spool could not be read: err, errmsg */
};

struct photo_job {
	const char *sha;    /* in: the record's photo_sha256, NULL when none */
	const char *loc;    /* in: its photo_loc (photo_store.h), NULL: a file of an earlier
			     * release */
	const char *stored; /* in: the check ingest kept (photo_check), NULL when none */
	int from_store;	    /* res is the kept check: only the spool is looked at */
	enum photo_state state;
	struct photo_result res;
	int err;
	char errmsg[256];
};

struct photo_checker;

struct photo_checker *photo_checker_new(const char *photo_dir, const struct photo_limits *lim);
void photo_checker_free(struct photo_checker *pc);
/* Fill every job's state (and verdict). Never fails: a record's problem is its state, a
 * spool problem is PHOTO_ERROR for the caller to stop on. */
void photo_checker_run(struct photo_checker *pc, struct photo_job *jobs, size_t n);
/* Start checking the photos of shas[0..n) (the next chunk's, as far as known) in the
 * background while the caller does the registry work of this chunk: their verdicts join
 * the cache at the next photo_checker_run(), which waits for them. Only a hint: photos
 * not in it are checked then, as before. The strings are copied. */
void photo_checker_prefetch(struct photo_checker *pc, char *const *shas, size_t n);
/* 0 when the last photo_checker_run() read no photo (every one had the check ingest kept,
 * or was known): then checking the next chunk's photos ahead is not worth its query. */
int photo_checker_wants_ahead(const struct photo_checker *pc);

#endif
