/*
 * test_dispatch.c - the dispatch stage against a registry built by dispatch_fixture.h:
 * items and states, S10 numbers, bags, list files, letters, idempotence, a stopped run
 * converging, delivery and return events, the employer overdue list.
 *
 * Also a fixture tool for the integration tests:
 *   test_dispatch --fixture REGISTRY N [DAY [FIRST [BANKS]]]
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
#include "pipeline/registry/reg_dispatch.h"
#include "pipeline/rules/s10.h"
#include "pipeline/stages/dispatch.h"
#include "pipeline/stages/manifest.h"
#include "number_checks.h"

#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int
setup(void **state)
{
	struct fixture_env *e = fixture_env_new("test_dispatch", 12);

	assert_int_equal(config_set(e->cfg, "dispatch.bag_size", "2", CFG_CLI), 0);
	*state = e;
	return 0;
}

static char *
outfile(struct fixture_env *e, const char *batch, const char *name)
{
	return xasprintf("%s/out/dispatch/%s/%s", e->home, batch, name);
}

static void
test_run_dispatches_every_card(void **state)
{
	struct fixture_env *e = *state;
	struct dispatch_result res;
	struct dispatch_list items = {0};
	char *p;

	assert_int_equal(fixture_env_dispatch_run(e, &res), 0);
	assert_int_equal(res.cards, 12);
	assert_int_equal(res.mail, 6);
	assert_int_equal(res.pickup, 3);
	assert_int_equal(res.employer, 3);
	assert_int_equal(res.batches, 1);
	assert_string_equal(res.last_batch, "20261126-01");
	assert_int_equal(
		fixture_int(e->reg, "SELECT count(*) FROM card WHERE state = 'dispatched'"), 12);
	assert_int_equal(fixture_int(e->reg, "SELECT count(*) FROM dispatch_item WHERE state = "
					     "'dispatched' AND dispatched_at IS NOT NULL"),
			 12);

	/* S10: one valid, unique number per mailed item and none for the others */
	assert_int_equal(reg_dispatch_batch_items(e->reg, "20261126-01", &items), 0);
	assert_int_equal(items.n, 12);
	for (size_t i = 0; i < items.n; i++) {
		const struct dispatch_card *c = &items.v[i];

		if (strcmp(c->method, "pickup")) {
			assert_non_null(c->tracking_no);
			assert_true(s10_well_formed(c->tracking_no));
			assert_memory_equal(c->tracking_no, "EK", 2);
			assert_string_equal(c->tracking_no + 11, "CN");
			/* a bag holds one postal code */
			assert_memory_equal(c->bag, c->postal_code, 6);
			assert_non_null(c->activation_ref);
		} else {
			assert_null(c->tracking_no);
		}
		if (!strcmp(c->method, "pickup"))
			assert_null(c->activation_ref); /* activated at the branch (item 15) */
	}
	dispatch_list_release(&items);
	/* mailed to the person (6) or to the employer (3) */
	assert_int_equal(
		fixture_int(e->reg, "SELECT count(DISTINCT tracking_no) FROM dispatch_item"), 9);
	/* bags of at most dispatch.bag_size = 2 */
	assert_int_equal(fixture_int(e->reg,
				     "SELECT max(n) FROM (SELECT count(*) n FROM dispatch_item "
				     "WHERE tracking_no IS NOT NULL GROUP BY bag)"),
			 2);
	assert_int_equal(
		fixture_int(e->reg, "SELECT next_serial FROM s10_counter WHERE prefix = 'EK'"), 10);

	const char *files[] = {"mail-manifest.csv", "mail-manifest.xml", "mail-districts.csv",
			       "letters.pdf",	    "pickup-BR00.csv",	 "pickup-BR01.csv",
			       "pickup-BR02.csv"};
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		struct stat st;

		p = outfile(e, "20261126-01", files[i]);
		assert_int_equal(stat(p, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
		free(p);
	}
	dispatch_result_release(&res);

	/* idempotent: a second run finds nothing */
	assert_int_equal(fixture_env_dispatch_run(e, &res), 0);
	assert_int_equal(res.cards, 0);
	assert_int_equal(res.batches, 0);
	dispatch_result_release(&res);
	assert_int_equal(fixture_int(e->reg, "SELECT count(*) FROM dispatch_item"), 12);
}

