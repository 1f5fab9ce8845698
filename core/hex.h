/* hex.h - hex encoding and decoding of byte strings. */
#ifndef CP_HEX_H
#define CP_HEX_H

#include <stddef.h>

/* The value of one hex digit (either case), or -1. */
int hex_digit(char c);
/* Upper-case hex of n bytes into out (needs 2n+1). Returns out. */
char *hex_encode(const void *data, size_t n, char *out);
/* Decode hex (case-insensitive; spaces and ':' ignored) into out (at most outsz bytes).
 * Returns the number of bytes, or CP_ERR_FORMAT / CP_ERR_LIMIT. */
int hex_decode(const char *hex, unsigned char *out, size_t outsz);

#endif
