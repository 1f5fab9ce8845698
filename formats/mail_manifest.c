/*
 * mail_manifest.c - the mail manifest's files (mail_manifest.h): the CSV, the XML
 * (formats/mail-manifest.xsd, namespace urn:cardpipe:mail-manifest:1) and the summary per
 * district. ID numbers are always masked: the post has no use for them.
 */
#include "formats/mail_manifest.h"

#include "core/csv.h"
#include "core/err.h"
#include "core/mask.h"
#include "core/mem.h"
#include "formats/xml_write.h"

#include <libxml/xmlwriter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MANIFEST_NS "urn:cardpipe:mail-manifest:1"

static const char *
nz(const char *s)
{
	return s ? s : "";
}

void
mail_districts(const struct mail_item *items, size_t n, struct mail_district **out, size_t *nout)
{
	struct mail_district *v = NULL;
	const char **last_bag = NULL;
	size_t cnt = 0;

	for (size_t i = 0; i < n; i++) {
		const struct mail_item *c = &items[i];
		const char *d = nz(c->district);
		size_t k;

		for (k = 0; k < cnt && strcmp(v[k].district, d); k++)
			;
		if (k == cnt) {
			v = xrealloc(v, (cnt + 1) * sizeof(*v));
			last_bag = xrealloc(last_bag, (cnt + 1) * sizeof(*last_bag));
			v[cnt] = (struct mail_district){d, c->district_name, 0, 0};
			last_bag[cnt++] = NULL;
		}
		v[k].items++;
		/* items are sorted by postal code and bag, so a bag's items are adjacent */
		if (!last_bag[k] || strcmp(last_bag[k], nz(c->bag))) {
			v[k].bags++;
			last_bag[k] = nz(c->bag);
		}
	}
	free(last_bag);
	/* district code order, for a stable file */
	for (size_t i = 1; i < cnt; i++)
		for (size_t j = i; j > 0 && strcmp(v[j - 1].district, v[j].district) > 0; j--) {
			struct mail_district t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	*out = v;
	*nout = cnt;
}

int
mail_manifest_csv(const struct mail_item *v, size_t n, struct buf *b)
{
	char idm[64];
	int r;

	r = buf_appendf(b, "seq,bag,tracking_no,postal_code,district,recipient,organisation,"
			   "address,mobile,card_no,id_number_masked,sla_due_date\r\n");
	for (size_t i = 0; r == 0 && i < n; i++) {
		const struct mail_item *c = &v[i];
		char s[24];

		snprintf(s, sizeof(s), "%zu", i + 1);
		mask_id(nz(c->id_number), idm, sizeof(idm));
		if ((r = csv_field(b, s, CSV_NEXT)) < 0 ||
		    (r = csv_field(b, c->bag, CSV_NEXT)) < 0 ||
		    (r = csv_field(b, c->tracking_no, CSV_NEXT)) < 0 ||
		    (r = csv_field(b, c->postal_code, CSV_NEXT)) < 0 ||
		    (r = csv_field(b, c->district, CSV_NEXT)) < 0 ||
		    (r = csv_field(b, c->recipient, CSV_NEXT)) < 0 ||
		    (r = csv_field(b, nz(c->organisation), CSV_NEXT)) < 0 ||
		    (r = csv_field(b, c->address, CSV_NEXT)) < 0 ||
		    (r = csv_field(b, nz(c->mobile), CSV_NEXT)) < 0 ||
		    (r = csv_field(b, c->card_no, CSV_NEXT)) < 0 ||
		    (r = csv_field(b, idm, CSV_NEXT)) < 0 ||
		    (r = csv_field(b, c->due_date, CSV_CRLF)) < 0)
			break;
	}
	return r;
}

int
mail_districts_csv(const struct mail_item *v, size_t n, struct buf *b)
{
	struct mail_district *d;
	size_t nd;
	int r;

	mail_districts(v, n, &d, &nd);
	r = buf_appendf(b, "district,district_name,items,bags\r\n");
	for (size_t i = 0; r == 0 && i < nd; i++) {
		if ((r = csv_field(b, d[i].district, CSV_NEXT)) == 0 &&
		    (r = csv_field(b, nz(d[i].name), CSV_NEXT)) == 0)
			r = buf_appendf(b, "%lld,%lld\r\n", d[i].items, d[i].bags);
	}
	free(d);
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
	if (xmlTextWriterWriteString(w, BAD_CAST nz(value)) < 0)
		return -1;
	return xmlTextWriterEndElement(w);
}

/* <MailManifest ...> with its attributes */
static int
xml_root(xmlTextWriterPtr w, const struct mail_manifest_head *h, const struct mail_district *d,
	 size_t nd)
{
	long long nmail = 0, nbags = 0;

	for (size_t i = 0; i < nd; i++) {
		nmail += d[i].items;
		nbags += d[i].bags;
	}
	return xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL) >= 0 &&
	       xmlTextWriterStartElementNS(w, NULL, BAD_CAST "MailManifest",
					   BAD_CAST MANIFEST_NS) >= 0 &&
	       xmlTextWriterWriteAttribute(w, BAD_CAST "version", BAD_CAST "1") >= 0 &&
	       xmlTextWriterWriteAttribute(w, BAD_CAST "batch", BAD_CAST nz(h->batch)) >= 0 &&
	       xmlTextWriterWriteAttribute(w, BAD_CAST "created", BAD_CAST nz(h->created)) >= 0 &&
	       xmlTextWriterWriteAttribute(w, BAD_CAST "sender", BAD_CAST nz(h->sender)) >= 0 &&
	       xml_write_attr_ll(w, "items", nmail) >= 0 &&
	       xml_write_attr_ll(w, "bags", nbags) >= 0;
}

