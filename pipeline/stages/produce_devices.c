/*
 * produce_devices.c - the real devices of a production line for stage_produce_run(): the
 * configured printer (printer.h) and the PC/SC encoder (printer/encoder/encoder.h) fed
 * with each card's perso script from the sealed batches of this line
 * (spool/perso/line-<N>/, docs/perso-script-format.md), with the line's transport key from
 * the key store; each card is driven as its stock (chip profile, recognised by its ATR:
 * docs/chip-profiles.md) with that stock's KMC.
 *
 * When the emulated line of this CARDPIPE_HOME runs (cardpipe line start), its pcscd is
 * used (PCSCLITE_CSOCK_NAME); otherwise the system's.
 */
#include "pipeline/stages/produce.h"

#include "core/config.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "core/mem.h"
#include "personalization/chip/chip_profile.h"
#include "personalization/chip/script.h"
#include "personalization/crypto/cipher.h"
#include "personalization/keys/keystore.h"
#include "printer/encoder/encoder.h"
#include "emulator/line.h"
#include "printer/printer.h"
#include "printer/printer_open.h"
#include "pipeline/registry/reg_cards.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define COMP "produce"
/* how long a card that just left the reader may take pcscd to see gone */
#define READER_SETTLE_MS 2000

struct batch_entry {
	struct perso_batch *b;
	struct key *tk;
};

struct real_dev {
	struct config *cfg;
	const char *home;
	int line, loaded;
	struct encoder *enc;
	struct keystore *ks;
	struct chip_profiles stocks; /* the card stocks this line knows */
	struct key **kmcs;	     /* the KMC of each stock (stocks.p[i]->kmc_key) */
	struct batch_entry *batches;
	size_t nbatches;
};

static int
real_open_printer(void *ctx, struct printer **out)
{
	struct real_dev *d = ctx;

	return printer_open_line(d->cfg, d->line, out);
}

/* The chip profiles and each one's KMC, checked against its secure channel now so that a
 * wrong set-up stops the line before the first card, not at it. */
static int
load_stocks(struct real_dev *d)
{
	int r;

	if ((r = chip_profiles_load_config(d->cfg, d->home, &d->stocks)) < 0)
		return r == CP_ERR_NOTFOUND ? cp_err_wrap(CP_ERR_CONFIG, "%s", "") : r;
	d->kmcs = xcalloc(d->stocks.n, sizeof *d->kmcs);
	for (size_t i = 0; i < d->stocks.n; i++) {
		const struct chip_profile *p = d->stocks.p[i];
		int aes = p->scp == CHIP_SCP03;
		if ((r = keystore_get(d->ks, p->kmc_key, &d->kmcs[i])) < 0)
			return cp_err_wrap(r, "chip profile '%s' (%s): key store: ", p->name,
					   p->path ? p->path : "");
		if ((d->kmcs[i]->alg == KEY_AES) != aes)
			return cp_err(CP_ERR_CONFIG,
				      "chip profile '%s': key '%s' is %s, its %s stock needs %s",
				      p->name, p->kmc_key, key_alg_name(d->kmcs[i]->alg),
				      chip_scp_name(p->scp), aes ? "AES" : "3DES");
		if ((r = chip_profile_check_kmc(p, d->kmcs[i]->len)) < 0)
			return cp_err_wrap(CP_ERR_CONFIG, "chip profile '%s': key '%s': ", p->name,
					   p->kmc_key);
	}
	log_info(COMP, "line %d: %zu chip stock(s) known", d->line, d->stocks.n);
	return 0;
}

/* The encoder's picker: the stock by the ATR (produce_pick_stock), and its KMC. */
static int
pick_stock(void *ctx, const unsigned char *atr, size_t atr_len, const struct chip_profile **p,
	   const unsigned char **kmc, size_t *kmc_len)
{
	struct real_dev *d = ctx;
	int r;

	if ((r = produce_pick_stock(&d->stocks, atr, atr_len, p)) < 0)
		return r;
	for (size_t i = 0; i < d->stocks.n; i++)
		if (d->stocks.p[i] == *p) {
			*kmc = d->kmcs[i]->value;
			*kmc_len = d->kmcs[i]->len;
			return 0;
		}
	return cp_err(CP_ERR_NOTFOUND, "stock '%s' has no KMC loaded", (*p)->name);
}

