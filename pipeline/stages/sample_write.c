/*
 * sample_write.c - the sample generator's file writers (see sample_write.h). A record is
 * assembled in a buffer and handed to the sink whole, so a GB18030 conversion never sees a
 * split UTF-8 sequence; the sink buffers, deflates (zlib, gzip wrapper, no name or time in
 * the header, so output is byte-identical run to run) and writes through fs_atomic.
 */
#include "pipeline/stages/sample_write.h"

#include "core/buf.h"
#include "core/csv.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/mem.h"
#include "formats/base64.h"

#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define SINK_CHUNK (64 * 1024)
#define RECORD_MAX (16 * 1024 * 1024) /* far above any record with its photo */

struct sample_sink {
	struct fs_atomic f;
	int gzip;
	z_stream z;
	iconv_t cd; /* (iconv_t)-1 when not converting */
	unsigned char out[SINK_CHUNK];
};

int
sink_open(const char *path, int gzip, int gb18030, struct sample_sink **out)
{
	struct sample_sink *s = xcalloc(1, sizeof(*s));
	int r;

	*out = NULL;
	s->cd = (iconv_t)-1;
	if (gb18030 && (s->cd = iconv_open("GB18030", "UTF-8")) == (iconv_t)-1) {
		free(s);
		return cp_err(CP_ERR_UNSUPPORTED, "iconv cannot convert UTF-8 to GB18030: %s",
			      strerror(errno));
	}
	if (gzip) {
		/* 15 + 16: a gzip wrapper with an empty header (mtime 0) */
		if (deflateInit2(&s->z, gzip < 1 || gzip > 9 ? 1 : gzip, Z_DEFLATED, 15 + 16, 8,
				 Z_DEFAULT_STRATEGY) != Z_OK) {
			if (s->cd != (iconv_t)-1)
				iconv_close(s->cd);
			free(s);
			return cp_err(CP_ERR_NOMEM, "zlib deflateInit2 failed");
		}
		s->gzip = 1;
	}
	if ((r = fs_atomic_open(&s->f, path, 0600)) < 0) {
		if (s->gzip)
			deflateEnd(&s->z);
		if (s->cd != (iconv_t)-1)
			iconv_close(s->cd);
		free(s);
		return r;
	}
	*out = s;
	return 0;
}

static int
deflate_some(struct sample_sink *s, const void *data, size_t len, int flush)
{
	int zr, r;

	s->z.next_in = (Bytef *)(uintptr_t)data;
	s->z.avail_in = (uInt)len;
	do {
		s->z.next_out = s->out;
		s->z.avail_out = sizeof(s->out);
		zr = deflate(&s->z, flush);
		if (zr == Z_STREAM_ERROR)
			return cp_err(CP_ERR_IO, "zlib deflate failed");
		if ((r = fs_atomic_write(&s->f, s->out, sizeof(s->out) - s->z.avail_out)) < 0)
			return r;
	} while (s->z.avail_out == 0 || (flush == Z_FINISH && zr != Z_STREAM_END));
	return 0;
}

static int
raw_write(struct sample_sink *s, const void *data, size_t len)
{
	if (!s->gzip)
		return fs_atomic_write(&s->f, data, len);
	while (len) {
		/* avail_in is a uInt: feed at most 1 GiB at a time */
		size_t n = len > (1u << 30) ? (1u << 30) : len;
		int r = deflate_some(s, data, n, Z_NO_FLUSH);

		if (r < 0)
			return r;
		data = (const unsigned char *)data + n;
		len -= n;
	}
	return 0;
}

int
sink_write(struct sample_sink *s, const void *data, size_t len)
{
	char conv[SINK_CHUNK];
	char *in = (char *)(uintptr_t)data;
	size_t inleft = len;
	int r;

	if (s->cd == (iconv_t)-1)
		return raw_write(s, data, len);
	while (inleft) {
		char *o = conv;
		size_t oleft = sizeof(conv);

		if (iconv(s->cd, &in, &inleft, &o, &oleft) == (size_t)-1 && errno != E2BIG)
			return cp_err(CP_ERR_FORMAT, "text cannot be converted to GB18030: %s",
				      strerror(errno));
		if ((r = raw_write(s, conv, sizeof(conv) - oleft)) < 0)
			return r;
	}
	return 0;
}

