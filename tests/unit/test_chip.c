/*
 * test_chip.c - chip data and perso scripts: a sample card's script parsed back holds
 * exactly the application's data; its sensitive values, decrypted with the transport key,
 * are the keys an independent derivation gives; no clear key in the text; sealed batches
 * refuse a changed, truncated or wrongly keyed file; bad card data is refused clearly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/hex.h"
#include "emv_fixture.h"
#include "hex_fixture.h"
#include "formats/cardno.h"
#include "personalization/chip/bank_profile.h"
#include "personalization/chip/chipdata.h"
#include "personalization/chip/script.h"
#include "personalization/crypto/cipher.h"
#include "personalization/crypto/derive.h"
#include "personalization/crypto/kcv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static unsigned char ssse[3][16], tra[3][16], bank[3][16], tk[32];
static struct bank_profile prof;

static void
fill(unsigned char *p, size_t n, unsigned char seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(seed + 7 * i);
}

static void
sample(struct perso_card *c, struct perso_masters *m, struct perso_params *p, enum cp_alg alg)
{
	emv_fixture_card(c);
	c->card_id = 7;
	c->icc_serial = 7;
	c->application_id = 42;
	memset(m, 0, sizeof(*m));
	for (int i = 0; i < 3; i++) {
		fill(ssse[i], 16, (unsigned char)(0x10 * i + 1));
		fill(tra[i], 16, (unsigned char)(0x10 * i + 2));
		fill(bank[i], 16, (unsigned char)(0x10 * i + 3));
		m->ssse[i] = ssse[i];
		m->transport[i] = tra[i];
		m->bank[i] = bank[i];
	}
	fill(tk, 32, 0x55);
	m->bank_alg = alg;
	bank_profile_default("ICBC", &prof);
	m->profile = &prof;
	assert_non_null(m->issuer = emv_fixture_issuer());
	m->tk = tk;
	snprintf(m->tk_name, sizeof(m->tk_name), "line.1.transport");
	cp_kcv_hex(CP_ALG_AES, tk, 32, m->tk_kcv);
	emv_fixture_params(p);
	hex_decode("110000000000000000000001", p->init_org, 12);
}

/* The command whose label is label; fails the test when missing. */
static const struct perso_cmd *
by_label(const struct perso_script *s, const char *label)
{
	for (size_t i = 0; i < perso_script_count(s); i++) {
		const struct perso_cmd *c = perso_script_cmd(s, i);

		if (c->label && !strcmp(c->label, label))
			return c;
	}
	fail_msg("no command labelled %s", label);
	return NULL;
}

static void
assert_record(const struct perso_script *s, const char *label, const char *hex_tlv)
{
	const struct perso_cmd *c = by_label(s, label);
	unsigned char want[128];
	size_t n = hxn(hex_tlv, want, sizeof(want));

	assert_int_equal(c->len, 5 + n);
	assert_memory_equal(c->apdu + 5, want, n);
}

/* Decrypt a secret DGI under the transport key. */
static void
secret_of(const struct perso_script *s, const char *label, unsigned char *out, size_t *len)
{
	const struct perso_cmd *c = by_label(s, label);

	assert_true(c->sens_len > 0);
	assert_int_equal(cp_cbc_decrypt(CP_ALG_AES, tk, 32, NULL, c->apdu + 5 + c->sens_off,
					c->sens_len, out),
			 0);
	*len = c->sens_len;
}

