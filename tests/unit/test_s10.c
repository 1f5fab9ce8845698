/* test_s10.c - UPU S10 tracking numbers: check digits against published and hand-worked
 * examples, formatting, and the one check digit each formatted number takes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/err.h"
#include "pipeline/rules/s10.h"
#include "number_checks.h"

#include <string.h>

static void
test_published_examples(void **state)
{
	/* Royal Mail's published example and the number quoted in UPU S10 explanations */
	assert_int_equal(s10_check_digit("47312482"), 9);
	assert_true(s10_well_formed("RR473124829GB"));
	assert_int_equal(s10_check_digit("12345678"), 5);
	assert_true(s10_well_formed("EE123456785CN"));
}

static void
test_special_remainders(void **state)
{
	/* sum 0: 11 - 0 = 11 -> 5 */
	assert_int_equal(s10_check_digit("00000000"), 5);
	/* 8 * 7 = 56, 56 mod 11 = 1: 11 - 1 = 10 -> 0 */
	assert_int_equal(s10_check_digit("00000008"), 0);
	/* 3 * 7 = 21, mod 11 = 10: check 1 */
	assert_int_equal(s10_check_digit("00000003"), 1);
	assert_int_equal(s10_check_digit("10000000"), 3);
}

static void
test_format(void **state)
{
	char out[S10_LEN + 1];

	assert_int_equal(s10_format("EK", 12345678, "CN", out, sizeof(out)), 0);
	assert_string_equal(out, "EK123456785CN");
	assert_int_equal(s10_format("RR", 8, "CN", out, sizeof(out)), 0);
	assert_string_equal(out, "RR000000080CN");
	assert_int_equal(s10_format("RR", 47312482, "GB", out, sizeof(out)), 0);
	assert_string_equal(out, "RR473124829GB");
	assert_int_equal(s10_format("ek", 1, "CN", out, sizeof(out)), CP_ERR_CONFIG);
	assert_int_equal(s10_format("EK", 1, "CHN", out, sizeof(out)), CP_ERR_CONFIG);
	assert_int_equal(s10_format("EK", 100000000L, "CN", out, sizeof(out)), CP_ERR_LIMIT);
	assert_int_equal(s10_format("EK", -1, "CN", out, sizeof(out)), CP_ERR_LIMIT);
}

static void
test_every_formatted_number_validates(void **state)
{
	char out[S10_LEN + 1];

	for (long s = 0; s < 200000; s += 7) {
		assert_int_equal(s10_format("EK", s, "CN", out, sizeof(out)), 0);
		assert_true(s10_well_formed(out));
		/* any other check digit is refused */
		char good = out[10];

		for (char d = '0'; d <= '9'; d++) {
			if (d == good)
				continue;
			out[10] = d;
			assert_false(s10_well_formed(out));
		}
	}
}

static void
test_malformed_serial(void **state)
{
	assert_int_equal(s10_check_digit("1234567"), CP_ERR_FORMAT);
	assert_int_equal(s10_check_digit("1234567a"), CP_ERR_FORMAT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_published_examples),
		cmocka_unit_test(test_special_remainders),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_every_formatted_number_validates),
		cmocka_unit_test(test_malformed_serial),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
