/*
 * registry_sqlite.h - private to pipeline/registry/: the SQLite connection and the
 * statement helpers the reg_*.c files share. Nothing outside this folder includes it.
 */
#ifndef CP_REGISTRY_SQLITE_H
#define CP_REGISTRY_SQLITE_H

#include "pipeline/registry/registry.h"

/* sqlite3_preupdate_hook(): Debian's libsqlite3 is built with it; the header declares it only
 * when asked */
#ifndef SQLITE_ENABLE_PREUPDATE_HOOK
#define SQLITE_ENABLE_PREUPDATE_HOOK 1
#endif
#include <sqlite3.h>
#include <time.h>

#define REG_SEALED_MAX 8
/* The migration that keys the audit chain and adds the row seals. */
#define REG_SEAL_MIGRATION 9

struct registry {
	sqlite3 *db;
	char *path;
	char *actor;
	int in_tx;
	time_t now_cached; /* cp_now() of now_text */
	char now_text[32];
	int audit_pending; /* audit rows appended in this transaction: commit writes the head */
	/* reg_seal.c: the audit key (a keyed HMAC context), the chain's key check, the rows
	 * changed since the last seal and the statements that seal them */
	struct cp_hmac *mac;
	char key_id[8];
	char *key_mismatch; /* why this connection must not append (another key's chain) */
	struct reg_seal_row *pending;
	size_t npending, cap_pending;
	int sealing;
	sqlite3_stmt *seal_get[REG_SEALED_MAX], *seal_put[REG_SEALED_MAX];
	/* rows whose stored seal was checked or already changed since the last seal (an open
	 * hash set of table << 56 | rowid + 1), the sealed tables' column names for the
	 * pre-update check, and the first row found changed behind cardpipe's back */
	unsigned long long *touched;
	size_t ntouched, cap_touched;
	char **columns[REG_SEALED_MAX];
	int ncolumns[REG_SEALED_MAX];
	char *tampered;
};

/* Prepare sql (cached by SQLite's own statement cache is not available: callers finalize). */
int reg_prepare(struct registry *reg, const char *sql, sqlite3_stmt **stmt);
/* Run sql that returns no rows. */
int reg_exec(struct registry *reg, const char *sql);
/* Map the connection's last error into cp_err(CP_ERR_DB, "what: sqlite message"). */
int reg_fail(struct registry *reg, const char *what);
/* Step a statement expected to finish without rows. */
int reg_step_done(struct registry *reg, sqlite3_stmt *stmt, const char *what);
/* Run a query returning one integer (0 when there is no row). */
int reg_query_int(struct registry *reg, const char *sql, long long *value);
/* Bind helpers: NULL text binds SQL NULL. */
int reg_bind_text(sqlite3_stmt *stmt, int idx, const char *text);
/* The same without SQLite's copy: text must stay unchanged until the statement is reset. */
int reg_bind_text_static(sqlite3_stmt *stmt, int idx, const char *text);
/* Column text as a new string (NULL for SQL NULL). */
char *reg_column_strdup(sqlite3_stmt *stmt, int col);

/* reg_seal.c: the keyed audit chain and the row seals (docs/audit.md). */
/* The sealed tables, NULL-terminated, in a fixed order (index = seal_get/seal_put slot). */
extern const char *const reg_sealed_tables[];
/* Key this connection with the process's audit key, register cp_audit_mac(),
 * cp_audit_key_id() and the update hook. CP_ERR_CONFIG when no audit key was set. */
int reg_seal_attach(struct registry *reg);
/* After the migrations: refuse to append to a chain keyed with another key. */
int reg_seal_check_key(struct registry *reg);
/* After the migrations: check the stored seal of every sealed row before cardpipe first
 * changes or deletes it, so that a row changed without the key is never resealed over;
 * such a change makes the transaction's commit fail (CP_ERR_INTEGRITY). */
int reg_seal_guard(struct registry *reg);
void reg_seal_detach(struct registry *reg);
/* After a rollback: no row is pending its seal, none is known to be changed. */
void reg_seal_forget(struct registry *reg);
/* Seal the rows changed since the last seal (inside the caller's transaction). */
int reg_seal_pending(struct registry *reg);
/* Seal every row of every sealed table, except the rows whose seal does not hold now
 * (a migration that adds a column must not launder a change made behind its back). */
int reg_seal_all(struct registry *reg, int keep_broken);
/* Keyed hash of an audit row (7 fields: prev hash, at, actor, entity, entity_id, event,
 * detail) as 64 lower-case hex digits. */
int reg_audit_mac(struct registry *reg, const char *const fields[7], char out[65]);
/* The sealed head of the audit chain, as meta.audit_head records it: "ID:HASH:MAC", MAC
 * being HMAC-SHA-256(audit key, "cardpipe audit head 1" 00 || F(ID) || F(HASH)), so that
 * the head cannot be moved back over rows cut from the end without the key. */
#define REG_AUDIT_HEAD_MAX 160
int reg_audit_head(struct registry *reg, long long id, const char *hash,
		   char out[REG_AUDIT_HEAD_MAX]);
/* db check: one FAIL line per row (up to 10 a table) whose seal does not match. */
int registry_check_seals(struct registry *reg, FILE *out, int *problems);

#endif
