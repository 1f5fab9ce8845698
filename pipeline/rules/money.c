/*
 * money.c - amounts in fen (see money.h). A money field is whole fen in plain decimal:
 * anything a lenient strtoll would bend ("12.5" -> 12, "abc" -> 0, "0x10" -> 0, a 19-digit
 * value -> LLONG_MAX) is refused, so a bad value never becomes a refund.
 */
#include "pipeline/rules/money.h"

#include "core/err.h"
#include "pipeline/rules/fields.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

int
money_parse_fen(const char *s, long long max, long long *out)
{
	long long v = 0;
	char q[200];
	size_t n;

	*out = 0;
	if (!s || !*s)
		return cp_err(CP_ERR_FORMAT, "the amount is empty");
	text_shown(s, q, sizeof(q));
	n = strspn(s, "0123456789");
	if (s[n] == '.' || s[n] == ',')
		return cp_err(CP_ERR_FORMAT,
			      "'%s' has a fraction: amounts are whole fen (1 yuan = 100 fen)", q);
	if (n == 0 || s[n])
		return cp_err(CP_ERR_FORMAT, "'%s' is not an amount in fen (digits 0-9 only)", q);
	if (n > MONEY_MAX_DIGITS)
		return cp_err(CP_ERR_LIMIT, "'%s' has %zu digits; at most %d", q, n,
			      MONEY_MAX_DIGITS);
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0'); /* 18 digits cannot overflow */
	if (max < 0 || v > max)
		return cp_err(CP_ERR_LIMIT, "%s fen is more than the maximum of %lld fen", q,
			      max < 0 ? 0 : max);
	*out = v;
	return 0;
}

int
money_add(long long a, long long b, long long *sum)
{
	if (a < 0 || b < 0)
		return cp_err(CP_ERR_LIMIT, "negative amount (%lld + %lld fen)", a, b);
	if (a > LLONG_MAX - b)
		return cp_err(CP_ERR_LIMIT, "%lld + %lld fen overflows", a, b);
	*sum = a + b;
	return 0;
}
