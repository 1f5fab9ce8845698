/*
 * sample_photo.c - draws a head-and-shoulders portrait on white and encodes it with
 * libjpeg-turbo (see sample_photo.h). Flat shapes alone compress to a few KB, far below the
 * size real photos have, so hair, skin and clothes carry a fixed noise texture whose
 * strength is steered until the file lands in the standard's size range.
 */
#include "pipeline/stages/sample_photo.h"

#include "core/err.h"
#include "core/mem.h"

#include <stdio.h> /* before jpeglib.h, which uses FILE */

#include <jpeglib.h>
#include <math.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

enum region { R_BACK = 0, R_HAIR, R_SKIN, R_CLOTH, R_FEATURE };

struct canvas {
	int w, h;
	unsigned char *rgb;   /* w*h*3, the flat drawing */
	unsigned char *where; /* region of each pixel */
};

static void
put(struct canvas *c, int x, int y, const unsigned char col[3], enum region reg)
{
	unsigned char *p;

	if (x < 0 || y < 0 || x >= c->w || y >= c->h)
		return;
	p = c->rgb + ((size_t)y * (size_t)c->w + (size_t)x) * 3;
	memcpy(p, col, 3);
	c->where[(size_t)y * (size_t)c->w + (size_t)x] = (unsigned char)reg;
}

/* Fill the ellipse centred (cx, cy) with half-axes (rx, ry), rows y0 <= y < y1 only. */
static void
ellipse(struct canvas *c, double cx, double cy, double rx, double ry, const unsigned char col[3],
	enum region reg, double y0, double y1)
{
	for (int y = (int)(cy - ry) - 1; y <= (int)(cy + ry) + 1; y++) {
		double dy = (y + 0.5 - cy) / ry, half;

		if (y < y0 || y >= y1 || dy * dy >= 1.0)
			continue;
		half = rx * sqrt(1.0 - dy * dy);
		for (int x = (int)lround(cx - half); x <= (int)lround(cx + half); x++)
			put(c, x, y, col, reg);
	}
}

static void
shade(unsigned char out[3], const unsigned char in[3], int delta)
{
	for (int i = 0; i < 3; i++) {
		int v = in[i] + delta;

		out[i] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
	}
}

/* Draw the portrait; fill geo. Everything scales with the width so that the wrong-size
 * photos are the same person, smaller. */
