/*
 * reconcile_report.c - one bank's day: counted from the registry, written as XML and CSV,
 * read back from either, and compared (reconcile.h). The XML and CSV carry the same
 * figures; their formats are in formats/bank-reconciliation.xsd and docs/dispatch.md, and
 * formats/bank_reconciliation.c writes and reads their bytes.
 */
#include "core/config.h"
#include "core/err.h"
#include "core/mem.h"
#include "formats/bank_reconciliation.h"
#include "pipeline/registry/reg_production.h"
#include "pipeline/rules/money.h"
#include "pipeline/stages/reconcile.h"

#include <stdlib.h>
#include <string.h>

void
recon_report_release(struct recon_report *rep)
{
	free(rep->bank);
	free(rep->day);
	named_counts_free(rep->spoiled, rep->nspoiled);
	recon_cards_free(rep->cards, rep->ncards);
	recon_refunds_free(rep->refunds, rep->nrefunds);
	memset(rep, 0, sizeof(*rep));
}

int
recon_build(struct registry *reg, const struct config *cfg, const char *bank, const char *day,
	    struct recon_report *rep)
{
	int r;

	memset(rep, 0, sizeof(*rep));
	rep->bank = xstrdup(bank);
	rep->day = xstrdup(day);
	rep->refund_days = (int)config_int(cfg, "reconcile.refund_days");
	rep->stated_count = -1;
	if ((r = reg_recon_counts(reg, bank, day, &rep->c)) < 0 ||
	    (r = reg_recon_spoiled(reg, bank, day, &rep->spoiled, &rep->nspoiled)) < 0 ||
	    (r = reg_recon_cards(reg, bank, day, &rep->cards, &rep->ncards)) < 0 ||
	    (r = reg_recon_refunds(reg, bank, day, &rep->refunds, &rep->nrefunds)) < 0 ||
	    (r = recon_refunds_total(rep->refunds, rep->nrefunds,
				     config_int(cfg, "reconcile.max_refund_fen"),
				     &rep->total_fen)) < 0)
		recon_report_release(rep);
	return r;
}

int
recon_refunds_total(const struct recon_refund *v, size_t n, long long max, long long *total)
{
	long long sum = 0;

	*total = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i].amount_fen < 1 || v[i].amount_fen > max)
			return cp_err(
				CP_ERR_INTEGRITY,
				"application %lld: transport balance %lld fen is not within "
				"1..%lld (reconcile.max_refund_fen); correct it before a bank "
				"is asked to refund it",
				v[i].app_id, v[i].amount_fen, max);
		if (money_add(sum, v[i].amount_fen, &sum) < 0)
			return cp_err(CP_ERR_INTEGRITY,
				      "transport refunds: the sum overflows at "
				      "application %lld",
				      v[i].app_id);
	}
	*total = sum;
	return 0;
}

/* Whose fault a spoil reason is, for the bank: "card" or "line". */
static const char *
spoil_fault(const char *reason)
{
	const char *f = prod_reason_fault(reason);

	return f ? f : "line";
}

/* The report as the format's (formats/bank_reconciliation.h): pointers into rep, the
 * issuer and the spoil reasons' faults added. Free with recon_view_release(). */
static void
recon_view(const struct recon_report *rep, const char *issuer, struct bank_recon *v)
{
	memset(v, 0, sizeof(*v));
	v->bank = rep->bank;
	v->day = rep->day;
	v->issuer = issuer;
	v->c = (struct bank_recon_counts){.ordered = rep->c.ordered,
					  .produced = rep->c.produced,
					  .spoiled = rep->c.spoiled,
					  .dispatched = rep->c.dispatched,
					  .returned = rep->c.returned};
	v->spoiled = xcalloc(rep->nspoiled + 1, sizeof(*v->spoiled));
	for (size_t i = 0; i < rep->nspoiled; i++)
		v->spoiled[i] = (struct bank_recon_spoil){
			rep->spoiled[i].name, spoil_fault(rep->spoiled[i].name), rep->spoiled[i].n};
	v->nspoiled = rep->nspoiled;
	v->cards = xcalloc(rep->ncards + 1, sizeof(*v->cards));
	for (size_t i = 0; i < rep->ncards; i++)
		v->cards[i] = (struct bank_recon_card){rep->cards[i].pan, rep->cards[i].card_no,
						       rep->cards[i].produced_at};
	v->ncards = rep->ncards;
	v->refunds = xcalloc(rep->nrefunds + 1, sizeof(*v->refunds));
	for (size_t i = 0; i < rep->nrefunds; i++) {
		const struct recon_refund *f = &rep->refunds[i];

		v->refunds[i] = (struct bank_recon_refund){
			.app_id = f->app_id,
			.amount_fen = f->amount_fen,
			.channel_ref = f->channel_ref,
			.old_card_no = f->old_card_no,
			.new_card_no = f->new_card_no,
			.requested = f->requested,
		};
	}
	v->nrefunds = rep->nrefunds;
	v->total_fen = rep->total_fen;
	v->stated_count = rep->stated_count;
	v->refund_days = rep->refund_days;
}

