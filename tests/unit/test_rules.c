/*
 * test_rules.c - prepare's business rules, one test per rule, reading like the rule:
 * issue 3, manual items 4, 12, 13, 22, 27, 38, docs/domain-facts.md sections 3, 4 and 7.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "core/mem.h"
#include "pipeline/rules/district.h"
#include "pipeline/rules/eligibility.h"
#include "pipeline/rules/idnumber.h"
#include "pipeline/rules/prepare_rules.h"
#include "jpeg_fixture.h"

/* app_record fields are char * (ingest owns them); the tests point them at literals */
#define S(lit) ((char *)(lit))

static struct rules_ctx rc;
static struct config *cfg;
static unsigned char *photo;
static unsigned long photo_len;
static struct app_record rec;
static struct verdict v;

static long
day(const char *iso)
{
	int y, m, d;

	cp_parse_date(iso, &y, &m, &d);
	return cp_days_from_civil(y, m, d);
}

/* A valid citizen number from its first 17 digits (a rotating static buffer). */
static char *
cid(const char *first17)
{
	static char bufs[8][19];
	static int k;
	char *b = bufs[k++ % 8];

	memcpy(b, first17, 17);
	b[17] = id_check_char(first17);
	b[18] = '\0';
	return b;
}

struct noise_photo {
	int bg;
	unsigned int seed;
};

/* A row of a 358 x 441 RGB photo: a noisy head on a noisy background of grey bg. */
static void
photo_row(int y, unsigned char *row, void *arg)
{
	struct noise_photo *p = arg;

	for (int x = 0; x < 358; x++) {
		double dx = (x - 179) / 100.0, dy = (y - 243) / 141.0;
		int head = dx * dx + dy * dy < 1 || y > 375, val;

		p->seed = p->seed * 1103515245u + 12345u;
		val = head ? 60 + (int)((p->seed >> 8) % 140)
			   : p->bg + (int)((p->seed >> 16) % 9) - 4;
		val = val > 255 ? 255 : val;
		row[x * 3] = (unsigned char)val;
		row[x * 3 + 1] = (unsigned char)(head ? val / 2 : val);
		row[x * 3 + 2] = (unsigned char)(head ? val / 3 : val);
	}
}

static unsigned char *
make_photo(int bg, unsigned long *len)
{
	struct noise_photo p = {bg, 99};

	return jpeg_fixture(358, 441, 3, 70, photo_row, &p, len);
}

static int
setup(void **state)
{
	cfg = config_new();
	if (rules_init(&rc, cfg, day("2026-11-26")) < 0)
		return -1;
	photo = make_photo(250, &photo_len);
	return 0;
}

static int
teardown(void **state)
{
	rules_release(&rc);
	config_free(cfg);
	free(photo);
	return 0;
}

/* A good employer-batch record, reset before each test. */
static int
reset(void **state)
{
	memset(&rec, 0, sizeof(rec));
	memset(&v, 0, sizeof(v));
	rec.channel = S("employer");
	rec.app_type = S("new");
	rec.submitted_at = S("2026-11-20T10:00:00+08:00");
	rec.name = S("张三");
	rec.id_type = S("citizen");
	rec.id_number = cid("11010119900307123");
	rec.sex = S("1");
	rec.birth_date = S("1990-03-07");
	rec.mobile = S("13812345678");
	rec.category = S("insured");
	rec.delivery = S("mail-person");
	rec.address = S("北京市东城区东四十条1号");
	rec.postal_code = S("100010");
	rec.bank = S("ICBC");
	rec.confirmed_at = S("2026-11-19T18:00:00+08:00");
	return 0;
}

static void
judge(void)
{
	assert_int_equal(rules_judge_record(&rc, &rec, -1, photo, photo_len, &v), 0);
	if (!v.code) {
		struct person_facts pf = {0};

		pf.last_change = -1;
		rules_judge_history(&rc, &rec, &pf, &v);
	}
	if (!v.code)
		rules_judge_hold(&rc, &rec, &v);
}

#define ACCEPTED()                                                                                 \
	do {                                                                                       \
		judge();                                                                           \
		if (v.code)                                                                        \
			fail_msg("expected accepted, got %s: %s", v.code, v.detail);               \
	} while (0)
#define REJECTED(want_code, want_field)                                                            \
	do {                                                                                       \
		judge();                                                                           \
		if (!v.code)                                                                       \
			fail_msg("expected %s, got accepted", want_code);                          \
		assert_string_equal(v.code, want_code);                                            \
		if (want_field)                                                                    \
			assert_string_equal(v.field, (const char *)want_field);                    \
		assert_false(v.held);                                                              \
		assert_true(v.detail[0] != '\0');                                                  \
	} while (0)

