/* test_registry.c - migrations, transactions, the hash-chained audit log and db check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/err.h"
#include "registry/registry.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char db_path[96];

static int
setup(void **state)
{
	snprintf(db_path, sizeof(db_path), "/tmp/cp-test-registry.%ld.db", (long)getpid());
	unlink(db_path);
	return 0;
}

static int
teardown(void **state)
{
	char side[128];

	unlink(db_path);
	snprintf(side, sizeof(side), "%s-wal", db_path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", db_path);
	unlink(side);
	return 0;
}

/* Tamper with the file the way an attacker with the file would: raw SQL, triggers dropped. */
static void
tamper(const char *sql)
{
	sqlite3 *db;
	char *err = NULL;

	assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "tamper failed: %s\n", err);
		fail();
	}
	sqlite3_close(db);
}

/* The audit log's last row id, read by a connection of its own. */
static long long
last_row_of(struct registry *reg)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long long n = -1;

	(void)reg;
	assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT max(id) FROM audit_log", -1, &st, NULL),
			 SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

static struct registry *
open_with_rows(int n)
{
	struct registry *reg;

	assert_int_equal(registry_open(db_path, &reg), 0);
	registry_set_actor(reg, "test");
	assert_int_equal(registry_begin(reg), 0);
	for (int i = 0; i < n; i++)
		assert_int_equal(registry_audit(reg, "test", i, "event", "detail"), 0);
	assert_int_equal(registry_commit(reg), 0);
	return reg;
}

static void
test_fresh_registry_is_at_the_latest_schema(void **state)
{
	struct registry *reg;

	assert_int_equal(registry_open(db_path, &reg), 0);
	assert_int_equal(registry_schema_version(reg), registry_latest_version());
	registry_close(reg);
	/* reopening migrates nothing and keeps the version */
	assert_int_equal(registry_open(db_path, &reg), 0);
	assert_int_equal(registry_schema_version(reg), registry_latest_version());
	registry_close(reg);
}

static void
test_newer_schema_is_refused(void **state)
{
	struct registry *reg;
	char sql[64];

	assert_int_equal(registry_open(db_path, &reg), 0);
	registry_close(reg);
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", registry_latest_version() + 1);
	tamper(sql);
	assert_int_equal(registry_open(db_path, &reg), CP_ERR_DB);
	assert_non_null(strstr(cp_errmsg(), "newer"));
	assert_null(reg);
}

static void
test_rollback_leaves_nothing(void **state)
{
	struct registry *reg = open_with_rows(0);
	long long rows = 0, before;

	assert_int_equal(registry_verify_audit(reg, &before), 0);
	assert_int_equal(registry_begin(reg), 0);
	assert_int_equal(registry_audit(reg, "test", 1, "lost", ""), 0);
	registry_rollback(reg);
	assert_int_equal(registry_verify_audit(reg, &rows), 0);
	assert_int_equal(rows, before);
	registry_close(reg);
}

static void
test_audit_chain_intact(void **state)
{
	struct registry *reg = open_with_rows(20);
	long long rows = 0;
	int problems = -1;
	FILE *devnull = fopen("/dev/null", "w");

	assert_int_equal(registry_verify_audit(reg, &rows), 0);
	assert_true(rows >= 20);
	assert_int_equal(registry_check(reg, devnull, &problems), 0);
	assert_int_equal(problems, 0);
	fclose(devnull);
	registry_close(reg);
}

static void
test_audit_log_refuses_update_and_delete(void **state)
{
	struct registry *reg = open_with_rows(3);
	sqlite3 *db;

	registry_close(reg);
	assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
	assert_int_not_equal(
		sqlite3_exec(db, "UPDATE audit_log SET detail = 'x'", NULL, NULL, NULL), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "DELETE FROM audit_log", NULL, NULL, NULL),
			     SQLITE_OK);
	sqlite3_close(db);
}

static void
test_edited_row_is_detected(void **state)
{
	struct registry *reg = open_with_rows(10);
	long long rows;

	registry_close(reg);
	tamper("DROP TRIGGER audit_no_update;"
	       "UPDATE audit_log SET detail = 'forged' WHERE id = 5;");
	assert_int_equal(registry_open(db_path, &reg), 0);
	assert_int_equal(registry_verify_audit(reg, &rows), CP_ERR_INTEGRITY);
	assert_non_null(strstr(cp_errmsg(), "row 5"));
	assert_non_null(strstr(cp_errmsg(), "edited"));
	registry_close(reg);
}

static void
test_deleted_middle_row_is_detected(void **state)
{
	struct registry *reg = open_with_rows(10);
	long long rows;

	registry_close(reg);
	tamper("DROP TRIGGER audit_no_delete; DELETE FROM audit_log WHERE id = 4;");
	assert_int_equal(registry_open(db_path, &reg), 0);
	assert_int_equal(registry_verify_audit(reg, &rows), CP_ERR_INTEGRITY);
	assert_non_null(strstr(cp_errmsg(), "row 5"));
	registry_close(reg);
}

static void
test_cut_tail_is_detected(void **state)
{
	struct registry *reg = open_with_rows(10);
	long long rows;

	registry_close(reg);
	tamper("DROP TRIGGER audit_no_delete;"
	       "DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log);");
	assert_int_equal(registry_open(db_path, &reg), 0);
	assert_int_equal(registry_verify_audit(reg, &rows), CP_ERR_INTEGRITY);
	assert_non_null(strstr(cp_errmsg(), "removed from its end"));
	registry_close(reg);
}

