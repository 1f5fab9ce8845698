/*
 * oda.c - EMV offline data authentication formats: certificates, SDA signature, ICC keys
 * (see oda.h and docs/keys.md).
 */
#include "personalization/emv/oda.h"

#include "core/err.h"
#include "core/mem.h"
#include "personalization/crypto/hash.h"
#include "personalization/crypto/rsa.h"
#include "personalization/crypto/secmem.h"
#include "personalization/crypto/sign.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HDR 0x6A
#define TRAILER 0xBC
#define PAD 0xBB
#define FMT_ISSUER 0x02
#define FMT_SDA 0x03
#define FMT_ICC 0x04
#define ALG_SHA1 0x01
#define ALG_RSA 0x01
#define SHA1_LEN 20

/* ---- sizes and encodings ---- */

int
emv_check_bits(const char *role, unsigned bits)
{
	unsigned step = !strcmp(role, "ICC") ? 16 : 8;
	unsigned min = !strcmp(role, "CA")	 ? EMV_CA_MIN_BYTES
		       : !strcmp(role, "issuer") ? EMV_ISSUER_MIN_BYTES
						 : EMV_RSA_MIN_BYTES;

	if (bits < min * 8 || bits > EMV_RSA_MAX_BYTES * 8 || bits % step)
		return cp_err(CP_ERR_INVALID,
			      "%s key of %u bits: EMV allows %u to %u bits in steps of %u", role,
			      bits, min * 8, EMV_RSA_MAX_BYTES * 8, step);
	return 0;
}

int
emv_check_chain(const char *what, size_t certified_len, size_t signer_len)
{
	if (certified_len > signer_len)
		return cp_err(CP_ERR_INVALID,
			      "%s: the certified key (%zu bits) is longer than the key that signs "
			      "it (%zu bits); EMV needs ICC <= issuer <= CA",
			      what, certified_len * 8, signer_len * 8);
	return 0;
}

static int
exponent_check(const unsigned char *e, size_t len)
{
	if ((len == 1 && e[0] == 0x03) ||
	    (len == 3 && e[0] == 0x01 && e[1] == 0x00 && e[2] == 0x01))
		return 0;
	return cp_err(CP_ERR_INVALID, "RSA exponent of %zu bytes: EMV allows 03 or 010001", len);
}

int
emv_pubkey_from_pkey(const struct evp_pkey_st *pk, struct emv_pubkey *out)
{
	int bits, ebits;

	memset(out, 0, sizeof(*out));
	if (!cp_pkey_is_a(pk, "RSA"))
		return cp_err(CP_ERR_INVALID, "not an RSA key");
	if (cp_rsa_num(pk, CP_RSA_N, NULL, 0, &bits) < 0 ||
	    cp_rsa_num(pk, CP_RSA_E, NULL, 0, &ebits) < 0)
		return cp_ossl_err(CP_ERR_CRYPTO, "RSA key without modulus or exponent");
	if (bits % 8 || bits > EMV_RSA_MAX_BYTES * 8 || bits < EMV_RSA_MIN_BYTES * 8)
		return cp_err(CP_ERR_INVALID,
			      "RSA modulus of %d bits: EMV needs a whole number of bytes, %d to %d "
			      "bits",
			      bits, EMV_RSA_MIN_BYTES * 8, EMV_RSA_MAX_BYTES * 8);
	out->modulus_len = (size_t)bits / 8;
	if ((ebits + 7) / 8 > EMV_EXP_MAX)
		return cp_err(CP_ERR_INVALID, "RSA exponent of %d bits: EMV allows 3 or 65537",
			      ebits);
	out->exponent_len = (size_t)(ebits + 7) / 8;
	if (cp_rsa_num(pk, CP_RSA_N, out->modulus, out->modulus_len, &bits) < 0 ||
	    cp_rsa_num(pk, CP_RSA_E, out->exponent, out->exponent_len, &ebits) < 0)
		return cp_ossl_err(CP_ERR_CRYPTO, "RSA key without modulus or exponent");
	return exponent_check(out->exponent, out->exponent_len);
}

int
emv_pubkey_to_pkey(const struct emv_pubkey *pub, struct evp_pkey_st **out)
{
	if (cp_rsa_from_ne(pub->modulus, pub->modulus_len, pub->exponent, pub->exponent_len, out) <
	    0)
		return cp_ossl_err(CP_ERR_CRYPTO,
				   "cannot make an RSA public key from modulus and exponent");
	return 0;
}

