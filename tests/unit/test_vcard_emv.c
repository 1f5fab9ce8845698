/*
 * test_vcard_emv.c - the virtual card's PBOC debit transaction (emulator/card/vcard_emv.c):
 * a chip personalised with DGIs built here (PSE, FCI with a PDOL, AIP/AFL, a record with
 * CDOL1/CDOL2/DDOL, card risk data, MK-AC, PIN block and try limit, an ICC RSA key made with
 * OpenSSL), driven with the APDUs a terminal sends. Cryptograms are checked against
 * emv_ac (itself checked against published vectors in test_emv_ac.c), signatures by
 * recovering them with the public key and checking the EMV Book 2 format and hash here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/hex.h"
#include "personalization/crypto/cipher.h"
#include "personalization/crypto/emv_ac.h"
#include "formats/apdu.h"
#include "emulator/card/vcard.h"
#include "emulator/card/vcard_store.h"
#include "hex_fixture.h"
#include "vcard_store_fixture.h"
#include "emv_ac_fixture.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const unsigned char kmc[16] = {0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
				      0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F};
static const unsigned char serial[8] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
static const unsigned char mk_ac[16] = {0x67, 0xF8, 0x29, 0x23, 0x58, 0x08, 0x3E, 0x5E,
					0xA7, 0xAB, 0x7F, 0xDA, 0x58, 0xD5, 0x3B, 0x6B};

/* PDOL 9F02 06 5F2A 02 9F37 04; CDOL1 (29 bytes); CDOL2 8A 02 95 05 9F37 04; DDOL 9F37 04 */
#define PDOL_DATA                                                                                  \
	"000000001000"                                                                             \
	"0156"                                                                                     \
	"11223344"
#define CDOL1_DATA(tvr, un)                                                                        \
	"000000001000"                                                                             \
	"000000000000"                                                                             \
	"0156" tvr "0156"                                                                          \
	"261206"                                                                                   \
	"00" un
#define IAD_TEMPLATE "0701010300000001"

static BIGNUM *rsa_n, *rsa_e;
static EVP_PKEY *icc_key;

static uint16_t
send_hex(struct vcard *vc, const char *hex, unsigned char *out, size_t *olen)
{
	unsigned char cmd[300], resp[300];
	size_t n = hx(hex, cmd), rn = vcard_apdu(vc, cmd, n, resp, sizeof resp);

	assert_true(rn >= 2);
	if (out)
		memcpy(out, resp, rn - 2);
	if (olen)
		*olen = rn - 2;
	return apdu_resp_sw(resp, rn);
}

static void
dgi(struct vcard *vc, int app, uint16_t tag, const char *hex, int secret)
{
	unsigned char v[300];
	size_t n = hx(hex, v);

	assert_int_equal(vcard_fs_store_dgi(vc, app, tag, v, n, secret), SW_OK);
}

static void
dgi_bn(struct vcard *vc, EVP_PKEY *key, uint16_t tag, const char *param, size_t half)
{
	BIGNUM *b = NULL;
	unsigned char v[256], p[272];
	size_t n;

	assert_int_equal(EVP_PKEY_get_bn_param(key, param, &b), 1);
	assert_int_equal(BN_bn2binpad(b, v, (int)half), (int)half);
	n = cp_pad80(v, half, 16, p); /* as perso pads it before encryption */
	assert_int_equal(vcard_fs_store_dgi(vc, VCARD_APP_PBOC, tag, p, n, 1), SW_OK);
	BN_clear_free(b);
}

static int
setup_key(void **state)
{
	(void)state;
	icc_key = EVP_RSA_gen(1024);
	assert_non_null(icc_key);
	assert_int_equal(EVP_PKEY_get_bn_param(icc_key, OSSL_PKEY_PARAM_RSA_N, &rsa_n), 1);
	assert_int_equal(EVP_PKEY_get_bn_param(icc_key, OSSL_PKEY_PARAM_RSA_E, &rsa_e), 1);
	return 0;
}

static int
teardown_key(void **state)
{
	(void)state;
	EVP_PKEY_free(icc_key);
	BN_free(rsa_n);
	BN_free(rsa_e);
	return 0;
}

/* The ICC private key as DGIs 8201..8205 (CRT, half the modulus each). */
static void
icc_dgis(struct vcard *vc, EVP_PKEY *key, size_t half)
{
	dgi_bn(vc, key, 0x8201, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, half);
	dgi_bn(vc, key, 0x8202, OSSL_PKEY_PARAM_RSA_EXPONENT2, half);
	dgi_bn(vc, key, 0x8203, OSSL_PKEY_PARAM_RSA_EXPONENT1, half);
	dgi_bn(vc, key, 0x8204, OSSL_PKEY_PARAM_RSA_FACTOR2, half);
	dgi_bn(vc, key, 0x8205, OSSL_PKEY_PARAM_RSA_FACTOR1, half);
}

/* A chip personalised the way the contract of docs/pboc-data.md says. aip: 2 bytes hex;
 * ada: 2 bytes hex. */
static void
perso(struct vcard *vc, const char *aip, const char *ada)
{
	char v[200], keys[200];

	assert_int_equal(vcard_init_blank(vc, serial, kmc, sizeof kmc), 0);
	dgi(vc, VCARD_APP_PSE, 0x0101, "7011610F4F08A0000003330101018701015000", 0);
	dgi(vc, VCARD_APP_PSE, 0x9102, "8801015F2D047A68656E", 0);
	dgi(vc, VCARD_APP_PBOC, 0x9102, "5004504243438701019F38099F02065F2A029F37045F2D027A68", 0);
	snprintf(v, sizeof v, "8202%s940408010100", aip);
	dgi(vc, VCARD_APP_PBOC, 0x9104, v, 0);
	dgi(vc, VCARD_APP_PBOC, 0x0101,
	    "7034"
	    "5A0862123456789012345F3401018C159F02069F03069F1A0295055F2A029A039C019F3704"
	    "8D078A0295059F37049F49039F3704",
	    0);
	snprintf(v, sizeof v, "9F1401039F2301059F5202%s9F1008" IAD_TEMPLATE "9F13020000", ada);
	dgi(vc, VCARD_APP_PBOC, 0x0D01, v, 0);
	hex_encode(mk_ac, 16, keys);
	strcat(keys, "0101010101010101010101010101010102020202020202020202020202020202");
	dgi(vc, VCARD_APP_PBOC, 0x8000, keys, 1);
	dgi(vc, VCARD_APP_PBOC, 0x8010, "261234FFFFFFFFFF8000000000000000", 1);
	dgi(vc, VCARD_APP_PBOC, 0x9010, "0303", 0);
	icc_dgis(vc, icc_key, 64);
}

