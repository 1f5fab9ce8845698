/*
 * compose.c - a card side from its layout. Artwork (every element that is the same on
 * every card) is drawn once per composer into a base image; per card only the base is
 * copied and the fields and photo drawn on top, which is what makes 150 cards/s.
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
	const struct layout *lo;
	const struct canvas_profile *prof;
	double scale, offx, offy; /* px per mm, card origin on the canvas */
	struct fontset *fonts[LAYOUT_MAX_FONTS];
	struct side_image base[SIDE_COUNT];
	int chip_bbox[SIDE_COUNT][4]; /* x0, y0, x1, y1 (exclusive) of the chip window */
};

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
draw_text_el(struct composer *c, const struct layout_el *e, const char *s, struct side_image *si)
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
			 e->ink_k ? NULL : &si->color, e->fill, e->ink_k ? &si->k : NULL);
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

static void
draw_photo(struct composer *c, const struct layout_el *e, const struct rgb_image *photo,
	   struct side_image *si)
{
	int bx = (int)lround(px_x(c, e->x)), by = (int)lround(px_y(c, e->y));
	int bw = (int)lround(e->w * c->scale), bh = (int)lround(e->h * c->scale);
	struct rgb_image fit = {0};

	/* the box is white (the photo standard's background) around an aspect-kept photo */
	draw_rect(&si->color, bx, by, bw, bh, 0, 0xffffff);
	if (!photo || !photo->px || photo->w <= 0 || photo->h <= 0 || bw <= 0 || bh <= 0)
		return;
	photo_fit(photo, bw, bh, &fit);
	int ox = bx + (bw - fit.w) / 2, oy = by + (bh - fit.h) / 2;

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

		rgb_init(&b->color, prof->w, prof->h, 0xffffff);
		mask_init(&b->k, prof->w, prof->h, 0);
		mask_init(&b->o, prof->w, prof->h, 1);
		mask_init(&b->chip, prof->w, prof->h, 0);
		for (size_t i = 0; i < lo->side[s].n && r == 0; i++) {
			const struct layout_el *e = &lo->side[s].els[i];

			if (is_personal(e))
				continue;
			if (e->kind == EL_TEXT) {
				if ((r = draw_text_el(c, e, e->text, b)) < 0)
					r = cp_err_wrap(r, "%s:%d: text: ", lo->path, e->line);
			} else
				draw_shape(c, e, b);
		}
		find_chip_bbox(&b->chip, c->chip_bbox[s]);
		/* a chip window drawn only on some cards can be anywhere */
		for (size_t i = 0; i < lo->side[s].n; i++)
			if (lo->side[s].els[i].kind == EL_CHIP &&
			    is_personal(&lo->side[s].els[i])) {
				c->chip_bbox[s][0] = c->chip_bbox[s][1] = 0;
				c->chip_bbox[s][2] = prof->w;
				c->chip_bbox[s][3] = prof->h;
			}
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

int
composer_side(struct composer *c, enum layout_side_id side, const struct face_fields *f,
	      const struct rgb_image *photo, struct side_image *out)
{
	const struct layout_side *sd = &c->lo->side[side];
	int r = 0;

	rgb_copy(&out->color, &c->base[side].color);
	mask_copy(&out->k, &c->base[side].k);
	mask_copy(&out->o, &c->base[side].o);
	mask_copy(&out->chip, &c->base[side].chip);
	for (size_t i = 0; i < sd->n && r == 0; i++) {
		const struct layout_el *e = &sd->els[i];

		if (!is_personal(e) || (e->only_if >= 0 && !present(f, e->only_if)))
			continue;
		switch (e->kind) {
		case EL_FIELD:
			if (!present(f, e->field))
				break; /* an absent optional field prints nothing */
			if ((r = draw_text_el(c, e, f->v[e->field], out)) < 0)
				r = cp_err_wrap(r, "field '%s': ", layout_field_name(e->field));
			break;
		case EL_TEXT:
			if ((r = draw_text_el(c, e, e->text, out)) < 0)
				r = cp_err_wrap(r, "%s:%d: text: ", c->lo->path, e->line);
			break;
		case EL_PHOTO: draw_photo(c, e, photo, out); break;
		default: draw_shape(c, e, out); break;
		}
	}
	if (r == 0)
		clear_chip(c, side, out);
	return r;
}

void
composer_preview_row(const struct side_image *si, int y, unsigned char *buf)
{
	size_t w = (size_t)si->color.w, o = (size_t)y * w;

	memcpy(buf, si->color.px + o * 3, w * 3);
	for (size_t x = 0; x < w; x++) {
		unsigned char *p = buf + x * 3;

		/* most of a row is neither chip nor K: skip 8 pixels at a time */
		if (x + 8 <= w) {
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

void
composer_preview(const struct side_image *si, struct rgb_image *out)
{
	rgb_copy(out, &si->color);
	for (int y = 0; y < si->color.h; y++)
		composer_preview_row(si, y, out->px + (size_t)y * (size_t)si->color.w * 3);
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
				*w = (int)lround(e->w * c->scale);
				*h = (int)lround(e->h * c->scale);
				return 1;
			}
		}
	*w = *h = 0;
	return 0;
}