/* ---- the record as a whole ---- */
static void
test_good_record_accepted(void **s)
{
	ACCEPTED();
}
static void
test_missing_name_rejected(void **s)
{
	rec.name = S("");
	REJECTED("field-missing", "name");
}
static void
test_unknown_app_type_rejected(void **s)
{
	rec.app_type = S("renew");
	REJECTED("app-type-unknown", "app_type");
}
static void
test_submitted_in_future_rejected(void **s)
{
	rec.submitted_at = S("2026-12-01");
	REJECTED("field-invalid", "submitted_at");
}
static void
test_submitted_at_garbage_rejected(void **s)
{
	rec.submitted_at = S("yesterday");
	REJECTED("field-invalid", "submitted_at");
}

/* ---- ID numbers (docs/domain-facts.md §4) ---- */
static void
test_id_check_digit_wrong_rejected(void **s)
{
	rec.id_number = S("110101199003071230");
	if (!strcmp(cid("11010119900307123"), rec.id_number))
		rec.id_number = S("110101199003071231");
	REJECTED("id-check-digit", "id_number");
}
static void
test_id_birth_date_impossible_rejected(void **s)
{
	rec.id_number = cid("11010119900230123");
	REJECTED("id-birth-date", "id_number");
}
static void
test_id_region_unknown_rejected(void **s)
{
	rec.id_number = cid("99010119900307123");
	REJECTED("id-region", "id_number");
}
static void
test_id_wrong_length_rejected(void **s)
{
	rec.id_number = S("1101011990030712");
	REJECTED("id-format", "id_number");
}
static void
test_id_type_unknown_rejected(void **s)
{
	rec.id_type = S("passport");
	REJECTED("id-type-unknown", "id_type");
}
static void
test_sex_digit_disagrees_rejected(void **s)
{
	rec.sex = S("2");
	REJECTED("id-sex-mismatch", "sex");
}
static void
test_sex_code_invalid_rejected(void **s)
{
	rec.sex = S("M");
	REJECTED("field-invalid", "sex");
}
static void
test_declared_birth_date_disagrees_rejected(void **s)
{
	rec.birth_date = S("1990-03-08");
	REJECTED("birth-date-mismatch", "birth_date");
}
static void
test_hk_permit_accepted(void **s)
{
	rec.id_type = S("hk");
	rec.id_number = cid("81000019940823002");
	rec.sex = S("2");
	rec.birth_date = S("1994-08-23");
	ACCEPTED();
}
static void
test_tw_permit_with_hk_prefix_rejected(void **s)
{
	rec.id_type = S("tw");
	rec.id_number = cid("81000019940823002");
	rec.sex = S("2");
	rec.birth_date = S("1994-08-23");
	REJECTED("id-region", "id_number");
}
static void
test_new_fpr_accepted(void **s)
{
	rec.id_type = S("fpr");
	rec.id_number = cid("91184019850101001");
	rec.sex = S("1");
	rec.birth_date = S("1985-01-01");
	ACCEPTED();
}
static void
test_old_fpr_accepted(void **s)
{
	static char n[16] = "USA11008501011";
	n[14] = id_fpr_old_check_char(n);
	n[15] = 0;
	rec.id_type = S("fpr-old");
	rec.id_number = n;
	rec.birth_date = S("1985-01-01");
	ACCEPTED();
}
static void
test_message_masks_the_id_number(void **s)
{
	rec.sex = S("2");
	rec.id_number = cid("11010119900307123");
	rec.id_number[17] = rec.id_number[17] == '0' ? '1' : '0';
	judge();
	assert_non_null(v.code);
	assert_null(strstr(v.detail, rec.id_number));
	assert_null(strstr(v.detail, "19900307"));
}

