/*
 * render.c - the render stage (see render.h). The main thread lists a batch of cards,
 * worker threads draw them (each with its own renderer: FreeType faces are per thread),
 * then the main thread makes the batch durable and records it in one transaction.
 * A crash loses at most the batch in flight; its complete outputs are reused next time.
 */
#include "pipeline/stages/render.h"

#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/progress.h"
#include "personalization/face/face.h"
#include "personalization/face/fonts.h"
#include "personalization/face/layout.h"
#include "personalization/face/proof.h"
#include "pipeline/registry/reg_render.h"
#include "pipeline/registry/registry.h"
#include "pipeline/rules/fields.h"
#include "pipeline/stages/photo_store.h"

#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_THREADS 64

enum job_status { JOB_RENDERED, JOB_COMPLETE, JOB_HELD, JOB_FAILED, JOB_GONE };

struct job {
	const struct render_card *card;
	char *outdir;
	char date[40], pan[40];
	struct face_card fc;
	enum job_status status;
	int err;
	char *msg; /* held reason or failure detail */
};

struct pool {
	const char *photos; /* spool/photos */
	struct job *jobs;
	size_t njobs;
	atomic_size_t next;
	atomic_int failed; /* stop taking work after a failure of the run */
	int force;
};

struct worker {
	pthread_t tid;
	struct pool *pool;
	struct face_renderer *fr;
};

static int
safe_card_no(const char *s)
{
	if (!s || !s[0] || strlen(s) > 15)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s))
			return 0;
	return 1;
}

static void
run_job(struct worker *w, struct job *j)
{
	unsigned char *photo = NULL;
	char *reason = NULL;
	int r = 0, bw, bh;

	if (j->msg) /* refused while preparing the job */
		return;
	face_clean_stale(j->outdir);
	if (!w->pool->force && face_outputs_current(w->fr, j->card->card_no, j->outdir)) {
		j->status = JOB_COMPLETE;
		return;
	}
	/* the photo is read here, on the worker, when the layout draws one, and checked against
	 * its hash: from its pack, or a file of an earlier release (no place) */
	if (j->card->photo_sha256 && j->card->photo_sha256[0] &&
	    composer_photo_box(face_renderer_composer(w->fr), &bw, &bh)) {
		r = photo_store_read_at(w->pool->photos, j->card->photo_loc, j->card->photo_sha256,
					FACE_PHOTO_MAX, &photo, &j->fc.photo_len);
		if (r == CP_ERR_NOTFOUND || r == CP_ERR_INTEGRITY || r == CP_ERR_LIMIT) {
			j->status = JOB_HELD;
			j->msg = xasprintf("photo: %s", cp_errmsg());
			return;
		}
		j->fc.photo = photo;
	}
	if (r == 0)
		r = face_render_card(w->fr, &j->fc, j->outdir, &reason);
	j->fc.photo = NULL;
	free(photo);
	if (r == 1) {
		j->status = JOB_HELD;
		j->msg = reason;
	} else if (r < 0) {
		j->status = JOB_FAILED;
		j->err = r;
		j->msg = xasprintf("card %s: %s", j->card->card_no, cp_errmsg());
		atomic_store(&w->pool->failed, 1);
	} else
		j->status = JOB_RENDERED;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	size_t i;

	while (!atomic_load(&w->pool->failed) &&
	       (i = atomic_fetch_add(&w->pool->next, 1)) < w->pool->njobs)
		run_job(w, &w->pool->jobs[i]);
	return NULL;
}

