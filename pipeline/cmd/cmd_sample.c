/* cmd_sample.c - `cardpipe sample`: write synthetic application files (stages/sample.c). */
#include "pipeline/cmd/cmd.h"

#include "core/err.h"
#include "core/log.h"
#include "pipeline/stages/sample.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: cardpipe sample --out DIR [--count N] [--seed S] [--bad-share F] [--bad-files]\n"
	"\n"
	"Write realistic synthetic application files for every channel and format into DIR:\n"
	"employer batch XML (one of them GB18030), online-channel XML for the website, rs-app,\n"
	"jingtong and minsheng, counter CSV for outlets and bank branches, every third file\n"
	"gzip-compressed, photos inline (base64) or in DIR/photos/ (358x441 JPEG, quality 70).\n"
	"DIR/expected.tsv lists each record and bad file with what ingest and prepare must make\n"
	"of it: ok, reject:<reason-code>, duplicate, quarantine:<reason-code>. The same seed and\n"
	"count give byte-identical files; dates follow the clock (pin CARDPIPE_NOW to repeat a\n"
	"run on another day). Format of the output: docs/sample-data.md.\n"
	"\n"
	"Options:\n"
	"  --out DIR        output folder, created if missing (required); files of another seed\n"
	"                   in the same folder keep their names, expected.tsv is replaced. Not\n"
	"                   the inbox itself: copy the files but expected.tsv there\n"
	"  --count N        application records in the regular files (default 100)\n"
	"  --seed S         seed of the generator, 0..2^64-1 (default 1)\n"
	"  --bad-share F    share of deliberately bad records, 0..1 (default 0.05)\n"
	"  --bad-files      also write one bad file per way a file is refused (malformed XML,\n"
	"                   schema violation, bad encoding, truncated gzip, gzip bomb, billion\n"
	"                   laughs, XXE, CSV with broken quoting), a CSV with single bad rows\n"
	"                   (stray quote, missing field) and a file with photo paths outside\n"
	"                   its folder\n"
	"  -h, --help       this text\n"
	"\n"
	"Exit codes: 0 written; 2 bad usage; 3 the files could not be written.\n";

static int
parse_long(const char *opt, const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!s[0] || *end || errno || v < lo || v > hi)
		return cp_err(CP_ERR_USAGE, "%s must be a whole number %ld..%ld, not '%s'", opt, lo,
			      hi, s);
	*out = v;
	return 0;
}

int
cmd_sample(int argc, char **argv, struct cp_ctx *ctx)
{
	static const struct option opts[] = {{"out", required_argument, NULL, 'o'},
					     {"count", required_argument, NULL, 'n'},
					     {"seed", required_argument, NULL, 's'},
					     {"bad-share", required_argument, NULL, 'b'},
					     {"bad-files", no_argument, NULL, 'B'},
					     {"help", no_argument, NULL, 'h'},
					     {0}};
	struct sample_opts o = {100, 1, NULL, 0.05, 0};
	struct sample_stats st;
	char *end;
	int c, r = 0;

	while ((c = cmd_getopt(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': o.out = optarg; break;
		case 'n': r = parse_long("--count", optarg, 0, 100000000L, &o.count); break;
		case 's':
			errno = 0;
			o.seed = strtoull(optarg, &end, 10);
			if (!optarg[0] || *end || errno || optarg[0] == '-')
				r = cp_err(CP_ERR_USAGE,
					   "--seed must be a whole number 0..2^64-1, not '%s'",
					   optarg);
			break;
		case 'b':
			errno = 0;
			o.bad_share = strtod(optarg, &end);
			if (!optarg[0] || *end || errno ||
			    !(o.bad_share >= 0.0 && o.bad_share <= 1.0))
				r = cp_err(CP_ERR_USAGE,
					   "--bad-share must be a number between 0 and 1, not '%s'",
					   optarg);
			break;
		case 'B': o.bad_files = 1; break;
		case 'h': return cmd_usage(usage, 0);
		default: return cmd_usage(usage, 1);
		}
		if (r < 0)
			return cmd_exit("sample", r);
	}
	if (optind != argc) {
		fprintf(stderr, "cardpipe sample: unexpected argument '%s'\n\n", argv[optind]);
		return cmd_usage(usage, 1);
	}
	if (!o.out || !o.out[0]) {
		fprintf(stderr, "cardpipe sample: --out DIR is required\n\n");
		return cmd_usage(usage, 1);
	}
	r = stage_sample_run(&o, &st);
	if (r >= 0) {
		/* expected.tsv is not an application file: ingest would quarantine it */
		char *inbox = ctx_path(ctx, "paths.inbox"), *a = realpath(o.out, NULL),
		     *b = realpath(inbox, NULL);

		if (a && b && !strcmp(a, b))
			log_warn("sample",
				 "--out is the inbox: move expected.tsv out of it before ingest");
		free(a);
		free(b);
		free(inbox);
	}
	/* the summary is the stage's info log line */
	return cmd_exit("sample", r);
}