/* ---- eligibility (manual item 4) ---- */
static void
test_not_insured_no_category_rejected(void **s)
{
	rec.category = NULL;
	REJECTED("not-eligible", "category");
}
static void
test_unknown_category_rejected(void **s)
{
	rec.category = S("tourist");
	REJECTED("not-eligible", "category");
}
static void
test_assistance_category_any_age_accepted(void **s)
{
	rec.category = S("assistance");
	ACCEPTED();
}
static void
test_veteran_category_accepted(void **s)
{
	rec.category = S("veteran");
	ACCEPTED();
}
static void
test_elderly_59y6m_accepted(void **s)
{
	rec.category = S("elderly-civil");
	rec.id_number = cid("11010119670520123");
	rec.birth_date = S("1967-05-20");
	ACCEPTED();
}
static void
test_elderly_one_day_short_rejected(void **s)
{
	rec.category = S("elderly-civil");
	rec.id_number = cid("11010119670521123");
	rec.birth_date = S("1967-05-21");
	REJECTED("elderly-age", "category");
}
static void
test_elderly_nonlocal_59y5m_rejected(void **s)
{
	rec.category = S("elderly-nonlocal");
	rec.id_number = cid("11010119670620123");
	rec.birth_date = S("1967-06-20");
	REJECTED("elderly-age", "category");
}
static void
test_elderly_age_counts_from_application_date(void **s)
{
	rec.category = S("elderly-civil");
	rec.id_number = cid("11010119670525123");
	rec.birth_date = S("1967-05-25");
	rec.submitted_at = S("2026-11-24T23:59:00+08:00");
	REJECTED("elderly-age", "category");
	rec.submitted_at = S("2026-11-25T00:00:00+08:00");
	memset(&v, 0, sizeof(v));
	ACCEPTED();
}
static void
test_age_born_31st_completes_on_the_1st(void **s)
{
	assert_int_equal(age_months(day("1966-08-31"), day("2026-02-28")), 713);
	assert_int_equal(age_months(day("1966-08-31"), day("2026-03-01")), 714);
}
static void
test_age_born_29_february(void **s)
{
	assert_true(is_minor(day("2008-02-29"), day("2026-02-28"), 18));
	assert_false(is_minor(day("2008-02-29"), day("2026-03-01"), 18));
}

/* ---- minors (manual item 38: under 18) ---- */
static void
set_minor(void)
{
	rec.id_number = cid("11010120100101123");
	rec.birth_date = S("2010-01-01");
}
static void
set_guardian(void)
{
	rec.guardian_name = S("张父");
	rec.guardian_id_type = S("citizen");
	rec.guardian_id_number = cid("11010119800101123");
	rec.guardian_proof = S("居民户口本");
}
static void
test_minor_without_guardian_rejected(void **s)
{
	set_minor();
	REJECTED("minor-no-guardian", "guardian_name");
}
static void
test_minor_without_proof_rejected(void **s)
{
	set_minor();
	set_guardian();
	rec.guardian_proof = NULL;
	REJECTED("minor-no-guardian", "guardian_proof");
}
static void
test_minor_with_guardian_accepted(void **s)
{
	set_minor();
	set_guardian();
	ACCEPTED();
}
static void
test_minor_guardian_bad_id_rejected(void **s)
{
	set_minor();
	set_guardian();
	rec.guardian_id_number = S("110101198001011230");
	if (!strcmp(rec.guardian_id_number, cid("11010119800101123")))
		rec.guardian_id_number = S("110101198001011231");
	REJECTED("guardian-id-invalid", "guardian_id_number");
}
static void
test_minor_guardian_who_is_a_minor_rejected(void **s)
{
	set_minor();
	set_guardian();
	rec.guardian_id_number = cid("11010120090101123");
	REJECTED("guardian-id-invalid", "guardian_id_number");
}
static void
test_seventeen_year_old_is_a_minor(void **s)
{
	rec.id_number = cid("11010120081121123");
	rec.birth_date = S("2008-11-21");
	REJECTED("minor-no-guardian", "guardian_name");
}
static void
test_eighteenth_birthday_is_adult(void **s)
{
	rec.id_number = cid("11010120081120123");
	rec.birth_date = S("2008-11-20");
	ACCEPTED();
}

/* ---- employer batches (item 12) ---- */
static void
test_employee_unconfirmed_rejected(void **s)
{
	rec.confirmed_at = NULL;
	REJECTED("employee-unconfirmed", "confirmed_at");
}
static void
test_online_channel_needs_no_confirmation(void **s)
{
	rec.channel = S("website");
	rec.confirmed_at = NULL;
	ACCEPTED();
}

