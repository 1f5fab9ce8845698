/*
 * render.h - the render stage: card faces and printer panels for every card waiting for
 * them (state perso_ready; also allocated with render.from_allocated), written to
 * spool/faces/<card_no>/ (docs/panel-format.md), then the card moves to rendered. A card
 * whose text no font can draw, whose name does not fit, or whose photo cannot be read is
 * held with the reason. Resumable and idempotent: a card whose outputs are complete is
 * recorded without being drawn again. Worker threads render; the registry stays on the
 * calling thread. `cardpipe render`, `nightly` and `instant` call it.
 */
#ifndef CP_STAGE_RENDER_H
#define CP_STAGE_RENDER_H

#include "pipeline/stages/stage.h"

#include <stddef.h>

struct config;
struct layout;
struct registry;
struct render_counts;

struct render_opts {
	const char *card_no; /* only this card (instant issuance); NULL = every waiting card */
	int threads;	     /* 0 = render.threads */
	int force;	     /* draw again even when the outputs are complete */
	int no_proof;	     /* no proof sheets, whatever render.proof says */
	int proof_only;	     /* render nothing: proof sheets of every card in state rendered */
	struct render_counts *detail; /* the stage's own figures (held cards), or NULL */
};

#define RENDER_MAX_REPORTED 50

struct render_counts {
	long rendered; /* drawn and recorded */
	long complete; /* outputs were already complete: recorded without drawing */
	long held;     /* held with a reason */
	int proof_pages;
	/* the first RENDER_MAX_REPORTED held cards, for the operator */
	int nreported;
	struct {
		char card_no[16];
		char reason[240];
	} held_cards[RENDER_MAX_REPORTED];
};

/* The result: read = drawn + already complete + held, done = drawn + already complete,
 * rejected = held = cards held. */
int stage_render_run(const struct stage_ctx *ctx, const struct render_opts *opts,
		     struct stage_result *res);

/* The card-face layout in force: render.layout, or the shipped one when it is empty. The
 * carrier letters take their bank names from it too. */
int render_load_layout(const struct config *cfg, const char *home, struct layout **lo);

#endif
