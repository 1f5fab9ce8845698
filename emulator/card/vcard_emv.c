/*
 * vcard_emv.c - the PBOC debit application's contact transaction on the virtual card (EMV
 * 4.3 Book 3 ch. 6 and 10, Book 2 6.5/6.6 and 8; docs/virtual-card.md and the "Cryptogram
 * (card side)" section of docs/pboc-data.md): GET PROCESSING OPTIONS, GET DATA of the
 * counters, VERIFY (offline plaintext PIN), INTERNAL AUTHENTICATE (DDA), GENERATE AC with the
 * card's risk management and CDA, EXTERNAL AUTHENTICATE (ARPC method 1).
 *
 * Everything comes from the DGIs perso wrote: the FCI's PDOL (9102), AIP and AFL (9104), the
 * records' CDOL1/CDOL2/DDOL, the risk data and IAD template (0D01), MK-AC (8000), the PIN
 * block (8010), the try limit (9010) and the ICC private key (8201..8205). The counters (ATC,
 * PIN tries, last online ATC, consecutive offline count, flags) are chip state and persist;
 * the transaction (vc->s.txn) starts again at each SELECT and reset.
 */
#include "emulator/card/vcard.h"

#include "core/mem.h"
#include "personalization/chip/tlv.h"
#include "personalization/crypto/emv_ac.h"
#include "personalization/crypto/hash.h"
#include "personalization/crypto/random.h"
#include "personalization/crypto/rsa.h"
#include "formats/apdu.h"

#include <string.h>

/* CVR (the 3 bytes after the IAD's CVR length 03; VIS layout that PBOC 3.0 keeps). */
#define CVR1_2ND_NOT_REQUESTED 0x80
#define CVR1_2ND_TC 0x40
#define CVR1_1ST_ARQC 0x20
#define CVR1_1ST_TC 0x10
#define CVR1_IA_FAILED 0x08
#define CVR1_PIN_PERFORMED 0x04
#define CVR1_PIN_FAILED 0x02
#define CVR2_LAST_ONLINE_INCOMPLETE 0x80
#define CVR2_PIN_LIMIT_EXCEEDED 0x40
#define CVR2_OFFLINE_LIMIT 0x20
#define CVR2_NEW_CARD 0x10
#define CVR2_LAST_IA_FAILED 0x08
#define CVR2_IA_NOT_PERFORMED 0x04 /* issuer authentication not performed after online auth. */
#define CVR3_DDA_PERFORMED 0x02

/* The largest ICC key EMV allows (Book 2: 1984 bits). */
#define ICC_MAX_MODULUS 248

/* ADA 9F52 byte 1 (DGI 0D01; docs/pboc-data.md) */
#define ADA1_IA_FAILED_DECLINE 0x40 /* b7: issuer authentication failed: decline */
#define ADA1_IA_MANDATORY 0x20	    /* b6: issuer authentication mandatory, no ARPC: decline */
#define ADA1_NEW_CARD_ONLINE 0x04   /* b3: a new card goes online */

/* ---- data the card holds ---- */

/* The value of tag inside the TLV list p (one level of constructed templates searched). */
static const unsigned char *
tlv_value(const unsigned char *p, size_t n, unsigned tag, size_t *len, int depth)
{
	size_t i = 0, off, l;
	unsigned t;

	while (i < n && depth < 3) {
		if (p[i] == 0x00 || p[i] == 0xFF) {
			i++;
			continue;
		}
		if (tlv_next(p + i, n - i, &t, &off, &l) < 0)
			return NULL;
		if (t == tag) {
			*len = l;
			return p + i + off;
		}
		if (p[i] & 0x20) {
			const unsigned char *v = tlv_value(p + i + off, l, tag, len, depth + 1);
			if (v)
				return v;
		}
		i += off + l;
	}
	return NULL;
}

/* A data object of the application's plain DGI dgi (0: any record DGI). */
static const unsigned char *
app_object(struct vcard *vc, uint16_t dgi, unsigned tag, size_t *len)
{
	struct vcard_app *ap = &vc->chip.apps[VCARD_APP_PBOC];

	for (size_t i = 0; i < ap->ndgis; i++) {
		const struct vcard_dgi *d = &ap->dgis[i];
		int rec = (d->tag >> 8) >= 0x01 && (d->tag >> 8) <= 0x1E && (d->tag & 0xFF);
		const unsigned char *v;
		if (d->secret || (dgi ? d->tag != dgi : !rec))
			continue;
		if ((v = tlv_value(d->v.data, d->v.len, tag, len, 0)))
			return v;
	}
	return NULL;
}