/* ---- bank, delivery, name ---- */
static void
test_bank_not_cooperating_rejected(void **s)
{
	rec.bank = S("HSBC");
	REJECTED("bank-unknown", "bank");
}
static void
test_all_fourteen_banks_cooperate(void **s)
{
	assert_int_equal(rc.nbanks, 14);
}
static void
test_mailed_card_without_address_rejected(void **s)
{
	rec.address = NULL;
	REJECTED("mail-no-address", "address");
}
static void
test_mailed_card_bad_postal_code_rejected(void **s)
{
	rec.postal_code = S("10001A");
	REJECTED("postal-code-invalid", "postal_code");
}
static void
test_mailed_card_landline_rejected(void **s)
{
	rec.mobile = S("01012345678");
	REJECTED("mobile-invalid", "mobile");
}
static void
test_mailed_card_mobile_12x_rejected(void **s)
{
	rec.mobile = S("12812345678");
	REJECTED("mobile-invalid", "mobile");
}
static void
test_mailed_card_mobile_19x_accepted(void **s)
{
	rec.mobile = S("19912345678");
	ACCEPTED();
}
static void
test_pickup_needs_no_address(void **s)
{
	rec.delivery = S("pickup");
	rec.branch = S("ICBC-110101-001");
	rec.address = NULL;
	rec.postal_code = NULL;
	rec.mobile = NULL;
	ACCEPTED();
}
static void
test_unknown_delivery_rejected(void **s)
{
	rec.delivery = S("drone");
	REJECTED("delivery-unknown", "delivery");
}
static void
test_name_invalid_utf8_rejected(void **s)
{
	rec.name = S("\xff\xfe");
	REJECTED("name-encoding", "name");
}
static void
test_rare_character_name_accepted(void **s)
{
	rec.name = S("王\xf0\xa0\x80\x80"); /* U+20000, CJK Ext B */
	ACCEPTED();
}
static void
test_name_font_cannot_draw_held(void **s)
{
	rec.name = S("王\xee\x80\x80"); /* U+E000 */
	judge();
	assert_non_null(v.code);
	assert_string_equal(v.code, "name-font");
	assert_true(v.held);
	assert_non_null(strstr(v.detail, "U+E000"));
}

/* ---- photo ---- */
static void
test_photo_missing_rejected(void **s)
{
	assert_int_equal(rules_judge_record(&rc, &rec, -1, NULL, 0, &v), 0);
	assert_string_equal(v.code, "photo-missing");
}
static void
test_photo_warn_mode_lets_grey_background_through(void **s)
{
	unsigned long n = 0;
	unsigned char *grey = make_photo(120, &n);

	assert_int_equal(rules_judge_record(&rc, &rec, -1, grey, n, &v), 0);
	assert_string_equal(v.code, "photo-background");
	rc.photo_warn = 1;
	assert_int_equal(rules_judge_record(&rc, &rec, -1, grey, n, &v), 0);
	rc.photo_warn = 0;
	assert_null(v.code);
	assert_string_equal(v.photo_warning, "photo-background");
	/* a photo that cannot be decoded is rejected even in warn mode */
	rc.photo_warn = 1;
	assert_int_equal(rules_judge_record(&rc, &rec, -1, grey, n / 3, &v), 0);
	rc.photo_warn = 0;
	assert_string_equal(v.code, "photo-corrupt");
	free(grey);
}

