/*
 * runreport.h - the run report: one static HTML page per run (out/reports/run-<id>.html)
 * with the run's figures per stage, and what the registry says about the run's window:
 * applications by state, rejects by reason, spoilage by reason, dispatch by method, cards
 * by state and the SLA of the day, with bar charts as inline SVG. No script and no external
 * resource: it opens from a file in any browser, or from a mail attachment.
 *
 * The nightly run fills struct runreport with its own figures and calls runreport_write().
 */
#ifndef CP_RUNREPORT_H
#define CP_RUNREPORT_H

#include "core/buf.h"

#include <stddef.h>
#include <time.h>

struct config;
struct registry;

struct runreport_stage {
	const char *name;   /* "ingest", "prepare", ... */
	const char *status; /* "ok", "failed", "skipped" */
	long long in;	    /* records (or cards) the stage took in */
	long long done;	    /* went through */
	long long rejected; /* rejected as data (bad records, spoiled cards) */
	long long failed;   /* errors */
	double seconds;
	const char *note; /* one line, or NULL */
};

struct runreport {
	const char *run_id; /* file name part: letters, digits, '-', '_' */
	const char *kind;   /* "nightly", "instant", ... */
	const char *status; /* "done", "done with rejects", "failed" */
	time_t started, ended;
	const struct runreport_stage *stages;
	size_t nstages;
	const char *message; /* the failure, or NULL */
	/* what needs an operator before the next run (the working-day calendar runs out,
	 * applications held for it), shown in red at the top */
	const char *const *warnings;
	size_t nwarnings;
};

/* The page as HTML into html (initialised here). */
int runreport_render(const struct config *cfg, struct registry *reg, const struct runreport *rr,
		     struct buf *html);
/* Render and write out/reports/run-<id>.html (0600, atomically); *path = where (newly
 * allocated) if path is not NULL. */
int runreport_write(const struct config *cfg, const char *home, struct registry *reg,
		    const struct runreport *rr, char **path);

#endif
