/*
 * reconcile.c - the reconcile stage (reconcile.h): bank reports with signatures, the
 * transport refunds list, the SLA report; and verify.
 */
#include "pipeline/stages/reconcile.h"

#include "core/csv.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "core/mask.h"
#include "core/mem.h"
#include "pipeline/registry/registry.h"
#include "pipeline/stages/manifest.h"

#include <stdlib.h>
#include <string.h>

void
reconcile_result_release(struct reconcile_result *res)
{
	free(res->dir);
	res->dir = NULL;
}

void
sla_counts_free(struct sla_counts *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].app_type);
	free(v);
}

static long
day_number(const char *date)
{
	int y, m, d;

	if (!date || cp_parse_date(date, &y, &m, &d) < 0)
		return -1;
	return cp_days_from_civil(y, m, d);
}

enum sla_class { SLA_ON_TIME, SLA_BREACHED, SLA_DUE_TODAY, SLA_AT_RISK, SLA_ON_TRACK };

static enum sla_class
sla_class(const struct sla_item *it, long today, long long at_risk)
{
	long due = day_number(it->due_date);

	if (due < 0)
		return SLA_BREACHED; /* a due date the registry holds malformed is not on time */
	if (it->done_date)
		return day_number(it->done_date) <= due ? SLA_ON_TIME : SLA_BREACHED;
	if (today > due)
		return SLA_BREACHED;
	if (today == due)
		return SLA_DUE_TODAY;
	return due - today <= at_risk ? SLA_AT_RISK : SLA_ON_TRACK;
}

int
sla_compute(struct registry *reg, const struct config *cfg, const char *day, struct sla_counts **v,
	    size_t *n)
{
	struct sla_item *items = NULL;
	struct sla_counts *out = NULL;
	long long at_risk = config_int(cfg, "sla.at_risk_days");
	long today = day_number(day);
	size_t ni = 0, cnt = 0;
	int r;

	*v = NULL;
	*n = 0;
	if (today < 0)
		return cp_err(CP_ERR_FORMAT, "date '%s' is not YYYY-MM-DD", day);
	if ((r = reg_sla_items(reg, day, &items, &ni)) < 0)
		return r;
	for (size_t i = 0; i < ni; i++) {
		const struct sla_item *it = &items[i];
		size_t k;

		for (k = 0; k < cnt && strcmp(out[k].app_type, it->app_type); k++)
			;
		if (k == cnt) {
			out = xrealloc(out, (cnt + 1) * sizeof(*out));
			memset(&out[cnt], 0, sizeof(*out));
			out[cnt++].app_type = xstrdup(it->app_type);
		}
		switch (sla_class(it, today, at_risk)) {
		case SLA_ON_TIME: out[k].on_time++; break;
		case SLA_BREACHED: out[k].breached++; break;
		case SLA_DUE_TODAY: out[k].due_today++; break;
		case SLA_AT_RISK: out[k].at_risk++; break;
		case SLA_ON_TRACK: out[k].on_track++; break;
		}
	}
	sla_items_free(items, ni);
	*v = out;
	*n = cnt;
	return 0;
}

int
sla_breached(struct registry *reg, const char *day, struct sla_item **v, size_t *n)
{
	struct sla_item *items = NULL;
	long today = day_number(day);
	size_t ni = 0, k = 0;
	int r;

	*v = NULL;
	*n = 0;
	if (today < 0)
		return cp_err(CP_ERR_FORMAT, "date '%s' is not YYYY-MM-DD", day);
	if ((r = reg_sla_items(reg, day, &items, &ni)) < 0)
		return r;
	for (size_t i = 0; i < ni; i++) {
		if (sla_class(&items[i], today, 0) == SLA_BREACHED)
			items[k++] = items[i]; /* moved: kept */
		else
			sla_item_release(&items[i]);
	}
	*v = items;
	*n = k;
	return 0;
}

static int
write_file(const char *dir, const char *name, const void *data, size_t len)
{
	char *path = fs_join(dir, name);
	int r = fs_write_atomic(path, data, len, 0600);

	if (r < 0)
		r = cp_err_wrap(r, "%s: ", path);
	free(path);
	return r;
}

