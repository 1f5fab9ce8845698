/* test_idnumber.c - GB 11643 MOD 11-2, permits, foreign permanent resident numbers, and every
 * error kind of id_validate_reason with its reason code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/clock.h"
#include "core/err.h"
#include "pipeline/rules/idnumber.h"

#include <stdio.h>
#include <string.h>

static long today; /* 2026-11-26 */

static void
test_check_char(void **state)
{
	(void)state;
	/* the worked example of docs/domain-facts.md §4.1: S = 368, T = 5, check 7 */
	assert_int_equal(id_check_char("12345678901234567"), '7');
	assert_int_equal(id_check_char("11010519491231002"), 'X');
	assert_int_equal(id_check_char("81000019940823002"), '1');
	assert_int_equal(id_check_char("83000019920130002"), '2');
	assert_int_equal(id_check_char("1234567890123456"), 0); /* 16 digits */
	assert_int_equal(id_check_char("1234567890123456A"), 0);
	assert_int_equal(id_check_char(NULL), 0);
	/* MRZ 7-3-1 (ICAO 9303): digits as themselves, A=10 ... Z=35 */
	assert_int_equal(id_fpr_old_check_char("USA11008805120"), '6');
	assert_int_equal(id_fpr_old_check_char("GBR31008505231"), '6');
	assert_int_equal(id_fpr_old_check_char("usa11008805120"), 0);
}

static void
test_valid_numbers(void **state)
{
	struct id_info info;

	(void)state;
	/* published samples (Beijing PSB via jxlwqq/id-validator.py) */
	assert_int_equal(id_validate_reason(ID_HK, "810000199408230021", today, &info, NULL), 0);
	assert_string_equal(info.birth_date, "1994-08-23");
	assert_int_equal(info.sex, 2);
	assert_string_equal(info.region, "810000");
	assert_int_equal(info.kind, ID_HK);
	assert_int_equal(id_validate_reason(ID_TW, "830000199201300022", today, &info, NULL), 0);
	assert_string_equal(info.birth_date, "1992-01-30");
	assert_int_equal(info.sex, 2);

	assert_int_equal(id_validate_reason(ID_CITIZEN, "11010519491231002X", today, &info, NULL),
			 0);
	assert_string_equal(info.birth_date, "1949-12-31");
	assert_int_equal(info.sex, 2);
	assert_string_equal(info.region, "110105");
	assert_string_equal(info.nationality, "CHN");
	assert_int_equal(id_validate_reason(ID_CITIZEN, "110101199003071233", today, &info, NULL),
			 0);
	assert_int_equal(info.sex, 1);
	assert_int_equal(id_validate_reason(ID_CITIZEN, "440304198506152010", today, NULL, NULL),
			 0);

	assert_int_equal(id_validate_reason(ID_FPR, "933840198805120010", today, &info, NULL), 0);
	assert_string_equal(info.nationality, "840");
	assert_string_equal(info.birth_date, "1988-05-12");
	assert_int_equal(info.sex, 1);
	assert_string_equal(info.region, "");
	assert_int_equal(id_validate_reason(ID_FPR, "911840198805120015", today, NULL, NULL), 0);

	assert_int_equal(id_validate_reason(ID_FPR_OLD, "USA110088051206", today, &info, NULL), 0);
	assert_string_equal(info.nationality, "USA");
	assert_string_equal(info.birth_date, "1988-05-12");
	assert_int_equal(info.sex, 2);
	/* YY 10 -> 2010: a child holding an old card */
	{
		char n[16] = "JPN11001001011?";

		n[14] = id_fpr_old_check_char(n);
		n[15] = '\0';
		assert_int_equal(id_validate_reason(ID_FPR_OLD, n, today, &info, NULL), 0);
		assert_string_equal(info.birth_date, "2010-01-01");
		assert_int_equal(info.sex, 1);
	}
	/* the century edge: old cards were issued until 2023-11-30 */
	{
		char n[16] = "USA11002311301?";

		n[14] = id_fpr_old_check_char(n);
		assert_int_equal(id_validate_reason(ID_FPR_OLD, n, today, &info, NULL), 0);
		assert_string_equal(info.birth_date, "2023-11-30");
		memcpy(n + 7, "231201", 6);
		n[14] = id_fpr_old_check_char(n);
		assert_int_equal(id_validate_reason(ID_FPR_OLD, n, today, &info, NULL), 0);
		assert_string_equal(info.birth_date, "1923-12-01");
	}
	/* YY 25 -> 1925: no old card was issued after 2023 */
	{
		char n[16] = "DEU11002501011?";

		n[14] = id_fpr_old_check_char(n);
		n[15] = '\0';
		assert_int_equal(id_validate_reason(ID_FPR_OLD, n, today, &info, NULL), 0);
		assert_string_equal(info.birth_date, "1925-01-01");
	}
}

