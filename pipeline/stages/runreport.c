/* runreport.c - the run report as one self-contained HTML page (runreport.h). */
#include "pipeline/stages/runreport.h"

#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/mask.h"
#include "core/mem.h"
#include "pipeline/registry/reg_status.h"
#include "pipeline/rules/reasons.h"
#include "pipeline/stages/reconcile.h"

#include <stdlib.h>
#include <string.h>

static int
esc(struct buf *b, const char *s)
{
	int r = 0;

	for (s = s ? s : ""; r == 0 && *s; s++) {
		switch (*s) {
		case '<': r = buf_append(b, "&lt;", 4); break;
		case '>': r = buf_append(b, "&gt;", 4); break;
		case '&': r = buf_append(b, "&amp;", 5); break;
		case '"': r = buf_append(b, "&quot;", 6); break;
		case '\'': r = buf_append(b, "&#39;", 5); break;
		default: r = buf_putc(b, (unsigned char)*s);
		}
	}
	return r;
}

/* A horizontal bar chart of named counts as inline SVG. */
static int
svg_bars(struct buf *b, const char *title, const struct named_count *v, size_t n, const char *color)
{
	const int label_w = 300, bar_w = 380, row_h = 24, top = 8;
	long long max = 0;
	int r;

	for (size_t i = 0; i < n; i++)
		if (v[i].n > max)
			max = v[i].n;
	r = buf_appendf(b, "<figure><figcaption>");
	r = r ?: esc(b, title);
	r = r ?: buf_appendf(b, "</figcaption>\n");
	if (n == 0)
		return r ?: buf_appendf(b, "<p class=\"none\">none</p></figure>\n");
	r = r
		    ?: buf_appendf(b,
				   "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" "
				   "width=\"%d\" "
				   "height=\"%d\" viewBox=\"0 0 %d %d\"><title>",
				   label_w + bar_w + 80, top * 2 + row_h * (int)n,
				   label_w + bar_w + 80, top * 2 + row_h * (int)n);
	r = r ?: esc(b, title);
	r = r ?: buf_appendf(b, "</title>\n");
	for (size_t i = 0; r == 0 && i < n; i++) {
		int y = top + row_h * (int)i;
		int w = max ? (int)((double)v[i].n / (double)max * bar_w) : 0;

		if (v[i].n > 0 && w < 2)
			w = 2;
		r = buf_appendf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", label_w - 8,
				y + 16);
		r = r ?: esc(b, v[i].name[0] ? v[i].name : "(none)");
		r = r
			    ?: buf_appendf(
				       b,
				       "</text><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
				       "fill=\"%s\"/><text x=\"%d\" y=\"%d\">%lld</text>\n",
				       label_w, y + 3, w, row_h - 6, color, label_w + w + 6, y + 16,
				       v[i].n);
	}
	return r ?: buf_appendf(b, "</svg></figure>\n");
}

static int
counts_section(struct buf *b, struct registry *reg, enum reg_count_kind kind, const char *since,
	       const char *until, const char *title, const char *color)
{
	struct named_count *v;
	size_t n;
	int r;

	if ((r = reg_counts(reg, kind, since, until, &v, &n)) < 0)
		return r;
	r = svg_bars(b, title, v, n, color);
	named_counts_free(v, n);
	return r;
}

static const char style[] =
	"body{font-family:'Noto Sans CJK SC','Noto Sans',sans-serif;margin:2em;color:#222;"
	"max-width:1000px}h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;"
	"margin-top:1.6em}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
	"padding:4px 10px;text-align:right}th{background:#f0f0f0}td:first-child,"
	"th:first-child{text-align:left}th:last-child{text-align:left}.failed{color:#b00020;font-"
	"weight:bold}"
	".ok{color:#1b5e20}figure{margin:1em 0}figcaption{font-weight:bold;margin-bottom:4px}"
	"svg text{font-size:13px;fill:#222}.none{color:#777}.meta td{text-align:left}"
	".warning{color:#b00020;font-weight:bold;border:2px solid #b00020;padding:6px 10px}";