/* ---- history: bank change (item 27), old card (item 22) ---- */
static void
history(struct person_facts *pf)
{
	assert_int_equal(rules_judge_record(&rc, &rec, -1, photo, photo_len, &v), 0);
	assert_null(v.code);
	rules_judge_history(&rc, &rec, pf, &v);
}
static void
test_first_bank_change_allowed(void **s)
{
	struct person_facts pf = {.known = 1, .bank = "CCB", .last_change = -1, .ncards = 1};
	rec.app_type = S("new");
	history(&pf);
	assert_null(v.code);
}
static void
test_bank_change_within_6_months_rejected(void **s)
{
	struct person_facts pf = {
		.known = 1, .bank = "CCB", .last_change = day("2026-05-21"), .ncards = 1};
	history(&pf);
	assert_string_equal(v.code, "bank-change-too-soon");
}
static void
test_bank_change_after_6_months_allowed(void **s)
{
	struct person_facts pf = {
		.known = 1, .bank = "CCB", .last_change = day("2026-05-20"), .ncards = 1};
	history(&pf);
	assert_null(v.code);
}
static void
test_same_bank_not_a_change(void **s)
{
	struct person_facts pf = {
		.known = 1, .bank = "ICBC", .last_change = day("2026-11-01"), .ncards = 1};
	history(&pf);
	assert_null(v.code);
}
static void
test_replacement_without_old_card_rejected(void **s)
{
	struct person_facts pf = {.known = 1, .bank = "ICBC", .last_change = -1, .ncards = 1};
	rec.app_type = S("replace-lost");
	history(&pf);
	assert_string_equal(v.code, "old-card-unknown");
}
static void
test_replacement_of_other_persons_card_rejected(void **s)
{
	struct person_facts pf = {.known = 1,
				  .bank = "ICBC",
				  .last_change = -1,
				  .ncards = 1,
				  .old_found = 1,
				  .old_is_theirs = 0};
	rec.app_type = S("replace-damaged");
	rec.old_card_no = S("B0000001V");
	history(&pf);
	assert_string_equal(v.code, "old-card-unknown");
}
static void
test_replacement_of_superseded_card_rejected(void **s)
{
	struct person_facts pf = {.known = 1,
				  .bank = "ICBC",
				  .last_change = -1,
				  .ncards = 2,
				  .old_found = 1,
				  .old_is_theirs = 1,
				  .old_state = "superseded"};
	rec.app_type = S("replace-lost");
	rec.old_card_no = S("B0000001V");
	history(&pf);
	assert_string_equal(v.code, "old-card-superseded");
}
static void
test_replacement_of_own_card_accepted(void **s)
{
	struct person_facts pf = {.known = 1,
				  .bank = "ICBC",
				  .last_change = -1,
				  .ncards = 1,
				  .old_found = 1,
				  .old_is_theirs = 1,
				  .old_state = "delivered"};
	rec.app_type = S("replace-lost");
	rec.old_card_no = S("B0000001V");
	history(&pf);
	assert_null(v.code);
}
static void
test_change_of_id_names_card_of_former_number_accepted(void **s)
{
	struct person_facts pf = {
		.last_change = -1, .old_found = 1, .old_is_theirs = 0, .old_state = "delivered"};

	rec.app_type = S("change-info");
	rec.old_card_no = S("B0000001V");
	history(&pf);
	assert_null(v.code);
	rec.app_type = S("replace-lost"); /* a replacement cannot take another person's card */
	history(&pf);
	assert_string_equal(v.code, "old-card-unknown");
}

static void
test_replacement_of_older_generation_card_accepted(void **s)
{
	struct person_facts pf = {.last_change = -1};
	rec.app_type = S("replace-lost");
	rec.old_card_no = S("X00000019");
	history(&pf);
	assert_null(v.code);
}

