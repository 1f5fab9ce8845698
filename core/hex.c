/* hex.c - hex encoding and decoding (see hex.h). */
#include "core/hex.h"

#include "core/err.h"

char *
hex_encode(const void *data, size_t n, char *out)
{
	static const char digits[] = "0123456789ABCDEF";
	const unsigned char *p = data;

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
	return out;
}

int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
hex_decode(const char *hex, unsigned char *out, size_t outsz)
{
	size_t n = 0;
	int hi = -1;

	for (; *hex; hex++) {
		int v;

		if (*hex == ' ' || *hex == ':' || *hex == '\t')
			continue;
		if ((v = hex_digit(*hex)) < 0)
			return cp_err(CP_ERR_FORMAT, "'%c' is not a hex digit", *hex);
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n >= outsz)
			return cp_err(CP_ERR_LIMIT, "hex value longer than %zu bytes", outsz);
		out[n++] = (unsigned char)(hi << 4 | v);
		hi = -1;
	}
	if (hi >= 0)
		return cp_err(CP_ERR_FORMAT, "odd number of hex digits");
	return (int)n;
}
