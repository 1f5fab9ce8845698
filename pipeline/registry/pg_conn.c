/*
 * pg_conn.c - the PostgreSQL connection and statements over libpq (pg_conn.h).
 */
#include "pipeline/registry/pg_conn.h"

#include "core/err.h"
#include "core/mem.h"

#include <ctype.h>
#include <errno.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libpq's type oids of the parameters we bind (pg_type.h is a server header) */
#define OID_INT8 20
#define OID_TEXT 25
#define OID_INT2 21
#define OID_INT4 23

/* the most parameters one statement takes (SQLite's default limit is far above what the
 * registry uses; this bounds the arrays) */
#define PARAMS_MAX 100

struct pg_conn {
	PGconn *conn;
	int errcode;
	char errmsg[512];
	long long changes;
	unsigned next_name; /* server-side statement names: s1, s2, ... */
};

struct pg_stmt {
	struct pg_conn *c;
	char *sql; /* with $N */
	char name[16];
	int prepared;
	int nparams;
	char *values[PARAMS_MAX];
	unsigned types[PARAMS_MAX];
	unsigned char unused_text[PARAMS_MAX];
	PGresult *res;
	int row, nrows;
	int done;
};

/* The server's message without libpq's trailing newline, and the code it maps to; kept on
 * the connection (c may be NULL before it exists). */
static int
fail_result(const PGresult *res, PGconn *conn, struct pg_conn *c, const char *what)
{
	/* the server's own sentence (without "ERROR:  " and the statement's excerpt) */
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *msg = primary ? primary
			  : res	  ? PQresultErrorMessage(res)
				  : PQerrorMessage(conn);
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	size_t n = strlen(msg);
	int code = CP_ERR_DB;

	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		n--;
	/* 40001 serialization failure, 40P01 deadlock, 55P03 lock not available: the
	 * transaction lost to another one and can be run again */
	if (state &&
	    (!strcmp(state, "40001") || !strcmp(state, "40P01") || !strcmp(state, "55P03")))
		code = CP_ERR_BUSY;
	if (PQstatus(conn) == CONNECTION_BAD)
		code = CP_ERR_DB;
	if (c) {
		c->errcode = code;
		snprintf(c->errmsg, sizeof(c->errmsg), "%s%.*s",
			 PQstatus(conn) == CONNECTION_BAD
				 ? "the connection to the database was lost: "
				 : "",
			 (int)n, msg);
	}
	if (PQstatus(conn) == CONNECTION_BAD)
		return cp_err(CP_ERR_DB,
			      "registry: %s: the connection to the database was lost: %.*s", what,
			      (int)n, msg);
	return cp_err(code, "registry: %s: %.*s", what, (int)n, msg);
}

/* Does the connection string name a password? It must not: it would be on a command line,
 * in a configuration file others read, in a log. */
int
pg_url_has_password(const char *url, int *bad)
{
	char *err = NULL;
	PQconninfoOption *opts = PQconninfoParse(url, &err);
	int found = 0;

	*bad = 0;
	if (!opts) {
		*bad = 1;
		cp_err(CP_ERR_CONFIG, "registry.url: not a libpq connection string: %s",
		       err ? err : "out of memory");
		PQfreemem(err);
		return 0;
	}
	for (PQconninfoOption *o = opts; o->keyword; o++)
		if (!strcmp(o->keyword, "password") && o->val && *o->val)
			found = 1;
	PQconninfoFree(opts);
	return found;
}

/* The server's notices and warnings are not cardpipe's output (its errors are reported
 * with the call that failed). */
