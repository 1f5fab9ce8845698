/*
 * cardno.c - card numbers: prefix, 7-digit sequence and an ISO/IEC 7064 MOD 37-36 check
 * character (see cardno.h and docs/card-number.md).
 *
 * MOD 37-36 is the standard's hybrid system for alphanumeric strings: it catches every
 * single substitution and every adjacent transposition, and its check character is one of
 * the same 36 characters, so the number stays 9 characters of an9.
 */
#include "formats/cardno.h"

#include "core/err.h"
#include "formats/luhn.h"

#include <stdio.h>
#include <string.h>

static int
cardno_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	return -1;
}

char
cardno_check_char(const char *s)
{
	static const char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	int p = 36, v;

	if (!s || !*s)
		return 0;
	for (; *s; s++) {
		if ((v = cardno_value(*s)) < 0)
			return 0;
		p = (p + v) % 36;
		if (p == 0)
			p = 36;
		p = (p * 2) % 37;
	}
	/* the check character c makes (p + c) mod 36 == 1 */
	return alphabet[(37 - p) % 36];
}

int
cardno_format(const char *prefix, long seq, char out[CARDNO_LEN + 1])
{
	if (!prefix || strlen(prefix) != 1 || cardno_value(prefix[0]) < 0)
		return cp_err(CP_ERR_INVALID,
			      "card number prefix '%s' is not one character A-Z or 0-9",
			      prefix ? prefix : "");
	if (seq < 1 || seq > CARDNO_SEQ_MAX)
		return cp_err(CP_ERR_LIMIT, "card number sequence %ld is outside 1..%ld", seq,
			      CARDNO_SEQ_MAX);
	snprintf(out, CARDNO_LEN + 1, "%c%07ld", prefix[0], seq);
	out[8] = cardno_check_char(out);
	out[9] = '\0';
	return 0;
}

int
cardno_transport_format(const char *city, long long seq, char out[TRANSPORT_NO_LEN + 1])
{
	if (!city || strlen(city) != 4 || strspn(city, "0123456789") != 4)
		return cp_err(CP_ERR_CONFIG, "perso.transport_city must be 4 digits, not '%s'",
			      city ? city : "");
	if (seq < 1 || seq > TRANSPORT_SEQ_MAX)
		return cp_err(CP_ERR_LIMIT,
			      "transport card number sequence %lld of city %s is outside 1..%lld",
			      seq, city, TRANSPORT_SEQ_MAX);
	snprintf(out, TRANSPORT_NO_LEN + 1, "31%s%012lld", city, seq);
	out[TRANSPORT_NO_LEN - 1] = luhn_check_digit(out);
	out[TRANSPORT_NO_LEN] = '\0';
	return 0;
}

int
cardno_transport_validate(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n != TRANSPORT_NO_LEN || strspn(s, "0123456789") != n)
		return cp_err(CP_ERR_INVALID, "transport card number is not %d digits",
			      TRANSPORT_NO_LEN);
	if (strncmp(s, "31", 2))
		return cp_err(CP_ERR_INVALID, "transport card number does not start with 31");
	if (!luhn_valid(s))
		return cp_err(CP_ERR_INVALID, "transport card number fails its Luhn check digit");
	return 0;
}

int
cardno_validate_an9(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n != CARDNO_LEN)
		return cp_err(CP_ERR_INVALID, "card number has %zu characters, expected %d", n,
			      CARDNO_LEN);
	for (size_t i = 0; i < n; i++)
		if (cardno_value(s[i]) < 0)
			return cp_err(
				CP_ERR_INVALID,
				"card number character %zu is not a digit or a capital letter "
				"A-Z",
				i + 1);
	return 0;
}
