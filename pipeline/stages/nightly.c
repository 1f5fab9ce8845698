/*
 * nightly.c - the nightly run (docs/system.md, "Stages"): ingest → prepare → perso → render →
 * produce on the configured lines → dispatch → reconcile, then the run report.
 *
 * Each stage is idempotent and commits its own work, so a run killed anywhere is simply run
 * again. A failed stage does not stop the ones after it that can still do useful work on
 * what earlier nights left (dispatch of cards already produced, reconciliation): each step
 * works from the registry, not from the previous step's return value.
 */
#include "pipeline/stages/nightly.h"

#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/lock.h"
#include "core/log.h"
#include "core/mem.h"
#include "pipeline/registry/reg_held.h"
#include "pipeline/registry/reg_run.h"
#include "pipeline/registry/registry.h"
#include "pipeline/stages/calendar_watch.h"
#include "pipeline/stages/dispatch.h"
#include "pipeline/stages/ingest.h"
#include "pipeline/stages/perso.h"
#include "pipeline/stages/prepare.h"
#include "pipeline/stages/produce.h"
#include "pipeline/stages/reconcile.h"
#include "pipeline/stages/render.h"
#include "pipeline/stages/runreport.h"
#include "pipeline/stages/stagelock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct run {
	struct config *cfg;
	const char *home;
	struct registry *reg;
	const struct nightly_opts *opts;
	struct nightly_result *res;
	struct runreport_stage stages[8 + NIGHTLY_MAX_LINES];
	char notes[8 + NIGHTLY_MAX_LINES][256];
	char names[NIGHTLY_MAX_LINES][24];
	size_t nstages;
	int first_error;
	char first_message[512];
};

static double
seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Start a stage's report entry; the caller fills the counts. */
static struct runreport_stage *
stage_begin(struct run *run, const char *name, struct timespec *t0)
{
	struct runreport_stage *s = &run->stages[run->nstages];

	memset(s, 0, sizeof(*s));
	s->name = name;
	s->status = "ok";
	s->note = run->notes[run->nstages];
	run->notes[run->nstages][0] = '\0';
	run->nstages++;
	log_info("nightly", "%s ...", name);
	clock_gettime(CLOCK_MONOTONIC, t0);
	return s;
}

static void
stage_end(struct run *run, struct runreport_stage *s, const struct timespec *t0, int r)
{
	char *note = run->notes[s - run->stages];

	s->seconds = seconds_since(t0);
	if (r < 0) {
		s->status = "failed";
		s->failed++;
		snprintf(note, 256, "%s", cp_errmsg()[0] ? cp_errmsg() : cp_strerror(r));
		log_error("nightly", "%s failed after %.1f s: %s", s->name, s->seconds, note);
		run->res->failed_stages++;
		if (!run->first_error) {
			run->first_error = r;
			snprintf(run->first_message, sizeof(run->first_message), "%s: %s", s->name,
				 note);
		}
	} else {
		log_info("nightly", "%s: %s (%.1f s)", s->name, note[0] ? note : "done",
			 s->seconds);
	}
}

static int
stopped(const struct run *run)
{
	return run->opts->stop && *run->opts->stop;
}

static void
skip_stage(struct run *run, const char *name, const char *why)
{
	struct timespec t0;
	struct runreport_stage *s = stage_begin(run, name, &t0);

	s->status = "skipped";
	snprintf(run->notes[s - run->stages], 256, "%s", why);
	s->seconds = 0;
	log_warn("nightly", "%s skipped: %s", name, why);
}

/* Run one stage under its lock (stagelock.h): a `cardpipe <stage>` started by hand waits
 * for it, and the nightly waits for one that is already running. */
static int
take_stage(struct run *run, const char *name, struct run_lock *lk)
{
	return stage_lock_take(run->cfg, run->home, name, run->opts->stop, lk);
}

