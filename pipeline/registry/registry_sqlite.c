/*
 * registry_sqlite.c - the SQLite backend (registry_conn.h's lite_*): open, pragmas,
 * migrations, transactions, the SQL functions the schema's triggers call (cp_now, cp_actor,
 * cp_audit_hash; the keyed cp_audit_mac is in reg_seal.c). Its statements are in
 * reg_stmt.c, the public entry points in registry_backend.c, invariant checks in reg_check.c.
 */
#include "pipeline/registry/registry_sqlite.h"

#include "pipeline/registry/reg_stmt.h"

#include "core/clock.h"
#include "core/err.h"
#include "core/hex.h"
#include "core/mem.h"
#include "personalization/crypto/hash.h"
#include "pipeline/registry/schema.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define BUSY_TIMEOUT_MS 30000

/* ---- statements (reg_stmt.c passes each call of a SQLite statement here) ---- */

static int
busy_or_db(int code)
{
	return code == SQLITE_BUSY || code == SQLITE_LOCKED ? CP_ERR_BUSY : CP_ERR_DB;
}

int
lite_prepare(struct registry *reg, const char *sql, struct sqlite3_stmt **stmt)
{
	if (sqlite3_prepare_v2(reg->db, sql, -1, stmt, NULL) != SQLITE_OK)
		return reg_fail(reg, "prepare");
	return 0;
}

int
lite_bind_int(struct sqlite3_stmt *st, int idx, long long v)
{
	return sqlite3_bind_int64(st, idx, v) == SQLITE_OK ? 0 : CP_ERR_DB;
}

int
lite_bind_text(struct sqlite3_stmt *st, int idx, const char *text, int keep)
{
	int rc =
		text ? sqlite3_bind_text(st, idx, text, -1, keep ? SQLITE_STATIC : SQLITE_TRANSIENT)
		     : sqlite3_bind_null(st, idx);

	return rc == SQLITE_OK ? 0 : CP_ERR_DB;
}

/* Out of the hot path: only a failed step gets here. */
static __attribute__((noinline, cold)) int
step_fail(sqlite3_stmt *st, int rc)
{
	return cp_err(busy_or_db(rc & 0xff), "registry: %s", sqlite3_errmsg(sqlite3_db_handle(st)));
}

int
lite_step(struct sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return REG_ROW;
	if (rc == SQLITE_DONE)
		return REG_DONE;
	return step_fail(st, rc);
}

long long
lite_col_int(struct sqlite3_stmt *st, int col)
{
	return sqlite3_column_int64(st, col);
}

const char *
lite_col_text(struct sqlite3_stmt *st, int col)
{
	return (const char *)sqlite3_column_text(st, col);
}

int
lite_col_type(struct sqlite3_stmt *st, int col)
{
	switch (sqlite3_column_type(st, col)) {
	case SQLITE_NULL: return 'n';
	case SQLITE_INTEGER: return 'i';
	case SQLITE_FLOAT: return 'r';
	case SQLITE_BLOB: return 'b';
	default: return 't';
	}
}

int
lite_col_count(struct sqlite3_stmt *st)
{
	return sqlite3_column_count(st);
}

const char *
lite_col_name(struct sqlite3_stmt *st, int col)
{
	return sqlite3_column_name(st, col);
}

void
lite_reset(struct sqlite3_stmt *st, int clear)
{
	sqlite3_reset(st);
	if (clear)
		sqlite3_clear_bindings(st);
}

void
lite_finalize(struct sqlite3_stmt *st)
{
	sqlite3_finalize(st); /* a no-op for NULL */
}

/* ---- the connection ---- */

int
lite_fail(struct registry *reg, const char *what)
{
	int code = sqlite3_errcode(reg->db);

	return cp_err(code == SQLITE_BUSY || code == SQLITE_LOCKED ? CP_ERR_BUSY : CP_ERR_DB,
		      "registry: %s: %s", what, sqlite3_errmsg(reg->db));
}

long long
lite_changes(struct registry *reg)
{
	return sqlite3_changes(reg->db);
}

/* ---- the connection ---- */

/* Rows a statement outside registry_begin() ... registry_commit() changed are sealed at
 * once, in their own transaction. */
