/*
 * compose.c - a card side from its layout. Artwork (every element that is the same on
 * every card) is drawn once per composer into a base image; per card the fields and
 * photo are drawn on top of a copy of it, which is what makes 150 cards/s. An image that
 * the composer drew before is not copied again: only the boxes the last card drew in are
 * restored from the base.
 * Coordinates: millimetres from the card's top-left corner, the card centred on the
 * printer canvas (a canvas larger than the card is bleed for edge-to-edge printing).
 */
#include "personalization/face/compose.h"

#include "core/err.h"
#include "core/mem.h"
#include "personalization/face/fonts.h"
#include "personalization/face/photo.h"
#include "personalization/face/text.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

static const struct canvas_profile profiles[] = {
	{"evolis", 1016, 648, 300}, {"zebra", 1024, 648, 300}, {"magicard", 1016, 672, 300},
	{"matica", 1036, 664, 300}, {"fargo", 1035, 661, 300},
};

int
canvas_profile_lookup(const char *name, const struct canvas_profile **out)
{
	for (size_t i = 0; i < ARRAY_SIZE(profiles); i++)
		if (!strcmp(profiles[i].name, name)) {
			*out = &profiles[i];
			return 0;
		}
	return cp_err(CP_ERR_CONFIG,
		      "printer.profile '%s': expected evolis, zebra, magicard, matica or fargo",
		      name);
}

struct composer {
	unsigned long id; /* unique: what side_image.drawn_by names */
	const struct layout *lo;
	const struct canvas_profile *prof;
	double scale, offx, offy; /* px per mm, card origin on the canvas */
	struct fontset *fonts[LAYOUT_MAX_FONTS];
	struct side_image base[SIDE_COUNT];
	int chip_bbox[SIDE_COUNT][4]; /* x0, y0, x1, y1 (exclusive) of the chip window */
	/* no K artwork: a card's ink box is the chip's and the K drawn,
	 * its bare box the artwork's (bare_bbox, with the chip) */
	int boxes_tracked[SIDE_COUNT];
	int bare_bbox[SIDE_COUNT][4];
};

static atomic_ulong composer_ids;

void
side_image_release(struct side_image *si)
{
	rgb_release(&si->color);
	mask_release(&si->k);
	mask_release(&si->o);
	mask_release(&si->chip);
}

static double
px_x(const struct composer *c, double mm)
{
	return c->offx + mm * c->scale;
}

static double
px_y(const struct composer *c, double mm)
{
	return c->offy + mm * c->scale;
}

/* Elements drawn per card: fields, the photo, and anything conditional on a field. */
static int
is_personal(const struct layout_el *e)
{
	return e->kind == EL_FIELD || e->kind == EL_PHOTO || e->only_if >= 0;
}

static long
pt_to_px26(const struct composer *c, double pt)
{
	return lround(pt * c->prof->dpi / 72.0 * 64.0);
}

static int
draw_text_el(struct composer *c, const struct layout_el *e, const char *s, struct side_image *si,
	     int bb[4])
{
	struct fontset *fs = c->fonts[e->font];
	long px26 = pt_to_px26(c, e->size), w26 = 0, box26, x26;
	double size = e->size;
	int r;

	if ((r = text_measure(fs, s, px26, &w26)) < 0)
		return r;
	box26 = e->w > 0 ? lround(e->w * c->scale * 64.0) : 0;
	/* shrink in quarter points down to min-size until it fits the box */
	while (box26 && w26 > box26 && size - 0.25 >= e->min_size - 1e-9) {
		size -= 0.25;
		px26 = pt_to_px26(c, size);
		if ((r = text_measure(fs, s, px26, &w26)) < 0)
			return r;
	}
	if (box26 && w26 > box26)
		return cp_err(CP_ERR_INVALID, "does not fit its %.1f mm box even at %.2f pt", e->w,
			      e->min_size);
	x26 = lround(px_x(c, e->x) * 64.0);
	if (e->align == ALIGN_CENTER)
		x26 += (box26 - w26) / 2;
	else if (e->align == ALIGN_RIGHT)
		x26 += box26 - w26;
	return text_draw(fs, s, px26, x26, lround(px_y(c, e->y) * 64.0),
			 e->ink_k ? NULL : &si->color, e->fill, e->ink_k ? &si->k : NULL, bb);
}