/* The fields as printed, or a hold reason in j->msg. */
static void
prepare_job(struct job *j, const struct render_card *c, const struct layout *lo, const char *faces,
	    const char *today, int print_pan)
{
	memset(j, 0, sizeof(*j));
	j->card = c;
	j->status = JOB_HELD;
	if (!safe_card_no(c->card_no)) {
		j->msg = xasprintf("card number '%s' is not 1..15 letters and digits",
				   c->card_no ? c->card_no : "");
		return;
	}
	j->outdir = fs_join(faces, c->card_no);
	if (!c->name || !c->name[0]) {
		j->msg = xstrdup("no name on record");
		return;
	}
	/* a name prepared before names were held to their character set (an emoji) is never
	 * printed */
	{
		struct text_problem tp;

		if (text_check(c->name, TEXT_NAME, 50, &tp) < 0) {
			j->msg = xasprintf("name %s (U+%04X at character %zu); correct it and "
					   "prepare again",
					   tp.why, tp.cp, tp.at);
			return;
		}
	}
	if (!c->id_number || !c->id_number[0]) {
		j->msg = xstrdup("no social security number on record");
		return;
	}
	if (face_format_date(c->issue_date && c->issue_date[0] ? c->issue_date : today, j->date,
			     sizeof(j->date)) < 0) {
		j->msg = xasprintf("issue date: %s", cp_errmsg());
		cp_err_clear();
		return;
	}
	if (c->photo_sha256 && c->photo_sha256[0]) {
		if (strlen(c->photo_sha256) != 64 ||
		    strspn(c->photo_sha256, "0123456789abcdefABCDEF") != 64) {
			j->msg = xstrdup("photo reference is not a SHA-256");
			return;
		}
	}
	if (print_pan && c->pan)
		face_format_pan(c->pan, j->pan, sizeof(j->pan));
	j->fc.card_no = c->card_no;
	j->fc.fields.v[F_NAME] = c->name;
	j->fc.fields.v[F_SSN] = c->id_number;
	j->fc.fields.v[F_CARD_NO] = c->card_no;
	j->fc.fields.v[F_ISSUE_DATE] = j->date;
	j->fc.fields.v[F_PAN] = j->pan[0] ? j->pan : NULL;
	j->fc.fields.v[F_BANK] = c->bank ? layout_bank_name(lo, c->bank) : NULL;
	j->status = JOB_RENDERED;
}

static void
release_job(struct job *j)
{
	free(j->outdir);
	free(j->msg);
}

/*
 * Proof sheets: a page of PROOF_PER_PAGE cards is written as soon as it is full. A card
 * recorded as rendered is owed its page in the registry (proof_owed) in the same
 * transaction, and the page's cards are owed no more once the page is written; a run that
 * was killed in between leaves them owed, and the next run draws their pages first. Page
 * numbers go on after the pages already under the same prefix, so a rerun adds pages.
 */
struct proof_state {
	int enabled;
	struct registry *reg;
	char *prefix, *title;
	char *dirs[PROOF_PER_PAGE], *nos[PROOF_PER_PAGE];
	long long ids[PROOF_PER_PAGE];
	int n, pages, first_page;
	struct fontset *fs;
	const char *side;
};

static void
proof_drop(struct proof_state *ps)
{
	for (int i = 0; i < ps->n; i++) {
		free(ps->dirs[i]);
		free(ps->nos[i]);
	}
	ps->n = 0;
}

static int
proof_flush(struct proof_state *ps)
{
	int page = ps->first_page + ps->pages, pages = 0, r;
	char name[64];

	if (!ps->enabled || ps->n == 0)
		return 0;
	r = proof_write((const char *const *)ps->dirs, (const char *const *)ps->nos, (size_t)ps->n,
			ps->side, ps->fs, ps->title, ps->prefix, page,
			&(struct png_opts){.level = 6, .filter = 1, .dpi = 150}, &pages);
	snprintf(name, sizeof(name), "%s-p%03d.png", strrchr(ps->prefix, '/') + 1, page);
	if (r == 0)
		r = reg_render_proofed(ps->reg, ps->ids, (size_t)ps->n, name);
	proof_drop(ps);
	ps->pages += pages;
	return r;
}

static int
proof_add(struct proof_state *ps, const char *dir, const char *card_no, long long card_id)
{
	if (!ps->enabled)
		return 0;
	ps->dirs[ps->n] = xstrdup(dir);
	ps->nos[ps->n] = xstrdup(card_no);
	ps->ids[ps->n] = card_id;
	if (++ps->n == PROOF_PER_PAGE)
		return proof_flush(ps);
	return 0;
}

/* The first page number not yet written under prefix (a rerun in the same second, or
 * under a pinned clock, adds pages instead of overwriting the earlier run's). */
static int
proof_first_free_page(const char *prefix)
{
	int page = 1;

	for (; page < 100000; page++) {
		char *path = xasprintf("%s-p%03d.png", prefix, page);
		int taken = fs_exists(path);

		free(path);
		if (!taken)
			break;
	}
	return page;
}

