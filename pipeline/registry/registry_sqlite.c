/*
 * registry_sqlite.c - the SQLite backend: the statement layer of reg_stmt.h (each function
 * one call of SQLite's API; struct reg_stmt is SQLite's own sqlite3_stmt), open, pragmas,
 * migrations, transactions, the SQL functions the schema's triggers call (cp_now, cp_actor,
 * cp_audit_hash; the keyed cp_audit_mac is in reg_seal.c), metadata. The reg_*.c files
 * reach SQLite only through reg_stmt.h; invariant checks are in reg_check.c.
 */
#include "pipeline/registry/registry_sqlite.h"

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

/* ---- the statement layer (reg_stmt.h) on SQLite: each function is its sqlite3_* call ---- */

static int
busy_or_db(int code)
{
	return code == SQLITE_BUSY || code == SQLITE_LOCKED ? CP_ERR_BUSY : CP_ERR_DB;
}

int
reg_fail(struct registry *reg, const char *what)
{
	return cp_err(busy_or_db(sqlite3_errcode(reg->db)), "registry: %s: %s", what,
		      sqlite3_errmsg(reg->db));
}

int
reg_prepare(struct registry *reg, const char *sql, struct reg_stmt **stmt)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(reg->db, sql, -1, &st, NULL);

	*stmt = (struct reg_stmt *)st;
	if (rc != SQLITE_OK)
		return reg_fail(reg, "prepare");
	return 0;
}

static int
bound(int rc)
{
	return rc == SQLITE_OK ? 0 : CP_ERR_DB;
}

int
reg_bind_int(struct reg_stmt *stmt, int idx, long long v)
{
	return bound(sqlite3_bind_int64(reg_sqlite_stmt(stmt), idx, v));
}

int
reg_bind_null(struct reg_stmt *stmt, int idx)
{
	return bound(sqlite3_bind_null(reg_sqlite_stmt(stmt), idx));
}

int
reg_bind_text(struct reg_stmt *stmt, int idx, const char *text)
{
	if (!text)
		return reg_bind_null(stmt, idx);
	return bound(sqlite3_bind_text(reg_sqlite_stmt(stmt), idx, text, -1, SQLITE_TRANSIENT));
}

int
reg_bind_text_static(struct reg_stmt *stmt, int idx, const char *text)
{
	if (!text)
		return reg_bind_null(stmt, idx);
	return bound(sqlite3_bind_text(reg_sqlite_stmt(stmt), idx, text, -1, SQLITE_STATIC));
}

/* Out of the hot path: only a failed step gets here. */
static __attribute__((noinline, cold)) int
step_fail(sqlite3_stmt *st, int rc)
{
	return cp_err(busy_or_db(rc & 0xff), "registry: %s", sqlite3_errmsg(sqlite3_db_handle(st)));
}

int
reg_step(struct reg_stmt *stmt)
{
	int rc = sqlite3_step(reg_sqlite_stmt(stmt));

	if (rc == SQLITE_ROW)
		return REG_ROW;
	if (rc == SQLITE_DONE)
		return REG_DONE;
	return step_fail(reg_sqlite_stmt(stmt), rc);
}

long long
reg_col_int(struct reg_stmt *stmt, int col)
{
	return sqlite3_column_int64(reg_sqlite_stmt(stmt), col);
}

const char *
reg_col_text(struct reg_stmt *stmt, int col)
{
	return (const char *)sqlite3_column_text(reg_sqlite_stmt(stmt), col);
}

int
reg_col_is_null(struct reg_stmt *stmt, int col)
{
	return sqlite3_column_type(reg_sqlite_stmt(stmt), col) == SQLITE_NULL;
}

int
reg_col_is_int(struct reg_stmt *stmt, int col)
{
	return sqlite3_column_type(reg_sqlite_stmt(stmt), col) == SQLITE_INTEGER;
}

char *
reg_col_strdup(struct reg_stmt *stmt, int col)
{
	const char *t = reg_col_text(stmt, col);

	return t ? xstrdup(t) : NULL;
}

int
reg_col_count(struct reg_stmt *stmt)
{
	return sqlite3_column_count(reg_sqlite_stmt(stmt));
}

