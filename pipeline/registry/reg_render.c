/*
 * reg_render.c - the render stage's SQL (see reg_render.h). State changes append their
 * audit rows through the card_state_audit trigger.
 */
#include "pipeline/registry/reg_render.h"

#include "core/clock.h"
#include "core/err.h"
#include "core/mem.h"
#include "pipeline/registry/reg_stmt.h"

#include <stdlib.h>
#include <string.h>

static void
render_card_release(struct render_card *c)
{
	free(c->card_no);
	free(c->state);
	free(c->name);
	free(c->id_type);
	free(c->id_number);
	free(c->photo_sha256);
	free(c->photo_loc);
	free(c->issue_date);
	free(c->bank);
	free(c->pan);
	memset(c, 0, sizeof(*c));
}

void
render_cards_free(struct render_card *cards, size_t n)
{
	for (size_t i = 0; i < n; i++)
		render_card_release(&cards[i]);
	free(cards);
}

int
reg_render_list(struct registry *reg, int with_allocated, const char *card_no, long long after_id,
		size_t limit, struct render_card **cards, size_t *n)
{
	static const char sql[] =
		"SELECT c.id, c.card_no, c.state, a.name, a.id_type, a.id_number, a.photo_sha256,"
		" c.issue_date, c.bank, c.pan, a.photo_loc FROM card c JOIN application a ON a.id "
		"= "
		"c.application_id"
		" WHERE (c.state = 'perso_ready' OR (?1 <> 0 AND c.state = 'allocated'))"
		" AND (CAST(?2 AS TEXT) IS NULL OR c.card_no = ?2) AND c.id > ?3 ORDER BY c.id"
		" LIMIT ?4";
	struct reg_stmt *st = NULL;
	struct render_card *v = NULL;
	size_t k = 0;
	int r, rc;

	*cards = NULL;
	*n = 0;
	if ((r = reg_prepare(reg, sql, &st)) < 0)
		return r;
	reg_bind_int(st, 1, with_allocated ? 1 : 0);
	reg_bind_text(st, 2, card_no);
	reg_bind_int(st, 3, after_id);
	reg_bind_int(st, 4, (long long)limit);
	v = xcalloc(limit ? limit : 1, sizeof(*v));
	while ((rc = reg_step(st)) == REG_ROW) {
		struct render_card *c = &v[k++];

		c->card_id = reg_col_int(st, 0);
		c->card_no = reg_col_strdup(st, 1);
		c->state = reg_col_strdup(st, 2);
		c->name = reg_col_strdup(st, 3);
		c->id_type = reg_col_strdup(st, 4);
		c->id_number = reg_col_strdup(st, 5);
		c->photo_sha256 = reg_col_strdup(st, 6);
		c->issue_date = reg_col_strdup(st, 7);
		c->bank = reg_col_strdup(st, 8);
		c->pan = reg_col_strdup(st, 9);
		c->photo_loc = reg_col_strdup(st, 10);
	}
	if (rc != REG_DONE) {
		r = reg_fail(reg, "list cards to render");
		render_cards_free(v, k);
		reg_finalize(st);
		return r;
	}
	reg_finalize(st);
	*cards = v;
	*n = k;
	return 0;
}

int
reg_render_card_state(struct registry *reg, const char *card_no, char **state)
{
	struct reg_stmt *st = NULL;
	int r, rc;

	*state = NULL;
	if ((r = reg_prepare(reg, "SELECT state FROM card WHERE card_no = ?1", &st)) < 0)
		return r;
	reg_bind_text(st, 1, card_no);
	rc = reg_step(st);
	if (rc == REG_ROW)
		*state = reg_col_strdup(st, 0);
	else if (rc == REG_DONE)
		r = cp_err(CP_ERR_NOTFOUND, "no card '%s' in the registry", card_no);
	else
		r = reg_fail(reg, "card state");
	reg_finalize(st);
	return r;
}

static int
move(struct registry *reg, long long card_id, const char *from, const char *to, const char *reason)
{
	struct reg_stmt *st = NULL;
	char now[32];
	int r;

	cp_iso_utc(cp_now(), now, sizeof(now));
	if ((r = reg_prepare(reg,
			     "UPDATE card SET state = ?1, held_reason = ?2, updated_at = ?3"
			     " WHERE id = ?4 AND state = ?5",
			     &st)) < 0)
		return r;
	reg_bind_text(st, 1, to);
	reg_bind_text(st, 2, reason);
	reg_bind_text(st, 3, now);
	reg_bind_int(st, 4, card_id);
	reg_bind_text(st, 5, from);
	/* 0 rows: another run moved it first (it is that run's to record) */
	if ((r = reg_step_done(reg, st, "card state")) == 0 && reg_changes(reg) != 1)
		r = 1;
	reg_finalize(st);
	return r;
}

