/*
 * keywrap.c - AES key wrap with padding over EVP (see keywrap.h).
 */
#include "personalization/crypto/keywrap.h"

#include "core/err.h"

#include <openssl/evp.h>
#include <pthread.h>

static EVP_CIPHER *kwp[3];
static pthread_once_t kwp_once = PTHREAD_ONCE_INIT;

static void
fetch_kwp(void)
{
	kwp[0] = EVP_CIPHER_fetch(NULL, "AES-128-WRAP-PAD", NULL);
	kwp[1] = EVP_CIPHER_fetch(NULL, "AES-192-WRAP-PAD", NULL);
	kwp[2] = EVP_CIPHER_fetch(NULL, "AES-256-WRAP-PAD", NULL);
}

static int
run(const unsigned char *kek, size_t kek_len, const unsigned char *in, size_t len,
    unsigned char *out, size_t *out_len, int enc)
{
	EVP_CIPHER_CTX *ctx;
	EVP_CIPHER *c;
	int ol = 0, fl = 0, r = 0;

	if (kek_len != 16 && kek_len != 24 && kek_len != 32)
		return cp_err(CP_ERR_INVALID, "a key-encryption key has 16, 24 or 32 bytes");
	if (len == 0 || len > 4096 + 16 || (!enc && (len < 16 || len % 8)))
		return cp_err(enc ? CP_ERR_INVALID : CP_ERR_FORMAT, "%s value of %zu bytes",
			      enc ? "key wrap of a" : "wrapped", len);
	pthread_once(&kwp_once, fetch_kwp);
	if (!(c = kwp[kek_len == 16 ? 0 : kek_len == 24 ? 1 : 2]))
		return cp_err(CP_ERR_UNSUPPORTED, "AES key wrap with padding is not available");
	if (!(ctx = EVP_CIPHER_CTX_new()))
		return cp_err(CP_ERR_CRYPTO, "no cipher context");
	EVP_CIPHER_CTX_set_flags(ctx, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
	if (!EVP_CipherInit_ex2(ctx, c, kek, NULL, enc, NULL) ||
	    !EVP_CipherUpdate(ctx, out, &ol, in, (int)len) || ol < 0 ||
	    !EVP_CipherFinal_ex(ctx, out + ol, &fl))
		r = enc ? cp_err(CP_ERR_CRYPTO, "key wrap failed")
			: cp_err(CP_ERR_INTEGRITY,
				 "key unwrap failed: wrong key-encryption key or a changed value");
	else
		*out_len = (size_t)(ol + fl);
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

int
cp_kwp_wrap(const unsigned char *kek, size_t kek_len, const unsigned char *in, size_t len,
	    unsigned char *out, size_t *out_len)
{
	return run(kek, kek_len, in, len, out, out_len, 1);
}

int
cp_kwp_unwrap(const unsigned char *kek, size_t kek_len, const unsigned char *in, size_t len,
	      unsigned char *out, size_t *out_len)
{
	return run(kek, kek_len, in, len, out, out_len, 0);
}
