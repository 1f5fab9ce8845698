/*
 * test_crypto_derive.c - key derivation vectors: EMV Option A/B, the common session key,
 * ARQC/ARPC checks (docs/crypto-reference.md §4.3), GP kdf3 (GlobalPlatformPro
 * TestSCP03.testKDF3), the emv/visa2 layouts of 4.4, and SM4 diversification (factor || ~factor).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/err.h"
#include "core/hex.h"
#include "personalization/crypto/cipher.h"
#include "personalization/crypto/derive.h"
#include "personalization/crypto/kcv.h"
#include "personalization/crypto/mac.h"
#include "hex_fixture.h"
#include "des_parity.h"

#include <string.h>

static void
test_option_a(void **state)
{
	unsigned char imk[16], mk[16], kcv[3];

	hx("0123456789ABCDEFFEDCBA9876543210", imk);
	assert_int_equal(cp_emv_option_a(imk, "99012345678901234", "45", mk), 0);
	assert_hex(mk, 16, "67F8292358083E5EA7AB7FDA58D53B6B");
	assert_int_equal(cp_emv_option_a(imk, "12345678901234567", "01", mk), 0);
	assert_hex(mk, 16, "73AD54688CEF2934B0979857E3C719F1");
	assert_int_equal(cp_emv_option_a(imk, "9901234567890123", "45", mk), 0);
	assert_hex(mk, 16, "F84315C7B95BD3B0C74694922C3808B0");
	assert_int_equal(cp_kcv(CP_ALG_TDES, mk, 16, kcv), 0);
	assert_hex(kcv, 3, "1DA5E1");
	assert_int_equal(cp_emv_option_a(imk, "12345678901234567", "45", mk), 0);
	assert_int_equal(cp_kcv(CP_ALG_TDES, mk, 16, kcv), 0);
	assert_hex(kcv, 3, "FF089D");
	assert_true(des_has_odd_parity(mk, 16));
	assert_int_equal(cp_kcv(CP_ALG_TDES, imk, 16, kcv), 0);
	assert_hex(kcv, 2, "08D7");
}

static void
test_session_key_and_ac(void **state)
{
	unsigned char mk[16], r[8], sk[16], imk[16], kcv[3], data[16], arqc[8], x[8], arpc[8];

	hx("0123456789ABCDEFFEDCBA9876543210", mk);
	hx("001C000000000000", r);
	assert_int_equal(cp_emv_session_key(mk, r, sk), 0);
	assert_hex(sk, 16, "E9FB384AF807B940FEDCEA613461B0C4");

	memcpy(imk, mk, 16);
	assert_int_equal(cp_emv_option_a(imk, "9901234567890123", "45", mk), 0);
	hx("1234567890123456", r);
	assert_int_equal(cp_emv_session_key(mk, r, sk), 0);
	assert_hex(sk, 16, "3E736BF8D37664348A04E3ABE00DEFC1");
	assert_int_equal(cp_kcv(CP_ALG_TDES, sk, 16, kcv), 0);
	assert_hex(kcv, 2, "0995");
	/* ARQC: retail MAC with EMV (method 2) padding under the session key */
	hx("0123456789ABCDEF0123456789ABCDEF", data);
	assert_int_equal(cp_retail_mac(sk, NULL, data, 16, CP_PAD_80, arqc), 0);
	assert_hex(arqc, 8, "4B46013359B7A58B");
	/* ARPC method 1, ARC 0000: 3DES(ICC MK, ARQC ^ (ARC || 00*6)) */
	memcpy(x, arqc, 8);
	assert_int_equal(cp_ecb_encrypt(CP_ALG_TDES, mk, 16, x, 8, arpc), 0);
	assert_hex(arpc, 8, "F8C9CECAABD55AD1");
}

