/*
 * registry_backend.c - the registry's public entry points (registry.h) and the connection-level
 * half of the statement layer (reg_stmt.h), the same for both backends: each one calls
 * the backend of the open registry, SQLite (registry_sqlite.c, lite_*) or PostgreSQL
 * (registry_pg.c, pgr_*).
 */
#include "pipeline/registry/registry_conn.h"
#include "pipeline/registry/reg_stmt.h"

#include "core/clock.h"
#include "core/err.h"
#include "core/hex.h"
#include "core/mem.h"
#include "personalization/crypto/hash.h"
#include "pipeline/registry/pg_conn.h"
#include "pipeline/registry/schema.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* A PostgreSQL connection string (postgresql:// or postgres:// URI, or libpq's key=value
 * form), rather than a file? */
int
registry_url_is_pg(const char *url)
{
	const char *p = url;

	if (!strncmp(url, "postgresql://", 13) || !strncmp(url, "postgres://", 11))
		return 1;
	while (isspace((unsigned char)*p))
		p++;
	if (!isalpha((unsigned char)*p))
		return 0;
	while (isalnum((unsigned char)*p) || *p == '_')
		p++;
	while (isspace((unsigned char)*p))
		p++;
	return *p == '=';
}

int
registry_url_printable(const char *url)
{
	int bad = 0;

	if (!*url || !strncmp(url, "sqlite:", 7))
		return 1;
	return registry_url_is_pg(url) && !pg_url_has_password(url, &bad) && !bad;
}

int
registry_open_url(const char *url, const char *password_file, struct registry **out)
{
	struct registry *reg = xcalloc(1, sizeof(*reg));
	int r;

	*out = NULL;
	if (!strncmp(url, "sqlite:", 7))
		url += 7;
	reg->path = xstrdup(url);
	r = registry_url_is_pg(url) ? pgr_open(reg, password_file) : lite_open(reg);
	if (r < 0) {
		registry_close(reg);
		return r;
	}
	*out = reg;
	return 0;
}

int
registry_open(const char *path, struct registry **out)
{
	return registry_open_url(path, NULL, out);
}

void
registry_close(struct registry *reg)
{
	if (!reg)
		return;
	if (reg->pg)
		pgr_close(reg);
	else
		lite_close(reg);
	reg_seal_detach(reg);
	free(reg->path);
	free(reg->actor);
	free(reg);
}

int
reg_is_sqlite(struct registry *reg)
{
	return reg->pg == NULL;
}

void
registry_set_actor(struct registry *reg, const char *actor)
{
	free(reg->actor);
	reg->actor = xstrdup(actor);
}

const char *
reg_now_text(struct registry *reg)
{
	time_t now = cp_now();

	if (now != reg->now_cached || !reg->now_text[0]) {
		cp_iso_utc(now, reg->now_text, sizeof(reg->now_text));
		reg->now_cached = now;
	}
	return reg->now_text;
}

/* A new transaction: nothing of an earlier one is to be written before its commit. */
static void
tx_started(struct registry *reg)
{
	reg->tx_serial++;
	reg->before_commit = NULL;
	reg->before_commit_arg = NULL;
}

int
registry_begin(struct registry *reg)
{
	tx_started(reg);
	return reg->pg ? pgr_begin(reg) : lite_begin(reg);
}

int
reg_begin_rows(struct registry *reg)
{
	tx_started(reg);
	return reg->pg ? pgr_begin_rows(reg) : lite_begin(reg);
}

int
reg_begin_read(struct registry *reg)
{
	tx_started(reg);
	return reg->pg ? pgr_begin_read(reg) : lite_begin_read(reg);
}

int
registry_commit(struct registry *reg)
{
	int (*fn)(void *) = reg->before_commit;
	int r;

	reg->before_commit = NULL;
	if (fn && (r = fn(reg->before_commit_arg)) < 0) {
		/* as a failed commit does: nothing of the transaction stays */
		registry_rollback(reg);
		return r;
	}
	return reg->pg ? pgr_commit(reg) : lite_commit(reg);
}

void
registry_rollback(struct registry *reg)
{
	reg->before_commit = NULL;
	reg->before_commit_arg = NULL;
	if (reg->pg)
		pgr_rollback(reg);
	else
		lite_rollback(reg);
}

unsigned long
reg_tx_serial(struct registry *reg)
{
	return reg->tx_serial;
}

int
reg_before_commit(struct registry *reg, int (*fn)(void *arg), void *arg)
{
	if (!reg->in_tx)
		return cp_err(CP_ERR_INVALID, "registry: nothing to commit outside a transaction");
	if (reg->before_commit && (reg->before_commit != fn || reg->before_commit_arg != arg))
		return cp_err(CP_ERR_INVALID, "registry: a transaction has one before-commit step");
	reg->before_commit = fn;
	reg->before_commit_arg = arg;
	return 0;
}

