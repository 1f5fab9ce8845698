/* test_calendar.c - the working-day calendar: the shipped 2025/2026 data (the State Council notices),
 * working-day arithmetic, unknown years, and malformed calendar files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/clock.h"
#include "core/err.h"
#include "pipeline/rules/calendar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long
day_of(const char *s)
{
	int y, m, d;

	if (cp_parse_date(s, &y, &m, &d) < 0)
		fail_msg("bad date in test: %s", s);
	return cp_days_from_civil(y, m, d);
}

static int
setup(void **state)
{
	struct calendar *cal = NULL;

	/* run from tests/unit: the shipped file is ../../data/calendar.txt */
	if (calendar_load("../../data/calendar.txt", &cal) < 0) {
		fprintf(stderr, "%s\n", cp_errmsg());
		return -1;
	}
	*state = cal;
	return 0;
}

static int
teardown(void **state)
{
	calendar_free(*state);
	return 0;
}

static void
test_2026_holidays(void **state)
{
	const struct calendar *cal = *state;
	static const struct {
		const char *from, *to, *name;
	} hol[] = {
		{"2026-01-01", "2026-01-03", "元旦"},	{"2026-02-15", "2026-02-23", "春节"},
		{"2026-04-04", "2026-04-06", "清明节"}, {"2026-05-01", "2026-05-05", "劳动节"},
		{"2026-06-19", "2026-06-21", "端午节"}, {"2026-09-25", "2026-09-27", "中秋节"},
		{"2026-10-01", "2026-10-07", "国庆节"},
	};
	static const struct {
		const char *day, *name;
	} makeup[] = {
		{"2026-01-04", "元旦"},	  {"2026-02-14", "春节"},   {"2026-02-28", "春节"},
		{"2026-05-09", "劳动节"}, {"2026-09-20", "国庆节"}, {"2026-10-10", "国庆节"},
	};
	int ndays = 0;

	for (size_t i = 0; i < sizeof(hol) / sizeof(hol[0]); i++)
		for (long d = day_of(hol[i].from); d <= day_of(hol[i].to); d++) {
			assert_int_equal(calendar_is_working_day(cal, d), 0);
			assert_non_null(calendar_holiday_name(cal, d));
			assert_string_equal(calendar_holiday_name(cal, d), hol[i].name);
			assert_null(calendar_makeup_name(cal, d));
			ndays++;
		}
	assert_int_equal(ndays, 3 + 9 + 3 + 5 + 3 + 3 + 7);
	for (size_t i = 0; i < sizeof(makeup) / sizeof(makeup[0]); i++) {
		long d = day_of(makeup[i].day);

		assert_true(cp_weekday(d) == 0 || cp_weekday(d) == 6);
		assert_int_equal(calendar_is_working_day(cal, d), 1);
		assert_null(calendar_holiday_name(cal, d));
		assert_string_equal(calendar_makeup_name(cal, d), makeup[i].name);
	}
	/* the days around: a plain Friday and Saturday */
	assert_int_equal(calendar_is_working_day(cal, day_of("2026-10-09")), 1);
	assert_int_equal(calendar_is_working_day(cal, day_of("2026-10-11")), 0);
	assert_int_equal(calendar_is_working_day(cal, day_of("2026-02-13")), 1);
	assert_int_equal(calendar_is_working_day(cal, day_of("2026-02-24")), 1);
	assert_null(calendar_holiday_name(cal, day_of("2026-10-11")));
}

static void
test_2025(void **state)
{
	const struct calendar *cal = *state;

	assert_int_equal(calendar_is_working_day(cal, day_of("2025-01-01")), 0);
	assert_int_equal(calendar_is_working_day(cal, day_of("2025-01-26")), 1);
	assert_int_equal(calendar_is_working_day(cal, day_of("2025-02-04")), 0);
	assert_int_equal(calendar_is_working_day(cal, day_of("2025-02-08")), 1);
	assert_int_equal(calendar_is_working_day(cal, day_of("2025-04-27")), 1);
	assert_int_equal(calendar_is_working_day(cal, day_of("2025-06-02")), 0);
	assert_int_equal(calendar_is_working_day(cal, day_of("2025-10-08")), 0);
	assert_string_equal(calendar_holiday_name(cal, day_of("2025-10-06")), "国庆节、中秋节");
	assert_int_equal(calendar_is_working_day(cal, day_of("2025-10-11")), 1);
}

