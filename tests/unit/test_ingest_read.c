/*
 * test_ingest_read.c - the ingest readers (pipeline/stages/ingest_read.c): several files read
 * at once on reader threads must reach the caller file by file and record by record in
 * order, whatever the threads do; a file the caller is done with early (seen before) stops
 * its reader even when that reader waits on a full queue; a vanished or malformed file is
 * reported, not lost; every record's photo reads back from its place in a pack; readers
 * storing the same photo at once store it once; a pack entry that is not the
 * photo (damaged, cut short, another's, a bad place) is caught when read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/mem.h"
#include "personalization/crypto/hash.h"
#include "pipeline/stages/ingest_read.h"
#include "pipeline/stages/photo_store.h"

#define ROWS 700 /* more than a reader's queue holds (256) */

static char home[64];
static char *inbox, *inbox_real, *photos;
static struct ingest_env env;

static const char csv_header[] =
	"ref,channel,outlet,submitted_at,app_type,name,id_type,id_number,sex,ethnicity,"
	"birth_date,nationality,mobile,category,delivery,address,postal_code,district,branch,"
	"bank,photo,old_card_no,transport_balance,guardian_name,guardian_id_type,"
	"guardian_id_number,guardian_proof\n";

/* A counter CSV of rows records; row i's inline photo is the bytes "<tag>-<i>" (or "same"
 * for every row when tag is NULL). bad_at > 0 breaks the quoting of that row. */
static void
put_csv(const char *name, int rows, const char *tag, int bad_at)
{
	struct buf b = BUF_INIT(BUF_UNLIMITED);
	char *path = fs_join(inbox, name);

	buf_append(&b, csv_header, strlen(csv_header));
	for (int i = 1; i <= rows; i++) {
		char raw[64], b64[128];
		int n = tag ? snprintf(raw, sizeof(raw), "%s-%d", tag, i)
			    : snprintf(raw, sizeof(raw), "same");

		EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)raw, n);
		buf_appendf(&b,
			    "C%d,outlet,o1,2026-11-26T10:00:00+08:00,new,%s,citizen,"
			    "11010119850601%04d,2,01,1985-06-01,CHN,13900001111,insured,"
			    "pickup,,,,B1,BOC,base64:%s,,,,,,\n",
			    i, i == bad_at ? "\"broken" : "name", i, b64);
	}
	assert_int_equal(fs_write_atomic(path, b.data, b.len, 0600), 0);
	buf_release(&b);
	free(path);
}

static int
setup(void **state)
{
	snprintf(home, sizeof(home), "/tmp/test_ingest_read.XXXXXX");
	if (!mkdtemp(home))
		return -1;
	inbox = fs_join(home, "inbox");
	photos = fs_join(home, "photos");
	if (fs_mkdirs(inbox, 0700) < 0 || fs_mkdirs(photos, 0700) < 0)
		return -1;
	memset(&env, 0, sizeof(env));
	env.inbox = inbox;
	if (!(inbox_real = realpath(inbox, NULL)))
		return -1;
	env.inbox_real = inbox_real;
	env.photos = photos;
	env.photos_fd = open(photos, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	env.lim.max_record_bytes = 1 << 20;
	env.lim.max_depth = 32;
	env.slim.max_bytes = 1ULL << 30;
	env.slim.max_ratio = 200;
	return env.photos_fd < 0 ? -1 : 0;
}

static int
teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", home);

	close(env.photos_fd);
	free(inbox);
	free(inbox_real);
	free(photos);
	if (system(cmd) != 0)
		return -1;
	free(cmd);
	return 0;
}

/* The photos stored: the entries of every pack, walked head to head (docs/photo-pack.md);
 * nothing else may be under the photo folder. */