static void
check_card(enum cp_alg alg)
{
	struct perso_card c;
	struct perso_masters m;
	struct perso_params p;
	struct perso_script *s = NULL;
	struct buf b = BUF_INIT(1 << 20);
	unsigned char v[64], want[16], f[8];
	size_t n;
	char hex[2 * 16 + 1];

	sample(&c, &m, &p, alg);
	assert_int_equal(perso_script_build(&c, &m, &p, &b), 0);
	assert_int_equal(perso_script_parse((char *)b.data, b.len, "sample", &s), 0);
	assert_string_equal(perso_script_card_no(s), "B00001234");
	assert_int_equal(perso_script_line(s), 1);
	assert_string_equal(perso_script_tk_name(s), "line.1.transport");
	assert_string_equal(perso_script_tk_kcv(s), m.tk_kcv);

	/* EF05: card type "3", "3.00", init org, issue, expiry (BCD), card number */
	assert_record(s, "EF05_REC_2", "020133");
	assert_record(s, "EF05_REC_3", "0304332E3030");
	assert_record(s, "EF05_REC_4", "040C110000000000000000000001");
	assert_record(s, "EF05_REC_5", "050420261126");
	assert_record(s, "EF05_REC_6", "060420361125");
	assert_record(s, "EF05_REC_7", "0709423030303031323334");
	/* EF06: SSN, name in GBK (张三 = D5C5 C8FD) padded to 30, sex, ethnicity, birthplace,
	 * birth date */
	assert_record(s, "EF06_REC_1", "0812313130313035313934393132333130303258");
	assert_record(s, "EF06_REC_2",
		      "091ED5C5C8FD"
		      "0000000000000000000000000000000000000000000000000000");
	assert_record(s, "EF06_REC_4", "0A0131");
	assert_record(s, "EF06_REC_5", "0B0101");
	assert_record(s, "EF06_REC_6", "0C03110105");
	assert_record(s, "EF06_REC_7", "0D0419491231");
	for (size_t i = 0; i < perso_script_count(s); i++) {
		const struct perso_cmd *cmd = perso_script_cmd(s, i);

		assert_false(cmd->label && !strcmp(cmd->label, "EF06_REC_3")); /* short name */
		assert_false(cmd->label && !strcmp(cmd->label, "EF05_REC_1"));
	}

	/* PBOC keys: independent Option A (3DES) or SM4 (Y || ~Y) from the masters */
	secret_of(s, "PBOC_DGI_8000", v, &n);
	assert_int_equal(n, 48);
	for (int i = 0; i < 3; i++) {
		if (alg == CP_ALG_TDES)
			assert_int_equal(cp_emv_option_a(bank[i], c.pan, c.psn, want), 0);
		else
			assert_int_equal(cp_sm4_option_a(bank[i], c.pan, c.psn, want), 0);
		assert_memory_equal(v + 16 * i, want, 16);
	}
	/* KCVs in the plain DGI */
	{
		const struct perso_cmd *k = by_label(s, "PBOC_DGI_9000");
		unsigned char kcv[3];

		assert_int_equal(cp_kcv(alg, want, 16, kcv), 0);
		assert_memory_equal(k->apdu + 5 + 3 + 6, kcv, 3);
	}
	/* SSSE keys: SM4(master, f || ~f), f = "00001234" */
	secret_of(s, "SSSE_DGI_8000", v, &n);
	memcpy(f, "00001234", 8);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(cp_sm4_diversify(ssse[i], f, want), 0);
		assert_memory_equal(v + 16 * i, want, 16);
	}
	/* the transport card number: "31", city 1000, sequence 1234, Luhn */
	assert_string_equal(c.transport_no, "3110000000000012348");
	/* 9F0C: issuer 0101, city 1000, FFFFFFFF, 0201, the number as 20 BCD digits (0 and
	 * its 19), issue and expiry dates, 0000 */
	{
		const struct perso_cmd *t = by_label(s, "TRANSPORT_DGI_9102");
		unsigned char want9f0c[33];

		hex_decode("9F0C1E01011000FFFFFFFF0201"
			   "03110000000000012348"
			   "20261126203611250000",
			   want9f0c, sizeof(want9f0c));
		assert_non_null(memmem(t->apdu, t->len, want9f0c, sizeof(want9f0c)));
	}
	/* transport keys: factor = BCD of the number's last 16 digits */
	secret_of(s, "TRANSPORT_DGI_8000", v, &n);
	hex_decode("0000000000012348", f, 8);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(cp_sm4_diversify(tra[i], f, want), 0);
		assert_memory_equal(v + 16 * i, want, 16);
	}
	/* service password: last 6 of the SSN with X as 0 -> 231002 -> 0 */
	secret_of(s, "SSSE_DGI_8010", v, &n);
	{
		unsigned char pb[8];

		hex_decode("26310020FFFFFFFF", pb, 8);
		assert_memory_equal(v, pb, 8);
	}
	/* no clear key in the text */
	hex_encode(want, 16, hex);
	for (int i = 0; i < 3; i++) {
		char spaced[64];
		unsigned char k[16];

		assert_int_equal(cp_sm4_diversify(ssse[i], (const unsigned char *)"00001234", k),
				 0);
		for (int j = 0; j < 16; j++)
			snprintf(spaced + 3 * j, 4, "%02X ", k[j]);
		spaced[47] = '\0';
		assert_null(strstr((char *)b.data, spaced));
	}
	perso_script_free(s);
	buf_release(&b);
}

