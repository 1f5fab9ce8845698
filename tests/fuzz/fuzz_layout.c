/*
 * fuzz_layout.c - libFuzzer target for the card-face layout parser
 * (personalization/face/layout.c): whatever text a card designer (or a damaged file)
 * gives, layout_parse() returns a layout or an error, never crashes, never reads
 * outside its input, never leaks. Seeds: tests/fuzz/corpus/layout/ (the shipped
 * data/layout/default.layout and variants); `make fuzz` runs it.
 */
#include "core/err.h"
#include "personalization/face/layout.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct layout *lo = NULL;

	(void)layout_parse((const char *)data, size, "fuzz", &lo);
	layout_free(lo); /* NULL after a failure */
	cp_err_clear();
	return 0;
}
