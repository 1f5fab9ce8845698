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

#include <jpeglib.h>

#include "core/config.h"
#include "core/fsutil.h"
#include "registry/registry.h"
#include "rules/idnumber.h"
#include "stages/prepare.h"

static char home[64], dbpath[128];
static struct config *cfg;
static struct registry *reg;
static sqlite3 *raw;
static char photo_sha[65];
static int nfile, nrec;

static void
sql(const char *fmt, ...)
{
	char *msg = NULL, *s;
	va_list ap;

	va_start(ap, fmt);
	s = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
	if (sqlite3_exec(raw, s, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("SQL failed: %s: %s", msg, s);
	sqlite3_free(s);
}

static long long
q(const char *fmt, ...)
{
	sqlite3_stmt *st;
	long long n = -1;
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
	sqlite3_prepare_v2(raw, s, -1, &st, NULL);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_free(s);
	return n;
}

static const char *
qs(const char *fmt, ...)
{
	static char out[512];
	sqlite3_stmt *st;
	va_list ap;
	char *s;

	out[0] = '\0';
	va_start(ap, fmt);
	s = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
	sqlite3_prepare_v2(raw, s, -1, &st, NULL);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(out, sizeof(out), "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_free(s);
	return out;
}

static void
write_photo(void)
{
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr err;
	unsigned char *out = NULL, row[358 * 3];
	unsigned long len = 0;
	unsigned int seed = 5;
	char cmd[256], *p;
	FILE *f;

	c.err = jpeg_std_error(&err);
	jpeg_create_compress(&c);
	jpeg_mem_dest(&c, &out, &len);
	c.image_width = 358;
	c.image_height = 441;
	c.input_components = 3;
	c.in_color_space = JCS_RGB;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, 70, TRUE);
	jpeg_start_compress(&c, TRUE);
	for (int y = 0; y < 441; y++) {
		JSAMPROW r = row;

		for (int x = 0; x < 358; x++) {
			double dx = (x - 179) / 100.0, dy = (y - 243) / 141.0;
			int head = dx * dx + dy * dy < 1 || y > 375;

			seed = seed * 1103515245u + 12345u;
			row[x * 3] = row[x * 3 + 1] = row[x * 3 + 2] =
				(unsigned char)(head ? 60 + (seed >> 8) % 140
						     : 246 + (seed >> 16) % 9);
		}
		jpeg_write_scanlines(&c, &r, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	snprintf(cmd, sizeof(cmd), "%s/p.jpg", home);
	f = fopen(cmd, "wb");
	fwrite(out, 1, len, f);
	fclose(f);
	free(out);
	snprintf(cmd, sizeof(cmd), "sha256sum %s/p.jpg", home);
	f = popen(cmd, "r");
	assert_non_null(fgets(photo_sha, sizeof(photo_sha), f));
	pclose(f);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/spool/photos && mv %s/p.jpg %s/spool/photos/%s.jpg",
		 home, home, home, photo_sha);
	assert_int_equal(system(cmd), 0);
	(void)p;
}

static int
setup(void **state)
{
	snprintf(home, sizeof(home), "/tmp/test_dedup.XXXXXX");
	if (!mkdtemp(home))
		return -1;
	snprintf(dbpath, sizeof(dbpath), "%s/registry.db", home);
	setenv("CARDPIPE_NOW", "2026-11-26T20:00:00+08:00", 1);
	setenv("CARDPIPE_DATA", "../../data", 0);
	cfg = config_new();
	if (registry_open(dbpath, &reg) < 0 || sqlite3_open(dbpath, &raw) != SQLITE_OK)
		return -1;
	sqlite3_busy_timeout(raw, 10000);
	write_photo();
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	sqlite3_close(raw);
	registry_close(reg);
	config_free(cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", home);
	return system(cmd) == 0 ? 0 : -1;
}

static void
newfile(const char *name, const char *channel)
{
	nfile++;
	nrec = 0;
	sql("INSERT INTO input_file(id, sha256, name, channel, format, received_at, status, "
	    "records) "
	    "VALUES(%d, 'sha%d', %Q, %Q, 'x', 'x', 'ingested', 0)",
	    nfile, nfile, name, channel);
}

/* A good application of person `who` (1..99) in the current file; returns its id. */
static long long
app(int who, const char *app_type, const char *submitted, const char *name)
{
	char first17[18], id[19];

	snprintf(first17, sizeof(first17), "110101198001%02d%03d", who % 28 + 1, who * 2 + 1);
	memcpy(id, first17, 17);
	id[17] = id_check_char(first17);
	id[18] = '\0';
	nrec++;
	sql("INSERT INTO application(file_id, record_no, location, channel, app_type, "
	    "submitted_at, "
	    "name, id_type, id_number, sex, mobile, delivery, branch, bank, photo_sha256, "
	    "category, "
	    "confirmed_at, created_at, updated_at) SELECT %d, %d, 'line %d', channel, %Q, %Q, %Q, "
	    "'citizen', %Q, '1', '13912345678', 'pickup', 'B01', 'ICBC', %Q, 'insured', "
	    "'2026-11-01', 'x', 'x' FROM input_file WHERE id = %d;"
	    "UPDATE input_file SET records = records + 1 WHERE id = %d",
	    nfile, nrec, nrec + 1, app_type, submitted, name ? name : "张三", id, photo_sha, nfile,
	    nfile);
	return q("SELECT max(id) FROM application");
}

static struct prepare_counts
run(void)
{
	struct prepare_counts c;

	if (stage_prepare_run(cfg, home, reg, NULL, &c) < 0)
		fail_msg("prepare failed");
	return c;
}

static const char *
state(long long id)
{
	return qs(
		"SELECT state || coalesce(':' || reason_code, '') FROM application WHERE id = %lld",
		id);
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
	return cmocka_run_group_tests(tests, setup, teardown);
}
