/*
 * secmem.c - the secure heap for clear keys (see secmem.h).
 */
#include "personalization/crypto/secmem.h"

#include "core/err.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>

int
cp_secmem_init(size_t size)
{
	if (CRYPTO_secure_malloc_initialized())
		return 0;
	if (size == 0)
		size = 1 << 20;
	/* minsize 32: every key and key set fits comfortably */
	if (CRYPTO_secure_malloc_init(size, 32) == 0)
		return cp_err(CP_ERR_CRYPTO,
			      "cannot create the secure heap (%zu bytes; check "
			      "RLIMIT_MEMLOCK)",
			      size);
	return 0;
}

void *
cp_secure_zalloc(size_t n)
{
	void *p = OPENSSL_secure_zalloc(n ? n : 1);

	if (!p) {
		fputs("cardpipe: out of secure memory\n", stderr);
		abort();
	}
	return p;
}

void
cp_secure_free(void *p, size_t n)
{
	if (p)
		OPENSSL_secure_clear_free(p, n ? n : 1);
}
