/*
 * test_emv_oda.c - EMV offline data authentication (personalization/emv): a published test
 * vector (Visa test CA key 94, an issuer certificate, SSAD and ICC certificate under it, as
 * the open-source emv-utils tests use them) recovered field by field; certificates, SDA and
 * ICC keys made here and recovered with the public keys; key size rules; the key store
 * entries, the TEST ONLY hierarchy and certificate import refusals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/config.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/hex.h"
#include "core/mem.h"
#include "personalization/crypto/secmem.h"
#include "personalization/emv/issuer.h"
#include "personalization/emv/oda.h"
#include "personalization/keys/keystore.h"
#include "hex_fixture.h"

#include <ctype.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- published vector: Visa 1984-bit test CA key A000000003 94 ---- */

static const char visa94_modulus[] =
	"ACD2B12302EE644F3F835ABD1FC7A6F62CCE48FFEC622AA8EF062BEF6FB8BA8B"
	"C68BBF6AB5870EED579BC3973E121303D34841A796D6DCBC41DBF9E52C460979"
	"5C0CCF7EE86FA1D5CB041071ED2C51D2202F63F1156C58A92D38BC60BDF424E1"
	"776E2BC9648078A03B36FB554375FC53D57C73F5160EA59F3AFC5398EC7B6775"
	"8D65C9BFF7828B6B82D4BE124A416AB7301914311EA462C19F771F31B3B57336"
	"000DFF732D3B83DE07052D730354D297BEC72871DCCF0E193F171ABA27EE464C"
	"6A97690943D59BDABB2A27EB71CEEBDAFA1176046478FD62FEC452D5CA393296"
	"530AA3F41927ADFE434A2DF2AE3054F8840657A26E0FC617";
static const char visa94_hash[] = "C4A3C43CCF87327D136B804160E47D43B60E6E0F";

static const char vec_issuer_cert[] =
	"665CD65C20DEAE638C7320EA011E5E2B33FC5070FF7D153D74FE9A01ABFF0B95"
	"87B3779C524577F8A57C19923B39CD3F5CCDD457D360DC2619CDBB94328777BB"
	"905E1CB79E280458F60C8C5593EFD22D6385512B11B7F2EAFE1184CF9066B9B4"
	"7A0BF832045066359AE465473D31B9F830A6DE7D88E969CB456033F8073BEC51"
	"2205920E3DEA773D3E36E1F46C2E8BDDC423FB675CA1710A3D0A06E9C7570919"
	"735190BD6ED65BD5EF92C0416BFE4094EA96A218013838EF337151A8BE7222DC"
	"F0717399553C4DDA16EBABB2DD386A07BDF313D970C1324CAAB885067691E3EE"
	"5E5D8B912799BD53C8E1830237E9EC0A9254D80B2BD3622C";
static const char vec_issuer_modulus[] =
	"DDD9039ACC0BB00E8D6C1A11BD78C055758C5AB4CC6A3735A23DDFCF16A8F7BA"
	"72B7060FD4A77A8F6CA5FB4F11300A671BF14DF26647DCB2DC1D018A78D0F7CB"
	"CA854ECB03D32BEECEDFA849256CCB4B0392F3CC36B838EBFD244C11C58EF44E"
	"D63196E6CD55E0AC7BCA87ED2CC4F475DC9999BA88BA0E00FA860D7763996ED8"
	"A01701E2AC0D285B1198FC8485AADF043FAA3848ED869D6EB3D970F4AC08A974"
	"74278842C85584E34B6FACC07207BC41";
static const char vec_ssad[] = "30661BC4D33D38F913D48429E6760FD9BDF2D9172A22F30418A29138A2D35A47"
			       "3E2AE42A3A6E6EEDFBF99D6C8C21F12EB96FD717D67AE222DB53863257EC8D7D"
			       "649E40F2A64D18659B2FB45D893A995B88AEC4209975975E8DB3AC516D4CDF4A"
			       "26681C524F9EA5C3750283A2B8F4569F9A9672DE9B6ED2C529B9611B38F237C8"
			       "BDCFF088988CB2DD6599B8E62D4E77EE5386B892BE36B7BFB553A2BFDE900FB7"
			       "74C1A544CEB2C5A6CE9968927ED38B87";
static const char vec_ssad_hash[] = "4E2821974D704E338E7218F887763F7BDCE2B814";
static const char vec_icc_cert[] =
	"A6CDB529A1D8CB538E19A277764C633F3C2F468A6A7CC3B5EF3F5B9838B79003"
	"16A627927569F679EAE367E10160D7A1E08D9F20399F8B6FFE77A564B108DD92"
	"4458A89D966C980D1E52A0093CA1CFA44CB3FCCF102632A799486B409C34C1F6"
	"A3DCC3C1C0EE1C0F6E1EA7A33C1CDAEA9852AAA4B954D429C9EEDBF8803D6D15"
	"9CAB6B8DCAB0694B5850D5F3C4014B45ABCB5B8F69BFC647D94F9E0039439A2D"
	"5584DEAD27729C894615F62AE7AC8216";
static const char vec_icc_modulus[] =
	"AB02DC02F1CB7D30113FE87A17D38D67A47CA6EC7A7AE10E6FE5B7D5800547B1"
	"B21A2413DD18136126D8B00F021DC7E19CF513DD87149673B3764FF701454347"
	"CCA9C8E310F9DB651DFDC9364F121002E5A795E3ECFB50678177CF4C15A11067"
	"C1006E13AE77122934A38C11F429137A9AA9AF98610BC8B4979B3FC6BC85C34C"
	"AFA2E1B818F54DD8A50B21B9CBF62BFAD4BB3F4CF6B5239F3FD23F8B93E96C84"
	"C9CE67DFD70359153855A8F735CAFBE5";
static const char vec_icc_hash[] = "B8D9B5F7A12DC0D77FC0B2F7BBACA514939CAD60";

static void
pub_from_hex(const char *mod, unsigned char e, struct emv_pubkey *k)
{
	memset(k, 0, sizeof(*k));
	k->modulus_len = hxn(mod, k->modulus, sizeof(k->modulus));
	k->exponent[0] = e;
	k->exponent_len = 1;
}

static void
test_vector_ca_hash(void **state)
{
	static const unsigned char rid[5] = {0xA0, 0x00, 0x00, 0x00, 0x03};
	struct emv_pubkey ca;
	unsigned char h[20], want[20];

	(void)state;
	pub_from_hex(visa94_modulus, 3, &ca);
	assert_int_equal(ca.modulus_len, 248);
	assert_int_equal(emv_ca_hash(rid, 0x94, &ca, h), 0);
	hxn(visa94_hash, want, 20);
	assert_memory_equal(h, want, 20);
	assert_int_equal(emv_ca_hash(rid, 0x95, &ca, h), 0);
	assert_memory_not_equal(h, want, 20);
}

