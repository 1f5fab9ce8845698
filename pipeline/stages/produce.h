/*
 * produce.h - `cardpipe produce`: drive one production line (docs/production-line.md).
 *
 * Per card: claim it (state 'rendered'; lines claim disjoint cards), check the chip reader
 * is empty, record an attempt in flight (committed before anything physical), feed, move
 * to the contact station, personalise and read back the chip, print the front panels,
 * eject, and mark it produced with the chip's card identifier.
 *
 * Every failure is the card's or the line's. A card fault (defective chip, a command or the
 * keys refused, a read-back mismatch, a print defect) rejects the physical card, records
 * the attempt spoiled (fault 'card') and remakes the card until produce.max_attempts were
 * spoiled, then holds it for a person. A line fault (a card already in the reader, the
 * reader or pcscd gone, the printer offline or in error, a bad perso script) is never
 * charged to the card: the line stops with a message naming the fault and what to do,
 * the card stays queued, and the result's line_fault says which. Printer faults that clear
 * (ribbon, feeder, cover, jam, connection) pause the line until the printer reports them
 * cleared, and stop it as a line fault after produce.fault_wait_s. After
 * produce.max_consecutive_spoils blanks spoiled in a row the line stops as for a line
 * fault (the circuit breaker). A restarted run first resolves the attempts a killed run
 * left in flight.
 */
#ifndef CP_STAGE_PRODUCE_H
#define CP_STAGE_PRODUCE_H

#include "pipeline/stages/stage.h"

#include <signal.h>
#include <stddef.h>
#include <time.h>

struct config;
struct registry;
struct printer;
struct card_row;
struct encoder_result;
struct chip_profiles;
struct chip_profile;
struct produce_devices;

struct produce_opts {
	int line;		     /* 1..99 */
	long max_cards;		     /* stop after this many produced (0: no limit) */
	const char *card_no;	     /* only this card (instant issuance); NULL: any */
	volatile sig_atomic_t *stop; /* set by a signal: stop between cards, or while paused */
	const struct produce_devices *devices; /* NULL: the line's real devices */
	struct produce_result *detail;	       /* the stage's own figures, or NULL */
};

struct produce_result {
	long produced, spoiled, held, pauses;
	int stopped;	     /* stopped by the operator */
	char line_fault[32]; /* the line stopped on this line fault ("" when it did not) */
	char shift[32];
	char report[512]; /* the shift report written */
};

/* The devices of a line, as the stage uses them; stage_produce_run() builds the real ones
 * (Evolis printer, PC/SC encoder with the card's perso script); tests pass their own. */
struct produce_devices {
	void *ctx;
	/* (Re)connect the printer. */
	int (*open_printer)(void *ctx, struct printer **out);
	/* Personalise and read back the chip of the card at the contact station. res is always
	 * filled; 0 only for ENCODER_OK. */
	int (*encode)(void *ctx, const struct card_row *card, struct encoder_result *res);
	/* Before any attempt: 0 when this line can make the card; CP_ERR_NOTFOUND when it is
	 * not this line's (no perso script for it here: left for another line); another
	 * negative code stops the line. NULL: every card is this line's. */
	int (*prepare)(void *ctx, const struct card_row *card);
	/* Before a blank is fed: 0 when the chip reader is empty; CP_ERR_BUSY when a card is
	 * in it (someone else's: the line stops); another negative code when the reader or
	 * pcscd failed. NULL: not checked. */
	int (*check_reader)(void *ctx);
};

/* Drive the line opts->line with opts->devices (NULL: the real ones, under the line's
 * lock). The result: read = produced + spoiled, done = produced, rejected = spoiled,
 * held = cards held. */
int stage_produce_run(const struct stage_ctx *ctx, const struct produce_opts *opts,
		      struct stage_result *res);
/* The stage over the given devices (stage_produce_run() calls it). */
int produce_run_with(struct config *cfg, const char *home, struct registry *reg,
		     const struct produce_devices *dev, const struct produce_opts *opts,
		     struct produce_result *res);

/* The stock of the card at the contact station, by its ATR (docs/chip-profiles.md): 0 and
 * *out, or CP_ERR_UNSUPPORTED ("ATR ... matches no chip profile"): a card of a stock the
 * line does not know is rejected from the line, never personalised by guessing. */
int produce_pick_stock(const struct chip_profiles *stocks, const unsigned char *atr, size_t atr_len,
		       const struct chip_profile **out);

/* The shift of time t: "YYYY-MM-DD/S", the Beijing date and S = 1 + hour / shift_hours. */
void produce_shift_of(time_t t, int shift_hours, char *out, size_t outsz);
/* Write out/shift/line<N>-<date>-s<S>.txt for a line and shift from the registry. */
int produce_write_shift_report(struct config *cfg, const char *home, struct registry *reg, int line,
			       const char *shift, char *path, size_t pathsz);

#endif