static long
count_photos(void)
{
	char *cmd = xasprintf("find '%s' -type f ! -path '*/packs/*.pack' | wc -l", photos),
	     *list = xasprintf("ls '%s/packs' 2>/dev/null", photos), name[256];
	FILE *p = popen(cmd, "r");
	long n = -1, other = -1;

	assert_int_equal(fscanf(p, "%ld", &other), 1);
	pclose(p);
	assert_int_equal(other, 0);
	n = 0;
	p = popen(list, "r");
	while (fscanf(p, "%255s", name) == 1) {
		char *path = xasprintf("%s/packs/%s", photos, name);
		unsigned char *d = NULL;
		size_t len = 0, at = 0;

		assert_int_equal(fs_read_file(path, 1 << 28, &d, &len), 0);
		while (at < len) {
			size_t l;

			assert_true(len - at >= PHOTO_PACK_ENTRY_HEAD);
			assert_memory_equal(d + at, "cpph", 4);
			l = (size_t)d[at + 4] | (size_t)d[at + 5] << 8 | (size_t)d[at + 6] << 16 |
			    (size_t)d[at + 7] << 24;
			at += PHOTO_PACK_ENTRY_HEAD + l;
			n++;
		}
		assert_int_equal(at, len);
		free(d);
		free(path);
	}
	pclose(p);
	free(cmd);
	free(list);
	return n;
}

/* Every record of file i, checking they come 1, 2, 3... with photos stored where they say. */
static long
drain_in_order(struct reader_pool *p, size_t i)
{
	struct app_record *rec;
	long n = 0;

	while (reader_next(p, i, &rec) == 1) {
		unsigned char *d = NULL;
		size_t len = 0;

		assert_int_equal(rec->record_no, ++n);
		assert_null(rec->reject_code);
		assert_non_null(rec->photo_sha256);
		assert_non_null(rec->photo_loc);
		assert_null(rec->photo); /* the bytes are on disk, not in the queue */
		/* read back as the bytes its hash names (photo_store_read_at() checks) */
		assert_int_equal(photo_store_read_at(photos, rec->photo_loc, rec->photo_sha256, 64,
						     &d, &len),
				 0);
		assert_true(len >= 3);
		free(d);
		app_record_release(rec);
		free(rec);
	}
	return n;
}

static void
test_files_and_records_come_in_order(void **state)
{
	char *names[6];
	struct reader_pool *p;

	for (int f = 0; f < 6; f++) {
		char tag[8];

		names[f] = xasprintf("f%d.csv", f);
		snprintf(tag, sizeof(tag), "p%d", f);
		put_csv(names[f], ROWS, tag, 0);
	}
	assert_int_equal(reader_pool_start(&env, names, 6, 3, &p), 0);
	for (size_t f = 0; f < 6; f++) {
		struct read_file *rf = reader_hash(p, f);

		assert_int_equal(rf->hash_rc, 0);
		assert_string_equal(rf->name, names[f]);
		assert_int_equal(strlen(rf->sha), 64);
		assert_int_equal(drain_in_order(p, f), ROWS);
		assert_int_equal(rf->parse_rc, 0);
		assert_int_equal(rf->fmt, APP_FORMAT_COUNTER_CSV);
		assert_int_equal(rf->photos_stored, ROWS);
		reader_done(p, f);
	}
	reader_pool_free(p);
	assert_int_equal(count_photos(), 6 * ROWS);
	for (int f = 0; f < 6; f++)
		free(names[f]);
}

static void
test_done_early_stops_a_blocked_reader(void **state)
{
	char a[] = "a.csv", b[] = "b.csv", c[] = "c.csv", *names[] = {a, b, c};
	struct reader_pool *p;

	put_csv("a.csv", ROWS, "a", 0);
	put_csv("b.csv", ROWS, "b", 0);
	put_csv("c.csv", ROWS, "c", 0);
	assert_int_equal(reader_pool_start(&env, names, 3, 2, &p), 0);
	/* a.csv "seen before": its reader fills the queue and waits; done must free it */
	assert_int_equal(reader_hash(p, 0)->hash_rc, 0);
	usleep(100 * 1000);
	reader_done(p, 0);
	assert_int_equal(reader_hash(p, 1)->hash_rc, 0);
	assert_int_equal(drain_in_order(p, 1), ROWS);
	reader_done(p, 1);
	/* the caller stops half way through c.csv (a registry failure): free must not hang */
	assert_int_equal(reader_hash(p, 2)->hash_rc, 0);
	for (int i = 0; i < ROWS / 2; i++) {
		struct app_record *rec;

		assert_int_equal(reader_next(p, 2, &rec), 1);
		app_record_release(rec);
		free(rec);
	}
	reader_pool_free(p);
}