static void
do_ingest(struct run *run)
{
	struct ingest_counts c = {0};
	struct timespec t0;
	struct runreport_stage *s = stage_begin(run, "ingest", &t0);
	struct run_lock lk = {-1};
	int r = take_stage(run, "ingest", &lk);

	if (r == 0)
		r = stage_ingest_run(run->cfg, run->home, run->reg, NULL, &c);
	run_lock_release(&lk);
	run->res->quarantined += c.files_quarantined;
	/* the same verdict as `cardpipe ingest` alone: unreadable files, ingest's rejects */
	if (r == 0 &&
	    ingest_needs_attention(&c, config_double(run->cfg, "general.reject_threshold")))
		run->res->ingest_attention = 1;

	s->in = c.records;
	s->done = c.records - c.rejected;
	s->rejected = c.rejected;
	snprintf(run->notes[s - run->stages], 256,
		 "%ld files (%ld new, %ld already known, %ld quarantined), %lld records; %ld "
		 "still arriving",
		 c.files, c.files_ingested, c.files_known, c.files_quarantined, c.records,
		 c.files_waiting);
	stage_end(run, s, &t0, r);
}

static void
do_prepare(struct run *run)
{
	struct prepare_opts o = {0};
	struct prepare_counts c = {0};
	struct timespec t0;
	struct runreport_stage *s = stage_begin(run, "prepare", &t0);
	struct run_lock lk = {-1};
	int r = take_stage(run, "prepare", &lk);

	if (r == 0)
		r = stage_prepare_run(run->cfg, run->home, run->reg, &o, &c);
	run_lock_release(&lk);

	s->in = c.read;
	s->done = c.accepted;
	s->rejected = c.rejected;
	run->res->records += c.read;
	run->res->rejected += c.rejected;
	snprintf(run->notes[s - run->stages], 256,
		 "%ld read: %ld accepted, %ld rejected, %ld duplicate, %ld held", c.read,
		 c.accepted, c.rejected, c.duplicate, c.held);
	stage_end(run, s, &t0, r);
}

static void
do_perso(struct run *run)
{
	struct perso_opts o = {0};
	struct perso_counts c = {0};
	struct timespec t0;
	struct runreport_stage *s = stage_begin(run, "perso", &t0);
	struct run_lock lk = {-1};
	int r = take_stage(run, "perso", &lk);

	if (r == 0)
		r = stage_perso_run(run->cfg, run->home, run->reg, &o, &c);
	run_lock_release(&lk);

	s->in = c.cards + c.held;
	s->done = c.cards;
	s->rejected = c.held;
	snprintf(run->notes[s - run->stages], 256, "%ld cards in %ld sealed batches, %ld held",
		 c.cards, c.batches, c.held);
	stage_end(run, s, &t0, r);
}

static void
do_render(struct run *run)
{
	struct render_opts o = {0};
	struct render_counts *c = xcalloc(1, sizeof(*c));
	struct timespec t0;
	struct runreport_stage *s = stage_begin(run, "render", &t0);
	struct run_lock lk = {-1};
	int r = take_stage(run, "render", &lk);

	if (r == 0)
		r = stage_render_run(run->cfg, run->home, run->reg, &o, c);
	run_lock_release(&lk);

	s->in = c->rendered + c->complete + c->held;
	s->done = c->rendered + c->complete;
	s->rejected = c->held;
	snprintf(run->notes[s - run->stages], 256, "%ld cards drawn, %ld held, %d proof pages",
		 c->rendered + c->complete, c->held, c->proof_pages);
	stage_end(run, s, &t0, r);
	free(c);
}

