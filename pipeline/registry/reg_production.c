/* reg_production.c - claims, production attempts, holds, pauses and counts (see
 * reg_production.h). Each change is one transaction; the schema's triggers audit it. */
#include "pipeline/registry/reg_production.h"

#include "core/err.h"
#include "core/mem.h"
#include "pipeline/registry/reg_stmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const prod_reasons[PROD_NREASONS] = {PROD_REASONS};

/* A card is made on the line its sealed perso batch is for (?1), on no other, whose batches
 * do not hold its script (a branch's instant card among them); a card in no batch yet is
 * any line's, which finds no script for it and leaves it. */
#define FOR_LINE                                                                                   \
	"(id IN (SELECT cp.card_id FROM card_perso cp JOIN perso_batch b ON b.id = cp.batch_id "   \
	"WHERE b.line = ?1) OR NOT EXISTS (SELECT 1 FROM card_perso cp WHERE cp.card_id = "        \
	"card.id))"

static const char *const card_reasons[PROD_NCARD_REASONS] = {PROD_CARD_REASONS};

const char *
prod_reason_fault(const char *reason)
{
	for (size_t i = 0; i < PROD_NCARD_REASONS; i++)
		if (!strcmp(reason, card_reasons[i]))
			return "card";
	for (size_t i = 0; i < PROD_NREASONS; i++)
		if (!strcmp(reason, prod_reasons[i]))
			return "line";
	return NULL;
}

static void
copy_col(struct reg_stmt *st, int col, char *dst, size_t dstsz)
{
	const char *t = reg_col_text(st, col);

	snprintf(dst, dstsz, "%s", t ? t : "");
}

/* Run fn in a transaction of its own, rolled back on failure. Each of these changes rows of
 * the line's own cards only (the claim's guarded UPDATE makes them its own), so on
 * PostgreSQL it waits for those rows, not for the writers beside it (reg_begin_rows()). */
static int
in_tx(struct registry *reg, int (*fn)(struct registry *, void *), void *arg)
{
	int r;

	if ((r = reg_begin_rows(reg)) < 0)
		return r;
	if ((r = fn(reg, arg)) < 0) {
		int keep = r;

		registry_rollback(reg);
		return keep;
	}
	return registry_commit(reg);
}

/* The single id a query with an int and up to two text parameters finds (0: none). */
static int
query_id3(struct registry *reg, const char *sql, long long p1, const char *p2, const char *p3,
	  long long *id)
{
	struct reg_stmt *st;
	int r, rc;

	*id = 0;
	if ((r = reg_prepare(reg, sql, &st)) < 0)
		return r;
	reg_bind_int(st, 1, p1);
	if (p2)
		reg_bind_text(st, 2, p2);
	if (p3)
		reg_bind_text(st, 3, p3);
	rc = reg_step(st);
	if (rc == REG_ROW)
		*id = reg_col_int(st, 0);
	else if (rc != REG_DONE)
		r = reg_fail(reg, "find card to claim");
	reg_finalize(st);
	return r;
}

static int
query_id(struct registry *reg, const char *sql, long long p1, const char *p2, long long *id)
{
	return query_id3(reg, sql, p1, p2, NULL, id);
}

struct claim {
	int line;
	const char *card_no, *exclude;
	long long id;
};

static int
set_claim(struct registry *reg, struct claim *c)
{
	struct reg_stmt *st;
	char who[32];
	int r;

	snprintf(who, sizeof(who), "line%d", c->line);
	if ((r = reg_prepare(reg,
			     "UPDATE card SET claimed_by = ?, line = ?, updated_at = cp_now() "
			     "WHERE id = ? AND state = 'rendered' "
			     "AND (claimed_by IS NULL OR claimed_by = ?1)",
			     &st)) < 0)
		return r;
	reg_bind_text(st, 1, who);
	reg_bind_int(st, 2, c->line);
	reg_bind_int(st, 3, c->id);
	if ((r = reg_step_done(reg, st, "claim card")) == 0 && reg_changes(reg) != 1)
		r = cp_err(CP_ERR_BUSY, "card %lld was claimed by someone else", c->id);
	reg_finalize(st);
	if (r == 0) {
		char detail[48];

		snprintf(detail, sizeof(detail), "claimed by %s", who);
		r = registry_audit(reg, "card", c->id, "claimed", detail);
	}
	return r;
}

