/* test_calendar_import.c - reading the State Council's holiday notices: the published notices
 * of 2017 and 2019-2026 against calendar blocks written by hand from their text, the 2025
 * and 2026 notices reproducing the shipped calendar byte for byte, the phrasings other years
 * use, every kind of notice it must refuse, and putting a year into a calendar file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "formats/holiday_notice.h"
#include "pipeline/rules/calendar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOTICES "../data/holiday-notices/"

static char *
slurp(const char *path, size_t *len)
{
	unsigned char *data = NULL;

	if (fs_read_file(path, 1024 * 1024, &data, len) < 0)
		fail_msg("cannot read %s: %s", path, cp_errmsg());
	return (char *)data;
}

static long
day_of(const char *s)
{
	int y, m, d;

	if (cp_parse_date(s, &y, &m, &d) < 0)
		fail_msg("bad date in test: %s", s);
	return cp_days_from_civil(y, m, d);
}

/* The block a notice text gives, or NULL with the error in cp_errmsg(). */
static char *
block_of(const char *text, int *rc)
{
	struct holiday_notice *n = NULL;
	struct buf b = BUF_INIT(1 << 20);

	*rc = holiday_notice_parse(text, strlen(text), "notice.txt", &n);
	if (*rc == 0)
		*rc = holiday_notice_block(n, &b);
	holiday_notice_free(n);
	if (*rc < 0) {
		buf_release(&b);
		return NULL;
	}
	return (char *)buf_detach(&b, &(size_t){0});
}

/* Every fixture notice gives exactly the block written by hand from its text. */
static void
test_published_notices(void **state)
{
	static const int years[] = {2017, 2019, 2020, 2021, 2022, 2023, 2024, 2025, 2026};

	(void)state;
	for (size_t i = 0; i < sizeof(years) / sizeof(years[0]); i++) {
		char path[128], *text, *want, *got;
		size_t len, wlen;
		int rc;

		snprintf(path, sizeof(path), NOTICES "notice-%d.txt", years[i]);
		text = slurp(path, &len);
		snprintf(path, sizeof(path), NOTICES "notice-%d.expected", years[i]);
		want = slurp(path, &wlen);
		got = block_of(text, &rc);
		if (!got)
			fail_msg("%d: %s", years[i], cp_errmsg());
		if (strcmp(got, want) != 0)
			fail_msg("%d: got\n%s\nwant\n%s", years[i], got, want);
		free(text);
		free(want);
		free(got);
	}
}

/* Imported into an empty calendar, in either order, the 2025 and 2026 notices give the
 * shipped calendar, byte for byte. */
static void
test_reproduces_shipped(void **state)
{
	static const int orders[2][2] = {{2025, 2026}, {2026, 2025}};
	size_t shipped_len;
	char *shipped = slurp("../../data/calendar.txt", &shipped_len);

	(void)state;
	for (int o = 0; o < 2; o++) {
		struct buf cal = BUF_INIT(1 << 20);

		for (int k = 0; k < 2; k++) {
			struct buf next = BUF_INIT(1 << 20);
			char path[128], *text, *block;
			size_t len;
			int rc;

			snprintf(path, sizeof(path), NOTICES "notice-%d.txt", orders[o][k]);
			text = slurp(path, &len);
			block = block_of(text, &rc);
			assert_non_null(block);
			assert_int_equal(calendar_put_year(buf_str(&cal), cal.len, orders[o][k],
							   block, 0, &next),
					 0);
			buf_release(&cal);
			cal = next;
			free(text);
			free(block);
		}
		assert_int_equal(cal.len, shipped_len);
		assert_memory_equal(cal.data, shipped, shipped_len);
		buf_release(&cal);
	}
	free(shipped);
}

static void
expect_block(const char *notice, const char *want)
{
	int rc;
	char *got = block_of(notice, &rc);

	if (!got)
		fail_msg("refused: %s", cp_errmsg());
	if (strcmp(got, want) != 0)
		fail_msg("got\n%s\nwant\n%s", got, want);
	free(got);
}

