/*
 * png.c - libpng encoder/decoder over memory buffers. libpng reports errors by longjmp;
 * every volatile below is a value that must survive one.
 *
 * With the row filter "none" (the render default) the image data is compressed by
 * libdeflate in one call instead of by zlib under libpng: the same DEFLATE stream format,
 * about 1.6 times faster at level 1 on a card face and a little smaller, and its Adler-32
 * is vectorised. libpng still writes every chunk and its CRC (png_write_chunk); the only
 * thing done here is the one filter byte (0) in front of each row.
 */
#include "personalization/face/png.h"

#include "core/err.h"
#include "core/mem.h"

#include <libdeflate.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* libpng's reason for an error (it then longjmps to the caller's setjmp); warnings are
 * not errors here and are dropped rather than printed to stderr. */
struct png_msg {
	char text[160];
};

static void
on_error(png_structp png, png_const_charp msg)
{
	struct png_msg *m = png_get_error_ptr(png);

	snprintf(m->text, sizeof(m->text), "%s", msg);
	png_longjmp(png, 1);
}

static void
on_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

static void
write_cb(png_structp png, png_bytep data, size_t len)
{
	struct buf *b = png_get_io_ptr(png);

	if (buf_append(b, data, len) < 0)
		png_error(png, "output too large");
}

static void
flush_cb(png_structp png)
{
	(void)png;
}

static int
filter_flags(int f)
{
	static const int flags[] = {PNG_FILTER_NONE, PNG_FILTER_SUB,   PNG_FILTER_UP,
				    PNG_FILTER_AVG,  PNG_FILTER_PAETH, PNG_ALL_FILTERS};

	return flags[f >= 0 && f <= 5 ? f : 1];
}

typedef void (*row_fn)(void *ctx, int y, unsigned char *buf);

/* IDAT chunks of at most this many bytes: any size is valid, smaller ones suit tools that
 * read a chunk at a time */
#define IDAT_MAX (256 * 1024)

struct png_scratch {
	struct libdeflate_compressor *c;
	int level;
	unsigned char *raw, *z;
	size_t rawcap, zcap;
};

struct png_scratch *
png_scratch_new(void)
{
	return xcalloc(1, sizeof(struct png_scratch));
}

void
png_scratch_free(struct png_scratch *s)
{
	if (!s)
		return;
	libdeflate_free_compressor(s->c);
	free(s->raw);
	free(s->z);
	free(s);
}

static void *
grow(unsigned char *p, size_t *cap, size_t n)
{
	if (n <= *cap)
		return p;
	free(p);
	*cap = n;
	return xmalloc(n);
}

/* The image data with filter type 0 on every row, deflated by libdeflate into s->z
 * (*zn bytes). */
static int
deflate_unfiltered(struct png_scratch *s, const unsigned char *rows, size_t stride, int h,
		   int level, row_fn fn, void *ctx, size_t *zn)
{
	size_t rawn = (stride + 1) * (size_t)h;

	s->raw = grow(s->raw, &s->rawcap, rawn);
	for (int y = 0; y < h; y++) {
		unsigned char *row = s->raw + (size_t)y * (stride + 1);

		row[0] = 0;
		if (fn)
			fn(ctx, y, row + 1);
		else
			memcpy(row + 1, rows + (size_t)y * stride, stride);
	}
	if (!s->c || s->level != level) {
		libdeflate_free_compressor(s->c);
		if (!(s->c = libdeflate_alloc_compressor(level)))
			return cp_err(CP_ERR_NOMEM,
				      "libdeflate: cannot create a level %d compressor", level);
		s->level = level;
	}
	s->z = grow(s->z, &s->zcap, libdeflate_zlib_compress_bound(s->c, rawn));
	if ((*zn = libdeflate_zlib_compress(s->c, s->raw, rawn, s->z, s->zcap)) == 0)
		/* cannot happen with the bound's room */
		return cp_err(CP_ERR_LIMIT, "libdeflate: output larger than its own bound");
	return 0;
}

