/*
 * test_csv.c - the CSV writer (core/csv.c: quoting, formula neutralisation), the RFC 4180
 * reader (formats/csv_reader.c) and the counter CSV format
 * (formats/counter_csv.c): quoting, line ends, line numbers, stray quotes, field counts,
 * the header rules, encodings (UTF-8 with or without BOM, GB18030 declared or detected,
 * bad bytes), photos inline and by reference.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>

#include "core/csv.h"
#include "core/err.h"
#include "core/mem.h"
#include "formats/app_parse.h"
#include "formats/csv_reader.h"
#include "records_fixture.h"

static const struct instream_limits slim = {1ULL << 30, 200};
static const struct parse_limits plim = {4096, 32};

static const char header[] =
	"ref,channel,outlet,submitted_at,app_type,name,id_type,id_number,sex,ethnicity,"
	"birth_date,nationality,mobile,category,delivery,address,postal_code,district,branch,"
	"bank,photo,old_card_no,transport_balance,guardian_name,guardian_id_type,"
	"guardian_id_number,guardian_proof\n";

/* ---- the writer (core/csv.c): RFC 4180 and OWASP formula neutralisation ---- */

static void
test_writer_neutralises_formulas(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"=1+1", "\"'=1+1\","},
		{"+8613800000000", "\"'+8613800000000\","},
		{"-2+3", "\"'-2+3\","},
		{"@SUM(A1:A9)", "\"'@SUM(A1:A9)\","},
		{"\tcmd", "\"'\tcmd\","},
		{"\r=x", "\"'\r=x\","},
		{"=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\","},
		{"a=1", "a=1,"}, /* only the first character counts */
		{"张三", "张三,"},
		{"a,b", "\"a,b\","},
		{"", ","},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b = BUF_INIT(BUF_UNLIMITED);

		assert_int_equal(csv_field(&b, cases[i].in, CSV_NEXT), 0);
		assert_string_equal(buf_str(&b), cases[i].out);
		buf_release(&b);
	}
	assert_true(csv_formula_lead("=x"));
	assert_false(csv_formula_lead(" =x"));
	assert_false(csv_formula_lead(NULL));
}

/* A neutralised cell read back is one field holding the value behind a quote. */
static void
test_writer_round_trip(void **state)
{
	static const char *const vals[] = {"=1+1,2", "-\"x\"", "@a\nb", "plain", ""};
	struct buf b = BUF_INIT(BUF_UNLIMITED);
	struct instream s;
	struct csv_reader r;
	struct csv_row row;
	size_t len;

	for (size_t i = 0; i < 5; i++)
		assert_int_equal(csv_field(&b, vals[i], i < 4 ? CSV_NEXT : CSV_CRLF), 0);
	instream_open_mem(&s, b.data, b.len, &slim);
	csv_reader_init(&r, &s, 1000);
	assert_int_equal(csv_read_row(&r, &row), 1);
	assert_int_equal(row.nfields, 5);
	assert_false(row.bad_quote);
	assert_string_equal(csv_reader_field(&r, 0, &len), "'=1+1,2");
	assert_string_equal(csv_reader_field(&r, 1, &len), "'-\"x\"");
	assert_string_equal(csv_reader_field(&r, 2, &len), "'@a\nb");
	assert_string_equal(csv_reader_field(&r, 3, &len), "plain");
	csv_reader_release(&r);
	instream_close(&s);
	buf_release(&b);
}

/* ---- the reader ---- */

