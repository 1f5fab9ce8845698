/*
 * cmd_dispatch.c - `cardpipe dispatch`: send produced cards out (mail manifests, carrier
 * letters, pickup lists, employer lists) and record what happens to them afterwards.
 */
#include "pipeline/cmd/cmd.h"

#include "core/err.h"
#include "core/fsutil.h"
#include "core/mem.h"
#include "pipeline/registry/registry.h"
#include "pipeline/stages/dispatch.h"
#include "pipeline/stages/stagelock.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: cardpipe dispatch [run]\n"
	"       cardpipe dispatch return KEY [--reason TEXT]\n"
	"       cardpipe dispatch delivered KEY [--date YYYY-MM-DD] [--note TEXT]\n"
	"       cardpipe dispatch delivered --file FILE\n"
	"       cardpipe dispatch handed-out KEY [--date YYYY-MM-DD]\n"
	"       cardpipe dispatch overdue [--out FILE]\n"
	"\n"
	"run (default)  every produced card becomes a dispatch item by its delivery method and\n"
	"               goes to 'dispatched'; one batch per run, outputs in "
	"out/dispatch/<batch>/:\n"
	"               mail-manifest.csv/.xml (one UPU S10 number per item, bags by postal "
	"code),\n"
	"               mail-districts.csv, letters.pdf (one A4 carrier letter per card),\n"
	"               pickup-<branch>.csv, employer-<credit code>.csv. Running it again does\n"
	"               nothing new; a run that was stopped finishes its batch.\n"
	"return KEY     an employer (manual item 14) or the post returned the card with card\n"
	"               number or tracking number KEY; the card goes to 'returned'\n"
	"delivered KEY  the card was delivered (a mailed card to the person or the employer, a\n"
	"               pickup card collected at its branch)\n"
	"--file FILE    apply a carrier's delivery file, lines\n"
	"               KEY,delivered|returned|handed-out[,DATE[,NOTE]] ('#' comments; a NOTE\n"
	"               with a comma in double quotes; a DATE after today or before dispatch,\n"
	"               bad quoting or a bad NOTE make a bad line; bad lines are reported and\n"
	"               skipped; exit 1 if any)\n"
	"handed-out KEY the employer handed the card to the employee (manual item 14)\n"
	"overdue        employer cards neither handed out nor returned\n"
	"               dispatch.employer_return_days days after reaching the employer, as CSV\n"
	"\n"
	"Options:\n"
	"  --reason TEXT   why the card came back (return)\n"
	"  --date DATE     the day of delivery or hand-out, Beijing date (default: today; not\n"
	"                  after today nor before the card was dispatched)\n"
	"  --note TEXT     the carrier's note (delivered), one line of at most 200 characters\n"
	"  --file FILE     a carrier delivery file (delivered)\n"
	"  --out FILE      write the overdue list to FILE (0600) instead of stdout\n"
	"  -h, --help      this text\n"
	"\n"
	"Configuration: dispatch.s10_prefix, dispatch.s10_country, dispatch.bag_size,\n"
	"dispatch.csv_encoding, dispatch.manifest_mobile, dispatch.letter_font,\n"
	"dispatch.employer_return_days. Formats: docs/dispatch.md, formats/mail-manifest.xsd.\n"
	"'run' holds the dispatch stage lock (docs/locks.md): another waits for it up to\n"
	"general.lock_wait seconds, naming it, then exits 3.\n";

static int
do_run(struct cp_ctx *ctx)
{
	struct dispatch_result res = {0};
	struct dispatch_opts o = {.detail = &res};
	struct stage_result sr;
	struct stage_ctx sc;
	struct run_lock lk = {-1};
	int r;

	if ((r = ctx_stage(ctx, &sc)) < 0 ||
	    (r = stage_lock_take(ctx->cfg, ctx->home, "dispatch", NULL, &lk)) < 0)
		return r;
	r = stage_dispatch_run(&sc, &o, &sr);
	ctx_close_registry(ctx); /* closing seals pending rows: still under the lock */
	run_lock_release(&lk);

	if (r == 0 && !ctx->quiet)
		printf("dispatched %lld card(s): %lld mail, %lld employer, %lld pickup; "
		       "%lld batch(es)%s%s; %lld not dispatchable\n",
		       res.cards, res.mail, res.employer, res.pickup, res.batches,
		       res.last_batch ? ", last " : "", res.last_batch ? res.last_batch : "",
		       res.skipped);
	dispatch_result_release(&res);
	return r;
}

