/*
 * layout.h - card-face layout templates (docs/layout-format.md): what is drawn where on
 * each side, in millimetres from the card's top-left corner, parsed strictly with
 * file:line errors so that a card designer can edit them without recompiling.
 */
#ifndef CP_FACE_LAYOUT_H
#define CP_FACE_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#define LAYOUT_MAX_FONTS 8
#define LAYOUT_MAX_BANKS 32

enum layout_side_id { SIDE_FRONT = 0, SIDE_BACK = 1, SIDE_COUNT = 2 };

enum el_kind {
	EL_BACKGROUND, /* fill the whole canvas (bleeds past the card edge) */
	EL_RECT,
	EL_ELLIPSE,
	EL_STAR,
	EL_TEXT,  /* a fixed label */
	EL_FIELD, /* a personal field */
	EL_PHOTO,
	EL_CHIP,      /* the chip window: nothing printed, no overlay */
	EL_NOOVERLAY, /* an area left without overlay varnish */
};

enum field_id { F_NAME, F_SSN, F_CARD_NO, F_ISSUE_DATE, F_PAN, F_BANK, F_COUNT };

enum text_align { ALIGN_LEFT, ALIGN_CENTER, ALIGN_RIGHT };

struct layout_el {
	enum el_kind kind;
	int line;		   /* in the layout file, for messages */
	double x, y, w, h, radius; /* mm; a star uses x, y as its centre and w as its radius */
	int has_fill, has_stroke;
	uint32_t fill, stroke; /* 0xRRGGBB; text colour is fill */
	double stroke_w;       /* mm */
	/* text and fields */
	char *text;	       /* the literal of a text element */
	enum field_id field;   /* which field */
	int font;	       /* index into layout.font_name */
	double size, min_size; /* pt; a field shrinks down to min_size to fit w */
	enum text_align align; /* relative to x (left), x + w/2 (center), x + w (right) */
	int ink_k;	       /* drawn in the resin-black K panel, not in colour */
	int only_if;	       /* drawn only when this field is non-empty (-1: always) */
};

struct layout_side {
	struct layout_el *els;
	size_t n;
	int personal; /* has a field or a photo: differs from card to card */
};

struct layout {
	char *path;
	unsigned long crc; /* CRC-32 of the layout text: outputs record which layout drew them */
	double card_w, card_h; /* mm */
	struct layout_side side[SIDE_COUNT];
	int nfonts;
	char *font_name[LAYOUT_MAX_FONTS];
	char *font_chain[LAYOUT_MAX_FONTS]; /* "" = the configured card.font chain */
	int nbanks;
	char *bank_code[LAYOUT_MAX_BANKS], *bank_name[LAYOUT_MAX_BANKS];
};

/* Parse a layout from text (name is used in messages). */
int layout_parse(const char *text, size_t len, const char *name, struct layout **out);
int layout_load(const char *path, struct layout **out);
void layout_free(struct layout *lo);
/* The shipped default layout, layout/default.layout in the data folders fs_find_data()
 * searches. Newly allocated path, or CP_ERR_NOTFOUND. */
int layout_find_shipped(char **path);
const char *layout_field_name(enum field_id f);
const char *layout_side_name(enum layout_side_id s);
/* The display name of a bank code from the layout's bank table, or the code itself. */
const char *layout_bank_name(const struct layout *lo, const char *code);

#endif