static void
draw_shape(struct composer *c, const struct layout_el *e, struct side_image *si)
{
	double x = px_x(c, e->x), y = px_y(c, e->y), w = e->w * c->scale, h = e->h * c->scale;
	double r = e->radius * c->scale, lw = e->stroke_w * c->scale;

	switch (e->kind) {
	case EL_BACKGROUND:
		draw_rect(&si->color, 0, 0, si->color.w, si->color.h, 0, e->fill);
		break;
	case EL_RECT:
		if (e->has_fill)
			draw_rect(&si->color, x, y, w, h, r, e->fill);
		if (e->has_stroke)
			draw_rect_outline(&si->color, x, y, w, h, r, lw, e->stroke);
		break;
	case EL_ELLIPSE:
		if (e->has_fill)
			draw_ellipse(&si->color, x, y, w, h, e->fill);
		if (e->has_stroke)
			draw_ellipse_outline(&si->color, x, y, w, h, lw, e->stroke);
		break;
	case EL_STAR: draw_star(&si->color, x, y, e->radius * c->scale, e->fill); break;
	case EL_CHIP: mask_fill_rect(&si->chip, x, y, w, h, r, 1); break;
	case EL_NOOVERLAY: mask_fill_rect(&si->o, x, y, w, h, r, 0); break;
	default: break;
	}
}

/* The photo box in whole canvas pixels. */
static void
photo_box(const struct composer *c, const struct layout_el *e, int *x, int *y, int *w, int *h)
{
	*x = (int)lround(px_x(c, e->x));
	*y = (int)lround(px_y(c, e->y));
	*w = (int)lround(e->w * c->scale);
	*h = (int)lround(e->h * c->scale);
}

static void
draw_photo(struct composer *c, const struct layout_el *e, const struct rgb_image *photo,
	   struct side_image *si)
{
	int bx, by, bw, bh;
	struct rgb_image fit = {0};

	photo_box(c, e, &bx, &by, &bw, &bh);

	/* the box is white (the photo standard's background) around an aspect-kept photo */
	if (!photo || !photo->px || photo->w <= 0 || photo->h <= 0 || bw <= 0 || bh <= 0) {
		draw_rect(&si->color, bx, by, bw, bh, 0, 0xffffff);
		return;
	}
	photo_fit(photo, bw, bh, &fit);
	int ox = bx + (bw - fit.w) / 2, oy = by + (bh - fit.h) / 2;
	/* white only where the photo leaves the box uncovered: the bands around it */
	int px0 = ox > bx ? ox : bx, px1 = ox + fit.w < bx + bw ? ox + fit.w : bx + bw;
	int py0 = oy > by ? oy : by, py1 = oy + fit.h < by + bh ? oy + fit.h : by + bh;

	draw_rect(&si->color, bx, by, bw, py0 - by, 0, 0xffffff);
	draw_rect(&si->color, bx, py1, bw, by + bh - py1, 0, 0xffffff);
	draw_rect(&si->color, bx, py0, px0 - bx, py1 - py0, 0, 0xffffff);
	draw_rect(&si->color, px1, py0, bx + bw - px1, py1 - py0, 0, 0xffffff);

	/* one row copy per line, clipped to the canvas */
	int x0 = ox < 0 ? -ox : 0, x1 = ox + fit.w > si->color.w ? si->color.w - ox : fit.w;

	for (int y = 0; y < fit.h && x1 > x0; y++) {
		int py = oy + y;

		if (py < 0 || py >= si->color.h)
			continue;
		memcpy(si->color.px + ((size_t)py * (size_t)si->color.w + (size_t)(ox + x0)) * 3,
		       fit.px + ((size_t)y * (size_t)fit.w + (size_t)x0) * 3,
		       (size_t)(x1 - x0) * 3);
	}
	rgb_release(&fit);
}

/* Nothing is printed in the chip window ("never print over the chip"), and no varnish.
 * The chip mask is artwork: only its bounding box (found once per side) is visited. */
