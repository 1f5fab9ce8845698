/*
 * sample_badfiles.c - the bad files of `cardpipe sample --bad-files`: one file per way an
 * input can be refused whole (quarantine with a reason code of reasons_ingest.c), plus two
 * files that go on with some records rejected: a CSV with single bad rows, and photo
 * references that escape the file's folder. Each is small except the gzip bomb, which
 * expands to 32 MiB of blanks from about 50 KB.
 */
#include "pipeline/stages/sample.h"

#include "core/err.h"
#include "core/fsutil.h"
#include "core/mem.h"
#include "pipeline/stages/sample_photo.h"
#include "pipeline/stages/sample_write.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BOMB_BYTES (32L * 1024 * 1024)

struct bad_ctx {
	const char *dir;
	uint64_t seed;
	struct sample_people *sp;
	const struct sample_photo *good;
	struct sample_sink *expected;
	struct sample_stats *st;
	long next_ref;
};

static void
bad_name(const struct bad_ctx *c, const char *what, char *out, size_t n)
{
	snprintf(out, n, "bad-s%llu-%s", (unsigned long long)c->seed, what);
}

/* A good application of channel for the bad files' content. */
static void
good_app(struct bad_ctx *c, const char *channel, const struct sample_employer *emp,
	 struct sample_app *a)
{
	struct rng r;
	char ref[24];

	rng_seed(&r, c->seed, (1ULL << 43) + (uint64_t)c->next_ref);
	snprintf(ref, sizeof(ref), "X%07ld", ++c->next_ref);
	sample_app_make(c->sp, &r, channel, emp, ref, a);
	a->photo_inline = 1;
}

static void
employer_of(struct bad_ctx *c, struct sample_employer *e)
{
	struct rng r;

	rng_seed(&r, c->seed, (1ULL << 43) - 1);
	sample_employer_make(c->sp, &r, 9000, e);
}

/* A file of text, or a failure. */
static int
write_text(struct bad_ctx *c, const char *file, const char *text, size_t len)
{
	char *path = fs_join(c->dir, file);
	int r = fs_write_atomic(path, text, len, 0600);

	free(path);
	return r;
}

static int
listed(struct bad_ctx *c, const char *file, const char *reason)
{
	char outcome[64];

	snprintf(outcome, sizeof(outcome), "quarantine:%s", reason);
	c->st->bad_files++;
	return sample_expect_line(c->expected, file, "-", outcome);
}

/* An employer batch with one good employee, then what extra says (raw XML). */
static int
employer_file(struct bad_ctx *c, const char *file, const char *extra, int renamed_type)
{
	struct sample_employer e;
	struct sample_app a;
	struct sample_photo_ref ph = {c->good->data, c->good->len, NULL};
	struct sample_sink *s = NULL;
	char *path = fs_join(c->dir, file);
	int r;

	employer_of(c, &e);
	good_app(c, "employer", &e, &a);
	if (renamed_type)
		a.app_type = "renewal"; /* not in the schema's enumeration */
	if ((r = sink_open(path, 0, 0, &s)) < 0 ||
	    (r = sample_xml_employer_begin(s, &e, "UTF-8")) < 0 ||
	    (r = sample_xml_employee(s, &a, &ph, 0)) < 0 || (r = sink_puts(s, extra)) < 0)
		goto out;
	r = sink_commit(s);
	s = NULL;
out:
	sink_abort(s);
	free(path);
	return r;
}

static int
malformed(struct bad_ctx *c)
{
	char file[64];
	int r;

	bad_name(c, "malformed.xml", file, sizeof(file));
	/* a closing tag that does not match: not well-formed at that line */
	r = employer_file(c, file,
			  "    <Employee ref=\"X9\">\n"
			  "      <ApplicationType>new</ApplicationType>\n"
			  "      <Name>张伟</Nam>\n"
			  "    </Employee>\n"
			  "  </Employees>\n"
			  "</EmployerBatch>\n",
			  0);
	return r < 0 ? r : listed(c, file, "not-well-formed");
}