/* <Item seq="N">...</Item> */
static int
xml_item(xmlTextWriterPtr w, const struct mail_item *c, size_t seq)
{
	char idm[64];

	mask_id(nz(c->id_number), idm, sizeof(idm));
	return xmlTextWriterStartElement(w, BAD_CAST "Item") >= 0 &&
	       xml_write_attr_ll(w, "seq", (long long)seq) >= 0 &&
	       xml_el(w, "TrackingNo", NULL, c->tracking_no) >= 0 &&
	       xml_el(w, "CardNo", "AAZ500", c->card_no) >= 0 &&
	       xml_el(w, "Recipient", "AAC003", c->recipient) >= 0 &&
	       (!nz(c->organisation)[0] || xml_el(w, "Organisation", NULL, c->organisation) >= 0) &&
	       xml_el(w, "IdNumberMasked", "AAC002", idm) >= 0 &&
	       xml_el(w, "Mobile", "AAE005", c->mobile) >= 0 &&
	       xml_el(w, "Address", "AAE006", c->address) >= 0 &&
	       xml_el(w, "PostalCode", "AAE007", c->postal_code) >= 0 &&
	       xml_el(w, "District", "AAB301", c->district) >= 0 &&
	       xml_el(w, "SlaDueDate", NULL, c->due_date) >= 0 && xmlTextWriterEndElement(w) >= 0;
}

/* The items, each bag an element <Bag id postalCode> around its items. */
static int
xml_bags(xmlTextWriterPtr w, const struct mail_item *v, size_t n)
{
	const char *bag = NULL;
	int ok = 1;

	for (size_t i = 0; ok && i < n; i++) {
		const struct mail_item *c = &v[i];

		if (!bag || strcmp(bag, nz(c->bag))) {
			if (bag)
				ok = xmlTextWriterEndElement(w) >= 0;
			bag = nz(c->bag);
			ok = ok && xmlTextWriterStartElement(w, BAD_CAST "Bag") >= 0 &&
			     xmlTextWriterWriteAttribute(w, BAD_CAST "id", BAD_CAST bag) >= 0 &&
			     xmlTextWriterWriteAttribute(w, BAD_CAST "postalCode",
							 BAD_CAST nz(c->postal_code)) >= 0;
		}
		ok = ok && xml_item(w, c, i + 1);
	}
	if (ok && bag)
		ok = xmlTextWriterEndElement(w) >= 0;
	return ok;
}

/* <Summary> with a <District code name items bags/> each */
static int
xml_summary(xmlTextWriterPtr w, const struct mail_district *d, size_t nd)
{
	int ok = xmlTextWriterStartElement(w, BAD_CAST "Summary") >= 0;

	for (size_t i = 0; ok && i < nd; i++)
		ok = xmlTextWriterStartElement(w, BAD_CAST "District") >= 0 &&
		     xmlTextWriterWriteAttribute(w, BAD_CAST "code", BAD_CAST d[i].district) >= 0 &&
		     (!d[i].name ||
		      xmlTextWriterWriteAttribute(w, BAD_CAST "name", BAD_CAST d[i].name) >= 0) &&
		     xml_write_attr_ll(w, "items", d[i].items) >= 0 &&
		     xml_write_attr_ll(w, "bags", d[i].bags) >= 0 &&
		     xmlTextWriterEndElement(w) >= 0;
	return ok;
}

int
mail_manifest_xml(const struct mail_manifest_head *head, const struct mail_item *v, size_t n,
		  struct buf *out)
{
	xmlBufferPtr xb = xmlBufferCreate();
	xmlTextWriterPtr w = xmlNewTextWriterMemory(xb, 0);
	struct mail_district *d;
	size_t nd;
	int ok, r;

	mail_districts(v, n, &d, &nd);
	xmlTextWriterSetIndent(w, 1);
	xmlTextWriterSetIndentString(w, BAD_CAST "  ");
	ok = xml_root(w, head, d, nd) && xml_bags(w, v, n) && xml_summary(w, d, nd) &&
	     xmlTextWriterEndDocument(w) >= 0;
	xmlFreeTextWriter(w);
	if (!ok)
		r = cp_err(CP_ERR_FORMAT,
			   "cannot write the XML (a text field is not valid UTF-8?)");
	else
		r = buf_append(out, xmlBufferContent(xb), (size_t)xmlBufferLength(xb));
	free(d);
	xmlBufferFree(xb);
	return r;
}