void
reg_before_commit_cancel(struct registry *reg, void *arg)
{
	if (reg->before_commit_arg == arg) {
		reg->before_commit = NULL;
		reg->before_commit_arg = NULL;
	}
}

int
reg_in_tx(struct registry *reg)
{
	return reg->in_tx;
}

int
registry_schema_version(struct registry *reg)
{
	return reg->pg ? pgr_schema_version(reg) : lite_schema_version(reg);
}

long long
reg_changes(struct registry *reg)
{
	return reg->pg ? pg_changes(reg->pg) : lite_changes(reg);
}

int
reg_exec(struct registry *reg, const char *sql)
{
	return reg->pg ? pgr_exec(reg, sql) : lite_exec(reg, sql);
}

int
reg_fail(struct registry *reg, const char *what)
{
	if (reg->pg)
		return cp_err(pg_errcode(reg->pg), "registry: %s: %s", what, pg_errmsg(reg->pg));
	return lite_fail(reg, what);
}

int
reg_step_done(struct registry *reg, struct reg_stmt *stmt, const char *what)
{
	return reg->pg ? pgr_step_done(reg, stmt, what) : lite_step_done(reg, stmt, what);
}

int
reg_query_int(struct registry *reg, const char *sql, long long *value)
{
	struct reg_stmt *st;
	int r, rc;

	*value = 0;
	if ((r = reg_prepare(reg, sql, &st)) < 0)
		return r;
	rc = reg_step(st);
	if (rc == REG_ROW)
		*value = reg_col_int(st, 0);
	else if (rc != REG_DONE)
		r = reg_fail(reg, "query");
	reg_finalize(st);
	return r;
}

/* The audit chain's row hash: SHA-256 over the fields, each followed by a 0x1F separator. */
void
registry_audit_hash(const char *const fields[7], char out[65])
{
	unsigned char md[32] = {0};
	struct cp_md_ctx *ctx;

	/* a digest that cannot even start leaves zeros, which no chain row ever matches */
	if (cp_md_new(CP_MD_SHA256, &ctx) == 0) {
		for (int i = 0; i < 7; i++) {
			const char *f = fields[i] ? fields[i] : "";

			cp_md_update(ctx, f, strlen(f));
			cp_md_update(ctx, "\x1f", 1);
		}
		if (cp_md_final(ctx, md) < 0)
			memset(md, 0, sizeof(md));
	}
	hex_encode(md, 32, out);
	for (int i = 0; i < 64; i++)
		out[i] = (char)(out[i] >= 'A' && out[i] <= 'F' ? out[i] + 32 : out[i]);
}

int
registry_latest_version(void)
{
	return registry_migrations[registry_nmigrations - 1].version;
}

int
registry_audit(struct registry *reg, const char *entity, long long entity_id, const char *event,
	       const char *detail)
{
	struct reg_stmt *st;
	int r;

	if ((r = reg_prepare(reg,
			     "INSERT INTO audit(actor, entity, entity_id, event, detail) "
			     "VALUES(NULL, ?, ?, ?, ?)",
			     &st)) < 0)
		return r;
	reg_bind_text(st, 1, entity);
	reg_bind_int(st, 2, entity_id);
	reg_bind_text(st, 3, event);
	reg_bind_text(st, 4, detail ? detail : "");
	r = reg_step_done(reg, st, "append audit row");
	reg_finalize(st);
	return r;
}

int
registry_meta_get(struct registry *reg, const char *key, char **value)
{
	struct reg_stmt *st;
	int r, rc;

	*value = NULL;
	if ((r = reg_prepare(reg, "SELECT value FROM meta WHERE key = ?", &st)) < 0)
		return r;
	reg_bind_text(st, 1, key);
	rc = reg_step(st);
	if (rc == REG_ROW)
		*value = reg_col_strdup(st, 0);
	else if (rc == REG_DONE)
		r = CP_ERR_NOTFOUND;
	else
		r = reg_fail(reg, "read meta");
	reg_finalize(st);
	return r;
}

int
registry_meta_set(struct registry *reg, const char *key, const char *value)
{
	struct reg_stmt *st;
	int r;

	if ((r = reg_prepare(reg,
			     "INSERT INTO meta(key, value) VALUES(?, ?) "
			     "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
			     &st)) < 0)
		return r;
	reg_bind_text(st, 1, key);
	reg_bind_text(st, 2, value);
	r = reg_step_done(reg, st, "write meta");
	reg_finalize(st);
	return r;
}