static void
test_reader_quoting(void **state)
{
	const char text[] = "a,\"b,1\",\"say \"\"hi\"\"\"\r\n"
			    "\n"
			    "\"multi\nline\",,x\n"
			    "last,row,\"\"";
	struct instream s;
	struct csv_reader r;
	struct csv_row row;
	size_t len;

	instream_open_mem(&s, text, strlen(text), &slim);
	csv_reader_init(&r, &s, 1000);
	assert_int_equal(csv_read_row(&r, &row), 1);
	assert_int_equal(row.line, 1);
	assert_int_equal(row.nfields, 3);
	assert_string_equal(csv_reader_field(&r, 1, &len), "b,1");
	assert_string_equal(csv_reader_field(&r, 2, &len), "say \"hi\"");
	assert_false(row.bad_quote);

	assert_int_equal(csv_read_row(&r, &row), 1); /* the blank line is skipped */
	assert_int_equal(row.line, 3);
	assert_string_equal(csv_reader_field(&r, 0, &len), "multi\nline");
	assert_string_equal(csv_reader_field(&r, 1, &len), "");
	assert_int_equal(len, 0);

	assert_int_equal(csv_read_row(&r, &row), 1); /* no final line end */
	assert_int_equal(row.line, 5);
	assert_int_equal(row.nfields, 3);
	assert_string_equal(csv_reader_field(&r, 2, &len), "");
	assert_int_equal(csv_read_row(&r, &row), 0);
	csv_reader_release(&r);
	instream_close(&s);
}

static void
test_reader_stray_quotes(void **state)
{
	const char text[] = "ok,1\nab\"c,2\n\"x\"y,3\nfine,4\n";
	struct instream s;
	struct csv_reader r;
	struct csv_row row;
	size_t len;

	instream_open_mem(&s, text, strlen(text), &slim);
	csv_reader_init(&r, &s, 1000);
	assert_int_equal(csv_read_row(&r, &row), 1);
	assert_false(row.bad_quote);
	assert_int_equal(csv_read_row(&r, &row), 1);
	assert_true(row.bad_quote);
	assert_int_equal(row.quote_line, 2);
	assert_int_equal(row.quote_field, 0);
	assert_int_equal(row.nfields, 2); /* resynchronised: the row still splits */
	assert_int_equal(csv_read_row(&r, &row), 1);
	assert_true(row.bad_quote);
	assert_int_equal(row.line, 3);
	assert_int_equal(csv_read_row(&r, &row), 1);
	assert_false(row.bad_quote);
	assert_string_equal(csv_reader_field(&r, 0, &len), "fine");
	csv_reader_release(&r);
	instream_close(&s);
}

static void
test_reader_unterminated_and_too_large(void **state)
{
	const char open[] = "a,b\n\"never,closed\nmore\n";
	char big[3000];
	struct instream s;
	struct csv_reader r;
	struct csv_row row;
	size_t len;

	instream_open_mem(&s, open, strlen(open), &slim);
	csv_reader_init(&r, &s, 1000);
	assert_int_equal(csv_read_row(&r, &row), 1);
	assert_int_equal(csv_read_row(&r, &row), CP_ERR_FORMAT);
	assert_string_equal(r.fail_code, "csv-malformed");
	assert_int_equal(r.fail_line, 2);
	csv_reader_release(&r);
	instream_close(&s);

	memset(big, 'x', sizeof(big));
	memcpy(big + 2000, "\nsmall,row\n", 11);
	instream_open_mem(&s, big, 2011, &slim);
	csv_reader_init(&r, &s, 1000);
	assert_int_equal(csv_read_row(&r, &row), 1);
	assert_true(row.too_large);
	assert_int_equal(csv_read_row(&r, &row), 1);
	assert_false(row.too_large);
	assert_string_equal(csv_reader_field(&r, 1, &len), "row");
	assert_int_equal(row.line, 2);
	csv_reader_release(&r);
	instream_close(&s);
}

/* ---- the counter CSV format ---- */

static int
parse(const char *text, size_t len, struct got *g, struct parse_fail *f)
{
	enum app_format fmt;
	int r = records_parse(text, len, &slim, &plim, g, f, &fmt);

	if (r == 0)
		assert_int_equal(fmt, APP_FORMAT_COUNTER_CSV);
	return r;
}

