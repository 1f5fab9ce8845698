/*
 * nightly.h - the nightly run: every stage in order under a lock, with per-stage timings, a
 * run row in the registry and the run report. `cardpipe nightly` and the crash tests use it.
 */
#ifndef CP_STAGE_NIGHTLY_H
#define CP_STAGE_NIGHTLY_H

#include "pipeline/stages/stage.h"

#include <signal.h>

#define NIGHTLY_MAX_LINES 16

struct nightly_opts {
	int lines[NIGHTLY_MAX_LINES]; /* production lines to drive */
	int nlines;		      /* 0: no production this run */
	volatile sig_atomic_t *stop;  /* set by SIGINT/SIGTERM: finish the current card, stop */
};

struct nightly_result {
	long long run_id;
	int failed_stages;
	long long records, rejected; /* prepare's figures, for the reject threshold */
	long quarantined;	     /* files ingest moved to quarantine (exit 1, as ingest) */
	int ingest_attention; /* ingest_needs_attention() of the ingest stage (exit 1, as ingest) */
	char report[512];     /* the run report written */
	long long calendar_held; /* applications held for calendar-missing after the run */
};

/* Take the nightly lock (CP_ERR_BUSY at once if another run holds it), run the stages, write
 * the run report. A stage that fails is reported and the stages that do not depend on it
 * still run. Returns 0 when every stage ran, CP_ERR_* of the first failure otherwise. */
int stage_nightly_run(const struct stage_ctx *ctx, const struct nightly_opts *opts,
		      struct nightly_result *res);

/* Parse "1,2" (produce.lines) into opts->lines. */
int nightly_parse_lines(const char *spec, struct nightly_opts *opts);

#endif
