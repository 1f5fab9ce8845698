/*
 * pboc_data.c - the PBOC debit application's data and the PSE (see pboc_data.h and
 * docs/pboc-data.md, which lists every tag, its value and where it comes from).
 *
 * Record layout (written into the AFL, 94):
 *   SFI 1 rec 1           57 track 2                                 signed (SDA/DDA/CDA)
 *   SFI 1 rec 2           5F20 name                                  not signed
 *   SFI 2 rec 1..2        PAN, dates, codes, IACs, CVM list, DOLs    signed (SDA/DDA/CDA)
 *   SFI 3 rec 1..         8F 9F32 92 | 90 | 93 | 9F46 | 9F47 9F48    not signed
 * A record is at most 252 bytes of value, so that a READ RECORD answer fits 256 bytes.
 */
#include "personalization/chip/pboc_data.h"

#include "core/err.h"
#include "core/mem.h"
#include "personalization/chip/bank_profile.h"
#include "personalization/crypto/hash.h"
#include "personalization/crypto/random.h"
#include "personalization/crypto/secmem.h"
#include "personalization/emv/issuer.h"
#include "personalization/emv/oda.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REC_MAX 252
#define NREC 10
#define SFI_TRACK 1
#define SFI_SIGNED 2
#define SFI_CERTS 3

static const unsigned char aid_pboc[] = {0xA0, 0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x01};
static const unsigned char aid_pse[] = {0x31, 0x50, 0x41, 0x59, 0x2E, 0x53, 0x59,
					0x53, 0x2E, 0x44, 0x44, 0x46, 0x30, 0x31};

/* A BER-TLV writer into a fixed buffer; too long sets over and writes nothing more. */
struct tw {
	unsigned char *p;
	size_t n, cap;
	int over;
};

static void
tw_add(struct tw *w, unsigned tag, const void *v, size_t len)
{
	size_t need = (tag > 0xFF ? 2 : 1) + (len < 128 ? 1 : len < 256 ? 2 : 3) + len;

	if (w->over || need > w->cap - w->n) {
		w->over = 1;
		return;
	}
	if (tag > 0xFF)
		w->p[w->n++] = (unsigned char)(tag >> 8);
	w->p[w->n++] = (unsigned char)tag;
	if (len >= 256)
		w->p[w->n++] = 0x82, w->p[w->n++] = (unsigned char)(len >> 8);
	else if (len >= 128)
		w->p[w->n++] = 0x81;
	w->p[w->n++] = (unsigned char)len;
	memcpy(w->p + w->n, v, len);
	w->n += len;
}

static void
tw_byte(struct tw *w, unsigned tag, unsigned char b)
{
	tw_add(w, tag, &b, 1);
}

struct rec {
	unsigned char sfi, no;
	int oda;
	unsigned char d[3 + REC_MAX]; /* 70 L value */
	size_t len, hl;		      /* whole record, header */
};

/* One card's debit application data while it is built. */
struct pboc {
	const struct perso_card *c;
	const struct bank_profile *bp;
	const struct emv_issuer *is;
	enum cp_alg alg;
	unsigned char exp[4], eff[4]; /* BCD YYYYMMDD */
	unsigned char aip[2];
	struct rec rec[NREC];
	size_t nrec;
	unsigned char val[REC_MAX]; /* the record being built */
	struct tw w;
	struct emv_icc_key *icc;
};

static void
rec_open(struct pboc *P)
{
	P->w = (struct tw){P->val, 0, sizeof(P->val), 0};
}

static int
rec_close(struct pboc *P, unsigned char sfi, int oda)
{
	struct rec *r = &P->rec[P->nrec];
	size_t n = P->w.n;
	unsigned char no = 1;

	if (P->nrec && P->rec[P->nrec - 1].sfi == sfi)
		no = (unsigned char)(P->rec[P->nrec - 1].no + 1);
	if (P->w.over || P->nrec >= NREC)
		return cp_err(CP_ERR_LIMIT,
			      "PBOC record %u of SFI %u would be longer than %d bytes: shorten "
			      "the bank profile's lists",
			      no, sfi, REC_MAX);
	r->sfi = sfi;
	r->no = no;
	r->oda = oda;
	r->d[0] = 0x70;
	r->hl = n < 128 ? 2 : 3;
	if (n >= 128)
		r->d[1] = 0x81;
	r->d[r->hl - 1] = (unsigned char)n;
	memcpy(r->d + r->hl, P->val, n);
	r->len = r->hl + n;
	P->nrec++;
	return 0;
}

