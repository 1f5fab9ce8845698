/*
 * test_xml.c - the employer batch and online-channel XML parsers (formats/xml_apps.c) and
 * format detection (formats/app_parse.c): every field lands in its place, locations name
 * element and line, and each kind of bad file gets its own reason code and line; bad
 * records are rejected one by one. Also checks the XSDs built into the program are the
 * files in formats/.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/err.h"
#include "core/fsutil.h"
#include "core/mem.h"
#include "formats/app_parse.h"
#include "formats/schemas.h"
#include "records_fixture.h"

static const struct instream_limits slim = {1ULL << 30, 200};
static struct parse_limits plim = {4096, 32};

static int
parse(const char *text, size_t len, struct got *g, struct parse_fail *f, enum app_format *fmt)
{
	return records_parse(text, len, &slim, &plim, g, f, fmt);
}

static const char head[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"				  /* 1 */
	"<EmployerBatch xmlns=\"urn:cardpipe:employer-batch:1\" version=\"1\">\n" /* 2 */
	"  "
	"<Employer><Name>北京测试有限公司</Name><USCC>91110108MA01ABCD1X</USCC></"
	"Employer>\n"						   /* 3 */
	"  <BatchId>EMP-20261126-0001</BatchId>\n"		   /* 4 */
	"  <SubmittedAt>2026-11-26T09:30:00+08:00</SubmittedAt>\n" /* 5 */
	"  <Employees>\n";					   /* 6 */
static const char tail[] = "  </Employees>\n</EmployerBatch>\n";

/* One employee over 5 lines; photo is the Photo element (or ""). */
static char *
employee(int k, const char *photo, const char *sex)
{
	return xasprintf(
		"    <Employee ref=\"E%04d\"><ApplicationType>replace-damaged</ApplicationType>\n"
		"      <Name dd=\"AAC003\"> 张三 "
		"</Name><IdType>citizen</IdType><IdNumber>11010119900307%04d</IdNumber>\n"
		"      "
		"<Sex>%s</Sex><Ethnicity>01</Ethnicity><BirthDate>1990-03-07</"
		"BirthDate><Nationality>CHN</Nationality><Mobile>13812345678</"
		"Mobile><Category>insured</Category>\n"
		"      <Delivery "
		"method=\"pickup\"><Branch>ICBC-110101-001</Branch></Delivery><Bank>ICBC</"
		"Bank>%s<OldCardNo>B00000001</OldCardNo><TransportBalance>1250</TransportBalance>\n"
		"      "
		"<Guardian><Name>李四</Name><IdType>citizen</IdType><IdNumber>110101197001011234</"
		"IdNumber><Proof>birth-certificate:123</Proof></Guardian><Confirmation "
		"at=\"2026-11-20T10:00:00+08:00\" channel=\"sms\"/></Employee>\n",
		k, k, sex, photo);
}

static char *
batch(const char *e1, const char *e2)
{
	return xasprintf("%s%s%s%s", head, e1, e2 ? e2 : "", tail);
}

