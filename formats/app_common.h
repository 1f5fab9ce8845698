/*
 * app_common.h - what every application-file parser shares (app_parse.h dispatches to
 * xml_apps.h and counter_csv.h): the formats, the limits, the failure report of a file, the
 * record callback, and building a record's fields and photo.
 */
#ifndef CP_APP_COMMON_H
#define CP_APP_COMMON_H

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

#endif