int
emv_issuer_id(const char *digits, unsigned char out[4])
{
	size_t n = strlen(digits);

	if (n < 3 || strspn(digits, "0123456789") != n)
		return cp_err(CP_ERR_INVALID,
			      "issuer identifier '%s': needs at least 3 digits of the PAN", digits);
	if (n > 8)
		n = 8; /* the leftmost 3 to 8 digits */
	memset(out, 0xFF, 4);
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned)(digits[i] - '0');

		out[i / 2] = (unsigned char)(i % 2 ? (out[i / 2] & 0xF0) | d
						   : (d << 4) | (out[i / 2] & 0x0F));
	}
	return 0;
}

int
emv_pan_bcd10(const char *pan, unsigned char out[10])
{
	size_t n = strlen(pan);

	if (n < 8 || n > 19 || strspn(pan, "0123456789") != n)
		return cp_err(CP_ERR_INVALID, "PAN of %zu characters: needs 8 to 19 digits", n);
	memset(out, 0xFF, 10);
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned)(pan[i] - '0');

		out[i / 2] = (unsigned char)(i % 2 ? (out[i / 2] & 0xF0) | d
						   : (d << 4) | (out[i / 2] & 0x0F));
	}
	return 0;
}

static int
sha1_parts(const unsigned char *const *p, const size_t *n, size_t count,
	   unsigned char out[SHA1_LEN])
{
	struct cp_md_ctx *ctx;

	if (cp_md_new(CP_MD_SHA1, &ctx) < 0)
		return cp_ossl_err(CP_ERR_CRYPTO, "SHA-1 failed");
	for (size_t i = 0; i < count; i++)
		cp_md_update(ctx, p[i], n[i]);
	return cp_md_final(ctx, out) < 0 ? cp_ossl_err(CP_ERR_CRYPTO, "SHA-1 failed") : 0;
}

int
emv_ca_hash(const unsigned char rid[EMV_RID_LEN], unsigned char index, const struct emv_pubkey *ca,
	    unsigned char out[20])
{
	const unsigned char *p[] = {rid, &index, ca->modulus, ca->exponent};
	size_t n[] = {EMV_RID_LEN, 1, ca->modulus_len, ca->exponent_len};

	return sha1_parts(p, n, 4, out);
}

/* BCD MMYY with month 01..12. */
static int
expiry_check(const unsigned char e[2])
{
	unsigned mh = e[0] >> 4, ml = e[0] & 15, yh = e[1] >> 4, yl = e[1] & 15;
	unsigned m = mh * 10 + ml;

	if (mh > 9 || ml > 9 || yh > 9 || yl > 9 || m < 1 || m > 12)
		return cp_err(CP_ERR_INVALID, "expiry date %02X%02X is not MMYY", e[0], e[1]);
	return 0;
}

/* ---- raw RSA ---- */

int
emv_rsa_generate(unsigned bits, unsigned long exponent, struct evp_pkey_st **out)
{
	*out = NULL;
	if (exponent != 3 && exponent != 65537)
		return cp_err(CP_ERR_INVALID, "RSA exponent %lu: EMV allows 3 or 65537", exponent);
	if (cp_rsa_generate(bits, exponent, out) < 0)
		return cp_ossl_err(CP_ERR_CRYPTO,
				   "RSA key generation (%u bits, exponent %lu) failed", bits,
				   exponent);
	return 0;
}

/* in^d mod n with a private key: the signer's operation. */
static int
emv_rsa_private_raw(const struct evp_pkey_st *priv, const unsigned char *in, size_t len,
		    unsigned char *out)
{
	int r;

	if (cp_rsa_size(priv) != len)
		return cp_err(CP_ERR_INVALID, "RSA block of %zu bytes for a %d-byte modulus", len,
			      (int)cp_rsa_size(priv));
	if ((r = cp_rsa_private_raw(priv, in, len, out)) < 0)
		return cp_ossl_err(CP_ERR_CRYPTO, r == CP_ERR_NOMEM
							  ? "no RSA context"
							  : "RSA private operation failed");
	return 0;
}