/* A JSON array of ids ("[3,7]") as ",3,7,", which a LIKE on ',' || id || ',' searches on
 * every backend (JSON functions are each database's own). */
static char *
id_list(const char *json)
{
	char *out = xmalloc(strlen(json) + 3), *o = out;

	*o++ = ',';
	for (const char *p = json; *p; p++)
		if ((*p >= '0' && *p <= '9') || *p == ',' || *p == '-')
			*o++ = *p;
	*o++ = ',';
	*o = '\0';
	return out;
}

#define NEXT_FREE_SQL                                                                              \
	"SELECT id FROM card WHERE state = 'rendered' AND claimed_by IS NULL AND " FOR_LINE        \
	" AND ?3 NOT LIKE ('%,' || id || ',%') ORDER BY instant DESC, id LIMIT 1"

static int
claim_next_tx(struct registry *reg, void *arg)
{
	struct claim *c = arg;
	char who[32], *exclude = id_list(c->exclude);
	int r, held;

	snprintf(who, sizeof(who), "line%d", c->line);
	/* a card this line already holds comes first (remakes, an interrupted run), whatever
	 * its batch: one of another line's is found scriptless and left (released) */
	r = query_id3(reg,
		      "SELECT id FROM card WHERE state = 'rendered' AND claimed_by = ?2 "
		      "AND ?1 = ?1 AND ?3 NOT LIKE ('%,' || id || ',%') ORDER BY id LIMIT 1",
		      c->line, who, exclude, &c->id);
	held = c->id != 0;
	/* the next free one; on PostgreSQL locked as it is read, passing over a row another
	 * line is claiming this moment (SQLite has one writer at a time) */
	if (r == 0 && !held)
		r = query_id3(reg,
			      reg_is_sqlite(reg) ? NEXT_FREE_SQL
						 : NEXT_FREE_SQL " FOR UPDATE SKIP LOCKED",
			      c->line, "", exclude, &c->id);
	free(exclude);
	if (r < 0 || held)
		return r;
	if (!c->id)
		return cp_err(CP_ERR_NOTFOUND, "no rendered card waiting");
	return set_claim(reg, c);
}

int
reg_prod_claim_next(struct registry *reg, int line, const char *exclude, struct card_row *out)
{
	struct claim c = {.line = line, .exclude = exclude ? exclude : "[]"};
	int r;

	if ((r = in_tx(reg, claim_next_tx, &c)) < 0)
		return r;
	return reg_card_by_id(reg, c.id, out);
}

int
reg_prod_waiting(struct registry *reg, int line, long long *n)
{
	char who[32];

	snprintf(who, sizeof(who), "line%d", line);
	return query_id3(reg,
			 "SELECT count(*) FROM card WHERE state = 'rendered' AND " FOR_LINE " AND "
			 "(claimed_by IS NULL OR claimed_by = ?2)",
			 line, who, NULL, n);
}

static int
claim_card_tx(struct registry *reg, void *arg)
{
	struct claim *c = arg;
	struct card_row row;
	char who[32];
	int r;

	snprintf(who, sizeof(who), "line%d", c->line);
	if ((r = reg_card_by_no(reg, c->card_no, &row)) < 0)
		return r == CP_ERR_NOTFOUND ? cp_err(r, "no card '%s'", c->card_no) : r;
	c->id = row.id;
	if (strcmp(row.state, "rendered"))
		return cp_err(CP_ERR_INVALID, "card %s is '%s', not 'rendered'", c->card_no,
			      row.state);
	if (row.claimed_by[0] && strcmp(row.claimed_by, who))
		return cp_err(CP_ERR_BUSY, "card %s is claimed by %s", c->card_no, row.claimed_by);
	if (!strcmp(row.claimed_by, who))
		return 0;
	return set_claim(reg, c);
}