static void
test_kdf3(void **state)
{
	unsigned char kmc[32], kdd[10], e[32], m[32], d[32];
	size_t kl;

	hx("8C72C72CF908411653018807950D82FBAD947562F0828A0B10B8B9606ABF3BCD", kmc);
	hx("D9B1DE5D0362DEDCE4FB", kdd);
	assert_int_equal(cp_gp_diversify(CP_GP_KDF3, kmc, 32, kdd, e, m, d, &kl), 0);
	assert_int_equal(kl, 32);
	assert_hex(e, 32, "9AAC5D0B3601F89438A0D9D0B6B256CFB47E6462DFA5228D3420C4AC7C224781");
	assert_memory_not_equal(e, m, 32);
	assert_memory_not_equal(m, d, 32);
	/* block 1 of MAC is CMAC(KMC, 01 000000 02 00 KDD) */
	{
		unsigned char in[16], t[16];

		memset(in, 0, 16);
		in[0] = 1;
		in[4] = 2;
		memcpy(in + 6, kdd, 10);
		assert_int_equal(cp_cmac(CP_ALG_AES, kmc, 32, in, 16, t), 0);
		assert_memory_equal(t, m, 16);
	}
	/* a 3DES KMC is refused for kdf3, an AES one for emv */
	assert_int_equal(cp_gp_diversify(CP_GP_KDF3, kmc, 15, kdd, e, m, d, &kl), CP_ERR_INVALID);
	assert_int_equal(cp_gp_diversify(CP_GP_EMV, kmc, 32, kdd, e, m, d, &kl), CP_ERR_INVALID);
}

static void
test_emv_visa2_layout(void **state)
{
	unsigned char kmc[16], kdd[10], e[32], m[32], d[32], in[16], want[16];
	size_t kl;

	hx("404142434445464748494A4B4C4D4E4F", kmc);
	hx("00010203040506070809", kdd);
	assert_int_equal(cp_gp_diversify(CP_GP_EMV, kmc, 16, kdd, e, m, d, &kl), 0);
	assert_int_equal(kl, 16);
	hx("040506070809F002040506070809 0F02", in);
	assert_int_equal(cp_ecb_encrypt(CP_ALG_TDES, kmc, 16, in, 16, want), 0);
	assert_memory_equal(m, want, 16);
	assert_int_equal(cp_gp_diversify(CP_GP_VISA2, kmc, 16, kdd, e, m, d, &kl), 0);
	hx("000104050607F003000104050607 0F03", in);
	assert_int_equal(cp_ecb_encrypt(CP_ALG_TDES, kmc, 16, in, 16, want), 0);
	assert_memory_equal(d, want, 16);
}

static void
test_sm4_diversify(void **state)
{
	unsigned char master[16], f[8], out[16], in[16], want[16];

	hx("0123456789ABCDEFFEDCBA9876543210", master);
	hx("1122334455667788", f);
	assert_int_equal(cp_sm4_diversify(master, f, out), 0);
	hx("1122334455667788EEDDCCBBAA998877", in);
	assert_int_equal(cp_ecb_encrypt(CP_ALG_SM4, master, 16, in, 16, want), 0);
	assert_memory_equal(out, want, 16);
	/* SM4 Option A: Y = 9901234567890123 45 -> rightmost 16 digits */
	assert_int_equal(cp_sm4_option_a(master, "9901234567890123", "45", out), 0);
	hx("012345678901234566FEDCBA98765432", in);
	hx("0123456789012345", f);
	assert_int_equal(cp_sm4_diversify(master, f, want), 0);
	assert_memory_equal(out, want, 16);
}

static void
test_bad_pan(void **state)
{
	unsigned char imk[16] = {0}, mk[16];

	assert_int_equal(cp_emv_option_a(imk, "12345678901X4567", "01", mk), CP_ERR_FORMAT);
	assert_true(strstr(cp_errmsg(), "PAN") != NULL);
	assert_int_equal(cp_emv_option_a(imk, "123", "01", mk), CP_ERR_FORMAT);
	assert_int_equal(cp_emv_option_a(imk, "1234567890123", "123", mk), CP_ERR_FORMAT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_option_a),      cmocka_unit_test(test_session_key_and_ac),
		cmocka_unit_test(test_kdf3),	      cmocka_unit_test(test_emv_visa2_layout),
		cmocka_unit_test(test_sm4_diversify), cmocka_unit_test(test_bad_pan),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
