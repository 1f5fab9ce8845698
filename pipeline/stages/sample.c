/*
 * sample.c - the sample generator's plan and main loop (see sample.h): splits the records
 * over the channels, cuts each channel into files, generates each record from its own PRNG
 * stream, spoils an evenly spread share of them, writes the files and expected.tsv.
 * Memory stays flat: one record and one open file at a time, plus a small photo pool.
 */
#include "pipeline/stages/sample.h"

#include "core/clock.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/progress.h"
#include "pipeline/stages/sample_photo.h"
#include "pipeline/stages/sample_write.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define POOL_SIZE 24 /* faces drawn per run; each applicant gets own bytes (personal_photo) */

/* PRNG stream numbers: record i uses stream i; the rest live far above any count. */
#define STREAM_FILE (1ULL << 40)
#define STREAM_PHOTO (1ULL << 41)
#define STREAM_BAD (1ULL << 42)

enum fmt { FMT_EMPLOYER, FMT_ONLINE, FMT_CSV };

/* Channels in the order their file names sort, so that a file generated later also sorts
 * later: a duplicate always comes after the record it copies, by name and by time. */
static const struct channel {
	const char *name;
	char prefix; /* of record references */
	double share;
	enum fmt fmt;
	int per_file; /* records per file (employer batches: random 20-150) */
} channels[] = {
	{"bank", 'K', 0.10, FMT_CSV, 250},	  {"employer", 'E', 0.40, FMT_EMPLOYER, 0},
	{"jingtong", 'J', 0.08, FMT_ONLINE, 200}, {"minsheng", 'M', 0.07, FMT_ONLINE, 200},
	{"outlet", 'C', 0.15, FMT_CSV, 250},	  {"rs-app", 'R', 0.10, FMT_ONLINE, 200},
	{"website", 'W', 0.10, FMT_ONLINE, 200},
};
#define NCHANNELS (sizeof(channels) / sizeof(channels[0]))

struct run {
	const struct sample_opts *o;
	struct sample_stats *st;
	struct sample_people sp;
	struct sample_photo pool[POOL_SIZE], wrong, corrupt;
	struct sample_sink *expected;
	char *photo_dir;
	long next; /* global record index */
	long nbad; /* bad records so far */
	struct progress prog;
};

static void
plan_counts(long n, long counts[NCHANNELS])
{
	long sum = 0, largest = 1;

	for (size_t k = 0; k < NCHANNELS; k++) {
		counts[k] = (long)floor((double)n * channels[k].share);
		sum += counts[k];
	}
	counts[1] += n - sum; /* the remainder to the employer batches */
	if (n < (long)NCHANNELS)
		return;
	/* every channel gets a record when there are enough */
	for (size_t k = 0; k < NCHANNELS; k++) {
		if (counts[k] > 0)
			continue;
		for (size_t j = 0; j < NCHANNELS; j++)
			if (counts[j] > counts[largest])
				largest = (long)j;
		counts[largest]--;
		counts[k]++;
	}
}

/* Is record i one of the bad ones? An even spread that gives round(n * share) in all. */
static int
is_bad(double share, long i)
{
	return share > 0 && floor((double)(i + 1) * share + 0.5) > floor((double)i * share + 0.5);
}

static enum sample_bad
pick_bad(struct run *run, const char *channel)
{
	enum sample_bad best = BAD_NONE;

	for (int k = BAD_NONE + 1; k < BAD_NKINDS; k++) {
		if (!sample_bad_applies(&run->sp, (enum sample_bad)k, channel))
			continue;
		if (best == BAD_NONE || run->st->by_bad[k] < run->st->by_bad[best])
			best = (enum sample_bad)k;
	}
	return best;
}

/* Photo files are renamed into place without an fsync each (fs_write_atomic_nosync): a run
 * writes hundreds of thousands of them. One fs_sync_fs() makes them all durable before
 * expected.tsv is committed, so a run is complete exactly when DIR/expected.tsv exists. */

/*
 * A pool photo made this applicant's own: a JPEG comment segment (COM, FF FE) naming the
 * record goes in right after SOI. The pixels are the pool's, the bytes (and so the SHA-256
 * under which ingest stores the photo and prepare caches its check) are the person's, as
 * with real applicants, whose photos are never byte-identical. Without this a run would
 * hold a few dozen distinct photos and prepare would decode only those.
 */
static unsigned char *
personal_photo(const struct sample_photo *ph, const char *ref, size_t *len)
{
	char text[64];
	size_t tl = (size_t)snprintf(text, sizeof(text), "cardpipe sample photo %s", ref);
	unsigned char *out = xmalloc(ph->len + tl + 4);

	memcpy(out, ph->data, 2); /* SOI */
	out[2] = 0xff;
	out[3] = 0xfe;
	out[4] = (unsigned char)((tl + 2) >> 8); /* the length counts itself */
	out[5] = (unsigned char)(tl + 2);
	memcpy(out + 6, text, tl);
	memcpy(out + 6 + tl, ph->data + 2, ph->len - 2);
	*len = ph->len + tl + 4;
	return out;
}