static void
test_manifest_contents(void **state)
{
	struct fixture_env *e = *state;
	struct dispatch_result res;
	unsigned char *data;
	size_t len;
	char *p;

	/* a Beijing district code (GB/T 2260) and one that is not */
	assert_int_equal(fixture_exec(e->reg, "UPDATE application SET district = '110105' "
					      "WHERE district = '100001'"),
			 0);
	assert_int_equal(fixture_env_dispatch_run(e, &res), 0);
	dispatch_result_release(&res);
	p = outfile(e, "20261126-01", "mail-manifest.csv");
	assert_int_equal(fs_read_file(p, 1 << 20, &data, &len), 0);
	free(p);
	assert_memory_equal(data,
			    "\xef\xbb\xbf"
			    "seq,bag,tracking_no,",
			    23);
	/* masked ID only; the address with a comma is quoted; full mobile for the post */
	assert_null(strstr((char *)data, "110101199003"
					 "01000"));
	assert_non_null(strstr((char *)data, "110101********"));
	assert_non_null(strstr((char *)data, "\"北京市东城区测试街0号, 3单元\""));
	assert_non_null(strstr((char *)data, "13800130000"));
	free(data);

	p = outfile(e, "20261126-01", "mail-manifest.xml");
	assert_int_equal(fs_read_file(p, 1 << 20, &data, &len), 0);
	free(p);
	assert_non_null(strstr((char *)data, "<District code=\"110105\" name=\"朝阳区\" items="));
	assert_non_null(strstr((char *)data, "<District code=\"100101\" items="));
	free(data);
	p = outfile(e, "20261126-01", "mail-districts.csv");
	assert_int_equal(fs_read_file(p, 1 << 20, &data, &len), 0);
	free(p);
	/* the district list names the districts (empty for a code that is not Beijing's) */
	assert_memory_equal(data,
			    "\xef\xbb\xbf"
			    "district,district_name,items,bags\r\n",
			    38);
	assert_non_null(strstr((char *)data, "\r\n110105,朝阳区,"));
	assert_non_null(strstr((char *)data, "\r\n100101,,"));
	/* postals 100010 (cards 0,3,6,9: mail 0,9... ) - just check the sum of items */
	{
		long long sum = 0;
		char *line = strchr((char *)data, '\n');

		while (line && line[1]) {
			char *c1 = strchr(strchr(line + 1, ',') + 1, ',');

			sum += strtoll(c1 + 1, NULL, 10);
			line = strchr(line + 1, '\n');
		}
		assert_int_equal(sum, 9);
	}
	free(data);
}

/* Formula cells (OWASP CSV injection) in the post's manifest, the district summary, the
 * pickup and employer lists: written as "'=...", never as a bare formula. */
