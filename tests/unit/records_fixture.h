/*
 * records_fixture.h - the application records a parser gives, for the input format tests
 * (test_csv, test_xml): records_parse() runs app_format_detect() and app_parse() over text in memory and
 * keeps the first 8 records in a struct got (got_release() frees them). Header-only, for
 * cmocka tests that include <cmocka.h> first.
 */
#ifndef RECORDS_FIXTURE_H
#define RECORDS_FIXTURE_H

#include "formats/app_parse.h"
#include "formats/instream.h"

#include <string.h>

struct got {
	int n;
	struct app_record recs[8];
};

/* The parser's callback: takes the record over (the parser's copy is left empty). */
static inline int
keep(void *arg, struct app_record *rec)
{
	struct got *g = arg;

	if (g->n < 8) {
		g->recs[g->n++] = *rec;
		memset(rec, 0, sizeof(*rec)); /* taken over */
	}
	return 0;
}

static inline void
got_release(struct got *g)
{
	for (int i = 0; i < g->n; i++)
		app_record_release(&g->recs[i]);
	g->n = 0;
}

/* Parse text[len] under these stream and record limits: the records into g, a failure
 * into f, the format found into fmt (if not NULL). */
static inline int
records_parse(const char *text, size_t len, const struct instream_limits *slim,
	      const struct parse_limits *plim, struct got *g, struct parse_fail *f,
	      enum app_format *fmt)
{
	struct instream s;
	enum app_format dummy;
	int r;

	memset(f, 0, sizeof(*f));
	memset(g, 0, sizeof(*g));
	instream_open_mem(&s, text, len, slim);
	if (!fmt)
		fmt = &dummy;
	if ((r = app_format_detect(&s, fmt, f)) >= 0)
		r = app_parse(&s, *fmt, plim, keep, g, f);
	instream_close(&s);
	return r;
}

#endif
