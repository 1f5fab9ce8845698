/* status.c - `cardpipe status`: a person's applications, and the status feed (status.h). */
#include "pipeline/stages/status.h"

#include "core/buf.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/json.h"
#include "core/log.h"
#include "core/mask.h"
#include "core/mem.h"
#include "formats/status_feed.h"
#include "pipeline/registry/reg_status.h"
#include "pipeline/registry/registry.h"
#include "pipeline/rules/idnumber.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FEED_WATERMARK "status_feed.seq"
#define FEED_PAGE 5000
/* One feed file holds at most this many records (memory stays bounded after a long pause
 * of the channels); the next feed goes on from there. */
#define FEED_MAX 200000

static const char *
nz(const char *s)
{
	return s ? s : "";
}

/* The Beijing date of an ISO 8601 timestamp ("2026-11-26T20:00:00Z" -> "2026-11-27";
 * "+08:00" and other offsets are honoured); anything else: its first 10 characters. */
static char *
day_of(const char *ts)
{
	struct tm tm = {0};
	char day[16];
	const char *end;
	long off = 0;
	time_t t;

	if (!ts || !(end = strptime(ts, "%Y-%m-%dT%H:%M:%S", &tm)))
		return xstrndup(nz(ts), 10);
	if ((*end == '+' || *end == '-') && strlen(end) == 6 && end[3] == ':')
		off = (*end == '-' ? -1 : 1) * (((end[1] - '0') * 10 + (end[2] - '0')) * 3600L +
						((end[4] - '0') * 10 + (end[5] - '0')) * 60L);
	else if (*end && strcmp(end, "Z"))
		return xstrndup(ts, 10);
	t = timegm(&tm) - off;
	cp_business_date(t, day, sizeof(day));
	return xstrdup(day);
}

char *
status_describe(const struct status_app *a)
{
	const char *st = nz(a->state);
	const char *cs = nz(a->card_state);
	char *d, *s;

	if (!strcmp(st, "received"))
		return xstrdup("received, not yet checked");
	if (!strcmp(st, "rejected"))
		return xasprintf("rejected: %s %s%s%s", nz(a->reason_code), nz(a->reason_zh),
				 a->reason_en ? " / " : "", nz(a->reason_en));
	if (!strcmp(st, "duplicate"))
		return xasprintf("duplicate of application %lld", a->duplicate_of);
	if (!strcmp(st, "held") && !a->card_no)
		return xasprintf("held: %s %s", nz(a->reason_code), nz(a->reason_zh));
	if (!a->card_no)
		return xstrdup("accepted, card number not yet allocated");
	if (!strcmp(cs, "allocated"))
		return xasprintf("card %s allocated, waiting for personalisation", a->card_no);
	if (!strcmp(cs, "perso_ready"))
		return xasprintf("card %s: chip data prepared, waiting for printing", a->card_no);
	if (!strcmp(cs, "rendered"))
		return xasprintf("card %s: card face rendered, in production", a->card_no);
	if (!strcmp(cs, "held"))
		return xasprintf("card %s held: %s", a->card_no, nz(a->held_reason));
	if (!strcmp(cs, "superseded") || !strcmp(cs, "cancelled"))
		return xasprintf("card %s %s", a->card_no, cs);
	if (!strcmp(cs, "produced")) {
		d = day_of(a->produced_at);
		s = xasprintf("card %s produced %s, waiting for dispatch", a->card_no, d);
		free(d);
		return s;
	}
	if (!strcmp(cs, "dispatched")) {
		d = day_of(a->dispatched_at);
		if (a->method && !strcmp(a->method, "mail"))
			s = xasprintf("card %s dispatched %s by mail, tracking number %s",
				      a->card_no, d, nz(a->tracking_no));
		else if (a->method && !strcmp(a->method, "employer"))
			s = xasprintf("card %s dispatched %s by mail to the employer%s%s",
				      a->card_no, d, a->tracking_no ? ", tracking number " : "",
				      nz(a->tracking_no));
		else
			s = xasprintf("card %s ready for pickup since %s at branch %s", a->card_no,
				      d, nz(a->branch));
		free(d);
		return s;
	}
	if (!strcmp(cs, "delivered")) {
		int employer = a->method && !strcmp(a->method, "employer");
		char *h = day_of(a->handed_out_at);

		d = day_of(a->delivered_at);
		s = xasprintf("card %s delivered %s%s%s%s%s%s", a->card_no,
			      employer ? "to the employer " : "", d,
			      a->handed_out_at ? ", handed out by the employer " : "",
			      a->handed_out_at ? h : "", a->tracking_no ? ", tracking number " : "",
			      nz(a->tracking_no));
		free(h);
		free(d);
		return s;
	}
	if (!strcmp(cs, "returned")) {
		d = day_of(a->returned_at);
		s = xasprintf("card %s returned %s (%s)%s%s", a->card_no, d, nz(a->event_detail),
			      a->tracking_no ? ", tracking number " : "", nz(a->tracking_no));
		free(d);
		return s;
	}
	return xasprintf("card %s: %s", a->card_no, cs);
}

