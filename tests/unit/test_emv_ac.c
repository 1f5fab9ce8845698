/*
 * test_emv_ac.c - the application cryptogram (personalization/crypto/emv_ac.h).
 *
 * Published vectors: pyemv's HSM-checked tests (knovichikhin/pyemv tests/test_ac_hsm.py and
 * test_kd_hsm.py: IMK 0123456789ABCDEFFEDCBA9876543210, Option A, common session key from
 * R = 1234567890123456, the AC with padding method 2, ARPC method 1). The ATC-based session
 * key, the 37-byte input and the SM4 variant are checked against values computed here
 * independently with OpenSSL's EVP ciphers (not the project's cipher/mac modules).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/hex.h"
#include "personalization/crypto/cipher.h"
#include "personalization/crypto/derive.h"
#include "personalization/crypto/emv_ac.h"
#include "personalization/crypto/kcv.h"
#include "hex_fixture.h"
#include "des_parity.h"
#include "emv_ac_fixture.h"

#include <openssl/evp.h>
#include <string.h>

/* One ECB encryption with an EVP cipher, no padding. */
static void
evp_ecb(const EVP_CIPHER *c, const unsigned char *key, const unsigned char *in, size_t len,
	unsigned char *out, int dec)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, m = 0;

	assert_non_null(ctx);
	assert_int_equal(EVP_CipherInit_ex(ctx, c, NULL, key, NULL, !dec), 1);
	EVP_CIPHER_CTX_set_padding(ctx, 0);
	assert_int_equal(EVP_CipherUpdate(ctx, out, &n, in, (int)len), 1);
	assert_int_equal(EVP_CipherFinal_ex(ctx, out + n, &m), 1);
	EVP_CIPHER_CTX_free(ctx);
}

/* Single DES as 2-key 3DES with K1 = K2. */
static void
des1(const unsigned char k[8], const unsigned char in[8], unsigned char out[8], int dec)
{
	unsigned char kk[16];

	memcpy(kk, k, 8);
	memcpy(kk + 8, k, 8);
	evp_ecb(EVP_des_ede_ecb(), kk, in, 8, out, dec);
}

/* ISO 9797-1 MAC algorithm 3, padding method 2, written out block by block. */
static void
ref_retail_mac(const unsigned char key[16], const unsigned char *d, size_t len,
	       unsigned char out[8])
{
	unsigned char buf[128] = {0}, h[8] = {0}, t[8];
	size_t n = (len / 8 + 1) * 8;

	memcpy(buf, d, len);
	buf[len] = 0x80;
	for (size_t i = 0; i < n; i += 8) {
		for (int j = 0; j < 8; j++)
			t[j] = h[j] ^ buf[i + j];
		des1(key, t, h, 0);
	}
	des1(key + 8, h, t, 1);
	des1(key, t, out, 0);
}

static void
test_pyemv_vectors(void **state)
{
	unsigned char imk[16], mk[16], r[8], sk[16], data[16], ac[8], arpc[8], kcv[3], arc[2];

	(void)state;
	hx("0123456789ABCDEFFEDCBA9876543210", imk);
	hx("1234567890123456", r);
	hx("0123456789ABCDEF0123456789ABCDEF", data);
	arc[0] = arc[1] = 0;

	/* test_ac_hsm.py test_generate_ac_emv_arpc1 */
	assert_int_equal(cp_emv_option_a(imk, "9901234567890123", "45", mk), 0);
	assert_int_equal(cp_kcv(CP_ALG_TDES, mk, 16, kcv), 0);
	assert_hex(kcv, 2, "1DA5");
	assert_int_equal(cp_emv_session_key(mk, r, sk), 0);
	assert_int_equal(cp_kcv(CP_ALG_TDES, sk, 16, kcv), 0);
	assert_hex(kcv, 2, "0995");
	assert_int_equal(emv_ac_mac(EMV_AC_TDES, sk, data, 16, ac), 0);
	assert_hex(ac, 8, "4B46013359B7A58B");
	assert_int_equal(emv_ac_arpc1(EMV_AC_TDES, mk, ac, arc, arpc), 0); /* under the MK */
	assert_hex(arpc, 8, "F8C9CECAABD55AD1");

	/* test_kd_hsm.py test_derive_common_sk: ARPC method 1 under the session key */
	assert_int_equal(cp_emv_option_a(imk, "12345678901234567", "45", mk), 0);
	assert_int_equal(cp_emv_session_key(mk, r, sk), 0);
	assert_int_equal(cp_kcv(CP_ALG_TDES, sk, 16, kcv), 0);
	assert_hex(kcv, 2, "DF82");
	assert_int_equal(emv_ac_mac(EMV_AC_TDES, sk, data, 16, ac), 0);
	assert_hex(ac, 8, "19C1FBC83EBDC0D5");
	assert_int_equal(emv_ac_arpc1(EMV_AC_TDES, sk, ac, arc, arpc), 0);
	assert_hex(arpc, 8, "C3620580668E5B65");
}