static void
test_counts(void **state)
{
	const struct calendar *cal = *state;

	for (int y = 2025; y <= 2026; y++) {
		int n = 0;

		for (long d = cp_days_from_civil(y, 1, 1); d < cp_days_from_civil(y + 1, 1, 1); d++)
			n += calendar_is_working_day(cal, d);
		assert_int_equal(n, 248);
		assert_true(calendar_covers_year(cal, y));
	}
	assert_false(calendar_covers_year(cal, 2027));
}

static void
test_add_working_days(void **state)
{
	const struct calendar *cal = *state;
	long r;

	/* issue 7: 4 working days from 2026-09-30 is 2026-10-12 (10-10 is a make-up day) */
	assert_int_equal(calendar_add_working_days(cal, day_of("2026-09-30"), 4, &r), 0);
	assert_int_equal(r, day_of("2026-10-12"));
	assert_int_equal(calendar_add_working_days(cal, day_of("2026-09-30"), 1, &r), 0);
	assert_int_equal(r, day_of("2026-10-08"));
	assert_int_equal(calendar_add_working_days(cal, day_of("2026-09-30"), 0, &r), 0);
	assert_int_equal(r, day_of("2026-09-30"));
	/* over Spring Festival: Fri 02-13, make-up Sat 02-14, then 02-24 */
	assert_int_equal(calendar_add_working_days(cal, day_of("2026-02-12"), 2, &r), 0);
	assert_int_equal(r, day_of("2026-02-14"));
	assert_int_equal(calendar_add_working_days(cal, day_of("2026-02-12"), 3, &r), 0);
	assert_int_equal(r, day_of("2026-02-24"));
	/* backwards */
	assert_int_equal(calendar_add_working_days(cal, day_of("2026-10-12"), -4, &r), 0);
	assert_int_equal(r, day_of("2026-09-30"));
	/* across the year end of covered years: 01-01..03 off, Sunday 01-04 a make-up day */
	assert_int_equal(calendar_add_working_days(cal, day_of("2025-12-31"), 1, &r), 0);
	assert_int_equal(r, day_of("2026-01-04"));
	assert_int_equal(calendar_add_working_days(cal, day_of("2025-12-31"), 2, &r), 0);
	assert_int_equal(r, day_of("2026-01-05"));
	/* a whole year */
	assert_int_equal(calendar_add_working_days(cal, day_of("2024-12-31"), 248, &r), 0);
	assert_int_equal(r, day_of("2025-12-31"));
}

static void
test_unknown_year(void **state)
{
	const struct calendar *cal = *state;
	long r = 12345;

	assert_int_equal(calendar_is_working_day(cal, day_of("2027-01-04")), CP_ERR_NOTFOUND);
	assert_non_null(strstr(cp_errmsg(), "2027"));
	assert_int_equal(calendar_is_working_day(cal, day_of("2024-06-03")), CP_ERR_NOTFOUND);
	assert_int_equal(calendar_add_working_days(cal, day_of("2026-12-30"), 2, &r),
			 CP_ERR_NOTFOUND);
	assert_int_equal(r, 12345);
	assert_int_equal(calendar_add_working_days(cal, day_of("2025-01-02"), -2, &r),
			 CP_ERR_NOTFOUND);
}

static void
expect_bad(const char *text, const char *msg)
{
	struct calendar *cal = NULL;
	int r = calendar_parse(text, strlen(text), "t.txt", &cal);

	if (r != CP_ERR_FORMAT || cal || !strstr(cp_errmsg(), msg))
		fail_msg("'%s': r=%d msg='%s', wanted '%s'", text, r, cp_errmsg(), msg);
}

