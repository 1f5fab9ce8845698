/*
 * test_crypto_prim.c - the primitive vectors of docs/crypto-reference.md §5: SM4 (ECB, CBC,
 * 1,000,000 iterations), SM3, AES-CMAC (RFC 4493, AES-192/256), ISO 9797-1 MAC algorithm 3,
 * the 3DES KCV, single DES through 3DES, parity, GP padding, and bad input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/err.h"
#include "core/hex.h"
#include "personalization/crypto/cipher.h"
#include "personalization/crypto/hash.h"
#include "personalization/crypto/kcv.h"
#include "personalization/crypto/mac.h"
#include "hex_fixture.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
test_sm4(void **state)
{
	unsigned char k[16], p[32], c[32], iv[16], d[32];

	hx("0123456789ABCDEFFEDCBA9876543210", k);
	hx("0123456789ABCDEFFEDCBA98765432100123456789ABCDEFFEDCBA9876543210", p);
	memcpy(iv, k, 16);
	assert_int_equal(cp_ecb_encrypt(CP_ALG_SM4, k, 16, p, 16, c), 0);
	assert_hex(c, 16, "681EDF34D206965E86B3E94F536E4246");
	assert_int_equal(cp_ecb_decrypt(CP_ALG_SM4, k, 16, c, 16, d), 0);
	assert_memory_equal(d, p, 16);
	assert_int_equal(cp_cbc_encrypt(CP_ALG_SM4, k, 16, iv, p, 16, c), 0);
	assert_hex(c, 16, "2677F46B09C122CC975533105BD4A22A");
	assert_int_equal(cp_cbc_encrypt(CP_ALG_SM4, k, 16, iv, p, 32, c), 0);
	assert_hex(c, 32, "2677F46B09C122CC975533105BD4A22AF6125F7275CE552C3A2BBCF533DE8A3B");
	assert_int_equal(cp_cbc_decrypt(CP_ALG_SM4, k, 16, iv, c, 32, d), 0);
	assert_memory_equal(d, p, 32);
}

static void
test_sm4_million(void **state)
{
	unsigned char k[16], b[16];

	hx("0123456789ABCDEFFEDCBA9876543210", k);
	memcpy(b, k, 16);
	for (int i = 0; i < 1000000; i++)
		assert_int_equal(cp_ecb_encrypt(CP_ALG_SM4, k, 16, b, 16, b), 0);
	assert_hex(b, 16, "595298C7C6FD271F0402F804C33D3F66");
}

static void
test_sm3(void **state)
{
	unsigned char md[32];
	char in[65];

	assert_int_equal(cp_sm3("abc", 3, md), 0);
	assert_hex(md, 32, "66C7F0F462EEEDD9D1F2D46BDC10E4E24167C4875CF2F7A2297DA02B8F4BA8E0");
	for (int i = 0; i < 16; i++)
		memcpy(in + 4 * i, "abcd", 4);
	assert_int_equal(cp_sm3(in, 64, md), 0);
	assert_hex(md, 32, "DEBE9FF92275B8A138604889C18E5A4D6FDB70E5387E5765293dCbA39C0C5732");
}

static void
cmac_case(const char *key, const char *msg, const char *tag)
{
	unsigned char k[32], m[64], t[16];
	size_t kn = hx(key, k), mn = msg[0] ? hx(msg, m) : 0;

	assert_int_equal(cp_cmac(CP_ALG_AES, k, kn, m, mn, t), 0);
	assert_hex(t, 16, tag);
}

/* FIPS 180-2 "abc" and the 1,000,000 x 'a' vector (B.3), in memory and from a file read in
 * blocks; a missing file is CP_ERR_NOTFOUND. */
static void
test_sha256_hex(void **state)
{
	char hex[65], path[] = "/tmp/test_sha256.XXXXXX";
	static char a[1000000];
	off_t size = -1;
	int fd;

	assert_int_equal(cp_sha256_hex("abc", 3, hex), 0);
	assert_string_equal(hex,
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	memset(a, 'a', sizeof(a));
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, a, sizeof(a)), (ssize_t)sizeof(a));
	close(fd);
	assert_int_equal(cp_sha256_file_hex(path, hex, &size), 0);
	assert_string_equal(hex,
			    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	assert_int_equal(size, 1000000);
	unlink(path);
	assert_int_equal(cp_sha256_file_hex(path, hex, &size), CP_ERR_NOTFOUND);
}

static void
test_aes_cmac(void **state)
{
	static const char k128[] = "2b7e151628aed2a6abf7158809cf4f3c";
	static const char k192[] = "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b";
	static const char k256[] =
		"603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4";
	static const char m16[] = "6bc1bee22e409f96e93d7e117393172a";
	static const char m40[] = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
				  "30c81c46a35ce411";
	static const char m64[] =
		"6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
		"30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";

	cmac_case(k128, "", "bb1d6929e95937287fa37d129b756746");
	cmac_case(k128, m16, "070a16b46b4d4144f79bdd9dd04a287c");
	cmac_case(k128, m40, "dfa66747de9ae63030ca32611497c827");
	cmac_case(k128, m64, "51f0bebf7e3b9d92fc49741779363cfe");
	cmac_case(k192, m16, "9e99a7bf31e710900662f65e617c5184");
	cmac_case(k192, m40, "8a1de5be2eb31aad089a82e6ee908b0e");
	cmac_case(k256, "", "028962f61b7bf89efc6b551f4667d983");
	cmac_case(k256, m16, "28a7023f452e8f82bd4bf28d8c37c35c");
	cmac_case(k256, m40, "aaf3d8f1de5640c232f5b169b9c911e6");
	cmac_case(k256, m64, "e1992190549f6ed5696a2c056c315410");
}