static const char row_fmt[] =
	"C%d,%s,110101-001,2026-11-26T10:00:00+08:00,new,%s,citizen,110101198506010012,2,01,"
	"1985-06-01,CHN,13900001111,insured,mail-person,\"北京市西城区, 金融街1号\",100032,110102,,"
	"BOC,%s,,,,,,\n";

static char *
csv(const char *prefix, int nrows, const char *name, const char *photo)
{
	char *text = xasprintf("%s%s", prefix, header);

	for (int i = 1; i <= nrows; i++) {
		char *row = xasprintf(row_fmt, i, "outlet", name, photo), *t;

		t = xasprintf("%s%s", text, row);
		free(text);
		free(row);
		text = t;
	}
	return text;
}

static void
test_counter_fields(void **state)
{
	char *text = csv("\xef\xbb\xbf", 2, "李四", "base64:Zm9vYmFy");
	struct parse_fail f;
	struct got g;

	assert_int_equal(parse(text, strlen(text), &g, &f), 0);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.recs[0].channel_ref, "C1");
	assert_string_equal(g.recs[0].channel, "outlet");
	assert_string_equal(g.recs[0].outlet, "110101-001");
	assert_string_equal(g.recs[0].name, "李四");
	assert_string_equal(g.recs[0].address, "北京市西城区, 金融街1号");
	assert_null(g.recs[0].branch);
	assert_string_equal(g.recs[1].location, "line 3");
	assert_int_equal(g.recs[1].record_no, 2);
	assert_int_equal(g.recs[1].photo_len, 6);
	assert_memory_equal(g.recs[1].photo, "foobar", 6);
	assert_null(g.recs[1].reject_code);
	got_release(&g);
	free(text);
}

/* The UTF-8 text in GB18030. */
static char *
to_gb18030(const char *utf8)
{
	iconv_t cd = iconv_open("GB18030", "UTF-8");
	size_t inleft = strlen(utf8), outleft = inleft * 2 + 1;
	char *out = calloc(1, outleft + 1), *in = (char *)utf8, *o = out;

	assert_true(cd != (iconv_t)-1);
	assert_true(iconv(cd, &in, &inleft, &o, &outleft) != (size_t)-1);
	iconv_close(cd);
	return out;
}

static void
test_counter_gb18030(void **state)
{
	char *u_decl = csv("#encoding=gb18030\n", 1, "李四", "p.jpg");
	char *u_det = csv("", 1, "李四", "p.jpg");
	char *u_bad = csv("#encoding=utf-8\n", 1, "李四", "p.jpg");
	char *decl = to_gb18030(u_decl), *det = to_gb18030(u_det), *bad = to_gb18030(u_bad);
	char *odd = csv("#encoding=latin1\n", 1, "x", "p.jpg");
	struct parse_fail f;
	struct got g;

	/* 李四 in GB18030 is C0 EE CB C4 */
	assert_non_null(strstr(decl, "\xc0\xee\xcb\xc4"));
	assert_int_equal(parse(decl, strlen(decl), &g, &f), 0);
	assert_string_equal(g.recs[0].name, "李四");
	assert_string_equal(g.recs[0].address, "北京市西城区, 金融街1号");
	assert_string_equal(g.recs[0].location, "line 3");
	got_release(&g);
	assert_int_equal(parse(det, strlen(det), &g, &f), 0);
	assert_string_equal(g.recs[0].name, "李四");
	got_release(&g);
	assert_int_equal(parse(bad, strlen(bad), &g, &f), CP_ERR_FORMAT);
	assert_string_equal(f.code, "bad-encoding");
	assert_int_equal(f.line, 3);
	assert_non_null(strstr(f.detail, "column 'name'"));
	got_release(&g);
	/* detected as UTF-8 by its first non-ASCII field, then a GB18030 byte */
	{
		char *mixed = xasprintf("%s", u_det), *p = strstr(mixed, "金融街");

		memcpy(p, "\xbd\xf0", 2);
		assert_int_equal(parse(mixed, strlen(mixed), &g, &f), CP_ERR_FORMAT);
		assert_string_equal(f.code, "bad-encoding");
		assert_non_null(strstr(f.detail, "column 'address'"));
		got_release(&g);
		free(mixed);
	}
	assert_int_equal(parse(odd, strlen(odd), &g, &f), CP_ERR_FORMAT);
	assert_string_equal(f.code, "bad-encoding");
	got_release(&g);
	free(u_decl), free(u_det), free(u_bad), free(decl), free(det), free(bad), free(odd);
}