/* Add to the proof sheets every card a registry listing gives, a page of cards at a time
 * (flat memory). */
static int
proof_add_listed(struct registry *reg, const char *faces, struct proof_state *ps,
		 int (*list)(struct registry *, long long, size_t, struct render_card **, size_t *))
{
	struct render_card *cards = NULL;
	long long after = 0;
	size_t n = 0;
	int r;

	for (;;) {
		if ((r = list(reg, after, PROOF_PER_PAGE, &cards, &n)) < 0)
			return r;
		for (size_t i = 0; i < n && r == 0; i++) {
			char *dir = fs_join(faces, cards[i].card_no);

			r = proof_add(ps, dir, cards[i].card_no, cards[i].card_id);
			free(dir);
		}
		if (n)
			after = cards[n - 1].card_id;
		render_cards_free(cards, n);
		if (r < 0 || n < PROOF_PER_PAGE)
			return r;
	}
}

/* Pages owed by earlier runs that were killed before writing them: those cards first. The
 * last, partial page is left to fill with this run's cards. */
static int
proof_owed_pages(struct registry *reg, const char *faces, struct proof_state *ps)
{
	return proof_add_listed(reg, faces, ps, reg_render_list_owed);
}

int
render_load_layout(const struct config *cfg, const char *home, struct layout **lo)
{
	char *path = config_path(cfg, "render.layout", home);
	int r;

	if (!path[0]) {
		free(path);
		if ((r = layout_find_shipped(&path)) < 0)
			return r;
	}
	r = layout_load(path, lo);
	free(path);
	return r;
}

static int
png_settings(const struct config *cfg, struct png_opts *o)
{
	long long level = config_int(cfg, "render.png_level");
	int r;

	memset(o, 0, sizeof(*o));
	o->level = (int)level;
	if ((r = png_filter_parse(config_str(cfg, "render.png_filter"), &o->filter)) < 0)
		return cp_err_wrap(r, "render.png_filter: ");
	return 0;
}

/* Record one batch: sync the outputs, then one transaction. */
static int
record_batch(struct registry *reg, struct job *jobs, size_t n, const char *faces,
	     enum face_sync sync, struct render_counts *counts, struct proof_state *ps)
{
	int r;

	if (sync == FACE_SYNC_BATCH && (r = fs_sync_fs(faces)) < 0)
		return r;
	if ((r = registry_begin(reg)) < 0)
		return r;
	for (size_t i = 0; i < n && r >= 0; i++) {
		struct job *j = &jobs[i];

		if (j->status == JOB_HELD)
			r = reg_render_mark_held(reg, j->card->card_id, j->card->state, j->msg);
		else if ((r = reg_render_mark_rendered(reg, j->card->card_id, j->card->state)) ==
				 0 &&
			 ps->enabled)
			r = reg_render_owe_proof(reg, j->card->card_id);
		if (r == 1) { /* another run was first: its to count */
			log_debug("render", "card %s was recorded by another run",
				  j->card->card_no);
			j->status = JOB_GONE;
		}
	}
	if (r < 0 || (r = registry_commit(reg)) < 0) {
		registry_rollback(reg);
		return r;
	}
	r = 0;
	for (size_t i = 0; i < n; i++) {
		struct job *j = &jobs[i];

		if (j->status == JOB_HELD) {
			counts->held++;
			log_debug("render", "card %s held: %s", j->card->card_no, j->msg);
			if (counts->nreported < RENDER_MAX_REPORTED) {
				snprintf(counts->held_cards[counts->nreported].card_no,
					 sizeof(counts->held_cards[0].card_no), "%s",
					 j->card->card_no);
				snprintf(counts->held_cards[counts->nreported].reason,
					 sizeof(counts->held_cards[0].reason), "%s", j->msg);
				counts->nreported++;
			}
			continue;
		}
		if (j->status == JOB_GONE)
			continue;
		if (j->status == JOB_COMPLETE)
			counts->complete++;
		else
			counts->rendered++;
		if ((r = proof_add(ps, j->outdir, j->card->card_no, j->card->card_id)) < 0)
			return r;
	}
	return 0;
}

