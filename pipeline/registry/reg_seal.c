/*
 * reg_seal.c - what makes the registry's audit need a key (docs/audit.md):
 *
 *   - the audit chain: each audit_log row's hash is HMAC-SHA-256 under the audit key over
 *     the previous row's hash and the row's fields (SQL cp_audit_mac(), called by the
 *     audit view's trigger), and the row records the key's check value (cp_audit_key_id());
 *   - row seals: every row of a sealed table carries row_mac, HMAC-SHA-256 under the same
 *     key over the table, the rowid and every non-NULL column. cardpipe reseals the rows it
 *     changed (SQLite's update hook lists them) before each commit, so a change made on a
 *     connection without the key (the sqlite3 CLI) leaves a row whose seal does not match.
 *
 * The key is set once per process (registry_set_audit_key()); the MACs are computed here,
 * in C, so that another backend computes the same values.
 *
 * Most of this file runs its SQL through the statement layer (reg_stmt.h). What can only
 * be done inside SQLite is marked "SQLite only": the SQL functions the triggers call, the
 * update and pre-update hooks that list the rows to seal, and reading a column's typed
 * value (sqlite3_value) for a row's seal.
 */
#include "pipeline/registry/registry_sqlite.h"

#include "pipeline/registry/reg_stmt.h"

#include "core/buf.h"
#include "core/err.h"
#include "core/mem.h"
#include "personalization/crypto/hash.h"
#include "personalization/crypto/secmem.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const reg_sealed_tables[] = {
	"input_file",	 "person",	"application", "card", "production_attempt",
	"dispatch_item", "perso_batch", "card_perso",  NULL,
};

struct reg_seal_row {
	int table;
	long long rowid;
};

/* The process's audit key, in the secure heap when there is one. */
static unsigned char *audit_key;
static size_t audit_key_len;
static char audit_key_id[8];

static void
registry_clear_audit_key(void)
{
	if (audit_key)
		cp_secure_free(audit_key, audit_key_len);
	audit_key = NULL;
	audit_key_len = 0;
	audit_key_id[0] = '\0';
}

int
registry_set_audit_key(const unsigned char *key, size_t len, const char *key_id)
{
	if (len < 16 || len > 64)
		return cp_err(CP_ERR_INVALID, "an audit key has 16 to 64 bytes, not %zu", len);
	if (!key_id || !*key_id || strlen(key_id) >= sizeof(audit_key_id))
		return cp_err(CP_ERR_INVALID,
			      "an audit key needs a check value of 1 to %zu "
			      "characters",
			      sizeof(audit_key_id) - 1);
	registry_clear_audit_key();
	audit_key = cp_secure_zalloc(len);
	memcpy(audit_key, key, len);
	audit_key_len = len;
	snprintf(audit_key_id, sizeof(audit_key_id), "%s", key_id);
	return 0;
}

static int
table_index(const char *table)
{
	for (int i = 0; reg_sealed_tables[i]; i++)
		if (!strcmp(reg_sealed_tables[i], table))
			return i;
	return -1;
}

/* ---- the MAC ---- */

/* One MAC being computed: its input is gathered in the connection's buffer (reg->mac_in)
 * and given to the HMAC in one update at the end. The MAC is the same as over the fields
 * one by one, but a row seal has five fields per column, and each update goes through
 * OpenSSL's EVP layers: most of the seal's cost. */
struct mac {
	struct cp_hmac *ctx;
	struct buf *in;
	int failed;
};

/* The connection's working copy of the keyed context, restarted for each MAC (a copy
 * allocated per MAC cost as much as the hashing), and its input buffer, kept from MAC to
 * MAC; a MAC runs from mac_begin() to mac_end() with no SQL in between, so one at a time. */
static int
mac_begin(struct registry *reg, struct mac *m, const char *label)
{
	m->ctx = NULL;
	m->in = &reg->mac_in;
	m->failed = 0;
	buf_reset(m->in);
	if ((reg->mac_work ? cp_hmac_restart(reg->mac_work)
			   : cp_hmac_dup(reg->mac, &reg->mac_work)) < 0 ||
	    cp_hmac_update(reg->mac_work, label, strlen(label) + 1) < 0)
		return cp_err(CP_ERR_CRYPTO, "registry: cannot start the audit MAC");
	m->ctx = reg->mac_work;
	return 0;
}

