/*
 * test_ingest.c - the ingest stage (pipeline/stages/ingest.c) and its registry access
 * (pipeline/registry/reg_ingest.c) on a temporary CARDPIPE_HOME: good and bad files side by
 * side, known files, a file a crash left 'ingesting', photos stored once, conservation;
 * each photo checked once against the standard while ingest holds it, the result kept on
 * the application row for prepare.
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
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/mem.h"
#include "pipeline/registry/reg_ingest.h"
#include "pipeline/registry/registry.h"
#include "pipeline/rules/photo_check.h"
#include "pipeline/stages/ingest.h"
#include "pipeline/stages/photo_store.h"
#include "jpeg_fixture.h"

#include <jpeglib.h>
#include <openssl/evp.h>

static char home[64];
static struct config *cfg;
static struct registry *reg;

static void
put(const char *name, const char *text)
{
	char *dir = fs_join(home, "inbox"), *path = fs_join(dir, name);

	assert_int_equal(fs_write_atomic(path, text, strlen(text), 0600), 0);
	free(path);
	free(dir);
}

static int
exists(const char *rel)
{
	char *p = fs_join(home, rel);
	int e = fs_exists(p);

	free(p);
	return e;
}

static long long
q(const char *sql)
{
	char *path = fs_join(home, "registry.db");
	sqlite3 *db;
	sqlite3_stmt *st;
	long long v = -1;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(path);
	return v;
}

/* The text of column 0 of the first row of sql (newly allocated), NULL when none. */
static char *
qtext(const char *sql)
{
	char *path = fs_join(home, "registry.db"), *v = NULL;
	sqlite3 *db;
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		v = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(path);
	return v;
}

struct grey_photo {
	int w, grey;
};

static void
grey_row(int y, unsigned char *row, void *arg)
{
	const struct grey_photo *p = arg;

	(void)y;
	memset(row, p->grey, (size_t)p->w * 3);
}

/* A w x h grey JPEG (newly allocated, *len bytes). */
static unsigned char *
jpeg(int w, int h, int grey, unsigned long *len)
{
	struct grey_photo p = {w, grey};

	return jpeg_fixture(w, h, 3, 0, grey_row, &p, len);
}

static const char csv_header[] =
	"ref,channel,outlet,submitted_at,app_type,name,id_type,id_number,sex,ethnicity,"
	"birth_date,nationality,mobile,category,delivery,address,postal_code,district,branch,"
	"bank,photo,old_card_no,transport_balance,guardian_name,guardian_id_type,"
	"guardian_id_number,guardian_proof\n";

static char *
csv(int rows, const char *photo)
{
	char *t = xstrdup(csv_header);

	for (int i = 1; i <= rows; i++) {
		char *n = xasprintf("%sC%d,outlet,o1,2026-11-26T10:00:00+08:00,new,李四%d,citizen,"
				    "11010119850601%04d,2,01,1985-06-01,CHN,13900001111,insured,"
				    "pickup,,,,B1,BOC,%s,,,,,,\n",
				    t, i, i, i, photo);

		free(t);
		t = n;
	}
	return t;
}

/* The check kept for the record with this ref, and the one photo_check() gives the bytes. */
static void
assert_kept_check(const char *ref, const unsigned char *photo, unsigned long len)
{
	char *sql = xasprintf("SELECT photo_check FROM application WHERE channel_ref = '%s'", ref);
	char *kept = qtext(sql), want[PHOTO_RESULT_TEXT_MAX];
	struct photo_limits lim;
	struct photo_result res;

	photo_limits_from_config(cfg, &lim);
	photo_check(photo, len, &lim, &res);
	photo_result_encode(&lim, &res, want);
	assert_non_null(kept);
	assert_string_equal(kept, want);
	free(kept);
	free(sql);
}

/* The stage through the contract; the contract's figures are the stage's own. */
static int
ingest_with(struct ingest_counts *c)
{
	struct stage_ctx sc = {.cfg = cfg, .home = home, .reg = reg, .actor = "ingest"};
	struct ingest_opts o = {.detail = c};
	struct stage_result sr;
	int r = stage_ingest_run(&sc, &o, &sr);

	assert_int_equal(sr.read, c->records);
	assert_int_equal(sr.rejected, c->rejected);
	assert_int_equal(sr.done, c->records - c->rejected);
	return r;
}