static void
do_produce(struct run *run, int line)
{
	struct produce_opts o = {0};
	struct produce_result c = {0};
	struct timespec t0;
	char *name = run->names[run->nstages < NIGHTLY_MAX_LINES ? run->nstages : 0];
	struct runreport_stage *s;
	int r;

	snprintf(name, 24, "produce line %d", line);
	s = stage_begin(run, name, &t0);
	o.line = line;
	o.stop = run->opts->stop;
	/* the produce stage locks its line itself (run/line<N>/produce.lock) */
	r = stage_produce_run(run->cfg, run->home, run->reg, &o, &c);
	s->in = c.produced + c.spoiled;
	s->done = c.produced;
	s->rejected = c.spoiled;
	snprintf(run->notes[s - run->stages], 256,
		 "%ld produced, %ld spoiled, %ld held, %ld pauses (shift %s)%s%s", c.produced,
		 c.spoiled, c.held, c.pauses, c.shift,
		 c.line_fault[0] ? "; stopped on line fault " : "", c.line_fault);
	stage_end(run, s, &t0, r);
}

static void
do_dispatch(struct run *run)
{
	struct dispatch_result c = {0};
	struct timespec t0;
	struct runreport_stage *s = stage_begin(run, "dispatch", &t0);
	struct run_lock lk = {-1};
	int r = take_stage(run, "dispatch", &lk);

	if (r == 0)
		r = stage_dispatch_run(run->cfg, run->home, run->reg, &c);
	run_lock_release(&lk);

	s->in = c.cards + c.skipped;
	s->done = c.cards;
	snprintf(run->notes[s - run->stages], 256,
		 "%lld cards: %lld mailed, %lld to employers, %lld for pickup; %lld batches",
		 c.cards, c.mail, c.employer, c.pickup, c.batches);
	stage_end(run, s, &t0, r);
	dispatch_result_release(&c);
}

static void
do_reconcile(struct run *run)
{
	struct reconcile_result c = {0};
	struct timespec t0;
	struct runreport_stage *s = stage_begin(run, "reconcile", &t0);
	struct run_lock lk = {-1};
	int r = take_stage(run, "reconcile", &lk);

	if (r == 0)
		r = stage_reconcile_run(run->cfg, run->home, run->reg, NULL, &c);
	run_lock_release(&lk);

	s->in = c.cards;
	s->done = c.cards;
	snprintf(run->notes[s - run->stages], 256, "%lld bank reports, %lld cards, %lld refunds",
		 c.banks, c.cards, c.refunds);
	stage_end(run, s, &t0, r);
	reconcile_result_release(&c);
}

int
nightly_parse_lines(const char *spec, struct nightly_opts *opts)
{
	const char *p = spec;

	opts->nlines = 0;
	while (*p) {
		char *end;
		long n = strtol(p, &end, 10);

		if (end == p || n < 1 || n > 99 || (*end && *end != ','))
			return cp_err(CP_ERR_CONFIG,
				      "production lines '%s': expected numbers 1..99 "
				      "separated by commas",
				      spec);
		if (opts->nlines == NIGHTLY_MAX_LINES)
			return cp_err(CP_ERR_CONFIG, "production lines '%s': at most %d lines",
				      spec, NIGHTLY_MAX_LINES);
		opts->lines[opts->nlines++] = (int)n;
		p = *end ? end + 1 : end;
	}
	return 0;
}

/* The run report's red lines: the working-day calendar running out (checked at the start,
 * into cal) and the applications held for it after the run. */
static size_t
calendar_warnings(struct run *run, const struct calendar_watch *cal, int cal_r, char held[256],
		  const char *out[2])
{
	size_t n = 0;

	if (cal_r < 0 || cal->expiring)
		out[n++] = cal->message;
	if (reg_held_count(run->reg, "calendar-missing", &run->res->calendar_held) == 0 &&
	    run->res->calendar_held) {
		snprintf(held, 256,
			 "%lld application(s) held for calendar-missing: import the State "
			 "Council's notice for the next year (cardpipe calendar import NOTICE); "
			 "the next run judges them again",
			 run->res->calendar_held);
		out[n++] = held;
	}
	return n;
}