const char *
reg_col_name(struct reg_stmt *stmt, int col)
{
	return sqlite3_column_name(reg_sqlite_stmt(stmt), col);
}

void
reg_reset(struct reg_stmt *stmt)
{
	sqlite3_reset(reg_sqlite_stmt(stmt));
}

void
reg_reset_clear(struct reg_stmt *stmt)
{
	sqlite3_reset(reg_sqlite_stmt(stmt));
	sqlite3_clear_bindings(reg_sqlite_stmt(stmt));
}

void
reg_finalize(struct reg_stmt *stmt)
{
	sqlite3_finalize(reg_sqlite_stmt(stmt)); /* a no-op for NULL */
}

long long
reg_changes(struct registry *reg)
{
	return sqlite3_changes(reg->db);
}

int
reg_is_sqlite(struct registry *reg)
{
	return 1;
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
reg_exec(struct registry *reg, const char *sql)
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
reg_step_done(struct registry *reg, struct reg_stmt *stmt, const char *what)
{
	int rc = sqlite3_step(reg_sqlite_stmt(stmt));

	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return reg_fail(reg, what);
	return seal_autocommit(reg);
}

int
reg_query_int(struct registry *reg, const char *sql, long long *value)
{
	struct reg_stmt *st;
	int r, rc;

	*value = 0;
	if ((r = reg_prepare(reg, sql, &st)) < 0)
		return r;
	rc = reg_step(st);
	if (rc == REG_ROW)
		*value = reg_col_int(st, 0);
	else if (rc != REG_DONE)
		r = reg_fail(reg, "query");
	reg_finalize(st);
	return r;
}

int
reg_in_tx(struct registry *reg)
{
	return reg->in_tx;
}

/* SQL cp_now(): the pinned or real time, ISO 8601 UTC. Called for every row written, so
 * the text of the last second is kept. */
static void
sql_now(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct registry *reg = sqlite3_user_data(ctx);
	time_t now = cp_now();

	if (now != reg->now_cached || !reg->now_text[0]) {
		cp_iso_utc(now, reg->now_text, sizeof(reg->now_text));
		reg->now_cached = now;
	}
	sqlite3_result_text(ctx, reg->now_text, -1, SQLITE_TRANSIENT);
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

/* The audit chain's row hash: SHA-256 over the fields, each followed by a 0x1F separator. */
void
registry_audit_hash(const char *const fields[7], char out[65])
{
	unsigned char md[32] = {0};
	struct cp_md_ctx *ctx;

	/* a digest that cannot even start leaves zeros, which no chain row ever matches */
	if (cp_md_new(CP_MD_SHA256, &ctx) == 0) {
		for (int i = 0; i < 7; i++) {
			const char *f = fields[i] ? fields[i] : "";

			cp_md_update(ctx, f, strlen(f));
			cp_md_update(ctx, "\x1f", 1);
		}
		if (cp_md_final(ctx, md) < 0)
			memset(md, 0, sizeof(md));
	}
	hex_encode(md, 32, out);
	for (int i = 0; i < 64; i++)
		out[i] = (char)(out[i] >= 'A' && out[i] <= 'F' ? out[i] + 32 : out[i]);
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
registry_latest_version(void)
{
	return registry_migrations[registry_nmigrations - 1].version;
}

int
registry_schema_version(struct registry *reg)
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
registry_open(const char *path, struct registry **out)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct registry *reg = xcalloc(1, sizeof(*reg));
	int r;

	*out = NULL;
	pthread_once(&once, sqlite_setup);
	reg->path = xstrdup(path);
	if (sqlite3_open_v2(path, &reg->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
			    NULL) != SQLITE_OK) {
		r = cp_err(CP_ERR_DB, "cannot open registry '%s': %s", path,
			   reg->db ? sqlite3_errmsg(reg->db) : "out of memory");
		registry_close(reg);
		return r;
	}
	sqlite3_busy_timeout(reg->db, BUSY_TIMEOUT_MS);
	sqlite3_create_function(reg->db, "cp_now", 0, SQLITE_UTF8, reg, sql_now, NULL, NULL);
	sqlite3_create_function(reg->db, "cp_audit_head_deferred", 0, SQLITE_UTF8, reg,
				sql_audit_head_deferred, NULL, NULL);
	sqlite3_create_function(reg->db, "cp_actor", 0, SQLITE_UTF8, reg, sql_actor, NULL, NULL);
	sqlite3_create_function(reg->db, "cp_audit_hash", 7, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
				NULL, sql_audit_hash, NULL, NULL);
	/* synchronous=FULL: a card number committed must survive a power cut (invariant 2) */
	if ((r = reg_seal_attach(reg)) < 0 ||
	    (r = reg_exec(reg, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			       "PRAGMA foreign_keys=ON;")) < 0 ||
	    (registry_schema_version(reg) >= REG_SEAL_MIGRATION &&
	     (r = reg_seal_check_key(reg)) < 0) ||
	    (r = migrate(reg)) < 0 || (r = reg_seal_guard(reg)) < 0) {
		r = cp_err_wrap(r, "registry '%s': ", path);
		registry_close(reg);
		return r;
	}
	*out = reg;
	return 0;
}

void
registry_close(struct registry *reg)
{
	if (!reg)
		return;
	if (reg->db) {
		if (reg->npending && sqlite3_get_autocommit(reg->db) &&
		    sqlite3_exec(reg->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK) {
			if (reg_seal_pending(reg) == 0)
				sqlite3_exec(reg->db, "COMMIT", NULL, NULL, NULL);
			else
				sqlite3_exec(reg->db, "ROLLBACK", NULL, NULL, NULL);
		}
		reg_seal_detach(reg);
		sqlite3_close(reg->db);
	}
	free(reg->path);
	free(reg->actor);
	free(reg);
}

void
registry_set_actor(struct registry *reg, const char *actor)
{
	free(reg->actor);
	reg->actor = xstrdup(actor);
}

int
registry_begin(struct registry *reg)
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
reg_begin_read(struct registry *reg)
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
registry_commit(struct registry *reg)
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
registry_rollback(struct registry *reg)
{
	if (!sqlite3_get_autocommit(reg->db))
		sqlite3_exec(reg->db, "ROLLBACK", NULL, NULL, NULL);
	reg->in_tx = 0;
	reg->audit_pending = 0;
	reg_seal_forget(reg); /* rolled back with the rows */
}

int
registry_audit(struct registry *reg, const char *entity, long long entity_id, const char *event,
	       const char *detail)
{
	struct reg_stmt *st;
	int r;

	if ((r = reg_prepare(reg,
			     "INSERT INTO audit(actor, entity, entity_id, event, detail) "
			     "VALUES(NULL, ?, ?, ?, ?)",
			     &st)) < 0)
		return r;
	reg_bind_text(st, 1, entity);
	reg_bind_int(st, 2, entity_id);
	reg_bind_text(st, 3, event);
	reg_bind_text(st, 4, detail ? detail : "");
	r = reg_step_done(reg, st, "append audit row");
	reg_finalize(st);
	return r;
}

int
registry_meta_get(struct registry *reg, const char *key, char **value)
{
	struct reg_stmt *st;
	int r, rc;

	*value = NULL;
	if ((r = reg_prepare(reg, "SELECT value FROM meta WHERE key = ?", &st)) < 0)
		return r;
	reg_bind_text(st, 1, key);
	rc = reg_step(st);
	if (rc == REG_ROW)
		*value = reg_col_strdup(st, 0);
	else if (rc == REG_DONE)
		r = CP_ERR_NOTFOUND;
	else
		r = reg_fail(reg, "read meta");
	reg_finalize(st);
	return r;
}

int
registry_meta_set(struct registry *reg, const char *key, const char *value)
{
	struct reg_stmt *st;
	int r;

	if ((r = reg_prepare(reg,
			     "INSERT INTO meta(key, value) VALUES(?, ?) "
			     "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
			     &st)) < 0)
		return r;
	reg_bind_text(st, 1, key);
	reg_bind_text(st, 2, value);
	r = reg_step_done(reg, st, "write meta");
	reg_finalize(st);
	return r;
}
