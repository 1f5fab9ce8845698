/*
 * random.h - random bytes from OpenSSL's DRBGs: one home for every random value the
 * project makes (nonces, challenges, serial numbers, padding, keys).
 */
#ifndef CP_RANDOM_H
#define CP_RANDOM_H

#include <stddef.h>

/* n random bytes for public values (challenges, nonces, serials, padding). 0, or
 * CP_ERR_CRYPTO "no random bytes" when the generator fails (out then holds nothing usable). */
int cp_random_bytes(void *out, size_t n);
/* The same from the private generator, for secret values (keys, key components): OpenSSL
 * keeps it apart from the one whose output is seen (RAND_priv_bytes). */
int cp_random_priv_bytes(void *out, size_t n);

#endif
