/*
 * counter_csv.c - counter and bank-branch CSV (formats/counter-csv.md) into app_records.
 *
 * Encoding: a first line "#encoding=utf-8|gb18030" declares it; otherwise the first field
 * holding non-ASCII bytes decides (valid UTF-8 -> UTF-8, else GB18030), and every later
 * field must then be valid in that encoding (a file that is neither is bad-encoding).
 * GB18030 is converted to UTF-8 with iconv. A UTF-8 BOM is skipped.
 */
#include "formats/counter_csv.h"

#include "core/err.h"
#include "core/mem.h"
#include "formats/csv_reader.h"

#include <errno.h>
#include <iconv.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NOFF ((size_t)-1)

/* Every column of the header, in the documented order, and where it goes. */
static const struct column {
	const char *name;
	size_t off; /* NOFF: handled specially */
} columns[] = {
	{"ref", offsetof(struct app_record, channel_ref)},
	{"channel", NOFF},
	{"outlet", offsetof(struct app_record, outlet)},
	{"submitted_at", offsetof(struct app_record, submitted_at)},
	{"app_type", offsetof(struct app_record, app_type)},
	{"name", offsetof(struct app_record, name)},
	{"id_type", offsetof(struct app_record, id_type)},
	{"id_number", offsetof(struct app_record, id_number)},
	{"sex", offsetof(struct app_record, sex)},
	{"ethnicity", offsetof(struct app_record, ethnicity)},
	{"birth_date", offsetof(struct app_record, birth_date)},
	{"nationality", offsetof(struct app_record, nationality)},
	{"mobile", offsetof(struct app_record, mobile)},
	{"category", offsetof(struct app_record, category)},
	{"delivery", offsetof(struct app_record, delivery)},
	{"address", offsetof(struct app_record, address)},
	{"postal_code", offsetof(struct app_record, postal_code)},
	{"district", offsetof(struct app_record, district)},
	{"branch", offsetof(struct app_record, branch)},
	{"bank", offsetof(struct app_record, bank)},
	{"photo", NOFF},
	{"old_card_no", offsetof(struct app_record, old_card_no)},
	{"transport_balance", offsetof(struct app_record, transport_balance)},
	{"guardian_name", offsetof(struct app_record, guardian_name)},
	{"guardian_id_type", offsetof(struct app_record, guardian_id_type)},
	{"guardian_id_number", offsetof(struct app_record, guardian_id_number)},
	{"guardian_proof", offsetof(struct app_record, guardian_proof)},
};
#define NCOLS ARRAY_SIZE(columns)

enum enc { ENC_UNDECIDED, ENC_UTF8, ENC_GB18030 };

struct cctx {
	struct csv_reader rd;
	struct parse_fail *f;
	enum enc enc;
	iconv_t cd;
	size_t col_of[NCOLS]; /* file field index of each column */
	char *conv;	      /* conversion output */
	size_t convcap;
};

