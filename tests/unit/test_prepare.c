/*
 * test_prepare.c - the prepare stage end to end on a seeded registry: the rejects file
 * (RFC 4180 quoting, one per input file, a resent name kept apart, a header-only file for
 * a clean file), a stage failure in the middle of a run (the spool unreadable) rolls back
 * the chunk in flight and a rerun converges, and --file / --application restrict the run;
 * the photo check ingest kept is taken as it is when made with today's limits (the photo
 * is then not read), and a record without one, or with one of other limits, is checked.
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
#include <unistd.h>

#include "core/config.h"
#include "core/fsutil.h"
#include "pipeline/registry/registry.h"
#include "pipeline/rules/idnumber.h"
#include "pipeline/rules/photo_check.h"
#include "pipeline/stages/prepare.h"

#include "prepare_fixture.h"

static char grey_sha[65];

static int
setup(void **state)
{
	if (prepare_fixture_setup("test_prepare") < 0)
		return -1;
	prepare_fixture_photo(246, photo_sha);
	prepare_fixture_photo(120, grey_sha);
	return 0;
}

static const char *
default_of(const char *key)
{
	for (size_t i = 0; i < config_nkeys; i++)
		if (!strcmp(config_keys[i].name, key))
			return config_keys[i].def;
	return "";
}

static char *
slurp(const char *rel)
{
	char path[256];
	unsigned char *data = NULL;
	size_t len = 0;

	snprintf(path, sizeof(path), "%s/%s", home, rel);
	if (fs_read_file(path, 1 << 20, &data, &len) < 0)
		return NULL;
	return (char *)data;
}

static void
test_rejects_file_lists_rejected_records_with_csv_quoting(void **s)
{
	long long a, b, c;
	char *text;

	newfile("batch \"A\".xml", "employer");
	a = app(11, "new", "2026-11-20T09:00:00+08:00", NULL);
	b = app(12, "new", "2026-11-20T09:00:00+08:00", NULL);
	sql("UPDATE application SET bank = 'HS,BC', channel_ref = 'R\"1' WHERE id = %lld", b);
	c = app(13, "new", "2026-11-20T09:00:00+08:00", NULL);
	sql("UPDATE application SET postal_code = '1000', delivery = 'mail-person', "
	    "address = 'x' WHERE id = %lld",
	    c);
	run();
	assert_string_equal(state(a), "accepted");
	text = slurp("out/rejects/employer/batch \"A\".xml.rejects.csv");
	assert_non_null(text);
	assert_string_equal(
		text, "\xEF\xBB\xBF"
		      "record_no,channel_ref,location,reason_code,field,message_zh,message_en,"
		      "input_file\n"
		      "2,\"R\"\"1\",line 3,bank-unknown,bank,银行不是合作银行（字段 bank）,"
		      "\"bank 'HS,BC' is not in banks.cooperating\",\"batch \"\"A\"\".xml\"\n"
		      "3,,line 4,postal-code-invalid,postal_code,邮政编码无效（字段 postal_code）,"
		      "postal code '1000' is not 6 digits,\"batch \"\"A\"\".xml\"\n");
	free(text);
}

static void
test_clean_file_gets_a_header_only_rejects_file(void **s)
{
	char *text;

	newfile("clean.csv", "outlet");
	app(14, "new", "2026-11-20T09:00:00+08:00", NULL);
	run();
	text = slurp("out/rejects/outlet/clean.csv.rejects.csv");
	assert_non_null(text);
	assert_string_equal(
		text, "\xEF\xBB\xBF"
		      "record_no,channel_ref,location,reason_code,field,message_zh,message_en,"
		      "input_file\n");
	free(text);
}

static void
test_resent_file_name_keeps_its_own_rejects_file(void **s)
{
	char *first, *second, rel[128];
	long long b;

	newfile("clean.csv", "outlet"); /* the same name as before, other content */
	b = app(15, "new", "2026-11-20T09:00:00+08:00", NULL);
	sql("UPDATE application SET bank = 'HSBC' WHERE id = %lld", b);
	run();
	first = slurp("out/rejects/outlet/clean.csv.rejects.csv");
	snprintf(rel, sizeof(rel), "out/rejects/outlet/clean.csv.%d.rejects.csv", nfile);
	second = slurp(rel);
	assert_non_null(first);
	assert_non_null(second);
	assert_null(strstr(first, "bank-unknown"));
	assert_non_null(strstr(second, "bank-unknown"));
	free(first);
	free(second);
}

static void
test_file_name_cannot_escape_the_rejects_folder(void **s)
{
	char *text;

	newfile("../../../etc/evil.xml", "../website");
	app(16, "new", "2026-11-20T09:00:00+08:00", NULL);
	run();
	text = slurp("out/rejects/website/evil.xml.rejects.csv");
	assert_non_null(text);
	free(text);
}

