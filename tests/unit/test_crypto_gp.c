/*
 * test_crypto_gp.c - SCP02 (TV-02-A, docs/crypto-reference.md §2.5), PUT KEY with an SCP03
 * static DEK (3.1) and the key DGIs 00B9/8113 (TV-DGI, 3.3), DGI length coding.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/hex.h"
#include "personalization/crypto/gp.h"
#include "personalization/crypto/scp02.h"
#include "gp_keys.h"
#include "hex_fixture.h"

#include <string.h>

static void
test_scp02(void **state)
{
	static const char *const plain[4] = {"80F22002", "80ca006600",
					     "80F220020a4f0212345c054f9f70c5", "80f28002024f0000"};
	static const char *const wrapped[4] = {"84F220020814DB34FA4341DCA8",
					       "84CA00660855ED7C5FF069512B00",
					       "84F22002124F0212345C054F9F70C58FC1B380C4228AF8",
					       "84F280020A4F003B95F09317DE6A4E00"};
	struct scp02_keys k;
	struct scp02_host *h = NULL;
	unsigned char hc[8], rsp[32], apdu[261], p[64], se[16], cm[16], rm[16], sd[16];
	size_t rn, n, pn;

	memset(&k, 0, sizeof(k));
	hx("100102030405060708090a0b0c0d0e0f", k.enc);
	hx("101102030405060708090a0b0c0d0e0f", k.mac);
	hx("102102030405060708090a0b0c0d0e0f", k.dek);
	hx("40A62C37FA6304F8", hc);
	rn = hx("00000000000000000000700200016B4524ABEE7CF32EA3838BC148F3", rsp);
	assert_int_equal(scp02_host_new(&k, 0x15, &h), 0);
	assert_int_equal(scp02_host_begin(h, hc, rsp, rn), 0);
	scp02_host_session_keys(h, se, cm, rm, sd);
	assert_hex(se, 16, "1BA074B31F72A6C44FE8F5D9AFE4DA2F");
	assert_hex(cm, 16, "29A69328E60494982632039DDD47A2F1");
	assert_hex(rm, 16, "FDF8A06C38FA7A54123C80AB9087BF25");
	assert_hex(sd, 16, "511DB767812597722109C867F9D7257A");
	assert_int_equal(scp02_host_external_auth(h, 0x01, apdu, &n), 0);
	assert_hex(apdu, n, "8482010010BA6961667737C5BCEBECE14C7D6A4376");
	for (int i = 0; i < 4; i++) {
		pn = hx(plain[i], p);
		assert_int_equal(scp02_host_wrap(h, p, pn, apdu, sizeof(apdu), &n), 0);
		assert_hex(apdu, n, wrapped[i]);
	}
	scp02_host_free(h);

	/* wrong keys */
	k.enc[0] ^= 0x10; /* not the parity bit: DES ignores it */
	assert_int_equal(scp02_host_new(&k, 0x15, &h), 0);
	assert_int_equal(scp02_host_begin(h, hc, rsp, rn), CP_ERR_CRYPTO);
	assert_int_equal(scp02_host_begin(h, hc, rsp, 27), CP_ERR_FORMAT);
	scp02_host_free(h);
}

/* The card side answers TV-02-A's INITIALIZE UPDATE with the published response, accepts
 * the published EXTERNAL AUTHENTICATE and unwraps the published commands. */