static void
draw(struct canvas *c, struct rng *r, struct photo_geometry *geo)
{
	static const unsigned char skins[][3] = {{236, 200, 170}, {226, 186, 152}, {214, 170, 135},
						 {244, 212, 186}, {200, 152, 118}, {176, 126, 92}};
	static const unsigned char hairs[][3] = {{28, 24, 22}, {45, 35, 30},	{70, 52, 38},
						 {20, 20, 24}, {150, 148, 146}, {96, 70, 48}};
	static const unsigned char cloths[][3] = {{32, 48, 92},	 {60, 60, 66}, {24, 24, 28},
						  {110, 30, 40}, {40, 80, 60}, {70, 90, 130},
						  {120, 100, 80}};
	const double s = c->w / (double)SAMPLE_PHOTO_W;
	unsigned char skin[3], hair[3], cloth[3], dark[3],
		eye_white[3] = {240, 240, 236}, pupil[3] = {30, 24, 20}, lips[3] = {176, 86, 84};
	double cx = (SAMPLE_PHOTO_W / 2.0 + rng_range(r, -7, 7)) * s;
	double a = rng_range(r, 98, 116) * s;		     /* face half-width: 196-232 px */
	double b = a * (1.22 + rng_range(r, 0, 10) / 100.0); /* face half-height */
	double hair_top = rng_range(r, 10, 18) * s;	     /* standard: 7-21 px */
	double hair_a = a + rng_range(r, 8, 16) * s, hair_b = b * 0.62;
	double face_top = hair_top + rng_range(r, 26, 34) * s;
	double face_cy = face_top + b, chin = face_top + 2 * b;
	double fringe = face_top + b * (0.28 + rng_range(r, 0, 12) / 100.0);
	double eye_y = face_cy - b * 0.10, eye_dx = a * 0.38;
	double shoulder = rng_range(r, 128, 138) * s;

	memcpy(skin, skins[rng_below(r, ARRAY_SIZE(skins))], 3);
	memcpy(hair, hairs[rng_below(r, ARRAY_SIZE(hairs))], 3);
	memcpy(cloth, cloths[rng_below(r, ARRAY_SIZE(cloths))], 3);

	/* white background */
	memset(c->rgb, 255, (size_t)c->w * (size_t)c->h * 3);
	memset(c->where, R_BACK, (size_t)c->w * (size_t)c->h);

	/* shoulders and neck, then the hair mass, then the face under the fringe */
	for (int y = (int)(chin - 8 * s); y < c->h; y++) {
		double t = (y - (chin - 8 * s)) / (c->h - (chin - 8 * s));
		double half = a * 0.55 + (shoulder - a * 0.55) * sqrt(t < 1 ? t : 1);

		for (int x = (int)(cx - half); x <= (int)(cx + half); x++)
			put(c, x, y, cloth, R_CLOTH);
	}
	shade(dark, skin, -18);
	for (int y = (int)(chin - 40 * s); y < (int)(chin + 22 * s); y++)
		for (int x = (int)(cx - a * 0.36); x <= (int)(cx + a * 0.36); x++)
			put(c, x, y, dark, R_SKIN);
	ellipse(c, cx, hair_top + hair_b, hair_a, hair_b, hair, R_HAIR, 0, c->h);
	ellipse(c, cx, face_cy - b * 0.25, hair_a, b * 0.9, hair, R_HAIR, 0, face_cy + b * 0.2);
	/* ears, then the face */
	ellipse(c, cx - a, eye_y + 14 * s, 11 * s, 22 * s, dark, R_SKIN, 0, c->h);
	ellipse(c, cx + a, eye_y + 14 * s, 11 * s, 22 * s, dark, R_SKIN, 0, c->h);
	ellipse(c, cx, face_cy, a, b, skin, R_SKIN, fringe, c->h);

	/* features */
	for (int k = -1; k <= 1; k += 2) {
		double ex = cx + k * eye_dx;

		ellipse(c, ex, eye_y - 17 * s, 19 * s, 3.5 * s, hair, R_FEATURE, 0, c->h);
		ellipse(c, ex, eye_y, 15 * s, 6.5 * s, eye_white, R_FEATURE, 0, c->h);
		ellipse(c, ex, eye_y, 5.5 * s, 5.5 * s, pupil, R_FEATURE, 0, c->h);
	}
	shade(dark, skin, -26);
	ellipse(c, cx, eye_y + b * 0.36, 9 * s, 16 * s, dark, R_FEATURE, 0, c->h);
	ellipse(c, cx, eye_y + b * 0.62, a * 0.30, 6 * s, lips, R_FEATURE, 0, c->h);

	geo->face_left = (int)lround(cx - a);
	geo->face_right = (int)lround(cx + a);
	geo->hair_top = (int)lround(hair_top);
	geo->eye_mid_x = (int)lround(cx);
	geo->eye_y = (int)lround(eye_y);
}

/* libjpeg reports errors through a longjmp */
struct jerr {
	struct jpeg_error_mgr mgr;
	jmp_buf jump;
};

static void
on_error(j_common_ptr cinfo)
{
	longjmp(((struct jerr *)cinfo->err)->jump, 1);
}

