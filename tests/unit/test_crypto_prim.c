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
#include "des_parity.h"

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
	assert_false(des_has_odd_parity(k, 8));
	cp_des_set_odd_parity(k, 8);
	assert_hex(k, 8, "0101010101010101");
	assert_true(des_has_odd_parity(k, 8));
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

/* SHA-1 and SHA-256, one-shot and streamed in uneven parts (FIPS 180-4 examples "abc" and
 * the two-block "abcdbcdecdef..."); SM3 streamed (GB/T 32905 example "abc"). */
static void
test_md_streaming(void **state)
{
	static const char two[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	unsigned char md[32];
	struct cp_md_ctx *c;

	(void)state;
	assert_int_equal(cp_sha1("abc", 3, md), 0);
	assert_hex(md, 20, "a9993e364706816aba3e25717850c26c9cd0d89d");
	assert_int_equal(cp_sha1(two, strlen(two), md), 0);
	assert_hex(md, 20, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
	assert_int_equal(cp_md_size(CP_MD_SHA1), 20);
	assert_int_equal(cp_md_size(CP_MD_SHA256), 32);
	assert_int_equal(cp_md_size(CP_MD_SM3), 32);

	assert_int_equal(cp_md_new(CP_MD_SHA256, &c), 0);
	assert_int_equal(cp_md_update(c, two, 7), 0);
	assert_int_equal(cp_md_update(c, NULL, 0), 0);
	assert_int_equal(cp_md_update(c, two + 7, strlen(two) - 7), 0);
	assert_int_equal(cp_md_final(c, md), 0);
	assert_hex(md, 32, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");

	assert_int_equal(cp_md_new(CP_MD_SHA1, &c), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(cp_md_update(c, "abc" + i, 1), 0);
	assert_int_equal(cp_md_final(c, md), 0);
	assert_hex(md, 20, "a9993e364706816aba3e25717850c26c9cd0d89d");

	assert_int_equal(cp_md_new(CP_MD_SM3, &c), 0);
	assert_int_equal(cp_md_update(c, "a", 1), 0);
	assert_int_equal(cp_md_update(c, "bc", 2), 0);
	assert_int_equal(cp_md_final(c, md), 0);
	assert_hex(md, 32, "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");

	/* an unfinished context is freed without a leak (ASan) */
	assert_int_equal(cp_md_new(CP_MD_SHA256, &c), 0);
	assert_int_equal(cp_md_update(c, "x", 1), 0);
	cp_md_free(c);
	cp_md_free(NULL);
	assert_int_equal(cp_md_new((enum cp_md)99, &c), CP_ERR_UNSUPPORTED);
	assert_null(c);
}

/* HMAC-SHA-256: RFC 4231 test cases 1, 2 and 6 (a key longer than the block), one-shot,
 * streamed, and from one keyed context duplicated for two messages. */
/* One message through the keyed context: new, update, final (which reports a failed
 * update and frees the context either way). */
static int
hmac_once(const void *key, size_t key_len, const void *data, size_t len, unsigned char out[32])
{
	struct cp_hmac *h;
	int r;

	if ((r = cp_hmac_new(key, key_len, &h)) < 0)
		return r;
	cp_hmac_update(h, data, len);
	return cp_hmac_final(h, out);
}

static void
test_hmac_sha256(void **state)
{
	static const char tc6[] = "Test Using Larger Than Block-Size Key - Hash Key First";
	unsigned char key[131], mac[32];
	struct cp_hmac *keyed, *h;

	(void)state;
	memset(key, 0x0b, 20);
	assert_int_equal(hmac_once(key, 20, "Hi There", 8, mac), 0);
	assert_hex(mac, 32, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	memset(key, 0xaa, sizeof(key));
	assert_int_equal(hmac_once(key, sizeof(key), tc6, strlen(tc6), mac), 0);
	assert_hex(mac, 32, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");

	assert_int_equal(cp_hmac_new("Jefe", 4, &keyed), 0);
	for (int round = 0; round < 2; round++) {
		assert_int_equal(cp_hmac_dup(keyed, &h), 0);
		assert_int_equal(cp_hmac_update(h, "what do ya want ", 16), 0);
		assert_int_equal(cp_hmac_update(h, "for nothing?", 12), 0);
		assert_int_equal(cp_hmac_final(h, mac), 0);
		assert_hex(mac, 32,
			   "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	}
	/* one copy for many messages: restarted from the key whatever state it was left in */
	assert_int_equal(cp_hmac_dup(keyed, &h), 0);
	for (int round = 0; round < 3; round++) {
		assert_int_equal(cp_hmac_restart(h), 0);
		assert_int_equal(cp_hmac_update(h, "what do ya want ", 16), 0);
		if (round == 1) { /* abandoned halfway */
			assert_int_equal(cp_hmac_restart(h), 0);
			assert_int_equal(cp_hmac_update(h, "what do ya want ", 16), 0);
		}
		assert_int_equal(cp_hmac_update(h, "for nothing?", 12), 0);
		assert_int_equal(cp_hmac_final_keep(h, mac), 0);
		assert_hex(mac, 32,
			   "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	}
	cp_hmac_free(h);
	cp_hmac_free(keyed);
	cp_hmac_free(NULL);
}

/* HKDF-SHA-256: RFC 5869 A.1 (salt and info) and A.3 (no salt, no info). */
static void
test_hkdf_sha256(void **state)
{
	unsigned char ikm[22], salt[13], info[10], okm[42];

	(void)state;
	memset(ikm, 0x0b, sizeof(ikm));
	for (int i = 0; i < 13; i++)
		salt[i] = (unsigned char)i;
	for (int i = 0; i < 10; i++)
		info[i] = (unsigned char)(0xf0 + i);
	assert_int_equal(cp_hkdf_sha256(ikm, 22, salt, 13, info, 10, okm, 42), 0);
	assert_hex(okm, 42,
		   "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
		   "34007208d5b887185865");
	assert_int_equal(cp_hkdf_sha256(ikm, 22, NULL, 0, "", 0, okm, 42), 0);
	assert_hex(okm, 42,
		   "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
		   "9d201395faa4b61a96c8");
	assert_int_equal(cp_hkdf_sha256(ikm, 22, NULL, 0, "", 0, okm, 0), CP_ERR_CRYPTO);
}

/* AES-256-GCM: the GCM specification's test cases 14 (zero key, one zero block) and 16
 * (96-bit IV, AAD, a partial last block); a changed byte, AAD or tag does not open. */
static void
test_gcm(void **state)
{
	unsigned char k[32], iv[12], p[64], aad[20], c[64], d[64], tag[16];
	size_t pn;

	(void)state;
	memset(k, 0, 32);
	memset(iv, 0, 12);
	memset(p, 0, 16);
	assert_int_equal(cp_gcm_seal(k, iv, NULL, 0, p, 16, c, tag), 0);
	assert_hex(c, 16, "cea7403d4d606b6e074ec5d3baf39d18");
	assert_hex(tag, 16, "d0d1c8a799996bf0265b98b5d48ab919");

	hx("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", k);
	hx("cafebabefacedbaddecaf888", iv);
	hx("feedfacedeadbeeffeedfacedeadbeefabaddad2", aad);
	pn = hx("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
		"1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
		p);
	assert_int_equal(pn, 60);
	assert_int_equal(cp_gcm_seal(k, iv, aad, 20, p, pn, c, tag), 0);
	assert_hex(c, 60,
		   "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
		   "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662");
	assert_hex(tag, 16, "76fc6ece0f4e1768cddf8853bb2d551b");
	assert_int_equal(cp_gcm_open(k, iv, aad, 20, c, pn, d, tag), 0);
	assert_memory_equal(d, p, pn);
	c[59] ^= 1;
	assert_int_equal(cp_gcm_open(k, iv, aad, 20, c, pn, d, tag), CP_ERR_INTEGRITY);
	c[59] ^= 1;
	aad[0] ^= 1;
	assert_int_equal(cp_gcm_open(k, iv, aad, 20, c, pn, d, tag), CP_ERR_INTEGRITY);
	aad[0] ^= 1;
	tag[15] ^= 1;
	assert_int_equal(cp_gcm_open(k, iv, aad, 20, c, pn, d, tag), CP_ERR_INTEGRITY);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sm4),	    cmocka_unit_test(test_sm4_million),
		cmocka_unit_test(test_sm3),	    cmocka_unit_test(test_sha256_hex),
		cmocka_unit_test(test_aes_cmac),    cmocka_unit_test(test_retail_mac),
		cmocka_unit_test(test_kcv_and_des), cmocka_unit_test(test_pad_and_errors),
		cmocka_unit_test(test_sm4_cbc_mac), cmocka_unit_test(test_md_streaming),
		cmocka_unit_test(test_hmac_sha256), cmocka_unit_test(test_hkdf_sha256),
		cmocka_unit_test(test_gcm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
