/* json.c - escaping JSON writer (see json.h). */
#include "core/json.h"

#include "core/escape.h"

#include <stdio.h>
#include <string.h>

/* The buffer has no limit and allocation failure aborts: appending cannot fail. */
static void
put(struct json_writer *w, char c)
{
	(void)buf_putc(&w->b, (unsigned char)c);
}

static void
put_n(struct json_writer *w, const char *s, size_t n)
{
	(void)buf_append(&w->b, s, n);
}

static void
puts_raw(struct json_writer *w, const char *s)
{
	put_n(w, s, strlen(s));
}

/* RFC 8259 escaping; the result is valid UTF-8 whatever the input: a byte that is not part
 * of valid UTF-8 is written as the text \xNN (a JSON "\\xNN"), so the reader sees which
 * byte it was. Every esc_unsafe_cp() character (C0, DEL, C1, line separators, bidirectional
 * controls) is written \uXXXX, so a log viewer never obeys one. */
static void
put_string(struct json_writer *w, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	char u[8];

	put(w, '"');
	while (s && *s) {
		unsigned char c = (unsigned char)*s;
		uint32_t cp;
		size_t n = esc_utf8_seq(s, &cp);

		if (n == 0) {
			puts_raw(w, "\\\\x");
			put(w, hex[c >> 4]);
			put(w, hex[c & 15]);
			s++;
			continue;
		}
		switch (c) {
		case '"': puts_raw(w, "\\\""); break;
		case '\\': puts_raw(w, "\\\\"); break;
		case '\n': puts_raw(w, "\\n"); break;
		case '\r': puts_raw(w, "\\r"); break;
		case '\t': puts_raw(w, "\\t"); break;
		default:
			if (esc_unsafe_cp(cp)) {
				snprintf(u, sizeof(u), "\\u%04x", (unsigned)cp);
				puts_raw(w, u);
			} else {
				put_n(w, s, n); /* a whole character, never a part */
			}
		}
		s += n;
	}
	put(w, '"');
}

void
json_writer_init(struct json_writer *w)
{
	buf_init(&w->b, BUF_UNLIMITED);
	w->need_comma = 0;
}

void
json_writer_release(struct json_writer *w)
{
	buf_release(&w->b);
	w->need_comma = 0;
}

const char *
json_writer_str(const struct json_writer *w)
{
	return buf_str(&w->b);
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