/* Length of the valid UTF-8 prefix (strict: no overlongs, surrogates or > U+10FFFF). */
static size_t
utf8_valid_prefix(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t k;
		unsigned int cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			k = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			k = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			k = 3, cp = c & 0x07;
		else
			return i;
		if (i + k >= n)
			return i; /* cut short */
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return i;
			cp = (cp << 6) | (s[i + j] & 0x3f);
		}
		if ((k == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (k == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return i;
		i += k + 1;
	}
	return n;
}

static int
has_high(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 1;
	return 0;
}

/* Field text as UTF-8: *out points at it (into the reader or the conversion buffer). */
static int
to_utf8(struct cctx *c, long line, const char *col, const char *s, size_t n, const char **out,
	size_t *outlen)
{
	*out = s;
	*outlen = n;
	if (!has_high(s, n))
		return 0;
	if (c->enc == ENC_UNDECIDED)
		c->enc = utf8_valid_prefix((const unsigned char *)s, n) == n ? ENC_UTF8
									     : ENC_GB18030;
	if (c->enc == ENC_UTF8) {
		size_t ok = utf8_valid_prefix((const unsigned char *)s, n);

		if (ok != n)
			return parse_failf(
				c->f, "bad-encoding", line,
				"line %ld, column '%s': byte 0x%02x at offset %zu is not "
				"valid UTF-8 (the file is UTF-8 as %s)",
				line, col, (unsigned char)s[ok], ok,
				"declared or detected from its first non-ASCII text");
		return 0;
	}
	if (c->cd == (iconv_t)-1) {
		c->cd = iconv_open("UTF-8", "GB18030");
		if (c->cd == (iconv_t)-1)
			return parse_failf(c->f, "bad-encoding", line,
					   "GB18030 conversion is not available on this system");
	}
	if (c->convcap < n * 4 + 4) {
		c->convcap = n * 4 + 4;
		c->conv = xrealloc(c->conv, c->convcap);
	}
	{
		char *in = (char *)s, *o = c->conv;
		size_t inleft = n, oleft = c->convcap;

		iconv(c->cd, NULL, NULL, NULL, NULL);
		if (iconv(c->cd, &in, &inleft, &o, &oleft) == (size_t)-1 ||
		    iconv(c->cd, NULL, NULL, &o, &oleft) == (size_t)-1)
			return parse_failf(
				c->f, "bad-encoding", line,
				"line %ld, column '%s': byte 0x%02x at offset %zu is not "
				"valid GB18030 (%s)",
				line, col, (unsigned char)*in, (size_t)(in - s),
				errno == EINVAL ? "incomplete character" : "invalid sequence");
		*out = c->conv;
		*outlen = (size_t)(o - c->conv);
	}
	return 0;
}

static int
read_header(struct cctx *c, struct csv_row *row)
{
	struct csv_reader *rd = &c->rd;
	char missing[512] = "";
	size_t len, i, k;
	const char *s;
	int r;

	if ((r = csv_read_row(rd, row)) <= 0) {
		if (r == 0)
			return parse_failf(c->f, "csv-malformed", 0, "the file has no header row");
		goto stream;
	}
	s = csv_reader_field(rd, 0, &len);
	if (len >= 3 && !memcmp(s, "\xef\xbb\xbf", 3)) {
		c->enc = ENC_UTF8;
		rd->offs[0] += 3;
		rd->lens[0] -= 3;
		s = csv_reader_field(rd, 0, &len);
	}
	if (len >= 10 && !memcmp(s, "#encoding=", 10)) {
		const char *v = s + 10;

		if (row->nfields != 1)
			return parse_failf(c->f, "csv-malformed", row->line,
					   "line %ld: the #encoding line holds a comma", row->line);
		if (!strcasecmp(v, "utf-8") || !strcasecmp(v, "utf8"))
			c->enc = ENC_UTF8;
		else if (!strcasecmp(v, "gb18030"))
			c->enc = ENC_GB18030;
		else
			return parse_failf(c->f, "bad-encoding", row->line,
					   "line %ld: declared encoding '%.40s' is not utf-8 or "
					   "gb18030",
					   row->line, v);
		if ((r = csv_read_row(rd, row)) <= 0) {
			if (r == 0)
				return parse_failf(c->f, "csv-malformed", 0,
						   "the file has no header row");
			goto stream;
		}
	}
	if (row->bad_quote || row->too_large)
		return parse_failf(c->f, "csv-malformed", row->line,
				   "line %ld: the header row is %s", row->line,
				   row->too_large ? "too long" : "badly quoted");
	for (k = 0; k < NCOLS; k++)
		c->col_of[k] = NOFF;
	for (i = 0; i < row->nfields; i++) {
		char name[64];

		s = csv_reader_field(rd, i, &len);
		while (len && (*s == ' ' || *s == '\t')) {
			s++;
			len--;
		}
		while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		snprintf(name, sizeof(name), "%.*s", (int)(len < 60 ? len : 60), s);
		for (k = 0; k < NCOLS; k++)
			if (strlen(columns[k].name) == len && !memcmp(columns[k].name, s, len))
				break;
		if (k == NCOLS)
			return parse_failf(
				c->f, "csv-malformed", row->line,
				"line %ld: unknown column '%s' (field %zu of the header)",
				row->line, name, i + 1);
		if (c->col_of[k] != NOFF)
			return parse_failf(c->f, "csv-malformed", row->line,
					   "line %ld: column '%s' appears twice in the header",
					   row->line, name);
		c->col_of[k] = i;
	}
	for (k = 0; k < NCOLS; k++)
		if (c->col_of[k] == NOFF &&
		    strlen(missing) + strlen(columns[k].name) + 3 < sizeof(missing))
			snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing),
				 "%s%s", missing[0] ? ", " : "", columns[k].name);
	if (missing[0])
		return parse_failf(c->f, "csv-malformed", row->line,
				   "line %ld: the header lacks column(s): %s", row->line, missing);
	return 0;
stream:
	return parse_failf(c->f, rd->fail_code ? rd->fail_code : "csv-malformed", rd->fail_line,
			   "%s", rd->fail_detail);
}

