/*
 * instant.c - one application through every stage onto a branch's line (see instant.h).
 *
 * The file is copied, with the photos/ folder beside it if there is one (photo references
 * are relative to the file), into a private inbox under run/instant/, so that ingest sees
 * exactly this file and nothing else of the bureau's inbox.
 */
#include "pipeline/stages/instant.h"

#include "core/clock.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "core/mask.h"
#include "core/mem.h"
#include "personalization/crypto/hash.h"
#include "emulator/line.h"
#include "pipeline/registry/reg_cards.h"
#include "pipeline/registry/reg_ingest.h"
#include "pipeline/registry/reg_instant.h"
#include "pipeline/registry/registry.h"
#include "pipeline/stages/ingest.h"
#include "pipeline/stages/perso.h"
#include "pipeline/stages/prepare.h"
#include "pipeline/stages/produce.h"
#include "pipeline/stages/render.h"

#include <dirent.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define INSTANT_MAX_FILE (64u << 20)

static int
copy_file(const char *from, const char *to)
{
	unsigned char *data;
	size_t len;
	int r;

	if ((r = fs_read_file(from, INSTANT_MAX_FILE, &data, &len)) < 0)
		return r;
	r = fs_write_atomic(to, data, len, 0600);
	free(data);
	return r;
}

/* Copy the regular files of dir/photos into inbox/photos (references point there). */
static int
copy_photos(const char *dir, const char *inbox)
{
	char *from = fs_join(dir, "photos"), *to = fs_join(inbox, "photos");
	DIR *d = opendir(from);
	struct dirent *e;
	int r = 0;

	if (!d)
		goto out;
	if ((r = fs_mkdirs(to, 0700)) < 0)
		goto out;
	while (r == 0 && (e = readdir(d)) != NULL) {
		char *src, *dst;
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		src = fs_join(from, e->d_name);
		dst = fs_join(to, e->d_name);
		if (lstat(src, &st) == 0 && S_ISREG(st.st_mode))
			r = copy_file(src, dst);
		free(src);
		free(dst);
	}
out:
	if (d)
		closedir(d);
	free(from);
	free(to);
	return r;
}

/* A device error on a line none of whose processes runs: say how to start it, before the
 * device's own words (docs/production-line.md). */
static int
line_down_hint(const char *home, int line, int r)
{
	struct line_status st;

	if (line_status(home, line, &st) < 0) {
		cp_err_clear();
		return r;
	}
	if (st.pcscd || st.vcard || st.emu)
		return r;
	return cp_err_wrap(
		r, "line %d is not running: start it with 'cardpipe line start --line %d'; ", line,
		line);
}

int
stage_instant_run(const struct stage_ctx *ctx, const struct instant_opts *opts,
		  struct instant_result *res)
{
	const char *home = ctx->home;
	struct registry *reg = ctx->reg;
	char sha[65], *copy = xstrdup(opts->file), *dir = NULL, *inbox = NULL, *target = NULL;
	unsigned char *data = NULL;
	struct reg_input_file f = {0};
	struct ingest_opts io = {.own_files = 1};
	struct prepare_opts po = {0};
	struct perso_opts so = {0};
	struct render_counts *rc = xcalloc(1, sizeof(*rc));
	struct render_opts ro = {.detail = rc};
	struct produce_opts pro = {0};
	struct stage_result sr;
	struct instant_app app;
	struct card_row card;
	size_t len;
	long count = 0;
	double t0 = cp_mono_ms() / 1e3, tp;
	int r;

	memset(res, 0, sizeof(*res));
	if ((r = fs_read_file(opts->file, INSTANT_MAX_FILE, &data, &len)) < 0 ||
	    (r = cp_sha256_hex(data, len, sha)) < 0)
		goto out;