static void
test_outputs_neutralise_formulas(void **state)
{
	static const char *const files[] = {"mail-manifest.csv", "mail-districts.csv",
					    "pickup-*.csv", "employer-*.csv"};
	struct fixture_env *e = *state;
	struct dispatch_result res;

	assert_int_equal(fixture_exec(e->reg, "UPDATE application SET name = '=1+1', address = "
					      "'@SUM(A1:A9)', district = '-2+3', employer_name "
					      "= '+cmd|'' /C calc''!A0'"),
			 0);
	assert_int_equal(fixture_env_dispatch_run(e, &res), 0);
	dispatch_result_release(&res);
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		char *pat = outfile(e, "20261126-01", files[i]);
		glob_t g;

		assert_int_equal(glob(pat, 0, NULL, &g), 0);
		for (size_t k = 0; k < g.gl_pathc; k++) {
			unsigned char *data;
			size_t len;
			const char *s;

			assert_int_equal(fs_read_file(g.gl_pathv[k], 1 << 20, &data, &len), 0);
			s = (const char *)data;
			/* no cell (after a comma or at a line start) opens with a formula */
			for (const char *q = s; *q; q++)
				if ((q == s || q[-1] == ',' || q[-1] == '\n') &&
				    (*q == '=' || *q == '+' || *q == '-' || *q == '@'))
					fail_msg("%s: a cell starts with '%c': %.40s",
						 g.gl_pathv[k], *q, q);
			if (strstr(files[i], "districts"))
				assert_non_null(strstr(s, "\"'-2+3\","));
			else if (strstr(files[i], "employer"))
				assert_non_null(strstr(s, "\"'+cmd|' /C calc'!A0\""));
			else
				assert_non_null(strstr(s, "\"'=1+1\""));
			if (!strcmp(files[i], "mail-manifest.csv"))
				assert_non_null(strstr(s, "\"'@SUM(A1:A9)\""));
			free(data);
		}
		assert_true(g.gl_pathc > 0);
		globfree(&g);
		free(pat);
	}
}

static void
test_gb18030_and_masked_mobile(void **state)
{
	struct fixture_env *e = *state;
	struct dispatch_result res;
	unsigned char *data;
	size_t len;
	char *p;

	assert_int_equal(config_set(e->cfg, "dispatch.csv_encoding", "gb18030", CFG_CLI), 0);
	assert_int_equal(config_set(e->cfg, "dispatch.manifest_mobile", "masked", CFG_CLI), 0);
	assert_int_equal(fixture_env_dispatch_run(e, &res), 0);
	dispatch_result_release(&res);
	p = outfile(e, "20261126-01", "mail-manifest.csv");
	assert_int_equal(fs_read_file(p, 1 << 20, &data, &len), 0);
	free(p);
	assert_memory_equal(data, "seq,bag,", 8); /* no BOM */
	/* 测试 in GB18030 is B2 E2 CA D4 */
	assert_non_null(memmem(data, len, "\xb2\xe2\xca\xd4", 4));
	assert_null(memmem(data, len, "\xe6\xb5\x8b", 3));
	assert_non_null(strstr((char *)data, "138****0000"));
	free(data);

	/* a setting the key table does not allow is refused before any stage runs */
	assert_int_equal(config_set(e->cfg, "dispatch.csv_encoding", "latin1", CFG_CLI),
			 CP_ERR_CONFIG);
	assert_string_equal(config_str(e->cfg, "dispatch.csv_encoding"), "gb18030");
	assert_int_equal(config_set(e->cfg, "dispatch.manifest_mobile", "half", CFG_CLI),
			 CP_ERR_CONFIG);
	assert_string_equal(config_str(e->cfg, "dispatch.manifest_mobile"), "masked");
}