int
reg_prod_claim_card(struct registry *reg, int line, const char *card_no, struct card_row *out)
{
	struct claim c = {.line = line, .card_no = card_no};
	int r;

	if ((r = in_tx(reg, claim_card_tx, &c)) < 0)
		return r;
	return reg_card_by_id(reg, c.id, out);
}

struct release {
	int line;
	long long card_id;
};

static int
release_tx(struct registry *reg, void *arg)
{
	struct release *rl = arg;
	struct reg_stmt *st;
	char who[32];
	int r;

	snprintf(who, sizeof(who), "line%d", rl->line);
	if ((r = reg_prepare(reg,
			     "UPDATE card SET claimed_by = NULL, updated_at = cp_now() "
			     "WHERE id = ? AND claimed_by = ? AND NOT EXISTS (SELECT 1 FROM "
			     "production_attempt p WHERE p.card_id = card.id AND "
			     "p.state = 'in_flight')",
			     &st)) < 0)
		return r;
	reg_bind_int(st, 1, rl->card_id);
	reg_bind_text(st, 2, who);
	r = reg_step_done(reg, st, "release card");
	reg_finalize(st);
	if (r == 0 && reg_changes(reg) == 1)
		r = registry_audit(reg, "card", rl->card_id, "released", who);
	return r;
}

int
reg_prod_release(struct registry *reg, int line, long long card_id)
{
	struct release rl = {line, card_id};

	return in_tx(reg, release_tx, &rl);
}

int
reg_prod_card_attempts(struct registry *reg, long long card_id, int *fed, int *card_faults)
{
	long long n;
	int r;

	if ((r = query_id(reg,
			  "SELECT count(*) FROM production_attempt WHERE card_id = ? AND fed = 1",
			  card_id, NULL, &n)) < 0)
		return r;
	*fed = (int)n;
	r = query_id(reg,
		     "SELECT count(*) FROM production_attempt WHERE card_id = ? AND "
		     "state = 'spoiled' AND fault = 'card'",
		     card_id, NULL, &n);
	*card_faults = (int)n;
	return r;
}

struct begin {
	long long card_id;
	int line;
	const char *shift;
	struct prod_attempt *a;
};

static int
begin_tx(struct registry *reg, void *arg)
{
	struct begin *b = arg;
	long long next;
	struct reg_stmt *st;
	int r;

	if ((r = query_id(reg,
			  "SELECT coalesce(max(attempt_no), 0) + 1 FROM production_attempt "
			  "WHERE card_id = ?",
			  b->card_id, NULL, &next)) < 0)
		return r;
	if ((r = reg_prepare_insert(
		     reg,
		     "INSERT INTO production_attempt(card_id, attempt_no, line, shift, "
		     "started_at, state) VALUES(?, ?, ?, ?, cp_now(), 'in_flight') RETURNING id",
		     &st)) < 0)
		return r;
	reg_bind_int(st, 1, b->card_id);
	reg_bind_int(st, 2, next);
	reg_bind_int(st, 3, b->line);
	reg_bind_text(st, 4, b->shift);
	r = reg_step_id(reg, st, "record attempt", &b->a->id);
	reg_finalize(st);
	if (r < 0)
		return r;
	b->a->attempt_no = (int)next;
	return 0;
}

int
reg_prod_attempt_begin(struct registry *reg, long long card_id, int line, const char *shift,
		       struct prod_attempt *out)
{
	struct begin b = {card_id, line, shift, out};