static void
test_employer_fields(void **state)
{
	char *e1 = employee(1, "<Photo encoding=\"base64\">Zm9v\n YmFy</Photo>", "1");
	char *e2 = employee(2, "<Photo href=\"photos/E2.jpg\"/>", "2");
	char *x = batch(e1, e2);
	enum app_format fmt;
	struct parse_fail f;
	struct got g;
	struct app_record *r;

	if (parse(x, strlen(x), &g, &f, &fmt) != 0)
		fail_msg("%s line %ld: %s", f.code, f.line, f.detail);
	assert_int_equal(fmt, APP_FORMAT_EMPLOYER_XML);
	assert_int_equal(g.n, 2);
	r = &g.recs[0];
	assert_int_equal(r->record_no, 1);
	assert_string_equal(r->location, "Employee[1] (line 7)");
	assert_string_equal(r->channel, "employer");
	assert_string_equal(r->channel_ref, "E0001");
	assert_string_equal(r->app_type, "replace-damaged");
	assert_string_equal(r->name, "张三"); /* trimmed */
	assert_string_equal(r->id_number, "110101199003070001");
	assert_string_equal(r->sex, "1");
	assert_string_equal(r->birth_date, "1990-03-07");
	assert_string_equal(r->nationality, "CHN");
	assert_string_equal(r->mobile, "13812345678");
	assert_string_equal(r->delivery, "pickup");
	assert_string_equal(r->branch, "ICBC-110101-001");
	assert_null(r->address);
	assert_string_equal(r->bank, "ICBC");
	assert_int_equal(r->photo_len, 6);
	assert_memory_equal(r->photo, "foobar", 6);
	assert_string_equal(r->old_card_no, "B00000001");
	assert_string_equal(r->transport_balance, "1250");
	assert_string_equal(r->guardian_name, "李四");
	assert_string_equal(r->guardian_id_number, "110101197001011234");
	assert_string_equal(r->guardian_proof, "birth-certificate:123");
	assert_string_equal(r->confirmed_at, "2026-11-20T10:00:00+08:00");
	assert_string_equal(r->confirm_channel, "sms");
	assert_string_equal(r->employer_name, "北京测试有限公司");
	assert_string_equal(r->employer_uscc, "91110108MA01ABCD1X");
	assert_string_equal(r->batch_id, "EMP-20261126-0001");
	assert_string_equal(r->submitted_at, "2026-11-26T09:30:00+08:00");
	assert_null(r->reject_code);
	r = &g.recs[1];
	assert_string_equal(r->location, "Employee[2] (line 13)");
	assert_string_equal(r->photo_ref, "photos/E2.jpg");
	assert_null(r->photo);
	assert_null(r->reject_code);
	got_release(&g);
	free(e1), free(e2), free(x);
}

static void
test_online(void **state)
{
	const char *x =
		"<?xml version=\"1.0\"?>\n"
		"<OnlineApplications xmlns=\"urn:cardpipe:online:1\" version=\"1\" "
		"channel=\"rs-app\">\n"
		"<Application ref=\"W1\" "
		"submittedAt=\"2026-11-25T08:00:00+08:00\"><ApplicationType>new</ApplicationType>"
		"<Name>王五</Name><IdType>hk</IdType><IdNumber>H12345678</IdNumber><Sex>2</"
		"Sex><Ethnicity>01</Ethnicity>"
		"<BirthDate>2012-01-02</BirthDate><Nationality>CHN</Nationality><Category>other</"
		"Category>"
		"<Delivery "
		"method=\"mail-person\"><Address>北京市</Address><PostalCode>100010</"
		"PostalCode><District>110101</District></Delivery>"
		"<Bank>BOB</Bank></Application>\n</OnlineApplications>\n";
	enum app_format fmt;
	struct parse_fail f;
	struct got g;

	if (parse(x, strlen(x), &g, &f, &fmt) != 0)
		fail_msg("%s line %ld: %s", f.code, f.line, f.detail);
	assert_int_equal(fmt, APP_FORMAT_ONLINE_XML);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.recs[0].channel, "rs-app");
	assert_string_equal(g.recs[0].channel_ref, "W1");
	assert_string_equal(g.recs[0].submitted_at, "2026-11-25T08:00:00+08:00");
	assert_string_equal(g.recs[0].location, "Application[1] (line 3)");
	assert_string_equal(g.recs[0].postal_code, "100010");
	assert_null(g.recs[0].photo);
	assert_null(g.recs[0].photo_ref);
	assert_null(g.recs[0].employer_uscc);
	got_release(&g);

	/* a Confirmation has no place in an online application */
	{
		char *bad = xstrdup(x), *p = strstr(bad, "</Application>");
		char *y = xasprintf(
			"%.*s<Confirmation at=\"2026-11-20T10:00:00+08:00\" channel=\"sms\"/>%s",
			(int)(p - bad), bad, p);

		assert_int_equal(parse(y, strlen(y), &g, &f, NULL), CP_ERR_FORMAT);
		assert_string_equal(f.code, "schema-violation");
		assert_int_equal(f.line, 3);
		got_release(&g);
		free(bad);
		free(y);
	}
}

