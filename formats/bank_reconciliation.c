/*
 * bank_reconciliation.c - the bank reconciliation report's XML and CSV
 * (bank_reconciliation.h): written from a struct bank_recon and read back into one. The
 * XML and the CSV carry the same figures; the CSV has named columns in any order and the
 * reader still takes the reports written before the columns had names.
 */
#include "formats/bank_reconciliation.h"

#include "core/clock.h"
#include "core/csv.h"
#include "core/err.h"
#include "core/mem.h"
#include "formats/xml_write.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlwriter.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RECON_NS "urn:cardpipe:bank-reconciliation:1"

void
bank_recon_release(struct bank_recon *rep)
{
	free(rep->bank);
	free(rep->day);
	for (size_t i = 0; i < rep->nspoiled; i++)
		free(rep->spoiled[i].code);
	free(rep->spoiled);
	for (size_t i = 0; i < rep->ncards; i++) {
		free(rep->cards[i].pan);
		free(rep->cards[i].card_no);
		free(rep->cards[i].produced_at);
	}
	free(rep->cards);
	for (size_t i = 0; i < rep->nrefunds; i++) {
		free(rep->refunds[i].channel_ref);
		free(rep->refunds[i].old_card_no);
		free(rep->refunds[i].new_card_no);
		free(rep->refunds[i].requested);
	}
	free(rep->refunds);
	memset(rep, 0, sizeof(*rep));
}

/* requested + days as "YYYY-MM-DD" */
static void
add_days(const char *date, int days, char out[16])
{
	int y, m, d;

	if (!date || cp_parse_date(date, &y, &m, &d) < 0) {
		snprintf(out, 16, "%s", date ? date : "");
		return;
	}
	cp_civil_from_days(cp_days_from_civil(y, m, d) + days, &y, &m, &d);
	snprintf(out, 16, "%04d-%02d-%02d", y, m, d);
}

static int
attr(xmlTextWriterPtr w, const char *name, const char *v)
{
	return xmlTextWriterWriteAttribute(w, BAD_CAST name, BAD_CAST(v ? v : ""));
}

