/*
 * png.c - PNG encoder (our own chunk writer over zlib, in bands that can be reused from a
 * cache) and libpng decoder over memory buffers. libpng reports errors by longjmp;
 * every volatile below is a value that must survive one.
 */
#include "personalization/face/png.h"

#include "core/err.h"
#include "core/mem.h"

#include <png.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int
png_filter_parse(const char *s, int *filter)
{
	static const char *const names[] = {"none", "sub", "up", "avg", "paeth", "all"};

	for (int i = 0; i < 6; i++)
		if (!strcmp(s, names[i])) {
			*filter = i;
			return 0;
		}
	return cp_err(CP_ERR_CONFIG, "PNG filter '%s': expected none, sub, up, avg, paeth or all",
		      s);
}

static const unsigned char png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* A chunk whose data is already at out->data[at + 8 ..]: fill in length and CRC. */
static int
chunk_close(struct buf *out, size_t at)
{
	unsigned char crc[4];
	size_t len = out->len - at - 8;

	if (len > 0x7fffffffu)
		return cp_err(CP_ERR_LIMIT, "PNG chunk too large");
	put32(out->data + at, (uint32_t)len);
	put32(crc, (uint32_t)crc32(0L, out->data + at + 4, (uInt)(len + 4)));
	return buf_append(out, crc, 4);
}

static int
chunk_open(struct buf *out, const char *type, size_t *at)
{
	*at = out->len;
	if (buf_append(out, "\0\0\0\0", 4) < 0)
		return CP_ERR_LIMIT;
	return buf_append(out, type, 4);
}

static int
chunk(struct buf *out, const char *type, const void *data, size_t len)
{
	size_t at;
	int r;

	if ((r = chunk_open(out, type, &at)) < 0 || (len && (r = buf_append(out, data, len)) < 0))
		return r;
	return chunk_close(out, at);
}

static inline int
absdiff(int a)
{
	return a < 0 ? -a : a;
}

static inline unsigned char
paeth(int a, int b, int c)
{
	int p = a + b - c, pa = absdiff(p - a), pb = absdiff(p - b), pc = absdiff(p - c);

	return (unsigned char)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
}

/* One row filtered with filter type f (0..4) into out (n + 1 bytes); prev NULL = row 0. */
static void
filter_one(int f, const unsigned char *restrict row, const unsigned char *restrict prev, size_t n,
	   size_t bpp, unsigned char *restrict out)
{
	size_t i;

	out[0] = (unsigned char)f;
	out++;
	switch (f) {
	case 0: memcpy(out, row, n); break;
	case 1:
		for (i = 0; i < n && i < bpp; i++)
			out[i] = row[i];
		if (bpp == 3) { /* 16 bytes at a time (GCC/Clang vector extension) */
			typedef unsigned char v16 __attribute__((vector_size(16)));

			for (; i + 16 <= n; i += 16) {
				v16 a, b;

				memcpy(&a, row + i, 16);
				memcpy(&b, row + i - 3, 16);
				a -= b;
				memcpy(out + i, &a, 16);
			}
			for (; i < n; i++)
				out[i] = (unsigned char)(row[i] - row[i - 3]);
		} else
			for (; i < n; i++)
				out[i] = (unsigned char)(row[i] - row[i - bpp]);
		break;
	case 2:
		if (!prev)
			memcpy(out, row, n);
		else {
			typedef unsigned char v16 __attribute__((vector_size(16)));

			for (i = 0; i + 16 <= n; i += 16) {
				v16 a, b;

				memcpy(&a, row + i, 16);
				memcpy(&b, prev + i, 16);
				a -= b;
				memcpy(out + i, &a, 16);
			}
			for (; i < n; i++)
				out[i] = (unsigned char)(row[i] - prev[i]);
		}
		break;
	case 3:
		for (i = 0; i < n; i++) {
			int a = i >= bpp ? row[i - bpp] : 0, b = prev ? prev[i] : 0;

			out[i] = (unsigned char)(row[i] - ((a + b) >> 1));
		}
		break;
	default:
		for (i = 0; i < n; i++) {
			int a = i >= bpp ? row[i - bpp] : 0, b = prev ? prev[i] : 0,
			    c = prev && i >= bpp ? prev[i - bpp] : 0;

			out[i] = (unsigned char)(row[i] - paeth(a, b, c));
		}
		break;
	}
}

/* Filter 5 ("all"): the type whose output has the least sum of |signed byte| (the usual
 * heuristic); scratch holds 5 rows of n + 1 bytes. */
