/* test_core.c - the core helpers: errors, bounded buffers, files, dates, hex, masking, JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/hex.h"
#include "core/json.h"
#include "core/lock.h"
#include "core/mask.h"

#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void
test_err_detail_and_wrap(void **state)
{
	assert_int_equal(cp_err(CP_ERR_FORMAT, "line %d: bad", 3), CP_ERR_FORMAT);
	assert_string_equal(cp_errmsg(), "line 3: bad");
	assert_int_equal(cp_err_wrap(CP_ERR_FORMAT, "file '%s': ", "a.xml"), CP_ERR_FORMAT);
	assert_string_equal(cp_errmsg(), "file 'a.xml': line 3: bad");
	assert_string_equal(cp_strerror(CP_ERR_BUSY), "busy");
}

static void
test_buf_grows_and_stops_at_its_limit(void **state)
{
	struct buf b = BUF_INIT(8);

	assert_int_equal(buf_append(&b, "abcd", 4), 0);
	assert_int_equal(buf_appendf(&b, "%d", 123), 0);
	assert_string_equal(buf_str(&b), "abcd123");
	assert_int_equal(buf_append(&b, "xy", 2), CP_ERR_LIMIT);
	assert_string_equal(buf_str(&b), "abcd123"); /* kept what it had */
	buf_reset(&b);
	assert_int_equal(buf_append_hex(&b, "\x01\xab", 2), 0);
	assert_string_equal(buf_str(&b), "01AB");
	buf_release(&b);
	assert_null(b.data);
}

static void
test_atomic_write_replaces_whole_file(void **state)
{
	char path[64];
	unsigned char *data;
	size_t len;
	struct stat st;

	snprintf(path, sizeof(path), "/tmp/cp-test-core.%ld", (long)getpid());
	assert_int_equal(fs_write_atomic(path, "first", 5, 0600), 0);
	assert_int_equal(fs_write_atomic(path, "second", 6, 0600), 0);
	assert_int_equal(fs_read_file(path, 100, &data, &len), 0);
	assert_int_equal(len, 6);
	assert_string_equal((char *)data, "second");
	free(data);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(fs_read_file(path, 3, &data, &len), CP_ERR_LIMIT);
	unlink(path);
	assert_int_equal(fs_read_file(path, 3, &data, &len), CP_ERR_NOTFOUND);
}

static void
test_aborted_atomic_write_leaves_old_file(void **state)
{
	char path[64];
	struct fs_atomic f;
	unsigned char *data;
	size_t len;

	snprintf(path, sizeof(path), "/tmp/cp-test-core-abort.%ld", (long)getpid());
	assert_int_equal(fs_write_atomic(path, "old", 3, 0600), 0);
	assert_int_equal(fs_atomic_open(&f, path, 0600), 0);
	assert_int_equal(fs_atomic_write(&f, "new", 3), 0);
	fs_atomic_abort(&f);
	assert_int_equal(fs_read_file(path, 100, &data, &len), 0);
	assert_string_equal((char *)data, "old");
	free(data);
	unlink(path);
}

static void
test_mkdirs_creates_nested_folders(void **state)
{
	char path[96], cmd[128];

	snprintf(path, sizeof(path), "/tmp/cp-test-dirs.%ld/a/b/c", (long)getpid());
	assert_int_equal(fs_mkdirs(path, 0700), 0);
	assert_true(fs_exists(path));
	assert_int_equal(fs_mkdirs(path, 0700), 0); /* again: fine */
	snprintf(cmd, sizeof(cmd), "rm -rf /tmp/cp-test-dirs.%ld", (long)getpid());
	assert_int_equal(system(cmd), 0);
}

/* The data folders in order: $CARDPIPE_DATA, ../share/cardpipe beside the program, the source
 * tree's data/ (this test runs from build/tests/), the compiled-in folder. */
static void
test_data_files_are_found_in_order(void **state)
{
	char dir[96], file[128], tried[4 * 4096 + 32], *found;
	FILE *f;

	unsetenv("CARDPIPE_DATA");
	found = fs_find_data("calendar.txt", tried, sizeof(tried));
	assert_non_null(found); /* the source tree's data/ */
	assert_non_null(strstr(found, "/data/calendar.txt"));
	free(found);

	snprintf(dir, sizeof(dir), "/tmp/cp-test-data.%ld", (long)getpid());
	snprintf(file, sizeof(file), "%s/calendar.txt", dir);
	assert_int_equal(fs_mkdirs(dir, 0700), 0);
	f = fopen(file, "w");
	assert_non_null(f);
	fclose(f);
	setenv("CARDPIPE_DATA", dir, 1);
	found = fs_find_data("calendar.txt", tried, sizeof(tried));
	assert_string_equal(found, file); /* before the source tree */
	free(found);

	assert_null(fs_find_data("no-such-file", tried, sizeof(tried)));
	assert_non_null(strstr(tried, "/cp-test-data."));
	assert_non_null(strstr(tried, "/../share/cardpipe/no-such-file'"));
	assert_non_null(strstr(tried, "/../../data/no-such-file'"));
	assert_non_null(strstr(tried, "/share/cardpipe/no-such-file'")); /* the compiled-in one */
	assert_true(strstr(tried, "/cp-test-data.") < strstr(tried, "/../share/cardpipe/"));
	assert_true(strstr(tried, "/../share/cardpipe/") < strstr(tried, "/../../data/"));
	unsetenv("CARDPIPE_DATA");
	unlink(file);
	rmdir(dir);
}