static void
mac_add(struct mac *m, const void *data, size_t len)
{
	if (buf_append(m->in, data, len) < 0)
		m->failed = 1;
}

/* One field: its length (4 bytes, big-endian), then its bytes; no separator can be forged
 * by a value that contains it. */
static void
mac_field(struct mac *m, const void *data, size_t len)
{
	unsigned char n[4] = {(unsigned char)(len >> 24), (unsigned char)(len >> 16),
			      (unsigned char)(len >> 8), (unsigned char)len};

	mac_add(m, n, 4);
	mac_add(m, data, len);
}

static int
mac_end(struct mac *m, char out[65])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[32];
	int ok = !m->failed && cp_hmac_update(m->ctx, m->in->data, m->in->len) == 0 &&
		 cp_hmac_final_keep(m->ctx, md) == 0;

	buf_reset(m->in);
	m->ctx = NULL;
	if (!ok)
		return cp_err(CP_ERR_CRYPTO, "registry: the audit MAC failed");
	for (size_t i = 0; i < sizeof(md); i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[64] = '\0';
	return 0;
}

int
reg_audit_mac(struct registry *reg, const char *const fields[7], char out[65])
{
	struct mac m;
	int r;

	if ((r = mac_begin(reg, &m, "cardpipe audit 1")) < 0)
		return r;
	for (int i = 0; i < 7; i++) {
		const char *f = fields[i] ? fields[i] : "";

		mac_field(&m, f, strlen(f));
	}
	return mac_end(&m, out);
}

int
reg_audit_head(struct registry *reg, long long id, const char *hash, char out[REG_AUDIT_HEAD_MAX])
{
	struct mac m;
	char num[24], mac[65];
	int r;

	snprintf(num, sizeof(num), "%lld", id);
	if ((r = mac_begin(reg, &m, "cardpipe audit head 1")) < 0)
		return r;
	mac_field(&m, num, strlen(num));
	mac_field(&m, hash, strlen(hash));
	if ((r = mac_end(&m, mac)) < 0)
		return r;
	snprintf(out, REG_AUDIT_HEAD_MAX, "%s:%.64s:%s", num, hash, mac);
	return 0;
}

const char *
reg_audit_key_id(struct registry *reg)
{
	return reg->key_id;
}

/* ---- SQLite only: a row's seal over its columns' typed values ---- */

/* A column's value as a row seal covers it: its type ('i' integer, 'r' real, 'b' blob,
 * 't' text; 0 for SQL NULL) and its bytes (an integer's in decimal), so that 1, '1' and
 * x'31' seal differently, and a row read from either backend seals the same. */
struct cell {
	unsigned char tag;
	const void *p;
	size_t n;
	char num[32];
};

/* SQLite only: a typed value. */
static void
cell_of_value(struct cell *c, sqlite3_value *v)
{
	switch (v ? sqlite3_value_type(v) : SQLITE_NULL) {
	case SQLITE_NULL: c->tag = 0; return;
	case SQLITE_INTEGER:
		c->tag = 'i';
		c->n = (size_t)snprintf(c->num, sizeof(c->num), "%lld",
					(long long)sqlite3_value_int64(v));
		c->p = c->num;
		return;
	case SQLITE_FLOAT:
		c->tag = 'r';
		c->n = (size_t)snprintf(c->num, sizeof(c->num), "%.17g", sqlite3_value_double(v));
		c->p = c->num;
		return;
	case SQLITE_BLOB:
		c->tag = 'b';
		c->p = sqlite3_value_blob(v);
		c->n = (size_t)sqlite3_value_bytes(v);
		return;
	default:
		c->tag = 't';
		c->p = sqlite3_value_text(v);
		c->n = (size_t)sqlite3_value_bytes(v);
		return;
	}
}

/* The seal over a row's table, rowid and named non-NULL columns; value(src, i, cell) reads
 * column i. NULL columns are left out: a migration adding a column that defaults to NULL
 * keeps every seal valid. *mac_col is set to the index of row_mac (-1 without). */
