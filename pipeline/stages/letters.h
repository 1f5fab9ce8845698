/*
 * letters.h - carrier letters: the A4 letter each card is glued to (docs/printer-reference.md §5),
 * one page per card, one PDF per dispatch batch, in the batch's item order (the order of
 * the manifest, so that stuffing follows the bags). A letter shows the address block
 * (for a window envelope), the card affix area with the card number for matching, and
 * for mailed and employer cards the activation instructions (manual item 15) with a QR
 * code carrying only the activation reference; the 96066 hotline on every letter.
 */
#ifndef CP_LETTERS_H
#define CP_LETTERS_H

#include "pipeline/registry/reg_dispatch.h"

struct config;

/* Write the batch's letters to path (PDF, 0600, atomically). */
int letters_write_batch(const struct config *cfg, const char *home, const char *path,
			const char *batch, const struct dispatch_list *items);

#endif
