/*
 * dispatch.c - the dispatch stage (dispatch.h): produced cards -> dispatch items -> batch
 * outputs -> dispatched; delivery and return events; employer cards overdue (item 14).
 */
#include "pipeline/stages/dispatch.h"

#include "core/csv.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "core/progress.h"
#include "core/mask.h"
#include "core/mem.h"
#include "personalization/crypto/random.h"
#include "pipeline/registry/reg_dispatch.h"
#include "pipeline/registry/registry.h"
#include "pipeline/rules/fields.h"
#include "pipeline/rules/prepare_rules.h"
#include "pipeline/rules/s10.h"
#include "pipeline/stages/letters.h"
#include "pipeline/stages/manifest.h"

#include <ctype.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>

void
dispatch_result_release(struct dispatch_result *res)
{
	free(res->last_batch);
	res->last_batch = NULL;
}

/* The dispatch method of a card, or NULL (with *why) when it cannot be dispatched. */
static const char *
method_of(const struct dispatch_card *c, const char **why)
{
	const char *d = c->delivery ? c->delivery : "";

	*why = NULL;
	if (c->instant)
		return "pickup"; /* made at the branch counter, handed over there */
	/* both kinds of mail go by post (prepare checked address, postal code and mobile);
	 * mail to the employer is also an employer delivery (manual item 14) */
	if (!strcmp(d, "mail-person") || !strcmp(d, "mail-employer")) {
		size_t n = c->postal_code ? strlen(c->postal_code) : 0;
		int digits = n == 6;

		for (size_t i = 0; digits && i < n; i++)
			digits = isdigit((unsigned char)c->postal_code[i]) != 0;
		struct text_problem tp;

		if (!c->address || !c->address[0])
			*why = "no address for a mailed card";
		else if (text_check(c->address, TEXT_LINE, 100, &tp) < 0)
			*why = "the address is not one line of at most 100 characters (letter and "
			       "manifest could not carry it)";
		else if (!digits)
			*why = "postal code is not 6 digits";
		return *why ? NULL : !strcmp(d, "mail-person") ? "mail" : "employer";
	}
	if (!strcmp(d, "pickup")) {
		struct text_problem tp;

		if (!c->branch || !c->branch[0])
			*why = "pickup without a branch";
		else if (text_check(c->branch, TEXT_CODE, 32, &tp) < 0)
			*why = "the branch is not a branch code";
		return *why ? NULL : "pickup";
	}
	*why = "unknown delivery method";
	return NULL;
}

/* An activation reference: 80 random bits in Crockford base32, "XXXX-XXXX-XXXX-XXXX".
 * It identifies the letter, never the person. */
static int
new_activation_ref(char out[20])
{
	static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	unsigned char rnd[10];
	unsigned long long acc = 0;
	int bits = 0, k = 0, j = 0;

	if (cp_random_bytes(rnd, sizeof(rnd)) < 0)
		return cp_err(CP_ERR_CRYPTO, "no random bytes for an activation reference");
	for (size_t i = 0; i < sizeof(rnd); i++) {
		acc = (acc << 8) | rnd[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			if (k && k % 4 == 0)
				out[j++] = '-';
			out[j++] = alphabet[(acc >> bits) & 31];
			k++;
		}
	}
	out[j] = '\0';
	return 0;
}

static int
cmp_mail(const void *a, const void *b)
{
	const struct dispatch_card *x = *(struct dispatch_card *const *)a,
				   *y = *(struct dispatch_card *const *)b;
	int c = strcmp(x->postal_code, y->postal_code);

	return c ? c : strcmp(x->card_no, y->card_no);
}

