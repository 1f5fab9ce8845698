/* reg_cards.c - allocating and reading cards (see reg_cards.h). */
#include "pipeline/registry/reg_cards.h"

#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "formats/cardno.h"
#include "formats/luhn.h"
#include "pipeline/registry/reg_stmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CARD_COLUMNS                                                                               \
	"id, card_no, application_id, person_id, bank, pan, psn, issue_date, expiry_date, "        \
	"instant, state, held_reason, line, claimed_by, chip_id, superseded_by, created_at, "      \
	"updated_at, transport_no"

#define PAN_LEN 19
#define NEW_PSN "00" /* a new card's PAN sequence number */

static void
copy_col(struct reg_stmt *st, int col, char *dst, size_t dstsz)
{
	const char *t = reg_col_text(st, col);

	snprintf(dst, dstsz, "%s", t ? t : "");
}

static void
read_row(struct reg_stmt *st, struct card_row *c)
{
	memset(c, 0, sizeof(*c));
	c->id = reg_col_int(st, 0);
	copy_col(st, 1, c->card_no, sizeof(c->card_no));
	c->application_id = reg_col_int(st, 2);
	c->person_id = reg_col_int(st, 3);
	copy_col(st, 4, c->bank, sizeof(c->bank));
	copy_col(st, 5, c->pan, sizeof(c->pan));
	copy_col(st, 6, c->psn, sizeof(c->psn));
	copy_col(st, 7, c->issue_date, sizeof(c->issue_date));
	copy_col(st, 8, c->expiry_date, sizeof(c->expiry_date));
	c->instant = reg_col_int(st, 9);
	copy_col(st, 10, c->state, sizeof(c->state));
	copy_col(st, 11, c->held_reason, sizeof(c->held_reason));
	c->line = reg_col_int(st, 12);
	copy_col(st, 13, c->claimed_by, sizeof(c->claimed_by));
	copy_col(st, 14, c->chip_id, sizeof(c->chip_id));
	c->superseded_by = reg_col_int(st, 15);
	copy_col(st, 16, c->created_at, sizeof(c->created_at));
	copy_col(st, 17, c->updated_at, sizeof(c->updated_at));
	copy_col(st, 18, c->transport_no, sizeof(c->transport_no));
}

/* Run a one-row card query whose only parameter is bound by the caller. */
static int
one_card(struct registry *reg, struct reg_stmt *st, struct card_row *out, const char *what)
{
	int rc = reg_step(st), r = 0;

	if (rc == REG_ROW)
		read_row(st, out);
	else if (rc == REG_DONE)
		r = cp_err(CP_ERR_NOTFOUND, "no card with that %s", what);
	else
		r = reg_fail(reg, "read card");
	reg_finalize(st);
	return r;
}

int
reg_card_by_id(struct registry *reg, long long id, struct card_row *out)
{
	struct reg_stmt *st;
	int r;

	if ((r = reg_prepare(reg, "SELECT " CARD_COLUMNS " FROM card WHERE id = ?", &st)) < 0)
		return r;
	reg_bind_int(st, 1, id);
	return one_card(reg, st, out, "id");
}

int
reg_card_by_no(struct registry *reg, const char *card_no, struct card_row *out)
{
	struct reg_stmt *st;
	int r;

	if ((r = reg_prepare(reg, "SELECT " CARD_COLUMNS " FROM card WHERE card_no = ?", &st)) < 0)
		return r;
	reg_bind_text(st, 1, card_no);
	return one_card(reg, st, out, "card number");
}

int
reg_card_by_application(struct registry *reg, long long application_id, struct card_row *out)
{
	struct reg_stmt *st;
	int r;

	if ((r = reg_prepare(reg, "SELECT " CARD_COLUMNS " FROM card WHERE application_id = ?",
			     &st)) < 0)
		return r;
	reg_bind_int(st, 1, application_id);
	return one_card(reg, st, out, "application");
}

/* The next transport card number sequence of a city code. */
#define TRANSPORT_COUNTER_SQL                                                                      \
	"INSERT INTO transport_counter(city, next_seq) VALUES(?, 2) ON CONFLICT(city) DO "         \
	"UPDATE SET next_seq = transport_counter.next_seq + 1 RETURNING next_seq - 1"

/*
 * One counter table (card_counter, pan_counter, transport_counter) as an allocator takes
 * from it: in a transaction, a key's first value is taken in the registry (the upsert, which
 * also locks the row on PostgreSQL), the next ones are counted here and written back once,
 * before the commit (reg_before_commit()), instead of an upsert per card. The transaction
 * keeps it atomic: a rollback forgets the counted values with the cards that used them.
 */
struct counter_key {
	char *key;
	long long next, stored; /* the next value to give; the row's next_seq */
	unsigned long tx;	/* the transaction they are of (reg_tx_serial()) */
};

