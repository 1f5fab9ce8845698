/*
 * test_crypto_scp03.c - SCP03 against the published vectors TV-03-A (perso-crypto.md 1.7):
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

#include <string.h>

static size_t
hx(const char *h, unsigned char *out)
{
	int n = hex_decode(h, out, 512);

	assert_true(n >= 0);
	return (size_t)n;
}

static void
assert_hex(const unsigned char *got, size_t n, const char *want)
{
	unsigned char w[512];
	size_t wn = hx(want, w);

	assert_int_equal(n, wn);
	assert_memory_equal(got, w, n);
}

struct vec {
	const char *name;
	const char *iu_cmd, *iu_rsp, *ext_auth, *get_eid, *get_eid_rsp;
	const char *c[4];
};

static const char *const plain[4] = {"80F22002", "80ca006600", "80F220020a4f0212345c054f9f70c5",
				     "80f28002024f0000"};
static const char get_eid_plain[] = "80E2910006BF3E035C015A00";
static const char eid_rsp_plain[] = "bf3e125a1089882119900000000000000000000005";

static const struct vec vecs[] = {
	{"AES128_11",
	 "8050300008b13e5f938fc108c400",
	 "000000000000000000003003703eb51047495b249f66c484c1d2ef1948000002",
	 "84821100107d5f5826a993ebc89eea24957fa0b3ce",
	 "84e291000ebf3e035c015a558d036518a2829700",
	 "bf3e125a1089882119900000000000000000000005971be68992dbbdfa",
	 {"84f220020863a63f8959827fb2", "84ca006608a0c6a4a74166f7ce00",
	  "84f22002124f0212345c054f9f70c52249b50272656536", "84f280020a4f00e91443f6dce6b8ed00"}},
	{"AES128_03",
	 "80503000088e1552d0513c60f300",
	 "0000000000000000000030037030760cd2c47c1dd395065fe5ead8a9d7000001",
	 "8482030010fd4721a14d9b07003c451d2f8ae6bb21",
	 "84e2910018ca9c00f6713d79bc8baa642bdff51c3f6a4082d3bd9ad26c00",
	 "bf3e125a1089882119900000000000000000000005",
	 {"84f2200208c9811b11f1264cf1", "84ca006608e10ab60b3054798800",
	  "84f22002184e2908bdb48b2315a55482e9e936ca122d6ecfae7d17416e",
	  "84f28002180dd10a6b6193e5340b9e77d32d5a179cd710ac2773aefb2800"}},
	{"AES128_33",
	 "8050300008fdf38259a1e0de4400",
	 "000000000000000000003003703b1aca81e821f219081cdc01c26b372d000003",
	 "84823300108c36f96bcc00724a4e13ad591d7da3f0",
	 "84e2910018267a85dfe4a98fca6fb0527e0dfecce4914e40401433c87f00",
	 "f3ba2b1013aa6224f5e1c138d71805c569e5439b47576260b75fc021b25097cb2e68f8a0144975b9",
	 {"84f2200208ac6a59024bed84cc", "84ca006608409912ad8fb7aed000",
	  "84f22002185f3dafc3ac14c381536a488bf44e06d056df9d74dbd21e5a",
	  "84f280021865165105be3373347d0424d4400af2ac393f569ec779389e00"}},
	{"AES192_11",
	 "80503100087396430b768b085b00",
	 "000000000000000000003103708cfc23522ffdbf1e5df5542cac8fd866000003",
	 "84821100102145ed30b146f5db252fb7e624cec244",
	 "84e291000ebf3e035c015aff42cf801d14394400",
	 "bf3e125a1089882119900000000000000000000005162fbd33e04940a9",
	 {"84f22002084584e4f6784811ee", "84ca006608937776ebe190fa3000",
	  "84f22002124f0212345c054f9f70c59a52bddf3040368c", "84f280020a4f009804b11411f7393d00"}},
	{"AES192_03",
	 "805031000869c65da8202bf19f00",
	 "00000000000000000000310370b570a67be38446717729d6dd3d2ec5b1000001",
	 "848203001065df4f1a356a887905466516d9e5b7c1",
	 "84e2910018d2c6fb477c5d4afe4fd4d21f17eff10d3578ec1774a12a2d00",
	 "bf3e125a1089882119900000000000000000000005",
	 {"84f2200208964e188f0b1bb697", "84ca006608f0820035a41d3e1800",
	  "84f220021806b076ed452cd1fa84f77f5c08a146aa77a9286757dea791",
	  "84f2800218d06527e39222dce091fabdb8e9b898417a67a6852d3577db00"}},
	{"AES192_33",
	 "80503100089b3f2eef0e8c937400",
	 "00000000000000000000310370f6bb305a15bae1a68f79fb08212fbed7000002",
	 "84823300109100bc22d58b45b86a26365ce39ff3cf",
	 "84e29100188f7f946c84f70d17994bc6e8791251bb1bb1bf02cf8de58900",
	 "c05176c1b6f72aae50c32cbee63b0e95998928fd4dfb2be9f27ffde8c8476f5909b4805cc4039599",
	 {"84f2200208d5d97754b6b3d2ba", "84ca006608516c82b8e30adbeb00",
	  "84f2200218cc247f4761e6944277a4e0d6e32e44025b1e31537e2fc668",
	  "84f2800218ba22b63d509bef5d093b43e5eaed03ed23144ab2d9cb51de00"}},
	{"AES256_11",
	 "805032000811666d57866c6f5400",
	 "0000000000000000000032037053ea8847efa7674e41498a4d66cf0dee000003",
	 "84821100102f2ad190eff2fafc4908996d1cebd310",
	 "84e291000ebf3e035c015af4b680372542b59d00",
	 "bf3e125a10898821199000000000000000000000058012dd7f01f1c4c1",
	 {"84f2200208d618b7da68d5fe52", "84ca0066088f3e055db23ad5e500",
	  "84f22002124f0212345c054f9f70c5b6e15cc42404915e", "84f280020a4f00aa124aa74afe7f7500"}},
	{"AES256_03",
	 "8050320008c6066990fc426e1d00",
	 "000000000000000000003203708682cd81bbd8919f2de3f2664581f118000001",
	 "848203001077c493b632edadaf865a1e64acc07ce9",
	 "84e29100183ddaa60594963befaada3525b492ede23c2ab2c1ce3afe4400",
	 "bf3e125a1089882119900000000000000000000005",
	 {"84f2200208480ddc8e419da38d", "84ca0066083e9d6a6c0b2d732000",
	  "84f22002183ebfef2da8b04af2a85f491f299b76973df76ff08a4031be",
	  "84f2800218783fff80990f5585b1055010ea95094a26e4a8f1ef4b18e100"}},
	{"AES256_33",
	 "805032000897b2055fe58599fd00",
	 "00000000000000000000320370a8439a22cedf045fa9f1903b2834f26e000002",
	 "8482330010508a0fd959d2e547c6b33154a6be2057",
	 "84e29100187a5ef717eaf1e135ae92fe54429d0e465decda65f5fe5aea00",
	 "ea90dbfa648a67c5eb6abc57f8530b97d0cd5647c5e8732016b55203b078dd2ace7f8bc5d1c1cd99",
	 {"84f2200208bcc5c17275545d93", "84ca00660804806aba9d543bb600",
	  "84f2200218717222491556ec81a45f49ce48be33320024801a1c4cb0e0",
	  "84f2800218561f105bccd3a1642904b251ccc1228beb80a82370a8637000"}},
};

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
run_host(const struct vec *v)
{
	unsigned char iu[32], rsp[64], apdu[SCP03_APDU_MAX], buf[512], p[300];
	struct scp03_keys k;
	struct scp03_host *h = NULL;
	size_t rn, n, pn;

	hx(v->iu_cmd, iu);
	keys_for(iu[2], &k);
	scp03_init_update_apdu(iu[2], iu + 5, apdu);
	assert_hex(apdu, 14, v->iu_cmd);
	rn = hx(v->iu_rsp, rsp);
	assert_int_equal(scp03_host_new(&k, &h), 0);
	assert_int_equal(scp03_host_begin(h, iu + 5, rsp, rn), 0);
	hx(v->ext_auth, buf);
	assert_int_equal(scp03_host_external_auth(h, buf[2], apdu, &n), 0);
	assert_hex(apdu, n, v->ext_auth);

	pn = hx(get_eid_plain, p);
	assert_int_equal(scp03_host_wrap(h, p, pn, apdu, sizeof(apdu), &n), 0);
	assert_hex(apdu, n, v->get_eid);
	rn = hx(v->get_eid_rsp, rsp);
	rsp[rn++] = 0x90;
	rsp[rn++] = 0x00;
	assert_int_equal(scp03_host_unwrap(h, rsp, rn, buf, sizeof(buf), &n), 0);
	assert_int_equal(n, 23);
	assert_hex(buf, n - 2, eid_rsp_plain);
	assert_int_equal(buf[n - 2], 0x90);

	for (int i = 0; i < 4; i++) {
		pn = hx(plain[i], p);
		assert_int_equal(scp03_host_wrap(h, p, pn, apdu, sizeof(apdu), &n), 0);
		assert_hex(apdu, n, v->c[i]);
	}
	scp03_host_free(h);
}

static void
run_card(const struct vec *v)
{
	static const unsigned char isd[] = {0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00, 0x00};
	unsigned char iu[32], rsp[64], apdu[SCP03_APDU_MAX], buf[512], p[300];
	struct scp03_init_response ir;
	struct scp03_keys k;
	struct scp03_card *c = NULL;
	size_t rn, n, pn, an;
	uint32_t seq;

	an = hx(v->iu_cmd, iu);
	keys_for(iu[2], &k);
	rn = hx(v->iu_rsp, rsp);
	assert_int_equal(scp03_parse_init_response(rsp, rn, &ir), 0);
	seq = (uint32_t)ir.seq[0] << 16 | (uint32_t)ir.seq[1] << 8 | ir.seq[2];
	assert_int_equal(scp03_card_new(&k, ir.kdd, ir.i_param, isd, sizeof(isd), &c), 0);
	assert_int_equal(
		scp03_card_init_update(c, iu, an, ir.card_challenge, seq, buf, sizeof(buf), &n), 0);
	assert_hex(buf, n, v->iu_rsp);
	an = hx(v->ext_auth, apdu);
	assert_int_equal(scp03_card_external_auth(c, apdu, an), 0);
	assert_true(scp03_card_is_open(c));
	assert_int_equal(scp03_card_security_level(c), apdu[2]);

	an = hx(v->get_eid, apdu);
	assert_int_equal(scp03_card_unwrap(c, apdu, an, buf, sizeof(buf), &n), 0);
	assert_hex(buf, n, get_eid_plain);
	pn = hx(eid_rsp_plain, p);
	assert_int_equal(scp03_card_wrap_response(c, p, pn, 0x9000, buf, sizeof(buf), &n), 0);
	assert_hex(buf, n - 2, v->get_eid_rsp);

	for (int i = 0; i < 4; i++) {
		an = hx(v->c[i], apdu);
		assert_int_equal(scp03_card_unwrap(c, apdu, an, buf, sizeof(buf), &n), 0);
		assert_hex(buf, n, plain[i]);
	}
	scp03_card_free(c);
}

static void
test_tv03a_host(void **state)
{
	for (size_t i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
		print_message("host %s\n", vecs[i].name);
		run_host(&vecs[i]);
	}
}

static void
test_tv03a_card(void **state)
{
	for (size_t i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
		print_message("card %s\n", vecs[i].name);
		run_card(&vecs[i]);
	}
}

static void
test_static_kcvs(void **state)
{
	struct scp03_keys k;
	unsigned char kcv[3];

	keys_for(0x30, &k);
	assert_int_equal(cp_kcv(CP_ALG_AES, k.enc, 16, kcv), 0);
	assert_hex(kcv, 3, "C35280");
	assert_int_equal(cp_kcv(CP_ALG_AES, k.mac, 16, kcv), 0);
	assert_hex(kcv, 3, "013808");
	assert_int_equal(cp_kcv(CP_ALG_AES, k.dek, 16, kcv), 0);
	assert_hex(kcv, 3, "840DE5");
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

	check_session(0x30, "b13e5f938fc108c4", "3eb51047495b249f",
		      "C4E87149F2114DA66BB015A567D751F9", "8B2635556E987A6B84F43D9FFC197D3F",
		      "3F6B2CE3B3ABD9A99BD4453AFA54CC7B");
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
	/* the PRF input of the worked example (perso-crypto.md 1.2): S-ENC, SL 03, i = 1 */
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
	const struct vec *v = &vecs[0];
	unsigned char iu[32], rsp[64], apdu[SCP03_APDU_MAX], buf[512];
	struct scp03_init_response ir;
	struct scp03_keys k;
	struct scp03_host *h = NULL;
	struct scp03_card *c = NULL;
	size_t rn, an, n;

	hx(v->iu_cmd, iu);
	rn = hx(v->iu_rsp, rsp);
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
