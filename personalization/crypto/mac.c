/*
 * mac.c - CMAC, CBC-MAC and the ISO/IEC 9797-1 retail MAC (see mac.h).
 */
#include "personalization/crypto/mac.h"

#include "core/err.h"
#include "core/mem.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <pthread.h>
#include <string.h>

static EVP_MAC *cmac;
static pthread_once_t cmac_once = PTHREAD_ONCE_INIT;

static void
fetch_cmac(void)
{
	cmac = EVP_MAC_fetch(NULL, "CMAC", NULL);
}

int
cp_cmac(enum cp_alg alg, const unsigned char *key, size_t key_len, const unsigned char *data,
	size_t len, unsigned char out[16])
{
	const char *cipher;
	OSSL_PARAM params[2];
	EVP_MAC_CTX *ctx = NULL;
	size_t outl = 0;
	int r;

	if ((r = cp_check_key_len(alg, key_len)) < 0)
		return r;
	if (alg == CP_ALG_AES)
		cipher = key_len == 16	 ? "AES-128-CBC"
			 : key_len == 24 ? "AES-192-CBC"
					 : "AES-256-CBC";
	else if (alg == CP_ALG_SM4)
		cipher = "SM4-CBC";
	else
		return cp_err(CP_ERR_UNSUPPORTED, "CMAC is provided for AES and SM4 only");
	pthread_once(&cmac_once, fetch_cmac);
	if (!cmac)
		return cp_err(CP_ERR_UNSUPPORTED, "CMAC is not available in this OpenSSL build");
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, (char *)cipher, 0);
	params[1] = OSSL_PARAM_construct_end();
	r = CP_OK;
	if (!(ctx = EVP_MAC_CTX_new(cmac)) || !EVP_MAC_init(ctx, key, key_len, params) ||
	    !EVP_MAC_update(ctx, data, len) || !EVP_MAC_final(ctx, out, &outl, 16) || outl != 16)
		r = cp_err(CP_ERR_CRYPTO, "%s-CMAC failed", cp_alg_name(alg));
	EVP_MAC_CTX_free(ctx);
	return r;
}

/* Pad data into a fresh buffer per method; *n gets the padded length. */
static int
pad_copy(const unsigned char *data, size_t len, size_t bs, enum cp_mac_pad pad, unsigned char **out,
	 size_t *n)
{
	if (len > (size_t)1 << 30)
		return cp_err(CP_ERR_LIMIT, "MAC input too long");
	switch (pad) {
	case CP_PAD_NONE:
		if (len == 0 || len % bs)
			return cp_err(CP_ERR_INVALID, "MAC input of %zu bytes is not whole blocks",
				      len);
		*n = len;
		break;
	case CP_PAD_ZERO: *n = len == 0 ? bs : (len + bs - 1) / bs * bs; break;
	case CP_PAD_80: *n = cp_pad80_len(len, bs); break;
	default: return cp_err(CP_ERR_INVALID, "unknown MAC padding %d", (int)pad);
	}
	*out = xcalloc(1, *n);
	if (len)
		memcpy(*out, data, len);
	if (pad == CP_PAD_80)
		(*out)[len] = 0x80;
	return 0;
}

int
cp_cbc_mac(enum cp_alg alg, const unsigned char *key, size_t key_len, const unsigned char *iv,
	   const unsigned char *data, size_t len, enum cp_mac_pad pad, unsigned char *out)
{
	size_t bs = cp_block_size(alg), n = 0;
	unsigned char *p = NULL;
	int r;

	if ((r = pad_copy(data, len, bs, pad, &p, &n)) < 0)
		return r;
	if ((r = cp_cbc_encrypt(alg, key, key_len, iv, p, n, p)) == 0)
		memcpy(out, p + n - bs, bs);
	cp_freezero(p, n);
	return r;
}

int
cp_retail_mac(const unsigned char key[16], const unsigned char *iv, const unsigned char *data,
	      size_t len, enum cp_mac_pad pad, unsigned char out[8])
{
	unsigned char *p = NULL, h[8];
	size_t n = 0;
	int r;

	if ((r = pad_copy(data, len, 8, pad, &p, &n)) < 0)
		return r;
	/* single DES (K) CBC over every block, then DES^-1(K') and DES(K) on the last */
	if ((r = cp_cbc_encrypt(CP_ALG_TDES, key, 8, iv, p, n, p)) < 0 ||
	    (r = cp_ecb_decrypt(CP_ALG_TDES, key + 8, 8, p + n - 8, 8, h)) < 0 ||
	    (r = cp_ecb_encrypt(CP_ALG_TDES, key, 8, h, 8, out)) < 0)
		goto out;
out:
	cp_freezero(p, n);
	cp_memzero(h, sizeof(h));
	return r;
}
