/*
 * dispatch_fixture.h - registry states for the dispatch, reconcile, status and run-report
 * tests: people, applications and produced (or spoiled) cards inserted the way the
 * earlier stages leave them, through the registry's own connection so that the schema's
 * triggers write the audit rows. Header-only on purpose: the tests/unit C files that are not
 * test_*.c are linked into every test binary, this is only for ours.
 *
 * fixture_build(reg, &spec) adds spec->n cards, card i (0-based) getting:
 *   delivery   i % 4: 0,1 mail-person (pickup with no_mail); 2 pickup; 3 mail-employer
 *   bank       spec->banks[i % nbanks]
 *   postal     spec->postals[i % npostals], district from the postal code's first 4 digits
 *   app_type   i % 5 == 4: replace-damaged with transport balance 1234 fen, else new
 *   attempts   i % 3 == 1: one spoiled ('chip') attempt before the produced one
 * plus one rejected and one duplicate application for person 0.
 *
 * fixture_env_new(name, n) is the tests' setup: a home /tmp/NAME.XXXXXX with the clock at
 * 2026-11-26 20:00 Beijing, registry.db in it holding fixture_build() of n cards, and a
 * default configuration; fixture_env_teardown() is the matching cmocka teardown.
 * fixture_env_dispatch() runs the dispatch stage over it; fixture_int() is a query's integer.
 */
#ifndef DISPATCH_FIXTURE_H
#define DISPATCH_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/config.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/mem.h"
#include "formats/cardno.h"
#include "pipeline/registry/registry.h"
#include "pipeline/stages/dispatch.h"
#include "pipeline/registry/reg_stmt.h"
#include "pipeline/registry/registry_sqlite.h"
#include "pipeline/stages/dispatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fixture_spec {
	int n;
	const char *const *banks;
	int nbanks;
	const char *const *postals;
	int npostals;
	const char *day; /* Beijing business date of the events, "2026-11-26" */
	int first;	 /* number of the first person (to add more later) */
	int no_mail;	 /* mail-person cards become pickup */
};

/* An 18-character citizen ID number with a correct GB 11643 check character. */
static inline void
fixture_id(int k, char out[19])
{
	static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
	static const char cc[] = "10X98765432";
	int sum = 0;

	snprintf(out, 19, "110101199003%02d%03d", 1 + k % 28, k % 1000);
	for (int i = 0; i < 17; i++)
		sum += (out[i] - '0') * w[i];
	out[17] = cc[sum % 11];
	out[18] = '\0';
}

/* The card number of person k (a real one: prefix B, sequence k + 1, check character). */
static inline const char *
fixture_card_no(int k, char out[CARDNO_LEN + 1])
{
	if (cardno_format("B", k + 1, out) < 0)
		out[0] = '\0';
	return out;
}

static inline int
fixture_exec(struct registry *reg, const char *sql)
{
	int r = reg_exec(reg, sql);

	if (r < 0)
		fprintf(stderr, "fixture: %s\n  in: %.300s\n", cp_errmsg(), sql);
	return r;
}