static void
test_scp02_card(void **state)
{
	static const char *const plain[4] = {"80F22002", "80ca006600",
					     "80F220020a4f0212345c054f9f70c5", "80f28002024f0000"};
	static const char *const wrapped[4] = {"84F220020814DB34FA4341DCA8",
					       "84CA00660855ED7C5FF069512B00",
					       "84F22002124F0212345C054F9F70C58FC1B380C4228AF8",
					       "84F280020A4F003B95F09317DE6A4E00"};
	struct scp02_keys k;
	struct scp02_card *c = NULL;
	struct scp02_host *h = NULL;
	unsigned char hc[8], cc[6], kdd[10] = {0}, iu[14], rsp[32], apdu[261], p[261], w[261];
	unsigned char secret[16], enc[16], back[16];
	size_t rn, n, pn, wn;

	memset(&k, 0, sizeof(k));
	hx("100102030405060708090a0b0c0d0e0f", k.enc);
	hx("101102030405060708090a0b0c0d0e0f", k.mac);
	hx("102102030405060708090a0b0c0d0e0f", k.dek);
	k.kvn = 0x70;
	hx("40A62C37FA6304F8", hc);
	hx("6B4524ABEE7C", cc);
	hx("8050700008", iu);
	memcpy(iu + 5, hc, 8);
	iu[13] = 0x00;
	assert_int_equal(scp02_card_new(&k, kdd, 0x15, &c), 0);
	assert_int_equal(scp02_card_init_update(c, iu, 14, cc, 1, rsp, sizeof(rsp), &rn), 0);
	assert_hex(rsp, rn, "00000000000000000000700200016B4524ABEE7CF32EA3838BC148F3");
	n = hx("8482010010BA6961667737C5BCEBECE14C7D6A4376", apdu);
	assert_int_equal(scp02_card_external_auth(c, apdu, n), 0);
	assert_true(scp02_card_is_open(c));
	for (int i = 0; i < 4; i++) {
		n = hx(wrapped[i], apdu);
		assert_int_equal(scp02_card_unwrap(c, apdu, n, p, sizeof(p), &pn), 0);
		assert_hex(p, pn, plain[i]);
	}
	/* a replayed command (wrong ICV now) closes the channel */
	n = hx(wrapped[0], apdu);
	assert_int_equal(scp02_card_unwrap(c, apdu, n, p, sizeof(p), &pn), CP_ERR_CRYPTO);
	assert_false(scp02_card_is_open(c));
	/* INITIALIZE UPDATE and EXTERNAL AUTHENTICATE whose length does not fit their Lc */
	iu[4] = 0x07;
	assert_int_equal(scp02_card_init_update(c, iu, 14, NULL, 2, rsp, sizeof(rsp), &rn),
			 CP_ERR_FORMAT);
	assert_string_equal(cp_errmsg(), "INITIALIZE UPDATE of 14 bytes");
	iu[4] = 0x08;
	assert_int_equal(scp02_card_init_update(c, iu, 12, NULL, 2, rsp, sizeof(rsp), &rn),
			 CP_ERR_FORMAT);
	assert_int_equal(scp02_card_init_update(c, iu, 14, NULL, 2, rsp, sizeof(rsp), &rn), 0);
	n = hx("8482010010BA6961667737C5BCEBECE14C7D6A437600", apdu);
	assert_int_equal(scp02_card_external_auth(c, apdu, n), CP_ERR_FORMAT);
	assert_string_equal(cp_errmsg(), "EXTERNAL AUTHENTICATE of 22 bytes");
	assert_false(scp02_card_is_open(c));
	/* another KVN: 6A88 */
	iu[2] = 0x21;
	assert_int_equal(scp02_card_init_update(c, iu, 14, NULL, 2, rsp, sizeof(rsp), &rn),
			 CP_ERR_NOTFOUND);
	iu[2] = 0x00;

	/* C-MAC + C-DEC with the host side, and the session DEK, round trip */
	assert_int_equal(scp02_card_init_update(c, iu, 14, NULL, 2, rsp, sizeof(rsp), &rn), 0);
	assert_int_equal(scp02_host_new(&k, 0x15, &h), 0);
	assert_int_equal(scp02_host_begin(h, hc, rsp, rn), 0);
	assert_int_equal(scp02_host_external_auth(h, 0x03, apdu, &n), 0);
	assert_int_equal(scp02_card_external_auth(c, apdu, n), 0);
	assert_int_equal(scp02_card_security_level(c), 0x03);
	for (int i = 0; i < 4; i++) {
		pn = hx(plain[i], p);
		assert_int_equal(scp02_host_wrap(h, p, pn, w, sizeof(w), &wn), 0);
		assert_int_equal(scp02_card_unwrap(c, w, wn, apdu, sizeof(apdu), &n), 0);
		assert_int_equal(n, pn);
		assert_memory_equal(apdu, p, pn);
	}
	memset(secret, 0x5A, sizeof(secret));
	assert_int_equal(scp02_host_dek_encrypt(h, secret, 16, enc), 0);
	assert_int_equal(scp02_card_dek_decrypt(c, enc, 16, back), 0);
	assert_memory_equal(back, secret, 16);
	/* a flipped bit in the ciphertext: the MAC over the plain data does not verify */
	pn = hx(plain[2], p);
	assert_int_equal(scp02_host_wrap(h, p, pn, w, sizeof(w), &wn), 0);
	w[6] ^= 0x01;
	assert_true(scp02_card_unwrap(c, w, wn, apdu, sizeof(apdu), &n) < 0);
	scp02_host_free(h);

	/* a wrong host cryptogram is refused */
	assert_int_equal(scp02_card_init_update(c, iu, 14, NULL, 3, rsp, sizeof(rsp), &rn), 0);
	k.enc[0] ^= 0x10;
	assert_int_equal(scp02_host_new(&k, 0x15, &h), 0);
	assert_int_equal(scp02_host_begin(h, hc, rsp, rn), CP_ERR_CRYPTO);
	scp02_host_free(h);
	scp02_card_free(c);
}

