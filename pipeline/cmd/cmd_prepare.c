/* cmd_prepare.c - `cardpipe prepare`: run the prepare stage and print its summary. */
#include "pipeline/cmd/cmd.h"

#include "core/config.h"
#include "core/err.h"
#include "pipeline/registry/registry.h"
#include "pipeline/stages/prepare.h"
#include "pipeline/stages/stagelock.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: cardpipe prepare [--application ID | --file ID] [--instant]\n"
	"\n"
	"Judge every received application against the business rules (ID number, eligibility,\n"
	"minors' guardians, employee confirmation, bank and the 6-month bank-change limit,\n"
	"delivery address, postal code and mobile, name encoding and card font, photo),\n"
	"deduplicate (the same person twice in a run, or while a card of theirs is in\n"
	"production), compute each SLA due date, and allocate card numbers and PANs. Every\n"
	"record ends accepted, rejected (with a reason code), duplicate (of a named\n"
	"application) or held. Then writes out/rejects/<channel>/<file>.rejects.csv for each\n"
	"input file judged (formats/rejects-csv.md). Running it again changes nothing.\n"
	"\n"
	"Options:\n"
	"  --application ID  judge only this application (registry id)\n"
	"  --file ID         judge only the records of this input file (registry id)\n"
	"  --instant         instant issuance: due date is the application date, cards are\n"
	"                    marked instant\n"
	"  --help            this text\n"
	"\n"
	"Configuration: prepare.*, photo.*, banks.*, card.number_prefix, card.validity_years,\n"
	"card.font, sla.*, general.reject_threshold.\n"
	"Exit codes: 0 done; 1 done, but the share of rejected records exceeds\n"
	"general.reject_threshold; 2 usage or configuration error; 3 failure (the chunk in\n"
	"flight is rolled back; run again).\n"
	"A run over everything waiting holds the prepare stage lock (docs/locks.md): another\n"
	"waits for it up to general.lock_wait seconds, naming it, then exits 3.\n";

static int
parse_id(const char *s, long long *out)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	if (!*s || *end || v <= 0)
		return cp_err(CP_ERR_USAGE, "'%s' is not a positive registry id", s);
	*out = v;
	return 0;
}

int
cmd_prepare(int argc, char **argv, struct cp_ctx *ctx)
{
	static const struct option opts[] = {
		{"application", required_argument, NULL, 'a'},
		{"file", required_argument, NULL, 'f'},
		{"instant", no_argument, NULL, 'i'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct prepare_counts counts = {0};
	struct prepare_opts po = {.detail = &counts};
	struct stage_result sr;
	struct stage_ctx sc;
	struct run_lock lk = {-1};
	int c, r;

	optind = 1;
	while ((c = cmd_getopt(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			if ((r = parse_id(optarg, &po.app_id)) < 0)
				return cmd_exit("prepare", r);
			break;
		case 'f':
			if ((r = parse_id(optarg, &po.file_id)) < 0)
				return cmd_exit("prepare", r);
			break;
		case 'i': po.instant = 1; break;
		case 'h': return cmd_usage(usage, 0);
		default: return cmd_usage(usage, 1);
		}
	}
	if (optind != argc)
		return cmd_usage(usage, 1);

	/* a run over everything waiting holds the stage; one file or application (instant
	 * issuance at a counter) works beside it */
	if (!po.app_id && !po.file_id && !po.instant &&
	    (r = stage_lock_take(ctx->cfg, ctx->home, "prepare", NULL, &lk)) < 0)
		return cmd_exit("prepare", r);
	if ((r = ctx_stage(ctx, &sc)) < 0) {
		run_lock_release(&lk);
		return cmd_exit("prepare", r);
	}
	r = stage_prepare_run(&sc, &po, &sr);
	ctx_close_registry(ctx);
	run_lock_release(&lk);
	if (r < 0)
		return cmd_exit("prepare", r);

	if (!ctx->quiet) {
		printf("prepare: %lld read\n", sr.read);
		printf("  accepted   %lld\n", sr.done);
		printf("  rejected   %lld\n", sr.rejected);
		printf("  duplicate  %ld\n", counts.duplicate);
		printf("  held       %lld\n", sr.held);
		if (counts.photo_warnings)
			printf("  photo warnings %ld (accepted under photo.on_failure = warn)\n",
			       counts.photo_warnings);
		if (counts.superseded)
			printf("  cards superseded %ld\n", counts.superseded);
		printf("  rejects files written %ld\n", counts.rejects_files);
	}
	if (stage_over_threshold(ctx->cfg, sr.read, sr.rejected)) {
		fprintf(stderr,
			"prepare: %.1f%% of the records were rejected, above "
			"general.reject_threshold (%.1f%%)\n",
			100.0 * (double)sr.rejected / (double)sr.read,
			100.0 * config_double(ctx->cfg, "general.reject_threshold"));
		return EXIT_REJECTS;
	}
	return EXIT_DONE;
}
