/*
 * evolis_proto.h - the Evolis escape protocol as pure functions
 * (docs/printer-reference.md §1.1): command framing, reply classification and parsing, and the panel bitmaps of the Db command.
 * No I/O here, so the driver, the emulator and the unit tests share one definition.
 *
 * Panel orientation (the 648-dot line trap): a panel is sent as 1016 lines of 648 dots.
 * Line i is column x = i of the landscape card image; dot j of that line is row
 * y = 647 - j (the image rotated 90 degrees clockwise, like `pnmflip -rotate270`).
 This is the line order of
 * struct panel_set (personalization/face/panels.h), which the driver sends as it is.
 * Colour panels (y, m, c) carry n = 5/6/7 bits per dot for 32/64/128 levels, the top n
 * bits of Y = 255 - B, M = 255 - G, C = 255 - R, packed MSB first as one bit stream
 * (panels_db_color()); k and o carry 1 bit per dot, MSB first, 81 bytes a line, 1 = print.
 */
#ifndef CP_EVOLIS_PROTO_H
#define CP_EVOLIS_PROTO_H

#include "printer/printer.h"

#include <stddef.h>

#define EVO_ESC 0x1b
#define EVO_CR 0x0d
#define EVO_LINES PRINTER_WIDTH			  /* 1016 lines a panel */
#define EVO_DOTS PRINTER_HEIGHT			  /* 648 dots a line */
#define EVO_MONO_BYTES (EVO_LINES * EVO_DOTS / 8) /* 82 296 */
#define EVO_MAX_REPLY 127

struct buf;

/* Append ESC cmd CR to b. cmd must hold no CR. */
int evo_frame(struct buf *b, const char *cmd);

/* The condition a reply names ("OK" -> PRN_OK, "COVER OPEN" -> PRN_COVER_OPEN, any other
 * reply starting "ERR" -> PRN_ERROR), or PRN_NCOND when the reply is data (a query's
 * answer). Leading and trailing blanks are ignored. */
enum printer_cond evo_reply_cond(const char *reply);

/* Rlr;p: "OK" none, "CARD" print, "SMART CARD" contact, "CONTACTLESS CARD". */
int evo_parse_position(const char *reply, enum printer_card_pos *pos);
/* Rse;x: "5,00 Volts" (comma or point). */
int evo_parse_volts(const char *reply, double *volts);
/* A non-negative decimal count ("1234"). */
int evo_parse_count(const char *reply, long *n);

/* Bits per dot for a colour level count (32 -> 5, 64 -> 6, 128 -> 7), 0 if not one. */
int evo_level_bits(int levels);
/* Bytes of a panel's data: colour 'y','m','c' at levels, or 'k'/'o' (levels 2). */
size_t evo_panel_bytes(char colour, int levels);

/* Decode a colour panel back into the landscape plane (1 byte per pixel, the panel value
 * Y/M/C with its n bits replicated into 8), and a 1-bit panel into a 0/1 mask. */
int evo_decode_colour(int levels, const unsigned char *data, unsigned char *plane);
void evo_decode_mono(const unsigned char *data, unsigned char *mask);

/* Expand an n-bit level back to 8 bits by bit replication (127 -> 255 at 7 bits). */
unsigned evo_expand_level(unsigned v, int bits);

#endif