/* Replace the first "from" in a valid batch and expect code at line. */
static void
expect_bad(const char *from, const char *to, const char *code, long line, const char *in_detail)
{
	char *e1 = employee(1, "", "1"), *e2 = employee(2, "", "2"), *x = batch(e1, e2);
	char *p = strstr(x, from), *y;
	struct parse_fail f;
	struct got g;

	assert_non_null(p);
	y = xasprintf("%.*s%s%s", (int)(p - x), x, to, p + strlen(from));
	assert_int_equal(parse(y, strlen(y), &g, &f, NULL), CP_ERR_FORMAT);
	if (strcmp(f.code, code) || (line && f.line != line) ||
	    (in_detail && !strstr(f.detail, in_detail)))
		fail_msg("'%s' -> '%s': got %s line %ld: %s", from, to, f.code, f.line, f.detail);
	got_release(&g);
	free(e1), free(e2), free(x), free(y);
}

static void
test_schema_violations(void **state)
{
	expect_bad("<Sex>2</Sex>", "<Sex>3</Sex>", "schema-violation", 14, "Sex");
	expect_bad("<Bank>ICBC</Bank>", "", "schema-violation", 10, "Bank");
	expect_bad("replace-damaged", "renew", "schema-violation", 7, "ApplicationType");
	expect_bad("dd=\"AAC003\"", "dd=\"AAC002\"", "schema-violation", 8, "fixed");
	expect_bad("version=\"1\"", "version=\"2\"", "schema-violation", 2, "version");
	expect_bad("employer-batch:1", "employer-batch:2", "schema-violation", 2, NULL);
	expect_bad("<USCC>91110108MA01ABCD1X</USCC>", "<USCC>9111010</USCC>", "schema-violation", 3,
		   "USCC");
	expect_bad("<BirthDate>1990-03-07</BirthDate>", "<BirthDate>1990-02-30</BirthDate>",
		   "schema-violation", 9, "BirthDate");
	expect_bad("<Employee ref=\"E0001\">", "<Employee>", "schema-violation", 7, "ref");
	expect_bad("<Nationality>CHN</Nationality>", "<Nationality>CHN</Nationality><Extra/>",
		   "schema-violation", 9, "Extra");
}

static void
test_not_well_formed_and_encoding(void **state)
{
	expect_bad("</Employees>", "</Employes>", "not-well-formed", 17, "mismatch");
	expect_bad("<Sex>2</Sex>", "<Sex>2</Sex", "not-well-formed", 14, NULL);
	expect_bad("北京测试有限公司", "&undefined;", "not-well-formed", 3, "undefined");
	expect_bad("北京测试有限公司", "\xb1\xb1\xbe\xa9", "bad-encoding", 3, "UTF-8");
	expect_bad("encoding=\"UTF-8\"", "encoding=\"ISO-8859-1\"", "bad-encoding", 1,
		   "ISO-8859-1");
	expect_bad("北京测试有限公司", "\x01", "not-well-formed", 3, NULL);
}

static void
test_gb18030_declared(void **state)
{
	/* 北京 in GB18030 is B1 B1 BE A9 */
	char *e1 = employee(1, "", "1"), *x = batch(e1, NULL), *p, *y;
	struct parse_fail f;
	struct got g;

	p = strstr(x, "北京测试有限公司");
	y = xasprintf("<?xml version=\"1.0\" encoding=\"GB18030\"?>%.*s\xb1\xb1\xbe\xa9%s",
		      (int)(p - strchr(x, '\n')), strchr(x, '\n'), p + strlen("北京测试有限公司"));
	/* the employee's own names are UTF-8 bytes here; make them GB18030 too */
	p = strstr(y, " 张三 ");
	memcpy(p + 1, "\xd5\xc5\xc8\xfd", 4); /* 张三 */
	memmove(p + 5, p + 7, strlen(p + 7) + 1);
	p = strstr(y, "李四");
	memcpy(p, "\xc0\xee\xcb\xc4", 4);
	memmove(p + 4, p + 6, strlen(p + 6) + 1);
	if (parse(y, strlen(y), &g, &f, NULL) != 0)
		fail_msg("%s line %ld: %s", f.code, f.line, f.detail);
	assert_string_equal(g.recs[0].employer_name, "北京");
	assert_string_equal(g.recs[0].name, "张三");
	assert_string_equal(g.recs[0].guardian_name, "李四");
	got_release(&g);

	/* a byte GB18030 cannot decode (0xCA then '<'): bad-encoding, and no crash (fuzzing
	 * found libxml2 freeing its input when stopped from inside the conversion) */
	p = strstr(y, "\xc0\xee\xcb\xc4");
	p[2] = '\xca';
	p[3] = '/';
	assert_int_equal(parse(y, strlen(y), &g, &f, NULL), CP_ERR_FORMAT);
	assert_string_equal(f.code, "bad-encoding");
	got_release(&g);
	free(e1), free(x), free(y);
}

