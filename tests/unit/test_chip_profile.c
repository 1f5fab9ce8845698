/*
 * test_chip_profile.c - chip profiles: the shipped stocks load and say what their files
 * say; every malformed profile is refused with its file, line, key and reason; ATRs are
 * checked (TCK, length, protocols) and matched under their mask; overlapping stocks refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/err.h"
#include "core/fsutil.h"
#include "core/hex.h"
#include "personalization/chip/chip_profile.h"
#include "hex_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char good[] = "[stock]\n"
			   "description = test stock\n"
			   "atr = 3B 68 00 00 43 50 56 43 2D 53 30 32\n"
			   "[isd]\n"
			   "aid = A000000003000000\n"
			   "kvn = 20\n"
			   "kmc_key = kmc-emv\n"
			   "diversification = emv\n"
			   "[secure_channel]\n"
			   "scp = 02\n"
			   "i = 15\n"
			   "security_level = 03\n"
			   "[store_data]\n"
			   "encryption = explicit\n"
			   "block_numbering = continuous\n"
			   "[applications]\n"
			   "pboc = A000000333010101\n"
			   "[lifecycle]\n"
			   "applications = personalized\n"
			   "card = secured\n";

/* EMV Level 1 (Book 1 8.3): the shipped stocks' ATRs, the built-in default's, and the
 * combinations a terminal refuses. */
static void
test_atr_emv(void **state)
{
	static const char *const bad[] = {
		"3BE8000080 31FE45 435056432D533033 99", /* T=0 then T=1: TD2 protocol invalid */
		"3B E8 00 00 81 31 FE 45 43 50 56 43 2D 53 30 33 99", /* TCK */
		"3B 68 25 00 43 50 56 43 2D 53 30 32",		      /* TB1 */
		"3B 68 00 11 43 50 56 43 2D 53 30 32",		      /* TC1 */
		"3B E8 00 00 81 31 FE 65 43 50 56 43 2D 53 30 33 B8", /* BWI 6 */
		"3B 88 01 43 50 56 43 2D 53 30 33 F2",		      /* T=1 without TD2 */
		"3B 88 80 01 43 50 56 43 2D 53 30 33 72", /* the PC/SC contactless pseudo-ATR shape */
	};
	struct chip_profiles set;
	struct chip_profile def;
	unsigned char atr[40];
	char why[128], tried[256], *dir = fs_find_data("chip-profiles", tried, sizeof tried);
	int n;

	(void)state;
	assert_non_null(dir);
	assert_int_equal(chip_profiles_load_dir(dir, &set), 0);
	for (size_t i = 0; i < set.n; i++)
		assert_int_equal(
			chip_atr_emv_check(set.p[i]->atr, set.p[i]->atr_len, why, sizeof why), 0);
	chip_profile_default(&def);
	assert_int_equal(chip_atr_emv_check(def.atr, def.atr_len, why, sizeof why), 0);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char h[128];
		size_t k = 0;
		for (const char *p = bad[i]; *p; p++)
			if (*p != ' ')
				h[k++] = *p;
		h[k] = 0;
		n = hex_decode(h, atr, sizeof atr);
		assert_true(n > 0);
		/* a well-formed ATR (but for the TCK one) that EMV refuses */
		assert_int_equal(chip_atr_check(atr, (size_t)n, NULL, why, sizeof why) == 0,
				 i != 1);
		assert_int_equal(chip_atr_emv_check(atr, (size_t)n, why, sizeof why),
				 CP_ERR_FORMAT);
	}
	chip_profiles_release(&set);
	free(dir);
}

static void
test_shipped(void **state)
{
	struct chip_profiles set;
	const struct chip_profile *a, *b;
	unsigned char atr[40];
	size_t n;
	char tried[256], *dir = fs_find_data("chip-profiles", tried, sizeof tried);

	assert_non_null(dir);
	assert_int_equal(chip_profiles_load_dir(dir, &set), 0);
	assert_true(set.n >= 2);
	assert_non_null(a = chip_profiles_find(&set, "cpvc-s03"));
	assert_non_null(b = chip_profiles_find(&set, "cpvc-s02"));
	assert_int_equal(a->scp, CHIP_SCP03);
	assert_int_equal(a->div, CHIP_DIV_KDF3);
	assert_int_equal(a->i_param, 0x70);
	assert_int_equal(a->kvn, 0x30);
	assert_string_equal(a->kmc_key, "kmc");
	assert_int_equal(b->scp, CHIP_SCP02);
	assert_int_equal(b->div, CHIP_DIV_EMV);
	assert_int_equal(b->i_param, 0x15);
	assert_int_equal(b->store_enc, CHIP_STORE_ENC_EXPLICIT);
	assert_int_equal(b->store_blocks, CHIP_BLOCKS_CONTINUOUS);
	assert_int_equal(b->napps, 4); /* ssse, pboc, transport, pse */
	assert_int_equal(b->end_card_lc, 0x0F);
	/* the two are told apart by their ATRs, both valid EMV contact ATRs */
	n = hxn("3BE800008131FE45435056432D53303398", atr, sizeof atr);
	assert_ptr_equal(chip_profiles_match(&set, atr, n), a);
	n = hxn("3B6800004350564"
		"32D533032",
		atr, sizeof atr);
	assert_ptr_equal(chip_profiles_match(&set, atr, n), b);
	n = hxn("3B6800004350564"
		"32D533033",
		atr, sizeof atr);
	assert_null(chip_profiles_match(&set, atr, n));
	assert_null(chip_profiles_find(&set, "nope"));
	chip_profiles_release(&set);
	chip_profiles_release(&set); /* twice is harmless */
	free(dir);
}

