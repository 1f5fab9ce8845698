/*
 * test_stage.c - the stage contract: the one reject-threshold check, and the registry the
 * dispatcher hands a RUN_REGISTRY builtin (opened once with the table's actor, refused to
 * a builtin without the flag, a clear hint when the home has none).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/config.h"
#include "core/err.h"
#include "core/mem.h"
#include "pipeline/cmd/cmd.h"
#include "pipeline/registry/registry.h"
#include "pipeline/stages/stage.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
test_over_threshold(void **state)
{
	struct config *cfg = config_new();

	(void)state;
	/* the default general.reject_threshold is 0.05: over it, not at it */
	assert_int_equal(stage_over_threshold(cfg, 100, 5), 0);
	assert_int_equal(stage_over_threshold(cfg, 100, 6), 1);
	assert_int_equal(stage_over_threshold(cfg, 1, 1), 1);
	/* nothing read: no share to be over */
	assert_int_equal(stage_over_threshold(cfg, 0, 0), 0);
	assert_int_equal(config_set(cfg, "general.reject_threshold", "0.5", CFG_CLI), 0);
	assert_int_equal(stage_over_threshold(cfg, 100, 6), 0);
	assert_int_equal(stage_over_threshold(cfg, 100, 51), 1);
	config_free(cfg);
}

struct home {
	char dir[64];
	struct cp_ctx ctx;
};

static int
setup(void **state)
{
	struct home *h = xcalloc(1, sizeof(*h));

	snprintf(h->dir, sizeof(h->dir), "/tmp/cp-test-stage.XXXXXX");
	assert_non_null(mkdtemp(h->dir));
	h->ctx.cfg = config_new();
	h->ctx.home = h->dir;
	*state = h;
	return 0;
}

static int
teardown(void **state)
{
	struct home *h = *state;
	char cmd[128];

	registry_close(h->ctx.reg);
	config_free(h->ctx.cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", h->dir);
	(void)!system(cmd);
	free(h);
	return 0;
}

static void
test_registry_needs_the_flag(void **state)
{
	struct home *h = *state;
	struct registry *reg = (struct registry *)h;

	assert_int_equal(ctx_registry(&h->ctx, &reg), CP_ERR_INVALID);
	assert_null(reg);
	assert_null(h->ctx.reg);
}

static void
test_no_registry_names_init(void **state)
{
	struct home *h = *state;
	struct stage_ctx sc;

	h->ctx.flags = RUN_REGISTRY;
	assert_int_equal(ctx_stage(&h->ctx, &sc), CP_ERR_CONFIG);
	assert_non_null(strstr(cp_errmsg(), "no registry at"));
	assert_non_null(strstr(cp_errmsg(), "run 'cardpipe init'"));
	assert_null(h->ctx.reg);
}

static void
test_registry_opened_once(void **state)
{
	struct home *h = *state;
	char name[] = "init", *argv[] = {name, NULL};
	struct registry *first = NULL, *again = NULL;
	struct stage_ctx sc;

	optind = 1;
	assert_int_equal(cmd_init(1, argv, &h->ctx), 0);
	h->ctx.flags = RUN_REGISTRY;
	h->ctx.actor = "prepare";
	assert_int_equal(ctx_registry(&h->ctx, &first), 0);
	assert_non_null(first);
	assert_ptr_equal(h->ctx.reg, first);
	/* a second ask is the same registry, and the stage context carries it */
	assert_int_equal(ctx_registry(&h->ctx, &again), 0);
	assert_ptr_equal(again, first);
	assert_int_equal(ctx_stage(&h->ctx, &sc), 0);
	assert_ptr_equal(sc.reg, first);
	assert_ptr_equal(sc.cfg, h->ctx.cfg);
	assert_string_equal(sc.home, h->dir);
	assert_string_equal(sc.actor, "prepare");
	/* the registry writes the table's actor into its audit rows */
	assert_int_equal(registry_audit(first, "test", 1, "opened", ""), 0);
	ctx_close_registry(&h->ctx);
	{
		char *path = xasprintf("%s/registry.db", h->dir);
		sqlite3 *db;
		sqlite3_stmt *st;

		assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(db,
						    "SELECT actor FROM audit_log WHERE entity = "
						    "'test' AND event = 'opened'",
						    -1, &st, NULL),
				 SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_string_equal((const char *)sqlite3_column_text(st, 0), "prepare");
		sqlite3_finalize(st);
		sqlite3_close(db);
		free(path);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_over_threshold),
		cmocka_unit_test_setup_teardown(test_registry_needs_the_flag, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_registry_names_init, setup, teardown),
		cmocka_unit_test_setup_teardown(test_registry_opened_once, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