/* Fill rec from the row's fields (k-th column at file field col_of[k]). */
static int
fill(struct cctx *c, const struct csv_row *row, struct app_record *rec)
{
	const char *s, *u;
	size_t len, ulen;
	int r;

	for (size_t k = 0; k < NCOLS; k++) {
		size_t i = c->col_of[k];

		if (i >= row->nfields)
			continue;
		s = csv_reader_field(&c->rd, i, &len);
		if ((r = to_utf8(c, row->line, columns[k].name, s, len, &u, &ulen)) < 0)
			return r;
		if (columns[k].off != NOFF) {
			app_field_set((char **)((char *)rec + columns[k].off), u, ulen);
		} else if (!strcmp(columns[k].name, "channel")) {
			app_field_set(&rec->channel, u, ulen);
		} else if (ulen && !rec->reject_code) {
			/* photo: "base64:" + JPEG, or a relative path */
			while (ulen && (*u == ' ' || *u == '\t')) {
				u++;
				ulen--;
			}
			if (ulen >= 7 && !memcmp(u, "base64:", 7)) {
				app_record_set_inline_photo(rec, u + 7, ulen - 7, "photo");
			} else if (ulen) {
				char *ref = NULL;

				app_field_set(&ref, u, ulen);
				if (ref)
					app_record_set_photo_ref(rec, ref, "photo");
				free(ref);
			}
		}
	}
	return 0;
}

static int
record(struct cctx *c, const struct csv_row *row, long record_no, size_t ncols,
       struct app_record *rec)
{
	int r;

	memset(rec, 0, sizeof(*rec));
	rec->record_no = record_no;
	rec->location = xasprintf("line %ld", row->line);
	if (row->too_large) {
		app_record_reject(rec, "record-too-large", NULL,
				  "line %ld: the row is longer than the limit of %zu bytes "
				  "(ingest.max_record_bytes)",
				  row->line, c->rd.max_record);
	} else {
		/* the row's shape first; its fields are still kept (the ref goes back to the
		 * channel), though with the wrong count they may be shifted */
		if (row->nfields != ncols)
			app_record_reject(rec, "csv-field-count", NULL,
					  "line %ld: the row has %zu fields, the header has %zu",
					  row->line, row->nfields, ncols);
		else if (row->bad_quote)
			app_record_reject(
				rec, "csv-bad-quoting", NULL,
				"line %ld: field %zu has a stray or unbalanced quote (RFC "
				"4180: a quote may only open a quoted field or be doubled "
				"inside one)",
				row->quote_line, row->quote_field + 1);
		if ((r = fill(c, row, rec)) < 0)
			return r;
	}
	if (!rec->channel || (strcmp(rec->channel, "outlet") && strcmp(rec->channel, "bank"))) {
		if (!rec->reject_code)
			app_record_reject(
				rec, "field-invalid", "channel",
				"line %ld, column 'channel': '%.20s' is not outlet or bank",
				row->line, rec->channel ? rec->channel : "");
		if (!rec->channel)
			rec->channel = xstrdup("unknown");
	}
	return 0;
}

int
counter_csv_parse(struct instream *s, const struct parse_limits *lim, app_record_fn fn, void *arg,
		  struct parse_fail *f)
{
	struct cctx c;
	struct csv_row row;
	struct app_record rec;
	long nrec = 0;
	size_t ncols;
	int r;

	memset(&c, 0, sizeof(c));
	memset(&rec, 0, sizeof(rec));
	c.f = f;
	c.cd = (iconv_t)-1;
	csv_reader_init(&c.rd, s, lim->max_record_bytes);
	if ((r = read_header(&c, &row)) < 0)
		goto out;
	ncols = row.nfields;
	while ((r = csv_read_row(&c.rd, &row)) == 1) {
		if ((r = record(&c, &row, ++nrec, ncols, &rec)) < 0)
			break;
		r = fn(arg, &rec);
		app_record_release(&rec);
		if (r < 0)
			break;
	}
	app_record_release(&rec);
	if (r == CP_ERR_FORMAT && !f->code)
		parse_failf(f, c.rd.fail_code ? c.rd.fail_code : "csv-malformed", c.rd.fail_line,
			    "%s", c.rd.fail_detail);
	if (r == 0 && nrec == 0)
		r = parse_failf(f, "csv-malformed", 0, "the file has a header but no records");
out:
	if (c.cd != (iconv_t)-1)
		iconv_close(c.cd);
	free(c.conv);
	csv_reader_release(&c.rd);
	return r;
}