/* Digits (and 'D') into BCD nibbles, padded with F. */
static size_t
nibbles(const char *s, unsigned char *out)
{
	size_t n = strlen(s), nb = (n + 1) / 2;

	for (size_t i = 0; i < nb; i++) {
		int hi = s[2 * i] == 'D' ? 0xD : s[2 * i] - '0';
		int lo = 2 * i + 1 >= n ? 0xF : s[2 * i + 1] == 'D' ? 0xD : s[2 * i + 1] - '0';

		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return nb;
}

/* Copy s[0..n) in capitals without leading and trailing spaces; returns the length. */
static size_t
name_part(const char *s, size_t n, char *out, size_t cap)
{
	size_t k = 0;

	while (n && *s == ' ')
		s++, n--;
	while (n && s[n - 1] == ' ')
		n--;
	for (size_t i = 0; i < n && k < cap; i++)
		out[k++] = (char)(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 32 : s[i]);
	return k;
}

size_t
pboc_holder_name(const char *s, char out[27])
{
	const char *comma = strchr(s, ',');
	size_t n, i;

	for (i = 0; s[i]; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || strchr(" .-',", ch)))
			break;
	}
	/* ISO 7813 SURNAME/GIVEN needs the parts: the registry gives them as "SURNAME, GIVEN" */
	if (s[i] || !comma || strchr(comma + 1, ',')) {
		memcpy(out, " /", 3);
		return 2;
	}
	n = name_part(s, (size_t)(comma - s), out, 25);
	if (n == 0) {
		memcpy(out, " /", 3);
		return 2;
	}
	out[n++] = '/';
	/* the given names are cut first, the surname only when it alone is too long */
	n += name_part(comma + 1, strlen(comma + 1), out + n, 26 - n);
	while (n && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
	return n;
}

/* The CVM list (EMV Book 3 §10.5, Annex C3): amounts X and Y zero, then one rule per
 * method: "apply the next rule if this one fails" on every rule but the last, then the
 * profile's condition code. */
static size_t
cvm_list(const struct bank_profile *bp, unsigned char *out)
{
	size_t n = 8;

	memset(out, 0, 8);
	for (size_t i = 0; i < bp->ncvm; i++) {
		out[n++] = (unsigned char)(bp->cvm[i] | (i + 1 < bp->ncvm ? 0x40 : 0x00));
		out[n++] = bp->cvm_cond[i];
	}
	return n;
}

/* SFI 1 record 1: 57 track 2 equivalent (PAN D YYMM 220 00000), signed (EMV Book 3 §10.3:
 * a changed 57 must break ODA); record 2: 5F20, not signed. */
static int
rec_track(struct pboc *P)
{
	const struct perso_card *c = P->c;
	unsigned char t2[24];
	char s[48], name[27];
	size_t nl = pboc_holder_name(c->name, name);
	int r;

	snprintf(s, sizeof(s), "%sD%02X%02X22000000", c->pan, P->exp[1], P->exp[2]);
	rec_open(P);
	tw_add(&P->w, 0x57, t2, nibbles(s, t2));
	if ((r = rec_close(P, SFI_TRACK, 1)) < 0)
		return r;
	rec_open(P);
	tw_add(&P->w, 0x5F20, name, nl);
	return rec_close(P, SFI_TRACK, 0);
}

