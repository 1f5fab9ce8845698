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

/* rows of half the width (the left half of a full-width image) */
static void
rows_from_half(void *ctx, int y, unsigned char *buf)
{
	memcpy(buf, (const unsigned char *)ctx + (size_t)y * W * 3, (size_t)(W / 2) * 3);
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

/* Walks the chunks of file b by hand, as a decoder that trusted libpng alone would not (a
 * chunk with a bad CRC after the image data, data after IEND): the IDAT data joined into
 * zs (*zn bytes); returns how many IDAT chunks. */
static size_t
idat_stream(const struct buf *b, unsigned char *zs, size_t *zn)
{
	size_t off = 8, nidat = 0;
	int seen_iend = 0;

	*zn = 0;
	assert_memory_equal(b->data, "\x89PNG\r\n\x1a\n", 8);
	while (off < b->len) {
		const unsigned char *c = b->data + off;
		uint32_t n;

		assert_false(seen_iend);
		assert_true(b->len - off >= 12);
		n = be32(c);
		assert_true(b->len - off >= 12 + (size_t)n);
		assert_int_equal(be32(c + 8 + n), crc32(0L, c + 4, n + 4));
		if (!memcmp(c + 4, "IDAT", 4)) {
			assert_true(n <= 256 * 1024);
			memcpy(zs + *zn, c + 8, n);
			*zn += n;
			nidat++;
		} else if (!memcmp(c + 4, "IEND", 4)) {
			assert_int_equal(n, 0);
			seen_iend = 1;
		}
		off += 12 + (size_t)n;
	}
	assert_true(seen_iend);
	assert_int_equal(off, b->len);
	return nidat;
}

/* The image data of file b is one zlib stream, every byte of it used, its Adler-32 right,
 * inflating to each row of px (w x h RGB) behind filter byte 0. */
static void
assert_unfiltered_data(const struct buf *b, const unsigned char *px, int w, int h)
{
	size_t zn = 0, rawn = ((size_t)w * 3 + 1) * (size_t)h;
	unsigned char *zs = xmalloc(b->len), *raw = xmalloc(rawn);
	uLong used;
	uLongf got = rawn;

	(void)idat_stream(b, zs, &zn);
	used = zn;
	assert_int_equal(uncompress2(raw, &got, zs, &used), Z_OK);
	assert_int_equal(used, zn);
	assert_int_equal(got, rawn);
	for (int y = 0; y < h; y++) {
		assert_int_equal(raw[(size_t)y * ((size_t)w * 3 + 1)], 0);
		assert_memory_equal(raw + (size_t)y * ((size_t)w * 3 + 1) + 1,
				    px + (size_t)y * (size_t)w * 3, (size_t)w * 3);
	}
	free(raw);
	free(zs);
}

static void
test_unfiltered_file_structure(void **state)
{
	unsigned char *px = card_pixels(), *zs;
	struct png_opts o = {.level = 0, .filter = 0, .dpi = 300}; /* stored: several IDATs */
	struct buf b = BUF_INIT(1 << 24);
	size_t zn = 0;

	(void)state;
	assert_int_equal(png_encode_rgb(px, W, H, &o, &b), 0);
	zs = xmalloc(b.len);
	assert_true(idat_stream(&b, zs, &zn) >= 8); /* ~1.98 MB stored, 256 KiB a chunk */
	assert_unfiltered_data(&b, px, W, H);
	free(zs);
	free(px);
	buf_release(&b);
}

/* Card i of a series: the artwork, a "bank" band at rows 40..71 in one of three kinds, a
 * "personal" block of noise at rows 300..419 of its own, and, if bottom, rows 600..647
 * of its own too. */
static void
series_card(const unsigned char *art, unsigned char *px, int i, int bottom)
{
	unsigned seed = 7u + (unsigned)i * 7919u;

	memcpy(px, art, (size_t)W * H * 3);
	for (int y = 40; y < 72; y++)
		for (int x = 600; x < 900; x++)
			px[((size_t)y * W + (size_t)x) * 3] =
				(unsigned char)(40 + 80 * (i % 3) + x % 7);
	for (int y = 300; y < 420 || (bottom && y >= 600 && y < H); y = y == 419 ? 600 : y + 1)
		for (int x = 250; x < 700; x++) {
			seed = seed * 1103515245u + 12345u;
			px[((size_t)y * W + (size_t)x) * 3 + 1] = (unsigned char)(seed >> 16);
		}
}

/* Filter "none" at level, with row cache rc against the reference art (W x H, RGB). */
static struct png_opts
cached_opts(int level, struct png_rowcache *rc, const unsigned char *art)
{
	return (struct png_opts){.level = level,
				 .filter = 0,
				 .dpi = 300,
				 .rows = rc,
				 .ref = art,
				 .ref_stride = (size_t)W * 3};
}

/* file b encoded with a fresh cache has the same bytes as a: nothing from earlier images */
static void
assert_same_alone(const struct buf *a, const unsigned char *px, const struct png_opts *o)
{
	struct png_opts fresh = *o;
	struct buf b = BUF_INIT(1 << 24);

	fresh.rows = png_rowcache_new();
	assert_int_equal(png_encode_rgb_rows(W, H, rows_from, (void *)px, &fresh, &b), 0);
	assert_int_equal(a->len, b.len);
	assert_memory_equal(a->data, b.data, a->len);
	png_rowcache_free(fresh.rows);
	buf_release(&b);
}

/*
 * Images encoded against a reference (a card side's artwork) through one row cache, card
 * after card: each file is a well-formed PNG whose data inflates to exactly its own pixels,
 * and has the same bytes as when encoded alone with a fresh cache (a rerun after a crash,
 * or another worker, writes the same file). Three kinds of band above (the bank's name,
 * kept by content after its first card), a personal block in the middle, with and without
 * personal rows at the bottom, at stored, fastest and best levels; then images the cache
 * cannot help (nothing in common, another size) and the reference itself (every row kept).
 */
static void
test_row_cache_series(void **state)
{
	unsigned char *art = card_pixels(), *px = xmalloc((size_t)W * H * 3);
	static const int levels[] = {0, 1, 9};

	(void)state;
	for (size_t l = 0; l < sizeof(levels) / sizeof(levels[0]); l++)
		for (int bottom = 0; bottom <= 1; bottom++) {
			struct png_rowcache *rc = png_rowcache_new();
			struct png_opts o = cached_opts(levels[l], rc, art);
			unsigned long images, kept, want = 0;

			for (int i = 0; i < 10; i++) {
				struct buf b = BUF_INIT(1 << 24);

				series_card(art, px, i, bottom);
				assert_int_equal(png_encode_rgb_rows(W, H, rows_from, px, &o, &b),
						 0);
				assert_decodes_to(&b, px, 300);
				assert_unfiltered_data(&b, px, W, H);
				assert_same_alone(&b, px, &o);
				buf_release(&b);
				/* kept after the first card: rows 0..39 and 72..299, and the
				 * band once its kind was seen; the personal block (more than
				 * 64 rows) and all below it are the card's own */
				if (i > 0)
					want += 40 + 228 + (i >= 3 ? 32 : 0);
			}
			png_rowcache_counts(rc, &images, &kept);
			assert_int_equal(images, 10);
			assert_int_equal(kept, want);
			png_rowcache_free(rc);
		}
	{
		struct png_rowcache *rc = png_rowcache_new();
		struct png_opts o = cached_opts(1, rc, art);
		unsigned long images, kept, images2, kept2;
		unsigned seed = 99;
		unsigned char *half = xmalloc((size_t)(W / 2) * H * 3);

		for (int y = 0; y < H; y++)
			rows_from_half(art, y, half + (size_t)y * (W / 2) * 3);

		/* nothing in common: deflated whole, as without a cache */
		for (size_t k = 0; k < (size_t)W * H * 3; k++) {
			seed = seed * 1103515245u + 12345u;
			px[k] = (unsigned char)(seed >> 16);
		}
		for (int i = 0; i < 2; i++) {
			struct buf b = BUF_INIT(1 << 24), whole = BUF_INIT(1 << 24);
			struct png_opts plain = {.level = 1, .filter = 0, .dpi = 300};

			assert_int_equal(png_encode_rgb_rows(W, H, rows_from, px, &o, &b), 0);
			assert_int_equal(png_encode_rgb_rows(W, H, rows_from, px, &plain, &whole),
					 0);
			assert_int_equal(b.len, whole.len);
			assert_memory_equal(b.data, whole.data, b.len);
			buf_release(&b);
			buf_release(&whole);
		}
		png_rowcache_counts(rc, &images, &kept);
		assert_int_equal(images, 0);
		/* half as wide, against the left half of the reference: its rows are kept */
		for (int i = 0; i < 2; i++) {
			struct buf b = BUF_INIT(1 << 24);

			assert_int_equal(png_encode_rgb_rows(W / 2, H, rows_from_half, art, &o, &b),
					 0);
			assert_unfiltered_data(&b, half, W / 2, H);
			buf_release(&b);
		}
		png_rowcache_counts(rc, &images, &kept);
		assert_int_equal(images, 2);
		assert_int_equal(kept, H);
		/* the reference itself, twice: the second time every row from the cache */
		for (int i = 0; i < 2; i++) {
			struct buf b = BUF_INIT(1 << 24);

			assert_int_equal(png_encode_rgb_rows(W, H, rows_from, art, &o, &b), 0);
			assert_unfiltered_data(&b, art, W, H);
			buf_release(&b);
		}
		png_rowcache_counts(rc, &images2, &kept2);
		assert_int_equal(images2 - images, 2);
		assert_int_equal(kept2 - kept, H);
		png_rowcache_free(rc);
		free(half);
	}
	free(px);
	free(art);
}

/* The shapes the cache meets, each file right and the same as encoded alone, twice through
 * one cache (the second time from kept segments): the first rows unlike the reference,
 * short runs only (the last segment starts at the last of them), the last rows, all alike,
 * all unlike; 8-bit RGB and 1-bit images, at levels 1 and 5. */
static void
test_row_cache_shapes(void **state)
{
	static const int shapes[][4] = {
		{0, 1, 0, 0},	  {0, 100, 0, 0}, {100, 110, 300, 310}, {500, 520, 0, 0},
		{640, 648, 0, 0}, {0, 0, 0, 0},	  {0, H, 0, 0},		{60, 70, 200, 400},
	};
	size_t bst = (W + 7) / 8;
	unsigned char *art = card_pixels(), *px = xmalloc((size_t)W * H * 3);
	unsigned char *bart = xmalloc(bst * H), *bits = xmalloc(bst * H);

	(void)state;
	for (size_t k = 0; k < bst * H; k++)
		bart[k] = (unsigned char)(k / bst % 16 < 8 ? 0x0f : 0xf0);
	for (int level = 1; level <= 5; level += 4) {
		struct png_rowcache *rc = png_rowcache_new(), *bc = png_rowcache_new();
		struct png_opts o = cached_opts(level, rc, art);
		struct png_opts ob = {.level = level,
				      .filter = 0,
				      .dpi = 300,
				      .rows = bc,
				      .ref = bart,
				      .ref_stride = bst};

		for (int pass = 0; pass < 2; pass++)
			for (size_t sh = 0; sh < sizeof(shapes) / sizeof(shapes[0]); sh++) {
				struct buf b = BUF_INIT(1 << 24), b2 = BUF_INIT(1 << 22),
					   c = BUF_INIT(1 << 22);
				struct png_opts fresh = ob;
				struct png_image im;
				unsigned seed = 5 + (unsigned)sh;

				memcpy(px, art, (size_t)W * H * 3);
				memcpy(bits, bart, bst * H);
				for (int r = 0; r < 4; r += 2)
					for (int y = shapes[sh][r]; y < shapes[sh][r + 1]; y++) {
						for (int x = 0; x < W; x += 3) {
							seed = seed * 1103515245u + 12345u;
							px[((size_t)y * W + (size_t)x) * 3] =
								(unsigned char)(seed >> 16);
						}
						bits[(size_t)y * bst + (size_t)y % bst] ^= 0x5a;
					}
				assert_int_equal(png_encode_rgb_rows(W, H, rows_from, px, &o, &b),
						 0);
				assert_unfiltered_data(&b, px, W, H);
				assert_same_alone(&b, px, &o);
				assert_int_equal(png_encode_bits(bits, W, H, 0, &ob, &c), 0);
				assert_int_equal(png_decode(c.data, c.len, &im), 0);
				for (int y = 0; y < H; y++)
					assert_memory_equal(im.data + (size_t)y * im.stride,
							    bits + (size_t)y * bst, bst);
				png_image_release(&im);
				fresh.rows = png_rowcache_new();
				assert_int_equal(png_encode_bits(bits, W, H, 0, &fresh, &b2), 0);
				assert_int_equal(c.len, b2.len);
				assert_memory_equal(c.data, b2.data, c.len);
				png_rowcache_free(fresh.rows);
				buf_release(&b);
				buf_release(&b2);
				buf_release(&c);
			}
		png_rowcache_free(rc);
		png_rowcache_free(bc);
	}
	free(bits);
	free(bart);
	free(px);
	free(art);
}

/* More kinds of band than the cache keeps (KEPT is 64): the least recently used are
 * dropped, and every file is still right and the same as encoded alone. */
static void
test_row_cache_evicts(void **state)
{
	unsigned char *art = card_pixels(), *px = xmalloc((size_t)W * H * 3);
	struct png_rowcache *rc = png_rowcache_new();
	struct png_opts o = cached_opts(1, rc, art);
	unsigned long images, kept;

	(void)state;
	for (int i = 0; i < 100; i++) {
		struct buf b = BUF_INIT(1 << 24);

		series_card(art, px, 0, 0);
		for (int y = 40; y < 72; y++)
			for (int x = 0; x < W; x++)
				px[((size_t)y * W + (size_t)x) * 3 + 2] =
					(unsigned char)(i * 37 + x);
		assert_int_equal(png_encode_rgb_rows(W, H, rows_from, px, &o, &b), 0);
		assert_unfiltered_data(&b, px, W, H);
		assert_same_alone(&b, px, &o);
		buf_release(&b);
	}
	png_rowcache_counts(rc, &images, &kept);
	assert_int_equal(images, 100);
	assert_int_equal(kept, 99 * (40 + 228)); /* never a band: each is new */
	png_rowcache_free(rc);
	free(px);
	free(art);
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
		cmocka_unit_test(test_row_cache_series),
		cmocka_unit_test(test_row_cache_shapes),
		cmocka_unit_test(test_row_cache_evicts),
		cmocka_unit_test(test_output_limit),
		cmocka_unit_test(test_damage_is_named),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