struct counter {
	struct reg_stmt *take, *put;
	struct counter_key *keys;
	size_t n, cap;
};

/* The statements of allocation, prepared once for a run of many allocations. */
struct card_allocator {
	struct registry *reg;
	struct counter card, pan, transport;
	struct reg_stmt *insert, *supersede, *supersede_no;
};

#define COUNTER_PUT(table, key)                                                                    \
	"UPDATE " table " SET next_seq = ?3 WHERE " key " = ?1 AND next_seq = ?2"

int
reg_card_allocator_open(struct registry *reg, struct card_allocator **out)
{
	struct card_allocator *ca = xcalloc(1, sizeof(*ca));
	int r;

	*out = NULL;
	ca->reg = reg;
	if ((r = reg_prepare(reg,
			     "INSERT INTO card_counter(prefix, next_seq) VALUES(?, 2) ON "
			     "CONFLICT(prefix) DO UPDATE SET next_seq = card_counter.next_seq + 1 "
			     "RETURNING "
			     "next_seq - 1",
			     &ca->card.take)) < 0 ||
	    (r = reg_prepare(reg, COUNTER_PUT("card_counter", "prefix"), &ca->card.put)) < 0 ||
	    (r = reg_prepare(reg,
			     "INSERT INTO pan_counter(bank, next_seq) VALUES(?, 2) ON "
			     "CONFLICT(bank) DO UPDATE SET next_seq = pan_counter.next_seq + 1 "
			     "RETURNING "
			     "next_seq - 1",
			     &ca->pan.take)) < 0 ||
	    (r = reg_prepare(reg, COUNTER_PUT("pan_counter", "bank"), &ca->pan.put)) < 0 ||
	    (r = reg_prepare(reg, TRANSPORT_COUNTER_SQL, &ca->transport.take)) < 0 ||
	    (r = reg_prepare(reg, COUNTER_PUT("transport_counter", "city"), &ca->transport.put)) <
		    0 ||
	    (r = reg_prepare_insert(
		     reg,
		     "INSERT INTO card(card_no, application_id, person_id, bank, pan, psn, "
		     "issue_date, expiry_date, instant, transport_no, state, created_at, "
		     "updated_at) VALUES(?1, ?2, ?3, ?4, ?5, '" NEW_PSN "', ?6, ?7, ?8, ?9, "
		     "'allocated', ?10, ?10) RETURNING id",
		     &ca->insert)) < 0 ||
	    (r = reg_prepare(reg,
			     "UPDATE card SET state = 'superseded', superseded_by = ?, "
			     "updated_at = cp_now() WHERE person_id = ? AND id <> ? AND state IN "
			     "('produced','dispatched','delivered','returned')",
			     &ca->supersede)) < 0 ||
	    (r = reg_prepare(reg,
			     "UPDATE card SET state = 'superseded', superseded_by = ?, "
			     "updated_at = cp_now() WHERE card_no = ? AND id <> ? AND state IN "
			     "('produced','dispatched','delivered','returned')",
			     &ca->supersede_no)) < 0) {
		reg_card_allocator_close(ca);
		return r;
	}
	*out = ca;
	return 0;
}

/* Write back the values counted in this transaction; the row must hold what it held after
 * the first take (nothing else in the transaction took from it, or numbers were given
 * twice). */
static int
counter_put(struct registry *reg, struct counter *c)
{
	unsigned long tx = reg_tx_serial(reg);
	int r = 0;

	for (size_t i = 0; i < c->n && r == 0; i++) {
		struct counter_key *k = &c->keys[i];

		if (k->tx != tx || k->next == k->stored)
			continue;
		reg_reset(c->put);
		reg_bind_text(c->put, 1, k->key);
		reg_bind_int(c->put, 2, k->stored);
		reg_bind_int(c->put, 3, k->next);
		if ((r = reg_step_done(reg, c->put, "write counter")) == 0 && reg_changes(reg) != 1)
			r = cp_err(CP_ERR_INTEGRITY,
				   "registry: counter '%s' moved during the transaction", k->key);
		reg_reset(c->put);
		if (r == 0)
			k->stored = k->next;
	}
	return r;
}

/* The before-commit step: every counter's values counted in this transaction. */
static int
counters_put(void *arg)
{
	struct card_allocator *ca = arg;
	int r;

	if ((r = counter_put(ca->reg, &ca->card)) < 0 || (r = counter_put(ca->reg, &ca->pan)) < 0 ||
	    (r = counter_put(ca->reg, &ca->transport)) < 0)
		return r;
	return 0;
}

static void
counter_free(struct counter *c)
{
	reg_finalize(c->take);
	reg_finalize(c->put);
	for (size_t i = 0; i < c->n; i++)
		free(c->keys[i].key);
	free(c->keys);
}

