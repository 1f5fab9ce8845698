/*
 * emu_face.h - the printed face as the emulator reassembles it, and the face a card's
 * rendered panels should print as: one definition for both, so that "the printed faces
 * equal the rendered ones pixel for pixel" is a byte comparison.
 *
 * The face is landscape RGB, PRINTER_WIDTH x PRINTER_HEIGHT: R = 255 - C, G = 255 - M,
 * B = 255 - Y, each panel value at the printer's levels with its bits replicated back to
 * 8 (evo_expand_level), and black wherever the K (resin) panel prints.
 */
#ifndef CP_EMU_FACE_H
#define CP_EMU_FACE_H

struct panel_set;

/* planes: landscape Y, M, C (1 byte a pixel; NULL = no ink); k: landscape 0/1 mask or NULL.
 * rgb: PRINTER_WIDTH * PRINTER_HEIGHT * 3 bytes. */
void emu_face_compose(const unsigned char *const planes[3], const unsigned char *k,
		      unsigned char *rgb);
/* The face ps prints as at levels (32/64/128): through the same Db encoding the driver
 * sends and the emulator decodes. *rgb newly allocated. */
int emu_face_expected(const struct panel_set *ps, int levels, unsigned char **rgb);
/* Compare a printed PNG with the expected face: 0 when identical; CP_ERR_INTEGRITY naming
 * the number of differing pixels and the first one otherwise. */
int emu_face_compare(const char *png_path, const unsigned char *expected, long *ndiff);

#endif