static void
test_vector_issuer_cert(void **state)
{
	struct emv_pubkey ca, want;
	struct emv_cert c = {0};
	struct emv_cert_fields f;
	static const unsigned char id[4] = {0x47, 0x61, 0x73, 0xFF}, exp[2] = {0x12, 0x31},
				   serial[3] = {0x03, 0xDA, 0x0A};

	(void)state;
	pub_from_hex(visa94_modulus, 3, &ca);
	pub_from_hex(vec_issuer_modulus, 3, &want);
	c.cert_len = hxn(vec_issuer_cert, c.cert, sizeof(c.cert));
	c.exponent[0] = 3;
	c.exponent_len = 1;
	assert_int_equal(emv_issuer_cert_recover(&ca, &c, &f), 0);
	assert_int_equal(f.format, 2);
	assert_memory_equal(f.id, id, 4);
	assert_memory_equal(f.expiry, exp, 2);
	assert_memory_equal(f.serial, serial, 3);
	assert_int_equal(f.hash_alg, 1);
	assert_int_equal(f.pk_alg, 1);
	assert_int_equal(f.key.modulus_len, 176);
	assert_memory_equal(f.key.modulus, want.modulus, 176);
	assert_int_equal(f.key.exponent_len, 1);
	assert_int_equal(f.key.exponent[0], 3);
	/* the vector's invalid form: last byte changed */
	c.cert[247] ^= 0x01;
	assert_int_equal(emv_issuer_cert_recover(&ca, &c, &f), CP_ERR_CRYPTO);
	c.cert[247] ^= 0x01;
	/* a remainder the certificate does not call for, and a wrong exponent */
	c.remainder_len = 1;
	assert_int_equal(emv_issuer_cert_recover(&ca, &c, &f), CP_ERR_CRYPTO);
	assert_non_null(strstr(cp_errmsg(), "remainder"));
	c.remainder_len = 0;
	c.exponent[0] = 0x01;
	c.exponent[1] = 0x00;
	c.exponent[2] = 0x01;
	c.exponent_len = 3;
	assert_int_equal(emv_issuer_cert_recover(&ca, &c, &f), CP_ERR_CRYPTO);
	assert_non_null(strstr(cp_errmsg(), "exponent length"));
	/* a certificate of the wrong size */
	c.exponent_len = 1;
	c.exponent[0] = 3;
	c.cert_len = 176;
	assert_int_equal(emv_issuer_cert_recover(&ca, &c, &f), CP_ERR_FORMAT);
}

static void
test_vector_ssad_and_icc_cert(void **state)
{
	struct emv_pubkey issuer, icc;
	struct emv_cert c = {0};
	struct emv_cert_fields f;
	unsigned char s[176], block[176], h[20];
	static const unsigned char pan[10] = {0x47, 0x61, 0x73, 0x90, 0x01,
					      0x01, 0x01, 0x19, 0xFF, 0xFF};

	(void)state;
	pub_from_hex(vec_issuer_modulus, 3, &issuer);
	pub_from_hex(vec_icc_modulus, 3, &icc);
	/* SSAD: 6A 03 01 DAC(DAC0) BB.. hash BC */
	assert_int_equal(hxn(vec_ssad, s, sizeof(s)), 176);
	assert_int_equal(emv_rsa_public_raw(&issuer, s, 176, block), 0);
	assert_int_equal(block[0], 0x6A);
	assert_int_equal(block[1], 0x03);
	assert_int_equal(block[2], 0x01);
	assert_int_equal(block[3], 0xDA);
	assert_int_equal(block[4], 0xC0);
	for (size_t i = 5; i < 176 - 21; i++)
		assert_int_equal(block[i], 0xBB);
	hxn(vec_ssad_hash, h, 20);
	assert_memory_equal(block + 176 - 21, h, 20);
	assert_int_equal(block[175], 0xBC);
	/* ICC certificate: fields and the modulus reassembled from the remainder */
	c.cert_len = hxn(vec_icc_cert, c.cert, sizeof(c.cert));
	c.remainder_len = 42;
	memcpy(c.remainder, icc.modulus + 176 - 42, 42);
	c.exponent[0] = 3;
	c.exponent_len = 1;
	/* the card's static data is not published: the hash cannot match without it */
	assert_int_equal(emv_icc_cert_recover(&issuer, &c, NULL, 0, &f), CP_ERR_CRYPTO);
	assert_non_null(strstr(cp_errmsg(), "hash"));
	assert_int_equal(emv_rsa_public_raw(&issuer, c.cert, 176, block), 0);
	assert_int_equal(block[0], 0x6A);
	assert_int_equal(block[1], 0x04);
	assert_memory_equal(block + 2, pan, 10);
	assert_int_equal(block[12], 0x12);
	assert_int_equal(block[13], 0x22);
	assert_int_equal(block[14] | block[15], 0);
	assert_int_equal(block[16], 1);
	assert_int_equal(block[17], 1);
	assert_int_equal(block[18], 1);
	assert_int_equal(block[19], 176);
	assert_int_equal(block[20], 1);
	assert_memory_equal(block + 21, icc.modulus, 176 - 42);
	hxn(vec_icc_hash, h, 20);
	assert_memory_equal(block + 176 - 21, h, 20);
	assert_int_equal(block[175], 0xBC);
}

/* ---- keys made here ---- */

/* SHA-1 over up to four parts, computed here with OpenSSL EVP directly (not the module's
 * code), to check the order of the hash input against Book 2. */
static void
sha1_indep(const unsigned char *a, size_t al, const unsigned char *b, size_t bl,
	   const unsigned char *c, size_t cl, const unsigned char *d, size_t dl,
	   unsigned char out[20])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int hl = 0;

	assert_non_null(ctx);
	assert_true(EVP_DigestInit_ex(ctx, EVP_sha1(), NULL));
	assert_true(EVP_DigestUpdate(ctx, a, al));
	if (bl)
		assert_true(EVP_DigestUpdate(ctx, b, bl));
	if (cl)
		assert_true(EVP_DigestUpdate(ctx, c, cl));
	if (dl)
		assert_true(EVP_DigestUpdate(ctx, d, dl));
	assert_true(EVP_DigestFinal_ex(ctx, out, &hl));
	assert_int_equal(hl, 20);
	EVP_MD_CTX_free(ctx);
}

static EVP_PKEY *ca1408, *iss1152, *iss1024;

static int
setup_keys(void **state)
{
	(void)state;
	cp_secmem_init(0);
	if (emv_rsa_generate(1408, 3, &ca1408) < 0 || emv_rsa_generate(1152, 3, &iss1152) < 0 ||
	    emv_rsa_generate(1024, 65537, &iss1024) < 0)
		return -1;
	return 0;
}

