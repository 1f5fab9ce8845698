/*
 * panels.h - printer panels of one card side, in the printer's line order
 * (docs/panel-format.md): 'lines' lines of 'dots' dots each, the card's long edge
 * advancing line by line (Evolis: 1016 lines of 648 dots). Line j is canvas column j;
 * dot i of a line is canvas row (dots - 1 - i), i.e. the landscape face turned 90
 * degrees clockwise, as Evolis Db downloads expect.
 *
 * The production line loads these with panels_load() and sends Db downloads:
 *   colour: panels_db_color() per plane, K: ps.k, overlay: ps.o (each lines*stride bytes).
 */
#ifndef CP_FACE_PANELS_H
#define CP_FACE_PANELS_H

#include "core/buf.h"

#include <stddef.h>

struct side_image;
struct png_opts;
struct png_rowcache;

struct panel_set {
	int lines, dots, dpi;
	unsigned char *ymc; /* lines * dots * 3 bytes: Y, M, C per dot (0 = no ink, 255 = full) */
	size_t stride;	    /* bytes per line of k and o: (dots + 7) / 8 */
	unsigned char *k;   /* 1 bit per dot, MSB first; 1 = resin black */
	unsigned char *o;   /* 1 bit per dot, MSB first; 1 = overlay varnish */
};

/* Split a composed side into panels: Y = 255 - B, M = 255 - G, C = 255 - R; K where the
 * text coverage is at least half; overlay as masked. */
void panels_from_side(const struct side_image *si, int dpi, struct panel_set *out);
void panel_set_release(struct panel_set *ps);

/* The panel files of a composed side as render writes them: SIDE-ymc.png as a patch over
 * the side's preview file 'base' (whose bytes have CRC-32 base_crc) covering every pixel
 * where the preview is not the colour image, and the K and overlay panels in full
 * (docs/panel-format.md). panels_load() makes the YMC panel whole again. With filter
 * "none", ref (the panels of the side drawn with no card's data; NULL: none) is each
 * file's reference and rows[] their row caches (png.h). */
int panels_encode_side(const struct side_image *si, const char *base, unsigned long base_crc,
		       const struct png_opts *o, const struct panel_set *ref,
		       struct png_rowcache *const rows[3], struct buf bufs[3]);
/* Load SIDE ("front" or "back") of the card whose faces are in dir. */
int panels_load(const char *dir, const char *side, struct panel_set *out);

/* An Evolis colour download: plane 0 Y, 1 M, 2 C, each dot truncated to its top 'bits'
 * bits (5, 6 or 7 = Db levels 32, 64, 128) and packed MSB first, line after line:
 * lines * dots * bits / 8 bytes (7 bits on 1016 x 648: 576 072). Newly allocated. */
int panels_db_color(const struct panel_set *ps, int plane, int bits, unsigned char **data,
		    size_t *len);

#endif
