/*
 * vcard_fs.c - the virtual card's file system and applications: SELECT, READ RECORD,
 * UPDATE RECORD and GET DATA for the SSSE environment (record files EF05, EF06), the PBOC
 * debit and the transport applications (records and data objects from their DGIs).
 *
 * Anyone may select and read (a bank branch or a PC/SC tool reads a card back); writing
 * needs the ISD's SCP03 channel and a chip not yet personalised.
 */
#include "emulator/card/vcard.h"

#include "formats/apdu.h"

#include <string.h>

const unsigned char vcard_aid_isd[8] = {0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00, 0x00};
/* "sx1.sh." + GBK 社会保障 (docs/domain-facts.md §1.1) */
const unsigned char vcard_aid_ssse[15] = {0x73, 0x78, 0x31, 0x2E, 0x73, 0x68, 0x2E, 0xC9,
					  0xE7, 0xBB, 0xE1, 0xB1, 0xA3, 0xD5, 0xCF};
const unsigned char vcard_aid_pboc[8] = {0xA0, 0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x01};
const unsigned char vcard_aid_transport[8] = {0xA0, 0x00, 0x00, 0x06, 0x32, 0x01, 0x01, 0x05};
/* "1PAY.SYS.DDF01", the contact payment system environment (EMV Book 1 12.2.2) */
const unsigned char vcard_aid_pse[14] = {'1', 'P', 'A', 'Y', '.', 'S', 'Y',
					 'S', '.', 'D', 'D', 'F', '0', '1'};

static const struct {
	const unsigned char *aid;
	size_t len;
	const char *name;
} apps[VCARD_NAPPS] = {
	{vcard_aid_isd, sizeof vcard_aid_isd, "ISD"},
	{vcard_aid_ssse, sizeof vcard_aid_ssse, "SSSE"},
	{vcard_aid_pboc, sizeof vcard_aid_pboc, "PBOC"},
	{vcard_aid_transport, sizeof vcard_aid_transport, "transport"},
	{vcard_aid_pse, sizeof vcard_aid_pse, "PSE"},
};

/* SSSE record layout (docs/domain-facts.md §1.2): tag and value length of each record; a
 * length of 0 means variable (1..max). */
static const struct {
	unsigned char tag, len, max;
} ef05_layout[VCARD_EF05_RECORDS] =
	{
		{0x01, 16, 16}, /* 卡识别码 card identifier */
		{0x02, 1, 1},	/* 卡类别 card category */
		{0x03, 4, 4},	/* 规范版本 spec version "3.00" */
		{0x04, 12, 12}, /* 初始化机构编号 initialising institution */
		{0x05, 4, 4},	/* 发卡日期 issue date, BCD */
		{0x06, 4, 4},	/* 卡有效期 expiry, BCD */
		{0x07, 9, 9},	/* 卡号 card number, an9 */
},
  ef06_layout[VCARD_EF06_RECORDS] = {
	  {0x08, 18, 18}, /* 社会保障号码 */
	  {0x09, 30, 30}, /* 姓名, GBK padded with 00 */
	  {0x4E, 0, 60},  /* 姓名扩展 name extension */
	  {0x0A, 1, 1},	  /* 性别 */
	  {0x0B, 1, 1},	  /* 民族 */
	  {0x0C, 3, 3},	  /* 出生地 */
	  {0x0D, 4, 4},	  /* 出生日期 */
};

int
vcard_app_by_aid(const unsigned char *aid, size_t len)
{
	for (int i = 0; i < VCARD_NAPPS; i++)
		if (len == apps[i].len && memcmp(aid, apps[i].aid, len) == 0)
			return i;
	return -1;
}

const char *
vcard_app_name(int app)
{
	return app >= 0 && app < VCARD_NAPPS ? apps[app].name : "MF";
}

const unsigned char *
vcard_app_aid(int app, size_t *len)
{
	*len = apps[app].len;
	return apps[app].aid;
}

const unsigned char *
vcard_isd_aid(const struct vcard *vc, size_t *len)
{
	*len = vc->stock.isd_aid_len;
	return vc->stock.isd_aid;
}

int
vcard_app_present(const struct vcard *vc, int app)
{
	size_t len;
	const unsigned char *aid;

	if (app == VCARD_APP_ISD)
		return 1;
	if (app < 0 || app >= VCARD_NAPPS)
		return 0;
	aid = vcard_app_aid(app, &len);
	for (size_t i = 0; i < vc->stock.napps; i++)
		if (vc->stock.apps[i].aid_len == len && !memcmp(vc->stock.apps[i].aid, aid, len))
			return 1;
	return 0;
}

