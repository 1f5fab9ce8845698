/*
 * rsa.h - raw RSA for EMV (no padding: EMV formats its own blocks), over OpenSSL 3 EVP: key
 * generation, the public and private operations, a public key from modulus and exponent,
 * and the key's numbers (modulus, exponent, CRT parts) as big-endian bytes.
 *
 * A key is the EVP_PKEY of sign.h (cp_pkey_free() frees it). These calls return 0 or
 * CP_ERR_CRYPTO and leave OpenSSL's reason queued, so that the caller words the error and
 * cp_ossl_err() appends the reason (CP_ERR_NOMEM: OpenSSL had no memory for a context).
 */
#ifndef CP_RSA_H
#define CP_RSA_H

#include <stddef.h>

struct evp_pkey_st; /* EVP_PKEY */

/* The numbers of an RSA key. */
enum cp_rsa_num {
	CP_RSA_N = 1,
	CP_RSA_E,
	CP_RSA_P,
	CP_RSA_Q,
	CP_RSA_DP,
	CP_RSA_DQ,
	CP_RSA_QINV,
};

/* cp_err(code, fmt + ": " + OpenSSL's first queued reason, when there is one); clears the
 * queue. */
int cp_ossl_err(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* OpenSSL's name of a number ("n", "e", "rsa-factor1", ...), for messages. */
const char *cp_rsa_num_name(enum cp_rsa_num which);
/* The size in bits of a number of key (0 < *bits), and, when out is not NULL, the number
 * big-endian in exactly pad bytes (CP_ERR_LIMIT when it needs more). The private numbers pass
 * only through OpenSSL's secure heap. */
int cp_rsa_num(const struct evp_pkey_st *key, enum cp_rsa_num which, unsigned char *out, size_t pad,
	       int *bits);
/* A public key from a big-endian modulus and exponent. */
int cp_rsa_from_ne(const unsigned char *n, size_t nlen, const unsigned char *e, size_t elen,
		   struct evp_pkey_st **out);
/* A fresh key pair of bits bits and public exponent exponent. */
int cp_rsa_generate(unsigned bits, unsigned long exponent, struct evp_pkey_st **out);
/* The modulus size in bytes. */
size_t cp_rsa_size(const struct evp_pkey_st *key);
/* in^d mod n (private) and in^e mod n (public), len bytes = the modulus size, no padding. */
int cp_rsa_private_raw(const struct evp_pkey_st *key, const unsigned char *in, size_t len,
		       unsigned char *out);
int cp_rsa_public_raw(const struct evp_pkey_st *key, const unsigned char *in, size_t len,
		      unsigned char *out);

/* The private operation from the CRT numbers alone (as a card holds its key: EMV's DGIs
 * 8201 to 8205), each half bytes big-endian; in and out have 2 * half bytes. m1 = in^dP mod
 * p, m2 = in^dQ mod q, out = m2 + q (qInv (m1 - m2) mod p), exponentiations in constant
 * time. CP_ERR_CRYPTO when the numbers do not make a key. */
struct cp_rsa_crt {
	const unsigned char *p, *q, *dp, *dq, *qinv;
	size_t half;
};
int cp_rsa_crt_raw(const struct cp_rsa_crt *k, const unsigned char *in, unsigned char *out);

/* ---- key objects for the EMV key store entries (reason queued, as above) ---- */

/* OpenSSL's consistency check of a key pair (EVP_PKEY_check). */
int cp_rsa_check(const struct evp_pkey_st *key);
/* Drop OpenSSL's queued reasons (after a failure the caller handled without them). */
void cp_ossl_clear(void);

#endif
