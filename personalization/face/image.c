/*
 * image.c - RGB and mask buffers, and the anti-aliased vector shapes used for the
 * layout's artwork. Coverage is counted on a 4x4 grid of sample points per pixel.
 */
#include "personalization/face/image.h"

#include "core/mem.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void
rgb_init(struct rgb_image *im, int w, int h, uint32_t fill)
{
	size_t n = (size_t)w * (size_t)h;

	im->w = w;
	im->h = h;
	im->px = xmalloc(n * 3 + 1);
	for (size_t i = 0; i < n; i++) {
		im->px[3 * i] = (unsigned char)(fill >> 16);
		im->px[3 * i + 1] = (unsigned char)(fill >> 8);
		im->px[3 * i + 2] = (unsigned char)fill;
	}
}

void
rgb_release(struct rgb_image *im)
{
	free(im->px);
	im->px = NULL;
	im->w = im->h = 0;
}

void
rgb_copy(struct rgb_image *dst, const struct rgb_image *src)
{
	size_t n = (size_t)src->w * (size_t)src->h * 3;

	if (!dst->px || dst->w != src->w || dst->h != src->h) {
		free(dst->px);
		dst->px = xmalloc(n + 1);
		dst->w = src->w;
		dst->h = src->h;
	}
	memcpy(dst->px, src->px, n);
}

void
mask_init(struct mask *m, int w, int h, unsigned char fill)
{
	m->w = w;
	m->h = h;
	m->v = xmalloc((size_t)w * (size_t)h + 1);
	memset(m->v, fill, (size_t)w * (size_t)h);
}

void
mask_release(struct mask *m)
{
	free(m->v);
	m->v = NULL;
	m->w = m->h = 0;
}

void
mask_copy(struct mask *dst, const struct mask *src)
{
	size_t n = (size_t)src->w * (size_t)src->h;

	if (!dst->v || dst->w != src->w || dst->h != src->h) {
		free(dst->v);
		dst->v = xmalloc(n + 1);
		dst->w = src->w;
		dst->h = src->h;
	}
	memcpy(dst->v, src->v, n);
}

void
box_grow(int bb[4], int x0, int y0, int x1, int y1)
{
	if (x0 >= x1 || y0 >= y1)
		return;
	if (bb[0] >= bb[2] || bb[1] >= bb[3]) {
		bb[0] = x0, bb[1] = y0, bb[2] = x1, bb[3] = y1;
		return;
	}
	bb[0] = x0 < bb[0] ? x0 : bb[0];
	bb[1] = y0 < bb[1] ? y0 : bb[1];
	bb[2] = x1 > bb[2] ? x1 : bb[2];
	bb[3] = y1 > bb[3] ? y1 : bb[3];
}

void
mask_bbox(const struct mask *m, const int r[4], int bb[4])
{
	for (int y = r[1]; y < r[3]; y++) {
		const unsigned char *row = m->v + (size_t)y * (size_t)m->w;
		int x = r[0], e = r[2];

		/* rows are nearly all zero: 8 pixels at a time */
		while (x + 8 <= e) {
			uint64_t v;

			memcpy(&v, row + x, 8);
			if (v)
				break;
			x += 8;
		}
		while (x < e && !row[x])
			x++;
		if (x == e)
			continue;
		while (e > x && !row[e - 1])
			e--;
		box_grow(bb, x, y, e, y + 1);
	}
}

void
rgb_blend(struct rgb_image *im, int x, int y, uint32_t c, unsigned a)
{
	unsigned char *p;
	unsigned comp[3] = {(c >> 16) & 0xff, (c >> 8) & 0xff, c & 0xff};

	if (x < 0 || y < 0 || x >= im->w || y >= im->h || a == 0)
		return;
	if (a > 255)
		a = 255;
	p = im->px + ((size_t)y * (size_t)im->w + (size_t)x) * 3;
	for (int i = 0; i < 3; i++)
		p[i] = (unsigned char)((comp[i] * a + p[i] * (255 - a) + 127) / 255);
}

/* A shape is a predicate on a point; fill it over its bounding box with coverage. */
typedef int (*inside_fn)(const void *shape, double px, double py);