	memset(out, 0, sizeof(*out));
	out->card_id = card_id;
	out->line = line;
	snprintf(out->shift, sizeof(out->shift), "%s", shift);
	snprintf(out->state, sizeof(out->state), "in_flight");
	snprintf(out->step, sizeof(out->step), "started");
	return in_tx(reg, begin_tx, &b);
}

struct step {
	struct prod_attempt *a;
	const char *step, *chip_id;
};

static int
step_tx(struct registry *reg, void *arg)
{
	struct step *s = arg;
	struct reg_stmt *st;
	int r;

	if ((r = reg_prepare(reg,
			     "UPDATE production_attempt SET step = ?, "
			     "fed = CASE WHEN ? = 'started' THEN fed ELSE 1 END, "
			     "chip_id = coalesce(?, chip_id) WHERE id = ? AND state = 'in_flight'",
			     &st)) < 0)
		return r;
	reg_bind_text(st, 1, s->step);
	reg_bind_text(st, 2, s->step);
	reg_bind_text(st, 3, s->chip_id);
	reg_bind_int(st, 4, s->a->id);
	r = reg_step_done(reg, st, "record attempt step");
	if (r == 0 && reg_changes(reg) != 1)
		r = cp_err(CP_ERR_INTEGRITY, "attempt %lld is no longer in flight", s->a->id);
	reg_finalize(st);
	return r;
}

int
reg_prod_attempt_step(struct registry *reg, struct prod_attempt *a, const char *step,
		      const char *chip_id)
{
	struct step s = {a, step, chip_id};
	int r = in_tx(reg, step_tx, &s);

	if (r == 0) {
		snprintf(a->step, sizeof(a->step), "%s", step);
		if (strcmp(step, "started"))
			a->fed = 1;
		if (chip_id)
			snprintf(a->chip_id, sizeof(a->chip_id), "%s", chip_id);
	}
	return r;
}

struct locked {
	struct prod_attempt *a;
	const char *chip_id, *locked_at;
};

static int
encoded_tx(struct registry *reg, void *arg)
{
	struct locked *l = arg;
	struct step s = {l->a, "encoded", l->chip_id};
	struct reg_stmt *st;
	int r;

	if ((r = step_tx(reg, &s)) < 0)
		return r;
	if ((r = reg_prepare(reg,
			     "UPDATE production_attempt SET locked_at = ? WHERE id = ? AND "
			     "state = 'in_flight'",
			     &st)) < 0)
		return r;
	reg_bind_text(st, 1, l->locked_at);
	reg_bind_int(st, 2, l->a->id);
	r = reg_step_done(reg, st, "record the lock time");
	reg_finalize(st);
	return r;
}

int
reg_prod_attempt_encoded(struct registry *reg, struct prod_attempt *a, const char *chip_id,
			 const char *locked_at)
{
	struct locked l = {a, chip_id, locked_at};
	int r;

	if (!locked_at || strlen(locked_at) != 20 || locked_at[19] != 'Z')
		return cp_err(CP_ERR_INVALID, "attempt %lld: lock time '%s' is not ISO 8601 UTC",
			      a->id, locked_at ? locked_at : "");
	if ((r = in_tx(reg, encoded_tx, &l)) == 0) {
		snprintf(a->step, sizeof(a->step), "encoded");
		a->fed = 1;
		snprintf(a->chip_id, sizeof(a->chip_id), "%s", chip_id ? chip_id : "");
		snprintf(a->locked_at, sizeof(a->locked_at), "%s", locked_at);
	}
	return r;
}

struct end {
	struct prod_attempt *a;
	const char *reason, *detail;
};

