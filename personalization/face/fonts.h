/*
 * fonts.h - the card font chain (FreeType): the configured fonts in order, the first
 * that has a glyph for a character draws it. prepare asks whether a name can be drawn
 * (a name that cannot is held, never printed as boxes); render draws with it. The chain's
 * entries resolve here for every caller: the carrier letters walk theirs with
 * font_chain_walk().
 *
 * A fontset is not thread-safe (FreeType faces are not): each render worker opens its own.
 */
#ifndef CP_FONTS_H
#define CP_FONTS_H

struct fontset;

/* chain: ':'-separated font files (TTF/OTF/TTC); NULL or "" = the installed defaults
 * (Noto Sans/Serif CJK, then HanaMinA/HanaMinB for the extension blocks).
 * An entry "file.ttc#N" selects face N of a collection; without "#N" a collection's
 * Simplified Chinese face (family name ending in " SC") is used, else its face 0.
 * A relative entry without '/' is looked up by file name under /usr/share/fonts. */
int fontset_open(const char *chain, struct fontset **out);
void fontset_free(struct fontset *fs);
/* 1 if every code point of the UTF-8 text has a glyph in some font of the chain; 0 if not,
 * with *missing set to the first code point none has; CP_ERR_FORMAT for invalid UTF-8.
 * Variation selectors (U+FE00..FE0F, U+E0100..E01EF) need no glyph of their own; control
 * characters (below U+0020, U+007F..U+009F) are never drawable. */
int fontset_covers(struct fontset *fs, const char *utf8, unsigned *missing);

/* One rasterised glyph: 8-bit coverage, rows top to bottom, 'pitch' = width. */
struct glyph {
	int width, rows;
	int left, top; /* bitmap origin relative to the pen position on the baseline (y up) */
	long advance;  /* horizontal advance, 26.6 fixed-point pixels */
	unsigned char *coverage;
};

/* The glyph of cp at size px26 (pixel size in 26.6) from the first font of the chain that
 * has it; cached in fs, valid until fontset_free(). CP_ERR_NOTFOUND if no font has it. */
int fontset_glyph(struct fontset *fs, unsigned cp, long px26, const struct glyph **out);
/* The description of font i ("path#index (family style)", as in messages); "" when the
 * chain has no font i. */
const char *fontset_describe(const struct fontset *fs, int i);
/* True for a code point that needs no glyph (variation selectors). */
int font_cp_ignorable(unsigned cp);

/*
 * The chain itself, for a caller that draws with other machinery (the carrier letters lay
 * out text with Pango): the same entries, resolved to the same files and faces, in the
 * same order, as fontset_open() draws with.
 */
struct font_chain_rules {
	/* NULL: the card font chain's entries (see fontset_open()): "file#N" picks face N, a
	 * name without '/' is looked up under /usr/share/fonts. Else an entry is a file name
	 * as it stands ('#' is part of it), and one not starting with '/' is under base. */
	const char *base;
};
/* Called for each entry in chain order with its file and face (without "#N", a
 * collection's " SC" face as above, else 0) and r = 0; or with r < 0 when the entry names
 * no readable font file (cp_errmsg() says why; path is the file when known, else NULL).
 * A negative return stops the walk. */
typedef int (*font_chain_fn)(void *ctx, const char *path, long face, int r);
/* Walk a ':'-separated chain (empty entries are skipped): the number of entries walked,
 * or the first negative return of fn. */
int font_chain_walk(const char *chain, const struct font_chain_rules *rules, font_chain_fn fn,
		    void *ctx);

#endif
