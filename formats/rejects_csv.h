/*
 * rejects_csv.h - the content of a rejects file (formats/rejects-csv.md): the BOM and
 * header line, then one line per rejected record. Prepare (pipeline/stages/
 * prepare_rejects.c) chooses the file's name and place, reads the rows from the registry
 * and writes the file atomically; this writes its bytes.
 */
#ifndef CP_FORMATS_REJECTS_CSV_H
#define CP_FORMATS_REJECTS_CSV_H

#include "core/buf.h"

/* One rejected record. NULL strings are written as empty fields. */
struct rejects_csv_row {
	long record_no;
	const char *channel_ref, *location, *reason_code, *field, *message_zh, *message_en;
};

/* A rejects file being written into a buffer. */
struct rejects_csv {
	struct buf *b;
	char *input_file; /* the input file's name as received, escaped (core/escape.h) */
};

/* Start the file in b (the BOM and the header line) for the input file named input_name
 * as it was received (NULL: ""). Release w with rejects_csv_release(). */
int rejects_csv_begin(struct rejects_csv *w, struct buf *b, const char *input_name);
/* Append one rejected record; rows come in record_no order. */
int rejects_csv_add(struct rejects_csv *w, const struct rejects_csv_row *row);
void rejects_csv_release(struct rejects_csv *w);

#endif
