/*
 * png.c - libpng encoder/decoder over memory buffers. libpng reports errors by longjmp;
 * every volatile below is a value that must survive one.
 *
 * With the row filter "none" (the render default) the image data is compressed here, not
 * by zlib under libpng: by libdeflate in one call (the same DEFLATE stream format, about
 * 1.6 times faster at level 1 on a card face and a little smaller, its Adler-32
 * vectorised), or in segments with a row cache (below). libpng still writes every chunk
 * and its CRC (png_write_chunk); what is done here is the filter byte (0) in front of each
 * row and the zlib stream of the image data.
 */
#include "personalization/face/png.h"

#include "core/err.h"
#include "core/mem.h"

#include <libdeflate.h>
#include <png.h>
#include <stdio.h>
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

/*
 * Rows an image shares with its reference, compressed once.
 *
 * A card side's files are mostly what a card with no data shows: only the rows that cross
 * a personal element (name, numbers, photo, the bank's name) differ. The caller gives that
 * blank card's image as the reference. Rows equal to the reference's, byte for byte, in
 * runs of at least RUN_MIN, are static; the rest are dynamic. The image data is then one
 * zlib stream of independent DEFLATE segments: one for each run above the first dynamic
 * run longer than DYN_KEPT_MAX rows (the card's own; else the last dynamic run), and one
 * from there to the bottom, compressed by libdeflate and ending the stream. A segment that
 * is not the last ends with a sync flush (an empty stored block), so the next starts on a
 * byte boundary and none refers back into another. Only zlib can end a segment that way,
 * and it is about half libdeflate's speed on these rows: that is why the rows below the
 * card's own are compressed with them. A segment's bytes depend on its rows alone, so the
 * cache keeps each by its content (a static run, or a bank's name, is the same card after
 * card), and a file's bytes depend on its pixels and its reference alone, never on the
 * cards before it. The Adler-32 is of all the rows: the pixels are those of a file
 * compressed in one call, only the compressed bytes differ.
 */
#define RUN_MIN 8	       /* rows: a shorter static run is not worth a segment */
#define KEPT 64		       /* segments kept per cache */
#define KEPT_BYTES (16u << 20) /* and their bytes, raw and compressed, at most */
#define DYN_KEPT_MAX 64	       /* rows: a longer run unlike the reference is the card's own */

struct kept_segment {
	uint32_t crc;	    /* of raw */
	int final;	    /* ends the stream (else a sync flush) */
	unsigned char *raw; /* the rows it holds, len bytes */
	size_t len, zn;
	unsigned char *z; /* raw compressed, zn bytes */
	unsigned long used;
};

struct png_rowcache {
	struct kept_segment seg[KEPT];			   /* raw == NULL: a free slot */
	size_t bytes;					   /* of raw and z kept */
	int level;					   /* of every segment kept; -1 none yet */
	unsigned long tick, image_tick, images, rows_kept; /* image_tick: when this image began */
	z_stream zs;
	int zs_level; /* level zs was made with; -1: none yet */
};

struct png_rowcache *
png_rowcache_new(void)
{
	struct png_rowcache *c = xcalloc(1, sizeof(*c));

	c->level = c->zs_level = -1;
	return c;
}

/* Slot i of the cache is free again. */
static void
drop_segment(struct png_rowcache *c, int i)
{
	c->bytes -= c->seg[i].len + c->seg[i].zn;
	free(c->seg[i].raw);
	free(c->seg[i].z);
	memset(&c->seg[i], 0, sizeof(c->seg[i]));
}

static void
rowcache_clear(struct png_rowcache *c)
{
	for (int i = 0; i < KEPT; i++)
		drop_segment(c, i);
}

void
png_rowcache_free(struct png_rowcache *c)
{
	if (!c)
		return;
	rowcache_clear(c);
	if (c->zs_level >= 0)
		deflateEnd(&c->zs);
	free(c);
}

void
png_rowcache_counts(const struct png_rowcache *c, unsigned long *images, unsigned long *rows_kept)
{
	*images = c->images;
	*rows_kept = c->rows_kept;
}

/* Rows raw[0..n) as one raw DEFLATE segment at out (room: zlib_room(n)), ending with a
 * sync flush. */
