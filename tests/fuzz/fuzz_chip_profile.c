/*
 * fuzz_chip_profile.c - libFuzzer target for the chip profile parser
 * (personalization/chip/chip_profile.c): whatever text a profile file holds,
 * chip_profile_parse() returns a profile or an error naming file, line and key, never
 * crashes, never reads outside its input, never leaks; a profile it accepts has a valid
 * ATR. Seeds: tests/fuzz/corpus/chip_profile/ (the shipped stocks); `make fuzz` runs it.
 */
#include "core/err.h"
#include "personalization/chip/chip_profile.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct chip_profile *p = NULL;
	char *text, why[160];

	if (size > 64 * 1024 || memchr(data, 0, size))
		return 0; /* chip_profile_load() refuses these before parsing */
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (chip_profile_parse("fuzz.ini", text, &p) == 0 &&
	    (chip_atr_check(p->atr, p->atr_len, NULL, why, sizeof why) < 0 || p->napps == 0))
		abort();
	chip_profile_free(p);
	free(text);
	cp_err_clear();
	return 0;
}
