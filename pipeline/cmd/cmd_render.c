/* cmd_render.c - `cardpipe render`: card faces and printer panels (stages/render.c). */
#include "pipeline/cmd/cmd.h"

#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "personalization/face/layout.h"
#include "pipeline/registry/registry.h"
#include "pipeline/stages/render.h"
#include "pipeline/stages/stagelock.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

static const char usage[] =
	"usage: cardpipe render [--card CARD_NO] [--threads N] [--force] [--no-proof]\n"
	"       cardpipe render --proof-only\n"
	"       cardpipe render --check-layout FILE\n"
	"\n"
	"Draw the card faces of every card in state perso_ready (and allocated, with\n"
	"render.from_allocated) from the layout template (render.layout; default the shipped\n"
	"data/layout/default.layout, format docs/layout-format.md) at the printer canvas of\n"
	"printer.profile. Each card gets spool/faces/<card_no>/ with, per side (front, back),\n"
	"SIDE.png (composite preview, 300 dpi), SIDE-ymc.png, SIDE-k.png and SIDE-o.png (the\n"
	"printer panels, docs/panel-format.md) and faces.txt (written last), and moves to\n"
	"rendered. A card whose text no card font can draw (card.font), whose name does not\n"
	"fit its box, or whose photo cannot be read is held with the reason. Proof sheets for\n"
	"the run go to out/proof/. Safe to run again: complete outputs are not redrawn.\n"
	"\n"
	"Options:\n"
	"  --card CARD_NO      only this card (instant issuance); no proof sheet\n"
	"  --threads N         worker threads (default render.threads; 0 = one per CPU)\n"
	"  --force             draw again even when a card's outputs are complete\n"
	"  --no-proof          write no proof sheets (render.proof)\n"
	"  --proof-only        draw nothing; proof sheets of every card in state rendered\n"
	"  --check-layout FILE parse a layout file, print 'ok' or its errors with line numbers\n"
	"  -h, --help          this text\n"
	"\n"
	"A run without --card holds the render stage lock (docs/locks.md): another waits for it\n"
	"up to general.lock_wait seconds, naming it, then exits 3. Proof pages a killed run owed\n"
	"are drawn by the next run.\n";

int
cmd_render(int argc, char **argv, struct cp_ctx *ctx)
{
	static const struct option opts[] = {
		{"card", required_argument, NULL, 'c'},
		{"threads", required_argument, NULL, 't'},
		{"force", no_argument, NULL, 'f'},
		{"no-proof", no_argument, NULL, 'P'},
		{"proof-only", no_argument, NULL, 'O'},
		{"check-layout", required_argument, NULL, 'L'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct render_opts ro = {0};
	struct render_counts *counts = NULL;
	struct stage_result sr;
	struct stage_ctx sc;
	struct run_lock lk = {-1};
	const char *check = NULL;
	int c, r;

	while ((c = cmd_getopt(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': ro.card_no = optarg; break;
		case 't': {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (!optarg[0] || *end || v < 0 || v > 64) {
				fprintf(stderr, "cardpipe render: --threads wants 0..64\n");
				return cmd_usage(usage, 1);
			}
			ro.threads = (int)v;
			break;
		}
		case 'f': ro.force = 1; break;
		case 'P': ro.no_proof = 1; break;
		case 'O': ro.proof_only = 1; break;
		case 'L': check = optarg; break;
		case 'h': return cmd_usage(usage, 0);
		default: return cmd_usage(usage, 1);
		}
	}
	if (optind != argc)
		return cmd_usage(usage, 1);
	if (check) {
		struct layout *lo = NULL;

		if ((r = layout_load(check, &lo)) < 0) {
			fprintf(stderr, "%s\n", cp_errmsg());
			return EXIT_USAGE;
		}
		layout_free(lo);
		printf("ok\n");
		return EXIT_DONE;
	}
	/* every waiting card (and the proof sheets) belongs to one run at a time; one card
	 * (instant issuance) is drawn beside it */
	if (!ro.card_no && (r = stage_lock_take(ctx->cfg, ctx->home, "render", NULL, &lk)) < 0)
		return cmd_exit("render", r);
	if ((r = ctx_stage(ctx, &sc)) < 0) {
		run_lock_release(&lk);
		return cmd_exit("render", r);
	}
	counts = xcalloc(1, sizeof(*counts));
	ro.detail = counts;
	r = stage_render_run(&sc, &ro, &sr);
	if (r >= 0 && !ctx->quiet) {
		printf("rendered %ld, already complete %ld, held %lld", counts->rendered,
		       counts->complete, sr.held);
		if (counts->proof_pages)
			printf(", proof pages %d", counts->proof_pages);
		printf("\n");
		for (int i = 0; i < counts->nreported; i++)
			printf("held %s: %s\n", counts->held_cards[i].card_no,
			       counts->held_cards[i].reason);
		if (sr.held > counts->nreported)
			printf("... and %lld more held (cardpipe status, or the registry)\n",
			       sr.held - counts->nreported);
	}
	free(counts);
	ctx_close_registry(ctx);
	run_lock_release(&lk);
	return cmd_exit("render", r);
}
