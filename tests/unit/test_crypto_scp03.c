/*
 * test_crypto_scp03.c - SCP03 against the published vectors TV-03-A
 * (docs/crypto-reference.md §1.7):
 * every APDU of all nine AES128/192/256 x SL 11/03/33 sequences, host and card side, plus
 * the static KCVs and the published intermediates.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/err.h"
#include "core/hex.h"
#include "personalization/crypto/cipher.h"
#include "personalization/crypto/kcv.h"
#include "personalization/crypto/mac.h"
#include "personalization/crypto/scp03.h"
#include "vectors_scp03.h"
#include "hex_fixture.h"

#include <string.h>

static void
keys_for(unsigned char kvn, struct scp03_keys *k)
{
	size_t n = kvn == 0x30 ? 16 : kvn == 0x31 ? 24 : 32;

	memset(k, 0, sizeof(*k));
	for (size_t i = 0; i < n; i++) {
		k->enc[i] = (unsigned char)(i % 16);
		k->mac[i] = (unsigned char)(0x10 + i % 16);
		k->dek[i] = (unsigned char)(0x20 + i % 16);
	}
	k->key_len = n;
	k->kvn = kvn;
}

static void
run_host(const struct tv03a *v)
{
	unsigned char iu[32], rsp[64], apdu[SCP03_APDU_MAX], buf[512], p[300];
	struct scp03_keys k;
	struct scp03_host *h = NULL;
	size_t rn, n, pn;

	hx(v->init_cmd, iu);
	keys_for(iu[2], &k);
	scp03_init_update_apdu(iu[2], iu + 5, apdu);
	assert_hex(apdu, 14, v->init_cmd);
	rn = hx(v->init_rsp, rsp);
	assert_int_equal(scp03_host_new(&k, &h), 0);
	assert_int_equal(scp03_host_begin(h, iu + 5, rsp, rn), 0);
	hx(v->ext_auth, buf);
	assert_int_equal(scp03_host_external_auth(h, buf[2], apdu, &n), 0);
	assert_hex(apdu, n, v->ext_auth);

	pn = hx(tv03a_get_eid_plain, p);
	assert_int_equal(scp03_host_wrap(h, p, pn, apdu, sizeof(apdu), &n), 0);
	assert_hex(apdu, n, v->get_eid);
	rn = hx(v->get_eid_rsp, rsp);
	rsp[rn++] = 0x90;
	rsp[rn++] = 0x00;
	assert_int_equal(scp03_host_unwrap(h, rsp, rn, buf, sizeof(buf), &n), 0);
	assert_int_equal(n, 23);
	assert_hex(buf, n - 2, tv03a_eid_rsp_plain);
	assert_int_equal(buf[n - 2], 0x90);

	for (int i = 0; i < 4; i++) {
		pn = hx(tv03a_plain[i], p);
		assert_int_equal(scp03_host_wrap(h, p, pn, apdu, sizeof(apdu), &n), 0);
		assert_hex(apdu, n, v->c[i]);
	}
	/* a malformed command, in the channel's own words */
	{
		static const struct {
			const char *hex, *msg;
		} bad[] = {
			{"80F220", "a command APDU has at least 4 bytes, not 3"},
			{"80E2000000AABB", "extended-length APDUs are not supported"},
			{"80E2000003AABB", "APDU of 7 bytes does not match its Lc 3"},
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			pn = hx(bad[i].hex, p);
			assert_int_equal(scp03_host_wrap(h, p, pn, apdu, sizeof(apdu), &n),
					 CP_ERR_FORMAT);
			assert_string_equal(cp_errmsg(), bad[i].msg);
		}
	}
	scp03_host_free(h);
}