/* A secret DGI's value, or NULL when it is missing or shorter than min. */
static const unsigned char *
secret_dgi(struct vcard *vc, uint16_t tag, size_t min, size_t *len)
{
	const struct vcard_dgi *d = vcard_find_dgi(vc, VCARD_APP_PBOC, tag);

	if (!d || !d->secret || d->v.len < min)
		return NULL;
	if (len)
		*len = d->v.len;
	return d->v.data;
}

/* The total length of the data a DOL asks for; -1 when the DOL is malformed. */
static long
dol_length(const unsigned char *dol, size_t n)
{
	size_t i = 0;
	long total = 0;

	while (i < n) {
		if ((dol[i] & 0x1F) == 0x1F) {
			do {
				if (++i >= n)
					return -1;
			} while (dol[i] & 0x80);
		}
		if (++i >= n)
			return -1;
		total += dol[i++];
	}
	return total;
}

/* The value a DOL's data gives to tag (its length in the DOL), or NULL. */
static const unsigned char *
dol_field(const unsigned char *dol, size_t n, const unsigned char *data, unsigned tag, size_t *len)
{
	size_t i = 0, pos = 0;

	while (i < n) {
		unsigned t = dol[i];
		if ((dol[i] & 0x1F) == 0x1F) {
			do {
				if (++i >= n)
					return NULL;
				t = t << 8 | dol[i];
			} while (dol[i] & 0x80);
		}
		if (++i >= n)
			return NULL;
		if (t == tag) {
			*len = dol[i];
			return data + pos;
		}
		pos += dol[i++];
	}
	return NULL;
}

/* Copy tag's value from the DOL data into out (want bytes: numeric fields right-aligned,
 * others left-aligned, EMV Book 3 5.4); left alone when the DOL does not ask for it. */
static void
take_field(const unsigned char *dol, size_t n, const unsigned char *data, unsigned tag,
	   unsigned char *out, size_t want, int numeric)
{
	size_t len = 0;
	const unsigned char *v = dol_field(dol, n, data, tag, &len);

	if (!v)
		return;
	memset(out, 0, want);
	if (numeric) {
		if (len >= want)
			memcpy(out, v + len - want, want);
		else
			memcpy(out + want - len, v, len);
	} else {
		memcpy(out, v, len < want ? len : want);
	}
}

/* The terminal's part of the cryptogram input (29 bytes, emv_ac.h) from DOL data. */
static void
terminal_fields(const unsigned char *dol, size_t n, const unsigned char *data, unsigned char t[29])
{
	take_field(dol, n, data, 0x9F02, t, 6, 1);
	take_field(dol, n, data, 0x9F03, t + 6, 6, 1);
	take_field(dol, n, data, 0x9F1A, t + 12, 2, 1);
	take_field(dol, n, data, 0x95, t + 14, 5, 0);
	take_field(dol, n, data, 0x5F2A, t + 19, 2, 1);
	take_field(dol, n, data, 0x9A, t + 21, 3, 1);
	take_field(dol, n, data, 0x9C, t + 24, 1, 1);
	take_field(dol, n, data, 0x9F37, t + 25, 4, 0);
}

static void
save(struct vcard *vc)
{
	vc->dirty = 1;
}

static int
pin_tries(struct vcard *vc, int *limit)
{
	const struct vcard_dgi *d = vcard_find_dgi(vc, VCARD_APP_PBOC, 0x9010);

	if (!d || d->v.len < 2)
		return -1;
	if (limit)
		*limit = d->v.data[1];
	if (vc->chip.emv.pin_tries < 0)
		vc->chip.emv.pin_tries = d->v.data[0];
	return vc->chip.emv.pin_tries;
}

/* ---- GET PROCESSING OPTIONS ---- */

