/*
 * s10.h - UPU S10 item identifiers (tracking numbers) for mailed cards: a 2-letter
 * service indicator, an 8-digit serial, a check digit and an ISO 3166 country code,
 * e.g. "EK123456785CN" (docs/printer-reference.md §5). Pure functions: the serial counter that
 * makes each number unique lives in the registry (reg_dispatch.h).
 */
#ifndef CP_S10_H
#define CP_S10_H

#include <stddef.h>

#define S10_LEN 13
#define S10_MAX_SERIAL 99999999L

/* The check digit of an 8-digit serial (weights 8,6,4,2,3,5,9,7; 11 - sum mod 11,
 * 10 -> 0, 11 -> 5), or CP_ERR_FORMAT if serial is not 8 digits. */
int s10_check_digit(const char *serial8);
/* Format prefix + serial + check digit + country into out (at least S10_LEN + 1 bytes).
 * prefix and country must be 2 upper-case letters, serial 0..S10_MAX_SERIAL. */
int s10_format(const char *prefix, long serial, const char *country, char *out, size_t outsz);

#endif
