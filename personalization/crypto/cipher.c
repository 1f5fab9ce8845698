/*
 * cipher.c - AES, SM4 and 3DES in ECB and CBC over OpenSSL 3 EVP (see cipher.h).
 */
#include "personalization/crypto/cipher.h"

#include "core/err.h"
#include "core/mem.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>

/* Fetched once: implicit fetching per call costs more than the cipher itself. */
enum { C_AES128, C_AES192, C_AES256, C_SM4, C_TDES, C_N };
static EVP_CIPHER *ciphers[C_N][2]; /* [cipher][0 ECB, 1 CBC] */
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;

static void
fetch_all(void)
{
	static const char *const names[C_N][2] = {
		{"AES-128-ECB", "AES-128-CBC"},	  {"AES-192-ECB", "AES-192-CBC"},
		{"AES-256-ECB", "AES-256-CBC"},	  {"SM4-ECB", "SM4-CBC"},
		{"DES-EDE3-ECB", "DES-EDE3-CBC"},
	};

	for (int i = 0; i < C_N; i++)
		for (int m = 0; m < 2; m++)
			ciphers[i][m] = EVP_CIPHER_fetch(NULL, names[i][m], NULL);
}

size_t
cp_block_size(enum cp_alg alg)
{
	return alg == CP_ALG_TDES ? 8 : 16;
}

const char *
cp_alg_name(enum cp_alg alg)
{
	switch (alg) {
	case CP_ALG_AES: return "AES";
	case CP_ALG_SM4: return "SM4";
	case CP_ALG_TDES: return "3DES";
	}
	return "?";
}

int
cp_alg_parse(const char *name, enum cp_alg *alg)
{
	if (!strcasecmp(name, "AES"))
		*alg = CP_ALG_AES;
	else if (!strcasecmp(name, "SM4"))
		*alg = CP_ALG_SM4;
	else if (!strcasecmp(name, "3DES") || !strcasecmp(name, "TDES") ||
		 !strcasecmp(name, "DES3") || !strcasecmp(name, "DES"))
		*alg = CP_ALG_TDES;
	else
		return cp_err(CP_ERR_INVALID, "unknown algorithm '%s' (AES, SM4 or 3DES)", name);
	return 0;
}

int
cp_check_key_len(enum cp_alg alg, size_t n)
{
	int ok = alg == CP_ALG_AES    ? (n == 16 || n == 24 || n == 32)
		 : alg == CP_ALG_SM4  ? n == 16
		 : alg == CP_ALG_TDES ? (n == 8 || n == 16 || n == 24)
				      : 0;

	if (!ok)
		return cp_err(CP_ERR_INVALID, "a %zu-byte key does not suit %s", n,
			      cp_alg_name(alg));
	return 0;
}

static int
run(enum cp_alg alg, const unsigned char *key, size_t key_len, const unsigned char *iv,
    const unsigned char *in, size_t len, unsigned char *out, int enc, int cbc)
{
	unsigned char k3[24], zero_iv[16] = {0};
	const unsigned char *k = key;
	EVP_CIPHER *c = NULL;
	EVP_CIPHER_CTX *ctx = NULL;
	int r, outl = 0, finl = 0;

	if ((r = cp_check_key_len(alg, key_len)) < 0)
		return r;
	if (len % cp_block_size(alg))
		return cp_err(CP_ERR_INVALID,
			      "%s data of %zu bytes is not a whole number of blocks",
			      cp_alg_name(alg), len);
	if (len > (size_t)1 << 30)
		return cp_err(CP_ERR_LIMIT, "cipher input too long");
	pthread_once(&fetch_once, fetch_all);
	switch (alg) {
	case CP_ALG_AES:
		c = ciphers[key_len == 16 ? C_AES128 : key_len == 24 ? C_AES192 : C_AES256][cbc];
		break;
	case CP_ALG_SM4: c = ciphers[C_SM4][cbc]; break;
	case CP_ALG_TDES:
		/* K -> K K K (single DES), K1 K2 -> K1 K2 K1 */
		memcpy(k3, key, 8);
		memcpy(k3 + 8, key_len >= 16 ? key + 8 : key, 8);
		memcpy(k3 + 16, key_len == 24 ? key + 16 : key, 8);
		k = k3;
		c = ciphers[C_TDES][cbc];
		break;
	}
	if (!c)
		return cp_err(CP_ERR_UNSUPPORTED, "%s is not available in this OpenSSL build",
			      cp_alg_name(alg));
	if (len == 0)
		return 0;
	r = CP_OK;
	if (!(ctx = EVP_CIPHER_CTX_new()) ||
	    !EVP_CipherInit_ex2(ctx, c, k, cbc ? (iv ? iv : zero_iv) : NULL, enc, NULL) ||
	    !EVP_CIPHER_CTX_set_padding(ctx, 0) ||
	    !EVP_CipherUpdate(ctx, out, &outl, in, (int)len) ||
	    !EVP_CipherFinal_ex(ctx, out + outl, &finl) || (size_t)(outl + finl) != len)
		r = cp_err(CP_ERR_CRYPTO, "%s-%s %s failed", cp_alg_name(alg), cbc ? "CBC" : "ECB",
			   enc ? "encryption" : "decryption");
	EVP_CIPHER_CTX_free(ctx);
	cp_memzero(k3, sizeof(k3));
	return r;
}

