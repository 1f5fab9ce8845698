/*
 * instant.h - instant issuance (即时制卡): one application file through ingest, prepare,
 * perso, render and produce onto a branch's line, without waiting for the night, alongside
 * a running nightly (it takes no nightly lock; the registry's transactions keep the two
 * apart, and a card marked instant is left to the instant run by the nightly stages).
 */
#ifndef CP_STAGE_INSTANT_H
#define CP_STAGE_INSTANT_H

#include "pipeline/stages/stage.h"

struct instant_opts {
	const char *file; /* the application file: one record, any input format */
	int line;	  /* the branch's production line */
	int no_produce;	  /* stop before production (card rendered, waiting for the line) */
};

struct instant_result {
	long long application_id;
	char app_state[16];
	char reason[256];
	char card_no[16];
	char card_state[16];
	char id_number[32];	/* for `cardpipe status`; never logged */
	double own_seconds;	/* cardpipe's processing, the printer's mechanics excluded */
	double produce_seconds; /* the production step, mechanics included */
};

int stage_instant_run(const struct stage_ctx *ctx, const struct instant_opts *opts,
		      struct instant_result *res);

#endif
