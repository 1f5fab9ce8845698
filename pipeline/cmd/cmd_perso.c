/* cmd_perso.c - `cardpipe perso`: data preparation for every prepared card, and the checks
 * of its outputs (perso verify, perso show). docs/perso-script-format.md. */
#include "pipeline/cmd/cmd.h"

#include "core/err.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "core/mem.h"
#include "personalization/chip/script.h"
#include "personalization/keys/keystore.h"
#include "pipeline/registry/registry.h"
#include "pipeline/stages/perso.h"
#include "pipeline/stages/stagelock.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: cardpipe perso [--line N]\n"
	"       cardpipe perso verify FILE\n"
	"       cardpipe perso show BATCH CARD_NO\n"
	"\n"
	"Data preparation: for every card in state 'allocated', derive its keys from the master\n"
	"keys in the key store (SSSE and transport keys by SM4 diversification, the bank's\n"
	"MK-AC/MK-SMI/MK-SMC by EMV Option A or its SM4 form), build its perso script (SSSE EF05\n"
	"and EF06, the service password, the PSE and the PBOC debit application's complete data\n"
	"with SDA/DDA/CDA as the bank's profile says (an ICC RSA key per DDA/CDA card, made on\n"
	"perso.threads workers), transport DGIs; keys, PINs and the ICC private key only under\n"
	"the line's transport key), seal the scripts of each production line into batch files\n"
	"spool/perso/line-N/L<N>-<first>-<last>.batch (AES-256-GCM, manifest of card count and\n"
	"per-card SHA-256; perso.batch_cards cards at most), and move the cards to 'perso_ready'.\n"
	"A card whose data cannot go on a chip is held with the reason. Running it again does\n"
	"nothing new. Format: docs/perso-script-format.md; the PBOC data and the bank profiles\n"
	"(perso.bank_profiles): docs/pboc-data.md.\n"
	"\n"
	"  --line N         put every card on production line N (default: a card's own line,\n"
	"                   else round robin over produce.lines)\n"
	"  verify FILE      check a sealed batch (seal, manifest, every script; needs the key\n"
	"                   store for the line's transport key) or a single script (syntax,\n"
	"                   command count and SHA-256 of its end line)\n"
	"  show BATCH CARD  print one card's script from a sealed batch (it holds personal data:\n"
	"                   handle the output as such)\n"
	"  -h, --help       this text\n"
	"\n"
	"Exit codes: 0 done (or verified); 2 bad usage or configuration, including no key\n"
	"store or a key perso needs missing from it (a bank's issuer key or certificate too), or\n"
	"a bad bank profile; 3 failure: a changed or truncated file,\n"
	"or the perso stage lock still busy after general.lock_wait seconds (docs/locks.md;\n"
	"the message names the holder).\n";

static int
open_batch(struct cp_ctx *ctx, const char *path, struct perso_batch **out)
{
	struct keystore *ks = NULL;
	struct key *k = NULL;
	char name[64], kcv[7];
	int line, r;

	if ((r = perso_batch_peek(path, &line, name, kcv)) < 0 ||
	    (r = keystore_open_cfg(ctx->cfg, ctx->home, &ks)) < 0 ||
	    (r = keystore_get(ks, name, &k)) < 0)
		goto out;
	if (strcmp(k->kcv, kcv) || k->alg != KEY_AES || k->len != 32) {
		r = cp_err(
			CP_ERR_INTEGRITY,
			"batch '%s' was sealed under %s with check value %s; the store's key has "
			"%s",
			path, name, kcv, k->kcv);
		goto out;
	}
	r = perso_batch_open(path, k->value, out);
out:
	key_free(k);
	keystore_close(ks);
	return r;
}

static int
verify(struct cp_ctx *ctx, const char *path)
{
	unsigned char *data = NULL;
	size_t len = 0;
	char name[64], kcv[7];
	int line, r;

	if (!fs_exists(path))
		return cp_err(CP_ERR_NOTFOUND, "no file '%s'", path);
	if (perso_batch_peek(path, &line, name, kcv) == 0) {
		struct perso_batch *b = NULL;

		if ((r = open_batch(ctx, path, &b)) < 0)
			return r;
		printf("%s: batch %s, line %d, %zu cards: seal, manifest and every script "
		       "verified\n",
		       path, perso_batch_id(b), perso_batch_line(b), perso_batch_count(b));
		perso_batch_free(b);
		return 0;
	}
	{
		struct perso_script *s = NULL;

		if ((r = fs_read_file(path, 1 << 20, &data, &len)) < 0)
			return r;
		r = perso_script_parse((const char *)data, len, path, &s);
		if (r >= 0)
			printf("%s: script for card %s, line %d, %zu commands: verified\n", path,
			       perso_script_card_no(s), perso_script_line(s),
			       perso_script_count(s));
		perso_script_free(s);
		cp_freezero(data, len);
	}
	return r;
}

static int
show(struct cp_ctx *ctx, const char *path, const char *card_no)
{
	struct perso_batch *b = NULL;
	int r;

	if ((r = open_batch(ctx, path, &b)) < 0)
		return r;
	r = cp_err(CP_ERR_NOTFOUND, "card %s is not in batch '%s'", card_no, path);
	for (size_t i = 0; i < perso_batch_count(b); i++)
		if (!strcmp(perso_batch_card_no(b, i), card_no)) {
			size_t len = 0;
			const char *t = perso_batch_text(b, i, &len);

			fwrite(t, 1, len, stdout);
			r = 0;
		}
	perso_batch_free(b);
	return r;
}

int
cmd_perso(int argc, char **argv, struct cp_ctx *ctx)
{
	static const struct option opts[] = {
		{"line", required_argument, NULL, 'l'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct perso_opts po = {0};
	struct run_lock lk = {-1};
	struct stage_result sr;
	struct stage_ctx sc;
	char *end;
	int c, r;

	optind = 1;
	while ((c = cmd_getopt(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'l') {
			long v = strtol(optarg, &end, 10);

			if (*end || v < 1 || v > 999)
				return cmd_exit("perso",
						cp_err(CP_ERR_USAGE,
						       "--line wants a line number 1..999, "
						       "not '%s'",
						       optarg));
			po.line = (int)v;
		} else
			return cmd_usage(usage, c != 'h');
	}
	if (optind < argc && !strcmp(argv[optind], "verify")) {
		if (argc - optind != 2)
			return cmd_usage(usage, 1);
		return cmd_exit("perso", verify(ctx, argv[optind + 1]));
	}
	if (optind < argc && !strcmp(argv[optind], "show")) {
		if (argc - optind != 3)
			return cmd_usage(usage, 1);
		return cmd_exit("perso", show(ctx, argv[optind + 1], argv[optind + 2]));
	}
	if (optind < argc) {
		fprintf(stderr, "cardpipe perso: unexpected '%s'\n\n", argv[optind]);
		return cmd_usage(usage, 1);
	}
	if ((r = stage_lock_take(ctx->cfg, ctx->home, "perso", NULL, &lk)) < 0)
		return cmd_exit("perso", r);
	if ((r = ctx_stage(ctx, &sc)) == 0)
		r = stage_perso_run(&sc, &po, &sr);
	ctx_close_registry(ctx);
	run_lock_release(&lk);
	return cmd_exit("perso", r);
}