static int
do_overdue(struct cp_ctx *ctx, struct registry *reg, const char *outpath)
{
	char *text = NULL;
	size_t len = 0;
	long long n = 0;
	FILE *f = open_memstream(&text, &len);
	int r;

	if (!f)
		return cp_err(CP_ERR_NOMEM, "memory stream");
	r = stage_dispatch_overdue(ctx->cfg, reg, f, &n);
	fclose(f);
	if (r == 0) {
		if (outpath)
			r = fs_write_atomic(outpath, text, len, 0600);
		else
			fwrite(text, 1, len, stdout);
	}
	if (r == 0)
		fprintf(stderr, "%lld employer card(s) overdue for return\n", n);
	free(text);
	return r;
}

int
cmd_dispatch(int argc, char **argv, struct cp_ctx *ctx)
{
	static const struct option opts[] = {
		{"reason", required_argument, NULL, 'r'},
		{"date", required_argument, NULL, 'd'},
		{"note", required_argument, NULL, 'n'},
		{"file", required_argument, NULL, 'f'},
		{"out", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *reason = NULL, *date = NULL, *note = NULL, *file = NULL, *out = NULL, *sub;
	struct registry *reg = NULL;
	int c, r, rc = EXIT_DONE;

	optind = 1;
	while ((c = cmd_getopt(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': reason = optarg; break;
		case 'd': date = optarg; break;
		case 'n': note = optarg; break;
		case 'f': file = optarg; break;
		case 'o': out = optarg; break;
		case 'h': return cmd_usage(usage, 0);
		default: return cmd_usage(usage, 1);
		}
	}
	sub = optind < argc ? argv[optind++] : "run";
	if (!strcmp(sub, "run") || !strcmp(sub, "overdue")) {
		if (optind != argc || reason || date || note || file ||
		    (out && strcmp(sub, "overdue")))
			return cmd_usage(usage, 1);
	} else if (!strcmp(sub, "return")) {
		if (optind + 1 != argc || date || note || file || out)
			return cmd_usage(usage, 1);
	} else if (!strcmp(sub, "delivered")) {
		if ((file ? optind != argc : optind + 1 != argc) || reason || out ||
		    (file && (date || note)))
			return cmd_usage(usage, 1);
	} else if (!strcmp(sub, "handed-out")) {
		if (optind + 1 != argc || reason || note || file || out)
			return cmd_usage(usage, 1);
	} else {
		fprintf(stderr, "cardpipe dispatch: unknown subcommand '%s'\n", sub);
		return cmd_usage(usage, 1);
	}
	if (strcmp(sub, "run"))
		ctx->actor = "operator:dispatch";
	if ((r = ctx_registry(ctx, &reg)) < 0)
		return cmd_exit("dispatch", r);
	if (!strcmp(sub, "run")) {
		r = do_run(ctx);
	} else if (!strcmp(sub, "overdue")) {
		r = do_overdue(ctx, reg, out);
	} else if (!strcmp(sub, "return")) {
		r = stage_dispatch_return(ctx->cfg, reg, argv[optind], reason);
	} else if (!strcmp(sub, "handed-out")) {
		r = stage_dispatch_handed_out(ctx->cfg, reg, argv[optind], date);
	} else if (file) {
		struct delivery_file_result res;

		r = stage_dispatch_delivery_file(ctx->cfg, reg, file, stderr, &res);
		if (r == 0) {
			printf("%lld delivered, %lld handed out, %lld returned, %lld already "
			       "recorded, %lld bad line(s)\n",
			       res.delivered, res.handed_out, res.returned, res.already, res.bad);
			if (res.bad)
				rc = EXIT_REJECTS;
		}
	} else {
		r = stage_dispatch_delivered(ctx->cfg, reg, argv[optind], date, note);
	}
	return r < 0 ? cmd_exit("dispatch", r) : rc;
}