static int
teardown_keys(void **state)
{
	(void)state;
	EVP_PKEY_free(ca1408);
	EVP_PKEY_free(iss1152);
	EVP_PKEY_free(iss1024);
	return 0;
}

static void
test_sizes_and_encodings(void **state)
{
	unsigned char id[4], pan[10];
	static const unsigned char want_pan[10] = {0x62, 0x12, 0x26, 0x00, 0x00,
						   0x00, 0x00, 0x00, 0x01, 0x7F};

	(void)state;
	assert_int_equal(emv_check_bits("ICC", 1024), 0);
	assert_int_equal(emv_check_bits("ICC", 1000), CP_ERR_INVALID); /* odd half */
	assert_int_equal(emv_check_bits("issuer", 1000), 0);
	assert_int_equal(emv_check_bits("issuer", 1001), CP_ERR_INVALID);
	assert_int_equal(emv_check_bits("CA", 1984), 0);
	assert_int_equal(emv_check_bits("CA", 2048), CP_ERR_INVALID);
	assert_int_equal(emv_check_bits("CA", 504), CP_ERR_INVALID);
	/* what terminals accept: N_CA >= 100 bytes, N_I >= 106 bytes (a 512-bit certified key) */
	assert_int_equal(emv_check_bits("CA", 792), CP_ERR_INVALID);
	assert_non_null(strstr(cp_errmsg(), "800 to 1984"));
	assert_int_equal(emv_check_bits("CA", 800), 0);
	assert_int_equal(emv_check_bits("issuer", 840), CP_ERR_INVALID);
	assert_int_equal(emv_check_bits("issuer", 848), 0);
	assert_int_equal(emv_check_bits("ICC", 512), 0);
	assert_int_equal(emv_check_bits("ICC", 496), CP_ERR_INVALID);
	assert_int_equal(emv_check_chain("x", 145, 144), CP_ERR_INVALID);
	assert_int_equal(emv_check_chain("x", 144, 144), 0);
	assert_int_equal(emv_issuer_id("62122600", id), 0);
	assert_int_equal(id[0], 0x62);
	assert_int_equal(id[3], 0x00);
	assert_int_equal(emv_issuer_id("6212261234", id), 0); /* leftmost 8 */
	assert_int_equal(id[3], 0x12);
	assert_int_equal(emv_issuer_id("62122", id), 0);
	assert_int_equal(id[2], 0x2F);
	assert_int_equal(id[3], 0xFF);
	assert_int_equal(emv_issuer_id("62", id), CP_ERR_INVALID);
	assert_int_equal(emv_issuer_id("62A22600", id), CP_ERR_INVALID);
	assert_int_equal(emv_pan_bcd10("6212260000000000017", pan), 0);
	assert_memory_equal(pan, want_pan, 10);
	assert_int_equal(emv_pan_bcd10("62122600000000000170", pan), CP_ERR_INVALID);
	{
		EVP_PKEY *pk = NULL;

		assert_int_equal(emv_rsa_generate(1024, 5, &pk), CP_ERR_INVALID);
		assert_null(pk);
	}
}

static void
check_issuer_cert(const struct emv_cert *c, const struct emv_pubkey *ca,
		  const struct emv_pubkey *iss, size_t want_rem)
{
	static const unsigned char id[4] = {0x62, 0x12, 0x26, 0x00}, exp[2] = {0x12, 0x36},
				   serial[3] = {0x00, 0x00, 0x2A};
	struct emv_cert_fields f;
	unsigned char block[EMV_RSA_MAX_BYTES];
	size_t n = ca->modulus_len, lead = iss->modulus_len - want_rem;

	assert_int_equal(c->cert_len, n);
	assert_int_equal(c->remainder_len, want_rem);
	assert_int_equal(emv_issuer_cert_recover(ca, c, &f), 0);
	assert_int_equal(f.format, 2);
	assert_memory_equal(f.id, id, 4);
	assert_memory_equal(f.expiry, exp, 2);
	assert_memory_equal(f.serial, serial, 3);
	assert_int_equal(f.key.modulus_len, iss->modulus_len);
	assert_memory_equal(f.key.modulus, iss->modulus, iss->modulus_len);
	assert_int_equal(f.key.exponent_len, iss->exponent_len);
	assert_memory_equal(f.key.exponent, iss->exponent, iss->exponent_len);
	/* the raw block, byte by byte (Book 2 §5.3 table 6) */
	assert_int_equal(emv_rsa_public_raw(ca, c->cert, n, block), 0);
	assert_int_equal(block[0], 0x6A);
	assert_int_equal(block[1], 0x02);
	assert_memory_equal(block + 2, id, 4);
	assert_memory_equal(block + 6, exp, 2);
	assert_memory_equal(block + 8, serial, 3);
	assert_int_equal(block[11], 0x01);
	assert_int_equal(block[12], 0x01);
	assert_int_equal(block[13], iss->modulus_len);
	assert_int_equal(block[14], iss->exponent_len);
	assert_memory_equal(block + 15, iss->modulus, lead);
	for (size_t i = 15 + lead; i < n - 21; i++)
		assert_int_equal(block[i], 0xBB);
	assert_int_equal(block[n - 1], 0xBC);
	{
		/* hash recomputed independently: SHA-1 over block[1..n-21) || rem || exp */
		unsigned char h[20];
		unsigned int hl = 0;
		EVP_MD_CTX *ctx = EVP_MD_CTX_new();

		assert_true(EVP_DigestInit_ex(ctx, EVP_sha1(), NULL));
		assert_true(EVP_DigestUpdate(ctx, block + 1, n - 22));
		if (c->remainder_len)
			assert_true(EVP_DigestUpdate(ctx, c->remainder, c->remainder_len));
		assert_true(EVP_DigestUpdate(ctx, c->exponent, c->exponent_len));
		assert_true(EVP_DigestFinal_ex(ctx, h, &hl));
		EVP_MD_CTX_free(ctx);
		assert_memory_equal(block + n - 21, h, 20);
	}
}

