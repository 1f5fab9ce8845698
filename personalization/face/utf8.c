/* utf8.c - strict UTF-8 decoding (rejects overlong forms, surrogates, > U+10FFFF). */
#include "personalization/face/utf8.h"

#include "core/err.h"

int
utf8_next(const char **p, unsigned *cp)
{
	const unsigned char *s = (const unsigned char *)*p;
	unsigned c = s[0], v, min;
	int n;

	if (c == 0)
		return 0;
	if (c < 0x80) {
		*cp = c;
		*p += 1;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf)
		n = 1, v = c & 0x1f, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		n = 2, v = c & 0x0f, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 3, v = c & 0x07, min = 0x10000;
	else
		return cp_err(CP_ERR_FORMAT, "invalid UTF-8 lead byte 0x%02X", c);
	for (int i = 1; i <= n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return cp_err(CP_ERR_FORMAT, "truncated UTF-8 sequence");
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return cp_err(CP_ERR_FORMAT, "invalid UTF-8 code point U+%04X", v);
	*cp = v;
	*p += n + 1;
	return 1;
}