static void
test_civil_dates_round_trip(void **state)
{
	int y, m, d;

	assert_int_equal(cp_days_from_civil(1970, 1, 1), 0);
	assert_int_equal(cp_weekday(cp_days_from_civil(2026, 11, 26)), 4); /* a Thursday */
	assert_int_equal(cp_weekday(cp_days_from_civil(2026, 10, 1)), 4);
	assert_int_equal(cp_weekday(cp_days_from_civil(1969, 12, 21)), 0);
	cp_civil_from_days(cp_days_from_civil(2024, 2, 29) + 1, &y, &m, &d);
	assert_int_equal(y * 10000 + m * 100 + d, 20240301);
	assert_int_equal(cp_parse_date("2026-02-28", &y, &m, &d), 0);
	assert_int_equal(cp_parse_date("2026-02-29", &y, &m, &d), CP_ERR_FORMAT);
	assert_int_equal(cp_parse_date("2026-13-01", &y, &m, &d), CP_ERR_FORMAT);
	assert_int_equal(cp_parse_date("2026-1-01", &y, &m, &d), CP_ERR_FORMAT);
	assert_int_equal(cp_parse_date("20260101", &y, &m, &d), CP_ERR_FORMAT);
}

static void
test_pinned_clock_and_beijing_date(void **state)
{
	char s[32];

	setenv("CARDPIPE_NOW", "2026-11-26T23:30:00+08:00", 1);
	cp_iso_utc(cp_now(), s, sizeof(s));
	assert_string_equal(s, "2026-11-26T15:30:00Z");
	cp_business_date(cp_now(), s, sizeof(s));
	assert_string_equal(s, "2026-11-26");
	setenv("CARDPIPE_NOW", "2026-11-26T17:00:00Z", 1); /* 01:00 next day in Beijing */
	cp_business_date(cp_now(), s, sizeof(s));
	assert_string_equal(s, "2026-11-27");
	unsetenv("CARDPIPE_NOW");
}

static void
test_hex_round_trip_and_errors(void **state)
{
	unsigned char out[4];
	char s[9];

	assert_int_equal(hex_decode("0a:B1 ff", out, sizeof(out)), 3);
	assert_string_equal(hex_encode(out, 3, s), "0AB1FF");
	assert_int_equal(hex_decode("0g", out, sizeof(out)), CP_ERR_FORMAT);
	assert_int_equal(hex_decode("abc", out, sizeof(out)), CP_ERR_FORMAT);
	assert_int_equal(hex_decode("0011223344", out, sizeof(out)), CP_ERR_LIMIT);
}

static void
test_masking(void **state)
{
	char out[32];

	mask_id("110101199003071234", out, sizeof(out));
	assert_string_equal(out, "110101********1234");
	mask_id("11010119900307123X", out, sizeof(out));
	assert_string_equal(out, "110101********123X");
	mask_mobile("13812345678", out, sizeof(out));
	assert_string_equal(out, "138****5678");
	mask_id("ABC", out, sizeof(out));
	assert_string_equal(out, "***");
}

static void
test_json_escapes(void **state)
{
	char out[128];
	struct json_writer w;

	json_writer_init(&w, out, sizeof(out));
	json_obj_begin(&w);
	json_kv_str(&w, "msg", "a\"b\\c\n\x01张");
	json_kv_int(&w, "n", -5);
	json_obj_end(&w);
	assert_string_equal(out, "{\"msg\":\"a\\\"b\\\\c\\n\\u0001张\",\"n\":-5}");
}