static int
end_attempt(struct registry *reg, struct end *e, const char *state)
{
	struct reg_stmt *st;
	int r;

	if ((r = reg_prepare(reg,
			     "UPDATE production_attempt SET state = ?, spoil_reason = ?, "
			     "detail = ?, fault = ?, ended_at = cp_now() WHERE id = ? AND "
			     "state = 'in_flight'",
			     &st)) < 0)
		return r;
	reg_bind_text(st, 1, state);
	reg_bind_text(st, 2, e->reason);
	reg_bind_text(st, 3, e->detail);
	reg_bind_text(st, 4, e->reason ? prod_reason_fault(e->reason) : NULL);
	reg_bind_int(st, 5, e->a->id);
	r = reg_step_done(reg, st, "end attempt");
	if (r == 0 && reg_changes(reg) != 1)
		r = cp_err(CP_ERR_INTEGRITY, "attempt %lld is no longer in flight", e->a->id);
	reg_finalize(st);
	return r;
}

static int
produced_tx(struct registry *reg, void *arg)
{
	struct end *e = arg;
	struct reg_stmt *st;
	int r;

	/* issued means locked: a chip never verified SECURED is not a produced card */
	if ((r = reg_prepare(reg,
			     "SELECT CASE WHEN locked_at IS NOT NULL THEN 1 ELSE 0 END FROM "
			     "production_attempt WHERE id = ?",
			     &st)) < 0)
		return r;
	reg_bind_int(st, 1, e->a->id);
	if (reg_step(st) != REG_ROW)
		r = reg_fail(reg, "read the lock time");
	else if (!reg_col_int(st, 0))
		r = cp_err(CP_ERR_INTEGRITY, "attempt %lld: the chip was never locked", e->a->id);
	reg_finalize(st);
	if (r < 0 || (r = end_attempt(reg, e, "produced")) < 0)
		return r;
	if ((r = reg_prepare(reg,
			     "UPDATE card SET state = 'produced', chip_id = ?, "
			     "claimed_by = NULL, updated_at = cp_now() WHERE id = ? AND "
			     "state = 'rendered'",
			     &st)) < 0)
		return r;
	reg_bind_text(st, 1, e->a->chip_id[0] ? e->a->chip_id : NULL);
	reg_bind_int(st, 2, e->a->card_id);
	r = reg_step_done(reg, st, "mark card produced");
	if (r == 0 && reg_changes(reg) != 1)
		r = cp_err(CP_ERR_INTEGRITY, "card %lld is no longer 'rendered'", e->a->card_id);
	reg_finalize(st);
	return r;
}

int
reg_prod_attempt_produced(struct registry *reg, struct prod_attempt *a)
{
	struct end e = {a, NULL, NULL};
	int r = in_tx(reg, produced_tx, &e);

	if (r == 0)
		snprintf(a->state, sizeof(a->state), "produced");
	return r;
}

static int
spoiled_tx(struct registry *reg, void *arg)
{
	return end_attempt(reg, arg, "spoiled");
}

int
reg_prod_attempt_spoiled(struct registry *reg, struct prod_attempt *a, const char *reason,
			 const char *detail)
{
	struct end e = {a, reason, detail};
	int r;

	if (!prod_reason_fault(reason))
		return cp_err(CP_ERR_INVALID, "'%s' is not a spoil reason", reason);
	if ((r = in_tx(reg, spoiled_tx, &e)) == 0) {
		snprintf(a->state, sizeof(a->state), "spoiled");
		snprintf(a->spoil_reason, sizeof(a->spoil_reason), "%s", reason);
	}
	return r;
}

struct hold {
	long long card_id;
	const char *reason;
};

static int
hold_tx(struct registry *reg, void *arg)
{
	struct hold *h = arg;
	struct reg_stmt *st;
	int r;

	if ((r = reg_prepare(reg,
			     "UPDATE card SET state = 'held', held_reason = ?, "
			     "claimed_by = NULL, updated_at = cp_now() WHERE id = ? AND "
			     "state = 'rendered'",
			     &st)) < 0)
		return r;
	reg_bind_text(st, 1, h->reason);
	reg_bind_int(st, 2, h->card_id);
	r = reg_step_done(reg, st, "hold card");
	if (r == 0 && reg_changes(reg) != 1)
		r = cp_err(CP_ERR_INTEGRITY, "card %lld is no longer 'rendered'", h->card_id);
	reg_finalize(st);
	return r;
}

