/*
 * dispatch.h - the dispatch stage (docs/system.md, "Stages", manual items 13-15):
 * produced cards become dispatch items by delivery method (mail, employer, pickup),
 * each run's items form a batch whose outputs are written under out/dispatch/<batch>/
 * (mail manifests, district summary, carrier letters, pickup lists, employer lists),
 * then the cards go to 'dispatched'. Delivery and return events move them on.
 *
 * Crash-safe and idempotent: items are committed first (with their S10 numbers and bags),
 * then the outputs are written from the registry, then the batch is marked dispatched. A
 * run stopped in between finishes the open batch the next time, producing the same files.
 */
#ifndef CP_STAGE_DISPATCH_H
#define CP_STAGE_DISPATCH_H

#include "pipeline/stages/stage.h"

#include <stdio.h>

struct config;
struct registry;

struct dispatch_result {
	long long cards; /* cards dispatched by this run */
	long long mail, employer, pickup;
	long long skipped; /* produced cards that cannot be dispatched (logged) */
	long long batches; /* batches finished by this run */
	char *last_batch;  /* name of the last batch finished, or NULL */
};
void dispatch_result_release(struct dispatch_result *res);

struct dispatch_opts {
	struct dispatch_result *detail; /* the stage's own figures, or NULL */
};

/* The result: read = cards + skipped, done = cards dispatched (opts may be NULL). */
int stage_dispatch_run(const struct stage_ctx *ctx, const struct dispatch_opts *opts,
		       struct stage_result *res);

/* An employer (or the post) returned a card: card number or tracking number. */
int stage_dispatch_return(struct config *cfg, struct registry *reg, const char *key,
			  const char *reason);
/* Record one delivery: card number or tracking number, date "YYYY-MM-DD" (NULL: today). */
int stage_dispatch_delivered(struct config *cfg, struct registry *reg, const char *key,
			     const char *date, const char *detail);

/* The employer handed the card to the employee (manual item 14): it leaves the overdue
 * list. */
int stage_dispatch_handed_out(struct config *cfg, struct registry *reg, const char *key,
			      const char *date);

struct delivery_file_result {
	long long lines, delivered, handed_out, returned, already, bad;
};
/* Apply a carrier's delivery file (format in docs/dispatch.md); bad lines are reported
 * on err with their line number and skipped; the good ones commit together. */
int stage_dispatch_delivery_file(struct config *cfg, struct registry *reg, const char *path,
				 FILE *err, struct delivery_file_result *res);
/* Print employer cards neither handed out nor returned dispatch.employer_return_days after
 * the employer got them (delivered, else dispatched) as CSV on out; *count = how many. */
int stage_dispatch_overdue(struct config *cfg, struct registry *reg, FILE *out, long long *count);

#endif