int
sink_puts(struct sample_sink *s, const char *text)
{
	return sink_write(s, text, strlen(text));
}

static void
sink_free(struct sample_sink *s)
{
	if (s->gzip)
		deflateEnd(&s->z);
	if (s->cd != (iconv_t)-1)
		iconv_close(s->cd);
	free(s);
}

int
sink_commit(struct sample_sink *s)
{
	int r = 0;

	if (s->gzip)
		r = deflate_some(s, "", 0, Z_FINISH);
	if (r < 0)
		fs_atomic_abort(&s->f);
	else
		r = fs_atomic_commit(&s->f);
	sink_free(s);
	return r;
}

void
sink_abort(struct sample_sink *s)
{
	if (!s)
		return;
	fs_atomic_abort(&s->f);
	sink_free(s);
}

/* ---- XML -------------------------------------------------------------------------- */

static void
xml_text(struct buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': buf_append(b, "&amp;", 5); break;
		case '<': buf_append(b, "&lt;", 4); break;
		case '>': buf_append(b, "&gt;", 4); break;
		case '"': buf_append(b, "&quot;", 6); break;
		case '\'': buf_append(b, "&apos;", 6); break;
		default: buf_putc(b, (unsigned char)*s);
		}
	}
}

/* <Tag dd="CODE">value</Tag> at indent, skipped when value is empty. */
static void
xml_field(struct buf *b, const char *indent, const char *tag, const char *dd, const char *value,
	  int with_dd)
{
	if (!value || !value[0])
		return;
	buf_appendf(b, "%s<%s", indent, tag);
	if (with_dd && dd)
		buf_appendf(b, " dd=\"%s\"", dd);
	buf_putc(b, '>');
	xml_text(b, value);
	buf_appendf(b, "</%s>\n", tag);
}

static void
base64_lines(struct buf *b, const unsigned char *data, size_t len, const char *indent)
{
	unsigned char line[80];

	/* 57 bytes make one 76-character line, as MIME writes it */
	for (size_t off = 0; off < len; off += 57) {
		size_t n = len - off < 57 ? len - off : 57;
		size_t k = base64_encode(data + off, n, line);

		buf_appendf(b, "%s", indent);
		buf_append(b, line, k);
		buf_putc(b, '\n');
	}
}

static void
xml_person(struct buf *b, const char *in, const struct sample_app *a,
	   const struct sample_photo_ref *photo, int with_dd)
{
	char sex[2] = {(char)('0' + a->p.sex), '\0'};

	xml_field(b, in, "ApplicationType", NULL, a->app_type, 0);
	xml_field(b, in, "Name", "AAC003", a->p.name, with_dd);
	xml_field(b, in, "IdType", NULL, id_kind_name(a->p.kind), 0);
	xml_field(b, in, "IdNumber", "AAC002", a->p.id_number, with_dd);
	xml_field(b, in, "Sex", "AAC004", sex, with_dd);
	xml_field(b, in, "Ethnicity", "AAC005", a->p.ethnicity, with_dd);
	xml_field(b, in, "BirthDate", "AAC006", a->p.birth_date, with_dd);
	xml_field(b, in, "Nationality", "AAC161", a->p.nationality, with_dd);
	xml_field(b, in, "Mobile", "AAE005", a->p.mobile, with_dd);
	xml_field(b, in, "Category", NULL, a->category, 0);
	buf_appendf(b, "%s<Delivery method=\"%s\">\n", in, a->delivery);
	{
		char in2[16];

		snprintf(in2, sizeof(in2), "%s  ", in);
		xml_field(b, in2, "Address", "AAE006", a->address, with_dd);
		xml_field(b, in2, "PostalCode", "AAE007", a->postal_code, with_dd);
		if (strcmp(a->delivery, "pickup") != 0)
			xml_field(b, in2, "District", "AAB301", a->district, with_dd);
		xml_field(b, in2, "Branch", NULL, a->branch, 0);
	}
	buf_appendf(b, "%s</Delivery>\n", in);
	xml_field(b, in, "Bank", NULL, a->bank, 0);
	if (photo && photo->jpeg) {
		char in2[16];

		snprintf(in2, sizeof(in2), "%s  ", in);
		buf_appendf(b, "%s<Photo encoding=\"base64\">\n", in);
		base64_lines(b, photo->jpeg, photo->len, in2);
		buf_appendf(b, "%s</Photo>\n", in);
	} else if (photo && photo->href) {
		buf_appendf(b, "%s<Photo href=\"", in);
		xml_text(b, photo->href);
		buf_appendf(b, "\"/>\n");
	}
	xml_field(b, in, "OldCardNo", "AAZ500", a->old_card_no, with_dd);
	xml_field(b, in, "TransportBalance", NULL, a->transport_balance, 0);
	if (a->has_guardian) {
		char in2[16];

		snprintf(in2, sizeof(in2), "%s  ", in);
		buf_appendf(b, "%s<Guardian>\n", in);
		xml_field(b, in2, "Name", "AAC003", a->guardian.name, with_dd);
		xml_field(b, in2, "IdType", NULL, id_kind_name(a->guardian.kind), 0);
		xml_field(b, in2, "IdNumber", "AAC002", a->guardian.id_number, with_dd);
		xml_field(b, in2, "Proof", NULL, a->guardian_proof, 0);
		buf_appendf(b, "%s</Guardian>\n", in);
	}
}