int
bank_recon_write_xml(const struct bank_recon *rep, struct buf *out)
{
	xmlBufferPtr xb = xmlBufferCreate();
	xmlTextWriterPtr w = xmlNewTextWriterMemory(xb, 0);
	long long total = 0;
	int ok, r = 0;

	buf_init(out, BUF_UNLIMITED);
	for (size_t i = 0; i < rep->nrefunds; i++)
		if (rep->refunds[i].amount_fen < 0 ||
		    __builtin_add_overflow(total, rep->refunds[i].amount_fen, &total)) {
			xmlFreeTextWriter(w);
			xmlBufferFree(xb);
			return cp_err(CP_ERR_INTEGRITY,
				      "bank %s %s: transport refunds do not sum (application %lld: "
				      "%lld fen)",
				      rep->bank, rep->day, rep->refunds[i].app_id,
				      rep->refunds[i].amount_fen);
		}
	xmlTextWriterSetIndent(w, 1);
	xmlTextWriterSetIndentString(w, BAD_CAST "  ");
	ok = xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL) >= 0 &&
	     xmlTextWriterStartElementNS(w, NULL, BAD_CAST "BankReconciliation",
					 BAD_CAST RECON_NS) >= 0 &&
	     attr(w, "version", "1") >= 0 && attr(w, "bank", rep->bank) >= 0 &&
	     attr(w, "date", rep->day) >= 0 && attr(w, "issuer", rep->issuer) >= 0 &&
	     xmlTextWriterStartElement(w, BAD_CAST "Counts") >= 0 &&
	     xml_write_attr_ll(w, "ordered", rep->c.ordered) >= 0 &&
	     xml_write_attr_ll(w, "produced", rep->c.produced) >= 0 &&
	     xml_write_attr_ll(w, "spoiled", rep->c.spoiled) >= 0 &&
	     xml_write_attr_ll(w, "dispatched", rep->c.dispatched) >= 0 &&
	     xml_write_attr_ll(w, "returned", rep->c.returned) >= 0 &&
	     xmlTextWriterEndElement(w) >= 0 &&
	     xmlTextWriterStartElement(w, BAD_CAST "Spoiled") >= 0;
	for (size_t i = 0; ok && i < rep->nspoiled; i++)
		ok = xmlTextWriterStartElement(w, BAD_CAST "Reason") >= 0 &&
		     attr(w, "code", rep->spoiled[i].code) >= 0 &&
		     attr(w, "fault", rep->spoiled[i].fault) >= 0 &&
		     xml_write_attr_ll(w, "count", rep->spoiled[i].count) >= 0 &&
		     xmlTextWriterEndElement(w) >= 0;
	ok = ok && xmlTextWriterEndElement(w) >= 0 &&
	     xmlTextWriterStartElement(w, BAD_CAST "Cards") >= 0 &&
	     xml_write_attr_ll(w, "count", (long long)rep->ncards) >= 0;
	for (size_t i = 0; ok && i < rep->ncards; i++)
		ok = xmlTextWriterStartElement(w, BAD_CAST "Card") >= 0 &&
		     attr(w, "pan", rep->cards[i].pan) >= 0 &&
		     attr(w, "cardNo", rep->cards[i].card_no) >= 0 &&
		     attr(w, "producedAt", rep->cards[i].produced_at) >= 0 &&
		     xmlTextWriterEndElement(w) >= 0;
	ok = ok && xmlTextWriterEndElement(w) >= 0 &&
	     xmlTextWriterStartElement(w, BAD_CAST "TransportRefunds") >= 0 &&
	     xml_write_attr_ll(w, "count", (long long)rep->nrefunds) >= 0 &&
	     xml_write_attr_ll(w, "totalFen", total) >= 0 &&
	     xml_write_attr_ll(w, "dueDays", rep->refund_days) >= 0;
	for (size_t i = 0; ok && i < rep->nrefunds; i++) {
		const struct bank_recon_refund *f = &rep->refunds[i];
		char due[16];

		add_days(f->requested, rep->refund_days, due);
		ok = xmlTextWriterStartElement(w, BAD_CAST "Refund") >= 0 &&
		     xml_write_attr_ll(w, "application", f->app_id) >= 0 &&
		     attr(w, "channelRef", f->channel_ref) >= 0 &&
		     attr(w, "oldCardNo", f->old_card_no) >= 0 &&
		     attr(w, "newCardNo", f->new_card_no) >= 0 &&
		     xml_write_attr_ll(w, "amountFen", f->amount_fen) >= 0 &&
		     attr(w, "requested", f->requested) >= 0 && attr(w, "due", due) >= 0 &&
		     xmlTextWriterEndElement(w) >= 0;
	}
	ok = ok && xmlTextWriterEndDocument(w) >= 0;
	xmlFreeTextWriter(w);
	if (!ok)
		r = cp_err(CP_ERR_FORMAT, "bank %s %s: cannot write the reconciliation XML",
			   rep->bank, rep->day);
	else
		r = buf_append(out, xmlBufferContent(xb), (size_t)xmlBufferLength(xb));
	xmlBufferFree(xb);
	return r;
}

/* The bank CSV's columns (docs/dispatch.md): one meaning each; a record fills its own. */
enum {
	C_RECORD,
	C_BANK,
	C_DATE,
	C_VERSION,
	C_FIGURE,
	C_REASON,
	C_FAULT,
	C_COUNT,
	C_PAN,
	C_CARD_NO,
	C_PRODUCED_AT,
	C_APPLICATION,
	C_CHANNEL_REF,
	C_OLD_CARD_NO,
	C_NEW_CARD_NO,
	C_AMOUNT_FEN,
	C_DUE,
	C_N
};

static const char *const csv_cols[C_N] = {
	"record",      "bank",	      "date",	     "format_version", "figure",      "reason",
	"fault",       "count",	      "pan",	     "card_no",	       "produced_at", "application",
	"channel_ref", "old_card_no", "new_card_no", "amount_fen",     "due",
};

/* The header of reports before the columns had names; still read by verify. */
#define CSV_LEGACY_HEADER "record,a,b,c,d,e,f"