static void
test_malformed(void **state)
{
	(void)state;
	expect_bad("", "covers no year");
	expect_bad("# only a comment\n", "covers no year");
	expect_bad("holiday 2026-01-01 2026-01-01 元旦\n", "before any 'year'");
	expect_bad("year 2026 x\nholiday 2026-01-01 元旦\n", "t.txt:2: holiday: '元旦' is not");
	expect_bad("year 2026 x\nholiday 2026-02-30 2026-03-01 x\n", "not a real date");
	expect_bad("year 2026 x\nholiday 2026-01-03 2026-01-01 x\n", "before it starts");
	expect_bad("year 2026 x\nholiday 2026-01-01 2026-03-01 x\n", "longer than");
	expect_bad("year 2026 x\nholiday 2026-01-01 2026-01-02\n", "needs a name");
	expect_bad("year 2026 x\nworkday 2026-01-05 x\n", "is a weekday");
	expect_bad("year 2026 x\nworkday 2026-01-04\n", "needs the holiday");
	expect_bad("year 2026 x\nworkday 2030-01-05 x\n", "not in or next to year 2026");
	expect_bad("year 2026 x\nyear 2026 y\n", "declared twice");
	expect_bad("year 26 x\n", "not a year");
	expect_bad("year 2026\n", "source");
	expect_bad("year 2026 x\nholidays 2026-01-01 2026-01-01 x\n", "unknown line kind");
	expect_bad(
		"year 2026 x\nholiday 2026-01-01 2026-01-03 a\nholiday 2026-01-03 2026-01-04 b\n",
		"t.txt:3: 2026-01-03 is listed already on line 2");
	expect_bad("year 2026 x\nholiday 2026-01-03 2026-01-04 a\nworkday 2026-01-03 b\n",
		   "both a holiday and a make-up");
	{
		static const char nul[] = "year 2026 x\nab\0cd\n";
		struct calendar *cal = NULL;

		assert_int_equal(calendar_parse(nul, sizeof(nul) - 1, "t.txt", &cal),
				 CP_ERR_FORMAT);
		assert_non_null(strstr(cp_errmsg(), "t.txt:2: NUL"));
	}
}

static void
test_parse_and_load(void **state)
{
	const char text[] = "\xEF\xBB\xBF# with BOM and CRLF\r\n"
			    "year 2030 test notice\r\n"
			    "holiday 2029-12-31 2030-01-01   New Year  \r\n"
			    "workday 2030-01-05 New Year\r\n";
	struct calendar *cal = NULL;
	char path[] = "/tmp/test_calendar.XXXXXX", dir[64];
	FILE *f;

	(void)state;
	assert_int_equal(calendar_parse(text, strlen(text), "mem", &cal), 0);
	assert_int_equal(calendar_is_working_day(cal, day_of("2030-01-01")), 0);
	assert_string_equal(calendar_holiday_name(cal, day_of("2030-01-01")), "New Year");
	assert_int_equal(calendar_is_working_day(cal, day_of("2030-01-05")), 1);
	assert_int_equal(calendar_is_working_day(cal, day_of("2029-12-31")), CP_ERR_NOTFOUND);
	assert_string_equal(calendar_path(cal), "");
	calendar_free(cal);
	cal = NULL;

	/* CARDPIPE_DATA comes first when the path is empty */
	assert_non_null(mkdtemp(path));
	snprintf(dir, sizeof(dir), "%s/calendar.txt", path);
	assert_non_null(f = fopen(dir, "w"));
	fputs(text, f);
	fclose(f);
	setenv("CARDPIPE_DATA", path, 1);
	assert_int_equal(calendar_load("", &cal), 0);
	assert_string_equal(calendar_path(cal), dir);
	assert_true(calendar_covers_year(cal, 2030));
	calendar_free(cal);
	cal = NULL;
	/* without it, the build tree's data/ (found from the program's own path) */
	unsetenv("CARDPIPE_DATA");
	assert_int_equal(calendar_load(NULL, &cal), 0);
	assert_true(calendar_covers_year(cal, 2026));
	calendar_free(cal);
	cal = NULL;
	unlink(dir);
	rmdir(path);

	assert_int_equal(calendar_load("/nonexistent/calendar.txt", &cal), CP_ERR_NOTFOUND);
	assert_null(cal);
	assert_non_null(strstr(cp_errmsg(), "/nonexistent/calendar.txt"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_2026_holidays),  cmocka_unit_test(test_2025),
		cmocka_unit_test(test_counts),	       cmocka_unit_test(test_add_working_days),
		cmocka_unit_test(test_unknown_year),   cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_parse_and_load),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
