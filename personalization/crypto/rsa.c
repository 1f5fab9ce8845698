/*
 * rsa.c - raw RSA for EMV (see rsa.h).
 */
#include "personalization/crypto/rsa.h"

#include "core/err.h"
#include "core/mem.h"
#include "personalization/crypto/secmem.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int
cp_ossl_err(int code, const char *fmt, ...)
{
	unsigned long e = ERR_get_error();
	char msg[256], why[256] = "";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (e)
		ERR_error_string_n(e, why, sizeof(why));
	ERR_clear_error();
	return cp_err(code, "%s%s%s", msg, e ? ": " : "", why);
}

const char *
cp_rsa_num_name(enum cp_rsa_num which)
{
	switch (which) {
	case CP_RSA_N: return OSSL_PKEY_PARAM_RSA_N;
	case CP_RSA_E: return OSSL_PKEY_PARAM_RSA_E;
	case CP_RSA_P: return OSSL_PKEY_PARAM_RSA_FACTOR1;
	case CP_RSA_Q: return OSSL_PKEY_PARAM_RSA_FACTOR2;
	case CP_RSA_DP: return OSSL_PKEY_PARAM_RSA_EXPONENT1;
	case CP_RSA_DQ: return OSSL_PKEY_PARAM_RSA_EXPONENT2;
	case CP_RSA_QINV: return OSSL_PKEY_PARAM_RSA_COEFFICIENT1;
	}
	return "?";
}

int
cp_rsa_num(const EVP_PKEY *key, enum cp_rsa_num which, unsigned char *out, size_t pad, int *bits)
{
	/* the public numbers need no secure heap, the private ones get it */
	BIGNUM *bn = which == CP_RSA_N || which == CP_RSA_E ? BN_new() : BN_secure_new();
	int r = 0;

	*bits = 0;
	if (!bn || !EVP_PKEY_get_bn_param(key, cp_rsa_num_name(which), &bn))
		r = CP_ERR_CRYPTO;
	else if (out && (size_t)BN_num_bytes(bn) > pad)
		r = CP_ERR_LIMIT;
	else {
		*bits = BN_num_bits(bn);
		if (out)
			BN_bn2binpad(bn, out, (int)pad);
	}
	BN_clear_free(bn);
	return r;
}

int
cp_rsa_from_ne(const unsigned char *n, size_t nlen, const unsigned char *e, size_t elen,
	       EVP_PKEY **out)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	BIGNUM *bn = BN_bin2bn(n, (int)nlen, NULL);
	BIGNUM *be = BN_bin2bn(e, (int)elen, NULL);
	int r = 0;

	*out = NULL;
	if (!bld || !bn || !be || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) ||
	    !(params = OSSL_PARAM_BLD_to_param(bld)) ||
	    !(ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) ||
	    EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		r = CP_ERR_CRYPTO;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn);
	BN_free(be);
	return r;
}

int
cp_rsa_generate(unsigned bits, unsigned long exponent, EVP_PKEY **out)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	BIGNUM *e = BN_new();
	int r = 0;

	*out = NULL;
	if (!ctx || !e || !BN_set_word(e, exponent) || EVP_PKEY_keygen_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, (int)bits) <= 0 ||
	    EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx, e) <= 0 || EVP_PKEY_generate(ctx, out) <= 0)
		r = CP_ERR_CRYPTO;
	BN_free(e);
	EVP_PKEY_CTX_free(ctx);
	return r;
}

size_t
cp_rsa_size(const EVP_PKEY *key)
{
	int n = EVP_PKEY_get_size(key);

	return n > 0 ? (size_t)n : 0;
}

static int
raw(const EVP_PKEY *key, int private, const unsigned char *in, size_t len, unsigned char *out)
{
	/* OpenSSL's API takes a non-const key; the operation does not change it */
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, (EVP_PKEY *)key, NULL);
	size_t outlen = len;
	int r = 0;

	if (!ctx)
		return CP_ERR_NOMEM;
	if (private ? EVP_PKEY_decrypt_init(ctx) <= 0 : EVP_PKEY_encrypt_init(ctx) <= 0)
		r = CP_ERR_CRYPTO;
	else if (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) <= 0)
		r = CP_ERR_CRYPTO;
	else if (private ? EVP_PKEY_decrypt(ctx, out, &outlen, in, len) <= 0
			 : EVP_PKEY_encrypt(ctx, out, &outlen, in, len) <= 0)
		r = CP_ERR_CRYPTO;
	else if (outlen != len)
		r = CP_ERR_CRYPTO;
	EVP_PKEY_CTX_free(ctx);
	return r;
}

int
cp_rsa_private_raw(const EVP_PKEY *key, const unsigned char *in, size_t len, unsigned char *out)
{
	return raw(key, 1, in, len, out);
}

int
cp_rsa_public_raw(const EVP_PKEY *key, const unsigned char *in, size_t len, unsigned char *out)
{
	return raw(key, 0, in, len, out);
}

int
cp_rsa_crt_raw(const struct cp_rsa_crt *k, const unsigned char *in, unsigned char *out)
{
	const unsigned char *c[5] = {k->qinv, k->dq, k->dp, k->q, k->p};
	size_t h = k->half, nic = 2 * k->half;
	BIGNUM *bn[5] = {0}, *x = BN_new(), *m1 = BN_new(), *m2 = BN_new(), *t = BN_new();
	BN_CTX *ctx = BN_CTX_new();
	int r = CP_ERR_CRYPTO;

	if (h == 0 || !x || !m1 || !m2 || !t || !ctx)
		goto out;
	for (int i = 0; i < 5; i++)
		if (!(bn[i] = BN_bin2bn(c[i], (int)h, NULL)))
			goto out;
	BN_set_flags(bn[1], BN_FLG_CONSTTIME);
	BN_set_flags(bn[2], BN_FLG_CONSTTIME);
	/* m1 = x^dP mod p, m2 = x^dQ mod q, h = qInv (m1 - m2) mod p, m = m2 + h q */
	if (!BN_bin2bn(in, (int)nic, x) || !BN_mod(t, x, bn[4], ctx) ||
	    !BN_mod_exp_mont_consttime(m1, t, bn[2], bn[4], ctx, NULL) ||
	    !BN_mod(t, x, bn[3], ctx) ||
	    !BN_mod_exp_mont_consttime(m2, t, bn[1], bn[3], ctx, NULL) ||
	    !BN_mod_sub(t, m1, m2, bn[4], ctx) || !BN_mod_mul(t, t, bn[0], bn[4], ctx) ||
	    !BN_mul(t, t, bn[3], ctx) || !BN_add(t, t, m2) || BN_num_bytes(t) > (int)nic ||
	    BN_bn2binpad(t, out, (int)nic) != (int)nic)
		goto out;
	r = 0;
out:
	for (int i = 0; i < 5; i++)
		BN_clear_free(bn[i]);
	BN_clear_free(x);
	BN_clear_free(m1);
	BN_clear_free(m2);
	BN_clear_free(t);
	BN_CTX_free(ctx);
	return r;
}

int
cp_rsa_check(const EVP_PKEY *key)
{
	/* OpenSSL's API takes a non-const key; the check does not change it */
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, (EVP_PKEY *)key, NULL);
	int r = ctx && EVP_PKEY_check(ctx) == 1 ? 0 : CP_ERR_CRYPTO;

	EVP_PKEY_CTX_free(ctx);
	return r;
}

void
cp_ossl_clear(void)
{
	ERR_clear_error();
}