static void
select_pboc(struct vcard *vc)
{
	assert_int_equal(send_hex(vc, "00A4040008A00000033301010100", NULL, NULL), SW_OK);
}

static void
gpo(struct vcard *vc)
{
	unsigned char out[64];
	size_t n;

	assert_int_equal(send_hex(vc, "80A800000E830C" PDOL_DATA "00", out, &n), SW_OK);
	assert_int_equal(n, 12);
	assert_int_equal(out[0], 0x77);
}

/* A new transaction: SELECT the PBOC application, GET PROCESSING OPTIONS. */
static void
transaction(struct vcard *vc)
{
	select_pboc(vc);
	gpo(vc);
}

/* A card personalised with AIP 7D00 (SDA, DDA, CDA) and this ADA, in a transaction. */
static void
perso_gpo(struct vcard *vc, const char *ada)
{
	perso(vc, "7D00", ada);
	transaction(vc);
}

/* A card personalised with a new ICC key of this many bits, the key (the caller frees it). */
static EVP_PKEY *
perso_icc_key(struct vcard *vc, int bits)
{
	EVP_PKEY *key = EVP_RSA_gen((unsigned)bits);

	assert_non_null(key);
	perso(vc, "7D00", "0000");
	icc_dgis(vc, key, (size_t)bits / 16);
	return key;
}

/* The terminal data of a CDOL1 data string (hex). */
static void
terminal_of(const char *cdol1, struct emv_ac_terminal *t)
{
	unsigned char term[29];

	hx(cdol1, term);
	memcpy(t->amount, term, 6);
	memcpy(t->other, term + 6, 6);
	memcpy(t->country, term + 12, 2);
	memcpy(t->tvr, term + 14, 5);
	memcpy(t->currency, term + 19, 2);
	memcpy(t->date, term + 21, 3);
	t->type = term[24];
	memcpy(t->un, term + 25, 4);
}

/* The value of a tag in a response. */
static const unsigned char *
find(const unsigned char *r, size_t n, unsigned tag, size_t *len)
{
	size_t i = r[1] == 0x81 ? 3 : 2;

	while (i < n) {
		unsigned t = r[i++];
		size_t l;
		if ((t & 0x1F) == 0x1F)
			t = t << 8 | r[i++];
		l = r[i++];
		if (l == 0x81)
			l = r[i++];
		if (t == tag) {
			*len = l;
			return r + i;
		}
		i += l;
	}
	return NULL;
}

/* The AC the card should give: emv_ac over the 37-byte input with this CVR. */
static void
expected_ac(const char *cdol1, uint16_t atc, const unsigned char iad[8], unsigned char ac[8])
{
	unsigned char in[EMV_AC_INPUT_LEN], a[2] = {(unsigned char)(atc >> 8), (unsigned char)atc};
	unsigned char aip[2];
	struct emv_ac_terminal t;

	terminal_of(cdol1, &t);
	hx("7D00", aip);
	emv_ac_input(&t, aip, a, iad + 3, in);
	assert_int_equal(ac_generate(EMV_AC_TDES, mk_ac, a, in, sizeof in, ac), 0);
}

static void
test_select_and_pse(void **state)
{
	struct vcard vc;
	unsigned char out[300];
	size_t n;

	(void)state;
	perso(&vc, "7D00", "0000");
	assert_int_equal(send_hex(&vc, "00A404000E315041592E5359532E444446303100", out, &n), SW_OK);
	assert_memory_equal(out,
			    "\x6F\x1C\x84\x0E"
			    "1PAY.SYS.DDF01"
			    "\xA5\x0A\x88\x01\x01",
			    23);
	assert_int_equal(send_hex(&vc, "00B2010C00", out, &n), SW_OK);
	assert_int_equal(n, 0x13);
	assert_int_equal(send_hex(&vc, "00B2020C00", NULL, NULL), SW_RECORD_NOT_FOUND);
	/* the AID: 6F { 84 AID, A5 { DGI 9102 } }; no next occurrence */
	assert_int_equal(send_hex(&vc, "00A4040008A00000033301010100", out, &n), SW_OK);
	assert_int_equal(n, 2 + 10 + 2 + 26);
	assert_memory_equal(out + 12, "\xA5\x1A\x50\x04PBCC", 8);
	assert_int_equal(send_hex(&vc, "00A4040208A00000033301010100", NULL, NULL),
			 SW_FILE_NOT_FOUND);
	assert_int_equal(send_hex(&vc, "00A4040705A00000033300", NULL, NULL), SW_WRONG_P1P2);
	/* the AFL's record; card-internal data is no data object */
	select_pboc(&vc);
	assert_int_equal(send_hex(&vc, "00B2010C00", out, &n), SW_OK);
	assert_int_equal(out[0], 0x70);
	assert_int_equal(send_hex(&vc, "00B2020C00", NULL, NULL), SW_RECORD_NOT_FOUND);
	assert_int_equal(send_hex(&vc, "00B2016C00", NULL, NULL), SW_RECORD_NOT_FOUND); /* 0D01 */
	/* records of SFI 11..30 are readable; 0E01 is card-internal too; SFI 31 is none */
	dgi(&vc, VCARD_APP_PBOC, 0x0B01, "7004DF010111", 0);
	dgi(&vc, VCARD_APP_PBOC, 0x1E02, "7004DF020122", 0);
	dgi(&vc, VCARD_APP_PBOC, 0x0E01, "DF030133", 0);
	assert_int_equal(send_hex(&vc, "00B2015C00", out, &n), SW_OK);
	assert_int_equal(n, 6);
	assert_memory_equal(out, "\x70\x04\xDF\x01\x01\x11", 6);
	assert_int_equal(send_hex(&vc, "00B202F400", out, &n), SW_OK);
	assert_memory_equal(out, "\x70\x04\xDF\x02\x01\x22", 6);
	assert_int_equal(send_hex(&vc, "00B2017400", NULL, NULL), SW_RECORD_NOT_FOUND);
	assert_int_equal(send_hex(&vc, "00B201FC00", NULL, NULL), SW_FILE_NOT_FOUND);
	assert_int_equal(send_hex(&vc, "80CA9F1400", NULL, NULL), SW_DATA_NOT_FOUND);
	assert_int_equal(send_hex(&vc, "80CA9F1000", NULL, NULL), SW_DATA_NOT_FOUND);
	vcard_release(&vc);
}