static void
clear_chip(const struct composer *c, int side, struct side_image *si)
{
	const int *bb = c->chip_bbox[side];

	for (int y = bb[1]; y < bb[3]; y++)
		for (int x = bb[0]; x < bb[2]; x++) {
			size_t i = (size_t)y * (size_t)si->chip.w + (size_t)x;

			if (si->chip.v[i]) {
				memset(si->color.px + i * 3, 0xff, 3);
				si->k.v[i] = 0;
				si->o.v[i] = 0;
			}
		}
}

static void
find_chip_bbox(const struct mask *m, int bb[4])
{
	bb[0] = m->w, bb[1] = m->h, bb[2] = 0, bb[3] = 0;
	for (int y = 0; y < m->h; y++)
		for (int x = 0; x < m->w; x++)
			if (m->v[(size_t)y * (size_t)m->w + (size_t)x]) {
				bb[0] = x < bb[0] ? x : bb[0];
				bb[1] = y < bb[1] ? y : bb[1];
				bb[2] = x + 1 > bb[2] ? x + 1 : bb[2];
				bb[3] = y + 1 > bb[3] ? y + 1 : bb[3];
			}
}

int
composer_new(const struct layout *lo, const struct canvas_profile *prof, const char *card_font,
	     struct composer **out)
{
	struct composer *c = xcalloc(1, sizeof(*c));
	int r = 0;

	*out = NULL;
	c->id = atomic_fetch_add(&composer_ids, 1) + 1;
	c->lo = lo;
	c->prof = prof;
	c->scale = prof->dpi / 25.4;
	c->offx = (prof->w - lo->card_w * c->scale) / 2;
	c->offy = (prof->h - lo->card_h * c->scale) / 2;
	for (int i = 0; i < lo->nfonts && r == 0; i++) {
		const char *chain = lo->font_chain[i][0] ? lo->font_chain[i] : card_font;

		if ((r = fontset_open(chain, &c->fonts[i])) < 0)
			r = cp_err_wrap(r, "%s: font '%s': ", lo->path, lo->font_name[i]);
	}
	for (int s = 0; s < SIDE_COUNT && r == 0; s++) {
		struct side_image *b = &c->base[s];
		int kbox[4] = {0, 0, 0, 0};

		rgb_init(&b->color, prof->w, prof->h, 0xffffff);
		mask_init(&b->k, prof->w, prof->h, 0);
		mask_init(&b->o, prof->w, prof->h, 1);
		mask_init(&b->chip, prof->w, prof->h, 0);
		for (size_t i = 0; i < lo->side[s].n && r == 0; i++) {
			const struct layout_el *e = &lo->side[s].els[i];

			if (is_personal(e))
				continue;
			if (e->kind == EL_TEXT) {
				if ((r = draw_text_el(c, e, e->text, b, NULL)) < 0)
					r = cp_err_wrap(r, "%s:%d: text: ", lo->path, e->line);
			} else
				draw_shape(c, e, b);
		}
		find_chip_bbox(&b->chip, c->chip_bbox[s]);
		mask_bbox(&b->k, (int[4]){0, 0, prof->w, prof->h}, kbox);
		c->boxes_tracked[s] = kbox[0] >= kbox[2];
		memcpy(c->bare_bbox[s], c->chip_bbox[s], sizeof(c->bare_bbox[s]));
		for (int y = 0; y < prof->h; y++)
			for (int x = 0; x < prof->w; x++)
				if (!b->o.v[(size_t)y * (size_t)prof->w + (size_t)x])
					box_grow(c->bare_bbox[s], x, y, x + 1, y + 1);
	}
	if (r < 0) {
		composer_free(c);
		return r;
	}
	*out = c;
	return 0;
}

void
composer_free(struct composer *c)
{
	if (!c)
		return;
	for (int i = 0; i < LAYOUT_MAX_FONTS; i++)
		fontset_free(c->fonts[i]);
	for (int s = 0; s < SIDE_COUNT; s++)
		side_image_release(&c->base[s]);
	free(c);
}

static int
present(const struct face_fields *f, int id)
{
	return f && f->v[id] && f->v[id][0];
}

/* Note that planes of si are about to be drawn in box x0, y0, x1, y1 (clipped to the
 * canvas). Past SIDE_DIRTY_MAX boxes the last one grows. */