static void
test_atr_check(void **state)
{
	static const struct {
		const char *hex;
		const char *why; /* NULL: valid */
		unsigned prot;
	} cases[] = {
		{"3BE800008131FE45435056432D53303398", NULL, 2},
		{"3B6800004350564"
		 "32D533032",
		 NULL, 1},
		{"3B00", NULL, 1},
		{"3BE800008131FE45435056432D53303399", "TCK 99 is wrong (expected 98)", 0},
		{"3BE800008131FE45435056432D533033", "make 17", 0},
		{"3B680000435056432D5330", "make 12", 0},
		{"3A00", "TS 3A", 0},
		{"3B", "2 to 33", 0},
		{"3B80", "ends inside", 0},
	};
	unsigned char atr[40];
	unsigned prot;
	char why[160];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t n = hxn(cases[i].hex, atr, sizeof atr);
		int r = chip_atr_check(atr, n, &prot, why, sizeof why);
		if (!cases[i].why) {
			assert_int_equal(r, 0);
			assert_int_equal(prot, cases[i].prot);
		} else {
			assert_int_equal(r, CP_ERR_FORMAT);
			if (!strstr(why, cases[i].why))
				fail_msg("case %zu: '%s' lacks '%s'", i, why, cases[i].why);
		}
	}
}

static void
test_good(void **state)
{
	struct chip_profile *p = NULL;
	unsigned char atr[40];
	size_t n;

	assert_int_equal(chip_profile_parse("/x/old-stock.ini", good, &p), 0);
	assert_string_equal(p->name, "old-stock");
	assert_string_equal(p->description, "test stock");
	assert_int_equal(p->isd_aid_len, 8);
	assert_int_equal(p->security_level, 3);
	assert_int_equal(p->end_app_lc, 0x0F);
	n = hxn("3B680000435056432D533032", atr, sizeof atr);
	assert_true(chip_profile_matches(p, atr, n));
	atr[5] ^= 1;
	assert_false(chip_profile_matches(p, atr, n));
	chip_profile_free(p);
	chip_profile_free(NULL);
}

/* Replace the line starting with `from` (or append `to` when from is NULL). */
static char *
edit(const char *from, const char *to)
{
	static char out[4096];
	const char *at = from ? strstr(good, from) : NULL;

	if (!from) {
		snprintf(out, sizeof out, "%s%s", good, to);
		return out;
	}
	assert_non_null(at);
	const char *eol = strchr(at, '\n') + 1;
	snprintf(out, sizeof out, "%.*s%s%s", (int)(at - good), good, to, eol);
	return out;
}