/* The most applications a red figure's explanation lists by id; the rest are counted. */
#define EXPLAIN_MAX 50
/* An explanation beside its red figure (styled inline: the page's style sheet is shared). */
#define EXPLAIN_DIV                                                                                \
	"<div class=\"explain\" style=\"border-left:4px solid #b00020;padding:2px 12px\">"

/* One application in an explanation: id, channel and its reference, masked ID number. */
static int
app_ref(struct buf *b, long long id, const char *channel, const char *ref, const char *idno)
{
	char idm[64];
	int r;

	mask_id(idno ? idno : "", idm, sizeof(idm));
	r = buf_appendf(b, "<li>application %lld, ", id);
	r = r ?: esc(b, channel ? channel : "?");
	r = r ?: buf_appendf(b, " ");
	r = r ?: esc(b, ref && *ref ? ref : "(no reference)");
	r = r ?: buf_appendf(b, ", ID ");
	return r ?: esc(b, idm);
}

/* What a failed stage (a red status) means. */
static int
stage_explain(struct buf *b, const struct runreport *rr)
{
	int r = 0, any = 0;

	for (size_t i = 0; r == 0 && i < rr->nstages; i++) {
		const struct runreport_stage *s = &rr->stages[i];

		if (!s->status || !strcmp(s->status, "ok") || !strcmp(s->status, "skipped"))
			continue;
		if (!any++)
			r = buf_appendf(b, EXPLAIN_DIV
					"<p>Red in this table: a stage that "
					"did not finish. Its records stay where they were and the "
					"next run takes them up again; the log "
					"(log/cardpipe.log) names each error.</p><ul>\n");
		r = r ?: buf_appendf(b, "<li>");
		r = r ?: esc(b, s->name);
		r = r ?: buf_appendf(b, ": ");
		r = r ?: esc(b, s->status);
		r = r
			    ?: buf_appendf(b,
					   " &mdash; %lld of %lld done, %lld failed (errors that "
					   "stopped "
					   "a record or the stage), %lld rejected as data",
					   s->done, s->in, s->failed, s->rejected);
		if (s->note) {
			r = r ?: buf_appendf(b, "; ");
			r = r ?: esc(b, s->note);
		}
		r = r ?: buf_appendf(b, "</li>\n");
	}
	return any && r == 0 ? buf_appendf(b, "</ul></div>\n") : r;
}

/* Rejects by reason: the reason in Chinese with its code, the count, and which
 * applications (masked IDs only). */
static int
rejects_section(struct buf *b, struct registry *reg, const char *since, const char *until)
{
	struct reject_item *v;
	struct named_count *c = NULL;
	size_t n, nc = 0;
	int r;

	if ((r = reg_rejects_list(reg, since, until, &v, &n)) < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		if (!nc || strcmp(v[i].reason_code, v[i - 1].reason_code)) {
			const struct reason *rs = reason_find(v[i].reason_code);

			c = xrealloc(c, (nc + 1) * sizeof(*c));
			c[nc].name = xasprintf("%s（%s）", rs ? rs->zh : "未登记的原因",
					       v[i].reason_code);
			c[nc++].n = 0;
		}
		c[nc - 1].n++;
	}
	r = svg_bars(b, "Rejects by reason（拒绝原因）", c, nc, "#c62828");
	if (r == 0 && n)
		r = buf_appendf(b, EXPLAIN_DIV
				"<p>Red bars: applications refused as "
				"data. Each channel gets its own back in its rejects file "
				"(out/rejects/&lt;channel&gt;/&lt;file&gt;.rejects.csv) to correct "
				"and send again.</p>\n");
	for (size_t i = 0, k = 0, shown = 0; r == 0 && i < n; i++) {
		if (i == 0 || strcmp(v[i].reason_code, v[i - 1].reason_code)) {
			if (i)
				r = buf_appendf(b, "</ul>\n");
			r = r ?: buf_appendf(b, "<p><b>");
			r = r ?: esc(b, c[k].name);
			r = r ?: buf_appendf(b, "</b>: %lld</p><ul>\n", c[k++].n);
			shown = 0;
		}
		if (shown++ == EXPLAIN_MAX) {
			r = r
				    ?: buf_appendf(b, "<li>&hellip; and %lld more</li>\n",
						   c[k - 1].n - EXPLAIN_MAX);
			continue;
		}
		if (shown > EXPLAIN_MAX)
			continue;
		r = r ?: app_ref(b, v[i].app_id, v[i].channel, v[i].channel_ref, v[i].id_number);
		r = r ?: buf_appendf(b, ", file ");
		r = r ?: esc(b, v[i].file_name ? v[i].file_name : "?");
		r = r ?: buf_appendf(b, " record %lld", v[i].record_no);
		if (v[i].location) {
			r = r ?: buf_appendf(b, " (");
			r = r ?: esc(b, v[i].location);
			r = r ?: buf_appendf(b, ")");
		}
		r = r ?: buf_appendf(b, "</li>\n");
	}
	if (r == 0 && n)
		r = buf_appendf(b, "</ul></div>\n");
	named_counts_free(c, nc);
	reject_items_free(v, n);
	return r;
}