static void
test_stopped_run_converges(void **state)
{
	struct fixture_env *e = *state;
	struct dispatch_result res;
	char *out = fs_join(e->home, "out"), *blocker;
	unsigned char *first, *second;
	size_t l1, l2;
	char *p;

	/* a file where the output folder should be: the batch is committed, outputs fail */
	assert_int_equal(fs_mkdirs(out, 0700), 0);
	blocker = fs_join(out, "dispatch");
	assert_int_equal(fs_write_atomic(blocker, "x", 1, 0600), 0);
	assert_true(fixture_env_dispatch_run(e, &res) < 0);
	dispatch_result_release(&res);
	assert_int_equal(fixture_int(e->reg, "SELECT count(*) FROM dispatch_item WHERE state = "
					     "'manifested'"),
			 12);
	assert_int_equal(fixture_int(e->reg, "SELECT count(*) FROM card WHERE state = 'produced'"),
			 12);

	unlink(blocker);
	assert_int_equal(fixture_env_dispatch_run(e, &res), 0);
	assert_int_equal(res.cards, 12);
	assert_string_equal(res.last_batch, "20261126-01");
	dispatch_result_release(&res);
	assert_int_equal(fixture_int(e->reg, "SELECT count(DISTINCT batch) FROM dispatch_item"), 1);
	assert_int_equal(
		fixture_int(e->reg, "SELECT count(*) FROM card WHERE state = 'dispatched'"), 12);
	p = outfile(e, "20261126-01", "mail-manifest.csv");
	assert_int_equal(fs_read_file(p, 1 << 20, &first, &l1), 0);
	free(p);
	/* the same registry gives the same manifest */
	{
		struct dispatch_list items = {0};
		char *dir = xasprintf("%s/out/again", e->home);

		assert_int_equal(reg_dispatch_batch_items(e->reg, "20261126-01", &items), 0);
		assert_int_equal(manifest_write_batch(e->cfg, dir, "20261126-01", &items), 0);
		dispatch_list_release(&items);
		p = fs_join(dir, "mail-manifest.csv");
		assert_int_equal(fs_read_file(p, 1 << 20, &second, &l2), 0);
		assert_int_equal(l1, l2);
		assert_memory_equal(first, second, l1);
		free(p);
		free(dir);
		free(second);
	}
	free(first);
	free(blocker);
	free(out);
}