static void
no_notices(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

int
pg_connect(const char *url, const char *password_file, struct pg_conn **out)
{
	const char *keys[4], *vals[4];
	int n = 0, bad;
	PGconn *conn;
	PGresult *res;

	*out = NULL;
	if (pg_url_has_password(url, &bad))
		return cp_err(CP_ERR_CONFIG,
			      "registry.url carries a password: put it in ~/.pgpass or in the file "
			      "registry.password_file names, never in the URL");
	if (bad)
		return CP_ERR_CONFIG;
	keys[n] = "dbname", vals[n++] = url; /* expanded as a whole connection string */
	if (password_file && *password_file)
		keys[n] = "passfile", vals[n++] = password_file;
	keys[n] = "application_name", vals[n++] = "cardpipe";
	keys[n] = NULL, vals[n] = NULL;
	conn = PQconnectdbParams(keys, vals, 1);
	if (!conn)
		return cp_err(CP_ERR_NOMEM, "registry: out of memory connecting to the database");
	if (PQstatus(conn) != CONNECTION_OK) {
		const char *msg = PQerrorMessage(conn);
		size_t len = strlen(msg);

		while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
			len--;
		cp_err(CP_ERR_DB, "registry: cannot connect to the database: %.*s", (int)len, msg);
		PQfinish(conn);
		return CP_ERR_DB;
	}
	PQsetNoticeProcessor(conn, no_notices, NULL);
	/* UTF-8 to us, no notices, and times without a zone read as UTC, as cardpipe writes
	 * them */
	res = PQexec(conn, "SET client_encoding = 'UTF8'; SET client_min_messages = warning; "
			   "SET TimeZone = 'UTC'");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		int r = fail_result(res, conn, NULL, "set up the connection");

		PQclear(res);
		PQfinish(conn);
		return r;
	}
	PQclear(res);
	*out = xcalloc(1, sizeof(**out));
	(*out)->conn = conn;
	return 0;
}

void
pg_close(struct pg_conn *c)
{
	if (!c)
		return;
	PQfinish(c->conn);
	free(c);
}

int
pg_backend_pid(struct pg_conn *c)
{
	return PQbackendPID(c->conn);
}

int
pg_errcode(struct pg_conn *c)
{
	return c->errcode ? c->errcode : CP_ERR_DB;
}

const char *
pg_errmsg(struct pg_conn *c)
{
	return c->errmsg[0] ? c->errmsg : "no error recorded";
}

long long
pg_changes(struct pg_conn *c)
{
	return c->changes;
}

void
pg_set_changes(struct pg_conn *c, long long n)
{
	c->changes = n;
}

int
pg_in_transaction(struct pg_conn *c)
{
	PGTransactionStatusType t = PQtransactionStatus(c->conn);

	return t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
}

/* Rows a command changed, from its tag ("UPDATE 3"); 0 for a command that changes none. */
static long long
tuples_of(PGresult *res)
{
	const char *t = PQcmdTuples(res);

	return t && *t ? strtoll(t, NULL, 10) : 0;
}

int
pg_exec(struct pg_conn *c, const char *sql)
{
	PGresult *res = PQexec(c->conn, sql);
	int st = PQresultStatus(res), r = 0;

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		c->changes = tuples_of(res);
	else
		r = fail_result(res, c->conn, c, "run SQL");
	PQclear(res);
	return r;
}

/* ---- placeholders ---- */

/* Length of the quoted or commented span at p ('...', "...", -- ..., / * ... * /,
 * $tag$ ... $tag$), 0 if p starts none; copied unchanged. */
static size_t
skip_span(const char *p)
{
	const char *q;

	if (*p == '\'' || *p == '"') {
		char quote = *p;

		for (q = p + 1; *q; q++)
			if (*q == quote) {
				if (q[1] != quote)
					return (size_t)(q + 1 - p);
				q++; /* doubled quote */
			}
		return strlen(p);
	}
	if (p[0] == '-' && p[1] == '-') {
		q = strchr(p, '\n');
		return q ? (size_t)(q - p) : strlen(p);
	}
	if (p[0] == '/' && p[1] == '*') {
		q = strstr(p + 2, "*/");
		return q ? (size_t)(q + 2 - p) : strlen(p);
	}
	if (p[0] == '$') {
		size_t tag = 1;

		while (p[tag] == '_' || isalnum((unsigned char)p[tag]))
			tag++;
		if (p[tag] == '$' && !isdigit((unsigned char)p[1])) {
			const char *end = p + tag + 1;

			while ((end = strchr(end, '$')))
				if (!strncmp(end, p, tag + 1))
					return (size_t)(end + tag + 1 - p);
				else
					end++;
			return strlen(p);
		}
	}
	return 0;
}

