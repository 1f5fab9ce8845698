/*
 * image.h - the raster types of a card face and the vector primitives the layout's
 * placeholder artwork is drawn with (anti-aliased by 4x4 supersampling, integer maths,
 * so the same input gives the same pixels on every run).
 */
#ifndef CP_FACE_IMAGE_H
#define CP_FACE_IMAGE_H

#include <stdint.h>

/* 8-bit RGB, rows top to bottom, 3*w bytes per row. */
struct rgb_image {
	int w, h;
	unsigned char *px;
};

/* One byte per pixel: coverage 0..255 (K text) or 0/1 flags (overlay, chip window). */
struct mask {
	int w, h;
	unsigned char *v;
};

void rgb_init(struct rgb_image *im, int w, int h, uint32_t fill);
void rgb_release(struct rgb_image *im);
void rgb_copy(struct rgb_image *dst, const struct rgb_image *src);
void mask_init(struct mask *m, int w, int h, unsigned char fill);
void mask_release(struct mask *m);
void mask_copy(struct mask *dst, const struct mask *src);

/* Boxes are int[4]: x0, y0, x1, y1 (exclusive), empty when x0 >= x1 or y0 >= y1.
 * box_grow: grow bb to include the box x0, y0, x1, y1 (nothing if that is empty). */
void box_grow(int bb[4], int x0, int y0, int x1, int y1);
/* Grow bb by the non-zero pixels of m inside the box r (within m). */
void mask_bbox(const struct mask *m, const int r[4], int bb[4]);

/* Blend colour c over pixel (x, y) with coverage a (0..255); out-of-range is ignored. */
void rgb_blend(struct rgb_image *im, int x, int y, uint32_t c, unsigned a);

/* Shapes in pixel coordinates (doubles for sub-pixel placement). radius rounds corners. */
void draw_rect(struct rgb_image *im, double x, double y, double w, double h, double radius,
	       uint32_t c);
/* An outline of width lw inside the rectangle. */
void draw_rect_outline(struct rgb_image *im, double x, double y, double w, double h, double radius,
		       double lw, uint32_t c);
void draw_ellipse(struct rgb_image *im, double x, double y, double w, double h, uint32_t c);
void draw_ellipse_outline(struct rgb_image *im, double x, double y, double w, double h, double lw,
			  uint32_t c);
/* A five-pointed star, centre (cx, cy), outer radius r, one point up. */
void draw_star(struct rgb_image *im, double cx, double cy, double r, uint32_t c);
/* Set m to v inside the (rounded) rectangle (pixel centres inside). */
void mask_fill_rect(struct mask *m, double x, double y, double w, double h, double radius,
		    unsigned char v);

#endif