/* Proof sheets of every rendered card. */
static int
proof_all_rendered(struct registry *reg, const char *faces, struct proof_state *ps)
{
	int r = proof_add_listed(reg, faces, ps, reg_render_list_rendered);

	return r < 0 ? r : proof_flush(ps);
}

struct done_batch {
	struct render_card *cards;
	struct job *jobs;
	size_t n;
};

static void
release_batch(struct done_batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		release_job(&b->jobs[i]);
	free(b->jobs);
	if (b->cards)
		render_cards_free(b->cards, b->n);
	memset(b, 0, sizeof(*b));
}

/* A drawn batch: made durable, recorded, counted; then released. */
static int
finish_batch(struct registry *reg, struct done_batch *b, const char *faces, enum face_sync sync,
	     struct render_counts *counts, struct proof_state *ps, struct progress *prog)
{
	int r = record_batch(reg, b->jobs, b->n, faces, sync, counts, ps);

	release_batch(b);
	if (r == 0)
		progress_update(prog, counts->rendered + counts->complete + counts->held);
	return r;
}

/* render.sync read (the key table checked its words); threads bounded, 0 becomes the CPU count. */
static int
render_settings(const char *sync_s, long long *threads, enum face_sync *sync)
{
	*sync = !strcmp(sync_s, "batch") ? FACE_SYNC_BATCH : FACE_SYNC_EACH;
	/* opts->threads is the caller's too: it bounds workers[] whatever the table says */
	if (*threads < 0 || *threads > MAX_THREADS)
		return cp_err(CP_ERR_CONFIG, "render.threads %lld: expected 0..%d", *threads,
			      MAX_THREADS);
	if (*threads == 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);

		*threads = cpus < 1 ? 1 : cpus > MAX_THREADS ? MAX_THREADS : cpus;
	}
	return 0;
}

/* The proof sheets of this run: under out/proof/<UTC stamp>, drawn with fonts of their own. */
static int
proof_open(const struct config *cfg, const char *home, struct registry *reg,
	   const struct layout *lo, const struct canvas_profile *prof, const char *card_font,
	   const struct png_opts *png, const char *today, struct proof_state *ps,
	   struct face_renderer **proof_fr)
{
	char *out = config_path(cfg, "paths.out", home), *dir = fs_join(out, "proof"), stamp[32];
	int r;

	cp_iso_utc(cp_now(), stamp, sizeof(stamp));
	for (char *p = stamp; *p; p++)
		if (*p == ':')
			*p = '-';
	ps->reg = reg;
	if ((r = fs_mkdirs(dir, 0700)) == 0) {
		ps->prefix = fs_join(dir, stamp);
		ps->first_page = proof_first_free_page(ps->prefix);
		ps->title = xasprintf("cardpipe proof sheet  %s  (%s)", today, prof->name);
		/* its own fonts: proof pages are drawn while the workers draw cards */
		if ((r = face_renderer_new(lo, prof, card_font, png, proof_fr)) == 0)
			ps->fs = composer_font(face_renderer_composer(*proof_fr), 0);
		ps->side = lo->side[SIDE_BACK].personal || !lo->side[SIDE_FRONT].personal ? "back"
											  : "front";
	}
	free(out);
	free(dir);
	return r;
}

/* render --proof-only: proof sheets of every rendered card, nothing drawn. */
static int
proof_only(struct registry *reg, const char *faces, struct proof_state *ps,
	   struct render_counts *counts)
{
	int r;

	if ((r = proof_all_rendered(reg, faces, ps)) < 0)
		return r;
	counts->proof_pages = ps->pages;
	log_info("render", "%d proof pages%s%s", ps->pages, ps->pages ? ": " : "",
		 ps->pages ? ps->prefix : "");
	return 0;
}

/* What the batches of one run share. */
struct render_run {
	struct registry *reg;
	const struct render_opts *opts;
	const struct layout *lo;
	struct worker *workers;
	int nworkers;
	const char *faces, *photos, *today;
	int with_alloc, print_pan;
	enum face_sync sync;
	long long batch;
	struct render_counts *counts;
	struct proof_state *ps;
	struct progress *prog;
};

/* Draw the n jobs on the workers; meanwhile record the previous batch on this thread.
 * Returns what recording the previous batch returned. */