char *
pg_number_params(const char *sql, int *nparams, unsigned char *used)
{
	size_t len = strlen(sql), o = 0;
	char *out = xmalloc(len * 4 + 1); /* "?" becomes at most "$100" */
	int max = 0;

	for (const char *p = sql; *p;) {
		size_t span = skip_span(p);

		if (span) {
			memcpy(out + o, p, span);
			o += span;
			p += span;
			continue;
		}
		if (*p != '?') {
			out[o++] = *p++;
			continue;
		}
		p++;
		long n = 0;

		if (isdigit((unsigned char)*p)) {
			char *end;

			errno = 0;
			n = strtol(p, &end, 10);
			if (errno || n < 1 || n > PARAMS_MAX) {
				free(out);
				cp_err(CP_ERR_INVALID,
				       "registry: parameter ?%.*s out of range 1..%d",
				       (int)(end - p), p, PARAMS_MAX);
				return NULL;
			}
			p = end;
		} else if ((n = max + 1) > PARAMS_MAX) {
			free(out);
			cp_err(CP_ERR_INVALID, "registry: more than %d parameters", PARAMS_MAX);
			return NULL;
		}
		if (n > max)
			max = (int)n;
		if (used)
			used[n - 1] = 1;
		o += (size_t)sprintf(out + o, "$%ld", n);
	}
	out[o] = '\0';
	*nparams = max;
	return out;
}

/* ---- statements ---- */

int
pg_prepare(struct pg_conn *c, const char *sql, struct pg_stmt **stmt)
{
	struct pg_stmt *s;
	int n;
	unsigned char used[PARAMS_MAX] = {0};
	char *text = pg_number_params(sql, &n, used);

	*stmt = NULL;
	if (!text)
		return cp_err_wrap(CP_ERR_INVALID, "prepare: ");
	s = xcalloc(1, sizeof(*s));
	s->c = c;
	s->sql = text;
	s->nparams = n;
	/* a parameter the SQL never names (SQLite lets it be bound) has no place to take its
	 * type from: text */
	for (int i = 0; i < n; i++)
		s->unused_text[i] = !used[i];
	snprintf(s->name, sizeof(s->name), "s%u", ++c->next_name);
	*stmt = s;
	return 0;
}

static int
param(struct pg_stmt *s, int idx)
{
	if (idx < 1 || idx > s->nparams)
		return cp_err(CP_ERR_DB, "registry: bind: parameter %d of a statement with %d", idx,
			      s->nparams);
	free(s->values[idx - 1]);
	s->values[idx - 1] = NULL;
	return 0;
}

int
pg_bind_int(struct pg_stmt *s, int idx, long long v)
{
	int r = param(s, idx);

	if (r < 0)
		return r;
	s->values[idx - 1] = xasprintf("%lld", v);
	s->types[idx - 1] = OID_INT8;
	return 0;
}

int
pg_bind_text(struct pg_stmt *s, int idx, const char *text)
{
	int r = param(s, idx);

	if (r < 0)
		return r;
	if (text) {
		/* untyped, as a literal in the SQL would be: the server reads it as the type
		 * its place needs (an integer column takes '42'), as SQLite's affinity does */
		s->values[idx - 1] = xstrdup(text);
		s->types[idx - 1] = 0;
	}
	return 0;
}

int
pg_bind_null(struct pg_stmt *s, int idx)
{
	return param(s, idx);
}

