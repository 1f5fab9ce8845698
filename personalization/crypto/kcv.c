/*
 * kcv.c - key check values for 3DES, AES and SM4 (see kcv.h).
 */
#include "personalization/crypto/kcv.h"

#include "core/hex.h"
#include "core/mem.h"

#include <string.h>

int
cp_kcv(enum cp_alg alg, const unsigned char *key, size_t key_len, unsigned char out[3])
{
	unsigned char in[16], enc[16];
	int r;

	memset(in, alg == CP_ALG_AES ? 0x01 : 0x00, sizeof(in));
	if ((r = cp_ecb_encrypt(alg, key, key_len, in, cp_block_size(alg), enc)) < 0)
		return r;
	memcpy(out, enc, CP_KCV_LEN);
	cp_memzero(enc, sizeof(enc));
	return 0;
}

int
cp_kcv_hex(enum cp_alg alg, const unsigned char *key, size_t key_len, char out[7])
{
	unsigned char k[3];
	int r;

	if ((r = cp_kcv(alg, key, key_len, k)) < 0)
		return r;
	hex_encode(k, 3, out);
	return 0;
}