static void
filter_row(int f, const unsigned char *row, const unsigned char *prev, size_t n, size_t bpp,
	   unsigned char *out, unsigned char *scratch)
{
	unsigned long best = (unsigned long)-1;
	int bestf = 0;

	if (f >= 0 && f <= 4) {
		filter_one(f, row, prev, n, bpp, out);
		return;
	}
	for (int t = 0; t < 5; t++) {
		unsigned char *o = scratch + (size_t)t * (n + 1);
		unsigned long sum = 0;

		filter_one(t, row, prev, n, bpp, o);
		for (size_t i = 1; i <= n; i++)
			sum += (unsigned long)absdiff((signed char)o[i]);
		if (sum < best) {
			best = sum;
			bestf = t;
		}
	}
	memcpy(out, scratch + (size_t)bestf * (n + 1), n + 1);
}

void
png_band_cache_release(struct png_band_cache *bc)
{
	if (!bc)
		return;
	free(bc->ref);
	free(bc->cur);
	if (bc->band)
		for (int i = 0; i < bc->nbands; i++)
			buf_release(&bc->band[i].z);
	free(bc->band);
	memset(bc, 0, sizeof(*bc));
}

/*
 * Rows are encoded in bands of PNG_BAND_ROWS rows, each band deflated on its own
 * (deflateReset, then a sync flush: byte-aligned, no reference to earlier bands), so its
 * compressed bytes depend only on its filtered rows. A band equal to the cached
 * reference's is copied, not compressed again: on a card most bands are artwork that
 * is the same on every card. The zlib stream's Adler-32 is combined from the bands'.
 * The bytes are the same whether a band came from the cache or not.
 */