/* SFI 2 record 1: the card's and the bank's fixed data, signed. */
static int
rec_card(struct pboc *P)
{
	static const unsigned char c156[2] = {0x01, 0x56}, svc[2] = {0x02, 0x20};
	const struct bank_profile *bp = P->bp;
	unsigned char pan[10], cvm[8 + 2 * BANK_CVM_MAX], psn;

	psn = (unsigned char)((P->c->psn[0] - '0') << 4 | (P->c->psn[1] - '0'));
	rec_open(P);
	tw_add(&P->w, 0x5A, pan, nibbles(P->c->pan, pan));
	tw_add(&P->w, 0x5F24, P->exp + 1, 3);
	tw_add(&P->w, 0x5F25, P->eff + 1, 3);
	tw_add(&P->w, 0x5F28, c156, 2);
	tw_add(&P->w, 0x5F30, svc, 2);
	tw_byte(&P->w, 0x5F34, psn);
	tw_add(&P->w, 0x9F07, bp->auc, 2);
	tw_add(&P->w, 0x9F08, bp->version, 2);
	tw_add(&P->w, 0x9F0D, bp->iac_default, 5);
	tw_add(&P->w, 0x9F0E, bp->iac_denial, 5);
	tw_add(&P->w, 0x9F0F, bp->iac_online, 5);
	tw_add(&P->w, 0x8E, cvm, cvm_list(bp, cvm));
	tw_add(&P->w, 0x9F42, c156, 2);
	tw_byte(&P->w, 0x9F44, 0x02);
	tw_byte(&P->w, 0x9F4A, 0x82);
	return rec_close(P, SFI_SIGNED, 1);
}

/* SFI 2 record 2: the data object lists, signed. */
static int
rec_dols(struct pboc *P)
{
	const struct bank_profile *bp = P->bp;

	rec_open(P);
	tw_add(&P->w, 0x8C, bp->cdol1, bp->cdol1_len);
	tw_add(&P->w, 0x8D, bp->cdol2, bp->cdol2_len);
	tw_add(&P->w, 0x9F49, bp->ddol, bp->ddol_len);
	return rec_close(P, SFI_SIGNED, 1);
}

/* AIP: SDA always; DDA for dda and cda; CDA; cardholder verification, terminal risk
 * management, issuer authentication (EMV Book 3 Annex C1). */
static void
make_aip(struct pboc *P)
{
	P->aip[0] = 0x40 | 0x10 | 0x08 | 0x04;
	if (P->bp->oda != BANK_ODA_SDA)
		P->aip[0] |= 0x20;
	if (P->bp->oda == BANK_ODA_CDA)
		P->aip[0] |= 0x01;
	P->aip[1] = 0x00;
}

/* The static data to authenticate (EMV Book 3 §10.3): the signed records' values (SFI
 * 1..10: without tag 70 and length), then the value of the SDA tag list's 82, the AIP. */
static size_t
static_data(const struct pboc *P, unsigned char *out)
{
	size_t n = 0;

	for (size_t i = 0; i < P->nrec; i++)
		if (P->rec[i].oda) {
			memcpy(out + n, P->rec[i].d + P->rec[i].hl, P->rec[i].len - P->rec[i].hl);
			n += P->rec[i].len - P->rec[i].hl;
		}
	memcpy(out + n, P->aip, 2);
	return n + 2;
}

static int
rec_one(struct pboc *P, unsigned tag, const unsigned char *v, size_t len)
{
	rec_open(P);
	tw_add(&P->w, tag, v, len);
	return rec_close(P, SFI_CERTS, 0);
}

/* A fault during RSA-CRT signing yields a bad signature and can leak the private key: what
 * the issuer key signed is verified with its public key before the card leaves. */
static int
check_ssad(const struct pboc *P, const unsigned char *ssad, size_t ssad_len,
	   const unsigned char dac[2], const unsigned char *sdata, size_t sl)
{
	unsigned char got[2];

	if (emv_sda_verify(&P->is->pub, ssad, ssad_len, sdata, sl, got) < 0)
		return cp_err_wrap(CP_ERR_CRYPTO,
				   "card %s: signed static data (93) fails verification with "
				   "the issuer public key: ",
				   P->c->card_no);
	if (memcmp(got, dac, 2) != 0)
		return cp_err(CP_ERR_CRYPTO,
			      "card %s: signed static data (93) fails verification with the "
			      "issuer public key: data authentication code differs",
			      P->c->card_no);
	return 0;
}

/* The ICC public key certificate (9F46) checked the same way. */
static int
check_icc_cert(const struct pboc *P, const struct emv_cert *ic, const unsigned char *sdata,
	       size_t sl)
{
	struct emv_cert_fields f;

	if (emv_icc_cert_recover(&P->is->pub, ic, sdata, sl, &f) < 0)
		return cp_err_wrap(CP_ERR_CRYPTO,
				   "card %s: ICC public key certificate (9F46) fails verification "
				   "with the issuer public key: ",
				   P->c->card_no);
	if (f.key.modulus_len != P->icc->pub.modulus_len ||
	    memcmp(f.key.modulus, P->icc->pub.modulus, f.key.modulus_len) != 0)
		return cp_err(CP_ERR_CRYPTO,
			      "card %s: ICC public key certificate (9F46) fails verification "
			      "with the issuer public key: it certifies another key",
			      P->c->card_no);
	return 0;
}