static void
test_put_key(void **state)
{
	unsigned char dek[16], k1[16], k2[16], k3[16], k192[24];
	struct buf b = BUF_INIT(4096);

	hx("404142434445464748494A4B4C4D4E4F", dek);
	for (int i = 0; i < 16; i++) {
		k1[i] = (unsigned char)i;
		k2[i] = (unsigned char)(0x10 + i);
		k3[i] = (unsigned char)(0x20 + i);
	}
	{
		struct gp_key keys[3] = {
			{CP_ALG_AES, k1, 16}, {CP_ALG_AES, k2, 16}, {CP_ALG_AES, k3, 16}};

		assert_int_equal(gp_put_key_apdu(dek, 16, 0x01, 0x81, 0x03, keys, 3, &b), 0);
		assert_hex(b.data, b.len,
			   "80D8018146 03 881110 3D0FA4B855D2A5AA4954B8B5DF582A3A 03C35280 881110 "
			   "790ACCDA858B997029FA9AE50C9CD028 03013808 881110 "
			   "8CAA7F589AA0CEB6350A45E70A6E435B 03840DE5 00");
	}
	buf_reset(&b);
	for (int i = 0; i < 24; i++)
		k192[i] = (unsigned char)i;
	{
		struct gp_key key = {CP_ALG_AES, k192, 24};

		assert_int_equal(gp_put_key_apdu(dek, 16, 0x00, 0x01, 0x04, &key, 1, &b), 0);
		assert_hex(b.data, b.len,
			   "80D8000128 04 882118 "
			   "3D0FA4B855D2A5AA4954B8B5DF582A3A091178493F68BAFFEC0136"
			   "6CE60189E2 0338FCB6 00");
	}
	buf_reset(&b);
	hx("11111111111111112222222222222222", k1);
	hx("33333333333333334444444444444444", k2);
	hx("55555555555555556666666666666666", k3);
	{
		struct gp_key keys[3] = {
			{CP_ALG_TDES, k1, 16}, {CP_ALG_TDES, k2, 16}, {CP_ALG_TDES, k3, 16}};

		assert_int_equal(gp_put_key_apdu(dek, 16, 0x01, 0x81, 0x05, keys, 3, &b), 0);
		assert_hex(b.data, b.len,
			   "80D8018143 05 8010 31E6A4F24C33D66CAEEEF57762EC6980 03D2B91C 8010 "
			   "ACCCBDCEC4C193AF6282B22628E335E1 03E18DE2 8010 "
			   "0BCA2A8E8246AB1B0D859407D17D7A36 03DDB736 00");
	}
	buf_release(&b);
}

static void
test_key_dgis(void **state)
{
	unsigned char dek[32], k1[16], k2[16], k3[16], k256[32];
	struct buf b = BUF_INIT(4096);

	hx("000102030405060708090A0B0C0D0E0F", dek);
	for (int i = 0; i < 16; i++) {
		k1[i] = (unsigned char)(0x40 + i);
		k2[i] = (unsigned char)(0x50 + i);
		k3[i] = (unsigned char)(0x60 + i);
	}
	{
		struct gp_key keys[3] = {
			{CP_ALG_AES, k1, 16}, {CP_ALG_AES, k2, 16}, {CP_ALG_AES, k3, 16}};

		assert_int_equal(gp_key_dgis(dek, 16, 0x01, 0x01, 0x0003, 1, keys, 3, &b), 0);
		assert_hex(
			b.data, b.len,
			"00B930B71080018881011083010196010197020003B9088201018403504A77B908820102"
			"8403F2A8DFB9088201038403D7D0E4811310D533E59B45A153ED7E5E9C5DFCFD4AAA8113"
			"103EF0B1A5E3059DAB21FCE23A7B61C4CA811310ADDE68F7AD497268D31A0DDD5C74B08F");
	}
	buf_reset(&b);
	for (int i = 0; i < 32; i++)
		dek[i] = k256[i] = (unsigned char)i;
	{
		struct gp_key key = {CP_ALG_AES, k256, 32};

		assert_int_equal(gp_key_dgis(dek, 32, 0x02, 0x00, 0x0003, 1, &key, 1, &b), 0);
		assert_hex(
			b.data, b.len,
			"00B91CB71080018881012083010296010097020003B908820101840375E2088113205A6E"
			"045708FB7196F02E553D02C3A692C77147EBD5121DE8D0FAE7762423B6BF");
	}
	buf_release(&b);
}

static void
test_dgi_coding(void **state)
{
	struct buf b = BUF_INIT(100000);
	unsigned char v[300];
	unsigned int tag;
	size_t off, len;

	memset(v, 0x5A, sizeof(v));
	assert_int_equal(gp_dgi_append(&b, 0x0101, v, 254), 0);
	assert_int_equal(b.len, 257);
	assert_int_equal(b.data[2], 0xFE);
	assert_int_equal(gp_dgi_append(&b, 0x0102, v, 255), 0);
	assert_int_equal(b.data[257 + 2], 0xFF);
	assert_int_equal(b.data[257 + 3], 0x00);
	assert_int_equal(b.data[257 + 4], 0xFF);
	assert_int_equal(gp_dgi_parse(b.data + 257, b.len - 257, &tag, &off, &len), 0);
	assert_int_equal(tag, 0x0102);
	assert_int_equal(off, 5);
	assert_int_equal(len, 255);
	assert_int_equal(gp_dgi_parse(b.data + 257, 100, &tag, &off, &len), CP_ERR_FORMAT);
	assert_int_equal(gp_dgi_parse(b.data, 2, &tag, &off, &len), CP_ERR_FORMAT);
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scp02),	   cmocka_unit_test(test_scp02_card),
		cmocka_unit_test(test_put_key),	   cmocka_unit_test(test_key_dgis),
		cmocka_unit_test(test_dgi_coding),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