static void
test_transport_factor(void **state)
{
	unsigned char f[8], want[8];

	hex_decode("0000000000012348", want, 8);
	assert_int_equal(chip_transport_factor("1000", "3110000000000012348", f), 0);
	assert_memory_equal(f, want, 8);
	/* no number, a wrong check digit, another city's number, a bad city code */
	assert_int_equal(chip_transport_factor("1000", "", f), CP_ERR_INVALID);
	assert_int_equal(chip_transport_factor("1000", "3110000000000012347", f), CP_ERR_INVALID);
	assert_non_null(strstr(cp_errmsg(), "Luhn"));
	assert_int_equal(chip_transport_factor("2900", "3110000000000012348", f), CP_ERR_INVALID);
	assert_non_null(strstr(cp_errmsg(), "city code 1000"));
	assert_int_equal(chip_transport_factor("10A0", "3110000000000012348", f), CP_ERR_CONFIG);
}

static void
test_script_3des(void **state)
{
	check_card(CP_ALG_TDES);
}

static void
test_script_sm4(void **state)
{
	check_card(CP_ALG_SM4);
}

static void
test_long_name(void **state)
{
	unsigned char first[30], ext[60];
	size_t fl, el;

	/* 20 Han characters = 40 bytes: 30 in record 2, 10 in the extension */
	assert_int_equal(
		chip_name_gb("阿卜杜热合曼买买提艾力阿卜杜热合曼买买提", first, &fl, ext, &el), 0);
	assert_int_equal(fl, 30);
	assert_int_equal(el, 10);
	/* a name cut inside a character moves the whole character to the extension */
	assert_int_equal(chip_name_gb("AB阿卜杜热合曼买买提艾力阿卜杜热", first, &fl, ext, &el), 0);
	assert_int_equal(fl, 30);
	assert_int_equal(chip_name_gb("Ab阿卜杜热合曼买买提艾力阿卜杜热合曼", first, &fl, ext, &el),
			 0);
	assert_int_equal(fl, 30);
	assert_int_equal(el, 6);
	/* 4-byte GB18030 character (U+20000) kept whole */
	assert_int_equal(chip_name_gb("𠀀", first, &fl, ext, &el), 0);
	assert_int_equal(fl, 4);
	assert_int_equal(chip_name_gb("", first, &fl, ext, &el), CP_ERR_INVALID);
	{
		char big[400] = "";

		for (int i = 0; i < 50; i++)
			strcat(big, "阿");
		assert_int_equal(chip_name_gb(big, first, &fl, ext, &el), CP_ERR_INVALID);
	}
}

static void
test_bad_card(void **state)
{
	struct perso_card c;
	struct perso_masters m;
	struct perso_params p;
	struct buf b = BUF_INIT(1 << 20);

	sample(&c, &m, &p, CP_ALG_TDES);
	snprintf(c.pan, sizeof(c.pan), "62122600ABC");
	assert_true(perso_script_build(&c, &m, &p, &b) < 0);
	assert_int_equal(b.len, 0);
	sample(&c, &m, &p, CP_ALG_TDES);
	snprintf(c.birth_date, sizeof(c.birth_date), "1949-13-31");
	assert_int_equal(perso_script_build(&c, &m, &p, &b), CP_ERR_INVALID);
	assert_non_null(strstr(cp_errmsg(), "B00001234"));
	sample(&c, &m, &p, CP_ALG_TDES);
	snprintf(c.sex, sizeof(c.sex), "M");
	assert_int_equal(perso_script_build(&c, &m, &p, &b), CP_ERR_INVALID);
	buf_release(&b);
}

