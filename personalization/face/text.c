/*
 * text.c - single-line text over the font chain. Glyph positions are kept in 26.6 and
 * rounded per glyph, so that spacing is the same wherever a line starts.
 */
#include "personalization/face/text.h"

#include "core/err.h"
#include "personalization/face/fonts.h"
#include "personalization/face/utf8.h"

static int
glyph_or_fail(struct fontset *fs, unsigned cp, long px26, const struct glyph **g)
{
	int r = fontset_glyph(fs, cp, px26, g);

	if (r == CP_ERR_NOTFOUND)
		return cp_err(CP_ERR_INVALID, "character U+%04X has no glyph in any card font", cp);
	return r;
}

int
text_measure(struct fontset *fs, const char *utf8, long px26, long *width26)
{
	const char *p = utf8;
	const struct glyph *g;
	unsigned cp;
	long w = 0;
	int r;

	while ((r = utf8_next(&p, &cp)) > 0) {
		if (font_cp_ignorable(cp))
			continue;
		if ((r = glyph_or_fail(fs, cp, px26, &g)) < 0)
			return r;
		w += g->advance;
	}
	*width26 = w;
	return r;
}

int
text_draw(struct fontset *fs, const char *utf8, long px26, long x26, long y26, struct rgb_image *im,
	  uint32_t c, struct mask *k, int bb[4])
{
	const char *p = utf8;
	const struct glyph *g;
	unsigned cp;
	long pen = x26;
	int r, by = (int)((y26 + 32) >> 6);

	while ((r = utf8_next(&p, &cp)) > 0) {
		int bx;

		if (font_cp_ignorable(cp))
			continue;
		if ((r = glyph_or_fail(fs, cp, px26, &g)) < 0)
			return r;
		bx = (int)((pen + 32) >> 6) + g->left;
		if (bb && g->width > 0 && g->rows > 0)
			box_grow(bb, bx, by - g->top, bx + g->width, by - g->top + g->rows);
		for (int y = 0; y < g->rows; y++) {
			int py = by - g->top + y;
			const unsigned char *row = g->coverage + (size_t)y * (size_t)g->width;

			if (py < 0 || py >= (im ? im->h : k->h))
				continue;
			for (int x = 0; x < g->width; x++) {
				int px = bx + x;

				if (!row[x])
					continue;
				if (im)
					rgb_blend(im, px, py, c, row[x]);
				else if (px >= 0 && px < k->w) {
					unsigned char *v =
						&k->v[(size_t)py * (size_t)k->w + (size_t)px];

					if (row[x] > *v)
						*v = row[x];
				}
			}
		}
		pen += g->advance;
	}
	return r;
}
