/*
 * sample_write.h - writers of the application file formats for `cardpipe sample`:
 * employer batch XML, online-channel XML, counter CSV (the XSDs and specifications in formats/), into an output
 * sink that is crash-safe (temporary name, fsync, rename), optionally gzip-compressed and
 * optionally converted to GB18030.
 */
#ifndef CP_SAMPLE_WRITE_H
#define CP_SAMPLE_WRITE_H

#include "pipeline/stages/sample_apps.h"

#include <stddef.h>

struct sample_sink;

/* Open path for writing (mode 0600). gzip: 0 plain, else the deflate level 1-9 of a gzip
 * file. gb18030: convert the UTF-8 written to GB18030 (each write must hold whole UTF-8
 * sequences). */
int sink_open(const char *path, int gzip, int gb18030, struct sample_sink **out);
int sink_write(struct sample_sink *s, const void *data, size_t len);
int sink_puts(struct sample_sink *s, const char *text);
/* Finish, sync and rename into place; frees s. */
int sink_commit(struct sample_sink *s);
/* Remove the temporary file; frees s. NULL is a no-op. */
void sink_abort(struct sample_sink *s);

/* How a record's photo is given: inline JPEG bytes, or a relative path. */
struct sample_photo_ref {
	const unsigned char *jpeg; /* inline when not NULL */
	size_t len;
	const char *href; /* else this path below the file's folder */
};

/* Employer batch: begin (XML declaration with encoding, employer, batch id, time),
 * one element per employee, end. with_dd writes the data-dictionary attributes. */
int sample_xml_employer_begin(struct sample_sink *s, const struct sample_employer *e,
			      const char *encoding);
int sample_xml_employee(struct sample_sink *s, const struct sample_app *a,
			const struct sample_photo_ref *photo, int with_dd);
int sample_xml_employer_end(struct sample_sink *s);

/* Online-channel applications (channel website, rs-app, jingtong, minsheng). */
int sample_xml_online_begin(struct sample_sink *s, const char *channel, const char *encoding);
int sample_xml_application(struct sample_sink *s, const struct sample_app *a,
			   const struct sample_photo_ref *photo, int with_dd);
int sample_xml_online_end(struct sample_sink *s);

/* Counter CSV: the optional "#encoding=gb18030" line or UTF-8 BOM, the header row; rows. */
int sample_csv_begin(struct sample_sink *s, int gb18030, int bom);
int sample_csv_row(struct sample_sink *s, const struct sample_app *a,
		   const struct sample_photo_ref *photo);

/* expected.tsv: its header line, and one line "file<TAB>ref<TAB>outcome" (ref "-" for a
 * file-level outcome). */
int sample_expect_header(struct sample_sink *s);
int sample_expect_line(struct sample_sink *s, const char *file, const char *ref,
		       const char *outcome);

#endif
