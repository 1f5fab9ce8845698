/* cmd_line.c - `cardpipe line`: start, stop and use the emulated production line
 * (emulator/line.h, docs/production-line.md). */
#include "pipeline/cmd/cmd.h"

#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/fsutil.h"
#include "personalization/face/panels.h"
#include "emulator/printer/emu_face.h"
#include "emulator/printer/vcard_client.h"
#include "emulator/line.h"
#include "pipeline/registry/reg_production.h"
#include "pipeline/registry/registry.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
	"usage: cardpipe line start [--line N] [--fast] [--faults FILE] [--timeout-ms MS]\n"
	"       cardpipe line stop [--line N]\n"
	"       cardpipe line status [--line N]\n"
	"       cardpipe line insert [--line N] CARD_NO\n"
	"       cardpipe line remove [--line N]\n"
	"       cardpipe line printer [--line N] COMMAND...\n"
	"       cardpipe line check-print [--line N] CARD_NO...\n"
	"\n"
	"The emulated production line of CARDPIPE_HOME: a pcscd of its own with vsmartcard's\n"
	"vpcd reader, the virtual-card daemon (vcard) and the Evolis printer emulator\n"
	"(evolis-emu), so that 'cardpipe produce --line N' runs against it through the real\n"
	"PC/SC stack. Files, pid files and logs are in $CARDPIPE_HOME/run/line<N>/; the\n"
	"printer listens on 127.0.0.1:printer.port + N - 1, vpcd on printer.vpcd_port +\n"
	"2(N - 1). Printed cards are run/line<N>/printed/<card identifier>.png.\n"
	"\n"
	"  start     start pcscd, vcard and the emulator, each waited for until it answers\n"
	"  stop      stop each of them by its pid (those already gone are fine)\n"
	"  status    which processes run, and what the printer and the reader report\n"
	"            (exit 3 when the line is not fully running)\n"
	"  insert    put produced card CARD_NO (its chip, found by the card identifier in\n"
	"            the registry) back into the line's reader, for any PC/SC client\n"
	"  remove    take the card out of the reader\n"
	"  printer   send a control command to the printer emulator: FAULT jam-at K,\n"
	"            FAULT ribbon-out-after N, FAULT feeder-empty, FAULT cover-open,\n"
	"            FAULT drop-at K, FAULT slow MS, FAULT defective-chip-at K,\n"
	"            FAULT pull-at K N, FAULT settle MS, CLEAR all|cover-open|slow|jam,\n"
	"            LOAD N, RIBBON N,\n"
	"            COVER open|close, STATUS\n"
	"  check-print  compare each produced card's printed faces (the emulator's PNGs of its\n"
	"            chip, front and back) with the faces its rendered panels print as at\n"
	"            printer.levels, pixel for pixel; exit 3 if any differs\n"
	"\n"
	"  --line N         the line (default 1)\n"
	"  --fast           emulator without mechanical delays (default: realistic delays)\n"
	"  --faults FILE    emulator faults file ('key = value' lines, docs/production-line.md)\n"
	"  --timeout-ms MS  how long to wait for each process to be ready (default 10000)\n"
	"  --help           this text\n";