static void
recon_view_release(struct bank_recon *v)
{
	free(v->spoiled);
	free(v->cards);
	free(v->refunds);
}

int
recon_write_xml(const struct config *cfg, const struct recon_report *rep, struct buf *out)
{
	struct bank_recon v;
	int r;

	recon_view(rep, config_str(cfg, "general.bureau_name"), &v);
	r = bank_recon_write_xml(&v, out);
	recon_view_release(&v);
	return r;
}

int
recon_write_csv(const struct recon_report *rep, struct buf *out)
{
	struct bank_recon v;
	int r;

	recon_view(rep, NULL, &v);
	r = bank_recon_write_csv(&v, out);
	recon_view_release(&v);
	return r;
}

/* A report read back (r its reader's result) as the stage's: its strings move into rep. */
static int
recon_from_file(int r, struct bank_recon *f, struct recon_report *rep)
{
	memset(rep, 0, sizeof(*rep));
	if (r < 0)
		return r;
	rep->bank = f->bank;
	rep->day = f->day;
	rep->c = (struct recon_counts){.ordered = f->c.ordered,
				       .produced = f->c.produced,
				       .spoiled = f->c.spoiled,
				       .dispatched = f->c.dispatched,
				       .returned = f->c.returned};
	if (f->nspoiled)
		rep->spoiled = xcalloc(f->nspoiled, sizeof(*rep->spoiled));
	for (size_t i = 0; i < f->nspoiled; i++)
		rep->spoiled[i] = (struct named_count){f->spoiled[i].code, f->spoiled[i].count};
	rep->nspoiled = f->nspoiled;
	if (f->ncards)
		rep->cards = xcalloc(f->ncards, sizeof(*rep->cards));
	for (size_t i = 0; i < f->ncards; i++)
		rep->cards[i] = (struct recon_card){f->cards[i].pan, f->cards[i].card_no,
						    f->cards[i].produced_at};
	rep->ncards = f->ncards;
	if (f->nrefunds)
		rep->refunds = xcalloc(f->nrefunds, sizeof(*rep->refunds));
	for (size_t i = 0; i < f->nrefunds; i++) {
		const struct bank_recon_refund *x = &f->refunds[i];

		rep->refunds[i] = (struct recon_refund){
			.app_id = x->app_id,
			.amount_fen = x->amount_fen,
			.channel_ref = x->channel_ref,
			.old_card_no = x->old_card_no,
			.new_card_no = x->new_card_no,
			.requested = x->requested,
		};
	}
	rep->nrefunds = f->nrefunds;
	rep->total_fen = f->total_fen;
	rep->stated_count = f->stated_count;
	/* the strings are rep's now */
	free(f->spoiled);
	free(f->cards);
	free(f->refunds);
	memset(f, 0, sizeof(*f));
	return 0;
}

int
recon_parse_xml(const unsigned char *data, size_t len, struct recon_report *rep)
{
	struct bank_recon f;

	return recon_from_file(bank_recon_parse_xml(data, len, &f), &f, rep);
}

int
recon_parse_csv(const unsigned char *data, size_t len, struct recon_report *rep)
{
	struct bank_recon f;

	return recon_from_file(bank_recon_parse_csv(data, len, &f), &f, rep);
}

static int
diff_ll(FILE *out, const char *what, long long file, long long reg)
{
	if (file == reg)
		return 0;
	fprintf(out, "MISMATCH %s: report says %lld, registry has %lld\n", what, file, reg);
	return 1;
}

static const char *
nz(const char *s)
{
	return s ? s : "";
}