/* Why no application can have this number, when its own check character says so (a
 * typing slip at the hotline); 0 when it may well be a real number. */
static int
not_an_id(const char *id, const char *masked)
{
	size_t len = strlen(id);
	char want = 0, got = len ? (char)(id[len - 1] == 'x' ? 'X' : id[len - 1]) : 0;
	char head[18] = "";

	if (len == 18) {
		memcpy(head, id, 17);
		want = id_check_char(head);
	} else if (len == 15) {
		memcpy(head, id, 14);
		want = id_fpr_old_check_char(head);
	} else {
		return cp_err(CP_ERR_USAGE,
			      "ID number %s has %zu characters: an ID number has 18 (15 for an old "
			      "foreign permanent resident number)",
			      masked, len);
	}
	if (!want)
		return cp_err(CP_ERR_USAGE, "ID number %s has characters an ID number cannot have",
			      masked);
	if (want != got)
		return cp_err(CP_ERR_USAGE,
			      "ID number %s has a wrong check character (expected %c): check the "
			      "number given",
			      masked, want);
	return 0;
}

int
status_person(struct registry *reg, const char *id_number, int json, FILE *out)
{
	struct status_app *v = NULL;
	char masked[64];
	size_t n = 0;
	int r;

	mask_id(id_number, masked, sizeof(masked));
	if ((r = reg_status_person(reg, id_number, &v, &n)) < 0)
		return r;
	log_info("status", "status query for %s: %zu application(s)", masked, n);
	/* an application is found under whatever number it came with, even a wrong one; with
	 * none, a number that cannot be an ID number is said to be one */
	if (n == 0 && (r = not_an_id(id_number, masked)) < 0)
		return r;
	if (n == 0)
		return cp_err(CP_ERR_NOTFOUND, "no application for ID number %s", masked);
	if (!json)
		fprintf(out, "ID number %s: %zu application(s)\n", masked, n);
	for (size_t i = 0; i < n; i++) {
		const struct status_app *a = &v[i];
		char *desc = status_describe(a);

		if (json) {
			struct json_writer w;

			json_writer_init(&w);
			json_obj_begin(&w);
			json_kv_int(&w, "application", a->app_id);
			json_kv_str(&w, "id_number", masked);
			json_kv_str(&w, "channel", nz(a->channel));
			json_kv_str(&w, "channel_ref", nz(a->channel_ref));
			json_kv_str(&w, "app_type", nz(a->app_type));
			json_kv_str(&w, "submitted_at",
				    nz(a->submitted_at ? a->submitted_at : a->created_at));
			json_kv_str(&w, "state", nz(a->state));
			if (a->reason_code)
				json_kv_str(&w, "reason_code", a->reason_code);
			if (a->duplicate_of)
				json_kv_int(&w, "duplicate_of", a->duplicate_of);
			if (a->due_date)
				json_kv_str(&w, "due_date", a->due_date);
			if (a->card_no) {
				json_kv_str(&w, "card_no", a->card_no);
				json_kv_str(&w, "card_state", nz(a->card_state));
			}
			if (a->method)
				json_kv_str(&w, "delivery", a->method);
			if (a->tracking_no)
				json_kv_str(&w, "tracking_no", a->tracking_no);
			json_kv_str(&w, "summary", desc);
			json_obj_end(&w);
			fprintf(out, "%s\n", json_writer_str(&w));
			json_writer_release(&w);
		} else {
			char *sub = day_of(a->submitted_at ? a->submitted_at : a->created_at);

			fprintf(out, "application %lld  %s %s  %s, submitted %s%s%s\n  %s\n",
				a->app_id, nz(a->channel), nz(a->channel_ref), nz(a->app_type), sub,
				a->due_date ? ", due " : "", nz(a->due_date), desc);
			free(sub);
		}
		free(desc);
	}
	status_apps_free(v, n);
	return 0;
}