static void
test_issuer_cert_roundtrip(void **state)
{
	static const unsigned char id[4] = {0x62, 0x12, 0x26, 0x00}, exp[2] = {0x12, 0x36},
				   serial[3] = {0x00, 0x00, 0x2A};
	struct emv_pubkey ca, i1152, i1024;
	struct emv_cert c;
	struct emv_cert_fields f;

	(void)state;
	assert_int_equal(emv_pubkey_from_pkey(ca1408, &ca), 0);
	assert_int_equal(emv_pubkey_from_pkey(iss1152, &i1152), 0);
	assert_int_equal(emv_pubkey_from_pkey(iss1024, &i1024), 0);
	assert_int_equal(ca.modulus_len, 176);
	assert_int_equal(i1024.exponent_len, 3);
	/* 1152 under 1408: 144 - (176 - 36) = 4 bytes of remainder */
	assert_int_equal(emv_issuer_cert_make(ca1408, &i1152, id, exp, serial, &c), 0);
	check_issuer_cert(&c, &ca, &i1152, 4);
	/* a changed remainder, exponent or certificate byte breaks it */
	c.remainder[3] ^= 1;
	assert_int_equal(emv_issuer_cert_recover(&ca, &c, &f), CP_ERR_CRYPTO);
	c.remainder[3] ^= 1;
	c.cert[100] ^= 1;
	assert_int_equal(emv_issuer_cert_recover(&ca, &c, &f), CP_ERR_CRYPTO);
	c.cert[100] ^= 1;
	/* recovered with another CA key of the same size: the length check passes and the
	 * header check refuses */
	{
		EVP_PKEY *other = NULL;
		struct emv_pubkey ca2;
		int tries = 0;

		/* one whose modulus is above the certificate, else RSA refuses the input */
		do {
			assert_true(tries++ < 40);
			assert_int_equal(emv_rsa_generate(1408, 3, &other), 0);
			assert_int_equal(emv_pubkey_from_pkey(other, &ca2), 0);
			EVP_PKEY_free(other);
		} while (memcmp(c.cert, ca2.modulus, c.cert_len) >= 0);
		assert_int_equal(ca2.modulus_len, c.cert_len);
		assert_int_equal(emv_issuer_cert_recover(&ca2, &c, &f), CP_ERR_CRYPTO);
		assert_non_null(strstr(cp_errmsg(), "header 6A"));
		/* a smaller key: the length check */
		assert_int_equal(emv_issuer_cert_recover(&i1152, &c, &f), CP_ERR_FORMAT);
	}
	/* 1024 under 1408: the whole modulus fits, padded with BB, no remainder */
	assert_int_equal(emv_issuer_cert_make(ca1408, &i1024, id, exp, serial, &c), 0);
	check_issuer_cert(&c, &ca, &i1024, 0);
	/* the chain rule: a 1408-bit key is not certified by a 1152-bit one */
	assert_int_equal(emv_issuer_cert_make(iss1152, &ca, id, exp, serial, &c), CP_ERR_INVALID);
	assert_non_null(strstr(cp_errmsg(), "longer"));
	/* a bad expiry */
	{
		static const unsigned char bad[2] = {0x13, 0x30};

		assert_int_equal(emv_issuer_cert_make(ca1408, &i1152, id, bad, serial, &c),
				 CP_ERR_INVALID);
	}
}

static void
test_sda(void **state)
{
	static const unsigned char dac[2] = {0xCA, 0xFE};
	unsigned char sdata[300], ssad[EMV_RSA_MAX_BYTES], got[2], block[EMV_RSA_MAX_BYTES];
	struct emv_pubkey pub;
	size_t n = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(sdata); i++)
		sdata[i] = (unsigned char)(i * 7);
	assert_int_equal(emv_pubkey_from_pkey(iss1152, &pub), 0);
	assert_int_equal(emv_sda_sign(iss1152, dac, sdata, sizeof(sdata), ssad, &n), 0);
	assert_int_equal(n, 144);
	assert_int_equal(emv_sda_verify(&pub, ssad, n, sdata, sizeof(sdata), got), 0);
	assert_memory_equal(got, dac, 2);
	assert_int_equal(emv_rsa_public_raw(&pub, ssad, n, block), 0);
	assert_int_equal(block[0], 0x6A);
	assert_int_equal(block[1], 0x03);
	assert_int_equal(block[2], 0x01);
	assert_memory_equal(block + 3, dac, 2);
	for (size_t i = 5; i < n - 21; i++)
		assert_int_equal(block[i], 0xBB);
	assert_int_equal(block[n - 1], 0xBC);
	{
		/* Book 2 §5.4: SHA-1 over block[1 .. n-21) || static data, recomputed here */
		unsigned char h[20];

		sha1_indep(block + 1, n - 22, sdata, sizeof(sdata), NULL, 0, NULL, 0, h);
		assert_memory_equal(block + n - 21, h, 20);
	}
	/* a changed record breaks SDA */
	sdata[10] ^= 1;
	assert_int_equal(emv_sda_verify(&pub, ssad, n, sdata, sizeof(sdata), got), CP_ERR_CRYPTO);
	sdata[10] ^= 1;
	ssad[5] ^= 1;
	assert_int_equal(emv_sda_verify(&pub, ssad, n, sdata, sizeof(sdata), got), CP_ERR_CRYPTO);
}

/* p, q, dP, dQ, qInv of k are a consistent CRT key for its modulus. */
static void
check_crt(const struct emv_icc_key *k)
{
	BN_CTX *bc = BN_CTX_new();
	BIGNUM *p = BN_bin2bn(k->p, (int)k->half, NULL), *q = BN_bin2bn(k->q, (int)k->half, NULL);
	BIGNUM *dp = BN_bin2bn(k->dp, (int)k->half, NULL);
	BIGNUM *dq = BN_bin2bn(k->dq, (int)k->half, NULL);
	BIGNUM *qi = BN_bin2bn(k->qinv, (int)k->half, NULL);
	BIGNUM *n = BN_bin2bn(k->pub.modulus, (int)k->pub.modulus_len, NULL);
	BIGNUM *e = BN_bin2bn(k->pub.exponent, (int)k->pub.exponent_len, NULL);
	BIGNUM *t = BN_new(), *pm1 = BN_dup(p), *qm1 = BN_dup(q);

	assert_int_equal(k->half * 2, k->pub.modulus_len);
	assert_int_equal(BN_num_bytes(p), k->half);
	assert_int_equal(BN_num_bytes(q), k->half);
	assert_true(BN_mul(t, p, q, bc));
	assert_int_equal(BN_cmp(t, n), 0);
	assert_true(BN_sub_word(pm1, 1) && BN_sub_word(qm1, 1));
	assert_true(BN_mod_mul(t, dp, e, pm1, bc));
	assert_true(BN_is_one(t));
	assert_true(BN_mod_mul(t, dq, e, qm1, bc));
	assert_true(BN_is_one(t));
	assert_true(BN_mod_mul(t, qi, q, p, bc));
	assert_true(BN_is_one(t));
	BN_free(p);
	BN_free(q);
	BN_free(dp);
	BN_free(dq);
	BN_free(qi);
	BN_free(n);
	BN_free(e);
	BN_free(t);
	BN_free(pm1);
	BN_free(qm1);
	BN_CTX_free(bc);
}