static void
test_retail_mac(void **state)
{
	unsigned char k[16], mac[8];

	hx("AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBB", k);
	assert_int_equal(
		cp_retail_mac(k, NULL, (const unsigned char *)"hello world", 11, CP_PAD_ZERO, mac),
		0);
	assert_hex(mac, 8, "78DA3D3DEB48FD4D");
	assert_int_equal(
		cp_retail_mac(k, NULL, (const unsigned char *)"hello world", 11, CP_PAD_80, mac),
		0);
	assert_hex(mac, 8, "2BC2D9EDE0CF31F6");
	/* unpadded input must be whole blocks */
	assert_int_equal(
		cp_retail_mac(k, NULL, (const unsigned char *)"hello world", 11, CP_PAD_NONE, mac),
		CP_ERR_INVALID);
}

static void
test_kcv_and_des(void **state)
{
	unsigned char k[16], kcv[3], c[8], z[8] = {0};
	char h[7];

	hx("0123456789ABCDEFFEDCBA9876543210", k);
	assert_int_equal(cp_kcv(CP_ALG_TDES, k, 16, kcv), 0);
	assert_hex(kcv, 2, "08D7");
	assert_int_equal(cp_kcv_hex(CP_ALG_TDES, k, 16, h), 0);
	assert_int_equal(strncmp(h, "08D7", 4), 0);
	/* single DES as 3DES with repeated keys (8-byte key -> K K K) */
	hx("4041424344454647", k);
	assert_int_equal(cp_ecb_encrypt(CP_ALG_TDES, k, 8, z, 8, c), 0);
	assert_hex(c, 8, "4fb92328c50aead3");
	memcpy(k + 8, k, 8);
	assert_int_equal(cp_ecb_encrypt(CP_ALG_TDES, k, 16, z, 8, c), 0);
	assert_hex(c, 8, "4fb92328c50aead3");
	/* parity */
	hx("0000000000000000", k);
	assert_false(cp_des_has_odd_parity(k, 8));
	cp_des_set_odd_parity(k, 8);
	assert_hex(k, 8, "0101010101010101");
	assert_true(cp_des_has_odd_parity(k, 8));
}

static void
test_pad_and_errors(void **state)
{
	unsigned char b[48], k[16] = {0};
	size_t n;

	memset(b, 0xAA, sizeof(b));
	assert_int_equal(cp_pad80(b, 16, 16, b), 32);
	assert_int_equal(b[16], 0x80);
	assert_int_equal(b[31], 0x00);
	assert_int_equal(cp_unpad80(b, 32, &n), 0);
	assert_int_equal(n, 16);
	memset(b, 0, 16);
	assert_int_equal(cp_unpad80(b, 16, &n), CP_ERR_FORMAT);
	assert_int_equal(cp_ecb_encrypt(CP_ALG_AES, k, 15, b, 16, b), CP_ERR_INVALID);
	assert_int_equal(cp_ecb_encrypt(CP_ALG_SM4, k, 16, b, 15, b), CP_ERR_INVALID);
	assert_int_equal(cp_cmac(CP_ALG_TDES, k, 16, b, 16, b), CP_ERR_UNSUPPORTED);
	assert_true(strstr(cp_errmsg(), "CMAC") != NULL);
}

static void
test_sm4_cbc_mac(void **state)
{
	/* CBC-MAC with zero IV over one block equals the ECB encryption of that block */
	unsigned char k[16], p[16], m[16], c[16];

	hx("0123456789ABCDEFFEDCBA9876543210", k);
	hx("0123456789ABCDEFFEDCBA9876543210", p);
	assert_int_equal(cp_cbc_mac(CP_ALG_SM4, k, 16, NULL, p, 16, CP_PAD_NONE, m), 0);
	assert_hex(m, 16, "681EDF34D206965E86B3E94F536E4246");
	assert_int_equal(cp_cmac(CP_ALG_SM4, k, 16, p, 16, m), 0);
	assert_int_equal(cp_ecb_encrypt(CP_ALG_SM4, k, 16, p, 16, c), 0);
	assert_memory_not_equal(m, c, 16); /* CMAC XORs a subkey into the last block */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sm4),	    cmocka_unit_test(test_sm4_million),
		cmocka_unit_test(test_sm3),	    cmocka_unit_test(test_sha256_hex),
		cmocka_unit_test(test_aes_cmac),    cmocka_unit_test(test_retail_mac),
		cmocka_unit_test(test_kcv_and_des), cmocka_unit_test(test_pad_and_errors),
		cmocka_unit_test(test_sm4_cbc_mac),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