/* Load this line's sealed batches (once). Batches for other lines are left alone. */
static int
load_batches(struct real_dev *d)
{
	char *spool = config_path(d->cfg, "paths.spool", d->home);
	char *dir = xasprintf("%s/perso/line-%d", spool, d->line);
	struct dirent **names = NULL;
	int n = 0, r = 0;

	if (d->loaded)
		goto out;
	if ((r = keystore_open_cfg(d->cfg, d->home, &d->ks)) < 0) {
		r = cp_err_wrap(r, "key store: ");
		goto out;
	}
	if ((r = load_stocks(d)) < 0)
		goto out;
	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0) {
		r = cp_err(CP_ERR_NOTFOUND, "no perso scripts: cannot read '%s'", dir);
		n = 0;
		goto out;
	}
	for (int i = 0; i < n && r == 0; i++) {
		char tk_name[64], tk_kcv[7], *path;
		struct batch_entry be = {0};
		int line;

		if (names[i]->d_name[0] == '.')
			continue;
		path = fs_join(dir, names[i]->d_name);
		if (perso_batch_peek(path, &line, tk_name, tk_kcv) < 0 || line != d->line) {
			log_debug(COMP, "'%s' skipped: %s", path,
				  line != d->line ? "another line's batch" : cp_errmsg());
			free(path);
			continue; /* not a batch, or another line's */
		}
		if ((r = keystore_get(d->ks, tk_name, &be.tk)) == 0 &&
		    strcasecmp(be.tk->kcv, tk_kcv) != 0)
			r = cp_err(CP_ERR_CRYPTO,
				   "batch '%s' is sealed under %s KCV %s, the key "
				   "store holds KCV %s",
				   path, tk_name, tk_kcv, be.tk->kcv);
		if (r == 0)
			r = perso_batch_open(path, be.tk->value, &be.b);
		if (r < 0) {
			r = cp_err_wrap(r, "batch '%s': ", path);
			key_free(be.tk);
		} else {
			d->batches = xrealloc(d->batches, (d->nbatches + 1) * sizeof(be));
			d->batches[d->nbatches++] = be;
		}
		free(path);
	}
	if (r == 0) {
		d->loaded = 1;
		log_info(COMP, "line %d: %zu sealed perso batch(es) for this line", d->line,
			 d->nbatches);
	}
out:
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(dir);
	free(spool);
	return r;
}

static int
find_script(struct real_dev *d, const char *card_no, const struct perso_script **s,
	    const struct key **tk)
{
	for (size_t i = 0; i < d->nbatches; i++)
		if (perso_batch_find(d->batches[i].b, card_no, s) == 0) {
			*tk = d->batches[i].tk;
			return 0;
		}
	return cp_err(CP_ERR_NOTFOUND, "card %s has no perso script in a batch for line %d",
		      card_no, d->line);
}

/* Open the encoder (once): through the emulated line's pcscd when it runs. */
static int
ensure_encoder(struct real_dev *d)
{
	int r;

	if (d->enc)
		return 0;
	if ((r = line_client_env(d->home, d->line)) < 0 ||
	    (r = encoder_open_config(d->cfg, &d->enc)) < 0)
		return cp_err_wrap(r, "line %d encoder: ", d->line);
	log_info(COMP, "line %d: encoder on reader '%s'", d->line, encoder_reader_name(d->enc));
	return 0;
}

static int
real_prepare(void *ctx, const struct card_row *card)
{
	struct real_dev *d = ctx;
	const struct perso_script *s;
	const struct key *tk;
	int r;

	if ((r = load_batches(d)) < 0)
		return r == CP_ERR_NOTFOUND ? CP_ERR_CONFIG : r;
	if ((r = find_script(d, card->card_no, &s, &tk)) < 0)
		return r;
	/* a reader that is not there stops the line before a blank card is fed (and is
	 * not "another line's card": NOTFOUND means that to the caller) */
	if ((r = ensure_encoder(d)) == CP_ERR_NOTFOUND)
		r = cp_err_wrap(CP_ERR_DEVICE, "%s", "");
	return r;
}

/* The reader must be empty before a blank is fed (a card there is someone else's: the
 * blank's chip could not be reached, or the wrong chip would be personalised). */
static int
real_check_reader(void *ctx)
{
	struct real_dev *d = ctx;
	int r;

	if ((r = ensure_encoder(d)) < 0)
		return r == CP_ERR_BUSY ? CP_ERR_DEVICE : r;
	if ((r = encoder_card_present(d->enc, READER_SETTLE_MS)) == 1)
		return cp_err(CP_ERR_BUSY, "a card is in the chip reader '%s'",
			      encoder_reader_name(d->enc));
	if (r < 0) {
		/* reconnect next time */
		encoder_close(d->enc);
		d->enc = NULL;
	}
	return r;
}

struct iter {
	const struct perso_script *s;
	size_t i;
};

