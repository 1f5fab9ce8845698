/*
 * csv.h - writing RFC 4180 CSV fields into a buffer. Every CSV file cardpipe writes (mail
 * manifests, pickup and employer lists, rejects files, bank reports, refunds, sample data)
 * goes through csv_field(), so every cell is safe to open in a spreadsheet.
 */
#ifndef CP_CSV_H
#define CP_CSV_H

#include "core/buf.h"

#define CSV_NEXT ","
#define CSV_CRLF "\r\n"

/* Append s (NULL = empty), then end: CSV_NEXT between fields, the line end after the last.
 * A value holding a comma, quote, CR or LF is enclosed in quotes (inner quotes doubled).
 * A value a spreadsheet would evaluate as a formula, one starting with = + - @ TAB or CR
 * (OWASP "CSV injection"), is written quoted with a single quote in front: "'=1+1". */
int csv_field(struct buf *b, const char *s, const char *end);

/* 1 if s starts with a character that makes a spreadsheet cell a formula. */
int csv_formula_lead(const char *s);

#endif