static int
row_mac(struct registry *reg, const char *table, long long rowid, int ncol,
	const char *(*name)(void *, int), void (*value)(void *, int, struct cell *), void *src,
	char out[65], int *mac_col)
{
	struct mac m;
	char id[32];
	int r;

	*mac_col = -1;
	if ((r = mac_begin(reg, &m, "cardpipe row 1")) < 0)
		return r;
	snprintf(id, sizeof(id), "%lld", rowid);
	mac_field(&m, table, strlen(table));
	mac_field(&m, id, strlen(id));
	for (int c = 0; c < ncol; c++) {
		const char *n = name(src, c);
		struct cell v;

		if (!strcmp(n, "row_mac")) {
			*mac_col = c;
			continue;
		}
		value(src, c, &v);
		if (!v.tag)
			continue;
		mac_field(&m, n, strlen(n));
		mac_add(&m, &v.tag, 1);
		mac_field(&m, v.p, v.n);
	}
	return mac_end(&m, out);
}

/* Columns of "SELECT key, * FROM table" after the key (sealed_key(): the rowid). */
static const char *
stmt_name(void *st, int c)
{
	return reg_col_name(st, c + 1);
}

static void
stmt_value(void *src, int c, struct cell *v)
{
	struct reg_stmt *st = src;

	if (st->lite) {
		cell_of_value(v, sqlite3_column_value(st->lite, c + 1));
		return;
	}
	/* PostgreSQL: the column's type says integer or text (the sealed tables have no other) */
	if (reg_col_is_null(st, c + 1)) {
		v->tag = 0;
		return;
	}
	v->tag = reg_col_is_int(st, c + 1) ? 'i' : 't';
	v->p = reg_col_text(st, c + 1);
	v->n = strlen(v->p);
}

/* Seal of the current row of st ("SELECT key, * FROM table"), skipping column
 * row_mac; *mac_col is set to the index of row_mac (-1 without). */
static int
reg_row_mac(struct registry *reg, const char *table, struct reg_stmt *st, char out[65],
	    int *mac_col)
{
	int r = row_mac(reg, table, reg_col_int(st, 0), reg_col_count(st) - 1, stmt_name,
			stmt_value, st, out, mac_col);

	if (*mac_col >= 0)
		(*mac_col)++;
	return r;
}

/* ---- SQLite only: the SQL functions the audit triggers call ---- */

static void
sql_audit_mac(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct registry *reg = sqlite3_user_data(ctx);
	const char *fields[7];
	char out[65];

	if (reg->key_mismatch) {
		sqlite3_result_error(ctx, reg->key_mismatch, -1);
		return;
	}
	for (int i = 0; i < 7; i++)
		fields[i] = (const char *)sqlite3_value_text(argv[i]);
	if (reg_audit_mac(reg, fields, out) < 0) {
		sqlite3_result_error(ctx, cp_errmsg(), -1);
		return;
	}
	sqlite3_result_text(ctx, out, 64, SQLITE_TRANSIENT);
}

/* SQL cp_audit_head(id, hash): the value meta.audit_head records (reg_audit_head()). */
static void
sql_audit_head(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct registry *reg = sqlite3_user_data(ctx);
	const char *hash = (const char *)sqlite3_value_text(argv[1]);
	char out[REG_AUDIT_HEAD_MAX];

	if (reg->key_mismatch) {
		sqlite3_result_error(ctx, reg->key_mismatch, -1);
		return;
	}
	if (reg_audit_head(reg, sqlite3_value_int64(argv[0]), hash ? hash : "", out) < 0) {
		sqlite3_result_error(ctx, cp_errmsg(), -1);
		return;
	}
	sqlite3_result_text(ctx, out, -1, SQLITE_TRANSIENT);
}

static void
sql_audit_key_id(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct registry *reg = sqlite3_user_data(ctx);

	sqlite3_result_text(ctx, reg->key_id, -1, SQLITE_TRANSIENT);
}

/* ---- the rows changed since the last seal ---- */

/* Add (table, rowid) to the set of rows changed or checked since the last seal; 0 if it was
 * there already. */
