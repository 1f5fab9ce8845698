/*
 * cmd_reconcile.c - `cardpipe reconcile`: signed per-bank day reports, the transport
 * refunds and SLA reports; verify a report; make the signing key.
 */
#include "pipeline/cmd/cmd.h"

#include "core/clock.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/mem.h"
#include "pipeline/registry/registry.h"
#include "pipeline/stages/reconcile.h"
#include "pipeline/stages/stagelock.h"
#include "pipeline/stages/runreport.h"

#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: cardpipe reconcile [run] [--date YYYY-MM-DD]\n"
	"       cardpipe reconcile verify FILE [--pubkey PEM]\n"
	"       cardpipe reconcile sla [--date YYYY-MM-DD]\n"
	"       cardpipe reconcile keygen\n"
	"       cardpipe reconcile report [--date YYYY-MM-DD] [--id ID]\n"
	"\n"
	"run (default)  for the day (default: today, Beijing), write to out/reconcile/<day>/ a\n"
	"               report per bank (every bank of banks.cooperating, and any other bank\n"
	"               with events): <BANK>-<day>.xml and .csv, each with a detached signature\n"
	"               <file>.sig; refunds-<day>.csv (damaged-card replacements with a transport\n"
	"               balance, due in reconcile.refund_days natural days, manual item 46; a\n"
	"               balance outside 1..reconcile.max_refund_fen fen stops the run, exit 3);\n"
	"               sla-<day>.csv; signing-key.pub.pem. Running it again rewrites the same\n"
	"               figures.\n"
	"verify FILE    check FILE.sig over FILE (an .xml or .csv report), then recount the\n"
	"               report against the registry and check its refunds (each within\n"
	"               reconcile.max_refund_fen, summed without overflow to the stated total);\n"
	"               exits 0 when all hold, 3 otherwise, listing every difference\n"
	"sla            print the SLA figures of the day per application type: completed on\n"
	"               time, at risk (open, due within sla.at_risk_days), breached, due today,\n"
	"               on track\n"
	"keygen         when reconcile.signing_key is a PEM file: make it (of the\n"
	"               reconcile.signature kind), 0600; refuses to overwrite one. The default,\n"
	"               keystore:report.sign, is the key store's SM2 key pair\n"
	"report         write the run report page of a whole business day from the registry\n"
	"               (no per-stage figures: those come from a run) to\n"
	"               out/reports/run-<ID>.html (default ID: day-<YYYY-MM-DD>)\n"
	"\n"
	"Options:\n"
	"  --date DATE   the business day to report (run, sla)\n"
	"  --pubkey PEM  verify with this public key (default: the configured signing key's)\n"
	"  --id ID       the report's name (report): letters, digits, '-', '_'\n"
	"  -h, --help    this text\n"
	"\n"
	"The openssl command line verifies a report the same way, e.g. for SM2 with the\n"
	"GM/T 0009 default ID:\n"
	"  openssl dgst -sm3 -verify signing-key.pub.pem -sigopt distid:1234567812345678 \\\n"
	"      -signature ICBC-2026-11-26.xml.sig ICBC-2026-11-26.xml\n"
	"Configuration: reconcile.signature (sm2, ecdsa-p256, rsa-pss), reconcile.signing_key,\n"
	"reconcile.sm2_id and reconcile.sm2_id_banks (the SM2 ID, per bank: verify takes the\n"
	"bank named in the report), reconcile.refund_days, reconcile.max_refund_fen,\n"
	"sla.at_risk_days, banks.cooperating.\n"
	"'run' holds the reconcile stage lock (docs/locks.md): another waits for it up to\n"
	"general.lock_wait seconds, naming it, then exits 3.\n";

static int
do_sla(struct cp_ctx *ctx, struct registry *reg, const char *day)
{
	struct sla_counts *v;
	char today[16];
	size_t n;
	int r;

	if (!day) {
		cp_business_date(cp_now(), today, sizeof(today));
		day = today;
	}
	if ((r = sla_compute(reg, ctx->cfg, day, &v, &n)) < 0)
		return r;
	printf("%-16s %8s %8s %8s %9s %8s   (%s)\n", "app_type", "on_time", "at_risk", "breached",
	       "due_today", "on_track", day);
	for (size_t i = 0; i < n; i++)
		printf("%-16s %8lld %8lld %8lld %9lld %8lld\n", v[i].app_type, v[i].on_time,
		       v[i].at_risk, v[i].breached, v[i].due_today, v[i].on_track);
	sla_counts_free(v, n);
	return 0;
}

