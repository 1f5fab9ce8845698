/*
 * oda.h - EMV offline data authentication formats (EMV 4.3 Book 2, PBOC 3.0 follows it):
 * the issuer public key certificate (§5.3, tags 90/92/9F32), signed static application data
 * for SDA (§5.1, tag 93), the ICC key pair and the ICC public key certificate (§6.4, tags
 * 9F46/9F48/9F47), and the raw RSA operations that make and recover them (docs/keys.md,
 * "Offline data authentication").
 *
 * Every signature here is the EMV "digital signature scheme giving message recovery": the
 * signer applies the RSA private key, without padding, to a block as long as its modulus
 * (header 6A ... SHA-1 hash, trailer BC); the verifier applies the public key and reads the
 * fields back. Hash algorithm 01 (SHA-1) and public key algorithm 01 (RSA) only.
 *
 * Key sizes: a modulus is a whole number of bytes, at most EMV_RSA_MAX_BYTES (1984 bits);
 * ICC <= issuer <= CA (Book 2 §5.1, §6.1), refused otherwise with CP_ERR_INVALID. An ICC
 * modulus also has an even number of bytes, so that its CRT components are each exactly
 * half its length (CPS DGIs 8201..8205). Exponent 3 or 65537.
 *
 * Thread safety: the functions keep no state; one struct emv_issuer (issuer.h) may sign
 * from several threads at once.
 */
#ifndef CP_EMV_ODA_H
#define CP_EMV_ODA_H

#include <stddef.h>

struct evp_pkey_st;

#define EMV_RSA_MAX_BYTES 248 /* 1984 bits */
#define EMV_RSA_MIN_BYTES 64  /* 512 bits: below, a certificate's fixed fields do not fit */
/* A signer's modulus must leave room for a 512-bit certified key: terminals (e.g. the
 * open-source emv-utils) refuse an issuer certificate under N_CA < 15 + 64 + 21 = 100 bytes
 * and an ICC certificate under N_I < 21 + 64 + 21 = 106 bytes. */
#define EMV_CA_MIN_BYTES 100	 /* 800 bits */
#define EMV_ISSUER_MIN_BYTES 106 /* 848 bits */
#define EMV_EXP_MAX 3		 /* exponent 03 (1 byte) or 010001 (3 bytes) */
#define EMV_RID_LEN 5
#define EMV_DEFAULT_CA_BITS 1408
#define EMV_DEFAULT_ISSUER_BITS 1152
#define EMV_DEFAULT_ICC_BITS 1024

/* An RSA public key as EMV carries it: big-endian modulus and exponent. */
struct emv_pubkey {
	unsigned char modulus[EMV_RSA_MAX_BYTES];
	size_t modulus_len;
	unsigned char exponent[EMV_EXP_MAX];
	size_t exponent_len;
};

/* A certificate as the card holds it: the certificate proper (90 or 9F46, as long as the
 * signer's modulus), the remainder of the certified modulus (92 or 9F48; empty when the
 * whole modulus fits in the certificate) and the certified key's exponent (9F32 or 9F47). */
struct emv_cert {
	unsigned char cert[EMV_RSA_MAX_BYTES];
	size_t cert_len;
	unsigned char remainder[EMV_RSA_MAX_BYTES];
	size_t remainder_len;
	unsigned char exponent[EMV_EXP_MAX];
	size_t exponent_len;
};

/* The fields of a recovered issuer (format 02) or ICC (format 04) certificate. */
struct emv_cert_fields {
	unsigned char format;	 /* 02 issuer, 04 ICC */
	unsigned char id[10];	 /* issuer identifier (4 bytes) or application PAN (10) */
	size_t id_len;		 /* 4 or 10 */
	unsigned char expiry[2]; /* MMYY, BCD */
	unsigned char serial[3]; /* binary */
	unsigned char hash_alg;	 /* 01 */
	unsigned char pk_alg;	 /* 01 */
	struct emv_pubkey key;	 /* the certified public key, modulus reassembled */
	unsigned char hash[20];	 /* as recovered (checked by the recover functions) */
};

/* ICC key pair made at perso. The CRT components are in the secure heap
 * (personalization/crypto/secmem.h), each exactly modulus_len / 2 bytes, big-endian, left
 * padded with zeros: the values of CPS DGIs 8205 (p), 8204 (q), 8203 (dP), 8202 (dQ),
 * 8201 (qInv). Free with emv_icc_key_free(), which wipes them. */
struct emv_icc_key {
	struct emv_pubkey pub;
	size_t half; /* modulus_len / 2 */
	unsigned char *p, *q, *dp, *dq, *qinv;
};

/* ---- key sizes and encodings ---- */

/* CP_ERR_INVALID unless bits is a size EMV allows for that role: a multiple of 8 (16 for an
 * ICC key), at most 1984, at least 800 for a CA key, 848 for an issuer key (so that the
 * certificates they sign hold a 512-bit key, see EMV_CA_MIN_BYTES) and 512 for an ICC key.
 * role is "CA", "issuer" or "ICC". */
int emv_check_bits(const char *role, unsigned bits);
/* CP_ERR_INVALID unless the certified key is not longer than the signer's (what = "issuer
 * key ... CA key" in the message). */