static int
touched_add(struct registry *reg, int t, long long rowid)
{
	unsigned long long key =
		((unsigned long long)t << 56 | ((unsigned long long)rowid & ((1ULL << 56) - 1))) +
		1;
	size_t i;

	if (2 * (reg->ntouched + 1) > reg->cap_touched) {
		unsigned long long *old = reg->touched;
		size_t oldcap = reg->cap_touched;

		reg->cap_touched = oldcap ? 2 * oldcap : 256;
		reg->touched = xcalloc(reg->cap_touched, sizeof(*reg->touched));
		reg->ntouched = 0;
		for (i = 0; i < oldcap; i++)
			if (old[i]) {
				size_t j = (size_t)(old[i] * 0x9E3779B97F4A7C15ULL) &
					   (reg->cap_touched - 1);

				while (reg->touched[j])
					j = (j + 1) & (reg->cap_touched - 1);
				reg->touched[j] = old[i];
				reg->ntouched++;
			}
		free(old);
	}
	for (i = (size_t)(key * 0x9E3779B97F4A7C15ULL) & (reg->cap_touched - 1); reg->touched[i];
	     i = (i + 1) & (reg->cap_touched - 1))
		if (reg->touched[i] == key)
			return 0;
	reg->touched[i] = key;
	reg->ntouched++;
	return 1;
}

static void
touched_clear(struct registry *reg)
{
	if (reg->ntouched)
		memset(reg->touched, 0, reg->cap_touched * sizeof(*reg->touched));
	reg->ntouched = 0;
}

/* Row rowid of sealed table t is to be sealed before the commit. */
static void
seal_later(struct registry *reg, int t, long long rowid)
{
	if (reg->sealing)
		return;
	touched_add(reg, t, rowid);
	if (reg->npending == reg->cap_pending) {
		reg->cap_pending = reg->cap_pending ? 2 * reg->cap_pending : 64;
		reg->pending = xrealloc(reg->pending, reg->cap_pending * sizeof(*reg->pending));
	}
	reg->pending[reg->npending++] = (struct reg_seal_row){t, rowid};
}

/* SQLite only: remember every row written to a sealed table; its seal is computed before
 * the commit, once the row has its final content. Runs inside SQLite: no SQL here. */
static void
update_hook(void *arg, int op, const char *dbname, const char *table, sqlite3_int64 rowid)
{
	struct registry *reg = arg;
	int t;

	if (reg->sealing || op == SQLITE_DELETE || (t = table_index(table)) < 0)
		return;
	seal_later(reg, t, rowid);
}

/* Keys the connection; registering the SQL functions and the hook is SQLite only. */
int
reg_seal_attach(struct registry *reg)
{
	if (!audit_key)
		return cp_err(CP_ERR_CONFIG, "registry: no audit key (registry_set_audit_key() "
					     "was not called)");
	cp_hmac_free(reg->mac_work); /* a copy of an earlier key's */
	reg->mac_work = NULL;
	buf_release(&reg->mac_in);
	buf_init(&reg->mac_in, BUF_UNLIMITED);
	if (cp_hmac_new(audit_key, audit_key_len, &reg->mac) < 0)
		return cp_err(CP_ERR_CRYPTO, "registry: cannot key HMAC-SHA-256");
	snprintf(reg->key_id, sizeof(reg->key_id), "%s", audit_key_id);
	if (!reg->db) /* PostgreSQL: the commit chains and seals (registry_pg.c) */
		return 0;
	sqlite3_create_function(reg->db, "cp_audit_mac", 7, SQLITE_UTF8, reg, sql_audit_mac, NULL,
				NULL);
	sqlite3_create_function(reg->db, "cp_audit_key_id", 0, SQLITE_UTF8, reg, sql_audit_key_id,
				NULL, NULL);
	sqlite3_create_function(reg->db, "cp_audit_head", 2, SQLITE_UTF8, reg, sql_audit_head, NULL,
				NULL);
	sqlite3_update_hook(reg->db, update_hook, reg);
	return 0;
}

/* ---- SQLite only: the pre-update check of a row's stored seal ---- */

struct old_row {
	sqlite3 *db;
	char **names;
};

static const char *
old_name(void *src, int c)
{
	return ((struct old_row *)src)->names[c];
}