/* The zone comes from the system database, whatever the machine's own zone (TZ=UTC here). */
static void
test_timezone_from_the_database(void **state)
{
	char s[40];
	time_t t = cp_local_to_utc(2026, 11, 26, 21, 0, 0); /* before: Asia/Shanghai's UTC+8 */

	cp_iso_utc(t, s, sizeof(s));
	assert_string_equal(s, "2026-11-26T13:00:00Z");
	setenv("TZ", "UTC", 1);
	tzset();
	assert_int_equal(cp_set_timezone("Asia/Shanghai"), 0);
	cp_local_time(t, s, sizeof(s));
	assert_string_equal(s, "2026-11-26 21:00:00 +08:00");
	cp_business_date(t + 3 * 3600, s, sizeof(s)); /* 00:00 in Beijing */
	assert_string_equal(s, "2026-11-27");
	assert_int_equal(cp_local_to_utc(2026, 11, 26, 21, 0, 0), t);

	/* a zone with daylight saving: the offset of the day, not a constant */
	assert_int_equal(cp_set_timezone("Europe/Berlin"), 0);
	cp_iso_utc(cp_local_to_utc(2026, 7, 1, 0, 0, 0), s, sizeof(s));
	assert_string_equal(s, "2026-06-30T22:00:00Z");
	cp_local_time(t, s, sizeof(s));
	assert_string_equal(s, "2026-11-26 14:00:00 +01:00");
	setenv("CARDPIPE_NOW", "2026-07-01", 1); /* a bare date: noon in the zone */
	cp_iso_utc(cp_now(), s, sizeof(s));
	assert_string_equal(s, "2026-07-01T10:00:00Z");
	unsetenv("CARDPIPE_NOW");
	assert_int_equal(cp_set_timezone("Asia/Shanghai"), 0);
}

static void
test_bad_timezone_is_a_config_error(void **state)
{
	static const char *const bad[] = {"Mars/Olympus_Mons",	     "",	 "../../etc/passwd",
					  "/usr/share/zoneinfo/UTC", "zone.tab", "Asia/Shang hai"};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(cp_set_timezone(bad[i]), CP_ERR_CONFIG);
		assert_non_null(strstr(cp_errmsg(), "general.timezone"));
	}
	assert_non_null(strstr(cp_errmsg(), "Asia/Shang hai"));
	assert_int_equal(cp_set_timezone("Asia/Shanghai"), 0);
}

/* A run lock held by another open file: a second taker is told who holds it, at once or
 * after waiting; a stop request ends the wait; the holder's release lets it in. */
static void
test_run_lock_names_holder_and_waits(void **state)
{
	char dir[] = "/tmp/test_core_lock.XXXXXX", pidtxt[32];
	struct run_lock a = {-1}, b = {-1};
	volatile sig_atomic_t stop = 1;
	struct timespec t0, t1;
	char *path, *link;

	assert_non_null(mkdtemp(dir));
	path = fs_join(dir, "x.lock");
	link = fs_join(dir, "link.lock");
	run_lock_set_owner("cardpipe test");
	assert_int_equal(run_lock_try(&a, path, "test run"), 0);
	snprintf(pidtxt, sizeof(pidtxt), "(pid %ld, cardpipe test, since", (long)getpid());

	assert_int_equal(run_lock_try(&b, path, "test run"), CP_ERR_BUSY);
	assert_non_null(strstr(cp_errmsg(), pidtxt));
	assert_int_equal(b.fd, -1);
	assert_int_equal(run_lock_wait(&b, path, "the x stage", 0, NULL), CP_ERR_BUSY);
	assert_non_null(strstr(cp_errmsg(), "the x stage is busy"));
	assert_non_null(strstr(cp_errmsg(), pidtxt));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(run_lock_wait(&b, path, "the x stage", 1, NULL), CP_ERR_BUSY);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec >= 1);
	assert_non_null(strstr(cp_errmsg(), "gave up after 1 s"));
	assert_int_equal(run_lock_wait(&b, path, "the x stage", 60, &stop), CP_ERR_INTERRUPTED);
	assert_int_equal(b.fd, -1);

	run_lock_release(&a);
	assert_int_equal(run_lock_wait(&b, path, "the x stage", 60, NULL), 0);
	run_lock_release(&b);
	/* a lock file planted as a symbolic link is not opened (its target would be truncated) */
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(run_lock_wait(&b, link, "the x stage", 0, NULL), CP_ERR_IO);
	unlink(link);
	unlink(path);
	rmdir(dir);
	free(path);
	free(link);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_err_detail_and_wrap),
		cmocka_unit_test(test_buf_grows_and_stops_at_its_limit),
		cmocka_unit_test(test_atomic_write_replaces_whole_file),
		cmocka_unit_test(test_aborted_atomic_write_leaves_old_file),
		cmocka_unit_test(test_mkdirs_creates_nested_folders),
		cmocka_unit_test(test_data_files_are_found_in_order),
		cmocka_unit_test(test_civil_dates_round_trip),
		cmocka_unit_test(test_pinned_clock_and_beijing_date),
		cmocka_unit_test(test_hex_round_trip_and_errors),
		cmocka_unit_test(test_masking),
		cmocka_unit_test(test_json_escapes),
		cmocka_unit_test(test_timezone_from_the_database),
		cmocka_unit_test(test_bad_timezone_is_a_config_error),
		cmocka_unit_test(test_run_lock_names_holder_and_waits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
