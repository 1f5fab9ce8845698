/*
 * json.h - a small JSON writer into a caller's fixed buffer, for log lines and
 * status-feed records. It only writes (escaping per RFC 8259); cardpipe never parses JSON.
 * Output is truncated, still NUL-terminated, if the buffer is too small.
 */
#ifndef CP_JSON_H
#define CP_JSON_H

#include <stddef.h>

struct json_writer {
	char *buf;
	size_t size, len;
	int need_comma;
};

void json_writer_init(struct json_writer *w, char *buf, size_t size);
void json_obj_begin(struct json_writer *w);
void json_obj_end(struct json_writer *w);
void json_kv_str(struct json_writer *w, const char *key, const char *value);
void json_kv_int(struct json_writer *w, const char *key, long long value);

#endif
