/*
 * prepare.c - the prepare stage (see prepare.h): judge, deduplicate, date and allocate the
 * received applications a chunk at a time, each chunk one registry transaction.
 *
 * Within a chunk the records come in person order, so one person's records are together:
 * each record is judged alone (rules_judge_record, then the person's history), then the
 * records of a person that were not rejected are deduplicated (DEDUP_RULE_RUN, or all of
 * them against a card already in production), and the one left is held or accepted with
 * a card.
 */
#include "pipeline/stages/prepare.h"

#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "core/progress.h"
#include "core/mem.h"
#include "pipeline/registry/reg_cards.h"
#include "pipeline/registry/reg_held.h"
#include "pipeline/registry/reg_prepare.h"
#include "pipeline/registry/registry.h"
#include "pipeline/rules/calendar.h"
#include "pipeline/rules/prepare_rules.h"
#include "pipeline/rules/reasons.h"
#include "pipeline/stages/prepare_photos.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct run {
	const struct config *cfg;
	struct photo_checker *photos;
	struct registry *reg;
	struct reg_prep *rp;
	struct card_allocator *alloc;
	struct rules_ctx rules;
	struct calendar *cal;
	const struct prepare_opts *opts;
	struct prepare_counts *counts;
	char *photo_dir;
	char *bins; /* banks.bins */
	const char *prefix;
	const char *transport_city; /* perso.transport_city */
	int new_days, replace_days, validity_years;
	long today;
	char issue_date[11], expiry_date[11];
	long long *touched; /* files judged in this run, sorted */
	size_t ntouched, touched_cap;
};

/* One record of a chunk being judged. */
struct judged {
	struct prep_app *app;
	struct photo_job *photo; /* its photo's check */
	struct verdict v;
	struct person_facts pf;
	long long person_id;
	long long submitted; /* epoch seconds of submitted_at, LLONG_MAX when unknown */
	int done;	     /* outcome recorded */
};

