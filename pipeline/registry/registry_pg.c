/*
 * registry_pg.c - the PostgreSQL backend (registry_conn.h's pgr_*): connect, create the
 * schema (pg_schema.c) in an empty database, transactions, and at each commit what SQLite
 * does inside the database with cardpipe's own functions, which a PostgreSQL server cannot
 * do without the audit key:
 *   - the rows the transaction wrote to sealed tables (queued by the schema's triggers in
 *     seal_pending) are checked, the first change of each since its seal, and resealed
 *     (reg_seal.c);
 *   - its audit rows (queued in audit_pending) are chained onto the log under the chain's
 *     advisory lock, and the sealed head is recorded in meta.
 * Writers are serialized by a transaction-level advisory lock taken at BEGIN, as SQLite's
 * BEGIN IMMEDIATE serializes them, so that every reg_* operation sees the registry as it
 * does on SQLite; except a production line's claims and attempts (reg_begin_rows()), which
 * each change rows of the line's own cards, under guarded UPDATEs and unique indexes, and
 * wait only for those rows: lines on other hosts and the nightly go on side by side.
 */
#include "pipeline/registry/registry_conn.h"
#include "pipeline/registry/reg_stmt.h"

#include "core/err.h"
#include "core/mem.h"
#include "pipeline/registry/pg_conn.h"
#include "pipeline/registry/pg_schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Advisory lock keys (two int4): 'card' in ASCII, then what the lock guards. */
#define LOCK_WRITERS "SELECT pg_advisory_xact_lock(1667330660, 1)"
#define LOCK_AUDIT "SELECT pg_advisory_xact_lock(1667330660, 2)"

#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"

/* in_tx for a read-only snapshot, which has nothing to seal or chain at its end */
#define TX_READ 2

/* The transaction's time and actor, for the rows the schema's triggers write. */
static int
set_settings(struct registry *reg)
{
	int r, rc;

	if (!reg->pg_settings && (r = reg_prepare(reg,
						  "SELECT set_config('cardpipe.now', ?, true), "
						  "set_config('cardpipe.actor', ?, true)",
						  &reg->pg_settings)) < 0)
		return r;
	reg_bind_text(reg->pg_settings, 1, reg_now_text(reg));
	reg_bind_text(reg->pg_settings, 2, reg->actor ? reg->actor : "cardpipe");
	rc = reg_step(reg->pg_settings);
	reg_reset(reg->pg_settings);
	return rc < 0 ? rc : 0;
}

/* writers: wait for the writers' lock (registry_begin()), or only for the rows the
 * transaction changes (reg_begin_rows(): a line's claims and attempts) */
static int
begin(struct registry *reg, int writers)
{
	int r;

	if ((r = pg_exec(reg->pg, "BEGIN")) < 0)
		return r;
	reg->in_tx = 1;
	reg->audit_pending = 0;
	/* a lock or a setting that fails leaves no transaction open behind it */
	if ((writers && (r = pg_exec(reg->pg, LOCK_WRITERS)) < 0) || (r = set_settings(reg)) < 0)
		pgr_rollback(reg);
	return r;
}

int
pgr_begin(struct registry *reg)
{
	return begin(reg, 1);
}

int
pgr_begin_rows(struct registry *reg)
{
	return begin(reg, 0);
}

