/*
 * test_encoder.c - the encoder's pieces that need no reader: plain APDU scripts
 * (apdu_script.h: hex, sw=, sens=, label=, every malformed line named with its line), the
 * outcome names, and a clear error when there is no pcscd. The encoder against a chip runs
 * in tests/integration/t4101 and t4102 (real pcscd, vpcd and the virtual card).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/err.h"
#include "printer/encoder/apdu_script.h"
#include "core/fsutil.h"
#include "personalization/chip/chip_profile.h"
#include "printer/encoder/encoder.h"
#include "pipeline/stages/produce.h"

#include <stdlib.h>
#include <string.h>

static void
test_script_parse(void **state)
{
	static const char text[] =
		"#@ format 1\n"
		"# a comment\n"
		"\n"
		"80 E6 20 00 0E 00 00 08 A0 00 00 03 33 01 01 01 00 00 00  label=PBOC_INSTALL\n"
		"80E2280113 8000 10 00112233445566778899AABBCCDDEEFF sens=3:16 sw=9000,6A88\r\n"
		"00A4040000   # trailing comment\n";
	struct apdu_script *s;
	struct encoder_script it;
	struct encoder_cmd c;

	(void)state;
	assert_int_equal(apdu_script_parse(text, "t", &s), 0);
	it = apdu_script_iter(s);
	assert_int_equal(it.next(it.ctx, &c), 1);
	assert_int_equal(c.len, 19);
	assert_int_equal(c.apdu[1], 0xE6);
	assert_string_equal(c.label, "PBOC_INSTALL");
	assert_int_equal(c.n_sw, 0);
	assert_int_equal(it.next(it.ctx, &c), 1);
	assert_int_equal(c.sens_off, 3);
	assert_int_equal(c.sens_len, 16);
	assert_int_equal(c.n_sw, 2);
	assert_int_equal(c.sw[1], 0x6A88);
	assert_null(c.label);
	assert_int_equal(it.next(it.ctx, &c), 1);
	assert_int_equal(c.len, 5);
	assert_int_equal(it.next(it.ctx, &c), 0);
	/* The iterator starts over. */
	it = apdu_script_iter(s);
	assert_int_equal(it.next(it.ctx, &c), 1);
	assert_int_equal(c.len, 19);
	apdu_script_free(s);
}

static void
test_script_errors(void **state)
{
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{"00A4\n", "t:1: an APDU has at least 4 bytes"},
		{"\n00A40400 zz\n", "t:2: APDU"},
		{"00A4040000 sw=90\n", "t:1: sw '90'"},
		{"00A4040000 sw=9000,9001,9002,9003,9004\n", "t:1: sw '9004'"},
		{"00A4040000 sens=1\n", "t:1: sens: expected OFFSET:LENGTH"},
		{"00A4040002A000 sens=1:16\n", "t:1: sens range outside the data field"},
		{"00A4040000 colour=red\n", "t:1: unknown field 'colour'"},
		/* the perso-script line checks, which the plain script shares (script_line.h) */
		{"00A4040005A000\n", "t:1: APDU of 7 bytes does not match Lc 5"},
		{"00A4040000A0\n", "t:1: Lc 00 (extended APDUs are not used)"},
		{"00:A4:04:00\n", "t:1: APDU: ':' is not a hex digit"},
		{"00A4040\n", "t:1: APDU: odd number of hex digits"},
		{"00A40400 label=x 00\n", "t:1: expected key=value after the APDU"},
		{"00A4040000 sw=\n", "t:1: expected key=value after the APDU"},
		{"00A4040000 sw=0x90\n", "t:1: sw '0x90'"},
		{"80E2000010 00112233445566778899AABBCCDDEEFF sens=0:8\n",
		 "t:1: sens=0:8: not whole blocks of 16 bytes"},
		{"80E2000004 00112233 sens=0:16\n", "t:1: sens range outside the data field"},
		{"00A4040000 sens=+0:16\n", "t:1: sens: expected OFFSET:LENGTH"},
		/* strtoul took -1 as a huge offset, whose sum with the length wrapped inside */
		{"80E2000010 00112233445566778899AABBCCDDEEFF sens=-1:16\n",
		 "t:1: sens: expected OFFSET:LENGTH"},
	};
	struct apdu_script *s;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_true(apdu_script_parse(bad[i].text, "t", &s) < 0);
		assert_null(s);
		if (!strstr(cp_errmsg(), bad[i].msg))
			fail_msg("'%s': got '%s', want '%s'", bad[i].text, cp_errmsg(), bad[i].msg);
	}
	assert_true(apdu_script_load("/nonexistent/script.txt", &s) < 0);
}

/* An APDU over 261 bytes is a limit, not a format error: pcsc-encode exits 3, not 2. */
static void
test_script_too_long(void **state)
{
	char text[2 * 262 + 2];
	struct apdu_script *s;

	(void)state;
	/* 261 bytes: header, Lc FF, 255 data bytes, Le */
	memset(text, 'A', 2 * 261);
	memcpy(text, "00DA0000FF", 10);
	memcpy(text + 2 * 261, "\n", 2);
	assert_int_equal(apdu_script_parse(text, "t", &s), 0);
	apdu_script_free(s);
	memset(text, 'A', 2 * 262);
	memcpy(text + 2 * 262, "\n", 2);
	assert_int_equal(apdu_script_parse(text, "t", &s), CP_ERR_LIMIT);
	assert_null(s);
	assert_non_null(strstr(cp_errmsg(), "t:1: APDU longer than 261 bytes"));
}