void
reg_card_allocator_close(struct card_allocator *ca)
{
	if (!ca)
		return;
	/* closed inside the transaction: its counted values are written now, while the
	 * statements are there; if that fails, the transaction cannot commit as it is */
	reg_before_commit_cancel(ca->reg, ca);
	if (reg_in_tx(ca->reg) && counters_put(ca) < 0) {
		/* close cannot fail: the transaction is undone, and said so, rather than left
		 * to commit numbers the counters do not hold */
		log_error("registry", "card allocator: %s; the transaction is rolled back",
			  cp_errmsg());
		registry_rollback(ca->reg);
	}
	counter_free(&ca->card);
	counter_free(&ca->pan);
	counter_free(&ca->transport);
	reg_finalize(ca->insert);
	reg_finalize(ca->supersede);
	reg_finalize(ca->supersede_no);
	free(ca);
}

/* Take the next value of a counter row in the registry (created at 1 on first use). */
static int
counter_upsert(struct registry *reg, struct reg_stmt *st, const char *key, long long *value)
{
	int r = 0, rc;

	reg_reset(st);
	reg_bind_text(st, 1, key);
	rc = reg_step(st);
	if (rc == REG_ROW)
		*value = reg_col_int(st, 0);
	else
		r = reg_fail(reg, "take counter");
	/* a RETURNING statement finishes its write when stepped to the end */
	if (rc == REG_ROW && reg_step(st) != REG_DONE)
		r = reg_fail(reg, "take counter");
	reg_reset(st);
	return r;
}

/* Take the next value of key's counter: from the registry the first time in a transaction,
 * counted here after that (struct counter). */
static int
counter_take(struct card_allocator *ca, struct counter *c, const char *key, long long *value)
{
	struct registry *reg = ca->reg;
	unsigned long tx = reg_tx_serial(reg);
	struct counter_key *k = NULL;
	int r;

	for (size_t i = 0; i < c->n && !k; i++)
		if (!strcmp(c->keys[i].key, key))
			k = &c->keys[i];
	if (k && k->tx == tx) {
		if ((r = reg_before_commit(reg, counters_put, ca)) < 0)
			return r;
		*value = k->next++;
		return 0;
	}
	if ((r = counter_upsert(reg, c->take, key, value)) < 0)
		return r;
	if (!k) {
		if (c->n == c->cap) {
			c->cap = c->cap ? 2 * c->cap : 4;
			c->keys = xrealloc(c->keys, c->cap * sizeof(*c->keys));
		}
		k = &c->keys[c->n++];
		k->key = xstrdup(key);
	}
	k->next = k->stored = *value + 1;
	k->tx = tx;
	return 0;
}

int
reg_card_allocate_with(struct card_allocator *ca, const struct card_alloc *a, struct card_row *out)
{
	struct registry *reg = ca->reg;
	char card_no[CARDNO_LEN + 1], pan[PAN_LEN + 1], tno[TRANSPORT_NO_LEN + 1];
	long long seq, pseq, tseq, limit = 1;
	size_t binlen = a->bin ? strlen(a->bin) : 0, seqlen;
	struct reg_stmt *st = ca->insert;
	int r = 0;

	if (!reg_in_tx(reg))
		return cp_err(CP_ERR_INVALID, "card allocation outside a transaction");
	if (binlen < 6 || binlen > 12 || strspn(a->bin, "0123456789") != binlen)
		return cp_err(CP_ERR_CONFIG, "bank %s: BIN '%s' is not 6 to 12 digits", a->bank,
			      a->bin ? a->bin : "");
	if ((r = counter_take(ca, &ca->card, a->prefix, &seq)) < 0)
		return r;
	if ((r = cardno_format(a->prefix, (long)seq, card_no)) < 0)
		return cp_err_wrap(r, "card counter '%s': ", a->prefix);
	if ((r = counter_take(ca, &ca->pan, a->bank, &pseq)) < 0)
		return r;
	seqlen = PAN_LEN - 1 - binlen;
	for (size_t i = 0; i < seqlen; i++)
		limit *= 10;
	if (pseq < 1 || pseq >= limit)
		return cp_err(CP_ERR_LIMIT,
			      "bank %s: PAN sequence %lld does not fit the %zu digits "
			      "after BIN %s",
			      a->bank, pseq, seqlen, a->bin);
	snprintf(pan, sizeof(pan), "%s%0*lld", a->bin, (int)seqlen, pseq);
	pan[PAN_LEN - 1] = luhn_check_digit(pan);
	pan[PAN_LEN] = '\0';
	if ((r = counter_take(ca, &ca->transport, a->transport_city ? a->transport_city : "",
			      &tseq)) < 0 ||
	    (r = cardno_transport_format(a->transport_city, tseq, tno)) < 0)
		return r;

	/* the row is what was bound: out is filled from the values, not read back */
	memset(out, 0, sizeof(*out));
	snprintf(out->card_no, sizeof(out->card_no), "%s", card_no);
	out->application_id = a->application_id;
	out->person_id = a->person_id;
	snprintf(out->bank, sizeof(out->bank), "%s", a->bank);
	snprintf(out->pan, sizeof(out->pan), "%s", pan);
	snprintf(out->psn, sizeof(out->psn), "%s", NEW_PSN);
	snprintf(out->issue_date, sizeof(out->issue_date), "%s",
		 a->issue_date ? a->issue_date : "");
	snprintf(out->expiry_date, sizeof(out->expiry_date), "%s",
		 a->expiry_date ? a->expiry_date : "");
	out->instant = a->instant ? 1 : 0;
	snprintf(out->state, sizeof(out->state), "allocated");
	snprintf(out->created_at, sizeof(out->created_at), "%s", reg_now_text(reg));
	snprintf(out->updated_at, sizeof(out->updated_at), "%s", out->created_at);
	snprintf(out->transport_no, sizeof(out->transport_no), "%s", tno);

	reg_reset_clear(st);
	reg_bind_text(st, 1, card_no);
	reg_bind_int(st, 2, a->application_id);
	reg_bind_int(st, 3, a->person_id);
	reg_bind_text(st, 4, a->bank);
	reg_bind_text(st, 5, pan);
	reg_bind_text(st, 6, a->issue_date);
	reg_bind_text(st, 7, a->expiry_date);
	reg_bind_int(st, 8, out->instant);
	reg_bind_text(st, 9, tno);
	reg_bind_text(st, 10, out->created_at);
	r = reg_step_id(reg, st, "insert card", &out->id);
	reg_reset(st);
	return r;
}

