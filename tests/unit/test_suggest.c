/* test_suggest.c - "did you mean": edit distances and the suggestion rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/suggest.h"

static const char *const commands[] = {"init",	    "config", "db",	 "sample",  "ingest",
				       "prepare",   "perso",  "render",	 "produce", "dispatch",
				       "reconcile", "status", "nightly", "instant", "keys",
				       "calendar",  "line"};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
test_distance(void **state)
{
	(void)state;
	assert_int_equal(cp_edit_distance("", ""), 0);
	assert_int_equal(cp_edit_distance("", "abc"), 3);
	assert_int_equal(cp_edit_distance("abc", ""), 3);
	assert_int_equal(cp_edit_distance("kitten", "sitting"), 3);
	assert_int_equal(cp_edit_distance("line", "lien"), 1); /* a swap is one edit */
	assert_int_equal(cp_edit_distance("ca", "abc"), 3);    /* optimal string alignment */
	assert_int_equal(cp_edit_distance("perso", "perso"), 0);
	assert_int_equal(cp_edit_distance("reconcile", "reconcil"), 1);
}

static void
test_suggests_slips(void **state)
{
	(void)state;
	assert_string_equal(cp_suggest("perzo", commands, NCOMMANDS), "perso");
	assert_string_equal(cp_suggest("reconcil", commands, NCOMMANDS), "reconcile");
	assert_string_equal(cp_suggest("insatnt", commands, NCOMMANDS), "instant");
	assert_string_equal(cp_suggest("nigthly", commands, NCOMMANDS), "nightly");
	assert_string_equal(cp_suggest("disp", commands, NCOMMANDS), "dispatch"); /* prefix */
}

static void
test_no_wild_guesses(void **state)
{
	(void)state;
	assert_null(cp_suggest("frobnicate", commands, NCOMMANDS));
	assert_null(cp_suggest("", commands, NCOMMANDS));
	assert_null(cp_suggest("x", commands, NCOMMANDS));
	assert_null(cp_suggest("pr", commands, NCOMMANDS)); /* prepare, produce: ambiguous */
	assert_null(cp_suggest("abc", NULL, 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_distance),
		cmocka_unit_test(test_suggests_slips),
		cmocka_unit_test(test_no_wild_guesses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
