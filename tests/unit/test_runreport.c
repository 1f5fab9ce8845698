/*
 * test_runreport.c - the run report page: every section present, figures from the
 * registry's window, charts as inline SVG, text escaped, no script and no external
 * resource, written 0600 under out/reports/ (t5030 renders it in a browser).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "dispatch_fixture.h"
#include "pipeline/stages/dispatch.h"
#include "pipeline/stages/runreport.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int
setup(void **state)
{
	struct fixture_env *e = fixture_env_new("test_runreport", 9);

	fixture_env_dispatch(e);
	*state = e;
	return 0;
}

static const struct runreport_stage stages[] = {
	{"ingest", "ok", 11, 10, 1, 0, 0.25, "2 files"},
	{"prepare", "ok", 10, 9, 1, 0, 0.5, NULL},
	{"produce", "failed", 9, 9, 3, 1, 12.0, "line 2: <printer> \"cover\" open & jam"},
};

static void
fill(struct runreport *rr)
{
	memset(rr, 0, sizeof(*rr));
	rr->run_id = "20261126-1";
	rr->kind = "nightly";
	rr->status = "done with rejects";
	/* the fixture's events are on 2026-11-26 between 00:30 and 12:00 UTC */
	rr->started = (time_t)cp_days_from_civil(2026, 11, 26) * 86400;
	rr->ended = rr->started + 13 * 3600;
	rr->stages = stages;
	rr->nstages = ARRAY_SIZE(stages);
}