int
reg_render_mark_rendered(struct registry *reg, long long card_id, const char *from_state)
{
	return move(reg, card_id, from_state, "rendered", NULL);
}

int
reg_render_mark_held(struct registry *reg, long long card_id, const char *from_state,
		     const char *reason)
{
	return move(reg, card_id, from_state, "held", reason);
}

int
reg_render_count(struct registry *reg, int with_allocated, long long *n)
{
	return reg_query_int(reg,
			     with_allocated
				     ? "SELECT count(*) FROM card WHERE state IN "
				       "('perso_ready','allocated')"
				     : "SELECT count(*) FROM card WHERE state = 'perso_ready'",
			     n);
}

/* A page of cards (id, card number) from sql, which takes ?1 the id to start after and ?2
 * the page size, ordered by card id. */
static int
list_cards(struct registry *reg, const char *sql, const char *what, long long after_id,
	   size_t limit, struct render_card **cards, size_t *n)
{
	struct reg_stmt *st = NULL;
	struct render_card *v;
	size_t k = 0;
	int r, rc = REG_DONE;

	*cards = NULL;
	*n = 0;
	if ((r = reg_prepare(reg, sql, &st)) < 0)
		return r;
	reg_bind_int(st, 1, after_id);
	reg_bind_int(st, 2, (long long)limit);
	v = xcalloc(limit ? limit : 1, sizeof(*v));
	while (k < limit && (rc = reg_step(st)) == REG_ROW) {
		v[k].card_id = reg_col_int(st, 0);
		v[k].card_no = reg_col_strdup(st, 1);
		k++;
	}
	if (k < limit && rc != REG_DONE) {
		r = reg_fail(reg, what);
		reg_finalize(st);
		render_cards_free(v, k);
		return r;
	}
	reg_finalize(st);
	*cards = v;
	*n = k;
	return 0;
}

int
reg_render_list_rendered(struct registry *reg, long long after_id, size_t limit,
			 struct render_card **cards, size_t *n)
{
	return list_cards(reg,
			  "SELECT id, card_no FROM card WHERE state = 'rendered' AND id > ?1"
			  " ORDER BY id LIMIT ?2",
			  "list rendered cards", after_id, limit, cards, n);
}

int
reg_render_owe_proof(struct registry *reg, long long card_id)
{
	struct reg_stmt *st = NULL;
	char now[32];
	int r;

	cp_iso_utc(cp_now(), now, sizeof(now));
	if ((r = reg_prepare(reg,
			     "INSERT INTO proof_owed(card_id, since) VALUES(?1, ?2) "
			     "ON CONFLICT(card_id) DO NOTHING",
			     &st)) < 0)
		return r;
	reg_bind_int(st, 1, card_id);
	reg_bind_text(st, 2, now);
	r = reg_step_done(reg, st, "proof owed");
	reg_finalize(st);
	return r;
}

int
reg_render_list_owed(struct registry *reg, long long after_id, size_t limit,
		     struct render_card **cards, size_t *n)
{
	return list_cards(reg,
			  "SELECT c.id, c.card_no FROM proof_owed p JOIN card c ON c.id = p.card_id"
			  " WHERE p.card_id > ?1 ORDER BY p.card_id LIMIT ?2",
			  "list owed proof pages", after_id, limit, cards, n);
}

int
reg_render_proofed(struct registry *reg, const long long *card_ids, size_t n, const char *page)
{
	struct reg_stmt *st = NULL;
	char detail[256];
	int r;

	if (n == 0)
		return 0;
	if ((r = registry_begin(reg)) < 0)
		return r;
	if ((r = reg_prepare(reg, "DELETE FROM proof_owed WHERE card_id = ?1", &st)) < 0)
		goto fail;
	for (size_t i = 0; i < n && r == 0; i++) {
		reg_reset(st);
		reg_bind_int(st, 1, card_ids[i]);
		r = reg_step_done(reg, st, "proof written");
	}
	reg_finalize(st);
	snprintf(detail, sizeof(detail), "%zu cards on %s", n, page);
	if (r < 0 || (r = registry_audit(reg, "proof", card_ids[0], "written", detail)) < 0 ||
	    (r = registry_commit(reg)) < 0)
		goto fail;
	return 0;
fail:
	registry_rollback(reg);
	return r;
}