static uint16_t
gpo(struct vcard *vc, const struct apdu *a, struct vcard_resp *out)
{
	const struct vcard_dgi *g = vcard_find_dgi(vc, VCARD_APP_PBOC, 0x9104);
	const unsigned char *pdol;
	size_t plen = 0;
	long want = 0;

	if (a->p1 || a->p2)
		return SW_WRONG_P1P2;
	if (vc->s.txn.step)
		return SW_CONDITIONS; /* once per transaction */
	/* 77 81 L and at most 253 bytes of value fill one short response */
	if (!g || g->v.len > sizeof out->data - 3 || (vc->chip.apps[VCARD_APP_PBOC].lc & 0x80))
		return SW_CONDITIONS;
	if ((pdol = app_object(vc, 0x9102, 0x9F38, &plen)) && (want = dol_length(pdol, plen)) < 0)
		return SW_CONDITIONS;
	/* 83 L PDOL-related data (Book 3 6.5.8) */
	if (a->lc < 2 || a->data[0] != 0x83)
		return SW_WRONG_DATA;
	if (a->data[1] != a->lc - 2 || (long)a->data[1] != want ||
	    (size_t)want > sizeof vc->s.txn.pdol)
		return SW_WRONG_LENGTH;
	if (vc->chip.emv.atc == 0xFFFF)
		return SW_CONDITIONS; /* the ATC would wrap */
	vc->chip.emv.atc++;
	save(vc);
	memcpy(vc->s.txn.pdol, a->data + 2, (size_t)want);
	vc->s.txn.npdol = (size_t)want;
	terminal_fields(pdol, plen, a->data + 2, vc->s.txn.term);
	vc->s.txn.step = 1;
	out->len = 0;
	out->data[out->len++] = 0x77;
	if (g->v.len >= 0x80)
		out->data[out->len++] = 0x81;
	out->data[out->len++] = (unsigned char)g->v.len;
	memcpy(out->data + out->len, g->v.data, g->v.len);
	out->len += g->v.len;
	return SW_OK;
}

/* ---- GET DATA of the counters ---- */

static uint16_t
get_data(struct vcard *vc, const struct apdu *a, struct vcard_resp *out, int *handled)
{
	unsigned tag = (unsigned)(a->p1 << 8 | a->p2);
	int tries;

	*handled = 1;
	switch (tag) {
	case 0x9F36:
	case 0x9F13: {
		uint16_t v = tag == 0x9F36 ? vc->chip.emv.atc : vc->chip.emv.last_online_atc;
		const unsigned char t[5] = {0x9F, (unsigned char)tag, 0x02, (unsigned char)(v >> 8),
					    (unsigned char)v};
		memcpy(out->data, t, 5);
		out->len = 5;
		return SW_OK;
	}
	case 0x9F17:
		if ((tries = pin_tries(vc, NULL)) < 0)
			return SW_DATA_NOT_FOUND;
		out->data[0] = 0x9F;
		out->data[1] = 0x17;
		out->data[2] = 0x01;
		out->data[3] = (unsigned char)tries;
		out->len = 4;
		return SW_OK;
	}
	*handled = 0;
	return SW_OK;
}

/* ---- VERIFY (offline plaintext PIN) ---- */

static uint16_t
verify(struct vcard *vc, const struct apdu *a)
{
	const unsigned char *pin = secret_dgi(vc, 0x8010, 8, NULL);
	int limit = 0, tries = pin_tries(vc, &limit);

	if (a->p1 != 0x00 || a->p2 != 0x80)
		return SW_WRONG_P1P2; /* only the plaintext PIN (P2 80) */
	if (!pin || tries < 0)
		return SW_DATA_NOT_FOUND;
	if (tries == 0)
		return SW_AUTH_BLOCKED;
	if (a->lc == 0)
		return (uint16_t)(0x63C0 | (tries > 15 ? 15 : tries)); /* tries left */
	if (a->lc != 8)
		return SW_WRONG_LENGTH;
	if ((a->data[0] & 0xF0) != 0x20)
		return SW_WRONG_DATA; /* not an ISO 9564 format 2 block */
	vc->s.txn.cvr[0] |= CVR1_PIN_PERFORMED;
	if (cp_ct_memcmp(a->data, pin, 8) == 0) {
		vc->chip.emv.pin_tries = limit;
		vc->s.txn.pin_verified = 1;
		vc->s.txn.cvr[0] &= (unsigned char)~CVR1_PIN_FAILED;
		save(vc);
		return SW_OK;
	}
	vc->chip.emv.pin_tries = --tries;
	vc->s.txn.cvr[0] |= CVR1_PIN_FAILED;
	if (tries == 0)
		vc->s.txn.cvr[1] |= CVR2_PIN_LIMIT_EXCEEDED;
	save(vc);
	return (uint16_t)(0x63C0 | (tries > 15 ? 15 : tries));
}

/* ---- the ICC private key and signatures (Book 2 6.5, 6.6) ---- */

/* The half-modulus length: p (8205) is odd, so when its stored value ends in 80 00.. that
 * is the padding perso added (docs/pboc-data.md). */
static size_t
crt_half(const unsigned char *p, size_t len)
{
	size_t n = len;

	if (len == 0 || (p[len - 1] & 1))
		return len;
	while (n > 0 && p[n - 1] == 0x00)
		n--;
	return n > 0 && p[n - 1] == 0x80 ? n - 1 : 0;
}

