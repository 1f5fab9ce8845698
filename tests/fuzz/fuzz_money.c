/*
 * fuzz_money.c - libFuzzer target: the money parser and checked addition (rules/money.h) on
 * arbitrary bytes. Whatever it accepts must be plain digits within the maximum and must
 * print back to the same number; additions never wrap. Seeds: tests/fuzz/corpus/money/.
 */
#include "core/err.h"
#include "pipeline/rules/money.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long long maxima[] = {0, 100000, 999999999999999999LL, LLONG_MAX};
	char *s = malloc(size + 1), back[32];
	long long v, sum;

	memcpy(s, data, size);
	s[size] = '\0';
	for (size_t i = 0; i < sizeof(maxima) / sizeof(maxima[0]); i++) {
		int r = money_parse_fen(s, maxima[i], &v);

		if (r == 0) {
			const char *p = s;

			if (v < 0 || v > maxima[i] || !*s || strspn(s, "0123456789") != strlen(s))
				abort();
			while (p[0] == '0' && p[1])
				p++; /* leading zeros */
			snprintf(back, sizeof(back), "%lld", v);
			if (strcmp(back, p))
				abort();
			if (money_add(v, v, &sum) == 0 && (sum < v || sum / 2 != v))
				abort();
		} else if ((r != CP_ERR_FORMAT && r != CP_ERR_LIMIT) || v != 0 || !cp_errmsg()[0]) {
			abort();
		}
	}
	free(s);
	return 0;
}
