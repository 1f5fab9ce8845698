/*
 * test_base64.c - formats/base64.c beyond the RFC 4648 vectors (test_gzip.c): text wrapped
 * the ways writers wrap it decodes to the same bytes whichever way base64_decode takes it
 * (line by line through OpenSSL, or the strict decoder for layouts it leaves to that), and
 * bad input is reported at the same offset and with the same words either way.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/err.h"
#include "formats/base64.h"

static unsigned long rng = 12345;

static unsigned
rnd(unsigned n)
{
	rng = rng * 6364136223846793005UL + 1442695040888963407UL;
	return (unsigned)(rng >> 33) % n;
}

/* data's base64, broken into lines of width characters (0: one line) ending in eol, each
 * line after the first indented by indent spaces, as XML writers do. Newly allocated. */
static char *
wrapped(const unsigned char *data, size_t len, size_t width, const char *eol, int indent)
{
	char *flat = malloc(len / 3 * 4 + 8), *out;
	size_t n = (size_t)EVP_EncodeBlock((unsigned char *)flat, data, (int)len), o = 0;

	out = malloc(n * 4 + 64);
	for (size_t i = 0; i < n; i++) {
		if (width && i && i % width == 0) {
			o += (size_t)sprintf(out + o, "%s%*s", eol, indent, "");
		}
		out[o++] = flat[i];
	}
	o += (size_t)sprintf(out + o, "%s", eol);
	free(flat);
	return out;
}

static void
test_wrapped_layouts_decode_alike(void **state)
{
	static const size_t widths[] = {0, 4, 8, 64, 76, 5, 7, 30};
	static const char *const eols[] = {"\n", "\r\n", "", " "};

	for (int it = 0; it < 400; it++) {
		size_t len = 1 + rnd(700), n = 0;
		unsigned char *data = malloc(len), *out = NULL;
		char *text;

		for (size_t i = 0; i < len; i++)
			data[i] = (unsigned char)rnd(256);
		text = wrapped(data, len, widths[rnd(8)], eols[rnd(4)], (int)rnd(3));
		assert_int_equal(base64_decode(text, strlen(text), &out, &n), 0);
		assert_int_equal(n, len);
		assert_memory_equal(out, data, len);
		free(out);
		free(text);
		free(data);
	}
}

/* The offset among all characters of the text, as the strict decoder reports it. */
static void
test_bad_character_at_its_offset(void **state)
{
	for (int it = 0; it < 400; it++) {
		size_t len = 3 + rnd(500), n = 9, tl, at;
		unsigned char *data = malloc(len), *out = (unsigned char *)"x";
		char *text, want[96];
		const char bad[] = {'!', '-', '.', '\v', (char)0xc3, '\0'};
		char c = bad[rnd(6)];

		for (size_t i = 0; i < len; i++)
			data[i] = (unsigned char)rnd(256);
		text = wrapped(data, len, rnd(2) ? 76 : 64, "\n", (int)rnd(2));
		tl = strlen(text);
		do
			at = rnd((unsigned)tl);
		while (text[at] == '\n' || text[at] == ' ' || text[at] == '=');
		text[at] = c;
		assert_int_equal(base64_decode(text, tl, &out, &n), CP_ERR_FORMAT);
		assert_null(out);
		assert_int_equal(n, 0);
		snprintf(want, sizeof(want), "invalid base64 character 0x%02x at offset %zu",
			 (unsigned char)c, at);
		assert_string_equal(cp_errmsg(), want);
		free(text);
		free(data);
	}
}

/* What EVP_DecodeBlock alone would take ('=' as zero bits anywhere, trailing '-') is
 * refused with the strict decoder's words. */
static void
test_padding_rules_kept(void **state)
{
	static const struct {
		const char *text, *msg;
	} v[] = {
		{"Zm9v\nYm==\nZm9v\n", "data after '=' padding at offset 10"},
		{"Zm==Zm9v\n", "data after '=' padding at offset 4"},
		{"Zm9vYmFy\nZm9v----\n", "invalid base64 character 0x2d at offset 13"},
		{"Zm9vYmFy\n=m9v\n", "misplaced '=' padding at offset 9"},
		{"Zm9vYmFy\nZh==\n", "non-zero bits before padding at offset 9"},
		{"Zm9vYmFy\nZm9=\n", "non-zero bits before padding at offset 10"},
		{"  \n\t\r\n", "base64 text is empty"},
	};
	unsigned char *out;
	size_t n;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(base64_decode(v[i].text, strlen(v[i].text), &out, &n),
				 CP_ERR_FORMAT);
		assert_string_equal(cp_errmsg(), v[i].msg);
	}
	/* padding then only whitespace is fine, on its own line too */
	assert_int_equal(base64_decode("Zm9vYmFy\nZm8=\n  \n", 17, &out, &n), 0);
	assert_int_equal(n, 8);
	assert_memory_equal(out, "foobarfo", 8);
	free(out);
	assert_int_equal(base64_decode("Zm9vYg\n==\n", 10, &out, &n), 0);
	assert_int_equal(n, 4);
	free(out);
}

/* base64_encode: the RFC 4648 section 10 vectors, and back through base64_decode */
static void
test_encode(void **state)
{
	static const char *const want[] = {"",	       "Zg==",	   "Zm8=",    "Zm9v",
					   "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
	unsigned char out[BASE64_ENCODED_LEN(300)], in[300], *back;
	size_t n, bn;

	(void)state;
	for (size_t i = 0; i < 7; i++) {
		assert_int_equal(base64_encode((const unsigned char *)"foobar", i, out),
				 strlen(want[i]));
		assert_string_equal((char *)out, want[i]);
	}
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)rnd(256);
	n = base64_encode(in, sizeof(in), out);
	assert_int_equal(n, BASE64_ENCODED_LEN(sizeof(in)) - 1);
	assert_int_equal(base64_decode((char *)out, n, &back, &bn), 0);
	assert_int_equal(bn, sizeof(in));
	assert_memory_equal(back, in, bn);
	free(back);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wrapped_layouts_decode_alike),
		cmocka_unit_test(test_bad_character_at_its_offset),
		cmocka_unit_test(test_padding_rules_kept),
		cmocka_unit_test(test_encode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