static void
test_gpo(void **state)
{
	struct vcard vc;
	unsigned char out[64];
	size_t n;

	(void)state;
	perso(&vc, "7D00", "0000");
	select_pboc(&vc);
	/* PDOL data of the wrong length, a wrong template, a wrong class, P1P2 */
	assert_int_equal(send_hex(&vc, "80A800000D830B000000001000015611223300", NULL, NULL),
			 SW_WRONG_LENGTH);
	assert_int_equal(send_hex(&vc, "80A80000028300", NULL, NULL), SW_WRONG_LENGTH);
	assert_int_equal(send_hex(&vc, "80A800000E840C" PDOL_DATA "00", NULL, NULL), SW_WRONG_DATA);
	assert_int_equal(send_hex(&vc, "00A800000E830C" PDOL_DATA "00", NULL, NULL),
			 SW_CLA_NOT_SUPPORTED);
	assert_int_equal(send_hex(&vc, "80A801000E830C" PDOL_DATA "00", NULL, NULL), SW_WRONG_P1P2);
	assert_int_equal(send_hex(&vc, "80CA9F3600", out, &n), SW_OK);
	assert_memory_equal(out, "\x9F\x36\x02\x00\x00", 5);
	assert_int_equal(send_hex(&vc, "80A800000E830C" PDOL_DATA "00", out, &n), SW_OK);
	assert_memory_equal(out, "\x77\x0A\x82\x02\x7D\x00\x94\x04\x08\x01\x01\x00", 12);
	assert_int_equal(send_hex(&vc, "80CA9F3600", out, &n), SW_OK);
	assert_memory_equal(out, "\x9F\x36\x02\x00\x01", 5);
	/* once per transaction; a new SELECT starts another */
	assert_int_equal(send_hex(&vc, "80A800000E830C" PDOL_DATA "00", NULL, NULL), SW_CONDITIONS);
	transaction(&vc);
	assert_int_equal(vc.chip.emv.atc, 2);
	assert_int_equal(send_hex(&vc, "80CA9F1300", out, &n), SW_OK);
	assert_memory_equal(out, "\x9F\x13\x02\x00\x00", 5);
	assert_int_equal(send_hex(&vc, "80CA9F1700", out, &n), SW_OK);
	assert_memory_equal(out, "\x9F\x17\x01\x03", 4);
	vcard_release(&vc);
}

/* Remove the chip state folder of a test (the card's state file in it). */
static void
state_dir_remove(const char *dir)
{
	char *path = vcard_store_path(dir, serial);

	unlink(path);
	free(path);
	rmdir(dir);
}

/* Offline PIN: a wrong PIN decrements the counter, which survives the chip being put back
 * (state file), the right one resets it; at 0 the PIN is blocked. */
static void
test_verify(void **state)
{
	char dir[] = "/tmp/cp-vcard-emv-XXXXXX";
	struct vcard vc;
	unsigned char out[300];
	size_t n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	perso_gpo(&vc, "0000");
	assert_int_equal(send_hex(&vc, "0020008008261234FFFFFFFFFF", NULL, NULL), SW_OK);
	assert_int_equal(send_hex(&vc, "0020008008261235FFFFFFFFFF", NULL, NULL), 0x63C2);
	assert_int_equal(send_hex(&vc, "0020008000", NULL, NULL), 0x63C2);
	assert_int_equal(vcard_store_save(&vc, dir, kmc, sizeof kmc), 0);
	vcard_release(&vc);
	assert_int_equal(store_load_default(&vc, dir, serial, kmc, sizeof kmc), 0);
	select_pboc(&vc);
	assert_int_equal(send_hex(&vc, "80CA9F1700", out, &n), SW_OK);
	assert_int_equal(out[3], 2);
	assert_int_equal(send_hex(&vc, "0020008008261234FFFFFFFFFF", NULL, NULL), SW_OK);
	assert_int_equal(send_hex(&vc, "80CA9F1700", out, &n), SW_OK);
	assert_int_equal(out[3], 3);
	/* malformed */
	assert_int_equal(send_hex(&vc, "0020008807261234FFFFFFFF", NULL, NULL), SW_WRONG_P1P2);
	assert_int_equal(send_hex(&vc, "0020008007261234FFFFFFFF", NULL, NULL), SW_WRONG_LENGTH);
	assert_int_equal(send_hex(&vc, "8020008008261234FFFFFFFFFF", NULL, NULL),
			 SW_CLA_NOT_SUPPORTED);
	/* three wrong: blocked, even for the right PIN, and it stays blocked */
	assert_int_equal(send_hex(&vc, "0020008008269999FFFFFFFFFF", NULL, NULL), 0x63C2);
	assert_int_equal(send_hex(&vc, "0020008008269999FFFFFFFFFF", NULL, NULL), 0x63C1);
	assert_int_equal(send_hex(&vc, "0020008008269999FFFFFFFFFF", NULL, NULL), 0x63C0);
	assert_int_equal(send_hex(&vc, "0020008008261234FFFFFFFFFF", NULL, NULL), SW_AUTH_BLOCKED);
	assert_int_equal(vcard_store_save(&vc, dir, kmc, sizeof kmc), 0);
	vcard_release(&vc);
	assert_int_equal(store_load_default(&vc, dir, serial, kmc, sizeof kmc), 0);
	select_pboc(&vc);
	assert_int_equal(send_hex(&vc, "0020008008261234FFFFFFFFFF", NULL, NULL), SW_AUTH_BLOCKED);
	/* PIN try limit exceeded: the card goes online */
	gpo(&vc);
	assert_int_equal(
		send_hex(&vc, "80AE40001D" CDOL1_DATA("0000000000", "01020304") "00", out, &n),
		SW_OK);
	assert_memory_equal(out + 2, "\x9F\x27\x01\x80", 4);
	vcard_release(&vc);
	state_dir_remove(dir);
}