static void
test_malformed(void **state)
{
	static const struct {
		const char *from, *to, *want;
	} cases[] = {
		{"atr = ", "atr = 3B 68 00 00 43 50\n", "p.ini:3: [stock] atr: not a valid ATR"},
		{"atr = ", "atr = 3B6G\n", "p.ini:3: [stock] atr: '3B6G' is not 2 to 33 bytes"},
		{"atr = ", "", "p.ini: [stock] atr: missing"},
		{"atr = ", "atr = 3B00\natr = 3B00\n", "p.ini:4: [stock] atr: given twice"},
		{"atr = ", "atr = 3B00\natr_mask = FF\n",
		 "p.ini:4: [stock] atr_mask: 1 bytes, the ATR has 2"},
		{"aid = ", "aid = A000\n", "p.ini:5: [isd] aid: 'A000' is not an AID"},
		{"kvn = ", "kvn = 80\n", "p.ini:6: [isd] kvn: '80' is not a key version"},
		{"kvn = ", "kvn = 2\n", "[isd] kvn: '2'"},
		{"kmc_key = ", "kmc_key = a b\n",
		 "p.ini:7: [isd] kmc_key: 'a b' is not a key store name"},
		{"diversification = ", "diversification = visa3\n",
		 "p.ini:8: [isd] diversification: 'visa3' is not none, emv, visa2 or kdf3"},
		{"diversification = ", "diversification = kdf3\n",
		 "p.ini: [isd] diversification: kdf3 gives AES keys; SCP02 needs 3DES"},
		{"scp = ", "scp = 01\n", "p.ini:10: [secure_channel] scp: '01' is not 02 or 03"},
		{"i = ", "i = 1\n", "p.ini:11: [secure_channel] i: '1' is not one byte of hex"},
		{"i = ", "i = 55\n", "[secure_channel] i: 55: supported SCP02"},
		{"security_level = ", "security_level = 33\n",
		 "[secure_channel] security_level: 33: SCP02 personalisation needs 01 or 03"},
		{"scp = ", "scp = 03\n",
		 "[isd] diversification: emv gives 3DES keys; SCP03 needs AES"},
		{"encryption = ", "encryption = all\n",
		 "p.ini:14: [store_data] encryption: 'all' is not application or explicit"},
		{"block_numbering = ", "block_numbering = 1\n",
		 "p.ini:15: [store_data] block_numbering: '1'"},
		{"pboc = ", "pboc = A0\n", "p.ini:17: [applications] pboc: 'A0' is not an AID"},
		{"pboc = ", "pboc = A000000333010101\npboc = A000000333010102\n",
		 "p.ini:18: [applications] pboc: given twice"},
		{"pboc = ", "pboc = A000000333010101\nother = A000000333010101\n",
		 "p.ini:18: [applications] other: the AID of 'pboc' again"},
		{"pboc = ", "", "p.ini: [applications] *: no application listed"},
		{"applications = ", "applications = done\n",
		 "p.ini:19: [lifecycle] applications: 'done' is not personalized or none"},
		{"card = ", "card = locked\n", "p.ini:20: [lifecycle] card: 'locked'"},
		/* an issued card is SECURED: a stock cannot end it INITIALIZED */
		{"card = ", "card = initialized\n",
		 "p.ini:20: [lifecycle] card: 'initialized' is not secured or none"},
		{"card = ", "", "p.ini: [lifecycle] card: missing"},
		{"card = ", "card = secured\ncolour = red\n",
		 "p.ini:21: [lifecycle] colour: unknown key"},
		{NULL, "[extra]\nx = 1\n", "p.ini:22: [extra] x: unknown section [extra]"},
		{NULL, "just words\n", "p.ini:21: syntax error"},
		{"description = ", "description = x\n[stock\n", "p.ini:3: syntax error"},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct chip_profile *p = NULL;
		int r = chip_profile_parse("p.ini", edit(cases[i].from, cases[i].to), &p);
		if (r != CP_ERR_FORMAT)
			fail_msg("case %zu: r=%d (%s)", i, r, cp_errmsg());
		assert_null(p);
		if (!strstr(cp_errmsg(), cases[i].want))
			fail_msg("case %zu: '%s' lacks '%s'", i, cp_errmsg(), cases[i].want);
	}
	/* a key before the first section, a line too long, a bad file name */
	{
		struct chip_profile *p = NULL;
		char longline[400];
		assert_int_equal(chip_profile_parse("p.ini", "atr = 3B00\n", &p), CP_ERR_FORMAT);
		assert_non_null(strstr(cp_errmsg(), "p.ini:1: [] atr: a key before the first"));
		memset(longline, 'a', sizeof longline);
		memcpy(longline, "[stock]\ndescription = ", 22);
		longline[sizeof longline - 1] = '\0';
		assert_int_equal(chip_profile_parse("p.ini", longline, &p), CP_ERR_FORMAT);
		assert_non_null(strstr(cp_errmsg(), "p.ini:2: line longer than 198 bytes"));
		/* the first error in the file is the one reported, whoever found it */
		assert_int_equal(
			chip_profile_parse("p.ini", "[stock]\nnonsense\n[isd]\nkvn = 99\n", &p),
			CP_ERR_FORMAT);
		assert_non_null(strstr(cp_errmsg(), "p.ini:2: syntax error"));
		assert_int_equal(chip_profile_parse("p.ini", "[isd]\nkvn = 99\nnonsense\n", &p),
				 CP_ERR_FORMAT);
		assert_non_null(strstr(cp_errmsg(), "p.ini:2: [isd] kvn: '99'"));
		assert_int_equal(chip_profile_parse("/d/Bad Name.ini", good, &p), CP_ERR_FORMAT);
		assert_non_null(strstr(cp_errmsg(), "file name is its stock's name"));
	}
}

static void
write_file(const char *dir, const char *name, const char *text)
{
	char *p = fs_join(dir, name);

	assert_int_equal(fs_write_atomic(p, text, strlen(text), 0600), 0);
	free(p);
}