/* m^d mod n by the CRT from the DGIs 8201 qInv, 8202 dQ, 8203 dP, 8204 q, 8205 p; the
 * result (nic bytes) into out. -1 when the key is missing or bad. */
static int
rsa_private(struct vcard *vc, const unsigned char *m, size_t nic, unsigned char *out)
{
	const unsigned char *c[5];
	struct cp_rsa_crt k;
	size_t len[5], h;

	for (int i = 0; i < 5; i++)
		if (!(c[i] = secret_dgi(vc, (uint16_t)(0x8201 + i), 1, &len[i])))
			return -1;
	h = crt_half(c[4], len[4]);
	if (h == 0 || 2 * h != nic || nic > ICC_MAX_MODULUS)
		return -1;
	for (int i = 0; i < 5; i++)
		if (len[i] < h)
			return -1;
	k = (struct cp_rsa_crt){
		.qinv = c[0], .dq = c[1], .dp = c[2], .q = c[3], .p = c[4], .half = h};
	return cp_rsa_crt_raw(&k, m, out) < 0 ? -1 : 0;
}

/* The ICC key's modulus length: p and q each half of it (0: no key; above ICC_MAX_MODULUS:
 * a key this card refuses to use). */
static size_t
icc_modulus_len(struct vcard *vc)
{
	size_t len;
	const unsigned char *p = secret_dgi(vc, 0x8205, 1, &len);

	return p ? 2 * crt_half(p, len) : 0;
}

/* Signed Dynamic Application Data (Book 2 Table 17): 6A 05 01 LDD dyn BB.. hash BC, with
 * hash = SHA-1(05 01 LDD dyn BB.. ‖ extra), signed with the ICC key into sdad (nic). */
static int
sign_dynamic(struct vcard *vc, const unsigned char *dyn, size_t ldd, const unsigned char *extra,
	     size_t nextra, unsigned char *sdad, size_t nic)
{
	unsigned char blk[256];
	struct cp_md_ctx *md;
	int ok;

	if (nic > sizeof blk || ldd + 25 > nic || cp_md_new(CP_MD_SHA1, &md) < 0)
		return -1;
	blk[0] = 0x6A;
	blk[1] = 0x05;
	blk[2] = 0x01;
	blk[3] = (unsigned char)ldd;
	memcpy(blk + 4, dyn, ldd);
	memset(blk + 4 + ldd, 0xBB, nic - ldd - 25);
	cp_md_update(md, blk + 1, nic - 22);
	cp_md_update(md, extra, nextra);
	ok = cp_md_final(md, blk + nic - 21) == 0;
	blk[nic - 1] = 0xBC;
	ok = ok && rsa_private(vc, blk, nic, sdad) == 0;
	cp_memzero(blk, sizeof blk);
	return ok ? 0 : -1;
}

static void
icc_number(struct vcard *vc, unsigned char n[8])
{
	if (vc->s.fixed_icc_number)
		memcpy(n, vc->s.fixed_icc_number, 8);
	else if (cp_random_bytes(n, 8) < 0)
		memset(n, 0, 8); /* never reached with a working OpenSSL */
}

/* INTERNAL AUTHENTICATE (Book 3 6.5.9): format 1, 80 L SDAD. */
static uint16_t
internal_auth(struct vcard *vc, const struct apdu *a, struct vcard_resp *out)
{
	unsigned char dyn[9];
	size_t nic = icc_modulus_len(vc), dlen = 0, hdr;
	const unsigned char *ddol = app_object(vc, 0, 0x9F49, &dlen);

	if (a->p1 || a->p2)
		return SW_WRONG_P1P2;
	if (a->lc == 0 || (ddol && dol_length(ddol, dlen) != (long)a->lc))
		return SW_WRONG_LENGTH;
	if (nic == 0)
		return SW_DATA_NOT_FOUND; /* no ICC key: not a DDA card */
	hdr = nic < 0x80 ? 2 : 3;
	if (nic > ICC_MAX_MODULUS || hdr + nic > sizeof out->data)
		return SW_CONDITIONS;
	dyn[0] = 8;
	icc_number(vc, dyn + 1);
	if (sign_dynamic(vc, dyn, sizeof dyn, a->data, a->lc, out->data + hdr, nic) < 0)
		return SW_CONDITIONS;
	out->data[0] = 0x80;
	if (hdr == 3)
		out->data[1] = 0x81;
	out->data[hdr - 1] = (unsigned char)nic;
	out->len = hdr + nic;
	vc->s.txn.cvr[2] |= CVR3_DDA_PERFORMED;
	return SW_OK;
}