static void
touch_file(struct run *run, long long file_id)
{
	size_t lo = 0, hi = run->ntouched;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (run->touched[mid] == file_id)
			return;
		if (run->touched[mid] < file_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (run->ntouched == run->touched_cap) {
		run->touched_cap = run->touched_cap ? run->touched_cap * 2 : 64;
		run->touched = xrealloc(run->touched, run->touched_cap * sizeof(*run->touched));
	}
	memmove(run->touched + lo + 1, run->touched + lo, (run->ntouched - lo) * sizeof(long long));
	run->touched[lo] = file_id;
	run->ntouched++;
}

static int
was_touched(const struct run *run, long long file_id)
{
	size_t lo = 0, hi = run->ntouched;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (run->touched[mid] == file_id)
			return 1;
		if (run->touched[mid] < file_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static void
day_str(long day, char out[11])
{
	int y, m, d;

	cp_civil_from_days(day, &y, &m, &d);
	snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
}

/* The BIN prefix of bank in banks.bins ("BANK:BIN,..."), into bin. */
static int
bin_of(const char *bins, const char *bank, char *bin, size_t binsz)
{
	size_t blen = strlen(bank);

	for (const char *p = bins; p && *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		while (len && *p == ' ')
			p++, len--;
		if (len > blen + 1 && !strncmp(p, bank, blen) && p[blen] == ':') {
			size_t n = len - blen - 1;

			if (n >= binsz)
				return -1;
			memcpy(bin, p + blen + 1, n);
			bin[n] = '\0';
			while (n && bin[n - 1] == ' ')
				bin[--n] = '\0';
			return 0;
		}
		p = end ? end + 1 : NULL;
	}
	return -1;
}

/* ---- recording outcomes ------------------------------------------------------------ */

static int
record(struct run *run, struct judged *j, const char *state, const char *code, const char *field,
       const char *detail, long long dup_of, const char *rule, const char *due)
{
	const struct reason *reason = code ? reason_find(code) : NULL;
	char *zh = NULL;
	struct prep_outcome o = {0};
	int r;

	if (code && !reason)
		return cp_err(CP_ERR_INVALID, "prepare: reason code '%s' is not in the table",
			      code);
	if (reason)
		zh = field ? xasprintf("%s（字段 %s）", reason->zh, field) : xstrdup(reason->zh);
	o.state = state;
	o.reason_code = code;
	o.reason_field = field;
	o.reason_zh = zh;
	o.reason_en = detail && detail[0] ? detail : reason ? reason->en : NULL;
	o.duplicate_of = dup_of;
	o.dedup_rule = rule;
	o.person_id = j->person_id;
	o.due_date = due;
	r = reg_prep_set_outcome(run->rp, j->app->id, &o);
	free(zh);
	if (r < 0)
		return r;
	j->done = 1;
	if (!strcmp(state, "accepted"))
		run->counts->accepted++;
	else if (!strcmp(state, "rejected"))
		run->counts->rejected++;
	else if (!strcmp(state, "duplicate"))
		run->counts->duplicate++;
	else
		run->counts->held++;
	return 0;
}

/* ---- judging ----------------------------------------------------------------------- */

static int
judge_one(struct run *run, struct judged *j)
{
	struct app_record *rec = &j->app->rec;
	struct photo_result big;
	int r;

	j->submitted = LLONG_MAX;
	switch (j->photo->state) {
	case PHOTO_ERROR:
		/* the spool cannot be read: not the record's fault, the stage stops */
		return cp_err(j->photo->err, "%s", j->photo->errmsg);
	case PHOTO_CHECKED:
		rules_judge_checked(&run->rules, rec, j->app->insured, &j->photo->res, &j->v);
		break;
	case PHOTO_TOOBIG:
		memset(&big, 0, sizeof(big));
		big.reason = "photo-file-size";
		snprintf(big.detail, sizeof(big.detail), "the stored photo is larger than %u MiB",
			 PHOTO_READ_MAX >> 20);
		rules_judge_checked(&run->rules, rec, j->app->insured, &big, &j->v);
		break;
	default:
		rules_judge_checked(&run->rules, rec, j->app->insured, NULL, &j->v);
		if (j->v.code && !strcmp(j->v.code, "photo-missing") &&
		    j->photo->state != PHOTO_NONE)
			snprintf(j->v.detail, sizeof(j->v.detail), "%s%s",
				 j->photo->state == PHOTO_BADREF
					 ? "the registry's photo reference is not a SHA-256"
				 : j->photo->errmsg[0]
					 ? "the stored photo is damaged: "
					 : "the stored photo is missing from the spool",
				 j->photo->state == PHOTO_BADREF ? "" : j->photo->errmsg);
		break;
	}
	if (j->v.code)
		return 0;
	if (rec->submitted_at && rules_app_time(rec->submitted_at, &j->submitted) < 0)
		j->submitted = LLONG_MAX;
	if ((r = reg_prep_person_facts(run->rp, rec->id_type, rec->id_number, rec->old_card_no,
				       &j->pf, &j->person_id)) < 0)
		return r;
	rules_judge_history(&run->rules, rec, &j->pf, &j->v);
	if (!j->v.code)
		rules_judge_hold(&run->rules, rec, &j->v);
	return 0;
}

/* The order of DEDUP_RULE_RUN: negative when a should be kept before b. */
static int
dedup_cmp(const struct judged *a, const struct judged *b)
{
	int ar = app_type_is_replacement(a->app->rec.app_type);
	int br = app_type_is_replacement(b->app->rec.app_type);

	if (a->v.held != b->v.held)
		return a->v.held ? 1 : -1;
	if (ar != br)
		return ar ? -1 : 1;
	if (a->submitted != b->submitted)
		return a->submitted < b->submitted ? -1 : 1;
	return a->app->id < b->app->id ? -1 : a->app->id > b->app->id;
}

static int
allocate(struct run *run, struct judged *j)
{
	struct app_record *rec = &j->app->rec;
	struct card_alloc a = {0};
	struct card_row card;
	char bin[32], app_day[11], due[11];
	long due_day = j->v.app_date, n = 0;
	int r;

	/* the SLA due date (manual items 13 and 30) */
	if (run->opts->instant) {
		due_day = j->v.app_date;
	} else if (app_type_is_replacement(rec->app_type)) {
		if (calendar_add_working_days(run->cal, j->v.app_date, run->replace_days,
					      &due_day) < 0) {
			char msg[320];

			snprintf(msg, sizeof(msg),
				 "due date: %d working days after the application date: %s; held "
				 "until the calendar covers it",
				 run->replace_days, cp_errmsg());
			return record(run, j, "held", "calendar-missing", "submitted_at", msg, 0,
				      NULL, NULL);
		}
	} else {
		due_day = j->v.app_date + run->new_days;
	}
	day_str(j->v.app_date, app_day);
	day_str(due_day, due);

	if (bin_of(run->bins, rec->bank, bin, sizeof(bin)) < 0)
		return cp_err(CP_ERR_CONFIG, "banks.bins has no BIN for cooperating bank '%s'",
			      rec->bank);
	if ((r = reg_prep_person_save(run->rp, rec, j->app->id, app_day, &j->pf, &j->person_id)) <
	    0)
		return r;
	a.application_id = j->app->id;
	a.person_id = j->person_id;
	a.bank = rec->bank;
	a.bin = bin;
	a.prefix = run->prefix;
	a.transport_city = run->transport_city;
	a.issue_date = run->issue_date;
	a.expiry_date = run->expiry_date;
	a.instant = run->opts->instant;
	if ((r = reg_card_allocate_with(run->alloc, &a, &card)) < 0)
		return r;
	/* someone with no card in the registry has nothing to supersede: skip the update */
	if (j->pf.ncards > 0 &&
	    (r = reg_card_supersede_with(run->alloc, j->person_id, card.id, &n)) < 0)
		return r;
	run->counts->superseded += n;
	n = 0;
	if (j->pf.old_found && !j->pf.old_is_theirs && rec->old_card_no) {
		/* change of ID number: the card under the former number is replaced too */
		if ((r = reg_card_supersede_no_with(run->alloc, rec->old_card_no, card.id, &n)) < 0)
			return r;
		run->counts->superseded += n;
	}
	if (j->v.photo_warning) {
		char *detail = xasprintf("%s: %s", j->v.photo_warning, j->v.photo_detail);

		r = registry_audit(run->reg, "application", j->app->id, "photo-warning", detail);
		free(detail);
		if (r < 0)
			return r;
		run->counts->photo_warnings++;
	}
	return record(run, j, "accepted", NULL, NULL, NULL, 0, NULL, due);
}

/* The records [from, to) of one person: the non-rejected ones are deduplicated. */
static int
settle_person(struct run *run, struct judged *js, size_t from, size_t to)
{
	long long prod_app = 0, person_id = 0;
	char card_no[16], msg[200];
	size_t best = to;
	int r;

	for (size_t i = from; i < to; i++) {
		if (!js[i].v.code || js[i].v.held) {
			if (best == to || dedup_cmp(&js[i], &js[best]) < 0)
				best = i;
			if (js[i].person_id)
				person_id = js[i].person_id;
		}
	}
	if (best == to)
		return 0;

	/* a card of theirs still in production: every record is a duplicate of its
	 * application */
	if (person_id && (r = reg_prep_in_production(run->rp, person_id, &prod_app, card_no)) !=
				 CP_ERR_NOTFOUND) {
		if (r < 0)
			return r;
		snprintf(msg, sizeof(msg),
			 "card %s of this person is in production (application %lld)", card_no,
			 prod_app);
		for (size_t i = from; i < to; i++)
			if (!js[i].done && (!js[i].v.code || js[i].v.held) &&
			    (r = record(run, &js[i], "duplicate", "duplicate-in-production", NULL,
					msg, prod_app, DEDUP_RULE_PRODUCTION, NULL)) < 0)
				return r;
		return 0;
	}

	for (size_t i = from; i < to; i++) {
		if (i == best || js[i].done || (js[i].v.code && !js[i].v.held))
			continue;
		snprintf(msg, sizeof(msg), "duplicate of application %lld (%s)", js[best].app->id,
			 js[best].app->rec.location ? js[best].app->rec.location : "");
		if ((r = record(run, &js[i], "duplicate", "duplicate-in-run", NULL, msg,
				js[best].app->id, DEDUP_RULE_RUN, NULL)) < 0)
			return r;
	}
	if (js[best].v.held)
		return record(run, &js[best], "held", js[best].v.code, js[best].v.field,
			      js[best].v.detail, 0, NULL, NULL);
	return allocate(run, &js[best]);
}

static int
same_person(const struct prep_app *a, const struct prep_app *b)
{
	const char *at = a->rec.id_type ? a->rec.id_type : "",
		   *bt = b->rec.id_type ? b->rec.id_type : "";
	const char *an = a->rec.id_number ? a->rec.id_number : "";
	const char *bn = b->rec.id_number ? b->rec.id_number : "";

	return !strcmp(at, bt) && !strcmp(an, bn);
}

static int
run_chunk(struct run *run, struct prep_app *apps, size_t n, char **next_shas, size_t nnext)
{
	struct judged *js = xcalloc(n, sizeof(*js));
	struct photo_job *jobs = xcalloc(n, sizeof(*jobs));
	size_t from = 0;
	int r = 0;

	for (size_t i = 0; i < n; i++) {
		js[i].app = &apps[i];
		js[i].photo = &jobs[i];
		jobs[i].sha = apps[i].rec.photo_sha256;
		jobs[i].loc = apps[i].rec.photo_loc;
		jobs[i].stored = apps[i].rec.photo_check;
	}
	photo_checker_run(run->photos, jobs, n); /* the photos first, on every core */
	/* and the next chunk's on the other cores while this one's registry work goes on */
	photo_checker_prefetch(run->photos, next_shas, nnext);
	for (size_t i = 0; i < n; i++) {
		touch_file(run, apps[i].file_id);
		run->counts->read++;
		if ((r = judge_one(run, &js[i])) < 0)
			goto out;
		if (js[i].v.code && !js[i].v.held &&
		    (r = record(run, &js[i], "rejected", js[i].v.code, js[i].v.field,
				js[i].v.detail, 0, NULL, NULL)) < 0)
			goto out;
	}
	for (size_t i = 1; i <= n; i++) {
		if (i < n && same_person(&apps[i], &apps[from]))
			continue;
		if ((r = settle_person(run, js, from, i)) < 0)
			goto out;
		from = i;
	}
	for (size_t i = 0; i < n; i++)
		if (!js[i].done) {
			r = cp_err(CP_ERR_INTEGRITY, "prepare: application %lld was left unjudged",
				   apps[i].id);
			goto out;
		}
out:
	free(js);
	free(jobs);
	return r;
}

/* ---- the run ----------------------------------------------------------------------- */

struct rejects_walk {
	struct run *run;
	char *out_dir;
};

static int
rejects_one(long long file_id, void *arg)
{
	struct rejects_walk *w = arg;
	char *path = NULL;
	int r;

	if (w->run->opts->file_id && file_id != w->run->opts->file_id)
		return 0;
	if (!was_touched(w->run, file_id)) {
		/* judged before, or all rejected by ingest: write only if missing */
		if ((r = prepare_rejects_path(w->run->rp, w->out_dir, file_id, &path)) < 0)
			return r;
		r = fs_exists(path);
		free(path);
		path = NULL;
		if (r)
			return 0;
	}
	if ((r = prepare_write_rejects(w->run->rp, w->out_dir, file_id, &path)) < 0)
		return r;
	w->run->counts->rejects_files++;
	log_debug("prepare", "rejects file %s", path);
	free(path);
	return 0;
}

static int
run_setup(struct run *run, const struct config *cfg, const char *home)
{
	char today[11], *calpath;
	int y, m, d, r;

	cp_business_date(cp_now(), today, sizeof(today));
	if (cp_parse_date(today, &y, &m, &d) < 0)
		return cp_err(CP_ERR_INVALID, "cannot read today's date '%s'", today);
	run->today = cp_days_from_civil(y, m, d);
	memcpy(run->issue_date, today, sizeof(run->issue_date));
	run->validity_years = (int)config_int(cfg, "card.validity_years");
	{
		/* expiry = issue date + N years, less a day (20211203 -> 20311202); 29 February
		 * becomes 1 March in a year without it, so the day before is 28 February */
		long exp = cp_days_from_civil(y + run->validity_years, m, d);
		int ey, em, ed;

		cp_civil_from_days(exp, &ey, &em, &ed);
		if (em != m)
			exp = cp_days_from_civil(y + run->validity_years, m + 1, 1);
		day_str(exp - 1, run->expiry_date);
	}
	run->prefix = config_str(cfg, "card.number_prefix");
	run->transport_city = config_str(cfg, "perso.transport_city");
	if (strlen(run->prefix) != 1 ||
	    !strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", run->prefix[0]))
		return cp_err(CP_ERR_CONFIG,
			      "card.number_prefix must be one character A-Z or 0-9, "
			      "not '%s'",
			      run->prefix);
	run->new_days = (int)config_int(cfg, "sla.new_days");
	run->replace_days = (int)config_int(cfg, "sla.replace_working_days");
	run->bins = xstrdup(config_str(cfg, "banks.bins"));
	if ((r = rules_init(&run->rules, cfg, run->today)) < 0)
		return r;
	for (size_t i = 0; i < run->rules.nbanks; i++) {
		char bin[32];

		if (bin_of(run->bins, run->rules.banks[i], bin, sizeof(bin)) < 0 ||
		    strlen(bin) < 6 || strlen(bin) > 12 || strspn(bin, "0123456789") != strlen(bin))
			return cp_err(CP_ERR_CONFIG,
				      "banks.bins: cooperating bank '%s' needs a BIN of 6 to 12 "
				      "digits (BANK:BIN)",
				      run->rules.banks[i]);
	}
	{
		char *conf = config_path(cfg, "paths.calendar", home);

		calpath = calendar_locate(conf, home);
		free(conf);
	}
	r = calendar_load(calpath, &run->cal);
	free(calpath);
	if (r < 0)
		return cp_err_wrap(r, "working-day calendar: ");
	{
		char *spool = config_path(cfg, "paths.spool", home);

		run->photo_dir = fs_join(spool, "photos");
		free(spool);
		run->photos = photo_checker_new(run->photo_dir, &run->rules.photo);
	}
	return 0;
}

/* Applications held for calendar-missing whose due date the calendar covers now go back to
 * received, to be judged with the others of this run (after `cardpipe calendar import`). */
static int
release_calendar_holds(struct run *run, const struct prep_filter *f)
{
	struct held_app *v = NULL;
	size_t n = 0;
	int r;

	if ((r = registry_begin(run->reg)) < 0)
		return r;
	if ((r = reg_held_list(run->reg, "calendar-missing", f->app_id, f->file_id, &v, &n)) < 0)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		long day = run->today, due;

		if (v[i].submitted_at && v[i].submitted_at[0] &&
		    rules_app_date(v[i].submitted_at, &day) < 0)
			continue; /* judged again it would be rejected: leave it to an operator */
		if (calendar_add_working_days(run->cal, day, run->replace_days, &due) < 0)
			continue;
		if ((r = reg_held_release(run->reg, v[i].id, "calendar-missing")) < 0)
			goto fail;
		run->counts->released++;
	}
	held_apps_free(v, n);
	if ((r = registry_commit(run->reg)) < 0)
		return r;
	if (run->counts->released)
		log_info("prepare",
			 "%ld application(s) held for calendar-missing judged again: the calendar "
			 "covers their due dates now",
			 run->counts->released);
	return 0;
fail:
	registry_rollback(run->reg);
	held_apps_free(v, n);
	return r;
}

static int
prepare_run(const struct config *cfg, const char *home, struct registry *reg,
	    const struct prepare_opts *opts, struct prepare_counts *counts)
{
	static const struct prepare_opts none = {0};
	struct prep_filter filter = {0};
	struct run run = {0};
	struct progress prog = {0}; /* applications read, on a terminal */
	struct prep_app *apps = NULL;
	long long batch = config_int(cfg, "prepare.batch_size");
	char **next_shas = NULL; /* the next chunk's photos, to check ahead */
	size_t n = 0, nnext = 0;
	time_t t0 = time(NULL);
	int r;

	memset(counts, 0, sizeof(*counts));
	run.cfg = cfg;
	run.reg = reg;
	run.opts = opts ? opts : &none;
	run.counts = counts;
	filter.app_id = run.opts->app_id;
	filter.file_id = run.opts->file_id;
	if ((r = run_setup(&run, cfg, home)) < 0 ||
	    (r = release_calendar_holds(&run, &filter)) < 0 ||
	    (r = reg_prep_open(reg, &run.rp)) < 0 ||
	    (r = reg_card_allocator_open(reg, &run.alloc)) < 0)
		goto out;

	progress_start(&prog, "prepare", 0); /* applications read so far (no total known) */
	for (;;) {
		if ((r = registry_begin(reg)) < 0)
			goto out;
		if ((r = reg_prep_next_chunk(run.rp, &filter, (size_t)batch, &apps, &n)) < 0 ||
		    n == 0 ||
		    (photo_checker_wants_ahead(run.photos) &&
		     (r = reg_prep_next_photos(run.rp, &filter, &apps[n - 1], (size_t)batch,
					       &next_shas, &nnext)) < 0) ||
		    (r = run_chunk(&run, apps, n, next_shas, nnext)) < 0) {
			registry_rollback(reg);
			goto out;
		}
		reg_prep_shas_free(next_shas, nnext);
		next_shas = NULL;
		nnext = 0;
		if ((r = registry_commit(reg)) < 0)
			goto out;
		progress_update(&prog, counts->read);
		prep_apps_free(apps, n);
		apps = NULL;
		n = 0;
	}
out:
	progress_end(&prog);
	prep_apps_free(apps, n);
	reg_prep_shas_free(next_shas, nnext);
	if (r == 0 && !run.opts->no_rejects) {
		struct rejects_walk w = {&run, config_path(cfg, "paths.out", home)};

		char *dir = fs_join(w.out_dir, "rejects");
		long removed = 0;

		r = reg_prep_judged_files(run.rp, rejects_one, &w);
		/* what a killed run left half written is rewritten above: drop its temp files */
		if (r == 0 && (r = fs_clean_stale_tmp(dir, &removed)) == 0 && removed)
			log_info("prepare", "removed %ld temporary file(s) left by a killed run",
				 removed);
		free(dir);
		free(w.out_dir);
	}
	if (r == 0)
		log_info("prepare",
			 "%ld read: %ld accepted, %ld rejected, %ld duplicate, %ld held; %ld photo "
			 "warning(s), %ld card(s) superseded, %ld rejects file(s) (%lds)",
			 counts->read, counts->accepted, counts->rejected, counts->duplicate,
			 counts->held, counts->photo_warnings, counts->superseded,
			 counts->rejects_files, (long)(time(NULL) - t0));
	reg_card_allocator_close(run.alloc);
	reg_prep_close(run.rp);
	rules_release(&run.rules);
	calendar_free(run.cal);
	free(run.photo_dir);
	free(run.bins);
	free(run.touched);
	photo_checker_free(run.photos);
	return r;
}

int
stage_prepare_run(const struct stage_ctx *ctx, const struct prepare_opts *opts,
		  struct stage_result *res)
{
	struct prepare_counts own = {0}, *c = opts && opts->detail ? opts->detail : &own;
	int r = prepare_run(ctx->cfg, ctx->home, ctx->reg, opts, c);

	memset(res, 0, sizeof(*res));
	res->read = c->read;
	res->done = c->accepted;
	res->rejected = c->rejected;
	res->held = c->held;
	snprintf(res->note, sizeof(res->note),
		 "%ld read: %ld accepted, %ld rejected, %ld duplicate, %ld held", c->read,
		 c->accepted, c->rejected, c->duplicate, c->held);
	return r;
}
