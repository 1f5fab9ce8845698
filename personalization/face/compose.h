/*
 * compose.h - drawing one side of a card from its layout at a printer's canvas: the
 * colour image (for the YMC panels), the K coverage (resin-black text) and the overlay
 * mask (1 = varnish; chip window and no-overlay areas 0). Also the printer canvas
 * profiles (docs/printer-reference.md §1.6).
 */
#ifndef CP_FACE_COMPOSE_H
#define CP_FACE_COMPOSE_H

#include "personalization/face/image.h"
#include "personalization/face/layout.h"

struct canvas_profile {
	const char *name;
	int w, h, dpi;
};

/* evolis 1016x648, zebra 1024x648, magicard 1016x672, matica 1036x664, fargo 1035x661,
 * all at 300 dpi. CP_ERR_CONFIG naming the known ones for anything else. */
int canvas_profile_lookup(const char *name, const struct canvas_profile **out);

/* The personal data of one card, as printed (already formatted). NULL or "" = absent. */
struct face_fields {
	const char *v[F_COUNT];
};

#define SIDE_DIRTY_MAX 16

/* The planes of a side image a card draws in, as flags (chip and overlay: never). */
enum { PLANE_COLOR = 1, PLANE_K = 2 };

struct side_image {
	struct rgb_image color;
	struct mask k;	  /* coverage 0..255 of resin-black ink */
	struct mask o;	  /* 1 = overlay varnish */
	struct mask chip; /* 1 = chip window (for the preview) */
	/* The rest is kept by composer_side, which is why only it may change the pixels of
	 * an image it drew (start from a zeroed one). Which composer (its id; 0 = none) and
	 * side drew the image, and the boxes (image.h) and planes outside which it is that
	 * side's artwork, so that the next card drawn into it restores only those. */
	unsigned long drawn_by;
	int drawn_side, ndirty, dirty[SIDE_DIRTY_MAX][4];
	unsigned dirty_planes[SIDE_DIRTY_MAX];
	/* If has_boxes: the bounding box of the non-zero K and chip pixels, and a box holding
	 * every pixel without varnish (o == 0), so that the panels need not scan for them. */
	int has_boxes, ink_box[4], bare_box[4];
};
void side_image_release(struct side_image *si);

struct composer;

/* A composer per worker thread: it owns the fonts it draws with (card_font is the
 * card.font chain for font "default") and the pre-drawn artwork of each side. */
int composer_new(const struct layout *lo, const struct canvas_profile *prof, const char *card_font,
		 struct composer **out);
void composer_free(struct composer *c);
/* Draw one side. photo: the decoded applicant photo (NULL if the side has none).
 * CP_ERR_INVALID for data that cannot be drawn (a character no font has, a name too
 * long for its box), naming the field. */
int composer_side(struct composer *c, enum layout_side_id side, const struct face_fields *f,
		  const struct rgb_image *photo, struct side_image *out);
/* Row y of the composite preview into buf (3 * width bytes). */
void composer_preview_row(const struct side_image *si, int y, unsigned char *buf);
/* The fontset of layout font i (for proof-sheet captions). */
struct fontset *composer_font(struct composer *c, int i);
const struct canvas_profile *composer_profile(const struct composer *c);
/* The photo box of the layout in canvas pixels; 0 if the layout has none. */
int composer_photo_box(const struct composer *c, int *w, int *h);

#endif