/* What "breached N" means, and which applications. */
static int
breached_explain(struct buf *b, struct registry *reg, const char *day)
{
	struct sla_item *v;
	size_t n;
	int r;

	if ((r = sla_breached(reg, day, &v, &n)) < 0 || n == 0) {
		sla_items_free(v, n);
		return r;
	}
	r = buf_appendf(b,
			EXPLAIN_DIV
			"<p>Red <b>breached</b>: accepted or held "
			"applications whose card was not produced by their due date (30 calendar "
			"days for new applications and generation upgrades, 4 working days for "
			"replacements: sla.new_days, sla.replace_working_days): still open after "
			"it, or produced on %s but late. %zu on %s:</p><ul>\n",
			day, n, day);
	for (size_t i = 0; r == 0 && i < n && i < EXPLAIN_MAX; i++) {
		r = app_ref(b, v[i].app_id, v[i].channel, v[i].channel_ref, v[i].id_number);
		r = r ?: buf_appendf(b, ", ");
		r = r ?: esc(b, v[i].app_type);
		r = r ?: buf_appendf(b, ", due ");
		r = r ?: esc(b, v[i].due_date ? v[i].due_date : "?");
		if (v[i].done_date) {
			r = r ?: buf_appendf(b, ", produced ");
			r = r ?: esc(b, v[i].done_date);
		} else {
			r = r ?: buf_appendf(b, ", still ");
			r = r ?: esc(b, v[i].state);
		}
		r = r ?: buf_appendf(b, "</li>\n");
	}
	if (r == 0 && n > EXPLAIN_MAX)
		r = buf_appendf(b, "<li>&hellip; and %zu more</li>\n", n - EXPLAIN_MAX);
	r = r ?: buf_appendf(b, "</ul></div>\n");
	sla_items_free(v, n);
	return r;
}

