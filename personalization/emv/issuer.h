/*
 * issuer.h - the EMV offline data authentication keys in the key store (docs/keys.md,
 * "Offline data authentication"): certification authority (CA) public keys, each bank's
 * issuer RSA key pair and its issuer public key certificate, and the TEST ONLY CA that
 * `keys ceremony --test` makes.
 *
 * Key store entries (all wrapped under the LMK like every other key, so a CA public key or
 * a certificate cannot be swapped either):
 *   emv.ca.<RID>.<II>      CA key, RID 10 hex digits, index 2 hex digits (upper case).
 *                          RSAPUB (public key only: production, from the scheme) or RSA
 *                          (key pair: only in a TEST ONLY store, the TEST ONLY CA).
 *   emv.issuer.<BANK>      RSA: the bank's issuer key pair (PKCS#8 DER in the wrap).
 *   emv.issuer_cert.<BANK> EMVCERT: the issuer certificate with the RID and CA index it
 *                          was signed under (checked against that CA key when imported and
 *                          when loaded).
 *
 * The TEST ONLY CA is RID A000000333 (the debit application's RID), index F1: an index no
 * production scheme key of that RID uses, so a terminal can never mistake it for a real
 * one.
 */
#ifndef CP_EMV_ISSUER_H
#define CP_EMV_ISSUER_H

#include "personalization/emv/oda.h"

#include <stddef.h>

struct config;
struct keystore;

#define EMV_RID_PBOC "A000000333"
#define EMV_TEST_CA_INDEX 0xF1
#define EMV_TEST_CA_BITS EMV_DEFAULT_CA_BITS
#define EMV_TEST_ISSUER_BITS EMV_DEFAULT_ISSUER_BITS
#define EMV_BANK_MAX 31

/* A bank's issuer key and certificate, loaded for perso. Read-only after load: several
 * threads may sign with it at once (emv_sda_sign, emv_icc_cert_make with ->key). */
struct emv_issuer {
	char bank[EMV_BANK_MAX + 1];
	struct evp_pkey_st *key; /* the issuer private key (secure heap) */
	struct emv_pubkey pub;	 /* its public key (N_I = pub.modulus_len) */
	unsigned char rid[EMV_RID_LEN];
	unsigned char ca_index; /* tag 8F */
	size_t ca_len;		/* N_CA, the CA modulus length = cert.cert_len */
	struct emv_cert cert;	/* tag 90, 92 (remainder_len 0: omit 92), 9F32 */
	unsigned char issuer_id[4];
	unsigned char expiry[2]; /* MMYY of the issuer certificate, BCD */
};

/* Key store names ("emv.ca.A000000333.F1", "emv.issuer.ICBC", "emv.issuer_cert.ICBC"). */
void emv_ca_key_name(const unsigned char rid[EMV_RID_LEN], unsigned char index, char *out,
		     size_t size);
void emv_issuer_key_name(const char *bank, char *out, size_t size);
/* Parse a RID (10 hex digits) and a CA index (2 hex digits). CP_ERR_USAGE when malformed. */
int emv_parse_rid(const char *s, unsigned char rid[EMV_RID_LEN]);
int emv_parse_ca_index(const char *s, unsigned char *index);

/* Load what perso needs for bank: issuer key pair and certificate, the certificate checked
 * by recovery with the CA key of the store, against the issuer key, and not expired
 * (cp_now()). CP_ERR_NOTFOUND naming the missing entry and the command that makes it. */
int emv_issuer_load(const struct keystore *ks, const char *bank, struct emv_issuer **out);
void emv_issuer_free(struct emv_issuer *is);
/* EMV Book 2 §5.3 step 8, as a terminal checks it: the digits of the certificate's issuer
 * identifier up to its first F nibble (3 to 8 digits) must be the leftmost digits of the
 * card's PAN. Perso calls it once per bank with the BIN it allocates PANs from (or per card
 * with the PAN) after emv_issuer_load(), which does not know the BIN. CP_ERR_INVALID naming
 * the bank, the identifier's digits and bin_or_pan when they do not match. Thread-safe. */
