/*
 * keywrap.h - AES key wrap with padding (RFC 5649; EVP "AES-256-WRAP-PAD" and friends):
 * deterministic, authenticated encryption of key material under a key-encryption key.
 * Used for the key store (under the LMK) and for sensitive values in perso scripts (under a
 * line's transport key).
 */
#ifndef CP_KEYWRAP_H
#define CP_KEYWRAP_H

#include <stddef.h>

/* Wrap len bytes (1..4096) under kek (16, 24 or 32 bytes); out needs len + 16 bytes. */
int cp_kwp_wrap(const unsigned char *kek, size_t kek_len, const unsigned char *in, size_t len,
		unsigned char *out, size_t *out_len);
/* Unwrap; CP_ERR_INTEGRITY when the value was changed or the key is wrong. out needs len. */
int cp_kwp_unwrap(const unsigned char *kek, size_t kek_len, const unsigned char *in, size_t len,
		  unsigned char *out, size_t *out_len);

#endif