static void
test_icc_key_and_cert(void **state)
{
	static const unsigned char exp[2] = {0x11, 0x31}, serial[3] = {0x01, 0x02, 0x03};
	static const unsigned char pan[10] = {0x62, 0x12, 0x26, 0x00, 0x00,
					      0x00, 0x00, 0x00, 0x01, 0x7F};
	unsigned char sdata[64], block[EMV_RSA_MAX_BYTES];
	struct emv_icc_key *k = NULL, *k2 = NULL;
	struct emv_pubkey ipub;
	struct emv_cert c;
	struct emv_cert_fields f;

	(void)state;
	memset(sdata, 0x5A, sizeof(sdata));
	assert_int_equal(emv_icc_keygen(1024, 3, &k), 0);
	assert_int_equal(k->pub.modulus_len, 128);
	assert_int_equal(k->half, 64);
	assert_int_equal(k->pub.exponent_len, 1);
	check_crt(k);
	assert_int_equal(emv_icc_keygen(1024, 65537, &k2), 0);
	assert_int_equal(k2->pub.exponent_len, 3);
	check_crt(k2);
	emv_icc_key_free(k2);
	assert_int_equal(emv_icc_keygen(1000, 3, &k2), CP_ERR_INVALID);
	assert_null(k2);

	assert_int_equal(emv_pubkey_from_pkey(iss1152, &ipub), 0);
	assert_int_equal(emv_icc_cert_make(iss1152, &k->pub, "6212260000000000017", exp, serial,
					   sdata, sizeof(sdata), &c),
			 0);
	/* 128 - (144 - 42) = 26 bytes of remainder */
	assert_int_equal(c.cert_len, 144);
	assert_int_equal(c.remainder_len, 26);
	assert_int_equal(emv_icc_cert_recover(&ipub, &c, sdata, sizeof(sdata), &f), 0);
	assert_int_equal(f.format, 4);
	assert_int_equal(f.id_len, 10);
	assert_memory_equal(f.id, pan, 10);
	assert_memory_equal(f.expiry, exp, 2);
	assert_memory_equal(f.serial, serial, 3);
	assert_int_equal(f.key.modulus_len, 128);
	assert_memory_equal(f.key.modulus, k->pub.modulus, 128);
	assert_int_equal(emv_rsa_public_raw(&ipub, c.cert, 144, block), 0);
	assert_int_equal(block[0], 0x6A);
	assert_int_equal(block[1], 0x04);
	assert_memory_equal(block + 2, pan, 10);
	assert_int_equal(block[19], 128);
	assert_int_equal(block[20], 1);
	assert_memory_equal(block + 21, k->pub.modulus, 102);
	assert_int_equal(block[143], 0xBC);
	{
		/* Book 2 §6.4: SHA-1 over block[1 .. n-21) || remainder || exponent || static
		 * data, recomputed here */
		unsigned char h[20];

		sha1_indep(block + 1, 144 - 22, c.remainder, c.remainder_len, c.exponent,
			   c.exponent_len, sdata, sizeof(sdata), h);
		assert_memory_equal(block + 144 - 21, h, 20);
	}
	/* the static data is under the hash: a changed record breaks DDA's certificate */
	sdata[0] ^= 1;
	assert_int_equal(emv_icc_cert_recover(&ipub, &c, sdata, sizeof(sdata), &f), CP_ERR_CRYPTO);
	sdata[0] ^= 1;
	/* the chain rule: an ICC key longer than the issuer's is refused */
	{
		struct emv_pubkey big;

		assert_int_equal(emv_pubkey_from_pkey(ca1408, &big), 0);
		assert_int_equal(emv_icc_cert_make(iss1152, &big, "6212260000000000017", exp,
						   serial, NULL, 0, &c),
				 CP_ERR_INVALID);
	}
	assert_int_equal(emv_icc_cert_make(iss1152, &k->pub, "62A", exp, serial, NULL, 0, &c),
			 CP_ERR_INVALID);
	emv_icc_key_free(k);
}