/* The head is written once per transaction, by the commit: it names the transaction's
 * last row, also when the rows were appended outside registry_begin() (per row then). */
static void
test_head_follows_each_commit(void **state)
{
	struct registry *reg = open_with_rows(3);
	long long rows;
	char *head = NULL;

	assert_int_equal(registry_meta_get(reg, "audit_head", &head), 0);
	assert_int_equal(strtoll(head, NULL, 10), last_row_of(reg));
	free(head);
	assert_int_equal(registry_audit(reg, "test", 99, "outside a transaction", ""), 0);
	assert_int_equal(registry_meta_get(reg, "audit_head", &head), 0);
	assert_int_equal(strtoll(head, NULL, 10), last_row_of(reg));
	free(head);
	assert_int_equal(registry_begin(reg), 0);
	assert_int_equal(registry_audit(reg, "test", 1, "a", ""), 0);
	assert_int_equal(registry_audit(reg, "test", 2, "b", ""), 0);
	assert_int_equal(registry_commit(reg), 0);
	assert_int_equal(registry_meta_get(reg, "audit_head", &head), 0);
	assert_int_equal(strtoll(head, NULL, 10), last_row_of(reg));
	free(head);
	assert_int_equal(registry_verify_audit(reg, &rows), 0);
	registry_close(reg);
}

/* Rows cut from the end and new ones appended in their place: the head, which only moves
 * forward, still names the row that was cut. */
static void
test_cut_tail_then_append_is_detected(void **state)
{
	struct registry *reg = open_with_rows(10);
	long long rows;

	registry_close(reg);
	tamper("DROP TRIGGER audit_no_delete;"
	       "DELETE FROM audit_log WHERE id >= (SELECT max(id) - 2 FROM audit_log);");
	assert_int_equal(registry_open(db_path, &reg), 0);
	assert_int_equal(registry_begin(reg), 0);
	assert_int_equal(registry_audit(reg, "test", 1, "after the cut", ""), 0);
	assert_int_equal(registry_commit(reg), 0);
	assert_int_equal(registry_verify_audit(reg, &rows), CP_ERR_INTEGRITY);
	assert_non_null(strstr(cp_errmsg(), "removed from its end"));
	registry_close(reg);
}

static void
test_rehashed_forgery_without_chain_is_detected(void **state)
{
	struct registry *reg = open_with_rows(6);
	long long rows;

	registry_close(reg);
	/* a forger who rewrites a row and its own hash still breaks the next row's link */
	tamper("DROP TRIGGER audit_no_update;"
	       "UPDATE audit_log SET detail = 'forged', hash = 'ab' || substr(hash, 3) WHERE id = "
	       "3;");
	assert_int_equal(registry_open(db_path, &reg), 0);
	assert_int_equal(registry_verify_audit(reg, &rows), CP_ERR_INTEGRITY);
	registry_close(reg);
}

static void
test_db_check_finds_a_lost_record(void **state)
{
	struct registry *reg = open_with_rows(0);
	FILE *devnull = fopen("/dev/null", "w");
	int problems = 0;

	registry_close(reg);
	/* a file that claims 2 records but has 1 recorded: invariant 1 broken */
	tamper("INSERT INTO input_file(id, sha256, name, channel, format, received_at, status, "
	       "records)"
	       " VALUES(1, 'aa', 'f.xml', 'employer', 'employer-xml', 'now', 'ingested', 2);"
	       "INSERT INTO application(file_id, record_no, location, channel, created_at, "
	       "updated_at)"
	       " VALUES(1, 1, 'line 3', 'employer', 'now', 'now');");
	assert_int_equal(registry_open(db_path, &reg), 0);
	assert_int_equal(registry_check(reg, devnull, &problems), 0);
	/* and the rows written without cardpipe carry no seal */
	assert_int_equal(problems, 2);
	registry_close(reg);
	fclose(devnull);
}

static void
test_state_change_outside_cardpipe_is_refused(void **state)
{
	struct registry *reg = open_with_rows(0);
	sqlite3 *db;

	registry_close(reg);
	tamper("INSERT INTO input_file(id, sha256, name, channel, format, received_at, status, "
	       "records)"
	       " VALUES(1, 'aa', 'f.xml', 'employer', 'employer-xml', 'now', 'ingested', 1);"
	       "INSERT INTO application(id, file_id, record_no, location, channel, created_at,"
	       " updated_at) VALUES(7, 1, 1, 'line 3', 'employer', 'now', 'now');");
	/* the audit trigger needs cardpipe's SQL functions: a bare connection cannot change state */
	assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db,
					  "UPDATE application SET state = 'rejected', "
					  "reason_code = 'id-format' WHERE id = 7",
					  NULL, NULL, NULL),
			     SQLITE_OK);
	sqlite3_close(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fresh_registry_is_at_the_latest_schema, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollback_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_chain_intact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_log_refuses_update_and_delete, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_edited_row_is_detected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deleted_middle_row_is_detected, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cut_tail_is_detected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_head_follows_each_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cut_tail_then_append_is_detected, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rehashed_forgery_without_chain_is_detected,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_db_check_finds_a_lost_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_change_outside_cardpipe_is_refused,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