/* SFI 3 records 1-3: the issuer certificate and the SSAD (93) over the static data. */
static int
rec_issuer(struct pboc *P, const unsigned char *sdata, size_t sl)
{
	const struct emv_issuer *is = P->is;
	unsigned char dac[32], ssad[EMV_RSA_MAX_BYTES];
	size_t ssad_len = 0;
	int r;

	rec_open(P);
	tw_byte(&P->w, 0x8F, is->ca_index);
	tw_add(&P->w, 0x9F32, is->cert.exponent, is->cert.exponent_len);
	if (is->cert.remainder_len)
		tw_add(&P->w, 0x92, is->cert.remainder, is->cert.remainder_len);
	if ((r = rec_close(P, SFI_CERTS, 0)) < 0 ||
	    (r = rec_one(P, 0x90, is->cert.cert, is->cert.cert_len)) < 0)
		return r;
	/* the data authentication code: 2 bytes of SHA-256(PAN), for the issuer */
	if ((r = cp_sha256(P->c->pan, strlen(P->c->pan), dac)) < 0 ||
	    (r = emv_sda_sign(is->key, dac, sdata, sl, ssad, &ssad_len)) < 0)
		return r;
	if ((r = check_ssad(P, ssad, ssad_len, dac, sdata, sl)) < 0)
		return r;
	return rec_one(P, 0x93, ssad, ssad_len);
}

/* SFI 3 records 4-5 (DDA/CDA): a new ICC key pair and its certificate (9F46 9F47 9F48),
 * serial = the card's ordinal among its bank's cards, expiry = the card's expiry month. */
static int
rec_icc(struct pboc *P, const unsigned char *sdata, size_t sl)
{
	const unsigned char mmyy[2] = {P->exp[2], P->exp[1]};
	const unsigned char serial[3] = {(unsigned char)(P->c->icc_serial >> 16),
					 (unsigned char)(P->c->icc_serial >> 8),
					 (unsigned char)P->c->icc_serial};
	struct emv_cert ic;
	int r;

	if (P->c->icc_serial < 1 || P->c->icc_serial > 0xFFFFFF)
		return cp_err(CP_ERR_LIMIT, "card %s: ICC certificate serial %ld is not 1..FFFFFF",
			      P->c->card_no, P->c->icc_serial);
	if ((r = emv_icc_keygen(P->bp->icc_key_bits, 65537, &P->icc)) < 0 ||
	    (r = emv_icc_cert_make(P->is->key, &P->icc->pub, P->c->pan, mmyy, serial, sdata, sl,
				   &ic)) < 0 ||
	    (r = check_icc_cert(P, &ic, sdata, sl)) < 0 ||
	    (r = rec_one(P, 0x9F46, ic.cert, ic.cert_len)) < 0)
		return r;
	rec_open(P);
	tw_add(&P->w, 0x9F47, ic.exponent, ic.exponent_len);
	if (ic.remainder_len)
		tw_add(&P->w, 0x9F48, ic.remainder, ic.remainder_len);
	return rec_close(P, SFI_CERTS, 0);
}

/* SFI 3: the certificates; the signed records are complete by now. */
static int
rec_certs(struct pboc *P)
{
	unsigned char sdata[3 * REC_MAX + 2]; /* three signed records, AIP */
	size_t sl = static_data(P, sdata);
	int r;

	if ((r = rec_issuer(P, sdata, sl)) < 0 || P->bp->oda == BANK_ODA_SDA)
		return r;
	return rec_icc(P, sdata, sl);
}

/* 94: one entry per SFI: first and last record, how many from the first are signed. */
static size_t
afl(const struct pboc *P, unsigned char *out)
{
	size_t n = 0;

	for (size_t i = 0; i < P->nrec; i++) {
		if (i && P->rec[i].sfi == P->rec[i - 1].sfi) {
			out[n - 2] = P->rec[i].no;
			out[n - 1] = (unsigned char)(out[n - 1] + (P->rec[i].oda ? 1 : 0));
			continue;
		}
		out[n++] = (unsigned char)(P->rec[i].sfi << 3);
		out[n++] = P->rec[i].no;
		out[n++] = P->rec[i].no;
		out[n++] = P->rec[i].oda ? 1 : 0;
	}
	return n;
}

