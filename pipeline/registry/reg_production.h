/*
 * reg_production.h - the production line in the registry: claiming cards, production
 * attempts (in_flight -> produced | spoiled), holding cards for a person, pauses, and the
 * per-line, per-shift counts.
 *
 * Claims: a line claims one card at a time (card.claimed_by = "line<N>", card.line = N)
 * inside BEGIN IMMEDIATE, so two lines on one registry never take the same card. A card
 * stays claimed while it is remade and is released when produced or held. Every function
 * that changes something runs its own transaction.
 */
#ifndef CP_REG_PRODUCTION_H
#define CP_REG_PRODUCTION_H

#include "pipeline/registry/reg_cards.h"

#include <stddef.h>

struct registry;

/* Spoil reasons, as the schema's CHECK names them: the card's own (chip, print, qc) first,
 * then the line's (docs/production-line.md). */
#define PROD_REASONS                                                                               \
	"chip", "print", "qc", "jam", "feeder", "ribbon", "cover", "connection", "interrupted",    \
		"reader", "printer", "script"
#define PROD_NREASONS 12
extern const char *const prod_reasons[PROD_NREASONS];
/* The card's own reasons, the one definition of the card/line rule: an attempt spoiled for
 * one of these is charged to the card, any other reason is the line's. As a C list
 * (prod_reason_fault) and as an SQL list (db check); migration 10 shipped the same three. */
#define PROD_CARD_REASONS "chip", "print", "qc"
#define PROD_CARD_REASONS_SQL "'chip','print','qc'"
#define PROD_NCARD_REASONS 3
/* Whose fault a spoil reason is: "card" or "line"; NULL for a word that is no reason. */
const char *prod_reason_fault(const char *reason);

struct prod_attempt {
	long long id, card_id;
	int attempt_no, line, fed;
	char card_no[10];
	char shift[32];
	char state[16], step[16], spoil_reason[16];
	char chip_id[64];
	char locked_at[24]; /* when the chip was verified locked (SECURED), "" not yet */
};

/* The card this line already holds a claim on (a remake after a spoiled attempt, or a run
 * that stopped), else claim the next card in state 'rendered' (instant cards first, then
 * oldest first). exclude: card ids to pass over, as a JSON array ("[3,7]"), or NULL.
 * CP_ERR_NOTFOUND when there is nothing to do. */
int reg_prod_claim_next(struct registry *reg, int line, const char *exclude, struct card_row *out);
/* How many cards reg_prod_claim_next could still give this line (for a progress count). */
int reg_prod_waiting(struct registry *reg, int line, long long *n);
/* Claim one card by number (instant issuance). CP_ERR_NOTFOUND: no such card;
 * CP_ERR_INVALID: not rendered; CP_ERR_BUSY: claimed by another line. */
int reg_prod_claim_card(struct registry *reg, int line, const char *card_no, struct card_row *out);
/* Give back this line's claim on a card that has no attempt in flight. */
int reg_prod_release(struct registry *reg, int line, long long card_id);

/* Attempts of a card so far that took a physical card (fed = 1), and of those the ones
 * spoiled for the card's own fault (chip, qc, print). */
int reg_prod_card_attempts(struct registry *reg, long long card_id, int *fed, int *card_faults);
/* Record a new attempt in flight (committed). */
int reg_prod_attempt_begin(struct registry *reg, long long card_id, int line, const char *shift,
			   struct prod_attempt *out);
/* Record the step reached (and the chip's card identifier once encoded; NULL keeps it). */
int reg_prod_attempt_step(struct registry *reg, struct prod_attempt *a, const char *step,
			  const char *chip_id);
/* The chip is encoded, read back and locked (docs/card-lifecycle.md): step 'encoded', the
 * chip id and the lock time (ISO 8601 UTC from the encoder) in one transaction. */
int reg_prod_attempt_encoded(struct registry *reg, struct prod_attempt *a, const char *chip_id,
			     const char *locked_at);
/* End an attempt: produced (the card becomes 'produced' with a's chip id bound, its claim
 * released; CP_ERR_INTEGRITY for an attempt whose chip was never locked) or spoiled with
 * a reason and a one-line detail; the attempt's fault (card or line) is the reason's. */
int reg_prod_attempt_produced(struct registry *reg, struct prod_attempt *a);
int reg_prod_attempt_spoiled(struct registry *reg, struct prod_attempt *a, const char *reason,
			     const char *detail);
/* Hold a card for a person (state 'held', reason), releasing the claim. */
int reg_prod_hold(struct registry *reg, long long card_id, const char *reason);

/* This line's attempts still in flight (after a crash), oldest first; *n of them in *out
 * (free()). */
int reg_prod_in_flight(struct registry *reg, int line, struct prod_attempt **out, size_t *n);

/* Pauses. */
int reg_prod_pause_begin(struct registry *reg, int line, const char *shift, const char *cause,
			 long long *pause_id);
int reg_prod_pause_end(struct registry *reg, long long pause_id, const char *outcome);

struct prod_counts {
	long attempts, fed, produced, spoiled, spoiled_fed, not_fed, in_flight, pauses;
	long locked;	     /* produced attempts whose chip was locked */
	long spoiled_locked; /* spoiled after the lock (to be destroyed like any other) */
	long spoiled_card, spoiled_line; /* spoiled by fault: = spoiled */
	long by_reason[PROD_NREASONS];
	long held; /* cards held by this line in this shift */
};
/* Counts of a line in a shift (shift NULL: every shift). */
int reg_prod_counts(struct registry *reg, int line, const char *shift, struct prod_counts *c);

/* A produced card's chip card identifier (for `cardpipe line insert`). */
int reg_prod_chip_of(struct registry *reg, const char *card_no, char *chip_id, size_t sz);

#endif
