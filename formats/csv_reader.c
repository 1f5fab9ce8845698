/* csv_reader.c - RFC 4180 rows from an instream (see csv_reader.h). */
#include "formats/csv_reader.h"

#include "core/err.h"
#include "core/mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IN_CHUNK 65536

void
csv_reader_init(struct csv_reader *r, struct instream *s, size_t max_record)
{
	memset(r, 0, sizeof(*r));
	r->s = s;
	r->max_record = max_record;
	r->in = xmalloc(IN_CHUNK);
	r->pushback = -1;
	r->line = 1;
	buf_init(&r->data, BUF_UNLIMITED);
}

void
csv_reader_release(struct csv_reader *r)
{
	free(r->in);
	free(r->offs);
	free(r->lens);
	buf_release(&r->data);
	r->in = NULL;
	r->offs = r->lens = NULL;
}

static int
failf(struct csv_reader *r, const char *code, long line, const char *fmt, ...)
{
	va_list ap;

	r->fail_code = code;
	r->fail_line = line;
	va_start(ap, fmt);
	vsnprintf(r->fail_detail, sizeof(r->fail_detail), fmt, ap);
	va_end(ap);
	return CP_ERR_FORMAT;
}

/* Next byte, -1 at the end, -2 on a stream failure. */
static int
next(struct csv_reader *r)
{
	ssize_t n;

	if (r->pushback >= 0) {
		int c = r->pushback;

		r->pushback = -1;
		return c;
	}
	if (r->inpos == r->inlen) {
		if (r->eof)
			return -1;
		n = instream_read(r->s, r->in, IN_CHUNK);
		if (n < 0)
			return -2;
		if (n == 0) {
			r->eof = 1;
			return -1;
		}
		r->inlen = (size_t)n;
		r->inpos = 0;
	}
	return r->in[r->inpos++];
}

static void
field_begin(struct csv_reader *r, struct csv_row *row)
{
	if (row->nfields == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 32;
		r->offs = xrealloc(r->offs, r->cap * sizeof(*r->offs));
		r->lens = xrealloc(r->lens, r->cap * sizeof(*r->lens));
	}
	r->offs[row->nfields] = r->data.len;
	r->lens[row->nfields] = 0;
	row->nfields++;
}

static void
field_end(struct csv_reader *r, struct csv_row *row)
{
	if (!row->too_large)
		buf_putc(&r->data, '\0');
}

static void
put(struct csv_reader *r, struct csv_row *row, int c)
{
	if (row->too_large)
		return;
	if (r->data.len >= r->max_record) {
		row->too_large = 1; /* keep scanning to the row's end, keep nothing */
		return;
	}
	buf_putc(&r->data, (unsigned char)c);
	r->lens[row->nfields - 1]++;
}

/* Copy a run of ordinary bytes straight from the input buffer (the common case: most of a
 * row is neither quote, comma nor line end), instead of byte by byte. */
static void
span(struct csv_reader *r, struct csv_row *row, int quoted)
{
	const unsigned char *p = r->in + r->inpos, *end = r->in + r->inlen, *q = p;
	size_t n;

	if (r->pushback >= 0)
		return;
	if (quoted)
		while (q < end && *q != '"' && *q != '\n')
			q++;
	else
		while (q < end && *q != ',' && *q != '"' && *q != '\n' && *q != '\r')
			q++;
	n = (size_t)(q - p);
	r->inpos += n;
	if (!n || row->too_large)
		return;
	if (r->data.len + n > r->max_record) {
		row->too_large = 1;
		return;
	}
	buf_append(&r->data, p, n);
	r->lens[row->nfields - 1] += n;
}

static void
stray(struct csv_row *row, long line)
{
	if (!row->bad_quote) {
		row->bad_quote = 1;
		row->quote_line = line;
		row->quote_field = row->nfields ? row->nfields - 1 : 0;
	}
}

int
csv_read_row(struct csv_reader *r, struct csv_row *row)
{
	enum { START, UNQUOTED, QUOTED, AFTER_QUOTE } st;
	int c;

	for (;;) {
		memset(row, 0, sizeof(*row));
		buf_reset(&r->data);
		row->line = r->line;
		st = START;
		c = next(r);
		if (c == -2)
			return failf(r, r->s->fail_code, 0, "%s", r->s->fail_detail);
		if (c == -1)
			return 0;
		if (c == '\n' || (c == '\r' && (c = next(r)) == '\n')) {
			r->line++;
			continue; /* a blank line is no row */
		}
		if (c == -2)
			return failf(r, r->s->fail_code, 0, "%s", r->s->fail_detail);
		if (c == -1)
			return 0;
		break;
	}
	field_begin(r, row);
	for (;; c = next(r)) {
		if (c == -2)
			return failf(r, r->s->fail_code, 0, "%s", r->s->fail_detail);
		switch (st) {
		case START:
			if (c == '"') {
				st = QUOTED;
				continue;
			}
			st = UNQUOTED;
			/* fall through */
		case UNQUOTED:
			if (c == -1 || c == '\n' || c == '\r' || c == ',')
				break;
			if (c == '"')
				stray(row, r->line);
			put(r, row, c);
			span(r, row, 0);
			continue;
		case QUOTED:
			if (c == -1)
				return failf(
					r, "csv-malformed", row->line,
					"line %ld: a quoted field opened on this line is never "
					"closed (the file ends inside it)",
					row->line);
			if (c == '"') {
				int d = next(r);

				if (d == '"') {
					put(r, row, '"');
					continue;
				}
				r->pushback = d;
				st = AFTER_QUOTE;
				continue;
			}
			if (c == '\n')
				r->line++;
			put(r, row, c);
			span(r, row, 1);
			continue;
		case AFTER_QUOTE:
			if (c == -1 || c == '\n' || c == '\r' || c == ',')
				break;
			stray(row, r->line);
			st = UNQUOTED;
			put(r, row, c);
			continue;
		}
		/* a delimiter: c is ',', a line end or the end of the file */
		field_end(r, row);
		if (c == ',') {
			field_begin(r, row);
			st = START;
			continue;
		}
		if (c == '\r') {
			int d = next(r);

			if (d != '\n')
				r->pushback = d;
		}
		if (c != -1)
			r->line++;
		return 1;
	}
}

const char *
csv_reader_field(const struct csv_reader *r, size_t i, size_t *len)
{
	*len = r->lens[i];
	return (const char *)r->data.data + r->offs[i];
}