/* ---- GENERATE AC ---- */

struct card_data {
	unsigned char mk[16];
	unsigned char iad[32];
	size_t niad;
	unsigned char aip[2];
	enum emv_ac_alg alg;
	enum emv_ac_skd skd; /* 0D01 DF01; none: EMV A1.3 */
	int lcol;	     /* -1: none */
	unsigned char ada[2];
};

/* The keys and card data a cryptogram needs; SW_CONDITIONS when perso did not give them. */
static uint16_t
card_data(struct vcard *vc, struct card_data *cd)
{
	const unsigned char *mk = secret_dgi(vc, 0x8000, 16, NULL), *v;
	const struct vcard_dgi *g = vcard_find_dgi(vc, VCARD_APP_PBOC, 0x9104);
	size_t len = 0;

	memset(cd, 0, sizeof *cd);
	cd->lcol = -1;
	if (!mk || !g)
		return SW_CONDITIONS;
	memcpy(cd->mk, mk, 16);
	if (!(v = tlv_value(g->v.data, g->v.len, 0x82, &len, 0)) || len != 2)
		return SW_CONDITIONS;
	memcpy(cd->aip, v, 2);
	/* IAD template: 07 DKI CVN 03 00 00 00 ALG (and any issuer data after) */
	if (!(v = app_object(vc, 0x0D01, 0x9F10, &len)) || len < 8 || len > sizeof cd->iad ||
	    v[3] != 0x03 || emv_ac_alg_parse(v[7], &cd->alg) < 0)
		return SW_CONDITIONS;
	memcpy(cd->iad, v, len);
	cd->niad = len;
	cd->skd = EMV_AC_SKD_EMV;
	if ((v = app_object(vc, 0x0D01, EMV_AC_SKD_TAG, &len))) {
		if (len != 1 || (v[0] != EMV_AC_SKD_EMV && v[0] != EMV_AC_SKD_PBOC))
			return SW_CONDITIONS;
		cd->skd = (enum emv_ac_skd)v[0];
	}
	if ((v = app_object(vc, 0x0D01, 0x9F14, &len)) && len == 1)
		cd->lcol = v[0];
	if ((v = app_object(vc, 0x0D01, 0x9F52, &len)) && len >= 1)
		memcpy(cd->ada, v, len >= 2 ? 2 : 1);
	return SW_OK;
}

/* Card risk management (Book 3 10.8; docs/pboc-data.md): must this transaction go online? */
static int
must_go_online(struct vcard *vc, const struct card_data *cd)
{
	struct vcard_emv_state *e = &vc->chip.emv;
	int online = 0;

	if (e->flags & VCARD_EMV_ONLINE_PENDING) {
		vc->s.txn.cvr[1] |= CVR2_LAST_ONLINE_INCOMPLETE;
		online = 1;
	}
	if (e->flags & VCARD_EMV_IA_FAILED) {
		vc->s.txn.cvr[1] |= CVR2_LAST_IA_FAILED;
		online = 1;
	}
	if (e->pin_tries == 0) {
		vc->s.txn.cvr[1] |= CVR2_PIN_LIMIT_EXCEEDED;
		online = 1;
	}
	if (cd->lcol >= 0 && e->offline_count >= (unsigned)cd->lcol) {
		vc->s.txn.cvr[1] |= CVR2_OFFLINE_LIMIT;
		online = 1;
	}
	if (e->last_online_atc == 0 && !(e->flags & VCARD_EMV_IA_FAILED)) {
		vc->s.txn.cvr[1] |= CVR2_NEW_CARD;
		if (cd->ada[0] & ADA1_NEW_CARD_ONLINE)
			online = 1;
	}
	return online;
}

/* The size of a TLV with a one- or two-byte tag and a value of len bytes (at most 255). */
static size_t
tlv_size(unsigned tag, size_t len)
{
	return (tag > 0xFF ? 2 : 1) + (len >= 0x80 ? 2 : 1) + len;
}

/* Append a TLV at p[*n] within cap bytes (lengths 128..255 as 81 L); -1 when the value is
 * longer than 255 or the TLV does not fit. */
static int
put_tlv(unsigned char *p, size_t cap, size_t *n, unsigned tag, const unsigned char *v, size_t len)
{
	size_t i = *n;

	if (len > 0xFF || i > cap || tlv_size(tag, len) > cap - i)
		return -1;
	if (tag > 0xFF)
		p[i++] = (unsigned char)(tag >> 8);
	p[i++] = (unsigned char)tag;
	if (len >= 0x80)
		p[i++] = 0x81;
	p[i++] = (unsigned char)len;
	memcpy(p + i, v, len);
	*n = i + len;
	return 0;
}