static void
test_photo_checked_once_at_ingest(void **state)
{
	struct ingest_counts c;
	unsigned long glen, blen;
	unsigned char *good = jpeg(358, 441, 250, &glen), *small = jpeg(100, 120, 250, &blen);
	char *b64 = xmalloc(glen * 2 + 4), *t, *path;
	char *sql;

	/* inline (base64), by reference in a sub-folder, a photo of the wrong size */
	EVP_EncodeBlock((unsigned char *)b64, good, (int)glen);
	t = xasprintf("%sR1,outlet,o1,2026-11-26T10:00:00+08:00,new,李四,citizen,"
		      "110101198506010011,2,01,1985-06-01,CHN,13900001111,insured,pickup,,,,B1,"
		      "BOC,base64:%s,,,,,,\n"
		      "R2,outlet,o1,2026-11-26T10:00:00+08:00,new,李五,citizen,"
		      "110101198506010038,2,01,1985-06-01,CHN,13900001111,insured,pickup,,,,B1,"
		      "BOC,pics/small.jpg,,,,,,\n",
		      csv_header, b64);
	path = fs_join(home, "inbox/pics");
	assert_int_equal(fs_mkdirs(path, 0700), 0);
	free(path);
	path = fs_join(home, "inbox/pics/small.jpg");
	assert_int_equal(fs_write_atomic(path, small, blen, 0600), 0);
	free(path);
	put("p.csv", t);
	assert_int_equal(ingest_with(&c), 0);
	assert_int_equal(c.records, 2);
	assert_int_equal(c.rejected, 0);
	assert_kept_check("R1", good, glen);
	assert_kept_check("R2", small, blen);
	sql = qtext("SELECT photo_check FROM application WHERE channel_ref = 'R2'");
	assert_non_null(strstr(sql, " photo-dimensions 100 120 3 "));
	free(sql);
	/* every record with a photo has its check */
	assert_int_equal(q("SELECT count(*) FROM application WHERE photo_check IS NULL"), 0);
	free(t);
	free(b64);
	free(good);
	free(small);
}

static int
setup(void **state)
{
	char *dir;

	snprintf(home, sizeof(home), "/tmp/test_ingest.XXXXXX");
	if (!mkdtemp(home))
		return -1;
	dir = fs_join(home, "inbox");
	fs_mkdirs(dir, 0700);
	free(dir);
	dir = fs_join(home, "registry.db");
	cfg = config_new();
	/* files put just now are complete: no settle time */
	config_set(cfg, "ingest.settle_seconds", "0", CFG_CLI);
	if (registry_open(dir, &reg) < 0)
		return -1;
	free(dir);
	return 0;
}

static int
teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", home);

	registry_close(reg);
	config_free(cfg);
	if (system(cmd) != 0)
		return -1;
	free(cmd);
	return 0;
}

static void
test_good_bad_and_rerun(void **state)
{
	struct ingest_counts c;
	char *good = csv(3, "base64:Zm9vYmFy");

	put("a.csv", good);
	put("b.xml",
	    "<?xml version=\"1.0\"?>\n<EmployerBatch xmlns=\"urn:cardpipe:employer-batch:1\" "
	    "version=\"1\"><Employer>\n</EmployerBatch>\n");
	put("c.csv", "ref,channel\n\"open\n");
	put("photo.jpg", "not an application file");
	assert_int_equal(ingest_with(&c), 0);
	assert_int_equal(c.files, 3);
	assert_int_equal(c.files_ingested, 1);
	assert_int_equal(c.files_quarantined, 2);
	assert_int_equal(c.records, 3);
	assert_int_equal(c.rejected, 0);
	assert_int_equal(c.photos, 1); /* the same photo three times */
	assert_true(exists("quarantine/b.xml") && exists("quarantine/b.xml.report.txt"));
	assert_true(exists("quarantine/c.csv") && exists("quarantine/c.csv.report.txt"));
	assert_true(exists("inbox/photo.jpg"));
	/* stored once, in a pack, at one place all three rows name; it reads back whole */
	assert_int_equal(q("SELECT count(DISTINCT photo_loc) FROM application WHERE photo_loc "
			   "IS NOT NULL"),
			 1);
	{
		char *loc = qtext("SELECT photo_loc FROM application LIMIT 1"),
		     *dir = fs_join(home, "spool/photos");
		unsigned char *d = NULL;
		size_t len = 0;

		assert_non_null(loc);
		assert_int_equal(photo_store_read_at(dir, loc,
						     "c3ab8ff13720e8ad9047dd39466b3c8974e592c2fa383"
						     "d4a3960714caef0c4f2",
						     1 << 20, &d, &len),
				 0);
		assert_true(len > 0);
		free(d);
		free(loc);
		free(dir);
	}
	assert_int_equal(q("SELECT count(*) FROM application WHERE photo_sha256 = "
			   "'c3ab8ff13720e8ad9047dd39466b3c8974e592c2fa383d4a3960714caef0c4f2'"),
			 3);
	assert_int_equal(q("SELECT count(*) FROM input_file WHERE status = 'quarantined' AND "
			   "reason IN ('not-well-formed', 'csv-malformed')"),
			 2);

	/* the same bytes again: nothing new */
	put("a-again.csv", good);
	assert_int_equal(ingest_with(&c), 0);
	assert_int_equal(c.files, 1);
	assert_int_equal(c.files_known, 1);
	assert_int_equal(c.records, 0);
	assert_false(exists("inbox/a-again.csv"));
	assert_int_equal(q("SELECT count(*) FROM application"), 3);
	assert_int_equal(q("SELECT count(*) FROM input_file"), 3);
	free(good);
}

