/*
 * rejects_csv.c - the lines of a rejects file (formats/rejects-csv.md, rejects_csv.h):
 * RFC 4180 through core/csv.h (formula cells neutralised), UTF-8 with a BOM, LF line ends.
 */
#include "formats/rejects_csv.h"

#include "core/csv.h"
#include "core/escape.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The UTF-8 BOM first, as in the dispatch CSVs: Excel then reads the Chinese as UTF-8. */
#define REJECTS_HEADER                                                                             \
	"\xEF\xBB\xBF"                                                                             \
	"record_no,channel_ref,location,reason_code,field,message_zh,message_en,input_file\n"

int
rejects_csv_begin(struct rejects_csv *w, struct buf *b, const char *input_name)
{
	w->b = b;
	/* the name as received stays in the file even when the file's own name was shortened */
	w->input_file = esc_line_dup(input_name ? input_name : "");
	return buf_append(b, REJECTS_HEADER, strlen(REJECTS_HEADER));
}

int
rejects_csv_add(struct rejects_csv *w, const struct rejects_csv_row *row)
{
	struct buf *b = w->b;
	char no[24];
	int r;

	snprintf(no, sizeof(no), "%ld", row->record_no);
	if ((r = csv_field(b, no, CSV_NEXT)) < 0 ||
	    (r = csv_field(b, row->channel_ref, CSV_NEXT)) < 0 ||
	    (r = csv_field(b, row->location, CSV_NEXT)) < 0 ||
	    (r = csv_field(b, row->reason_code, CSV_NEXT)) < 0 ||
	    (r = csv_field(b, row->field, CSV_NEXT)) < 0 ||
	    (r = csv_field(b, row->message_zh, CSV_NEXT)) < 0 ||
	    (r = csv_field(b, row->message_en, CSV_NEXT)) < 0 ||
	    (r = csv_field(b, w->input_file, "\n")) < 0)
		return r;
	return 0;
}

void
rejects_csv_release(struct rejects_csv *w)
{
	free(w->input_file);
	w->input_file = NULL;
	w->b = NULL;
}