/* CDA (Book 2 6.6.1): ICC dynamic data = 08 ICC-number CID AC hash(PDOL data ‖ CDOL data ‖
 * response TLVs without 9F4B); signed over the unpredictable number. */
static int
cda_sign(struct vcard *vc, unsigned char cid, const unsigned char ac[8], const unsigned char *cdol2,
	 size_t n2, const unsigned char *tlvs, size_t ntlvs, unsigned char *sdad, size_t nic)
{
	unsigned char dyn[38];
	struct cp_md_ctx *md;
	struct vcard_txn *t = &vc->s.txn;

	dyn[0] = 8;
	icc_number(vc, dyn + 1);
	dyn[9] = cid;
	memcpy(dyn + 10, ac, 8);
	if (cp_md_new(CP_MD_SHA1, &md) < 0)
		return -1;
	cp_md_update(md, t->pdol, t->npdol);
	cp_md_update(md, t->cdol1, t->ncdol1);
	cp_md_update(md, cdol2, n2);
	cp_md_update(md, tlvs, ntlvs);
	if (cp_md_final(md, dyn + 18) < 0)
		return -1;
	return sign_dynamic(vc, dyn, sizeof dyn, t->term + 25, 4, sdad, nic);
}

/* The answer, format 2: 77 { 9F27 CID, 9F36 ATC, 9F26 AC | 9F4B SDAD, 9F10 IAD }. Its size
 * is checked against the 256 bytes of a short response before anything is signed. */
static uint16_t
ac_response(struct vcard *vc, const struct card_data *cd, unsigned char cid,
	    const unsigned char ac[8], int cda, const unsigned char *cdol2, size_t n2,
	    struct vcard_resp *out)
{
	unsigned char tlvs[64], sdad[ICC_MAX_MODULUS], atc[2];
	size_t nt = 0, n = 0, nic = cda ? icc_modulus_len(vc) : 8, inner;
	int r;

	if (cda && (nic == 0 || nic > sizeof sdad))
		return SW_CONDITIONS; /* no ICC key, or one too large for this card */
	inner = tlv_size(0x9F27, 1) + tlv_size(0x9F36, 2) + tlv_size(0x9F26, nic) +
		tlv_size(0x9F10, cd->niad);
	if (inner > 0xFF || 1 + (inner >= 0x80 ? 2 : 1) + inner > sizeof out->data)
		return SW_CONDITIONS; /* the answer would not fit one response */
	atc[0] = (unsigned char)(vc->chip.emv.atc >> 8);
	atc[1] = (unsigned char)vc->chip.emv.atc;
	r = put_tlv(tlvs, sizeof tlvs, &nt, 0x9F27, &cid, 1) |
	    put_tlv(tlvs, sizeof tlvs, &nt, 0x9F36, atc, 2) |
	    put_tlv(tlvs, sizeof tlvs, &nt, 0x9F10, cd->iad, cd->niad);
	if (r < 0 || (cda && cda_sign(vc, cid, ac, cdol2, n2, tlvs, nt, sdad, nic) < 0))
		return SW_CONDITIONS;
	out->data[n++] = 0x77;
	if (inner >= 0x80)
		out->data[n++] = 0x81;
	out->data[n++] = (unsigned char)inner;
	r = put_tlv(out->data, sizeof out->data, &n, 0x9F27, &cid, 1) |
	    put_tlv(out->data, sizeof out->data, &n, 0x9F36, atc, 2) |
	    (cda ? put_tlv(out->data, sizeof out->data, &n, 0x9F4B, sdad, nic)
		 : put_tlv(out->data, sizeof out->data, &n, 0x9F26, ac, 8)) |
	    put_tlv(out->data, sizeof out->data, &n, 0x9F10, cd->iad, cd->niad);
	cp_memzero(sdad, sizeof sdad);
	if (r < 0 || n != 1 + (inner >= 0x80 ? 2 : 1) + inner) {
		out->len = 0;
		return SW_CONDITIONS;
	}
	out->len = n;
	return SW_OK;
}