/* A chip state file that breaks after its secret DGIs: the load fails and the keys and PIN
 * block it decrypted so far are gone from memory. */
static void
test_load_failure_wipes(void **state)
{
	char dir[] = "/tmp/cp-vcard-emv-XXXXXX", *path;
	struct vcard vc;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	perso(&vc, "7D00", "0000");
	assert_int_equal(vcard_store_save(&vc, dir, kmc, sizeof kmc), 0);
	vcard_release(&vc);
	path = vcard_store_path(dir, serial);
	assert_non_null(f = fopen(path, "a"));
	fputs("dgi PBOC 0A01 plain 7\n", f);
	fclose(f);
	assert_true(store_load_default(&vc, dir, serial, kmc, sizeof kmc) < 0);
	assert_null(memmem(&vc, sizeof vc, mk_ac, sizeof mk_ac));
	assert_null(memmem(&vc, sizeof vc, "\x26\x12\x34\xFF\xFF", 5));
	free(path);
	state_dir_remove(dir);
}

/* An online transaction: ARQC, EXTERNAL AUTHENTICATE, TC; and the checks of each step. */
static void
test_online(void **state)
{
	struct vcard vc;
	unsigned char out[300], ac[8], iad[8], sk[16], arpc[8], atc[2] = {0, 1};
	const unsigned char *v;
	char cmd[128];
	size_t n, l;

	(void)state;
	perso(&vc, "7D00", "4000");
	select_pboc(&vc);
	assert_int_equal(
		send_hex(&vc, "80AE80001D" CDOL1_DATA("0000000000", "01020304") "00", NULL, NULL),
		SW_CONDITIONS); /* before GPO */
	gpo(&vc);
	assert_int_equal(
		send_hex(&vc, "80AE80001C" CDOL1_DATA("0000000000", "010203") "00", NULL, NULL),
		SW_WRONG_LENGTH);
	assert_int_equal(
		send_hex(&vc, "80AEC0001D" CDOL1_DATA("0000000000", "01020304") "00", NULL, NULL),
		SW_WRONG_P1P2);
	assert_int_equal(send_hex(&vc,
				  "00820000"
				  "0A"
				  "00000000000000003030",
				  NULL, NULL),
			 SW_CONDITIONS); /* no ARQC yet */
	assert_int_equal(
		send_hex(&vc, "80AE80001D" CDOL1_DATA("0000008000", "01020304") "00", out, &n),
		SW_OK);
	assert_int_equal(out[0], 0x77);
	assert_non_null(v = find(out, n, 0x9F27, &l));
	assert_int_equal(v[0], 0x80);
	assert_non_null(v = find(out, n, 0x9F36, &l));
	assert_memory_equal(v, atc, 2);
	assert_non_null(v = find(out, n, 0x9F10, &l));
	assert_int_equal(l, 8);
	memcpy(iad, v, 8);
	/* CVR: ARQC at the first GENERATE AC, second not requested; a new card */
	assert_memory_equal(iad, "\x07\x01\x01\x03\xA0\x10\x00\x01", 8);
	expected_ac(CDOL1_DATA("0000008000", "01020304"), 1, iad, ac);
	assert_non_null(v = find(out, n, 0x9F26, &l));
	assert_memory_equal(v, ac, 8);
	assert_int_equal(vc.chip.emv.flags & VCARD_EMV_ONLINE_PENDING, VCARD_EMV_ONLINE_PENDING);

	/* the issuer's ARPC (method 1, ARC 3030) */
	assert_int_equal(emv_ac_session_key(EMV_AC_TDES, mk_ac, atc, sk), 0);
	assert_int_equal(emv_ac_arpc1(EMV_AC_TDES, sk, ac, (const unsigned char *)"00", arpc), 0);
	snprintf(cmd, sizeof cmd, "008200000A%02X%02X%02X%02X%02X%02X%02X%02X3030", arpc[0],
		 arpc[1], arpc[2], arpc[3], arpc[4], arpc[5], arpc[6], arpc[7]);
	assert_int_equal(send_hex(&vc, "008200000900000000000000003030", NULL, NULL),
			 SW_WRONG_LENGTH);
	assert_int_equal(send_hex(&vc, cmd, NULL, NULL), SW_OK);
	assert_int_equal(send_hex(&vc, cmd, NULL, NULL), SW_CONDITIONS); /* once */
	/* second GENERATE AC: ARQC is not allowed, CDOL2 length, then TC */
	assert_int_equal(send_hex(&vc, "80AE80000B303000000080000102030400", NULL, NULL),
			 SW_WRONG_P1P2);
	assert_int_equal(send_hex(&vc, "80AE40000A3030000000800001020300", NULL, NULL),
			 SW_WRONG_LENGTH);
	assert_int_equal(send_hex(&vc, "80AE40000B30300000000800A1B2C3D400", out, &n), SW_OK);
	assert_non_null(v = find(out, n, 0x9F27, &l));
	assert_int_equal(v[0], 0x40);
	assert_non_null(v = find(out, n, 0x9F10, &l));
	assert_memory_equal(v, "\x07\x01\x01\x03\x60\x10\x00\x01", 8);
	memcpy(iad, v, 8);
	/* the second cryptogram: CDOL2's TVR and UN over the first's other fields */
	expected_ac(CDOL1_DATA("0000000800", "A1B2C3D4"), 1, iad, ac);
	assert_non_null(v = find(out, n, 0x9F26, &l));
	assert_memory_equal(v, ac, 8);
	assert_int_equal(send_hex(&vc, "80AE40000B303000000080000102030400", NULL, NULL),
			 SW_CONDITIONS); /* the transaction is over */
	assert_int_equal(vc.chip.emv.flags, 0);
	assert_int_equal(send_hex(&vc, "80CA9F1300", out, &n), SW_OK);
	assert_memory_equal(out, "\x9F\x13\x02\x00\x01", 5);
	/* a command the card does not know */
	assert_int_equal(send_hex(&vc, "80EE000000", NULL, NULL), SW_INS_NOT_SUPPORTED);
	vcard_release(&vc);
}

