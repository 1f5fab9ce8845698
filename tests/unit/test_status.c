/*
 * test_status.c - `cardpipe status`: a person's applications in every state, the ID number
 * masked everywhere; the status feed and its watermark (a second feed is empty, a later
 * change appears exactly once).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/config.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "dispatch_fixture.h"
#include "pipeline/registry/reg_status.h"
#include "pipeline/stages/dispatch.h"
#include "pipeline/stages/status.h"

#include <stdlib.h>
#include <string.h>

static int
setup(void **state)
{
	*state = fixture_env_new("test_status", 8);
	return 0;
}

static char *
status_text(struct fixture_env *e, const char *id, int json, int *rc)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	*rc = status_person(e->reg, id, json, f);
	fclose(f);
	return text;
}

static void
test_person(void **state)
{
	struct fixture_env *e = *state;
	struct dispatch_result dr;
	char id[19], *t;
	int rc;

	fixture_id(0, id);
	t = status_text(e, id, 0, &rc);
	assert_int_equal(rc, 0);
	assert_null(strstr(t, id));
	assert_non_null(strstr(t, "110101********"));
	assert_non_null(strstr(t, "3 application(s)"));
	assert_non_null(strstr(t, "produced 2026-11-26, waiting for dispatch"));
	assert_non_null(strstr(t, "rejected: photo-size"));
	assert_non_null(strstr(t, "duplicate of application 1"));
	free(t);

	assert_int_equal(fixture_env_dispatch_run(e, &dr), 0);
	dispatch_result_release(&dr);
	t = status_text(e, id, 0, &rc);
	assert_non_null(strstr(t, "by mail, tracking number EK"));
	free(t);
	t = status_text(e, id, 1, &rc);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(t, "\"tracking_no\":\"EK"));
	assert_non_null(strstr(t, "\"card_state\":\"dispatched\""));
	assert_null(strstr(t, id));
	free(t);

	/* a lower-case x in the query finds an upper-case X in the registry */
	fixture_id(9, id); /* not in this fixture */
	t = status_text(e, id, 0, &rc);
	assert_int_equal(rc, CP_ERR_NOTFOUND);
	assert_null(strstr(cp_errmsg(), id));
	free(t);
}

static void
test_describe(void **state)
{
	struct status_app a = {0};
	char *s;
	struct {
		const char *app_state, *card_state, *method, *want;
	} cases[] = {
		{"received", NULL, NULL, "received, not yet checked"},
		{"held", NULL, NULL, "held: "},
		{"accepted", "allocated", NULL, "allocated, waiting for personalisation"},
		{"accepted", "perso_ready", NULL, "chip data prepared"},
		{"accepted", "rendered", NULL, "card face rendered"},
		{"accepted", "held", NULL, "held: "},
		{"accepted", "dispatched", "employer", "to the employer"},
		{"accepted", "dispatched", "pickup", "ready for pickup"},
		{"accepted", "delivered", "mail", "delivered 2026-11-28, tracking number EK"},
		{"accepted", "returned", "employer", "returned 2026-11-29 (employee left)"},
		{"accepted", "superseded", NULL, "superseded"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		a.state = (char *)cases[i].app_state;
		a.card_state = (char *)cases[i].card_state;
		a.card_no = cases[i].card_state ? (char *)"B00000017" : NULL;
		a.method = (char *)cases[i].method;
		a.tracking_no = (char *)"EK000000014CN";
		a.dispatched_at = (char *)"2026-11-26T12:00:00Z";
		a.delivered_at = (char *)"2026-11-28T04:00:00Z";
		a.returned_at = (char *)"2026-11-29T04:00:00Z";
		a.event_detail = (char *)"employee left";
		a.reason_code = (char *)"photo-size";
		s = status_describe(&a);
		if (!strstr(s, cases[i].want))
			fail_msg("case %zu: '%s' does not contain '%s'", i, s, cases[i].want);
		free(s);
	}
	a.card_no = NULL;
	a.state = (char *)"accepted";
	s = status_describe(&a);
	assert_non_null(strstr(s, "not yet allocated"));
	free(s);
}

static long long
count_lines(const char *path)
{
	unsigned char *data;
	size_t len;
	long long n = 0;

	assert_int_equal(fs_read_file(path, 1 << 24, &data, &len), 0);
	for (size_t i = 0; i < len; i++)
		n += data[i] == '\n';
	free(data);
	return n;
}

/* The status feed through the stage contract: *n records, *w the file written. */
static int
feed(struct fixture_env *e, const char *path, long long *n, char **w)
{
	struct stage_ctx sc = {.cfg = e->cfg, .home = e->home, .reg = e->reg, .actor = "status"};
	struct status_opts o = {.path = path, .written = w};
	struct stage_result sr;
	int r = stage_status_run(&sc, &o, &sr);

	assert_int_equal(sr.read, sr.done);
	*n = sr.done;
	return r;
}

static void
test_feed_watermark(void **state)
{
	struct fixture_env *e = *state;
	struct dispatch_result dr;
	char *p1 = fs_join(e->home, "feed1.jsonl"), *p2 = fs_join(e->home, "feed2.jsonl"),
	     *p3 = fs_join(e->home, "feed3.jsonl"), *w = NULL, id[19];
	long long n1, n2, n3;
	unsigned char *data;
	size_t len;

	assert_int_equal(feed(e, p1, &n1, &w), 0);
	free(w);
	assert_true(n1 > 0);
	assert_int_equal(count_lines(p1), n1);
	assert_int_equal(fs_read_file(p1, 1 << 24, &data, &len), 0);
	fixture_id(0, id);
	assert_null(strstr((char *)data, id));
	assert_non_null(strstr((char *)data, "\"state\":\"produced\""));
	assert_non_null(strstr((char *)data, "\"channel_ref\":\"REF-0\""));
	free(data);

	/* nothing changed: the second feed is empty */
	assert_int_equal(feed(e, p2, &n2, &w), 0);
	free(w);
	assert_int_equal(n2, 0);
	assert_int_equal(count_lines(p2), 0);
	/* without --out and without changes, no file */
	assert_int_equal(feed(e, NULL, &n2, &w), 0);
	assert_null(w);

	/* dispatch: per card one manifested row, one card and one item state change */
	assert_int_equal(fixture_env_dispatch_run(e, &dr), 0);
	dispatch_result_release(&dr);
	assert_int_equal(feed(e, p3, &n3, &w), 0);
	free(w);
	assert_int_equal(n3, 8 * 3);
	assert_int_equal(fs_read_file(p3, 1 << 24, &data, &len), 0);
	assert_non_null(strstr((char *)data, "\"event\":\"produced->dispatched\""));
	assert_non_null(strstr((char *)data, "\"tracking_no\":\"EK"));
	free(data);
	/* the default name carries the sequence range */
	assert_int_equal(stage_dispatch_delivered(e->cfg, e->reg, "EK000000014CN", NULL, NULL), 0);
	assert_int_equal(feed(e, NULL, &n3, &w), 0);
	assert_int_equal(n3, 2);
	assert_non_null(w);
	assert_non_null(strstr(w, "/out/status/status-feed-"));
	assert_int_equal(count_lines(w), 2);
	free(w);
	free(p1);
	free(p2);
	free(p3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_person, setup, fixture_env_teardown),
		cmocka_unit_test(test_describe),
		cmocka_unit_test_setup_teardown(test_feed_watermark, setup, fixture_env_teardown),
	};

	log_set_level(LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