static void
test_counter_header(void **state)
{
	const char *cases[][2] = {
		{"ref,channel,bogus\n", "unknown column 'bogus'"},
		{"ref,ref,channel\n", "appears twice"},
		{"ref,channel,id_number\nC1,outlet,1\n", "lacks column(s): outlet"},
	};
	struct parse_fail f;
	struct got g;

	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(parse(cases[i][0], strlen(cases[i][0]), &g, &f), CP_ERR_FORMAT);
		assert_string_equal(f.code, "csv-malformed");
		assert_int_equal(f.line, 1);
		assert_non_null(strstr(f.detail, cases[i][1]));
		got_release(&g);
	}
}

static void
test_counter_record_rejects(void **state)
{
	char *text = csv("", 1, "王五", "../x.jpg"), *t;
	struct parse_fail f;
	struct got g;

	t = xasprintf("%s%s%s%s", text, "C2,outlet,only,four\n",
		      "C3,kiosk,110101-001,2026-11-26T10:00:00+08:00,new,a\"b,citizen,1,2,01,x,CHN,"
		      "1,insured,pickup,,,,,BOC,base64:@@@@,,,,,,\n",
		      "C4,bank,110101-001,2026-11-26T10:00:00+08:00,new,a\"b,citizen,1,2,01,x,CHN,"
		      "1,insured,pickup,,,,,BOC,,,,,,,\n");
	assert_int_equal(parse(t, strlen(t), &g, &f), 0);
	assert_int_equal(g.n, 4);
	assert_string_equal(g.recs[0].reject_code, "photo-ref-outside");
	assert_string_equal(g.recs[0].reject_field, "photo");
	assert_non_null(strstr(g.recs[0].reject_detail, "line 2, field 'photo'"));
	assert_string_equal(g.recs[1].reject_code, "csv-field-count");
	assert_string_equal(g.recs[1].reject_detail,
			    "line 3: the row has 4 fields, the header has 27");
	assert_string_equal(g.recs[1].channel_ref, "C2");
	/* the first problem wins: the stray quote is seen before the photo and channel */
	assert_string_equal(g.recs[2].reject_code, "csv-bad-quoting");
	assert_string_equal(g.recs[3].reject_code, "csv-bad-quoting");
	assert_string_equal(g.recs[3].channel, "bank");
	got_release(&g);
	free(text);
	free(t);
}

static void
test_counter_channel(void **state)
{
	char *text = csv("", 1, "王五", "");
	char *p = strstr(strstr(text, "C1,"), ",outlet,");
	struct parse_fail f;
	struct got g;

	memcpy(p, ",kiosk,", 7);
	memmove(p + 7, p + 8, strlen(p + 8) + 1);
	if (parse(text, strlen(text), &g, &f) != 0)
		fail_msg("%s: %s", f.code, f.detail);
	assert_string_equal(g.recs[0].reject_code, "field-invalid");
	assert_string_equal(g.recs[0].reject_field, "channel");
	got_release(&g);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_writer_neutralises_formulas),
		cmocka_unit_test(test_writer_round_trip),
		cmocka_unit_test(test_reader_quoting),
		cmocka_unit_test(test_reader_stray_quotes),
		cmocka_unit_test(test_reader_unterminated_and_too_large),
		cmocka_unit_test(test_counter_fields),
		cmocka_unit_test(test_counter_gb18030),
		cmocka_unit_test(test_counter_header),
		cmocka_unit_test(test_counter_record_rejects),
		cmocka_unit_test(test_counter_channel),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