static int
stage_table(struct buf *b, const struct runreport *rr)
{
	int r = buf_appendf(b, "<h2>Stages</h2>\n<table><tr><th>stage</th><th>status</th>"
			       "<th>in</th><th>done</th><th>rejected</th><th>failed</th>"
			       "<th>seconds</th><th>note</th></tr>\n");

	for (size_t i = 0; r == 0 && i < rr->nstages; i++) {
		const struct runreport_stage *s = &rr->stages[i];
		int bad = s->status && strcmp(s->status, "ok") && strcmp(s->status, "skipped");

		r = buf_appendf(b, "<tr><td>");
		r = r ?: esc(b, s->name);
		r = r ?: buf_appendf(b, "</td><td class=\"%s\">", bad ? "failed" : "ok");
		r = r ?: esc(b, s->status ? s->status : "ok");
		r = r
			    ?: buf_appendf(
				       b,
				       "</td><td>%lld</td><td>%lld</td><td>%lld</td><td>%lld</td>"
				       "<td>%.2f</td><td style=\"text-align:left\">",
				       s->in, s->done, s->rejected, s->failed, s->seconds);
		r = r ?: esc(b, s->note);
		r = r ?: buf_appendf(b, "</td></tr>\n");
	}
	r = r ?: buf_appendf(b, "</table>\n");
	if (r == 0 && !rr->nstages)
		r = buf_appendf(b, "<p class=\"none\">no per-stage figures: this page was made "
				   "from the registry alone</p>\n");
	if (r == 0 && rr->nstages) {
		struct named_count *v = xcalloc(rr->nstages, sizeof(*v));

		for (size_t i = 0; i < rr->nstages; i++) {
			v[i].name = (char *)rr->stages[i].name;
			v[i].n = rr->stages[i].done;
		}
		r = svg_bars(b, "Done per stage", v, rr->nstages, "#1565c0");
		free(v);
	}
	return r ?: stage_explain(b, rr);
}

static int
sla_section(struct buf *b, const struct config *cfg, struct registry *reg, const char *day)
{
	struct sla_counts *v;
	size_t n;
	int r;

	if ((r = sla_compute(reg, cfg, day, &v, &n)) < 0)
		return r;
	r = buf_appendf(
		b,
		"<h2>SLA on %s</h2>\n<table><tr><th>application type</th><th>on time</th>"
		"<th>at risk</th><th>breached</th><th>due today</th><th>on track</th></tr>\n",
		day);
	for (size_t i = 0; r == 0 && i < n; i++) {
		r = buf_appendf(b, "<tr><td>");
		r = r ?: esc(b, v[i].app_type);
		r = r
			    ?: buf_appendf(
				       b,
				       "</td><td>%lld</td><td>%lld</td><td class=\"%s\">%lld</td>"
				       "<td>%lld</td><td>%lld</td></tr>\n",
				       v[i].on_time, v[i].at_risk, v[i].breached ? "failed" : "",
				       v[i].breached, v[i].due_today, v[i].on_track);
	}
	r = r ?: buf_appendf(b, "</table>\n");
	if (r == 0) {
		/* totals over every type as a chart */
		struct named_count t[5] = {{(char *)"on time", 0},
					   {(char *)"at risk", 0},
					   {(char *)"breached", 0},
					   {(char *)"due today", 0},
					   {(char *)"on track", 0}};

		for (size_t i = 0; i < n; i++) {
			t[0].n += v[i].on_time;
			t[1].n += v[i].at_risk;
			t[2].n += v[i].breached;
			t[3].n += v[i].due_today;
			t[4].n += v[i].on_track;
		}
		r = svg_bars(b, "SLA, all application types", t, 5, "#6a1b9a");
	}
	sla_counts_free(v, n);
	return r ?: breached_explain(b, reg, day);
}

int
runreport_render(const struct config *cfg, struct registry *reg, const struct runreport *rr,
		 struct buf *b)
{
	char since[32], until[32], day[16];
	int r;