static void
run_card(const struct tv03a *v)
{
	static const unsigned char isd[] = {0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00, 0x00};
	unsigned char iu[32], rsp[64], apdu[SCP03_APDU_MAX], buf[512], p[300];
	struct scp03_init_response ir;
	struct scp03_keys k;
	struct scp03_card *c = NULL;
	size_t rn, n, pn, an;
	uint32_t seq;

	an = hx(v->init_cmd, iu);
	keys_for(iu[2], &k);
	rn = hx(v->init_rsp, rsp);
	assert_int_equal(scp03_parse_init_response(rsp, rn, &ir), 0);
	seq = (uint32_t)ir.seq[0] << 16 | (uint32_t)ir.seq[1] << 8 | ir.seq[2];
	assert_int_equal(scp03_card_new(&k, ir.kdd, ir.i_param, isd, sizeof(isd), &c), 0);
	assert_int_equal(
		scp03_card_init_update(c, iu, an, ir.card_challenge, seq, buf, sizeof(buf), &n), 0);
	assert_hex(buf, n, v->init_rsp);
	an = hx(v->ext_auth, apdu);
	assert_int_equal(scp03_card_external_auth(c, apdu, an), 0);
	assert_true(scp03_card_is_open(c));
	assert_int_equal(scp03_card_security_level(c), apdu[2]);

	an = hx(v->get_eid, apdu);
	assert_int_equal(scp03_card_unwrap(c, apdu, an, buf, sizeof(buf), &n), 0);
	assert_hex(buf, n, tv03a_get_eid_plain);
	pn = hx(tv03a_eid_rsp_plain, p);
	assert_int_equal(scp03_card_wrap_response(c, p, pn, 0x9000, buf, sizeof(buf), &n), 0);
	assert_hex(buf, n - 2, v->get_eid_rsp);

	for (int i = 0; i < 4; i++) {
		an = hx(v->c[i], apdu);
		assert_int_equal(scp03_card_unwrap(c, apdu, an, buf, sizeof(buf), &n), 0);
		assert_hex(buf, n, tv03a_plain[i]);
	}
	scp03_card_free(c);
}

static void
test_tv03a_host(void **state)
{
	for (size_t i = 0; i < sizeof(tv03a_vectors) / sizeof(tv03a_vectors[0]); i++) {
		print_message("host %s\n", tv03a_vectors[i].name);
		run_host(&tv03a_vectors[i]);
	}
}

static void
test_tv03a_card(void **state)
{
	for (size_t i = 0; i < sizeof(tv03a_vectors) / sizeof(tv03a_vectors[0]); i++) {
		print_message("card %s\n", tv03a_vectors[i].name);
		run_card(&tv03a_vectors[i]);
	}
}

static void
test_static_kcvs(void **state)
{
	struct scp03_keys k;
	unsigned char kcv[3];

	keys_for(0x30, &k);
	assert_int_equal(cp_kcv(CP_ALG_AES, k.enc, 16, kcv), 0);
	assert_hex(kcv, 3, tv03a_static_kcv[0]);
	assert_int_equal(cp_kcv(CP_ALG_AES, k.mac, 16, kcv), 0);
	assert_hex(kcv, 3, tv03a_static_kcv[1]);
	assert_int_equal(cp_kcv(CP_ALG_AES, k.dek, 16, kcv), 0);
	assert_hex(kcv, 3, tv03a_static_kcv[2]);
}

static void
check_session(unsigned char kvn, const char *hc, const char *cc, const char *enc, const char *mac,
	      const char *rmac)
{
	unsigned char h[8], c[8], e[32], m[32], r[32];
	struct scp03_keys k;

	keys_for(kvn, &k);
	hx(hc, h);
	hx(cc, c);
	assert_int_equal(scp03_session_keys(&k, h, c, e, m, r), 0);
	assert_hex(e, k.key_len, enc);
	assert_hex(m, k.key_len, mac);
	if (rmac)
		assert_hex(r, k.key_len, rmac);
}

static void
test_intermediates(void **state)
{
	unsigned char ctx[16], out[16];

	check_session(0x30, "b13e5f938fc108c4", "3eb51047495b249f", tv03a_128_11_session[0],
		      tv03a_128_11_session[1], tv03a_128_11_session[2]);
	check_session(0x30, "8e1552d0513c60f3", "30760cd2c47c1dd3",
		      "EE54985E150155E021725489F717D645", "59B76DDFF91DBA0515A9644DE3A48863",
		      "5942BF778C5942F17037DA8278F9330D");
	check_session(0x30, "fdf38259a1e0de44", "3b1aca81e821f219",
		      "BC5689F3A0B783A9ED6DA1C5C6BC1F99", "0415F56CBB9E488BB171B2B66081F004",
		      "1EE185123244E047BC9D68B914BD1FBE");
	check_session(0x32, "11666d57866c6f54", "53ea8847efa7674e",
		      "DA77FFF6D3EBEAA1234F93F2B18E6F83BADA80ADB387428CE72779439AFCAF57",
		      "80546FE2B8E72587EFA3F1BE7DF30B0FB0146B795F8F131D8B32AC5200F5DBEC",
		      "93588976672E495ED15722A87AE812721674CF94E6D52527DA352174C7141A4C");
	check_session(0x31, "69c65da8202bf19f", "b570a67be3844671",
		      "E78B05673692B6118B071B95C868BBD830CC494B3A6FE612",
		      "787C55691BF5F22F567F8905B9B74242DC6C92A94F050232", NULL);
	/* card cryptogram AES128_11 through the KDF with S-MAC */
	hx("b13e5f938fc108c43eb51047495b249f", ctx);
	hx("8B2635556E987A6B84F43D9FFC197D3F", out);
	{
		unsigned char smac[16], cg[8];

		memcpy(smac, out, 16);
		assert_int_equal(scp03_kdf(smac, 16, 0x00, ctx, 16, cg, 8), 0);
		assert_hex(cg, 8, "66C484C1D2EF1948");
		assert_int_equal(scp03_kdf(smac, 16, 0x01, ctx, 16, cg, 8), 0);
		assert_hex(cg, 8, "7D5F5826A993EBC8");
	}
}

