/* json.c - escaping JSON writer (see json.h). */
#include "core/json.h"

#include <stdio.h>

static void
put(struct json_writer *w, char c)
{
	if (w->len + 1 < w->size)
		w->buf[w->len++] = c;
	w->buf[w->len < w->size ? w->len : w->size - 1] = '\0';
}

static void
puts_raw(struct json_writer *w, const char *s)
{
	while (*s)
		put(w, *s++);
}

static void
put_string(struct json_writer *w, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	put(w, '"');
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '"': puts_raw(w, "\\\""); break;
		case '\\': puts_raw(w, "\\\\"); break;
		case '\n': puts_raw(w, "\\n"); break;
		case '\r': puts_raw(w, "\\r"); break;
		case '\t': puts_raw(w, "\\t"); break;
		default:
			if (c < 0x20) {
				puts_raw(w, "\\u00");
				put(w, hex[c >> 4]);
				put(w, hex[c & 15]);
			} else {
				put(w, (char)c);
			}
		}
	}
	put(w, '"');
}

void
json_writer_init(struct json_writer *w, char *buf, size_t size)
{
	w->buf = buf;
	w->size = size;
	w->len = 0;
	w->need_comma = 0;
	if (size)
		buf[0] = '\0';
}

void
json_obj_begin(struct json_writer *w)
{
	put(w, '{');
	w->need_comma = 0;
}

void
json_obj_end(struct json_writer *w)
{
	put(w, '}');
	w->need_comma = 1;
}

static void
key(struct json_writer *w, const char *k)
{
	if (w->need_comma)
		put(w, ',');
	put_string(w, k);
	put(w, ':');
	w->need_comma = 1;
}

void
json_kv_str(struct json_writer *w, const char *k, const char *value)
{
	key(w, k);
	put_string(w, value);
}

void
json_kv_int(struct json_writer *w, const char *k, long long value)
{
	char num[32];

	key(w, k);
	snprintf(num, sizeof(num), "%lld", value);
	puts_raw(w, num);
}