static int
schema(struct bad_ctx *c)
{
	char file[64];
	int r;

	bad_name(c, "schema.xml", file, sizeof(file));
	/* well-formed, but ApplicationType "renewal" is outside the enumeration */
	r = employer_file(c, file, "  </Employees>\n</EmployerBatch>\n", 1);
	return r < 0 ? r : listed(c, file, "schema-violation");
}

static int
bad_encoding(struct bad_ctx *c)
{
	char file[64];
	int r;

	bad_name(c, "encoding.xml", file, sizeof(file));
	/* declared UTF-8, but a name in GB18030 bytes (张三 = D5C5 C8FD): invalid UTF-8 */
	r = employer_file(c, file,
			  "    <Employee ref=\"X8\">\n"
			  "      <ApplicationType>new</ApplicationType>\n"
			  "      <Name>\xD5\xC5\xC8\xFD</Name>\n"
			  "    </Employee>\n"
			  "  </Employees>\n"
			  "</EmployerBatch>\n",
			  0);
	return r < 0 ? r : listed(c, file, "bad-encoding");
}

/* An online file of n good applications, gzip-compressed, at path. */
static int
online_gz(struct bad_ctx *c, const char *path, int n, long blanks, int level)
{
	struct sample_sink *s = NULL;
	struct sample_app a;
	struct sample_photo_ref ph = {c->good->data, c->good->len, NULL};
	char chunk[4096];
	int r;

	if ((r = sink_open(path, level, 0, &s)) < 0 ||
	    (r = sample_xml_online_begin(s, "website", "UTF-8")) < 0)
		goto out;
	for (int i = 0; i < n; i++) {
		good_app(c, "website", NULL, &a);
		if ((r = sample_xml_application(s, &a, &ph, 0)) < 0)
			goto out;
	}
	memset(chunk, ' ', sizeof(chunk));
	for (long left = blanks; left > 0; left -= (long)sizeof(chunk))
		if ((r = sink_write(s, chunk,
				    left < (long)sizeof(chunk) ? (size_t)left : sizeof(chunk))) < 0)
			goto out;
	if ((r = sample_xml_online_end(s)) < 0)
		goto out;
	r = sink_commit(s);
	s = NULL;
out:
	sink_abort(s);
	return r;
}

static int
truncated_gzip(struct bad_ctx *c)
{
	char file[64], *path;
	unsigned char *data = NULL;
	size_t len = 0;
	int r;

	bad_name(c, "truncated.xml.gz", file, sizeof(file));
	path = fs_join(c->dir, file);
	/* a good gzip file, then cut at half: the stream ends without its trailer */
	if ((r = online_gz(c, path, 3, 0, 6)) < 0 ||
	    (r = fs_read_file(path, 64 * 1024 * 1024, &data, &len)) < 0 ||
	    (r = fs_write_atomic(path, data, len / 2, 0600)) < 0)
		goto out;
	r = listed(c, file, "truncated-gzip");
out:
	free(data);
	free(path);
	return r;
}

static int
gzip_bomb(struct bad_ctx *c)
{
	char file[64], *path;
	int r;

	bad_name(c, "bomb.xml.gz", file, sizeof(file));
	path = fs_join(c->dir, file);
	/* valid XML (blanks between elements) that inflates about a thousand times: at the
	 * best level, so the ratio (not a parser limit) is what gives it away */
	r = online_gz(c, path, 1, BOMB_BYTES, 9);
	free(path);
	return r < 0 ? r : listed(c, file, "gzip-bomb");
}

