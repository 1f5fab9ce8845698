/*
 * text.h - laying out and drawing one line of text with the font chain: advances from
 * each glyph's own font, alignment, shrink-to-fit. A code point no font has is an error
 * (CP_ERR_INVALID naming it), never a box.
 */
#ifndef CP_FACE_TEXT_H
#define CP_FACE_TEXT_H

#include "personalization/face/image.h"

#include <stdint.h>

struct fontset;

/* Width of the text at px26 (26.6 pixel size), in 26.6 pixels. */
int text_measure(struct fontset *fs, const char *utf8, long px26, long *width26);
/* Draw with the baseline's left end at (x26, y26) (26.6 pixel coordinates). Exactly one of
 * im (blended with colour c) and k (coverage, max-combined) is used. bb (x0, y0, x1, y1;
 * empty when x0 >= x1), if not NULL, is grown by the box of each glyph before it is drawn,
 * so that it covers every pixel written even when a later glyph fails. */
int text_draw(struct fontset *fs, const char *utf8, long px26, long x26, long y26,
	      struct rgb_image *im, uint32_t c, struct mask *k, int bb[4]);

#endif
