/*
 * registry.h - the one narrow interface to the registry (docs/system.md, "The registry").
 *
 * Stages never speak SQL: they call registry functions declared here and in the
 * reg_*.h headers beside it (one per subject: files, applications, cards, production,
 * dispatch). The reg_*.c files behind them run their SQL through the statement layer,
 * reg_stmt.h (private to this folder), which two backends implement: SQLite
 * (registry_sqlite.c, the default: a file in CARDPIPE_HOME) and PostgreSQL (registry_pg.c:
 * one registry for many hosts, docs/deployment.md). Only registry_sqlite.h,
 * registry_sqlite.c and reg_seal.c's SQLite-only parts use <sqlite3.h>.
 *
 * Transactions: registry_begin() takes the write lock at once (BEGIN IMMEDIATE) and
 * waits up to the busy timeout for another process to finish; every state change a
 * stage makes is committed with the audit rows that record it, or not at all.
 */
#ifndef CP_REGISTRY_H
#define CP_REGISTRY_H

#include <stddef.h>
#include <stdio.h>

struct registry;

/* The audit key (16 to 64 bytes) that keys the audit chain and the row seals of every
 * registry this process opens, and its check value (recorded in each audit row). Set it
 * before registry_open(); the copy is kept in the secure heap (docs/audit.md). */
int registry_set_audit_key(const unsigned char *key, size_t len, const char *key_id);

/* Open (creating if needed) and migrate to the current schema. CP_ERR_CONFIG without an
 * audit key. */
int registry_open(const char *path, struct registry **out);
/* The same for registry.url: a SQLite file ("sqlite:PATH" or a path), or a PostgreSQL
 * connection string (postgresql:// URI or libpq's key=value form) without a password,
 * which comes from ~/.pgpass or password_file (NULL: libpq's default). */
int registry_open_url(const char *url, const char *password_file, struct registry **out);
/* Is url a PostgreSQL connection string rather than a SQLite file? */
int registry_url_is_pg(const char *url);
/* May url be printed (config --show)? Not when it names a password, nor when it is no
 * form registry.url takes (a mistyped one may hold a password where it cannot be found). */
int registry_url_printable(const char *url);
void registry_close(struct registry *reg);
/* Who is acting, for the audit log ("ingest", "nightly:prepare", "produce:line1",
 * "operator:dispatch"; docs/audit.md). */
void registry_set_actor(struct registry *reg, const char *actor);

int registry_begin(struct registry *reg);
int registry_commit(struct registry *reg);
void registry_rollback(struct registry *reg);

int registry_schema_version(struct registry *reg);
int registry_latest_version(void);

/* Append a hash-chained audit row (state changes append theirs by themselves). */
int registry_audit(struct registry *reg, const char *entity, long long entity_id, const char *event,
		   const char *detail);

/* Integrity checks and the invariants checkable in SQL. Prints one line per check to out,
 * sets *problems to the number that failed. Returns 0, or a CP_ERR code if it could not run. */
int registry_check(struct registry *reg, FILE *out, int *problems);
/* Walk the audit chain. 0 if intact (*rows = rows checked), CP_ERR_INTEGRITY naming the
 * first bad row otherwise. */
int registry_verify_audit(struct registry *reg, long long *rows);

/* Give every row whose seal does not match a new one, with an audit row each (an
 * operator's accepted repair); *resealed = how many. */
int registry_reseal(struct registry *reg, long long *resealed);

/* Key/value metadata (feed watermarks, counters of runs). */
int registry_meta_get(struct registry *reg, const char *key, char **value);
int registry_meta_set(struct registry *reg, const char *key, const char *value);

#endif
