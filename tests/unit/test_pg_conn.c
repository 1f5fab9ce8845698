/* test_pg_conn.c - the PostgreSQL statements (pipeline/registry/pg_conn.c): SQLite's
 * placeholders numbered as PostgreSQL's, and, against the throwaway server the test run
 * starts (CARDPIPE_TEST_PG, tests/pg-server.sh), binding, stepping, reading, errors, and
 * the PostgreSQL schema (pg_schema.c): it loads, and its triggers do what SQLite's do. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/err.h"
#include "pipeline/registry/pg_conn.h"
#include "pipeline/registry/pg_schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
expect_numbered(const char *sql, const char *want, int want_n)
{
	int n = -1;
	char *got = pg_number_params(sql, &n, NULL);

	assert_non_null(got);
	assert_string_equal(got, want);
	assert_int_equal(n, want_n);
	free(got);
}

static void
test_placeholders_numbered_as_sqlite_does(void **state)
{
	expect_numbered("SELECT 1", "SELECT 1", 0);
	expect_numbered("UPDATE card SET state = ? WHERE id = ?",
			"UPDATE card SET state = $1 WHERE id = $2", 2);
	/* ?N names its number; a bare ? takes the next after the largest so far */
	expect_numbered("SELECT ?2, ?1, ?", "SELECT $2, $1, $3", 3);
	expect_numbered("WHERE a = ?1 OR ?1 IS NULL", "WHERE a = $1 OR $1 IS NULL", 1);
	/* not inside strings, quoted names, comments or dollar-quoted bodies */
	expect_numbered("SELECT '?', \"a?\", 'it''s ?', ? -- why?\n, ? /* ? */",
			"SELECT '?', \"a?\", 'it''s ?', $1 -- why?\n, $2 /* ? */", 2);
	expect_numbered("DO $x$ SELECT '?' $x$; SELECT ?", "DO $x$ SELECT '?' $x$; SELECT $1", 1);
}

static void
test_placeholder_out_of_range_is_refused(void **state)
{
	int n;

	assert_null(pg_number_params("SELECT ?0", &n, NULL));
	assert_non_null(strstr(cp_errmsg(), "?0"));
	assert_null(pg_number_params("SELECT ?101", &n, NULL));
}

static void
test_password_in_url_is_refused(void **state)
{
	struct pg_conn *c;

	assert_int_equal(pg_connect("postgresql://cardpipe:secret@127.0.0.1/cardpipe", NULL, &c),
			 CP_ERR_CONFIG);
	assert_null(c);
	assert_non_null(strstr(cp_errmsg(), "~/.pgpass"));
	assert_null(strstr(cp_errmsg(), "secret"));
	assert_int_equal(pg_connect("host=127.0.0.1 password=secret", NULL, &c), CP_ERR_CONFIG);
	assert_int_equal(pg_connect("host=127.0.0.1 nonsense", NULL, &c), CP_ERR_CONFIG);
}

/* ---- against a server ---- */

static struct pg_conn *conn;

static int
server_setup(void **state)
{
	const char *url = getenv("CARDPIPE_TEST_PG");

	if (!url || !*url)
		return 0;
	if (pg_connect(url, NULL, &conn) < 0) {
		fprintf(stderr, "%s\n", cp_errmsg());
		return -1;
	}
	return pg_exec(conn, "DROP TABLE IF EXISTS t_pg_conn;"
			     "CREATE TABLE t_pg_conn(id bigint PRIMARY KEY, name text, n bigint)");
}

static int
server_teardown(void **state)
{
	if (conn)
		pg_exec(conn, "DROP TABLE IF EXISTS t_pg_conn");
	pg_close(conn);
	conn = NULL;
	return 0;
}

#define NEED_SERVER()                                                                              \
	do {                                                                                       \
		if (!conn) {                                                                       \
			fprintf(stderr, "CARDPIPE_TEST_PG not set: skipped\n");                    \
			skip();                                                                    \
		}                                                                                  \
	} while (0)