static int
draw_batch(const struct render_run *rr, struct job *jobs, size_t n, struct done_batch *prev)
{
	struct pool pool;
	int started = 0, r = 0;

	memset(&pool, 0, sizeof(pool));
	pool.jobs = jobs;
	pool.njobs = n;
	pool.force = rr->opts->force;
	pool.photos = rr->photos;
	atomic_init(&pool.next, 0);
	atomic_init(&pool.failed, 0);
	for (int t = 0; t < rr->nworkers && (size_t)t < n; t++) {
		rr->workers[t].pool = &pool;
		if (pthread_create(&rr->workers[t].tid, NULL, worker_main, &rr->workers[t]) != 0)
			break;
		started++;
	}
	if (prev->jobs) { /* the previous batch, while this one is drawn */
		r = finish_batch(rr->reg, prev, rr->faces, rr->sync, rr->counts, rr->ps, rr->prog);
		if (r < 0)
			atomic_store(&pool.failed, 1);
	}
	if (started == 0) /* no thread could start: render on this one */
		worker_main(&(struct worker){.pool = &pool, .fr = rr->workers[0].fr});
	for (int t = 0; t < started; t++)
		pthread_join(rr->workers[t].tid, NULL);
	return r;
}

/*
 * Pipelined: while the workers draw batch k+1, this thread syncs and records batch k
 * (the registry stays on this thread), so the workers do not wait for either.
 */
static int
render_batches(const struct render_run *rr, struct done_batch *prev, long long *after)
{
	int r;

	for (;;) {
		struct render_card *cards = NULL;
		struct job *jobs = NULL;
		size_t n = 0;

		if ((r = reg_render_list(rr->reg, rr->with_alloc, rr->opts->card_no, *after,
					 (size_t)rr->batch, &cards, &n)) < 0)
			return r;
		if (n == 0) {
			free(cards);
			break;
		}
		*after = cards[n - 1].card_id;
		jobs = xcalloc(n, sizeof(*jobs));
		for (size_t i = 0; i < n; i++)
			prepare_job(&jobs[i], &cards[i], rr->lo, rr->faces, rr->today,
				    rr->print_pan);
		r = draw_batch(rr, jobs, n, prev);
		prev->jobs = jobs;
		prev->cards = cards;
		prev->n = n;
		for (size_t i = 0; i < n && r == 0; i++)
			if (jobs[i].status == JOB_FAILED)
				r = cp_err(jobs[i].err, "%s", jobs[i].msg);
		if (r < 0)
			return r;
		if (rr->opts->card_no)
			break;
	}
	if (prev->jobs && (r = finish_batch(rr->reg, prev, rr->faces, rr->sync, rr->counts, rr->ps,
					    rr->prog)) < 0)
		return r;
	return 0;
}

/* render CARD_NO drew nothing: fine when the card is rendered already, else say why. */
static int
render_card_not_drawn(struct registry *reg, const char *card_no, int with_alloc)
{
	char *state = NULL;
	int r;

	if ((r = reg_render_card_state(reg, card_no, &state)) == 0) {
		if (!strcmp(state, "rendered"))
			log_info("render", "card %s is already rendered", card_no);
		else
			r = cp_err(CP_ERR_INVALID,
				   "card %s is in state '%s'; render takes perso_ready%s "
				   "cards",
				   card_no, state, with_alloc ? " and allocated" : "");
		free(state);
	}
	return r;
}

