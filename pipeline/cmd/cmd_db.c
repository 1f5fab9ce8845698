/* cmd_db.c - `cardpipe db check | verify-audit | reseal`: registry integrity and invariants;
 * `cardpipe db migrate --to URL`: this home's SQLite registry copied into PostgreSQL. */
#include "pipeline/cmd/cmd.h"

#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "core/progress.h"
#include "pipeline/registry/reg_held.h"
#include "pipeline/registry/reg_migrate.h"
#include "pipeline/registry/registry.h"
#include "pipeline/stages/calendar_watch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char usage[] =
	"usage: cardpipe db check\n"
	"       cardpipe db verify-audit\n"
	"       cardpipe db reseal\n"
	"       cardpipe db migrate --to URL [--password-file FILE]\n"
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
	"               new seal, each with an audit row saying so\n"
	"migrate        copy this home's SQLite registry into an empty PostgreSQL database\n"
	"               (URL: a postgresql:// URI or a libpq connection string, without a\n"
	"               password: it comes from ~/.pgpass or --password-file FILE), in one\n"
	"               transaction: every row with its id and seal, the whole audit chain\n"
	"               and one audit row saying so; refused when the target holds anything\n"
	"               but a new registry. On a terminal, shows the rows copied against the\n"
	"               total. Counts every table on both sides, then verifies the audit\n"
	"               chain and runs every check of db check on the target; exits 3 when\n"
	"               one fails. Then set registry.url to URL (README, \"Moving to\n"
	"               PostgreSQL\")\n";

/* `db migrate --to URL [--password-file FILE]`: the source is this home's SQLite registry. */
static int
db_migrate(int argc, char **argv, struct cp_ctx *ctx)
{
	static const struct option opts[] = {
		{"to", required_argument, NULL, 't'},
		{"password-file", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *to = NULL, *pass = NULL, *url;
	struct registry *src = NULL, *dst = NULL;
	struct reg_migrate_report rep;
	struct progress prog;
	long long t0;
	char *lines = NULL;
	size_t len = 0;
	FILE *out;
	int c, r;

	optind = 1;
	while ((c = cmd_getopt(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 't')
			to = optarg;
		else if (c == 'p')
			pass = optarg;
		else
			return cmd_usage(usage, c != 'h');
	}
	if (optind != argc || !to)
		return cmd_usage(usage, 1);
	if (!registry_url_is_pg(to))
		/* not echoed: a mistyped URL may carry a password */
		return cmd_exit("db",
				cp_err(CP_ERR_USAGE,
				       "db migrate --to: expected a postgresql:// URI or a libpq "
				       "connection string (key=value ...)"));
	url = config_str(ctx->cfg, "registry.url");
	if (url && registry_url_is_pg(url))
		return cmd_exit("db", cp_err(CP_ERR_CONFIG,
					     "db migrate copies this home's SQLite registry, and "
					     "registry.url already names a PostgreSQL database"));
	ctx->actor = "operator:db-migrate";
	t0 = cp_mono_ms();
	if ((r = ctx_registry(ctx, &src)) < 0)
		return cmd_exit("db", r);
	if ((r = registry_open_url(to, pass, &dst)) < 0)
		return cmd_exit("db", cp_err_wrap(r, "db migrate --to: "));
	registry_set_actor(dst, ctx->actor);
	if (!(out = open_memstream(&lines, &len))) {
		registry_close(dst);
		return cmd_exit("db", cp_err(CP_ERR_NOMEM, "db migrate: out of memory"));
	}
	r = registry_migrate(src, dst, out, &rep, &prog);
	fclose(out);
	registry_close(dst);
	for (int i = 0; rep.committed && i < rep.ntables; i++)
		printf("%-20s %10lld\n", rep.table[i].name, rep.table[i].rows);
	/* the failed checks only: all of them are `db check`'s to print */
	for (char *line = lines; line && *line;) {
		char *end = strchr(line, '\n');

		if (!strncmp(line, "FAIL", 4))
			printf("%.*s\n", end ? (int)(end - line) : (int)strlen(line), line);
		line = end ? end + 1 : line + strlen(line);
	}
	free(lines);
	if (r == 0)
		printf("audit chain intact on the target: %lld rows (the source's and this "
		       "migration's)\n"
		       "migrated in %.1f s; every check holds on the target\n",
		       rep.audit_rows, (double)(cp_mono_ms() - t0) / 1e3);
	return cmd_exit("db", r);
}

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
	if (argc >= 2 && !strcmp(argv[1], "migrate"))
		return db_migrate(argc - 1, argv + 1, ctx);
	if (argc == 2 && strcmp(argv[1], "check") && strcmp(argv[1], "verify-audit") &&
	    strcmp(argv[1], "reseal")) {
		static const char *const subs[] = {"check", "verify-audit", "reseal", "migrate"};

		return cmd_unknown_word("subcommand", argv[1], subs, 4);
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