int
emv_rsa_public_raw(const struct emv_pubkey *pub, const unsigned char *in, size_t len,
		   unsigned char *out)
{
	struct evp_pkey_st *pk = NULL;
	int r;

	if (len != pub->modulus_len)
		return cp_err(CP_ERR_FORMAT, "signature of %zu bytes for a %zu-byte modulus", len,
			      pub->modulus_len);
	if (memcmp(in, pub->modulus, len) >= 0)
		return cp_err(CP_ERR_CRYPTO, "signature is not below the modulus");
	if ((r = emv_pubkey_to_pkey(pub, &pk)) < 0)
		return r;
	if (cp_rsa_public_raw(pk, in, len, out) < 0)
		r = cp_ossl_err(CP_ERR_CRYPTO, "RSA public operation failed");
	cp_pkey_free(pk);
	return r;
}

/* ---- certificates (issuer format 02, ICC format 04) ---- */

/* Offsets in a certificate block whose identifier field has idlen bytes. */
#define OFF_ID 2
#define OFF_EXPIRY(idlen) (OFF_ID + (idlen))
#define OFF_SERIAL(idlen) (OFF_EXPIRY(idlen) + 2)
#define OFF_HASHALG(idlen) (OFF_SERIAL(idlen) + 3)
#define OFF_PKALG(idlen) (OFF_HASHALG(idlen) + 1)
#define OFF_PKLEN(idlen) (OFF_PKALG(idlen) + 1)
#define OFF_EXPLEN(idlen) (OFF_PKLEN(idlen) + 1)
#define OFF_KEY(idlen) (OFF_EXPLEN(idlen) + 1)
/* room for the certified modulus in an n-byte block: N_CA - 36 or N_I - 42 */
#define KEY_ROOM(n, idlen) ((n)-OFF_KEY(idlen) - SHA1_LEN - 1)

struct cert_spec {
	const char *what; /* "issuer certificate" */
	unsigned char format;
	const unsigned char *id;
	size_t idlen;
};

/* The hash over block[1 .. hash) || remainder || exponent || sdata. */
static int
cert_hash(const unsigned char *block, size_t n, const struct emv_cert *c,
	  const unsigned char *sdata, size_t sdlen, unsigned char out[SHA1_LEN])
{
	const unsigned char *p[] = {block + 1, c->remainder, c->exponent, sdata};
	size_t l[] = {n - 1 - SHA1_LEN - 1, c->remainder_len, c->exponent_len, sdlen};

	return sha1_parts(p, l, 4, out);
}

static int
cert_make(const struct evp_pkey_st *signer, const struct cert_spec *s, const struct emv_pubkey *key,
	  const unsigned char expiry[2], const unsigned char serial[3], const unsigned char *sdata,
	  size_t sdlen, struct emv_cert *out)
{
	unsigned char block[EMV_RSA_MAX_BYTES];
	int sz = (int)cp_rsa_size(signer);
	size_t n = sz > 0 ? (size_t)sz : 0, room, lead;
	int r;

	memset(out, 0, sizeof(*out));
	if (n < EMV_RSA_MIN_BYTES || n > EMV_RSA_MAX_BYTES)
		return cp_err(CP_ERR_INVALID, "%s: signing key of %zu bytes is outside EMV's sizes",
			      s->what, n);
	if ((r = emv_check_chain(s->what, key->modulus_len, n)) < 0 ||
	    (r = exponent_check(key->exponent, key->exponent_len)) < 0 ||
	    (r = expiry_check(expiry)) < 0)
		return cp_err_wrap(r, "%s: ", s->what);
	room = KEY_ROOM(n, s->idlen);
	lead = key->modulus_len < room ? key->modulus_len : room;
	block[0] = HDR;
	block[1] = s->format;
	memcpy(block + OFF_ID, s->id, s->idlen);
	memcpy(block + OFF_EXPIRY(s->idlen), expiry, 2);
	memcpy(block + OFF_SERIAL(s->idlen), serial, 3);
	block[OFF_HASHALG(s->idlen)] = ALG_SHA1;
	block[OFF_PKALG(s->idlen)] = ALG_RSA;
	block[OFF_PKLEN(s->idlen)] = (unsigned char)key->modulus_len;
	block[OFF_EXPLEN(s->idlen)] = (unsigned char)key->exponent_len;
	memcpy(block + OFF_KEY(s->idlen), key->modulus, lead);
	memset(block + OFF_KEY(s->idlen) + lead, PAD, room - lead);
	out->remainder_len = key->modulus_len - lead;
	memcpy(out->remainder, key->modulus + lead, out->remainder_len);
	out->exponent_len = key->exponent_len;
	memcpy(out->exponent, key->exponent, key->exponent_len);
	if ((r = cert_hash(block, n, out, sdata, sdlen, block + n - 1 - SHA1_LEN)) < 0)
		return r;
	block[n - 1] = TRAILER;
	out->cert_len = n;
	return emv_rsa_private_raw(signer, block, n, out->cert);
}