/* ---- field bounds, character sets and tables (issue 15 section 4) ---- */
static void
test_address_of_10000_characters_rejected(void **s)
{
	static char addr[10001];

	memset(addr, 'A', 10000);
	rec.address = addr;
	REJECTED("field-too-long", "address");
	assert_non_null(strstr(v.detail, "10000 characters"));
}
static void
test_address_of_100_chinese_characters_accepted(void **s)
{
	static char addr[310];

	for (int i = 0; i < 100; i++)
		memcpy(addr + 3 * i, "号", 3);
	rec.address = addr;
	ACCEPTED();
	memcpy(addr + 297, "号号", 7); /* 101 */
	REJECTED("field-too-long", "address");
}
static void
test_address_with_newline_or_emoji_rejected(void **s)
{
	rec.address = S("北京市东城区\n东四十条1号");
	REJECTED("field-charset", "address");
	assert_non_null(strstr(v.detail, "\\x0A"));
	assert_null(strchr(v.detail, '\n'));
	rec.address = S("北京市东城区东四十条1号\xf0\x9f\x8f\xa0"); /* U+1F3E0 house */
	REJECTED("field-charset", "address");
	rec.address = S("北京市东城区\xe2\x80\xae"
			"1号"); /* U+202E right-to-left override */
	REJECTED("field-charset", "address");
	rec.address = S("<script>alert(1)</script>");
	REJECTED("field-charset", "address");
}
static void
test_address_with_quotes_and_comma_accepted(void **s)
{
	rec.address = S("北京市朝阳区建国路88号,\"华贸中心\"3层（东门）");
	ACCEPTED();
}
static void
test_district_path_rejected(void **s)
{
	rec.district = S("../../etc");
	REJECTED("district-unknown", "district");
	rec.district = S("110103"); /* Chongwen, merged into Dongcheng in 2010 */
	REJECTED("district-unknown", "district");
	rec.district = S("310101"); /* Shanghai */
	REJECTED("district-unknown", "district");
	rec.district = S("东城区"); /* the name, not the code: quoted whole in the message */
	REJECTED("district-unknown", "district");
	assert_non_null(strstr(v.detail, "'东城区'"));
}
static void
test_all_sixteen_districts_accepted(void **s)
{
	static const char *const d[] = {"110101", "110102", "110105", "110106", "110107", "110108",
					"110109", "110111", "110112", "110113", "110114", "110115",
					"110116", "110117", "110118", "110119"};

	for (size_t i = 0; i < 16; i++) {
		rec.district = S(d[i]);
		ACCEPTED();
	}
}
static void
test_branch_markup_rejected(void **s)
{
	rec.delivery = S("pickup");
	rec.branch = S("<b>ICBC</b>");
	REJECTED("branch-unknown", "branch");
	rec.branch = S("HSBC-110101-001"); /* not a cooperating bank */
	REJECTED("branch-unknown", "branch");
	rec.branch = S("ICBC-110199-001"); /* not a district */
	REJECTED("branch-unknown", "branch");
	rec.branch = S("ICBC-110101-1");
	REJECTED("branch-unknown", "branch");
	rec.branch = S("ICBC-110101-001 ");
	REJECTED("branch-unknown", "branch");
	rec.branch = S("网点网点网点网点网点网点网点网点网点网点网点网点网点网点网点");
	REJECTED("branch-unknown", "branch");
	/* cut on a character boundary: 13 characters (39 bytes), then "..." */
	assert_non_null(strstr(v.detail, "'网点网点网点网点网点网点网...'"));
	rec.branch = S("BOB-110119-040");
	ACCEPTED();
}
static void
test_branch_table_when_configured(void **s)
{
	struct config *c = config_new();
	struct rules_ctx keep = rc;

	assert_int_equal(
		config_set(c, "banks.branches", "ICBC-110101-001, BOB-110119-040", CFG_CLI), 0);
	assert_int_equal(rules_init(&rc, c, day("2026-11-26")), 0);
	assert_int_equal(rc.nbranches, 2);
	rec.delivery = S("pickup");
	rec.branch = S("BOB-110119-040");
	ACCEPTED();
	rec.branch = S("ICBC-110101-002"); /* well formed, but not a branch of the table */
	REJECTED("branch-unknown", "branch");
	assert_non_null(strstr(v.detail, "banks.branches"));
	rules_release(&rc);
	rc = keep;
	assert_int_equal(config_set(c, "banks.branches", "ICBC-110101-001,<b>ICBC</b>", CFG_CLI),
			 0);
	assert_int_equal(rules_init(&keep, c, day("2026-11-26")), CP_ERR_CONFIG);
	keep = rc;
	config_free(c);
}
static void
test_old_card_formula_rejected(void **s)
{
	rec.app_type = S("replace-lost");
	rec.old_card_no = S("=1+1");
	REJECTED("old-card-invalid", "old_card_no");
	rec.old_card_no = S("b0000001v");
	REJECTED("old-card-invalid", "old_card_no");
	rec.old_card_no = S("B0000001V0");
	REJECTED("old-card-invalid", "old_card_no");
	rec.old_card_no = S("B7K334774"); /* an earlier generation's an9 number */
	ACCEPTED();
}
static void
test_emoji_name_rejected(void **s)
{
	rec.name = S("王\xf0\x9f\x98\x80"); /* U+1F600 */
	REJECTED("name-charset", "name");
	assert_non_null(strstr(v.detail, "U+1F600"));
	rec.name = S("王\xe2\x9d\xa4\xef\xb8\x8f"); /* U+2764 U+FE0F, a heart the CJK font draws */
	REJECTED("name-charset", "name");
	rec.name = S("王\xe2\x98\xba"); /* U+263A */
	REJECTED("name-charset", "name");
	rec.name = S("张\xe2\x80\x8b三"); /* zero-width space */
	REJECTED("name-charset", "name");
}
static void
test_name_with_digits_or_formula_rejected(void **s)
{
	rec.name = S("=1+1");
	REJECTED("name-charset", "name");
	rec.name = S("张三3");
	REJECTED("name-charset", "name");
	rec.name = S("<b>张三</b>");
	REJECTED("name-charset", "name");
	rec.guardian_name = S("@SUM(A1)");
	rec.name = S("张三");
	REJECTED("name-charset", "guardian_name");
}
static void
test_names_of_minorities_and_foreigners_accepted(void **s)
{
	rec.name = S("买买提·艾力");
	ACCEPTED();
	rec.name = S("O'NEIL-SMITH JOHN");
	ACCEPTED();
	rec.name = S("MÜLLER, ANNA");
	ACCEPTED();
	rec.name = S("王〇");
	ACCEPTED();
}
static void
test_long_name_rejected(void **s)
{
	static char name[3 * 51 + 1];

	for (int i = 0; i < 51; i++)
		memcpy(name + 3 * i, "王", 3);
	rec.name = name;
	REJECTED("field-too-long", "name");
}
static void
test_channel_ref_and_outlet_bounded(void **s)
{
	static char ref[66];

	memset(ref, 'R', 65);
	rec.channel_ref = ref;
	REJECTED("field-too-long", "channel_ref");
	rec.channel_ref = S("C0001\r\n");
	REJECTED("field-charset", "channel_ref");
	rec.channel_ref = S("C0001");
	rec.outlet = S("SSP-110101-001");
	ACCEPTED();
	rec.outlet = S("../x");
	REJECTED("field-charset", "outlet");
}
static void
test_pickup_contact_fields_still_shaped(void **s)
{
	rec.delivery = S("pickup");
	rec.branch = S("CCB-110108-012");
	rec.address = NULL;
	rec.postal_code = S("=1+1");
	REJECTED("postal-code-invalid", "postal_code");
	rec.postal_code = NULL;
	rec.mobile = S("@SUM(A1)");
	REJECTED("mobile-invalid", "mobile");
	rec.mobile = S("+852 9123-4567");
	ACCEPTED();
	rec.guardian_id_number = S("-1+1");
	REJECTED("field-charset", "guardian_id_number");
}
static void
test_codes_checked_against_tables(void **s)
{
	rec.ethnicity = S("57");
	REJECTED("field-invalid", "ethnicity");
	rec.ethnicity = S("97");
	rec.nationality = S("chn");
	REJECTED("field-invalid", "nationality");
	rec.nationality = S("XYZ"); /* not assigned */
	REJECTED("field-invalid", "nationality");
	rec.nationality = S("CHN");
	ACCEPTED();
}

