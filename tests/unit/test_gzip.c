/*
 * test_gzip.c - the input stream (formats/instream.c): plain and gzip input, several gzip
 * members, truncated and corrupt streams, trailing garbage, the decompression-ratio and
 * size limits; and strict base64 (formats/base64.c) against the RFC 4648 section 10 vectors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/err.h"
#include "formats/base64.h"
#include "formats/instream.h"

static const struct instream_limits lim = {1ULL << 30, 200};

/* gzip-compress data into a new buffer. */
static unsigned char *
gz(const void *data, size_t len, size_t *outlen)
{
	z_stream z = {0};
	size_t cap = compressBound(len) + 64;
	unsigned char *out = malloc(cap);

	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 31, 9, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (unsigned char *)data;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	*outlen = cap - z.avail_out;
	deflateEnd(&z);
	return out;
}

/* Read the whole stream; returns bytes read or -1, content into out (if not NULL). */
static long long
drain(struct instream *s, unsigned char *out, size_t cap)
{
	unsigned char buf[1000];
	long long total = 0;
	ssize_t n;

	while ((n = instream_read(s, buf, sizeof(buf))) > 0) {
		if (out && (size_t)total + (size_t)n <= cap)
			memcpy(out + total, buf, (size_t)n);
		total += n;
	}
	return n < 0 ? -1 : total;
}

static void
test_plain(void **state)
{
	const char text[] = "<EmployerBatch/>";
	unsigned char out[64] = {0};
	const unsigned char *p;
	struct instream s;

	instream_open_mem(&s, text, strlen(text), &lim);
	assert_int_equal(instream_peek(&s, &p), (ssize_t)strlen(text));
	assert_memory_equal(p, text, strlen(text));
	assert_int_equal(s.gzip, 0); /* detected as plain */
	assert_int_equal(drain(&s, out, sizeof(out)), (long long)strlen(text));
	assert_string_equal((char *)out, text);
	instream_close(&s);
}

static void
test_gzip_roundtrip_and_members(void **state)
{
	size_t n1, n2, len = 300000;
	char *text = malloc(len);
	unsigned char *a, *b, *both, *out = malloc(2 * len);
	struct instream s;

	for (size_t i = 0; i < len; i++)
		text[i] = (char)('a' + (i * 7919) % 26);
	a = gz(text, len, &n1);
	b = gz("tail", 4, &n2);
	both = malloc(n1 + n2);
	memcpy(both, a, n1);
	memcpy(both + n1, b, n2);

	instream_open_mem(&s, a, n1, &lim);
	assert_int_equal(drain(&s, out, 2 * len), (long long)len);
	assert_int_equal(s.gzip, 1); /* detected as gzip */
	assert_memory_equal(out, text, len);
	instream_close(&s);

	/* two members read as one stream (gzip(1) concatenation) */
	instream_open_mem(&s, both, n1 + n2, &lim);
	assert_int_equal(drain(&s, out, 2 * len), (long long)len + 4);
	assert_memory_equal(out + len, "tail", 4);
	instream_close(&s);
	free(text), free(a), free(b), free(both), free(out);
}

static void
test_truncated_and_corrupt(void **state)
{
	char text[5000];
	size_t n;
	unsigned char *g, *bad;
	struct instream s;

	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = (char)(i * 31 + i / 7);
	g = gz(text, sizeof(text), &n);

	/* cut anywhere before the end: truncated-gzip, never a crash */
	for (size_t cut = 2; cut < n; cut += (n / 40) + 1) {
		instream_open_mem(&s, g, cut, &lim);
		assert_int_equal(drain(&s, NULL, 0), -1);
		assert_string_equal(s.fail_code, "truncated-gzip");
		instream_close(&s);
	}
	/* flipped bytes in the deflate data or the CRC */
	bad = malloc(n);
	memcpy(bad, g, n);
	bad[n - 6] ^= 0x55; /* CRC-32 */
	instream_open_mem(&s, bad, n, &lim);
	assert_int_equal(drain(&s, NULL, 0), -1);
	assert_string_equal(s.fail_code, "truncated-gzip");
	instream_close(&s);

	/* trailing garbage after the last member */
	bad = realloc(bad, n + 3);
	memcpy(bad, g, n);
	memcpy(bad + n, "xyz", 3);
	instream_open_mem(&s, bad, n + 3, &lim);
	assert_int_equal(drain(&s, NULL, 0), -1);
	assert_string_equal(s.fail_code, "truncated-gzip");
	assert_non_null(strstr(s.fail_detail, "after the end"));
	instream_close(&s);
	free(g);
	free(bad);
}

static void
test_bomb_and_size(void **state)
{
	size_t len = 64 << 20, n;
	char *zeros = calloc(1, len);
	unsigned char *g = gz(zeros, len, &n);
	struct instream_limits small = {1000, 200};
	struct instream s;

	/* 64 MiB of zeros compress about 1000:1 */
	instream_open_mem(&s, g, n, &lim);
	assert_int_equal(drain(&s, NULL, 0), -1);
	assert_string_equal(s.fail_code, "gzip-bomb");
	/* stopped early: it did not inflate everything before noticing */
	assert_true(s.out_total < (8u << 20));
	instream_close(&s);

	/* the size limit on plain content */
	instream_open_mem(&s, zeros, 5000, &small);
	assert_int_equal(drain(&s, NULL, 0), -1);
	assert_string_equal(s.fail_code, "file-too-large");
	instream_close(&s);
	free(zeros);
	free(g);
}

static void
test_base64_rfc4648(void **state)
{
	static const struct {
		const char *plain, *b64;
	} v[] = {
		{"f", "Zg=="},	      {"fo", "Zm8="},	     {"foo", "Zm9v"},
		{"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
	};
	unsigned char *out;
	size_t n;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(base64_decode(v[i].b64, strlen(v[i].b64), &out, &n), 0);
		assert_int_equal(n, strlen(v[i].plain));
		assert_memory_equal(out, v[i].plain, n);
		free(out);
	}
	/* line-wrapped as XML writers do */
	assert_int_equal(base64_decode("Zm9v\r\n  YmFy\n", 13, &out, &n), 0);
	assert_int_equal(n, 6);
	assert_memory_equal(out, "foobar", 6);
	free(out);
}

static void
test_base64_rejects(void **state)
{
	static const char *const bad[] = {
		"",	    "Zg=",	"Zg",	"Zm9vY",
		"Zm9v!mFy", "Zg==Zg==", "=Zg=", "Zh==", /* non-zero bits before padding */
		"Zm9=",	    "Zm8==",	"Z===", "Zm9vYmFy=",
	};
	unsigned char *out = (unsigned char *)"x";
	size_t n = 9;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(base64_decode(bad[i], strlen(bad[i]), &out, &n), CP_ERR_FORMAT);
		assert_null(out);
		assert_int_equal(n, 0);
		assert_true(strlen(cp_errmsg()) > 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_gzip_roundtrip_and_members),
		cmocka_unit_test(test_truncated_and_corrupt),
		cmocka_unit_test(test_bomb_and_size),
		cmocka_unit_test(test_base64_rfc4648),
		cmocka_unit_test(test_base64_rejects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
