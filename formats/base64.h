/* base64.h - strict RFC 4648 base64 decoding for inline photos (whitespace between
 * characters allowed, as XML and MIME writers wrap lines; anything else is an error), and
 * the encoding for the files that carry photos inline. */
#ifndef CP_BASE64_H
#define CP_BASE64_H

#include <stddef.h>

/* Decode len characters of text into a new buffer (*out, *outlen). On bad input returns
 * CP_ERR_FORMAT with a message naming the offset and the problem; *out is NULL then. */
int base64_decode(const char *text, size_t len, unsigned char **out, size_t *outlen);

/* Encode len bytes (at most INT_MAX / 4 * 3) as one line of padded base64 into out, which
 * needs BASE64_ENCODED_LEN(len) bytes; NUL-terminated; returns the length without the NUL. */
#define BASE64_ENCODED_LEN(len) (((len) + 2) / 3 * 4 + 1)
size_t base64_encode(const unsigned char *in, size_t len, unsigned char *out);

#endif