/* The photo of record a: inline bytes, or a file in photos/ referenced by a relative path.
 * *own is what the caller frees once the record is written. */
static int
record_photo(struct run *run, const struct sample_app *a, char *href, size_t hrefsz,
	     struct sample_photo_ref *ref, unsigned char **own)
{
	const struct sample_photo *ph = a->photo_index == SAMPLE_PHOTO_WRONG_SIZE ? &run->wrong
					: a->photo_index == SAMPLE_PHOTO_CORRUPT
						? &run->corrupt
						: &run->pool[a->photo_index];
	const unsigned char *data = ph->data;
	size_t len = ph->len;
	char *path;
	int r;

	memset(ref, 0, sizeof(*ref));
	*own = NULL;
	if (a->photo_index >= 0 && ph->len > 2)
		data = *own = personal_photo(ph, a->ref, &len);
	if (a->photo_inline) {
		ref->jpeg = data;
		ref->len = len;
		return 0;
	}
	snprintf(href, hrefsz, "photos/%s-s%llu-%s.jpg", a->channel,
		 (unsigned long long)run->o->seed, a->ref);
	path = fs_join(run->o->out, href);
	r = fs_write_atomic_nosync(path, data, len, 0600);
	free(path);
	if (r < 0)
		return r;
	run->st->photo_files++;
	ref->href = href;
	return 0;
}

static int
write_record(struct run *run, struct sample_sink *s, const struct channel *ch, int with_dd,
	     const char *file, const struct sample_employer *emp)
{
	struct sample_app a;
	struct sample_photo_ref photo;
	struct rng r;
	unsigned char *own = NULL;
	char ref[24], href[128];
	long i = run->next++;
	int rc;

	rng_seed(&r, run->o->seed, (uint64_t)i);
	snprintf(ref, sizeof(ref), "%c%07ld", ch->prefix, i + 1);
	sample_app_make(&run->sp, &r, ch->name, emp, ref, &a);
	if (is_bad(run->o->bad_share, i)) {
		enum sample_bad bad = pick_bad(run, ch->name);

		if (bad != BAD_NONE) {
			sample_app_spoil(&run->sp, &r, &a, bad);
			run->st->by_bad[a.bad]++;
			run->st->bad_records++;
		}
	}
	if (a.bad == BAD_NONE)
		sample_app_remember(&run->sp, &a);
	if ((rc = record_photo(run, &a, href, sizeof(href), &photo, &own)) < 0) {
		free(own);
		return rc;
	}
	if (ch->fmt == FMT_EMPLOYER)
		rc = sample_xml_employee(s, &a, &photo, with_dd);
	else if (ch->fmt == FMT_ONLINE)
		rc = sample_xml_application(s, &a, &photo, with_dd);
	else
		rc = sample_csv_row(s, &a, &photo);
	free(own);
	if (rc < 0)
		return rc;
	run->st->records++;
	progress_update(&run->prog, run->st->records);
	return sample_expect_line(run->expected, file, a.ref, sample_bad_outcome(a.bad));
}

/* One file of channel ch with n records. g is the global file number. */
static int
write_file(struct run *run, const struct channel *ch, int index, long n, long g)
{
	struct sample_employer emp;
	struct sample_sink *s = NULL;
	struct rng r;
	char name[96], *path = NULL;
	int gb = ch->fmt == FMT_EMPLOYER && index == 1; /* the one GB18030 file */
	int gz = !gb && g % 3 == 2, with_dd = g % 2 == 1, rc;
	const char *enc = gb ? "GB18030" : "UTF-8";

	rng_seed(&r, run->o->seed, STREAM_FILE + (uint64_t)g);
	snprintf(name, sizeof(name), "%s-s%llu-%04d.%s%s", ch->name,
		 (unsigned long long)run->o->seed, index, ch->fmt == FMT_CSV ? "csv" : "xml",
		 gz ? ".gz" : "");
	path = fs_join(run->o->out, name);
	/* level 1: the files are mostly base64 photos, which barely compress anyway, and
	 * 100,000 records stay quick */
	if ((rc = sink_open(path, gz ? 1 : 0, gb, &s)) < 0)
		goto out;
	if (ch->fmt == FMT_EMPLOYER) {
		sample_employer_make(&run->sp, &r, index, &emp);
		rc = sample_xml_employer_begin(s, &emp, enc);
	} else if (ch->fmt == FMT_ONLINE) {
		rc = sample_xml_online_begin(s, ch->name, enc);
	} else {
		rc = sample_csv_begin(s, 0, index % 2 == 1);
	}
	for (long k = 0; rc >= 0 && k < n; k++)
		rc = write_record(run, s, ch, with_dd, name, ch->fmt == FMT_EMPLOYER ? &emp : NULL);
	if (rc < 0)
		goto out;
	if (ch->fmt == FMT_EMPLOYER)
		rc = sample_xml_employer_end(s);
	else if (ch->fmt == FMT_ONLINE)
		rc = sample_xml_online_end(s);
	if (rc < 0)
		goto out;
	rc = sink_commit(s);
	s = NULL;
	if (rc < 0)
		goto out;
	run->st->files++;
	run->st->gzip_files += gz;
out:
	if (rc < 0)
		cp_err_wrap(rc, "%s: ", path);
	sink_abort(s);
	free(path);
	return rc;
}