/* Turn the pending cards into one new batch of dispatch items, committed together. */
static int
create_batch(struct config *cfg, struct registry *reg, struct dispatch_result *res)
{
	struct dispatch_list pend = {0};
	struct dispatch_card **mail = NULL;
	const char *prefix = config_str(cfg, "dispatch.s10_prefix");
	const char *country = config_str(cfg, "dispatch.s10_country");
	long long bag_size = config_int(cfg, "dispatch.bag_size");
	char today[16], *batch = NULL, tn[S10_LEN + 1];
	size_t nmail = 0, added = 0;
	struct progress prog = {0}; /* cards manifested of those pending, on a terminal */
	int r;

	/* check the S10 settings before touching anything */
	if ((r = s10_format(prefix, 1, country, tn, sizeof(tn))) < 0)
		return r;
	if ((r = registry_begin(reg)) < 0)
		return r;
	if ((r = reg_dispatch_pending(reg, &pend)) < 0 || pend.n == 0)
		goto out;
	cp_business_date(cp_now(), today, sizeof(today));
	if ((r = reg_dispatch_new_batch(reg, today, &batch)) < 0)
		goto out;
	mail = xcalloc(pend.n, sizeof(*mail));
	progress_start(&prog, "dispatch", (long long)pend.n);
	for (size_t i = 0; i < pend.n; i++) {
		struct dispatch_card *c = &pend.v[i];
		const char *why, *m = method_of(c, &why);

		if (!m) {
			log_warn("dispatch", "card %s not dispatched: %s (delivery '%s')",
				 c->card_no, why, c->delivery ? c->delivery : "");
			res->skipped++;
			continue;
		}
		c->method = xstrdup(m);
		c->batch = xstrdup(batch);
		if (strcmp(m, "pickup")) {
			mail[nmail++] = c; /* bags and numbers are given in postal order below */
			continue;
		}
		c->destination = xstrdup(c->instant && !c->branch ? "instant" : c->branch);
		if ((r = reg_dispatch_add(reg, c)) < 0)
			goto out;
		added++;
	}
	qsort(mail, nmail, sizeof(*mail), cmp_mail);
	for (size_t i = 0, in_bag = 0, bagno = 0; i < nmail; i++) {
		struct dispatch_card *c = mail[i];
		long serial;
		char ref[20];

		if (i == 0 || strcmp(mail[i - 1]->postal_code, c->postal_code)) {
			bagno = 1;
			in_bag = 0;
		} else if (in_bag == (size_t)bag_size) {
			bagno++;
			in_bag = 0;
		}
		in_bag++;
		if ((r = reg_s10_next(reg, prefix, &serial)) < 0 ||
		    (r = s10_format(prefix, serial, country, tn, sizeof(tn))) < 0 ||
		    (r = new_activation_ref(ref)) < 0)
			goto out;
		c->tracking_no = xstrdup(tn);
		c->bag = xasprintf("%s-%02zu", c->postal_code, bagno);
		/* an employer's cards are listed per employer (by credit code, else by name) */
		c->destination =
			xstrdup(strcmp(c->method, "employer")		  ? c->postal_code
				: c->employer_uscc && c->employer_uscc[0] ? c->employer_uscc
				: c->employer_name && c->employer_name[0] ? c->employer_name
									  : c->postal_code);
		c->activation_ref = xstrdup(ref);
		if ((r = reg_dispatch_add(reg, c)) < 0)
			goto out;
		added++;
		progress_update(&prog, (long long)(added + res->skipped));
	}
	if (added)
		log_info("dispatch", "batch %s: %zu card(s) manifested", batch, added);
out:
	progress_end(&prog);
	if (r < 0)
		registry_rollback(reg);
	else
		r = registry_commit(reg);
	free(mail);
	free(batch);
	dispatch_list_release(&pend);
	return r;
}

/* Write a batch's outputs from the registry and mark it dispatched. */
static int
finish_batch(struct config *cfg, const char *home, struct registry *reg, const char *batch,
	     struct dispatch_result *res)
{
	struct dispatch_list items = {0};
	char *outdir = config_path(cfg, "paths.out", home), *sub = NULL, *dir = NULL, *pdf = NULL,
	     ts[32];
	long long n = 0;
	int r;

	sub = fs_join(outdir, "dispatch");
	dir = fs_join(sub, batch);
	pdf = fs_join(dir, "letters.pdf");
	if ((r = reg_dispatch_batch_items(reg, batch, &items)) < 0)
		goto out;
	if ((r = manifest_write_batch(cfg, dir, batch, &items)) < 0 ||
	    (r = letters_write_batch(cfg, home, pdf, batch, &items)) < 0)
		goto out;
	cp_iso_utc(cp_now(), ts, sizeof(ts));
	if ((r = registry_begin(reg)) < 0)
		goto out;
	if ((r = reg_dispatch_mark_dispatched(reg, batch, ts, &n)) < 0) {
		registry_rollback(reg);
		goto out;
	}
	if ((r = registry_commit(reg)) < 0)
		goto out;
	for (size_t i = 0; i < items.n; i++) {
		const char *m = items.v[i].method;

		if (strcmp(items.v[i].item_state, "manifested"))
			continue;
		res->cards++;
		res->mail += !strcmp(m, "mail");
		res->employer += !strcmp(m, "employer");
		res->pickup += !strcmp(m, "pickup");
	}
	res->batches++;
	free(res->last_batch);
	res->last_batch = xstrdup(batch);
	log_info("dispatch", "batch %s dispatched: %lld card(s); outputs in %s", batch, n, dir);
out:
	if (r < 0)
		r = cp_err_wrap(r, "batch %s: ", batch);
	dispatch_list_release(&items);
	free(outdir);
	free(sub);
	free(dir);
	free(pdf);
	return r;
}

