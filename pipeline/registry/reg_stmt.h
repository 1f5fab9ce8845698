/*
 * reg_stmt.h - private to pipeline/registry/: the statement layer every reg_*.c file uses.
 *
 * The reg_*.c files speak SQL through these functions only, never through a database's own
 * API, so that the registry has two backends behind them: SQLite (registry_sqlite.c) and
 * PostgreSQL (registry_pg.c, pg_conn.c); reg_stmt.c and registry_backend.c pass each call to
 * the open registry's. Only registry_sqlite.c and the SQLite-only parts of reg_seal.c
 * include registry_sqlite.h and <sqlite3.h>. Nothing outside this folder includes this
 * header (the unit tests excepted).
 *
 * A statement: reg_prepare(), bind (1-based indexes, SQL uses ? and ?N), reg_step() until
 * REG_DONE, read the row's columns (0-based) while reg_step() says REG_ROW, then reg_reset()
 * to run it again or reg_finalize(). Errors follow core/err.h: a negative CP_ERR_* with the
 * detail set by cp_err().
 */
#ifndef CP_REG_STMT_H
#define CP_REG_STMT_H

#include "core/err.h"
#include "pipeline/registry/registry.h"

/* A prepared statement of the registry's connection (opaque: the backend's own). */
struct reg_stmt;

/* reg_step(): a row is there to read, or the statement has finished. */
#define REG_DONE 0
#define REG_ROW 1

/* Prepare sql (callers keep or finalize their statements: there is no statement cache). */
int reg_prepare(struct registry *reg, const char *sql, struct reg_stmt **stmt);

/* Bind helpers: 0, or CP_ERR_DB (an index out of range; callers bind what they prepared). */
int reg_bind_int(struct reg_stmt *stmt, int idx, long long v);
/* NULL text binds SQL NULL; the text is copied. */
int reg_bind_text(struct reg_stmt *stmt, int idx, const char *text);
/* The same without the copy: text must stay unchanged until the statement is reset. */
int reg_bind_text_static(struct reg_stmt *stmt, int idx, const char *text);
int reg_bind_null(struct reg_stmt *stmt, int idx);

/* Run a statement one step: REG_ROW, REG_DONE, or a negative CP_ERR_* ("registry: ..." with
 * the database's message; CP_ERR_BUSY when another connection holds the lock, CP_ERR_DB
 * otherwise). The connection keeps the error, so reg_fail() can still name what failed. */
int reg_step(struct reg_stmt *stmt);

/* The current row's columns (0-based). An SQL NULL reads as 0 and as NULL text. */
long long reg_col_int(struct reg_stmt *stmt, int col);
/* Valid until the next reg_step(), reg_reset() or reg_finalize() of stmt. */
const char *reg_col_text(struct reg_stmt *stmt, int col);
int reg_col_is_null(struct reg_stmt *stmt, int col);
/* The column holds an integer (not NULL, text or a fraction). */
int reg_col_is_int(struct reg_stmt *stmt, int col);
/* Column text as a new string (NULL for SQL NULL). */
char *reg_col_strdup(struct reg_stmt *stmt, int col);
/* The result's columns: how many, and each one's name (valid while stmt is). */
int reg_col_count(struct reg_stmt *stmt);
const char *reg_col_name(struct reg_stmt *stmt, int col);

/* Ready stmt to run again; its bindings stay. */
void reg_reset(struct reg_stmt *stmt);
/* The same, with every binding back to NULL. */
void reg_reset_clear(struct reg_stmt *stmt);
/* NULL-safe. */
void reg_finalize(struct reg_stmt *stmt);

/* Rows changed by the last INSERT, UPDATE or DELETE finished on the connection. */
long long reg_changes(struct registry *reg);

/* The SQL of the reg_*.c files is written once for every backend (docs/engineering.md). The
 * few statements that cannot be ask which dialect the connection speaks, each at its one
 * call site, saying why: 1 for SQLite, 0 otherwise. */
int reg_is_sqlite(struct registry *reg);

/* The text of cp_now() for the rows written now (ISO 8601 UTC, the last second's kept), for
 * a value a caller binds in its place and also keeps. */
