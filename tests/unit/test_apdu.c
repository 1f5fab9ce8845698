/*
 * test_apdu.c - ISO 7816-4 short APDU parsing (formats/apdu.h): the four cases, every
 * length inconsistency with the status word a card answers, and the status-word texts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/err.h"
#include "formats/apdu.h"

#include <string.h>

static void
test_cases(void **state)
{
	static const unsigned char c1[] = {0x80, 0xF0, 0x80, 0x0F};
	static const unsigned char c2[] = {0x00, 0xB2, 0x01, 0x2C, 0x00};
	static const unsigned char c3[] = {0x00, 0xDC, 0x02, 0x04, 0x03, 0x02, 0x01, 0x33};
	static const unsigned char c4[] = {0x00, 0xA4, 0x04, 0x00, 0x02, 0xA0, 0x00, 0x10};
	struct apdu a;
	uint16_t sw;

	(void)state;
	assert_int_equal(apdu_parse(c1, sizeof c1, &a, &sw), 0);
	assert_int_equal(a.icase, 1);
	assert_int_equal(a.lc, 0);
	assert_false(a.has_le);
	assert_null(a.data);
	assert_int_equal(apdu_parse(c2, sizeof c2, &a, &sw), 0);
	assert_int_equal(a.icase, 2);
	assert_int_equal(a.le, 256); /* Le 00 = 256 */
	assert_int_equal(apdu_parse(c3, sizeof c3, &a, &sw), 0);
	assert_int_equal(a.icase, 3);
	assert_int_equal(a.lc, 3);
	assert_ptr_equal(a.data, c3 + 5);
	assert_int_equal(a.p1, 0x02);
	assert_int_equal(apdu_parse(c4, sizeof c4, &a, &sw), 0);
	assert_int_equal(a.icase, 4);
	assert_int_equal(a.lc, 2);
	assert_int_equal(a.le, 0x10);
	assert_int_equal(sw, SW_OK);
}

static void
test_malformed(void **state)
{
	static const struct {
		unsigned char b[8];
		size_t len;
		uint16_t sw;
	} bad[] = {
		{{0x00}, 0, SW_WRONG_LENGTH},
		{{0x00, 0xA4, 0x04}, 3, SW_WRONG_LENGTH},
		{{0x00, 0xA4, 0x04, 0x00, 0x05, 0xA0}, 6, SW_WRONG_LENGTH},	  /* Lc too big */
		{{0x00, 0xA4, 0x04, 0x00, 0x01, 0xA0, 0, 0}, 8, SW_WRONG_LENGTH}, /* too long */
		{{0x00, 0xA4, 0x04, 0x00, 0x00, 0x00, 0x01}, 7, SW_WRONG_LENGTH}, /* extended */
		{{0xFF, 0xA4, 0x04, 0x00}, 4, SW_CLA_NOT_SUPPORTED},
	};
	struct apdu a;
	uint16_t sw;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(apdu_parse(bad[i].b, bad[i].len, &a, &sw), CP_ERR_FORMAT);
		assert_int_equal(sw, bad[i].sw);
		assert_true(strlen(cp_errmsg()) > 0);
	}
}

/* apdu_split: the same length grammar for any class (the secure channels wrap CLA FF as
 * given; the card refuses it), the same errors for a bad length. */
static void
test_split(void **state)
{
	static const unsigned char ff[] = {0xFF, 0xA4, 0x04, 0x00, 0x02, 0x3F, 0x00, 0x00};
	static const unsigned char bad[] = {0x80, 0xE2, 0x00, 0x00, 0x05, 0xA0};
	struct apdu a;
	uint16_t sw;

	(void)state;
	assert_int_equal(apdu_split(ff, sizeof ff, &a, &sw), 0);
	assert_int_equal(a.cla, 0xFF);
	assert_int_equal(a.icase, 4);
	assert_int_equal(a.lc, 2);
	assert_int_equal(a.le, 256);
	assert_ptr_equal(a.data, ff + 5);
	assert_int_equal(apdu_parse(ff, sizeof ff, &a, &sw), CP_ERR_FORMAT);
	assert_int_equal(sw, SW_CLA_NOT_SUPPORTED);
	assert_int_equal(apdu_split(bad, sizeof bad, &a, &sw), CP_ERR_FORMAT);
	assert_int_equal(sw, SW_WRONG_LENGTH);
	assert_int_equal(apdu_split(ff, 3, &a, &sw), CP_ERR_FORMAT);
	assert_int_equal(sw, SW_WRONG_LENGTH);
}

static void
test_sw(void **state)
{
	static const unsigned char r[] = {0x01, 0x69, 0x85};

	(void)state;
	assert_int_equal(apdu_resp_sw(r, sizeof r), 0x6985);
	assert_int_equal(apdu_resp_sw(r, 1), 0);
	assert_string_equal(apdu_sw_text(0x6985), "6985 conditions of use not satisfied");
	assert_string_equal(apdu_sw_text(0x6A88), "6A88 referenced data not found");
	assert_string_equal(apdu_sw_text(0x6C12), "6Cxx wrong Le");
	assert_string_equal(apdu_sw_text(0x1234), "status word");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_sw),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
