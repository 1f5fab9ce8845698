/*
 * csv_reader.h - an RFC 4180 CSV reader over an instream: one row at a time, fields as
 * raw bytes (any ASCII-compatible encoding: the delimiters never occur inside UTF-8 or
 * GB18030 multi-byte characters), memory bounded by the record limit.
 *
 * Accepted: CRLF or LF line ends, quoted fields with "" escapes and line breaks, a final
 * row without a line end. Blank lines are skipped. A row with a stray quote (a quote inside
 * an unquoted field, or text after a closing quote) is returned with bad_quote set and the
 * quote kept as a character, so that the rows after it go on. A quoted field still open at
 * the end of the file cannot be resynchronised: that is a file-level error.
 */
#ifndef CP_CSV_READER_H
#define CP_CSV_READER_H

#include "core/buf.h"
#include "formats/instream.h"

#include <stddef.h>

struct csv_row {
	long line;	    /* line the row starts on (1-based) */
	size_t nfields;	    /* fields in the row */
	int bad_quote;	    /* a stray or unbalanced quote was seen */
	long quote_line;    /* where */
	size_t quote_field; /* in which field (0-based) */
	int too_large;	    /* longer than the record limit: fields are not kept */
};

struct csv_reader {
	struct instream *s;
	size_t max_record;
	unsigned char *in;
	size_t inlen, inpos;
	int eof, pushback;
	long line;
	struct buf data; /* the row's fields, each NUL-terminated */
	size_t *offs, *lens;
	size_t cap;
	const char *fail_code; /* "csv-malformed" or the stream's code */
	long fail_line;
	char fail_detail[256];
};

void csv_reader_init(struct csv_reader *r, struct instream *s, size_t max_record);
void csv_reader_release(struct csv_reader *r);
/* Next row into *row: 1, or 0 at the end, or CP_ERR_FORMAT (fail_code set). */
int csv_read_row(struct csv_reader *r, struct csv_row *row);
/* Field i of the last row (NUL-terminated, len in *len). Valid until the next read. */
const char *csv_reader_field(const struct csv_reader *r, size_t i, size_t *len);

#endif