static int
encode(const unsigned char *rows, size_t stride, int w, int h, int color_type, int depth,
       const unsigned char *palette, int npal, const struct png_opts *o, struct buf *out,
       png_row_fn fn, void *ctx, struct png_band_cache *bc)
{
	size_t bpp = color_type == 2 ? 3 : 1, at = 0, flen = 0;
	int nb = (h + PNG_BAND_ROWS - 1) / PNG_BAND_ROWS, level = o->level, use_cache, r = 0;
	int needs_prev = o->filter >= 2;
	unsigned char ihdr[13], *filt = NULL, *scratch = NULL, *own = NULL;
	uLong adler = adler32(0L, Z_NULL, 0);
	z_stream z;
	int zinit = 0;

	if (w < 1 || h < 1)
		return cp_err(CP_ERR_INVALID, "PNG of %dx%d pixels", w, h);
	if (level < 0 || level > 9)
		level = 6;
	use_cache = bc && bc->ref && bc->w == w && bc->h == h && bc->stride == stride &&
		    bc->color_type == color_type && bc->level == level && bc->filter == o->filter;
	if (bc && !use_cache) {
		png_band_cache_release(bc);
		bc->w = w;
		bc->h = h;
		bc->stride = stride;
		bc->color_type = color_type;
		bc->level = level;
		bc->filter = o->filter;
		bc->nbands = nb;
		bc->band = xcalloc((size_t)nb, sizeof(*bc->band));
		for (int i = 0; i < nb; i++)
			buf_init(&bc->band[i].z, BUF_UNLIMITED);
	}

	/* the rows to encode, all in memory: the caller's, or filled by fn */
	if (fn) {
		if (bc) {
			if (!bc->cur || bc->cur_size != stride * (size_t)h) {
				free(bc->cur);
				bc->cur = xmalloc(stride * (size_t)h + 1);
				bc->cur_size = stride * (size_t)h;
			}
			own = bc->cur;
		} else
			own = xmalloc(stride * (size_t)h + 1);
		for (int y = 0; y < h; y++)
			fn(ctx, y, own + (size_t)y * stride);
		rows = own;
	}
	if ((r = buf_append(out, png_sig, sizeof(png_sig))) < 0)
		goto out;
	put32(ihdr, (uint32_t)w);
	put32(ihdr + 4, (uint32_t)h);
	ihdr[8] = (unsigned char)depth;
	ihdr[9] = (unsigned char)color_type;
	ihdr[10] = ihdr[11] = ihdr[12] = 0; /* deflate, adaptive filtering, no interlace */
	if ((r = chunk(out, "IHDR", ihdr, sizeof(ihdr))) < 0)
		goto out;
	if (palette && (r = chunk(out, "PLTE", palette, (size_t)npal * 3)) < 0)
		goto out;
	if (o->dpi > 0) {
		/* pixels per metre, rounded: 300 dpi = 11811 */
		unsigned char phys[9];
		uint32_t ppm = (uint32_t)((o->dpi * 10000 + 127) / 254);

		put32(phys, ppm);
		put32(phys + 4, ppm);
		phys[8] = 1; /* metre */
		if ((r = chunk(out, "pHYs", phys, sizeof(phys))) < 0)
			goto out;
	}
	if ((r = chunk_open(out, "IDAT", &at)) < 0)
		goto out;
	/* zlib header: deflate, 32K window, FLEVEL by level (FCHECK makes it a multiple of 31) */
	{
		unsigned char hdr[2] = {0x78, level <= 1   ? 0x01
					      : level <= 5 ? 0x5e
					      : level == 6 ? 0x9c
							   : 0xda};

		if ((r = buf_append(out, hdr, 2)) < 0)
			goto out;
	}
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, level, Z_DEFLATED, -15, 8, o->rle ? Z_RLE : Z_DEFAULT_STRATEGY) !=
	    Z_OK) {
		r = cp_err(CP_ERR_NOMEM, "zlib: cannot start a compressor");
		goto out;
	}
	zinit = 1;
	flen = (stride + 1) * PNG_BAND_ROWS;
	filt = xmalloc(flen);
	if (o->filter == 5)
		scratch = xmalloc((stride + 1) * 5);
	for (int b = 0; b < nb; b++) {
		int y0 = b * PNG_BAND_ROWS, y1 = y0 + PNG_BAND_ROWS < h ? y0 + PNG_BAND_ROWS : h;
		int cy0 = needs_prev && y0 > 0 ? y0 - 1 : y0;
		size_t n = (size_t)(y1 - y0) * (stride + 1);

		if (use_cache && memcmp(rows + (size_t)cy0 * stride, bc->ref + (size_t)cy0 * stride,
					(size_t)(y1 - cy0) * stride) == 0) {
			if ((r = buf_append(out, bc->band[b].z.data, bc->band[b].z.len)) < 0)
				goto out;
			adler = adler32_combine(adler, bc->band[b].adler, (z_off_t)n);
			continue;
		}
		for (int y = y0; y < y1; y++)
			filter_row(o->filter, rows + (size_t)y * stride,
				   y ? rows + (size_t)(y - 1) * stride : NULL, stride, bpp,
				   filt + (size_t)(y - y0) * (stride + 1), scratch);
		uLong ba = adler32(adler32(0L, Z_NULL, 0), filt, (uInt)n);
		size_t before = out->len;

		adler = adler32_combine(adler, ba, (z_off_t)n);
		deflateReset(&z);
		z.next_in = filt;
		z.avail_in = (uInt)n;
		do {
			unsigned char tmp[1 << 16];
			int zr;

			z.next_out = tmp;
			z.avail_out = sizeof(tmp);
			zr = deflate(&z, Z_SYNC_FLUSH);
			if (zr != Z_OK && zr != Z_BUF_ERROR) {
				r = cp_err(CP_ERR_IO, "zlib: deflate failed (%d)", zr);
				goto out;
			}
			if ((r = buf_append(out, tmp, sizeof(tmp) - z.avail_out)) < 0)
				goto out;
		} while (z.avail_out == 0);
		if (bc && !use_cache) {
			/* the first image is the reference for the next ones */
			if ((r = buf_append(&bc->band[b].z, out->data + before,
					    out->len - before)) < 0)
				goto out;
			bc->band[b].adler = ba;
		}
	}
	if (bc && !use_cache) {
		bc->ref = xmalloc(stride * (size_t)h + 1);
		memcpy(bc->ref, rows, stride * (size_t)h);
	}
	{
		/* a last, empty, final block (fixed Huffman), then the Adler-32 */
		unsigned char tail[6] = {0x03, 0x00};

		put32(tail + 2, (uint32_t)adler);
		if ((r = buf_append(out, tail, sizeof(tail))) < 0 ||
		    (r = chunk_close(out, at)) < 0 || (r = chunk(out, "IEND", NULL, 0)) < 0)
			goto out;
	}
	r = 0;
out:
	if (zinit)
		deflateEnd(&z);
	free(filt);
	free(scratch);
	if (own && (!bc || own != bc->cur))
		free(own);
	if (r < 0 && bc)
		png_band_cache_release(bc);
	return r < 0 ? r : 0;
}