/* AES128_03 intermediates: the MAC chaining values and the C-DEC ICV of counter 1,
 * recomputed from the published S-ENC/S-MAC and APDUs with plain CMAC/ECB. */
static void
test_chaining_and_icv(void **state)
{
	unsigned char senc[16], smac[16], in[64], chain[16], blk[16] = {0}, icv[16];

	hx("EE54985E150155E021725489F717D645", senc);
	hx("59B76DDFF91DBA0515A9644DE3A48863", smac);
	memset(in, 0, 16);
	hx("8482030010FD4721A14D9B0700", in + 16);
	assert_int_equal(cp_cmac(CP_ALG_AES, smac, 16, in, 16 + 13, chain), 0);
	assert_hex(chain, 16, "3C451D2F8AE6BB21FBA689F2F1FA7D47");
	blk[15] = 1;
	assert_int_equal(cp_ecb_encrypt(CP_ALG_AES, senc, 16, blk, 16, icv), 0);
	assert_hex(icv, 16, "C70915B2EE6711AA326658FC9CD93AE9");
	memcpy(in, chain, 16);
	hx("84E2910018CA9C00F6713D79BC8BAA642BDFF51C3F", in + 16);
	assert_int_equal(cp_cmac(CP_ALG_AES, smac, 16, in, 16 + 21, chain), 0);
	assert_hex(chain, 16, "6A4082D3BD9AD26C1037F2A80874E2B0");
	/* the PRF input of the worked example (docs/crypto-reference.md §1.2): S-ENC, SL 03,
	 * i = 1 */
	{
		struct scp03_keys k;
		unsigned char hc[8], cc[8], e[16], m[16], r[16], prf[32], t[16];

		memset(&k, 0, sizeof(k));
		for (int i = 0; i < 16; i++)
			k.enc[i] = (unsigned char)i;
		k.key_len = 16;
		hx("000000000000000000000004000080018E1552D0513C60F330760CD2C47C1DD3", prf);
		assert_int_equal(cp_cmac(CP_ALG_AES, k.enc, 16, prf, 32, t), 0);
		memcpy(hc, prf + 16, 8);
		memcpy(cc, prf + 24, 8);
		memcpy(k.mac, k.enc, 16);
		assert_int_equal(scp03_session_keys(&k, hc, cc, e, m, r), 0);
		assert_memory_equal(e, t, 16);
		assert_memory_equal(e, senc, 16);
	}
}

