/* cmd_instant.c - `cardpipe instant FILE --line N`: instant issuance at a branch's counter. */
#include "pipeline/cmd/cmd.h"

#include "core/err.h"
#include "core/mask.h"
#include "pipeline/registry/registry.h"
#include "pipeline/stages/instant.h"
#include "pipeline/stages/status.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: cardpipe instant FILE --line N [--no-produce]\n"
	"\n"
	"Instant issuance (即时制卡): carry the one application in FILE (employer XML, online\n"
	"XML or counter CSV, as the channels send them; photos inline or in photos/ beside it)\n"
	"through ingest, prepare (due the same day), perso, render and production on line N,\n"
	"then print the card's state. Safe alongside a running nightly: no lock is taken, the\n"
	"registry keeps the two apart.\n"
	"\n"
	"  --line N       the branch's production line (required)\n"
	"  --no-produce   stop when the card is rendered (the line produces it later)\n"
	"\n"
	"A line that is not running is said to be so, with the command that starts it\n"
	"(cardpipe line start --line N).\n"
	"\n"
	"Exit codes: 0 card produced (or rendered with --no-produce); 1 the application was\n"
	"rejected, is a duplicate or was held (the reason is printed); 2 usage; 3 failure.\n";

int
cmd_instant(int argc, char **argv, struct cp_ctx *ctx)
{
	static const struct option opts[] = {{"line", required_argument, NULL, 'l'},
					     {"no-produce", no_argument, NULL, 'n'},
					     {"help", no_argument, NULL, 'h'},
					     {0}};
	struct instant_opts io = {0};
	struct instant_result res;
	struct stage_ctx sc;
	char masked[40];
	int c, r;

	while ((c = cmd_getopt(argc, argv, "l:nh", opts, NULL)) != -1) {
		if (c == 'l')
			io.line = atoi(optarg);
		else if (c == 'n')
			io.no_produce = 1;
		else
			return cmd_usage(usage, c != 'h');
	}
	if (optind + 1 != argc || io.line < 1 || io.line > 99)
		return cmd_usage(usage, 1);
	io.file = argv[optind];
	if ((r = ctx_stage(ctx, &sc)) < 0)
		return cmd_exit("instant", r);
	r = stage_instant_run(&sc, &io, &res);
	if (r < 0)
		return cmd_exit("instant", r);
	mask_id(res.id_number, masked, sizeof(masked));
	printf("application %lld (%s): %s\n", res.application_id, masked, res.app_state);
	if (res.card_no[0])
		printf("card %s: %s\n", res.card_no, res.card_state);
	if (res.reason[0])
		printf("reason: %s\n", res.reason);
	printf("cardpipe processing %.3f s; production %.1f s\n", res.own_seconds,
	       res.produce_seconds);
	if (res.id_number[0])
		status_person(sc.reg, res.id_number, 0, stdout);
	if (strcmp(res.app_state, "accepted") != 0)
		return EXIT_REJECTS;
	if (!strcmp(res.card_state, "produced") ||
	    (io.no_produce && !strcmp(res.card_state, "rendered")))
		return EXIT_DONE;
	return EXIT_REJECTS;
}
