/* test_luhn.c - Luhn check digits of PANs (ISO/IEC 7812-1 Annex B, docs/domain-facts.md §7). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "formats/luhn.h"

static void
test_domain_example_is_valid(void **state)
{
	assert_true(luhn_valid("6123451234567893"));
	assert_int_equal(luhn_check_digit("612345123456789"), '3');
}

static void
test_known_vectors(void **state)
{
	assert_int_equal(luhn_check_digit("7992739871"), '3'); /* the classic 79927398713 */
	assert_true(luhn_valid("79927398713"));
	assert_false(luhn_valid("79927398710"));
	assert_int_equal(luhn_check_digit("0"), '0');
	assert_int_equal(luhn_check_digit("621226000000000001"), '8');
}

static void
test_every_single_digit_error_detected(void **state)
{
	char pan[20] = "621226000012345678";

	pan[18] = luhn_check_digit(pan);
	pan[19] = '\0';
	assert_true(luhn_valid(pan));
	for (int i = 0; i < 19; i++)
		for (char d = '0'; d <= '9'; d++) {
			char copy[20];

			if (d == pan[i])
				continue;
			memcpy(copy, pan, sizeof(copy));
			copy[i] = d;
			assert_false(luhn_valid(copy));
		}
}

static void
test_adjacent_transpositions_detected_except_09(void **state)
{
	char pan[20] = "621226001234567890";

	pan[18] = luhn_check_digit(pan);
	pan[19] = '\0';
	for (int i = 0; i + 1 < 19; i++) {
		char copy[20];

		if (pan[i] == pan[i + 1])
			continue;
		memcpy(copy, pan, sizeof(copy));
		copy[i] = pan[i + 1];
		copy[i + 1] = pan[i];
		if ((pan[i] == '0' && pan[i + 1] == '9') || (pan[i] == '9' && pan[i + 1] == '0'))
			continue; /* the known blind spot */
		assert_false(luhn_valid(copy));
	}
}

static void
test_bad_input_rejected(void **state)
{
	assert_int_equal(luhn_check_digit(""), 0);
	assert_int_equal(luhn_check_digit(NULL), 0);
	assert_int_equal(luhn_check_digit("12a4"), 0);
	assert_false(luhn_valid("1"));
	assert_false(luhn_valid("12 34"));
	assert_false(luhn_valid(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_domain_example_is_valid),
		cmocka_unit_test(test_known_vectors),
		cmocka_unit_test(test_every_single_digit_error_detected),
		cmocka_unit_test(test_adjacent_transpositions_detected_except_09),
		cmocka_unit_test(test_bad_input_rejected),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