/* A card whose 0D01 says DF01 = 02 (bank profile session_key = pboc) makes its cryptograms
 * and checks the ARPC with the PBOC session key, not the EMV one; a DF01 it does not know
 * makes GENERATE AC 6985. */
static void
test_pboc_session_key(void **state)
{
	struct vcard vc;
	unsigned char out[300], ac[8], emv[8], iad[8], in[EMV_AC_INPUT_LEN], sk[16], arpc[8],
		atc[2] = {0, 1}, aip[2] = {0x7D, 0x00};
	const unsigned char *v;
	struct emv_ac_terminal t;
	char cmd[128];
	size_t n, l;

	(void)state;
	perso(&vc, "7D00", "0000");
	dgi(&vc, VCARD_APP_PBOC, 0x0D01,
	    "9F1401039F2301059F520200009F1008" IAD_TEMPLATE "9F13020000DF010102", 0);
	transaction(&vc);
	assert_int_equal(
		send_hex(&vc, "80AE80001D" CDOL1_DATA("0000008000", "01020304") "00", out, &n),
		SW_OK);
	assert_non_null(v = find(out, n, 0x9F10, &l));
	assert_int_equal(l, 8);
	memcpy(iad, v, 8);
	/* the PBOC session key (checked on a public example in test_emv_ac) over the input */
	terminal_of(CDOL1_DATA("0000008000", "01020304"), &t);
	emv_ac_input(&t, aip, atc, iad + 3, in);
	assert_int_equal(emv_ac_session_key_pboc(EMV_AC_TDES, mk_ac, atc, sk), 0);
	assert_int_equal(emv_ac_mac(EMV_AC_TDES, sk, in, sizeof in, ac), 0);
	expected_ac(CDOL1_DATA("0000008000", "01020304"), 1, iad, emv);
	assert_memory_not_equal(ac, emv, 8);
	assert_non_null(v = find(out, n, 0x9F26, &l));
	assert_memory_equal(v, ac, 8);
	/* the ARPC under the PBOC session key passes */
	assert_int_equal(emv_ac_arpc1(EMV_AC_TDES, sk, ac, (const unsigned char *)"00", arpc), 0);
	snprintf(cmd, sizeof cmd, "008200000A%02X%02X%02X%02X%02X%02X%02X%02X3030", arpc[0],
		 arpc[1], arpc[2], arpc[3], arpc[4], arpc[5], arpc[6], arpc[7]);
	assert_int_equal(send_hex(&vc, cmd, NULL, NULL), SW_OK);
	/* DF01 = 01 is the EMV derivation, as without DF01 */
	dgi(&vc, VCARD_APP_PBOC, 0x0D01,
	    "9F1401039F2301059F520200009F1008" IAD_TEMPLATE "9F13020000DF010101", 0);
	transaction(&vc);
	assert_int_equal(
		send_hex(&vc, "80AE00001D" CDOL1_DATA("0000008000", "01020304") "00", out, &n),
		SW_OK);
	assert_non_null(v = find(out, n, 0x9F10, &l));
	memcpy(iad, v, 8);
	expected_ac(CDOL1_DATA("0000008000", "01020304"), 2, iad, emv);
	assert_non_null(v = find(out, n, 0x9F26, &l));
	assert_memory_equal(v, emv, 8);
	/* an unknown derivation: no cryptogram */
	dgi(&vc, VCARD_APP_PBOC, 0x0D01,
	    "9F1401039F2301059F520200009F1008" IAD_TEMPLATE "9F13020000DF010103", 0);
	transaction(&vc);
	assert_int_equal(
		send_hex(&vc, "80AE80001D" CDOL1_DATA("0000008000", "01020304") "00", NULL, NULL),
		SW_CONDITIONS);
	vcard_release(&vc);
}

/* A wrong ARPC: 6300, the CVR says so, the card declines (ADA) and goes online next time. */
static void
test_arpc_failure(void **state)
{
	struct vcard vc;
	unsigned char out[300];
	const unsigned char *v;
	size_t n, l;

	(void)state;
	perso_gpo(&vc, "4000");
	assert_int_equal(
		send_hex(&vc, "80AE80001D" CDOL1_DATA("0000000000", "01020304") "00", NULL, NULL),
		SW_OK);
	assert_int_equal(send_hex(&vc, "008200000A11223344556677883030", NULL, NULL),
			 SW_AUTH_FAILED);
	assert_int_equal(send_hex(&vc, "80AE40000B303000000000000102030400", out, &n), SW_OK);
	assert_non_null(v = find(out, n, 0x9F27, &l));
	assert_int_equal(v[0], 0x00); /* AAC */
	assert_non_null(v = find(out, n, 0x9F10, &l));
	assert_int_equal(v[4], 0x28); /* ARQC first, issuer authentication failed, AAC second */
	assert_int_equal(vc.chip.emv.flags, VCARD_EMV_IA_FAILED);
	/* next transaction: a TC asked, the card goes online */
	transaction(&vc);
	assert_int_equal(
		send_hex(&vc, "80AE40001D" CDOL1_DATA("0000000000", "01020304") "00", out, &n),
		SW_OK);
	assert_non_null(v = find(out, n, 0x9F27, &l));
	assert_int_equal(v[0], 0x80);
	assert_non_null(v = find(out, n, 0x9F10, &l));
	assert_int_equal(v[5] & 0x08, 0x08); /* issuer authentication failed last time */
	vcard_release(&vc);
}

/* Offline approvals up to the lower consecutive offline limit (3), then online; an AAC asked
 * is an AAC. */
static void
test_offline_limit(void **state)
{
	struct vcard vc;
	unsigned char out[300];
	const unsigned char *v;
	size_t n, l;

	(void)state;
	perso(&vc, "7D00", "0000");
	for (int i = 0; i < 4; i++) {
		transaction(&vc);
		assert_int_equal(send_hex(&vc,
					  "80AE40001D" CDOL1_DATA("0000000000", "01020304") "00",
					  out, &n),
				 SW_OK);
		assert_non_null(v = find(out, n, 0x9F27, &l));
		assert_int_equal(v[0], i < 3 ? 0x40 : 0x80);
	}
	transaction(&vc);
	assert_int_equal(
		send_hex(&vc, "80AE00001D" CDOL1_DATA("0000000000", "01020304") "00", out, &n),
		SW_OK);
	assert_non_null(v = find(out, n, 0x9F27, &l));
	assert_int_equal(v[0], 0x00);
	/* an ADA asking new cards online */
	vcard_release(&vc);
	perso_gpo(&vc, "0400");
	assert_int_equal(
		send_hex(&vc, "80AE40001D" CDOL1_DATA("0000000000", "01020304") "00", out, &n),
		SW_OK);
	assert_non_null(v = find(out, n, 0x9F27, &l));
	assert_int_equal(v[0], 0x80);
	vcard_release(&vc);
}

