/*
 * random.c - random bytes (see random.h).
 */
#include "personalization/crypto/random.h"

#include "core/err.h"

#include <limits.h>
#include <openssl/rand.h>

int
cp_random_bytes(void *out, size_t n)
{
	if (n > INT_MAX || RAND_bytes(out, (int)n) != 1)
		return cp_err(CP_ERR_CRYPTO, "no random bytes");
	return 0;
}

int
cp_random_priv_bytes(void *out, size_t n)
{
	if (n > INT_MAX || RAND_priv_bytes(out, (int)n) != 1)
		return cp_err(CP_ERR_CRYPTO, "no random bytes");
	return 0;
}