static int
make_pool(struct run *run)
{
	struct rng r;
	int rc;

	for (int i = 0; i < POOL_SIZE; i++) {
		rng_seed(&r, run->o->seed, STREAM_PHOTO + (uint64_t)i);
		if ((rc = sample_photo_make(&r, SAMPLE_PHOTO_W, SAMPLE_PHOTO_H, &run->pool[i])) < 0)
			return rc;
	}
	/* a photo at the wrong size (not 358x441), and a standard one cut short mid-scan */
	rng_seed(&r, run->o->seed, STREAM_PHOTO + POOL_SIZE);
	if ((rc = sample_photo_make(&r, 300, 370, &run->wrong)) < 0)
		return rc;
	run->corrupt.len = run->pool[0].len * 55 / 100;
	run->corrupt.data = xmalloc(run->corrupt.len);
	memcpy(run->corrupt.data, run->pool[0].data, run->corrupt.len);
	return 0;
}

int
stage_sample_run(const struct sample_opts *o, struct sample_stats *st)
{
	struct run run;
	long counts[NCHANNELS], g = 0;
	char *exp_path = NULL;
	int rc;

	memset(st, 0, sizeof(*st));
	memset(&run, 0, sizeof(run));
	run.o = o;
	run.st = st;
	if (o->count < 0 || o->count > 100000000L)
		return cp_err(CP_ERR_USAGE, "--count must be 0..100000000, not %ld", o->count);
	if (!(o->bad_share >= 0.0 && o->bad_share <= 1.0))
		return cp_err(CP_ERR_USAGE, "--bad-share must be between 0 and 1");
	sample_people_init(&run.sp, cp_now(), POOL_SIZE);
	run.photo_dir = fs_join(o->out, "photos");
	if ((rc = fs_mkdirs(o->out, 0700)) < 0 || (rc = fs_mkdirs(run.photo_dir, 0700)) < 0 ||
	    (rc = make_pool(&run)) < 0)
		goto out;
	exp_path = fs_join(o->out, "expected.tsv");
	if ((rc = sink_open(exp_path, 0, 0, &run.expected)) < 0 ||
	    (rc = sample_expect_header(run.expected)) < 0)
		goto out;

	plan_counts(o->count, counts);
	progress_start(&run.prog, "sample", o->count);
	for (size_t k = 0; k < NCHANNELS; k++) {
		const struct channel *ch = &channels[k];
		long left = counts[k];
		int index = 0;
		struct rng r;

		rng_seed(&r, o->seed, STREAM_FILE - 1 - k); /* batch sizes */
		while (left > 0) {
			long n = ch->per_file ? ch->per_file : rng_range(&r, 20, 150);

			if (n > left)
				n = left;
			if ((rc = write_file(&run, ch, ++index, n, g++)) < 0)
				goto out;
			left -= n;
		}
	}
	progress_end(&run.prog);
	if (o->bad_files && (rc = sample_write_bad_files(o->out, o->seed, &run.sp, &run.pool[1],
							 run.expected, st)) < 0)
		goto out;
	if ((rc = fs_sync_fs(run.photo_dir)) < 0)
		goto out;
	rc = sink_commit(run.expected);
	run.expected = NULL;
	if (rc < 0)
		goto out;
	log_info("sample",
		 "wrote %ld records (%ld deliberately bad) in %ld files (%ld gzip), %ld photo "
		 "files%s to '%s'",
		 st->records, st->bad_records, st->files, st->gzip_files, st->photo_files,
		 o->bad_files ? " and the bad files" : "", o->out);
out:
	sink_abort(run.expected);
	for (int i = 0; i < POOL_SIZE; i++)
		sample_photo_release(&run.pool[i]);
	sample_photo_release(&run.wrong);
	sample_photo_release(&run.corrupt);
	sample_people_release(&run.sp);
	free(run.photo_dir);
	free(exp_path);
	return rc;
}
