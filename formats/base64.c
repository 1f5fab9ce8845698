/*
 * base64.c - strict base64 decoding for inline photos (see base64.h). OpenSSL decodes;
 * this file only removes the line breaks XML and MIME writers put in and names the exact
 * offset and problem of bad input, which OpenSSL's decoder does not report.
 */
#include "formats/base64.h"

#include "core/err.h"
#include "core/mem.h"

#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int
is_b64(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

int
base64_decode(const char *text, size_t len, unsigned char **out, size_t *outlen)
{
	unsigned char *compact = xmalloc(len + 1), *o = NULL;
	size_t n = 0, pad = 0;
	int r = 0, got;

	*out = NULL;
	*outlen = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			/* padding only in the last one or two places of the last group */
			if (n % 4 < 2 || pad == 2) {
				r = cp_err(CP_ERR_FORMAT, "misplaced '=' padding at offset %zu", i);
				goto out;
			}
			pad++;
		} else if (pad) {
			r = cp_err(CP_ERR_FORMAT, "data after '=' padding at offset %zu", i);
			goto out;
		} else if (!is_b64(c)) {
			r = cp_err(CP_ERR_FORMAT, "invalid base64 character 0x%02x at offset %zu",
				   c, i);
			goto out;
		}
		compact[n++] = c;
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
	o = xmalloc(n / 4 * 3 + 1);
	got = EVP_DecodeBlock(o, compact, (int)n);
	if (got < 0 || (size_t)got < pad) {
		r = cp_err(CP_ERR_FORMAT, "base64 text cannot be decoded");
		goto out;
	}
	/* RFC 4648 canonical form: the bits under the padding are zero */
	{
		unsigned char last = compact[n - 1 - pad];
		const char *alphabet =
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
		unsigned v = (unsigned)(strchr(alphabet, last) - alphabet);

		if ((pad == 2 && (v & 0x0f)) || (pad == 1 && (v & 0x03))) {
			r = cp_err(CP_ERR_FORMAT, "non-zero bits before padding at offset %zu",
				   n - 1 - pad);
			goto out;
		}
	}
	*outlen = (size_t)got - pad; /* EVP_DecodeBlock counts the padding as zero bytes */
	*out = o;
	o = NULL;
out:
	free(o);
	free(compact);
	return r;
}