static int
flush_buf(struct sample_sink *s, struct buf *b)
{
	int r;

	if (!b->data) /* nothing appended; a buf that hit its limit is a bug, not data */
		return 0;
	r = sink_write(s, b->data, b->len);
	buf_release(b);
	return r;
}

int
sample_xml_employer_begin(struct sample_sink *s, const struct sample_employer *e,
			  const char *encoding)
{
	struct buf b = BUF_INIT(RECORD_MAX);

	buf_appendf(&b,
		    "<?xml version=\"1.0\" encoding=\"%s\"?>\n"
		    "<EmployerBatch xmlns=\"urn:cardpipe:employer-batch:1\" version=\"1\">\n"
		    "  <Employer>\n",
		    encoding);
	xml_field(&b, "    ", "Name", NULL, e->name, 0);
	xml_field(&b, "    ", "USCC", NULL, e->uscc, 0);
	buf_appendf(&b, "  </Employer>\n");
	xml_field(&b, "  ", "BatchId", NULL, e->batch_id, 0);
	xml_field(&b, "  ", "SubmittedAt", NULL, e->submitted_at, 0);
	buf_appendf(&b, "  <Employees>\n");
	return flush_buf(s, &b);
}

int
sample_xml_employee(struct sample_sink *s, const struct sample_app *a,
		    const struct sample_photo_ref *photo, int with_dd)
{
	struct buf b = BUF_INIT(RECORD_MAX);

	buf_appendf(&b, "    <Employee ref=\"%s\">\n", a->ref);
	xml_person(&b, "      ", a, photo, with_dd);
	if (a->confirmed)
		buf_appendf(&b, "      <Confirmation at=\"%s\" channel=\"%s\"/>\n", a->confirmed_at,
			    a->confirm_channel);
	buf_appendf(&b, "    </Employee>\n");
	return flush_buf(s, &b);
}

int
sample_xml_employer_end(struct sample_sink *s)
{
	return sink_puts(s, "  </Employees>\n</EmployerBatch>\n");
}

int
sample_xml_online_begin(struct sample_sink *s, const char *channel, const char *encoding)
{
	struct buf b = BUF_INIT(4096);

	buf_appendf(&b,
		    "<?xml version=\"1.0\" encoding=\"%s\"?>\n"
		    "<OnlineApplications xmlns=\"urn:cardpipe:online:1\" version=\"1\" "
		    "channel=\"%s\">\n",
		    encoding, channel);
	return flush_buf(s, &b);
}

int
sample_xml_application(struct sample_sink *s, const struct sample_app *a,
		       const struct sample_photo_ref *photo, int with_dd)
{
	struct buf b = BUF_INIT(RECORD_MAX);

	buf_appendf(&b, "  <Application ref=\"%s\" submittedAt=\"%s\">\n", a->ref, a->submitted_at);
	xml_person(&b, "    ", a, photo, with_dd);
	buf_appendf(&b, "  </Application>\n");
	return flush_buf(s, &b);
}

