/* test_migrate.c - registry_migrate() (reg_migrate.c): a SQLite registry made by the prepare
 * stage (prepare_fixture.h) copied into a database of its own on the test run's PostgreSQL
 * server (CARDPIPE_TEST_PG): every table counted the same on both sides, ids kept (an
 * application naming a later one as its duplicate, a card superseded by a later card),
 * the seals holding, the audit chain the source's and one row more, the identities
 * continuing past the copied ids, and a second migration into the same database refused.
 * Skipped without a server. */
/* reg_stmt.h before the fixture, whose registry is the global `reg` */
#include "pipeline/registry/reg_stmt.h"
#include "prepare_fixture.h"

#include "core/mem.h"
#include "pipeline/registry/pg_conn.h"
#include "pipeline/registry/reg_migrate.h"

#include <unistd.h>

static const char *base;   /* the server's connection string */
static char *url;	   /* this test's database */
static struct pg_conn *sa; /* a plain connection to it, for counting */

static int
setup(void **state)
{
	char cmd[96];

	if (prepare_fixture_setup("test_migrate") < 0)
		return -1;
	prepare_fixture_photo(246, photo_sha);
	if (!(base = getenv("CARDPIPE_TEST_PG")) || !*base)
		return 0;
	if (pg_connect(base, NULL, &sa) < 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "DROP DATABASE IF EXISTS cp_mig_%ld", (long)getpid());
	pg_exec(sa, cmd);
	snprintf(cmd, sizeof(cmd), "CREATE DATABASE cp_mig_%ld", (long)getpid());
	if (pg_exec(sa, cmd) < 0)
		return -1;
	pg_close(sa);
	url = xasprintf("%s dbname=cp_mig_%ld", base, (long)getpid());
	return pg_connect(url, NULL, &sa) < 0 ? -1 : 0;
}

static int
teardown(void **state)
{
	pg_close(sa);
	free(url);
	return prepare_fixture_teardown(state);
}

static long long
pg_q(const char *query)
{
	struct pg_stmt *s;
	long long v = -1;

	assert_int_equal(pg_prepare(sa, query, &s), 0);
	if (pg_step(s) == PG_ROW)
		v = pg_col_int(s, 0);
	pg_finalize(s);
	return v;
}

static struct registry *
open_target(void)
{
	struct registry *dst;

	if (registry_open_url(url, NULL, &dst) < 0)
		fail_msg("open %s: %s", url, cp_errmsg());
	return dst;
}

