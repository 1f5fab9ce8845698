/*
 * json.h - a small JSON writer for log lines, status output and status-feed records. It
 * only writes (escaping per RFC 8259); cardpipe never parses JSON. The text grows as
 * needed and is never truncated (out of memory aborts, as every allocation in cardpipe), so
 * a long value is never cut, and never in the middle of a UTF-8 character.
 */
#ifndef CP_JSON_H
#define CP_JSON_H

#include "core/buf.h"

#include <stddef.h>

struct json_writer {
	struct buf b;
	int need_comma;
};

/* An empty writer; json_writer_release() frees its text. */
void json_writer_init(struct json_writer *w);
void json_writer_release(struct json_writer *w);
/* The text written so far ("" when none). */
const char *json_writer_str(const struct json_writer *w);
void json_obj_begin(struct json_writer *w);
void json_obj_end(struct json_writer *w);
void json_kv_str(struct json_writer *w, const char *key, const char *value);
void json_kv_int(struct json_writer *w, const char *key, long long value);

#endif