static int
csv_row(struct buf *out, const char *const v[C_N])
{
	int r = 0;

	for (int c = 0; r == 0 && c < C_N; c++)
		r = csv_field(out, v[c] ? v[c] : "", c + 1 < C_N ? CSV_NEXT : CSV_CRLF);
	return r;
}

static int
csv_count_row(struct buf *out, const char *record, int col, const char *name, long long n)
{
	char num[24];
	const char *v[C_N] = {[C_RECORD] = record, [C_COUNT] = num};

	v[col] = name;
	snprintf(num, sizeof(num), "%lld", n);
	return csv_row(out, v);
}

/* A spoiled record: the reason, whose fault it is (card or line), how many. */
static int
csv_spoiled_row(struct buf *out, const char *reason, const char *fault, long long n)
{
	char num[24];
	const char *v[C_N] = {
		[C_RECORD] = "spoiled", [C_REASON] = reason, [C_FAULT] = fault, [C_COUNT] = num};

	snprintf(num, sizeof(num), "%lld", n);
	return csv_row(out, v);
}

int
bank_recon_write_csv(const struct bank_recon *rep, struct buf *out)
{
	const char *hdr[C_N] = {[C_RECORD] = "header",
				[C_BANK] = rep->bank,
				[C_DATE] = rep->day,
				[C_VERSION] = "2"};
	const char *figures[] = {"ordered", "produced", "spoiled", "dispatched", "returned"};
	const long long fig[] = {rep->c.ordered, rep->c.produced, rep->c.spoiled, rep->c.dispatched,
				 rep->c.returned};
	int r;

	buf_init(out, BUF_UNLIMITED);
	r = csv_row(out, csv_cols) ?: csv_row(out, hdr);
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(figures); i++)
		r = csv_count_row(out, "count", C_FIGURE, figures[i], fig[i]);
	for (size_t i = 0; r == 0 && i < rep->nspoiled; i++)
		r = csv_spoiled_row(out, rep->spoiled[i].code, rep->spoiled[i].fault,
				    rep->spoiled[i].count);
	for (size_t i = 0; r == 0 && i < rep->ncards; i++) {
		const char *v[C_N] = {[C_RECORD] = "card",
				      [C_PAN] = rep->cards[i].pan,
				      [C_CARD_NO] = rep->cards[i].card_no,
				      [C_PRODUCED_AT] = rep->cards[i].produced_at};

		r = csv_row(out, v);
	}
	for (size_t i = 0; r == 0 && i < rep->nrefunds; i++) {
		const struct bank_recon_refund *f = &rep->refunds[i];
		char app[24], amount[24], due[16];
		const char *v[C_N] = {[C_RECORD] = "refund",
				      [C_APPLICATION] = app,
				      [C_CHANNEL_REF] = f->channel_ref,
				      [C_OLD_CARD_NO] = f->old_card_no,
				      [C_NEW_CARD_NO] = f->new_card_no,
				      [C_AMOUNT_FEN] = amount,
				      [C_DUE] = due};

		add_days(f->requested, rep->refund_days, due);
		snprintf(app, sizeof(app), "%lld", f->app_id);
		snprintf(amount, sizeof(amount), "%lld", f->amount_fen);
		r = csv_row(out, v);
	}
	return r;
}

/* ---- reading reports back ---- */

static char *
xattr(xmlNodePtr n, const char *name)
{
	xmlChar *v = xmlGetProp(n, BAD_CAST name);
	char *s = v ? xstrdup((const char *)v) : NULL;

	xmlFree(v);
	return s;
}

/* A count: digits only (no sign, no spaces, which strtoll would take), no overflow. */
static int
strict_count(const char *s, long long *out)
{
	long long v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || __builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, *s - '0', &v))
			return -1;
	}
	*out = v;
	return 0;
}

