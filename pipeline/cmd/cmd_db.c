/* cmd_db.c - `cardpipe db check | verify-audit`: registry integrity and invariants. */
#include "cmd/cmd.h"

#include "core/err.h"
#include "registry/registry.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
	"usage: cardpipe db check\n"
	"       cardpipe db verify-audit\n"
	"\n"
	"check          SQLite's integrity check, then every invariant of design.md that the\n"
	"               registry can show (nothing lost, nothing doubled, attempts ended, the\n"
	"               audit chain); exits 0 when all hold, 3 otherwise\n"
	"verify-audit   walk the hash-chained audit log; exits 3 naming the first edited,\n"
	"               inserted or deleted row\n";

int
cmd_db(int argc, char **argv, struct cp_ctx *ctx)
{
	struct registry *reg = NULL;
	long long rows = 0;
	int problems = 0, r;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
		return cmd_usage(usage, 0);
	if (argc != 2 || (strcmp(argv[1], "check") && strcmp(argv[1], "verify-audit")))
		return cmd_usage(usage, 1);
	if ((r = ctx_open_registry(ctx, &reg)) < 0)
		return cmd_exit("db", r);
	if (!strcmp(argv[1], "check")) {
		r = registry_check(reg, stdout, &problems);
		if (r == 0 && problems) {
			printf("%d check(s) failed\n", problems);
			r = cp_err(CP_ERR_INTEGRITY, "%d registry check(s) failed", problems);
		} else if (r == 0) {
			printf("all checks passed\n");
		}
	} else {
		r = registry_verify_audit(reg, &rows);
		if (r == 0)
			printf("audit chain intact: %lld rows\n", rows);
	}
	registry_close(reg);
	return cmd_exit("db", r);
}
