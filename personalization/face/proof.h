/*
 * proof.h - proof sheets for visual QC of a batch: A4 pages (150 dpi, 1240 x 1754 px) of
 * 3 x 4 card previews at reduced scale, each captioned with its card number.
 */
#ifndef CP_FACE_PROOF_H
#define CP_FACE_PROOF_H

#include <stddef.h>

struct fontset;
struct png_opts;

#define PROOF_PER_PAGE 12

/* For each card i, the preview dirs[i]/SIDE.png is shown captioned with card_nos[i].
 * Pages are written as PREFIX-pNNN.png from NNN = first_page on (crash-safe); *pages =
 * how many. A preview that cannot be read is drawn as a red cell saying so, not skipped. */
int proof_write(const char *const *dirs, const char *const *card_nos, size_t n, const char *side,
		struct fontset *fs, const char *title, const char *prefix, int first_page,
		const struct png_opts *o, int *pages);

#endif
