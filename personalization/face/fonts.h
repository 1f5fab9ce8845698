/*
 * fonts.h - the card font chain (FreeType): the configured fonts in order, the first
 * that has a glyph for a character draws it. prepare asks whether a name can be drawn
 * (a name that cannot is held, never printed as boxes); render draws with it.
 */
#ifndef CP_FONTS_H
#define CP_FONTS_H

struct fontset;

/* chain: ':'-separated font files (TTF/OTF/TTC); NULL or "" = the installed defaults
 * (Noto Sans/Serif CJK, then HanaMinA/HanaMinB for the extension blocks). */
int fontset_open(const char *chain, struct fontset **out);
void fontset_free(struct fontset *fs);
/* 1 if every code point of the UTF-8 text has a glyph in some font of the chain; 0 if not,
 * with *missing set to the first code point none has; CP_ERR_FORMAT for invalid UTF-8. */
int fontset_covers(struct fontset *fs, const char *utf8, unsigned *missing);

#endif