static void
test_negative(void **state)
{
	const struct tv03a *v = &tv03a_vectors[0];
	unsigned char iu[32], rsp[64], apdu[SCP03_APDU_MAX], buf[512];
	struct scp03_init_response ir;
	struct scp03_keys k;
	struct scp03_host *h = NULL;
	struct scp03_card *c = NULL;
	size_t rn, an, n;

	hx(v->init_cmd, iu);
	rn = hx(v->init_rsp, rsp);
	/* wrong keys: the card cryptogram does not verify */
	keys_for(0x30, &k);
	k.mac[0] ^= 1;
	assert_int_equal(scp03_host_new(&k, &h), 0);
	assert_int_equal(scp03_host_begin(h, iu + 5, rsp, rn), CP_ERR_CRYPTO);
	/* truncated response */
	assert_int_equal(scp03_host_begin(h, iu + 5, rsp, 20), CP_ERR_FORMAT);
	assert_int_equal(scp03_host_wrap(h, iu, 14, apdu, sizeof(apdu), &n), CP_ERR_PROTOCOL);
	scp03_host_free(h);

	/* card: a flipped C-MAC bit closes the channel */
	keys_for(0x30, &k);
	assert_int_equal(scp03_parse_init_response(rsp, rn, &ir), 0);
	assert_int_equal(scp03_card_new(&k, ir.kdd, 0x60, NULL, 0, &c), 0);
	assert_int_equal(
		scp03_card_init_update(c, iu, 14, ir.card_challenge, 2, buf, sizeof(buf), &n), 0);
	an = hx(v->ext_auth, apdu);
	apdu[an - 1] ^= 0x01;
	assert_int_equal(scp03_card_external_auth(c, apdu, an), CP_ERR_CRYPTO);
	assert_false(scp03_card_is_open(c));
	assert_int_equal(
		scp03_card_init_update(c, iu, 14, ir.card_challenge, 2, buf, sizeof(buf), &n), 0);
	an = hx(v->ext_auth, apdu);
	assert_int_equal(scp03_card_external_auth(c, apdu, an), 0);
	an = hx(v->get_eid, apdu);
	apdu[6] ^= 0x80;
	assert_int_equal(scp03_card_unwrap(c, apdu, an, buf, sizeof(buf), &n), CP_ERR_CRYPTO);
	assert_false(scp03_card_is_open(c));
	/* INITIALIZE UPDATE and EXTERNAL AUTHENTICATE whose length does not fit their Lc */
	assert_int_equal(scp03_card_init_update(c, iu, 12, NULL, 2, buf, sizeof(buf), &n),
			 CP_ERR_FORMAT);
	assert_string_equal(cp_errmsg(), "INITIALIZE UPDATE of 12 bytes");
	iu[4] = 0x07;
	assert_int_equal(scp03_card_init_update(c, iu, 14, NULL, 2, buf, sizeof(buf), &n),
			 CP_ERR_FORMAT);
	assert_string_equal(cp_errmsg(), "not an INITIALIZE UPDATE with an 8-byte challenge");
	iu[4] = 0x08;
	assert_int_equal(
		scp03_card_init_update(c, iu, 14, ir.card_challenge, 2, buf, sizeof(buf), &n), 0);
	an = hx(v->ext_auth, apdu);
	apdu[4] = 0x0F;
	assert_int_equal(scp03_card_external_auth(c, apdu, an), CP_ERR_FORMAT);
	assert_string_equal(cp_errmsg(), "malformed EXTERNAL AUTHENTICATE");
	assert_false(scp03_card_is_open(c));
	/* wrong KVN asked for */
	iu[2] = 0x21;
	assert_int_equal(scp03_card_init_update(c, iu, 14, NULL, 2, buf, sizeof(buf), &n),
			 CP_ERR_NOTFOUND);
	scp03_card_free(c);
}

/* Host and card talk to each other at every security level and key size, random challenges,
 * 200-byte commands (C-DEC), responses with R-ENC, and DEK encryption both ways. */