int
cp_ecb_encrypt(enum cp_alg alg, const unsigned char *key, size_t key_len, const unsigned char *in,
	       size_t len, unsigned char *out)
{
	return run(alg, key, key_len, NULL, in, len, out, 1, 0);
}

int
cp_ecb_decrypt(enum cp_alg alg, const unsigned char *key, size_t key_len, const unsigned char *in,
	       size_t len, unsigned char *out)
{
	return run(alg, key, key_len, NULL, in, len, out, 0, 0);
}

int
cp_cbc_encrypt(enum cp_alg alg, const unsigned char *key, size_t key_len, const unsigned char *iv,
	       const unsigned char *in, size_t len, unsigned char *out)
{
	return run(alg, key, key_len, iv, in, len, out, 1, 1);
}

int
cp_cbc_decrypt(enum cp_alg alg, const unsigned char *key, size_t key_len, const unsigned char *iv,
	       const unsigned char *in, size_t len, unsigned char *out)
{
	return run(alg, key, key_len, iv, in, len, out, 0, 1);
}

static int
parity_bit_ok(unsigned char b)
{
	return __builtin_popcount(b) & 1;
}

void
cp_des_set_odd_parity(unsigned char *key, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!parity_bit_ok(key[i]))
			key[i] ^= 1;
}

size_t
cp_pad80_len(size_t len, size_t block)
{
	return (len / block + 1) * block;
}

size_t
cp_pad80(const unsigned char *in, size_t len, size_t block, unsigned char *out)
{
	size_t n = cp_pad80_len(len, block);

	if (out != in)
		memmove(out, in, len);
	out[len] = 0x80;
	memset(out + len + 1, 0, n - len - 1);
	return n;
}

int
cp_unpad80(const unsigned char *in, size_t len, size_t *out_len)
{
	size_t i = len;

	while (i > 0 && in[i - 1] == 0x00)
		i--;
	if (i == 0 || in[i - 1] != 0x80)
		return cp_err(CP_ERR_FORMAT, "padding '80 00..' missing");
	*out_len = i - 1;
	return 0;
}

/* ---- AES-256-GCM ---- */

static int
gcm(int enc, const unsigned char *key, const unsigned char *nonce, const unsigned char *aad,
    size_t aad_len, const unsigned char *in, size_t len, unsigned char *out, unsigned char *tag)
{
	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	EVP_CIPHER_CTX *ctx = c ? EVP_CIPHER_CTX_new() : NULL;
	int ol = 0, fl = 0, ok;
	size_t done = 0;

	ok = ctx && EVP_CipherInit_ex2(ctx, c, key, nonce, enc, NULL) &&
	     (aad_len == 0 || EVP_CipherUpdate(ctx, NULL, &ol, aad, (int)aad_len));
	/* EVP takes int lengths: 16 MiB at a time */
	while (ok && done < len) {
		size_t k = len - done > (1u << 24) ? (1u << 24) : len - done;

		ok = EVP_CipherUpdate(ctx, out + done, &ol, in + done, (int)k) && (size_t)ol == k;
		done += k;
	}
	if (ok && !enc)
		ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 16, tag);
	if (ok)
		ok = EVP_CipherFinal_ex(ctx, out + done, &fl);
	if (ok && enc)
		ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, tag);
	EVP_CIPHER_CTX_free(ctx);
	EVP_CIPHER_free(c);
	if (!ok)
		return enc ? cp_err(CP_ERR_CRYPTO, "AES-256-GCM sealing failed")
			   : cp_err(CP_ERR_INTEGRITY, "AES-256-GCM tag does not verify");
	return 0;
}

int
cp_gcm_seal(const unsigned char key[32], const unsigned char nonce[12], const unsigned char *aad,
	    size_t aad_len, const unsigned char *in, size_t len, unsigned char *out,
	    unsigned char tag[16])
{
	return gcm(1, key, nonce, aad, aad_len, in, len, out, tag);
}

int
cp_gcm_open(const unsigned char key[32], const unsigned char nonce[12], const unsigned char *aad,
	    size_t aad_len, const unsigned char *in, size_t len, unsigned char *out,
	    const unsigned char tag[16])
{
	unsigned char t[16];

	memcpy(t, tag, 16);
	return gcm(0, key, nonce, aad, aad_len, in, len, out, t);
}
