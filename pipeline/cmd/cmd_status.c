/*
 * cmd_status.c - `cardpipe status`: where a person's applications stand (manual item 37),
 * and the status feed for the channels.
 */
#include "pipeline/cmd/cmd.h"

#include "core/err.h"
#include "core/mem.h"
#include "pipeline/registry/registry.h"
#include "pipeline/stages/status.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: cardpipe status [--json] ID_NUMBER\n"
	"       cardpipe status --feed [--out FILE]\n"
	"\n"
	"ID_NUMBER     every application of the person with this ID number, oldest first, and\n"
	"              where each stands: received; rejected with its reason; duplicate of\n"
	"              another application; held; card allocated, chip data prepared, face\n"
	"              rendered, produced, dispatched (with the tracking number of a mailed\n"
	"              card), delivered or returned. The ID number is masked in all output and\n"
	"              logs. Exits 3 when there is no application; 2 when there is none and\n"
	"              the number cannot be an ID number (its check character is wrong,\n"
	"              and the message gives the right one, or its length or characters)\n"
	"--feed        write the changes since the last feed as JSON lines\n"
	"              (formats/status-feed.md) and move the watermark; without --out, to\n"
	"              out/status/status-feed-<first>-<last>.jsonl, and nothing when there is\n"
	"              no change\n"
	"\n"
	"Options:\n"
	"  --json      one JSON object per application instead of text\n"
	"  --out FILE  the feed file to write (0600; written even when empty)\n"
	"  -h, --help  this text\n";

int
cmd_status(int argc, char **argv, struct cp_ctx *ctx)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"feed", no_argument, NULL, 'f'},
		{"out", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *out = NULL;
	struct registry *reg = NULL;
	int c, r, json = 0, feed = 0;

	optind = 1;
	while ((c = cmd_getopt(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'f': feed = 1; break;
		case 'o': out = optarg; break;
		case 'h': return cmd_usage(usage, 0);
		default: return cmd_usage(usage, 1);
		}
	}
	if (feed ? (optind != argc || json) : (optind + 1 != argc || out))
		return cmd_usage(usage, 1);
	if ((r = ctx_registry(ctx, &reg)) < 0)
		return cmd_exit("status", r);
	if (feed) {
		char *written = NULL;
		struct status_opts so = {.path = out, .written = &written};
		struct stage_result sr = {0};
		struct stage_ctx sc;

		if ((r = ctx_stage(ctx, &sc)) == 0)
			r = stage_status_run(&sc, &so, &sr);
		if (r == 0 && !ctx->quiet)
			printf("%lld change(s)%s%s\n", sr.done, written ? ": " : "",
			       written ? written : "");
		free(written);
	} else {
		r = status_person(reg, argv[optind], json, stdout);
	}
	return cmd_exit("status", r);
}
