/*
 * csv.h - writing RFC 4180 CSV fields into a buffer. Every CSV file cardpipe writes (mail
 * manifests, rejects files, bank reports, refunds, sample data) goes through csv_field().
 */
#ifndef CP_CSV_H
#define CP_CSV_H

#include "core/buf.h"

#define CSV_NEXT ","
#define CSV_CRLF "\r\n"

/* Append s (NULL = empty), quoted when it holds a comma, quote, CR or LF (quotes doubled),
 * then end: CSV_NEXT between fields, the line end after the last. */
int csv_field(struct buf *b, const char *s, const char *end);

#endif