static double
keygen_ms(unsigned bits, unsigned long e, int n)
{
	struct timespec a, b;
	struct emv_icc_key *k = NULL;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < n; i++) {
		assert_int_equal(emv_icc_keygen(bits, e, &k), 0);
		emv_icc_key_free(k);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	return ((double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6) / n;
}

/* Not a check: the figure perso's throughput depends on, printed for the record. */
static void
test_icc_keygen_time(void **state)
{
	(void)state;
	print_message("ICC key generation, one core: 1024 bits e=3 %.1f ms, e=65537 %.1f ms; "
		      "1152 bits e=3 %.1f ms\n",
		      keygen_ms(1024, 3, 20), keygen_ms(1024, 65537, 20), keygen_ms(1152, 3, 10));
}

/* ---- key store ---- */

static char dir[64];

static struct keystore *
new_store(const char *name, int test)
{
	static unsigned char c1[LMK_LEN], c2[LMK_LEN];
	const unsigned char *comp[2] = {c1, c2};
	struct keystore *ks = NULL;
	char *p = fs_join(dir, name);

	memset(c1, 0x11, LMK_LEN);
	memset(c2, 0x22, LMK_LEN);
	assert_int_equal(keystore_create(p, comp, 2, test, &ks), 0);
	free(p);
	return ks;
}

static void
write_text(const char *name, const char *text, mode_t mode)
{
	char *p = fs_join(dir, name);

	assert_int_equal(fs_write_atomic(p, text, strlen(text), mode), 0);
	free(p);
}

/* Write c as the certificate file format of docs/keys.md. */
static void
write_cert_file(const char *name, const char *rid, const char *index, const struct emv_cert *c)
{
	char text[2048], h[2 * EMV_RSA_MAX_BYTES + 1];
	size_t n;

	n = (size_t)snprintf(text, sizeof(text), "# issuer certificate\nrid %s\nca-index %s\n", rid,
			     index);
	hex_encode(c->cert, c->cert_len, h);
	n += (size_t)snprintf(text + n, sizeof(text) - n, "certificate %s\n", h);
	if (c->remainder_len) {
		hex_encode(c->remainder, c->remainder_len, h);
		n += (size_t)snprintf(text + n, sizeof(text) - n, "remainder %s\n", h);
	}
	hex_encode(c->exponent, c->exponent_len, h);
	snprintf(text + n, sizeof(text) - n, "exponent %s\n", h);
	write_text(name, text, 0600);
}

/* Certify ICBC's issuer key with the TEST ONLY CA under issuer identifier id. */
static int
certify_icbc(struct keystore *ks, const struct config *cfg, const unsigned char rid[5],
	     const unsigned char id[4])
{
	static const unsigned char exp[2] = {0x12, 0x45}, serial[3] = {0, 0, 9};
	EVP_PKEY *ca = NULL, *pk = NULL;
	struct emv_pubkey pub;
	struct emv_cert c;
	int r;

	assert_int_equal(keystore_get_pkey(ks, "emv.ca.A000000333.F1", &ca), 0);
	assert_int_equal(emv_issuer_pubkey(ks, "ICBC", &pk), 0);
	assert_int_equal(emv_pubkey_from_pkey(pk, &pub), 0);
	assert_int_equal(emv_issuer_cert_make(ca, &pub, id, exp, serial, &c), 0);
	r = emv_issuer_cert_put(ks, cfg, "ICBC", rid, 0xF1, &c);
	EVP_PKEY_free(ca);
	EVP_PKEY_free(pk);
	return r;
}

/* Book 2 §5.3 step 8 at import (BIN 62122600) and for perso (the PAN or BIN). */
static void
check_issuer_id_prefix(struct keystore *ks, const struct config *cfg, const unsigned char rid[5])
{
	static const unsigned char six[4] = {0x62, 0x12, 0x26, 0xFF},
				   three[4] = {0x62, 0x1F, 0xFF, 0xFF},
				   other[4] = {0x62, 0x12, 0x27, 0xFF},
				   two[4] = {0x62, 0xFF, 0xFF, 0xFF},
				   gap[4] = {0x62, 0x12, 0xF2, 0xFF};
	struct emv_issuer *is = NULL;

	/* 6 and 3 digits that begin the BIN: accepted */
	assert_int_equal(certify_icbc(ks, cfg, rid, three), 0);
	assert_int_equal(certify_icbc(ks, cfg, rid, six), 0);
	/* digits that do not, fewer than 3, or digits after the padding: refused */
	assert_int_equal(certify_icbc(ks, cfg, rid, other), CP_ERR_INVALID);
	assert_non_null(strstr(cp_errmsg(), "621227 is not a prefix of 62122600"));
	assert_int_equal(certify_icbc(ks, cfg, rid, two), CP_ERR_INVALID);
	assert_non_null(strstr(cp_errmsg(), "fewer than 3"));
	assert_int_equal(certify_icbc(ks, cfg, rid, gap), CP_ERR_INVALID);
	assert_non_null(strstr(cp_errmsg(), "after the F"));
	/* the certificate in the store is the 6-digit one: perso checks each BIN or PAN */
	assert_int_equal(emv_issuer_load(ks, "ICBC", &is), 0);
	assert_memory_equal(is->issuer_id, six, 4);
	assert_int_equal(emv_issuer_check_pan_prefix(is, "62122600"), 0);
	assert_int_equal(emv_issuer_check_pan_prefix(is, "6212269999999999990"), 0);
	assert_int_equal(emv_issuer_check_pan_prefix(is, "6228480000000000017"), CP_ERR_INVALID);
	assert_non_null(strstr(cp_errmsg(), "bank 'ICBC'"));
	assert_non_null(strstr(cp_errmsg(), "622848"));
	assert_int_equal(emv_issuer_check_pan_prefix(is, "62"), CP_ERR_INVALID);
	assert_int_equal(emv_issuer_check_pan_prefix(is, "62122A"), CP_ERR_INVALID);
	emv_issuer_free(is);
}

static void
test_store_hierarchy(void **state)
{
	struct config *cfg = config_new();
	struct keystore *ks = new_store("prod.ks", 0);
	struct emv_issuer *is = NULL;
	struct emv_cert_fields f;
	struct emv_pubkey ca;
	size_t added = 0;
	unsigned char rid[5];
	char *p;

	(void)state;
	config_set(cfg, "banks.cooperating", "ICBC,ABC", CFG_CLI);
	config_set(cfg, "banks.bins", "ICBC:62122600,ABC:62284800,CEB:62148900", CFG_CLI);
	assert_int_equal(emv_test_populate(ks, cfg, &added), CP_ERR_PERM);
	keystore_close(ks);
	ks = new_store("test.ks", 1);
	assert_int_equal(emv_test_populate(ks, cfg, &added), 0);
	assert_int_equal(added, 5); /* CA, 2 issuer keys, 2 certificates */
	assert_true(keystore_has(ks, "emv.ca.A000000333.F1"));
	assert_true(keystore_has(ks, "emv.issuer.ICBC"));
	assert_true(keystore_has(ks, "emv.issuer_cert.ABC"));
	assert_int_equal(emv_test_populate(ks, cfg, &added), 0);
	assert_int_equal(added, 0); /* nothing missing */
	assert_int_equal(keystore_save(ks), 0);
	/* loaded as perso loads it */
	assert_int_equal(emv_issuer_load(ks, "ICBC", &is), 0);
	assert_int_equal(is->ca_index, 0xF1);
	assert_int_equal(is->ca_len, 176);
	assert_int_equal(is->pub.modulus_len, 144);
	assert_int_equal(is->cert.cert_len, 176);
	assert_int_equal(is->cert.remainder_len, 4);
	assert_int_equal(is->issuer_id[0], 0x62);
	assert_int_equal(is->issuer_id[3], 0x00);
	assert_int_equal(emv_parse_rid("A000000333", rid), 0);
	assert_memory_equal(is->rid, rid, 5);
	assert_int_equal(emv_ca_get(ks, rid, 0xF1, &ca), 0);
	assert_int_equal(emv_issuer_cert_recover(&ca, &is->cert, &f), 0);
	assert_memory_equal(f.key.modulus, is->pub.modulus, 144);
	{
		/* the loaded key signs (SDA) and the public key verifies */
		unsigned char s[EMV_RSA_MAX_BYTES], dac[2] = {1, 2}, got[2];
		size_t n;

		assert_int_equal(emv_sda_sign(is->key, dac, (const unsigned char *)"x", 1, s, &n),
				 0);
		assert_int_equal(emv_sda_verify(&is->pub, s, n, (const unsigned char *)"x", 1, got),
				 0);
	}
	/* ABC's certificate is refused for ICBC: another key and issuer identifier */
	{
		struct emv_issuer *abc = NULL;

		assert_int_equal(emv_issuer_load(ks, "ABC", &abc), 0);
		assert_int_equal(emv_issuer_cert_put(ks, cfg, "ICBC", rid, 0xF1, &abc->cert),
				 CP_ERR_INVALID);
		assert_non_null(strstr(cp_errmsg(), "another key"));
		write_cert_file("abc.cert", "A000000333", "F1", &abc->cert);
		p = fs_join(dir, "abc.cert");
		assert_int_equal(emv_issuer_cert_import(ks, cfg, "ICBC", p), CP_ERR_INVALID);
		assert_int_equal(emv_issuer_cert_import(ks, cfg, "ABC", p), 0);
		free(p);
		/* under an unknown CA index */
		write_cert_file("abc2.cert", "A000000333", "F2", &abc->cert);
		p = fs_join(dir, "abc2.cert");
		assert_int_equal(emv_issuer_cert_import(ks, cfg, "ABC", p), CP_ERR_NOTFOUND);
		free(p);
		emv_issuer_free(abc);
	}
	/* malformed certificate files */
	write_text("bad1.cert", "rid A000000333\nca-index F1\ncertificate 6A\n", 0600);
	p = fs_join(dir, "bad1.cert");
	assert_int_equal(emv_issuer_cert_import(ks, cfg, "ICBC", p), CP_ERR_FORMAT);
	assert_non_null(strstr(cp_errmsg(), "exponent"));
	free(p);
	write_text("bad2.cert", "rid A000000333\ncolour blue\n", 0600);
	p = fs_join(dir, "bad2.cert");
	assert_int_equal(emv_issuer_cert_import(ks, cfg, "ICBC", p), CP_ERR_FORMAT);
	assert_non_null(strstr(cp_errmsg(), ":2:"));
	free(p);
	write_text("bad3.cert", "rid A000000333\nca-index F1\ncertificate 00112233\nexponent 03\n",
		   0600);
	p = fs_join(dir, "bad3.cert");
	assert_int_equal(emv_issuer_cert_import(ks, cfg, "ICBC", p), CP_ERR_FORMAT);
	free(p);
	/* the issuer identifier: its digits up to the F padding are a prefix of the BIN */
	check_issuer_id_prefix(ks, cfg, rid);
	/* an existing key pair is not replaced, nor its certificate dropped, unless asked */
	{
		struct emv_issuer_opts rep = {1, NULL};

		assert_int_equal(emv_issuer_generate(ks, "ICBC", 1024, 3, NULL), CP_ERR_EXISTS);
		assert_non_null(strstr(cp_errmsg(), "--replace"));
		assert_true(keystore_has(ks, "emv.issuer_cert.ICBC"));
		/* a new issuer key pair drops the certificate it no longer matches */
		assert_int_equal(emv_issuer_generate(ks, "ICBC", 1024, 3, &rep), 0);
		assert_false(keystore_has(ks, "emv.issuer_cert.ICBC"));
		emv_issuer_free(is);
		is = NULL;
		assert_int_equal(emv_issuer_load(ks, "ICBC", &is), CP_ERR_NOTFOUND);
		assert_non_null(strstr(cp_errmsg(), "import-cert"));
		assert_int_equal(emv_issuer_generate(ks, "ICBC", 1160, 3, &rep), 0);
		assert_int_equal(emv_issuer_generate(ks, "ICBC", 2048, 3, &rep), CP_ERR_INVALID);
		/* not longer than every CA key of the RID (the TEST ONLY CA has 1408 bits) */
		assert_int_equal(emv_issuer_generate(ks, "CEB", 1416, 3, NULL), CP_ERR_INVALID);
		assert_non_null(strstr(cp_errmsg(), "longer than every CA key"));
		assert_false(keystore_has(ks, "emv.issuer.CEB"));
		assert_int_equal(emv_issuer_generate(ks, "CEB", 1408, 3, NULL), 0);
		/* a RID the store has no CA key of: nothing to compare with */
		{
			static const unsigned char other[5] = {0xA0, 0x00, 0x00, 0x00, 0x04};
			struct emv_issuer_opts o = {1, other};

			assert_int_equal(emv_issuer_generate(ks, "CEB", 1416, 3, &o), 0);
		}
	}
	/* the TEST ONLY CA's key pair is not replaced by a public key */
	{
		EVP_PKEY *pk = NULL;

		assert_int_equal(emv_issuer_pubkey(ks, "ABC", &pk), 0);
		assert_int_equal(emv_ca_put_public(ks, rid, 0xF1, pk), CP_ERR_EXISTS);
		assert_int_equal(emv_ca_put_public(ks, rid, 0x08, pk), 0);
		EVP_PKEY_free(pk);
		assert_int_equal(emv_ca_get(ks, rid, 0x08, &ca), 0);
		assert_int_equal(ca.modulus_len, 144);
	}
	emv_issuer_free(is);
	keystore_close(ks);
	config_free(cfg);
}

static void
test_store_reopen_and_expiry(void **state)
{
	struct config *cfg = config_new();
	struct keystore *ks = new_store("t2.ks", 1);
	struct emv_issuer *is = NULL;
	static unsigned char c1[LMK_LEN], c2[LMK_LEN];
	const unsigned char *comp[2] = {c1, c2};
	char *p = fs_join(dir, "t2.ks");

	(void)state;
	config_set(cfg, "banks.cooperating", "BOB", CFG_CLI);
	assert_int_equal(emv_test_populate(ks, cfg, NULL), 0);
	assert_int_equal(keystore_save(ks), 0);
	{
		/* the store file holds no private key part in the clear: not the private
		 * exponent, not a prime, neither in binary nor in hex */
		static const char *const parts[] = {OSSL_PKEY_PARAM_RSA_D,
						    OSSL_PKEY_PARAM_RSA_FACTOR1,
						    OSSL_PKEY_PARAM_RSA_FACTOR2};
		unsigned char *data = NULL, bin[EMV_RSA_MAX_BYTES];
		char hex[2 * EMV_RSA_MAX_BYTES + 1];
		EVP_PKEY *pk = NULL;
		size_t len = 0;

		assert_int_equal(keystore_get_pkey(ks, "emv.issuer.BOB", &pk), 0);
		assert_int_equal(fs_read_file(p, 1 << 20, &data, &len), 0);
		for (size_t i = 0; i < 3; i++) {
			BIGNUM *bn = NULL;
			int bl;

			assert_true(EVP_PKEY_get_bn_param(pk, parts[i], &bn));
			bl = BN_bn2bin(bn, bin);
			BN_clear_free(bn);
			assert_true(bl >= 32);
			assert_null(memmem(data, len, bin, 16));
			hex_encode(bin, 16, hex);
			assert_null(memmem(data, len, hex, 32));
			for (char *c = hex; *c; c++)
				*c = (char)tolower((unsigned char)*c);
			assert_null(memmem(data, len, hex, 32));
		}
		EVP_PKEY_free(pk);
		free(data);
	}
	keystore_close(ks);
	memset(c1, 0x11, LMK_LEN);
	memset(c2, 0x22, LMK_LEN);
	assert_int_equal(keystore_open(p, comp, 2, &ks), 0);
	assert_int_equal(emv_issuer_load(ks, "BOB", &is), 0);
	emv_issuer_free(is);
	is = NULL;
	/* twenty years on, the test certificates (10 years) have expired */
	setenv("CARDPIPE_NOW", "2046-01-15T00:00:00Z", 1);
	assert_int_equal(emv_issuer_load(ks, "BOB", &is), CP_ERR_INVALID);
	assert_non_null(strstr(cp_errmsg(), "expired"));
	unsetenv("CARDPIPE_NOW");
	keystore_close(ks);
	free(p);
	config_free(cfg);
}

static int
give_pass(char *buf, size_t size, void *arg)
{
	snprintf(buf, size, "%s", (const char *)arg);
	return 0;
}

static char *
write_pem(const char *name, EVP_PKEY *pk, const char *pass, mode_t mode)
{
	char *p = fs_join(dir, name);
	FILE *f = fopen(p, "w");

	assert_non_null(f);
	if (pass)
		assert_true(PEM_write_PKCS8PrivateKey(f, pk, EVP_aes_256_cbc(), NULL, 0, NULL,
						      (void *)pass));
	else
		assert_true(PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL));
	fclose(f);
	assert_int_equal(chmod(p, mode), 0);
	return p;
}