static int
render_run(const struct config *cfg, const char *home, struct registry *reg,
	   const struct render_opts *opts, struct render_counts *counts)
{
	struct layout *lo = NULL;
	const struct canvas_profile *prof;
	struct png_opts png;
	struct worker workers[MAX_THREADS];
	struct proof_state ps = {0};
	struct progress prog = {0};
	char *spool = config_path(cfg, "paths.spool", home), *faces = fs_join(spool, "faces");
	char *photos = fs_join(spool, "photos"), today[16];
	const char *card_font = config_str(cfg, "card.font"),
		   *sync_s = config_str(cfg, "render.sync");
	long long threads = opts->threads ? opts->threads : config_int(cfg, "render.threads");
	long long batch = config_int(cfg, "render.batch");
	int with_alloc = config_bool(cfg, "render.from_allocated");
	int print_pan = config_bool(cfg, "render.print_pan");
	enum face_sync sync;
	struct done_batch prev = {0};
	struct face_renderer *proof_fr = NULL;
	long long after = 0;
	int nworkers = 0, r;

	memset(counts, 0, sizeof(*counts));
	cp_business_date(cp_now(), today, sizeof(today));
	if ((r = render_settings(sync_s, &threads, &sync)) < 0)
		goto out;
	if (opts->card_no)
		threads = 1; /* one card: no pool to fill */
	if ((r = png_settings(cfg, &png)) < 0 ||
	    (r = canvas_profile_lookup(config_str(cfg, "printer.profile"), &prof)) < 0 ||
	    (r = render_load_layout(cfg, home, &lo)) < 0)
		goto out;
	png.dpi = prof->dpi;
	for (; nworkers < threads; nworkers++) {
		if ((r = face_renderer_new(lo, prof, card_font, &png, &workers[nworkers].fr)) < 0)
			goto out;
		face_renderer_set_sync(workers[nworkers].fr, sync);
	}
	if ((r = fs_mkdirs(faces, 0700)) < 0)
		goto out;
	ps.enabled = opts->proof_only ||
		     (!opts->no_proof && !opts->card_no && config_bool(cfg, "render.proof"));
	if (ps.enabled &&
	    (r = proof_open(cfg, home, reg, lo, prof, card_font, &png, today, &ps, &proof_fr)) < 0)
		goto out;

	if (opts->proof_only) {
		r = proof_only(reg, faces, &ps, counts);
		goto out;
	}
	if (ps.enabled && (r = proof_owed_pages(reg, faces, &ps)) < 0)
		goto out;
	if (!opts->card_no) {
		long long waiting = 0;

		if ((r = reg_render_count(reg, with_alloc, &waiting)) < 0)
			goto out;
		progress_start(&prog, "render", waiting);
	}
	if ((r = render_batches(&(struct render_run){.reg = reg,
						     .opts = opts,
						     .lo = lo,
						     .workers = workers,
						     .nworkers = nworkers,
						     .faces = faces,
						     .photos = photos,
						     .today = today,
						     .with_alloc = with_alloc,
						     .print_pan = print_pan,
						     .sync = sync,
						     .batch = batch,
						     .counts = counts,
						     .ps = &ps,
						     .prog = &prog},
				&prev, &after)) < 0)
		goto out;
	progress_end(&prog);
	if (opts->card_no && counts->rendered + counts->complete + counts->held == 0 &&
	    (r = render_card_not_drawn(reg, opts->card_no, with_alloc)) < 0)
		goto out;
	if ((r = proof_flush(&ps)) < 0)
		goto out;
	counts->proof_pages = ps.pages;
	log_info("render", "%ld cards rendered, %ld already complete, %ld held%s%s",
		 counts->rendered, counts->complete, counts->held,
		 ps.pages ? "; proof sheets " : "", ps.pages ? ps.prefix : "");
	r = 0;
out:
	release_batch(&prev);
	face_renderer_free(proof_fr);
	proof_drop(&ps);
	free(ps.prefix);
	free(ps.title);
	for (int i = 0; i < nworkers; i++)
		face_renderer_free(workers[i].fr);
	layout_free(lo);
	free(spool);
	free(faces);
	free(photos);
	return r;
}

int
stage_render_run(const struct stage_ctx *ctx, const struct render_opts *opts,
		 struct stage_result *res)
{
	struct render_counts *own = opts->detail ? NULL : xcalloc(1, sizeof(*own));
	struct render_counts *c = opts->detail ? opts->detail : own;
	int r = render_run(ctx->cfg, ctx->home, ctx->reg, opts, c);

	memset(res, 0, sizeof(*res));
	res->read = c->rendered + c->complete + c->held;
	res->done = c->rendered + c->complete;
	res->rejected = c->held; /* a card held is one render could not draw */
	res->held = c->held;
	snprintf(res->note, sizeof(res->note), "%ld cards drawn, %ld held, %d proof pages",
		 c->rendered + c->complete, c->held, c->proof_pages);
	free(own);
	return r;
}
