/*
 * manifest.c - the list files of a dispatch batch (manifest.h): mail manifest CSV and XML,
 * the per-district summary, pickup lists per branch, delivery lists per employer.
 *
 * The manifest holds every item that goes by post: cards mailed to the person and cards
 * mailed to their employer (with the employer as organisation). Its files' bytes are
 * written by formats/mail_manifest.c; this picks the items and writes the files.
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
#include "formats/mail_manifest.h"
#include "pipeline/rules/district.h"

#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* The items of a batch that go by post, as the mail manifest's items
 * (formats/mail_manifest.h), with the mobile number the post gets. */
struct mail_items {
	struct mail_item *v;
	char (*mobile)[32]; /* masked mobiles, when they are masked */
	size_t n;
};

static void
mail_items_build(const struct config *cfg, const struct dispatch_list *items,
		 struct mail_items *out)
{
	out->v = xcalloc(items->n + 1, sizeof(*out->v));
	out->mobile = xcalloc(items->n + 1, sizeof(*out->mobile));
	out->n = 0;
	for (size_t i = 0; i < items->n; i++) {
		const struct dispatch_card *c = &items->v[i];
		size_t k = out->n;

		if (!c->tracking_no)
			continue;
		out->v[k] = (struct mail_item){
			.bag = c->bag,
			.tracking_no = c->tracking_no,
			.postal_code = c->postal_code,
			.district = c->district,
			.district_name = district_name(nz(c->district)),
			.card_no = c->card_no,
			.recipient = c->name,
			.organisation = organisation(c),
			.id_number = c->id_number,
			.mobile = mobile_for_post(cfg, c->mobile, out->mobile[k],
						  sizeof(out->mobile[k])),
			.address = c->address,
			.due_date = c->due_date,
		};
		out->n++;
	}
}

static void
mail_items_release(struct mail_items *m)
{
	free(m->v);
	free(m->mobile);
}

/* A CSV of the mail items (mail-manifest.csv, mail-districts.csv) */
static int
mail_csv(const struct config *cfg, const char *dir, const char *name,
	 int (*fmt)(const struct mail_item *, size_t, struct buf *), const struct mail_items *m)
{
	struct buf b = BUF_INIT(BUF_UNLIMITED);
	int r;

	if ((r = fmt(m->v, m->n, &b)) == 0)
		r = write_csv(cfg, dir, name, &b);
	buf_release(&b);
	return r;
}

static int
mail_xml(const struct config *cfg, const char *dir, const char *batch, const struct mail_items *m)
{
	struct buf b = BUF_INIT(BUF_UNLIMITED);
	char ts[32], *path = fs_join(dir, "mail-manifest.xml");
	struct mail_manifest_head head = {batch, ts, config_str(cfg, "general.bureau_name")};
	int r;

	cp_iso_utc(cp_now(), ts, sizeof(ts));
	if ((r = mail_manifest_xml(&head, m->v, m->n, &b)) == 0)
		r = fs_write_atomic(path, b.data, b.len, 0600);
	if (r < 0)
		r = cp_err_wrap(r, "%s: ", path);
	free(path);
	buf_release(&b);
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
	if (has_mail) {
		struct mail_items m;

		mail_items_build(cfg, items, &m);
		if ((r = mail_csv(cfg, dir, "mail-manifest.csv", mail_manifest_csv, &m)) == 0 &&
		    (r = mail_xml(cfg, dir, batch, &m)) == 0)
			r = mail_csv(cfg, dir, "mail-districts.csv", mail_districts_csv, &m);
		mail_items_release(&m);
		if (r < 0)
			return r;
	}
	if ((r = per_destination(cfg, dir, items, "pickup", "pickup")) < 0 ||
	    (r = per_destination(cfg, dir, items, "employer", "employer")) < 0)
		return r;
	return 0;
}
