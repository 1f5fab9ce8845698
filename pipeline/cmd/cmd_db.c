/* cmd_db.c - `cardpipe db check | verify-audit | reseal`: registry integrity and invariants. */
#include "pipeline/cmd/cmd.h"

#include "core/err.h"
#include "pipeline/registry/reg_held.h"
#include "pipeline/registry/registry.h"
#include "pipeline/stages/calendar_watch.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
	"usage: cardpipe db check\n"
	"       cardpipe db verify-audit\n"
	"       cardpipe db reseal\n"
	"\n"
	"check          SQLite's integrity check, then every invariant the registry can show\n"
	"               (nothing lost, nothing doubled, attempts ended), the row seals (a row\n"
	"               of input_file, person, application, card, production_attempt,\n"
	"               dispatch_item, perso_batch or card_perso changed without cardpipe's\n"
	"               audit key is named, table and row) and the audit chain; exits 0 when\n"
	"               all hold, 3 otherwise. WARN lines (exit 0) say what needs an\n"
	"               operator: the working-day calendar ends within calendar.warn_days,\n"
	"               applications are held for calendar-missing\n"
	"verify-audit   walk the audit chain, keyed with HMAC-SHA-256 under the audit key (the\n"
	"               key store's 'audit.chain'); exits 3 naming the first row that was\n"
	"               edited, inserted, deleted or written without the key, or when rows were\n"
	"               cut from its end. It proves every row up to the last one is as a holder\n"
	"               of the key wrote it; it cannot show rows cut from the end together with\n"
	"               the recorded head, nor a whole registry put back from a backup\n"
	"               (docs/audit.md)\n"
	"reseal         after a repair made by hand and approved: give the rows check names a\n"
	"               new seal, each with an audit row saying so\n";

/* Not failures of the registry, but what an operator must do before replacements stall. */
static int
calendar_warnings(struct cp_ctx *ctx, struct registry *reg)
{
	struct calendar_watch w;
	long long held = 0;
	int r;

	if (calendar_watch_check(ctx->cfg, ctx->home, &w) < 0)
		printf("WARN  %s\n", cp_errmsg());
	else if (w.expiring)
		printf("WARN  %s\n", w.message);
	if ((r = reg_held_count(reg, "calendar-missing", &held)) < 0)
		return r;
	if (held)
		printf("WARN  %lld application(s) held for calendar-missing: import the next "
		       "year's notice (cardpipe calendar import NOTICE); prepare judges them "
		       "again\n",
		       held);
	return 0;
}

int
cmd_db(int argc, char **argv, struct cp_ctx *ctx)
{
	struct registry *reg = NULL;
	long long rows = 0;
	int problems = 0, r;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
		return cmd_usage(usage, 0);
	if (argc == 2 && strcmp(argv[1], "check") && strcmp(argv[1], "verify-audit") &&
	    strcmp(argv[1], "reseal")) {
		static const char *const subs[] = {"check", "verify-audit", "reseal"};

		return cmd_unknown_word("subcommand", argv[1], subs, 3);
	}
	if (argc != 2)
		return cmd_usage(usage, 1);
	if (!strcmp(argv[1], "reseal"))
		ctx->actor = "operator:db-reseal";
	if ((r = ctx_registry(ctx, &reg)) < 0)
		return cmd_exit("db", r);
	if (!strcmp(argv[1], "check")) {
		r = registry_check(reg, stdout, &problems);
		if (r == 0)
			r = calendar_warnings(ctx, reg);
		if (r == 0 && problems) {
			printf("%d check(s) failed\n", problems);
			r = cp_err(CP_ERR_INTEGRITY, "%d registry check(s) failed", problems);
		} else if (r == 0) {
			printf("all checks passed\n");
		}
	} else if (!strcmp(argv[1], "reseal")) {
		if ((r = registry_reseal(reg, &rows)) == 0)
			printf("resealed %lld row(s)\n", rows);
	} else {
		r = registry_verify_audit(reg, &rows);
		if (r == 0)
			printf("audit chain intact: %lld rows\n", rows);
	}
	return cmd_exit("db", r);
}
