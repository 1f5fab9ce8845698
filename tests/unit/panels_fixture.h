/*
 * panels_fixture.h - full-panel printer files for the tests: SIDE-ymc.png as one whole
 * panel (the layout earlier renders wrote and panels_load() still reads), SIDE-k.png and
 * SIDE-o.png, encoded from a panel set into bufs[0..2]. Render now writes the YMC panel as a
 * patch over the preview (panels_encode_side()); production no longer writes this form, so
 * its writer lives with the tests. Header-only.
 */
#ifndef PANELS_FIXTURE_H
#define PANELS_FIXTURE_H

#include "core/buf.h"
#include "personalization/face/panels.h"
#include "personalization/face/png.h"

static inline int
panels_encode(const struct panel_set *ps, const struct png_opts *o, struct buf bufs[3])
{
	int r;

	/* the YMC "image" is stored in the RGB channels as Y, M, C: a machine file */
	if ((r = png_encode_rgb(ps->ymc, ps->dots, ps->lines, o, &bufs[0])) < 0 ||
	    (r = png_encode_bits(ps->k, ps->dots, ps->lines, 0x000000, o, &bufs[1])) < 0 ||
	    (r = png_encode_bits(ps->o, ps->dots, ps->lines, 0x3399ff, o, &bufs[2])) < 0)
		return r;
	return 0;
}

#endif