static int
billion_laughs(struct bad_ctx *c)
{
	static const char text[] =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<!DOCTYPE EmployerBatch [\n"
		"  <!ENTITY lol \"lol\">\n"
		"  <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
		"  <!ENTITY lol2 "
		"\"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
		"  <!ENTITY lol3 "
		"\"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
		"  <!ENTITY lol4 "
		"\"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
		"  <!ENTITY lol5 "
		"\"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
		"  <!ENTITY lol6 "
		"\"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
		"  <!ENTITY lol7 "
		"\"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
		"  <!ENTITY lol8 "
		"\"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
		"  <!ENTITY lol9 "
		"\"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
		"]>\n"
		"<EmployerBatch xmlns=\"urn:cardpipe:employer-batch:1\" version=\"1\">\n"
		"  <Employer><Name>&lol9;</Name><USCC>91350100M000100Y43</USCC></Employer>\n"
		"</EmployerBatch>\n";
	char file[64];
	int r;

	bad_name(c, "billion-laughs.xml", file, sizeof(file));
	r = write_text(c, file, text, sizeof(text) - 1);
	return r < 0 ? r : listed(c, file, "entity-expansion");
}

static int
xxe(struct bad_ctx *c)
{
	static const char text[] =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<!DOCTYPE OnlineApplications [\n"
		"  <!ENTITY xxe SYSTEM \"file:///etc/passwd\">\n"
		"]>\n"
		"<OnlineApplications xmlns=\"urn:cardpipe:online:1\" version=\"1\" "
		"channel=\"website\">\n"
		"  <Application ref=\"X1\" submittedAt=\"2026-11-20T10:00:00+08:00\">\n"
		"    <ApplicationType>new</ApplicationType>\n"
		"    <Name>&xxe;</Name>\n"
		"  </Application>\n"
		"</OnlineApplications>\n";
	char file[64];
	int r;

	bad_name(c, "xxe.xml", file, sizeof(file));
	r = write_text(c, file, text, sizeof(text) - 1);
	return r < 0 ? r : listed(c, file, "external-entity");
}

static int
broken_quoting(struct bad_ctx *c)
{
	struct sample_sink *s = NULL;
	struct sample_app a;
	struct sample_photo_ref ph = {c->good->data, c->good->len, NULL};
	char file[64], *path;
	int r;

	bad_name(c, "quoting.csv", file, sizeof(file));
	path = fs_join(c->dir, file);
	if ((r = sink_open(path, 0, 0, &s)) < 0 || (r = sample_csv_begin(s, 0, 0)) < 0)
		goto out;
	good_app(c, "outlet", NULL, &a);
	if ((r = sample_csv_row(s, &a, &ph)) < 0)
		goto out;
	/* a quoted address that is never closed: the rest of the file is one field */
	if ((r = sink_puts(s, "X9,outlet,SSP-110105-001,2026-11-20T10:00:00+08:00,new,张伟,"
			      "citizen,11010519491231002X,2,01,1949-12-31,CHN,13812345678,"
			      "insured,mail-person,\"北京市朝阳区建国路88号,100020,110105,,ICBC,"
			      ",,,,,,\r\n")) < 0)
		goto out;
	good_app(c, "outlet", NULL, &a);
	if ((r = sample_csv_row(s, &a, &ph)) < 0)
		goto out;
	r = sink_commit(s);
	s = NULL;
	if (r >= 0)
		r = listed(c, file, "csv-malformed");
out:
	sink_abort(s);
	free(path);
	return r;
}

/* Not quarantined: a counter CSV whose rows are bad one by one (a stray quote inside an
 * unquoted field, a row one field short) between good rows. */
static int
bad_rows(struct bad_ctx *c)
{
	struct sample_sink *s = NULL;
	struct sample_app a;
	struct sample_photo_ref ph = {c->good->data, c->good->len, NULL};
	char file[64], *path, row[512], ref[24];
	int r;

	bad_name(c, "csv-rows.csv", file, sizeof(file));
	path = fs_join(c->dir, file);
	if ((r = sink_open(path, 0, 0, &s)) < 0 || (r = sample_csv_begin(s, 0, 0)) < 0)
		goto out;
	for (int i = 0; i < 4; i++) {
		const char *outcome = "ok";

		if (i == 0 || i == 3) {
			good_app(c, "outlet", NULL, &a);
			r = sample_csv_row(s, &a, &ph);
			snprintf(ref, sizeof(ref), "%s", a.ref);
		} else {
			snprintf(ref, sizeof(ref), "X%07ld", ++c->next_ref);
			/* 27 fields with a quote inside the unquoted address; or 26 fields */
			snprintf(row, sizeof(row),
				 "%s,outlet,SSP-110105-001,2026-11-20T10:00:00+08:00,new,张伟,"
				 "citizen,"
				 "11010519491231002X,2,01,1949-12-31,CHN,13812345678,insured,"
				 "mail-person,北京市朝阳区建%s国路88号,100020,110105,,ICBC,,,,,,%"
				 "s\r\n",
				 ref, i == 1 ? "\"" : "", i == 1 ? "," : "");
			r = sink_puts(s, row);
			outcome = i == 1 ? "reject:csv-bad-quoting" : "reject:csv-field-count";
		}
		if (r < 0 || (r = sample_expect_line(c->expected, file, ref, outcome)) < 0)
			goto out;
		c->st->bad_file_records++;
	}
	r = sink_commit(s);
	s = NULL;
	if (r >= 0)
		c->st->bad_files++;
out:
	sink_abort(s);
	free(path);
	return r;
}

/* Not quarantined: a good file whose photo references point outside its folder. Those
 * records are rejected photo-ref-outside, the good one goes on. */
static int
photo_traversal(struct bad_ctx *c)
{
	static const char *const hrefs[] = {"../../../../etc/passwd", "/etc/shadow",
					    "photos/../../outside.jpg", NULL};
	struct sample_sink *s = NULL;
	struct sample_app a;
	char file[64], *path;
	int r;

	bad_name(c, "photo-traversal.xml", file, sizeof(file));
	path = fs_join(c->dir, file);
	if ((r = sink_open(path, 0, 0, &s)) < 0 ||
	    (r = sample_xml_online_begin(s, "website", "UTF-8")) < 0)
		goto out;
	for (size_t i = 0; i < sizeof(hrefs) / sizeof(hrefs[0]); i++) {
		struct sample_photo_ref ph = {NULL, 0, hrefs[i]};

		good_app(c, "website", NULL, &a);
		if (!hrefs[i]) {
			ph.jpeg = c->good->data;
			ph.len = c->good->len;
		}
		if ((r = sample_xml_application(s, &a, &ph, 0)) < 0 ||
		    (r = sample_expect_line(c->expected, file, a.ref,
					    hrefs[i] ? "reject:photo-ref-outside" : "ok")) < 0)
			goto out;
		c->st->bad_file_records++;
	}
	if ((r = sample_xml_online_end(s)) < 0)
		goto out;
	r = sink_commit(s);
	s = NULL;
	if (r >= 0)
		c->st->bad_files++;
out:
	sink_abort(s);
	free(path);
	return r;
}

int
sample_write_bad_files(const char *dir, uint64_t seed, struct sample_people *sp,
		       const struct sample_photo *good, struct sample_sink *expected,
		       struct sample_stats *st)
{
	struct bad_ctx c = {dir, seed, sp, good, expected, st, 0};
	int r;

	if ((r = malformed(&c)) < 0 || (r = schema(&c)) < 0 || (r = bad_encoding(&c)) < 0 ||
	    (r = truncated_gzip(&c)) < 0 || (r = gzip_bomb(&c)) < 0 ||
	    (r = billion_laughs(&c)) < 0 || (r = xxe(&c)) < 0 || (r = broken_quoting(&c)) < 0 ||
	    (r = bad_rows(&c)) < 0 || (r = photo_traversal(&c)) < 0)
		return r;
	return 0;
}