static inline int
fixture_build(struct registry *reg, const struct fixture_spec *s)
{
	static const char *const def_banks[] = {"ICBC", "CCB"};
	static const char *const def_postals[] = {"100010", "100020", "100101"};
	const char *const *banks = s->banks ? s->banks : def_banks;
	const char *const *postals = s->postals ? s->postals : def_postals;
	int nb = s->banks ? s->nbanks : 2, np = s->postals ? s->npostals : 3;
	const char *day = s->day ? s->day : "2026-11-26";
	long long file_id;
	char *sql;
	int r;

	if ((r = registry_begin(reg)) < 0)
		return r;
	sql = xasprintf(
		"INSERT INTO input_file(sha256, name, channel, format, received_at, "
		"status, records) VALUES(hex(randomblob(32)), 'fixture-%d.xml', 'employer', "
		"'employer-xml', '%sT01:00:00Z', 'ingested', %d)",
		s->first, day, s->n + (s->first == 0 ? 2 : 0));
	r = fixture_exec(reg, sql);
	free(sql);
	if (r < 0)
		goto fail;
	if ((r = reg_query_int(reg, "SELECT max(id) FROM input_file", &file_id)) < 0)
		goto fail;
	for (int i = 0; i < s->n; i++) {
		int k = s->first + i;
		const char *deliv = (i % 4 == 2 || (s->no_mail && i % 4 < 2)) ? "pickup"
				    : i % 4 == 3			      ? "mail-employer"
									      : "mail-person";
		const char *bank = banks[i % nb], *postal = postals[i % np];
		int damaged = i % 5 == 4;
		char id[19], cno[CARDNO_LEN + 1], oldno[CARDNO_LEN + 1];

		fixture_id(k, id);
		fixture_card_no(k, cno);
		fixture_card_no(9999998, oldno);
		sql = xasprintf(
			"INSERT INTO person(id_type, id_number, name, bank, created_at) "
			"VALUES('citizen', '%s', '测试%d', '%s', '%sT01:00:00Z');"
			"INSERT INTO application(file_id, record_no, location, channel, "
			"channel_ref, "
			"app_type, submitted_at, name, id_type, id_number, mobile, delivery, "
			"address, "
			"postal_code, district, branch, bank, employer_name, employer_uscc, "
			"old_card_no, transport_balance, state, person_id, due_date, created_at, "
			"updated_at) VALUES(%lld, %d, 'Employee[%d]', 'employer', 'REF-%d', '%s', "
			"'%sT00:30:00Z', '测试%d', 'citizen', '%s', '1380013%04d', '%s', "
			"'北京市东城区测试街%d号, 3单元', '%s', '%.4s01', 'BR%02d', '%s', "
			"'测试公司', "
			"'91110000MA00000%03d', nullif('%s', ''), %s, 'accepted', "
			"(SELECT max(id) FROM person), date('%s', '+%d days'), '%sT01:00:00Z', "
			"'%sT01:00:00Z');"
			"INSERT INTO card(card_no, application_id, person_id, bank, pan, instant, "
			"created_at, updated_at) VALUES('%s', "
			"(SELECT max(id) FROM application), (SELECT max(id) FROM person), '%s', "
			"printf('6212260000%%09d', %d), 0, '%sT02:00:00Z', '%sT02:00:00Z');",
			id, k, bank, day, (long long)file_id, k + 1, k + 1, k,
			damaged ? "replace-damaged" : "new", day, k, id, k % 10000, deliv, k,
			postal, postal, k % 3, bank, k % 3, damaged ? oldno : "",
			damaged ? "1234" : "NULL", day, damaged ? 4 : 30, day, day, cno, bank, k,
			day, day);
		r = fixture_exec(reg, sql);
		free(sql);
		if (r < 0)
			goto fail;
		sql = xasprintf(
			"%s"
			"INSERT INTO production_attempt(card_id, attempt_no, line, shift, "
			"started_at, "
			"ended_at, state) VALUES((SELECT max(id) FROM card), %d, 1, 'A', "
			"'%sT03:00:00Z', '%sT03:01:00Z', 'produced');"
			"UPDATE card SET state = 'produced' WHERE id = (SELECT max(id) FROM card);",
			i % 3 == 1 ? "" : "", i % 3 == 1 ? 2 : 1, day, day);
		if (i % 3 == 1) {
			char *sp = xasprintf(
				"INSERT INTO production_attempt(card_id, attempt_no, line, shift, "
				"started_at, ended_at, state, spoil_reason) VALUES((SELECT max(id) "
				"FROM card), 1, 1, 'A', '%sT02:50:00Z', '%sT02:51:00Z', 'spoiled', "
				"'chip');%s",
				day, day, sql);

			free(sql);
			sql = sp;
		}
		r = fixture_exec(reg, sql);
		free(sql);
		if (r < 0)
			goto fail;
	}
	if (s->first == 0 && s->n > 0) {
		char id[19];

		fixture_id(0, id);
		sql = xasprintf(
			"INSERT INTO application(file_id, record_no, location, channel, app_type, "
			"name, id_type, id_number, delivery, state, reason_code, reason_en, "
			"created_at, updated_at) VALUES(%lld, %d, 'Employee[x]', 'employer', "
			"'new', "
			"'测试0', 'citizen', '%s', 'pickup', 'rejected', 'photo-size', "
			"'photo is not 358x441', '%sT01:00:00Z', '%sT01:00:00Z');"
			"INSERT INTO application(file_id, record_no, location, channel, app_type, "
			"name, id_type, id_number, delivery, state, duplicate_of, dedup_rule, "
			"created_at, updated_at) VALUES(%lld, %d, 'Employee[y]', 'website', 'new', "
			"'测试0', 'citizen', '%s', 'pickup', 'duplicate', (SELECT min(id) FROM "
			"application), 'same-night', '%sT01:00:00Z', '%sT01:00:00Z');",
			(long long)file_id, s->n + 1, id, day, day, (long long)file_id, s->n + 2,
			id, day, day);
		r = fixture_exec(reg, sql);
		free(sql);
		if (r < 0)
			goto fail;
	}
	return registry_commit(reg);
fail:
	registry_rollback(reg);
	return r;
}