static void
mark_dirty(struct side_image *si, unsigned planes, int x0, int y0, int x1, int y1)
{
	int n = si->ndirty < SIDE_DIRTY_MAX ? si->ndirty : SIDE_DIRTY_MAX - 1;

	x0 = x0 < 0 ? 0 : x0;
	y0 = y0 < 0 ? 0 : y0;
	x1 = x1 > si->color.w ? si->color.w : x1;
	y1 = y1 > si->color.h ? si->color.h : y1;
	if (!planes || x0 >= x1 || y0 >= y1)
		return;
	if (n == si->ndirty) {
		si->ndirty++;
		si->dirty[n][0] = si->dirty[n][2] = 0; /* empty */
		si->dirty_planes[n] = 0;
	}
	box_grow(si->dirty[n], x0, y0, x1, y1);
	si->dirty_planes[n] |= planes;
}

/* v in pixels, floor (up = 0) or ceiling (up = 1), within -1 .. lim before the int */
static int
px_bound(double v, int up, int lim)
{
	v = up ? ceil(v) : floor(v);
	return (int)(!(v > -1) ? -1 : v > lim ? lim : v);
}

/* The pixels a shape element may touch: its box, a pixel wider for anti-aliasing. */
static void
mark_shape(const struct composer *c, const struct layout_el *e, struct side_image *si)
{
	double x = px_x(c, e->x), y = px_y(c, e->y), w = e->w * c->scale, h = e->h * c->scale;
	int W = si->color.w, H = si->color.h;

	/* colour only: chip and no-overlay take no if= (layout.c), so they are never drawn
	 * per card; the chip window and the overlay are always the artwork's */
	if (e->kind == EL_BACKGROUND) {
		mark_dirty(si, PLANE_COLOR, 0, 0, W, H);
		return;
	}
	if (e->kind == EL_STAR) { /* x, y is the centre */
		double r = e->radius * c->scale;

		x -= r, y -= r, w = h = 2 * r;
	}
	mark_dirty(si, PLANE_COLOR, px_bound(fmin(x, x + w), 0, W) - 1,
		   px_bound(fmin(y, y + h), 0, H) - 1, px_bound(fmax(x, x + w), 1, W) + 1,
		   px_bound(fmax(y, y + h), 1, H) + 1);
}

static int
same_size(const struct side_image *a, const struct side_image *b)
{
	return a->color.px && a->k.v && a->o.v && a->chip.v && a->color.w == b->color.w &&
	       a->color.h == b->color.h;
}

static void
copy_box(unsigned char *dst, const unsigned char *src, const int *d, size_t w, size_t bpp)
{
	for (int y = d[1]; y < d[3]; y++) {
		size_t at = ((size_t)y * w + (size_t)d[0]) * bpp;

		memcpy(dst + at, src + at, (size_t)(d[2] - d[0]) * bpp);
	}
}

/* Make si the side's artwork again: only where the last card drew if this composer drew
 * it (the rest still is), else all of it. */
static void
restore_base(const struct composer *c, int side, struct side_image *si)
{
	const struct side_image *b = &c->base[side];
	size_t w = (size_t)b->color.w;

	if (si->drawn_by != c->id || si->drawn_side != side || !same_size(si, b)) {
		rgb_copy(&si->color, &b->color);
		mask_copy(&si->k, &b->k);
		mask_copy(&si->o, &b->o);
		mask_copy(&si->chip, &b->chip);
		si->ndirty = 0;
	}
	for (int i = 0; i < si->ndirty; i++) {
		const int *d = si->dirty[i];
		unsigned pl = si->dirty_planes[i];

		if (pl & PLANE_COLOR)
			copy_box(si->color.px, b->color.px, d, w, 3);
		if (pl & PLANE_K)
			copy_box(si->k.v, b->k.v, d, w, 1);
	}
	si->drawn_by = c->id;
	si->drawn_side = side;
	si->ndirty = 0;
	si->has_boxes = 0;
}

