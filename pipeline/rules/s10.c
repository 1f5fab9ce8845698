/* s10.c - UPU S10 tracking numbers: check digit, formatting, validation. */
#include "pipeline/rules/s10.h"

#include "core/err.h"

#include <stdio.h>
#include <string.h>

static int
is_upper2(const char *s)
{
	return s && strlen(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z';
}

int
s10_check_digit(const char *serial8)
{
	static const int weights[8] = {8, 6, 4, 2, 3, 5, 9, 7};
	int sum = 0, c;

	if (!serial8 || strlen(serial8) != 8)
		return cp_err(CP_ERR_FORMAT, "S10 serial must be 8 digits");
	for (int i = 0; i < 8; i++) {
		if (serial8[i] < '0' || serial8[i] > '9')
			return cp_err(CP_ERR_FORMAT, "S10 serial '%.8s' has a non-digit", serial8);
		sum += (serial8[i] - '0') * weights[i];
	}
	c = 11 - sum % 11;
	if (c == 10)
		c = 0;
	else if (c == 11)
		c = 5;
	return c;
}

int
s10_format(const char *prefix, long serial, const char *country, char *out, size_t outsz)
{
	char digits[9];
	int c;

	if (!is_upper2(prefix))
		return cp_err(CP_ERR_CONFIG, "S10 service indicator '%s' must be 2 letters A-Z",
			      prefix ? prefix : "");
	if (!is_upper2(country))
		return cp_err(CP_ERR_CONFIG, "S10 country code '%s' must be 2 letters A-Z",
			      country ? country : "");
	if (serial < 0 || serial > S10_MAX_SERIAL)
		return cp_err(CP_ERR_LIMIT, "S10 serial %ld is outside 0..%ld", serial,
			      S10_MAX_SERIAL);
	if (outsz < S10_LEN + 1)
		return cp_err(CP_ERR_LIMIT, "S10 output buffer too small");
	snprintf(digits, sizeof(digits), "%08ld", serial);
	c = s10_check_digit(digits);
	snprintf(out, outsz, "%s%s%d%s", prefix, digits, c, country);
	return 0;
}
