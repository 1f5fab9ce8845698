/*
 * hash.h - digests over OpenSSL EVP: SM3 (GB/T 32905) and SHA-256.
 */
#ifndef CP_HASH_H
#define CP_HASH_H

#include <stddef.h>
#include <sys/types.h>

int cp_sm3(const void *data, size_t len, unsigned char out[32]);
int cp_sha256(const void *data, size_t len, unsigned char out[32]);
/* SHA-256 as 64 lower-case hex digits (the names of archived files and stored photos). */
int cp_sha256_hex(const void *data, size_t len, char out[65]);
/* The same over a file's bytes, read in blocks (any size, bounded memory); *size its length.
 * CP_ERR_NOTFOUND when it does not exist; symbolic links are not followed. */
int cp_sha256_file_hex(const char *path, char out[65], off_t *size);

#endif
