/*
 * cipher.h - block ciphers over OpenSSL 3 EVP: AES, SM4, 3DES (ECB and CBC, no padding), and
 * AES-256-GCM for sealing files.
 *
 * Single DES exists only as 3DES with repeated keys (an 8-byte key is used as K||K||K; a
 * 16-byte 2-key 3DES key as K1||K2||K1), because OpenSSL 3 keeps single DES in the legacy
 * provider. The EVP_CIPHER objects are fetched once per process and shared.
 * Lengths must be multiples of the block size; every call returns 0 or a CP_ERR code.
 */
#ifndef CP_CIPHER_H
#define CP_CIPHER_H

#include <stddef.h>

enum cp_alg { CP_ALG_AES = 1, CP_ALG_SM4 = 2, CP_ALG_TDES = 3 };

/* 16 for AES and SM4, 8 for 3DES. */
size_t cp_block_size(enum cp_alg alg);
/* "AES", "SM4", "3DES"; and back (case-insensitive; "DES3"/"TDES" accepted). */
const char *cp_alg_name(enum cp_alg alg);
int cp_alg_parse(const char *name, enum cp_alg *alg);
/* 0 when key_len suits alg (AES 16/24/32, SM4 16, 3DES 8/16/24), CP_ERR_INVALID otherwise. */
int cp_check_key_len(enum cp_alg alg, size_t key_len);

int cp_ecb_encrypt(enum cp_alg alg, const unsigned char *key, size_t key_len,
		   const unsigned char *in, size_t len, unsigned char *out);
int cp_ecb_decrypt(enum cp_alg alg, const unsigned char *key, size_t key_len,
		   const unsigned char *in, size_t len, unsigned char *out);
/* iv: one block, or NULL for zeros. */
int cp_cbc_encrypt(enum cp_alg alg, const unsigned char *key, size_t key_len,
		   const unsigned char *iv, const unsigned char *in, size_t len,
		   unsigned char *out);
int cp_cbc_decrypt(enum cp_alg alg, const unsigned char *key, size_t key_len,
		   const unsigned char *iv, const unsigned char *in, size_t len,
		   unsigned char *out);

/* Force odd parity on every byte of a DES key (EMV Option A, session keys). */
void cp_des_set_odd_parity(unsigned char *key, size_t len);

/* ISO/IEC 9797-1 padding method 2 (GP padding): append 80, then 00 to a multiple of block
 * (a whole block when already aligned). out needs len + block bytes; returns the new length. */
size_t cp_pad80(const unsigned char *in, size_t len, size_t block, unsigned char *out);
/* Length of data padded with method 2 from an unpadded length. */
size_t cp_pad80_len(size_t len, size_t block);
/* Strip method-2 padding: the new length, or CP_ERR_FORMAT when it is not there. */
int cp_unpad80(const unsigned char *in, size_t len, size_t *out_len);

/* AES-256-GCM (NIST SP 800-38D) with a 96-bit nonce and a 128-bit tag, any length (out may
 * be in). cp_gcm_open() returns CP_ERR_INTEGRITY when the tag does not verify (changed data,
 * AAD, nonce or key); out then holds no usable plaintext. */
int cp_gcm_seal(const unsigned char key[32], const unsigned char nonce[12],
		const unsigned char *aad, size_t aad_len, const unsigned char *in, size_t len,
		unsigned char *out, unsigned char tag[16]);
int cp_gcm_open(const unsigned char key[32], const unsigned char nonce[12],
		const unsigned char *aad, size_t aad_len, const unsigned char *in, size_t len,
		unsigned char *out, const unsigned char tag[16]);

#endif