int
vcard_app_of(const struct vcard *vc, const unsigned char *aid, size_t len)
{
	int app;

	if (len == vc->stock.isd_aid_len && memcmp(aid, vc->stock.isd_aid, len) == 0)
		return VCARD_APP_ISD;
	app = vcard_app_by_aid(aid, len);
	/* another stock's ISD AID, or an application this stock does not carry */
	return app == VCARD_APP_ISD || !vcard_app_present(vc, app) ? -1 : app;
}

/* Selection by DF name: exact, or a partial name of at least 5 bytes (7816-4 5.3.1). */
static int
app_by_name(const struct vcard *vc, const unsigned char *name, size_t len)
{
	int app = vcard_app_of(vc, name, len);

	if (app >= 0 || len < 5)
		return app;
	for (int i = 0; i < VCARD_NAPPS; i++) {
		size_t al;
		const unsigned char *aid =
			i == VCARD_APP_ISD ? vcard_isd_aid(vc, &al) : vcard_app_aid(i, &al);
		if (len < al && memcmp(name, aid, len) == 0 && vcard_app_present(vc, i))
			return i;
	}
	return -1;
}

uint16_t
vcard_fs_check_record(uint16_t ef, unsigned rec, const unsigned char *v, size_t len)
{
	unsigned n = ef == 0xEF05 ? VCARD_EF05_RECORDS : VCARD_EF06_RECORDS;
	unsigned char tag, want, max;

	if (rec < 1 || rec > n)
		return SW_RECORD_NOT_FOUND;
	tag = ef == 0xEF05 ? ef05_layout[rec - 1].tag : ef06_layout[rec - 1].tag;
	want = ef == 0xEF05 ? ef05_layout[rec - 1].len : ef06_layout[rec - 1].len;
	max = ef == 0xEF05 ? ef05_layout[rec - 1].max : ef06_layout[rec - 1].max;
	/* A record is one TLV: tag(1) len(1) value. */
	if (len < 2 || v[0] != tag || (size_t)v[1] != len - 2)
		return SW_WRONG_DATA;
	if (want ? v[1] != want : (v[1] < 1 || v[1] > max))
		return SW_WRONG_DATA;
	return SW_OK;
}

/* A BER-TLV length (1 or 2 bytes) at p; the bytes written. */
static size_t
put_len(unsigned char *p, size_t len)
{
	if (len < 0x80) {
		p[0] = (unsigned char)len;
		return 1;
	}
	p[0] = 0x81;
	p[1] = (unsigned char)len;
	return 2;
}

/* The FCI: 6F { 84 DF name, A5 { proprietary template } }; 6A84 when it would not fit one
 * response (a DGI 9102 too long for this card). */
static uint16_t
put_fci(struct vcard *vc, int app, struct vcard_resp *out)
{
	static const unsigned char isd_a5[] = {0x9F, 0x65, 0x01, 0xFF};
	const unsigned char *a5 = isd_a5;
	size_t a5len = sizeof isd_a5, n = 0, inner;

	if (app < 0 || app >= VCARD_NAPPS)
		return SW_FILE_NOT_FOUND;
	if (app != VCARD_APP_ISD) {
		/* DGI 9102 of EMV CPS holds the FCI proprietary template's contents. */
		const struct vcard_dgi *d = vcard_find_dgi(vc, app, 0x9102);
		a5 = d && !d->secret ? d->v.data : NULL;
		a5len = a5 ? d->v.len : 0;
	}
	inner = 2 + apps[app].len + 1 + (a5len < 0x80 ? 1 : 2) + a5len;
	if (inner + 3 > sizeof out->data)
		return SW_NOT_ENOUGH_MEMORY;
	out->data[n++] = 0x6F;
	n += put_len(out->data + n, inner);
	out->data[n++] = 0x84;
	out->data[n++] = (unsigned char)apps[app].len;
	memcpy(out->data + n, apps[app].aid, apps[app].len);
	n += apps[app].len;
	out->data[n++] = 0xA5;
	n += put_len(out->data + n, a5len);
	if (a5len)
		memcpy(out->data + n, a5, a5len);
	n += a5len;
	out->len = n;
	return SW_OK;
}

static void
end_perso_sequence(struct vcard *vc)
{
	vc->s.perso_app = -1;
	vc->s.store_next = 0;
	vc->s.npending = 0;
}

/* The next application after `after` whose DF name starts with name (SELECT next
 * occurrence, P2 02), or -1. */