int
stage_nightly_run(struct config *cfg, const char *home, struct registry *reg,
		  const struct nightly_opts *opts, struct nightly_result *res)
{
	struct run *run = xcalloc(1, sizeof(*run));
	struct run_lock lk = {-1};
	struct runreport rr = {0};
	char *rundir = fs_join(home, "run"), *lockpath = fs_join(rundir, "nightly.lock");
	char run_id[32], *report = NULL, held[256];
	const char *warnings[2];
	struct calendar_watch cal;
	long long stale = 0;
	int r, cal_r;

	memset(res, 0, sizeof(*res));
	run->cfg = cfg;
	run->home = home;
	run->reg = reg;
	run->opts = opts;
	run->res = res;
	if ((r = fs_mkdirs(rundir, 0700)) < 0 ||
	    (r = run_lock_try(&lk, lockpath, "nightly run")) < 0)
		goto out;
	/* a run that died holding the lock left its row "running": it is over now */
	if ((r = reg_run_close_interrupted(reg, "nightly", &stale)) < 0)
		goto out;
	if (stale)
		log_warn("nightly", "%lld earlier nightly run(s) had been interrupted", stale);
	/* what a killed run was writing when it died is garbage: its stage redoes it */
	{
		/* the stages' own list of folders, so this sweep cannot drift from theirs */
		long removed = 0;

		if ((r = stage_clean_tmp(cfg, home, NULL, &removed)) < 0)
			goto out;
		if (removed)
			log_info("nightly",
				 "removed %ld partial file(s) left by an interrupted run", removed);
	}
	if ((r = reg_run_start(reg, "nightly", &res->run_id)) < 0)
		goto out;
	rr.started = cp_now();
	log_info("nightly", "run %lld started", res->run_id);
	if ((cal_r = calendar_watch_check(cfg, home, &cal)) < 0 || cal.expiring)
		log_warn("nightly", "%s", cal.message);

	do_ingest(run);
	if (!stopped(run))
		do_prepare(run);
	if (!stopped(run))
		do_perso(run);
	if (!stopped(run))
		do_render(run);
	for (int i = 0; i < opts->nlines && !stopped(run); i++)
		do_produce(run, opts->lines[i]);
	if (opts->nlines == 0)
		skip_stage(run, "produce", "no production line configured for this run");
	if (!stopped(run))
		do_dispatch(run);
	if (!stopped(run))
		do_reconcile(run);
	if (stopped(run))
		log_warn("nightly", "stopped by a signal; run it again to finish");

	snprintf(run_id, sizeof(run_id), "%lld", res->run_id);
	rr.run_id = run_id;
	rr.kind = "nightly";
	rr.status = run->first_error ? "failed"
		    : stopped(run)   ? "stopped"
		    : res->quarantined || res->ingest_attention ||
				    (res->records &&
				     (double)res->rejected / (double)res->records >
					     config_double(cfg, "general.reject_threshold"))
			    ? "done with rejects"
			    : "done";
	rr.ended = cp_now();
	rr.stages = run->stages;
	rr.nstages = run->nstages;
	rr.message = run->first_error ? run->first_message : NULL;
	rr.warnings = warnings;
	rr.nwarnings = calendar_warnings(run, &cal, cal_r, held, warnings);
	if ((r = runreport_write(cfg, home, reg, &rr, &report)) < 0) {
		log_error("nightly", "run report: %s", cp_errmsg());
		if (!run->first_error)
			run->first_error = r;
	} else {
		snprintf(res->report, sizeof(res->report), "%s", report);
		log_info("nightly", "run report: %s", report);
	}
	{
		char summary[256];

		snprintf(summary, sizeof(summary),
			 "%zu stages, %d failed, %lld records, %lld rejected", run->nstages,
			 res->failed_stages, res->records, res->rejected);
		r = reg_run_end(reg, res->run_id,
				run->first_error || stopped(run) ? "failed" : "done", summary);
	}
	if (r == 0 && run->first_error)
		r = cp_err(run->first_error, "%s", run->first_message);
	if (r == 0 && stopped(run))
		r = cp_err(CP_ERR_INTERRUPTED, "nightly run stopped by a signal");
out:
	run_lock_release(&lk);
	free(report);
	free(rundir);
	free(lockpath);
	free(run);
	return r;
}