static int
seal_autocommit(struct registry *reg)
{
	int r;

	if (reg->sealing || (reg->npending == 0 && !reg->tampered) ||
	    !sqlite3_get_autocommit(reg->db))
		return 0;
	if (sqlite3_exec(reg->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return reg_fail(reg, "seal rows");
	if ((r = reg_seal_pending(reg)) == 0 &&
	    sqlite3_exec(reg->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		r = reg_fail(reg, "seal rows");
	if (r < 0)
		sqlite3_exec(reg->db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}

int
lite_exec(struct registry *reg, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(reg->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		int r = cp_err(sqlite3_errcode(reg->db) == SQLITE_BUSY ? CP_ERR_BUSY : CP_ERR_DB,
			       "registry: %s", msg ? msg : sqlite3_errmsg(reg->db));

		sqlite3_free(msg);
		return r;
	}
	return seal_autocommit(reg);
}

int
lite_step_done(struct registry *reg, struct reg_stmt *stmt, const char *what)
{
	int rc = sqlite3_step(stmt->lite);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return reg_fail(reg, what);
	return seal_autocommit(reg);
}

int
lite_step_insert(struct registry *reg, struct reg_stmt *stmt, const char *what, long long *id)
{
	int rc = sqlite3_step(stmt->lite);

	if (rc != SQLITE_DONE)
		return rc == SQLITE_ROW ? cp_err(CP_ERR_DB, "registry: %s: a row returned", what)
					: reg_fail(reg, what);
	/* the statement's own change only: a trigger's inserts count in neither, and the last
	 * rowid is the statement's again once its triggers have ended */
	if (sqlite3_changes(reg->db) != 1)
		return cp_err(CP_ERR_DB, "registry: %s: no row inserted", what);
	*id = sqlite3_last_insert_rowid(reg->db);
	return seal_autocommit(reg);
}

/* SQL cp_now(): the pinned or real time, ISO 8601 UTC. */
static void
sql_now(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	sqlite3_result_text(ctx, reg_now_text(sqlite3_user_data(ctx)), -1, SQLITE_TRANSIENT);
}

/* SQL cp_audit_head_deferred(): 1 inside registry_begin() ... registry_commit(), where the
 * commit records the audit head once (audit_head_commit()) instead of the trigger for every
 * row; 0 elsewhere, and the trigger records it itself. */
static void
sql_audit_head_deferred(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct registry *reg = sqlite3_user_data(ctx);
	int deferred = reg->in_tx && !sqlite3_get_autocommit(reg->db);

	if (deferred)
		reg->audit_pending = 1;
	sqlite3_result_int(ctx, deferred);
}

static void
sql_actor(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct registry *reg = sqlite3_user_data(ctx);

	sqlite3_result_text(ctx, reg->actor ? reg->actor : "cardpipe", -1, SQLITE_TRANSIENT);
}

/* SQL cp_audit_prev(): the hash of the audit chain's last row (64 zeros before the first),
 * the link the audit trigger chains a new row to. A function rather than a subquery in the
 * trigger's INSERT INTO audit_log ... SELECT: a SELECT that reads the table it inserts into
 * is run into a temporary b-tree first, opened and dropped for every audit row. */
static void
sql_audit_prev(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	static const char zeros[] =
		"0000000000000000000000000000000000000000000000000000000000000000";
	struct registry *reg = sqlite3_user_data(ctx);
	int rc;

	if (!reg->audit_prev &&
	    sqlite3_prepare_v3(reg->db, "SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1", -1,
			       SQLITE_PREPARE_PERSISTENT, &reg->audit_prev, NULL) != SQLITE_OK) {
		sqlite3_result_error(ctx, sqlite3_errmsg(reg->db), -1);
		return;
	}
	rc = sqlite3_step(reg->audit_prev);
	if (rc == SQLITE_ROW)
		sqlite3_result_value(ctx, sqlite3_column_value(reg->audit_prev, 0));
	else if (rc == SQLITE_DONE)
		sqlite3_result_text(ctx, zeros, 64, SQLITE_STATIC);
	else
		sqlite3_result_error(ctx, sqlite3_errmsg(reg->db), -1);
	sqlite3_reset(reg->audit_prev);
}

static void
sql_audit_hash(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *fields[7];
	char out[65];

	for (int i = 0; i < 7; i++)
		fields[i] = (const char *)sqlite3_value_text(argv[i]);
	registry_audit_hash(fields, out);
	sqlite3_result_text(ctx, out, 64, SQLITE_TRANSIENT);
}

int
lite_schema_version(struct registry *reg)
{
	long long v = 0;

	if (reg_query_int(reg, "PRAGMA user_version", &v) < 0)
		return -1;
	return (int)v;
}

static int
migrate(struct registry *reg)
{
	int r = 0, have;
	char *sql;

	if ((r = registry_begin(reg)) < 0)
		return r;
	have = registry_schema_version(reg);
	if (have > registry_latest_version()) {
		registry_rollback(reg);
		return cp_err(CP_ERR_DB,
			      "registry '%s' has schema version %d, newer than this "
			      "cardpipe knows (%d)",
			      reg->path, have, registry_latest_version());
	}
	for (size_t i = 0; i < registry_nmigrations; i++) {
		const struct migration *m = &registry_migrations[i];

		if (m->version <= have)
			continue;
		/* rows sealed before a migration are sealed again after it (it may add a
		 * column), except those whose seal was already broken */
		if (m->version > REG_SEAL_MIGRATION && (r = reg_seal_all(reg, 1)) < 0)
			break;
		if ((r = reg_exec(reg, m->sql)) < 0) {
			r = cp_err_wrap(r, "migration %d (%s): ", m->version, m->name);
			break;
		}
		sql = xasprintf("PRAGMA user_version = %d", m->version);
		r = reg_exec(reg, sql);
		free(sql);
		if (r < 0)
			break;
		if (m->version == REG_SEAL_MIGRATION && (r = reg_seal_all(reg, 0)) < 0)
			break;
		if ((r = registry_audit(reg, "registry", m->version, "migrated", m->name)) < 0)
			break;
	}
	if (r < 0) {
		registry_rollback(reg);
		return r;
	}
	return registry_commit(reg);
}

/* Before SQLite's first use: no allocation statistics, which take a global mutex on every
 * malloc and free. */
static void
sqlite_setup(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int
lite_open(struct registry *reg)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	int r;

	pthread_once(&once, sqlite_setup);
	if (sqlite3_open_v2(reg->path, &reg->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
			    NULL) != SQLITE_OK)
		return cp_err(CP_ERR_DB, "cannot open registry '%s': %s", reg->path,
			      reg->db ? sqlite3_errmsg(reg->db) : "out of memory");
	sqlite3_busy_timeout(reg->db, BUSY_TIMEOUT_MS);
	sqlite3_create_function(reg->db, "cp_now", 0, SQLITE_UTF8, reg, sql_now, NULL, NULL);
	sqlite3_create_function(reg->db, "cp_audit_head_deferred", 0, SQLITE_UTF8, reg,
				sql_audit_head_deferred, NULL, NULL);
	sqlite3_create_function(reg->db, "cp_actor", 0, SQLITE_UTF8, reg, sql_actor, NULL, NULL);
	sqlite3_create_function(reg->db, "cp_audit_prev", 0, SQLITE_UTF8, reg, sql_audit_prev, NULL,
				NULL);
	sqlite3_create_function(reg->db, "cp_audit_hash", 7, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
				NULL, sql_audit_hash, NULL, NULL);
	/* synchronous=FULL: a card number committed must survive a power cut (invariant 2) */
	if ((r = reg_seal_attach(reg)) < 0 ||
	    (r = reg_exec(reg, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			       "PRAGMA foreign_keys=ON;")) < 0 ||
	    (registry_schema_version(reg) >= REG_SEAL_MIGRATION &&
	     (r = reg_seal_check_key(reg)) < 0) ||
	    (r = migrate(reg)) < 0 || (r = reg_seal_guard(reg)) < 0)
		return cp_err_wrap(r, "registry '%s': ", reg->path);
	return 0;
}

void
lite_close(struct registry *reg)
{
	if (!reg->db)
		return;
	if (reg->npending && sqlite3_get_autocommit(reg->db) &&
	    sqlite3_exec(reg->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK) {
		if (reg_seal_pending(reg) == 0)
			sqlite3_exec(reg->db, "COMMIT", NULL, NULL, NULL);
		else
			sqlite3_exec(reg->db, "ROLLBACK", NULL, NULL, NULL);
	}
	reg_seal_detach(reg);
	sqlite3_finalize(reg->audit_prev);
	reg->audit_prev = NULL;
	sqlite3_close(reg->db);
	reg->db = NULL;
}

int
lite_begin(struct registry *reg)
{
	int r = reg_exec(reg, "BEGIN IMMEDIATE");

	if (r == 0) {
		reg->in_tx = 1;
		reg->audit_pending = 0;
		if ((r = reg_seal_pending(reg)) < 0)
			registry_rollback(reg);
	}
	return r;
}

int
lite_begin_read(struct registry *reg)
{
	int r = reg_exec(reg, "BEGIN DEFERRED");

	if (r == 0)
		reg->in_tx = 1;
	return r;
}

/* Record the audit chain's last row as its head (meta.audit_head), in the transaction that
 * appended it. The head only moves forward: a chain found shorter than its head stays so,
 * for verify-audit to report. */
static int
audit_head_commit(struct registry *reg)
{
	return reg_exec(reg, "INSERT INTO meta(key, value) SELECT 'audit_head', "
			     "cp_audit_head(id, hash) "
			     "FROM audit_log WHERE id = (SELECT max(id) FROM audit_log) "
			     "ON CONFLICT(key) DO UPDATE SET value = excluded.value "
			     "WHERE CAST(value AS INTEGER) < CAST(excluded.value AS INTEGER)");
}

int
lite_commit(struct registry *reg)
{
	int r = 0;

	if (!sqlite3_get_autocommit(reg->db))
		r = reg_seal_pending(reg);
	if (r == 0 && reg->audit_pending && !sqlite3_get_autocommit(reg->db))
		r = audit_head_commit(reg);
	if (r == 0)
		r = reg_exec(reg, "COMMIT");
	if (r < 0)
		registry_rollback(reg);
	reg->in_tx = 0;
	reg->audit_pending = 0;
	return r;
}

void
lite_rollback(struct registry *reg)
{
	if (!sqlite3_get_autocommit(reg->db))
		sqlite3_exec(reg->db, "ROLLBACK", NULL, NULL, NULL);
	reg->in_tx = 0;
	reg->audit_pending = 0;
	reg_seal_forget(reg); /* rolled back with the rows */
}