static void
test_crash_left_ingesting(void **state)
{
	struct ingest_counts c;
	struct reg_ingest_writer *w;
	struct app_record rec = {0};
	char *text = csv(5, ""), *path = xasprintf("%s/inbox/x.csv", home), *sha;
	char cmd[256];
	FILE *p;
	long long id;

	put("x.csv", text);
	snprintf(cmd, sizeof(cmd), "sha256sum '%s'", path);
	p = popen(cmd, "r");
	sha = xcalloc(1, 65);
	assert_int_equal(fscanf(p, "%64s", sha), 1);
	pclose(p);

	/* what a crash after one batch leaves: the file 'ingesting' with a stray row */
	assert_int_equal(registry_begin(reg), 0);
	assert_int_equal(reg_ingest_file_start(reg, sha, "x.csv", &id), 0);
	assert_int_equal(reg_ingest_writer_open(reg, id, &w), 0);
	rec.record_no = 99;
	rec.location = xstrdup("stale");
	rec.channel = xstrdup("outlet");
	assert_int_equal(reg_ingest_add(w, &rec), 0);
	reg_ingest_writer_free(w);
	assert_int_equal(registry_commit(reg), 0);
	app_record_release(&rec);

	assert_int_equal(ingest_with(&c), 0);
	assert_int_equal(c.files_ingested, 1);
	assert_int_equal(c.records, 5);
	assert_int_equal(q("SELECT count(*) FROM application WHERE location = 'stale'"), 0);
	assert_int_equal(q("SELECT records FROM input_file WHERE name = 'x.csv' AND status = "
			   "'ingested'"),
			 5);
	assert_int_equal(q("SELECT count(*) FROM application a JOIN input_file f ON f.id = "
			   "a.file_id WHERE f.name = 'x.csv'"),
			 5);
	free(text);
	free(path);
	free(sha);
}

static void
test_quarantine_deletes_rows(void **state)
{
	struct reg_ingest_writer *w;
	struct reg_input_file f;
	struct app_record rec = {0};
	long long id;

	assert_int_equal(registry_begin(reg), 0);
	assert_int_equal(reg_ingest_file_start(reg, "00ff", "q.xml", &id), 0);
	assert_int_equal(reg_ingest_writer_open(reg, id, &w), 0);
	rec.record_no = 1;
	rec.location = xstrdup("line 2");
	rec.channel = xstrdup("outlet");
	app_record_reject(&rec, "csv-bad-quoting", NULL, "line 2: quote");
	assert_int_equal(reg_ingest_add(w, &rec), 0);
	reg_ingest_writer_free(w);
	assert_int_equal(q("SELECT count(*) FROM application WHERE reason_code = "
			   "'csv-bad-quoting'"),
			 0); /* not committed yet: invisible to another connection */
	assert_int_equal(reg_ingest_file_quarantine(reg, id, "employer-xml", "employer",
						    "schema-violation", "report\n",
						    "quarantine/q.xml"),
			 0);
	assert_int_equal(registry_commit(reg), 0);
	assert_int_equal(q("SELECT count(*) FROM application a JOIN input_file f ON f.id = "
			   "a.file_id WHERE f.name = 'q.xml'"),
			 0);
	assert_int_equal(reg_ingest_find_file(reg, "00ff", &f), 0);
	assert_string_equal(f.status, "quarantined");
	assert_string_equal(f.reason, "schema-violation");
	assert_string_equal(f.report, "report\n");
	reg_input_file_release(&f);
	assert_int_equal(reg_ingest_find_file(reg, "abcd", &f), CP_ERR_NOTFOUND);
	app_record_release(&rec);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_good_bad_and_rerun, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_left_ingesting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quarantine_deletes_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_photo_checked_once_at_ingest, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
