/*
 * status.h - where a person's applications stand (manual item 37: the 96066 hotline and
 * the channels answer from this) and the status feed: the changes since the last feed,
 * as JSON lines (formats/status-feed.md), with the watermark kept in the registry.
 */
#ifndef CP_STATUS_H
#define CP_STATUS_H

#include "pipeline/stages/stage.h"

#include <stdio.h>

struct config;
struct registry;
struct status_app;

/* One line saying where an application stands ("dispatched 2026-11-26 by mail, tracking
 * EK000000014CN"), newly allocated. */
char *status_describe(const struct status_app *a);

/* Print every application of the person with id_number to out: text, or JSON lines when
 * json is set. CP_ERR_NOTFOUND when the registry has none. */
int status_person(struct registry *reg, const char *id_number, int json, FILE *out);

struct status_opts {
	const char *path; /* NULL: out/status/status-feed-<from>-<to>.jsonl, written only when
			     there are changes */
	char **written;	  /* the path written (newly allocated, NULL when nothing was), or NULL */
};

/* The status feed: write the changes since the last feed to opts->path, then move the
 * watermark. The result: read = done = records written. */
int stage_status_run(const struct stage_ctx *ctx, const struct status_opts *opts,
		     struct stage_result *res);

#endif
