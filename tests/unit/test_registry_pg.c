/* test_registry_pg.c - the registry on PostgreSQL (registry_pg.c), against the throwaway
 * server of the test run (CARDPIPE_TEST_PG): the schema created in an empty database, the
 * audit chain appended at commit, one chain under writers in several processes, row seals
 * made at commit and a change made without the key found and refused. Each test takes a
 * database of its own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/err.h"
#include "core/mem.h"
#include "pipeline/registry/pg_conn.h"
#include "pipeline/registry/reg_cards.h"
#include "pipeline/registry/registry.h"
#include "pipeline/registry/reg_stmt.h"
#include "pipeline/registry/registry_conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *base;   /* the server's connection string */
static char *url;	   /* this test's database */
static struct pg_conn *sa; /* a connection without cardpipe: the tests' "psql" */

static int
setup(void **state)
{
	static int n;
	char sql[96];

	if (!(base = getenv("CARDPIPE_TEST_PG")) || !*base)
		return 0;
	if (pg_connect(base, NULL, &sa) < 0)
		return -1;
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS cp_reg_%ld_%d", (long)getpid(), ++n);
	pg_exec(sa, sql);
	snprintf(sql, sizeof(sql), "CREATE DATABASE cp_reg_%ld_%d", (long)getpid(), n);
	if (pg_exec(sa, sql) < 0)
		return -1;
	pg_close(sa);
	url = xasprintf("%s dbname=cp_reg_%ld_%d", base, (long)getpid(), n);
	return pg_connect(url, NULL, &sa) < 0 ? -1 : 0;
}

static int
teardown(void **state)
{
	pg_close(sa);
	sa = NULL;
	free(url);
	url = NULL;
	return 0;
}

#define NEED_SERVER()                                                                              \
	do {                                                                                       \
		if (!sa) {                                                                         \
			fprintf(stderr, "CARDPIPE_TEST_PG not set: skipped\n");                    \
			skip();                                                                    \
		}                                                                                  \
	} while (0)

/* registry_open(), saying why when it fails */
static int
open_pg(struct registry **reg)
{
	int r = registry_open(url, reg);

	if (r < 0)
		fprintf(stderr, "registry_open: %s\n", cp_errmsg());
	return r;
}

/* Run writer(w) in n processes at once, each with a connection of its own; every one
 * must succeed (writer returns 0, having said why it did not). */