static void
test_events(void **state)
{
	struct fixture_env *e = *state;
	struct dispatch_result res;
	char *tn = NULL, *emp = NULL, *file;
	struct delivery_file_result dr;
	FILE *devnull = fopen("/dev/null", "w");
	char c0[10], c1[10], c2[10], c3[10], c4[10], c5[10];

	fixture_card_no(0, c0);
	fixture_card_no(1, c1);
	fixture_card_no(2, c2);
	fixture_card_no(3, c3);
	fixture_card_no(4, c4);
	fixture_card_no(5, c5);

	assert_int_equal(fixture_env_dispatch_run(e, &res), 0);
	dispatch_result_release(&res);
	/* the events come in the days after dispatch: none may be dated after today */
	setenv("CARDPIPE_NOW", "2026-12-02T20:00:00+08:00", 1);
	{
		struct dispatch_card c;

		assert_int_equal(reg_dispatch_find(e->reg, c0, &c), 0);
		assert_string_equal(c.method, "mail");
		tn = xstrdup(c.tracking_no);
		dispatch_card_release(&c);
		assert_int_equal(reg_dispatch_find(e->reg, c3, &c), 0);
		assert_string_equal(c.method, "employer");
		emp = xstrdup(c.card_no);
		dispatch_card_release(&c);
	}
	/* delivered by tracking number, twice (the second is a no-op) */
	assert_int_equal(stage_dispatch_delivered(e->cfg, e->reg, tn, "2026-11-28", NULL), 0);
	assert_int_equal(stage_dispatch_delivered(e->cfg, e->reg, tn, NULL, NULL), 0);
	assert_int_equal(fixture_int(e->reg,
				     "SELECT count(*) FROM card WHERE card_no LIKE 'B0000001_' AND "
				     "state = 'delivered'"),
			 1);
	assert_int_equal(stage_dispatch_delivered(e->cfg, e->reg, c1, "2026-02-30", NULL),
			 CP_ERR_FORMAT);
	assert_int_equal(stage_dispatch_delivered(e->cfg, e->reg, "NOPE", NULL, NULL),
			 CP_ERR_NOTFOUND);

	/* the employer returns a card: returned, then it cannot be delivered */
	assert_int_equal(stage_dispatch_return(e->cfg, e->reg, emp, "employee left"), 0);
	assert_int_equal(stage_dispatch_delivered(e->cfg, e->reg, emp, NULL, NULL), CP_ERR_INVALID);
	assert_int_equal(fixture_int(e->reg,
				     "SELECT count(*) FROM dispatch_item WHERE state = 'returned' "
				     "AND event_detail = 'employee left'"),
			 1);

	/* overdue: 31 days later, the two other employer cards are listed */
	{
		char *text = NULL;
		size_t len = 0;
		long long n = 0;
		FILE *f = open_memstream(&text, &len);

		setenv("CARDPIPE_NOW", "2026-12-27T20:00:00+08:00", 1);
		assert_int_equal(stage_dispatch_overdue(e->cfg, e->reg, f, &n), 0);
		fclose(f);
		assert_int_equal(n, 2);
		assert_null(strstr(text, emp));
		assert_non_null(strstr(text, "110101********"));
		free(text);
		setenv("CARDPIPE_NOW", "2026-12-20T20:00:00+08:00", 1);
		f = open_memstream(&text, &len);
		assert_int_equal(stage_dispatch_overdue(e->cfg, e->reg, f, &n), 0);
		fclose(f);
		assert_int_equal(n, 0);
		free(text);
		setenv("CARDPIPE_NOW", "2026-12-02T20:00:00+08:00", 1);
	}

	/* a carrier file: good lines apply together, bad ones are reported */
	file = fs_join(e->home, "delivery.csv");
	{
		char *text = xasprintf("key,event,date,note\n"
				       "# EMS delivery file\n"
				       "%s,delivered,2026-11-29,signed by neighbour\n"
				       "%s,delivered\n"
				       "%s,returned,2026-11-29,address unknown\n"
				       "%s,lost\n"
				       "B00000999,delivered\n"
				       "%s,delivered,29/11/2026\n",
				       c1, c0, c5, c2, c4);

		assert_int_equal(fs_write_atomic(file, text, strlen(text), 0600), 0);
		free(text);
	}
	assert_int_equal(stage_dispatch_delivery_file(e->cfg, e->reg, file, devnull, &dr), 0);
	assert_int_equal(dr.delivered, 1);
	assert_int_equal(dr.returned, 1);
	assert_int_equal(dr.already, 1);
	assert_int_equal(dr.bad, 3);
	assert_int_equal(fixture_int(e->reg, "SELECT count(*) FROM card WHERE state = 'delivered'"),
			 2);
	assert_int_equal(fixture_int(e->reg, "SELECT count(*) FROM card WHERE state = 'returned'"),
			 2);
	assert_int_equal(stage_dispatch_delivery_file(e->cfg, e->reg, "/nonexistent", devnull, &dr),
			 CP_ERR_NOTFOUND);
	fclose(devnull);
	free(file);
	free(tn);
	free(emp);
}

static void
test_undispatchable_cards_are_skipped(void **state)
{
	struct fixture_env *e = *state;
	struct dispatch_result res;

	assert_int_equal(reg_exec(e->reg,
				  "UPDATE application SET postal_code = '1000' WHERE "
				  "id = (SELECT application_id FROM card WHERE card_no LIKE "
				  "'B0000001_')"),
			 0);
	/* an address of 10,000 characters accepted before addresses were bounded: the letter
	 * would print it over itself, the manifest line would be 30 KB */
	assert_int_equal(reg_exec(e->reg,
				  "UPDATE application SET address = printf('%.10000c', 'A') WHERE "
				  "id = (SELECT application_id FROM card WHERE card_no LIKE "
				  "'B0000002_')"),
			 0);
	assert_int_equal(fixture_env_dispatch_run(e, &res), 0);
	assert_int_equal(res.cards, 10);
	assert_int_equal(res.skipped, 2);
	dispatch_result_release(&res);
	assert_int_equal(fixture_int(e->reg,
				     "SELECT count(*) FROM card WHERE (card_no LIKE 'B0000001_' OR "
				     "card_no LIKE 'B0000002_') AND state = 'produced'"),
			 2);
	/* bad S10 configuration is refused before anything is written */
	assert_int_equal(config_set(e->cfg, "dispatch.s10_prefix", "E1", CFG_CLI), 0);
	assert_int_equal(fixture_env_dispatch_run(e, &res), CP_ERR_CONFIG);
	dispatch_result_release(&res);
}

