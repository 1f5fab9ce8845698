/*
 * registry_sqlite.h - private to pipeline/registry/: the SQLite connection and the
 * statement helpers the reg_*.c files share. Nothing outside this folder includes it.
 */
#ifndef CP_REGISTRY_SQLITE_H
#define CP_REGISTRY_SQLITE_H

#include "registry/registry.h"

#include <sqlite3.h>
#include <time.h>

struct registry {
	sqlite3 *db;
	char *path;
	char *actor;
	int in_tx;
	time_t now_cached; /* cp_now() of now_text */
	char now_text[32];
	int audit_pending; /* audit rows appended in this transaction: commit writes the head */
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

#endif