/* One GENERATE AC with CDOL1 data (TVR 0, UN 01020304); the answer's CID and CVR. */
static void
gen_ac1(struct vcard *vc, const char *p1, unsigned char *cid, unsigned char cvr[3])
{
	unsigned char out[300];
	const unsigned char *v;
	char cmd[128];
	size_t n, l;

	snprintf(cmd, sizeof cmd, "80AE%s001D" CDOL1_DATA("0000000000", "01020304") "00", p1);
	assert_int_equal(send_hex(vc, cmd, out, &n), SW_OK);
	assert_non_null(v = find(out, n, 0x9F27, &l));
	*cid = v[0];
	assert_non_null(v = find(out, n, 0x9F10, &l));
	memcpy(cvr, v + 4, 3);
}

/* A second GENERATE AC: P1, ARC (hex), CID and CVR of the answer. */
static void
gen_ac2(struct vcard *vc, const char *p1, const char *arc, unsigned char *cid, unsigned char cvr[3])
{
	unsigned char out[300];
	const unsigned char *v;
	char cmd[128];
	size_t n, l;

	snprintf(cmd, sizeof cmd,
		 "80AE%s000B%s000000000001020304"
		 "00",
		 p1, arc);
	assert_int_equal(send_hex(vc, cmd, out, &n), SW_OK);
	assert_non_null(v = find(out, n, 0x9F27, &l));
	*cid = v[0];
	assert_non_null(v = find(out, n, 0x9F10, &l));
	memcpy(cvr, v + 4, 3);
}

/* The issuer never answered (no EXTERNAL AUTHENTICATE, the terminal's ARC Z3 or Y3 "unable
 * to go online"): the card's risk counters stay, the card is still new. An issuer's ARC
 * without ARPC completes the online transaction unless the ADA makes issuer authentication
 * mandatory (then AAC); either way the CVR says issuer authentication was not performed. */
static void
test_no_issuer_answer(void **state)
{
	struct vcard vc;
	unsigned char cid, cvr[3];

	(void)state;
	perso_gpo(&vc, "0000");
	gen_ac1(&vc, "40", &cid, cvr);
	assert_int_equal(cid, 0x40);
	assert_int_equal(vc.chip.emv.offline_count, 1);
	/* unable to go online, declined offline */
	transaction(&vc);
	gen_ac1(&vc, "80", &cid, cvr);
	assert_int_equal(cid, 0x80);
	gen_ac2(&vc, "00", "5A33", &cid, cvr);
	assert_int_equal(cid, 0x00);
	assert_int_equal(cvr[1] & 0x04, 0); /* no online authorisation */
	assert_int_equal(vc.chip.emv.last_online_atc, 0);
	assert_int_equal(vc.chip.emv.offline_count, 1);
	/* unable to go online, approved offline: still no issuer answer */
	transaction(&vc);
	gen_ac1(&vc, "80", &cid, cvr);
	assert_int_equal(cvr[1] & 0x10, 0x10); /* still a new card */
	gen_ac2(&vc, "40", "5933", &cid, cvr);
	assert_int_equal(cid, 0x40);
	assert_int_equal(vc.chip.emv.last_online_atc, 0);
	assert_int_equal(vc.chip.emv.offline_count, 1);
	/* the issuer approved (ARC 00) and asked no issuer authentication */
	transaction(&vc);
	gen_ac1(&vc, "80", &cid, cvr);
	assert_int_equal(cvr[1] & 0x10, 0x10);
	gen_ac2(&vc, "40", "3030", &cid, cvr);
	assert_int_equal(cid, 0x40);
	assert_int_equal(cvr[1] & 0x04, 0x04); /* issuer authentication not performed */
	assert_int_equal(vc.chip.emv.last_online_atc, 4);
	assert_int_equal(vc.chip.emv.offline_count, 0);
	vcard_release(&vc);

	/* ADA byte 1 b6: issuer authentication mandatory and no ARPC received: decline */
	perso_gpo(&vc, "2000");
	gen_ac1(&vc, "80", &cid, cvr);
	gen_ac2(&vc, "40", "3030", &cid, cvr);
	assert_int_equal(cid, 0x00);
	assert_int_equal(cvr[0] & 0xC0, 0x00); /* AAC at the second GENERATE AC */
	assert_int_equal(cvr[1] & 0x04, 0x04);
	assert_int_equal(vc.chip.emv.last_online_atc, 0);
	assert_int_equal(vc.chip.emv.flags, 0);
	vcard_release(&vc);
}

/* An AAC asked at the first GENERATE AC carries the card's risk flags in its CVR too. */
static void
test_aac_cvr(void **state)
{
	struct vcard vc;
	unsigned char cid, cvr[3];

	(void)state;
	perso_gpo(&vc, "0400");
	gen_ac1(&vc, "00", &cid, cvr);
	assert_int_equal(cid, 0x00);
	assert_memory_equal(cvr, "\x80\x10\x00", 3); /* AAC, second not requested; new card */
	vcard_release(&vc);
}

/* Recover a signature with the public key: the recovered block (128 bytes). */
static void
recover(const unsigned char *sig, size_t len, unsigned char *out)
{
	BIGNUM *s = BN_bin2bn(sig, (int)len, NULL), *m = BN_new();
	BN_CTX *ctx = BN_CTX_new();

	assert_int_equal(BN_mod_exp(m, s, rsa_e, rsa_n, ctx), 1);
	assert_int_equal(BN_bn2binpad(m, out, (int)len), (int)len);
	BN_free(s);
	BN_free(m);
	BN_CTX_free(ctx);
}

