/*
 * fuzz_fields.c - libFuzzer target: the free-text and code field checks (rules/fields.h) on
 * arbitrary bytes, for every class and a few bounds. Whatever passes must be valid UTF-8 of
 * allowed characters within the bound, with no control byte; a refusal always says why.
 * Seeds: tests/fuzz/corpus/fields/.
 */
#include "pipeline/rules/fields.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum text_class classes[] = {TEXT_NAME, TEXT_LINE, TEXT_CODE};
	static const size_t bounds[] = {1, 9, 50, 100};
	char *s = malloc(size + 1);
	struct text_problem p;

	memcpy(s, data, size);
	s[size] = '\0';
	for (size_t c = 0; c < 3; c++)
		for (size_t b = 0; b < 4; b++) {
			if (text_check(s, classes[c], bounds[b], &p) == 0) {
				if (!*s || p.nchars == 0 || p.nchars > bounds[b] || p.why)
					abort();
				for (const unsigned char *q = (const unsigned char *)s; *q; q++)
					if (*q < 0x20 || *q == 0x7f)
						abort();
			} else if (!p.why || (p.too_long && p.nchars <= bounds[b])) {
				abort();
			}
		}
	(void)beijing_district(s);
	free(s);
	return 0;
}