static void
test_insert_select_round_trip(void **state)
{
	struct pg_stmt *ins, *sel;

	NEED_SERVER();
	assert_int_equal(pg_exec(conn, "DELETE FROM t_pg_conn"), 0);
	assert_int_equal(
		pg_prepare(conn, "INSERT INTO t_pg_conn(id, name, n) VALUES(?, ?, ?)", &ins), 0);
	for (int i = 1; i <= 3; i++) {
		char name[16];

		snprintf(name, sizeof(name), "名字 %d", i);
		assert_int_equal(pg_bind_int(ins, 1, i), 0);
		assert_int_equal(pg_bind_text(ins, 2, i == 2 ? NULL : name), 0);
		assert_int_equal(pg_bind_int(ins, 3, 9000000000LL * i), 0);
		assert_int_equal(pg_step(ins), PG_DONE);
		assert_int_equal(pg_changes(conn), 1);
		pg_reset(ins, 1);
	}
	pg_finalize(ins);

	assert_int_equal(pg_prepare(conn,
				    "SELECT id, name, n FROM t_pg_conn WHERE id >= ?1 "
				    "ORDER BY id",
				    &sel),
			 0);
	assert_int_equal(pg_bind_int(sel, 1, 2), 0);
	assert_int_equal(pg_step(sel), PG_ROW);
	assert_int_equal(pg_col_count(sel), 3);
	assert_string_equal(pg_col_name(sel, 1), "name");
	assert_int_equal(pg_col_int(sel, 0), 2);
	assert_true(pg_col_is_null(sel, 1));
	assert_null(pg_col_text(sel, 1));
	assert_int_equal(pg_col_int(sel, 2), 18000000000LL);
	assert_int_equal(pg_step(sel), PG_ROW);
	assert_string_equal(pg_col_text(sel, 1), "名字 3");
	assert_int_equal(pg_step(sel), PG_DONE);
	/* as sqlite3_step(): stepped again, it runs again with the same bindings */
	assert_int_equal(pg_step(sel), PG_ROW);
	assert_int_equal(pg_col_int(sel, 0), 2);
	pg_reset(sel, 0);
	assert_int_equal(pg_bind_int(sel, 1, 3), 0);
	assert_int_equal(pg_step(sel), PG_ROW);
	assert_int_equal(pg_col_int(sel, 0), 3);
	pg_finalize(sel);

	assert_int_equal(pg_exec(conn, "UPDATE t_pg_conn SET n = 0"), 0);
	assert_int_equal(pg_changes(conn), 3);
}

static void
test_errors_name_the_statement_and_the_server_reason(void **state)
{
	struct pg_stmt *s;

	NEED_SERVER();
	assert_int_equal(pg_exec(conn, "DELETE FROM t_pg_conn"), 0);
	assert_int_equal(pg_exec(conn, "INSERT INTO t_pg_conn(id) VALUES(1)"), 0);
	assert_int_equal(pg_prepare(conn, "INSERT INTO t_pg_conn(id) VALUES(?)", &s), 0);
	assert_int_equal(pg_bind_int(s, 1, 1), 0);
	assert_int_equal(pg_step(s), CP_ERR_DB);
	assert_non_null(strstr(cp_errmsg(), "duplicate key"));
	assert_int_equal(pg_bind_int(s, 2, 1), CP_ERR_DB);
	pg_finalize(s);
	assert_int_equal(pg_exec(conn, "SELECT * FROM no_such_table"), CP_ERR_DB);
	assert_non_null(strstr(cp_errmsg(), "no_such_table"));
}

static void
test_lost_lock_race_is_busy(void **state)
{
	struct pg_conn *other;

	NEED_SERVER();
	assert_int_equal(pg_connect(getenv("CARDPIPE_TEST_PG"), NULL, &other), 0);
	assert_int_equal(
		pg_exec(conn, "DELETE FROM t_pg_conn; INSERT INTO t_pg_conn(id) VALUES(7)"), 0);
	assert_int_equal(pg_exec(conn, "BEGIN; SELECT * FROM t_pg_conn WHERE id = 7 FOR UPDATE"),
			 0);
	/* the other connection will not wait for the row: the server says 55P03 */
	assert_int_equal(pg_exec(other, "BEGIN; SELECT * FROM t_pg_conn WHERE id = 7 FOR UPDATE "
					"NOWAIT"),
			 CP_ERR_BUSY);
	assert_int_equal(pg_exec(other, "ROLLBACK"), 0);
	assert_int_equal(pg_exec(conn, "COMMIT"), 0);
	pg_close(other);
}

static void
test_terminated_connection_is_reported(void **state)
{
	struct pg_conn *victim;
	char sql[80];

	NEED_SERVER();
	assert_int_equal(pg_connect(getenv("CARDPIPE_TEST_PG"), NULL, &victim), 0);
	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%d)", pg_backend_pid(victim));
	assert_int_equal(pg_exec(conn, sql), 0);
	assert_int_equal(pg_exec(victim, "SELECT 1"), CP_ERR_DB);
	assert_non_null(strstr(cp_errmsg(), "registry: run SQL"));
	pg_close(victim);
}

/* One integer from a query. */
static long long
query_int(const char *sql)
{
	struct pg_stmt *s;
	long long v = -1;

	assert_int_equal(pg_prepare(conn, sql, &s), 0);
	if (pg_step(s) == PG_ROW)
		v = pg_col_int(s, 0);
	pg_finalize(s);
	return v;
}

