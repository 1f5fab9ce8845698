/*
 * hash.c - digests, HMAC-SHA-256 and HKDF-SHA-256 (see hash.h). Digests and the HMAC are
 * fetched once per process.
 */
#include "personalization/crypto/hash.h"

#include "core/err.h"
#include "core/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static EVP_MD *md_sm3, *md_sha256, *md_sha1;
static EVP_MAC *mac_hmac;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void
fetch_md(void)
{
	md_sm3 = EVP_MD_fetch(NULL, "SM3", NULL);
	md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	md_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
	mac_hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

static int
digest(EVP_MD *md, const char *name, const void *data, size_t len, unsigned char *out, size_t size)
{
	unsigned int n = 0;

	if (!md)
		return cp_err(CP_ERR_UNSUPPORTED, "%s is not available in this OpenSSL build",
			      name);
	if (!EVP_Digest(data, len, out, &n, md, NULL) || n != size)
		return cp_err(CP_ERR_CRYPTO, "%s failed", name);
	return 0;
}

int
cp_sm3(const void *data, size_t len, unsigned char out[32])
{
	pthread_once(&md_once, fetch_md);
	return digest(md_sm3, "SM3", data, len, out, 32);
}

int
cp_sha256(const void *data, size_t len, unsigned char out[32])
{
	pthread_once(&md_once, fetch_md);
	return digest(md_sha256, "SHA-256", data, len, out, 32);
}

int
cp_sha1(const void *data, size_t len, unsigned char out[20])
{
	pthread_once(&md_once, fetch_md);
	return digest(md_sha1, "SHA-1", data, len, out, 20);
}

static void
to_hex(const unsigned char md[32], char out[65])
{
	static const char digits[] = "0123456789abcdef";

	for (int i = 0; i < 32; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[64] = '\0';
}

int
cp_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[32];
	int r;

	if ((r = cp_sha256(data, len, md)) < 0)
		return r;
	to_hex(md, out);
	return 0;
}

int
cp_sha256_file_hex(const char *path, char out[65], off_t *size)
{
	unsigned char buf[65536], md[32];
	struct cp_md_ctx *ctx = NULL;
	ssize_t got;
	int fd, r;

	*size = 0;
	if ((r = cp_md_new(CP_MD_SHA256, &ctx)) < 0)
		return r;
	/* never blocks in open() (a FIFO renamed over the file), refuses anything not a file */
	if ((r = fs_open_regular(path, &fd)) < 0) {
		cp_md_free(ctx);
		return r;
	}
	while (r == 0 && (got = read(fd, buf, sizeof(buf))) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			r = cp_err(CP_ERR_IO, "cannot read '%s': %s", path, strerror(errno));
		else if ((r = cp_md_update(ctx, buf, (size_t)got)) == 0)
			*size += got;
	}
	close(fd);
	if (r < 0) {
		cp_md_free(ctx);
		return r;
	}
	if ((r = cp_md_final(ctx, md)) == 0)
		to_hex(md, out);
	return r;
}

/* ---- streaming digests ---- */

struct cp_md_ctx {
	EVP_MD_CTX *ctx;
	const char *name;
	size_t size;
	int failed;
};

size_t
cp_md_size(enum cp_md md)
{
	return md == CP_MD_SHA1 ? 20 : 32;
}

static EVP_MD *
md_of(enum cp_md md, const char **name)
{
	pthread_once(&md_once, fetch_md);
	switch (md) {
	case CP_MD_SHA1: *name = "SHA-1"; return md_sha1;
	case CP_MD_SHA256: *name = "SHA-256"; return md_sha256;
	case CP_MD_SM3: *name = "SM3"; return md_sm3;
	}
	*name = "digest";
	return NULL;
}

int
cp_md_new(enum cp_md md, struct cp_md_ctx **out)
{
	struct cp_md_ctx *c;
	const char *name;
	EVP_MD *m = md_of(md, &name);

	*out = NULL;
	if (!m)
		return cp_err(CP_ERR_UNSUPPORTED, "%s is not available in this OpenSSL build",
			      name);
	if (!(c = calloc(1, sizeof(*c))) || !(c->ctx = EVP_MD_CTX_new()) ||
	    !EVP_DigestInit_ex(c->ctx, m, NULL)) {
		cp_md_free(c);
		return cp_err(CP_ERR_CRYPTO, "%s failed", name);
	}
	c->name = name;
	c->size = cp_md_size(md);
	*out = c;
	return 0;
}

int
cp_md_update(struct cp_md_ctx *c, const void *data, size_t len)
{
	if (!c->failed && len && !EVP_DigestUpdate(c->ctx, data, len))
		c->failed = 1;
	return c->failed ? cp_err(CP_ERR_CRYPTO, "%s failed", c->name) : 0;
}

int
cp_md_final(struct cp_md_ctx *c, unsigned char *out)
{
	unsigned int n = 0;
	int r = 0;

	if (c->failed || !EVP_DigestFinal_ex(c->ctx, out, &n) || n != c->size)
		r = cp_err(CP_ERR_CRYPTO, "%s failed", c->name);
	cp_md_free(c);
	return r;
}

void
cp_md_free(struct cp_md_ctx *c)
{
	if (!c)
		return;
	EVP_MD_CTX_free(c->ctx);
	free(c);
}

/* ---- HMAC-SHA-256 ---- */

struct cp_hmac {
	EVP_MAC_CTX *ctx;
	int failed;
};

int
cp_hmac_new(const void *key, size_t key_len, struct cp_hmac **out)
{
	char digest_name[] = "SHA256";
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
		OSSL_PARAM_END};
	struct cp_hmac *h;

	*out = NULL;
	pthread_once(&md_once, fetch_md);
	if (!mac_hmac)
		return cp_err(CP_ERR_UNSUPPORTED, "HMAC is not available in this OpenSSL build");
	if (!(h = calloc(1, sizeof(*h))) || !(h->ctx = EVP_MAC_CTX_new(mac_hmac)) ||
	    !EVP_MAC_init(h->ctx, key, key_len, params)) {
		cp_hmac_free(h);
		return cp_err(CP_ERR_CRYPTO, "cannot key HMAC-SHA-256");
	}
	*out = h;
	return 0;
}

