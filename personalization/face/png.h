/*
 * png.h - PNG encoding and decoding for faces and panels (libpng). Encoding goes to
 * memory so the caller writes the file crash-safely; the filter and zlib level are
 * parameters because they decide most of the render stage's time. With filter "none" the
 * data is deflated by libdeflate (see png.c).
 */
#ifndef CP_FACE_PNG_H
#define CP_FACE_PNG_H

#include "core/buf.h"

#include <stddef.h>

/* Working memory that encoding with filter "none" reuses from one image to the next (the
 * compressor, the filtered rows, the compressed data), so that a renderer does not fault
 * megabytes of fresh pages in per card. One per thread: it is not shared. */
struct png_scratch;
struct png_scratch *png_scratch_new(void);
void png_scratch_free(struct png_scratch *s);

/* Compressed rows that images share with their reference (a card side with no data), kept
 * by their content so that each is compressed once: see png.c. One per kind of image
 * (a side's preview, its YMC patch...) and thread; not shared. */
struct png_rowcache;
struct png_rowcache *png_rowcache_new(void);
void png_rowcache_free(struct png_rowcache *c);
/* How many images were encoded in segments, and how many rows kept segments gave them. */
void png_rowcache_counts(const struct png_rowcache *c, unsigned long *images,
			 unsigned long *rows_kept);

struct png_opts {
	int level;  /* zlib level 0..9 */
	int filter; /* 0 none, 1 sub, 2 up, 3 avg, 4 paeth, 5 adaptive (libpng's choice) */
	int dpi;    /* pHYs resolution; 0 = no pHYs chunk */
	struct png_scratch *scratch; /* NULL: allocated and freed per image; not owned */
	/* With filter "none": rows equal to the reference's, ref_stride bytes apart and as wide
	 * as the image's, are compressed once and kept in rows. The file's bytes depend on its
	 * pixels and its reference only. NULL, NULL: deflated whole. Neither owned. */
	struct png_rowcache *rows;
	const unsigned char *ref;
	size_t ref_stride;
};

/* Parse "none|sub|up|avg|paeth|all" into opts->filter. CP_ERR_CONFIG if unknown. */
int png_filter_parse(const char *s, int *filter);

/* 8-bit RGB, w x h, rows top to bottom. */
int png_encode_rgb(const unsigned char *px, int w, int h, const struct png_opts *o,
		   struct buf *out);
/* What some files carry besides pixels: an oFFs chunk (position in pixels of this image
 * within a larger one) and a tEXt chunk with keyword PNG_NOTE_KEY. */
#define PNG_NOTE_KEY "cardpipe"
struct png_extra {
	int has_offset;
	int off_x, off_y;
	const char *note; /* NULL: no note; under 128 bytes of ASCII */
};
int png_encode_rgb_ex(const unsigned char *px, int w, int h, const struct png_opts *o,
		      const struct png_extra *x, struct buf *out);
/* 8-bit RGB produced a row at a time: row(ctx, y, buf) fills 3*w bytes (no full image). */
int png_encode_rgb_rows(int w, int h, void (*row)(void *ctx, int y, unsigned char *buf), void *ctx,
			const struct png_opts *o, struct buf *out);
/* 1 bit per pixel, rows of (w+7)/8 bytes MSB first; bit 1 = palette entry 1 (ink). */
int png_encode_bits(const unsigned char *bits, int w, int h, unsigned ink_rgb,
		    const struct png_opts *o, struct buf *out);

/* Decoded PNG: channels 3 (RGB, 8-bit) or 1 with bits 1 (packed, palette index). */
struct png_image {
	int w, h, channels, bits, dpi;
	size_t stride;
	unsigned char *data;
	int has_offset, off_x, off_y; /* oFFs in pixels */
	char note[128];		      /* tEXt PNG_NOTE_KEY, or "" */
};
int png_decode(const unsigned char *data, size_t len, struct png_image *out);
void png_image_release(struct png_image *im);

#endif
