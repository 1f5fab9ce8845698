/* test_sample.c - the sample generator: determinism, counts, valid ID numbers and ages,
 * every bad kind breaking exactly its rule, the photo standard, and the written files
 * validating against the XSDs in formats/. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/mem.h"
#include "pipeline/rules/eligibility.h"
#include "pipeline/rules/idnumber.h"
#include "pipeline/stages/sample.h"
#include "pipeline/stages/sample_photo.h"
#include "pipeline/stages/sample_write.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jpeglib.h>
#include <libxml/parser.h>
#include <libxml/xmlschemas.h>

#define NOW "2026-11-26T10:00:00+08:00"

static long today;

static char *
tmpdir(void)
{
	char t[] = "/tmp/test_sample.XXXXXX";

	assert_non_null(mkdtemp(t));
	return xstrdup(t);
}

static void
rm_rf(const char *dir)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	assert_int_equal(system(cmd), 0);
	free(cmd);
}

static void
run_sample(const char *out, long count, uint64_t seed, double share, int bad_files,
	   struct sample_stats *st)
{
	struct sample_opts o = {count, seed, out, share, bad_files};

	if (stage_sample_run(&o, st) < 0)
		fail_msg("stage_sample_run: %s", cp_errmsg());
}

/* Compare every file below a and b (names and bytes); returns the number of files. */
static int
same_tree(const char *a, const char *b)
{
	DIR *d = opendir(a);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d))) {
		char *pa, *pb;
		struct stat sa;

		if (e->d_name[0] == '.')
			continue;
		pa = fs_join(a, e->d_name);
		pb = fs_join(b, e->d_name);
		assert_int_equal(stat(pa, &sa), 0);
		if (S_ISDIR(sa.st_mode)) {
			n += same_tree(pa, pb);
		} else {
			unsigned char *da, *db;
			size_t la, lb;

			assert_int_equal(fs_read_file(pa, 1 << 28, &da, &la), 0);
			if (fs_read_file(pb, 1 << 28, &db, &lb) < 0)
				fail_msg("%s missing in the second run", pb);
			if (la != lb || memcmp(da, db, la))
				fail_msg("%s differs between runs of the same seed", e->d_name);
			free(da);
			free(db);
			n++;
		}
		free(pa);
		free(pb);
	}
	closedir(d);
	return n;
}

static void
test_determinism(void **state)
{
	char *a = tmpdir(), *b = tmpdir(), *c = tmpdir();
	struct sample_stats st;
	unsigned char *x, *y;
	size_t lx, ly;
	char *pa, *pc;

	(void)state;
	run_sample(a, 300, 42, 0.1, 1, &st);
	run_sample(b, 300, 42, 0.1, 1, &st);
	assert_true(same_tree(a, b) > 20);
	assert_int_equal(same_tree(b, a), same_tree(a, b));
	/* another seed: other people */
	run_sample(c, 300, 43, 0.1, 0, &st);
	pa = fs_join(a, "expected.tsv");
	pc = fs_join(c, "expected.tsv");
	assert_int_equal(fs_read_file(pa, 1 << 24, &x, &lx), 0);
	assert_int_equal(fs_read_file(pc, 1 << 24, &y, &ly), 0);
	assert_true(lx != ly || memcmp(x, y, lx) != 0);
	free(x);
	free(y);
	free(pa);
	free(pc);
	pa = fs_join(a, "bank-s42-0001.csv");
	pc = fs_join(c, "bank-s43-0001.csv");
	assert_true(fs_exists(pa));
	assert_true(fs_exists(pc));
	assert_int_equal(fs_read_file(pa, 1 << 26, &x, &lx), 0);
	assert_int_equal(fs_read_file(pc, 1 << 26, &y, &ly), 0);
	assert_true(lx != ly || memcmp(x, y, lx) != 0);
	free(x);
	free(y);
	free(pa);
	free(pc);
	rm_rf(a);
	rm_rf(b);
	rm_rf(c);
	free(a);
	free(b);
	free(c);
}

