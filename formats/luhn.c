/* luhn.c - Luhn check digits for PANs (see luhn.h). */
#include "formats/luhn.h"

#include <string.h>

/* Sum of the digits of s[0..n), doubling every second digit counted from the right,
 * starting with the rightmost when double_last. -1 for a non-digit. */
static int
luhn_sum(const char *s, size_t n, int double_last)
{
	int sum = 0, dbl = double_last;

	for (size_t i = n; i-- > 0;) {
		int d;

		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = s[i] - '0';
		if (dbl) {
			d *= 2;
			if (d > 9)
				d -= 9;
		}
		sum += d;
		dbl = !dbl;
	}
	return sum;
}

char
luhn_check_digit(const char *body)
{
	size_t n = body ? strlen(body) : 0;
	int sum;

	if (n == 0 || (sum = luhn_sum(body, n, 1)) < 0)
		return 0;
	return (char)('0' + (10 - sum % 10) % 10);
}

int
luhn_valid(const char *number)
{
	size_t n = number ? strlen(number) : 0;
	int sum;

	if (n < 2 || (sum = luhn_sum(number, n, 0)) < 0)
		return 0;
	return sum % 10 == 0;
}
