/*
 * hash.c - SM3 and SHA-256 (see hash.h). Digests are fetched once per process.
 */
#include "personalization/crypto/hash.h"

#include "core/err.h"
#include "core/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

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
	unsigned int n = 0;
	EVP_MD_CTX *ctx;
	ssize_t got;
	int fd, r = 0;

	*size = 0;
	pthread_once(&md_once, fetch_md);
	if (!md_sha256)
		return cp_err(CP_ERR_UNSUPPORTED, "SHA-256 is not available in this OpenSSL build");
	/* never blocks in open() (a FIFO renamed over the file), refuses anything not a file */
	if ((r = fs_open_regular(path, &fd)) < 0)
		return r;
	ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestInit_ex(ctx, md_sha256, NULL))
		r = cp_err(CP_ERR_CRYPTO, "SHA-256 failed");
	while (r == 0 && (got = read(fd, buf, sizeof(buf))) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			r = cp_err(CP_ERR_IO, "cannot read '%s': %s", path, strerror(errno));
		else if (!EVP_DigestUpdate(ctx, buf, (size_t)got))
			r = cp_err(CP_ERR_CRYPTO, "SHA-256 failed");
		else
			*size += got;
	}
	close(fd);
	if (r == 0 && (!EVP_DigestFinal_ex(ctx, md, &n) || n != 32))
		r = cp_err(CP_ERR_CRYPTO, "SHA-256 failed");
	EVP_MD_CTX_free(ctx);
	if (r == 0)
		to_hex(md, out);
	return r;
}