/* Production store: only an encrypted PKCS#8 file, with its passphrase. */
static void
check_import_encrypted(void)
{
	static char good[] = "s3cret pass", wrong[] = "wrong", x[] = "x";
	struct keystore *ks = new_store("t3p.ks", 0);
	struct emv_issuer_opts rep = {1, NULL};
	EVP_PKEY *pk = NULL, *back = NULL;
	char *clear, *enc, *link;

	assert_int_equal(emv_rsa_generate(1152, 3, &pk), 0);
	clear = write_pem("clear.pem", pk, NULL, 0600);
	enc = write_pem("enc.pem", pk, "s3cret pass", 0600);
	/* the private key in the clear in a file: refused on a production store */
	assert_int_equal(emv_issuer_import_pem(ks, "CMB", clear, NULL, give_pass, x), CP_ERR_PERM);
	assert_non_null(strstr(cp_errmsg(), "unencrypted"));
	assert_false(keystore_has(ks, "emv.issuer.CMB"));
	/* encrypted: a wrong passphrase, none, then the right one */
	assert_int_equal(emv_issuer_import_pem(ks, "CMB", enc, NULL, give_pass, wrong),
			 CP_ERR_CRYPTO);
	assert_non_null(strstr(cp_errmsg(), "passphrase"));
	assert_int_equal(ERR_peek_error(), 0);
	assert_int_equal(emv_issuer_import_pem(ks, "CMB", enc, NULL, NULL, NULL), CP_ERR_USAGE);
	assert_int_equal(emv_issuer_import_pem(ks, "CMB", enc, NULL, give_pass, good), 0);
	assert_int_equal(emv_issuer_pubkey(ks, "CMB", &back), 0);
	assert_int_equal(EVP_PKEY_eq(back, pk), 1);
	EVP_PKEY_free(back);
	/* a second import does not replace it unless asked */
	assert_int_equal(emv_issuer_import_pem(ks, "CMB", enc, NULL, give_pass, good),
			 CP_ERR_EXISTS);
	assert_int_equal(emv_issuer_import_pem(ks, "CMB", enc, &rep, give_pass, good), 0);
	/* a symbolic link is not followed */
	link = fs_join(dir, "link.pem");
	assert_int_equal(symlink(enc, link), 0);
	assert_int_equal(emv_issuer_import_pem(ks, "CMB", link, &rep, give_pass, good),
			 CP_ERR_PERM);
	assert_non_null(strstr(cp_errmsg(), "symbolic link"));
	/* group-readable */
	assert_int_equal(chmod(enc, 0640), 0);
	assert_int_equal(emv_issuer_import_pem(ks, "CMB", enc, &rep, give_pass, good), CP_ERR_PERM);
	free(link);
	free(clear);
	free(enc);
	EVP_PKEY_free(pk);
	keystore_close(ks);
}