static void
fill_shape(struct rgb_image *im, const void *shape, inside_fn inside, double x0, double y0,
	   double x1, double y1, uint32_t c)
{
	int ix0 = (int)floor(x0), iy0 = (int)floor(y0), ix1 = (int)ceil(x1), iy1 = (int)ceil(y1);

	if (ix0 < 0)
		ix0 = 0;
	if (iy0 < 0)
		iy0 = 0;
	if (ix1 > im->w)
		ix1 = im->w;
	if (iy1 > im->h)
		iy1 = im->h;
	for (int y = iy0; y < iy1; y++)
		for (int x = ix0; x < ix1; x++) {
			unsigned n = 0;

			for (int sy = 0; sy < 4; sy++)
				for (int sx = 0; sx < 4; sx++)
					n += (unsigned)inside(shape, x + (sx + 0.5) / 4.0,
							      y + (sy + 0.5) / 4.0);
			if (n)
				rgb_blend(im, x, y, c, n == 16 ? 255 : n * 255 / 16);
		}
}

struct rrect {
	double x, y, w, h, r;
};

static int
in_rrect(const void *s, double px, double py)
{
	const struct rrect *q = s;
	double cx, cy;

	if (px < q->x || py < q->y || px >= q->x + q->w || py >= q->y + q->h)
		return 0;
	if (q->r <= 0)
		return 1;
	cx = px < q->x + q->r ? q->x + q->r : px > q->x + q->w - q->r ? q->x + q->w - q->r : px;
	cy = py < q->y + q->r ? q->y + q->r : py > q->y + q->h - q->r ? q->y + q->h - q->r : py;
	return (px - cx) * (px - cx) + (py - cy) * (py - cy) <= q->r * q->r;
}

static double
clamp_radius(double r, double w, double h)
{
	double m = (w < h ? w : h) / 2;

	return r < 0 ? 0 : r > m ? m : r;
}

/* Coverage (0..16, like the 4x4 grid) of pixel [p, p+1) by the interval [a, b), counted
 * on the same sample points, so square and rounded rectangles agree at their edges. */
static unsigned
axis_cover(int p, double a, double b)
{
	unsigned n = 0;

	for (int s = 0; s < 4; s++) {
		double v = p + (s + 0.5) / 4.0;

		n += v >= a && v < b;
	}
	return n;
}

void
draw_rect(struct rgb_image *im, double x, double y, double w, double h, double radius, uint32_t c)
{
	struct rrect q = {x, y, w, h, clamp_radius(radius, w, h)};

	if (q.r > 0) {
		fill_shape(im, &q, in_rrect, x, y, x + w, y + h, c);
		return;
	}
	/* square corners: coverage is separable in x and y (fast for full-canvas fills) */
	int ix0 = (int)floor(x), iy0 = (int)floor(y), ix1 = (int)ceil(x + w),
	    iy1 = (int)ceil(y + h);

	if (ix0 < 0)
		ix0 = 0;
	if (iy0 < 0)
		iy0 = 0;
	if (ix1 > im->w)
		ix1 = im->w;
	if (iy1 > im->h)
		iy1 = im->h;
	if (ix1 <= ix0 || iy1 <= iy0)
		return;
	/* column coverage once for the whole rectangle */
	unsigned char *cx = xmalloc((size_t)(ix1 - ix0));

	for (int px = ix0; px < ix1; px++)
		cx[px - ix0] = (unsigned char)axis_cover(px, x, x + w);
	for (int py = iy0; py < iy1; py++) {
		unsigned cy = axis_cover(py, y, y + h);

		for (int px = ix0; px < ix1 && cy; px++) {
			unsigned n = cy * cx[px - ix0];

			if (n == 16) { /* fully covered: the colour itself */
				unsigned char *p =
					im->px + ((size_t)py * (size_t)im->w + (size_t)px) * 3;

				p[0] = (unsigned char)(c >> 16);
				p[1] = (unsigned char)(c >> 8);
				p[2] = (unsigned char)c;
			} else if (n)
				rgb_blend(im, px, py, c, n * 255 / 16);
		}
	}
	free(cx);
}

struct ring {
	struct rrect outer, inner;
};

static int
in_rring(const void *s, double px, double py)
{
	const struct ring *q = s;

	return in_rrect(&q->outer, px, py) && !in_rrect(&q->inner, px, py);
}