/* A public PBOC worked example (a UnionPay debit card's ARQC and ARPC as a bank's host
 * checks them): IMK-AC F0C34A8124CEE0A91A0B034AA97D6EAC, PAN 6228000100001, PSN 01, ATC
 * 0240; the 37-byte input in exactly the order of emv_ac_input(); ARQC 5D016C91005E7CC2;
 * ARPC for ARC "01" (3031) 21415243527CE78F. It uses the PBOC session key derivation. */
static void
test_pboc_example(void **state)
{
	unsigned char imk[16], mk[16], sk[16], in[64], ac[8], arpc[8], atc[2] = {0x02, 0x40};
	unsigned char arc[2] = {0x30, 0x31}, built[EMV_AC_INPUT_LEN];
	struct emv_ac_terminal t;
	size_t n;

	(void)state;
	hx("F0C34A8124CEE0A91A0B034AA97D6EAC", imk);
	assert_int_equal(cp_emv_option_a(imk, "6228000100001", "01", mk), 0);
	n = hx("000000000001000000000000015600800460000156140701001E78EEBC7D00024003A04002", in);
	assert_int_equal(n, EMV_AC_INPUT_LEN);
	/* the same bytes from the fields */
	hx("000000000001", t.amount);
	hx("000000000000", t.other);
	hx("0156", t.country);
	hx("0080046000", t.tvr);
	hx("0156", t.currency);
	hx("140701", t.date);
	t.type = 0x00;
	hx("1E78EEBC", t.un);
	emv_ac_input(&t, (const unsigned char *)"\x7D\x00", atc,
		     (const unsigned char *)"\x03\xA0\x40\x02", built);
	assert_memory_equal(built, in, n);
	assert_int_equal(emv_ac_session_key_pboc(EMV_AC_TDES, mk, atc, sk), 0);
	assert_int_equal(emv_ac_mac(EMV_AC_TDES, sk, in, n, ac), 0);
	assert_hex(ac, 8, "5D016C91005E7CC2");
	assert_int_equal(emv_ac_arpc1(EMV_AC_TDES, sk, ac, arc, arpc), 0);
	assert_hex(arpc, 8, "21415243527CE78F");
	/* the A1.3 common session key gives another cryptogram */
	assert_int_equal(ac_generate(EMV_AC_TDES, mk, atc, in, n, ac), 0);
	assert_memory_not_equal(ac, "\x5D\x01\x6C\x91\x00\x5E\x7C\xC2", 8);
	assert_true(emv_ac_session_key_pboc(EMV_AC_SM4, mk, atc, sk) < 0);
}

static void
build_input(unsigned char in[EMV_AC_INPUT_LEN], const unsigned char atc[2])
{
	struct emv_ac_terminal t;
	unsigned char aip[2] = {0x7C, 0x00}, cvr[4] = {0x03, 0xA0, 0x00, 0x00};

	hx("000000001234", t.amount);
	hx("000000000000", t.other);
	hx("0156", t.country);
	hx("0000008000", t.tvr);
	hx("0156", t.currency);
	hx("261206", t.date);
	t.type = 0x00;
	hx("1A2B3C4D", t.un);
	emv_ac_input(&t, aip, atc, cvr, in);
}

static void
test_input_layout(void **state)
{
	unsigned char in[EMV_AC_INPUT_LEN], atc[2] = {0x00, 0x07};

	(void)state;
	build_input(in, atc);
	assert_hex(in, sizeof in,
		   "000000001234"
		   "000000000000"
		   "0156"
		   "0000008000"
		   "0156"
		   "261206"
		   "00"
		   "1A2B3C4D"
		   "7C00"
		   "0007"
		   "03A00000");
}

