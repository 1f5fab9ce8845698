/* base64.c - strict base64 decoding (see base64.h). */
#include "formats/base64.h"

#include "core/err.h"
#include "core/mem.h"

#include <stdlib.h>
#include <string.h>

/* value of each byte: 0..63, or B64_SPACE / B64_PAD / B64_BAD */
enum { B64_BAD = 0xff, B64_SPACE = 0xfe, B64_PAD = 0xfd };
static unsigned char table[256];
static int table_ready;

static void
table_init(void)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	memset(table, B64_BAD, sizeof(table));
	for (int i = 0; i < 64; i++)
		table[(unsigned char)alphabet[i]] = (unsigned char)i;
	table[' '] = table['\t'] = table['\r'] = table['\n'] = B64_SPACE;
	table['='] = B64_PAD;
	table_ready = 1;
}

int
base64_decode(const char *text, size_t len, unsigned char **out, size_t *outlen)
{
	unsigned char *o = xmalloc(len / 4 * 3 + 3);
	unsigned int acc = 0;
	size_t n = 0, quad = 0, pad = 0, i;
	int r = 0;

	*out = NULL;
	*outlen = 0;
	if (!table_ready)
		table_init();
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i], v = table[c];

		/* the common case first: four alphabet characters at once */
		if (quad == 0 && !pad && i + 4 <= len) {
			unsigned char a = v, b = table[(unsigned char)text[i + 1]],
				      cc = table[(unsigned char)text[i + 2]],
				      d = table[(unsigned char)text[i + 3]];

			if ((a | b | cc | d) < 64) {
				unsigned int q = (unsigned int)a << 18 | (unsigned int)b << 12 |
						 (unsigned int)cc << 6 | d;

				o[n++] = (unsigned char)(q >> 16);
				o[n++] = (unsigned char)(q >> 8);
				o[n++] = (unsigned char)q;
				i += 3;
				continue;
			}
		}
		if (v == B64_SPACE)
			continue;
		if (v == B64_PAD) {
			/* padding only in the last one or two places of the last quad */
			if (quad < 2) {
				r = cp_err(CP_ERR_FORMAT, "misplaced '=' padding at offset %zu", i);
				goto out;
			}
			pad++;
			quad++;
			if (quad == 4) {
				if (pad == 2 && (acc & 0x0f)) {
					r = cp_err(CP_ERR_FORMAT,
						   "non-zero bits before padding at "
						   "offset %zu",
						   i);
					goto out;
				}
				if (pad == 1 && (acc & 0x03)) {
					r = cp_err(CP_ERR_FORMAT,
						   "non-zero bits before padding at "
						   "offset %zu",
						   i);
					goto out;
				}
				if (pad == 2) {
					o[n++] = (unsigned char)(acc >> 4);
				} else {
					o[n++] = (unsigned char)(acc >> 10);
					o[n++] = (unsigned char)(acc >> 2);
				}
				quad = 0;
				acc = 0;
			}
			continue;
		}
		if (pad) {
			r = cp_err(CP_ERR_FORMAT, "data after '=' padding at offset %zu", i);
			goto out;
		}
		if (v == B64_BAD) {
			r = cp_err(CP_ERR_FORMAT, "invalid base64 character 0x%02x at offset %zu",
				   c, i);
			goto out;
		}
		acc = (acc << 6) | (unsigned int)v;
		if (++quad == 4) {
			o[n++] = (unsigned char)(acc >> 16);
			o[n++] = (unsigned char)(acc >> 8);
			o[n++] = (unsigned char)acc;
			quad = 0;
			acc = 0;
		}
	}
	if (quad != 0) {
		r = cp_err(CP_ERR_FORMAT, "base64 text ends in the middle of a group (length is "
					  "not a multiple of 4)");
		goto out;
	}
	if (n == 0) {
		r = cp_err(CP_ERR_FORMAT, "base64 text is empty");
		goto out;
	}
	*out = o;
	*outlen = n;
	o = NULL;
out:
	free(o);
	return r;
}