#define HEAD(y) "国务院办公厅关于" #y "年部分节假日安排的通知\n"
#define TAIL(d) "国务院办公厅\n" d "\n"

/* Phrasings of other years: a New Year range without years that starts in December, a
 * December make-up day in the New Year item, an item wrapped over two lines, 中秋节 and
 * 国庆节 together, 星期 and 周, "与周末连休", 补休, full-width digits, no weekdays. */
static void
test_phrasings(void **state)
{
	(void)state;
	expect_block(
		HEAD(2019) "一、元旦：12月30日至1月1日放假调休，共3天。12月29日（星期六）上班。\n"
			   "二、中秋节、国庆节：9月13日放假，与周末连休。10月1日（周二）至\n"
			   "7日（周一）放假调休，共7天。9月29日（星期日）、10月12日（周六）上班。"
			   "\n" TAIL("2018年12月4日"),
		"year 2019 国务院办公厅关于2019年部分节假日安排的通知 (2018-12-04)\n"
		"holiday 2018-12-30 2019-01-01 元旦\n"
		"workday 2018-12-29 元旦\n"
		"holiday 2019-09-13 2019-09-13 中秋节、国庆节\n"
		"holiday 2019-10-01 2019-10-07 中秋节、国庆节\n"
		"workday 2019-09-29 中秋节、国庆节\n"
		"workday 2019-10-12 中秋节、国庆节\n");
	/* 2014: a day off in lieu; ranges and counts in full-width digits */
	expect_block(HEAD(2014) "国办发明电〔2013〕28号\n"
				"一、元旦：１月１日放假１天。\n"
				"二、清明节：４月５日放假，４月７日（星期一）补休。\n"
				"三、国庆节：10月1日至7日放假调休，共7天。9月28日（星期日）、10月11"
				"日（星期六）"
				"上班。\n" TAIL("2013年12月11日"),
		     "year 2014 国办发明电〔2013〕28号 (2013-12-11)\n"
		     "holiday 2014-01-01 2014-01-01 元旦\n"
		     "holiday 2014-04-05 2014-04-05 清明节\n"
		     "holiday 2014-04-07 2014-04-07 清明节\n"
		     "holiday 2014-10-01 2014-10-07 国庆节\n"
		     "workday 2014-09-28 国庆节\n"
		     "workday 2014-10-11 国庆节\n");
	/* 2010/2011: a make-up day without its month, 放假公休 */
	expect_block(HEAD(2010) "一、春节：2月13日至19日放假调休，共7天。2月20日（星期六）、21日（"
				"星期日）上班。\n" TAIL("2009年12月8日"),
		     "year 2010 国务院办公厅关于2010年部分节假日安排的通知 (2009-12-08)\n"
		     "holiday 2010-02-13 2010-02-19 春节\n"
		     "workday 2010-02-20 春节\n"
		     "workday 2010-02-21 春节\n");
	expect_block(HEAD(2011) "一、元旦：1月1日至3日放假公休，共3天。\n" TAIL("2010年12月10日"),
		     "year 2011 国务院办公厅关于2011年部分节假日安排的通知 (2010-12-10)\n"
		     "holiday 2011-01-01 2011-01-03 元旦\n");
	/* a copy that lost its line breaks */
	expect_block("国务院办公厅关于2020年部分节假日安排的通知国办发明电〔2019〕16号各省、自治区"
		     "、直辖市人民政府，"
		     "国务院各部委、各直属机构：经国务院批准，现将2020年元旦、春节放假调休日期的具"
		     "体安排通知如下"
		     "。一、元旦：2020年1月1日放假，共1天。二、春节：1月24日至30日放假调休，共7天。"
		     "1月19日（星期"
		     "日）、2月1日（星期六）上班。节假日期间，各地区、各部门要妥善安排好值班工作。"
		     "国务院办公厅"
		     "2019年11月21日\n",
		     "year 2020 国办发明电〔2019〕16号 (2019-11-21)\n"
		     "holiday 2020-01-01 2020-01-01 元旦\n"
		     "holiday 2020-01-24 2020-01-30 春节\n"
		     "workday 2020-01-19 春节\n"
		     "workday 2020-02-01 春节\n");
	/* a range whose end names its year; a heading a copy annotated */
	expect_block(HEAD(2023) "一、元旦（1月1日星期日）：12月31日至2023年1月2日放假调休，共3天。"
				"\n" TAIL("2022年12月8日"),
		     "year 2023 国务院办公厅关于2023年部分节假日安排的通知 (2022-12-08)\n"
		     "holiday 2022-12-31 2023-01-02 元旦\n");
}