static void
test_instant_and_counter(void **state)
{
	struct fixture_env *e = *state;
	struct dispatch_result res;
	long serial;

	/* an instant-issue card was handed over at the counter: delivered at dispatch */
	assert_int_equal(reg_exec(e->reg, "UPDATE card SET instant = 1 WHERE card_no LIKE "
					  "'B0000001_'"),
			 0);
	assert_int_equal(fixture_env_dispatch_run(e, &res), 0);
	assert_int_equal(res.pickup, 4);
	dispatch_result_release(&res);
	assert_int_equal(
		fixture_int(e->reg,
			    "SELECT count(*) FROM card c JOIN dispatch_item d ON "
			    "d.card_id = c.id WHERE c.card_no LIKE 'B0000001_' AND c.state = "
			    "'delivered' AND d.state = 'delivered' AND d.method = 'pickup' AND "
			    "d.tracking_no IS NULL"),
		1);

	/* the S10 counter gives each serial once and stops at the last */
	assert_int_equal(reg_exec(e->reg, "UPDATE s10_counter SET next_serial = 99999999"), 0);
	assert_int_equal(registry_begin(e->reg), 0);
	assert_int_equal(reg_s10_next(e->reg, "EK", &serial), 0);
	assert_int_equal(serial, 99999999);
	assert_int_equal(reg_s10_next(e->reg, "EK", &serial), CP_ERR_LIMIT);
	assert_int_equal(reg_s10_next(e->reg, "RR", &serial), 0);
	assert_int_equal(serial, 1);
	registry_rollback(e->reg);
}

static int
fixture_main(int argc, char **argv)
{
	const char *banks[8];
	char *list = NULL;
	struct fixture_spec spec = {0};
	struct registry *reg;
	int r;

	if (argc < 4)
		return 2;
	spec.n = atoi(argv[3]);
	spec.day = argc > 4 ? argv[4] : NULL;
	spec.first = argc > 5 ? atoi(argv[5]) : 0;
	if (argc > 6) {
		char *save = NULL;

		list = xstrdup(argv[6]);

		for (char *t = strtok_r(list, ",", &save); t && spec.nbanks < 8;
		     t = strtok_r(NULL, ",", &save))
			banks[spec.nbanks++] = t;
		spec.banks = banks;
	}
	if ((r = registry_open(argv[2], &reg)) == 0) {
		r = fixture_build(reg, &spec);
		registry_close(reg);
	}
	free(list);
	if (r < 0) {
		fprintf(stderr, "fixture: %s\n", cp_errmsg());
		return 1;
	}
	return 0;
}

/* Carrier events: a date after today (2099) or before the card was dispatched is refused;
 * a quoted note with a comma stays one field; a hostile key or note is a bad line. */
