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
	struct stage_ctx ctx;
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
seconds_since(long long t0_ms)
{
	return (double)(cp_mono_ms() - t0_ms) / 1e3;
}

/* Start a stage's report entry; the caller fills the counts. */
static struct runreport_stage *
stage_begin(struct run *run, const char *name, long long *t0_ms)
{
	struct runreport_stage *s = &run->stages[run->nstages];

	memset(s, 0, sizeof(*s));
	s->name = name;
	s->status = "ok";
	s->note = run->notes[run->nstages];
	run->notes[run->nstages][0] = '\0';
	run->nstages++;
	log_info("nightly", "%s ...", name);
	*t0_ms = cp_mono_ms();
	return s;
}

static void
stage_end(struct run *run, struct runreport_stage *s, long long t0_ms, int r)
{
	char *note = run->notes[s - run->stages];

	s->seconds = seconds_since(t0_ms);
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
	long long t0;
	struct runreport_stage *s = stage_begin(run, name, &t0);

	s->status = "skipped";
	snprintf(run->notes[s - run->stages], 256, "%s", why);
	s->seconds = 0;
	log_warn("nightly", "%s skipped: %s", name, why);
}

STAGE_RUN_ANY(ingest, struct ingest_opts)
STAGE_RUN_ANY(prepare, struct prepare_opts)
STAGE_RUN_ANY(perso, struct perso_opts)
STAGE_RUN_ANY(render, struct render_opts)
STAGE_RUN_ANY(produce, struct produce_opts)
STAGE_RUN_ANY(dispatch, struct dispatch_opts)
STAGE_RUN_ANY(reconcile, struct reconcile_opts)

/* One stage through the contract, timed, into the run report. lock: the stage's lock
 * (stagelock.h), so a `cardpipe <stage>` started by hand waits for it and the nightly waits
 * for one already running; NULL for a stage that locks itself. actor: what its audit rows
 * name after the run's own ("prepare", "produce:line1"). */
static int
run_stage(struct run *run, const char *name, const char *actor, const char *lock, stage_run_fn *fn,
	  const void *opts, struct stage_result *out)
{
	long long t0;
	struct runreport_stage *s = stage_begin(run, name, &t0);
	struct run_lock lk = {-1};
	int r = lock ? stage_lock_take(run->ctx.cfg, run->ctx.home, lock, run->opts->stop, &lk) : 0;

	memset(out, 0, sizeof(*out));
	if (r == 0) {
		/* the stage's audit rows name the run and the stage ("nightly:prepare"); the
		 * run's own rows name the run again afterwards */
		struct stage_ctx sc = run->ctx;
		char who[48];

		snprintf(who, sizeof(who), "%s:%s", run->ctx.actor, actor);
		sc.actor = who;
		registry_set_actor(sc.reg, who);
		r = fn(&sc, opts, out);
		registry_set_actor(sc.reg, run->ctx.actor);
	}
	run_lock_release(&lk);
	s->in = out->read;
	s->done = out->done;
	s->rejected = out->rejected;
	snprintf(run->notes[s - run->stages], 256, "%s", out->note);
	stage_end(run, s, t0, r);
	return r;
}

/* The production lines, one stage each; the produce stage locks its line itself
 * (run/line<N>/produce.lock). */
static void
run_lines(struct run *run)
{
	struct stage_result out;

	for (int i = 0; i < run->opts->nlines && !stopped(run); i++) {
		struct produce_opts o = {.line = run->opts->lines[i], .stop = run->opts->stop};
		char *name = run->names[i], actor[24];

		snprintf(name, 24, "produce line %d", o.line);
		snprintf(actor, sizeof(actor), "produce:line%d", o.line);
		run_stage(run, name, actor, NULL, stage_produce_run_any, &o, &out);
	}
	if (run->opts->nlines == 0)
		skip_stage(run, "produce", "no production line configured for this run");
}

/* Every stage in order. A stage that fails does not stop the ones after it; a signal does. */
static void
run_stages(struct run *run)
{
	struct ingest_counts ic = {0};
	struct ingest_opts io = {.detail = &ic};
	struct prepare_opts po = {0};
	struct perso_opts so = {0};
	struct render_opts ro = {0};
	const struct {
		const char *name;
		stage_run_fn *run; /* NULL: the production lines */
		const void *opts;
	} stages[] = {
		{"ingest", stage_ingest_run_any, &io},
		{"prepare", stage_prepare_run_any, &po},
		{"perso", stage_perso_run_any, &so},
		{"render", stage_render_run_any, &ro},
		{"produce", NULL, NULL},
		{"dispatch", stage_dispatch_run_any, NULL},
		{"reconcile", stage_reconcile_run_any, NULL},
	};
	struct stage_result out;
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(stages); i++) {
		if (!stages[i].run) {
			run_lines(run);
			continue;
		}
		if (i > 0 && stopped(run))
			continue;
		r = run_stage(run, stages[i].name, stages[i].name, stages[i].name, stages[i].run,
			      stages[i].opts, &out);
		if (stages[i].run == stage_ingest_run_any) {
			/* the same verdict as `cardpipe ingest` alone: unreadable files, ingest's
			 * rejects */
			run->res->quarantined += ic.files_quarantined;
			if (r == 0 && ingest_needs_attention(run->ctx.cfg, &ic))
				run->res->ingest_attention = 1;
		} else if (stages[i].run == stage_prepare_run_any) {
			/* prepare's figures decide the reject threshold */
			run->res->records += out.read;
			run->res->rejected += out.rejected;
		}
	}
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
	if (reg_held_count(run->ctx.reg, "calendar-missing", &run->res->calendar_held) == 0 &&
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
stage_nightly_run(const struct stage_ctx *ctx, const struct nightly_opts *opts,
		  struct nightly_result *res)
{
	struct config *cfg = ctx->cfg;
	const char *home = ctx->home;
	struct registry *reg = ctx->reg;
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
	run->ctx = *ctx;
	if (!run->ctx.actor)
		run->ctx.actor = "nightly";
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

	run_stages(run);
	if (stopped(run))
		log_warn("nightly", "stopped by a signal; run it again to finish");

	snprintf(run_id, sizeof(run_id), "%lld", res->run_id);
	rr.run_id = run_id;
	rr.kind = "nightly";
	rr.status = run->first_error ? "failed"
		    : stopped(run)   ? "stopped"
		    : res->quarantined || res->ingest_attention ||
				    stage_over_threshold(cfg, res->records, res->rejected)
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