static sqlite3_value *
old_sqlite_value(void *src, int c)
{
	sqlite3_value *v = NULL;

	return sqlite3_preupdate_old(((struct old_row *)src)->db, c, &v) == SQLITE_OK ? v : NULL;
}

static void
old_value(void *src, int c, struct cell *v)
{
	cell_of_value(v, old_sqlite_value(src, c));
}

/* Before cardpipe first changes or deletes a sealed row since the last seal: does the row
 * still carry its seal? If not, it was changed without the key, and resealing it at the
 * commit would launder that change: the commit is refused instead (reg_seal_pending()).
 * Runs inside SQLite: no SQL here. */
static void
preupdate_hook(void *arg, sqlite3 *db, int op, const char *dbname, const char *table,
	       sqlite3_int64 rowid, sqlite3_int64 newrowid)
{
	struct registry *reg = arg;
	struct old_row old = {db, NULL};
	char mac[65];
	const char *have = NULL;
	sqlite3_value *v;
	int t, col;

	if (reg->sealing || reg->tampered || op == SQLITE_INSERT || (t = table_index(table)) < 0 ||
	    sqlite3_preupdate_count(db) != reg->ncolumns[t] || !touched_add(reg, t, rowid))
		return;
	old.names = reg->columns[t];
	if (row_mac(reg, table, rowid, reg->ncolumns[t], old_name, old_value, &old, mac, &col) < 0)
		return; /* a MAC failure fails the seal at commit too */
	if (col >= 0 && (v = old_sqlite_value(&old, col)) && sqlite3_value_type(v) == SQLITE_TEXT)
		have = (const char *)sqlite3_value_text(v);
	if (!have || strcmp(have, mac) != 0)
		reg->tampered = xasprintf("%s row %lld was changed without cardpipe's audit key "
					  "(its row seal does not match), so cardpipe does not "
					  "change it further: see `cardpipe db check` and "
					  "docs/audit.md",
					  table, (long long)rowid);
}

/* The sealed tables' column names through the statement layer; the hook is SQLite only. */
int
reg_seal_guard(struct registry *reg)
{
	struct reg_stmt *st;
	int r;

	for (int t = 0; reg_sealed_tables[t]; t++) {
		char *sql = xasprintf("SELECT * FROM %s LIMIT 0", reg_sealed_tables[t]);

		r = reg_prepare(reg, sql, &st);
		free(sql);
		if (r < 0)
			return r;
		if ((r = reg_step(st)) < 0) { /* PostgreSQL names the columns once it has run */
			reg_finalize(st);
			return r;
		}
		reg->ncolumns[t] = reg_col_count(st);
		reg->columns[t] = xcalloc((size_t)reg->ncolumns[t], sizeof(char *));
		for (int c = 0; c < reg->ncolumns[t]; c++)
			reg->columns[t][c] = xstrdup(reg_col_name(st, c));
		reg_finalize(st);
	}
	if (reg->db)
		sqlite3_preupdate_hook(reg->db, preupdate_hook, reg);
	return 0;
}

/* ---- the rows pending their seal, the key check ---- */

void
reg_seal_forget(struct registry *reg)
{
	reg->npending = 0;
	touched_clear(reg);
	free(reg->tampered);
	reg->tampered = NULL;
}

int
reg_seal_check_key(struct registry *reg)
{
	struct reg_stmt *st;
	int r;

	if ((r = reg_prepare(reg,
			     "SELECT id, key_id FROM audit_log WHERE key_id IS NOT NULL "
			     "ORDER BY id DESC LIMIT 1",
			     &st)) < 0)
		return r;
	if (reg_step(st) == REG_ROW) {
		const char *kid = reg_col_text(st, 1);

		if (strcmp(kid, reg->key_id) != 0)
			reg->key_mismatch = xasprintf(
				"the audit chain (row %lld) is keyed with the audit key of check "
				"value %s, but this process has the key %s: nothing may be written "
				"until the right key is back (docs/audit.md)",
				reg_col_int(st, 0), kid, reg->key_id);
	}
	reg_finalize(st);
	return 0;
}