int
reg_prod_hold(struct registry *reg, long long card_id, const char *reason)
{
	struct hold h = {card_id, reason};

	return in_tx(reg, hold_tx, &h);
}

int
reg_prod_in_flight(struct registry *reg, int line, struct prod_attempt **out, size_t *n)
{
	struct reg_stmt *st;
	struct prod_attempt *v = NULL;
	size_t cnt = 0;
	int r, rc;

	*out = NULL;
	*n = 0;
	if ((r = reg_prepare(reg,
			     "SELECT p.id, p.card_id, p.attempt_no, p.line, p.fed, c.card_no, "
			     "p.shift, p.state, p.step, coalesce(p.chip_id, ''), "
			     "coalesce(p.locked_at, '') FROM "
			     "production_attempt p JOIN card c ON c.id = p.card_id WHERE "
			     "p.line = ? AND p.state = 'in_flight' ORDER BY p.id",
			     &st)) < 0)
		return r;
	reg_bind_int(st, 1, line);
	while ((rc = reg_step(st)) == REG_ROW) {
		struct prod_attempt *a;

		v = xrealloc(v, (cnt + 1) * sizeof(*v));
		a = &v[cnt++];
		memset(a, 0, sizeof(*a));
		a->id = reg_col_int(st, 0);
		a->card_id = reg_col_int(st, 1);
		a->attempt_no = reg_col_int(st, 2);
		a->line = reg_col_int(st, 3);
		a->fed = reg_col_int(st, 4);
		copy_col(st, 5, a->card_no, sizeof(a->card_no));
		copy_col(st, 6, a->shift, sizeof(a->shift));
		copy_col(st, 7, a->state, sizeof(a->state));
		copy_col(st, 8, a->step, sizeof(a->step));
		copy_col(st, 9, a->chip_id, sizeof(a->chip_id));
		copy_col(st, 10, a->locked_at, sizeof(a->locked_at));
	}
	if (rc != REG_DONE) {
		r = reg_fail(reg, "list attempts in flight");
		free(v);
		v = NULL;
		cnt = 0;
	}
	reg_finalize(st);
	*out = v;
	*n = cnt;
	return r;
}

struct pause {
	int line;
	const char *shift, *cause, *outcome;
	long long id;
};

static int
pause_begin_tx(struct registry *reg, void *arg)
{
	struct pause *p = arg;
	struct reg_stmt *st;
	int r;

	if ((r = reg_prepare_insert(reg,
				    "INSERT INTO production_pause(line, shift, cause, started_at) "
				    "VALUES(?, ?, ?, cp_now()) RETURNING id",
				    &st)) < 0)
		return r;
	reg_bind_int(st, 1, p->line);
	reg_bind_text(st, 2, p->shift);
	reg_bind_text(st, 3, p->cause);
	r = reg_step_id(reg, st, "record pause", &p->id);
	reg_finalize(st);
	return r;
}

int
reg_prod_pause_begin(struct registry *reg, int line, const char *shift, const char *cause,
		     long long *pause_id)
{
	struct pause p = {.line = line, .shift = shift, .cause = cause};
	int r = in_tx(reg, pause_begin_tx, &p);

	*pause_id = r == 0 ? p.id : 0;
	return r;
}

static int
pause_end_tx(struct registry *reg, void *arg)
{
	struct pause *p = arg;
	struct reg_stmt *st;
	int r;

	if ((r = reg_prepare(reg,
			     "UPDATE production_pause SET ended_at = cp_now(), outcome = ? "
			     "WHERE id = ? AND outcome IS NULL",
			     &st)) < 0)
		return r;
	reg_bind_text(st, 1, p->outcome);
	reg_bind_int(st, 2, p->id);
	r = reg_step_done(reg, st, "end pause");
	reg_finalize(st);
	return r;
}