static int
sla_file(struct registry *reg, const struct config *cfg, const char *dir, const char *day)
{
	struct sla_counts *v;
	struct buf b = BUF_INIT(BUF_UNLIMITED);
	char *name;
	size_t n;
	int r;

	if ((r = sla_compute(reg, cfg, day, &v, &n)) < 0)
		return r;
	r = buf_appendf(&b, "date,app_type,on_time,at_risk,breached,due_today,on_track\r\n");
	for (size_t i = 0; r == 0 && i < n; i++)
		r = csv_field(&b, day, CSV_NEXT) ?: csv_field(&b, v[i].app_type, CSV_NEXT)
			?: buf_appendf(&b, "%lld,%lld,%lld,%lld,%lld\r\n", v[i].on_time,
				       v[i].at_risk, v[i].breached, v[i].due_today, v[i].on_track);
	name = xasprintf("sla-%s.csv", day);
	if (r == 0)
		r = write_file(dir, name, b.data, b.len);
	free(name);
	buf_release(&b);
	sla_counts_free(v, n);
	return r;
}

static int
refunds_file(struct registry *reg, const struct config *cfg, const char *dir, const char *day,
	     long long *count)
{
	struct recon_refund *v;
	struct buf b = BUF_INIT(BUF_UNLIMITED);
	int days = (int)config_int(cfg, "reconcile.refund_days");
	long today = day_number(day);
	char *name;
	long long total;
	size_t n;
	int r;

	if ((r = reg_recon_refunds(reg, NULL, day, &v, &n)) < 0)
		return r;
	if ((r = recon_refunds_total(v, n, config_int(cfg, "reconcile.max_refund_fen"), &total)) <
	    0) {
		recon_refunds_free(v, n);
		return r;
	}
	r = buf_appendf(&b, "application,channel_ref,bank,old_card_no,new_card_no,"
			    "id_number_masked,amount_fen,amount_yuan,requested,due,status\r\n");
	for (size_t i = 0; r == 0 && i < n; i++) {
		char idm[64], num[32], yuan[32], due[16];
		long dn = day_number(v[i].requested);
		int y, m, d;

		mask_id(v[i].id_number ? v[i].id_number : "", idm, sizeof(idm));
		cp_civil_from_days(dn + days, &y, &m, &d);
		snprintf(due, sizeof(due), "%04d-%02d-%02d", y, m, d);
		snprintf(yuan, sizeof(yuan), "%lld.%02lld", v[i].amount_fen / 100,
			 v[i].amount_fen % 100);
		snprintf(num, sizeof(num), "%lld", v[i].app_id);
		r = csv_field(&b, num, CSV_NEXT) ?: csv_field(&b, v[i].channel_ref, CSV_NEXT)
			?: csv_field(&b, v[i].bank, CSV_NEXT) ?: csv_field(&b, v[i].old_card_no, CSV_NEXT)
			?: csv_field(&b, v[i].new_card_no, CSV_NEXT) ?: csv_field(&b, idm, CSV_NEXT);
		snprintf(num, sizeof(num), "%lld", v[i].amount_fen);
		if (r == 0)
			r = csv_field(&b, num, CSV_NEXT) ?: csv_field(&b, yuan, CSV_NEXT)
				?: csv_field(&b, v[i].requested, CSV_NEXT) ?: csv_field(&b, due, CSV_NEXT)
				?: csv_field(&b, dn + days < today ? "overdue" : "due", CSV_CRLF);
	}
	name = xasprintf("refunds-%s.csv", day);
	if (r == 0)
		r = write_file(dir, name, b.data, b.len);
	free(name);
	buf_release(&b);
	*count = (long long)n;
	recon_refunds_free(v, n);
	return r;
}

/* Write data as name and its signature as name.sig. */
static int
signed_file(const char *alg, const char *sm2_id, void *key, const char *dir, const char *name,
	    const struct buf *data)
{
	struct buf sig = BUF_INIT(BUF_UNLIMITED);
	char *signame = xasprintf("%s.sig", name);
	int r;

	if ((r = recon_sign(alg, sm2_id, key, data->data, data->len, &sig)) == 0 &&
	    (r = write_file(dir, name, data->data, data->len)) == 0)
		r = write_file(dir, signame, sig.data, sig.len);
	buf_release(&sig);
	free(signame);
	return r;
}