static void
in_processes(int n, int (*writer)(int w))
{
	for (int w = 0; w < n; w++) {
		pid_t pid = fork();

		assert_true(pid >= 0);
		if (pid == 0)
			_exit(writer(w) != 0);
	}
	for (int w = 0; w < n; w++) {
		int status;

		assert_true(wait(&status) > 0);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
}

static long long
sa_int(const char *sql)
{
	struct pg_stmt *s;
	long long v = -1;

	assert_int_equal(pg_prepare(sa, sql, &s), 0);
	if (pg_step(s) == PG_ROW)
		v = pg_col_int(s, 0);
	pg_finalize(s);
	return v;
}

static void
test_empty_database_gets_the_schema_and_a_sealed_head(void **state)
{
	struct registry *reg;
	long long rows;
	char *head;

	NEED_SERVER();
	assert_true(registry_url_is_pg(url));
	assert_int_equal(open_pg(&reg), 0);
	assert_int_equal(registry_schema_version(reg), registry_latest_version());
	assert_int_equal(registry_verify_audit(reg, &rows), 0);
	assert_int_equal(rows, 1); /* the schema's own "migrated" row */
	assert_int_equal(registry_meta_get(reg, "audit_head", &head), 0);
	assert_true(!strncmp(head, "1:", 2) && strlen(head) == 2 + 64 + 1 + 64);
	free(head);
	registry_close(reg);
	/* opened again: nothing created twice */
	assert_int_equal(open_pg(&reg), 0);
	assert_int_equal(registry_verify_audit(reg, &rows), 0);
	assert_int_equal(rows, 1);
	registry_close(reg);
}

static void
test_audit_rows_are_chained_at_commit_and_dropped_at_rollback(void **state)
{
	struct registry *reg;
	long long rows;

	NEED_SERVER();
	assert_int_equal(open_pg(&reg), 0);
	registry_set_actor(reg, "test");
	assert_int_equal(registry_begin(reg), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(registry_audit(reg, "card", i, "tested", "kept"), 0);
	/* queued, not yet on the chain */
	assert_int_equal(sa_int("SELECT count(*) FROM audit_log"), 1);
	assert_int_equal(registry_commit(reg), 0);
	assert_int_equal(sa_int("SELECT count(*) FROM audit_pending"), 0);
	assert_int_equal(registry_begin(reg), 0);
	assert_int_equal(registry_audit(reg, "card", 9, "tested", "dropped"), 0);
	registry_rollback(reg);
	/* outside a transaction: one of its own */
	assert_int_equal(registry_audit(reg, "card", 10, "tested", "alone"), 0);
	assert_int_equal(registry_verify_audit(reg, &rows), 0);
	assert_int_equal(rows, 5);
	assert_int_equal(sa_int("SELECT count(*) FROM audit_log WHERE actor = 'test' AND "
				"detail = 'dropped'"),
			 0);
	registry_close(reg);

	/* a row cut from the end of the chain: the sealed head says so */
	assert_int_equal(pg_exec(sa, "ALTER TABLE audit_log DISABLE TRIGGER audit_no_delete;"
				     "DELETE FROM audit_log WHERE id = 5;"
				     "ALTER TABLE audit_log ENABLE TRIGGER audit_no_delete"),
			 0);
	assert_int_equal(open_pg(&reg), 0);
	assert_int_equal(registry_verify_audit(reg, &rows), CP_ERR_INTEGRITY);
	registry_close(reg);
}

enum { AUDIT_WRITERS = 4, AUDIT_EACH = 40 };

/* One writer: AUDIT_EACH transactions of one audit row each. */
static int
append_rows(int w)
{
	struct registry *reg;
	int bad = open_pg(&reg) < 0;

	for (int i = 0; !bad && i < AUDIT_EACH; i++)
		bad = registry_begin(reg) < 0 ||
		      registry_audit(reg, "writer", w, "wrote", "row") < 0 ||
		      registry_commit(reg) < 0;
	if (bad)
		fprintf(stderr, "writer %d: %s\n", w, cp_errmsg());
	registry_close(reg);
	return bad;
}

static void
test_one_chain_under_writers_in_several_processes(void **state)
{
	enum { WRITERS = AUDIT_WRITERS, EACH = AUDIT_EACH };
	struct registry *reg;
	long long rows;

	NEED_SERVER();
	assert_int_equal(open_pg(&reg), 0); /* the schema, before the writers */
	registry_close(reg);
	in_processes(WRITERS, append_rows);
	assert_int_equal(open_pg(&reg), 0);
	assert_int_equal(registry_verify_audit(reg, &rows), 0);
	assert_int_equal(rows, 1 + WRITERS * EACH);
	registry_close(reg);
}

static void
test_rows_are_sealed_at_commit_and_a_change_without_the_key_is_refused(void **state)
{
	struct registry *reg;
	int problems = 0;
	char *out = NULL;
	size_t outlen = 0;
	FILE *f;

	NEED_SERVER();
	assert_int_equal(open_pg(&reg), 0);
	assert_int_equal(registry_begin(reg), 0);
	assert_int_equal(reg_exec(reg, "INSERT INTO person(id_type, id_number, name, "
				       "created_at) VALUES('01', '110', '张三', 'x'), "
				       "('01', '111', '李四', 'x')"),
			 0);
	assert_int_equal(registry_commit(reg), 0);
	assert_int_equal(sa_int("SELECT count(*) FROM person WHERE length(row_mac) = 64"), 2);

	/* changed by cardpipe: resealed */
	assert_int_equal(registry_begin(reg), 0);
	assert_int_equal(reg_exec(reg, "UPDATE person SET bank = 'B' WHERE id = 1"), 0);
	assert_int_equal(registry_commit(reg), 0);
	assert_non_null(f = open_memstream(&out, &outlen));
	assert_int_equal(registry_check_seals(reg, f, &problems), 0);
	fclose(f);
	assert_int_equal(problems, 0);
	free(out);

	/* changed without cardpipe: db check names the row, and cardpipe will not touch it */
	assert_int_equal(pg_exec(sa, "UPDATE person SET name = '王五' WHERE id = 2"), 0);
	out = NULL;
	assert_non_null(f = open_memstream(&out, &outlen));
	assert_int_equal(registry_check_seals(reg, f, &problems), 0);
	fclose(f);
	assert_int_equal(problems, 1);
	assert_non_null(strstr(out, "person row 2 was changed without cardpipe's audit key"));
	free(out);
	/* and that a transaction outside cardpipe wrote it */
	out = NULL;
	assert_non_null(f = open_memstream(&out, &outlen));
	assert_int_equal(registry_check(reg, f, &problems), 0);
	fclose(f);
	assert_non_null(strstr(out, "FAIL  no row was written by a transaction that committed "
				    "outside cardpipe (1 offending rows)"));
	free(out);
	assert_int_equal(registry_begin(reg), 0);
	assert_int_equal(reg_exec(reg, "UPDATE person SET bank = 'C' WHERE id = 2"), 0);
	assert_int_equal(registry_commit(reg), CP_ERR_INTEGRITY);
	assert_non_null(strstr(cp_errmsg(), "person row 2 was changed without"));
	assert_int_equal(sa_int("SELECT count(*) FROM person WHERE bank = 'C'"), 0);
	registry_close(reg);
}

static void
test_another_key_cannot_write(void **state)
{
	static const unsigned char other[32] = "another audit key, not the one.";
	static const unsigned char fixture[32] = "cardpipe unit-test audit key 32";
	struct registry *reg;
	long long rows;

	NEED_SERVER();
	assert_int_equal(open_pg(&reg), 0);
	registry_close(reg);
	assert_int_equal(registry_set_audit_key(other, sizeof(other), "OTHER1"), 0);
	assert_int_equal(open_pg(&reg), 0);
	/* queued in the transaction; the commit, which chains it, refuses */
	assert_int_equal(registry_begin(reg), 0);
	assert_int_equal(registry_audit(reg, "test", 1, "event", ""), 0);
	assert_int_equal(registry_commit(reg), CP_ERR_INTEGRITY);
	assert_non_null(strstr(cp_errmsg(), "keyed with the audit key"));
	assert_int_equal(registry_verify_audit(reg, &rows), CP_ERR_INTEGRITY);
	registry_close(reg);
	assert_int_equal(registry_set_audit_key(fixture, sizeof(fixture), "TEST01"), 0);
	assert_int_equal(sa_int("SELECT count(*) FROM audit_log"), 1);
}

static void
test_edited_audit_row_is_detected(void **state)
{
	struct registry *reg;
	long long rows;

	NEED_SERVER();
	assert_int_equal(open_pg(&reg), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(registry_audit(reg, "card", i, "tested", "kept"), 0);
	assert_int_equal(registry_verify_audit(reg, &rows), 0);
	/* the owner switches the append-only trigger off and edits a row in the middle */
	assert_int_equal(pg_exec(sa, "ALTER TABLE audit_log DISABLE TRIGGER audit_no_update;"
				     "UPDATE audit_log SET detail = 'forged' WHERE id = 3;"
				     "ALTER TABLE audit_log ENABLE TRIGGER audit_no_update"),
			 0);
	assert_int_equal(registry_verify_audit(reg, &rows), CP_ERR_INTEGRITY);
	assert_non_null(strstr(cp_errmsg(), "row 3"));
	assert_non_null(strstr(cp_errmsg(), "edited"));
	registry_close(reg);
}

static void
test_state_change_outside_cardpipe_is_refused(void **state)
{
	struct registry *reg;

	NEED_SERVER();
	assert_int_equal(open_pg(&reg), 0);
	assert_int_equal(registry_begin(reg), 0);
	assert_int_equal(reg_exec(reg,
				  "INSERT INTO input_file(sha256, name, channel, format, "
				  "received_at, status) VALUES('aa', 'f', 'web', 'xml', 'x', "
				  "'ingested');"
				  "INSERT INTO application(file_id, record_no, location, channel, "
				  "created_at, updated_at) VALUES(1, 1, 'l', 'web', 'x', 'x')"),
			 0);
	assert_int_equal(registry_commit(reg), 0);
	/* a bare connection cannot change an application's state: its audit row needs
	 * cardpipe's transaction */
	assert_int_equal(pg_exec(sa, "UPDATE application SET state = 'rejected', "
				     "reason_code = 'x' WHERE id = 1"),
			 CP_ERR_DB);
	assert_non_null(strstr(cp_errmsg(), "cardpipe.now is not set"));
	assert_int_equal(sa_int("SELECT count(*) FROM application WHERE state = 'received'"), 1);
	registry_close(reg);
}

/* Card numbers, PANs and transport numbers are allocated once ever, whatever the number of
 * hosts allocating at the same time: four processes, each its own connection, allocate for
 * interleaved applications in transactions of a few cards each. */
enum { ALLOC_WRITERS = 4, ALLOC_EACH = 60, ALLOC_BATCH = 5 };

/* One allocating host: cards for applications w + 1, w + 1 + ALLOC_WRITERS, ..., in
 * transactions of ALLOC_BATCH cards. */
static int
allocate_cards(int w)
{
	struct registry *reg = NULL;
	struct card_allocator *ca = NULL;
	struct card_row card;
	int bad = open_pg(&reg) < 0 || reg_card_allocator_open(reg, &ca) < 0;

	for (int i = 0; !bad && i < ALLOC_EACH; i += ALLOC_BATCH) {
		bad = registry_begin(reg) < 0;
		for (int k = i; !bad && k < i + ALLOC_BATCH; k++) {
			struct card_alloc a = {0};

			a.application_id = a.person_id = 1 + w + ALLOC_WRITERS * k;
			a.bank = "ICBC";
			a.bin = "62122600";
			a.prefix = "B";
			a.transport_city = "1000";
			a.issue_date = "2026-11-26";
			a.expiry_date = "2036-11-25";
			bad = reg_card_allocate_with(ca, &a, &card) < 0;
		}
		if (bad) {
			fprintf(stderr, "writer %d: %s\n", w, cp_errmsg());
			registry_rollback(reg);
		} else {
			bad = registry_commit(reg) < 0;
		}
	}
	reg_card_allocator_close(ca);
	registry_close(reg);
	return bad;
}

static void
test_numbers_allocated_once_under_writers_in_several_processes(void **state)
{
	enum { WRITERS = ALLOC_WRITERS, EACH = ALLOC_EACH };
	struct registry *reg;
	char *seed;
	size_t len = 0;
	FILE *f;

	NEED_SERVER();
	assert_int_equal(open_pg(&reg), 0);
	assert_non_null(f = open_memstream(&seed, &len));
	fprintf(f, "INSERT INTO input_file(sha256, name, channel, format, received_at, status) "
		   "VALUES('x', 'f.xml', 'employer', 'x', 'x', 'ingested');");
	for (int i = 1; i <= WRITERS * EACH; i++)
		fprintf(f,
			"INSERT INTO application(file_id, record_no, location, channel, "
			"created_at, "
			"updated_at) VALUES(1, %d, 'r', 'employer', 'x', 'x');"
			"INSERT INTO person(id_type, id_number, name, created_at) "
			"VALUES('citizen', 'P%d', 'n', 'x');",
			i, i);
	fclose(f);
	assert_int_equal(registry_begin(reg), 0);
	assert_int_equal(reg_exec(reg, seed), 0);
	assert_int_equal(registry_commit(reg), 0);
	free(seed);
	registry_close(reg);

	in_processes(WRITERS, allocate_cards);
	assert_int_equal(sa_int("SELECT count(*) FROM card"), WRITERS * EACH);
	assert_int_equal(sa_int("SELECT count(DISTINCT card_no) + count(DISTINCT pan) + "
				"count(DISTINCT transport_no) FROM card"),
			 3 * WRITERS * EACH);
	/* no gap: the card sequence is exactly 1..n */
	assert_int_equal(sa_int("SELECT max(CAST(substr(card_no, 2, 7) AS bigint)) FROM card"),
			 WRITERS * EACH);
	/* and the counters are past every number they gave */
	assert_int_equal(sa_int("SELECT count(*) FROM card_counter WHERE next_seq <= "
				"(SELECT max(CAST(substr(card_no, 2, 7) AS bigint)) FROM card)"),
			 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_empty_database_gets_the_schema_and_a_sealed_head, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_audit_rows_are_chained_at_commit_and_dropped_at_rollback, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_one_chain_under_writers_in_several_processes,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_rows_are_sealed_at_commit_and_a_change_without_the_key_is_refused,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_numbers_allocated_once_under_writers_in_several_processes, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_another_key_cannot_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_edited_audit_row_is_detected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_change_outside_cardpipe_is_refused,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