static int
next_by_name(const struct vcard *vc, const unsigned char *name, size_t len, int after)
{
	for (int i = after + 1; i < VCARD_NAPPS; i++) {
		size_t al;
		const unsigned char *aid =
			i == VCARD_APP_ISD ? vcard_isd_aid(vc, &al) : vcard_app_aid(i, &al);
		if (len <= al && memcmp(name, aid, len) == 0 && vcard_app_present(vc, i))
			return i;
	}
	return -1;
}

static uint16_t
cmd_select(struct vcard *vc, const struct apdu *a, struct vcard_resp *out)
{
	/* P2: first or only (00), next (02) occurrence; FCI (00) or no response (0C) */
	if (a->p2 != 0x00 && a->p2 != 0x02 && a->p2 != 0x04 && a->p2 != 0x0C && a->p2 != 0x0E)
		return SW_WRONG_P1P2;
	if (a->p1 == 0x04) {
		int app;
		uint16_t sw = SW_OK;
		if (a->lc == 0)
			app = VCARD_APP_ISD;
		else if (a->p2 & 0x02)
			app = next_by_name(vc, a->data, a->lc, vc->s.app);
		else
			app = app_by_name(vc, a->data, a->lc);
		if (app < 0)
			return SW_FILE_NOT_FOUND;
		if (app != vc->s.app)
			end_perso_sequence(vc);
		vc->s.app = app;
		vc->s.cur_ef = 0;
		memset(&vc->s.txn, 0, sizeof vc->s.txn); /* a new transaction */
		if ((a->p2 & 0x0C) != 0x0C)
			sw = put_fci(vc, app, out);
		/* a locked application answers its FCI with 6283 (EMV Book 1 12.3.2) */
		if (sw == SW_OK && app != VCARD_APP_ISD &&
		    (vc->chip.apps[app].lc & VCARD_APP_LOCKED_BIT))
			sw = 0x6283;
		return sw;
	}
	if (a->p1 == 0x00 || a->p1 == 0x02) {
		uint16_t fid;
		if (a->lc == 0 && a->p1 == 0x00) {
			vc->s.app = -1; /* the MF */
			vc->s.cur_ef = 0;
			return SW_OK;
		}
		if (a->lc != 2)
			return SW_WRONG_LENGTH;
		fid = (uint16_t)(a->data[0] << 8 | a->data[1]);
		if (fid == 0x3F00 && a->p1 == 0x00) {
			vc->s.app = -1;
			vc->s.cur_ef = 0;
			return SW_OK;
		}
		if (vc->s.app != VCARD_APP_SSSE || (fid != 0xEF05 && fid != 0xEF06))
			return SW_FILE_NOT_FOUND;
		vc->s.cur_ef = fid;
		if (a->p2 != 0x0C) {
			/* FCP: linear fixed records, its file id and SFI. */
			const unsigned char fcp[] = {0x62,
						     0x0B,
						     0x82,
						     0x02,
						     0x02,
						     0x21,
						     0x83,
						     0x02,
						     a->data[0],
						     a->data[1],
						     0x88,
						     0x01,
						     (unsigned char)(fid & 0x0F)};
			memcpy(out->data, fcp, sizeof fcp);
			out->len = sizeof fcp;
		}
		return SW_OK;
	}
	return SW_WRONG_P1P2;
}

/* Find the EF a record command addresses: SFI in P2 b8..b4, or the current EF. */
static uint16_t
record_target(struct vcard *vc, const struct apdu *a, uint16_t *ef, int *sfi)
{
	*sfi = a->p2 >> 3;
	if ((a->p2 & 0x07) != 0x04)
		return SW_WRONG_P1P2; /* only "record number in P1" */
	if (a->p1 == 0)
		return SW_WRONG_P1P2; /* record 0 = current record: no record pointer kept */
	if (vc->s.app == VCARD_APP_SSSE) {
		if (*sfi == 0) {
			if (!vc->s.cur_ef)
				return SW_NO_CURRENT_EF;
			*ef = vc->s.cur_ef;
		} else if (*sfi == 5 || *sfi == 6) {
			*ef = (uint16_t)(0xEF00 | *sfi);
		} else {
			return SW_FILE_NOT_FOUND;
		}
		return SW_OK;
	}
	if (vc->s.app == VCARD_APP_PBOC || vc->s.app == VCARD_APP_TRANSPORT ||
	    vc->s.app == VCARD_APP_PSE) {
		if (*sfi == 0)
			return SW_NO_CURRENT_EF;
		/* SFI 1..10 are EMV's files, 11..20 the payment system's, 21..30 the issuer's
		 * (EMV Book 1 10.2); all readable when personalised (card_internal_dgi) */
		if (*sfi > 30)
			return SW_FILE_NOT_FOUND;
		*ef = 0;
		return SW_OK;
	}
	return SW_NO_CURRENT_EF;
}