static int
dispatch_run(struct config *cfg, const char *home, struct registry *reg,
	     struct dispatch_result *res)
{
	char **batches = NULL;
	size_t n = 0;
	int r;

	memset(res, 0, sizeof(*res));
	if ((r = create_batch(cfg, reg, res)) < 0)
		return r;
	if ((r = reg_dispatch_open_batches(reg, &batches, &n)) < 0)
		return r;
	for (size_t i = 0; i < n && r == 0; i++)
		r = finish_batch(cfg, home, reg, batches[i], res);
	reg_strv_free(batches, n);
	if (r == 0 && res->skipped)
		log_warn("dispatch", "%lld produced card(s) could not be dispatched (see above)",
			 res->skipped);
	return r;
}

int
stage_dispatch_run(const struct stage_ctx *ctx, const struct dispatch_opts *opts,
		   struct stage_result *res)
{
	struct dispatch_result own = {0}, *c = opts && opts->detail ? opts->detail : &own;
	int r = dispatch_run(ctx->cfg, ctx->home, ctx->reg, c);

	memset(res, 0, sizeof(*res));
	res->read = c->cards + c->skipped;
	res->done = c->cards;
	snprintf(res->note, sizeof(res->note),
		 "%lld cards: %lld mailed, %lld to employers, %lld for pickup; %lld batches",
		 c->cards, c->mail, c->employer, c->pickup, c->batches);
	dispatch_result_release(&own);
	return r;
}

/* "YYYY-MM-DD" (Beijing) -> an ISO UTC timestamp at Beijing noon of that day; NULL: now. */
static int
event_time(const char *date, char *out, size_t sz)
{
	int y, m, d;

	if (!date) {
		cp_iso_utc(cp_now(), out, sz);
		return 0;
	}
	if (cp_parse_date(date, &y, &m, &d) < 0)
		return cp_err(CP_ERR_FORMAT, "date '%s' is not YYYY-MM-DD", date);
	snprintf(out, sz, "%04d-%02d-%02dT04:00:00Z", y, m, d);
	return 0;
}

/* An event dated by the carrier happened: not after today, not before the card left. */
static int
check_event_date(const struct dispatch_card *c, const char *date)
{
	char today[16];
	long ev, sent;
	int y, m, d;

	if (!date)
		return 0; /* now */
	if (cp_parse_date(date, &y, &m, &d) < 0)
		return cp_err(CP_ERR_FORMAT, "date '%.20s' is not YYYY-MM-DD", date);
	ev = cp_days_from_civil(y, m, d);
	cp_business_date(cp_now(), today, sizeof(today));
	if (cp_parse_date(today, &y, &m, &d) == 0 && ev > cp_days_from_civil(y, m, d))
		return cp_err(CP_ERR_INVALID, "card %s: event date %s is after today (%s)",
			      c->card_no, date, today);
	if (c->dispatched_at && rules_app_date(c->dispatched_at, &sent) == 0 && ev < sent)
		return cp_err(CP_ERR_INVALID,
			      "card %s: event date %s is before the card was dispatched (%.10s)",
			      c->card_no, date, c->dispatched_at);
	return 0;
}

static int
one_event(struct registry *reg, const char *key, const char *event, const char *date,
	  const char *at, const char *detail)
{
	struct dispatch_card c;
	int r;

	if ((r = reg_dispatch_find(reg, key, &c)) < 0)
		return r;
	if ((r = check_event_date(&c, date)) < 0) {
		dispatch_card_release(&c);
		return r;
	}
	if (!strcmp(event, "delivered"))
		r = reg_dispatch_delivered(reg, c.item_id, at, detail);
	else if (!strcmp(event, "handed-out"))
		r = reg_dispatch_handed_out(reg, c.item_id, at);
	else
		r = reg_dispatch_returned(reg, c.item_id, at, detail);
	if (r == CP_ERR_INVALID)
		r = cp_err_wrap(r, "card %s: ", c.card_no);
	dispatch_card_release(&c);
	return r;
}

static int
single(struct registry *reg, const char *key, const char *event, const char *date, const char *at,
       const char *detail)
{
	int r;

	if ((r = registry_begin(reg)) < 0)
		return r;
	r = one_event(reg, key, event, date, at, detail);
	if (r == CP_ERR_EXISTS) {
		registry_rollback(reg);
		log_info("dispatch", "%s: already recorded as %s", key, event);
		return 0;
	}
	if (r < 0) {
		registry_rollback(reg);
		return r;
	}
	if ((r = registry_commit(reg)) == 0)
		log_info("dispatch", "%s: %s", key, event);
	return r;
}