static void
test_import_pem(void **state)
{
	struct keystore *ks = new_store("t3.ks", 1);
	struct emv_issuer_opts rep = {1, NULL};
	EVP_PKEY *pk = NULL;
	char *p;

	(void)state;
	assert_int_equal(emv_rsa_generate(1152, 65537, &pk), 0);
	/* TEST ONLY store: an unencrypted file is accepted (with a warning) */
	p = write_pem("issuer.pem", pk, NULL, 0644);
	assert_int_equal(emv_issuer_import_pem(ks, "CMB", p, NULL, NULL, NULL), CP_ERR_PERM);
	assert_int_equal(chmod(p, 0600), 0);
	assert_int_equal(emv_issuer_import_pem(ks, "CMB", p, NULL, NULL, NULL), 0);
	assert_true(keystore_has(ks, "emv.issuer.CMB"));
	{
		EVP_PKEY *back = NULL;

		assert_int_equal(emv_issuer_pubkey(ks, "CMB", &back), 0);
		assert_int_equal(EVP_PKEY_eq(back, pk), 1);
		EVP_PKEY_free(back);
	}
	EVP_PKEY_free(pk);
	write_text("junk.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
		   0600);
	free(p);
	p = fs_join(dir, "junk.pem");
	/* OpenSSL's reason is in the message, and its error queue is left empty */
	assert_int_equal(emv_issuer_import_pem(ks, "CMB", p, &rep, NULL, NULL), CP_ERR_FORMAT);
	assert_non_null(strstr(cp_errmsg(), "routines"));
	assert_int_equal(ERR_peek_error(), 0);
	free(p);
	/* an RSA key of a size EMV does not allow */
	assert_int_equal(emv_rsa_generate(2048, 65537, &pk), 0);
	p = write_pem("big.pem", pk, NULL, 0600);
	assert_int_equal(emv_issuer_import_pem(ks, "CMB", p, &rep, NULL, NULL), CP_ERR_INVALID);
	EVP_PKEY_free(pk);
	free(p);
	keystore_close(ks);
	check_import_encrypted();
}

static int
setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/test_emv_oda.XXXXXX");
	assert_non_null(mkdtemp(dir));
	return setup_keys(state);
}

static int
teardown(void **state)
{
	char cmd[128];

	teardown_keys(state);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vector_ca_hash),
		cmocka_unit_test(test_vector_issuer_cert),
		cmocka_unit_test(test_vector_ssad_and_icc_cert),
		cmocka_unit_test(test_sizes_and_encodings),
		cmocka_unit_test(test_issuer_cert_roundtrip),
		cmocka_unit_test(test_sda),
		cmocka_unit_test(test_icc_key_and_cert),
		cmocka_unit_test(test_icc_keygen_time),
		cmocka_unit_test(test_store_hierarchy),
		cmocka_unit_test(test_store_reopen_and_expiry),
		cmocka_unit_test(test_import_pem),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
