/*
 * manifest.c - the list files of a dispatch batch (manifest.h): mail manifest CSV and XML,
 * the per-district summary, pickup lists per branch, delivery lists per employer.
 *
 * The manifest holds every item that goes by post: cards mailed to the person and cards
 * mailed to their employer (with the employer as organisation).
 * The post gets the recipient's full mobile number: China Post / EMS phone the recipient
 * to arrange delivery of registered items, so a masked number would make the manifest
 * useless to them. dispatch.manifest_mobile = masked turns this off. ID numbers are
 * always masked: the post has no use for them.
 */
#include "pipeline/stages/manifest.h"

#include "core/csv.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/mask.h"
#include "core/mem.h"
#include "pipeline/rules/district.h"

#include <errno.h>
#include <iconv.h>
#include <libxml/xmlwriter.h>
#include <stdlib.h>
#include <string.h>

#define MANIFEST_NS "urn:cardpipe:mail-manifest:1"

int
csv_encode(const struct buf *utf8, const char *encoding, struct buf *out)
{
	iconv_t cd;
	char *in, *o;
	size_t inleft, outleft, cap;
	int r = 0;

	buf_init(out, BUF_UNLIMITED);
	if (!strcmp(encoding, "utf-8")) {
		if ((r = buf_append(out, "\xef\xbb\xbf", 3)) == 0)
			r = buf_append(out, buf_str(utf8), utf8->len);
		return r;
	}
	if (strcmp(encoding, "gb18030"))
		return cp_err(CP_ERR_CONFIG,
			      "dispatch.csv_encoding must be utf-8 or gb18030, not '%s'", encoding);
	if ((cd = iconv_open("GB18030", "UTF-8")) == (iconv_t)-1)
		return cp_err(CP_ERR_UNSUPPORTED, "iconv cannot convert UTF-8 to GB18030");
	/* GB18030 needs at most 4 bytes per character, UTF-8 at least 1 */
	cap = utf8->len * 4 + 16;
	out->data = xmalloc(cap);
	out->cap = cap;
	in = (char *)buf_str(utf8);
	inleft = utf8->len;
	o = (char *)out->data;
	outleft = cap - 1;
	if (iconv(cd, &in, &inleft, &o, &outleft) == (size_t)-1)
		r = cp_err(CP_ERR_FORMAT, "cannot encode text as GB18030 at byte %zu: %s",
			   utf8->len - inleft, strerror(errno));
	iconv_close(cd);
	out->len = cap - 1 - outleft;
	out->data[out->len] = '\0';
	if (r < 0)
		buf_release(out);
	return r;
}

static int
write_csv(const struct config *cfg, const char *dir, const char *name, const struct buf *utf8)
{
	struct buf enc;
	char *path = fs_join(dir, name);
	int r;

	if ((r = csv_encode(utf8, config_str(cfg, "dispatch.csv_encoding"), &enc)) == 0)
		r = fs_write_atomic(path, enc.data, enc.len, 0600);
	if (r < 0)
		r = cp_err_wrap(r, "%s: ", path);
	buf_release(&enc);
	free(path);
	return r;
}

static const char *
nz(const char *s)
{
	return s ? s : "";
}

/* The addressee organisation of a card mailed to the employer ("" otherwise). */
static const char *
organisation(const struct dispatch_card *c)
{
	return strcmp(c->method, "employer") ? "" : nz(c->employer_name);
}

static const char *
mobile_for_post(const struct config *cfg, const char *mobile, char *masked, size_t sz)
{
	if (!mobile)
		return "";
	if (!strcmp(config_str(cfg, "dispatch.manifest_mobile"), "masked")) {
		mask_mobile(mobile, masked, sz);
		return masked;
	}
	return mobile;
}

/* Summary of one district: items and distinct bags (items are sorted by postal code and
 * bag, so a bag's items are adjacent). */
struct district_sum {
	const char *district;
	long long items, bags;
	const char *last_bag;
};