static int
encode(const unsigned char *rgb, int w, int h, unsigned char **out, size_t *outlen)
{
	struct jpeg_compress_struct cinfo;
	struct jerr err;
	unsigned char *volatile buf = NULL;
	unsigned long len = 0;

	cinfo.err = jpeg_std_error(&err.mgr);
	err.mgr.error_exit = on_error;
	if (setjmp(err.jump)) {
		jpeg_destroy_compress(&cinfo);
		free(buf);
		return cp_err(CP_ERR_INVALID, "libjpeg cannot encode a %dx%d photo", w, h);
	}
	jpeg_create_compress(&cinfo);
	jpeg_mem_dest(&cinfo, (unsigned char **)&buf, &len);
	cinfo.image_width = (JDIMENSION)w;
	cinfo.image_height = (JDIMENSION)h;
	cinfo.input_components = 3;
	cinfo.in_color_space = JCS_RGB;
	jpeg_set_defaults(&cinfo);
	jpeg_set_quality(&cinfo, 70, TRUE); /* the standard's quality factor */
	cinfo.density_unit = 1;		    /* dots per inch */
	cinfo.X_density = 350;
	cinfo.Y_density = 350;
	jpeg_start_compress(&cinfo, TRUE);
	while (cinfo.next_scanline < cinfo.image_height) {
		JSAMPROW row = (JSAMPROW)(rgb + (size_t)cinfo.next_scanline * (size_t)w * 3);

		jpeg_write_scanlines(&cinfo, &row, 1);
	}
	jpeg_finish_compress(&cinfo);
	jpeg_destroy_compress(&cinfo);
	*out = buf;
	*outlen = len;
	return 0;
}

/* The drawing with texture of strength k (1.0 = nominal) applied. */
static void
texture(const struct canvas *c, const signed char *noise, double k, unsigned char *out)
{
	static const double amp[] = {[R_BACK] = 0.0,
				     [R_HAIR] = 1.0,
				     [R_SKIN] = 0.28,
				     [R_CLOTH] = 0.6,
				     [R_FEATURE] = 0.2};
	size_t n = (size_t)c->w * (size_t)c->h;

	for (size_t i = 0; i < n; i++) {
		double d = noise[i] * amp[c->where[i]] * k;

		for (int ch = 0; ch < 3; ch++) {
			int v = c->rgb[i * 3 + ch] + (int)lround(d);

			out[i * 3 + ch] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
		}
	}
}

int
sample_photo_make(struct rng *r, int width, int height, struct sample_photo *out)
{
	struct canvas c = {width, height, NULL, NULL};
	size_t n = (size_t)width * (size_t)height;
	signed char *noise = NULL;
	unsigned char *img = NULL;
	double k = 1.0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (width < 16 || height < 16 || width > 4000 || height > 4000)
		return cp_err(CP_ERR_INVALID, "photo size %dx%d out of range", width, height);
	c.rgb = xmalloc(n * 3);
	c.where = xmalloc(n);
	noise = xmalloc(n);
	img = xmalloc(n * 3);
	draw(&c, r, &out->geo);
	/* texture: fine grain plus a coarser weave, so it survives quality 70 */
	for (size_t i = 0; i < n; i++) {
		int x = (int)(i % (size_t)width), y = (int)(i / (size_t)width);
		int v = (int)rng_below(r, 41) - 20 + ((x / 3 + y / 2) % 4 == 0 ? 10 : -3);

		noise[i] = (signed char)v;
	}
	/* steer the strength until the size is in range (a handful of encodes at most) */
	for (int iter = 0; iter < 10; iter++) {
		free(out->data);
		out->data = NULL;
		texture(&c, noise, k, img);
		if ((rc = encode(img, width, height, &out->data, &out->len)) < 0)
			break;
		if (width != SAMPLE_PHOTO_W || height != SAMPLE_PHOTO_H)
			break;
		if (out->len < SAMPLE_PHOTO_MIN_BYTES + 2000)
			k *= 1.35;
		else if (out->len > SAMPLE_PHOTO_MAX_BYTES - 6000)
			k *= 0.75;
		else
			break;
	}
	free(c.rgb);
	free(c.where);
	free(noise);
	free(img);
	if (rc < 0) {
		free(out->data);
		memset(out, 0, sizeof(*out));
	}
	return rc;
}

void
sample_photo_release(struct sample_photo *p)
{
	if (!p)
		return;
	free(p->data);
	p->data = NULL;
	p->len = 0;
}