void
draw_rect_outline(struct rgb_image *im, double x, double y, double w, double h, double radius,
		  double lw, uint32_t c)
{
	struct ring q;

	int ix0 = (int)floor(x), iy0 = (int)floor(y), ix1 = (int)ceil(x + w),
	    iy1 = (int)ceil(y + h), t, ty, by, lx, rx;

	radius = clamp_radius(radius, w, h);
	q.outer = (struct rrect){x, y, w, h, radius};
	q.inner = (struct rrect){x + lw, y + lw, w - 2 * lw, h - 2 * lw,
				 radius > lw ? radius - lw : 0};
	/* Only the bands along the edges: a pixel more than the line width and the radius
	 * inside is wholly inside the inner rectangle, so testing it (16 samples of two
	 * rounded rectangles) would change nothing. The bands share no pixel. */
	t = (int)ceil(lw > radius ? lw : radius) + 1;
	ty = iy0 + t < iy1 ? iy0 + t : iy1;
	by = iy1 - t > ty ? iy1 - t : ty;
	lx = ix0 + t < ix1 ? ix0 + t : ix1;
	rx = ix1 - t > lx ? ix1 - t : lx;
	fill_shape(im, &q, in_rring, ix0, iy0, ix1, ty, c);
	fill_shape(im, &q, in_rring, ix0, by, ix1, iy1, c);
	fill_shape(im, &q, in_rring, ix0, ty, lx, by, c);
	fill_shape(im, &q, in_rring, rx, ty, ix1, by, c);
}

struct ell {
	double cx, cy, rx, ry;
};

static int
in_ell(const void *s, double px, double py)
{
	const struct ell *e = s;
	double dx, dy;

	if (e->rx <= 0 || e->ry <= 0)
		return 0;
	dx = (px - e->cx) / e->rx;
	dy = (py - e->cy) / e->ry;
	return dx * dx + dy * dy <= 1.0;
}

void
draw_ellipse(struct rgb_image *im, double x, double y, double w, double h, uint32_t c)
{
	struct ell e = {x + w / 2, y + h / 2, w / 2, h / 2};

	fill_shape(im, &e, in_ell, x, y, x + w, y + h, c);
}

struct ellring {
	struct ell o, i;
};

static int
in_ellring(const void *s, double px, double py)
{
	const struct ellring *q = s;

	return in_ell(&q->o, px, py) && !in_ell(&q->i, px, py);
}

void
draw_ellipse_outline(struct rgb_image *im, double x, double y, double w, double h, double lw,
		     uint32_t c)
{
	struct ellring q = {{x + w / 2, y + h / 2, w / 2, h / 2},
			    {x + w / 2, y + h / 2, w / 2 - lw, h / 2 - lw}};

	fill_shape(im, &q, in_ellring, x, y, x + w, y + h, c);
}

struct star {
	double vx[10], vy[10];
};

/* even-odd point-in-polygon */
static int
in_star(const void *s, double px, double py)
{
	const struct star *q = s;
	int in = 0;

	for (int i = 0, j = 9; i < 10; j = i++)
		if ((q->vy[i] > py) != (q->vy[j] > py) &&
		    px < (q->vx[j] - q->vx[i]) * (py - q->vy[i]) / (q->vy[j] - q->vy[i]) + q->vx[i])
			in = !in;
	return in;
}

void
draw_star(struct rgb_image *im, double cx, double cy, double r, uint32_t c)
{
	struct star q;
	/* inner radius of a regular five-pointed star: r * sin(18) / sin(54) */
	double ri = r * 0.381966;

	for (int i = 0; i < 10; i++) {
		double a = -M_PI / 2 + i * M_PI / 5, rr = (i % 2) ? ri : r;

		q.vx[i] = cx + rr * cos(a);
		q.vy[i] = cy + rr * sin(a);
	}
	fill_shape(im, &q, in_star, cx - r, cy - r, cx + r, cy + r, c);
}

void
mask_fill_rect(struct mask *m, double x, double y, double w, double h, double radius,
	       unsigned char v)
{
	struct rrect q = {x, y, w, h, clamp_radius(radius, w, h)};
	int x0 = x < 0 ? 0 : (int)x, y0 = y < 0 ? 0 : (int)y;
	int x1 = (int)ceil(x + w), y1 = (int)ceil(y + h);

	if (x1 > m->w)
		x1 = m->w;
	if (y1 > m->h)
		y1 = m->h;
	for (int py = y0; py < y1; py++)
		for (int px = x0; px < x1; px++)
			if (in_rrect(&q, px + 0.5, py + 0.5))
				m->v[(size_t)py * (size_t)m->w + (size_t)px] = v;
}