	/* 1. ingest, from a private inbox holding only this file */
	inbox = xasprintf("%s/run/instant/%.16s", home, sha);
	target = fs_join(inbox, basename(copy));
	dir = xstrdup(opts->file);
	if ((r = fs_mkdirs(inbox, 0700)) < 0 ||
	    (r = fs_write_atomic(target, data, len, 0600)) < 0 ||
	    (r = copy_photos(dirname(dir), inbox)) < 0)
		goto out;
	io.inbox = inbox;
	if ((r = stage_ingest_run(ctx, &io, &sr)) < 0)
		goto out;
	if ((r = reg_ingest_find_file(reg, sha, &f)) < 0) {
		r = cp_err(CP_ERR_NOTFOUND, "'%s' was not recorded by ingest", opts->file);
		goto out;
	}
	if (!strcmp(f.status, "quarantined")) {
		r = cp_err(CP_ERR_FORMAT, "'%s' is malformed (%s): see quarantine/", opts->file,
			   f.reason ? f.reason : "quarantined");
		goto out;
	}
	if ((r = reg_instant_app_of_file(reg, f.id, &app, &count)) < 0)
		goto out;
	if (count != 1) {
		r = cp_err(CP_ERR_INVALID,
			   "'%s' holds %ld applications; instant issuance takes "
			   "exactly one",
			   opts->file, count);
		goto out;
	}

	/* 2. prepare: the rules, deduplication, a card number, due the same day */
	po.file_id = f.id;
	po.instant = 1;
	if ((r = stage_prepare_run(ctx, &po, &sr)) < 0 ||
	    (r = reg_instant_app_of_file(reg, f.id, &app, &count)) < 0)
		goto out;
	res->application_id = app.id;
	snprintf(res->app_state, sizeof(res->app_state), "%s", app.state);
	snprintf(res->id_number, sizeof(res->id_number), "%s", app.id_number);
	if (strcmp(app.state, "accepted") != 0) {
		snprintf(res->reason, sizeof(res->reason), "%s", app.reason);
		goto out; /* a rejected, duplicate or held application: reported, not an error */
	}
	if ((r = reg_card_by_application(reg, app.id, &card)) < 0)
		goto out;

	/* 3. perso onto the branch's line, 4. render this card */
	so.line = opts->line;
	so.card_id = card.id;
	ro.card_no = card.card_no;
	ro.no_proof = 1;
	if ((r = stage_perso_run(ctx, &so, &sr)) < 0 || (r = stage_render_run(ctx, &ro, &sr)) < 0)
		goto out;
	if (sr.held) {
		snprintf(res->reason, sizeof(res->reason), "%s",
			 rc->nreported ? rc->held_cards[0].reason : "held by render");
	}

	/* 5. produce on the branch's line */
	tp = cp_mono_ms() / 1e3;
	if (!opts->no_produce && !sr.held) {
		pro.line = opts->line;
		pro.card_no = card.card_no;
		pro.max_cards = 1;
		r = stage_produce_run(ctx, &pro, &sr);
		if (r == CP_ERR_DEVICE || r == CP_ERR_IO || r == CP_ERR_TIMEOUT)
			r = line_down_hint(home, opts->line, r);
	}
	res->produce_seconds = cp_mono_ms() / 1e3 - tp;
	if (r < 0)
		goto out;
	if ((r = reg_card_by_id(reg, card.id, &card)) < 0)
		goto out;
	snprintf(res->card_no, sizeof(res->card_no), "%s", card.card_no);
	snprintf(res->card_state, sizeof(res->card_state), "%s", card.state);
	if (card.held_reason[0])
		snprintf(res->reason, sizeof(res->reason), "%s", card.held_reason);
out:
	res->own_seconds = cp_mono_ms() / 1e3 - t0 - res->produce_seconds;
	if (r == 0)
		log_info("instant",
			 "application %lld: %s, card %s %s (cardpipe %.3f s, line %.1f s)",
			 res->application_id, res->app_state, res->card_no[0] ? res->card_no : "-",
			 res->card_state[0] ? res->card_state : "-", res->own_seconds,
			 res->produce_seconds);
	reg_input_file_release(&f);
	free(rc);
	free(data);
	free(copy);
	free(dir);
	free(inbox);
	free(target);
	return r;
}
