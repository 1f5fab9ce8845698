/*
 * test_photo_check.c - the photo standard (docs/domain-facts.md §3): JPEG, 358x441, 24-bit
 * colour, file size range, white background; photos are made here with libjpeg.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include "pipeline/rules/photo_check.h"
#include "jpeg_fixture.h"

static const struct photo_limits lim = {358, 441, 9000, 150000, 200};

struct head_photo {
	int w, h, bg, components;
	unsigned int seed;
};

/* A head-and-shoulders photo's row: background bg with noise, a noisy darker ellipse and
 * shoulders. */
static void
head_row(int y, unsigned char *row, void *arg)
{
	struct head_photo *p = arg;
	int w = p->w, h = p->h;

	for (int x = 0; x < w; x++) {
		double dx = (x - w / 2.0) / (w * 0.28), dy = (y - h * 0.55) / (h * 0.32);
		int v, noise, head = dx * dx + dy * dy < 1 || y > h * 0.85;

		p->seed = p->seed * 1103515245u + 12345u;
		noise = (int)((p->seed >> 16) % 9) - 4;
		if (head)
			v = 60 + (int)((p->seed >> 8) % 140);
		else
			v = p->bg + noise;
		v = v < 0 ? 0 : v > 255 ? 255 : v;
		if (p->components == 3) {
			row[x * 3] = (unsigned char)v;
			/* skin and clothes tinted, the background neutral */
			row[x * 3 + 1] = (unsigned char)(head && v > 30 ? v - 30 : v);
			row[x * 3 + 2] = (unsigned char)(head && v > 50 ? v - 50 : v);
		} else {
			row[x] = (unsigned char)v;
		}
	}
}

/* A head-and-shoulders photo. components 3 (RGB) or 1 (greyscale). Returns malloc'd JPEG
 * bytes. */
static unsigned char *
make_photo(int w, int h, int bg, int components, int quality, unsigned long *len)
{
	struct head_photo p = {w, h, bg, components, 12345};

	return jpeg_fixture(w, h, components, quality, head_row, &p, len);
}

static void
check(const unsigned char *p, size_t n, const struct photo_limits *l, const char *want)
{
	struct photo_result res;

	assert_int_equal(photo_check(p, n, l, &res), 0);
	if (!want) {
		if (res.reason)
			fail_msg("unexpected %s: %s", res.reason, res.detail);
	} else {
		assert_non_null(res.reason);
		assert_string_equal(res.reason, want);
		assert_true(res.detail[0] != '\0');
	}
}

static void
test_standard_photo_accepted(void **state)
{
	unsigned long n = 0;
	unsigned char *p = make_photo(358, 441, 250, 3, 70, &n);
	struct photo_result res;

	assert_true(n >= 9000 && n <= 150000);
	check(p, n, &lim, NULL);
	photo_check(p, n, &lim, &res);
	assert_int_equal(res.width, 358);
	assert_int_equal(res.height, 441);
	assert_int_equal(res.components, 3);
	if (res.background < 240)
		fail_msg("background %d", res.background);
	free(p);
}

static void
test_grey_background_rejected(void **state)
{
	unsigned long n = 0;
	unsigned char *p = make_photo(358, 441, 150, 3, 70, &n);

	check(p, n, &lim, "photo-background");
	free(p);
}

static void
test_wrong_dimensions_rejected(void **state)
{
	unsigned long n = 0;
	unsigned char *p = make_photo(441, 358, 250, 3, 70, &n);

	check(p, n, &lim, "photo-dimensions");
	free(p);
}

static void
test_greyscale_photo_is_not_24_bit(void **state)
{
	unsigned long n = 0;
	unsigned char *p = make_photo(358, 441, 250, 1, 70, &n);

	check(p, n, &lim, "photo-not-rgb");
	free(p);
}

static void
test_file_size_range_from_config(void **state)
{
	struct photo_limits tight = lim;
	unsigned long n = 0;
	unsigned char *p = make_photo(358, 441, 250, 3, 70, &n);

	tight.max_bytes = (long)n - 1;
	check(p, n, &tight, "photo-file-size");
	tight = lim;
	tight.min_bytes = (long)n + 1;
	check(p, n, &tight, "photo-file-size");
	free(p);
}

