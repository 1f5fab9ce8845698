/*
 * bank_reconciliation.h - one bank's reconciliation report for one day, as XML
 * (formats/bank-reconciliation.xsd, namespace urn:cardpipe:bank-reconciliation:1) and as
 * CSV (docs/dispatch.md, "Bank reconciliation"): written from, and read back into, a
 * struct bank_recon. The reconcile stage (pipeline/stages/reconcile_report.c) counts the
 * day from the registry, says whose fault each spoil reason is, signs the files and
 * compares a report read back with the registry; this holds the bytes.
 */
#ifndef CP_FORMATS_BANK_RECONCILIATION_H
#define CP_FORMATS_BANK_RECONCILIATION_H

#include "core/buf.h"

#include <stddef.h>

struct bank_recon_counts {
	long long ordered, produced, spoiled, dispatched, returned;
};
struct bank_recon_spoil {
	char *code;
	const char *fault; /* "card" or "line": written, not read back (NULL then) */
	long long count;
};
struct bank_recon_card {
	char *pan, *card_no, *produced_at;
};
struct bank_recon_refund {
	long long app_id, amount_fen;
	char *channel_ref, *old_card_no, *new_card_no;
	char *requested; /* the date applied; due is requested + refund_days */
};

/* A report. To write one the caller fills it with pointers it keeps (issuer, refund_days
 * and every fault set); one read back owns its strings and arrays (bank_recon_release()),
 * and has no issuer, faults or refund_days. */
struct bank_recon {
	char *bank, *day;
	const char *issuer; /* written, not read back */
	struct bank_recon_counts c;
	struct bank_recon_spoil *spoiled;
	size_t nspoiled;
	struct bank_recon_card *cards; /* the PAN list */
	size_t ncards;
	struct bank_recon_refund *refunds;
	size_t nrefunds;
	long long total_fen;	/* read: the XML's totalFen, or the CSV refunds' sum */
	long long stated_count; /* read: the XML's <TransportRefunds count>; -1 when not stated */
	int refund_days;
};

/* The report as XML / CSV into out (initialised here, released by the caller also on
 * error). The XML refuses a negative refund or a sum that overflows (CP_ERR_INTEGRITY). */
int bank_recon_write_xml(const struct bank_recon *rep, struct buf *out);
int bank_recon_write_csv(const struct bank_recon *rep, struct buf *out);
/* Read a report back. CP_ERR_FORMAT naming the element or line; *rep is all zero then. */
int bank_recon_parse_xml(const unsigned char *data, size_t len, struct bank_recon *rep);
int bank_recon_parse_csv(const unsigned char *data, size_t len, struct bank_recon *rep);
/* Free a report read back; zeroes it. */
void bank_recon_release(struct bank_recon *rep);

#endif