static int
run(struct pg_stmt *s)
{
	PGconn *conn = s->c->conn;
	int st;

	if (!s->prepared) {
		PGresult *p;

		for (int i = 0; i < s->nparams; i++)
			if (s->unused_text[i])
				s->types[i] = OID_TEXT;
		p = PQprepare(conn, s->name, s->sql, s->nparams, s->types);

		if (PQresultStatus(p) != PGRES_COMMAND_OK) {
			int r = fail_result(p, conn, s->c, "prepare");

			PQclear(p);
			return r;
		}
		PQclear(p);
		s->prepared = 1;
	}
	s->res = PQexecPrepared(conn, s->name, s->nparams, (const char *const *)s->values, NULL,
				NULL, 0);
	st = PQresultStatus(s->res);
	if (st == PGRES_TUPLES_OK) {
		s->nrows = PQntuples(s->res);
		s->c->changes = tuples_of(s->res); /* INSERT ... RETURNING counts its rows */
	} else if (st == PGRES_COMMAND_OK) {
		s->nrows = 0;
		s->c->changes = tuples_of(s->res);
	} else {
		int r = fail_result(s->res, conn, s->c, "step");

		PQclear(s->res);
		s->res = NULL;
		return r;
	}
	s->row = -1;
	return 0;
}

int
pg_step(struct pg_stmt *s)
{
	int r;

	if (s->done) /* as sqlite3_step(): a finished statement stepped again runs again */
		pg_reset(s, 0);
	if (!s->res && (r = run(s)) < 0)
		return r;
	if (++s->row < s->nrows)
		return PG_ROW;
	s->done = 1;
	return PG_DONE;
}

static int
in_row(struct pg_stmt *s, int col)
{
	return s->res && s->row >= 0 && s->row < s->nrows && col >= 0 && col < PQnfields(s->res);
}

int
pg_col_is_null(struct pg_stmt *s, int col)
{
	return !in_row(s, col) || PQgetisnull(s->res, s->row, col);
}

int
pg_col_is_int(struct pg_stmt *s, int col)
{
	Oid t;

	if (pg_col_is_null(s, col))
		return 0;
	t = PQftype(s->res, col);
	return t == OID_INT8 || t == OID_INT4 || t == OID_INT2;
}

const char *
pg_col_text(struct pg_stmt *s, int col)
{
	return pg_col_is_null(s, col) ? NULL : PQgetvalue(s->res, s->row, col);
}

long long
pg_col_int(struct pg_stmt *s, int col)
{
	const char *t = pg_col_text(s, col);

	if (!t)
		return 0;
	/* booleans read as SQLite's 0 and 1 */
	if (!strcmp(t, "t") || !strcmp(t, "f"))
		return *t == 't';
	return strtoll(t, NULL, 10);
}

int
pg_col_count(struct pg_stmt *s)
{
	return s->res ? PQnfields(s->res) : 0;
}

const char *
pg_col_name(struct pg_stmt *s, int col)
{
	return s->res && col >= 0 && col < PQnfields(s->res) ? PQfname(s->res, col) : NULL;
}

void
pg_reset(struct pg_stmt *s, int clear)
{
	if (!s)
		return;
	PQclear(s->res);
	s->res = NULL;
	s->row = -1;
	s->nrows = 0;
	s->done = 0;
	if (clear)
		for (int i = 0; i < s->nparams; i++) {
			free(s->values[i]);
			s->values[i] = NULL;
		}
}

void
pg_finalize(struct pg_stmt *s)
{
	if (!s)
		return;
	pg_reset(s, 1);
	if (s->prepared && PQstatus(s->c->conn) == CONNECTION_OK) {
		char sql[40];

		snprintf(sql, sizeof(sql), "DEALLOCATE %s", s->name);
		PQclear(PQexec(s->c->conn, sql));
	}
	free(s->sql);
	free(s);
}