static void
test_render(void **state)
{
	struct fixture_env *e = *state;
	struct runreport rr;
	struct buf html;
	const char *h;

	/* a reject with a known code, and an application produced after its due date */
	assert_int_equal(fixture_exec(e->reg, "UPDATE application SET state = 'rejected', "
					      "reason_code = 'photo-dimensions' WHERE id = 3"),
			 0);
	assert_int_equal(fixture_exec(e->reg, "UPDATE application SET due_date = '2026-11-20' "
					      "WHERE id = 2"),
			 0);
	fill(&rr);
	assert_int_equal(runreport_render(e->cfg, e->reg, &rr, &html), 0);
	h = buf_str(&html);
	/* reject reasons in Chinese with their code, and which applications (masked IDs) */
	assert_non_null(strstr(h, ">照片尺寸不符（photo-dimensions）</text>"));
	assert_non_null(strstr(h, "<b>照片尺寸不符（photo-dimensions）</b>: 1</p>"));
	assert_non_null(strstr(h, "<li>application 3, employer REF-2, ID 110101********"));
	assert_non_null(strstr(h, ">未登记的原因（photo-size）</text>"));
	/* the red "breached 1" explained, with the application */
	assert_non_null(strstr(h, "Red <b>breached</b>"));
	assert_non_null(strstr(h, "<li>application 2, employer REF-1, ID 110101********"));
	assert_non_null(strstr(h, ", due 2026-11-20, produced 2026-11-26</li>"));
	assert_non_null(strstr(h, "class=\"failed\">1</td>")); /* breached 1 is red */
	/* the failed stage explained */
	assert_non_null(strstr(h, "<li>produce: failed &mdash; 9 of 9 done, 1 failed"));
	/* never a full ID number */
	assert_null(strstr(h, "11010119900"));
	buf_release(&html);

	/* a reason with more rejects than an explanation names: the rest are counted */
	assert_int_equal(
		fixture_exec(e->reg,
			     "INSERT INTO application(file_id, record_no, location, channel, "
			     "app_type, name, id_type, id_number, delivery, state, reason_code, "
			     "created_at, updated_at) WITH RECURSIVE n(v) AS (SELECT 1 UNION ALL "
			     "SELECT v + 1 FROM n WHERE v < 55) SELECT (SELECT min(id) FROM "
			     "input_file), 100 + v, 'x', 'website', 'new', 'n', 'citizen', "
			     "'110101199003070000', 'pickup', 'rejected', 'id-format', "
			     "'2026-11-26T01:00:00Z', '2026-11-26T01:00:00Z' FROM n"),
		0);
	assert_int_equal(runreport_render(e->cfg, e->reg, &rr, &html), 0);
	h = buf_str(&html);
	assert_non_null(strstr(h, "（id-format）</b>: 55</p>"));
	assert_non_null(strstr(h, "<li>&hellip; and 5 more</li>"));
	assert_null(strstr(h, "110101199003070000"));
	assert_non_null(strstr(h, "<!DOCTYPE html>"));
	assert_non_null(strstr(h, "<meta charset=\"utf-8\">"));
	assert_non_null(strstr(h, "cardpipe run 20261126-1"));
	assert_non_null(strstr(h, "Rejects by reason"));
	assert_non_null(strstr(h, "Spoiled cards by reason"));
	assert_non_null(strstr(h, ">chip</text>"));
	assert_non_null(strstr(h, ">3</text>")); /* 3 spoiled attempts in 9 cards */
	assert_non_null(strstr(h, "Cards dispatched by method"));
	assert_non_null(strstr(h, "SLA on 2026-11-26"));
	assert_non_null(strstr(h, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
	/* escaped, and self-contained */
	assert_non_null(strstr(h, "&lt;printer&gt; &quot;cover&quot; open &amp; jam"));
	assert_null(strstr(h, "<script"));
	assert_null(strstr(h, "src="));
	assert_null(strstr(h, "<link"));
	assert_null(strstr(h, "url("));
	assert_non_null(strstr(h, "class=\"failed\">failed"));

	/* every SVG opened is closed (the browser test renders it: t5030) */
	{
		size_t open = 0, close = 0;

		for (const char *p = h; (p = strstr(p, "<svg ")); p++)
			open++;
		for (const char *p = h; (p = strstr(p, "</svg>")); p++)
			close++;
		assert_int_equal(open, close);
		assert_true(open >= 6);
	}
	buf_release(&html);

	/* a window before the fixture's events: no rejects, no spoilage */
	rr.started -= 10 * 86400;
	rr.ended = rr.started + 3600;
	rr.nstages = 0;
	assert_int_equal(runreport_render(e->cfg, e->reg, &rr, &html), 0);
	assert_null(strstr(buf_str(&html), "（photo-size）</text>"));
	assert_null(strstr(buf_str(&html), "Red bars"));
	assert_non_null(strstr(buf_str(&html), "no per-stage figures"));
	assert_null(strstr(buf_str(&html), "<p class=\"warning\">"));
	buf_release(&html);

	/* what needs an operator: in red, escaped, above the stage table */
	{
		static const char *const warn[] = {"the calendar ends on 2026-12-31 <soon>",
						   "6 application(s) held for calendar-missing"};

		rr.warnings = warn;
		rr.nwarnings = 2;
		assert_int_equal(runreport_render(e->cfg, e->reg, &rr, &html), 0);
		h = buf_str(&html);
		assert_non_null(strstr(h, ".warning{color:#b00020"));
		assert_non_null(strstr(
			h,
			"<p class=\"warning\">the calendar ends on 2026-12-31 &lt;soon&gt;</p>"));
		assert_non_null(strstr(h, "<p class=\"warning\">6 application(s) held"));
		assert_true(strstr(h, "<p class=\"warning\">") < strstr(h, "no per-stage figures"));
		buf_release(&html);
	}
}

static void
test_write(void **state)
{
	struct fixture_env *e = *state;
	struct runreport rr;
	struct stat st;
	char *path = NULL;

	fill(&rr);
	assert_int_equal(runreport_write(e->cfg, e->home, e->reg, &rr, &path), 0);
	assert_non_null(strstr(path, "/out/reports/run-20261126-1.html"));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	free(path);
	rr.run_id = "../../etc/passwd";
	assert_int_equal(runreport_write(e->cfg, e->home, e->reg, &rr, &path), CP_ERR_INVALID);
	rr.run_id = "";
	assert_int_equal(runreport_write(e->cfg, e->home, e->reg, &rr, NULL), CP_ERR_INVALID);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_render, setup, fixture_env_teardown),
		cmocka_unit_test_setup_teardown(test_write, setup, fixture_env_teardown),
	};

	log_set_level(LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