void
reg_seal_detach(struct registry *reg)
{
	reg_finalize(reg->pg_old_row);
	reg->pg_old_row = NULL;
	for (int i = 0; i < REG_SEALED_MAX; i++) {
		reg_finalize(reg->seal_get[i]);
		reg_finalize(reg->seal_put[i]);
		reg->seal_get[i] = reg->seal_put[i] = NULL;
	}
	cp_hmac_free(reg->mac);
	cp_hmac_free(reg->mac_work);
	reg->mac = reg->mac_work = NULL;
	buf_release(&reg->mac_in);
	for (int t = 0; t < REG_SEALED_MAX; t++) {
		for (int c = 0; c < reg->ncolumns[t]; c++)
			free(reg->columns[t][c]);
		free(reg->columns[t]);
		reg->columns[t] = NULL;
		reg->ncolumns[t] = 0;
	}
	free(reg->touched);
	reg->touched = NULL;
	reg->ntouched = reg->cap_touched = 0;
	free(reg->tampered);
	reg->tampered = NULL;
	free(reg->pending);
	reg->pending = NULL;
	reg->npending = reg->cap_pending = 0;
	free(reg->key_mismatch);
	reg->key_mismatch = NULL;
}

/* ---- sealing ---- */

/* The column a seal names its row by: the table's INTEGER PRIMARY KEY, which is SQLite's
 * rowid (the same value the seals always covered), and a column on every backend. */
static const char *
sealed_key(int t)
{
	return strcmp(reg_sealed_tables[t], "card_perso") ? "id" : "card_id";
}

static int
seal_statements(struct registry *reg, int t)
{
	char *sql;
	int r = 0;

	if (!reg->seal_get[t]) {
		sql = xasprintf("SELECT %s, * FROM %s WHERE %s = ?", sealed_key(t),
				reg_sealed_tables[t], sealed_key(t));
		r = reg_prepare(reg, sql, &reg->seal_get[t]);
		free(sql);
	}
	if (r == 0 && !reg->seal_put[t]) {
		sql = xasprintf("UPDATE %s SET row_mac = ? WHERE %s = ?", reg_sealed_tables[t],
				sealed_key(t));
		r = reg_prepare(reg, sql, &reg->seal_put[t]);
		free(sql);
	}
	return r;
}

static int
seal_row(struct registry *reg, int t, long long rowid)
{
	struct reg_stmt *get, *put;
	char mac[65];
	int r, rc, col;

	if ((r = seal_statements(reg, t)) < 0)
		return r;
	get = reg->seal_get[t];
	put = reg->seal_put[t];
	reg_bind_int(get, 1, rowid);
	rc = reg_step(get);
	if (rc == REG_ROW)
		r = reg_row_mac(reg, reg_sealed_tables[t], get, mac, &col);
	else if (rc != REG_DONE)
		r = reg_fail(reg, "read a row to seal");
	reg_reset(get);
	if (r < 0 || rc != REG_ROW) /* deleted again in the same transaction */
		return r;
	reg_bind_text_static(put, 1, mac); /* 64 digits, kept until the reset below */
	reg_bind_int(put, 2, rowid);
	r = reg_step_done(reg, put, "seal a row");
	reg_reset(put);
	return r;
}

static int
cmp_row(const void *a, const void *b)
{
	const struct reg_seal_row *x = a, *y = b;

	if (x->table != y->table)
		return x->table < y->table ? -1 : 1;
	return x->rowid < y->rowid ? -1 : x->rowid > y->rowid;
}

int
reg_seal_pending(struct registry *reg)
{
	int r = 0;

	if (reg->tampered)
		return cp_err(CP_ERR_INTEGRITY, "registry: %s", reg->tampered);
	if (reg->npending == 0) {
		touched_clear(reg);
		return 0;
	}
	if (reg->key_mismatch)
		return cp_err(CP_ERR_INTEGRITY, "registry: %s", reg->key_mismatch);
	qsort(reg->pending, reg->npending, sizeof(*reg->pending), cmp_row);
	reg->sealing = 1;
	for (size_t i = 0; i < reg->npending && r == 0; i++) {
		if (i > 0 && !cmp_row(&reg->pending[i], &reg->pending[i - 1]))
			continue;
		r = seal_row(reg, reg->pending[i].table, reg->pending[i].rowid);
	}
	reg->sealing = 0;
	reg->npending = 0;
	if (r == 0)
		touched_clear(reg);
	return r;
}

