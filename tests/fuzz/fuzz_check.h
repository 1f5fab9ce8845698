/*
 * fuzz_check.h - shared by the ingest parser fuzz targets (fuzz_employer_xml.c,
 * fuzz_online_xml.c, fuzz_csv.c): run detection and the parser of one format on the input
 * with small limits, and abort on any record that breaks the parser's promises; every
 * record's money and free-text fields also go through prepare's checks (rules/money.h,
 * rules/fields.h).
 */
#ifndef CP_FUZZ_CHECK_H
#define CP_FUZZ_CHECK_H

#include "formats/app_parse.h"
#include "pipeline/rules/fields.h"
#include "pipeline/rules/money.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct fuzz_state {
	long last;
};

/* What prepare checks of every record, on whatever the parser handed out: the money and
 * free-text checks say why they refuse, and what they accept is within bounds. */
static void
fuzz_fields(const struct app_record *rec)
{
	const struct {
		const char *val;
		enum text_class cls;
	} t[] = {{rec->name, TEXT_NAME},	   {rec->guardian_name, TEXT_NAME},
		 {rec->address, TEXT_LINE},	   {rec->channel_ref, TEXT_LINE},
		 {rec->guardian_proof, TEXT_LINE}, {rec->outlet, TEXT_CODE},
		 {rec->branch, TEXT_CODE},	   {rec->old_card_no, TEXT_CODE}};
	struct text_problem p;
	long long fen;

	if (rec->transport_balance) {
		int r = money_parse_fen(rec->transport_balance, 100000, &fen);

		if ((r == 0 && (fen < 0 || fen > 100000)) || (r < 0 && fen != 0))
			abort();
	}
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].val && text_check(t[i].val, t[i].cls, 100, &p) < 0 && !p.why)
			abort();
	(void)beijing_district(rec->district);
}

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
	fuzz_fields(rec);
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