static int
bad(const struct cert_spec *s, const char *field, const char *detail)
{
	return cp_err(CP_ERR_CRYPTO, "%s: %s %s", s->what, field, detail);
}

/* Check the fixed fields of a recovered block and copy them out. */
static int
cert_fields(const struct cert_spec *s, const unsigned char *block, size_t n,
	    const struct emv_cert *c, struct emv_cert_fields *f)
{
	size_t room = KEY_ROOM(n, s->idlen), klen, lead;

	if (block[0] != HDR || block[n - 1] != TRAILER)
		return bad(s, "recovered data",
			   "has no header 6A / trailer BC: wrong key or "
			   "not a certificate");
	if (block[1] != s->format)
		return cp_err(CP_ERR_CRYPTO, "%s: format %02X, not %02X", s->what, block[1],
			      s->format);
	if (block[OFF_HASHALG(s->idlen)] != ALG_SHA1 || block[OFF_PKALG(s->idlen)] != ALG_RSA)
		return bad(s, "hash or public key algorithm", "is not 01 (SHA-1, RSA)");
	if (expiry_check(block + OFF_EXPIRY(s->idlen)) < 0)
		return bad(s, "expiry date", "is not MMYY");
	klen = block[OFF_PKLEN(s->idlen)];
	if (block[OFF_EXPLEN(s->idlen)] != c->exponent_len)
		return cp_err(CP_ERR_CRYPTO, "%s: exponent length %u, the exponent has %zu bytes",
			      s->what, block[OFF_EXPLEN(s->idlen)], c->exponent_len);
	if (exponent_check(c->exponent, c->exponent_len) < 0)
		return bad(s, "exponent", "is not 03 or 010001");
	if (klen > n)
		return bad(s, "certified key length", "exceeds the signing key's");
	lead = klen < room ? klen : room;
	if (c->remainder_len != klen - lead)
		return cp_err(CP_ERR_CRYPTO,
			      "%s: a %zu-byte key needs a remainder of %zu bytes, %zu given",
			      s->what, klen, klen - lead, c->remainder_len);
	for (size_t i = lead; i < room; i++)
		if (block[OFF_KEY(s->idlen) + i] != PAD)
			return bad(s, "padding", "after the key is not BB");
	memset(f, 0, sizeof(*f));
	f->format = block[1];
	f->id_len = s->idlen;
	memcpy(f->id, block + OFF_ID, s->idlen);
	memcpy(f->expiry, block + OFF_EXPIRY(s->idlen), 2);
	memcpy(f->serial, block + OFF_SERIAL(s->idlen), 3);
	f->hash_alg = block[OFF_HASHALG(s->idlen)];
	f->pk_alg = block[OFF_PKALG(s->idlen)];
	f->key.modulus_len = klen;
	memcpy(f->key.modulus, block + OFF_KEY(s->idlen), lead);
	memcpy(f->key.modulus + lead, c->remainder, c->remainder_len);
	f->key.exponent_len = c->exponent_len;
	memcpy(f->key.exponent, c->exponent, c->exponent_len);
	memcpy(f->hash, block + n - 1 - SHA1_LEN, SHA1_LEN);
	return 0;
}