int
cp_hmac_dup(const struct cp_hmac *keyed, struct cp_hmac **out)
{
	struct cp_hmac *h;

	*out = NULL;
	if (!(h = calloc(1, sizeof(*h))) || !(h->ctx = EVP_MAC_CTX_dup(keyed->ctx))) {
		cp_hmac_free(h);
		return cp_err(CP_ERR_CRYPTO, "cannot copy an HMAC-SHA-256 context");
	}
	h->failed = keyed->failed;
	*out = h;
	return 0;
}

int
cp_hmac_update(struct cp_hmac *h, const void *data, size_t len)
{
	if (!h->failed && len && !EVP_MAC_update(h->ctx, data, len))
		h->failed = 1;
	return h->failed ? cp_err(CP_ERR_CRYPTO, "HMAC-SHA-256 failed") : 0;
}

int
cp_hmac_final_keep(struct cp_hmac *h, unsigned char out[32])
{
	size_t n = 0;

	if (h->failed || !EVP_MAC_final(h->ctx, out, &n, 32) || n != 32) {
		h->failed = 1;
		return cp_err(CP_ERR_CRYPTO, "HMAC-SHA-256 failed");
	}
	return 0;
}

int
cp_hmac_final(struct cp_hmac *h, unsigned char out[32])
{
	int r = cp_hmac_final_keep(h, out);

	cp_hmac_free(h);
	return r;
}

int
cp_hmac_restart(struct cp_hmac *h)
{
	/* no key: OpenSSL starts over from the key it was given */
	h->failed = !EVP_MAC_init(h->ctx, NULL, 0, NULL);
	return h->failed ? cp_err(CP_ERR_CRYPTO, "cannot restart HMAC-SHA-256") : 0;
}

void
cp_hmac_free(struct cp_hmac *h)
{
	if (!h)
		return;
	EVP_MAC_CTX_free(h->ctx);
	free(h);
}

/* ---- HKDF-SHA-256 ---- */

int
cp_hkdf_sha256(const void *key, size_t key_len, const void *salt, size_t salt_len, const void *info,
	       size_t info_len, unsigned char *out, size_t out_len)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM params[5], *p = params;
	int r = 0;

	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, key_len);
	if (salt)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt,
							 salt_len);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, info_len);
	*p = OSSL_PARAM_construct_end();
	if (!ctx || out_len == 0 || out_len > 255 * 32 ||
	    EVP_KDF_derive(ctx, out, out_len, params) <= 0)
		r = cp_err(CP_ERR_CRYPTO, "HKDF-SHA-256 failed");
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return r;
}