static void
test_counts_and_expected(void **state)
{
	char *dir = tmpdir(), *path = fs_join(dir, "expected.tsv");
	struct sample_stats st;
	unsigned char *data;
	size_t len;
	long lines = 0, ok = 0, bad = 0, quarantine = 0, dup = 0;
	int kinds[BAD_NKINDS] = {0};
	char *save = NULL, *line;

	(void)state;
	run_sample(dir, 1000, 1, 0.05, 1, &st);
	assert_int_equal(st.records, 1000);
	assert_int_equal(st.bad_records, 50);
	assert_true(st.files >= 7);
	assert_true(st.gzip_files >= 1);
	assert_true(st.photo_files > 100);
	assert_int_equal(st.bad_files, 10);
	for (int k = BAD_NONE + 1; k < BAD_NKINDS; k++)
		if (st.by_bad[k] < 1)
			fail_msg("bad kind %s never made in 1000 records", sample_bad_outcome(k));

	assert_int_equal(fs_read_file(path, 1 << 24, &data, &len), 0);
	for (line = strtok_r((char *)data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char file[128], ref[32], outcome[64];

		if (lines++ == 0) {
			assert_string_equal(line, "file\tref\texpected");
			continue;
		}
		assert_int_equal(sscanf(line, "%127[^\t]\t%31[^\t]\t%63s", file, ref, outcome), 3);
		if (!strcmp(outcome, "ok"))
			ok++;
		else if (!strcmp(outcome, "duplicate"))
			dup++;
		else if (!strncmp(outcome, "reject:", 7))
			bad++;
		else if (!strncmp(outcome, "quarantine:", 11))
			quarantine++, assert_string_equal(ref, "-");
		else
			fail_msg("unknown outcome '%s'", outcome);
		for (int k = BAD_NONE + 1; k < BAD_NKINDS; k++)
			if (!strcmp(outcome, sample_bad_outcome(k)))
				kinds[k]++;
		/* every file named exists */
		{
			char *p = fs_join(dir, file);

			if (!fs_exists(p))
				fail_msg("expected.tsv names '%s', which is not there", file);
			free(p);
		}
	}
	/* header + 1000 records + 8 quarantined files + 4 records each of the CSV-rows and
	 * photo-traversal files */
	assert_int_equal(lines, 1 + 1000 + 8 + 4 + 4);
	assert_int_equal(quarantine, 8);
	assert_int_equal(bad + dup, 50 + 3 + 2);
	assert_int_equal(st.bad_file_records, 8);
	assert_int_equal(ok, 1000 - 50 + 1 + 2);
	assert_int_equal(kinds[BAD_DUPLICATE], st.by_bad[BAD_DUPLICATE]);
	free(data);
	free(path);
	rm_rf(dir);
	free(dir);
}

/* ---- records ------------------------------------------------------------------------- */

static void
check_person(const struct sample_person *p, const char *what)
{
	struct id_info info;

	if (id_validate_reason(p->kind, p->id_number, today, &info, NULL) < 0)
		fail_msg("%s: %s %s invalid: %s", what, id_kind_name(p->kind), p->id_number,
			 cp_errmsg());
	assert_int_equal(info.sex, p->sex);
	assert_string_equal(info.birth_date, p->birth_date);
	if (p->kind == ID_FPR)
		assert_string_equal(id_country_alpha3(atoi(info.nationality)), p->nationality);
	if (p->kind == ID_FPR_OLD)
		assert_string_equal(info.nationality, p->nationality);
	assert_true(p->name[0] != '\0');
}

static void
test_records_valid(void **state)
{
	static const char *const chans[] = {"employer", "website", "rs-app", "jingtong",
					    "minsheng", "outlet",  "bank"};
	struct sample_people sp;
	struct sample_employer emp;
	struct sample_app a;
	struct rng r;
	int kinds[ID_FPR_OLD + 1] = {0}, minors = 0, elderly = 0, rare = 0, beijing = 0, other = 0,
			       replace = 0, balance = 0, change_bank = 0, pickup = 0, mail_emp = 0;

	(void)state;
	sample_people_init(&sp, cp_now(), 24);
	rng_seed(&r, 7, 1ULL << 50);
	sample_employer_make(&sp, &r, 1, &emp);
	assert_int_equal(strlen(emp.uscc), 18);
	assert_int_equal(sample_uscc_check(emp.uscc), emp.uscc[17]);
	/* GB 32100 against published codes */
	assert_int_equal(sample_uscc_check("91440300708461136"), 'T');
	assert_int_equal(sample_uscc_check("91110000100006485"), 'K');
	assert_int_equal(sample_uscc_check("91350100M000100Y4"), '3');
	assert_int_equal(sample_uscc_check("9135010OM000100Y4"), 0); /* O is not in the alphabet */
	for (int i = 0; i < 5000; i++) {
		const char *ch = chans[i % 7];
		long months;

		rng_seed(&r, 7, (uint64_t)i);
		sample_app_make(&sp, &r, ch, !strcmp(ch, "employer") ? &emp : NULL, "T1", &a);
		check_person(&a.p, "applicant");
		kinds[a.p.kind]++;
		assert_true(a.app_day < today && a.app_day >= today - 6);
		months = age_months(a.p.birth_day, a.app_day);
		assert_true(months >= 0);
		if (months < 18 * 12) {
			minors++;
			assert_true(a.has_guardian);
			check_person(&a.guardian, "guardian");
			assert_true(age_months(a.guardian.birth_day, a.app_day) >= 18 * 12);
			assert_true(!strncmp(a.guardian_proof, "birth-certificate:", 18) ||
				    !strncmp(a.guardian_proof, "household-register:", 19));
			assert_string_not_equal(ch, "employer");
		}
		if (!strncmp(a.category, "elderly", 7)) {
			elderly++;
			assert_true(months >= ELDERLY_MIN_MONTHS);
		}
		if (!strcmp(ch, "employer")) {
			assert_true(a.confirmed);
			assert_true(strcmp(a.confirmed_at, a.submitted_at) < 0);
		}
		if (!strncmp(a.delivery, "mail-", 5)) {
			assert_true(a.address[0] && strlen(a.postal_code) == 6 &&
				    strlen(a.p.mobile) == 11);
			mail_emp += !strcmp(a.delivery, "mail-employer");
		} else {
			assert_string_equal(a.delivery, "pickup");
			assert_true(a.branch[0] != '\0');
			pickup++;
		}
		if (strstr(a.p.name, "䶮") || strstr(a.p.name, "𠇔"))
			rare++;
		if (a.p.kind == ID_CITIZEN)
			*(!strncmp(a.p.id_number, "11", 2) ? &beijing : &other) += 1;
		replace += !strncmp(a.app_type, "replace-", 8);
		balance += a.transport_balance[0] != '\0';
		change_bank += !strcmp(a.app_type, "change-bank");
		if (a.transport_balance[0])
			assert_string_equal(a.app_type, "replace-damaged");
		assert_true(a.photo_index >= 0 && a.photo_index < 24);
	}
	for (int k = ID_CITIZEN; k <= ID_FPR_OLD; k++)
		if (kinds[k] == 0)
			fail_msg("no %s ID numbers in 5000 records", id_kind_name(k));
	assert_true(minors > 50 && elderly > 50 && rare > 5 && beijing > other && other > 100);
	assert_true(replace > 100 && balance > 20 && change_bank > 20 && pickup > 100 &&
		    mail_emp > 100);
	sample_people_release(&sp);
}

static void
test_bad_records(void **state)
{
	struct sample_people sp;
	struct sample_app a, src;
	struct id_info info;
	struct rng r;
	const char *why;

	(void)state;
	sample_people_init(&sp, cp_now(), 24);
	for (int k = BAD_NONE + 1; k < BAD_NKINDS; k++) {
		for (int i = 0; i < 200; i++) {
			const char *ch = k == BAD_UNCONFIRMED ? "employer" : "website";
			struct sample_employer emp;

			rng_seed(&r, 9, (uint64_t)(k * 1000 + i));
			sample_employer_make(&sp, &r, 1, &emp);
			if (k == BAD_DUPLICATE) {
				/* a ring holding just this source */
				sample_people_release(&sp);
				sample_people_init(&sp, cp_now(), 24);
				sample_app_make(&sp, &r, "outlet", NULL, "S1", &src);
				sample_app_remember(&sp, &src);
			}
			sample_app_make(&sp, &r, ch, !strcmp(ch, "employer") ? &emp : NULL, "T1",
					&a);
			assert_true(sample_bad_applies(&sp, k, ch));
			sample_app_spoil(&sp, &r, &a, k);
			assert_int_equal(a.bad, k);
			why = NULL;
			int idr = id_validate_reason(a.p.kind, a.p.id_number, today, &info, &why);

			switch (k) {
			case BAD_CHECK_DIGIT:
				assert_int_equal(idr, CP_ERR_INVALID);
				assert_string_equal(why, "id-check-digit");
				continue;
			case BAD_BIRTH_DATE:
				assert_int_equal(idr, CP_ERR_INVALID);
				assert_string_equal(why, "id-birth-date");
				continue;
			default: break;
			}
			assert_int_equal(idr, 0);
			switch (k) {
			case BAD_SEX: assert_int_not_equal(info.sex, a.p.sex); break;
			case BAD_MAIL_NO_ADDRESS:
				assert_string_equal(a.delivery, "mail-person");
				assert_string_equal(a.address, "");
				break;
			case BAD_POSTAL_CODE:
				assert_true(!strncmp(a.delivery, "mail-", 5) && a.address[0]);
				assert_true(strlen(a.postal_code) != 6 ||
					    strspn(a.postal_code, "0123456789") != 6);
				break;
			case BAD_MOBILE:
				assert_true(!strncmp(a.delivery, "mail-", 5));
				assert_true(strlen(a.p.mobile) != 11 || a.p.mobile[1] < '3' ||
					    a.p.mobile[0] != '1');
				break;
			case BAD_UNCONFIRMED: assert_false(a.confirmed); break;
			case BAD_MINOR_NO_GUARDIAN:
				assert_true(age_months(a.p.birth_day, a.app_day) < 18 * 12);
				assert_false(a.has_guardian);
				break;
			case BAD_BANK: {
				char *coop = xasprintf(",%s,", a.bank);

				assert_null(
					strstr(",ICBC,ABC,BOC,CCB,BOCOM,BOB,HXB,CITIC,CEB,CMBC,CMB,"
					       "SPDB,BRCB,PSBC,",
					       coop));
				free(coop);
				break;
			}
			case BAD_ELDERLY_AGE: {
				long m = age_months(a.p.birth_day, a.app_day);

				assert_string_equal(a.category, "elderly-civil");
				assert_true(m >= 59 * 12 && m < ELDERLY_MIN_MONTHS);
				break;
			}
			case BAD_PHOTO_SIZE:
				assert_int_equal(a.photo_index, SAMPLE_PHOTO_WRONG_SIZE);
				break;
			case BAD_PHOTO_CORRUPT:
				assert_int_equal(a.photo_index, SAMPLE_PHOTO_CORRUPT);
				break;
			case BAD_DUPLICATE:
				assert_string_equal(a.p.id_number, src.p.id_number);
				assert_string_equal(a.p.name, src.p.name);
				assert_string_not_equal(a.channel, src.channel);
				assert_true(strcmp(a.submitted_at, src.submitted_at) > 0);
				break;
			default: break;
			}
		}
	}
	/* no duplicate without an earlier record of another channel; none in employer batches */
	sample_people_release(&sp);
	sample_people_init(&sp, cp_now(), 24);
	assert_false(sample_bad_applies(&sp, BAD_DUPLICATE, "website"));
	assert_false(sample_bad_applies(&sp, BAD_UNCONFIRMED, "website"));
	assert_false(sample_bad_applies(&sp, BAD_MINOR_NO_GUARDIAN, "employer"));
	sample_people_release(&sp);
}

/* ---- photos -------------------------------------------------------------------------- */

static void
decode(const struct sample_photo *p, int *w, int *h, int *comp, int *border)
{
	struct jpeg_decompress_struct ci;
	struct jpeg_error_mgr err;
	unsigned char *rgb;
	unsigned long sum = 0, n = 0;

	ci.err = jpeg_std_error(&err);
	jpeg_create_decompress(&ci);
	jpeg_mem_src(&ci, p->data, (unsigned long)p->len);
	assert_int_equal(jpeg_read_header(&ci, TRUE), JPEG_HEADER_OK);
	*comp = ci.num_components;
	assert_int_equal(ci.jpeg_color_space, JCS_YCbCr);
	assert_int_equal(ci.X_density, 350);
	ci.out_color_space = JCS_RGB;
	jpeg_start_decompress(&ci);
	*w = (int)ci.output_width;
	*h = (int)ci.output_height;
	rgb = xmalloc((size_t)*w * (size_t)*h * 3);
	while (ci.output_scanline < ci.output_height) {
		JSAMPROW row = rgb + (size_t)ci.output_scanline * (size_t)*w * 3;

		jpeg_read_scanlines(&ci, &row, 1);
	}
	jpeg_finish_decompress(&ci);
	assert_int_equal(err.num_warnings, 0);
	jpeg_destroy_decompress(&ci);
	/* the border band photo checks look at: top tenth, left and right tenths */
	for (int y = 0; y < *h; y++)
		for (int x = 0; x < *w; x++)
			if (y < *h / 10 || x < *w / 10 || x >= *w - *w / 10) {
				const unsigned char *px =
					rgb + ((size_t)y * (size_t)*w + (size_t)x) * 3;

				sum += (299UL * px[0] + 587UL * px[1] + 114UL * px[2]) / 1000UL;
				n++;
			}
	*border = (int)(sum / n);
	free(rgb);
}

static void
test_photos(void **state)
{
	struct sample_photo p;
	struct rng r;
	int w, h, comp, border;

	(void)state;
	for (int i = 0; i < 12; i++) {
		rng_seed(&r, 5, (uint64_t)i);
		assert_int_equal(sample_photo_make(&r, SAMPLE_PHOTO_W, SAMPLE_PHOTO_H, &p), 0);
		decode(&p, &w, &h, &comp, &border);
		assert_int_equal(w, 358);
		assert_int_equal(h, 441);
		assert_int_equal(comp, 3);
		assert_true(border >= 230);
		if (p.len < SAMPLE_PHOTO_MIN_BYTES || p.len > SAMPLE_PHOTO_MAX_BYTES)
			fail_msg("photo %d is %zu bytes, outside 14-40 KB", i, p.len);
		/* the standard's geometry */
		assert_in_range(p.geo.face_right - p.geo.face_left, 179, 255);
		assert_in_range(p.geo.hair_top, 7, 21);
		assert_in_range(p.geo.eye_mid_x, 162, 196);
		assert_true(441 - p.geo.eye_y >= 207);
		sample_photo_release(&p);
	}
	rng_seed(&r, 5, 99);
	assert_int_equal(sample_photo_make(&r, 300, 370, &p), 0);
	decode(&p, &w, &h, &comp, &border);
	assert_int_equal(w, 300);
	sample_photo_release(&p);
	assert_int_equal(sample_photo_make(&r, 2, 2, &p), CP_ERR_INVALID);
}

/* ---- the files validate against the schemas ------------------------------------------ */

static int nerrors;

static void
count_error(void *ctx, xmlErrorPtr e)
{
	(void)ctx;
	if (nerrors++ < 5)
		fprintf(stderr, "schema: %s", e->message);
}

static void
test_files_validate(void **state)
{
	char *dir = tmpdir();
	struct sample_stats st;
	xmlSchemaParserCtxtPtr pc;
	xmlSchemaPtr emp, onl;
	DIR *d;
	struct dirent *e;
	int nemp = 0, nonl = 0, ncsv = 0, ngb = 0;

	(void)state;
	run_sample(dir, 400, 3, 0.05, 0, &st);
	pc = xmlSchemaNewParserCtxt("../../formats/employer-batch.xsd");
	assert_non_null(emp = xmlSchemaParse(pc));
	xmlSchemaFreeParserCtxt(pc);
	pc = xmlSchemaNewParserCtxt("../../formats/online-applications.xsd");
	assert_non_null(onl = xmlSchemaParse(pc));
	xmlSchemaFreeParserCtxt(pc);
	assert_non_null(d = opendir(dir));
	while ((e = readdir(d))) {
		char *path;

		if (e->d_name[0] == '.' || !strcmp(e->d_name, "photos") ||
		    !strcmp(e->d_name, "expected.tsv"))
			continue;
		path = fs_join(dir, e->d_name);
		if (strstr(e->d_name, ".xml")) {
			/* libxml2 reads .gz itself; no network, no entities */
			xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
			xmlSchemaValidCtxtPtr vc;
			int employer = !strncmp(e->d_name, "employer", 8);

			assert_non_null(doc);
			vc = xmlSchemaNewValidCtxt(employer ? emp : onl);
			nerrors = 0;
			xmlSchemaSetValidStructuredErrors(vc, count_error, NULL);
			if (xmlSchemaValidateDoc(vc, doc) != 0)
				fail_msg("%s does not validate", e->d_name);
			if (doc->encoding && !strcmp((const char *)doc->encoding, "GB18030"))
				ngb++;
			xmlSchemaFreeValidCtxt(vc);
			xmlFreeDoc(doc);
			employer ? nemp++ : nonl++;
		} else {
			assert_non_null(strstr(e->d_name, ".csv"));
			ncsv++;
		}
		free(path);
	}
	closedir(d);
	assert_true(nemp >= 2 && nonl >= 4 && ncsv >= 2);
	assert_int_equal(ngb, 1);
	xmlSchemaFree(emp);
	xmlSchemaFree(onl);
	rm_rf(dir);
	free(dir);
}

static void
test_usage_errors(void **state)
{
	struct sample_stats st;
	struct sample_opts o = {-1, 1, "/tmp/x", 0.05, 0};

	(void)state;
	assert_int_equal(stage_sample_run(&o, &st), CP_ERR_USAGE);
	o.count = 1;
	o.bad_share = 1.5;
	assert_int_equal(stage_sample_run(&o, &st), CP_ERR_USAGE);
	o.bad_share = 0.0;
	o.out = "/proc/no-such-place/sample";
	assert_true(stage_sample_run(&o, &st) < 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_records_valid),
		cmocka_unit_test(test_bad_records),
		cmocka_unit_test(test_photos),
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_counts_and_expected),
		cmocka_unit_test(test_files_validate),
		cmocka_unit_test(test_usage_errors),
	};
	int y, m, d;

	setenv("CARDPIPE_NOW", NOW, 1);
	cp_parse_date("2026-11-26", &y, &m, &d);
	today = cp_days_from_civil(y, m, d);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