static int
cert_recover(const struct emv_pubkey *signer, const struct cert_spec *s, const struct emv_cert *c,
	     const unsigned char *sdata, size_t sdlen, struct emv_cert_fields *out)
{
	unsigned char block[EMV_RSA_MAX_BYTES], h[SHA1_LEN];
	size_t n = signer->modulus_len;
	int r;

	if (c->cert_len != n)
		return cp_err(CP_ERR_FORMAT, "%s has %zu bytes; the signing key's modulus has %zu",
			      s->what, c->cert_len, n);
	if (n < EMV_RSA_MIN_BYTES || n > EMV_RSA_MAX_BYTES)
		return cp_err(CP_ERR_FORMAT, "%s: signing key of %zu bytes", s->what, n);
	if ((r = emv_rsa_public_raw(signer, c->cert, n, block)) < 0)
		return cp_err_wrap(r, "%s: ", s->what);
	if ((r = cert_fields(s, block, n, c, out)) < 0 ||
	    (r = cert_hash(block, n, c, sdata, sdlen, h)) < 0)
		return r;
	if (cp_ct_memcmp(h, out->hash, SHA1_LEN) != 0)
		return bad(s, "hash", "does not match its fields, remainder and exponent");
	return 0;
}

int
emv_issuer_cert_make(const struct evp_pkey_st *ca, const struct emv_pubkey *issuer,
		     const unsigned char issuer_id[4], const unsigned char expiry[2],
		     const unsigned char serial[3], struct emv_cert *out)
{
	struct cert_spec s = {"issuer certificate", FMT_ISSUER, issuer_id, 4};

	return cert_make(ca, &s, issuer, expiry, serial, NULL, 0, out);
}

int
emv_issuer_cert_recover(const struct emv_pubkey *ca, const struct emv_cert *c,
			struct emv_cert_fields *out)
{
	struct cert_spec s = {"issuer certificate", FMT_ISSUER, NULL, 4};

	return cert_recover(ca, &s, c, NULL, 0, out);
}

int
emv_icc_cert_make(const struct evp_pkey_st *issuer, const struct emv_pubkey *icc, const char *pan,
		  const unsigned char expiry[2], const unsigned char serial[3],
		  const unsigned char *sdata, size_t sdata_len, struct emv_cert *out)
{
	unsigned char id[10];
	struct cert_spec s = {"ICC certificate", FMT_ICC, id, 10};
	int r;

	if ((r = emv_pan_bcd10(pan, id)) < 0)
		return cp_err_wrap(r, "ICC certificate: ");
	return cert_make(issuer, &s, icc, expiry, serial, sdata, sdata_len, out);
}

int
emv_icc_cert_recover(const struct emv_pubkey *issuer, const struct emv_cert *c,
		     const unsigned char *sdata, size_t sdata_len, struct emv_cert_fields *out)
{
	struct cert_spec s = {"ICC certificate", FMT_ICC, NULL, 10};

	return cert_recover(issuer, &s, c, sdata, sdata_len, out);
}

/* ---- SDA ---- */

#define SDA_FIXED 26 /* 6A 03 01 DAC(2) ... hash(20) BC */

int
emv_sda_sign(const struct evp_pkey_st *issuer, const unsigned char dac[2],
	     const unsigned char *sdata, size_t sdata_len, unsigned char *out, size_t *out_len)
{
	unsigned char block[EMV_RSA_MAX_BYTES];
	int sz = (int)cp_rsa_size(issuer);
	size_t n = sz > 0 ? (size_t)sz : 0;
	const unsigned char *p[2];
	size_t l[2];
	int r;

	*out_len = 0;
	if (n < EMV_RSA_MIN_BYTES || n > EMV_RSA_MAX_BYTES)
		return cp_err(CP_ERR_INVALID, "SDA: issuer key of %zu bytes is outside EMV's sizes",
			      n);
	block[0] = HDR;
	block[1] = FMT_SDA;
	block[2] = ALG_SHA1;
	block[3] = dac[0];
	block[4] = dac[1];
	memset(block + 5, PAD, n - SDA_FIXED);
	p[0] = block + 1;
	l[0] = n - 1 - SHA1_LEN - 1;
	p[1] = sdata;
	l[1] = sdata_len;
	if ((r = sha1_parts(p, l, 2, block + n - 1 - SHA1_LEN)) < 0)
		return r;
	block[n - 1] = TRAILER;
	if ((r = emv_rsa_private_raw(issuer, block, n, out)) < 0)
		return cp_err_wrap(r, "SDA: ");
	*out_len = n;
	return 0;
}

