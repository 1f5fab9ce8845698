/* reg_dispatch.c - SQLite side of dispatch (reg_dispatch.h). */
#include "pipeline/registry/reg_dispatch.h"

#include "core/err.h"
#include "core/mem.h"
#include "pipeline/registry/reg_stmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One SELECT list for every query that yields dispatch cards; load_card() reads it. */
#define CARD_COLUMNS                                                                               \
	"c.id, a.id, coalesce(d.id, 0), c.instant, c.card_no, c.bank, c.pan, c.state, "            \
	"a.delivery, a.name, a.id_number, a.mobile, a.address, a.postal_code, a.district, "        \
	"a.branch, a.employer_name, a.employer_uscc, a.app_type, a.due_date, d.method, "           \
	"d.tracking_no, d.bag, d.batch, d.destination, d.activation_ref, d.state, "                \
	"d.created_at, d.dispatched_at, d.delivered_at, d.returned_at, d.event_detail, "           \
	"d.handed_out_at "
#define CARD_FROM " FROM card c JOIN application a ON a.id = c.application_id "

static void
load_card(struct reg_stmt *st, struct dispatch_card *c)
{
	char **s[] = {&c->card_no,	 &c->bank,	     &c->pan,	      &c->card_state,
		      &c->delivery,	 &c->name,	     &c->id_number,   &c->mobile,
		      &c->address,	 &c->postal_code,    &c->district,    &c->branch,
		      &c->employer_name, &c->employer_uscc,  &c->app_type,    &c->due_date,
		      &c->method,	 &c->tracking_no,    &c->bag,	      &c->batch,
		      &c->destination,	 &c->activation_ref, &c->item_state,  &c->created_at,
		      &c->dispatched_at, &c->delivered_at,   &c->returned_at, &c->event_detail,
		      &c->handed_out_at};

	memset(c, 0, sizeof(*c));
	c->card_id = reg_col_int(st, 0);
	c->app_id = reg_col_int(st, 1);
	c->item_id = reg_col_int(st, 2);
	c->instant = reg_col_int(st, 3);
	for (size_t i = 0; i < ARRAY_SIZE(s); i++)
		*s[i] = reg_col_strdup(st, (int)i + 4);
}

void
dispatch_card_release(struct dispatch_card *c)
{
	char *s[] = {c->card_no,       c->bank,		  c->pan,	  c->card_state,
		     c->delivery,      c->name,		  c->id_number,	  c->mobile,
		     c->address,       c->postal_code,	  c->district,	  c->branch,
		     c->employer_name, c->employer_uscc,  c->app_type,	  c->due_date,
		     c->method,	       c->tracking_no,	  c->bag,	  c->batch,
		     c->destination,   c->activation_ref, c->item_state,  c->created_at,
		     c->dispatched_at, c->delivered_at,	  c->returned_at, c->event_detail,
		     c->handed_out_at};

	for (size_t i = 0; i < ARRAY_SIZE(s); i++)
		free(s[i]);
	/* the ID number is personal data: do not leave it in freed memory */
	memset(c, 0, sizeof(*c));
}

