/*
 * emu.h - the Evolis printer emulator's machine: the protocol parser and the printer's
 * state (feeder, card path, contact station, ribbon, cover, counters, faults), without
 * sockets, so that unit tests drive it byte by byte. evolis_emu_main.c puts it on a
 * loopback TCP port.
 *
 * Bytes from the host go in with emu_input(); replies (each terminated by a NUL, as an
 * Evolis printer does over usblp) come out in a buffer. A Db command carries binary data:
 * its length follows from its colour and levels (evolis_proto.h), so the parser waits for
 * all of it before it looks for the closing CR.
 *
 * Faults (from the configuration file or the control socket):
 *   ribbon-out-after N   the ribbon breaks during the print after N more cards (ERROR
 *                        RIBBON; its counter gave no warning) until RIBBON n
 *   jam-at K             the K-th card fed from now jams on its way to the contact station
 *   feeder-empty         the feeder holds no cards (FEEDER EMPTY) until LOAD
 *   cover-open           the cover is open (COVER OPEN) until COVER close
 *   drop-at K            the connection drops while the K-th card's panels arrive
 *   slow MS              every reply waits MS milliseconds
 *   defective-chip-at K  the K-th card's chip is defective (asks vcard FAULT defective)
 *   defective-chips-from K  every card from the K-th on has a defective chip (a bad
 *                        batch of blanks) until CLEAR all
 *   pull-at K N          the K-th card leaves the reader after N APDUs (vcard FAULT pull-after)
 * and a setting: settle MS, the least time between one chip leaving the reader and the
 * next entering it (default 800: pcscd must see the reader empty in between).
 */
#ifndef CP_EMU_H
#define CP_EMU_H

#include "core/buf.h"

#include <stddef.h>

enum emu_action {
	EMU_CONTINUE = 0,
	EMU_DROP, /* close the host connection now (fault "drop-at") */
};

struct emu_config {
	int line;		   /* line number: part of every chip serial */
	long feeder_cards;	   /* cards in the feeder at start */
	long ribbon_cards;	   /* prints left on the ribbon at start */
	int realistic;		   /* mechanical delays (else fast mode) */
	int delay_scale_pct;	   /* realistic delays scaled (100 = nominal) */
	const char *out_dir;	   /* PNGs and commands.log */
	const char *state_dir;	   /* serial counter */
	const char *vcard_control; /* vcard daemon's control socket; NULL: no chips */
};

struct emu;

int emu_new(const struct emu_config *cfg, struct emu **out);
void emu_free(struct emu *e);

/* Apply a configuration file of "key = value" lines (faults and counts, see the top). */
int emu_load_faults(struct emu *e, const char *path);
/* One control command ("FAULT jam-at 3", "CLEAR all", "LOAD 100", "COVER close",
 * "RIBBON 500", "STATUS"); the one-line answer ("OK ...", "ERR ...") goes to reply. */
int emu_control(struct emu *e, const char *line, struct buf *reply);

/* Feed host bytes; complete commands are executed, their replies appended to out. The
 * return says whether to drop the connection. Bytes of an incomplete command are kept. */
enum emu_action emu_input(struct emu *e, const unsigned char *data, size_t len, struct buf *out);
/* The host connection closed or dropped: forget a half-received command. */
void emu_disconnect(struct emu *e);

#endif