static struct district_sum *
district_summary(const struct dispatch_list *items, size_t *n)
{
	struct district_sum *v = NULL;
	size_t cnt = 0;

	for (size_t i = 0; i < items->n; i++) {
		const struct dispatch_card *c = &items->v[i];
		const char *d = c->district ? c->district : "";
		size_t k;

		if (!c->tracking_no)
			continue;
		for (k = 0; k < cnt && strcmp(v[k].district, d); k++)
			;
		if (k == cnt) {
			v = xrealloc(v, (cnt + 1) * sizeof(*v));
			v[cnt++] = (struct district_sum){d, 0, 0, NULL};
		}
		v[k].items++;
		if (!v[k].last_bag || strcmp(v[k].last_bag, c->bag ? c->bag : "")) {
			v[k].bags++;
			v[k].last_bag = c->bag ? c->bag : "";
		}
	}
	/* district code order, for a stable file */
	for (size_t i = 1; i < cnt; i++)
		for (size_t j = i; j > 0 && strcmp(v[j - 1].district, v[j].district) > 0; j--) {
			struct district_sum t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	*n = cnt;
	return v;
}

static int
mail_csv(const struct config *cfg, const char *dir, const struct dispatch_list *items)
{
	struct buf b = BUF_INIT(BUF_UNLIMITED);
	char idm[64], mob[32];
	long long seq = 0;
	int r;

	r = buf_appendf(&b, "seq,bag,tracking_no,postal_code,district,recipient,organisation,"
			    "address,mobile,card_no,id_number_masked,sla_due_date\r\n");
	for (size_t i = 0; r == 0 && i < items->n; i++) {
		const struct dispatch_card *c = &items->v[i];
		char s[24];

		if (!c->tracking_no)
			continue;
		snprintf(s, sizeof(s), "%lld", ++seq);
		mask_id(c->id_number ? c->id_number : "", idm, sizeof(idm));
		if ((r = csv_field(&b, s, CSV_NEXT)) < 0 ||
		    (r = csv_field(&b, c->bag, CSV_NEXT)) < 0 ||
		    (r = csv_field(&b, c->tracking_no, CSV_NEXT)) < 0 ||
		    (r = csv_field(&b, c->postal_code, CSV_NEXT)) < 0 ||
		    (r = csv_field(&b, c->district, CSV_NEXT)) < 0 ||
		    (r = csv_field(&b, c->name, CSV_NEXT)) < 0 ||
		    (r = csv_field(&b, organisation(c), CSV_NEXT)) < 0 ||
		    (r = csv_field(&b, c->address, CSV_NEXT)) < 0 ||
		    (r = csv_field(&b, mobile_for_post(cfg, c->mobile, mob, sizeof(mob)),
				   CSV_NEXT)) < 0 ||
		    (r = csv_field(&b, c->card_no, CSV_NEXT)) < 0 ||
		    (r = csv_field(&b, idm, CSV_NEXT)) < 0 ||
		    (r = csv_field(&b, c->due_date, CSV_CRLF)) < 0)
			break;
	}
	if (r == 0)
		r = write_csv(cfg, dir, "mail-manifest.csv", &b);
	buf_release(&b);
	return r;
}

static int
district_csv(const struct config *cfg, const char *dir, const struct dispatch_list *items)
{
	struct buf b = BUF_INIT(BUF_UNLIMITED);
	struct district_sum *d;
	size_t n;
	int r;

	d = district_summary(items, &n);
	r = buf_appendf(&b, "district,district_name,items,bags\r\n");
	for (size_t i = 0; r == 0 && i < n; i++) {
		const char *name = district_name(d[i].district);

		if ((r = csv_field(&b, d[i].district, CSV_NEXT)) == 0 &&
		    (r = csv_field(&b, name ? name : "", CSV_NEXT)) == 0)
			r = buf_appendf(&b, "%lld,%lld\r\n", d[i].items, d[i].bags);
	}
	if (r == 0)
		r = write_csv(cfg, dir, "mail-districts.csv", &b);
	free(d);
	buf_release(&b);
	return r;
}

/* <Name code="AAC003">value</Name> */
static int
xml_el(xmlTextWriterPtr w, const char *name, const char *code, const char *value)
{
	if (xmlTextWriterStartElement(w, BAD_CAST name) < 0)
		return -1;
	if (code && xmlTextWriterWriteAttribute(w, BAD_CAST "code", BAD_CAST code) < 0)
		return -1;
	if (xmlTextWriterWriteString(w, BAD_CAST(value ? value : "")) < 0)
		return -1;
	return xmlTextWriterEndElement(w);
}

static int
mail_xml(const struct config *cfg, const char *dir, const char *batch,
	 const struct dispatch_list *items)
{
	xmlBufferPtr xb = xmlBufferCreate();
	xmlTextWriterPtr w = xmlNewTextWriterMemory(xb, 0);
	struct district_sum *d;
	long long nmail = 0, nbags = 0, seq = 0;
	const char *bag = NULL;
	char ts[32], num[24], idm[64], mob[32], *path;
	size_t nd;
	int ok = 0, r = 0;

	d = district_summary(items, &nd);
	for (size_t i = 0; i < nd; i++) {
		nmail += d[i].items;
		nbags += d[i].bags;
	}
	cp_iso_utc(cp_now(), ts, sizeof(ts));
	xmlTextWriterSetIndent(w, 1);
	xmlTextWriterSetIndentString(w, BAD_CAST "  ");
	ok = xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL) >= 0 &&
	     xmlTextWriterStartElementNS(w, NULL, BAD_CAST "MailManifest", BAD_CAST MANIFEST_NS) >=
		     0 &&
	     xmlTextWriterWriteAttribute(w, BAD_CAST "version", BAD_CAST "1") >= 0 &&
	     xmlTextWriterWriteAttribute(w, BAD_CAST "batch", BAD_CAST batch) >= 0 &&
	     xmlTextWriterWriteAttribute(w, BAD_CAST "created", BAD_CAST ts) >= 0 &&
	     xmlTextWriterWriteAttribute(w, BAD_CAST "sender",
					 BAD_CAST config_str(cfg, "general.bureau_name")) >= 0;
	snprintf(num, sizeof(num), "%lld", nmail);
	ok = ok && xmlTextWriterWriteAttribute(w, BAD_CAST "items", BAD_CAST num) >= 0;
	snprintf(num, sizeof(num), "%lld", nbags);
	ok = ok && xmlTextWriterWriteAttribute(w, BAD_CAST "bags", BAD_CAST num) >= 0;
	for (size_t i = 0; ok && i < items->n; i++) {
		const struct dispatch_card *c = &items->v[i];

		if (!c->tracking_no)
			continue;
		if (!bag || strcmp(bag, c->bag ? c->bag : "")) {
			if (bag)
				ok = xmlTextWriterEndElement(w) >= 0;
			bag = c->bag ? c->bag : "";
			ok = ok && xmlTextWriterStartElement(w, BAD_CAST "Bag") >= 0 &&
			     xmlTextWriterWriteAttribute(w, BAD_CAST "id", BAD_CAST bag) >= 0 &&
			     xmlTextWriterWriteAttribute(
				     w, BAD_CAST "postalCode",
				     BAD_CAST(c->postal_code ? c->postal_code : "")) >= 0;
		}
		snprintf(num, sizeof(num), "%lld", ++seq);
		mask_id(c->id_number ? c->id_number : "", idm, sizeof(idm));
		ok = ok && xmlTextWriterStartElement(w, BAD_CAST "Item") >= 0 &&
		     xmlTextWriterWriteAttribute(w, BAD_CAST "seq", BAD_CAST num) >= 0 &&
		     xml_el(w, "TrackingNo", NULL, c->tracking_no) >= 0 &&
		     xml_el(w, "CardNo", "AAZ500", c->card_no) >= 0 &&
		     xml_el(w, "Recipient", "AAC003", c->name) >= 0 &&
		     (!organisation(c)[0] ||
		      xml_el(w, "Organisation", NULL, organisation(c)) >= 0) &&
		     xml_el(w, "IdNumberMasked", "AAC002", idm) >= 0 &&
		     xml_el(w, "Mobile", "AAE005",
			    mobile_for_post(cfg, c->mobile, mob, sizeof(mob))) >= 0 &&
		     xml_el(w, "Address", "AAE006", c->address) >= 0 &&
		     xml_el(w, "PostalCode", "AAE007", c->postal_code) >= 0 &&
		     xml_el(w, "District", "AAB301", c->district) >= 0 &&
		     xml_el(w, "SlaDueDate", NULL, c->due_date) >= 0 &&
		     xmlTextWriterEndElement(w) >= 0;
	}
	if (ok && bag)
		ok = xmlTextWriterEndElement(w) >= 0;
	ok = ok && xmlTextWriterStartElement(w, BAD_CAST "Summary") >= 0;
	for (size_t i = 0; ok && i < nd; i++) {
		char a[24], b2[24];

		snprintf(a, sizeof(a), "%lld", d[i].items);
		snprintf(b2, sizeof(b2), "%lld", d[i].bags);
		ok = xmlTextWriterStartElement(w, BAD_CAST "District") >= 0 &&
		     xmlTextWriterWriteAttribute(w, BAD_CAST "code", BAD_CAST d[i].district) >= 0 &&
		     (!district_name(d[i].district) ||
		      xmlTextWriterWriteAttribute(w, BAD_CAST "name",
						  BAD_CAST district_name(d[i].district)) >= 0) &&
		     xmlTextWriterWriteAttribute(w, BAD_CAST "items", BAD_CAST a) >= 0 &&
		     xmlTextWriterWriteAttribute(w, BAD_CAST "bags", BAD_CAST b2) >= 0 &&
		     xmlTextWriterEndElement(w) >= 0;
	}
	ok = ok && xmlTextWriterEndDocument(w) >= 0;
	xmlFreeTextWriter(w);
	path = fs_join(dir, "mail-manifest.xml");
	if (!ok)
		r = cp_err(CP_ERR_FORMAT,
			   "%s: cannot write the XML (a text field is not valid UTF-8?)", path);
	else if ((r = fs_write_atomic(path, xmlBufferContent(xb), (size_t)xmlBufferLength(xb),
				      0600)) < 0)
		r = cp_err_wrap(r, "%s: ", path);
	free(path);
	free(d);
	xmlBufferFree(xb);
	return r;
}