int emv_issuer_check_pan_prefix(const struct emv_issuer *is, const char *bin_or_pan);

/* The CA public key for RID/index from the store (RSAPUB or RSA entry). */
int emv_ca_get(const struct keystore *ks, const unsigned char rid[EMV_RID_LEN], unsigned char index,
	       struct emv_pubkey *out);
/* Add or replace a CA public key (production: the scheme's). Refused when the store holds
 * this CA's private key (TEST ONLY CA). */
int emv_ca_put_public(struct keystore *ks, const unsigned char rid[EMV_RID_LEN],
		      unsigned char index, const struct evp_pkey_st *pub);
/* The issuer public key of bank (from its key pair). */
int emv_issuer_pubkey(const struct keystore *ks, const char *bank, struct evp_pkey_st **out);

/* How a new issuer key pair goes into the store. */
struct emv_issuer_opts {
	/* Replace the bank's key pair when it has one (its certificate, which no longer
	 * matches, is removed); otherwise an existing key pair is CP_ERR_EXISTS. */
	int replace;
	/* The RID of the CA that is to certify the key (NULL: EMV_RID_PBOC): refused when
	 * the store holds CA keys of that RID and every one is shorter than the issuer key. */
	const unsigned char *rid;
};

/* Reads a passphrase into buf (size bytes, NUL-terminated, secure memory): 0 or a
 * CP_ERR_* code with a message. */
typedef int (*emv_pass_fn)(char *buf, size_t size, void *arg);

/* Generate the issuer key pair of bank (bits per emv_check_bits("issuer"), exponent 3 or
 * 65537), checked against the CA keys of the RID (see struct emv_issuer_opts); a key
 * shorter than EMV_DEFAULT_ICC_BITS is made with a warning (ICC keys cannot be longer). */
int emv_issuer_generate(struct keystore *ks, const char *bank, unsigned bits,
			unsigned long exponent, const struct emv_issuer_opts *o);
/* Import the issuer key pair from an encrypted PKCS#8 PEM private key file ("ENCRYPTED
 * PRIVATE KEY"; pass is called for its passphrase). The file is opened without following
 * a symbolic link and must be a regular file of this user with no group or other access
 * (CP_ERR_PERM); it is read into secure memory and wiped. An unencrypted private key file
 * is refused on a production store (CP_ERR_PERM: the issuer private key never lies in a
 * file in the clear) and accepted with a warning on a TEST ONLY store. Checked like a
 * generated key. */
int emv_issuer_import_pem(struct keystore *ks, const char *bank, const char *path,
			  const struct emv_issuer_opts *o, emv_pass_fn pass, void *pass_arg);
/* Import the issuer certificate from the file the scheme's CA returned (format in
 * docs/keys.md: lines "rid", "ca-index", "certificate", "remainder", "exponent" with hex
 * values); accepted only when it recovers with that CA's public key from the store and
 * certifies exactly the bank's issuer public key and issuer identifier. */
int emv_issuer_cert_import(struct keystore *ks, const struct config *cfg, const char *bank,
			   const char *path);
/* Store a certificate for bank after the same checks. */
int emv_issuer_cert_put(struct keystore *ks, const struct config *cfg, const char *bank,
			const unsigned char rid[EMV_RID_LEN], unsigned char index,
			const struct emv_cert *c);
/* The BIN of bank from banks.bins ("BANK:BIN,..."), as digits, into out (3 to size-1
 * digits); CP_ERR_CONFIG naming the bank when it has none or it is not digits. */
int emv_bank_bin(const struct config *cfg, const char *bank, char *out, size_t size);
/* The issuer identifier of bank: its BIN from banks.bins, as emv_issuer_id() pads it. */
int emv_bank_issuer_id(const struct config *cfg, const char *bank, unsigned char out[4]);

/* TEST ONLY store: make the TEST ONLY CA (A000000333/F1) if missing, and for every bank of
 * banks.cooperating an issuer key pair and a certificate signed by it, where missing.
 * CP_ERR_PERM for a production store. *added counts the entries made. */
int emv_test_populate(struct keystore *ks, const struct config *cfg, size_t *added);

#endif
