/*
 * jpeg_fixture.h - JPEG photos made in memory for the tests that check, ingest or prepare
 * photos (test_photo_check, test_rules, test_ingest, prepare_fixture.h): jpeg_fixture()
 * compresses a w x h image (components 3: RGB, 1: greyscale) whose rows the caller's
 * row() fills, at this quality (0: libjpeg's default); the JPEG bytes are malloc'd, their
 * length in *len. Header-only, for cmocka tests that include <cmocka.h> first.
 */
#ifndef JPEG_FIXTURE_H
#define JPEG_FIXTURE_H

#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>

#include <jpeglib.h>

/* Fill row y (w * components bytes); arg is the caller's (a noise seed, a colour). */
typedef void (*jpeg_fixture_row)(int y, unsigned char *row, void *arg);

static inline unsigned char *
jpeg_fixture(int w, int h, int components, int quality, jpeg_fixture_row row_fn, void *arg,
	     unsigned long *len)
{
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr err;
	unsigned char *out = NULL, *row = xmalloc((size_t)w * 3);

	*len = 0;
	c.err = jpeg_std_error(&err);
	jpeg_create_compress(&c);
	jpeg_mem_dest(&c, &out, len);
	c.image_width = (JDIMENSION)w;
	c.image_height = (JDIMENSION)h;
	c.input_components = components;
	c.in_color_space = components == 3 ? JCS_RGB : JCS_GRAYSCALE;
	jpeg_set_defaults(&c);
	if (quality)
		jpeg_set_quality(&c, quality, TRUE);
	jpeg_start_compress(&c, TRUE);
	for (int y = 0; y < h; y++) {
		JSAMPROW r = row;

		row_fn(y, row, arg);
		jpeg_write_scanlines(&c, &r, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	free(row);
	return out;
}

#endif