/* 9102: the FCI proprietary template's contents (EMV Book 1 Table 45 order). */
static size_t
fci(const struct bank_profile *bp, unsigned char *out, size_t cap, int *over)
{
	struct tw w = {out, 0, cap, 0};

	tw_add(&w, 0x50, bp->label, strlen(bp->label));
	tw_byte(&w, 0x87, bp->priority);
	if (bp->pdol_len)
		tw_add(&w, 0x9F38, bp->pdol, bp->pdol_len);
	tw_add(&w, 0x5F2D, bp->language, strlen(bp->language));
	/* 9F11 is n 2: the part number in BCD (10 is 10, not 0A) */
	tw_byte(&w, 0x9F11, (unsigned char)((bp->code_table / 10) << 4 | bp->code_table % 10));
	tw_add(&w, 0x9F12, bp->preferred_name, strlen(bp->preferred_name));
	*over = w.over;
	return w.n;
}

/* 0D01: card risk management data, never readable (docs/pboc-data.md). The IAD template
 * 9F10: 07 DKI CVN CVR(03 00 00 00) ALG; CVN 01, ALG 01 3DES or 04 SM4; DF01 the session
 * key derivation when the bank's profile says pboc. */
static size_t
risk_data(const struct pboc *P, unsigned char *out)
{
	unsigned char iad[8] = {0x07, P->bp->dki, 0x01, 0x03,
				0x00, 0x00,	  0x00, P->alg == CP_ALG_SM4 ? 0x04 : 0x01};
	static const unsigned char zero[2] = {0, 0};
	struct tw w = {out, 0, 64, 0};

	tw_byte(&w, 0x9F14, P->bp->lcol);
	tw_byte(&w, 0x9F23, P->bp->ucol);
	tw_add(&w, 0x9F52, P->bp->ada, 2);
	tw_add(&w, 0x9F10, iad, sizeof(iad));
	tw_add(&w, 0x9F13, zero, 2);
	/* only a non-default derivation is written: an EMV bank's 0D01 stays as it was */
	if (P->bp->session_key != EMV_AC_SKD_EMV)
		tw_byte(&w, EMV_AC_SKD_TAG, (unsigned char)P->bp->session_key);
	return w.n;
}

/* The PSE: its directory record and FCI (contract of issue #13). */
static int
pse(struct emitter *e, const struct bank_profile *bp)
{
	unsigned char dir[64], ent[48], rec[64], f[16];
	struct tw w = {ent, 0, sizeof(ent), 0};
	size_t n;
	int r;

	tw_add(&w, 0x4F, aid_pboc, sizeof(aid_pboc));
	tw_add(&w, 0x50, bp->label, strlen(bp->label));
	tw_byte(&w, 0x87, bp->priority);
	n = w.n;
	w = (struct tw){dir, 0, sizeof(dir), 0};
	tw_add(&w, 0x61, ent, n);
	n = w.n;
	w = (struct tw){rec, 0, sizeof(rec), 0};
	tw_add(&w, 0x70, dir, n);
	n = w.n;
	w = (struct tw){f, 0, sizeof(f), 0};
	tw_byte(&w, 0x88, 0x01);
	tw_add(&w, 0x5F2D, bp->language, strlen(bp->language));
	if ((r = buf_appendf(e->out, "# --- PSE 1PAY.SYS.DDF01: directory record, FCI ---\n")) <
		    0 ||
	    (r = install_for_perso(e, aid_pse, sizeof(aid_pse), "PSE_INSTALL_FOR_PERSO")) < 0 ||
	    (r = store_dgi(e, "PSE", 0x0101, rec, n, 0, 0)) < 0)
		return r;
	return store_dgi(e, "PSE", 0x9102, f, w.n, 0, 1);
}

/* The offline PIN: random digits (never in the clear outside the secure heap) or the
 * profile's TEST ONLY value. */