static void
sha1(const unsigned char *a, size_t na, const unsigned char *b, size_t nb, unsigned char out[20])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned hl;

	assert_int_equal(EVP_DigestInit_ex(md, EVP_sha1(), NULL), 1);
	assert_int_equal(EVP_DigestUpdate(md, a, na), 1);
	assert_int_equal(EVP_DigestUpdate(md, b, nb), 1);
	assert_int_equal(EVP_DigestFinal_ex(md, out, &hl), 1);
	EVP_MD_CTX_free(md);
}

/* DDA: INTERNAL AUTHENTICATE signs the ICC dynamic number and the DDOL data (Book 2 6.5). */
static void
test_dda(void **state)
{
	static const unsigned char num[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	struct vcard vc;
	unsigned char out[300], rec[128], h[20], un[4] = {0xDE, 0xAD, 0xBE, 0xEF};
	size_t n;

	(void)state;
	perso(&vc, "7D00", "0000");
	select_pboc(&vc);
	vc.s.fixed_icc_number = num;
	assert_int_equal(send_hex(&vc, "0088000003DEADBE00", NULL, NULL), SW_WRONG_LENGTH);
	assert_int_equal(send_hex(&vc, "0088000004DEADBEEF00", out, &n), SW_OK);
	assert_int_equal(n, 3 + 128);
	assert_memory_equal(out, "\x80\x81\x80", 3);
	recover(out + 3, 128, rec);
	assert_memory_equal(rec, "\x6A\x05\x01\x09\x08", 5);
	assert_memory_equal(rec + 5, num, 8);
	for (size_t i = 13; i < 128 - 21; i++)
		assert_int_equal(rec[i], 0xBB);
	assert_int_equal(rec[127], 0xBC);
	sha1(rec + 1, 128 - 22, un, 4, h);
	assert_memory_equal(rec + 128 - 21, h, 20);
	vcard_release(&vc);

	/* no ICC key: not a DDA card */
	assert_int_equal(vcard_init_blank(&vc, serial, kmc, sizeof kmc), 0);
	select_pboc(&vc);
	assert_int_equal(send_hex(&vc, "0088000004DEADBEEF00", NULL, NULL), SW_DATA_NOT_FOUND);
	vcard_release(&vc);
}

/* A CDA answer (out, n) to a GENERATE AC: no 9F26, the AC (made over ac_data, CDOL1 data
 * with the TVR and UN of the cryptogram) and the CID inside 9F4B, which hashes the
 * transaction data tdh (hex; the card's IAD follows it) and the unpredictable number un. */
static void
check_cda(const unsigned char *out, size_t n, const char *ac_data, unsigned char cid,
	  const char *tdh_hex, const unsigned char un[4])
{
	unsigned char rec[128], h[20], ac[8], iad[8], tdh[200];
	const unsigned char *v;
	size_t l, nt;

	assert_null(find(out, n, 0x9F26, &l)); /* the AC is inside the signature */
	assert_non_null(v = find(out, n, 0x9F10, &l));
	memcpy(iad, v, 8);
	expected_ac(ac_data, 1, iad, ac);
	assert_non_null(v = find(out, n, 0x9F4B, &l));
	assert_int_equal(l, 128);
	recover(v, 128, rec);
	assert_memory_equal(rec, "\x6A\x05\x01\x26\x08", 5);
	assert_int_equal(rec[13], cid);
	assert_memory_equal(rec + 14, ac, 8);
	nt = hxn(tdh_hex, tdh, sizeof tdh - 8);
	memcpy(tdh + nt, iad, 8);
	nt += 8;
	sha1(tdh, nt, NULL, 0, h);
	assert_memory_equal(rec + 22, h, 20);
	sha1(rec + 1, 128 - 22, un, 4, h);
	assert_memory_equal(rec + 128 - 21, h, 20);
}

/* CDA: GENERATE AC with P1 b5 gives 9F4B over CID, AC and the transaction data hash. */
static void
test_cda(void **state)
{
	struct vcard vc;
	unsigned char out[300];
	size_t n;

	(void)state;
	perso_gpo(&vc, "0000"); /* AIP byte 1 b1: CDA */
	assert_int_equal(
		send_hex(&vc, "80AE90001D" CDOL1_DATA("0000000000", "0A0B0C0D") "00", out, &n),
		SW_OK);
	/* transaction data hash: PDOL data, CDOL1 data, the response's TLVs without 9F4B */
	check_cda(out, n, CDOL1_DATA("0000000000", "0A0B0C0D"), 0x80,
		  PDOL_DATA CDOL1_DATA("0000000000", "0A0B0C0D") "9F2701809F360200019F1008",
		  (const unsigned char *)"\x0A\x0B\x0C\x0D");
	vcard_release(&vc);
}

/* CDA at the second GENERATE AC: the signature covers the AC made over CDOL2's TVR and UN,
 * the hash over PDOL, CDOL1 and CDOL2 data, and the unpredictable number of CDOL2. */
static void
test_cda_second(void **state)
{
	struct vcard vc;
	unsigned char out[300];
	const unsigned char *v;
	size_t n, l;

	(void)state;
	perso_gpo(&vc, "0000");
	assert_int_equal(
		send_hex(&vc, "80AE90001D" CDOL1_DATA("0000000000", "0A0B0C0D") "00", out, &n),
		SW_OK);
	assert_non_null(v = find(out, n, 0x9F27, &l));
	assert_int_equal(v[0], 0x80);
	assert_int_equal(send_hex(&vc, "80AE50000B30300000000800A1B2C3D400", out, &n), SW_OK);
	check_cda(out, n, CDOL1_DATA("0000000800", "A1B2C3D4"), 0x40 /* TC */,
		  PDOL_DATA CDOL1_DATA("0000000000", "0A0B0C0D") "30300000000800A1B2C3D4"
								 "9F2701409F360200019F1008",
		  (const unsigned char *)"\xA1\xB2\xC3\xD4");
	vcard_release(&vc);
}

/* ICC keys: up to 1984 bits (248 bytes) for DDA; a larger one is refused, never signed
 * with; CDA whose answer would pass 256 bytes (a large key, a 32-byte IAD) is refused before
 * anything is written (ASan: no stack overflow). */
static void
test_large_icc_key(void **state)
{
	static const int bits[] = {1984, 2000, 2048};
	struct vcard vc;
	unsigned char out[300];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++) {
		EVP_PKEY *key = perso_icc_key(&vc, bits[i]);
		/* an IAD template with 24 bytes of issuer data: 32 bytes */
		dgi(&vc, VCARD_APP_PBOC, 0x0D01,
		    "9F1401039F2301059F520200009F1020" IAD_TEMPLATE
		    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA9F13020000",
		    0);
		select_pboc(&vc);
		if (bits[i] == 1984) {
			assert_int_equal(send_hex(&vc, "0088000004DEADBEEF00", out, &n), SW_OK);
			assert_int_equal(n, 3 + 248);
			assert_memory_equal(out, "\x80\x81\xF8", 3);
		} else {
			assert_int_equal(send_hex(&vc, "0088000004DEADBEEF00", NULL, NULL),
					 SW_CONDITIONS);
		}
		gpo(&vc);
		assert_int_equal(send_hex(&vc,
					  "80AE90001D" CDOL1_DATA("0000000000", "0A0B0C0D") "00",
					  NULL, NULL),
				 SW_CONDITIONS);
		vcard_release(&vc);
		EVP_PKEY_free(key);
	}
}

