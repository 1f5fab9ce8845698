/*
 * registry_sqlite.h - private to the SQLite backend: struct registry with its SQLite
 * connection, and the seal machinery that runs inside SQLite (reg_seal.c). Only
 * registry_sqlite.c and reg_seal.c include it (and unit tests that reach the connection);
 * the other reg_*.c files use the statement layer, reg_stmt.h, which this backend
 * implements in registry_sqlite.c.
 */
#ifndef CP_REGISTRY_SQLITE_H
#define CP_REGISTRY_SQLITE_H

#include "pipeline/registry/reg_stmt.h"

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
	struct reg_stmt *seal_get[REG_SEALED_MAX], *seal_put[REG_SEALED_MAX];
	/* rows whose stored seal was checked or already changed since the last seal (an open
	 * hash set of table << 56 | rowid + 1), the sealed tables' column names for the
	 * pre-update check, and the first row found changed behind cardpipe's back */
	unsigned long long *touched;
	size_t ntouched, cap_touched;
	char **columns[REG_SEALED_MAX];
	int ncolumns[REG_SEALED_MAX];
	char *tampered;
};

/* A statement of this backend is SQLite's own: struct reg_stmt is never defined, only
 * cast to and from sqlite3_stmt. */
static inline sqlite3_stmt *
reg_sqlite_stmt(struct reg_stmt *stmt)
{
	return (sqlite3_stmt *)stmt;
}

/* reg_seal.c: the keyed audit chain and the row seals (docs/audit.md); what db check
 * uses of it is in reg_stmt.h. */
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

#endif
