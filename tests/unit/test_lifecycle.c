/*
 * test_lifecycle.c - personalization/chip/lifecycle.h: SET STATUS transitions (coding
 * checks, the text form a chip profile uses, the APDU), the default end of
 * personalisation, and GET STATUS answers (E3 templates) as the virtual card gives them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/err.h"
#include "personalization/chip/lifecycle.h"

#include <string.h>

static void
test_parse_and_format(void **state)
{
	struct lc_transition t;
	unsigned char cmd[32];
	char text[48];

	(void)state;
	assert_int_equal(lc_transition_parse("40 0F A000000333010101", &t), 0);
	assert_int_equal(t.p1, 0x40);
	assert_int_equal(t.p2, 0x0F);
	assert_int_equal(t.aid_len, 8);
	lc_transition_format(&t, text, sizeof text);
	assert_string_equal(text, "40 0F A000000333010101");
	assert_int_equal(lc_set_status_apdu(&t, cmd), 13);
	assert_memory_equal(cmd, "\x80\xF0\x40\x0F\x08\xA0\x00\x00\x03\x33\x01\x01\x01", 13);
	assert_int_equal(lc_transition_parse("  80 0f ", &t), 0);
	assert_int_equal(t.aid_len, 0);
	assert_int_equal(lc_set_status_apdu(&t, cmd), 4);
	assert_memory_equal(cmd, "\x80\xF0\x80\x0F", 4);
	lc_transition_format(&t, text, sizeof text);
	assert_string_equal(text, "80 0F");
	assert_int_equal(lc_transition_parse("80 0F A000000151000000", &t), 0);
	assert_int_equal(lc_transition_parse("40 80 A000000632010105", &t), 0); /* lock */
	assert_int_equal(lc_transition_parse("40 1F A000000632010105", &t), 0);

	/* Every refusal names its reason. */
	assert_int_equal(lc_transition_parse("80 01", &t), CP_ERR_FORMAT); /* back to OP_READY */
	assert_non_null(strstr(cp_errmsg(), "transition '80 01': card state 01 is none of"));
	/* P1 80 ignores its data field (GPCS 11.10.2.3): any stock's ISD AID, of an AID's length */
	assert_int_equal(lc_transition_parse("80 0F A000000003000000", &t), 0);
	assert_int_equal(lc_transition_parse("80 0F A0000003", &t), CP_ERR_FORMAT);
	assert_non_null(strstr(cp_errmsg(), "an ISD AID of 5 to 16 bytes or none"));
	assert_int_equal(lc_transition_parse("40 0F", &t), CP_ERR_FORMAT);
	assert_non_null(strstr(cp_errmsg(), "needs an AID of 5 to 16 bytes"));
	assert_int_equal(lc_transition_parse("40 07 A000000333010101", &t), CP_ERR_FORMAT);
	assert_non_null(strstr(cp_errmsg(), "no application-specific state"));
	assert_int_equal(lc_transition_parse("40 0B A000000333010101", &t), CP_ERR_FORMAT);
	assert_int_equal(lc_transition_parse("20 0F A000000333010101", &t), CP_ERR_FORMAT);
	assert_non_null(strstr(cp_errmsg(), "P1 20 is none of"));
	assert_int_equal(lc_transition_parse("4 0F", &t), CP_ERR_FORMAT);
	assert_non_null(strstr(cp_errmsg(), "P1 is not one hex byte"));
	assert_int_equal(lc_transition_parse("40 0F0F A000000333010101", &t), CP_ERR_FORMAT);
	assert_non_null(strstr(cp_errmsg(), "P2 is not one hex byte"));
	assert_int_equal(lc_transition_parse("40 0F A0000003330101ZZ", &t), CP_ERR_FORMAT);
	assert_int_equal(lc_transition_parse("40 0F A000000333010101 x", &t), CP_ERR_FORMAT);
	assert_non_null(strstr(cp_errmsg(), "text after the AID"));
	assert_int_equal(lc_transition_parse("", &t), CP_ERR_FORMAT);
	assert_int_equal(lc_transition_parse("40 0F A00000033301010101010101010101010101", &t),
			 CP_ERR_FORMAT);
	assert_string_equal(lc_card_state_name(0x0F), "SECURED");
	assert_string_equal(lc_card_state_name(0x7F), "CARD_LOCKED");
	assert_null(lc_card_state_name(0x03));
}