/* The cryptogram of this transaction with the CVR now in the IAD. */
static int
compute_ac(struct vcard *vc, struct card_data *cd, unsigned char ac[8])
{
	struct emv_ac_terminal t;
	unsigned char in[EMV_AC_INPUT_LEN], atc[2], sk[EMV_AC_KEY_LEN];
	const unsigned char *term = vc->s.txn.term;
	int r;

	memcpy(cd->iad + 4, vc->s.txn.cvr, 3);
	memcpy(t.amount, term, 6);
	memcpy(t.other, term + 6, 6);
	memcpy(t.country, term + 12, 2);
	memcpy(t.tvr, term + 14, 5);
	memcpy(t.currency, term + 19, 2);
	memcpy(t.date, term + 21, 3);
	t.type = term[24];
	memcpy(t.un, term + 25, 4);
	atc[0] = (unsigned char)(vc->chip.emv.atc >> 8);
	atc[1] = (unsigned char)vc->chip.emv.atc;
	emv_ac_input(&t, cd->aip, atc, cd->iad + 3, in);
	if ((r = emv_ac_session_key_by(cd->skd, cd->alg, cd->mk, atc, sk)) == 0)
		r = emv_ac_mac(cd->alg, sk, in, sizeof in, ac);
	cp_memzero(in, sizeof in);
	cp_memzero(sk, sizeof sk);
	return r;
}

/* Did the issuer answer the online request? The ARC (8A) of the CDOL2 data says so unless
 * the terminal made it up (Book 4 A6: Y1/Z1 offline, Y2/Z2 referral, Y3/Z3 unable to go
 * online); a passed issuer authentication proves it. Without 8A in CDOL2 and without ARPC
 * nothing shows the issuer was reached. */
static int
issuer_answered(const struct vcard_txn *t, const unsigned char *cdol2, size_t n2,
		const unsigned char *data)
{
	size_t len = 0;
	const unsigned char *arc = dol_field(cdol2, n2, data, 0x8A, &len);

	if (t->ia > 0)
		return 1;
	if (!arc || len != 2)
		return 0;
	return !((arc[0] == 'Y' || arc[0] == 'Z') && arc[1] >= '1' && arc[1] <= '3');
}

/* The first GENERATE AC's decision: the CVR's risk flags always (an AAC carries them too),
 * the card's online decision only where the terminal asked for a TC. */
static unsigned
first_decision(struct vcard *vc, const struct card_data *cd, unsigned req)
{
	int online = must_go_online(vc, cd);
	unsigned cid = req == 0x00 ? 0x00 : req == 0x80 || online ? 0x80 : 0x40;

	vc->s.txn.cvr[0] |= CVR1_2ND_NOT_REQUESTED | (cid == 0x80   ? CVR1_1ST_ARQC
						      : cid == 0x40 ? CVR1_1ST_TC
								    : 0);
	return cid;
}

/* The second GENERATE AC's decision (after an ARQC); *completed: the online transaction
 * completed, so the counters restart. */
static unsigned
second_decision(struct vcard *vc, const struct card_data *cd, unsigned req, int answered,
		int *completed)
{
	struct vcard_txn *t = &vc->s.txn;
	unsigned cid = req;

	/* ADA byte 1 b7: issuer authentication failed, decline */
	if (t->ia < 0 && (cd->ada[0] & ADA1_IA_FAILED_DECLINE))
		cid = 0x00;
	if (t->ia == 0 && answered) {
		t->cvr[1] |= CVR2_IA_NOT_PERFORMED;
		/* ADA byte 1 b6: issuer authentication mandatory and no ARPC, decline */
		if (cd->ada[0] & ADA1_IA_MANDATORY)
			cid = 0x00;
	}
	*completed = answered && (t->ia > 0 || (t->ia == 0 && !(cd->ada[0] & ADA1_IA_MANDATORY)));
	t->cvr[0] = (unsigned char)((t->cvr[0] & ~CVR1_2ND_NOT_REQUESTED) |
				    (cid == 0x40 ? CVR1_2ND_TC : 0));
	return cid;
}

