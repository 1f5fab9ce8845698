/* test_registry.c - migrations, transactions, the hash-chained audit log and db check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/err.h"
#include "core/mem.h"
#include "pipeline/registry/registry.h"
#include "pipeline/registry/reg_stmt.h"
#include "pipeline/registry/registry_sqlite.h"

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

/* A registry of n audit rows changed behind its back by sql (see tamper()), opened again. */
static struct registry *
tampered(int n, const char *sql)
{
	struct registry *reg = open_with_rows(n);

	registry_close(reg);
	tamper(sql);
	assert_int_equal(registry_open(db_path, &reg), 0);
	return reg;
}

/* The MACs as docs/audit.md defines them, under the unit tests' key, computed apart from
 * cardpipe (Python's hmac): HMAC-SHA-256 over the label and its NUL, then each field as its
 * 4-byte big-endian length and its bytes (a row seal: the table, the rowid, then each
 * non-NULL column's name, type letter and value). A change that computes them otherwise
 * would break every seal and chain already written. */
static void
test_macs_known_answers(void **state)
{
	const char *const fields[7] = {
		"0000000000000000000000000000000000000000000000000000000000000000",
		"2026-11-26T12:00:00Z",
		"tester",
		"card",
		"12",
		"allocated",
		"B0000012X"};
	const char *hash = "abababababababababababababababababababababababababababababababab";
	struct registry *reg;
	struct reg_stmt *st;
	char mac[65], head[REG_AUDIT_HEAD_MAX], want[REG_AUDIT_HEAD_MAX];

	assert_int_equal(registry_open(db_path, &reg), 0);
	assert_int_equal(reg_audit_mac(reg, fields, mac), 0);
	assert_string_equal(mac,
			    "37108e1fc3a978d354c8c38449aff4d3bca0ed56e229adbbd0038edcf9b98a66");
	assert_int_equal(reg_audit_head(reg, 42, hash, head), 0);
	snprintf(want, sizeof(want), "42:%s:%s", hash,
		 "6b6883b0481e1798f37f9c0c941a6baa7375a4038a8a23ec30da9b319e857e51");
	assert_string_equal(head, want);
	assert_int_equal(registry_begin(reg), 0);
	assert_int_equal(reg_exec(reg, "INSERT INTO person(id, id_type, id_number, name, bank, "
				       "created_at) VALUES(7, 'citizen', '110101199001011234', "
				       "'张三', 'ICBC', '2026-11-26T12:00:00Z')"),
			 0);
	assert_int_equal(registry_commit(reg), 0);
	assert_int_equal(reg_prepare(reg, "SELECT row_mac FROM person WHERE id = 7", &st), 0);
	assert_int_equal(reg_step(st), REG_ROW);
	assert_string_equal(reg_col_text(st, 0),
			    "7d1207f6d8b53c1c634f247d650319f4282b852d185ece454af1f43c666337c7");
	reg_finalize(st);
	registry_close(reg);
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

extern const char migration_15_sql[];

/* One int from a raw connection of its own (a sqlite3 query on the file). */
static long long
raw_int(const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long long v = -1;

	assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* Migration 17 rewrites the audit trigger and the one-card-in-production index so that
 * SQLite builds no temporary b-tree for them: a registry at 16 with rows of its own keeps
 * one intact chain across it, and the rule still holds. */
static void
test_migration_17_keeps_the_chain_and_the_rule(void **state)
{
	struct registry *reg = open_with_rows(3);
	long long before = 0, after = 0;
	char *sql;
	sqlite3 *db;

	assert_int_equal(registry_verify_audit(reg, &before), 0);
	registry_close(reg);
	/* the registry as version 16 left it */
	sql = xasprintf("%sDROP INDEX card_one_in_production;\n"
			"CREATE UNIQUE INDEX card_one_in_production ON card(person_id)\n"
			"  WHERE state IN ('allocated','perso_ready','rendered','held');\n"
			"PRAGMA user_version = 16;",
			migration_15_sql);
	tamper(sql);
	free(sql);
	assert_int_equal(raw_int("SELECT count(*) FROM sqlite_master WHERE name = "
				 "'audit_append' AND sql LIKE '%cp_audit_prev%'"),
			 0);

	assert_int_equal(registry_open(db_path, &reg), 0);
	assert_int_equal(registry_schema_version(reg), 17);
	registry_set_actor(reg, "test");
	assert_int_equal(registry_begin(reg), 0);
	assert_int_equal(registry_audit(reg, "test", 10, "after", "one"), 0);
	assert_int_equal(registry_audit(reg, "test", 11, "after", "two"), 0);
	assert_int_equal(registry_commit(reg), 0);
	assert_int_equal(registry_audit(reg, "test", 12, "after", "alone"), 0);
	assert_int_equal(registry_verify_audit(reg, &after), 0);
	assert_int_equal(after, before + 1 /* migrated */ + 3);
	registry_close(reg);
	/* the new registry's own migration to 17, then the upgrade's */
	assert_int_equal(raw_int("SELECT count(*) FROM audit_log WHERE event = 'migrated' AND "
				 "entity_id = 17"),
			 2);
	assert_int_equal(raw_int("SELECT count(*) FROM sqlite_master WHERE name = "
				 "'audit_append' AND sql LIKE '%cp_audit_prev()%' AND sql NOT LIKE "
				 "'%ORDER BY id DESC%'"),
			 1);

	/* one card of a person in production, as before: a second is refused in any of the
	 * four states, a card out of production is not (the raw connection has no cp_now(),
	 * so the card's audit trigger goes first) */
	assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
	assert_int_equal(
		sqlite3_exec(
			db,
			"DROP TRIGGER card_insert_audit;"
			"INSERT INTO input_file(id, sha256, name, channel, format, received_at, "
			"status) VALUES(1, 'x', 'f', 'employer', 'x', 'x', 'ingested');"
			"INSERT INTO person(id, id_type, id_number, name, created_at) "
			"VALUES(1, 'citizen', 'P1', 'n', 'x');",
			NULL, NULL, NULL),
		SQLITE_OK);
	for (int i = 1; i <= 6; i++) {
		static const char *const states[] = {"allocated", "perso_ready", "rendered",
						     "held",	  "produced",	 "superseded"};
		char *ins = xasprintf(
			"INSERT INTO application(id, file_id, record_no, location, channel, "
			"created_at, updated_at) VALUES(%d, 1, %d, 'r', 'employer', 'x', 'x');"
			"INSERT INTO card(card_no, application_id, person_id, bank, pan, state, "
			"created_at, updated_at) VALUES('C%d', %d, 1, 'b', 'p%d', '%s', 'x', 'x');",
			i, i, i, i, i, states[i == 1 ? 0 : (i - 1) % 6]);
		int rc = sqlite3_exec(db, ins, NULL, NULL, NULL);

		free(ins);
		/* the first in production goes in; the next three (in production) do not */
		assert_int_equal(rc, i == 1 || i >= 5 ? SQLITE_OK : SQLITE_CONSTRAINT);
	}
	sqlite3_close(db);
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
	struct registry *reg;
	long long rows;

	reg = tampered(10, "DROP TRIGGER audit_no_update;"
			   "UPDATE audit_log SET detail = 'forged' WHERE id = 5;");
	assert_int_equal(registry_verify_audit(reg, &rows), CP_ERR_INTEGRITY);
	assert_non_null(strstr(cp_errmsg(), "row 5"));
	assert_non_null(strstr(cp_errmsg(), "edited"));
	registry_close(reg);
}

static void
test_deleted_middle_row_is_detected(void **state)
{
	struct registry *reg;
	long long rows;

	reg = tampered(10, "DROP TRIGGER audit_no_delete; DELETE FROM audit_log WHERE id = 4;");
	assert_int_equal(registry_verify_audit(reg, &rows), CP_ERR_INTEGRITY);
	assert_non_null(strstr(cp_errmsg(), "row 5"));
	registry_close(reg);
}

static void
test_cut_tail_is_detected(void **state)
{
	struct registry *reg;
	long long rows;

	reg = tampered(10, "DROP TRIGGER audit_no_delete;"
			   "DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log);");
	assert_int_equal(registry_verify_audit(reg, &rows), CP_ERR_INTEGRITY);
	assert_non_null(strstr(cp_errmsg(), "removed from its end"));
	registry_close(reg);
}

/* The head row deleted with the last audit rows: a keyed chain without a head is a FAIL,
 * else cutting its end would go unseen. */
static void
test_missing_head_is_detected(void **state)
{
	struct registry *reg;
	long long rows;

	reg = tampered(10, "DROP TRIGGER audit_no_delete;"
			   "DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log);"
			   "DELETE FROM meta WHERE key = 'audit_head';");
	assert_int_equal(registry_verify_audit(reg, &rows), CP_ERR_INTEGRITY);
	assert_non_null(strstr(cp_errmsg(), "head"));
	registry_close(reg);
}

/* Rows cut from the end and the head moved back to the new last row, as anyone with the
 * file can write it: the head carries a MAC under the audit key, so the move shows. */
static void
test_head_moved_back_is_detected(void **state)
{
	struct registry *reg;
	long long rows;

	reg = tampered(10, "DROP TRIGGER audit_no_delete;"
			   "DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log);"
			   "UPDATE meta SET value = (SELECT id || ':' || hash FROM audit_log "
			   "ORDER BY id DESC LIMIT 1) WHERE key = 'audit_head';");
	assert_int_equal(registry_verify_audit(reg, &rows), CP_ERR_INTEGRITY);
	assert_non_null(strstr(cp_errmsg(), "is not sealed with the audit key"));
	registry_close(reg);
	/* a MAC copied from the old head does not fit the earlier row either (the same file:
	 * ten more rows appended, the trigger already gone) */
	reg = tampered(10, "DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log);"
			   "UPDATE meta SET value = (SELECT id || ':' || hash FROM audit_log "
			   "ORDER BY id DESC LIMIT 1) || substr(value, 1 + length(value) - 65) "
			   "WHERE key = 'audit_head';");
	assert_int_equal(registry_verify_audit(reg, &rows), CP_ERR_INTEGRITY);
	assert_non_null(strstr(cp_errmsg(), "is not sealed with the audit key"));
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
	/* ID:HASH:MAC, two 64-digit hex values */
	assert_non_null(strchr(head, ':'));
	assert_int_equal(strlen(strchr(head, ':')), 1 + 64 + 1 + 64);
	assert_int_equal(strrchr(head, ':') - strchr(head, ':'), 65);
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
	struct registry *reg;
	long long rows;

	reg = tampered(10,
		       "DROP TRIGGER audit_no_delete;"
		       "DELETE FROM audit_log WHERE id >= (SELECT max(id) - 2 FROM audit_log);");
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

void registry_audit_hash(const char *const fields[7], char out[65]);

/* Rechain audit rows from `from` on with plain SHA-256, as a forger without the key can,
 * keeping (or dropping) their key_id, and move the head to the last row. */
static void
rechain_plain(long long from, int drop_key_id)
{
	sqlite3 *db;
	sqlite3_stmt *st, *up;
	char prev[65] = "0000000000000000000000000000000000000000000000000000000000000000";
	char hash[65], *sql;

	assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
	sqlite3_exec(db, "DROP TRIGGER IF EXISTS audit_no_update", NULL, NULL, NULL);
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT id, at, actor, entity, entity_id, event, "
					    "detail, hash FROM audit_log ORDER BY id",
					    -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
					    "UPDATE audit_log SET prev_hash = ?, hash = ?, "
					    "key_id = CASE WHEN ? THEN NULL ELSE key_id END "
					    "WHERE id = ?",
					    -1, &up, NULL),
			 SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		long long id = sqlite3_column_int64(st, 0);
		const char *f[7] = {prev};

		if (id < from) {
			snprintf(prev, sizeof(prev), "%s", sqlite3_column_text(st, 7));
			continue;
		}
		for (int i = 1; i < 7; i++)
			f[i] = (const char *)sqlite3_column_text(st, i);
		registry_audit_hash(f, hash);
		sqlite3_bind_text(up, 1, prev, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(up, 2, hash, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(up, 3, drop_key_id);
		sqlite3_bind_int64(up, 4, id);
		assert_int_equal(sqlite3_step(up), SQLITE_DONE);
		sqlite3_reset(up);
		memcpy(prev, hash, sizeof(prev));
	}
	sqlite3_finalize(st);
	sqlite3_finalize(up);
	sql = sqlite3_mprintf("UPDATE meta SET value = (SELECT max(id) FROM audit_log) || ':' || "
			      "'%q' WHERE key = 'audit_head'",
			      prev);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_free(sql);
	sqlite3_close(db);
}

static void
test_plain_hash_append_is_detected(void **state)
{
	struct registry *reg = open_with_rows(5);
	long long rows, last = last_row_of(reg);
	char *sql;

	registry_close(reg);
	/* a row appended with a correctly computed plain SHA-256 hash */
	tamper("INSERT INTO audit_log(at, actor, entity, entity_id, event, detail, prev_hash, hash)"
	       " SELECT 'x', 'prepare', 'card', 1, 'rendered->dispatched', '', hash, hash "
	       "FROM audit_log ORDER BY id DESC LIMIT 1");
	rechain_plain(last + 1, 1);
	assert_int_equal(registry_open(db_path, &reg), 0);
	assert_int_equal(registry_verify_audit(reg, &rows), CP_ERR_INTEGRITY);
	sql = xasprintf("audit row %lld was not written by cardpipe", last + 1);
	assert_non_null(strstr(cp_errmsg(), sql));
	free(sql);
	registry_close(reg);
}

static void
test_rechained_rewrite_is_detected(void **state)
{
	struct registry *reg = open_with_rows(30);
	long long rows;

	registry_close(reg);
	tamper("DROP TRIGGER audit_no_update; UPDATE audit_log SET detail = 'forged' WHERE id = "
	       "20");
	rechain_plain(20, 0);
	assert_int_equal(registry_open(db_path, &reg), 0);
	assert_int_equal(registry_verify_audit(reg, &rows), CP_ERR_INTEGRITY);
	assert_non_null(strstr(cp_errmsg(), "audit row 20 was edited"));
	registry_close(reg);
	/* the same with the key ids dropped, and the whole chain rewritten as plain hashes */
	rechain_plain(20, 1);
	assert_int_equal(registry_open(db_path, &reg), 0);
	assert_int_equal(registry_verify_audit(reg, &rows), CP_ERR_INTEGRITY);
	assert_non_null(strstr(cp_errmsg(), "audit row 20 was not written by cardpipe"));
	registry_close(reg);
	rechain_plain(1, 1);
	assert_int_equal(registry_open(db_path, &reg), 0);
	assert_int_equal(registry_verify_audit(reg, &rows), CP_ERR_INTEGRITY);
	assert_non_null(strstr(cp_errmsg(), "no row keyed with the audit key"));
	registry_close(reg);
}

static void
test_raw_update_breaks_the_row_seal(void **state)
{
	struct registry *reg = open_with_rows(0);
	char *text = NULL;
	size_t len = 0;
	FILE *out;
	int problems = -1;

	assert_int_equal(reg_exec(reg, "INSERT INTO input_file(id, sha256, name, channel, format, "
				       "received_at, status, records) VALUES(1, 'aa', 'f.xml', "
				       "'employer', 'employer-xml', 'now', 'ingested', 1);"
				       "INSERT INTO application(id, file_id, record_no, location, "
				       "channel, name, created_at, updated_at) VALUES(7, 1, 1, "
				       "'line 3', 'employer', 'A', 'now', 'now');"),
			 0);
	out = open_memstream(&text, &len);
	assert_int_equal(registry_check(reg, out, &problems), 0);
	fclose(out);
	assert_int_equal(problems, 0);
	free(text);
	registry_close(reg);
	/* no trigger fires for a name: the CLI's UPDATE leaves no audit row */
	tamper("UPDATE application SET name = 'B' WHERE id = 7");
	assert_int_equal(registry_open(db_path, &reg), 0);
	out = open_memstream(&text, &len);
	assert_int_equal(registry_check(reg, out, &problems), 0);
	fclose(out);
	assert_int_equal(problems, 1);
	assert_non_null(strstr(text, "FAIL  application row 7 was changed"));
	assert_null(strstr(text, "input_file row"));
	free(text);
	/* db reseal accepts it, on the record */
	long long n = 0;
	assert_int_equal(registry_reseal(reg, &n), 0);
	assert_int_equal(n, 1);
	out = open_memstream(&text, &len);
	assert_int_equal(registry_check(reg, out, &problems), 0);
	fclose(out);
	assert_int_equal(problems, 0);
	free(text);
	registry_close(reg);
}

/* A row changed behind cardpipe's back is not resealed when cardpipe changes it next: the
 * commit is refused, and the broken seal stays for db check to report. */
static void
test_cardpipe_does_not_launder_a_raw_update(void **state)
{
	struct registry *reg = open_with_rows(0);
	char *text = NULL;
	size_t len = 0;
	FILE *out;
	int problems = -1;

	assert_int_equal(reg_exec(reg, "INSERT INTO input_file(id, sha256, name, channel, format, "
				       "received_at, status, records) VALUES(1, 'aa', 'f.xml', "
				       "'employer', 'employer-xml', 'now', 'ingested', 2);"
				       "INSERT INTO application(id, file_id, record_no, location, "
				       "channel, name, created_at, updated_at) VALUES(7, 1, 1, "
				       "'line 3', 'employer', 'A', 'now', 'now'), (8, 1, 2, "
				       "'line 4', 'employer', 'C', 'now', 'now');"),
			 0);
	registry_close(reg);
	tamper("UPDATE application SET name = 'B' WHERE id = 7");
	assert_int_equal(registry_open(db_path, &reg), 0);
	/* an intact row changes as before */
	assert_int_equal(registry_begin(reg), 0);
	assert_int_equal(reg_exec(reg, "UPDATE application SET updated_at = 'later' WHERE id = 8"),
			 0);
	assert_int_equal(registry_commit(reg), 0);
	/* the tampered one does not */
	assert_int_equal(registry_begin(reg), 0);
	assert_int_equal(reg_exec(reg, "UPDATE application SET updated_at = 'later' WHERE id = 7"),
			 0);
	assert_int_equal(registry_commit(reg), CP_ERR_INTEGRITY);
	assert_non_null(strstr(cp_errmsg(), "application row 7 was changed without"));
	/* nor deleted */
	assert_int_equal(registry_begin(reg), 0);
	assert_int_equal(reg_exec(reg, "DELETE FROM application WHERE id = 7"), 0);
	assert_int_equal(registry_commit(reg), CP_ERR_INTEGRITY);
	registry_close(reg);
	assert_int_equal(registry_open(db_path, &reg), 0);
	out = open_memstream(&text, &len);
	assert_int_equal(registry_check(reg, out, &problems), 0);
	fclose(out);
	assert_non_null(strstr(text, "FAIL  application row 7 was changed"));
	assert_null(strstr(text, "application row 8"));
	free(text);
	registry_close(reg);
}

static void
test_another_key_cannot_write(void **state)
{
	static const unsigned char other[32] = "another audit key, not the one.";
	static const unsigned char fixture[32] = "cardpipe unit-test audit key 32";
	struct registry *reg = open_with_rows(3);
	long long rows;

	registry_close(reg);
	assert_int_equal(registry_set_audit_key(other, sizeof(other), "OTHER1"), 0);
	assert_int_equal(registry_open(db_path, &reg), 0);
	assert_int_equal(registry_begin(reg), 0);
	assert_int_not_equal(registry_audit(reg, "test", 1, "event", ""), 0);
	registry_rollback(reg);
	assert_int_equal(registry_verify_audit(reg, &rows), CP_ERR_INTEGRITY);
	registry_close(reg);
	assert_int_equal(registry_set_audit_key(fixture, sizeof(fixture), "TEST01"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fresh_registry_is_at_the_latest_schema, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration_17_keeps_the_chain_and_the_rule,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollback_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_chain_intact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_log_refuses_update_and_delete, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_edited_row_is_detected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deleted_middle_row_is_detected, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cut_tail_is_detected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_head_follows_each_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_head_is_detected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_head_moved_back_is_detected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cut_tail_then_append_is_detected, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rehashed_forgery_without_chain_is_detected,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_db_check_finds_a_lost_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_change_outside_cardpipe_is_refused,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_plain_hash_append_is_detected, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rechained_rewrite_is_detected, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_raw_update_breaks_the_row_seal, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cardpipe_does_not_launder_a_raw_update, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_another_key_cannot_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_macs_known_answers, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
