/* reg_perso.c - perso's registry work (see reg_perso.h). */
#include "pipeline/registry/reg_perso.h"

#include "core/err.h"
#include "pipeline/registry/registry_sqlite.h"

#include <stdio.h>
#include <string.h>

static void
col(sqlite3_stmt *st, int i, char *dst, size_t size)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	snprintf(dst, size, "%s", t ? (const char *)t : "");
}

int
reg_perso_next_cards(struct registry *reg, long long after_id, long long only_id, size_t limit,
		     struct perso_card *out, size_t *n)
{
	sqlite3_stmt *st = NULL;
	int rc, r;

	*n = 0;
	if ((r = reg_prepare(
		     reg,
		     "SELECT c.id, c.application_id, c.card_no, c.bank, c.pan, c.psn,\n"
		     "  coalesce(c.issue_date, ''), coalesce(c.expiry_date, ''),\n"
		     "  coalesce(a.name, ''), coalesce(a.id_type, ''), coalesce(a.id_number, ''),\n"
		     "  coalesce(a.sex, ''), coalesce(a.ethnicity, ''), coalesce(a.birth_date, "
		     "''),\n"
		     "  coalesce(c.line, 0), coalesce(c.transport_no, '')\n"
		     "FROM card c JOIN application a ON a.id = c.application_id\n"
		     "WHERE c.state = 'allocated' AND c.id > ?1 AND\n"
		     "  (CASE WHEN ?3 = 0 THEN c.instant = 0 ELSE c.id = ?3 END)\n"
		     "ORDER BY c.id LIMIT ?2",
		     &st)) < 0)
		return r;
	sqlite3_bind_int64(st, 1, after_id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
	sqlite3_bind_int64(st, 3, only_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < limit) {
		struct perso_card *c = &out[(*n)++];

		memset(c, 0, sizeof(*c));
		c->card_id = sqlite3_column_int64(st, 0);
		c->application_id = sqlite3_column_int64(st, 1);
		col(st, 2, c->card_no, sizeof(c->card_no));
		col(st, 3, c->bank, sizeof(c->bank));
		col(st, 4, c->pan, sizeof(c->pan));
		col(st, 5, c->psn, sizeof(c->psn));
		col(st, 6, c->issue_date, sizeof(c->issue_date));
		col(st, 7, c->expiry_date, sizeof(c->expiry_date));
		col(st, 8, c->name, sizeof(c->name));
		col(st, 9, c->id_type, sizeof(c->id_type));
		col(st, 10, c->id_number, sizeof(c->id_number));
		col(st, 11, c->sex, sizeof(c->sex));
		col(st, 12, c->ethnicity, sizeof(c->ethnicity));
		col(st, 13, c->birth_date, sizeof(c->birth_date));
		c->line = sqlite3_column_int(st, 14);
		col(st, 15, c->transport_no, sizeof(c->transport_no));
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = reg_fail(reg, "reading prepared cards");
	sqlite3_finalize(st);
	return r;
}

int
reg_perso_bank_cards(struct registry *reg, const char *bank, long long after_id, long long upto_id,
		     long long *n)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	if ((r = reg_prepare(reg,
			     "SELECT count(*) FROM card WHERE id > ?1 AND id <= ?2 AND bank = ?3",
			     &st)) < 0)
		return r;
	sqlite3_bind_int64(st, 1, after_id);
	sqlite3_bind_int64(st, 2, upto_id);
	reg_bind_text(st, 3, bank);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	else
		r = reg_fail(reg, "counting a bank's cards");
	sqlite3_finalize(st);
	return r;
}

int
reg_perso_commit(struct registry *reg, const struct reg_perso_batch *b, const long long *ids,
		 const char *const *sha, size_t n)
{
	sqlite3_stmt *st = NULL, *cp = NULL, *up = NULL;
	long long batch_id;
	int r;

	if ((r = registry_begin(reg)) < 0)
		return r;
	if ((r = reg_prepare(
		     reg,
		     "INSERT INTO perso_batch(name, line, path, cards, sha256, transport_key,\n"
		     "  transport_kcv, created_at) VALUES(?, ?, ?, ?, ?, ?, ?, cp_now())",
		     &st)) < 0)
		goto out;
	reg_bind_text(st, 1, b->name);
	sqlite3_bind_int(st, 2, b->line);
	reg_bind_text(st, 3, b->path);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)n);
	reg_bind_text(st, 5, b->sha256);
	reg_bind_text(st, 6, b->transport_key);
	reg_bind_text(st, 7, b->transport_kcv);
	if ((r = reg_step_done(reg, st, "recording a perso batch")) < 0)
		goto out;
	batch_id = sqlite3_last_insert_rowid(reg->db);
	if ((r = reg_prepare(
		     reg,
		     "INSERT INTO card_perso(card_id, batch_id, script_sha256) VALUES(?, ?, ?)\n"
		     "  ON CONFLICT(card_id) DO UPDATE SET batch_id = excluded.batch_id,\n"
		     "  script_sha256 = excluded.script_sha256",
		     &cp)) < 0 ||
	    (r = reg_prepare(
		     reg,
		     "UPDATE card SET state = 'perso_ready', line = ?, updated_at = cp_now()\n"
		     "WHERE id = ? AND state = 'allocated'",
		     &up)) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		sqlite3_reset(cp);
		sqlite3_bind_int64(cp, 1, ids[i]);
		sqlite3_bind_int64(cp, 2, batch_id);
		reg_bind_text(cp, 3, sha[i]);
		if ((r = reg_step_done(reg, cp, "recording a card's script")) < 0)
			goto out;
		sqlite3_reset(up);
		sqlite3_bind_int(up, 1, b->line);
		sqlite3_bind_int64(up, 2, ids[i]);
		if ((r = reg_step_done(reg, up, "moving a card to perso_ready")) < 0)
			goto out;
		if (sqlite3_changes(reg->db) != 1) {
			r = cp_err(CP_ERR_BUSY,
				   "card %lld is no longer allocated (another perso run?)", ids[i]);
			goto out;
		}
	}
	r = registry_commit(reg);
out:
	sqlite3_finalize(st);
	sqlite3_finalize(cp);
	sqlite3_finalize(up);
	if (r < 0)
		registry_rollback(reg);
	return r;
}

int
reg_perso_hold(struct registry *reg, long long card_id, const char *reason)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = registry_begin(reg)) < 0)
		return r;
	if ((r = reg_prepare(
		     reg,
		     "UPDATE card SET state = 'held', held_reason = ?, updated_at = cp_now()\n"
		     "WHERE id = ? AND state = 'allocated'",
		     &st)) < 0)
		goto out;
	reg_bind_text(st, 1, reason);
	sqlite3_bind_int64(st, 2, card_id);
	if ((r = reg_step_done(reg, st, "holding a card")) < 0)
		goto out;
	r = registry_commit(reg);
out:
	sqlite3_finalize(st);
	if (r < 0)
		registry_rollback(reg);
	return r;
}

int
reg_perso_batch_paths(struct registry *reg, int (*fn)(const char *, void *), void *arg)
{
	sqlite3_stmt *st = NULL;
	int rc, r;

	if ((r = reg_prepare(reg, "SELECT path FROM perso_batch ORDER BY id", &st)) < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((r = fn((const char *)sqlite3_column_text(st, 0), arg)) != 0)
			break;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = reg_fail(reg, "listing perso batches");
	sqlite3_finalize(st);
	return r;
}