/* Destination, then card number: the order of a pickup or employer list. */
static int
cmp_dest(const void *a, const void *b)
{
	const struct dispatch_card *x = *(const struct dispatch_card *const *)a,
				   *y = *(const struct dispatch_card *const *)b;
	int c = strcmp(nz(x->destination), nz(y->destination));

	return c ? c : strcmp(nz(x->card_no), nz(y->card_no));
}

static int
dest_line(struct buf *b, const struct dispatch_card *c, const char *method, int return_days)
{
	char idm[64], mob[32], days[16];

	mask_id(nz(c->id_number), idm, sizeof(idm));
	mask_mobile(nz(c->mobile), mob, sizeof(mob));
	snprintf(days, sizeof(days), "%d", return_days);
	if (!strcmp(method, "pickup"))
		return csv_field(b, c->destination, CSV_NEXT) ?: csv_field(b, c->card_no, CSV_NEXT)
			?: csv_field(b, c->name, CSV_NEXT) ?: csv_field(b, idm, CSV_NEXT) ?: csv_field(b, mob, CSV_NEXT)
			?: csv_field(b, c->bank, CSV_NEXT) ?: csv_field(b, c->due_date, CSV_CRLF);
	return csv_field(b, c->destination, CSV_NEXT) ?: csv_field(b, c->employer_name, CSV_NEXT)
		?: csv_field(b, c->card_no, CSV_NEXT) ?: csv_field(b, c->name, CSV_NEXT)
		?: csv_field(b, idm, CSV_NEXT) ?: csv_field(b, days, CSV_CRLF);
}

