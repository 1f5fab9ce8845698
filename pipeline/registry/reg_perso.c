/* reg_perso.c - perso's registry work (see reg_perso.h). */
#include "pipeline/registry/reg_perso.h"

#include "core/err.h"
#include "pipeline/registry/reg_stmt.h"

#include <stdio.h>
#include <string.h>

static void
col(struct reg_stmt *st, int i, char *dst, size_t size)
{
	const char *t = reg_col_text(st, i);

	snprintf(dst, size, "%s", t ? t : "");
}

int
reg_perso_next_cards(struct registry *reg, long long after_id, long long only_id, size_t limit,
		     struct perso_card *out, size_t *n)
{
	struct reg_stmt *st = NULL;
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
	reg_bind_int(st, 1, after_id);
	reg_bind_int(st, 2, (long long)limit);
	reg_bind_int(st, 3, only_id);
	while ((rc = reg_step(st)) == REG_ROW && *n < limit) {
		struct perso_card *c = &out[(*n)++];

		memset(c, 0, sizeof(*c));
		c->card_id = reg_col_int(st, 0);
		c->application_id = reg_col_int(st, 1);
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
		c->line = reg_col_int(st, 14);
		col(st, 15, c->transport_no, sizeof(c->transport_no));
	}
	if (rc != REG_ROW && rc != REG_DONE)
		r = reg_fail(reg, "reading prepared cards");
	reg_finalize(st);
	return r;
}

int
reg_perso_bank_cards(struct registry *reg, const char *bank, long long after_id, long long upto_id,
		     long long *n)
{
	struct reg_stmt *st = NULL;
	int r, rc;

	if ((r = reg_prepare(reg,
			     "SELECT count(*) FROM card WHERE id > ?1 AND id <= ?2 AND bank = ?3",
			     &st)) < 0)
		return r;
	reg_bind_int(st, 1, after_id);
	reg_bind_int(st, 2, upto_id);
	reg_bind_text(st, 3, bank);
	rc = reg_step(st);
	if (rc == REG_ROW)
		*n = reg_col_int(st, 0);
	else
		r = reg_fail(reg, "counting a bank's cards");
	reg_finalize(st);
	return r;
}

int
reg_perso_commit(struct registry *reg, const struct reg_perso_batch *b, const long long *ids,
		 const char *const *sha, size_t n)
{
	struct reg_stmt *st = NULL, *cp = NULL, *up = NULL;
	long long batch_id;
	int r;

	if ((r = registry_begin(reg)) < 0)
		return r;
	if ((r = reg_prepare_insert(
		     reg,
		     "INSERT INTO perso_batch(name, line, path, cards, sha256, transport_key,\n"
		     "  transport_kcv, created_at) VALUES(?, ?, ?, ?, ?, ?, ?, cp_now()) RETURNING "
		     "id",
		     &st)) < 0)
		goto out;
	reg_bind_text(st, 1, b->name);
	reg_bind_int(st, 2, b->line);
	reg_bind_text(st, 3, b->path);
	reg_bind_int(st, 4, (long long)n);
	reg_bind_text(st, 5, b->sha256);
	reg_bind_text(st, 6, b->transport_key);
	reg_bind_text(st, 7, b->transport_kcv);
	if ((r = reg_step_id(reg, st, "recording a perso batch", &batch_id)) < 0)
		goto out;
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
		reg_reset(cp);
		reg_bind_int(cp, 1, ids[i]);
		reg_bind_int(cp, 2, batch_id);
		reg_bind_text(cp, 3, sha[i]);
		if ((r = reg_step_done(reg, cp, "recording a card's script")) < 0)
			goto out;
		reg_reset(up);
		reg_bind_int(up, 1, b->line);
		reg_bind_int(up, 2, ids[i]);
		if ((r = reg_step_done(reg, up, "moving a card to perso_ready")) < 0)
			goto out;
		if (reg_changes(reg) != 1) {
			r = cp_err(CP_ERR_BUSY,
				   "card %lld is no longer allocated (another perso run?)", ids[i]);
			goto out;
		}
	}
	r = registry_commit(reg);
out:
	reg_finalize(st);
	reg_finalize(cp);
	reg_finalize(up);
	if (r < 0)
		registry_rollback(reg);
	return r;
}

int
reg_perso_hold(struct registry *reg, long long card_id, const char *reason)
{
	struct reg_stmt *st = NULL;
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
	reg_bind_int(st, 2, card_id);
	if ((r = reg_step_done(reg, st, "holding a card")) < 0)
		goto out;
	r = registry_commit(reg);
out:
	reg_finalize(st);
	if (r < 0)
		registry_rollback(reg);
	return r;
}

int
reg_perso_batch_paths(struct registry *reg, int (*fn)(const char *, void *), void *arg)
{
	struct reg_stmt *st = NULL;
	int rc, r;

	if ((r = reg_prepare(reg, "SELECT path FROM perso_batch ORDER BY id", &st)) < 0)
		return r;
	while ((rc = reg_step(st)) == REG_ROW)
		if ((r = fn(reg_col_text(st, 0), arg)) != 0)
			break;
	if (rc != REG_ROW && rc != REG_DONE)
		r = reg_fail(reg, "listing perso batches");
	reg_finalize(st);
	return r;
}