/* The cooperating banks (banks.cooperating) merged with the banks that had events. */
static void
bank_set(const struct config *cfg, char **seen, size_t nseen, char ***out, size_t *n)
{
	char *list = xstrdup(config_str(cfg, "banks.cooperating")), *save = NULL;
	char **v = NULL;
	size_t cnt = 0;

	for (char *t = strtok_r(list, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
		v = xrealloc(v, (cnt + 1) * sizeof(*v));
		v[cnt++] = xstrdup(t);
	}
	for (size_t i = 0; i < nseen; i++) {
		size_t k;

		for (k = 0; k < cnt && strcmp(v[k], seen[i]); k++)
			;
		if (k == cnt && seen[i]) {
			v = xrealloc(v, (cnt + 1) * sizeof(*v));
			v[cnt++] = xstrdup(seen[i]);
		}
	}
	free(list);
	*out = v;
	*n = cnt;
}

static void
strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int
reconcile_run(struct config *cfg, const char *home, struct registry *reg, const char *day,
	      struct reconcile_result *res)
{
	const char *alg = config_str(cfg, "reconcile.signature");
	char today[16], *outdir = NULL, *sub = NULL;
	char **seen = NULL, **banks = NULL;
	size_t nseen = 0, nbanks = 0;
	void *key = NULL;
	int r;

	memset(res, 0, sizeof(*res));
	if (!day) {
		cp_business_date(cp_now(), today, sizeof(today));
		day = today;
	}
	if (day_number(day) < 0)
		return cp_err(CP_ERR_USAGE, "date '%s' is not YYYY-MM-DD", day);
	if ((r = recon_signing_key(cfg, home, &key)) < 0)
		goto out;
	outdir = config_path(cfg, "paths.out", home);
	sub = fs_join(outdir, "reconcile");
	res->dir = fs_join(sub, day);
	if ((r = fs_mkdirs(res->dir, 0700)) < 0)
		goto out;
	/* the counts are read in one snapshot: one consistent picture of the day */
	if ((r = reg_snapshot_begin(reg)) < 0)
		goto out;
	if ((r = reg_recon_banks(reg, day, &seen, &nseen)) < 0)
		goto rollback;
	bank_set(cfg, seen, nseen, &banks, &nbanks);
	for (size_t i = 0; i < nbanks; i++) {
		struct recon_report rep;
		struct buf xml = BUF_INIT(BUF_UNLIMITED), csv = BUF_INIT(BUF_UNLIMITED);
		char *name, sm2_id[SM2_ID_MAX + 1];

		if ((r = recon_sm2_id(cfg, banks[i], sm2_id, sizeof(sm2_id))) < 0 ||
		    (r = recon_build(reg, cfg, banks[i], day, &rep)) < 0)
			goto rollback;
		if ((r = recon_write_xml(cfg, &rep, &xml)) == 0 &&
		    (r = recon_write_csv(&rep, &csv)) == 0) {
			name = xasprintf("%s-%s.xml", banks[i], day);
			r = signed_file(alg, sm2_id, key, res->dir, name, &xml);
			free(name);
			name = xasprintf("%s-%s.csv", banks[i], day);
			if (r == 0)
				r = signed_file(alg, sm2_id, key, res->dir, name, &csv);
			free(name);
		}
		res->cards += rep.c.produced;
		buf_release(&xml);
		buf_release(&csv);
		recon_report_release(&rep);
		if (r < 0)
			goto rollback;
		res->banks++;
	}
	if ((r = refunds_file(reg, cfg, res->dir, day, &res->refunds)) < 0 ||
	    (r = sla_file(reg, cfg, res->dir, day)) < 0)
		goto rollback;
	{
		struct buf pem;

		if ((r = recon_pubkey_pem(key, &pem)) == 0)
			r = write_file(res->dir, "signing-key.pub.pem", pem.data, pem.len);
		buf_release(&pem);
	}
rollback:
	registry_rollback(reg); /* read only */
	if (r == 0)
		log_info("reconcile",
			 "%s: %lld bank report(s), %lld card(s) produced, %lld "
			 "transport refund(s); in %s",
			 day, res->banks, res->cards, res->refunds, res->dir);
out:
	strv_free(seen, nseen);
	strv_free(banks, nbanks);
	recon_key_free(key);
	free(outdir);
	free(sub);
	return r;
}

int
stage_reconcile_run(const struct stage_ctx *ctx, const struct reconcile_opts *opts,
		    struct stage_result *res)
{
	struct reconcile_result own = {0}, *c = opts && opts->detail ? opts->detail : &own;
	int r = reconcile_run(ctx->cfg, ctx->home, ctx->reg, opts ? opts->day : NULL, c);

	memset(res, 0, sizeof(*res));
	res->read = c->cards;
	res->done = c->cards;
	snprintf(res->note, sizeof(res->note), "%lld bank reports, %lld cards, %lld refunds",
		 c->banks, c->cards, c->refunds);
	reconcile_result_release(&own);
	return r;
}

int
stage_reconcile_verify(struct config *cfg, const char *home, struct registry *reg, const char *file,
		       const char *pubkey, FILE *out)
{
	const char *alg = config_str(cfg, "reconcile.signature");
	struct recon_report fr = {0}, gr = {0};
	unsigned char *data = NULL, *sig = NULL;
	size_t len = 0, siglen = 0, fl = strlen(file);
	char *sigpath = xasprintf("%s.sig", file), *perr = NULL, sm2_id[SM2_ID_MAX + 1];
	void *key = NULL;
	int r, pr, diffs;

	if ((r = fs_read_file(file, 1u << 30, &data, &len)) < 0) {
		r = cp_err_wrap(r, "report '%s': ", file);
		goto out;
	}
	if ((r = fs_read_file(sigpath, 1 << 16, &sig, &siglen)) < 0) {
		r = cp_err_wrap(r, "signature '%s': ", sigpath);
		goto out;
	}
	/* the bank named in the report chooses the SM2 ID; an unreadable report is reported
	 * after its signature (checked with the default ID) */
	if (fl > 4 && !strcmp(file + fl - 4, ".csv"))
		pr = recon_parse_csv(data, len, &fr);
	else
		pr = recon_parse_xml(data, len, &fr);
	if (pr < 0)
		perr = xstrdup(cp_errmsg());
	if ((r = recon_sm2_id(cfg, pr < 0 ? NULL : fr.bank, sm2_id, sizeof(sm2_id))) < 0)
		goto out;
	if (pubkey) {
		r = recon_pubkey_load(pubkey, &key);
	} else {
		r = recon_signing_key(cfg, home, &key);
	}
	if (r < 0)
		goto out;
	if ((r = recon_verify(alg, sm2_id, key, data, len, sig, siglen)) < 0) {
		if (r == CP_ERR_INTEGRITY)
			fprintf(out, "BAD signature: %s\n", file);
		r = cp_err_wrap(r, "%s: ", file);
		goto out;
	}
	if (strcmp(alg, "sm2"))
		fprintf(out, "ok  signature (%s)\n", alg);
	else
		fprintf(out, "ok  signature (sm2, ID %s)\n", sm2_id);
	if (pr < 0) {
		r = cp_err(pr, "%s: %s", file, perr);
		goto out;
	}
	if ((r = reg_snapshot_begin(reg)) < 0)
		goto out;
	r = recon_build(reg, cfg, fr.bank, fr.day, &gr);
	registry_rollback(reg);
	if (r < 0)
		goto out;
	diffs = recon_check_money(&fr, config_int(cfg, "reconcile.max_refund_fen"), out) +
		recon_compare(&fr, &gr, out);
	if (diffs) {
		r = cp_err(CP_ERR_INTEGRITY,
			   "%s: %d difference(s) between the report and the registry for bank %s "
			   "on %s",
			   file, diffs, fr.bank, fr.day);
		goto out;
	}
	fprintf(out,
		"ok  counts reconcile with the registry: bank %s %s: ordered %lld, produced "
		"%lld, spoiled %lld, dispatched %lld, returned %lld, %zu PAN(s), %zu refund(s)\n",
		fr.bank, fr.day, gr.c.ordered, gr.c.produced, gr.c.spoiled, gr.c.dispatched,
		gr.c.returned, gr.ncards, gr.nrefunds);
out:
	recon_report_release(&fr);
	recon_report_release(&gr);
	recon_key_free(key);
	free(data);
	free(sig);
	free(sigpath);
	free(perr);
	return r;
}