	buf_init(b, BUF_UNLIMITED);
	cp_iso_utc(rr->started, since, sizeof(since));
	/* the window includes the run's last second */
	cp_iso_utc(rr->ended + 1, until, sizeof(until));
	cp_business_date(rr->ended, day, sizeof(day));
	r = buf_appendf(b, "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
			   "<meta name=\"viewport\" content=\"width=device-width\">"
			   "<title>cardpipe run ");
	r = r ?: esc(b, rr->run_id);
	r = r ?: buf_appendf(b, "</title><style>%s</style></head><body>\n<h1>", style);
	r = r ?: esc(b, config_str(cfg, "general.bureau_name"));
	r = r ?: buf_appendf(b, " &mdash; cardpipe run ");
	r = r ?: esc(b, rr->run_id);
	r = r ?: buf_appendf(b, "</h1>\n<table class=\"meta\"><tr><th>kind</th><td>");
	r = r ?: esc(b, rr->kind);
	r = r
		    ?: buf_appendf(b, "</td></tr><tr><th>status</th><td class=\"%s\">",
				   rr->status && !strncmp(rr->status, "done", 4) ? "ok" : "failed");
	r = r ?: esc(b, rr->status);
	{
		char a[32], e[32];

		/* for people: the bureau's wall clock */
		cp_local_time(rr->started, a, sizeof(a));
		cp_local_time(rr->ended, e, sizeof(e));
		r = r
			    ?: buf_appendf(
				       b,
				       "</td></tr><tr><th>started</th><td>%s</td></tr><tr><th>ended"
				       "</th><td>%s (%lld s)</td></tr><tr><th>business "
				       "date</th><td>%s"
				       "</td></tr>",
				       a, e, (long long)(rr->ended - rr->started), day);
	}
	if (rr->message) {
		r = r ?: buf_appendf(b, "<tr><th>message</th><td class=\"failed\">");
		r = r ?: esc(b, rr->message);
		r = r ?: buf_appendf(b, "</td></tr>");
	}
	r = r ?: buf_appendf(b, "</table>\n");
	for (size_t i = 0; i < rr->nwarnings; i++) {
		r = r ?: buf_appendf(b, "<p class=\"warning\">");
		r = r ?: esc(b, rr->warnings[i]);
		r = r ?: buf_appendf(b, "</p>\n");
	}
	r = r ?: stage_table(b, rr);
	r = r ?: buf_appendf(b, "<h2>Applications received in this run</h2>\n");
	r = r
		    ?: counts_section(b, reg, COUNT_APP_STATES, since, until,
				      "Applications by state", "#2e7d32");
	r = r ?: rejects_section(b, reg, since, until);
	r = r ?: buf_appendf(b, "<h2>Production and dispatch in this run</h2>\n");
	r = r
		    ?: counts_section(b, reg, COUNT_SPOILAGE, since, until,
				      "Spoiled cards by reason", "#ef6c00");
	r = r
		    ?: counts_section(b, reg, COUNT_DISPATCH, since, until,
				      "Cards dispatched by method", "#00838f");
	r = r ?: buf_appendf(b, "<h2>All cards now</h2>\n");
	r = r ?: counts_section(b, reg, COUNT_CARD_STATES, NULL, NULL, "Cards by state", "#455a64");
	r = r ?: sla_section(b, cfg, reg, day);
	r = r
		    ?: buf_appendf(b,
				   "<p class=\"none\">written by cardpipe %s</p>\n</body></html>\n",
				   CARDPIPE_VERSION);
	if (r < 0)
		buf_release(b);
	return r;
}

int
runreport_write(const struct config *cfg, const char *home, struct registry *reg,
		const struct runreport *rr, char **path)
{
	struct buf html;
	char *outdir, *dir, *name, *p;
	int r;

	if (path)
		*path = NULL;
	if (!rr->run_id || !rr->run_id[0])
		return cp_err(CP_ERR_INVALID, "run report needs a run id");
	for (const char *s = rr->run_id; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= 'A' && *s <= 'Z') || *s == '-' || *s == '_'))
			return cp_err(CP_ERR_INVALID,
				      "run id '%s' may hold only letters, digits, '-' and '_'",
				      rr->run_id);
	if ((r = runreport_render(cfg, reg, rr, &html)) < 0)
		return r;
	outdir = config_path(cfg, "paths.out", home);
	dir = fs_join(outdir, "reports");
	name = xasprintf("run-%s.html", rr->run_id);
	p = fs_join(dir, name);
	if ((r = fs_mkdirs(dir, 0700)) == 0 &&
	    (r = fs_write_atomic(p, html.data, html.len, 0600)) < 0)
		r = cp_err_wrap(r, "run report '%s': ", p);
	if (r == 0 && path) {
		*path = p;
		p = NULL;
	}
	buf_release(&html);
	free(outdir);
	free(dir);
	free(name);
	free(p);
	return r;
}