static int
zlib_segment(struct png_rowcache *c, int level, const unsigned char *raw, size_t n,
	     unsigned char *out, size_t room, size_t *zn)
{
	int zr;

	if (c->zs_level != level) {
		if (c->zs_level >= 0)
			deflateEnd(&c->zs);
		memset(&c->zs, 0, sizeof(c->zs));
		c->zs_level = -1;
		/* windowBits -15: raw DEFLATE, the zlib wrapper is written once around them */
		if (deflateInit2(&c->zs, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
			return cp_err(CP_ERR_NOMEM, "zlib: cannot create a level %d compressor",
				      level);
		c->zs_level = level;
	} else if (deflateReset(&c->zs) != Z_OK)
		return cp_err(CP_ERR_INTEGRITY, "zlib: the compressor cannot be reset");
	c->zs.next_in = (unsigned char *)raw;
	c->zs.avail_in = (uInt)n;
	c->zs.next_out = out;
	c->zs.avail_out = (uInt)room;
	zr = deflate(&c->zs, Z_SYNC_FLUSH);
	/* a flush is complete only if it left room unused */
	if (c->zs.avail_in != 0 || c->zs.avail_out == 0 || zr != Z_OK)
		/* cannot happen with zlib_room */
		return cp_err(CP_ERR_LIMIT, "zlib: a segment did not fit its bound");
	*zn = room - c->zs.avail_out;
	return 0;
}

static size_t
zlib_room(size_t n)
{
	/* compressBound covers the zlib wrapper too; a sync flush adds at most 6 bytes */
	return compressBound((uLong)n) + 6;
}

/* The segment holding raw[0..len) (final: ending the stream) from the cache, compressed
 * if new: *idx is its slot; 1 if it was there already. A new one takes a free slot, the
 * least recently used going first while the slots or KEPT_BYTES are used up: never one of
 * this image's (their slots are in the caller's hands; at most KEPT / 2 of them). */
static int
kept_segment(struct png_rowcache *c, struct libdeflate_compressor *dc, const unsigned char *raw,
	     size_t len, int final, int *idx)
{
	uint32_t crc = (uint32_t)libdeflate_crc32(0, raw, len);
	struct kept_segment *e;
	int r, i, free_slot;

	c->tick++;
	for (i = 0; i < KEPT; i++) {
		e = &c->seg[i];
		if (e->raw && e->crc == crc && e->len == len && e->final == final &&
		    !memcmp(e->raw, raw, len)) {
			e->used = c->tick;
			*idx = i;
			return 1;
		}
	}
	for (;;) {
		int old = -1;

		free_slot = -1;
		for (i = 0; i < KEPT; i++)
			if (!c->seg[i].raw)
				free_slot = free_slot < 0 ? i : free_slot;
			else if (c->seg[i].used <= c->image_tick &&
				 (old < 0 || c->seg[i].used < c->seg[old].used))
				old = i;
		if (old < 0 || (free_slot >= 0 && c->bytes + len <= KEPT_BYTES))
			break;
		drop_segment(c, old);
	}
	if (free_slot < 0) /* cannot happen: this image has at most KEPT / 2 */
		return cp_err(CP_ERR_LIMIT, "PNG row cache: no free slot");
	e = &c->seg[free_slot];
	if (final) { /* nothing follows it: libdeflate's, smaller and faster */
		size_t room = libdeflate_deflate_compress_bound(dc, len);

		e->z = xmalloc(room);
		if (!(e->zn = libdeflate_deflate_compress(dc, raw, len, e->z, room))) {
			free(e->z);
			memset(e, 0, sizeof(*e));
			/* cannot happen with the bound's room */
			return cp_err(CP_ERR_LIMIT, "libdeflate: output larger than its bound");
		}
	} else {
		e->z = xmalloc(zlib_room(len));
		if ((r = zlib_segment(c, c->level, raw, len, e->z, zlib_room(len), &e->zn)) < 0) {
			free(e->z);
			memset(e, 0, sizeof(*e));
			return r;
		}
	}
	e->z = xrealloc(e->z, e->zn); /* kept for long: not the raw rows' size it had room for */
	e->raw = xmalloc(len);
	memcpy(e->raw, raw, len);
	e->crc = crc, e->len = len, e->final = final, e->used = c->tick;
	c->bytes += len + e->zn;
	*idx = free_slot;
	return 0;
}

/* Split rows 0..h of raw into runs: run i starts at row starts[i] and is static (equal to
 * the reference's rows) if is_static[i]. Returns how many. Equal rows in a run shorter
 * than RUN_MIN join the dynamic rows around them. The first dynamic run longer than
 * DYN_KEPT_MAX ends the split: it runs to h, as deflate_by_runs() compresses everything
 * from it down in one piece anyway (the rows below it are not compared: most of a card). */
static int
split_runs(const unsigned char *raw, size_t stride, int h, const unsigned char *ref,
	   size_t ref_stride, int *starts, unsigned char *is_static)
{
	size_t rs = stride + 1;
	int n = 0, y = 0;

	while (y < h) {
		int e = y;

		while (e < h &&
		       !memcmp(raw + rs * (size_t)e + 1, ref + ref_stride * (size_t)e, stride))
			e++;
		if (e - y >= RUN_MIN) {
			starts[n] = y, is_static[n++] = 1;
			y = e;
			continue;
		}
		if (n == 0 || is_static[n - 1])
			starts[n] = y, is_static[n++] = 0;
		y = e > y ? e : y + 1;
		if (y - starts[n - 1] > DYN_KEPT_MAX)
			break;
	}
	starts[n] = h;
	return n;
}

static void
put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
}

/* s->raw (h filtered rows of stride + 1 bytes) as one zlib stream in s->z (*zn bytes), its
 * segments above the last dynamic run from cache c. 1 = not done (less than an eighth of
 * the rows above it): the caller deflates the image whole. */
static int
deflate_by_runs(struct png_scratch *s, struct png_rowcache *c, const unsigned char *ref,
		size_t ref_stride, size_t stride, int h, int level, size_t *zn)
{
	size_t rs = stride + 1, room = 2 + 4, at = 2;
	int *starts, *kept, n, last, above, r = 1;
	unsigned long hit_rows = 0;
	unsigned char *is_static;

	if (c->level != level) {
		rowcache_clear(c);
		c->level = level;
	}
	c->image_tick = c->tick;
	starts = xmalloc(sizeof(int) * (size_t)(h + 1));
	kept = xmalloc(sizeof(int) * (size_t)h);
	is_static = xmalloc((size_t)h);
	n = split_runs(s->raw, stride, h, ref, ref_stride, starts, is_static);
	/* the last segment: from the first long dynamic run down (a short one, such as a
	 * bank's name, is kept by content), else from the last dynamic run; the whole image
	 * if it is all static */
	for (last = 0; last < n; last++)
		if (!is_static[last] && starts[last + 1] - starts[last] > DYN_KEPT_MAX)
			break;
	if (last == n)
		for (last = n - 1; last > 0 && is_static[last]; last--)
			;
	above = starts[last] > 0 ? starts[last] : (n == 1 && is_static[0] ? h : 0);
	if (above * 8 < h || last > KEPT / 2)
		goto out;
	/* the kept segments first (none of this image's evicts another: at most KEPT / 2),
	 * then room for all */
	for (int i = 0; i < n && i <= last; i++) {
		int fin = i == last;
		size_t len = rs * (size_t)((fin ? h : starts[i + 1]) - starts[i]);

		if (fin && !is_static[i]) {
			room += libdeflate_deflate_compress_bound(s->c, len);
			continue;
		}
		if ((r = kept_segment(c, s->c, s->raw + rs * (size_t)starts[i], len, fin,
				      &kept[i])) < 0)
			goto out;
		if (r == 1)
			hit_rows += (unsigned long)(len / rs);
		room += c->seg[kept[i]].zn;
	}
	s->z = grow(s->z, &s->zcap, room);
	/* CMF: DEFLATE, 32K window; FLG: the level (informative only), and the check */
	s->z[0] = 0x78;
	s->z[1] = (unsigned char)((level < 2 ? 0 : level < 6 ? 1 : level == 6 ? 2 : 3) << 6);
	s->z[1] = (unsigned char)(s->z[1] + 31 - (0x78 * 256 + s->z[1]) % 31);
	r = 0;
	for (int i = 0; i < n && i <= last && r == 0; i++) {
		size_t zk;

		if (i == last && !is_static[i]) {
			zk = libdeflate_deflate_compress(s->c, s->raw + rs * (size_t)starts[i],
							 rs * (size_t)(h - starts[i]), s->z + at,
							 room - at);
			if (!zk) /* cannot happen with the bound's room */
				r = cp_err(CP_ERR_LIMIT,
					   "libdeflate: output larger than its bound");
		} else {
			zk = c->seg[kept[i]].zn;
			memcpy(s->z + at, c->seg[kept[i]].z, zk);
		}
		at += zk;
	}
	if (r == 0) {
		put_be32(s->z + at, libdeflate_adler32(1, s->raw, rs * (size_t)h));
		*zn = at + 4;
		c->images++;
		c->rows_kept += hit_rows;
	}
out:
	free(starts);
	free(kept);
	free(is_static);
	return r;
}

/* The image data with filter type 0 on every row, deflated into s->z (*zn bytes): by
 * libdeflate in one call, or by runs of rows when o gives a row cache and a reference. */
static int
deflate_unfiltered(struct png_scratch *s, const struct png_opts *o, const unsigned char *rows,
		   size_t stride, int h, row_fn fn, void *ctx, size_t *zn)
{
	size_t rawn = (stride + 1) * (size_t)h;
	int level = o->level, r;

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
	if (o->rows && o->ref &&
	    (r = deflate_by_runs(s, o->rows, o->ref, o->ref_stride, stride, h, level, zn)) <= 0)
		return r;
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
		int r = deflate_unfiltered(s, o, rows, stride, h, fn, ctx, &zn);

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