/* rows: the image (stride bytes a row), or NULL with fn filling a row buffer per row. */
static int
encode(const unsigned char *rows, size_t stride, int w, int h, int color_type, int depth,
       const png_color *palette, int npal, const struct png_opts *o, const struct png_extra *x,
       struct buf *out, row_fn fn, void *ctx)
{
	unsigned char *volatile rowbuf = NULL;
	struct png_scratch *volatile own = NULL;
	struct png_msg msg = {""};
	png_structp png;
	png_infop info;

	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &msg, on_error, on_warning);
	if (!png)
		return cp_err(CP_ERR_NOMEM, "libpng: cannot create a writer");
	info = png_create_info_struct(png);
	if (!info) {
		png_destroy_write_struct(&png, NULL);
		return cp_err(CP_ERR_NOMEM, "libpng: cannot create info");
	}
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		free(rowbuf);
		png_scratch_free(own);
		return cp_err(CP_ERR_IO, "PNG encoding failed: %s", msg.text);
	}
	png_set_write_fn(png, out, write_cb, flush_cb);
	png_set_compression_level(png, o->level);
	/* large zlib windows of output per call: fewer IDAT chunks and calls */
	png_set_compression_buffer_size(png, 1 << 17);
	png_set_filter(png, PNG_FILTER_TYPE_BASE, filter_flags(o->filter));
	png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, depth, color_type,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	if (palette)
		png_set_PLTE(png, info, palette, npal);
	if (o->dpi > 0) {
		/* pixels per metre, rounded: 300 dpi = 11811 */
		png_uint_32 ppm = (png_uint_32)((o->dpi * 10000 + 127) / 254);

		png_set_pHYs(png, info, ppm, ppm, PNG_RESOLUTION_METER);
	}
	if (x && x->has_offset)
		png_set_oFFs(png, info, x->off_x, x->off_y, PNG_OFFSET_PIXEL);
	if (x && x->note) {
		png_text t = {.compression = PNG_TEXT_COMPRESSION_NONE,
			      .key = (png_charp)PNG_NOTE_KEY,
			      .text = (png_charp)x->note,
			      .text_length = strlen(x->note)};

		png_set_text(png, info, &t, 1);
	}
	png_write_info(png, info);
	if (o->filter == 0) {
		struct png_scratch *s = o->scratch ? o->scratch : (own = png_scratch_new());
		size_t zn = 0;
		int r = deflate_unfiltered(s, rows, stride, h, o->level, fn, ctx, &zn);

		if (r < 0) {
			png_destroy_write_struct(&png, &info);
			png_scratch_free(own);
			return r;
		}
		for (size_t off = 0; off < zn; off += IDAT_MAX)
			png_write_chunk(png, (png_const_bytep) "IDAT", s->z + off,
					zn - off < IDAT_MAX ? zn - off : IDAT_MAX);
		png_write_chunk(png, (png_const_bytep) "IEND", NULL, 0);
	} else if (fn) {
		rowbuf = xmalloc(stride + 1);
		for (int y = 0; y < h; y++) {
			fn(ctx, y, rowbuf);
			png_write_row(png, rowbuf);
		}
		png_write_end(png, NULL);
	} else {
		for (int y = 0; y < h; y++)
			png_write_row(png, rows + (size_t)y * stride);
		png_write_end(png, NULL);
	}
	png_destroy_write_struct(&png, &info);
	free(rowbuf);
	png_scratch_free(own);
	return 0;
}

int
png_encode_rgb(const unsigned char *px, int w, int h, const struct png_opts *o, struct buf *out)
{
	return encode(px, (size_t)w * 3, w, h, PNG_COLOR_TYPE_RGB, 8, NULL, 0, o, NULL, out, NULL,
		      NULL);
}

int
png_encode_rgb_ex(const unsigned char *px, int w, int h, const struct png_opts *o,
		  const struct png_extra *x, struct buf *out)
{
	return encode(px, (size_t)w * 3, w, h, PNG_COLOR_TYPE_RGB, 8, NULL, 0, o, x, out, NULL,
		      NULL);
}

int
png_encode_rgb_rows(int w, int h, void (*row)(void *ctx, int y, unsigned char *buf), void *ctx,
		    const struct png_opts *o, struct buf *out)
{
	return encode(NULL, (size_t)w * 3, w, h, PNG_COLOR_TYPE_RGB, 8, NULL, 0, o, NULL, out, row,
		      ctx);
}

int
png_encode_bits(const unsigned char *bits, int w, int h, unsigned ink_rgb, const struct png_opts *o,
		struct buf *out)
{
	png_color pal[2] = {
		{255, 255, 255},
		{(png_byte)(ink_rgb >> 16), (png_byte)(ink_rgb >> 8), (png_byte)ink_rgb}};

	return encode(bits, ((size_t)w + 7) / 8, w, h, PNG_COLOR_TYPE_PALETTE, 1, pal, 2, o, NULL,
		      out, NULL, NULL);
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
	struct png_msg msg = {""};
	unsigned char *volatile buf = NULL;
	png_uint_32 w, h, resx, resy;
	png_int_32 offx, offy;
	png_textp text = NULL;
	int depth, ctype, unit, ntext = 0;

	memset(out, 0, sizeof(*out));
	if (len < 8 || png_sig_cmp(data, 0, 8) != 0)
		return cp_err(CP_ERR_FORMAT, "not a PNG file");
	png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &msg, on_error, on_warning);
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
		return cp_err(CP_ERR_FORMAT, "corrupt PNG: %s", msg.text);
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
	if (png_get_oFFs(png, info, &offx, &offy, &unit) && unit == PNG_OFFSET_PIXEL) {
		out->has_offset = 1;
		out->off_x = offx;
		out->off_y = offy;
	}
	png_get_text(png, info, &text, &ntext);
	for (int i = 0; i < ntext; i++)
		if (!strcmp(text[i].key, PNG_NOTE_KEY)) {
			if (text[i].text_length >= sizeof(out->note)) {
				png_destroy_read_struct(&png, &info, NULL);
				return cp_err(CP_ERR_FORMAT, "PNG note '%s' is too long",
					      PNG_NOTE_KEY);
			}
			memcpy(out->note, text[i].text, text[i].text_length);
			out->note[text[i].text_length] = '\0';
		}
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
