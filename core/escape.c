/* escape.c - untrusted text made safe for one line (see escape.h). */
#include "core/escape.h"

#include "core/mem.h"

#include <stdio.h>
#include <string.h>

size_t
esc_utf8_seq(const char *str, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n;
	uint32_t c, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, c = s[0] & 0x1f, min = 0x80;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, c = s[0] & 0x0f, min = 0x800;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, c = s[0] & 0x07, min = 0x10000;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) /* also stops at the NUL */
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

int
esc_unsafe_cp(uint32_t c)
{
	return c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) || c == 0x2028 || c == 0x2029 ||
	       (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c == 0x200e ||
	       c == 0x200f || c == 0x061c;
}

struct out {
	char *p;
	size_t size, len;
};

static void
emit(struct out *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++, o->len++)
		if (o->len + 1 < o->size)
			o->p[o->len] = s[i];
}

size_t
esc_line(char *out, size_t outsz, const char *s)
{
	struct out o = {out, outsz, 0};
	char tmp[16];

	while (s && *s) {
		unsigned char b = (unsigned char)*s;
		uint32_t c;
		size_t n = esc_utf8_seq(s, &c);

		if (n == 0) {
			snprintf(tmp, sizeof(tmp), "\\x%02x", b);
			emit(&o, tmp, 4);
			s++;
			continue;
		}
		if (c == '\\') /* doubled: a name's own "\n" must not read as a newline */
			emit(&o, "\\\\", 2);
		else if (c == '\n')
			emit(&o, "\\n", 2);
		else if (c == '\r')
			emit(&o, "\\r", 2);
		else if (c == '\t')
			emit(&o, "\\t", 2);
		else if (c < 0x20 || c == 0x7f) {
			snprintf(tmp, sizeof(tmp), "\\x%02x", (unsigned)c);
			emit(&o, tmp, 4);
		} else if (esc_unsafe_cp(c)) {
			snprintf(tmp, sizeof(tmp), "\\u%04x", (unsigned)c);
			emit(&o, tmp, 6);
		} else {
			emit(&o, s, n);
		}
		s += n;
	}
	if (outsz)
		out[o.len < outsz ? o.len : outsz - 1] = '\0';
	return o.len;
}

char *
esc_line_dup(const char *s)
{
	size_t n = esc_line(NULL, 0, s);
	char *out = xmalloc(n + 1);

	esc_line(out, n + 1, s);
	return out;
}
