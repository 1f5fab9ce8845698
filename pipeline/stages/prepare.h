/*
 * prepare.h - the prepare stage: business rules, deduplication, SLA due dates and card
 * allocation for every received application (docs/system.md, "Stages"), then a rejects file per
 * input file (formats/rejects-csv.md). `cardpipe prepare`, `nightly` and `instant` call it.
 *
 * Every received record ends in exactly one state: accepted (with a card), rejected (with
 * a reason), duplicate (of a named application, with the rule that chose), or held (name
 * the card font cannot draw; a due date the calendar cannot count). Work is committed a
 * chunk of prepare.batch_size applications at a time; a crash loses at most the chunk in
 * flight, which the next run judges again the same way.
 */
#ifndef CP_STAGE_PREPARE_H
#define CP_STAGE_PREPARE_H

#include "pipeline/stages/stage.h"

struct prepare_counts;

struct prepare_opts {
	long long app_id;  /* only this application (instant issuance), 0 = all */
	long long file_id; /* only the records of this input file, 0 = all */
	int instant;	   /* instant issuance: due the same day, card marked instant */
	int no_rejects;	   /* do not write rejects files (a caller that writes its own) */
	struct prepare_counts *detail; /* the stage's own figures, or NULL */
};

struct prepare_counts {
	long read, accepted, rejected, duplicate, held;
	long photo_warnings; /* accepted with a photo problem under photo.on_failure = warn */
	long superseded;     /* earlier cards superseded by a new one */
	long rejects_files;  /* rejects files written */
	long released;	     /* held for calendar-missing, judged again: the calendar covers them */
};

/* The dedup rule, as written into application.dedup_rule. */
#define DEDUP_RULE_RUN                                                                             \
	"same person in one run: a record that can be accepted beats a held one, then a "          \
	"replacement or change beats new/upgrade, then the earliest submitted_at, then the "       \
	"lowest application id"
#define DEDUP_RULE_PRODUCTION "a card of this person is already in production"

/* Judge every received application (or opts' one file or application; opts may be NULL).
 * The result: read, done = accepted, rejected, held. */
int stage_prepare_run(const struct stage_ctx *ctx, const struct prepare_opts *opts,
		      struct stage_result *res);

/* Write (atomically) the rejects file of one input file from the registry. *path gets the
 * file written (newly allocated; may be NULL). */
struct reg_prep;
int prepare_write_rejects(struct reg_prep *rp, const char *out_dir, long long file_id, char **path);
/* Where that rejects file goes: out_dir/rejects/<channel>/<name>.rejects.csv (or
 * <name>.<file id>.rejects.csv when an earlier file of the channel had the same name). */
int prepare_rejects_path(struct reg_prep *rp, const char *out_dir, long long file_id, char **path);

#endif
