/*
 * reconcile.h - the reconcile stage (docs/system.md, "Stages"): per bank per day a report
 * of cards ordered, produced, spoiled by reason, dispatched and returned, with the PAN list
 * and the transport refunds the bank pays (manual item 46), as XML
 * (formats/bank-reconciliation.xsd) and CSV, each with a detached signature (SM2/SM3 by
 * default) that the openssl command line verifies; the refunds list and the SLA report of
 * the day. `verify` checks a report's signature and recounts it against the registry.
 *
 * Outputs go to out/reconcile/<day>/: <BANK>-<day>.xml(.sig), <BANK>-<day>.csv(.sig),
 * refunds-<day>.csv, sla-<day>.csv and signing-key.pub.pem (the public key to verify with).
 */
#ifndef CP_STAGE_RECONCILE_H
#define CP_STAGE_RECONCILE_H

#include "core/buf.h"
#include "pipeline/registry/reg_status.h"
#include "pipeline/stages/stage.h"

#include <stdio.h>

struct config;
struct registry;

/* One bank's report for one day. */
struct recon_report {
	char *bank, *day;
	struct recon_counts c;
	struct named_count *spoiled; /* by reason */
	size_t nspoiled;
	struct recon_card *cards; /* the PAN list: cards produced that day */
	size_t ncards;
	struct recon_refund *refunds;
	size_t nrefunds;
	long long total_fen;	/* the refunds' sum (XML: as the report states it) */
	long long stated_count; /* XML: <TransportRefunds count>; -1 when not stated */
	int refund_days;
};
void recon_report_release(struct recon_report *rep);

/* Count bank's day from the registry. */
int recon_build(struct registry *reg, const struct config *cfg, const char *bank, const char *day,
		struct recon_report *rep);
int recon_write_xml(const struct config *cfg, const struct recon_report *rep, struct buf *out);
int recon_write_csv(const struct recon_report *rep, struct buf *out);
/* Read a report back (what verify recounts). CP_ERR_FORMAT naming the element or line. */
int recon_parse_xml(const unsigned char *data, size_t len, struct recon_report *rep);
int recon_parse_csv(const unsigned char *data, size_t len, struct recon_report *rep);
/* Print every difference between a report and the registry's count to out; returns the
 * number of differences. */
int recon_compare(const struct recon_report *file, const struct recon_report *registry, FILE *out);
/* The report's own money, which verify checks before it trusts a signed sum: every refund
 * 1..max fen (reconcile.max_refund_fen), their sum without overflow, equal to the stated
 * total and count. Prints each problem to out; returns their number. */
int recon_check_money(const struct recon_report *rep, long long max, FILE *out);
/* Every refund of v within 1..max fen and their sum in *total, all with overflow checks.
 * CP_ERR_INTEGRITY naming the application otherwise: a bad balance in the registry is
 * never signed or listed as due. */
int recon_refunds_total(const struct recon_refund *v, size_t n, long long max, long long *total);

/* Signatures (reconcile_sign.c). alg is reconcile.signature: sm2, ecdsa-p256, rsa-pss. */
int recon_key_load(const char *path, void **key /* EVP_PKEY */);
int recon_pubkey_load(const char *path, void **key);
void recon_key_free(void *key);
/* sm2_id: the SM2 distinguishing ID (recon_sm2_id()); unused by the other algorithms. */
int recon_sign(const char *alg, const char *sm2_id, void *key, const void *data, size_t len,
	       struct buf *sig);
int recon_verify(const char *alg, const char *sm2_id, void *key, const void *data, size_t len,
		 const unsigned char *sig, size_t siglen);
/* The SM2 ID a bank's reports are signed with: its entry of reconcile.sm2_id_banks
 * ("BANK:ID,...") or reconcile.sm2_id (GM/T 0009's 1234567812345678). bank may be NULL.
 * CP_ERR_CONFIG for an ID openssl's -sigopt distid: could not take. */
#define SM2_ID_MAX 64
int recon_sm2_id(const struct config *cfg, const char *bank, char *out, size_t outsz);
int recon_pubkey_pem(void *key, struct buf *pem);
/* The configured signing key (reconcile.signing_key): "keystore:NAME" takes an SM2 key
 * pair from the key store (personalization/keys/keystore.h), anything else is a PEM file.
 * A missing key is CP_ERR_CONFIG with a hint. */
int recon_signing_key(const struct config *cfg, const char *home, void **key);
/* The PEM file of reconcile.signing_key (newly allocated), or NULL when it names a key
 * store entry. */
char *recon_signing_key_path(const struct config *cfg, const char *home);
/* Make a new signing key of the configured kind at path (0600); never overwrites. */
int recon_keygen(const char *alg, const char *path);

/* SLA report (manual items 13 and 30): per application type. */
struct sla_counts {
	char *app_type;
	long long on_time;   /* completed on the day, on or before the due date */
	long long breached;  /* completed late on the day, or open past the due date */
	long long due_today; /* open, due on the day */
	long long at_risk;   /* open, due within sla.at_risk_days */
	long long on_track;  /* open, due later */
};
int sla_compute(struct registry *reg, const struct config *cfg, const char *day,
		struct sla_counts **v, size_t *n);
void sla_counts_free(struct sla_counts *v, size_t n);
/* The applications sla_compute counts as breached on day, by type, due date and id (the
 * run report lists them). Free with sla_items_free(). */
int sla_breached(struct registry *reg, const char *day, struct sla_item **v, size_t *n);

struct reconcile_result {
	long long banks, cards, refunds;
	char *dir; /* out/reconcile/<day> */
};
void reconcile_result_release(struct reconcile_result *res);

struct reconcile_opts {
	const char *day;		 /* NULL: today's business date */
	struct reconcile_result *detail; /* the stage's own figures, or NULL */
};

/* The result: read = done = cards reconciled (opts may be NULL). */
int stage_reconcile_run(const struct stage_ctx *ctx, const struct reconcile_opts *opts,
			struct stage_result *res);
/* Check file (a report's .xml or .csv) against file.sig with the public key at pubkey
 * (NULL: the configured signing key's), then recount it against the registry. 0 when
 * both hold; CP_ERR_INTEGRITY (with the differences printed on out) when not. */
int stage_reconcile_verify(struct config *cfg, const char *home, struct registry *reg,
			   const char *file, const char *pubkey, FILE *out);

#endif
