/*
 * perso.h - the perso stage (data preparation): for every card in state 'allocated', derive
 * its keys from the master keys, build its perso script, seal the scripts of a production
 * line into batch files (spool/perso/line-N/L<N>-<first>-<last>.batch) and move the cards
 * to 'perso_ready' in the same registry transaction that records the batch
 * (docs/perso-script-format.md). `cardpipe perso`, `nightly` and `instant` call it.
 *
 * Idempotent and crash-safe: a batch file is written (temp, fsync, rename) before the
 * transaction that points the registry at it; a run that died in between leaves a file no
 * row names, which the next run deletes before it builds the same batch again. A card whose
 * data cannot go on a chip (a name too long for 90 bytes of GB18030, a bad date) is held
 * with the reason; the others go on.
 */
#ifndef CP_STAGE_PERSO_H
#define CP_STAGE_PERSO_H

#include "pipeline/stages/stage.h"

#include <stddef.h>

struct config;
struct registry;

struct perso_opts {
	int line;		     /* put every card on this line; 0 = card's own line, else
				 round robin over produce.lines */
	long long card_id;	     /* only this card (instant issuance); 0 = all */
	struct perso_counts *detail; /* the stage's own figures, or NULL */
};

struct perso_counts {
	long cards, held, batches;
};

/* The result: read = cards + held, done = cards, rejected = held = cards held. */
int stage_perso_run(const struct stage_ctx *ctx, const struct perso_opts *opts,
		    struct stage_result *res);

#endif