static int
initial_pin(const struct bank_profile *bp, char pin[13])
{
	if (bp->test_pin[0]) {
		memcpy(pin, bp->test_pin, strlen(bp->test_pin) + 1);
		return 0;
	}
	for (size_t i = 0; i < 6;) {
		unsigned char b;

		if (cp_random_bytes(&b, 1) < 0)
			return cp_err(CP_ERR_CRYPTO, "no random PIN digit");
		if (b < 250)
			pin[i++] = (char)('0' + b % 10);
	}
	pin[6] = '\0';
	return 0;
}

/* 8010 (ISO 9564 format 2, padded 80 00.. to 16) and 9010 (tries left, limit). */
static int
store_pin(struct emitter *e, const struct bank_profile *bp, int last)
{
	unsigned char *blk = cp_secure_zalloc(16), tries[2] = {bp->pin_tries, bp->pin_tries};
	char *pin = cp_secure_zalloc(13);
	size_t n;
	int r;

	if ((r = initial_pin(bp, pin)) < 0)
		goto out;
	n = strlen(pin);
	memset(blk, 0xFF, 8);
	blk[0] = (unsigned char)(0x20 | n);
	for (size_t i = 0; i < n; i++)
		blk[1 + i / 2] = (unsigned char)(i % 2 ? (blk[1 + i / 2] & 0xF0) | (pin[i] - '0')
						       : (pin[i] - '0') << 4 | 0x0F);
	blk[8] = 0x80;
	if ((r = store_dgi(e, "PBOC", 0x8010, blk, 16, 1, 0)) >= 0)
		r = store_dgi(e, "PBOC", 0x9010, tries, 2, 0, last);
out:
	cp_secure_free(pin, 13);
	cp_secure_free(blk, 16);
	return r;
}

/* 8201..8205: the ICC private key's CRT components, padded 80 00.. to whole blocks. */
static int
store_crt(struct emitter *e, const struct emv_icc_key *k)
{
	const unsigned char *part[5] = {k->qinv, k->dq, k->dp, k->q, k->p};
	size_t len = (k->half / 16 + 1) * 16;
	unsigned char *v = cp_secure_zalloc(len);
	int r = 0;

	for (int i = 0; i < 5 && r >= 0; i++) {
		memset(v, 0, len);
		memcpy(v, part[i], k->half);
		v[k->half] = 0x80;
		r = store_dgi(e, "PBOC", 0x8201 + (unsigned)i, v, len, 1, i == 4);
	}
	cp_secure_free(v, len);
	return r;
}

int
pboc_issuer_covers(const struct emv_issuer *is, const char *bank, const char *expiry_date)
{
	int cm = (is->expiry[0] >> 4) * 10 + (is->expiry[0] & 15);
	int cy = (is->expiry[1] >> 4) * 10 + (is->expiry[1] & 15);
	int y = atoi(expiry_date), m = atoi(expiry_date + 5);

	if (strlen(expiry_date) != 10)
		return 0; /* not a date: refused where the card's data is read */
	/* EMV reads certificate years 50-99 as 19YY */
	cy += cy < 50 ? 2000 : 1900;
	if (y * 12 + m <= cy * 12 + cm)
		return 0;
	return cp_err(CP_ERR_INVALID,
		      "issuer-cert-expires: bank %s's issuer certificate expires %02d/%d, before "
		      "the card (expiry %s): offline data authentication would fail from "
		      "%02d/%d; renew the issuer certificate",
		      bank, cm, cy, expiry_date, cm == 12 ? 1 : cm + 1, cm == 12 ? cy + 1 : cy);
}

static int
check_card(const struct pboc *P)
{
	const struct perso_card *c = P->c;
	size_t pl = strlen(c->pan);

	if (pl < 12 || pl > 19 || strspn(c->pan, "0123456789") != pl)
		return cp_err(CP_ERR_INVALID, "card %s: PAN is not 12-19 digits", c->card_no);
	if (strlen(c->psn) != 2 || strspn(c->psn, "0123456789") != 2)
		return cp_err(CP_ERR_INVALID, "card %s: PAN sequence number '%s' is not 2 digits",
			      c->card_no, c->psn);
	return 0;
}

/* EMV dates are YYMMDD and a terminal reads YY 50..99 as 19YY (Book 4 §6.7.3): a card
 * valid into 2050 or later would be expired (or not yet effective) everywhere. */
