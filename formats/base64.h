/* base64.h - strict RFC 4648 base64 decoding for inline photos (whitespace between
 * characters allowed, as XML and MIME writers wrap lines; anything else is an error). */
#ifndef CP_BASE64_H
#define CP_BASE64_H

#include <stddef.h>

/* Decode len characters of text into a new buffer (*out, *outlen). On bad input returns
 * CP_ERR_FORMAT with a message naming the offset and the problem; *out is NULL then. */
int base64_decode(const char *text, size_t len, unsigned char **out, size_t *outlen);

#endif