/* The registry's change as the feed's record (formats/status_feed.h writes it). */
static int
feed_line(struct buf *b, const struct feed_event *e)
{
	const struct status_feed_record rec = {
		.seq = e->seq,
		.at = e->at,
		.app_id = e->app_id,
		.channel = e->channel,
		.channel_ref = e->channel_ref,
		.id_number = e->id_number,
		.entity = e->entity,
		.event = e->event,
		.card_no = e->card_no,
		.tracking_no = e->tracking_no,
		.detail = e->detail,
	};

	return status_feed_line(b, &rec);
}

static int
status_feed(struct config *cfg, const char *home, struct registry *reg, const char *path,
	    long long *count, char **written)
{
	struct buf b = BUF_INIT(BUF_UNLIMITED);
	long long after = 0, last;
	char *wm = NULL, *val = NULL, *outdir = NULL, *dir = NULL, *target = NULL;
	int r;

	*count = 0;
	*written = NULL;
	if ((r = registry_meta_get(reg, FEED_WATERMARK, &wm)) == 0)
		after = strtoll(wm, NULL, 10);
	else if (r != CP_ERR_NOTFOUND)
		return r;
	free(wm);
	last = after;
	for (;;) {
		struct feed_event *v;
		size_t n;

		if ((r = reg_status_feed(reg, last, FEED_PAGE, &v, &n)) < 0)
			goto out;
		for (size_t i = 0; r == 0 && i < n; i++) {
			r = feed_line(&b, &v[i]);
			last = v[i].seq;
		}
		feed_events_free(v, n);
		*count += (long long)n;
		if (r < 0)
			goto out;
		if (n < FEED_PAGE)
			break;
		if (*count >= FEED_MAX) {
			log_warn("status",
				 "status feed: %d records written; more changes wait for "
				 "the next feed",
				 FEED_MAX);
			break;
		}
	}
	if (path) {
		target = xstrdup(path);
	} else if (*count) {
		outdir = config_path(cfg, "paths.out", home);
		dir = fs_join(outdir, "status");
		if ((r = fs_mkdirs(dir, 0700)) < 0)
			goto out;
		val = xasprintf("status-feed-%lld-%lld.jsonl", after + 1, last);
		target = fs_join(dir, val);
		free(val);
		val = NULL;
	}
	/* the file first, then the watermark: a crash in between repeats records (each has
	 * its seq), it never loses one */
	if (target && (r = fs_write_atomic(target, buf_str(&b), b.len, 0600)) < 0) {
		r = cp_err_wrap(r, "status feed '%s': ", target);
		goto out;
	}
	if (last != after) {
		val = xasprintf("%lld", last);
		if ((r = registry_begin(reg)) < 0)
			goto out;
		if ((r = registry_meta_set(reg, FEED_WATERMARK, val)) < 0) {
			registry_rollback(reg);
			goto out;
		}
		if ((r = registry_commit(reg)) < 0)
			goto out;
	}
	log_info("status", "status feed: %lld change(s) after seq %lld%s%s", *count, after,
		 target ? " written to " : "", target ? target : "");
	*written = target;
	target = NULL;
out:
	buf_release(&b);
	free(val);
	free(outdir);
	free(dir);
	free(target);
	return r;
}

int
stage_status_run(const struct stage_ctx *ctx, const struct status_opts *opts,
		 struct stage_result *res)
{
	char *own = NULL, **written = opts->written ? opts->written : &own;
	long long n = 0;
	int r = status_feed(ctx->cfg, ctx->home, ctx->reg, opts->path, &n, written);

	memset(res, 0, sizeof(*res));
	res->read = n;
	res->done = n;
	snprintf(res->note, sizeof(res->note), "%lld change(s)%s%s", n, *written ? ": " : "",
		 *written ? *written : "");
	free(own);
	return r;
}