static void
expect_error(enum id_kind kind, const char *number, const char *reason, const char *text)
{
	const char *why = "unset";
	int r = id_validate_reason(kind, number, today, NULL, &why);

	if (r != CP_ERR_INVALID || !why || strcmp(why, reason) || !strstr(cp_errmsg(), text))
		fail_msg("%s '%s': r=%d reason=%s msg='%s' (wanted %s, '%s')", id_kind_name(kind),
			 number, r, why ? why : "(null)", cp_errmsg(), reason, text);
	/* the plain entry point agrees */
	assert_int_equal(id_validate_reason(kind, number, today, NULL, NULL), CP_ERR_INVALID);
}

static void
test_errors(void **state)
{
	(void)state;
	/* check character, with the expected one named */
	expect_error(ID_CITIZEN, "110101199003071234", "id-check-digit",
		     "check character is 4, expected 3");
	expect_error(ID_CITIZEN, "110105194912310023", "id-check-digit",
		     "check character is 3, expected X");
	expect_error(ID_HK, "810000199408230022", "id-check-digit", "expected 1");
	expect_error(ID_FPR, "933840198805120011", "id-check-digit", "expected 0");
	expect_error(ID_FPR_OLD, "USA110088051207", "id-check-digit", "is 7, expected 6");
	/* length and characters */
	expect_error(ID_CITIZEN, "11010119900307123", "id-format", "17 characters, expected 18");
	expect_error(ID_CITIZEN, "", "id-format", "empty");
	expect_error(ID_CITIZEN, NULL, "id-format", "empty");
	expect_error(ID_CITIZEN, "1101011990030712333", "id-format", "19 characters");
	expect_error(ID_CITIZEN, "11010119900A071233", "id-format", "character 12 is 'A'");
	expect_error(ID_CITIZEN, "11010519491231002x", "id-format", "lower-case 'x'");
	expect_error(ID_CITIZEN, "11010519491231002Y", "id-format", "check character 'Y'");
	expect_error(ID_CITIZEN, "11010519491231 02X", "id-format", "character 15 is byte 0x20");
	expect_error(ID_CITIZEN,
		     "1101051949\xE4\xB8\x80"
		     "002X1",
		     "id-format", "character 11 is byte 0xE4");
	expect_error(ID_FPR_OLD, "US1110088051206", "id-format", "character 3 is '1'");
	expect_error(ID_FPR_OLD, "USA1100880512O6", "id-format", "character 14 is 'O'");
	expect_error(ID_FPR, "833840198805120010", "id-format", "starts with 9");
	expect_error(ID_FPR_OLD, "USA11008805120", "id-format", "expected 15");
	/* birth dates (check characters recomputed so only the date is wrong) */
	{
		char n[19];
		const struct {
			const char *first17, *text;
		} cases[] = {
			{"11010119900230123", "19900230 is not a real date"},
			{"11010119901301123", "not a real date"},
			{"11010119900100123", "not a real date"},
			{"11010120270101123", "in the future"},
			{"11010118991231123", "before 1900"},
			{"11010120261127123", "in the future"}, /* tomorrow */
		};

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			snprintf(n, sizeof(n), "%s%c", cases[i].first17,
				 id_check_char(cases[i].first17));
			expect_error(ID_CITIZEN, n, "id-birth-date", cases[i].text);
		}
		/* today itself is fine; 29 February in a leap year too */
		snprintf(n, sizeof(n), "%s%c", "11010120261126123",
			 id_check_char("11010120261126123"));
		assert_int_equal(id_validate_reason(ID_CITIZEN, n, today, NULL, NULL), 0);
		snprintf(n, sizeof(n), "%s%c", "11010120000229123",
			 id_check_char("11010120000229123"));
		assert_int_equal(id_validate_reason(ID_CITIZEN, n, today, NULL, NULL), 0);
		snprintf(n, sizeof(n), "%s%c", "11010119000229123",
			 id_check_char("11010119000229123"));
		expect_error(ID_CITIZEN, n, "id-birth-date", "not a real date");
		snprintf(n, sizeof(n), "%s%c", "93384019880230001",
			 id_check_char("93384019880230001"));
		expect_error(ID_FPR, n, "id-birth-date", "not a real date");
	}
	{
		char n[16] = "USA11008802301?";

		n[14] = id_fpr_old_check_char(n);
		n[15] = '\0';
		expect_error(ID_FPR_OLD, n, "id-birth-date", "880230 is not a real date");
	}
	/* regions */
	{
		char n[19];
		const struct {
			enum id_kind kind;
			const char *first17, *text;
		} cases[] = {
			{ID_CITIZEN, "16010119900307123", "province 16"},
			{ID_CITIZEN, "00010119900307123", "province 00"},
			{ID_CITIZEN, "83000019900307123", "province 83"},
			{ID_CITIZEN, "81000019940823002", "should be 'hk'"},
			{ID_HK, "82000019940823002", "starts with 810000"},
			{ID_MO, "81000019940823002", "starts with 820000"},
			{ID_TW, "71000019940823002", "starts with 830000"},
			{ID_FPR, "91115619880512001", "156"},
			{ID_FPR, "91199919880512001", "999"},
			{ID_FPR, "99984019880512001", "province 99"},
			{ID_FPR, "98184019880512001", "province 81"},
		};

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			snprintf(n, sizeof(n), "%s%c", cases[i].first17,
				 id_check_char(cases[i].first17));
			expect_error(cases[i].kind, n, "id-region", cases[i].text);
		}
	}
	{
		char n[16] = "XXX11008805121?";

		n[14] = id_fpr_old_check_char(n);
		expect_error(ID_FPR_OLD, n, "id-region", "XXX is not an ISO");
		memcpy(n, "CHN", 3);
		n[14] = id_fpr_old_check_char(n);
		expect_error(ID_FPR_OLD, n, "id-region", "China");
		memcpy(n, "USA9900", 7);
		n[14] = id_fpr_old_check_char(n);
		expect_error(ID_FPR_OLD, n, "id-region", "province 99");
	}
	/* every valid province prefix passes for citizens */
	{
		static const int provinces[] = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34,
						35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
						53, 54, 61, 62, 63, 64, 65, 71, 81, 82};
		char n[19];

		for (size_t i = 0; i < sizeof(provinces) / sizeof(provinces[0]); i++) {
			char first17[18];

			snprintf(first17, sizeof(first17), "%02d010119900307123", provinces[i]);
			snprintf(n, sizeof(n), "%s%c", first17, id_check_char(first17));
			if (id_validate_reason(ID_CITIZEN, n, today, NULL, NULL) != 0)
				fail_msg("province %d: %s", provinces[i], cp_errmsg());
		}
	}
}

static void
test_names_and_countries(void **state)
{
	enum id_kind k;

	(void)state;
	for (int i = ID_CITIZEN; i <= ID_FPR_OLD; i++) {
		assert_int_equal(id_kind_parse(id_kind_name((enum id_kind)i), &k), 0);
		assert_int_equal(k, i);
	}
	assert_string_equal(id_kind_name(ID_FPR_OLD), "fpr-old");
	assert_int_equal(id_kind_parse("passport", &k), CP_ERR_INVALID);
	assert_non_null(strstr(cp_errmsg(), "passport"));
	assert_int_equal(id_kind_parse(NULL, &k), CP_ERR_INVALID);
	assert_string_equal(id_country_alpha3(840), "USA");
	assert_string_equal(id_country_alpha3(156), "CHN");
	assert_string_equal(id_country_alpha3(4), "AFG");
	assert_null(id_country_alpha3(999));
	assert_int_equal(id_country_numeric("DEU"), 276);
	assert_int_equal(id_country_numeric("ZZZ"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_char),
		cmocka_unit_test(test_valid_numbers),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_names_and_countries),
	};

	today = cp_days_from_civil(2026, 11, 26);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