static int
check_years(const struct pboc *P)
{
	if (P->exp[0] != 0x20 || P->exp[1] >= 0x50)
		return cp_err(CP_ERR_INVALID,
			      "expiry %s: EMV writes the year in 2 digits and reads 50-99 as "
			      "19YY; a PBOC card must expire before 2050",
			      P->c->expiry_date);
	if (P->eff[0] != 0x20 || P->eff[1] >= 0x50)
		return cp_err(CP_ERR_INVALID,
			      "issue date %s: EMV reads years 50-99 as 19YY; the effective "
			      "date must be 2000-2049",
			      P->c->issue_date);
	return 0;
}

/* The debit application's plain DGIs: records, 9102, 9104, 0D01. */
static int
store_plain(struct emitter *e, struct pboc *P)
{
	unsigned char v[128], g[64];
	size_t n;
	int over, r = 0;

	for (size_t i = 0; i < P->nrec && r >= 0; i++)
		r = store_dgi(e, "PBOC", (unsigned)(P->rec[i].sfi << 8 | P->rec[i].no), P->rec[i].d,
			      P->rec[i].len, 0, 0);
	if (r < 0)
		return r;
	n = fci(P->bp, v, sizeof(v), &over);
	if (over)
		return cp_err(CP_ERR_LIMIT, "bank %s: FCI longer than %zu bytes", P->bp->bank,
			      sizeof(v));
	if ((r = store_dgi(e, "PBOC", 0x9102, v, n, 0, 0)) < 0)
		return r;
	{
		unsigned char a[4 * NREC];
		struct tw w = {g, 0, sizeof(g), 0};

		tw_add(&w, 0x82, P->aip, 2);
		tw_add(&w, 0x94, a, afl(P, a));
		if ((r = store_dgi(e, "PBOC", 0x9104, g, w.n, 0, 0)) < 0)
			return r;
	}
	return store_dgi(e, "PBOC", 0x0D01, v, risk_data(P, v), 0, 0);
}

static int
debit_app(struct emitter *e, struct pboc *P, struct card_keys *k)
{
	const struct perso_card *c = P->c;
	int r;

	if ((r = buf_appendf(e->out,
			     "# --- PBOC debit A000000333010101: PAN ****%s, PSN %s, expiry %s, "
			     "ODA %s ---\n",
			     c->pan + strlen(c->pan) - 4, c->psn, c->expiry_date,
			     bank_oda_name(P->bp->oda))) < 0 ||
	    (r = install_for_perso(e, aid_pboc, sizeof(aid_pboc), "PBOC_INSTALL_FOR_PERSO")) < 0 ||
	    (r = store_plain(e, P)) < 0 ||
	    (r = store_keys(e, "PBOC", 0x8000, 0x9000, k->bank, k->bank_alg, 0)) < 0)
		return r;
	/* without an ICC key (SDA) the PIN DGIs end the application's data */
	if ((r = store_pin(e, P->bp, !P->icc)) < 0 || !P->icc)
		return r;
	return store_crt(e, P->icc);
}

int
pboc_personalise(struct emitter *e, const struct perso_card *c, const struct perso_masters *m,
		 struct card_keys *k)
{
	struct pboc *P = xcalloc(1, sizeof(*P));
	int r;

	P->c = c;
	P->bp = m->profile;
	P->is = m->issuer;
	P->alg = k->bank_alg;
	if (!P->bp || !P->is) {
		r = cp_err(CP_ERR_CONFIG, "bank %s: no bank profile or issuer key for PBOC data",
			   c->bank);
		goto out;
	}
	if ((r = check_card(P)) < 0 || (r = chip_bcd_date(c->expiry_date, P->exp)) < 0 ||
	    (r = chip_bcd_date(c->issue_date, P->eff)) < 0 || (r = check_years(P)) < 0 ||
	    (r = pboc_issuer_covers(P->is, c->bank, c->expiry_date)) < 0) {
		r = cp_err_wrap(r, "card %s: ", c->card_no);
		goto out;
	}
	make_aip(P);
	if ((r = rec_track(P)) < 0 || (r = rec_card(P)) < 0 || (r = rec_dols(P)) < 0 ||
	    (r = rec_certs(P)) < 0)
		goto out;
	if ((r = pse(e, P->bp)) < 0)
		goto out;
	r = debit_app(e, P, k);
out:
	emv_icc_key_free(P->icc);
	cp_memzero(P, sizeof(*P));
	free(P);
	return r;
}