int
reg_card_supersede_with(struct card_allocator *ca, long long person_id, long long new_id, long *n)
{
	struct reg_stmt *st = ca->supersede;
	int r;

	*n = 0;
	reg_reset(st);
	reg_bind_int(st, 1, new_id);
	reg_bind_int(st, 2, person_id);
	reg_bind_int(st, 3, new_id);
	if ((r = reg_step_done(ca->reg, st, "supersede cards")) == 0)
		*n = (long)reg_changes(ca->reg);
	reg_reset(st);
	return r;
}

int
reg_card_supersede_no_with(struct card_allocator *ca, const char *card_no, long long new_id,
			   long *n)
{
	struct reg_stmt *st = ca->supersede_no;
	int r;

	*n = 0;
	reg_reset(st);
	reg_bind_int(st, 1, new_id);
	reg_bind_text(st, 2, card_no);
	reg_bind_int(st, 3, new_id);
	if ((r = reg_step_done(ca->reg, st, "supersede card")) == 0)
		*n = (long)reg_changes(ca->reg);
	reg_reset(st);
	return r;
}

struct assign {
	long long card_id;
	const char *city;
	char *out;
};

static int
assign_tx(struct registry *reg, struct assign *as)
{
	struct reg_stmt *st = NULL;
	struct card_row row;
	long long seq;
	int r;

	if ((r = reg_card_by_id(reg, as->card_id, &row)) < 0)
		return r;
	if (row.transport_no[0]) {
		snprintf(as->out, 20, "%s", row.transport_no);
		return 0;
	}
	if ((r = cardno_transport_format(as->city, 1, as->out)) < 0 ||
	    (r = reg_prepare(reg, TRANSPORT_COUNTER_SQL, &st)) < 0)
		return r;
	r = counter_upsert(reg, st, as->city, &seq);
	reg_finalize(st);
	if (r < 0 || (r = cardno_transport_format(as->city, seq, as->out)) < 0 ||
	    (r = reg_prepare(reg,
			     "UPDATE card SET transport_no = ?, updated_at = cp_now() WHERE id = ? "
			     "AND transport_no IS NULL",
			     &st)) < 0)
		return r;
	reg_bind_text(st, 1, as->out);
	reg_bind_int(st, 2, as->card_id);
	r = reg_step_done(reg, st, "assign transport card number");
	reg_finalize(st);
	if (r == 0)
		r = registry_audit(reg, "card", as->card_id, "transport_no", as->out);
	return r;
}

int
reg_card_transport_assign(struct registry *reg, long long card_id, const char *city, char out[20])
{
	struct assign as = {card_id, city, out};
	int r;

	out[0] = '\0';
	if ((r = registry_begin(reg)) < 0)
		return r;
	if ((r = assign_tx(reg, &as)) < 0) {
		registry_rollback(reg);
		out[0] = '\0';
		return r;
	}
	return registry_commit(reg);
}