static void
test_round_trip(void **state)
{
	static const unsigned char sls[] = {0x01, 0x03, 0x11, 0x13, 0x33};
	static const unsigned char aid[] = {0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00, 0x00};
	unsigned char kvns[] = {0x30, 0x31, 0x32}, hc[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	unsigned char kdd[10] = {9, 9, 9, 9, 9, 9, 9, 9, 9, 9};

	for (size_t a = 0; a < 3; a++)
		for (size_t s = 0; s < sizeof(sls); s++) {
			struct scp03_keys k;
			struct scp03_host *h;
			struct scp03_card *c;
			unsigned char cmd[SCP03_APDU_MAX], w[SCP03_APDU_MAX], u[SCP03_APDU_MAX];
			unsigned char r1[SCP03_RESP_MAX], r2[SCP03_RESP_MAX], iu[14], rsp[40];
			unsigned char key[32], enc[32], dec[32];
			size_t n, wn, un, rn;

			keys_for(kvns[a], &k);
			assert_int_equal(scp03_card_new(&k, kdd, 0x70, aid, sizeof(aid), &c), 0);
			assert_int_equal(scp03_host_new(&k, &h), 0);
			scp03_init_update_apdu(0, hc, iu);
			assert_int_equal(
				scp03_card_init_update(c, iu, 14, NULL, 7, rsp, sizeof(rsp), &rn),
				0);
			assert_int_equal(rn, 32);
			assert_int_equal(scp03_host_begin(h, hc, rsp, rn), 0);
			assert_int_equal(scp03_host_external_auth(h, sls[s], w, &wn), 0);
			assert_int_equal(scp03_card_external_auth(c, w, wn), 0);
			for (int i = 0; i < 3; i++) {
				size_t dl = i == 0 ? SCP03_MAX_DATA : i == 1 ? 0 : 17;

				cmd[0] = 0x80;
				cmd[1] = 0xE2;
				cmd[2] = 0x00;
				cmd[3] = (unsigned char)i;
				n = 4;
				if (dl) {
					cmd[4] = (unsigned char)dl;
					for (size_t j = 0; j < dl; j++)
						cmd[5 + j] = (unsigned char)(j * 7);
					n = 5 + dl;
				}
				assert_int_equal(scp03_host_wrap(h, cmd, n, w, sizeof(w), &wn), 0);
				assert_int_equal(scp03_card_unwrap(c, w, wn, u, sizeof(u), &un), 0);
				assert_int_equal(un, n);
				assert_memory_equal(u, cmd, n);
				assert_int_equal(scp03_card_wrap_response(c, cmd + 5, dl ? 200 : 0,
									  0x9000, r1, sizeof(r1),
									  &rn),
						 0);
				assert_int_equal(scp03_host_unwrap(h, r1, rn, r2, sizeof(r2), &un),
						 0);
				assert_int_equal(un, (dl ? 200u : 0u) + 2);
				if (sls[s] & SCP03_R_MAC) {
					r1[0] ^= 1;
					assert_int_equal(
						scp03_host_unwrap(h, r1, rn, r2, sizeof(r2), &un),
						CP_ERR_CRYPTO);
				}
			}
			/* an error status word goes bare */
			assert_int_equal(
				scp03_card_wrap_response(c, NULL, 0, 0x6A82, r1, sizeof(r1), &rn),
				0);
			assert_int_equal(rn, 2);
			for (size_t j = 0; j < 32; j++)
				key[j] = (unsigned char)(0x40 + j);
			assert_int_equal(scp03_host_dek_encrypt(h, key, 32, enc), 0);
			assert_int_equal(scp03_card_dek_decrypt(c, enc, 32, dec), 0);
			assert_memory_equal(dec, key, 32);
			scp03_host_free(h);
			scp03_card_free(c);
		}
}

/* Random APDUs thrown at an open card channel and random INITIALIZE UPDATE responses at the
 * host: clean errors, never a crash. */
static void
test_garbage(void **state)
{
	static const unsigned char aid[] = {0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00, 0x00};
	unsigned char kdd[10] = {0}, hc[8] = {0}, iu[14], rsp[64], a[300], out[300];
	struct scp03_keys k;
	struct scp03_card *c;
	struct scp03_host *h;
	unsigned seed = 99;
	size_t n, w;

	keys_for(0x30, &k);
	assert_int_equal(scp03_card_new(&k, kdd, 0x70, aid, sizeof(aid), &c), 0);
	assert_int_equal(scp03_host_new(&k, &h), 0);
	for (int i = 0; i < 2000; i++) {
		size_t len;

		scp03_init_update_apdu(0x30, hc, iu);
		assert_int_equal(scp03_card_init_update(c, iu, 14, NULL, 1, rsp, sizeof(rsp), &n),
				 0);
		assert_int_equal(scp03_host_begin(h, hc, rsp, n), 0);
		assert_int_equal(scp03_host_external_auth(h, 0x33, a, &w), 0);
		assert_int_equal(scp03_card_external_auth(c, a, w), 0);
		seed = seed * 1103515245u + 12345u;
		len = (seed >> 8) % 270;
		for (size_t j = 0; j < len; j++) {
			seed = seed * 1103515245u + 12345u;
			a[j] = (unsigned char)(seed >> 16);
		}
		if (len > 4 && i % 2)
			a[4] = (unsigned char)(len - 5); /* a consistent Lc half the time */
		a[0] |= 0x04;
		assert_true(scp03_card_unwrap(c, a, len, out, sizeof(out), &w) < 0);
		assert_true(scp03_host_begin(h, hc, a, len % 40) <= 0);
		assert_true(scp03_host_unwrap(h, a, len, out, sizeof(out), &w) <= 0);
	}
	scp03_card_free(c);
	scp03_host_free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tv03a_host),	 cmocka_unit_test(test_tv03a_card),
		cmocka_unit_test(test_static_kcvs),	 cmocka_unit_test(test_intermediates),
		cmocka_unit_test(test_chaining_and_icv), cmocka_unit_test(test_negative),
		cmocka_unit_test(test_round_trip),	 cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
