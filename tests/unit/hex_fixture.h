/*
 * hex_fixture.h - hex literals in the unit tests: hx() decodes one (at most
 * HEX_FIXTURE_MAX bytes, the largest literal a test has; the test fails on bad hex),
 * hxn() the same into a buffer of max bytes (text that decodes to no byte must be empty),
 * and assert_hex() compares bytes with one.
 * Header-only, for cmocka tests that include <cmocka.h> first.
 */
#ifndef HEX_FIXTURE_H
#define HEX_FIXTURE_H

#include "core/hex.h"

#include <stddef.h>

#define HEX_FIXTURE_MAX 1024

static inline size_t
hxn(const char *h, unsigned char *out, size_t max)
{
	int n = hex_decode(h, out, max);

	assert_true(n > 0 || (n == 0 && !*h));
	return (size_t)n;
}

static inline size_t
hx(const char *h, unsigned char *out)
{
	return hxn(h, out, HEX_FIXTURE_MAX);
}

static inline void
assert_hex(const unsigned char *got, size_t n, const char *want)
{
	unsigned char w[HEX_FIXTURE_MAX];
	size_t wn = hx(want, w);

	assert_int_equal(n, wn);
	assert_memory_equal(got, w, n);
}

#endif
