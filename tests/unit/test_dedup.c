/*
 * test_dedup.c - prepare's deduplication through stage_prepare_run(): the same person
 * twice in one run (same or different file or channel) gives one application and the
 * others duplicates of it with the rule written down; a person with a card in production
 * gives duplicates of that card's application; chunks never split a person; a rerun
 * changes nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/fsutil.h"
#include "pipeline/registry/registry.h"
#include "pipeline/rules/idnumber.h"
#include "pipeline/stages/prepare.h"

#include "prepare_fixture.h"

static int
setup(void **state)
{
	if (prepare_fixture_setup("test_dedup") < 0)
		return -1;
	prepare_fixture_photo(246, photo_sha);
	return 0;
}

static void
test_same_person_twice_in_one_file_gives_one_application(void **s)
{
	long long a, b;
	struct prepare_counts c;

	newfile("e1.xml", "employer");
	a = app(1, "new", "2026-11-20T09:00:00+08:00", NULL);
	b = app(1, "new", "2026-11-20T09:00:00+08:00", NULL);
	c = run();
	assert_int_equal(c.read, 2);
	assert_int_equal(c.accepted, 1);
	assert_int_equal(c.duplicate, 1);
	assert_string_equal(state(a), "accepted");
	assert_string_equal(state(b), "duplicate:duplicate-in-run");
	assert_int_equal(q("SELECT duplicate_of FROM application WHERE id = %lld", b), a);
	assert_non_null(strstr(qs("SELECT dedup_rule FROM application WHERE id = %lld", b),
			       "lowest application id"));
}

static void
test_replacement_beats_new_across_channels(void **s)
{
	long long a, b;

	newfile("e2.xml", "employer");
	a = app(2, "new", "2026-11-20T08:00:00+08:00", NULL);
	newfile("o2.xml", "website");
	b = app(2, "replace-damaged", "2026-11-21T08:00:00+08:00", NULL);
	run();
	assert_string_equal(state(b), "accepted");
	assert_string_equal(state(a), "duplicate:duplicate-in-run");
	assert_int_equal(q("SELECT duplicate_of FROM application WHERE id = %lld", a), b);
}

static void
test_earliest_submitted_wins_whatever_the_zone(void **s)
{
	long long a, b;

	newfile("e3.xml", "employer");
	a = app(3, "new", "2026-11-20T02:00:00Z", NULL);      /* 10:00 Beijing */
	b = app(3, "new", "2026-11-20T09:30:00+08:00", NULL); /* earlier */
	run();
	assert_string_equal(state(b), "accepted");
	assert_string_equal(state(a), "duplicate:duplicate-in-run");
}

static void
test_rejected_record_takes_no_part(void **s)
{
	long long a, b;

	newfile("e4.xml", "employer");
	a = app(4, "new", "2026-11-20T08:00:00+08:00", NULL);
	sql("UPDATE application SET bank = 'HSBC' WHERE id = %lld", a); /* the earlier one is bad */
	b = app(4, "new", "2026-11-20T09:00:00+08:00", NULL);
	run();
	assert_string_equal(state(a), "rejected:bank-unknown");
	assert_string_equal(state(b), "accepted");
}

static void
test_acceptable_record_beats_held_one(void **s)
{
	long long a, b;

	newfile("e5.xml", "employer");
	a = app(5, "replace-lost", "2026-11-20T08:00:00+08:00", "王\xee\x80\x80");
	b = app(5, "new", "2026-11-20T09:00:00+08:00", "王五");
	run();
	assert_string_equal(state(b), "accepted");
	assert_string_equal(state(a), "duplicate:duplicate-in-run");
}

static void
test_card_in_production_makes_a_duplicate_of_its_application(void **s)
{
	long long first, again;

	newfile("e6.xml", "employer");
	first = app(6, "new", "2026-11-20T08:00:00+08:00", NULL);
	run();
	assert_string_equal(state(first), "accepted");
	newfile("e7.xml", "outlet");
	again = app(6, "new", "2026-11-25T08:00:00+08:00", NULL);
	run();
	assert_string_equal(state(again), "duplicate:duplicate-in-production");
	assert_int_equal(q("SELECT duplicate_of FROM application WHERE id = %lld", again), first);
	assert_non_null(strstr(qs("SELECT dedup_rule FROM application WHERE id = %lld", again),
			       "in production"));
}

static void
test_chunks_never_split_a_person(void **s)
{
	struct prepare_counts c;

	config_set(cfg, "prepare.batch_size", "2", CFG_CLI);
	newfile("e8.xml", "employer");
	for (int i = 0; i < 5; i++)
		app(8, "new", "2026-11-20T08:00:00+08:00", NULL);
	app(9, "new", "2026-11-20T08:00:00+08:00", NULL);
	app(10, "new", "2026-11-20T08:00:00+08:00", NULL);
	c = run();
	config_set(cfg, "prepare.batch_size", "1000", CFG_CLI);
	assert_int_equal(c.read, 7);
	assert_int_equal(c.accepted, 3);
	assert_int_equal(c.duplicate, 4);
	assert_int_equal(q("SELECT count(*) FROM application a JOIN person p ON p.id_number = "
			   "a.id_number WHERE a.state = 'accepted' GROUP BY p.id ORDER BY 1 DESC "
			   "LIMIT 1"),
			 1);
}

static void
test_every_record_ends_in_one_state_per_file(void **s)
{
	/* conservation: accepted + rejected + duplicate + held = records, for every file */
	assert_int_equal(q("SELECT count(*) FROM input_file f WHERE f.records <> (SELECT count(*) "
			   "FROM application a WHERE a.file_id = f.id AND a.state IN "
			   "('accepted','rejected','duplicate','held'))"),
			 0);
	assert_int_equal(
		q("SELECT count(*) FROM application WHERE state = 'accepted' AND id NOT IN "
		  "(SELECT application_id FROM card)"),
		0);
}

static void
test_rerun_changes_nothing(void **s)
{
	long long audit = q("SELECT count(*) FROM audit_log");
	struct prepare_counts c = run();

	assert_int_equal(c.read, 0);
	assert_int_equal(c.rejects_files, 0);
	assert_int_equal(q("SELECT count(*) FROM audit_log"), audit);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_person_twice_in_one_file_gives_one_application),
		cmocka_unit_test(test_replacement_beats_new_across_channels),
		cmocka_unit_test(test_earliest_submitted_wins_whatever_the_zone),
		cmocka_unit_test(test_rejected_record_takes_no_part),
		cmocka_unit_test(test_acceptable_record_beats_held_one),
		cmocka_unit_test(test_card_in_production_makes_a_duplicate_of_its_application),
		cmocka_unit_test(test_chunks_never_split_a_person),
		cmocka_unit_test(test_every_record_ends_in_one_state_per_file),
		cmocka_unit_test(test_rerun_changes_nothing),
	};
	return cmocka_run_group_tests(tests, setup, prepare_fixture_teardown);
}
