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
#include "printer/encoder/encoder.h"

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
	assert_int_equal(apdu_script_count(s), 3);
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
		cmocka_unit_test(test_script_parse),
		cmocka_unit_test(test_script_errors),
		cmocka_unit_test(test_outcome_names),
		cmocka_unit_test(test_no_pcscd),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