static void
test_doctype_refused(void **state)
{
	static const struct {
		const char *text, *code;
	} cases[] = {
		{"<?xml version=\"1.0\"?>\n<!DOCTYPE EmployerBatch [\n<!ENTITY a \"aaaa\">\n"
		 "<!ENTITY b \"&a;&a;&a;&a;&a;\">]>\n<EmployerBatch>&b;</EmployerBatch>\n",
		 "entity-expansion"},
		{"<?xml version=\"1.0\"?>\n<!DOCTYPE EmployerBatch [<!ENTITY x SYSTEM "
		 "\"file:///etc/passwd\">]>\n<EmployerBatch>&x;</EmployerBatch>\n",
		 "external-entity"},
		{"<?xml version=\"1.0\"?>\n<!DOCTYPE EmployerBatch PUBLIC \"-//x//y\" "
		 "\"http://127.0.0.1:9/x.dtd\">\n<EmployerBatch/>\n",
		 "external-entity"},
		{"<!-- c -->\n<!doctype EmployerBatch>\n<EmployerBatch/>\n", "external-entity"},
		{"\xef\xbb\xbf<!DOCTYPE x [<!ENTITY % p SYSTEM \"http://x/\"> %p;]><x/>",
		 "external-entity"},
	};
	struct parse_fail f;
	struct got g;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(cases[i].text, strlen(cases[i].text), &g, &f, NULL),
				 CP_ERR_FORMAT);
		if (strcmp(f.code, cases[i].code))
			fail_msg("case %zu: %s (%s)", i, f.code, f.detail);
		assert_int_equal(g.n, 0);
	}
}

static void
test_limits(void **state)
{
	char *big = xmalloc(6001), *photo, *e1, *e2, *x, *deep;
	struct parse_fail f;
	struct got g;

	/* a record over max_record_bytes is rejected alone */
	memset(big, 'A', 6000);
	big[6000] = '\0';
	photo = xasprintf("<Photo encoding=\"base64\">%s</Photo>", big);
	e1 = employee(1, photo, "1");
	e2 = employee(2, "<Photo encoding=\"base64\">Zm9v</Photo>", "2");
	x = batch(e1, e2);
	if (parse(x, strlen(x), &g, &f, NULL) != 0)
		fail_msg("%s line %ld: %s", f.code, f.line, f.detail);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.recs[0].reject_code, "record-too-large");
	assert_null(g.recs[0].photo);
	assert_string_equal(g.recs[0].name, "张三");
	assert_null(g.recs[1].reject_code);
	got_release(&g);

	/* nesting beyond ingest.max_xml_depth */
	plim.max_depth = 3;
	assert_int_equal(parse(x, strlen(x), &g, &f, NULL), CP_ERR_FORMAT);
	plim.max_depth = 32;
	assert_string_equal(f.code, "too-deep");
	assert_int_equal(f.line, 7); /* Employees/Employee/ApplicationType: element depth 3 */
	got_release(&g);
	plim.max_depth = 32;
	deep = xmalloc(200000);
	strcpy(deep, "<EmployerBatch xmlns=\"urn:cardpipe:employer-batch:1\" version=\"1\">");
	for (int i = 0; i < 20000; i++)
		strcat(deep + strlen(deep) - 0, "<a>");
	assert_int_equal(parse(deep, strlen(deep), &g, &f, NULL), CP_ERR_FORMAT);
	assert_true(!strcmp(f.code, "schema-violation") || !strcmp(f.code, "too-deep"));
	got_release(&g);
	free(big), free(photo), free(e1), free(e2), free(x), free(deep);
}

