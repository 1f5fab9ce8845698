/*
 * registry_conn.h - private to pipeline/registry/: the open registry (struct registry) and
 * a statement (struct reg_stmt) of either backend, and what the backends provide to the
 * backend-neutral files (registry_backend.c: the public entry points; reg_stmt.c: the
 * statement layer; reg_seal.c: seals and the audit key).
 *
 * A registry is SQLite (db set; registry_sqlite.c) or PostgreSQL (pg set; registry_pg.c).
 * Neither backend's header is needed here: both connections are opaque pointers.
 */
#ifndef CP_REGISTRY_CONN_H
#define CP_REGISTRY_CONN_H

#include "core/buf.h"

#include <stddef.h>
#include <time.h>

struct registry;
struct sqlite3;
struct sqlite3_stmt;
struct pg_conn;
struct pg_stmt;

#define REG_SEALED_MAX 8
/* The migration that keys the audit chain and adds the row seals. */
#define REG_SEAL_MIGRATION 9

struct registry {
	struct sqlite3 *db; /* the SQLite backend's connection, or NULL */
	struct pg_conn *pg; /* the PostgreSQL backend's, or NULL */
	char *path;	    /* the file, or the connection string (never with a password) */
	char *actor;
	int in_tx;
	time_t now_cached; /* cp_now() of now_text */
	char now_text[32];
	int audit_pending; /* audit rows appended in this transaction: commit writes the head */
	/* the transactions begun so far (a value cached for one is stale in the next), and what
	 * the open one must write before it commits (reg_before_commit()) */
	unsigned long tx_serial;
	int (*before_commit)(void *arg);
	void *before_commit_arg;
	/* reg_seal.c: the audit key (a keyed HMAC context), the chain's key check, the rows
	 * changed since the last seal and the statements that seal them */
	struct cp_hmac *mac, *mac_work; /* the keyed context; the copy each MAC restarts */
	struct buf mac_in;		/* a MAC's input, gathered for one update */
	char key_id[8];
	char *key_mismatch; /* why this connection must not append (another key's chain) */
	struct reg_seal_row *pending;
	size_t npending, cap_pending;
	int sealing;
	struct reg_stmt *seal_get[REG_SEALED_MAX], *seal_put[REG_SEALED_MAX];
	/* rows whose stored seal was checked or already changed since the last seal (an open
	 * hash set of table << 56 | rowid + 1), the sealed tables' column names for the
	 * pre-update check, and the first row found changed behind cardpipe's back */
	unsigned long long *touched;
	size_t ntouched, cap_touched;
	char **columns[REG_SEALED_MAX];
	int ncolumns[REG_SEALED_MAX];
	char *tampered;
	/* PostgreSQL: statements each commit runs, prepared once: the transaction's settings
	 * (registry_pg.c), a queued row as it was (reg_seal.c) */
	struct reg_stmt *pg_settings, *pg_old_row;
	struct sqlite3_stmt *audit_prev; /* SQLite: cp_audit_prev()'s query, prepared once */
};

/* A statement: the backend's own, one of the two set. */
struct reg_stmt {
	struct sqlite3_stmt *lite;
	struct pg_stmt *pg;
	int insert_id; /* SQLite: an INSERT prepared without its RETURNING id (reg_stmt.h) */
};

/* ---- SQLite's statements (registry_sqlite.c; PostgreSQL's are pg_conn.c's) ---- */
int lite_prepare(struct registry *reg, const char *sql, struct sqlite3_stmt **stmt);
int lite_bind_int(struct sqlite3_stmt *st, int idx, long long v);
/* text NULL binds NULL; keep: bind without a copy (the text outlives the next reset) */
int lite_bind_text(struct sqlite3_stmt *st, int idx, const char *text, int keep);
int lite_step(struct sqlite3_stmt *st);
long long lite_col_int(struct sqlite3_stmt *st, int col);
const char *lite_col_text(struct sqlite3_stmt *st, int col);
/* 'n' NULL, 'i' integer, 'r' real, 'b' blob, 't' text */
int lite_col_type(struct sqlite3_stmt *st, int col);
int lite_col_count(struct sqlite3_stmt *st);
const char *lite_col_name(struct sqlite3_stmt *st, int col);
void lite_reset(struct sqlite3_stmt *st, int clear);
void lite_finalize(struct sqlite3_stmt *st);

/* ---- each backend: open, close, transactions, one-off SQL (registry_backend.c dispatches) ---- */
int lite_open(struct registry *reg);
void lite_close(struct registry *reg);
int lite_begin(struct registry *reg);
int lite_begin_read(struct registry *reg);
int lite_commit(struct registry *reg);
void lite_rollback(struct registry *reg);
int lite_exec(struct registry *reg, const char *sql);
int lite_fail(struct registry *reg, const char *what);
long long lite_changes(struct registry *reg);
int lite_step_done(struct registry *reg, struct reg_stmt *stmt, const char *what);
/* Run an INSERT of one row prepared without its RETURNING id: *id is the row's rowid. */
int lite_step_insert(struct registry *reg, struct reg_stmt *stmt, const char *what, long long *id);
int lite_schema_version(struct registry *reg);

int pgr_open(struct registry *reg, const char *password_file);
void pgr_close(struct registry *reg);
int pgr_begin(struct registry *reg);
int pgr_begin_rows(struct registry *reg);
int pgr_begin_read(struct registry *reg);
int pgr_commit(struct registry *reg);
void pgr_rollback(struct registry *reg);
int pgr_exec(struct registry *reg, const char *sql);
int pgr_step_done(struct registry *reg, struct reg_stmt *stmt, const char *what);
int pgr_schema_version(struct registry *reg);

/* ---- reg_seal.c: the keyed audit chain and the row seals (docs/audit.md); what db check
 * uses of it is in reg_stmt.h ---- */
/* The sealed tables, NULL-terminated, in a fixed order (index = seal_get/seal_put slot). */
extern const char *const reg_sealed_tables[];
/* Key this connection with the process's audit key (SQLite: also register cp_audit_mac(),
 * cp_audit_key_id() and the update hook). CP_ERR_CONFIG when no audit key was set. */
int reg_seal_attach(struct registry *reg);
/* After the migrations: refuse to append to a chain keyed with another key. */
int reg_seal_check_key(struct registry *reg);
/* After the migrations: check the stored seal of every sealed row before cardpipe first
 * changes or deletes it, so that a row changed without the key is never resealed over;
 * such a change makes the transaction's commit fail (CP_ERR_INTEGRITY). SQLite: the
 * pre-update hook; PostgreSQL: reg_seal_take_queue() at commit. */
int reg_seal_guard(struct registry *reg);
void reg_seal_detach(struct registry *reg);
/* After a rollback: no row is pending its seal, none is known to be changed. */
void reg_seal_forget(struct registry *reg);
/* PostgreSQL: take the transaction's queue of written rows (seal_pending): check the
 * first change of each row since its seal, mark the rows to seal, empty the queue. */
int reg_seal_take_queue(struct registry *reg);
/* Seal the rows changed since the last seal (inside the caller's transaction). */
int reg_seal_pending(struct registry *reg);
/* Seal every row of every sealed table, except the rows whose seal does not hold now
 * (a migration that adds a column must not launder a change made behind its back). */
int reg_seal_all(struct registry *reg, int keep_broken);

#endif
