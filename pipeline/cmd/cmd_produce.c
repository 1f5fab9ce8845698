/* cmd_produce.c - `cardpipe produce`: drive one production line (pipeline/stages/produce.h). */
#include "pipeline/cmd/cmd.h"

#include "core/err.h"
#include "core/log.h"
#include "pipeline/registry/registry.h"
#include "pipeline/stages/produce.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: cardpipe produce [--line N] [--max-cards K] [--card CARD_NO]\n"
	"\n"
	"Drive production line N: for every card rendered and waiting (oldest first, instant\n"
	"cards before batch cards), feed a blank card, move it to the contact station,\n"
	"personalise its chip from its perso script and read it back, print its front panels,\n"
	"eject it, and record it produced with its chip's card identifier.\n"
	"\n"
	"A card fault (chip, qc, print: a defective chip, a command or the keys refused, a\n"
	"read-back mismatch, a print defect) rejects that card, records it spoiled and remakes\n"
	"it, up to produce.max_attempts, then holds it for a person. A line fault (a card\n"
	"already in the chip reader, the reader or pcscd gone, the printer offline or in error,\n"
	"a bad perso script) is never the card's: the line stops with a message naming the\n"
	"fault and what to do, and the cards stay queued. Printer faults that clear (cover,\n"
	"feeder, ribbon, jam, connection) pause the line (produce.poll_ms) and stop it as a\n"
	"line fault after produce.fault_wait_s; a blank lost to one is recorded spoiled with\n"
	"its line reason (jam, feeder, ribbon, cover, connection, reader, printer, script).\n"
	"After produce.max_consecutive_spoils blanks spoiled in a row the line stops too.\n"
	"SIGINT or SIGTERM stops it after the card in hand, or at once while paused. A run\n"
	"killed mid-card resolves that card's attempt (interrupted) when it starts again.\n"
	"Two lines may run at once on one registry; one line runs once at a time.\n"
	"\n"
	"  --line N         the line (default 1): printer at printer.port + N - 1; its encoder\n"
	"                   through the line's pcscd when the emulated line runs (cardpipe line)\n"
	"  --max-cards K    stop after K cards produced (default: until none is waiting)\n"
	"  --card CARD_NO   produce this one card only (instant issuance)\n"
	"  --help           this text\n"
	"\n"
	"Writes the shift report out/shift/line<N>-<date>-s<shift>.txt (counts that add up).\n"
	"Exit: 0 done (also when stopped by the operator), 2 usage or configuration, 3 failure\n"
	"(registry, key store, files), 4 line fault: the line stopped (card in the reader,\n"
	"reader or printer unreachable, printer fault not cleared in time, too many blanks\n"
	"spoiled in a row); the message says which and what to do, the cards stay queued.\n";

static volatile sig_atomic_t stop_flag;

static void
on_stop(int sig)
{
	stop_flag = sig;
}

int
cmd_produce(int argc, char **argv, struct cp_ctx *ctx)
{
	static const struct option opts[] = {
		{"line", required_argument, NULL, 'l'},
		{"max-cards", required_argument, NULL, 'm'},
		{"card", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct produce_result res = {0};
	struct produce_opts o = {.line = 1, .stop = &stop_flag, .detail = &res};
	struct stage_result sr;
	struct stage_ctx sc;
	struct sigaction sa = {.sa_handler = on_stop}, old_int, old_term;
	static char actor[32]; /* ctx->actor, read when the registry opens */
	char *end;
	int c, r;

	optind = 1;
	while ((c = cmd_getopt(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			o.line = (int)strtol(optarg, &end, 10);
			if (*end || o.line < 1 || o.line > 99)
				return cmd_exit("produce",
						cp_err(CP_ERR_USAGE, "--line takes 1..99, not '%s'",
						       optarg));
			break;
		case 'm':
			o.max_cards = strtol(optarg, &end, 10);
			if (*end || o.max_cards < 1)
				return cmd_exit(
					"produce",
					cp_err(CP_ERR_USAGE,
					       "--max-cards takes a positive count, not '%s'",
					       optarg));
			break;
		case 'c': o.card_no = optarg; break;
		case 'h': return cmd_usage(usage, 0);
		default: return cmd_usage(usage, 1);
		}
	}
	if (optind != argc)
		return cmd_usage(usage, 1);
	/* the audit rows name the line */
	snprintf(actor, sizeof(actor), "produce:line%d", o.line);
	ctx->actor = actor;
	if ((r = ctx_stage(ctx, &sc)) < 0)
		return cmd_exit("produce", r);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	r = stage_produce_run(&sc, &o, &sr);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (r >= 0 || res.shift[0]) {
		if (!ctx->quiet)
			printf("line %d shift %s: %lld produced, %lld spoiled, %lld held, %ld "
			       "pauses%s%s%s%s\n"
			       "shift report: %s\n",
			       o.line, res.shift, sr.done, sr.rejected, sr.held, res.pauses,
			       res.stopped ? " (stopped by the operator)" : "",
			       res.line_fault[0] ? " (stopped, line fault: " : "", res.line_fault,
			       res.line_fault[0] ? ")" : "",
			       res.report[0] ? res.report : "(not written)");
	}
	c = cmd_exit("produce", r);
	return r < 0 && res.line_fault[0] ? EXIT_LINE_FAULT : c;
}