static int
iter_next(void *ctx, struct encoder_cmd *cmd)
{
	struct iter *it = ctx;
	const struct perso_cmd *pc;

	if (it->i >= perso_script_count(it->s))
		return 0;
	pc = perso_script_cmd(it->s, it->i++);
	memset(cmd, 0, sizeof(*cmd));
	cmd->apdu = pc->apdu;
	cmd->len = pc->len;
	cmd->n_sw = pc->n_sw > 4 ? 4 : pc->n_sw;
	memcpy(cmd->sw, pc->sw, cmd->n_sw * sizeof(cmd->sw[0]));
	cmd->sens_off = pc->sens_off;
	cmd->sens_len = pc->sens_len;
	cmd->label = pc->label;
	return 1;
}

static int
real_encode(void *ctx, const struct card_row *card, struct encoder_result *res)
{
	struct real_dev *d = ctx;
	const struct perso_script *s;
	const struct key *tk;
	struct iter it;
	struct encoder_keys keys = {0};
	struct encoder_job job = {0};
	int r;

	memset(res, 0, sizeof(*res));
	if ((r = load_batches(d)) < 0 || (r = find_script(d, card->card_no, &s, &tk)) < 0) {
		/* the line's perso batches, not the reader: make them again */
		res->outcome = ENCODER_BAD_SCRIPT;
		snprintf(res->reason, sizeof(res->reason), "%s", cp_errmsg());
		return r;
	}
	res->outcome = ENCODER_READER;
	if ((r = ensure_encoder(d)) < 0) {
		snprintf(res->reason, sizeof(res->reason), "%s", cp_errmsg());
		return r;
	}
	keys.transport = tk->value;
	keys.transport_len = tk->len;
	keys.transport_alg = CP_ALG_AES;
	it.s = s;
	it.i = 0;
	job.card_no = card->card_no;
	job.keys = &keys;
	job.script.ctx = &it;
	job.script.next = iter_next;
	job.pick_stock = pick_stock;
	job.pick_ctx = d;
	r = encoder_personalize(d->enc, &job, res);
	if (res->outcome == ENCODER_READER) {
		/* the reader or pcscd failed: reconnect for the next card */
		encoder_close(d->enc);
		d->enc = NULL;
	}
	return r;
}

static void
real_release(struct real_dev *d)
{
	encoder_close(d->enc);
	for (size_t i = 0; i < d->nbatches; i++) {
		perso_batch_free(d->batches[i].b);
		key_free(d->batches[i].tk);
	}
	free(d->batches);
	for (size_t i = 0; d->kmcs && i < d->stocks.n; i++)
		key_free(d->kmcs[i]);
	free(d->kmcs);
	chip_profiles_release(&d->stocks);
	keystore_close(d->ks);
}

static int
produce_run_real(struct config *cfg, const char *home, struct registry *reg,
		 const struct produce_opts *opts, struct produce_result *res)
{
	struct real_dev d = {.cfg = cfg, .home = home, .line = opts->line};
	struct produce_devices dev = {&d, real_open_printer, real_encode, real_prepare,
				      real_check_reader};
	char *dir = line_dir(home, opts->line), *lock = fs_join(dir, "produce.lock");
	int fd = -1, r;

	memset(res, 0, sizeof(*res));
	/* one produce per line at a time (two lines may run at once) */
	if ((r = fs_mkdirs(dir, 0700)) < 0)
		goto out;
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = cp_err(CP_ERR_IO, "cannot open '%s'", lock);
		goto out;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		r = cp_err(CP_ERR_BUSY,
			   "line %d is already being driven by another 'cardpipe "
			   "produce' (%s)",
			   opts->line, lock);
		goto out;
	}
	keys_harden_process();
	r = produce_run_with(cfg, home, reg, &dev, opts, res);
out:
	real_release(&d);
	if (fd >= 0)
		close(fd);
	free(lock);
	free(dir);
	return r;
}

int
stage_produce_run(const struct stage_ctx *ctx, const struct produce_opts *opts,
		  struct stage_result *res)
{
	struct produce_result own = {0}, *c = opts->detail ? opts->detail : &own;
	int r = opts->devices
			? produce_run_with(ctx->cfg, ctx->home, ctx->reg, opts->devices, opts, c)
			: produce_run_real(ctx->cfg, ctx->home, ctx->reg, opts, c);

	memset(res, 0, sizeof(*res));
	res->read = c->produced + c->spoiled;
	res->done = c->produced;
	res->rejected = c->spoiled;
	res->held = c->held;
	snprintf(res->note, sizeof(res->note),
		 "%ld produced, %ld spoiled, %ld held, %ld pauses (shift %s)%s%s", c->produced,
		 c->spoiled, c->held, c->pauses, c->shift,
		 c->line_fault[0] ? "; stopped on line fault " : "", c->line_fault);
	return r;
}