int emv_check_chain(const char *what, size_t certified_len, size_t signer_len);
/* The modulus and exponent of an RSA EVP_PKEY (public or private), checked: exponent 3 or
 * 65537, modulus a whole number of bytes <= EMV_RSA_MAX_BYTES. */
int emv_pubkey_from_pkey(const struct evp_pkey_st *pk, struct emv_pubkey *out);
/* An RSA public EVP_PKEY from modulus and exponent (cp_pkey_free() it). */
int emv_pubkey_to_pkey(const struct emv_pubkey *pub, struct evp_pkey_st **out);
/* The issuer identifier of a certificate: the leftmost 3..8 digits of the PAN (or the BIN
 * given as digits), padded on the right with hex F to 4 bytes. */
int emv_issuer_id(const char *digits, unsigned char out[4]);
/* An application PAN (up to 19 digits) as 10 bytes BCD padded with F (ICC certificate). */
int emv_pan_bcd10(const char *pan, unsigned char out[10]);
/* The EMV CA public key hash terminals are given: SHA-1 over RID (5) || index (1) ||
 * modulus || exponent. */
int emv_ca_hash(const unsigned char rid[EMV_RID_LEN], unsigned char index,
		const struct emv_pubkey *ca, unsigned char out[20]);

/* ---- RSA keys and raw operations (no padding: in and out as long as the modulus) ---- */

/* Generate an RSA key pair (OpenSSL EVP) of bits (checked by the caller with
 * emv_check_bits) and exponent 3 or 65537. */
int emv_rsa_generate(unsigned bits, unsigned long exponent, struct evp_pkey_st **out);

/* in^e mod n with a public key: recovery of a certificate or signature. */
int emv_rsa_public_raw(const struct emv_pubkey *pub, const unsigned char *in, size_t len,
		       unsigned char *out);

/* ---- issuer public key certificate (Book 2 §5.3, format 02) ---- */

/* Make the issuer certificate: signed with the CA private key ca (whose modulus length is
 * N_CA), for the issuer public key issuer (N_I <= N_CA), issuer identifier (4 bytes, see
 * emv_issuer_id), expiry MMYY (BCD) and serial (3 bytes). Fills 90, 92 (remainder, empty
 * when N_I <= N_CA - 36) and 9F32. */
int emv_issuer_cert_make(const struct evp_pkey_st *ca, const struct emv_pubkey *issuer,
			 const unsigned char issuer_id[4], const unsigned char expiry[2],
			 const unsigned char serial[3], struct emv_cert *out);
/* Recover and check an issuer certificate with the CA public key: header 6A, format 02,
 * trailer BC, hash and pk algorithms 01, lengths consistent with the certificate and
 * remainder, padding BB, and the SHA-1 hash over the fields || remainder || exponent.
 * Each failure is CP_ERR_CRYPTO (or CP_ERR_FORMAT for wrong sizes) naming the field. */
int emv_issuer_cert_recover(const struct emv_pubkey *ca, const struct emv_cert *c,
			    struct emv_cert_fields *out);

/* ---- SDA: signed static application data (Book 2 §5.4, tag 93) ---- */

/* Sign the static data to be authenticated (the records the AFL marks, then the values of
 * the tags the SDA tag list 9F4A names, as Book 3 §10.3 builds them) with the issuer
 * private key: block 6A 03 01 DAC(2) BB..BB SHA-1 BC, where the hash covers 03 01 DAC
 * BB..BB || sdata. out receives N_I bytes (*out_len), the value of tag 93. */
int emv_sda_sign(const struct evp_pkey_st *issuer, const unsigned char dac[2],
		 const unsigned char *sdata, size_t sdata_len, unsigned char *out, size_t *out_len);
/* Recover tag 93 with the issuer public key and check header, format 03, hash alg,
 * padding, trailer and the hash over sdata; *dac gets the data authentication code. */
int emv_sda_verify(const struct emv_pubkey *issuer, const unsigned char *ssad, size_t len,
		   const unsigned char *sdata, size_t sdata_len, unsigned char dac[2]);

/* ---- ICC key pair and ICC public key certificate (Book 2 §6.4, format 04) ---- */

/* Generate an ICC RSA key pair (OpenSSL EVP): bits per emv_check_bits("ICC"), exponent 3
 * or 65537. Private components only in the secure heap. */
int emv_icc_keygen(unsigned bits, unsigned long exponent, struct emv_icc_key **out);
void emv_icc_key_free(struct emv_icc_key *k);
/* Make the ICC public key certificate with the issuer private key (N_ICC <= N_I): PAN
 * (digits), expiry MMYY (BCD, usually the application's expiry month), serial (3 bytes),
 * and the static data to be authenticated (hashed after the exponent; may be empty).
 * Fills 9F46, 9F48 (remainder, empty when N_ICC <= N_I - 42) and 9F47. */
int emv_icc_cert_make(const struct evp_pkey_st *issuer, const struct emv_pubkey *icc,
		      const char *pan, const unsigned char expiry[2], const unsigned char serial[3],
		      const unsigned char *sdata, size_t sdata_len, struct emv_cert *out);
/* Recover and check an ICC certificate with the issuer public key (same checks as the
 * issuer certificate, format 04, the hash also over sdata). */
int emv_icc_cert_recover(const struct emv_pubkey *issuer, const struct emv_cert *c,
			 const unsigned char *sdata, size_t sdata_len, struct emv_cert_fields *out);

#endif
