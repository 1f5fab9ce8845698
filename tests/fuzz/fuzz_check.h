/*
 * fuzz_check.h - shared by the ingest parser fuzz targets (fuzz_employer_xml.c,
 * fuzz_online_xml.c, fuzz_csv.c): run detection and the parser of one format on the input
 * with small limits, and abort on any record that breaks the parser's promises.
 */
#ifndef CP_FUZZ_CHECK_H
#define CP_FUZZ_CHECK_H

#include "formats/app_parse.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct fuzz_state {
	long last;
};

static int
fuzz_record(void *arg, struct app_record *rec)
{
	struct fuzz_state *st = arg;

	/* numbered 1, 2, 3 ... with a location and a channel; a reject has its detail */
	if (rec->record_no != st->last + 1 || !rec->location || !rec->channel)
		abort();
	if (rec->reject_code && !rec->reject_detail)
		abort();
	if ((rec->photo == NULL) != (rec->photo_len == 0))
		abort();
	if (rec->photo_ref && !rec->reject_code && photo_ref_problem(rec->photo_ref))
		abort(); /* an unsafe reference must never pass */
	st->last = rec->record_no;
	return 0;
}

static inline void
fuzz_parse(const uint8_t *data, size_t size, enum app_format want)
{
	static const struct instream_limits slim = {1u << 24, 200};
	static const struct parse_limits plim = {1u << 16, 32};
	struct fuzz_state st = {0};
	struct parse_fail f;
	struct instream s;
	enum app_format fmt;
	int r;

	memset(&f, 0, sizeof(f));
	instream_open_mem(&s, data, size, &slim);
	r = app_format_detect(&s, &fmt, &f);
	if (r == 0 && fmt == want)
		r = app_parse(&s, fmt, &plim, fuzz_record, &st, &f);
	/* a refused file always says why */
	if (r < 0 && (!f.code || !f.detail[0]))
		abort();
	instream_close(&s);
}

#endif
