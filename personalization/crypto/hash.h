/*
 * hash.h - digests over OpenSSL EVP: SM3 (GB/T 32905) and SHA-256.
 */
#ifndef CP_HASH_H
#define CP_HASH_H

#include <stddef.h>

int cp_sm3(const void *data, size_t len, unsigned char out[32]);
int cp_sha256(const void *data, size_t len, unsigned char out[32]);

#endif
