/* cmd_chip.c - `cardpipe chip`: the card stocks (chip profiles) a line knows, and which stock
 * the card in a reader is (personalization/chip/chip_profile.h, docs/chip-profiles.md). */
#include "pipeline/cmd/cmd.h"

#include "core/err.h"
#include "core/hex.h"
#include "personalization/chip/chip_profile.h"
#include "printer/encoder/encoder.h"
#include "emulator/line.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: cardpipe chip profiles [--verbose]\n"
	"       cardpipe chip identify [--line N] [--reader PREFIX] [--timeout-ms MS]\n"
	"\n"
	"Chip profiles, one file per card stock (encoder.chip_profiles, default the shipped\n"
	"data/chip-profiles/; format in docs/chip-profiles.md): the ATR that recognises the\n"
	"stock, its issuer security domain, secure channel, key diversification and version,\n"
	"STORE DATA conventions, applications and the life cycle that ends personalisation.\n"
	"\n"
	"  profiles  check every profile and list them, one line each: name, SCP and 'i',\n"
	"            security level, diversification, KVN, KMC key, ISD AID, ATR (exit 2 when a\n"
	"            profile is malformed: file:line: [section] key: reason)\n"
	"  identify  wait for the card in the reader and name its stock by its ATR: prints\n"
	"            'stock NAME atr HEX' (exit 0), or 'unknown atr HEX' (exit 1) for a card of\n"
	"            no known stock; nothing is sent to the chip\n"
	"\n"
	"  --line N         use emulated line N's pcscd when it runs (default 1)\n"
	"  --reader PREFIX  the PC/SC reader (default encoder.reader)\n"
	"  --timeout-ms MS  how long to wait for a card (default encoder.timeout_ms)\n"
	"  --verbose        (global) profiles: also the description, STORE DATA conventions,\n"
	"                   applications and end states\n"
	"  --help           this text\n";

static void
print_profile(const struct chip_profile *p, int verbose)
{
	char atr[2 * CHIP_ATR_MAX + 1], aid[2 * CHIP_AID_MAX + 1];

	hex_encode(p->atr, p->atr_len, atr);
	hex_encode(p->isd_aid, p->isd_aid_len, aid);
	printf("%-16s %s i=%02X sl=%02X div=%-5s kvn=%02X kmc=%-8s isd=%s atr=%s\n", p->name,
	       chip_scp_name(p->scp), p->i_param, p->security_level, chip_div_name(p->div), p->kvn,
	       p->kmc_key, aid, atr);
	if (!verbose)
		return;
	printf("  %s\n", p->description);
	printf("  store_data encryption=%s block_numbering=%s\n",
	       p->store_enc == CHIP_STORE_ENC_EXPLICIT ? "explicit" : "application",
	       p->store_blocks == CHIP_BLOCKS_CONTINUOUS ? "continuous" : "per-sequence");
	for (size_t i = 0; i < p->napps; i++) {
		hex_encode(p->apps[i].aid, p->apps[i].aid_len, aid);
		printf("  application %s %s\n", p->apps[i].name, aid);
	}
	printf("  lifecycle applications=%02X card=%02X (00: no SET STATUS)\n", p->end_app_lc,
	       p->end_card_lc);
}

static int
identify(struct cp_ctx *ctx, const struct chip_profiles *set, int line, const char *reader,
	 int timeout_ms)
{
	struct encoder *e = NULL;
	struct encoder_result res;
	unsigned char atr[CHIP_ATR_MAX];
	char hex[2 * CHIP_ATR_MAX + 1];
	const struct chip_profile *p;
	size_t n = 0;
	int r;

	if ((r = line_client_env(ctx->home, line)) < 0 ||
	    (r = encoder_open(reader ? reader : config_str(ctx->cfg, "encoder.reader"),
			      timeout_ms > 0 ? timeout_ms
					     : (int)config_int(ctx->cfg, "encoder.timeout_ms"),
			      &e)) < 0)
		return cmd_exit("chip", r);
	r = encoder_identify(e, atr, sizeof atr, &n, &res);
	encoder_close(e);
	if (r < 0)
		return cmd_exit("chip", r);
	hex_encode(atr, n, hex);
	if ((p = chip_profiles_match(set, atr, n))) {
		printf("stock %s atr %s\n", p->name, hex);
		return EXIT_DONE;
	}
	printf("unknown atr %s\n", hex);
	return EXIT_REJECTS;
}

int
cmd_chip(int argc, char **argv, struct cp_ctx *ctx)
{
	static const struct option opts[] = {
		{"line", required_argument, NULL, 'l'},
		{"reader", required_argument, NULL, 'r'},
		{"timeout-ms", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct chip_profiles set = {0};
	const char *reader = NULL, *sub;
	int c, line = 1, timeout = 0, verbose = ctx->verbose, rc;
	char *end;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			line = (int)strtol(optarg, &end, 10);
			if (*end || line < 1 || line > 99)
				return cmd_exit("chip",
						cp_err(CP_ERR_USAGE, "--line '%s': 1..99", optarg));
			break;
		case 'r': reader = optarg; break;
		case 't':
			timeout = (int)strtol(optarg, &end, 10);
			if (*end || timeout <= 0)
				return cmd_exit("chip",
						cp_err(CP_ERR_USAGE, "--timeout-ms '%s'", optarg));
			break;
		case 'h': return cmd_usage(usage, 0);
		default: return cmd_usage(usage, 1);
		}
	}
	if (optind >= argc)
		return cmd_usage(usage, 1);
	sub = argv[optind++];
	if ((strcmp(sub, "profiles") && strcmp(sub, "identify")) || optind != argc)
		return cmd_usage(usage, 1);
	if ((rc = chip_profiles_load_config(ctx->cfg, ctx->home, &set)) < 0)
		return cmd_exit("chip",
				rc == CP_ERR_FORMAT || rc == CP_ERR_INVALID || rc == CP_ERR_NOTFOUND
					? cp_err_wrap(CP_ERR_CONFIG, "%s", "")
					: rc);
	if (!strcmp(sub, "profiles")) {
		for (size_t i = 0; i < set.n; i++)
			print_profile(set.p[i], verbose);
		rc = EXIT_DONE;
	} else {
		rc = identify(ctx, &set, line, reader, timeout);
	}
	chip_profiles_release(&set);
	return rc;
}
