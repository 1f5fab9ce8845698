/*
 * base64.c - strict base64 decoding for inline photos (see base64.h). Inline photos are
 * most of what ingest reads, so this is on ingest's hot path: the text is decoded a line
 * at a time by OpenSSL's EVP_DecodeBlock (several times faster than a byte loop). It
 * knows nothing of where padding may stand, so that is checked here; and anything it
 * does not take (bad input, or a valid but unusual layout such as a group split by a line
 * break) goes to the strict decoder below, which finds the exact offset and problem, or
 * decodes it.
 */
#include "formats/base64.h"

#include "core/err.h"
#include "core/mem.h"

#include <limits.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { B64_SPACE = 64, B64_PAD = 65, B64_BAD = 66 };

/* The value of each byte: 0..63 for the alphabet, else one of the classes above. */
/* clang-format off */
static const unsigned char b64_class[256] = {
	66, 66, 66, 66, 66, 66, 66, 66, 66, 64, 64, 66, 66, 64, 66, 66,
	66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66,
	64, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 62, 66, 66, 66, 63,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 66, 66, 66, 65, 66, 66,
	66,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 66, 66, 66, 66, 66,
	66, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 66, 66, 66, 66, 66,
	66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66,
	66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66,
	66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66,
	66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66,
	66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66,
	66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66,
	66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66,
	66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66,
};
/* clang-format on */

/* One pass with the table: exact offsets for bad input. */
static int
decode_strict(const char *text, size_t len, unsigned char **out, size_t *outlen)
{
	const unsigned char *t = (const unsigned char *)text;
	unsigned char *o = xmalloc(len / 4 * 3 + 3), *w = o;
	size_t n = 0, pad = 0, i = 0, last = 0; /* n: characters other than whitespace */
	uint32_t acc = 0;
	unsigned v = 0;
	int r = 0;

	*out = NULL;
	*outlen = 0;
	while (i < len) {
		/* the common case: four alphabet characters in a row */
		if (!pad && n % 4 == 0 && i + 4 <= len) {
			unsigned a = b64_class[t[i]], b = b64_class[t[i + 1]],
				 c = b64_class[t[i + 2]], d = b64_class[t[i + 3]];

			if ((a | b | c | d) < 64) {
				acc = a << 18 | b << 12 | c << 6 | d;
				w[0] = (unsigned char)(acc >> 16);
				w[1] = (unsigned char)(acc >> 8);
				w[2] = (unsigned char)acc;
				w += 3;
				n += 4;
				last = i + 3;
				v = d;
				i += 4;
				continue;
			}
		}
		v = b64_class[t[i]];
		if (v == B64_SPACE) {
			i++;
			continue;
		}
		if (v == B64_PAD) {
			/* padding only in the last one or two places of the last group */
			if (n % 4 < 2 || pad == 2) {
				r = cp_err(CP_ERR_FORMAT, "misplaced '=' padding at offset %zu", i);
				goto out;
			}
			pad++;
		} else if (pad) {
			r = cp_err(CP_ERR_FORMAT, "data after '=' padding at offset %zu", i);
			goto out;
		} else if (v == B64_BAD) {
			r = cp_err(CP_ERR_FORMAT, "invalid base64 character 0x%02x at offset %zu",
				   t[i], i);
			goto out;
		} else {
			acc = acc << 6 | v;
			last = i;
			if (n % 4 == 3) {
				w[0] = (unsigned char)(acc >> 16);
				w[1] = (unsigned char)(acc >> 8);
				w[2] = (unsigned char)acc;
				w += 3;
			}
		}
		n++;
		i++;
	}
	if (n == 0) {
		r = cp_err(CP_ERR_FORMAT, "base64 text is empty");
		goto out;
	}
	if (n % 4 != 0 || n > (size_t)INT32_MAX) {
		r = cp_err(CP_ERR_FORMAT, "base64 text ends in the middle of a group (length is "
					  "not a multiple of 4)");
		goto out;
	}
	if (pad) {
		/* the last group "xx==" or "xxx=": its 12 or 18 bits, of which the last 4 or 2
		 * are under the padding and must be zero (RFC 4648 canonical form) */
		v = b64_class[t[last]];
		if ((pad == 2 && (v & 0x0f)) || (pad == 1 && (v & 0x03))) {
			size_t off = 0; /* offset among the characters that are not whitespace */

			for (size_t k = 0; k < last; k++)
				off += b64_class[t[k]] != B64_SPACE;
			r = cp_err(CP_ERR_FORMAT, "non-zero bits before padding at offset %zu",
				   off);
			goto out;
		}
		if (pad == 2) {
			*w++ = (unsigned char)(acc >> 4);
		} else {
			*w++ = (unsigned char)(acc >> 10);
			*w++ = (unsigned char)(acc >> 2);
		}
	}
	*outlen = (size_t)(w - o);
	*out = o;
	o = NULL;
out:
	free(o);
	return r;
}