static void
expect_refused(const char *notice, int code, const char *what)
{
	int rc;
	char *got = block_of(notice, &rc);

	if (got)
		fail_msg("accepted, wanted an error with '%s':\n%s", what, got);
	assert_int_equal(rc, code);
	if (!strstr(cp_errmsg(), what))
		fail_msg("error '%s' does not say '%s'", cp_errmsg(), what);
}

/* What it cannot fully understand, it refuses, naming the line and the reason. */
static void
test_refused(void **state)
{
	(void)state;
	expect_refused(
		"国务院办公厅关于调整2019年劳动节假期安排的通知\n一、劳动节：5月1日至4日放假调休，"
		"共4天。\n",
		CP_ERR_FORMAT, "not the State Council's yearly holiday notice");
	expect_refused(HEAD(2025) "一、元旦：1月1日（周四）放假1天。\n" TAIL("2024年11月12日"),
		       CP_ERR_INVALID, "notice.txt:2: item 1 (元旦): 2025-01-01 is a 周三");
	expect_refused(
		HEAD(2025) "一、国庆节：10月1日至8日放假调休，共7天。\n" TAIL("2024年11月12日"),
		CP_ERR_INVALID, "come to 8, but the notice says 7");
	expect_refused(
		HEAD(2025) "一、春节：1月28日至2月4日放假调休，共8天。1月27日（周一）上班。\n" TAIL(
			"2024年11月12日"),
		CP_ERR_INVALID, "make-up working day 2025-01-27 is a 周一");
	expect_refused(HEAD(2025) "一、元旦：1月1日放假半天。\n" TAIL("2024年11月12日"),
		       CP_ERR_INVALID, "notice.txt:2: item 1 (元旦): cannot read '1月1日放假半天'");
	expect_refused(HEAD(2025) "一、元旦：1月1日放假。\n三、春节：1月28日至2月4日放假。\n" TAIL(
			       "2024年11月12日"),
		       CP_ERR_INVALID, "notice.txt:3: item 3 where item 2 was expected");
	expect_refused(HEAD(2025) "一、元旦：1月1日放假。\n二、春节：12月31日至1月2日放假。\n" TAIL(
			       "2024年11月12日"),
		       CP_ERR_INVALID, "2025-01-01 is listed twice");
	expect_refused(HEAD(2025) "一、春节：2月28日至30日放假。\n" TAIL("2024年11月12日"),
		       CP_ERR_INVALID, "2025年2月30日 does not exist");
	expect_refused(HEAD(2025) "一、春节：2026年2月17日放假。\n" TAIL("2024年11月12日"),
		       CP_ERR_INVALID, "2026-02-17 is not in 2025");
	expect_refused(HEAD(2025) "一、春节：以后另行通知。\n" TAIL("2024年11月12日"),
		       CP_ERR_INVALID, "cannot read '以后另行通知'");
	expect_refused(HEAD(2025) "一、春节：1月26日（周日）上班。\n" TAIL("2024年11月12日"),
		       CP_ERR_INVALID, "gives no days off");
	expect_refused(HEAD(2025) "各省、自治区：\n" TAIL("2024年11月12日"), CP_ERR_FORMAT,
		       "no numbered items");
	expect_refused(HEAD(2025) "一、元旦：1月1日放假。\n", CP_ERR_INVALID, "no date of issue");
	expect_refused(HEAD(2025) "一、元旦：1月1日\xE6\x94放假。\n", CP_ERR_FORMAT,
		       "notice.txt:2: not UTF-8");
	expect_refused(HEAD(2025) HEAD(2024) "一、元旦：1月1日放假。\n", CP_ERR_FORMAT,
		       "a title for 2024");
}