static void
test_dir(void **state)
{
	char dir[] = "/tmp/cp-chipprof-XXXXXX";
	struct chip_profiles set;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(chip_profiles_load_dir(dir, &set), CP_ERR_NOTFOUND);
	write_file(dir, "a.ini", good);
	write_file(dir, "notes.txt", "not a profile");
	assert_int_equal(chip_profiles_load_dir(dir, &set), 0);
	assert_int_equal(set.n, 1);
	chip_profiles_release(&set);
	/* the same ATR for a second stock: which stock is a card? refused */
	write_file(dir, "b.ini", good);
	assert_int_equal(chip_profiles_load_dir(dir, &set), CP_ERR_INVALID);
	assert_non_null(strstr(cp_errmsg(), "could match both 'a' and 'b'"));
	assert_int_equal(set.n, 0);
	/* a mask that ignores the last byte overlaps another stock's ATR too */
	write_file(dir, "b.ini",
		   edit("atr = ", "atr = 3B 68 00 00 43 50 56 43 2D 53 30 33\n"
				  "atr_mask = FFFFFFFFFFFFFFFFFFFFFF00\n"));
	assert_int_equal(chip_profiles_load_dir(dir, &set), CP_ERR_INVALID);
	write_file(dir, "b.ini", edit("atr = ", "atr = 3B 68 00 00 43 50 56 43 2D 53 30 33\n"));
	assert_int_equal(chip_profiles_load_dir(dir, &set), 0);
	assert_int_equal(set.n, 2);
	chip_profiles_release(&set);
	/* one bad file: the whole folder is refused, naming it */
	write_file(dir, "c.ini", "[stock]\natr = 3B\n");
	assert_int_equal(chip_profiles_load_dir(dir, &set), CP_ERR_FORMAT);
	assert_non_null(strstr(cp_errmsg(), "c.ini:2: [stock] atr"));
	for (const char *n = "a.ini\0b.ini\0c.ini\0notes.txt\0"; *n; n += strlen(n) + 1) {
		char *p = fs_join(dir, n);
		unlink(p);
		free(p);
	}
	rmdir(dir);
}

/* One derivation of a chip's static keys from the KMC, with the length of the KMC checked
 * per stock before any card (issue #12). */
static void
test_static_keys(void **state)
{
	static const unsigned char kdd[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
	unsigned char kmc[32], enc[32], mac[32], dek[32], enc2[32], mac2[32], dek2[32];
	struct chip_profile p;
	size_t kl = 0, kl2 = 0;

	(void)state;
	for (size_t i = 0; i < sizeof kmc; i++)
		kmc[i] = (unsigned char)(0x40 + i);
	chip_profile_default(&p); /* SCP03 kdf3 */
	assert_int_equal(chip_profile_check_kmc(&p, 16), 0);
	assert_int_equal(chip_profile_check_kmc(&p, 32), 0);
	assert_int_equal(chip_profile_check_kmc(&p, 20), CP_ERR_INVALID);
	assert_non_null(strstr(cp_errmsg(), "a KMC of 20 bytes cannot give its keys"));
	assert_int_equal(chip_profile_static_keys(&p, kmc, 16, kdd, enc, mac, dek, &kl), 0);
	assert_int_equal(kl, 16);
	assert_memory_not_equal(enc, mac, 16);
	p.scp = CHIP_SCP02;
	p.div = CHIP_DIV_EMV;
	assert_int_equal(chip_profile_check_kmc(&p, 16), 0);
	assert_int_equal(chip_profile_check_kmc(&p, 24), CP_ERR_INVALID);
	assert_non_null(strstr(cp_errmsg(), "emv needs a 2-key 3DES KMC"));
	assert_int_equal(chip_profile_static_keys(&p, kmc, 16, kdd, enc2, mac2, dek2, &kl2), 0);
	assert_int_equal(kl2, 16);
	assert_memory_not_equal(enc, enc2, 16);
	p.div = CHIP_DIV_NONE;
	assert_int_equal(chip_profile_check_kmc(&p, 32), CP_ERR_INVALID);
	assert_int_equal(chip_profile_static_keys(&p, kmc, 16, kdd, enc, mac, dek, &kl), 0);
	assert_memory_equal(enc, kmc, 16);
	assert_memory_equal(dek, kmc, 16);
	p.scp = CHIP_SCP03;
	assert_int_equal(chip_profile_static_keys(&p, kmc, 32, kdd, enc, mac, dek, &kl), 0);
	assert_int_equal(kl, 32);
	assert_int_equal(chip_profile_static_keys(&p, kmc, 8, kdd, enc, mac, dek, &kl),
			 CP_ERR_INVALID);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped),	    cmocka_unit_test(test_atr_check),
		cmocka_unit_test(test_atr_emv),	    cmocka_unit_test(test_good),
		cmocka_unit_test(test_malformed),   cmocka_unit_test(test_dir),
		cmocka_unit_test(test_static_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
