/*
 * sample.h - `cardpipe sample`: realistic synthetic application files for every channel and
 * format (docs/sample-data.md), with a share of deliberately bad records, optionally a set of
 * bad files, and DIR/expected.tsv saying what ingest and prepare must make of each.
 * Deterministic: the same seed and count give byte-identical files (the dates follow
 * cp_now(), so pin CARDPIPE_NOW to reproduce a run on another day).
 */
#ifndef CP_SAMPLE_H
#define CP_SAMPLE_H

#include "pipeline/stages/sample_apps.h"

#include <stdint.h>

struct sample_opts {
	long count; /* application records in the regular files */
	uint64_t seed;
	const char *out;  /* output folder (created) */
	double bad_share; /* share of deliberately bad records, 0..1 */
	int bad_files;	  /* also write the bad files */
};

struct sample_stats {
	long records; /* records in the regular files */
	long files;   /* regular files */
	long gzip_files;
	long photo_files; /* photos written to DIR/photos/ */
	long bad_records;
	long by_bad[BAD_NKINDS];
	long bad_files;	       /* bad files written */
	long bad_file_records; /* records inside bad files that are not quarantined */
};

int stage_sample_run(const struct sample_opts *o, struct sample_stats *st);

/* The bad files (sample_badfiles.c): written into dir, each listed in expected. */
struct sample_sink;
struct sample_photo;
int sample_write_bad_files(const char *dir, uint64_t seed, struct sample_people *sp,
			   const struct sample_photo *good, struct sample_sink *expected,
			   struct sample_stats *st);

#endif