static void
test_a_prepared_registry_moves_with_its_history(void **s)
{
	static const char *const counted[] = {
		"input_file",  "person",       "application", "card", "card_counter",
		"pan_counter", "bank_history", "audit_log",   "run",  "dispatch_item",
	};
	struct reg_migrate_report rep;
	struct registry *dst;
	long long a, b, src_audit, rows;
	int problems = 0;
	char text[128];
	FILE *out;

	if (!sa) {
		fprintf(stderr, "CARDPIPE_TEST_PG not set: skipped\n");
		skip();
	}
	/* the source: applications of one file and a later replacement from another channel
	 * (a names the later b as its duplicate), prepared; then a card superseded by a
	 * later card, as cardpipe writes it */
	newfile("e1.xml", "employer");
	a = app(2, "new", "2026-11-20T08:00:00+08:00", NULL);
	for (int who = 10; who < 16; who++)
		app(who, "new", "2026-11-20T09:00:00+08:00", NULL);
	newfile("o1.xml", "website");
	b = app(2, "replace-damaged", "2026-11-21T08:00:00+08:00", NULL);
	run();
	assert_int_equal(q("SELECT duplicate_of FROM application WHERE id = %lld", a), b);
	assert_int_equal(q("SELECT count(*) FROM card"), 7);
	assert_int_equal(registry_begin(reg), 0);
	assert_int_equal(reg_exec(reg, "UPDATE card SET state = 'superseded', superseded_by = "
				       "(SELECT max(id) FROM card) WHERE id = 1"),
			 0);
	assert_int_equal(registry_commit(reg), 0);
	assert_int_equal(registry_verify_audit(reg, &src_audit), 0);

	dst = open_target();
	if (registry_migrate(reg, dst, NULL, &rep, NULL) < 0)
		fail_msg("migrate: %s", cp_errmsg());
	assert_true(rep.committed);
	assert_int_equal(rep.problems, 0);
	assert_int_equal(rep.audit_rows, src_audit + 1);
	assert_int_equal(rep.ntables, REG_MIGRATE_TABLES);
	for (size_t i = 0; i < ARRAY_SIZE(counted); i++) {
		long long n = q("SELECT count(*) FROM %s", counted[i]);
		int found = 0;

		/* the audit log: and the migration's own row */
		snprintf(text, sizeof(text), "SELECT count(*) FROM %s", counted[i]);
		assert_int_equal(pg_q(text), n + !strcmp(counted[i], "audit_log"));
		for (int t = 0; t < rep.ntables; t++)
			if (!strcmp(rep.table[t].name, counted[i])) {
				assert_int_equal(rep.table[t].rows, n);
				found = 1;
			}
		assert_true(found);
	}
	registry_close(dst);

	/* ids and the forward references kept */
	snprintf(text, sizeof(text), "SELECT duplicate_of FROM application WHERE id = %lld", a);
	assert_int_equal(pg_q(text), b);
	assert_int_equal(pg_q("SELECT superseded_by FROM card WHERE id = 1"),
			 q("SELECT max(id) FROM card"));
	/* the identities continue past the copied ids; nothing left queued */
	assert_int_equal(pg_q("SELECT nextval(pg_get_serial_sequence('card', 'id'))"),
			 q("SELECT max(id) FROM card") + 1);
	assert_int_equal(pg_q("SELECT count(*) FROM seal_pending"), 0);
	assert_int_equal(pg_q("SELECT count(*) FROM audit_pending"), 0);
	/* the last audit row says so, chained onto the source's */
	assert_int_equal(pg_q("SELECT count(*) FROM audit_log WHERE event = 'migrated' AND "
			      "actor = 'cardpipe' AND detail LIKE 'from sqlite:%'"),
			 1);

	/* opened again, as the next command would: the chain, the seals, every check */
	dst = open_target();
	assert_int_equal(registry_verify_audit(dst, &rows), 0);
	assert_int_equal(rows, src_audit + 1);
	out = fopen("/dev/null", "w");
	assert_int_equal(registry_check(dst, out, &problems), 0);
	fclose(out);
	assert_int_equal(problems, 0);

	/* a second migration into it is refused, and changes nothing */
	assert_int_equal(registry_migrate(reg, dst, NULL, &rep, NULL), CP_ERR_EXISTS);
	assert_non_null(strstr(cp_errmsg(), "not empty"));
	assert_false(rep.committed);
	assert_int_equal(registry_verify_audit(dst, &rows), 0);
	assert_int_equal(rows, src_audit + 1);
	registry_close(dst);
}

/* A database that already holds a registry with rows of its own is refused, whatever the
 * source. */
static void
test_a_target_in_use_is_refused(void **s)
{
	struct reg_migrate_report rep;
	struct registry *dst;
	long long rows;

	if (!sa) {
		fprintf(stderr, "CARDPIPE_TEST_PG not set: skipped\n");
		skip();
	}
	assert_int_equal(pg_exec(sa, "DROP SCHEMA public CASCADE; CREATE SCHEMA public"), 0);
	dst = open_target();
	assert_int_equal(registry_begin(dst), 0);
	assert_int_equal(reg_exec(dst, "INSERT INTO person(id_type, id_number, name, created_at) "
				       "VALUES('01', '110', 'x', 'x')"),
			 0);
	assert_int_equal(registry_commit(dst), 0);
	assert_int_equal(registry_migrate(reg, dst, NULL, &rep, NULL), CP_ERR_EXISTS);
	assert_non_null(strstr(cp_errmsg(), "table person has 1 row"));
	assert_int_equal(pg_q("SELECT count(*) FROM application"), 0);
	assert_int_equal(registry_verify_audit(dst, &rows), 0);
	assert_int_equal(rows, 1);
	registry_close(dst);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_prepared_registry_moves_with_its_history),
		cmocka_unit_test(test_a_target_in_use_is_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