static struct vcard_rec *
ssse_record(struct vcard *vc, uint16_t ef, unsigned rec)
{
	if (ef == 0xEF05 && rec >= 1 && rec <= VCARD_EF05_RECORDS)
		return &vc->chip.ef05[rec - 1];
	if (ef == 0xEF06 && rec >= 1 && rec <= VCARD_EF06_RECORDS)
		return &vc->chip.ef06[rec - 1];
	return NULL;
}

static struct vcard_dgi *
find_dgi(struct vcard_app *ap, uint16_t tag)
{
	for (size_t i = 0; i < ap->ndgis; i++)
		if (ap->dgis[i].tag == tag)
			return &ap->dgis[i];
	return NULL;
}

struct vcard_dgi *
vcard_find_dgi(struct vcard *vc, int app, uint16_t tag)
{
	return app >= 0 && app < VCARD_NAPPS ? find_dgi(&vc->chip.apps[app], tag) : NULL;
}

/* DGIs whose number looks like a record (SFI 13 and 14, record 1) but that CPS 1.1 gives
 * to card-internal data (DGI 0D01 the application's risk data, 0E01 its internal data):
 * no command reads them. */
static int
card_internal_dgi(uint16_t tag)
{
	return tag == 0x0D01 || tag == 0x0E01;
}

static uint16_t
cmd_read_record(struct vcard *vc, const struct apdu *a, struct vcard_resp *out)
{
	const struct vcard_rec *r = NULL;
	uint16_t ef, sw;
	int sfi;

	if ((sw = record_target(vc, a, &ef, &sfi)) != SW_OK)
		return sw;
	if (ef) {
		r = ssse_record(vc, ef, a->p1);
	} else {
		struct vcard_dgi *d =
			find_dgi(&vc->chip.apps[vc->s.app], (uint16_t)(sfi << 8 | a->p1));
		if (d && !d->secret && !card_internal_dgi(d->tag))
			r = &d->v;
	}
	if (!r || r->len == 0)
		return SW_RECORD_NOT_FOUND;
	if (a->has_le && a->le < r->len)
		return (uint16_t)(0x6C00 | r->len); /* wrong Le: the exact length */
	memcpy(out->data, r->data, r->len);
	out->len = r->len;
	return SW_OK;
}

/* Record writes during personalisation need the ISD's SCP03 channel, the card not yet
 * SECURED and the SSSE still SELECTABLE. An issued card's EF05/EF06 are written only under
 * the SSSE maintenance key's secure messaging, which this chip does not offer and the
 * ISD's keys never give: 6982 (docs/card-lifecycle.md). */
static uint16_t
write_allowed(struct vcard *vc, int wrapped)
{
	if (vc->chip.card_lc >= VCARD_LC_SECURED ||
	    vc->chip.apps[VCARD_APP_SSSE].lc != VCARD_APP_SELECTABLE)
		return SW_SECURITY_STATUS;
	if (!wrapped || !vcard_channel_open(vc))
		return SW_SECURITY_STATUS;
	return SW_OK;
}

static uint16_t
cmd_update_record(struct vcard *vc, const struct apdu *a, int wrapped)
{
	struct vcard_rec *r;
	uint16_t ef, sw;
	int sfi;

	if (vc->s.app != VCARD_APP_SSSE)
		return vc->s.app < 0 ? SW_NO_CURRENT_EF : SW_FILE_INCOMPATIBLE;
	if ((sw = record_target(vc, a, &ef, &sfi)) != SW_OK)
		return sw;
	if ((sw = write_allowed(vc, wrapped)) != SW_OK)
		return sw;
	if (!(r = ssse_record(vc, ef, a->p1)))
		return SW_RECORD_NOT_FOUND;
	if (a->lc == 0)
		return SW_WRONG_LENGTH;
	if ((sw = vcard_fs_check_record(ef, a->p1, a->data, a->lc)) != SW_OK)
		return sw;
	/* EF05 record 1, the card identifier, is written at chip initialisation: the issuer
	 * may rewrite the same value, never another one. */
	if (ef == 0xEF05 && a->p1 == 1) {
		if (a->lc != r->len || memcmp(a->data, r->data, r->len) != 0)
			return SW_CONDITIONS;
		return SW_OK;
	}
	memcpy(r->data, a->data, a->lc);
	r->len = a->lc;
	if (vc->corrupt)
		r->data[r->len - 1] ^= 0x01;
	if (sfi)
		vc->s.cur_ef = ef;
	vc->dirty = 1;
	return SW_OK;
}