static void
test_script_parse_errors(void **state)
{
	struct perso_card c;
	struct perso_masters m;
	struct perso_params p;
	struct perso_script *s = NULL;
	struct buf b = BUF_INIT(1 << 20);
	char *t;

	sample(&c, &m, &p, CP_ALG_TDES);
	assert_int_equal(perso_script_build(&c, &m, &p, &b), 0);
	t = strstr((char *)b.data, "label=EF06_REC_4");
	/* a changed byte: the end line's hash catches it */
	{
		char *rec = strstr((char *)b.data, "00 DC 04 04 03 0A 01 31");

		assert_non_null(rec);
		rec[22] = '2';
		assert_int_equal(perso_script_parse((char *)b.data, b.len, "x", &s),
				 CP_ERR_INTEGRITY);
		rec[22] = '1';
	}
	/* truncated: no end line */
	assert_int_equal(perso_script_parse((char *)b.data, (size_t)(t - (char *)b.data), "x", &s),
			 CP_ERR_INTEGRITY);
	assert_int_equal(perso_script_parse("00 A4 04\n", 9, "y", &s), CP_ERR_FORMAT);
	assert_int_equal(perso_script_parse("00 A4 04 00 05 01\n", 18, "y", &s), CP_ERR_FORMAT);
	assert_non_null(strstr(cp_errmsg(), "y:1"));
	assert_int_equal(perso_script_parse("80 E2 00 00 03 01 02 03 sens=0:16\n", 34, "y", &s),
			 CP_ERR_FORMAT);
	assert_int_equal(perso_script_parse("zz\n", 3, "y", &s), CP_ERR_FORMAT);
	/* an APDU over 261 bytes is a malformed perso script (the encoder's plain script: a limit) */
	{
		char long_line[2 * 262 + 2];

		memset(long_line, 'A', 2 * 262);
		memcpy(long_line + 2 * 262, "\n", 2);
		assert_int_equal(perso_script_parse(long_line, strlen(long_line), "y", &s),
				 CP_ERR_FORMAT);
		assert_non_null(strstr(cp_errmsg(), "y:1: APDU longer than 261 bytes"));
	}
	/* a negative offset: strtoul made it huge, and offset + length wrapped inside the data */
	{
		static const char neg[] =
			"80 E2 00 00 10 00112233445566778899AABBCCDDEEFF sens=-1:16\n";

		assert_int_equal(perso_script_parse(neg, sizeof(neg) - 1, "y", &s), CP_ERR_FORMAT);
		assert_non_null(strstr(cp_errmsg(), "y:1: sens: expected OFFSET:LENGTH"));
	}
	/* the plain scripts' field names, now one grammar */
	assert_int_equal(perso_script_parse("00A4040000 colour=red\n", 22, "y", &s), CP_ERR_FORMAT);
	assert_non_null(strstr(cp_errmsg(), "y:1: unknown field 'colour'"));
	buf_release(&b);
}

/* Random damage to a valid script and a valid batch: every outcome is a clean error or a
 * clean parse, never a crash (run under ASan/UBSan too). */
static void
test_mutations(void **state)
{
	struct perso_card c;
	struct perso_masters m;
	struct perso_params p;
	struct buf b = BUF_INIT(1 << 20);
	struct perso_script *s = NULL;
	unsigned seed = 12345;
	char *copy;

	sample(&c, &m, &p, CP_ALG_TDES);
	assert_int_equal(perso_script_build(&c, &m, &p, &b), 0);
	copy = malloc(b.len);
	for (int i = 0; i < 3000; i++) {
		size_t len = b.len;

		memcpy(copy, b.data, b.len);
		for (int k = 0; k < 1 + i % 4; k++) {
			seed = seed * 1103515245u + 12345u;
			copy[(seed >> 8) % len] = (char)(seed >> 3);
		}
		if (i % 7 == 0)
			len = (seed >> 4) % b.len;
		if (perso_script_parse(copy, len, "fuzz", &s) == 0) {
			assert_true(perso_script_count(s) > 0);
			perso_script_free(s);
		} else
			assert_true(cp_errmsg()[0] != '\0');
	}
	free(copy);
	buf_release(&b);
}