/* The refund of manual item 46: whole fen up to reconcile.max_refund_fen. */
static void
test_transport_balance_garbage_rejected(void **s)
{
	static const char *const bad[] = {"abc", "0x10", "12.5", "-100", "1e3", " "};

	rec.app_type = S("replace-damaged");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rec.transport_balance = S(bad[i]);
		REJECTED("amount-invalid", "transport_balance");
	}
}
static void
test_transport_balance_over_maximum_rejected(void **s)
{
	rec.app_type = S("replace-damaged");
	rec.transport_balance = S("9223372036854775807");
	REJECTED("amount-too-large", "transport_balance");
	rec.transport_balance = S("100001");
	REJECTED("amount-too-large", "transport_balance");
	rec.transport_balance = S("100000");
	ACCEPTED();
	rec.transport_balance = S("0");
	ACCEPTED();
}
static void
test_max_refund_is_configurable(void **s)
{
	struct config *c = config_new();
	struct rules_ctx r2;

	/* the key table refuses a negative amount before the rules see it */
	assert_int_equal(config_set(c, "reconcile.max_refund_fen", "-1", CFG_CLI), CP_ERR_CONFIG);
	assert_int_equal(config_set(c, "reconcile.max_refund_fen", "5000", CFG_CLI), 0);
	assert_int_equal(rules_init(&r2, c, day("2026-11-26")), 0);
	assert_true(r2.max_refund_fen == 5000);
	rules_release(&r2);
	config_free(c);
}

/* ---- dates ---- */
static void
test_application_date_is_beijing_date(void **s)
{
	long d;
	assert_int_equal(rules_app_date("2026-11-19T17:00:00Z", &d), 0);
	assert_int_equal(d, day("2026-11-20"));
	assert_int_equal(rules_app_date("2026-11-19T15:59:59Z", &d), 0);
	assert_int_equal(d, day("2026-11-19"));
	assert_int_equal(rules_app_date("2026-11-20", &d), 0);
	assert_int_equal(d, day("2026-11-20"));
	assert_true(rules_app_date("2026-11-20T25:00", &d) < 0);
}
static void
test_replacement_types(void **s)
{
	assert_true(app_type_is_replacement("replace-lost"));
	assert_true(app_type_is_replacement("change-bank"));
	assert_false(app_type_is_replacement("new"));
	assert_false(app_type_is_replacement("upgrade"));
}

/* Beijing's 16 districts by GB/T 2260 code; the codes merged away in 2010 are not. */
static void
test_district_names(void **s)
{
	static const char *const codes[] = {
		"110101", "110102", "110105", "110106", "110107", "110108", "110109", "110111",
		"110112", "110113", "110114", "110115", "110116", "110117", "110118", "110119"};

	for (size_t i = 0; i < ARRAY_SIZE(codes); i++)
		assert_non_null(district_name(codes[i]));
	assert_string_equal(district_name("110101"), "东城区");
	assert_string_equal(district_name("110105"), "朝阳区");
	assert_string_equal(district_name("110119"), "延庆区");
	assert_null(district_name("110103")); /* 崇文区, merged into 东城区 */
	assert_null(district_name("110104")); /* 宣武区 */
	assert_null(district_name("1101"));
	assert_null(district_name(""));
	assert_null(district_name(NULL));
}