static void
test_schema_loads_and_its_triggers_queue_audit_and_seals(void **state)
{
	NEED_SERVER();
	assert_int_equal(pg_exec(conn, "DROP SCHEMA IF EXISTS t_schema CASCADE;"
				       "CREATE SCHEMA t_schema; SET search_path = t_schema"),
			 0);
	assert_int_equal(pg_exec(conn, pg_schema_17_sql), 0);

	/* outside cardpipe (no cardpipe.now): a change that appends an audit row fails */
	assert_int_equal(pg_exec(conn,
				 "INSERT INTO input_file(sha256, name, channel, format,"
				 " received_at, status) VALUES('aa', 'f', 'web', 'xml', 'x',"
				 " 'ingesting');"
				 "INSERT INTO person(id_type, id_number, name, created_at)"
				 " VALUES('01', '110', 'n', 'x');"
				 "INSERT INTO application(file_id, record_no, location, channel,"
				 " created_at, updated_at) VALUES(1, 1, 'l', 'web', 'x', 'x')"),
			 0);
	assert_int_equal(pg_exec(conn, "UPDATE application SET state = 'accepted'"), CP_ERR_DB);
	assert_non_null(strstr(cp_errmsg(), "cardpipe.now is not set"));

	assert_int_equal(pg_exec(conn,
				 "BEGIN;"
				 "SELECT set_config('cardpipe.now', '2026-12-06T20:00:00+08:00',"
				 " true), set_config('cardpipe.actor', 'test', true);"
				 "UPDATE application SET state = 'accepted' WHERE id = 1;"
				 "INSERT INTO card(card_no, application_id, person_id, bank, pan,"
				 " created_at, updated_at) VALUES('B1', 1, 1, 'b', 'p', 'x', 'x');"
				 "INSERT INTO production_attempt(card_id, attempt_no, line, shift,"
				 " started_at, state) VALUES(1, 1, 1, 's', 'x', 'in_flight');"
				 "UPDATE production_attempt SET state = 'spoiled',"
				 " spoil_reason = 'chip' WHERE id = 1"),
			 0);
	/* the audit rows wait in this transaction's queue, in order, for the commit to chain */
	assert_int_equal(query_int("SELECT count(*) FROM audit_pending"
				   " WHERE txid = pg_current_xact_id()"),
			 4);
	assert_int_equal(query_int("SELECT count(*) FROM audit_pending WHERE actor = 'test'"
				   " AND at = '2026-12-06T20:00:00+08:00'"),
			 4);
	assert_int_equal(query_int("SELECT count(*) FROM audit_pending WHERE seq = (SELECT"
				   " max(seq) FROM audit_pending) AND event = 'in_flight->spoiled'"
				   " AND detail = 'card fault: chip'"),
			 1);
	/* the fault follows the reason */
	assert_int_equal(query_int("SELECT count(*) FROM production_attempt WHERE fault = 'card'"),
			 1);
	/* each write of a sealed row is queued, a change with the row as it was; the rows
	 * written outside cardpipe above stay queued, committed, for db check to report */
	assert_int_equal(query_int("SELECT count(*) FROM seal_pending WHERE txid ="
				   " pg_current_xact_id()"),
			 4);
	assert_int_equal(query_int("SELECT count(*) FROM seal_pending WHERE txid <>"
				   " pg_current_xact_id()"),
			 3);
	assert_int_equal(query_int("SELECT count(*) FROM seal_pending WHERE op = 'UPDATE' AND"
				   " old_row ->> 'state' = 'received'"),
			 1);
	/* resealing (row_mac alone) queues nothing */
	assert_int_equal(pg_exec(conn, "UPDATE card SET row_mac = 'm'"), 0);
	assert_int_equal(query_int("SELECT count(*) FROM seal_pending WHERE tbl = 'card'"), 1);
	assert_int_equal(pg_exec(conn, "COMMIT"), 0);

	/* the log is append-only, and a superseded card stays superseded */
	assert_int_equal(pg_exec(conn, "INSERT INTO audit_log VALUES(1, 'a', 'b', 'c', 1, 'e',"
				       " '', 'p', 'h', NULL)"),
			 0);
	assert_int_equal(pg_exec(conn, "DELETE FROM audit_log"), CP_ERR_DB);
	assert_non_null(strstr(cp_errmsg(), "append-only"));
	assert_int_equal(pg_exec(conn, "TRUNCATE audit_log"), CP_ERR_DB);
	assert_int_equal(pg_exec(conn, "UPDATE audit_log SET actor = 'x'"), CP_ERR_DB);
	assert_int_equal(pg_exec(conn, "BEGIN;"
				       "SELECT set_config('cardpipe.now', 'x', true),"
				       " set_config('cardpipe.actor', 'test', true);"
				       "UPDATE card SET state = 'superseded';"
				       "UPDATE card SET state = 'allocated'"),
			 CP_ERR_DB);
	assert_non_null(strstr(cp_errmsg(), "stays superseded"));
	assert_int_equal(pg_exec(conn, "ROLLBACK; DROP SCHEMA t_schema CASCADE;"
				       " SET search_path = public"),
			 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_placeholders_numbered_as_sqlite_does),
		cmocka_unit_test(test_placeholder_out_of_range_is_refused),
		cmocka_unit_test(test_password_in_url_is_refused),
		cmocka_unit_test(test_insert_select_round_trip),
		cmocka_unit_test(test_errors_name_the_statement_and_the_server_reason),
		cmocka_unit_test(test_lost_lock_race_is_busy),
		cmocka_unit_test(test_terminated_connection_is_reported),
		cmocka_unit_test(test_schema_loads_and_its_triggers_queue_audit_and_seals),
	};

	return cmocka_run_group_tests(tests, server_setup, server_teardown);
}