/* ---- PostgreSQL: the queue of written rows (seal_pending) ---- */

/* A row as it was before a change, read from seal_pending.old_row (jsonb): each column's
 * value by name, in the table's column order. */
struct queued_row {
	char **names;
	int ncol;
	char **values;
	unsigned char *tags;
};

static const char *
queued_name(void *src, int c)
{
	return ((struct queued_row *)src)->names[c];
}

static void
queued_value(void *src, int c, struct cell *v)
{
	struct queued_row *q = src;

	v->tag = q->values[c] ? q->tags[c] : 0;
	if (v->tag) {
		v->p = q->values[c];
		v->n = strlen(q->values[c]);
	}
}

/* The first change since its seal of row rowid of table t, queued as entry seq: did the
 * row carry its seal before it? If not, it was changed without the key (reg->tampered). */
static int
check_queued(struct registry *reg, int t, long long rowid, long long seq)
{
	struct queued_row q = {reg->columns[t], reg->ncolumns[t], NULL, NULL};
	struct reg_stmt *st;
	char mac[65];
	int r = 0, rc, col;

	if (!reg->pg_old_row &&
	    (r = reg_prepare(reg,
			     "SELECT e.key, e.value #>> '{}', jsonb_typeof(e.value) "
			     "FROM seal_pending p, jsonb_each(p.old_row) e WHERE p.seq = ?",
			     &reg->pg_old_row)) < 0)
		return r;
	st = reg->pg_old_row;
	q.values = xcalloc((size_t)q.ncol, sizeof(*q.values));
	q.tags = xcalloc((size_t)q.ncol, 1);
	reg_bind_int(st, 1, seq);
	while ((rc = reg_step(st)) == REG_ROW)
		for (int c = 0; c < q.ncol; c++)
			if (!strcmp(q.names[c], reg_col_text(st, 0))) {
				q.values[c] = reg_col_strdup(st, 1);
				q.tags[c] = !strcmp(reg_col_text(st, 2), "number") ? 'i' : 't';
			}
	if (rc < 0)
		r = reg_fail(reg, "read a queued row");
	reg_reset(st);
	if (r == 0 &&
	    (r = row_mac(reg, reg_sealed_tables[t], rowid, q.ncol, queued_name, queued_value, &q,
			 mac, &col)) == 0 &&
	    (col < 0 || !q.values[col] || strcmp(q.values[col], mac) != 0))
		reg->tampered = xasprintf("%s row %lld was changed without cardpipe's audit key "
					  "(its row seal does not match), so cardpipe does not "
					  "change it further: see `cardpipe db check` and "
					  "docs/audit.md",
					  reg_sealed_tables[t], rowid);
	for (int c = 0; c < q.ncol; c++)
		free(q.values[c]);
	free(q.values);
	free(q.tags);
	return r;
}

int
reg_seal_take_queue(struct registry *reg)
{
	struct reg_stmt *st;
	int r, rc;

	if ((r = reg_prepare(reg,
			     "SELECT seq, tbl, row_id, op FROM seal_pending "
			     "WHERE txid = pg_current_xact_id() ORDER BY seq",
			     &st)) < 0)
		return r;
	while (r == 0 && (rc = reg_step(st)) == REG_ROW) {
		int t = table_index(reg_col_text(st, 1));
		long long rowid = reg_col_int(st, 2);
		const char *op = reg_col_text(st, 3);

		if (t < 0)
			continue;
		/* the first time since its seal: a row this transaction inserted has nothing to
		 * check; one it changes or deletes must carry its seal */
		if (touched_add(reg, t, rowid) && strcmp(op, "INSERT") != 0 && !reg->tampered)
			r = check_queued(reg, t, rowid, reg_col_int(st, 0));
		if (strcmp(op, "DELETE") != 0)
			seal_later(reg, t, rowid);
	}
	if (r == 0 && rc < 0)
		r = reg_fail(reg, "read the rows to seal");
	reg_finalize(st);
	if (r == 0)
		r = reg_exec(reg, "DELETE FROM seal_pending WHERE txid = pg_current_xact_id()");
	return r;
}

