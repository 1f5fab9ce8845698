/*
 * mail_manifest.h - the mail manifest for the post (formats/mail-manifest.xsd for the XML;
 * the CSV and the per-district summary are in docs/dispatch.md, "Manifests"): what each
 * file holds and in which order. Dispatch (pipeline/stages/manifest.c) picks the items of
 * a batch from the registry, decides the mobile number the post gets and writes the
 * files; these write their bytes.
 */
#ifndef CP_FORMATS_MAIL_MANIFEST_H
#define CP_FORMATS_MAIL_MANIFEST_H

#include "core/buf.h"

#include <stddef.h>

/* One item going by post, in manifest order (by postal code and bag, so a bag's items are
 * adjacent). NULL strings are written as "". */
struct mail_item {
	const char *bag, *tracking_no, *postal_code;
	const char *district;	   /* AAB301 code */
	const char *district_name; /* NULL: not known (no name attribute) */
	const char *card_no, *recipient;
	const char *organisation; /* the employer of a card mailed to it, "" otherwise */
	const char *id_number;	  /* in full: the writers mask it */
	const char *mobile;	  /* as the post gets it (full or masked) */
	const char *address, *due_date;
};

/* Items and distinct bags of one district. */
struct mail_district {
	const char *district, *name; /* pointers into the items */
	long long items, bags;
};

/* The districts of the items in district code order. Free *out with free(). */
void mail_districts(const struct mail_item *v, size_t n, struct mail_district **out, size_t *nout);

/* mail-manifest.csv (UTF-8, CRLF, no BOM: the caller encodes it), into out (initialised). */
int mail_manifest_csv(const struct mail_item *v, size_t n, struct buf *out);
/* mail-districts.csv (UTF-8, CRLF), into out (initialised). */
int mail_districts_csv(const struct mail_item *v, size_t n, struct buf *out);

/* The XML's root attributes. */
struct mail_manifest_head {
	const char *batch, *created /* UTC ISO 8601 */, *sender;
};
/* mail-manifest.xml into out (initialised). CP_ERR_FORMAT when libxml2 refuses a field
 * (text that is not valid UTF-8). */
int mail_manifest_xml(const struct mail_manifest_head *head, const struct mail_item *v, size_t n,
		      struct buf *out);

#endif