void
dispatch_list_release(struct dispatch_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		dispatch_card_release(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* Run a prepared statement and append every row to out. Finalizes st. */
static int
collect(struct registry *reg, struct reg_stmt *st, struct dispatch_list *out)
{
	size_t cap = 0;
	int rc, r = 0;

	out->v = NULL;
	out->n = 0;
	while ((rc = reg_step(st)) == REG_ROW) {
		if (out->n == cap) {
			cap = cap ? cap * 2 : 64;
			out->v = xrealloc(out->v, cap * sizeof(*out->v));
		}
		load_card(st, &out->v[out->n++]);
	}
	if (rc != REG_DONE)
		r = reg_fail(reg, "read dispatch cards");
	reg_finalize(st);
	if (r < 0)
		dispatch_list_release(out);
	return r;
}

int
reg_dispatch_pending(struct registry *reg, struct dispatch_list *out)
{
	struct reg_stmt *st;
	int r;

	if ((r = reg_prepare(reg,
			     "SELECT " CARD_COLUMNS CARD_FROM
			     "LEFT JOIN dispatch_item d ON d.card_id = c.id "
			     "WHERE c.state = 'produced' AND d.id IS NULL ORDER BY c.card_no",
			     &st)) < 0)
		return r;
	return collect(reg, st, out);
}

int
reg_dispatch_batch_items(struct registry *reg, const char *batch, struct dispatch_list *out)
{
	struct reg_stmt *st;
	int r;

	if ((r = reg_prepare(reg,
			     "SELECT " CARD_COLUMNS CARD_FROM
			     "JOIN dispatch_item d ON d.card_id = c.id WHERE d.batch = ? "
			     "ORDER BY d.tracking_no IS NULL, coalesce(a.postal_code, ''), "
			     "coalesce(d.bag, ''), c.card_no",
			     &st)) < 0)
		return r;
	reg_bind_text(st, 1, batch);
	return collect(reg, st, out);
}

int
reg_dispatch_employer_overdue(struct registry *reg, const char *cutoff, struct dispatch_list *out)
{
	struct reg_stmt *st;
	int r;

	if ((r = reg_prepare(
		     reg,
		     "SELECT " CARD_COLUMNS CARD_FROM
		     "JOIN dispatch_item d ON d.card_id = c.id WHERE d.method = 'employer' "
		     "AND d.state IN ('dispatched', 'delivered') AND d.handed_out_at IS NULL "
		     "AND coalesce(d.delivered_at, d.dispatched_at) < ? "
		     "ORDER BY a.employer_uscc NULLS FIRST, d.dispatched_at NULLS FIRST, c.card_no",
		     &st)) < 0)
		return r;
	reg_bind_text(st, 1, cutoff);
	return collect(reg, st, out);
}

int
reg_dispatch_find(struct registry *reg, const char *key, struct dispatch_card *out)
{
	struct reg_stmt *st;
	int r, rc;

	memset(out, 0, sizeof(*out));
	if ((r = reg_prepare(reg,
			     "SELECT " CARD_COLUMNS CARD_FROM
			     "JOIN dispatch_item d ON d.card_id = c.id "
			     "WHERE c.card_no = ?1 OR d.tracking_no = ?1",
			     &st)) < 0)
		return r;
	reg_bind_text(st, 1, key);
	rc = reg_step(st);
	if (rc == REG_ROW)
		load_card(st, out);
	else if (rc == REG_DONE)
		r = cp_err(CP_ERR_NOTFOUND,
			   "no dispatched card with card number or tracking "
			   "number '%s'",
			   key);
	else
		r = reg_fail(reg, "find dispatch item");
	reg_finalize(st);
	return r;
}

void
reg_strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int
reg_dispatch_open_batches(struct registry *reg, char ***batches, size_t *n)
{
	struct reg_stmt *st;
	char **v = NULL;
	size_t cnt = 0;
	int r, rc;

	*batches = NULL;
	*n = 0;
	if ((r = reg_prepare(reg,
			     "SELECT batch FROM dispatch_item WHERE state = 'manifested' "
			     "GROUP BY batch ORDER BY min(id)",
			     &st)) < 0)
		return r;
	while ((rc = reg_step(st)) == REG_ROW) {
		v = xrealloc(v, (cnt + 1) * sizeof(*v));
		v[cnt++] = reg_col_strdup(st, 0);
	}
	if (rc != REG_DONE) {
		r = reg_fail(reg, "read open dispatch batches");
		reg_strv_free(v, cnt);
	} else {
		*batches = v;
		*n = cnt;
	}
	reg_finalize(st);
	return r;
}

int
reg_dispatch_new_batch(struct registry *reg, const char *business_date, char **out)
{
	char ymd[9] = {0}, *like;
	struct reg_stmt *st;
	long long max = 0;
	int r, rc;

	*out = NULL;
	/* "2026-11-26" -> "20261126" */
	for (size_t i = 0, k = 0; business_date[i] && k < 8; i++)
		if (business_date[i] != '-')
			ymd[k++] = business_date[i];
	like = xasprintf("%s-%%", ymd);
	r = reg_prepare(reg,
			"SELECT coalesce(max(CAST(substr(batch, 10) AS INTEGER)), 0) "
			"FROM dispatch_item WHERE batch LIKE ?",
			&st);
	if (r == 0) {
		reg_bind_text(st, 1, like);
		rc = reg_step(st);
		if (rc == REG_ROW)
			max = reg_col_int(st, 0);
		else
			r = reg_fail(reg, "next dispatch batch");
		reg_finalize(st);
	}
	free(like);
	if (r == 0)
		*out = xasprintf("%s-%02lld", ymd, max + 1);
	return r;
}

int
reg_s10_next(struct registry *reg, const char *prefix, long *serial)
{
	struct reg_stmt *st;
	long long next = 0;
	int r, rc;

	*serial = 0;
	if ((r = reg_prepare(reg,
			     "INSERT INTO s10_counter(prefix, next_serial) VALUES(?1, 1) "
			     "ON CONFLICT(prefix) DO NOTHING",
			     &st)) < 0)
		return r;
	reg_bind_text(st, 1, prefix);
	r = reg_step_done(reg, st, "S10 counter");
	reg_finalize(st);
	if (r < 0)
		return r;
	if ((r = reg_prepare(reg, "SELECT next_serial FROM s10_counter WHERE prefix = ?", &st)) < 0)
		return r;
	reg_bind_text(st, 1, prefix);
	rc = reg_step(st);
	if (rc == REG_ROW)
		next = reg_col_int(st, 0);
	else
		r = reg_fail(reg, "read S10 counter");
	reg_finalize(st);
	if (r < 0)
		return r;
	if (next > 99999999LL)
		return cp_err(CP_ERR_LIMIT,
			      "S10 serials for service indicator '%s' are exhausted; configure "
			      "a new dispatch.s10_prefix",
			      prefix);
	if ((r = reg_prepare(
		     reg, "UPDATE s10_counter SET next_serial = next_serial + 1 WHERE prefix = ?",
		     &st)) < 0)
		return r;
	reg_bind_text(st, 1, prefix);
	r = reg_step_done(reg, st, "advance S10 counter");
	reg_finalize(st);
	if (r == 0)
		*serial = (long)next;
	return r;
}

int
reg_dispatch_add(struct registry *reg, const struct dispatch_card *c)
{
	struct reg_stmt *st;
	int r;

	if ((r = reg_prepare(reg,
			     "INSERT INTO dispatch_item(card_id, method, tracking_no, bag, batch, "
			     "destination, state, created_at, activation_ref) "
			     "VALUES(?, ?, ?, ?, ?, ?, 'manifested', cp_now(), ?)",
			     &st)) < 0)
		return r;
	reg_bind_int(st, 1, c->card_id);
	reg_bind_text(st, 2, c->method);
	reg_bind_text(st, 3, c->tracking_no);
	reg_bind_text(st, 4, c->bag);
	reg_bind_text(st, 5, c->batch);
	reg_bind_text(st, 6, c->destination);
	reg_bind_text(st, 7, c->activation_ref);
	r = reg_step_done(reg, st, "add dispatch item");
	reg_finalize(st);
	return r;
}

/* Run one UPDATE with a text and an optional second text parameter. */
static int
exec2(struct registry *reg, const char *sql, const char *p1, const char *p2, long long *changes)
{
	struct reg_stmt *st;
	int r;

	if ((r = reg_prepare(reg, sql, &st)) < 0)
		return r;
	reg_bind_text(st, 1, p1);
	if (p2)
		reg_bind_text(st, 2, p2);
	r = reg_step_done(reg, st, "update dispatch");
	reg_finalize(st);
	if (r == 0 && changes)
		*changes = reg_changes(reg);
	return r;
}

int
reg_dispatch_mark_dispatched(struct registry *reg, const char *batch, const char *at,
			     long long *count)
{
	int r;

	*count = 0;
	/* cards first: the item's state is what selects them */
	if ((r = exec2(reg,
		       "UPDATE card SET state = 'dispatched', updated_at = ?2 WHERE state = "
		       "'produced' AND id IN (SELECT card_id FROM dispatch_item WHERE batch = ?1 "
		       "AND state = 'manifested')",
		       batch, at, NULL)) < 0 ||
	    (r = exec2(reg,
		       "UPDATE dispatch_item SET state = 'dispatched', dispatched_at = ?2 "
		       "WHERE batch = ?1 AND state = 'manifested'",
		       batch, at, count)) < 0)
		return r;
	/* instant issue: the card was handed over at the counter when it was made */
	if ((r = exec2(reg,
		       "UPDATE card SET state = 'delivered', updated_at = ?2 WHERE state = "
		       "'dispatched' AND instant = 1 AND id IN (SELECT card_id FROM dispatch_item "
		       "WHERE batch = ?1)",
		       batch, at, NULL)) < 0 ||
	    (r = exec2(reg,
		       "UPDATE dispatch_item SET state = 'delivered', delivered_at = ?2, "
		       "event_detail = 'handed over at the counter (instant issue)' "
		       "WHERE batch = ?1 AND state = 'dispatched' AND card_id IN "
		       "(SELECT id FROM card WHERE instant = 1)",
		       batch, at, NULL)) < 0)
		return r;
	return 0;
}

static int
set_event(struct registry *reg, long long item_id, const char *state, const char *at,
	  const char *detail)
{
	struct reg_stmt *st;
	char *sql;
	int r;

	sql = xasprintf("UPDATE dispatch_item SET state = ?2, %s = ?3, event_detail = ?4 "
			"WHERE id = ?1",
			!strcmp(state, "delivered") ? "delivered_at" : "returned_at");
	r = reg_prepare(reg, sql, &st);
	free(sql);
	if (r < 0)
		return r;
	reg_bind_int(st, 1, item_id);
	reg_bind_text(st, 2, state);
	reg_bind_text(st, 3, at);
	reg_bind_text(st, 4, detail);
	r = reg_step_done(reg, st, "record dispatch event");
	reg_finalize(st);
	if (r < 0)
		return r;
	if ((r = reg_prepare(reg,
			     "UPDATE card SET state = ?2, updated_at = ?3 WHERE id = "
			     "(SELECT card_id FROM dispatch_item WHERE id = ?1)",
			     &st)) < 0)
		return r;
	reg_bind_int(st, 1, item_id);
	reg_bind_text(st, 2, state);
	reg_bind_text(st, 3, at);
	r = reg_step_done(reg, st, "card state after dispatch event");
	reg_finalize(st);
	return r;
}

static int
item_state(struct registry *reg, long long item_id, char **state)
{
	struct reg_stmt *st;
	int r, rc;

	*state = NULL;
	if ((r = reg_prepare(reg, "SELECT state FROM dispatch_item WHERE id = ?", &st)) < 0)
		return r;
	reg_bind_int(st, 1, item_id);
	rc = reg_step(st);
	if (rc == REG_ROW)
		*state = reg_col_strdup(st, 0);
	else if (rc == REG_DONE)
		r = cp_err(CP_ERR_NOTFOUND, "no dispatch item %lld", item_id);
	else
		r = reg_fail(reg, "read dispatch item");
	reg_finalize(st);
	return r;
}

int
reg_dispatch_delivered(struct registry *reg, long long item_id, const char *at, const char *detail)
{
	char *state = NULL;
	int r;

	if ((r = item_state(reg, item_id, &state)) < 0)
		return r;
	if (!strcmp(state, "delivered"))
		r = CP_ERR_EXISTS; /* already recorded: a repeated delivery file is no error */
	else if (strcmp(state, "dispatched"))
		r = cp_err(CP_ERR_INVALID, "the card is %s, not dispatched: it cannot be delivered",
			   state);
	else
		r = set_event(reg, item_id, "delivered", at, detail);
	free(state);
	return r;
}

int
reg_dispatch_returned(struct registry *reg, long long item_id, const char *at, const char *reason)
{
	char *state = NULL;
	int r;

	if ((r = item_state(reg, item_id, &state)) < 0)
		return r;
	if (!strcmp(state, "returned"))
		r = CP_ERR_EXISTS;
	else if (strcmp(state, "dispatched") && strcmp(state, "delivered"))
		r = cp_err(CP_ERR_INVALID,
			   "the card is %s: only a dispatched or delivered card "
			   "can be returned",
			   state);
	else
		r = set_event(reg, item_id, "returned", at, reason);
	free(state);
	return r;
}

int
reg_dispatch_handed_out(struct registry *reg, long long item_id, const char *at)
{
	struct reg_stmt *st;
	char *state = NULL;
	long long handed = 0;
	int r, rc;

	if ((r = item_state(reg, item_id, &state)) < 0)
		return r;
	if ((r = reg_prepare(reg,
			     "SELECT CASE WHEN handed_out_at IS NOT NULL THEN 1 ELSE 0 END + "
			     "CASE WHEN method = 'employer' THEN 2 ELSE 0 END "
			     "FROM dispatch_item WHERE id = ?",
			     &st)) < 0)
		goto out;
	reg_bind_int(st, 1, item_id);
	rc = reg_step(st);
	handed = rc == REG_ROW ? reg_col_int(st, 0) : 0;
	reg_finalize(st);
	if (!(handed & 2))
		r = cp_err(CP_ERR_INVALID,
			   "not an employer delivery: only an employer hands a card "
			   "out");
	else if (handed & 1)
		r = CP_ERR_EXISTS;
	else if (strcmp(state, "dispatched") && strcmp(state, "delivered"))
		r = cp_err(CP_ERR_INVALID, "the card is %s: it cannot be handed out", state);
	/* handing out implies the employer had it: a missing delivery is recorded too */
	else if (!strcmp(state, "dispatched") &&
		 (r = set_event(reg, item_id, "delivered", at, "handed out by the employer")) < 0)
		;
	else if ((r = reg_prepare(reg, "UPDATE dispatch_item SET handed_out_at = ?2 WHERE id = ?1",
				  &st)) == 0) {
		reg_bind_int(st, 1, item_id);
		reg_bind_text(st, 2, at);
		r = reg_step_done(reg, st, "record hand-out");
		reg_finalize(st);
		/* an audit row: the status feed and the hotline see the hand-out */
		if (r == 0)
			r = registry_audit(reg, "dispatch", item_id, "handed_out", "");
	}
out:
	free(state);
	return r;
}