const char *reg_now_text(struct registry *reg);

/* Run sql that returns no rows (one or more statements). */
int reg_exec(struct registry *reg, const char *sql);
/* Map the connection's last error into cp_err(CP_ERR_DB, "registry: what: message"),
 * CP_ERR_BUSY when it was a lock held by another connection. */
int reg_fail(struct registry *reg, const char *what);
/* Step a statement expected to finish without rows (a row is not an error either), then
 * seal what it changed if no transaction is open. */
int reg_step_done(struct registry *reg, struct reg_stmt *stmt, const char *what);
/* Run a query returning one integer (0 when there is no row). */
int reg_query_int(struct registry *reg, const char *sql, long long *value);
/* Inside registry_begin() ... registry_commit() (or reg_begin_read() ... rollback)? */
int reg_in_tx(struct registry *reg);
/* Prepare an INSERT of one row whose new id the caller reads with reg_step_id(): sql ends
 * with " RETURNING id". PostgreSQL runs it as written (a "last inserted id" of the connection
 * would name a row the schema's triggers inserted there). SQLite runs it without the clause
 * and reads the connection's last inserted rowid, which names the statement's own row once
 * its triggers have ended: SQLite's RETURNING gathers its rows in a temporary b-tree opened
 * and closed at every execution, a cost paid per application and per card otherwise. */
int reg_prepare_insert(struct registry *reg, const char *sql, struct reg_stmt **stmt);
/* Step such an INSERT (or any "INSERT ... RETURNING id" of one row): the new row's id in
 * *id, then finish it as reg_step_done() does. On PostgreSQL only inside a transaction, the
 * one that seals and audits the row. */
int reg_step_id(struct registry *reg, struct reg_stmt *stmt, const char *what, long long *id);

/* The number of the transaction begun last: a value a caller cached in one transaction
 * is stale in another (its own commit wrote it, or a rollback undid it). */
unsigned long reg_tx_serial(struct registry *reg);
/* fn(arg) runs once at the start of the open transaction's commit, for writes a caller
 * kept back until then; its failure rolls the transaction back and fails the commit. A
 * rollback or the next transaction forgets it. One per transaction: CP_ERR_INVALID when
 * another is set, or outside a transaction. _cancel() forgets it if it is arg's. */
int reg_before_commit(struct registry *reg, int (*fn)(void *arg), void *arg);
void reg_before_commit_cancel(struct registry *reg, void *arg);

/* A write transaction for work that row locks keep safe from the writers beside it (a
 * production line's claims and attempts, each on the line's own cards): on PostgreSQL it
 * does not wait for the writers' lock registry_begin() takes; on SQLite it is
 * registry_begin(). */
int reg_begin_rows(struct registry *reg);
/* A read-only transaction: every query until registry_rollback() sees one snapshot. */
int reg_begin_read(struct registry *reg);

/* The row seals and the keyed audit chain, for `db check` (reg_seal.c; docs/audit.md). */
/* Keyed hash of an audit row (7 fields: prev hash, at, actor, entity, entity_id, event,
 * detail) as 64 lower-case hex digits. */
int reg_audit_mac(struct registry *reg, const char *const fields[7], char out[65]);
/* The audit chain's row hash before it was keyed: plain SHA-256 over the fields, each
 * followed by 0x1F (registry_sqlite.c). */
void registry_audit_hash(const char *const fields[7], char out[65]);
/* The check value of this connection's audit key. */
const char *reg_audit_key_id(struct registry *reg);
/* The sealed head of the audit chain, as meta.audit_head records it: "ID:HASH:MAC", MAC
 * being HMAC-SHA-256(audit key, "cardpipe audit head 1" 00 || F(ID) || F(HASH)), so that
 * the head cannot be moved back over rows cut from the end without the key. */
#define REG_AUDIT_HEAD_MAX 160
int reg_audit_head(struct registry *reg, long long id, const char *hash,
		   char out[REG_AUDIT_HEAD_MAX]);
/* db check: one FAIL line per row (up to 10 a table) whose seal does not match. */
int registry_check_seals(struct registry *reg, FILE *out, int *problems);

#endif
