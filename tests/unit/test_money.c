/* test_money.c - amounts in fen (rules/money.h): the transport balances of issue 15. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "pipeline/rules/money.h"

#define MAX 100000LL /* reconcile.max_refund_fen's default: 1000 yuan */

static void
test_plain_amounts_parse(void **state)
{
	long long v = -1;

	assert_int_equal(money_parse_fen("0", MAX, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(money_parse_fen("1250", MAX, &v), 0);
	assert_int_equal(v, 1250);
	assert_int_equal(money_parse_fen("100000", MAX, &v), 0); /* the maximum itself */
	assert_int_equal(v, 100000);
	assert_int_equal(money_parse_fen("000042", MAX, &v), 0);
	assert_int_equal(v, 42);
}

/* Each of these became something else under strtoll: a refund, or 0 listed as due. */
static void
test_garbage_is_not_an_amount(void **state)
{
	static const char *const bad[] = {
		"abc",	"0x10", "12.5", "12,5", "-5",	"+5",  " 5",  "5 ",  "1e3",  "",
		"5fen", "¥5",	"１２", "5\n",	"0X1F", "NaN", "inf", "--1", "=1+1",
	};
	long long v;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 77;
		if (money_parse_fen(bad[i], MAX, &v) != CP_ERR_FORMAT)
			fail_msg("'%s' was taken as an amount", bad[i]);
		assert_int_equal(v, 0);
		assert_true(cp_errmsg()[0] != '\0');
	}
	assert_int_equal(money_parse_fen(NULL, MAX, &v), CP_ERR_FORMAT);
}

static void
test_fraction_message_says_whole_fen(void **state)
{
	long long v;

	assert_int_equal(money_parse_fen("12.5", MAX, &v), CP_ERR_FORMAT);
	assert_non_null(strstr(cp_errmsg(), "whole fen"));
}

static void
test_above_maximum_refused(void **state)
{
	long long v = 5;

	assert_int_equal(money_parse_fen("100001", MAX, &v), CP_ERR_LIMIT);
	assert_int_equal(v, 0);
	assert_non_null(strstr(cp_errmsg(), "100000"));
	/* the refund of 9.2 x 10^16 yuan */
	assert_int_equal(money_parse_fen("9223372036854775807", MAX, &v), CP_ERR_LIMIT);
	assert_int_equal(money_parse_fen("9223372036854775808", LLONG_MAX, &v), CP_ERR_LIMIT);
	assert_int_equal(money_parse_fen("99999999999999999999999999", LLONG_MAX, &v),
			 CP_ERR_LIMIT);
	assert_int_equal(money_parse_fen("5", -1, &v), CP_ERR_LIMIT);
}

static void
test_eighteen_digits_is_the_longest(void **state)
{
	long long v;

	assert_int_equal(money_parse_fen("999999999999999999", LLONG_MAX, &v), 0);
	assert_true(v == 999999999999999999LL);
	assert_int_equal(money_parse_fen("0000000000000000001", LLONG_MAX, &v), CP_ERR_LIMIT);
}

static void
test_message_quotes_hostile_value_safely(void **state)
{
	char big[200];
	long long v;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(money_parse_fen(big, MAX, &v), CP_ERR_FORMAT);
	assert_true(strlen(cp_errmsg()) < 120);
	assert_int_equal(money_parse_fen("1\r\n2", MAX, &v), CP_ERR_FORMAT);
	assert_null(strchr(cp_errmsg(), '\n'));
	assert_non_null(strstr(cp_errmsg(), "\\x0D"));
}

/* Three maxima summed to a negative totalFen. */
static void
test_add_refuses_overflow(void **state)
{
	long long s = 0;

	assert_int_equal(money_add(1, 2, &s), 0);
	assert_int_equal(s, 3);
	assert_int_equal(money_add(LLONG_MAX - 1, 1, &s), 0);
	assert_true(s == LLONG_MAX);
	s = 7;
	assert_int_equal(money_add(LLONG_MAX, 1, &s), CP_ERR_LIMIT);
	assert_int_equal(money_add(LLONG_MAX, LLONG_MAX, &s), CP_ERR_LIMIT);
	assert_int_equal(money_add(-1, 1, &s), CP_ERR_LIMIT);
	assert_int_equal(money_add(1, LLONG_MIN, &s), CP_ERR_LIMIT);
	assert_int_equal(s, 7);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_amounts_parse),
		cmocka_unit_test(test_garbage_is_not_an_amount),
		cmocka_unit_test(test_fraction_message_says_whole_fen),
		cmocka_unit_test(test_above_maximum_refused),
		cmocka_unit_test(test_eighteen_digits_is_the_longest),
		cmocka_unit_test(test_message_quotes_hostile_value_safely),
		cmocka_unit_test(test_add_refuses_overflow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