struct fixture_env {
	char home[64];
	char *dbpath; /* home/registry.db */
	char *key;    /* the path of a file a test keeps there, or NULL */
	struct registry *reg;
	struct config *cfg;
};

static inline struct fixture_env *
fixture_env_new(const char *name, int ncards)
{
	struct fixture_env *e = xcalloc(1, sizeof(*e));
	struct fixture_spec spec = {.n = ncards};

	setenv("CARDPIPE_NOW", "2026-11-26T20:00:00+08:00", 1);
	snprintf(e->home, sizeof(e->home), "/tmp/%s.XXXXXX", name);
	assert_non_null(mkdtemp(e->home));
	e->dbpath = fs_join(e->home, "registry.db");
	assert_int_equal(registry_open(e->dbpath, &e->reg), 0);
	e->cfg = config_new();
	assert_int_equal(fixture_build(e->reg, &spec), 0);
	return e;
}

static inline int
fixture_env_teardown(void **state)
{
	struct fixture_env *e = *state;
	char *cmd = xasprintf("rm -rf '%s'", e->home);

	registry_close(e->reg);
	config_free(e->cfg);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", e->home);
	free(cmd);
	free(e->key);
	free(e->dbpath);
	free(e);
	return 0;
}

/* The dispatch stage through the stage contract, its own figures into dr. */
static inline int
fixture_env_dispatch_run(struct fixture_env *e, struct dispatch_result *dr)
{
	struct stage_ctx sc = {.cfg = e->cfg, .home = e->home, .reg = e->reg, .actor = "dispatch"};
	struct dispatch_opts o = {.detail = dr};
	struct stage_result sr;
	int r = stage_dispatch_run(&sc, &o, &sr);

	assert_int_equal(sr.done, dr->cards);
	assert_int_equal(sr.read, dr->cards + dr->skipped);
	return r;
}

/* The dispatch stage run over the fixture, as the later stages find it. */
static inline void
fixture_env_dispatch(struct fixture_env *e)
{
	struct dispatch_result dr;

	assert_int_equal(fixture_env_dispatch_run(e, &dr), 0);
	dispatch_result_release(&dr);
}

/* The one integer a query gives. */
static inline long long
fixture_int(struct registry *reg, const char *sql)
{
	long long v = -1;

	assert_int_equal(reg_query_int(reg, sql, &v), 0);
	return v;
}

#endif