/* Depth-first search of BER-TLV data for tag; the whole TLV is copied to out. */
static int
tlv_find(const unsigned char *p, size_t len, unsigned tag, struct vcard_resp *out, int depth)
{
	size_t i = 0;

	while (i < len && depth < 4) {
		size_t start = i, l, hdr;
		unsigned t = p[i++];
		int constructed = (t & 0x20) != 0;

		if (t == 0x00 || t == 0xFF)
			continue; /* padding between objects */
		if ((t & 0x1F) == 0x1F) {
			if (i >= len)
				return 0;
			t = t << 8 | p[i++];
			if (t & 0x80)
				return 0; /* tags longer than 2 bytes: not ours */
		}
		if (i >= len)
			return 0;
		l = p[i++];
		if (l == 0x81 && i < len) {
			l = p[i++];
		} else if (l == 0x82 && i + 1 < len) {
			l = (size_t)p[i] << 8 | p[i + 1];
			i += 2;
		} else if (l > 0x80) {
			return 0;
		}
		hdr = i - start;
		if (l > len - i)
			return 0;
		if (t == tag) {
			if (hdr + l > sizeof out->data)
				return 0;
			memcpy(out->data, p + start, hdr + l);
			out->len = hdr + l;
			return 1;
		}
		if (constructed && tlv_find(p + i, l, tag, out, depth + 1))
			return 1;
		i += l;
	}
	return 0;
}

static int
is_record_dgi(uint16_t tag)
{
	return (tag >> 8) >= 0x01 && (tag >> 8) <= 0x1E && (tag & 0xFF) != 0;
}

static uint16_t
cmd_get_data(struct vcard *vc, const struct apdu *a, struct vcard_resp *out)
{
	unsigned tag = (unsigned)(a->p1 << 8 | a->p2);
	struct vcard_app *ap;

	if (vc->s.app != VCARD_APP_PBOC && vc->s.app != VCARD_APP_TRANSPORT)
		return SW_DATA_NOT_FOUND;
	if (a->p1 == 0)
		tag = a->p2;
	ap = &vc->chip.apps[vc->s.app];
	for (size_t i = 0; i < ap->ndgis; i++) {
		struct vcard_dgi *d = &ap->dgis[i];
		/* card-internal data (0D01, 0E01), KCVs and the PIN counter are not data objects */
		if (d->secret || is_record_dgi(d->tag) || card_internal_dgi(d->tag) ||
		    d->tag == 0x9000 || d->tag == 0x9010)
			continue;
		if (tlv_find(d->v.data, d->v.len, tag, out, 0))
			return SW_OK;
	}
	return SW_DATA_NOT_FOUND;
}

uint16_t
vcard_fs_store_dgi(struct vcard *vc, int app, uint16_t tag, const unsigned char *v, size_t len,
		   int secret)
{
	struct vcard_app *ap = &vc->chip.apps[app];
	struct vcard_dgi *d;

	if (len > VCARD_MAX_RECORD)
		return SW_NOT_ENOUGH_MEMORY;
	if (!(d = find_dgi(ap, tag))) {
		if (ap->ndgis >= VCARD_MAX_DGIS)
			return SW_NOT_ENOUGH_MEMORY;
		d = &ap->dgis[ap->ndgis++];
		d->tag = tag;
	}
	d->secret = secret;
	memcpy(d->v.data, v, len);
	d->v.len = len;
	if (vc->corrupt && len && !secret)
		d->v.data[len - 1] ^= 0x01;
	vc->dirty = 1;
	return SW_OK;
}

uint16_t
vcard_fs_command(struct vcard *vc, const struct apdu *a, int wrapped, struct vcard_resp *out)
{
	if (vc->s.app == VCARD_APP_PBOC) {
		int handled = 0;
		uint16_t sw = vcard_emv_command(vc, a, out, &handled);
		if (handled)
			return sw;
	}
	if (a->cla & 0x80) {
		if (a->ins == 0xCA && vc->s.app >= VCARD_APP_PBOC)
			return cmd_get_data(vc, a, out); /* 80 CA: proprietary GET DATA */
		return SW_INS_NOT_SUPPORTED;
	}
	switch (a->ins) {
	case 0xA4: return cmd_select(vc, a, out);
	case 0xB2: return cmd_read_record(vc, a, out);
	case 0xDC: return cmd_update_record(vc, a, wrapped);
	case 0xCA: return cmd_get_data(vc, a, out);
	}
	return SW_INS_NOT_SUPPORTED;
}
