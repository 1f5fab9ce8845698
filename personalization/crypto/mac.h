/*
 * mac.h - message authentication codes: CMAC (AES, SM4; EVP_MAC "CMAC"), CBC-MAC
 * (ISO/IEC 9797-1 algorithm 1; SM4 or 3DES), and the retail MAC (ISO/IEC 9797-1
 * algorithm 3: single-DES CBC with K, then DES^-1 with K', DES with K; GP B.1.2.2).
 */
#ifndef CP_MAC_H
#define CP_MAC_H

#include "personalization/crypto/cipher.h"

#include <stddef.h>

/* Full-length CMAC (16 bytes for AES and SM4) of data under key (alg AES or SM4). */
int cp_cmac(enum cp_alg alg, const unsigned char *key, size_t key_len, const unsigned char *data,
	    size_t len, unsigned char out[16]);

/* ISO/IEC 9797-1 padding methods. */
enum cp_mac_pad { CP_PAD_NONE = 0, CP_PAD_ZERO = 1, CP_PAD_80 = 2 };

/* CBC-MAC, algorithm 1: the last block of alg-CBC(key, iv) over the padded data.
 * iv NULL = zeros. out gets one block (8 or 16 bytes). CP_PAD_NONE needs whole blocks;
 * CP_PAD_ZERO leaves aligned data alone (and pads empty data to one block). */
int cp_cbc_mac(enum cp_alg alg, const unsigned char *key, size_t key_len, const unsigned char *iv,
	       const unsigned char *data, size_t len, enum cp_mac_pad pad, unsigned char *out);

/* Retail MAC, algorithm 3, 8 bytes: key is K||K' (16 bytes). iv NULL = zeros. */
int cp_retail_mac(const unsigned char key[16], const unsigned char *iv, const unsigned char *data,
		  size_t len, enum cp_mac_pad pad, unsigned char out[8]);

#endif