int
composer_side(struct composer *c, enum layout_side_id side, const struct face_fields *f,
	      const struct rgb_image *photo, struct side_image *out)
{
	const struct layout_side *sd = &c->lo->side[side];
	int r = 0;

	restore_base(c, side, out);
	/* every box drawn in is recorded, also when drawing fails: a held card's is undone
	 * by the next card like any other */
	for (size_t i = 0; i < sd->n && r == 0; i++) {
		const struct layout_el *e = &sd->els[i];
		unsigned ink = e->ink_k ? PLANE_K : PLANE_COLOR;
		int bb[4] = {0, 0, 0, 0};

		if (!is_personal(e) || (e->only_if >= 0 && !present(f, e->only_if)))
			continue;
		switch (e->kind) {
		case EL_FIELD:
			if (!present(f, e->field))
				break; /* an absent optional field prints nothing */
			r = draw_text_el(c, e, f->v[e->field], out, bb);
			mark_dirty(out, ink, bb[0], bb[1], bb[2], bb[3]);
			if (r < 0)
				r = cp_err_wrap(r, "field '%s': ", layout_field_name(e->field));
			break;
		case EL_TEXT:
			r = draw_text_el(c, e, e->text, out, bb);
			mark_dirty(out, ink, bb[0], bb[1], bb[2], bb[3]);
			if (r < 0)
				r = cp_err_wrap(r, "%s:%d: text: ", c->lo->path, e->line);
			break;
		case EL_PHOTO: {
			int x, y, w, h;

			/* draw_photo paints every pixel of the box (photo or white), and every
			 * card that is not held does so: an unconditional box needs no restoring */
			photo_box(c, e, &x, &y, &w, &h);
			mark_dirty(out, e->only_if >= 0 ? PLANE_COLOR : 0, x, y, x + w, y + h);
			draw_photo(c, e, photo, out);
			break;
		}
		default:
			mark_shape(c, e, out);
			draw_shape(c, e, out);
			break;
		}
	}
	if (r < 0)
		return r;
	clear_chip(c, side, out);
	/* the boxes without scanning the side: outside the boxes drawn in, K is the
	 * artwork's (none); the chip window and the overlay are the artwork's everywhere */
	if (c->boxes_tracked[side]) {
		memcpy(out->ink_box, c->chip_bbox[side], sizeof(out->ink_box));
		memcpy(out->bare_box, c->bare_bbox[side], sizeof(out->bare_box));
		for (int i = 0; i < out->ndirty; i++) {
			const int *d = out->dirty[i];

			if (out->dirty_planes[i] & PLANE_K)
				mask_bbox(&out->k, d, out->ink_box);
		}
		out->has_boxes = 1;
	}
	return 0;
}

void
composer_preview_row(const struct side_image *si, int y, unsigned char *buf)
{
	size_t w = (size_t)si->color.w, o = (size_t)y * w, x = 0, e = w;

	memcpy(buf, si->color.px + o * 3, w * 3);
	/* outside the ink box the preview is the colour image */
	if (si->has_boxes) {
		if (y < si->ink_box[1] || y >= si->ink_box[3])
			return;
		x = (size_t)si->ink_box[0], e = (size_t)si->ink_box[2];
	}
	for (; x < e; x++) {
		unsigned char *p = buf + x * 3;

		/* most of a row is neither chip nor K: skip 8 pixels at a time */
		if (x + 8 <= e) {
			uint64_t cw, kw;

			memcpy(&cw, si->chip.v + o + x, 8);
			memcpy(&kw, si->k.v + o + x, 8);
			if ((cw | kw) == 0) {
				x += 7;
				continue;
			}
		}

		if (si->chip.v[o + x]) {
			/* a gold contact plate, so that QC sees where the chip sits */
			p[0] = 0xd4, p[1] = 0xaf, p[2] = 0x37;
		} else if (si->k.v[o + x]) {
			unsigned a = si->k.v[o + x];

			for (int j = 0; j < 3; j++)
				p[j] = (unsigned char)((p[j] * (255 - a) + 127) / 255);
		}
	}
}

struct fontset *
composer_font(struct composer *c, int i)
{
	return (i >= 0 && i < c->lo->nfonts) ? c->fonts[i] : NULL;
}

const struct canvas_profile *
composer_profile(const struct composer *c)
{
	return c->prof;
}

int
composer_photo_box(const struct composer *c, int *w, int *h)
{
	for (int s = 0; s < SIDE_COUNT; s++)
		for (size_t i = 0; i < c->lo->side[s].n; i++) {
			const struct layout_el *e = &c->lo->side[s].els[i];

			if (e->kind == EL_PHOTO) {
				int x, y;

				photo_box(c, e, &x, &y, w, h);
				return 1;
			}
		}
	*w = *h = 0;
	return 0;
}
