/*
 * reg_stmt.c - the statement layer (reg_stmt.h) over both backends: each function passes
 * the call to the statement's backend, SQLite (registry_sqlite.c's lite_*) or PostgreSQL
 * (pg_conn.c).
 */
#include "pipeline/registry/reg_stmt.h"

#include "core/mem.h"
#include "pipeline/registry/pg_conn.h"
#include "pipeline/registry/registry_conn.h"

#include <stdlib.h>
#include <string.h>

_Static_assert(PG_ROW == REG_ROW && PG_DONE == REG_DONE, "pg_step() answers as reg_step()");

int
reg_prepare(struct registry *reg, const char *sql, struct reg_stmt **stmt)
{
	struct reg_stmt *s = xcalloc(1, sizeof(*s));
	int r = reg->pg ? pg_prepare(reg->pg, sql, &s->pg) : lite_prepare(reg, sql, &s->lite);

	*stmt = NULL;
	if (r < 0) {
		reg_finalize(s);
		return r;
	}
	*stmt = s;
	return 0;
}

int
reg_prepare_insert(struct registry *reg, const char *sql, struct reg_stmt **stmt)
{
	static const char returning[] = " RETURNING id";
	size_t n = strlen(sql), k = sizeof(returning) - 1;
	char *plain;
	int r;

	if (n < k || strcmp(sql + n - k, returning) != 0)
		return cp_err(CP_ERR_INVALID, "registry: an INSERT for its id must end with '%s'",
			      returning);
	if (reg->pg)
		return reg_prepare(reg, sql, stmt);
	plain = xstrndup(sql, n - k);
	r = reg_prepare(reg, plain, stmt);
	free(plain);
	if (r == 0)
		(*stmt)->insert_id = 1;
	return r;
}

int
reg_step_id(struct registry *reg, struct reg_stmt *stmt, const char *what, long long *id)
{
	int rc;

	*id = 0;
	if (stmt->insert_id)
		return lite_step_insert(reg, stmt, what, id);
	/* PostgreSQL: the INSERT must run in the transaction that seals and audits it */
	if (!reg_in_tx(reg) && !reg_is_sqlite(reg))
		return cp_err(CP_ERR_INVALID, "registry: %s: outside a transaction", what);
	rc = reg_step(stmt);
	if (rc != REG_ROW)
		return rc < 0 ? reg_fail(reg, what)
			      : cp_err(CP_ERR_DB, "registry: %s: no row inserted", what);
	*id = reg_col_int(stmt, 0);
	return reg_step_done(reg, stmt, what);
}

int
reg_bind_int(struct reg_stmt *stmt, int idx, long long v)
{
	return stmt->pg ? pg_bind_int(stmt->pg, idx, v) : lite_bind_int(stmt->lite, idx, v);
}

int
reg_bind_null(struct reg_stmt *stmt, int idx)
{
	return stmt->pg ? pg_bind_null(stmt->pg, idx) : lite_bind_text(stmt->lite, idx, NULL, 0);
}

int
reg_bind_text(struct reg_stmt *stmt, int idx, const char *text)
{
	return stmt->pg ? pg_bind_text(stmt->pg, idx, text)
			: lite_bind_text(stmt->lite, idx, text, 0);
}

int
reg_bind_text_static(struct reg_stmt *stmt, int idx, const char *text)
{
	/* PostgreSQL: libpq sends the text with the next run; a copy costs what it saves */
	return stmt->pg ? pg_bind_text(stmt->pg, idx, text)
			: lite_bind_text(stmt->lite, idx, text, 1);
}

int
reg_step(struct reg_stmt *stmt)
{
	return stmt->pg ? pg_step(stmt->pg) : lite_step(stmt->lite);
}

long long
reg_col_int(struct reg_stmt *stmt, int col)
{
	return stmt->pg ? pg_col_int(stmt->pg, col) : lite_col_int(stmt->lite, col);
}

const char *
reg_col_text(struct reg_stmt *stmt, int col)
{
	return stmt->pg ? pg_col_text(stmt->pg, col) : lite_col_text(stmt->lite, col);
}

int
reg_col_is_null(struct reg_stmt *stmt, int col)
{
	return stmt->pg ? pg_col_is_null(stmt->pg, col) : lite_col_type(stmt->lite, col) == 'n';
}

int
reg_col_is_int(struct reg_stmt *stmt, int col)
{
	return stmt->pg ? pg_col_is_int(stmt->pg, col) : lite_col_type(stmt->lite, col) == 'i';
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
	return stmt->pg ? pg_col_count(stmt->pg) : lite_col_count(stmt->lite);
}

const char *
reg_col_name(struct reg_stmt *stmt, int col)
{
	return stmt->pg ? pg_col_name(stmt->pg, col) : lite_col_name(stmt->lite, col);
}

void
reg_reset(struct reg_stmt *stmt)
{
	if (stmt->pg)
		pg_reset(stmt->pg, 0);
	else
		lite_reset(stmt->lite, 0);
}

void
reg_reset_clear(struct reg_stmt *stmt)
{
	if (stmt->pg)
		pg_reset(stmt->pg, 1);
	else
		lite_reset(stmt->lite, 1);
}

void
reg_finalize(struct reg_stmt *stmt)
{
	if (!stmt)
		return;
	pg_finalize(stmt->pg);
	lite_finalize(stmt->lite);
	free(stmt);
}
