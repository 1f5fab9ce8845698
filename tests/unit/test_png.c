/* test_png.c - the PNG encoder (personalization/face/png.c): every filter, both pixel
 * formats and the row-callback form decode to the pixels given; the ancillary chunks
 * (pHYs, oFFs, tEXt) survive; with filter "none" (deflated by libdeflate) the file is a
 * sequence of well-formed chunks ending in IEND, with the image data split into IDAT chunks
 * that inflate, concatenated, to each row prefixed by filter byte 0. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/mem.h"
#include "personalization/face/png.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define W 1016
#define H 648

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A card-sized image: flat areas, a gradient and a block of noise (like a photo). */
static unsigned char *
card_pixels(void)
{
	unsigned char *px = xmalloc((size_t)W * H * 3);
	unsigned seed = 1;

	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++) {
			unsigned char *p = px + ((size_t)y * W + (size_t)x) * 3;

			if (x > 700 && y > 200 && y < 600) {
				seed = seed * 1103515245u + 12345u;
				p[0] = (unsigned char)(seed >> 16);
				p[1] = (unsigned char)(seed >> 8);
				p[2] = (unsigned char)(seed >> 24);
			} else {
				p[0] = (unsigned char)(x * 255 / W);
				p[1] = (unsigned char)(y * 255 / H);
				p[2] = y < 100 ? 0xc0 : 0xff;
			}
		}
	return px;
}

static void
rows_from(void *ctx, int y, unsigned char *buf)
{
	memcpy(buf, (const unsigned char *)ctx + (size_t)y * W * 3, (size_t)W * 3);
}

static void
assert_decodes_to(const struct buf *b, const unsigned char *px, int dpi)
{
	struct png_image im;

	assert_int_equal(png_decode(b->data, b->len, &im), 0);
	assert_int_equal(im.w, W);
	assert_int_equal(im.h, H);
	assert_int_equal(im.channels, 3);
	assert_int_equal(im.dpi, dpi);
	for (int y = 0; y < H; y++)
		assert_memory_equal(im.data + (size_t)y * im.stride, px + (size_t)y * W * 3,
				    (size_t)W * 3);
	png_image_release(&im);
}

static void
test_every_filter_round_trips(void **state)
{
	unsigned char *px = card_pixels();

	(void)state;
	for (int f = 0; f <= 5; f++) {
		struct png_opts o = {.level = f == 0 ? 0 : 1, .filter = f, .dpi = 300};
		struct buf a = BUF_INIT(1 << 24), b = BUF_INIT(1 << 24);

		assert_int_equal(png_encode_rgb(px, W, H, &o, &a), 0);
		assert_decodes_to(&a, px, 300);
		/* the row-callback form writes the same file */
		assert_int_equal(png_encode_rgb_rows(W, H, rows_from, px, &o, &b), 0);
		assert_int_equal(a.len, b.len);
		assert_memory_equal(a.data, b.data, a.len);
		buf_release(&a);
		buf_release(&b);
	}
	for (int level = 0; level <= 9; level += 3) {
		struct png_opts o = {.level = level, .filter = 0, .dpi = 0};
		struct buf a = BUF_INIT(1 << 24);

		assert_int_equal(png_encode_rgb(px, W, H, &o, &a), 0);
		assert_decodes_to(&a, px, 0);
		buf_release(&a);
	}
	free(px);
}

static void
test_bits_round_trip(void **state)
{
	size_t stride = (W + 7) / 8;
	unsigned char *bits = xcalloc(stride, H);

	(void)state;
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++)
			if ((x / 7 + y / 5) % 3 == 0)
				bits[(size_t)y * stride + (size_t)(x >> 3)] |=
					(unsigned char)(0x80 >> (x & 7));
	for (int f = 0; f <= 1; f++) {
		struct png_opts o = {.level = 1, .filter = f, .dpi = 300};
		struct buf b = BUF_INIT(1 << 22);
		struct png_image im;

		assert_int_equal(png_encode_bits(bits, W, H, 0x3399ff, &o, &b), 0);
		assert_int_equal(png_decode(b.data, b.len, &im), 0);
		assert_int_equal(im.channels, 1);
		assert_int_equal(im.bits, 1);
		for (int y = 0; y < H; y++)
			assert_memory_equal(im.data + (size_t)y * im.stride,
					    bits + (size_t)y * stride, stride);
		png_image_release(&im);
		buf_release(&b);
	}
	free(bits);
}