static void
test_unreadable_spool_fails_the_run_and_rolls_back(void **s)
{
	char cmd[512];
	long long a;
	struct prepare_counts c;
	long long cards = q("SELECT count(*) FROM card");

	newfile("spool.xml", "website");
	a = app(17, "new", "2026-11-20T09:00:00+08:00", NULL);
	/* the stored photo becomes something that opens but cannot be read (a folder; a
	 * chmod would not stop root): a fault of the spool, not of the record */
	snprintf(cmd, sizeof(cmd), "cd %s/spool/photos && mv %s.jpg keep && mkdir %s.jpg", home,
		 photo_sha, photo_sha);
	assert_int_equal(system(cmd), 0);
	assert_true(prepare_with(NULL, &c) < 0);
	snprintf(cmd, sizeof(cmd), "cd %s/spool/photos && rmdir %s.jpg && mv keep %s.jpg", home,
		 photo_sha, photo_sha);
	assert_int_equal(system(cmd), 0);
	assert_string_equal(state(a), "received");
	assert_int_equal(q("SELECT count(*) FROM card"), cards);
	run();
	assert_string_equal(state(a), "accepted");
}

static void
test_missing_photo_file_is_the_records_fault(void **s)
{
	long long a;

	newfile("nophoto.xml", "website");
	a = app(18, "new", "2026-11-20T09:00:00+08:00", NULL);
	sql("UPDATE application SET photo_sha256 = '%s' WHERE id = %lld",
	    "0000000000000000000000000000000000000000000000000000000000000000", a);
	run();
	assert_string_equal(state(a), "rejected:photo-missing");
	assert_non_null(
		strstr(qs("SELECT reason_en FROM application WHERE id = %lld", a), "missing"));
}

/* A kept check as ingest writes it, made with the limits in cfg (or width w instead). */
static void
keep_check(long long a, int w, const char *reason, int background)
{
	struct photo_limits lim;
	struct photo_result res = {.reason = reason,
				   .width = 358,
				   .height = 441,
				   .components = 3,
				   .background = background};
	char text[PHOTO_RESULT_TEXT_MAX];

	photo_limits_from_config(cfg, &lim);
	if (w)
		lim.width = w;
	if (reason)
		snprintf(res.detail, sizeof(res.detail), "kept by ingest: border %d", background);
	photo_result_encode(&lim, &res, text);
	sql("UPDATE application SET photo_check = %Q WHERE id = %lld", text, a);
}

/* Prepare application a alone (a run of its own: verdicts are remembered per run by the
 * photo's hash, and these tests give one photo different kept checks). */
static void
run_one(long long a)
{
	struct prepare_counts c;

	if (prepare_with(&(struct prepare_opts){.app_id = a}, &c) < 0)
		fail_msg("prepare failed: %s", cp_errmsg());
}

static void
test_kept_photo_check_is_taken_without_reading_the_photo(void **s)
{
	long long a, b, c, d, e;

	newfile("kept.xml", "website");
	/* a good photo whose kept check says otherwise: the kept check decides */
	a = app(30, "new", "2026-11-20T09:00:00+08:00", NULL);
	keep_check(a, 0, "photo-background", 100);
	/* a grey photo whose kept check passes: taken as it is, the photo is not decoded */
	b = app(31, "new", "2026-11-20T09:00:00+08:00", NULL);
	sql("UPDATE application SET photo_sha256 = %Q WHERE id = %lld", grey_sha, b);
	keep_check(b, 0, NULL, 250);
	/* the grey photo with a kept check made with other limits: checked again */
	c = app(32, "new", "2026-11-20T09:00:00+08:00", NULL);
	sql("UPDATE application SET photo_sha256 = %Q WHERE id = %lld", grey_sha, c);
	keep_check(c, 359, NULL, 250);
	/* a garbled one: checked again */
	d = app(33, "new", "2026-11-20T09:00:00+08:00", NULL);
	sql("UPDATE application SET photo_sha256 = %Q, photo_check = 'pc1 358 x' WHERE id = "
	    "%lld",
	    grey_sha, d);
	/* a kept check that passes, but the stored photo is gone */
	e = app(34, "new", "2026-11-20T09:00:00+08:00", NULL);
	sql("UPDATE application SET photo_sha256 = %Q WHERE id = %lld",
	    "1111111111111111111111111111111111111111111111111111111111111111", e);
	keep_check(e, 0, NULL, 250);
	run_one(a);
	run_one(b);
	run_one(c);
	run_one(d);
	run_one(e);
	assert_string_equal(state(a), "rejected:photo-background");
	assert_non_null(strstr(qs("SELECT reason_en FROM application WHERE id = %lld", a),
			       "kept by ingest: border 100"));
	assert_string_equal(state(b), "accepted");
	assert_string_equal(state(c), "rejected:photo-background");
	assert_string_equal(state(d), "rejected:photo-background");
	assert_string_equal(state(e), "rejected:photo-missing");
}