/* Options up to the next non-option: 0 go on, 1 --help, 2 bad option, <0 bad value. */
static int
parse_opts(int argc, char **argv, struct line_opts *o)
{
	static const struct option opts[] = {
		{"line", required_argument, NULL, 'l'},
		{"fast", no_argument, NULL, 'f'},
		{"faults", required_argument, NULL, 'F'},
		{"timeout-ms", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	char *end;
	int c;

	while ((c = cmd_getopt(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			o->line = (int)strtol(optarg, &end, 10);
			if (*end || o->line < 1 || o->line > 99)
				return cp_err(CP_ERR_USAGE, "--line takes 1..99, not '%s'", optarg);
			break;
		case 'f': o->fast = 1; break;
		case 'F': o->faults = optarg; break;
		case 't':
			o->timeout_ms = (int)strtol(optarg, &end, 10);
			if (*end || o->timeout_ms < 100)
				return cp_err(CP_ERR_USAGE,
					      "--timeout-ms takes at least 100, not '%s'", optarg);
			break;
		case 'h': return 1;
		default: return 2;
		}
	}
	return 0;
}

/* One side of a card: its rendered panels in faces/ against the printed PNG. */
static int
check_side(const char *faces, const char *side, const char *png, int levels)
{
	struct panel_set ps;
	unsigned char *want = NULL;
	long ndiff = 0;
	int r;

	if ((r = panels_load(faces, side, &ps)) < 0)
		return r;
	if ((r = emu_face_expected(&ps, levels, &want)) == 0)
		r = emu_face_compare(png, want, &ndiff);
	free(want);
	panel_set_release(&ps);
	return r;
}

/* Printed faces of each card (run/line<N>/printed/<chip id>.png, .back.png) against its
 * rendered panels. */
static int
check_print(struct cp_ctx *ctx, int line, int n, char **cards)
{
	struct registry *reg = NULL;
	char *spool = ctx_path(ctx, "paths.spool"), *dir = line_dir(ctx->home, line);
	int levels = (int)config_int(ctx->cfg, "printer.levels"), r, bad = 0;

	if ((r = ctx_registry(ctx, &reg)) < 0)
		goto out;
	for (int i = 0; i < n; i++) {
		char chip[64], *faces = NULL, *png = NULL, *bpanel = NULL;
		int sides = 1;

		if ((r = reg_prod_chip_of(reg, cards[i], chip, sizeof(chip))) == 0) {
			faces = xasprintf("%s/faces/%s", spool, cards[i]);
			png = xasprintf("%s/printed/%s.png", dir, chip);
			r = check_side(faces, "front", png, levels);
			bpanel = fs_join(faces, "back-ymc.png");
			if (r == 0 && fs_exists(bpanel)) {
				free(png);
				png = xasprintf("%s/printed/%s.back.png", dir, chip);
				r = check_side(faces, "back", png, levels);
				sides = 2;
			}
		}
		if (r == 0) {
			printf("%s identical (%d side%s, chip %s)\n", cards[i], sides,
			       sides > 1 ? "s" : "", chip);
		} else {
			printf("%s DIFFERENT: %s\n", cards[i], cp_errmsg());
			bad++;
		}
		free(faces);
		free(png);
		free(bpanel);
	}
	r = bad ? cp_err(CP_ERR_INTEGRITY, "%d of %d printed cards differ from their panels", bad,
			 n)
		: 0;
out:
	free(spool);
	free(dir);
	return r;
}

int
cmd_line(int argc, char **argv, struct cp_ctx *ctx)
{
	struct line_opts o = {.line = 1, .timeout_ms = 10000};
	const char *sub;
	int r = 0, n;

	/* options may come before and after the subcommand */
	optind = 1;
	if ((r = parse_opts(argc, argv, &o)) != 0)
		return r < 0 ? cmd_exit("line", r) : cmd_usage(usage, r != 1);
	if (optind >= argc)
		return cmd_usage(usage, 1);
	sub = argv[optind++];
	if ((r = parse_opts(argc, argv, &o)) != 0)
		return r < 0 ? cmd_exit("line", r) : cmd_usage(usage, r != 1);

	if (!strcmp(sub, "start") && optind == argc) {
		if (o.faults && access(o.faults, R_OK) != 0)
			return cmd_exit("line", cp_err(CP_ERR_USAGE,
						       "--faults '%s': cannot read it", o.faults));
		r = line_start(ctx->cfg, ctx->home, &o);
		if (r == 0 && !ctx->quiet)
			printf("line %d started\n", o.line);
	} else if (!strcmp(sub, "stop") && optind == argc) {
		r = line_stop(ctx->home, o.line, o.timeout_ms, &n);
		if (r == 0 && !ctx->quiet)
			printf("line %d stopped (%d processes were running)\n", o.line, n);
	} else if (!strcmp(sub, "status") && optind == argc) {
		struct line_status st;

		if ((r = line_status(ctx->home, o.line, &st)) == 0) {
			printf("line %d\n", o.line);
			printf("  pcscd       %s", st.pcscd ? "running" : "stopped");
			if (st.pcscd)
				printf(" (pid %d)", (int)st.pcscd);
			printf("\n  vcard       %s", st.vcard ? "running" : "stopped");
			if (st.vcard)
				printf(" (pid %d) %s", (int)st.vcard, st.vcard_status);
			printf("\n  evolis-emu  %s", st.emu ? "running" : "stopped");
			if (st.emu)
				printf(" (pid %d) %s", (int)st.emu, st.emu_status);
			printf("\n");
			if (!st.pcscd || !st.vcard || !st.emu)
				r = cp_err(CP_ERR_NOTFOUND, "line %d is not (fully) running",
					   o.line);
		}
	} else if (!strcmp(sub, "insert") && optind == argc - 1) {
		struct registry *reg = NULL;
		char chip[64], serial[17];

		if ((r = ctx_registry(ctx, &reg)) == 0 &&
		    (r = reg_prod_chip_of(reg, argv[optind], chip, sizeof(chip))) == 0 &&
		    (r = line_serial_of_chip(chip, serial)) == 0 &&
		    (r = line_insert(ctx->home, o.line, serial)) == 0 && !ctx->quiet)
			printf("card %s (chip %s) is in line %d's reader\n", argv[optind], chip,
			       o.line);
	} else if (!strcmp(sub, "remove") && optind == argc) {
		r = line_remove(ctx->home, o.line);
	} else if (!strcmp(sub, "printer") && optind < argc) {
		char *dir = line_dir(ctx->home, o.line), *ctl = xasprintf("%s/emu.ctl", dir);
		char cmd[256] = "", reply[512];

		for (int i = optind; i < argc; i++)
			snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), "%s%s",
				 i > optind ? " " : "", argv[i]);
		if ((r = vcard_ask(ctl, cmd, reply, sizeof(reply))) == 0) {
			puts(reply);
			if (strncmp(reply, "OK", 2))
				r = cp_err(CP_ERR_USAGE, "the printer emulator refused '%s'", cmd);
		}
		free(ctl);
		free(dir);
	} else if (!strcmp(sub, "check-print") && optind < argc) {
		r = check_print(ctx, o.line, argc - optind, argv + optind);
	} else {
		return cmd_usage(usage, 1);
	}
	return cmd_exit("line", r);
}