static int
is_space(unsigned char c)
{
	return b64_class[c] == B64_SPACE;
}

/* The last non-whitespace character of t[0..len) is its last: nothing follows but
 * whitespace. */
static int
only_space(const unsigned char *t, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!is_space(t[i]))
			return 0;
	return 1;
}

/*
 * Line by line with EVP_DecodeBlock into o (room for len / 4 * 3 + 3 bytes): 1 with
 * *outlen set when the whole text is valid, 0 when the strict decoder must look (bad
 * input, or a line whose length is not a multiple of 4). A line here is a run between
 * whitespace; EVP_DecodeBlock refuses any character outside the alphabet and '=', and
 * takes '=' as zero bits: padding is allowed only as the last one or two characters of
 * the text, and the bits under it must be zero (RFC 4648 canonical form), as decode_strict
 * requires.
 */
static int
decode_lines(const unsigned char *t, size_t len, unsigned char *o, size_t *outlen)
{
	const unsigned char *end = t + len, *p = t;
	unsigned char *w = o;
	size_t pad = 0;
	unsigned last = 0;

	while (p < end) {
		const unsigned char *s, *e, *eq;
		size_t n;
		int got;

		while (p < end && is_space(*p))
			p++;
		if (p == end)
			break;
		s = p;
		e = memchr(s, '\n', (size_t)(end - s));
		p = e ? e + 1 : end;
		if (!e)
			e = end;
		while (e > s && is_space(e[-1]))
			e--;
		n = (size_t)(e - s);
		if (n % 4 != 0 || n > INT_MAX)
			return 0;
		if ((eq = memchr(s, '=', n)) != NULL) {
			/* "xx==" or "xxx=" ending the text */
			pad = n - (size_t)(eq - s);
			if (pad > 2 || (pad == 2 && s[n - 1] != '=') ||
			    !only_space(p, (size_t)(end - p)))
				return 0;
			last = b64_class[s[n - pad - 1]];
			if (last >= 64 || (pad == 2 && (last & 0x0f)) ||
			    (pad == 1 && (last & 0x03)))
				return 0;
		}
		got = EVP_DecodeBlock(w, s, (int)n);
		if (got < 0 || (size_t)got != n / 4 * 3)
			return 0;
		w += got;
		if (pad)
			break;
	}
	if (w == o)
		return 0; /* empty: decode_strict says so */
	*outlen = (size_t)(w - o) - pad;
	return 1;
}

int
base64_decode(const char *text, size_t len, unsigned char **out, size_t *outlen)
{
	unsigned char *o = xmalloc(len / 4 * 3 + 3);
	size_t n = 0;

	if (decode_lines((const unsigned char *)text, len, o, &n)) {
		*out = o;
		*outlen = n;
		return 0;
	}
	free(o);
	return decode_strict(text, len, out, outlen);
}

size_t
base64_encode(const unsigned char *in, size_t len, unsigned char *out)
{
	int k = EVP_EncodeBlock(out, in, (int)len);

	return k > 0 ? (size_t)k : 0;
}
