/*
 * cmd_photo.c - `cardpipe photo get | check`: take one stored photo out (audited), or check
 * that every stored photo reads back whole.
 */
#include "pipeline/cmd/cmd.h"

#include "core/err.h"
#include "pipeline/stages/photo_spool.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: cardpipe photo get (--card NO | --application N) --out FILE\n"
	"       cardpipe photo check\n"
	"\n"
	"get     write one application's photo, the JPEG as its channel sent it, to FILE\n"
	"        (mode 0600; FILE must not exist), once it reads back against the SHA-256\n"
	"        ingest recorded for it. A missing or damaged photo is refused with the\n"
	"        reason. Each photo taken out is recorded in the audit log\n"
	"        ('photo-exported': the file, its size and hash; actor operator:photo).\n"
	"check   read every stored photo the registry names against its hash: one line per\n"
	"        photo missing or damaged (application, card, place, reason), then a\n"
	"        summary. Exits 3 when any is; a card whose photo is either is held by\n"
	"        render, and the record of one not yet prepared is photo-missing.\n"
	"\n"
	"Options:\n"
	"  --card NO          the card whose application's photo to take out\n"
	"  --application N    the application, numbered as `cardpipe status` shows it\n"
	"  --out FILE         the file to write\n"
	"  -h, --help         this text\n"
	"\n"
	"Photos are stored in packs under spool/photos/packs/ (docs/photo-pack.md); older\n"
	"registries' photos as files under spool/photos/ are read too.\n";

static int
do_get(struct cp_ctx *ctx, long long app, const char *card, const char *out)
{
	struct photo_export ex = {.app_id = app, .card_no = card, .out = out};
	struct stage_ctx sc;
	int r;

	if ((r = ctx_stage(ctx, &sc)) < 0 || (r = photo_export(&sc, &ex)) < 0)
		return r;
	if (!ctx->quiet)
		printf("application %lld: photo written to %s (%zu bytes, sha256 %s)\n", ex.got_app,
		       out, ex.len, ex.sha256);
	return 0;
}

static int
do_check(struct cp_ctx *ctx)
{
	struct photo_check_result res;
	struct stage_ctx sc;
	int r;

	if ((r = ctx_stage(ctx, &sc)) < 0 || (r = photo_check_all(&sc, stdout, &res)) < 0)
		return r;
	printf("%lld stored photo(s) checked: %lld missing, %lld damaged\n", res.checked,
	       res.missing, res.damaged);
	if (res.missing || res.damaged)
		return cp_err(CP_ERR_INTEGRITY, "%lld stored photo(s) do not read back",
			      res.missing + res.damaged);
	return 0;
}

int
cmd_photo(int argc, char **argv, struct cp_ctx *ctx)
{
	static const struct option opts[] = {
		{"card", required_argument, NULL, 'c'},
		{"application", required_argument, NULL, 'a'},
		{"out", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static const char *const subs[] = {"get", "check"};
	const char *card = NULL, *app_s = NULL, *out = NULL;
	long long app = 0;
	int c;

	optind = 1;
	while ((c = cmd_getopt(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': card = optarg; break;
		case 'a': app_s = optarg; break;
		case 'o': out = optarg; break;
		case 'h': return cmd_usage(usage, 0);
		default: return cmd_usage(usage, 1);
		}
	}
	if (optind + 1 != argc)
		return cmd_usage(usage, 1);
	if (strcmp(argv[optind], "get") && strcmp(argv[optind], "check"))
		return cmd_unknown_word("subcommand", argv[optind], subs, 2);
	if (!strcmp(argv[optind], "check")) {
		if (card || app_s || out)
			return cmd_usage(usage, 1);
		return cmd_exit("photo", do_check(ctx)); /* reads only: no actor of its own */
	}
	if (!out || !out[0] || !card == !app_s) {
		fprintf(stderr, "cardpipe photo get: give --out FILE and one of --card, "
				"--application\n");
		return cmd_usage(usage, 1);
	}
	if (app_s) {
		char *end = NULL;

		errno = 0;
		app = strtoll(app_s, &end, 10);
		if (errno || end == app_s || *end || app <= 0) {
			fprintf(stderr,
				"cardpipe photo get: --application '%s' is not an application "
				"number (a positive whole number)\n",
				app_s);
			return EXIT_USAGE;
		}
	}
	ctx->actor = "operator:photo";
	return cmd_exit("photo", do_get(ctx, app, card, out));
}