int
sample_xml_online_end(struct sample_sink *s)
{
	return sink_puts(s, "</OnlineApplications>\n");
}

/* ---- CSV -------------------------------------------------------------------------- */

static const char csv_header[] =
	"ref,channel,outlet,submitted_at,app_type,name,id_type,id_number,sex,ethnicity,"
	"birth_date,nationality,mobile,category,delivery,address,postal_code,district,branch,"
	"bank,photo,old_card_no,transport_balance,guardian_name,guardian_id_type,"
	"guardian_id_number,guardian_proof\r\n";

int
sample_csv_begin(struct sample_sink *s, int gb18030, int bom)
{
	int r = 0;

	if (gb18030)
		r = sink_puts(s, "#encoding=gb18030\r\n");
	else if (bom)
		r = sink_puts(s, "\xEF\xBB\xBF");
	return r < 0 ? r : sink_puts(s, csv_header);
}

int
sample_csv_row(struct sample_sink *s, const struct sample_app *a,
	       const struct sample_photo_ref *photo)
{
	struct buf b = BUF_INIT(RECORD_MAX);
	char sex[2] = {(char)('0' + a->p.sex), '\0'};

	csv_field(&b, a->ref, CSV_NEXT);
	csv_field(&b, a->channel, CSV_NEXT);
	csv_field(&b, a->outlet, CSV_NEXT);
	csv_field(&b, a->submitted_at, CSV_NEXT);
	csv_field(&b, a->app_type, CSV_NEXT);
	csv_field(&b, a->p.name, CSV_NEXT);
	csv_field(&b, id_kind_name(a->p.kind), CSV_NEXT);
	csv_field(&b, a->p.id_number, CSV_NEXT);
	csv_field(&b, sex, CSV_NEXT);
	csv_field(&b, a->p.ethnicity, CSV_NEXT);
	csv_field(&b, a->p.birth_date, CSV_NEXT);
	csv_field(&b, a->p.nationality, CSV_NEXT);
	csv_field(&b, a->p.mobile, CSV_NEXT);
	csv_field(&b, a->category, CSV_NEXT);
	csv_field(&b, a->delivery, CSV_NEXT);
	csv_field(&b, a->address, CSV_NEXT);
	csv_field(&b, a->postal_code, CSV_NEXT);
	csv_field(&b, a->district, CSV_NEXT);
	csv_field(&b, a->branch, CSV_NEXT);
	csv_field(&b, a->bank, CSV_NEXT);
	if (photo && photo->jpeg) {
		unsigned char *tmp = xmalloc(BASE64_ENCODED_LEN(photo->len));
		size_t k = base64_encode(photo->jpeg, photo->len, tmp);

		buf_append(&b, "base64:", 7);
		buf_append(&b, tmp, k);
		free(tmp);
		buf_putc(&b, ',');
	} else {
		csv_field(&b, photo ? photo->href : "", CSV_NEXT);
	}
	csv_field(&b, a->old_card_no, CSV_NEXT);
	csv_field(&b, a->transport_balance, CSV_NEXT);
	csv_field(&b, a->has_guardian ? a->guardian.name : "", CSV_NEXT);
	csv_field(&b, a->has_guardian ? id_kind_name(a->guardian.kind) : "", CSV_NEXT);
	csv_field(&b, a->has_guardian ? a->guardian.id_number : "", CSV_NEXT);
	csv_field(&b, a->has_guardian ? a->guardian_proof : "", CSV_CRLF);
	return flush_buf(s, &b);
}

/* ---- expected.tsv ----------------------------------------------------------------- */

int
sample_expect_header(struct sample_sink *s)
{
	return sink_puts(s, "file\tref\texpected\n");
}

int
sample_expect_line(struct sample_sink *s, const char *file, const char *ref, const char *outcome)
{
	char line[512];
	int n = snprintf(line, sizeof(line), "%s\t%s\t%s\n", file, ref && ref[0] ? ref : "-",
			 outcome);

	if (n < 0 || (size_t)n >= sizeof(line))
		return cp_err(CP_ERR_LIMIT, "expected.tsv line for '%s' too long", file);
	return sink_write(s, line, (size_t)n);
}
