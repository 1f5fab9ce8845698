/*
 * app_parse.h - reading application files (employer batch XML, online-channel XML,
 * counter CSV; plain or gzip) into app_records, one at a time, with bounded memory.
 *
 * The parsers work on an instream (memory or file, no registry, no file system beyond the
 * stream), so the fuzz targets call them directly. Each record is handed to a callback;
 * the parser releases it afterwards. A problem with one record (photo reference outside the
 * file's folder, corrupt base64, CSV quoting, record too large) marks that record rejected
 * (rec->reject_code) and the file goes on. A problem with the file (not well-formed, schema,
 * encoding, gzip, DTD, depth, size, unknown format, unparseable CSV) stops the parse with
 * CP_ERR_FORMAT and fills struct parse_fail: records already handed out must be discarded
 * by the caller (the file is quarantined whole).
 */
#ifndef CP_APP_PARSE_H
#define CP_APP_PARSE_H

/* the formats, limits, failure report and record helpers the parsers share */
#include "formats/app_common.h"

/* Once, before parsing on several threads: initialises libxml2 and compiles the built-in
 * schemas (both are lazy otherwise, and not safe to race). */
int app_parse_init(void);

/* "employer-xml", "online-xml", "counter-csv", "unknown". */
const char *app_format_name(enum app_format fmt);

/* Look at the start of the stream (instream_peek) and decide its format. CP_ERR_FORMAT with
 * f filled (unknown-format, bad-encoding, external-entity, entity-expansion, or the stream's
 * own failure) when it is none of them or is refused outright. */
int app_format_detect(struct instream *s, enum app_format *fmt, struct parse_fail *f);

/* Parse the whole stream as fmt. 0 when every record was handed out; CP_ERR_FORMAT with f
 * filled for a file-level problem; the callback's negative value if it stopped the parse. */
int app_parse(struct instream *s, enum app_format fmt, const struct parse_limits *lim,
	      app_record_fn fn, void *arg, struct parse_fail *f);

#endif