static void
test_vanished_and_malformed_files_are_reported(void **state)
{
	char gone[] = "gone.csv", bad[] = "bad.csv", ok[] = "ok.csv";
	char *names[] = {gone, bad, ok};
	struct reader_pool *p;
	struct read_file *rf;

	put_csv("bad.csv", 40, "bad", 31);
	put_csv("ok.csv", 3, "ok", 0);
	assert_int_equal(reader_pool_start(&env, names, 3, 2, &p), 0);
	rf = reader_hash(p, 0);
	assert_int_equal(rf->hash_rc, CP_ERR_NOTFOUND);
	assert_non_null(rf->err);
	assert_int_equal(drain_in_order(p, 0), 0);
	reader_done(p, 0);

	rf = reader_hash(p, 1);
	assert_int_equal(rf->hash_rc, 0);
	/* the rows before the broken one come through; the caller quarantines the file */
	assert_true(drain_in_order(p, 1) <= 30);
	assert_int_equal(rf->parse_rc, CP_ERR_FORMAT);
	assert_non_null(rf->fail.code);
	assert_true(rf->fail.line >= 31);
	reader_done(p, 1);

	assert_int_equal(reader_hash(p, 2)->hash_rc, 0);
	assert_int_equal(drain_in_order(p, 2), 3);
	reader_done(p, 2);
	reader_pool_free(p);
}

static void
test_same_photo_on_two_readers_is_stored_once(void **state)
{
	char *names[8];
	struct reader_pool *p;
	long long stored = 0;

	for (int f = 0; f < 8; f++) {
		names[f] = xasprintf("s%d.csv", f);
		put_csv(names[f], 50, NULL, 0);
	}
	assert_int_equal(reader_pool_start(&env, names, 8, 4, &p), 0);
	for (size_t f = 0; f < 8; f++) {
		struct read_file *rf = reader_hash(p, f);

		assert_int_equal(drain_in_order(p, f), 50);
		assert_int_equal(rf->parse_rc, 0);
		stored += rf->photos_stored;
		reader_done(p, f);
	}
	reader_pool_free(p);
	/* the first reader to store it notes its place, under the lock the others look with */
	assert_int_equal(stored, 1);
	assert_int_equal(count_photos(), 1);
	for (int f = 0; f < 8; f++)
		free(names[f]);
}

/* A record's place is read back only as that photo: the pack's bytes are checked against
 * the hash, so a damaged, cut or misplaced entry is an error with its reason, never another
 * photo on a card. */