static void
test_truncated_jpeg_is_corrupt(void **state)
{
	unsigned long n = 0;
	unsigned char *p = make_photo(358, 441, 250, 3, 70, &n);

	check(p, n / 2, &lim, "photo-corrupt");
	check(p, 200, &lim, "photo-corrupt");
	free(p);
}

static void
test_flipped_bytes_never_crash(void **state)
{
	unsigned long n = 0;
	unsigned char *p = make_photo(358, 441, 250, 3, 70, &n);
	struct photo_result res;

	for (unsigned long i = 2; i < n; i += 97) {
		unsigned char save = p[i];

		p[i] ^= 0xA5;
		assert_int_equal(photo_check(p, n, &lim, &res), 0);
		p[i] = save;
	}
	free(p);
}

static void
test_not_a_jpeg_rejected(void **state)
{
	static const unsigned char png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

	check(png, sizeof(png), &lim, "photo-not-jpeg");
	check((const unsigned char *)"\xff\xd8", 2, &lim, "photo-not-jpeg");
	check(NULL, 0, &lim, "photo-missing");
}

/* A result kept for prepare reads back as it was, and only with the same limits and check
 * version. */
static void
test_kept_result_round_trip(void **state)
{
	unsigned long len;
	unsigned char *p = make_photo(358, 441, 120, 3, 70, &len);
	struct photo_result res, back;
	struct photo_limits other = lim;
	char text[PHOTO_RESULT_TEXT_MAX], *bad;

	photo_check(p, len, &lim, &res);
	assert_string_equal(res.reason, "photo-background");
	photo_result_encode(&lim, &res, text);
	assert_int_equal(photo_result_decode(text, &lim, &back), 1);
	assert_string_equal(back.reason, res.reason);
	assert_string_equal(back.detail, res.detail);
	assert_int_equal(back.width, res.width);
	assert_int_equal(back.height, res.height);
	assert_int_equal(back.components, res.components);
	assert_int_equal(back.background, res.background);
	/* any limit changed since: not usable */
	other.background_min = lim.background_min - 1;
	assert_int_equal(photo_result_decode(text, &other, &back), 0);
	other = lim;
	other.max_bytes++;
	assert_int_equal(photo_result_decode(text, &other, &back), 0);
	/* another version, a reason photo_check() does not give, garbage, nothing */
	bad = strdup(text);
	bad[2] = '9';
	assert_int_equal(photo_result_decode(bad, &lim, &back), 0);
	free(bad);
	bad = strdup(text);
	memcpy(strstr(bad, "photo-background"), "photo-backgrouND", 16);
	assert_int_equal(photo_result_decode(bad, &lim, &back), 0);
	free(bad);
	assert_int_equal(photo_result_decode("pc1 358 441", &lim, &back), 0);
	assert_int_equal(photo_result_decode(NULL, &lim, &back), 0);
	/* a photo that passes: no reason, an empty detail */
	free(p);
	p = make_photo(358, 441, 246, 3, 70, &len);
	photo_check(p, len, &lim, &res);
	assert_null(res.reason);
	photo_result_encode(&lim, &res, text);
	assert_int_equal(photo_result_decode(text, &lim, &back), 1);
	assert_null(back.reason);
	assert_string_equal(back.detail, "");
	assert_int_equal(back.background, res.background);
	free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_standard_photo_accepted),
		cmocka_unit_test(test_grey_background_rejected),
		cmocka_unit_test(test_wrong_dimensions_rejected),
		cmocka_unit_test(test_greyscale_photo_is_not_24_bit),
		cmocka_unit_test(test_file_size_range_from_config),
		cmocka_unit_test(test_truncated_jpeg_is_corrupt),
		cmocka_unit_test(test_flipped_bytes_never_crash),
		cmocka_unit_test(test_not_a_jpeg_rejected),
		cmocka_unit_test(test_kept_result_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
