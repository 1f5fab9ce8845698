/*
 * hash.c - SM3 and SHA-256 (see hash.h). Digests are fetched once per process.
 */
#include "personalization/crypto/hash.h"

#include "core/err.h"

#include <openssl/evp.h>
#include <pthread.h>

static EVP_MD *md_sm3, *md_sha256;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void
fetch_md(void)
{
	md_sm3 = EVP_MD_fetch(NULL, "SM3", NULL);
	md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static int
digest(EVP_MD *md, const char *name, const void *data, size_t len, unsigned char out[32])
{
	unsigned int n = 0;

	if (!md)
		return cp_err(CP_ERR_UNSUPPORTED, "%s is not available in this OpenSSL build",
			      name);
	if (!EVP_Digest(data, len, out, &n, md, NULL) || n != 32)
		return cp_err(CP_ERR_CRYPTO, "%s failed", name);
	return 0;
}

int
cp_sm3(const void *data, size_t len, unsigned char out[32])
{
	pthread_once(&md_once, fetch_md);
	return digest(md_sm3, "SM3", data, len, out);
}

int
cp_sha256(const void *data, size_t len, unsigned char out[32])
{
	pthread_once(&md_once, fetch_md);
	return digest(md_sha256, "SHA-256", data, len, out);
}

int
cp_sha256_hex(const void *data, size_t len, char out[65])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[32];
	int r;

	if ((r = cp_sha256(data, len, md)) < 0)
		return r;
	for (int i = 0; i < 32; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[64] = '\0';
	return 0;
}