static void
test_offset_and_note_survive(void **state)
{
	unsigned char *px = card_pixels();
	struct png_extra x = {.has_offset = 1, .off_x = 12, .off_y = 345, .note = "base=back.png"};

	(void)state;
	for (int f = 0; f <= 1; f++) {
		struct png_opts o = {.level = 1, .filter = f, .dpi = 300};
		struct buf b = BUF_INIT(1 << 24);
		struct png_image im;

		assert_int_equal(png_encode_rgb_ex(px, W, H, &o, &x, &b), 0);
		assert_int_equal(png_decode(b.data, b.len, &im), 0);
		assert_true(im.has_offset);
		assert_int_equal(im.off_x, 12);
		assert_int_equal(im.off_y, 345);
		assert_string_equal(im.note, "base=back.png");
		png_image_release(&im);
		buf_release(&b);
	}
	free(px);
}

/* Walks the chunks by hand: a decoder that trusted libpng alone would not see a chunk with
 * a bad CRC after the image data, or data after IEND. */
static void
test_unfiltered_file_structure(void **state)
{
	unsigned char *px = card_pixels(), *zs = xmalloc(1 << 23), *raw;
	struct png_opts o = {.level = 0, .filter = 0, .dpi = 300}; /* stored: several IDATs */
	struct buf b = BUF_INIT(1 << 24);
	size_t off = 8, zn = 0, nidat = 0, rawn = ((size_t)W * 3 + 1) * H;
	uLongf got = rawn;
	int seen_iend = 0;

	(void)state;
	assert_int_equal(png_encode_rgb(px, W, H, &o, &b), 0);
	assert_memory_equal(b.data, "\x89PNG\r\n\x1a\n", 8);
	while (off < b.len) {
		const unsigned char *c = b.data + off;
		uint32_t n;

		assert_false(seen_iend);
		assert_true(b.len - off >= 12);
		n = be32(c);
		assert_true(b.len - off >= 12 + (size_t)n);
		assert_int_equal(be32(c + 8 + n), crc32(0L, c + 4, n + 4));
		if (!memcmp(c + 4, "IDAT", 4)) {
			assert_true(n <= 256 * 1024);
			memcpy(zs + zn, c + 8, n);
			zn += n;
			nidat++;
		} else if (!memcmp(c + 4, "IEND", 4)) {
			assert_int_equal(n, 0);
			seen_iend = 1;
		}
		off += 12 + (size_t)n;
	}
	assert_true(seen_iend);
	assert_int_equal(off, b.len);
	assert_true(nidat >= 8); /* ~1.98 MB stored, 256 KiB a chunk */
	raw = xmalloc(rawn);
	assert_int_equal(uncompress(raw, &got, zs, zn), Z_OK);
	assert_int_equal(got, rawn);
	for (int y = 0; y < H; y++) {
		assert_int_equal(raw[(size_t)y * (W * 3 + 1)], 0);
		assert_memory_equal(raw + (size_t)y * (W * 3 + 1) + 1, px + (size_t)y * W * 3,
				    (size_t)W * 3);
	}
	free(raw);
	free(zs);
	free(px);
	buf_release(&b);
}

/* An output buffer too small for the file is an error, not a crash or a short file. */
static void
test_output_limit(void **state)
{
	unsigned char *px = card_pixels();

	(void)state;
	for (int f = 0; f <= 1; f++) {
		struct png_opts o = {.level = 1, .filter = f, .dpi = 300};
		struct buf b = BUF_INIT(4096);

		assert_int_equal(png_encode_rgb(px, W, H, &o, &b), CP_ERR_IO);
		assert_non_null(strstr(cp_errmsg(), "output too large"));
		buf_release(&b);
	}
	free(px);
}

/* A damaged file is refused with libpng's reason, not a bare "corrupt". */
static void
test_damage_is_named(void **state)
{
	unsigned char *px = card_pixels();
	struct png_opts o = {.level = 1, .filter = 0, .dpi = 300};
	struct buf b = BUF_INIT(1 << 24);
	struct png_image im;

	(void)state;
	assert_int_equal(png_encode_rgb(px, W, H, &o, &b), 0);
	b.data[29] ^= 0x55; /* IHDR's CRC: 8 signature + 8 chunk head + 13 data bytes before it */
	assert_int_equal(png_decode(b.data, b.len, &im), CP_ERR_FORMAT);
	assert_non_null(strstr(cp_errmsg(), "CRC error"));
	assert_null(im.data);
	b.data[29] ^= 0x55;
	b.data[b.len / 2] ^= 0x55; /* inside the image data */
	assert_int_equal(png_decode(b.data, b.len, &im), CP_ERR_FORMAT);
	assert_true(strlen(cp_errmsg()) > strlen("corrupt PNG: "));
	assert_int_equal(png_decode(b.data, 40, &im), CP_ERR_FORMAT);
	assert_non_null(strstr(cp_errmsg(), "truncated PNG"));
	buf_release(&b);
	free(px);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_filter_round_trips),
		cmocka_unit_test(test_bits_round_trip),
		cmocka_unit_test(test_offset_and_note_survive),
		cmocka_unit_test(test_unfiltered_file_structure),
		cmocka_unit_test(test_output_limit),
		cmocka_unit_test(test_damage_is_named),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