static void
test_event_dates_and_notes(void **state)
{
	struct fixture_env *e = *state;
	struct dispatch_result res;
	struct delivery_file_result dr;
	char c0[10], c1[10], c2[10], c5[10], *file, *text, *out = NULL;
	size_t outlen = 0;
	FILE *err = open_memstream(&out, &outlen);

	fixture_card_no(0, c0);
	fixture_card_no(1, c1);
	fixture_card_no(2, c2);
	fixture_card_no(5, c5);
	assert_int_equal(fixture_env_dispatch_run(e, &res), 0);
	dispatch_result_release(&res);
	setenv("CARDPIPE_NOW", "2026-11-30T12:00:00+08:00", 1);

	assert_int_equal(stage_dispatch_delivered(e->cfg, e->reg, c1, "2099-01-01", NULL),
			 CP_ERR_INVALID);
	assert_non_null(strstr(cp_errmsg(), "after today"));
	assert_int_equal(stage_dispatch_delivered(e->cfg, e->reg, c1, "2026-11-01", NULL),
			 CP_ERR_INVALID);
	assert_non_null(strstr(cp_errmsg(), "before the card was dispatched"));
	assert_int_equal(stage_dispatch_handed_out(e->cfg, e->reg, c1, "2099-01-01"),
			 CP_ERR_INVALID);
	assert_int_equal(stage_dispatch_delivered(e->cfg, e->reg, c1, NULL, "fine\r\n=1+1"),
			 CP_ERR_INVALID);
	assert_int_equal(stage_dispatch_return(e->cfg, e->reg, c1, "gone \xe2\x80\xae"),
			 CP_ERR_INVALID);
	assert_int_equal(fixture_int(e->reg, "SELECT count(*) FROM dispatch_item WHERE state = "
					     "'delivered' AND method <> 'instant'"),
			 0);

	file = fs_join(e->home, "carrier.csv");
	text = xasprintf("%s,delivered,2099-12-31,future\n"
			 "%s,delivered,2020-01-01,before the application\n"
			 "%s,delivered,2026-11-29,\"left with neighbour, flat 3\"\n"
			 "%s,returned,2026-11-30,refused,by,the,addressee\n"
			 "=1+1,delivered\n"
			 "%s,returned,2026-11-30,\"say \"\"no\"\"\n"
			 "\n"
			 "%s,returned,2026-11-30,\"gone \xf0\x9f\x98\x80\"\n",
			 c0, c0, c1, c2, c5, c5);
	assert_int_equal(fs_write_atomic(file, text, strlen(text), 0600), 0);
	free(text);
	assert_int_equal(stage_dispatch_delivery_file(e->cfg, e->reg, file, err, &dr), 0);
	fclose(err);
	assert_int_equal(dr.delivered, 1);
	assert_int_equal(dr.returned, 0);
	assert_int_equal(dr.bad, 6);
	assert_non_null(strstr(out, "carrier.csv:1: "));
	assert_non_null(strstr(out, "after today"));
	assert_non_null(strstr(out, "carrier.csv:2: "));
	assert_non_null(strstr(out, "carrier.csv:4: too many fields"));
	assert_non_null(strstr(out, "carrier.csv:6: a quoted field is not closed"));
	assert_non_null(strstr(out, "carrier.csv:8: NOTE")); /* the blank line 7 counts */
	{
		char *sql = xasprintf("SELECT count(*) FROM dispatch_item d JOIN card c ON c.id = "
				      "d.card_id WHERE c.card_no = '%s' AND d.event_detail = 'left "
				      "with neighbour, flat 3' AND substr(d.delivered_at, 1, 10) = "
				      "'2026-11-29'",
				      c1);

		assert_int_equal(fixture_int(e->reg, sql), 1);
		free(sql);
	}
	free(out);
	free(file);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_run_dispatches_every_card, setup,
						fixture_env_teardown),
		cmocka_unit_test_setup_teardown(test_manifest_contents, setup,
						fixture_env_teardown),
		cmocka_unit_test_setup_teardown(test_outputs_neutralise_formulas, setup,
						fixture_env_teardown),
		cmocka_unit_test_setup_teardown(test_gb18030_and_masked_mobile, setup,
						fixture_env_teardown),
		cmocka_unit_test_setup_teardown(test_stopped_run_converges, setup,
						fixture_env_teardown),
		cmocka_unit_test_setup_teardown(test_events, setup, fixture_env_teardown),
		cmocka_unit_test_setup_teardown(test_event_dates_and_notes, setup,
						fixture_env_teardown),
		cmocka_unit_test_setup_teardown(test_instant_and_counter, setup,
						fixture_env_teardown),
		cmocka_unit_test_setup_teardown(test_undispatchable_cards_are_skipped, setup,
						fixture_env_teardown),
	};

	if (argc > 1 && !strcmp(argv[1], "--fixture"))
		return fixture_main(argc, argv);
	log_set_level(LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