static uint16_t
generate_ac(struct vcard *vc, const struct apdu *a, struct vcard_resp *out)
{
	struct vcard_txn *t = &vc->s.txn;
	struct vcard_emv_state *e = &vc->chip.emv;
	struct card_data cd;
	unsigned req = a->p1 & 0xC0, cid;
	int first = t->step == 1, cda = (a->p1 & 0x10) != 0, completed = 0;
	const unsigned char *dol;
	size_t dlen = 0;
	unsigned char ac[8];
	uint16_t sw;

	if ((a->p1 & 0x2F) || req == 0xC0 || a->p2)
		return SW_WRONG_P1P2;
	if (t->step != 1 && t->step != 2)
		return SW_CONDITIONS; /* no GPO yet, or the transaction is over */
	if (!first && req == 0x80)
		return SW_WRONG_P1P2; /* a second GENERATE AC asks TC or AAC */
	if (!(dol = app_object(vc, 0, first ? 0x8C : 0x8D, &dlen)))
		return SW_CONDITIONS;
	if (dol_length(dol, dlen) != (long)a->lc || a->lc > sizeof t->cdol1)
		return SW_WRONG_LENGTH;
	if ((sw = card_data(vc, &cd)) != SW_OK)
		goto out;
	terminal_fields(dol, dlen, a->data, t->term);
	/* CDA only where the AIP says so (byte 1 b1) and never for an AAC */
	cda = cda && (cd.aip[0] & 0x01);
	if (first) {
		memcpy(t->cdol1, a->data, a->lc);
		t->ncdol1 = a->lc;
		cid = first_decision(vc, &cd, req);
	} else {
		cid = second_decision(vc, &cd, req, issuer_answered(t, dol, dlen, a->data),
				      &completed);
	}
	if (compute_ac(vc, &cd, ac) < 0) {
		sw = SW_CONDITIONS;
		goto out;
	}
	sw = ac_response(vc, &cd, (unsigned char)cid, ac, cda && cid != 0x00,
			 first ? NULL : a->data, first ? 0 : a->lc, out);
	if (sw != SW_OK)
		goto out;
	/* the counters this outcome moves */
	if (first && cid == 0x80) {
		memcpy(t->ac, ac, 8);
		e->flags |= VCARD_EMV_ONLINE_PENDING;
		t->step = 2;
	} else if (first) {
		if (cid == 0x40)
			e->offline_count++;
		t->step = 3;
	} else {
		e->flags &= (unsigned char)~VCARD_EMV_ONLINE_PENDING;
		if (completed) {
			e->last_online_atc = e->atc;
			e->offline_count = 0;
		}
		t->step = 3;
	}
	save(vc);
out:
	cp_memzero(&cd, sizeof cd);
	cp_memzero(ac, sizeof ac);
	return sw;
}

/* EXTERNAL AUTHENTICATE (Book 3 6.5.4): ARPC (8) ‖ ARC (2), ARPC method 1. */
static uint16_t
external_auth(struct vcard *vc, const struct apdu *a)
{
	struct vcard_txn *t = &vc->s.txn;
	struct card_data cd;
	unsigned char sk[16], arpc[8], atc[2];
	uint16_t sw;

	if (a->p1 || a->p2)
		return SW_WRONG_P1P2;
	if (t->step != 2 || t->ia != 0)
		return SW_CONDITIONS; /* after an ARQC, once */
	if (a->lc != 10)
		return SW_WRONG_LENGTH;
	if ((sw = card_data(vc, &cd)) != SW_OK)
		return sw;
	atc[0] = (unsigned char)(vc->chip.emv.atc >> 8);
	atc[1] = (unsigned char)vc->chip.emv.atc;
	if (emv_ac_session_key_by(cd.skd, cd.alg, cd.mk, atc, sk) < 0 ||
	    emv_ac_arpc1(cd.alg, sk, t->ac, a->data + 8, arpc) < 0)
		sw = SW_CONDITIONS;
	else if (cp_ct_memcmp(arpc, a->data, 8) == 0) {
		t->ia = 1;
		vc->chip.emv.flags &= (unsigned char)~VCARD_EMV_IA_FAILED;
	} else {
		t->ia = -1;
		t->cvr[0] |= CVR1_IA_FAILED;
		vc->chip.emv.flags |= VCARD_EMV_IA_FAILED;
		sw = SW_AUTH_FAILED;
	}
	save(vc);
	cp_memzero(&cd, sizeof cd);
	cp_memzero(sk, sizeof sk);
	return sw;
}

uint16_t
vcard_emv_command(struct vcard *vc, const struct apdu *a, struct vcard_resp *out, int *handled)
{
	int prop = (a->cla & 0x80) != 0;

	*handled = 1;
	switch (a->ins) {
	case 0xA8: return prop ? gpo(vc, a, out) : SW_CLA_NOT_SUPPORTED;
	case 0xAE: return prop ? generate_ac(vc, a, out) : SW_CLA_NOT_SUPPORTED;
	case 0x20: return prop ? SW_CLA_NOT_SUPPORTED : verify(vc, a);
	case 0x88: return prop ? SW_CLA_NOT_SUPPORTED : internal_auth(vc, a, out);
	case 0x82: return prop ? SW_CLA_NOT_SUPPORTED : external_auth(vc, a);
	case 0xCA: return get_data(vc, a, out, handled);
	}
	*handled = 0;
	return SW_OK;
}