static void
test_outcome_names(void **state)
{
	(void)state;
	assert_string_equal(encoder_outcome_name(ENCODER_OK), "ok");
	assert_string_equal(encoder_outcome_name(ENCODER_NO_CARD), "no-card");
	assert_string_equal(encoder_outcome_name(ENCODER_CHIP_FAULT), "chip");
	assert_string_equal(encoder_outcome_name(ENCODER_PULLED), "pulled");
	assert_string_equal(encoder_outcome_name(ENCODER_MISMATCH), "mismatch");
	assert_string_equal(encoder_outcome_name(ENCODER_AUTH_FAILED), "auth");
	assert_string_equal(encoder_outcome_name(ENCODER_LOCKED), "locked");
	assert_string_equal(encoder_outcome_name(ENCODER_READER), "reader");
	assert_string_equal(encoder_outcome_name(ENCODER_BAD_SCRIPT), "script");
	assert_string_equal(encoder_outcome_name(ENCODER_LOCK_FAILED), "lock-failed");
	/* the chip's faults are the card's; the reader's and the script's are the line's */
	assert_int_equal(encoder_outcome_fault(ENCODER_OK), ENCODER_FAULT_NONE);
	assert_int_equal(encoder_outcome_fault(ENCODER_NO_CARD), ENCODER_FAULT_CARD);
	assert_int_equal(encoder_outcome_fault(ENCODER_CHIP_FAULT), ENCODER_FAULT_CARD);
	assert_int_equal(encoder_outcome_fault(ENCODER_PULLED), ENCODER_FAULT_CARD);
	assert_int_equal(encoder_outcome_fault(ENCODER_MISMATCH), ENCODER_FAULT_CARD);
	assert_int_equal(encoder_outcome_fault(ENCODER_AUTH_FAILED), ENCODER_FAULT_CARD);
	assert_int_equal(encoder_outcome_fault(ENCODER_LOCKED), ENCODER_FAULT_CARD);
	assert_int_equal(encoder_outcome_fault(ENCODER_READER), ENCODER_FAULT_LINE);
	assert_int_equal(encoder_outcome_fault(ENCODER_BAD_SCRIPT), ENCODER_FAULT_LINE);
	assert_int_equal(encoder_outcome_fault(ENCODER_UNKNOWN_STOCK), ENCODER_FAULT_CARD);
	assert_string_equal(encoder_outcome_name(ENCODER_UNKNOWN_STOCK), "stock");
	/* a key version the chip lacks, a KMC that cannot give the stock's keys: the line's
	 * set-up, which every blank of the batch would meet (issue #12) */
	assert_string_equal(encoder_outcome_name(ENCODER_CONFIG), "config");
	assert_int_equal(encoder_outcome_fault(ENCODER_CONFIG), ENCODER_FAULT_LINE);
}

/* produce picks each card's stock by its ATR; an ATR no profile knows is a specific error
 * naming the ATR and the stocks the line knows (the card is never driven by guessing). */
static void
test_pick_stock(void **state)
{
	static const unsigned char s03[] = {0x3B, 0xE8, 0x00, 0x00, 0x81, 0x31, 0xFE, 0x45, 'C',
					    'P',  'V',	'C',  '-',  'S',  '0',	'3',  0x98};
	static const unsigned char s02[] = {0x3B, 0x68, 0x00, 0x00, 'C', 'P',
					    'V',  'C',	'-',  'S',  '0', '2'};
	static const unsigned char old[] = {0x3B, 0x8C, 0x80, 0x01, 'C', 'P', 'V', 'C'};
	const struct chip_profile *p = NULL;
	struct chip_profiles set;
	char tried[256], *dir = fs_find_data("chip-profiles", tried, sizeof tried);

	(void)state;
	assert_non_null(dir);
	assert_int_equal(chip_profiles_load_dir(dir, &set), 0);
	assert_int_equal(produce_pick_stock(&set, s03, sizeof s03, &p), 0);
	assert_string_equal(p->name, "cpvc-s03");
	assert_int_equal(p->scp, CHIP_SCP03);
	assert_int_equal(produce_pick_stock(&set, s02, sizeof s02, &p), 0);
	assert_string_equal(p->name, "cpvc-s02");
	assert_int_equal(p->scp, CHIP_SCP02);
	assert_int_equal(produce_pick_stock(&set, old, sizeof old, &p), CP_ERR_UNSUPPORTED);
	assert_null(p);
	assert_non_null(strstr(cp_errmsg(), "ATR 3B8C800143505643 matches no chip profile "
					    "(this line knows cpvc-s02, cpvc-s03)"));
	assert_int_equal(produce_pick_stock(&set, s02, sizeof s02 - 1, &p), CP_ERR_UNSUPPORTED);
	chip_profiles_release(&set);
	free(dir);
}

static void
test_no_pcscd(void **state)
{
	struct encoder *e = (struct encoder *)1;

	(void)state;
	/* A socket nobody listens on: the client library cannot reach a pcscd. */
	setenv("PCSCLITE_CSOCK_NAME", "/nonexistent/cardpipe-test/pcscd.comm", 1);
	assert_int_equal(encoder_open("Virtual PCD", 100, &e), CP_ERR_DEVICE);
	assert_null(e);
	assert_non_null(strstr(cp_errmsg(), "is pcscd running?"));
	assert_int_equal(encoder_open("", 100, &e), CP_ERR_CONFIG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_script_parse),	cmocka_unit_test(test_script_errors),
		cmocka_unit_test(test_script_too_long), cmocka_unit_test(test_outcome_names),
		cmocka_unit_test(test_pick_stock),	cmocka_unit_test(test_no_pcscd),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