/* One CSV per destination (branch or employer) of the given method. */
static int
per_destination(const struct config *cfg, const char *dir, const struct dispatch_list *items,
		const char *method, const char *prefix)
{
	int return_days = (int)config_int(cfg, "dispatch.employer_return_days");
	const struct dispatch_card **v = xcalloc(items->n + 1, sizeof(*v));
	size_t n = 0;
	int r = 0;

	for (size_t i = 0; i < items->n; i++)
		if (!strcmp(items->v[i].method, method))
			v[n++] = &items->v[i];
	qsort(v, n, sizeof(*v), cmp_dest);
	for (size_t i = 0; r == 0 && i < n;) {
		struct buf b = BUF_INIT(BUF_UNLIMITED);
		const char *dest = nz(v[i]->destination);
		char *name;

		if (!strcmp(method, "pickup"))
			r = buf_appendf(&b,
					"branch,card_no,name,id_number_masked,mobile_masked,bank,"
					"sla_due_date\r\n");
		else
			r = buf_appendf(&b, "employer_uscc,employer_name,card_no,name,"
					    "id_number_masked,return_within_days\r\n");
		for (; r == 0 && i < n && !strcmp(nz(v[i]->destination), dest); i++)
			r = dest_line(&b, v[i], method, return_days);
		name = xasprintf("%s-%s.csv", prefix, dest);
		/* the destination comes from input: keep it a plain file name */
		for (char *p = name + strlen(prefix) + 1; *p && strcmp(p, ".csv"); p++)
			if (!((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z') ||
			      (*p >= 'a' && *p <= 'z') || *p == '-' || *p == '_'))
				*p = '_';
		if (r == 0)
			r = write_csv(cfg, dir, name, &b);
		free(name);
		buf_release(&b);
	}
	free(v);
	return r;
}

int
manifest_write_batch(const struct config *cfg, const char *dir, const char *batch,
		     const struct dispatch_list *items)
{
	int r, has_mail = 0;

	if ((r = fs_mkdirs(dir, 0700)) < 0)
		return r;
	for (size_t i = 0; i < items->n; i++)
		has_mail |= items->v[i].tracking_no != NULL;
	if (has_mail &&
	    ((r = mail_csv(cfg, dir, items)) < 0 || (r = mail_xml(cfg, dir, batch, items)) < 0 ||
	     (r = district_csv(cfg, dir, items)) < 0))
		return r;
	if ((r = per_destination(cfg, dir, items, "pickup", "pickup")) < 0 ||
	    (r = per_destination(cfg, dir, items, "employer", "employer")) < 0)
		return r;
	return 0;
}