static void
test_batch(void **state)
{
	struct perso_card c;
	struct perso_masters m;
	struct perso_params p;
	struct perso_batch_writer *w = NULL;
	struct perso_batch *bt = NULL;
	const struct perso_script *s;
	struct buf b = BUF_INIT(1 << 20);
	char path[] = "/tmp/test_chip_batchXXXXXX", sha[65], fsha[65], name[64], kcv[7];
	unsigned char *data;
	size_t len;
	int fd = mkstemp(path), line;
	unsigned char wrong[32];

	assert_true(fd >= 0);
	close(fd);
	sample(&c, &m, &p, CP_ALG_TDES);
	assert_int_equal(perso_batch_writer_new(1, tk, m.tk_name, m.tk_kcv, &w), 0);
	for (int i = 0; i < 5; i++) {
		snprintf(c.card_no, sizeof(c.card_no), "B0000123%d", i);
		buf_reset(&b);
		assert_int_equal(perso_script_build(&c, &m, &p, &b), 0);
		assert_int_equal(perso_batch_writer_add(w, c.card_no, b.data, b.len, sha), 0);
	}
	assert_int_equal(perso_batch_writer_commit(w, "L1-000001", path, fsha), 0);
	perso_batch_writer_free(w);
	assert_int_equal(perso_batch_peek(path, &line, name, kcv), 0);
	assert_int_equal(line, 1);
	assert_string_equal(name, "line.1.transport");
	assert_int_equal(perso_batch_open(path, tk, &bt), 0);
	assert_int_equal(perso_batch_count(bt), 5);
	assert_string_equal(perso_batch_id(bt), "L1-000001");
	assert_int_equal(perso_batch_find(bt, "B00001233", &s), 0);
	assert_string_equal(perso_script_card_no(s), "B00001233");
	assert_int_equal(perso_batch_find(bt, "B99999999", &s), CP_ERR_NOTFOUND);
	perso_batch_free(bt);
	/* the personal data is not in the file in the clear */
	assert_int_equal(fs_read_file(path, 1 << 24, &data, &len), 0);
	assert_null(memmem(data, len, "B00001233", 9));
	assert_null(memmem(data, len, "\xD5\xC5\xC8\xFD", 4));
	/* wrong key */
	memcpy(wrong, tk, 32);
	wrong[0] ^= 1;
	assert_int_equal(perso_batch_open(path, wrong, &bt), CP_ERR_INTEGRITY);
	/* one changed byte */
	data[len / 2] ^= 0x01;
	assert_int_equal(fs_write_atomic(path, data, len, 0600), 0);
	assert_int_equal(perso_batch_open(path, tk, &bt), CP_ERR_INTEGRITY);
	assert_non_null(strstr(cp_errmsg(), "changed or truncated"));
	data[len / 2] ^= 0x01;
	/* truncated */
	assert_int_equal(fs_write_atomic(path, data, len - 100, 0600), 0);
	assert_int_equal(perso_batch_open(path, tk, &bt), CP_ERR_INTEGRITY);
	/* header edited (another line) */
	data[strlen("cardpipe-perso-batch 1 line=")] = '2';
	assert_int_equal(fs_write_atomic(path, data, len, 0600), 0);
	assert_int_equal(perso_batch_open(path, tk, &bt), CP_ERR_INTEGRITY);
	/* not a batch */
	assert_int_equal(fs_write_atomic(path, "hello\n", 6, 0600), 0);
	assert_int_equal(perso_batch_open(path, tk, &bt), CP_ERR_FORMAT);
	free(data);
	unlink(path);
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transport_factor),
		cmocka_unit_test(test_script_3des),
		cmocka_unit_test(test_script_sm4),
		cmocka_unit_test(test_long_name),
		cmocka_unit_test(test_bad_card),
		cmocka_unit_test(test_script_parse_errors),
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_mutations),
	};

	int r = cmocka_run_group_tests(tests, NULL, NULL);

	emv_fixture_release();
	return r;
}
