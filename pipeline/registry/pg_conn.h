/*
 * pg_conn.h - private to pipeline/registry/: the PostgreSQL connection and its statements,
 * over libpq, shaped like the registry's statement layer (reg_stmt.h) so that the registry
 * can run every reg_*.c operation on either backend.
 *
 * SQL is written once, with SQLite's placeholders (? and ?N); pg_prepare() numbers them as
 * PostgreSQL's $N, following SQLite's rule (a bare ? takes the next number after the
 * largest used so far). A statement is prepared on the server at its first run, with the
 * types of that run's bindings (integer: int8; text and NULL: left to the server, which
 * reads them as their place needs, as a literal), and
 * run again from there. Results are read as text.
 *
 * Errors follow core/err.h: a negative CP_ERR_* and a detail naming the registry and the
 * server's message. A transaction the server gave up to let another go on (serialization
 * failure, deadlock, lock not available) is CP_ERR_BUSY: the caller rolls back and retries,
 * as it does when SQLite's file is locked. A lost connection is CP_ERR_DB.
 */
#ifndef CP_PG_CONN_H
#define CP_PG_CONN_H

struct pg_conn;
struct pg_stmt;

/* pg_step(): a row is there to read, or the statement has finished (the values of
 * reg_stmt.h's REG_ROW and REG_DONE, which reg_stmt.c passes on as they are). */
#define PG_DONE 0
#define PG_ROW 1

/* Open a connection. url is a libpq connection string or a postgresql:// URI; it must not
 * carry a password (CP_ERR_CONFIG): the password comes from ~/.pgpass or from
 * password_file (libpq's passfile, same format), never from the command line. */
int pg_connect(const char *url, const char *password_file, struct pg_conn **out);
/* 1 if the connection string names a password; 0 if not, with *bad set (and the reason
 * as the error message) when it is no connection string libpq reads. */
int pg_url_has_password(const char *url, int *bad);
/* NULL-safe; finalizes nothing: finalize the statements first. */
void pg_close(struct pg_conn *c);

/* Run sql that returns no rows (one or more statements, no parameters). */
int pg_exec(struct pg_conn *c, const char *sql);
/* The last failure on the connection: its CP_ERR_* code and the server's message. */
int pg_errcode(struct pg_conn *c);
const char *pg_errmsg(struct pg_conn *c);
/* Rows changed by the last INSERT, UPDATE or DELETE run on the connection (set: what a
 * caller's statement changed, kept over work done after it). */
long long pg_changes(struct pg_conn *c);
void pg_set_changes(struct pg_conn *c, long long n);
/* Is a transaction open on the connection (also one a failed statement aborted)? */
int pg_in_transaction(struct pg_conn *c);
/* The server's process id for this connection (tests end it with pg_terminate_backend). */
int pg_backend_pid(struct pg_conn *c);

int pg_prepare(struct pg_conn *c, const char *sql, struct pg_stmt **stmt);
int pg_bind_int(struct pg_stmt *s, int idx, long long v);
/* NULL text binds SQL NULL; the text is copied. */
int pg_bind_text(struct pg_stmt *s, int idx, const char *text);
int pg_bind_null(struct pg_stmt *s, int idx);
/* PG_ROW with a row to read, PG_DONE, or a negative CP_ERR_*. */
int pg_step(struct pg_stmt *s);
/* The current row's columns (0-based); SQL NULL reads as 0 and as NULL text. */
long long pg_col_int(struct pg_stmt *s, int col);
const char *pg_col_text(struct pg_stmt *s, int col);
int pg_col_is_null(struct pg_stmt *s, int col);
/* Is the column of an integer type (and the row's value not NULL)? */
int pg_col_is_int(struct pg_stmt *s, int col);
int pg_col_count(struct pg_stmt *s);
const char *pg_col_name(struct pg_stmt *s, int col);
/* Ready to run again; clear = every binding back to NULL as well. */
void pg_reset(struct pg_stmt *s, int clear);
/* NULL-safe; deallocates the server's prepared statement. */
void pg_finalize(struct pg_stmt *s);

/* SQL text with SQLite's ? and ?N placeholders written as $N (exposed for the tests):
 * a new string and the number of parameters, or NULL with cp_err set (a ?N out of range).
 * used (NULL, or 100 bytes, zeroed) marks each number the SQL names. */
char *pg_number_params(const char *sql, int *nparams, unsigned char *used);

#endif
