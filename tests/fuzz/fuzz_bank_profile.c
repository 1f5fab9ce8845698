/*
 * fuzz_bank_profile.c - libFuzzer target for the bank profile parser
 * (personalization/chip/bank_profile.c): whatever text a profile file holds,
 * bank_profile_parse() accepts it over the built-in profile or returns an error naming
 * file, line and key, never crashes, never reads outside its input, never leaks; a profile
 * it accepts still has a CDOL1 with the tags a terminal must give, a CVM and a label.
 * Seeds: tests/fuzz/corpus/bank_profile/; `make fuzz` runs it.
 */
#include "core/err.h"
#include "personalization/chip/bank_profile.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bank_profile p;
	char *text;

	if (size > 64 * 1024 || memchr(data, 0, size))
		return 0; /* bank_profile_load_over() refuses these before parsing */
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	bank_profile_default("ICBC", &p);
	if (bank_profile_parse("fuzz.ini", text, &p) == 0 &&
	    (!bank_dol_has(p.cdol1, p.cdol1_len, 0x9F37) || p.ncvm == 0 || !p.label[0] ||
	     p.pin_tries == 0 || p.icc_key_bits % 16))
		abort();
	free(text);
	cp_err_clear();
	return 0;
}