int
png_encode_rgb(const unsigned char *px, int w, int h, const struct png_opts *o, struct buf *out)
{
	return encode(px, (size_t)w * 3, w, h, 2, 8, NULL, 0, o, out, NULL, NULL, NULL);
}

int
png_encode_rgb_cached(const unsigned char *px, int w, int h, const struct png_opts *o,
		      struct png_band_cache *bc, struct buf *out)
{
	return encode(px, (size_t)w * 3, w, h, 2, 8, NULL, 0, o, out, NULL, NULL, bc);
}

int
png_encode_rgb_rows(int w, int h, png_row_fn row, void *ctx, const struct png_opts *o,
		    struct png_band_cache *bc, struct buf *out)
{
	return encode(NULL, (size_t)w * 3, w, h, 2, 8, NULL, 0, o, out, row, ctx, bc);
}

int
png_encode_bits_cached(const unsigned char *bits, int w, int h, unsigned ink_rgb,
		       const struct png_opts *o, struct png_band_cache *bc, struct buf *out)
{
	unsigned char pal[6] = {255,
				255,
				255,
				(unsigned char)(ink_rgb >> 16),
				(unsigned char)(ink_rgb >> 8),
				(unsigned char)ink_rgb};

	return encode(bits, ((size_t)w + 7) / 8, w, h, 3, 1, pal, 2, o, out, NULL, NULL, bc);
}

int
png_encode_bits(const unsigned char *bits, int w, int h, unsigned ink_rgb, const struct png_opts *o,
		struct buf *out)
{
	return png_encode_bits_cached(bits, w, h, ink_rgb, o, NULL, out);
}

struct rd {
	const unsigned char *p;
	size_t len, off;
};

static void
read_cb(png_structp png, png_bytep data, size_t len)
{
	struct rd *r = png_get_io_ptr(png);

	if (len > r->len - r->off)
		png_error(png, "truncated PNG");
	memcpy(data, r->p + r->off, len);
	r->off += len;
}

int
png_decode(const unsigned char *data, size_t len, struct png_image *out)
{
	png_structp png;
	png_infop info;
	struct rd rd = {data, len, 0};
	unsigned char *volatile buf = NULL;
	png_uint_32 w, h, resx, resy;
	int depth, ctype, unit;

	memset(out, 0, sizeof(*out));
	if (len < 8 || png_sig_cmp(data, 0, 8) != 0)
		return cp_err(CP_ERR_FORMAT, "not a PNG file");
	png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	if (!png)
		return cp_err(CP_ERR_NOMEM, "libpng: cannot create a reader");
	info = png_create_info_struct(png);
	if (!info) {
		png_destroy_read_struct(&png, NULL, NULL);
		return cp_err(CP_ERR_NOMEM, "libpng: cannot create info");
	}
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_read_struct(&png, &info, NULL);
		free(buf);
		return cp_err(CP_ERR_FORMAT, "corrupt PNG");
	}
	png_set_read_fn(png, &rd, read_cb);
	png_read_info(png, info);
	png_get_IHDR(png, info, &w, &h, &depth, &ctype, NULL, NULL, NULL);
	if (w == 0 || h == 0 || w > 8192 || h > 8192 || png_get_interlace_type(png, info) != 0 ||
	    !((ctype == PNG_COLOR_TYPE_RGB && depth == 8) ||
	      (ctype == PNG_COLOR_TYPE_PALETTE && depth == 1))) {
		png_destroy_read_struct(&png, &info, NULL);
		return cp_err(CP_ERR_FORMAT,
			      "PNG is %ux%u type %d depth %d; expected 8-bit RGB or 1-bit palette, "
			      "not interlaced",
			      w, h, ctype, depth);
	}
	out->w = (int)w;
	out->h = (int)h;
	out->channels = ctype == PNG_COLOR_TYPE_RGB ? 3 : 1;
	out->bits = depth;
	out->stride = png_get_rowbytes(png, info);
	if (png_get_pHYs(png, info, &resx, &resy, &unit) && unit == PNG_RESOLUTION_METER)
		out->dpi = (int)((resx * 254 + 5000) / 10000);
	buf = xmalloc(out->stride * h + 1);
	for (png_uint_32 y = 0; y < h; y++)
		png_read_row(png, buf + out->stride * y, NULL);
	png_read_end(png, NULL);
	png_destroy_read_struct(&png, &info, NULL);
	out->data = buf;
	return 0;
}

void
png_image_release(struct png_image *im)
{
	free(im->data);
	im->data = NULL;
}