static void
test_pack_entry_damage_is_caught(void **state)
{
	char name[] = "t.csv", *names[] = {name}, *loc = NULL, *sha = NULL, *pack, *bad;
	struct reader_pool *p;
	struct app_record *rec;
	unsigned char *d = NULL, *raw = NULL;
	size_t len = 0, rawlen = 0;
	long long off;

	put_csv(name, 2, "t", 0);
	assert_int_equal(reader_pool_start(&env, names, 1, 1, &p), 0);
	assert_int_equal(reader_hash(p, 0)->hash_rc, 0);
	assert_int_equal(reader_next(p, 0, &rec), 1);
	loc = xstrdup(rec->photo_loc);
	sha = xstrdup(rec->photo_sha256);
	app_record_release(rec);
	free(rec);
	reader_done(p, 0);
	assert_int_equal(reader_pool_sync_photos(p), 0);
	reader_pool_free(p);

	assert_int_equal(photo_store_read_at(photos, loc, sha, 64, &d, &len), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(d, "t-1", 3);
	free(d);
	assert_int_equal(photo_store_read_at(photos, loc, sha, 2, &d, &len), CP_ERR_LIMIT);
	assert_int_equal(photo_store_present_at(env.photos_fd, photos, loc, sha), 0);
	/* another photo's hash at this place */
	assert_int_equal(photo_store_read_at(photos, loc,
					     "0000000000000000000000000000000000000000000000000000"
					     "000000000000",
					     64, &d, &len),
			 CP_ERR_INTEGRITY);
	/* a place that is no entry's head, a pack that is not there, a place that is a path */
	off = atoll(strrchr(loc, ':') + 1);
	bad = xasprintf("%.*s:%lld", (int)(strrchr(loc, ':') - loc), loc, off + 1);
	assert_int_equal(photo_store_read_at(photos, bad, sha, 64, &d, &len), CP_ERR_INTEGRITY);
	free(bad);
	assert_int_equal(photo_store_read_at(photos, "nosuch.pack:0", sha, 64, &d, &len),
			 CP_ERR_NOTFOUND);
	assert_int_equal(photo_store_read_at(photos, "../../etc/passwd:0", sha, 64, &d, &len),
			 CP_ERR_INTEGRITY);
	assert_int_equal(photo_store_read_at(photos, "x.pack", sha, 64, &d, &len),
			 CP_ERR_INTEGRITY);
	/* a byte of the photo flipped: the head still names it, the bytes do not match */
	pack = xasprintf("%s/packs/%.*s", photos, (int)(strrchr(loc, ':') - loc), loc);
	assert_int_equal(fs_read_file(pack, 1 << 20, &raw, &rawlen), 0);
	raw[off + PHOTO_PACK_ENTRY_HEAD + 1] ^= 0x20;
	assert_int_equal(fs_write_atomic(pack, raw, rawlen, 0600), 0);
	assert_int_equal(photo_store_read_at(photos, loc, sha, 64, &d, &len), CP_ERR_INTEGRITY);
	assert_non_null(strstr(cp_errmsg(), "damaged"));
	/* cut inside the entry (a crash before the sync): missing its end */
	assert_int_equal(fs_write_atomic(pack, raw, (size_t)off + PHOTO_PACK_ENTRY_HEAD + 1, 0600),
			 0);
	assert_int_equal(photo_store_read_at(photos, loc, sha, 64, &d, &len), CP_ERR_INTEGRITY);
	assert_int_equal(photo_store_present_at(env.photos_fd, photos, loc, sha), CP_ERR_INTEGRITY);
	free(raw);
	free(pack);
	free(loc);
	free(sha);
}

/* A photo stored as a file by an earlier release (no place: spool/photos/<ab>/<sha>.jpg) is
 * read against its hash as a pack's is: a file changed since is an error, not its bytes. */
static void
test_earlier_file_is_checked_too(void **state)
{
	char sha[65], *sub, *path;
	unsigned char *d = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(cp_sha256_hex("old photo", 9, sha), 0);
	sub = xasprintf("%s/%.2s", photos, sha);
	path = xasprintf("%s/%s.jpg", sub, sha);
	assert_int_equal(fs_mkdirs(sub, 0700), 0);
	assert_int_equal(fs_write_atomic(path, "old photo", 9, 0600), 0);
	assert_int_equal(photo_store_read_at(photos, NULL, sha, 64, &d, &len), 0);
	assert_int_equal(len, 9);
	assert_memory_equal(d, "old photo", 9);
	free(d);
	assert_int_equal(fs_write_atomic(path, "old phot0", 9, 0600), 0);
	assert_int_equal(photo_store_read_at(photos, NULL, sha, 64, &d, &len), CP_ERR_INTEGRITY);
	assert_non_null(strstr(cp_errmsg(), "damaged"));
	assert_null(d);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(photo_store_read_at(photos, NULL, sha, 64, &d, &len), CP_ERR_NOTFOUND);
	free(path);
	free(sub);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_files_and_records_come_in_order, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_done_early_stops_a_blocked_reader, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_vanished_and_malformed_files_are_reported,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_photo_on_two_readers_is_stored_once,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_pack_entry_damage_is_caught, setup, teardown),
		cmocka_unit_test_setup_teardown(test_earlier_file_is_checked_too, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
