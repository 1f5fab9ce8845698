/* test_cardno.c - card numbers: prefix, 7-digit sequence, ISO/IEC 7064 MOD 37-36 check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "formats/cardno.h"
#include "formats/luhn.h"
#include "number_checks.h"

static const char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/* The check character by the standard's definition: the c that makes the hybrid
 * system's final value 1 (ISO/IEC 7064 clause on MOD 37,36), searched by brute force. */
static char
reference_check(const char *s)
{
	for (int c = 0; c < 36; c++) {
		int p = 36;
		char full[32];

		snprintf(full, sizeof(full), "%s%c", s, alphabet[c]);
		for (const char *q = full; *q; q++) {
			int v = strchr(alphabet, *q) - alphabet;

			p = (p + v) % 36;
			if (p == 0)
				p = 36;
			if (q[1])
				p = (p * 2) % 37;
		}
		if (p == 1)
			return alphabet[c];
	}
	return 0;
}

static void
test_format_is_prefix_seven_digits_check(void **state)
{
	char no[CARDNO_LEN + 1];

	assert_int_equal(cardno_format("B", 1, no), 0);
	assert_int_equal(strlen(no), 9);
	assert_memory_equal(no, "B0000001", 8);
	assert_int_equal(no[8], reference_check("B0000001"));
	assert_true(cardno_well_formed(no));
	assert_int_equal(cardno_format("B", CARDNO_SEQ_MAX, no), 0);
	assert_memory_equal(no, "B9999999", 8);
}

static void
test_check_matches_the_standard_definition(void **state)
{
	char no[CARDNO_LEN + 1];

	for (long seq = 1; seq < 3000; seq += 7) {
		assert_int_equal(cardno_format("Z", seq, no), 0);
		no[8] = '\0';
		assert_int_equal(cardno_check_char(no), reference_check(no));
	}
}

static void
test_single_substitutions_and_transpositions_detected(void **state)
{
	char no[CARDNO_LEN + 1], copy[CARDNO_LEN + 1];

	assert_int_equal(cardno_format("B", 1234567, no), 0);
	for (int i = 0; i < 9; i++)
		for (int c = 0; c < 36; c++) {
			if (alphabet[c] == no[i])
				continue;
			memcpy(copy, no, sizeof(copy));
			copy[i] = alphabet[c];
			assert_false(cardno_well_formed(copy));
		}
	for (int i = 0; i + 1 < 9; i++) {
		if (no[i] == no[i + 1])
			continue;
		memcpy(copy, no, sizeof(copy));
		copy[i] = no[i + 1];
		copy[i + 1] = no[i];
		assert_false(cardno_well_formed(copy));
	}
}

static void
test_bad_prefix_and_sequence_refused(void **state)
{
	char no[CARDNO_LEN + 1];

	assert_int_equal(cardno_format("b", 1, no), CP_ERR_INVALID);
	assert_int_equal(cardno_format("BB", 1, no), CP_ERR_INVALID);
	assert_int_equal(cardno_format("", 1, no), CP_ERR_INVALID);
	assert_int_equal(cardno_format("B", 0, no), CP_ERR_LIMIT);
	assert_int_equal(cardno_format("B", CARDNO_SEQ_MAX + 1, no), CP_ERR_LIMIT);
}

static void
test_transport_number(void **state)
{
	char t[TRANSPORT_NO_LEN + 1], u[TRANSPORT_NO_LEN + 1];

	(void)state;
	/* "31", the city code, 12 digits of sequence, Luhn */
	assert_int_equal(cardno_transport_format("1000", 1, t), 0);
	assert_string_equal(t, "3110000000000000012");
	assert_int_equal(cardno_transport_validate(t), 0);
	assert_true(luhn_valid(t));
	assert_int_equal(cardno_transport_format("1000", TRANSPORT_SEQ_MAX, t), 0);
	assert_string_equal(t, "3110009999999999996");
	/* distinct sequences give distinct numbers: the old "1000" + card number digits
	 * gave B0000001V and C0000001X the same one */
	assert_int_equal(cardno_transport_format("1000", 2, u), 0);
	assert_string_not_equal(t, u);
	assert_int_equal(cardno_transport_format("1000", 0, t), CP_ERR_LIMIT);
	assert_int_equal(cardno_transport_format("1000", TRANSPORT_SEQ_MAX + 1, t), CP_ERR_LIMIT);
	assert_int_equal(cardno_transport_format("100", 1, t), CP_ERR_CONFIG);
	assert_int_equal(cardno_transport_format("10a0", 1, t), CP_ERR_CONFIG);
	assert_int_equal(cardno_transport_validate("3110000000000000013"), CP_ERR_INVALID);
	assert_non_null(strstr(cp_errmsg(), "Luhn"));
	assert_int_equal(cardno_transport_validate("4110000000000000012"), CP_ERR_INVALID);
	assert_int_equal(cardno_transport_validate("311000000000000001"), CP_ERR_INVALID);
	assert_int_equal(cardno_transport_validate("311000000000000001X"), CP_ERR_INVALID);
	assert_int_equal(cardno_transport_validate(NULL), CP_ERR_INVALID);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_is_prefix_seven_digits_check),
		cmocka_unit_test(test_check_matches_the_standard_definition),
		cmocka_unit_test(test_single_substitutions_and_transpositions_detected),
		cmocka_unit_test(test_bad_prefix_and_sequence_refused),
		cmocka_unit_test(test_transport_number),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