/* A run report over one Beijing business day. */
static int
do_report(struct cp_ctx *ctx, struct registry *reg, const char *day, const char *id)
{
	struct runreport rr = {0};
	char today[16], *defid = NULL, *path = NULL;
	int y, m, d, r;

	if (!day) {
		cp_business_date(cp_now(), today, sizeof(today));
		day = today;
	}
	if (cp_parse_date(day, &y, &m, &d) < 0)
		return cp_err(CP_ERR_USAGE, "--date '%s' is not YYYY-MM-DD", day);
	defid = xasprintf("day-%s", day);
	rr.run_id = id ? id : defid;
	rr.kind = "day report";
	rr.status = "done";
	/* midnight to midnight in the bureau's zone (Beijing: 16:00 UTC the day before) */
	rr.started = cp_local_to_utc(y, m, d, 0, 0, 0);
	cp_civil_from_days(cp_days_from_civil(y, m, d) + 1, &y, &m, &d);
	rr.ended = cp_local_to_utc(y, m, d, 0, 0, 0) - 1;
	if ((r = runreport_write(ctx->cfg, ctx->home, reg, &rr, &path)) == 0 && !ctx->quiet)
		printf("run report: %s\n", path);
	free(path);
	free(defid);
	return r;
}

static int
do_keygen(struct cp_ctx *ctx)
{
	char *path = recon_signing_key_path(ctx->cfg, ctx->home), *dir;
	const char *alg = config_str(ctx->cfg, "reconcile.signature");
	int r;

	if (!path)
		return cp_err(CP_ERR_USAGE,
			      "reconcile.signing_key names a key store entry ('%s'): the key store "
			      "makes its keys ('cardpipe keys import NAME --alg SM2 --generate' or "
			      "a ceremony)",
			      config_str(ctx->cfg, "reconcile.signing_key"));
	dir = xstrdup(path);
	if ((r = fs_mkdirs(dirname(dir), 0700)) == 0 && (r = recon_keygen(alg, path)) == 0)
		printf("made a %s signing key: %s\n", alg, path);
	free(dir);
	free(path);
	return r;
}

int
cmd_reconcile(int argc, char **argv, struct cp_ctx *ctx)
{
	static const struct option opts[] = {
		{"date", required_argument, NULL, 'd'},
		{"pubkey", required_argument, NULL, 'p'},
		{"id", required_argument, NULL, 'i'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *date = NULL, *pubkey = NULL, *id = NULL, *sub;
	struct registry *reg = NULL;
	int c, r;

	optind = 1;
	while ((c = cmd_getopt(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': date = optarg; break;
		case 'p': pubkey = optarg; break;
		case 'i': id = optarg; break;
		case 'h': return cmd_usage(usage, 0);
		default: return cmd_usage(usage, 1);
		}
	}
	sub = optind < argc ? argv[optind++] : "run";
	if (id && strcmp(sub, "report"))
		return cmd_usage(usage, 1);
	if (!strcmp(sub, "verify")) {
		if (optind + 1 != argc || date)
			return cmd_usage(usage, 1);
	} else if (!strcmp(sub, "run") || !strcmp(sub, "sla") || !strcmp(sub, "report")) {
		if (optind != argc || pubkey)
			return cmd_usage(usage, 1);
	} else if (!strcmp(sub, "keygen")) {
		if (optind != argc || pubkey || date)
			return cmd_usage(usage, 1);
		return cmd_exit("reconcile", do_keygen(ctx));
	} else {
		static const char *const subs[] = {"run", "verify", "sla", "keygen", "report"};

		return cmd_unknown_word("subcommand", sub, subs, 5);
	}
	if ((r = ctx_registry(ctx, &reg)) < 0)
		return cmd_exit("reconcile", r);
	if (!strcmp(sub, "run")) {
		struct reconcile_result res = {0};
		struct reconcile_opts o = {.day = date, .detail = &res};
		struct stage_result sr;
		struct stage_ctx sc;
		struct run_lock lk = {-1};

		if ((r = ctx_stage(ctx, &sc)) == 0 &&
		    (r = stage_lock_take(ctx->cfg, ctx->home, "reconcile", NULL, &lk)) == 0)
			r = stage_reconcile_run(&sc, &o, &sr);
		ctx_close_registry(ctx); /* closing seals pending rows: still under the lock */
		run_lock_release(&lk);
		if (r == 0 && !ctx->quiet)
			printf("%lld bank report(s), %lld card(s) produced, %lld transport "
			       "refund(s): %s\n",
			       res.banks, res.cards, res.refunds, res.dir);
		reconcile_result_release(&res);
	} else if (!strcmp(sub, "sla")) {
		r = do_sla(ctx, reg, date);
	} else if (!strcmp(sub, "report")) {
		r = do_report(ctx, reg, date, id);
	} else {
		r = stage_reconcile_verify(ctx->cfg, ctx->home, reg, argv[optind], pubkey, stdout);
	}
	return cmd_exit("reconcile", r);
}
