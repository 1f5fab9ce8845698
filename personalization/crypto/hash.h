/*
 * hash.h - digests over OpenSSL EVP: SM3 (GB/T 32905), SHA-256 and SHA-1 (FIPS 180-4; SHA-1
 * only where EMV and key fingerprints require it), one-shot or streaming; HMAC-SHA-256
 * (RFC 2104, 4231) and HKDF-SHA-256 (RFC 5869). Every hash and MAC of this kind outside the
 * crypto layer goes through here.
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
int cp_sha1(const void *data, size_t len, unsigned char out[20]);

/* ---- streaming digests ---- */

enum cp_md { CP_MD_SHA1 = 1, CP_MD_SHA256 = 2, CP_MD_SM3 = 3 };

/* 20 for SHA-1, 32 for SHA-256 and SM3. */
size_t cp_md_size(enum cp_md md);

struct cp_md_ctx;

/* Start a digest. Updates remember a failure, so a caller may feed every part and check
 * only cp_md_final(), which writes cp_md_size() bytes and frees the context either way. */
int cp_md_new(enum cp_md md, struct cp_md_ctx **out);
int cp_md_update(struct cp_md_ctx *c, const void *data, size_t len);
int cp_md_final(struct cp_md_ctx *c, unsigned char *out);
/* Free a context without finishing it (NULL is fine). */
void cp_md_free(struct cp_md_ctx *c);

/* ---- HMAC-SHA-256 ---- */

struct cp_hmac;

/* A keyed HMAC-SHA-256 context. cp_hmac_dup() gives a fresh copy that starts from the key
 * (keyed once, used for many messages); updates remember a failure as cp_md_update() does;
 * cp_hmac_final() writes the 32-byte MAC and frees the context either way. */
int cp_hmac_new(const void *key, size_t key_len, struct cp_hmac **out);
int cp_hmac_dup(const struct cp_hmac *keyed, struct cp_hmac **out);
int cp_hmac_update(struct cp_hmac *h, const void *data, size_t len);
int cp_hmac_final(struct cp_hmac *h, unsigned char out[32]);
void cp_hmac_free(struct cp_hmac *h);
/* For many messages through one copy (no context allocated per message): _final_keep()
 * writes the MAC and keeps the context; _restart() starts it over from the key, as a fresh
 * cp_hmac_dup() would, whatever it was in. */
int cp_hmac_final_keep(struct cp_hmac *h, unsigned char out[32]);
int cp_hmac_restart(struct cp_hmac *h);

/* ---- HKDF-SHA-256 ---- */

/* RFC 5869 extract-and-expand; salt may be NULL (a zero salt), out_len at most 255 * 32. */
int cp_hkdf_sha256(const void *key, size_t key_len, const void *salt, size_t salt_len,
		   const void *info, size_t info_len, unsigned char *out, size_t out_len);

#endif