#define T(f) cmocka_unit_test_setup(f, reset)
int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_good_record_accepted),
		T(test_district_names),
		T(test_missing_name_rejected),
		T(test_unknown_app_type_rejected),
		T(test_submitted_in_future_rejected),
		T(test_submitted_at_garbage_rejected),
		T(test_id_check_digit_wrong_rejected),
		T(test_id_birth_date_impossible_rejected),
		T(test_id_region_unknown_rejected),
		T(test_id_wrong_length_rejected),
		T(test_id_type_unknown_rejected),
		T(test_sex_digit_disagrees_rejected),
		T(test_sex_code_invalid_rejected),
		T(test_declared_birth_date_disagrees_rejected),
		T(test_hk_permit_accepted),
		T(test_tw_permit_with_hk_prefix_rejected),
		T(test_new_fpr_accepted),
		T(test_old_fpr_accepted),
		T(test_message_masks_the_id_number),
		T(test_not_insured_no_category_rejected),
		T(test_unknown_category_rejected),
		T(test_assistance_category_any_age_accepted),
		T(test_veteran_category_accepted),
		T(test_elderly_59y6m_accepted),
		T(test_elderly_one_day_short_rejected),
		T(test_elderly_nonlocal_59y5m_rejected),
		T(test_elderly_age_counts_from_application_date),
		T(test_age_born_31st_completes_on_the_1st),
		T(test_age_born_29_february),
		T(test_minor_without_guardian_rejected),
		T(test_minor_without_proof_rejected),
		T(test_minor_with_guardian_accepted),
		T(test_minor_guardian_bad_id_rejected),
		T(test_minor_guardian_who_is_a_minor_rejected),
		T(test_seventeen_year_old_is_a_minor),
		T(test_eighteenth_birthday_is_adult),
		T(test_employee_unconfirmed_rejected),
		T(test_online_channel_needs_no_confirmation),
		T(test_bank_not_cooperating_rejected),
		T(test_all_fourteen_banks_cooperate),
		T(test_mailed_card_without_address_rejected),
		T(test_mailed_card_bad_postal_code_rejected),
		T(test_mailed_card_landline_rejected),
		T(test_mailed_card_mobile_12x_rejected),
		T(test_mailed_card_mobile_19x_accepted),
		T(test_pickup_needs_no_address),
		T(test_unknown_delivery_rejected),
		T(test_name_invalid_utf8_rejected),
		T(test_rare_character_name_accepted),
		T(test_name_font_cannot_draw_held),
		T(test_photo_missing_rejected),
		T(test_photo_warn_mode_lets_grey_background_through),
		T(test_first_bank_change_allowed),
		T(test_bank_change_within_6_months_rejected),
		T(test_bank_change_after_6_months_allowed),
		T(test_same_bank_not_a_change),
		T(test_replacement_without_old_card_rejected),
		T(test_replacement_of_other_persons_card_rejected),
		T(test_replacement_of_superseded_card_rejected),
		T(test_replacement_of_own_card_accepted),
		T(test_replacement_of_older_generation_card_accepted),
		T(test_change_of_id_names_card_of_former_number_accepted),
		T(test_address_of_10000_characters_rejected),
		T(test_address_of_100_chinese_characters_accepted),
		T(test_address_with_newline_or_emoji_rejected),
		T(test_address_with_quotes_and_comma_accepted),
		T(test_district_path_rejected),
		T(test_all_sixteen_districts_accepted),
		T(test_branch_markup_rejected),
		T(test_branch_table_when_configured),
		T(test_old_card_formula_rejected),
		T(test_emoji_name_rejected),
		T(test_name_with_digits_or_formula_rejected),
		T(test_names_of_minorities_and_foreigners_accepted),
		T(test_long_name_rejected),
		T(test_channel_ref_and_outlet_bounded),
		T(test_pickup_contact_fields_still_shaped),
		T(test_codes_checked_against_tables),
		T(test_transport_balance_garbage_rejected),
		T(test_transport_balance_over_maximum_rejected),
		T(test_max_refund_is_configurable),
		T(test_application_date_is_beijing_date),
		T(test_replacement_types),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