int
pgr_begin_read(struct registry *reg)
{
	int r = pg_exec(reg->pg, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");

	if (r == 0)
		reg->in_tx = TX_READ;
	return r;
}

void
pgr_rollback(struct registry *reg)
{
	if (pg_in_transaction(reg->pg))
		pg_exec(reg->pg, "ROLLBACK");
	reg->in_tx = 0;
	reg->audit_pending = 0;
	reg_seal_forget(reg);
}

/* Record the sealed head in meta, only ever forward, as SQLite's commit does: a chain found
 * shorter than its recorded head stays so, for verify-audit to report. */
static int
head_forward(struct registry *reg, const char *sealed)
{
	struct reg_stmt *st;
	int r;

	if ((r = reg_prepare(reg,
			     "INSERT INTO meta(key, value) VALUES('audit_head', ?) "
			     "ON CONFLICT(key) DO UPDATE SET value = excluded.value WHERE "
			     "CAST(split_part(meta.value, ':', 1) AS bigint) < "
			     "CAST(split_part(excluded.value, ':', 1) AS bigint)",
			     &st)) < 0)
		return r;
	reg_bind_text(st, 1, sealed);
	r = reg_step_done(reg, st, "record the audit head");
	reg_finalize(st);
	return r;
}

/* The transaction's audit rows, chained onto the log: each row's MAC over the previous
 * row's hash and its fields, as the SQLite trigger computes it. */
static int
chain_audit(struct registry *reg)
{
	struct reg_stmt *head = NULL, *rows = NULL, *put = NULL;
	long long n = 0, id = 0;
	char prev[65] = ZERO_HASH, hash[65], sealed[REG_AUDIT_HEAD_MAX];
	int r, rc;

	if ((r = reg_query_int(reg,
			       "SELECT count(*) FROM audit_pending "
			       "WHERE txid = pg_current_xact_id()",
			       &n)) < 0 ||
	    n == 0)
		return r;
	if (reg->key_mismatch)
		return cp_err(CP_ERR_INTEGRITY, "registry: %s", reg->key_mismatch);
	if ((r = pg_exec(reg->pg, LOCK_AUDIT)) < 0 ||
	    (r = reg_prepare(reg, "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1",
			     &head)) < 0)
		goto out;
	if ((rc = reg_step(head)) == REG_ROW) {
		id = reg_col_int(head, 0);
		snprintf(prev, sizeof(prev), "%s", reg_col_text(head, 1));
	} else if (rc < 0) {
		r = rc;
		goto out;
	}
	if ((r = reg_prepare(
		     reg,
		     "SELECT at, actor, entity, entity_id, event, detail FROM audit_pending "
		     "WHERE txid = pg_current_xact_id() ORDER BY seq",
		     &rows)) < 0 ||
	    (r = reg_prepare(
		     reg,
		     "INSERT INTO audit_log(id, at, actor, entity, entity_id, event, detail, "
		     "prev_hash, hash, key_id) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		     &put)) < 0)
		goto out;
	while ((rc = reg_step(rows)) == REG_ROW) {
		const char *fields[7] = {prev,
					 reg_col_text(rows, 0),
					 reg_col_text(rows, 1),
					 reg_col_text(rows, 2),
					 reg_col_text(rows, 3),
					 reg_col_text(rows, 4),
					 reg_col_text(rows, 5)};

		if ((r = reg_audit_mac(reg, fields, hash)) < 0)
			goto out;
		reg_bind_int(put, 1, ++id);
		for (int i = 1; i <= 6; i++)
			reg_bind_text(put, i + 1, fields[i]);
		if (reg_col_is_null(rows, 3))
			reg_bind_null(put, 5);
		else
			reg_bind_int(put, 5, reg_col_int(rows, 3));
		reg_bind_text(put, 8, prev);
		reg_bind_text(put, 9, hash);
		reg_bind_text(put, 10, reg_audit_key_id(reg));
		if ((rc = reg_step(put)) < 0) {
			r = reg_fail(reg, "append audit row");
			goto out;
		}
		reg_reset(put);
		memcpy(prev, hash, sizeof(prev));
	}
	if (rc < 0) {
		r = rc;
		goto out;
	}
	if ((r = pg_exec(reg->pg, "DELETE FROM audit_pending WHERE txid = pg_current_xact_id()")) ==
		    0 &&
	    (r = reg_audit_head(reg, id, prev, sealed)) == 0)
		r = head_forward(reg, sealed);
out:
	reg_finalize(head);
	reg_finalize(rows);
	reg_finalize(put);
	return r;
}

int
pgr_commit(struct registry *reg)
{
	int r = 0;

	if (reg->in_tx != TX_READ) {
		if ((r = reg_seal_take_queue(reg)) == 0 && (r = reg_seal_pending(reg)) == 0)
			r = chain_audit(reg);
	}
	if (r == 0)
		r = pg_exec(reg->pg, "COMMIT");
	if (r < 0)
		pgr_rollback(reg);
	reg->in_tx = 0;
	reg->audit_pending = 0;
	return r;
}

/* The commit of a statement's own transaction; reg_changes() still counts the rows the
 * statement changed, not those the commit's sealing and chaining did. */
static int
commit_keeping_changes(struct registry *reg)
{
	long long n = pg_changes(reg->pg);
	int r = pgr_commit(reg);

	pg_set_changes(reg->pg, n);
	return r;
}

/* A statement outside registry_begin() ... registry_commit() runs in a transaction of its
 * own, so that what it writes is sealed and audited like the rest. */
int
pgr_exec(struct registry *reg, const char *sql)
{
	int r;

	if (reg->in_tx)
		return pg_exec(reg->pg, sql);
	if ((r = pgr_begin(reg)) < 0)
		return r;
	if ((r = pg_exec(reg->pg, sql)) < 0) {
		pgr_rollback(reg);
		return r;
	}
	return commit_keeping_changes(reg);
}

int
pgr_step_done(struct registry *reg, struct reg_stmt *stmt, const char *what)
{
	int r, own = !reg->in_tx;

	if (own && (r = pgr_begin(reg)) < 0)
		return r;
	if ((r = reg_step(stmt)) < 0) {
		r = reg_fail(reg, what);
		if (own)
			pgr_rollback(reg);
		return r;
	}
	return own ? commit_keeping_changes(reg) : 0;
}

int
pgr_schema_version(struct registry *reg)
{
	long long exists = 0, v = 0;

	if (reg_query_int(reg, "SELECT CASE WHEN to_regclass('meta') IS NULL THEN 0 ELSE 1 END",
			  &exists) < 0 ||
	    (exists && reg_query_int(reg,
				     "SELECT CAST(value AS bigint) FROM meta "
				     "WHERE key = 'schema_version'",
				     &v) < 0))
		return -1;
	return (int)v;
}

/* Bring a registry made at an earlier version to PG_SCHEMA_VERSION, a step at a time, each
 * with its audit row (inside create_schema()'s transaction). */
static int
migrate_schema(struct registry *reg, int have)
{
	char version[16], detail[64];
	int r = 0;

	for (unsigned i = 0; r == 0 && i < pg_nmigrations; i++) {
		if (pg_migrations[i].from != have)
			continue;
		snprintf(version, sizeof(version), "%d", have + 1);
		snprintf(detail, sizeof(detail), "postgresql schema from %d", have);
		if ((r = pg_exec(reg->pg, pg_migrations[i].sql)) < 0)
			r = cp_err_wrap(r, "PostgreSQL schema %d to %d: ", have, have + 1);
		else if ((r = registry_meta_set(reg, "schema_version", version)) == 0 &&
			 (r = registry_audit(reg, "registry", have + 1, "migrated", detail)) == 0)
			have++;
	}
	if (r == 0 && have != PG_SCHEMA_VERSION)
		r = cp_err(CP_ERR_DB,
			   "registry has schema version %d, which this cardpipe cannot bring to %d "
			   "on PostgreSQL",
			   have, PG_SCHEMA_VERSION);
	return r;
}

/* An empty database gets the whole schema at once, in one transaction that records its
 * version and appends the first audit row; one made at an earlier version is migrated. */
static int
create_schema(struct registry *reg)
{
	char version[16];
	int have, r;

	if (registry_latest_version() != PG_SCHEMA_VERSION)
		return cp_err(CP_ERR_UNSUPPORTED,
			      "this cardpipe's registry schema is version %d, and its PostgreSQL "
			      "schema version %d",
			      registry_latest_version(), PG_SCHEMA_VERSION);
	if ((r = pgr_begin(reg)) < 0)
		return r;
	have = pgr_schema_version(reg);
	if (have < 0) {
		r = CP_ERR_DB;
	} else if (have > PG_SCHEMA_VERSION) {
		r = cp_err(CP_ERR_DB,
			   "registry has schema version %d, newer than this cardpipe knows (%d)",
			   have, PG_SCHEMA_VERSION);
	} else if (have != 0 && have != PG_SCHEMA_VERSION) {
		r = migrate_schema(reg, have);
	} else if (have == 0) {
		snprintf(version, sizeof(version), "%d", PG_SCHEMA_VERSION);
		if ((r = pg_exec(reg->pg, pg_schema_17_sql)) < 0)
			r = cp_err_wrap(r, "PostgreSQL schema %d: ", PG_SCHEMA_VERSION);
		else if ((r = registry_meta_set(reg, "schema_version", version)) == 0)
			r = registry_audit(reg, "registry", PG_SCHEMA_VERSION, "migrated",
					   "postgresql schema");
	}
	if (r < 0) {
		pgr_rollback(reg);
		return r;
	}
	return pgr_commit(reg);
}

int
pgr_open(struct registry *reg, const char *password_file)
{
	int r;

	if ((r = pg_connect(reg->path, password_file, &reg->pg)) < 0)
		return r;
	/* a registry at this version opens without waiting for the writers' lock */
	if ((r = reg_seal_attach(reg)) < 0 ||
	    (pgr_schema_version(reg) != PG_SCHEMA_VERSION && (r = create_schema(reg)) < 0) ||
	    (r = reg_seal_check_key(reg)) < 0)
		return r;
	return reg_seal_guard(reg);
}

void
pgr_close(struct registry *reg)
{
	if (!reg->pg)
		return;
	if (reg->in_tx)
		pgr_rollback(reg);
	reg_finalize(reg->pg_settings);
	reg->pg_settings = NULL;
	reg_seal_detach(reg); /* its statements, before their connection goes */
	pg_close(reg->pg);
	reg->pg = NULL;
}