int
reg_prod_pause_end(struct registry *reg, long long pause_id, const char *outcome)
{
	struct pause p = {.id = pause_id, .outcome = outcome};

	return in_tx(reg, pause_end_tx, &p);
}

int
reg_prod_counts(struct registry *reg, int line, const char *shift, struct prod_counts *c)
{
	struct reg_stmt *st;
	int r, rc;

	memset(c, 0, sizeof(*c));
	if ((r = reg_prepare(
		     reg,
		     "SELECT state, coalesce(spoil_reason, ''), fed, count(*), "
		     "coalesce(fault, ''), sum(CASE WHEN locked_at IS NOT NULL THEN 1 ELSE 0 END) "
		     "FROM production_attempt WHERE line = ?1 AND (CAST(?2 AS TEXT) IS NULL OR "
		     "shift = ?2) GROUP BY 1, 2, 3, 5",
		     &st)) < 0)
		return r;
	reg_bind_int(st, 1, line);
	reg_bind_text(st, 2, shift);
	while ((rc = reg_step(st)) == REG_ROW) {
		const char *state = reg_col_text(st, 0);
		const char *reason = reg_col_text(st, 1);
		int fed = reg_col_int(st, 2);
		long n = (long)reg_col_int(st, 3);
		const char *fault = reg_col_text(st, 4);
		long locked = (long)reg_col_int(st, 5);

		c->attempts += n;
		if (!strcmp(state, "produced"))
			c->locked += locked;
		else if (!strcmp(state, "spoiled"))
			c->spoiled_locked += locked;
		if (fed)
			c->fed += n;
		if (!strcmp(state, "produced")) {
			c->produced += n;
		} else if (!strcmp(state, "spoiled")) {
			c->spoiled += n;
			if (fed)
				c->spoiled_fed += n;
			else
				c->not_fed += n;
			for (size_t i = 0; i < PROD_NREASONS; i++)
				if (!strcmp(reason, prod_reasons[i]))
					c->by_reason[i] += n;
			if (!strcmp(fault, "card"))
				c->spoiled_card += n;
			else
				c->spoiled_line += n;
		} else {
			c->in_flight += n;
		}
	}
	if (rc != REG_DONE)
		r = reg_fail(reg, "count attempts");
	reg_finalize(st);
	if (r < 0)
		return r;
	if ((r = reg_prepare(
		     reg,
		     "SELECT (SELECT count(*) FROM production_pause WHERE line = ?1 "
		     "AND (CAST(?2 AS TEXT) IS NULL OR shift = ?2)), (SELECT count(DISTINCT c.id) "
		     "FROM card c JOIN production_attempt p ON p.card_id = c.id WHERE "
		     "c.state = 'held' AND p.line = ?1 AND (CAST(?2 AS TEXT) IS NULL OR "
		     "p.shift = ?2))",
		     &st)) < 0)
		return r;
	reg_bind_int(st, 1, line);
	reg_bind_text(st, 2, shift);
	if (reg_step(st) == REG_ROW) {
		c->pauses = (long)reg_col_int(st, 0);
		c->held = (long)reg_col_int(st, 1);
	} else {
		r = reg_fail(reg, "count pauses");
	}
	reg_finalize(st);
	return r;
}

int
reg_prod_chip_of(struct registry *reg, const char *card_no, char *chip_id, size_t sz)
{
	struct card_row row;
	int r;

	if ((r = reg_card_by_no(reg, card_no, &row)) < 0)
		return r == CP_ERR_NOTFOUND ? cp_err(r, "no card '%s'", card_no) : r;
	if (!row.chip_id[0])
		return cp_err(CP_ERR_NOTFOUND, "card %s has no chip yet (state '%s')", card_no,
			      row.state);
	snprintf(chip_id, sz, "%s", row.chip_id);
	return 0;
}