/* The advice a notice gives is listed, not applied. */
static void
test_advice(void **state)
{
	static const char text[] =
		HEAD(2024) "一、春节：2月10日至17日放假调休，共8天。2月4日（星期日）、2月"
			   "18日（星期日）上班。鼓励各单位结合带薪年休假等制度落实，安排"
			   "职工在除夕（2月9日）休息。\n" TAIL("2023年10月25日");
	struct holiday_notice *n = NULL;

	(void)state;
	assert_int_equal(holiday_notice_parse(text, strlen(text), "n", &n), 0);
	assert_int_equal(n->nnotes, 1);
	assert_non_null(strstr(n->notes[0], "line 2: 鼓励各单位"));
	assert_int_equal(n->nentries, 3);
	assert_int_equal(n->entries[0].from, day_of("2024-02-10"));
	assert_int_equal(n->entries[0].to, day_of("2024-02-17"));
	holiday_notice_free(n);
}

/* Putting a year into a calendar file keeps everything else. */
static void
test_put_year(void **state)
{
	static const char text[] =
		"# mine\n\nyear 2025 a\nholiday 2025-01-01 2025-01-01 元旦\n# kept\n\n"
		"year 2027 c\nholiday 2027-01-01 2027-01-01 元旦\n";
	struct buf out = BUF_INIT(1 << 20);

	(void)state;
	assert_int_equal(calendar_put_year(text, strlen(text), 2026,
					   "year 2026 b\nholiday 2026-01-01 2026-01-01 元旦\n", 0,
					   &out),
			 0);
	assert_string_equal(buf_str(&out),
			    "# mine\n\nyear 2025 a\nholiday 2025-01-01 2025-01-01 元旦\n# kept\n\n"
			    "year 2026 b\nholiday 2026-01-01 2026-01-01 元旦\n\n"
			    "year 2027 c\nholiday 2027-01-01 2027-01-01 元旦\n");
	buf_reset(&out);
	assert_int_equal(calendar_put_year(text, strlen(text), 2025, "year 2025 z\n", 0, &out),
			 CP_ERR_EXISTS);
	assert_non_null(strstr(cp_errmsg(), "line 3"));
	buf_reset(&out);
	assert_int_equal(calendar_put_year(text, strlen(text), 2025,
					   "year 2025 z\nholiday 2025-01-02 2025-01-02 x\n", 1,
					   &out),
			 0);
	assert_string_equal(buf_str(&out),
			    "# mine\n\nyear 2025 z\nholiday 2025-01-02 2025-01-02 x\n"
			    "# kept\n\nyear 2027 c\nholiday 2027-01-01 2027-01-01 元旦\n");
	buf_reset(&out);
	assert_int_equal(calendar_put_year("year 2025 a", 11, 2026, "year 2026 b\n", 0, &out), 0);
	assert_string_equal(buf_str(&out), "year 2025 a\n\nyear 2026 b\n");
	buf_release(&out);
}

/* Where the calendar runs out, and the working days of a year. */
static void
test_last_day(void **state)
{
	struct calendar *cal = NULL;
	long last = 0;

	(void)state;
	assert_int_equal(calendar_load("../../data/calendar.txt", &cal), 0);
	assert_int_equal(calendar_last_day(cal, day_of("2025-03-01"), &last), 0);
	assert_int_equal(last, day_of("2026-12-31"));
	assert_int_equal(calendar_last_day(cal, day_of("2027-01-01"), &last), CP_ERR_NOTFOUND);
	assert_int_equal(calendar_working_days(cal, 2025), 248);
	assert_int_equal(calendar_working_days(cal, 2026), 248);
	assert_int_equal(calendar_working_days(cal, 2027), CP_ERR_NOTFOUND);
	calendar_free(cal);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_published_notices),
		cmocka_unit_test(test_reproduces_shipped),
		cmocka_unit_test(test_phrasings),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_advice),
		cmocka_unit_test(test_put_year),
		cmocka_unit_test(test_last_day),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
