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

#include "formats/application.h"
#include "formats/instream.h"

#include <stddef.h>

enum app_format {
	APP_FORMAT_UNKNOWN = 0,
	APP_FORMAT_EMPLOYER_XML,
	APP_FORMAT_ONLINE_XML,
	APP_FORMAT_COUNTER_CSV,
};

struct parse_limits {
	size_t max_record_bytes; /* one record with its inline photo */
	int max_depth;		 /* XML nesting */
};

/* Why a file was refused: a reason code of reasons_ingest.c, the line (0 when unknown)
 * and a specific message. */
struct parse_fail {
	const char *code;
	long line;
	char detail[512];
};

/* Called for each record; rec is released by the parser after the call. A negative return
 * stops the parse and is returned as is (registry failure: not the file's fault). */
typedef int (*app_record_fn)(void *arg, struct app_record *rec);

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

/* Detect and parse in one call (what the fuzz targets and tests use). */
int app_parse_stream(struct instream *s, const struct parse_limits *lim, app_record_fn fn,
		     void *arg, enum app_format *fmt, struct parse_fail *f);

/* Set f (first failure wins) and return CP_ERR_FORMAT. */
int parse_failf(struct parse_fail *f, const char *code, long line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Carry an instream failure into f. */
int parse_fail_stream(struct parse_fail *f, const struct instream *s);

/* Shared record building, used by every parser. The photo is inline base64 text (decoded,
 * or the record rejected photo-base64-invalid) or a reference (checked: relative, no '..',
 * else photo-ref-outside); ingest resolves a reference against the file's folder. */
void app_record_set_inline_photo(struct app_record *rec, const char *text, size_t len,
				 const char *field);
void app_record_set_photo_ref(struct app_record *rec, const char *ref, const char *field);
/* 0 if ref is an acceptable relative path below the file's folder; else a static reason. */
const char *photo_ref_problem(const char *ref);
/* *dst = the len bytes at s with surrounding white space trimmed, NULL if nothing is left
 * (an earlier value is freed). */
void app_field_set(char **dst, const char *s, size_t len);

/* The format-specific parsers (app_parse dispatches to them). */
int xml_apps_parse(struct instream *s, enum app_format fmt, const struct parse_limits *lim,
		   app_record_fn fn, void *arg, struct parse_fail *f);
int counter_csv_parse(struct instream *s, const struct parse_limits *lim, app_record_fn fn,
		      void *arg, struct parse_fail *f);

#endif