int
emv_sda_verify(const struct emv_pubkey *issuer, const unsigned char *ssad, size_t len,
	       const unsigned char *sdata, size_t sdata_len, unsigned char dac[2])
{
	unsigned char block[EMV_RSA_MAX_BYTES], h[SHA1_LEN];
	size_t n = issuer->modulus_len;
	const unsigned char *p[2];
	size_t l[2];
	int r;

	if (len != n || n < EMV_RSA_MIN_BYTES)
		return cp_err(CP_ERR_FORMAT, "signed static data has %zu bytes, the issuer key %zu",
			      len, n);
	if ((r = emv_rsa_public_raw(issuer, ssad, n, block)) < 0)
		return cp_err_wrap(r, "signed static data: ");
	if (block[0] != HDR || block[n - 1] != TRAILER || block[1] != FMT_SDA)
		return cp_err(CP_ERR_CRYPTO, "signed static data: header, format 03 or trailer "
					     "wrong: wrong issuer key?");
	if (block[2] != ALG_SHA1)
		return cp_err(CP_ERR_CRYPTO, "signed static data: hash algorithm %02X", block[2]);
	for (size_t i = 5; i < n - 1 - SHA1_LEN; i++)
		if (block[i] != PAD)
			return cp_err(CP_ERR_CRYPTO, "signed static data: padding is not BB");
	p[0] = block + 1;
	l[0] = n - 1 - SHA1_LEN - 1;
	p[1] = sdata;
	l[1] = sdata_len;
	if ((r = sha1_parts(p, l, 2, h)) < 0)
		return r;
	if (cp_ct_memcmp(h, block + n - 1 - SHA1_LEN, SHA1_LEN) != 0)
		return cp_err(CP_ERR_CRYPTO,
			      "signed static data: hash does not match the static data");
	dac[0] = block[3];
	dac[1] = block[4];
	return 0;
}

/* ---- ICC key pair ---- */

void
emv_icc_key_free(struct emv_icc_key *k)
{
	if (!k)
		return;
	cp_secure_free(k->p, k->half);
	cp_secure_free(k->q, k->half);
	cp_secure_free(k->dp, k->half);
	cp_secure_free(k->dq, k->half);
	cp_secure_free(k->qinv, k->half);
	free(k);
}

/* One CRT component of pk into a secure buffer of exactly half bytes. */
static int
crt_part(const struct evp_pkey_st *pk, enum cp_rsa_num which, size_t half, unsigned char **out)
{
	int bits, r;

	*out = cp_secure_zalloc(half);
	r = cp_rsa_num(pk, which, *out, half, &bits);
	if (r == CP_ERR_LIMIT)
		return cp_err(CP_ERR_CRYPTO, "RSA %s longer than half the modulus",
			      cp_rsa_num_name(which));
	if (r < 0)
		return cp_ossl_err(CP_ERR_CRYPTO, "RSA key without %s", cp_rsa_num_name(which));
	return 0;
}

int
emv_icc_keygen(unsigned bits, unsigned long exponent, struct emv_icc_key **out)
{
	struct emv_icc_key *k = NULL;
	struct evp_pkey_st *pk = NULL;
	int r;

	*out = NULL;
	if ((r = emv_check_bits("ICC", bits)) < 0 ||
	    (r = emv_rsa_generate(bits, exponent, &pk)) < 0)
		return r;
	k = xcalloc(1, sizeof(*k));
	k->half = bits / 16;
	if ((r = emv_pubkey_from_pkey(pk, &k->pub)) < 0)
		goto out;
	if (k->pub.modulus_len != bits / 8) {
		r = cp_err(CP_ERR_CRYPTO, "RSA key generation gave %zu bytes, not %u",
			   k->pub.modulus_len, bits / 8);
		goto out;
	}
	if ((r = crt_part(pk, CP_RSA_P, k->half, &k->p)) < 0 ||
	    (r = crt_part(pk, CP_RSA_Q, k->half, &k->q)) < 0 ||
	    (r = crt_part(pk, CP_RSA_DP, k->half, &k->dp)) < 0 ||
	    (r = crt_part(pk, CP_RSA_DQ, k->half, &k->dq)) < 0 ||
	    (r = crt_part(pk, CP_RSA_QINV, k->half, &k->qinv)) < 0)
		goto out;
	*out = k;
	k = NULL;
out:
	emv_icc_key_free(k);
	cp_pkey_free(pk);
	return r;
}
