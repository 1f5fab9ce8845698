/*
 * hex_fixture.h - hex literals in the crypto tests: hx() decodes one (at most 256 bytes,
 * the test fails on bad hex) and assert_hex() compares bytes with one. Header-only, for
 * cmocka tests that include <cmocka.h> first.
 */
#ifndef HEX_FIXTURE_H
#define HEX_FIXTURE_H

#include "core/hex.h"

#include <stddef.h>

static inline size_t
hx(const char *h, unsigned char *out)
{
	int n = hex_decode(h, out, 256);

	assert_true(n >= 0);
	return (size_t)n;
}

static inline void
assert_hex(const unsigned char *got, size_t n, const char *want)
{
	unsigned char w[256];
	size_t wn = hx(want, w);

	assert_int_equal(n, wn);
	assert_memory_equal(got, w, n);
}

#endif