static int
xattr_ll(xmlNodePtr n, const char *name, long long *out)
{
	char *s = xattr(n, name);
	int r = 0;

	if (!s || !*s)
		r = cp_err(CP_ERR_FORMAT, "line %ld: element <%s> has no attribute '%s'",
			   (long)xmlGetLineNo(n), (const char *)n->name, name);
	else {
		if (strict_count(s, out) < 0)
			r = cp_err(CP_ERR_FORMAT, "line %ld: <%s %s='%.40s'> is not a count",
				   (long)xmlGetLineNo(n), (const char *)n->name, name, s);
	}
	free(s);
	return r;
}

static int
is_el(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name);
}

int
bank_recon_parse_xml(const unsigned char *data, size_t len, struct bank_recon *rep)
{
	xmlDocPtr doc;
	xmlNodePtr root;
	size_t cap;
	int r = 0;

	memset(rep, 0, sizeof(*rep));
	rep->stated_count = -1;
	if (len > INT32_MAX)
		return cp_err(CP_ERR_LIMIT, "report too large");
	doc = xmlReadMemory((const char *)data, (int)len, "report.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc)
		return cp_err(CP_ERR_FORMAT, "not well-formed XML: %s",
			      xmlGetLastError() ? xmlGetLastError()->message : "?");
	root = xmlDocGetRootElement(doc);
	if (!root || !is_el(root, "BankReconciliation") || !root->ns ||
	    strcmp((const char *)root->ns->href, RECON_NS)) {
		xmlFreeDoc(doc);
		return cp_err(CP_ERR_FORMAT, "root element is not <BankReconciliation xmlns='%s'>",
			      RECON_NS);
	}
	rep->bank = xattr(root, "bank");
	rep->day = xattr(root, "date");
	if (!rep->bank || !rep->day)
		r = cp_err(CP_ERR_FORMAT, "<BankReconciliation> needs 'bank' and 'date'");
	for (xmlNodePtr n = root->children; r == 0 && n; n = n->next) {
		if (is_el(n, "Counts")) {
			if ((r = xattr_ll(n, "ordered", &rep->c.ordered)) < 0 ||
			    (r = xattr_ll(n, "produced", &rep->c.produced)) < 0 ||
			    (r = xattr_ll(n, "spoiled", &rep->c.spoiled)) < 0 ||
			    (r = xattr_ll(n, "dispatched", &rep->c.dispatched)) < 0 ||
			    (r = xattr_ll(n, "returned", &rep->c.returned)) < 0)
				break;
		} else if (is_el(n, "Spoiled")) {
			cap = 0;
			for (xmlNodePtr k = n->children; r == 0 && k; k = k->next) {
				if (!is_el(k, "Reason"))
					continue;
				if (rep->nspoiled == cap) {
					cap = cap ? cap * 2 : 8;
					rep->spoiled =
						xrealloc(rep->spoiled, cap * sizeof(*rep->spoiled));
				}
				rep->spoiled[rep->nspoiled].code = xattr(k, "code");
				rep->spoiled[rep->nspoiled].fault = NULL;
				rep->spoiled[rep->nspoiled].count = 0;
				if (!rep->spoiled[rep->nspoiled].code)
					rep->spoiled[rep->nspoiled].code = xstrdup("");
				r = xattr_ll(k, "count", &rep->spoiled[rep->nspoiled].count);
				rep->nspoiled++;
			}
		} else if (is_el(n, "Cards")) {
			cap = 0;
			for (xmlNodePtr k = n->children; r == 0 && k; k = k->next) {
				struct bank_recon_card *c;

				if (!is_el(k, "Card"))
					continue;
				if (rep->ncards == cap) {
					cap = cap ? cap * 2 : 64;
					rep->cards =
						xrealloc(rep->cards, cap * sizeof(*rep->cards));
				}
				c = &rep->cards[rep->ncards++];
				c->pan = xattr(k, "pan");
				c->card_no = xattr(k, "cardNo");
				c->produced_at = xattr(k, "producedAt");
			}
		} else if (is_el(n, "TransportRefunds")) {
			if ((r = xattr_ll(n, "count", &rep->stated_count)) < 0 ||
			    (r = xattr_ll(n, "totalFen", &rep->total_fen)) < 0)
				break;
			cap = 0;
			for (xmlNodePtr k = n->children; r == 0 && k; k = k->next) {
				struct bank_recon_refund *f;

				if (!is_el(k, "Refund"))
					continue;
				if (rep->nrefunds == cap) {
					cap = cap ? cap * 2 : 8;
					rep->refunds =
						xrealloc(rep->refunds, cap * sizeof(*rep->refunds));
				}
				f = &rep->refunds[rep->nrefunds++];
				memset(f, 0, sizeof(*f));
				f->channel_ref = xattr(k, "channelRef");
				f->old_card_no = xattr(k, "oldCardNo");
				f->new_card_no = xattr(k, "newCardNo");
				f->requested = xattr(k, "requested");
				if ((r = xattr_ll(k, "application", &f->app_id)) == 0)
					r = xattr_ll(k, "amountFen", &f->amount_fen);
			}
		}
	}
	xmlFreeDoc(doc);
	if (r < 0)
		bank_recon_release(rep);
	return r;
}

/* Split a CSV line (this format never quotes except in refund references) into fields. */
static int
split_csv(char *line, char **f, int max)
{
	int n = 0;
	char *p = line;

	while (n < max) {
		if (*p == '"') {
			char *w = ++p;

			f[n++] = w;
			while (*p && !(*p == '"' && p[1] != '"')) {
				if (*p == '"')
					p++;
				*w++ = *p++;
			}
			if (*p == '"')
				p++;
			*w = '\0';
			if (*p == ',')
				p++;
			else
				break;
		} else {
			char *comma = strchr(p, ',');

			f[n++] = p;
			if (!comma)
				break;
			*comma = '\0';
			p = comma + 1;
		}
	}
	return n;
}

static int
parse_count(const char *s, long long *out, long line)
{
	if (strict_count(s, out) < 0)
		return cp_err(CP_ERR_FORMAT, "line %ld: '%.40s' is not a count", line, s);
	return 0;
}

/* Map the named header line to column positions: every column of csv_cols, any order. */
static int
csv_columns(char *line, int col[C_N])
{
	char *h[C_N + 8] = {0};
	int n = split_csv(line, h, C_N + 8);

	for (int c = 0; c < C_N; c++) {
		col[c] = -1;
		for (int k = 0; k < n; k++)
			if (!strcmp(h[k], csv_cols[c]))
				col[c] = k;
		if (col[c] < 0)
			return cp_err(CP_ERR_FORMAT, "line 1: no column '%s' in the header",
				      csv_cols[c]);
	}
	return 0;
}

/* A named-column row as the record's fields in order (record, then what it carries), the
 * layout the record parser reads; returns how many. */
static int
csv_positional(char **raw, int n, const int col[C_N], char **f)
{
	static const int layout[][7] = {
		{C_BANK, C_DATE, C_VERSION, -1},
		{C_FIGURE, C_COUNT, -1},
		{C_REASON, C_COUNT, C_FAULT, -1},
		{C_PAN, C_CARD_NO, C_PRODUCED_AT, -1},
		{C_APPLICATION, C_CHANNEL_REF, C_OLD_CARD_NO, C_NEW_CARD_NO, C_AMOUNT_FEN, C_DUE,
		 -1},
	};
	static const char *const records[] = {"header", "count", "spoiled", "card", "refund"};
	static char empty[1];
	char *rec = col[C_RECORD] < n ? raw[col[C_RECORD]] : empty;
	int k = 0;

	f[k++] = rec;
	for (size_t i = 0; i < ARRAY_SIZE(records); i++) {
		if (strcmp(rec, records[i]))
			continue;
		for (int j = 0; layout[i][j] >= 0; j++)
			f[k++] = col[layout[i][j]] < n ? raw[col[layout[i][j]]] : empty;
		return k;
	}
	return 3; /* unknown record: reported by name */
}

int
bank_recon_parse_csv(const unsigned char *data, size_t len, struct bank_recon *rep)
{
	char *text = xstrndup((const char *)data, len), *save = NULL, *line;
	size_t cs = 0, cc = 0, cr = 0;
	int col[C_N], legacy = 0;
	long ln = 0;
	int r = 0;

	memset(rep, 0, sizeof(*rep));
	rep->stated_count = -1;
	for (line = strtok_r(text, "\n", &save); r == 0 && line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *raw[C_N + 1] = {0}, *f[8] = {0};
		int n;
		size_t l = strlen(line);

		ln++;
		if (l && line[l - 1] == '\r')
			line[l - 1] = '\0';
		if (ln == 1) {
			legacy = !strcmp(line, CSV_LEGACY_HEADER);
			if (!legacy)
				r = csv_columns(line, col);
			continue;
		}
		if (!*line)
			continue;
		n = split_csv(line, raw, C_N + 1);
		if (legacy)
			memcpy(f, raw, sizeof(f));
		else
			n = csv_positional(raw, n, col, f);
		if (n < 3) {
			r = cp_err(CP_ERR_FORMAT, "line %ld: too few fields", ln);
		} else if (!strcmp(f[0], "header")) {
			free(rep->bank);
			free(rep->day);
			rep->bank = xstrdup(f[1]);
			rep->day = xstrdup(f[2]);
		} else if (!strcmp(f[0], "count")) {
			long long *dst = !strcmp(f[1], "ordered")      ? &rep->c.ordered
					 : !strcmp(f[1], "produced")   ? &rep->c.produced
					 : !strcmp(f[1], "spoiled")    ? &rep->c.spoiled
					 : !strcmp(f[1], "dispatched") ? &rep->c.dispatched
					 : !strcmp(f[1], "returned")   ? &rep->c.returned
								       : NULL;

			r = dst ? parse_count(f[2], dst, ln)
				: cp_err(CP_ERR_FORMAT, "line %ld: unknown count '%s'", ln, f[1]);
		} else if (!strcmp(f[0], "spoiled")) {
			if (rep->nspoiled == cs) {
				cs = cs ? cs * 2 : 8;
				rep->spoiled = xrealloc(rep->spoiled, cs * sizeof(*rep->spoiled));
			}
			rep->spoiled[rep->nspoiled].code = xstrdup(f[1]);
			rep->spoiled[rep->nspoiled].fault = NULL;
			r = parse_count(f[2], &rep->spoiled[rep->nspoiled++].count, ln);
		} else if (!strcmp(f[0], "card") && n >= 4) {
			if (rep->ncards == cc) {
				cc = cc ? cc * 2 : 64;
				rep->cards = xrealloc(rep->cards, cc * sizeof(*rep->cards));
			}
			rep->cards[rep->ncards].pan = xstrdup(f[1]);
			rep->cards[rep->ncards].card_no = xstrdup(f[2]);
			rep->cards[rep->ncards++].produced_at = xstrdup(f[3]);
		} else if (!strcmp(f[0], "refund") && n >= 7) {
			struct bank_recon_refund *x;

			if (rep->nrefunds == cr) {
				cr = cr ? cr * 2 : 8;
				rep->refunds = xrealloc(rep->refunds, cr * sizeof(*rep->refunds));
			}
			x = &rep->refunds[rep->nrefunds++];
			memset(x, 0, sizeof(*x));
			x->channel_ref = xstrdup(f[2]);
			x->old_card_no = xstrdup(f[3]);
			x->new_card_no = xstrdup(f[4]);
			if ((r = parse_count(f[1], &x->app_id, ln)) == 0)
				r = parse_count(f[5], &x->amount_fen, ln);
		} else {
			r = cp_err(CP_ERR_FORMAT, "line %ld: unknown record '%s'", ln, f[0]);
		}
	}
	free(text);
	if (r == 0 && (!rep->bank || !rep->day))
		r = cp_err(CP_ERR_FORMAT, "no header record (bank and date)");
	/* the CSV states no total: it is the refunds' sum, which must not overflow */
	for (size_t i = 0; r == 0 && i < rep->nrefunds; i++)
		if (__builtin_add_overflow(rep->total_fen, rep->refunds[i].amount_fen,
					   &rep->total_fen))
			r = cp_err(CP_ERR_FORMAT, "the refund amounts overflow when summed");
	if (r < 0)
		bank_recon_release(rep);
	return r;
}
