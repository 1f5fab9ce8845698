/*
 * face.h - rendering one card's faces to its output folder: for each side the composite
 * preview SIDE.png (pHYs 300 dpi), the panels SIDE-ymc.png, SIDE-k.png, SIDE-o.png
 * (docs/panel-format.md), and last a manifest faces.txt that marks the card complete.
 */
#ifndef CP_FACE_FACE_H
#define CP_FACE_FACE_H

#include "personalization/face/compose.h"
#include "personalization/face/png.h"

#define FACE_PHOTO_MAX (4u << 20) /* the largest photo a card face reads */

struct face_card {
	const char *card_no;
	struct face_fields fields;
	/* the JPEG: the file photo_path, or its bytes when the caller read them (photo); neither
	 * when there is no photo (a layout with a photo box holds the card) */
	const char *photo_path;
	const unsigned char *photo;
	size_t photo_len;
};

struct face_renderer;

/* How output files reach the disk (see face.c): each file fsynced, or the batch synced by
 * the caller with fs_sync_fs() before it records the cards. Default FACE_SYNC_EACH. */
enum face_sync { FACE_SYNC_EACH, FACE_SYNC_BATCH };

/* One renderer per worker thread. */
int face_renderer_new(const struct layout *lo, const struct canvas_profile *prof,
		      const char *card_font, const struct png_opts *png,
		      struct face_renderer **out);
void face_renderer_free(struct face_renderer *fr);
struct composer *face_renderer_composer(struct face_renderer *fr);
void face_renderer_set_sync(struct face_renderer *fr, enum face_sync sync);
/* File i (0 preview, 1 YMC, 2 K, 3 overlay) of side s: how many of this renderer's images
 * were encoded in segments, and how many rows kept segments gave them (png.h). */
void face_renderer_rows_kept(const struct face_renderer *fr, int s, int i, unsigned long *images,
			     unsigned long *rows);

/* Compose both sides in memory (no files). photo may be NULL. */
int face_compose(struct face_renderer *fr, const struct face_card *card,
		 const struct rgb_image *photo, struct side_image out[SIDE_COUNT]);
/* Render and write card's files into outdir (created 0700; files 0600).
 * 0 = written; 1 = the card cannot be printed as it is (*reason says why: a character no
 * font has, an unreadable photo...); < 0 = failure of the run (I/O). */
int face_render_card(struct face_renderer *fr, const struct face_card *card, const char *outdir,
		     char **reason);
/* Remove temporary files a crashed run left in outdir (".tmp.<pid>" whose process is gone);
 * returns how many. */
int face_clean_stale(const char *outdir);
/* 1 if outdir holds a complete set (manifest present, every file at its size and CRC-32)
 * drawn for card_no with this renderer's profile, resolution and layout
 * (same CRC-32 of the layout text): what a resumed run may record without drawing. */
int face_outputs_current(struct face_renderer *fr, const char *card_no, const char *outdir);
/* The issue date as printed: "2026-11-26" -> "2026年11月26日". CP_ERR_FORMAT if bad. */
int face_format_date(const char *iso, char *out, size_t outsz);
/* A PAN in groups of four: "6212 2600 0000 0000 123". */
void face_format_pan(const char *pan, char *out, size_t outsz);

#endif
