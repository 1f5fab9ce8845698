/*
 * ingest.h - the ingest stage: every application file in the inbox into the registry
 * (docs/ingest.md). `cardpipe ingest` and `cardpipe nightly` call stage_ingest_run().
 */
#ifndef CP_STAGE_INGEST_H
#define CP_STAGE_INGEST_H

#include "core/config.h"
#include "pipeline/registry/registry.h"
#include "pipeline/stages/stage.h"

struct ingest_counts {
	long files;		/* application files looked at */
	long files_ingested;	/* read into the registry this run */
	long files_known;	/* seen before (same SHA-256): nothing new */
	long files_quarantined; /* refused this run (or again) */
	long files_waiting;	/* still arriving: left in the inbox for the next run */
	long files_unreadable;	/* could not be read at all: left in the inbox */
	long long records;	/* records recorded this run */
	long long rejected;	/* of which rejected by ingest */
	long long photos;	/* photos stored in this run's packs (spool/photos/packs) */
};

/* 1 if a run with these counts needs an operator (exit 1 of ingest and of nightly): a file
 * quarantined or unreadable, or the share of rejected records over
 * general.reject_threshold (stage_over_threshold()). */
int ingest_needs_attention(const struct config *cfg, const struct ingest_counts *c);

struct ingest_opts {
	const char *inbox; /* NULL: paths.inbox of the configuration */
	/* the inbox holds only files cardpipe wrote there complete (instant issuance): no
	 * wait for files still arriving */
	int own_files;
	struct ingest_counts *detail; /* the stage's own figures, or NULL */
};

/* Ingest every file in opts->inbox (opts may be NULL). Files are taken in name order;
 * a bad file is quarantined and the rest go on. A file still arriving (open for writing,
 * changed within ingest.settle_seconds, no done marker where required) is left for the
 * next run; a quarantined file changed since is taken back first. Returns 0, or a negative CP_ERR code for a
 * failure that is not a file's fault (registry, disk): the file being read is then left
 * for the next run, which redoes it. */
int stage_ingest_run(const struct stage_ctx *ctx, const struct ingest_opts *opts,
		     struct stage_result *res);

#endif
