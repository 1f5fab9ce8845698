/*
 * kcv.h - key check values.
 *
 * 3DES: the first bytes of 3DES-ECB(key, 00*8) (GPCS B.6); AES: of AES-ECB(key, 01*16)
 * (GP Amendment D; GPCS B.6); SM4: of SM4-ECB(key, 00*16), the usual convention of
 * Chinese HSMs and card vendors. A KCV proves which key is meant without revealing it.
 */
#ifndef CP_KCV_H
#define CP_KCV_H

#include "personalization/crypto/cipher.h"

#include <stddef.h>

#define CP_KCV_LEN 3

/* The KCV of key (3 bytes into out). */
int cp_kcv(enum cp_alg alg, const unsigned char *key, size_t key_len, unsigned char out[3]);
/* The same as 6 upper-case hex digits into out (7 bytes). */
int cp_kcv_hex(enum cp_alg alg, const unsigned char *key, size_t key_len, char out[7]);

#endif
