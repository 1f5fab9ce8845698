/*
 * keystore.h - the key store: every master key wrapped at rest, unwrapped into the secure
 * heap only while in use (docs/keys.md).
 *
 * At rest: one text file (paths.keystore, mode 0600, refused when group or others can read
 * it) holding each key wrapped with AES-256 key wrap with padding (RFC 5649, EVP
 * "AES-256-WRAP-PAD") under the local master key (LMK), together with its name and
 * algorithm so that wrapped values cannot be swapped between names, and a CMAC over the
 * whole file so that a removed, added or reordered line is refused.
 * The LMK exists only in memory: the XOR of two or three custodian components, each
 * checked against the KCV the store recorded at the ceremony (keys/component.h, ceremony.h).
 *
 * Names: kmc (AES, kdf3), kmc-emv (3DES, emv) (each chip profile names its stock's KMC),
 * ssse.ext-auth / ssse.maint / ssse.pin (SM4),
 * bank.<BANK>.mk-ac / mk-smi / mk-smc (3DES or SM4), transport.purchase / transport.load /
 * transport.tac (SM4), line.<N>.transport (AES-256), report.sign (SM2 key pair),
 * emv.ca.<RID>.<II> / emv.issuer.<BANK> / emv.issuer_cert.<BANK> (RSA, RSAPUB, EMVCERT:
 * personalization/emv/issuer.h).
 */
#ifndef CP_KEYSTORE_H
#define CP_KEYSTORE_H

#include "personalization/crypto/cipher.h"
#include "personalization/keys/component.h" /* LMK_LEN */

#include <stddef.h>

struct config;
struct evp_pkey_st;

/* RSA: an RSA key pair (private key DER); RSAPUB: an RSA public key only (SubjectPublicKeyInfo
 * DER); EMVCERT: an EMV issuer certificate record (personalization/emv/issuer.c). Public
 * values are wrapped too: the store's MAC and wrap keep them from being swapped. */
enum key_alg {
	KEY_AES = 1,
	KEY_SM4 = 2,
	KEY_TDES = 3,
	KEY_SM2 = 4,
	KEY_RSA = 5,
	KEY_RSA_PUB = 6,
	KEY_EMV_CERT = 7
};

#define KEY_NAME_MAX 63
#define KEYSTORE_MAX_COMPONENTS 3
#define KEY_VALUE_MAX 2048 /* an RSA-1984 private key in DER fits */

/* A clear key in the secure heap; free with key_free(). For SM2 and RSA the value is the
 * private key in DER, for RSAPUB the public key in DER, for EMVCERT the record. */
struct key {
	char name[KEY_NAME_MAX + 1];
	enum key_alg alg;
	size_t len;
	unsigned char *value;
	char kcv[7]; /* hex; SM2: first 3 bytes of SM3 over the public key; RSA and RSAPUB:
		      * of SHA-256 over the public key (DER); EMVCERT: SHA-256 of the record */
};

/* One line of `keys list`: never a value. */
struct key_info {
	char name[KEY_NAME_MAX + 1];
	enum key_alg alg;
	size_t bits;
	char kcv[7];
};

struct keystore;

const char *key_alg_name(enum key_alg a);
int key_alg_parse(const char *s, enum key_alg *a);

/* Harden this process for key handling: no core dumps (RLIMIT_CORE 0, PR_SET_DUMPABLE 0)
 * and the secure heap. A secure heap the system refuses is logged, not fatal. Every way
 * of opening the key store (keystore_open, keystore_open_cfg) calls it first, so no
 * command can forget it; calling it again is harmless. */
int keys_harden_process(void);

/* Open the store at path with the LMK components (each LMK_LEN bytes), checking each against
 * the recorded KCVs, the LMK's KCV and the file's MAC. CP_ERR_PERM for a store others can
 * read, CP_ERR_INTEGRITY for a changed file, CP_ERR_CRYPTO for wrong components. */
int keystore_open(const char *path, const unsigned char *const *components, size_t ncomp,
		  struct keystore **out);
/* Open using the configuration: keys.component_files (':'-separated, relative to home).
 * CP_ERR_CONFIG when there is no key store at paths.keystore (exit 2 for every command). */
int keystore_open_cfg(const struct config *cfg, const char *home, struct keystore **out);
/* Create a new, empty store in memory for path under the given components (written by
 * keystore_save). test_only marks it TEST ONLY for ever. */
int keystore_create(const char *path, const unsigned char *const *components, size_t ncomp,
		    int test_only, struct keystore **out);
/* Re-wrap every key under new components (a new ceremony); written by keystore_save. */
int keystore_rewrap(struct keystore *ks, const unsigned char *const *components, size_t ncomp);
/* Write the store atomically (0600). */
int keystore_save(struct keystore *ks);
void keystore_close(struct keystore *ks);

int keystore_is_test(const struct keystore *ks);
const char *keystore_path(const struct keystore *ks);
size_t keystore_count(const struct keystore *ks);
/* Name, algorithm, size and KCV of entry i (0..count-1). */
void keystore_info(const struct keystore *ks, size_t i, struct key_info *out);
/* 1 when a key of that name exists. */
int keystore_has(const struct keystore *ks, const char *name);

/* Add or replace a symmetric key (checks the length suits alg). */
int keystore_put(struct keystore *ks, const char *name, enum key_alg alg,
		 const unsigned char *value, size_t len);
/* Add or replace an RSA, RSAPUB or EMVCERT value (DER or record, checked to parse). */
int keystore_put_blob(struct keystore *ks, const char *name, enum key_alg alg,
		      const unsigned char *value, size_t len);
/* Generate and add an SM2 key pair. */
int keystore_generate_sm2(struct keystore *ks, const char *name);
/* Remove a key. */
int keystore_remove(struct keystore *ks, const char *name);

/* Unwrap a key into the secure heap. CP_ERR_NOTFOUND naming the key when missing. */
int keystore_get(const struct keystore *ks, const char *name, struct key **out);
/* Unwrap an SM2 or RSA key pair, or an RSAPUB public key, as an EVP_PKEY (EVP_PKEY_free()
 * it). */
int keystore_get_pkey(const struct keystore *ks, const char *name, struct evp_pkey_st **out);
void key_free(struct key *k);

/* KCV hex of a clear key (any alg; see struct key). */
int key_kcv_hex(enum key_alg alg, const unsigned char *v, size_t len, char out[7]);

#endif