static void
test_record_rejects(void **state)
{
	const char *photos[] = {
		"<Photo encoding=\"base64\">Zm9v!mFy</Photo>",
		"<Photo href=\"../secret.jpg\"/>",
		"<Photo href=\"/etc/passwd\"/>",
		"<Photo href=\"a/b.jpg\">Zm9v</Photo>",
		"<Photo encoding=\"base64\"/>",
		"<Photo href=\"ok/./p.jpg\"/>",
	};
	const char *codes[] = {"photo-base64-invalid", "photo-ref-outside",    "photo-ref-outside",
			       "photo-base64-invalid", "photo-base64-invalid", NULL};
	struct parse_fail f;
	struct got g;

	for (size_t i = 0; i < 6; i++) {
		char *e1 = employee(1, photos[i], "1"), *e2 = employee(2, "", "2");
		char *x = batch(e1, e2);

		if (parse(x, strlen(x), &g, &f, NULL) != 0)
			fail_msg("%s line %ld: %s", f.code, f.line, f.detail);
		assert_int_equal(g.n, 2);
		if (codes[i]) {
			assert_string_equal(g.recs[0].reject_code, codes[i]);
			assert_string_equal(g.recs[0].reject_field, "Photo");
			assert_non_null(strstr(g.recs[0].reject_detail,
					       "Employee[1] (line 7), field 'Photo'"));
		} else {
			assert_null(g.recs[0].reject_code);
		}
		assert_null(g.recs[1].reject_code);
		got_release(&g);
		free(e1), free(e2), free(x);
	}
}

static void
test_detect(void **state)
{
	static const struct {
		const char *text, *code;
	} cases[] = {
		{"", "unknown-format"},
		{"\xff\xfe<\0?\0x\0", "bad-encoding"},
		{"<Other xmlns=\"x\"/>", "unknown-format"},
		{"hello world\n", "unknown-format"},
		{"\x89PNG\r\n\x1a\n\0\0", "unknown-format"},
		{"PK\x03\x04,,,", "unknown-format"},
	};
	struct parse_fail f;
	struct got g;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = i == 1 ? 8 : i == 4 ? 10 : strlen(cases[i].text);

		assert_int_equal(parse(cases[i].text, len, &g, &f, NULL), CP_ERR_FORMAT);
		if (strcmp(f.code, cases[i].code))
			fail_msg("case %zu: %s (%s)", i, f.code, f.detail);
	}
}

static void
test_gzip_xml(void **state)
{
	char *e1 = employee(1, "", "1"), *x = batch(e1, NULL);
	size_t len = strlen(x), cap = compressBound(len) + 64;
	unsigned char *gz = malloc(cap);
	z_stream z = {0};
	struct parse_fail f;
	struct got g;

	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 31, 9, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (unsigned char *)x;
	z.avail_in = (uInt)len;
	z.next_out = gz;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	deflateEnd(&z);
	assert_int_equal(parse((char *)gz, cap - z.avail_out, &g, &f, NULL), 0);
	assert_int_equal(g.n, 1);
	got_release(&g);
	assert_int_equal(parse((char *)gz, (cap - z.avail_out) / 2, &g, &f, NULL), CP_ERR_FORMAT);
	assert_string_equal(f.code, "truncated-gzip");
	got_release(&g);
	free(gz), free(e1), free(x);
}

static void
test_builtin_schemas_are_the_files(void **state)
{
	const char *files[] = {"../../formats/employer-batch.xsd",
			       "../../formats/online-applications.xsd"};
	enum app_format fmts[] = {APP_FORMAT_EMPLOYER_XML, APP_FORMAT_ONLINE_XML};

	for (int i = 0; i < 2; i++) {
		unsigned char *data = NULL;
		size_t len = 0;

		assert_int_equal(fs_read_file(files[i], 1 << 20, &data, &len), 0);
		if (strcmp((const char *)data, schema_text(fmts[i])))
			fail_msg("%s differs from the schema built in: rebuild "
				 "formats/schemas.o",
				 files[i]);
		assert_non_null(schema_get(fmts[i]));
		free(data);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin_schemas_are_the_files),
		cmocka_unit_test(test_employer_fields),
		cmocka_unit_test(test_online),
		cmocka_unit_test(test_schema_violations),
		cmocka_unit_test(test_not_well_formed_and_encoding),
		cmocka_unit_test(test_gb18030_declared),
		cmocka_unit_test(test_doctype_refused),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_record_rejects),
		cmocka_unit_test(test_detect),
		cmocka_unit_test(test_gzip_xml),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
