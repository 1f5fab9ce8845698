/*
 * number_checks.h - the well-formedness of the numbers cardpipe writes, for the tests that
 * check what the allocator and dispatch produced: card numbers (prefix A-Z/0-9, 7 digits,
 * MOD 37-36 check character by cardno_check_char()) and S10 item numbers (2 letters, 8
 * digits, check digit by s10_check_digit(), 2 letters). Production reads neither back, so
 * these checks live with the tests. Header-only; true when well formed.
 */
#ifndef NUMBER_CHECKS_H
#define NUMBER_CHECKS_H

#include "formats/cardno.h"
#include "pipeline/rules/s10.h"

#include <stdbool.h>
#include <string.h>

static inline bool
nc_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static inline bool
nc_upper2(const char *s)
{
	return s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z';
}

static inline bool
cardno_well_formed(const char *s)
{
	char body[CARDNO_LEN];
	char want;

	if (!s || strlen(s) != CARDNO_LEN || !nc_digits(s + 1, 7))
		return false;
	memcpy(body, s, 8);
	body[8] = '\0';
	want = cardno_check_char(body); /* 0 for a prefix outside 0-9, A-Z */
	return want != 0 && s[8] == want;
}

static inline bool
s10_well_formed(const char *s)
{
	char serial[9];
	int c;

	if (!s || strlen(s) != S10_LEN || !nc_upper2(s) || !nc_upper2(s + 11))
		return false;
	memcpy(serial, s + 2, 8);
	serial[8] = '\0';
	return (c = s10_check_digit(serial)) >= 0 && s[10] == '0' + c;
}

#endif
