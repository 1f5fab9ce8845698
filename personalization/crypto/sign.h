/*
 * sign.h - public-key signatures over OpenSSL 3 EVP, in the form the openssl command line
 * makes and checks (`openssl dgst -sign/-verify`): DER signatures over a message's bytes.
 * CP_SIG_SM2 = SM2 with SM3 (GB/T 32918.2) and a distinguishing ID (the caller's; GM/T 0009's
 * default is "1234567812345678"), CP_SIG_ECDSA_P256 = ECDSA P-256 with SHA-256,
 * CP_SIG_RSA_PSS = RSA-PSS with SHA-256 and a salt as long as the digest.
 *
 * A key is OpenSSL's EVP_PKEY, opaque outside the crypto layer (the key store hands out the
 * same object): read from PEM, written as PEM or DER SubjectPublicKeyInfo, generated, freed
 * here. Every call returns 0 or a CP_ERR code with a detail (cp_errmsg()).
 */
#ifndef CP_SIGN_H
#define CP_SIGN_H

#include "core/buf.h"

#include <stddef.h>
#include <stdio.h>

struct evp_pkey_st; /* EVP_PKEY */

enum cp_sig { CP_SIG_SM2 = 1, CP_SIG_ECDSA_P256 = 2, CP_SIG_RSA_PSS = 3 };

/* ---- keys ---- */

/* A PEM private key ("BEGIN PRIVATE KEY", unencrypted) or SubjectPublicKeyInfo ("BEGIN
 * PUBLIC KEY") from memory; CP_ERR_FORMAT "not a PEM private/public key: <reason>", and for
 * an encrypted private key a message that cardpipe asks for no passphrase. */
int cp_pkey_read_private_pem(const void *pem, size_t len, struct evp_pkey_st **out);
/* The passphrase source of an encrypted PEM: up to size - 1 characters into buf, their
 * number returned, or -1 to give up. */
typedef int (*cp_pem_pass_fn)(char *buf, int size, void *arg);
/* The one PEM private key reader: a key encrypted (pass is asked) or not. Sets no message,
 * as the caller knows what was being read and whether pass was asked: CP_ERR_FORMAT when
 * none could be read (no key, wrong passphrase, pass gave up), CP_ERR_NOMEM when OpenSSL had
 * no memory; OpenSSL's reason stays queued for cp_ossl_err(). */
int cp_pkey_read_private_pem_pass(const void *pem, size_t len, cp_pem_pass_fn pass, void *arg,
				  struct evp_pkey_st **out);
int cp_pkey_read_public_pem(const void *pem, size_t len, struct evp_pkey_st **out);
/* The first PEM public key of an open file; CP_ERR_FORMAT when it holds none. */
int cp_pkey_read_public_pem_file(FILE *f, struct evp_pkey_st **out);
/* A DER key: a private key (PKCS#8 or the type's own form, any type) or a public one
 * (SubjectPublicKeyInfo); *used is how many bytes it took (callers that hold exactly one key
 * check it is len). CP_ERR_FORMAT "not a DER private/public key" when it does not parse. */
int cp_pkey_read_der(const void *der, size_t len, int private, struct evp_pkey_st **out,
		     size_t *used);
/* The private key as DER (the type's own form, what cp_pkey_read_der() reads back), in new
 * secure memory (personalization/crypto/secmem.h): cp_secure_free(*der, *len) it. */
int cp_pkey_private_der(const struct evp_pkey_st *key, unsigned char **der, size_t *len);
/* The key's size in bits (the modulus for RSA, the group order for EC and SM2). */
size_t cp_pkey_bits(const struct evp_pkey_st *key);
/* A fresh key pair for alg (RSA-PSS: a 3072-bit RSA key). */
int cp_pkey_generate(enum cp_sig alg, struct evp_pkey_st **out);
/* The private key as unencrypted PKCS#8 PEM, written atomically to path with mode 0600
 * (the PEM text only ever lives in OpenSSL's secure heap). */
int cp_pkey_save_private_pem(const struct evp_pkey_st *key, const char *path);
/* The public key as PEM SubjectPublicKeyInfo ("BEGIN PUBLIC KEY"), appended to pem. */
int cp_pkey_public_pem(const struct evp_pkey_st *key, struct buf *pem);
/* The public key as DER SubjectPublicKeyInfo (what key fingerprints hash), appended to der. */
int cp_pkey_public_der(const struct evp_pkey_st *key, struct buf *der);
/* OpenSSL's name of the key type ("SM2", "EC", "RSA", ...); 1 when key is of type. */
const char *cp_pkey_type(const struct evp_pkey_st *key);
int cp_pkey_is_a(const struct evp_pkey_st *key, const char *type);
/* The EC curve's name ("prime256v1", "SM2", ...); "" for a key without one. */
void cp_pkey_curve(const struct evp_pkey_st *key, char *out, size_t outsz);
/* 1 when key suits alg: an SM2 key, an EC key on P-256, an RSA key. */
int cp_pkey_fits(const struct evp_pkey_st *key, enum cp_sig alg);
/* NULL is fine. */
void cp_pkey_free(struct evp_pkey_st *key);

/* ---- signatures ---- */

/* sm2_id: the SM2 distinguishing ID (1 or more bytes; CP_ERR_INVALID when empty); ignored by
 * the other algorithms. CP_ERR_INVALID when the key does not fit alg. sig is initialised and
 * holds the DER signature (NUL-terminated for convenience). */
int cp_sign(enum cp_sig alg, const char *sm2_id, struct evp_pkey_st *key, const void *data,
	    size_t len, struct buf *sig);
/* 0 when sig is a valid signature of data by key, CP_ERR_INTEGRITY "the signature does not
 * verify" when it is not (any other key, message, ID or a malformed signature). */
int cp_verify(enum cp_sig alg, const char *sm2_id, struct evp_pkey_st *key, const void *data,
	      size_t len, const unsigned char *sig, size_t siglen);

#endif