/* The key and note (or reason) of an event are bounded text; the message says what is
 * wrong. */
static int
check_line_text(const char *key, const char *note)
{
	struct text_problem tp;

	if (text_check(key, TEXT_CODE, 32, &tp) < 0)
		return cp_err(CP_ERR_INVALID, "KEY %s (card number or S10 tracking number)",
			      tp.why);
	if (note && text_check(note, TEXT_LINE, 200, &tp) < 0)
		return cp_err(CP_ERR_INVALID, "NOTE %s%s (at character %zu, U+%04X)", tp.why,
			      tp.too_long ? ": at most 200 characters" : "", tp.at, tp.cp);
	return 0;
}

int
stage_dispatch_return(struct config *cfg, struct registry *reg, const char *key, const char *reason)
{
	char at[32];
	int r;

	event_time(NULL, at, sizeof(at));
	if (reason && reason[0] && (r = check_line_text(key, reason)) < 0)
		return r;
	return single(reg, key, "returned", NULL, at, reason && reason[0] ? reason : "returned");
}

int
stage_dispatch_handed_out(struct config *cfg, struct registry *reg, const char *key,
			  const char *date)
{
	char at[32];
	int r;

	if ((r = event_time(date, at, sizeof(at))) < 0)
		return r;
	return single(reg, key, "handed-out", date, at, NULL);
}