static void
test_photo_warn_mode_accepts_and_audits(void **s)
{
	long long a, b;
	struct prepare_counts c;

	newfile("grey.xml", "website");
	a = app(23, "new", "2026-11-20T09:00:00+08:00", NULL);
	sql("UPDATE application SET photo_sha256 = %Q WHERE id = %lld", grey_sha, a);
	b = app(24, "new", "2026-11-20T09:00:00+08:00", NULL);
	sql("UPDATE application SET photo_sha256 = %Q WHERE id = %lld", grey_sha, b);
	config_set(cfg, "photo.on_failure", "warn", CFG_CLI);
	assert_int_equal(prepare_with(&(struct prepare_opts){.app_id = a}, &c), 0);
	config_set(cfg, "photo.on_failure", "reject", CFG_CLI);
	assert_int_equal(c.photo_warnings, 1);
	assert_string_equal(state(a), "accepted");
	assert_int_equal(q("SELECT count(*) FROM audit_log WHERE entity = 'application' AND "
			   "entity_id = %lld AND event = 'photo-warning' AND detail LIKE "
			   "'photo-background:%%'",
			   a),
			 1);
	run();
	assert_string_equal(state(b), "rejected:photo-background");
}

static void
test_file_and_application_filters(void **s)
{
	struct prepare_opts o = {0};
	struct prepare_counts c;
	long long a, b, d;
	int f1;

	newfile("f1.xml", "website");
	f1 = nfile;
	a = app(19, "new", "2026-11-20T09:00:00+08:00", NULL);
	newfile("f2.xml", "website");
	b = app(20, "new", "2026-11-20T09:00:00+08:00", NULL);
	d = app(21, "new", "2026-11-20T09:00:00+08:00", NULL);
	o.file_id = f1;
	assert_int_equal(prepare_with(&o, &c), 0);
	assert_int_equal(c.read, 1);
	assert_string_equal(state(a), "accepted");
	assert_string_equal(state(b), "received");
	memset(&o, 0, sizeof(o));
	o.app_id = d;
	o.instant = 1;
	assert_int_equal(prepare_with(&o, &c), 0);
	assert_int_equal(c.read, 1);
	assert_string_equal(state(d), "accepted");
	assert_string_equal(qs("SELECT due_date FROM application WHERE id = %lld", d),
			    "2026-11-20");
	assert_int_equal(q("SELECT instant FROM card WHERE application_id = %lld", d), 1);
	assert_string_equal(state(b), "received");
	run();
	assert_string_equal(state(b), "accepted");
}

static void
test_bad_configuration_stops_before_any_work(void **s)
{
	struct prepare_counts c;
	long long a;

	newfile("cfg.xml", "website");
	a = app(22, "new", "2026-11-20T09:00:00+08:00", NULL);
	config_set(cfg, "banks.bins", "ICBC:6212", CFG_CLI);
	assert_true(prepare_with(NULL, &c) < 0);
	config_set(cfg, "banks.bins", default_of("banks.bins"), CFG_CLI);
	config_set(cfg, "card.number_prefix", "BB", CFG_CLI);
	assert_true(prepare_with(NULL, &c) < 0);
	config_set(cfg, "card.number_prefix", "B", CFG_CLI);
	/* a rule of two keys stays with the rules */
	config_set(cfg, "photo.max_bytes", "8999", CFG_CLI);
	assert_true(prepare_with(NULL, &c) < 0);
	assert_non_null(strstr(cp_errmsg(), "photo.max_bytes 8999 is below photo.min_bytes 9000"));
	config_set(cfg, "photo.max_bytes", "150000", CFG_CLI);
	/* a word the key table does not allow never reaches prepare */
	assert_int_equal(config_set(cfg, "photo.on_failure", "ignore", CFG_CLI), CP_ERR_CONFIG);
	assert_string_equal(state(a), "received");
	run();
	assert_string_equal(state(a), "accepted");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rejects_file_lists_rejected_records_with_csv_quoting),
		cmocka_unit_test(test_clean_file_gets_a_header_only_rejects_file),
		cmocka_unit_test(test_resent_file_name_keeps_its_own_rejects_file),
		cmocka_unit_test(test_file_name_cannot_escape_the_rejects_folder),
		cmocka_unit_test(test_unreadable_spool_fails_the_run_and_rolls_back),
		cmocka_unit_test(test_missing_photo_file_is_the_records_fault),
		cmocka_unit_test(test_photo_warn_mode_accepts_and_audits),
		cmocka_unit_test(test_kept_photo_check_is_taken_without_reading_the_photo),
		cmocka_unit_test(test_file_and_application_filters),
		cmocka_unit_test(test_bad_configuration_stops_before_any_work),
	};
	return cmocka_run_group_tests(tests, setup, prepare_fixture_teardown);
}