static void
test_tdes_atc_session_key_and_ac(void **state)
{
	unsigned char mk[16], atc[2] = {0x01, 0x2C}, sk[16], want[16], blk[8];
	unsigned char in[EMV_AC_INPUT_LEN], ac[8], ref[8], arpc[8], y[8], arc[2] = {0x30, 0x30};

	(void)state;
	hx("67F8292358083E5EA7AB7FDA58D53B6B", mk);
	assert_int_equal(emv_ac_session_key(EMV_AC_TDES, mk, atc, sk), 0);
	/* Book 2 A1.3.1 by hand: R = ATC 00*6, F1 = R0 R1 F0 R3.., F2 = R0 R1 0F R3.. */
	memset(blk, 0, 8);
	blk[0] = atc[0], blk[1] = atc[1], blk[2] = 0xF0;
	evp_ecb(EVP_des_ede_ecb(), mk, blk, 8, want, 0);
	blk[2] = 0x0F;
	evp_ecb(EVP_des_ede_ecb(), mk, blk, 8, want + 8, 0);
	cp_des_set_odd_parity(want, 16);
	assert_memory_equal(sk, want, 16);
	assert_true(des_has_odd_parity(sk, 16));

	build_input(in, atc);
	assert_int_equal(ac_generate(EMV_AC_TDES, mk, atc, in, sizeof in, ac), 0);
	ref_retail_mac(want, in, sizeof in, ref);
	assert_memory_equal(ac, ref, 8);

	/* ARPC method 1 by hand */
	memcpy(y, ac, 8);
	y[0] ^= arc[0], y[1] ^= arc[1];
	evp_ecb(EVP_des_ede_ecb(), want, y, 8, ref, 0);
	assert_int_equal(emv_ac_arpc1(EMV_AC_TDES, sk, ac, arc, arpc), 0);
	assert_memory_equal(arpc, ref, 8);

	/* another ATC, another cryptogram */
	atc[1]++;
	assert_int_equal(ac_generate(EMV_AC_TDES, mk, atc, in, sizeof in, ref), 0);
	assert_memory_not_equal(ac, ref, 8);
}

static void
test_sm4(void **state)
{
	unsigned char mk[16], atc[2] = {0x00, 0x01}, sk[16], want[16], blk[16] = {0};
	unsigned char in[EMV_AC_INPUT_LEN], pad[48] = {0}, cbc[16] = {0}, t[16], ac[8];
	unsigned char arc[2] = {0x30, 0x30}, arpc[8];
	const EVP_CIPHER *sm4 = EVP_CIPHER_fetch(NULL, "SM4-ECB", NULL);

	(void)state;
	if (!sm4)
		skip();
	hx("0123456789ABCDEFFEDCBA9876543210", mk);
	blk[0] = atc[0], blk[1] = atc[1], blk[2] = 0xF0;
	evp_ecb(sm4, mk, blk, 16, want, 0);
	assert_int_equal(emv_ac_session_key(EMV_AC_SM4, mk, atc, sk), 0);
	assert_memory_equal(sk, want, 16);

	/* CBC-MAC, padding method 2, leftmost 8 bytes */
	build_input(in, atc);
	memcpy(pad, in, sizeof in);
	pad[sizeof in] = 0x80;
	for (size_t i = 0; i < 48; i += 16) {
		for (int j = 0; j < 16; j++)
			t[j] = cbc[j] ^ pad[i + j];
		evp_ecb(sm4, want, t, 16, cbc, 0);
	}
	assert_int_equal(ac_generate(EMV_AC_SM4, mk, atc, in, sizeof in, ac), 0);
	assert_memory_equal(ac, cbc, 8);

	memset(blk, 0, sizeof blk);
	memcpy(blk, ac, 8);
	blk[0] ^= arc[0], blk[1] ^= arc[1];
	evp_ecb(sm4, want, blk, 16, t, 0);
	assert_int_equal(emv_ac_arpc1(EMV_AC_SM4, sk, ac, arc, arpc), 0);
	assert_memory_equal(arpc, t, 8);
	EVP_CIPHER_free((EVP_CIPHER *)sm4);
}

static void
test_alg_parse(void **state)
{
	enum emv_ac_alg a;

	(void)state;
	assert_int_equal(emv_ac_alg_parse(0x01, &a), 0);
	assert_int_equal(a, EMV_AC_TDES);
	assert_int_equal(emv_ac_alg_parse(0x04, &a), 0);
	assert_int_equal(a, EMV_AC_SM4);
	assert_true(emv_ac_alg_parse(0x02, &a) < 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pyemv_vectors),
		cmocka_unit_test(test_pboc_example),
		cmocka_unit_test(test_input_layout),
		cmocka_unit_test(test_tdes_atc_session_key_and_ac),
		cmocka_unit_test(test_sm4),
		cmocka_unit_test(test_alg_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