int
recon_compare(const struct recon_report *f, const struct recon_report *g, FILE *out)
{
	int d = 0;

	d += diff_ll(out, "ordered", f->c.ordered, g->c.ordered);
	d += diff_ll(out, "produced", f->c.produced, g->c.produced);
	d += diff_ll(out, "spoiled", f->c.spoiled, g->c.spoiled);
	d += diff_ll(out, "dispatched", f->c.dispatched, g->c.dispatched);
	d += diff_ll(out, "returned", f->c.returned, g->c.returned);
	/* the report's own sums must hold too */
	{
		long long s = 0;

		int over = 0;

		for (size_t i = 0; i < f->nspoiled && !over; i++)
			over = __builtin_add_overflow(s, f->spoiled[i].n, &s);
		if (over) {
			fprintf(out, "MISMATCH spoiled by reason, summed: the sum overflows\n");
			d++;
		} else {
			d += diff_ll(out, "spoiled by reason, summed", s, f->c.spoiled);
		}
		d += diff_ll(out, "PAN list length vs produced", (long long)f->ncards,
			     f->c.produced);
	}
	d += diff_ll(out, "spoilage reasons", (long long)f->nspoiled, (long long)g->nspoiled);
	for (size_t i = 0; i < f->nspoiled && i < g->nspoiled; i++) {
		char what[96];

		snprintf(what, sizeof(what), "spoiled '%s'", f->spoiled[i].name);
		if (strcmp(f->spoiled[i].name, g->spoiled[i].name)) {
			fprintf(out, "MISMATCH spoilage reason %zu: report '%s', registry '%s'\n",
				i + 1, f->spoiled[i].name, g->spoiled[i].name);
			d++;
		} else {
			d += diff_ll(out, what, f->spoiled[i].n, g->spoiled[i].n);
		}
	}
	d += diff_ll(out, "PAN list length", (long long)f->ncards, (long long)g->ncards);
	for (size_t i = 0; i < f->ncards && i < g->ncards; i++)
		if (strcmp(nz(f->cards[i].pan), nz(g->cards[i].pan)) ||
		    strcmp(nz(f->cards[i].card_no), nz(g->cards[i].card_no))) {
			fprintf(out, "MISMATCH PAN list entry %zu: report %s/%s, registry %s/%s\n",
				i + 1, nz(f->cards[i].card_no), nz(f->cards[i].pan),
				nz(g->cards[i].card_no), nz(g->cards[i].pan));
			d++;
		}
	d += diff_ll(out, "transport refunds", (long long)f->nrefunds, (long long)g->nrefunds);
	d += diff_ll(out, "transport refunds total (fen)", f->total_fen, g->total_fen);
	for (size_t i = 0; i < f->nrefunds && i < g->nrefunds; i++)
		if (f->refunds[i].app_id != g->refunds[i].app_id ||
		    f->refunds[i].amount_fen != g->refunds[i].amount_fen) {
			fprintf(out,
				"MISMATCH refund %zu: report application %lld %lld fen, registry "
				"application %lld %lld fen\n",
				i + 1, f->refunds[i].app_id, f->refunds[i].amount_fen,
				g->refunds[i].app_id, g->refunds[i].amount_fen);
			d++;
		}
	return d;
}

int
recon_check_money(const struct recon_report *rep, long long max, FILE *out)
{
	long long sum = 0;
	int d = 0, overflow = 0;

	for (size_t i = 0; i < rep->nrefunds; i++) {
		long long a = rep->refunds[i].amount_fen;

		if (a < 1 || a > max) {
			fprintf(out,
				"BAD refund %zu (application %lld): %lld fen is not within 1..%lld "
				"(reconcile.max_refund_fen)\n",
				i + 1, rep->refunds[i].app_id, a, max);
			d++;
		}
		if (!overflow && money_add(sum, a < 0 ? 0 : a, &sum) < 0) {
			fprintf(out, "BAD transport refunds: the sum overflows at refund %zu\n",
				i + 1);
			overflow = 1;
			d++;
		}
	}
	if (!overflow && sum != rep->total_fen) {
		fprintf(out,
			"BAD transport refunds total: report says %lld fen, its refunds sum to "
			"%lld\n",
			rep->total_fen, sum);
		d++;
	}
	if (rep->stated_count >= 0 && rep->stated_count != (long long)rep->nrefunds) {
		fprintf(out, "BAD transport refunds count: report says %lld, it lists %zu\n",
			rep->stated_count, rep->nrefunds);
		d++;
	}
	return d;
}