/* CDA's limit with an 8-byte IAD: 77 81 FD { 9F27 (4), 9F36 (5), 9F4B 81 E5 (4 + 229),
 * 9F10 (11) } would fill the 256 bytes; the CRT DGIs hold halves of the modulus, so the
 * largest key is 1824 bits (228 bytes), and a 1840-bit one is refused. */
static void
test_cda_limit(void **state)
{
	static const int bits[] = {1824, 1840};
	struct vcard vc;
	unsigned char out[300];
	const unsigned char *v;
	size_t n, l;

	(void)state;
	for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++) {
		EVP_PKEY *key = perso_icc_key(&vc, bits[i]);
		transaction(&vc);
		if (i == 0) {
			assert_int_equal(
				send_hex(&vc,
					 "80AE90001D" CDOL1_DATA("0000000000", "0A0B0C0D") "00",
					 out, &n),
				SW_OK);
			assert_int_equal(n, 255);
			assert_memory_equal(out, "\x77\x81\xFC", 3);
			assert_non_null(v = find(out, n, 0x9F4B, &l));
			assert_int_equal(l, 228);
		} else {
			assert_int_equal(
				send_hex(&vc,
					 "80AE90001D" CDOL1_DATA("0000000000", "0A0B0C0D") "00",
					 NULL, NULL),
				SW_CONDITIONS);
		}
		vcard_release(&vc);
		EVP_PKEY_free(key);
	}
}

/* GPO data of 128 bytes or more: 77 81 L; more than 253 bytes would not fit: 6985. */
static void
test_gpo_long(void **state)
{
	struct vcard vc;
	unsigned char out[300];
	char v[600];
	size_t n;

	(void)state;
	perso(&vc, "7D00", "0000");
	strcpy(v, "82027D00948180");
	for (int i = 0; i < 32; i++)
		strcat(v, "08010100");
	dgi(&vc, VCARD_APP_PBOC, 0x9104, v, 0);
	select_pboc(&vc);
	assert_int_equal(send_hex(&vc, "80A800000E830C" PDOL_DATA "00", out, &n), SW_OK);
	assert_int_equal(n, 3 + 135);
	assert_memory_equal(out, "\x77\x81\x87\x82\x02\x7D\x00\x94\x81\x80", 10);
	strcpy(v, "82027D009481F4");
	for (int i = 0; i < 61; i++)
		strcat(v, "08010100");
	dgi(&vc, VCARD_APP_PBOC, 0x9104, v, 0); /* 251 bytes: the largest */
	select_pboc(&vc);
	assert_int_equal(send_hex(&vc, "80A800000E830C" PDOL_DATA "00", out, &n), SW_OK);
	assert_int_equal(n, 3 + 251);
	strcpy(v, "82027D009481F7");
	for (int i = 0; i < 61; i++)
		strcat(v, "08010100");
	strcat(v, "080101");
	dgi(&vc, VCARD_APP_PBOC, 0x9104, v, 0); /* 254 bytes */
	select_pboc(&vc);
	assert_int_equal(send_hex(&vc, "80A800000E830C" PDOL_DATA "00", NULL, NULL), SW_CONDITIONS);
	assert_int_equal(vc.chip.emv.atc, 2);
	vcard_release(&vc);
}

/* Random commands at a personalised card, in every state of a transaction: always a status
 * word, never a crash (run under ASan/UBSan by the sanitizer build). */
static void
test_random_apdus(void **state)
{
	static const unsigned char ins[] = {0xA8, 0xAE, 0x20, 0x88, 0x82, 0xCA, 0xB2, 0xA4};
	unsigned char cmd[300], resp[300];
	struct vcard vc;
	unsigned seed = 12345;

	(void)state;
	perso(&vc, "7D00", "4000");
	for (int i = 0; i < 3000; i++) {
		size_t len = 4 + (seed = seed * 1103515245u + 12345u) % 60, n;
		for (size_t k = 0; k < len; k++)
			cmd[k] = (unsigned char)((seed = seed * 1103515245u + 12345u) >> 16);
		cmd[0] = (seed & 1) ? 0x80 : 0x00;
		cmd[1] = ins[(seed >> 8) % sizeof ins];
		if (i % 50 == 0) {
			select_pboc(&vc);
			if (i % 100 == 0)
				gpo(&vc);
		}
		n = vcard_apdu(&vc, cmd, len, resp, sizeof resp);
		assert_true(n >= 2 && n <= 258);
	}
	vcard_release(&vc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_select_and_pse),
		cmocka_unit_test(test_gpo),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_load_failure_wipes),
		cmocka_unit_test(test_online),
		cmocka_unit_test(test_pboc_session_key),
		cmocka_unit_test(test_arpc_failure),
		cmocka_unit_test(test_offline_limit),
		cmocka_unit_test(test_no_issuer_answer),
		cmocka_unit_test(test_aac_cvr),
		cmocka_unit_test(test_dda),
		cmocka_unit_test(test_cda),
		cmocka_unit_test(test_cda_second),
		cmocka_unit_test(test_large_icc_key),
		cmocka_unit_test(test_cda_limit),
		cmocka_unit_test(test_gpo_long),
		cmocka_unit_test(test_random_apdus),
	};
	return cmocka_run_group_tests(tests, setup_key, teardown_key);
}
