/*
 * hash.h - digests over OpenSSL EVP: SM3 (GB/T 32905) and SHA-256.
 */
#ifndef CP_HASH_H
#define CP_HASH_H

#include <stddef.h>

int cp_sm3(const void *data, size_t len, unsigned char out[32]);
int cp_sha256(const void *data, size_t len, unsigned char out[32]);
/* SHA-256 as 64 lower-case hex digits (the names of archived files and stored photos). */
int cp_sha256_hex(const void *data, size_t len, char out[65]);

#endif
