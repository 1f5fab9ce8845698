/*
 * fuzz_employer_xml.c - libFuzzer target: the employer batch XML (formats/employer-batch.xsd)
 * parser on arbitrary bytes, plain or gzip, through format detection as ingest does it
 * (no registry, no file system). Invariants checked on every record handed out; crashes,
 * leaks and sanitizer reports are findings. Seeds: tests/fuzz/corpus/employer_xml/.
 */
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_parse(data, size, APP_FORMAT_EMPLOYER_XML);
	return 0;
}