/* The seal of the row st is on, and whether its row_mac matches it. */
static int
row_seal_holds(struct registry *reg, const char *table, struct reg_stmt *st, int *holds)
{
	char mac[65];
	const char *have;
	int r, col;

	if ((r = reg_row_mac(reg, table, st, mac, &col)) < 0)
		return r;
	have = col >= 0 ? reg_col_text(st, col) : NULL;
	*holds = have && !strcmp(have, mac);
	return 0;
}

int
reg_seal_all(struct registry *reg, int keep_broken)
{
	struct reg_stmt *st;
	int r = 0, holds, rc = REG_DONE;

	for (int t = 0; reg_sealed_tables[t] && r == 0; t++) {
		char *sql = xasprintf("SELECT %s, * FROM %s", sealed_key(t), reg_sealed_tables[t]);

		r = reg_prepare(reg, sql, &st);
		free(sql);
		if (r < 0)
			return r;
		while ((rc = reg_step(st)) == REG_ROW) {
			if (keep_broken) {
				if ((r = row_seal_holds(reg, reg_sealed_tables[t], st, &holds)) < 0)
					break;
				if (!holds)
					continue;
			}
			seal_later(reg, t, reg_col_int(st, 0));
		}
		if (r == 0 && rc != REG_DONE)
			r = reg_fail(reg, "read rows to seal");
		reg_finalize(st);
	}
	return r;
}

/* ---- db check ---- */

int
registry_check_seals(struct registry *reg, FILE *out, int *problems)
{
	struct reg_stmt *st;
	long long bad_total = 0;
	int r = 0, holds, rc;

	for (int t = 0; reg_sealed_tables[t]; t++) {
		const char *table = reg_sealed_tables[t];
		char *sql = xasprintf("SELECT %s, * FROM %s ORDER BY %s", sealed_key(t), table,
				      sealed_key(t));
		long long bad = 0;

		r = reg_prepare(reg, sql, &st);
		free(sql);
		if (r < 0)
			return r;
		while ((rc = reg_step(st)) == REG_ROW) {
			if ((r = row_seal_holds(reg, table, st, &holds)) < 0)
				break;
			if (holds)
				continue;
			if (bad++ < 10)
				fprintf(out,
					"FAIL  %s row %lld was changed without cardpipe's audit "
					"key (its row seal does not match)\n",
					table, reg_col_int(st, 0));
		}
		if (r == 0 && rc != REG_DONE)
			r = reg_fail(reg, "read rows to check their seals");
		reg_finalize(st);
		if (r < 0)
			return r;
		if (bad > 10)
			fprintf(out, "FAIL  %s: %lld more rows whose seal does not match\n", table,
				bad - 10);
		bad_total += bad;
	}
	if (bad_total)
		(*problems)++;
	else
		fprintf(out, "ok    every row of the sealed tables carries its seal\n");
	return 0;
}

/* `db reseal`: the rows whose seal does not match get a new one, each with an audit row
 * saying so, so that the repair itself stays on the record. */
int
registry_reseal(struct registry *reg, long long *resealed)
{
	struct reg_stmt *st;
	int r, rc = REG_DONE, holds;

	*resealed = 0;
	if ((r = registry_begin(reg)) < 0)
		return r;
	for (int t = 0; reg_sealed_tables[t] && r == 0; t++) {
		char *sql = xasprintf("SELECT %s, * FROM %s ORDER BY %s", sealed_key(t),
				      reg_sealed_tables[t], sealed_key(t));

		r = reg_prepare(reg, sql, &st);
		free(sql);
		while (r == 0 && (rc = reg_step(st)) == REG_ROW) {
			long long rowid = reg_col_int(st, 0);

			if ((r = row_seal_holds(reg, reg_sealed_tables[t], st, &holds)) < 0 ||
			    holds)
				continue;
			seal_later(reg, t, rowid);
			r = registry_audit(reg, reg_sealed_tables[t], rowid, "resealed",
					   "db reseal: changed without the audit key, accepted");
			(*resealed)++;
		}
		if (r == 0 && rc != REG_DONE)
			r = reg_fail(reg, "read rows to reseal");
		reg_finalize(st);
	}
	if (r < 0) {
		registry_rollback(reg);
		return r;
	}
	return registry_commit(reg);
}