static void
test_default_transitions(void **state)
{
	static const unsigned char aids[4][LC_AID_MAX] = {
		{0xA0, 0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x01},
		{0xA0, 0x00, 0x00, 0x06, 0x32, 0x01, 0x01, 0x05},
		{0xA0, 0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x01},
		{0x73, 0x78, 0x31, 0x2E, 0x73, 0x68, 0x2E, 0xC9, 0xE7, 0xBB, 0xE1, 0xB1, 0xA3, 0xD5,
		 0xCF}};
	static const size_t lens[4] = {8, 8, 8, 15};
	struct lc_transition t[LC_MAX_TRANSITIONS];

	(void)state;
	/* Each application once, in the script's order, to 0F; then the card SECURED. */
	assert_int_equal(lc_default_transitions(aids, lens, 4, t, LC_MAX_TRANSITIONS), 4);
	assert_int_equal(t[0].p1, LC_P1_APP);
	assert_int_equal(t[0].p2, LC_APP_PERSONALIZED);
	assert_memory_equal(t[1].aid, aids[1], 8);
	assert_int_equal(t[2].aid_len, 15);
	assert_int_equal(t[3].p1, LC_P1_ISD);
	assert_int_equal(t[3].p2, LC_CARD_SECURED);
	for (int i = 0; i < 4; i++)
		assert_int_equal(lc_transition_check(&t[i]), 0);
	/* Nothing personalised: the card alone. */
	assert_int_equal(lc_default_transitions(aids, lens, 0, t, LC_MAX_TRANSITIONS), 1);
	assert_int_equal(lc_default_transitions(aids, lens, 4, t, 3), CP_ERR_LIMIT);
	static const size_t bad[1] = {3};
	assert_int_equal(lc_default_transitions(aids, bad, 1, t, LC_MAX_TRANSITIONS),
			 CP_ERR_FORMAT);
}

static void
test_parse_status(void **state)
{
	/* The ISD, then one application with its associated SD (CC), as the card answers. */
	static const unsigned char ok[] = {
		0xE3, 0x13, 0x4F, 0x08, 0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00, 0x00, 0x9F,
		0x70, 0x01, 0x0F, 0xC5, 0x03, 0x9E, 0xFE, 0x80, 0xE3, 0x1D, 0x4F, 0x08, 0xA0,
		0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x01, 0x9F, 0x70, 0x01, 0x0F, 0xC5, 0x03,
		0x00, 0x00, 0x00, 0xCC, 0x08, 0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00, 0x00};
	static const unsigned char no_state[] = {0xE3, 0x06, 0x4F, 0x04, 0xA0, 0x00, 0x00, 0x01};
	static const unsigned char not_e3[] = {0x61, 0x03, 0x4F, 0x01, 0xA0};
	static const unsigned char truncated[] = {0xE3, 0x10, 0x4F, 0x08, 0xA0};
	struct lc_entry e[4];
	size_t n = 0;

	(void)state;
	assert_int_equal(lc_parse_status(ok, sizeof ok, e, 4, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(e[0].aid_len, 8);
	assert_int_equal(e[0].state, LC_CARD_SECURED);
	assert_memory_equal(e[0].privileges, "\x9E\xFE\x80", 3);
	assert_memory_equal(e[1].aid, "\xA0\x00\x00\x03\x33\x01\x01\x01", 8);
	assert_int_equal(e[1].state, LC_APP_PERSONALIZED);
	/* Pages append. */
	assert_int_equal(lc_parse_status(ok, sizeof ok, e, 4, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(lc_parse_status(ok, sizeof ok, e, 4, &n), CP_ERR_LIMIT);
	n = 0;
	assert_int_equal(lc_parse_status(no_state, sizeof no_state, e, 4, &n), CP_ERR_FORMAT);
	assert_non_null(strstr(cp_errmsg(), "without its life cycle (9F70)"));
	assert_int_equal(lc_parse_status(not_e3, sizeof not_e3, e, 4, &n), CP_ERR_FORMAT);
	assert_int_equal(lc_parse_status(truncated, sizeof truncated, e, 4, &n), CP_ERR_FORMAT);
	assert_int_equal(lc_parse_status(ok, 0, e, 4, &n), 0);
	assert_int_equal(n, 0);
}

/* The application-specific states, one test for the encoder's check and the virtual
 * card's SET STATUS (GPCS Table 11-4). */
static void
test_app_specific_state(void **state)
{
	(void)state;
	assert_true(lc_app_specific_state(LC_APP_PERSONALIZED));
	assert_true(lc_app_specific_state(0x1F));
	assert_true(lc_app_specific_state(0x7F));
	assert_false(lc_app_specific_state(LC_APP_SELECTABLE));
	assert_false(lc_app_specific_state(LC_APP_INSTALLED));
	assert_false(lc_app_specific_state(0x0B));
	assert_false(lc_app_specific_state(0x8F)); /* locked */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_and_format),
		cmocka_unit_test(test_default_transitions),
		cmocka_unit_test(test_parse_status),
		cmocka_unit_test(test_app_specific_state),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