int
stage_dispatch_delivered(struct config *cfg, struct registry *reg, const char *key,
			 const char *date, const char *detail)
{
	char at[32];
	int r;

	if ((r = event_time(date, at, sizeof(at))) < 0 ||
	    (detail && detail[0] && (r = check_line_text(key, detail)) < 0))
		return r;
	return single(reg, key, "delivered", date, at, detail && detail[0] ? detail : "delivered");
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

/* Split one line of the carrier file into at most max fields, RFC 4180 style: a field in
 * double quotes may hold commas, a quote inside it is doubled. 0, or -1 with *why set. */
static int
split_fields(char *s, char **f, int max, int *nf, const char **why)
{
	*nf = 0;
	for (;;) {
		char *start, *w;

		while (*s == ' ' || *s == '\t')
			s++;
		if (*nf == max) {
			*why = "too many fields (a note with a comma must be in double quotes)";
			return -1;
		}
		if (*s == '"') {
			w = start = ++s;
			for (;; s++) {
				if (!*s) {
					*why = "a quoted field is not closed";
					return -1;
				}
				if (*s == '"' && s[1] == '"')
					s++;
				else if (*s == '"')
					break;
				*w++ = *s;
			}
			*w = '\0';
			for (s++; *s == ' ' || *s == '\t'; s++)
				;
			if (*s && *s != ',') {
				*why = "text after a closing quote";
				return -1;
			}
			f[(*nf)++] = start;
		} else {
			char *comma = strchr(s, ',');

			if (comma)
				*comma = '\0';
			if (strchr(s, '"')) {
				*why = "a stray double quote (quote the whole field)";
				return -1;
			}
			f[(*nf)++] = trim(s);
			if (!comma)
				return 0;
			s = comma + 1;
			continue;
		}
		if (*s != ',')
			return 0;
		s++;
	}
}

static char *
next_line(char *line)
{
	return strchr(line, '\n');
}

int
stage_dispatch_delivery_file(struct config *cfg, struct registry *reg, const char *path, FILE *err,
			     struct delivery_file_result *res)
{
	unsigned char *data = NULL;
	size_t len = 0;
	char *p, *line, *next;
	int r;

	memset(res, 0, sizeof(*res));
	if ((r = fs_read_file(path, 64u << 20, &data, &len)) < 0)
		return cp_err_wrap(r, "delivery file '%s': ", path);
	if (strlen((char *)data) != len) {
		free(data);
		return cp_err(CP_ERR_FORMAT, "delivery file '%s' holds a NUL byte: not a text file",
			      path);
	}
	if ((r = registry_begin(reg)) < 0) {
		free(data);
		return r;
	}
	p = (char *)data;
	if (len >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		p += 3;
	/* line by line, blank ones counted too, so that FILE:LINE points at the right line */
	for (line = p; line && (*line || next_line(line)); line = next) {
		char *f[4] = {0}, *s, at[32];
		const char *why = NULL, *date, *note;
		int nf = 0;

		next = next_line(line);
		if (next)
			*next++ = '\0';
		s = trim(line);
		res->lines++;
		if (!*s || *s == '#')
			continue;
		if (split_fields(s, f, 4, &nf, &why) < 0) {
			fprintf(err, "%s:%lld: %s\n", path, res->lines, why);
			res->bad++;
			continue;
		}
		if (nf < 2 || (strcmp(f[1], "delivered") && strcmp(f[1], "returned") &&
			       strcmp(f[1], "handed-out"))) {
			if (res->lines == 1 && !strcmp(f[0], "key"))
				continue; /* header line */
			fprintf(err,
				"%s:%lld: expected "
				"KEY,delivered|returned|handed-out[,DATE[,NOTE]]\n",
				path, res->lines);
			res->bad++;
			continue;
		}
		date = nf > 2 && f[2][0] ? f[2] : NULL;
		note = nf > 3 && f[3][0] ? f[3] : NULL;
		if ((r = check_line_text(f[0], note)) < 0 ||
		    (r = event_time(date, at, sizeof(at))) < 0) {
			fprintf(err, "%s:%lld: %s\n", path, res->lines, cp_errmsg());
			res->bad++;
			continue;
		}
		r = one_event(reg, f[0], f[1], date, at, note ? note : f[1]);
		if (r == CP_ERR_EXISTS) {
			res->already++;
		} else if (r == CP_ERR_NOTFOUND || r == CP_ERR_INVALID || r == CP_ERR_FORMAT) {
			fprintf(err, "%s:%lld: %s\n", path, res->lines, cp_errmsg());
			res->bad++;
		} else if (r < 0) {
			registry_rollback(reg);
			free(data);
			return cp_err_wrap(r, "%s:%lld: ", path, res->lines);
		} else if (!strcmp(f[1], "delivered")) {
			res->delivered++;
		} else if (!strcmp(f[1], "handed-out")) {
			res->handed_out++;
		} else {
			res->returned++;
		}
	}
	free(data);
	if ((r = registry_commit(reg)) < 0)
		return r;
	log_info("dispatch",
		 "delivery file %s: %lld delivered, %lld handed out, %lld returned, %lld already "
		 "recorded, %lld bad line(s)",
		 path, res->delivered, res->handed_out, res->returned, res->already, res->bad);
	return 0;
}

int
stage_dispatch_overdue(struct config *cfg, struct registry *reg, FILE *out, long long *count)
{
	struct dispatch_list l = {0};
	long long days = config_int(cfg, "dispatch.employer_return_days");
	char cutoff[32];
	int r;

	*count = 0;
	cp_iso_utc(cp_now() - (time_t)days * 86400, cutoff, sizeof(cutoff));
	if ((r = reg_dispatch_employer_overdue(reg, cutoff, &l)) < 0)
		return r;
	struct buf b = BUF_INIT(BUF_UNLIMITED);

	buf_appendf(&b, "employer_uscc,employer_name,card_no,name,id_number_masked,"
			"dispatched_at,days_out\r\n");
	for (size_t i = 0; i < l.n; i++) {
		const struct dispatch_card *c = &l.v[i];
		char idm[64], d[16], ds[24];
		int y, m, dd;
		long since = 0;

		mask_id(c->id_number ? c->id_number : "", idm, sizeof(idm));
		if (c->dispatched_at && strlen(c->dispatched_at) >= 10) {
			snprintf(d, sizeof(d), "%.10s", c->dispatched_at);
			if (cp_parse_date(d, &y, &m, &dd) == 0)
				since = (long)(cp_now() / 86400) - cp_days_from_civil(y, m, dd);
		}
		snprintf(ds, sizeof(ds), "%ld", since);
		if ((r = csv_field(&b, c->employer_uscc, CSV_NEXT)) < 0 ||
		    (r = csv_field(&b, c->employer_name, CSV_NEXT)) < 0 ||
		    (r = csv_field(&b, c->card_no, CSV_NEXT)) < 0 ||
		    (r = csv_field(&b, c->name, CSV_NEXT)) < 0 ||
		    (r = csv_field(&b, idm, CSV_NEXT)) < 0 ||
		    (r = csv_field(&b, c->dispatched_at, CSV_NEXT)) < 0 ||
		    (r = csv_field(&b, ds, CSV_CRLF)) < 0)
			break;
	}
	if (r == 0 && fwrite(buf_str(&b), 1, b.len, out) != b.len)
		r = cp_err(CP_ERR_IO, "overdue employer list: cannot write: %s", strerror(errno));
	buf_release(&b);
	if (r == 0)
		*count = (long long)l.n;
	dispatch_list_release(&l);
	return r;
}
