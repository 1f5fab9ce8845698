/* cmd_nightly.c - `cardpipe nightly`: every stage in order under a lock (cron, systemd timer). */
#include "pipeline/cmd/cmd.h"

#include "core/err.h"
#include "core/log.h"
#include "pipeline/registry/registry.h"
#include "pipeline/stages/nightly.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
	"usage: cardpipe nightly [--line N]... [--no-produce]\n"
	"\n"
	"Run ingest, prepare, perso, render, produce on the production lines, dispatch and\n"
	"reconcile, in that order, then write the run report (out/reports/run-<id>.html).\n"
	"Only one nightly run at a time: a second one exits at once (code 3) naming the first.\n"
	"Every stage is idempotent: after a crash or a kill, run it again.\n"
	"\n"
	"  --line N       drive production line N (repeatable; default: produce.lines)\n"
	"  --no-produce   no production this run (cards wait, rendered, for the next one)\n"
	"\n"
	"SIGINT or SIGTERM stop the run after the current card; run it again to finish.\n"
	"Each stage runs under its stage lock (docs/locks.md): a `cardpipe <stage>` started by\n"
	"hand meanwhile waits for it, and this run waits for one already running, at most\n"
	"general.lock_wait seconds.\n"
	"Exit codes: 0 done; 1 done, but records need attention: whenever cardpipe ingest alone\n"
	"would exit 1 (a file quarantined or unreadable, ingest's rejects over the threshold),\n"
	"the share of rejected records is over general.reject_threshold, or applications are held\n"
	"for calendar-missing (import the next year's notice: cardpipe calendar import); 2 usage\n"
	"or configuration error, in the run's options or in a stage (a missing key store, as the\n"
	"stage alone would exit); 3 a stage failed, another nightly holds the lock, or a stage\n"
	"lock stayed busy (the stages that ran before and after it committed their own work).\n";

static volatile sig_atomic_t stop_requested;

static void
on_signal(int sig)
{
	stop_requested = 1;
}

int
cmd_nightly(int argc, char **argv, struct cp_ctx *ctx)
{
	static const struct option opts[] = {{"line", required_argument, NULL, 'l'},
					     {"no-produce", no_argument, NULL, 'n'},
					     {"help", no_argument, NULL, 'h'},
					     {0}};
	struct nightly_opts no = {.stop = &stop_requested};
	struct nightly_result res;
	struct stage_ctx sc;
	struct sigaction sa = {0};
	int c, r, given_lines = 0, no_produce = 0;

	while ((c = cmd_getopt(argc, argv, "l:nh", opts, NULL)) != -1) {
		if (c == 'l') {
			struct nightly_opts one;

			if (nightly_parse_lines(optarg, &one) < 0 || one.nlines != 1 ||
			    no.nlines == NIGHTLY_MAX_LINES)
				return cmd_usage(usage, 1);
			no.lines[no.nlines++] = one.lines[0];
			given_lines = 1;
		} else if (c == 'n') {
			no_produce = 1;
		} else {
			return cmd_usage(usage, c != 'h');
		}
	}
	if (optind != argc)
		return cmd_usage(usage, 1);
	if (!given_lines &&
	    (r = nightly_parse_lines(config_str(ctx->cfg, "produce.lines"), &no)) < 0)
		return cmd_exit("nightly", r);
	if (no_produce)
		no.nlines = 0;

	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if ((r = ctx_stage(ctx, &sc)) < 0)
		return cmd_exit("nightly", r);
	r = stage_nightly_run(&sc, &no, &res);
	if (r < 0 && (res.failed_stages || r == CP_ERR_BUSY || r == CP_ERR_INTERRUPTED)) {
		/* a failed stage exits as the stage alone would: 2 for a configuration error (a
		 * missing key store), 3 for any other failure */
		cmd_exit("nightly", r);
		return cp_exit_code(r);
	}
	if (r < 0)
		return cmd_exit("nightly", r);
	if (res.quarantined) {
		log_warn("nightly", "%ld file(s) quarantined: see quarantine/", res.quarantined);
		return EXIT_REJECTS;
	}
	if (res.ingest_attention) {
		log_warn("nightly", "ingest needs attention: a file unreadable or the share of "
				    "records rejected by ingest over general.reject_threshold");
		return EXIT_REJECTS;
	}
	if (stage_over_threshold(ctx->cfg, res.records, res.rejected)) {
		log_warn("nightly", "%lld of %lld records rejected, above the threshold of %.1f%%",
			 res.rejected, res.records,
			 100 * config_double(ctx->cfg, "general.reject_threshold"));
		return EXIT_REJECTS;
	}
	if (res.calendar_held) {
		log_warn("nightly",
			 "%lld application(s) held for calendar-missing: import the next year's "
			 "notice (cardpipe calendar import NOTICE)",
			 res.calendar_held);
		return EXIT_REJECTS;
	}
	return EXIT_DONE;
}
