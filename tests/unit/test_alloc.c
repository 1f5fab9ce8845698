/*
 * test_alloc.c - card number and PAN allocation (reg_cards.h): every number well-formed
 * and unique, every PAN passes Luhn, and a crash (a transaction aborted, or a process
 * killed mid-transaction) leaves no gap and no duplicate.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/err.h"
#include "formats/cardno.h"
#include "formats/luhn.h"
#include "pipeline/registry/reg_cards.h"
#include "pipeline/registry/registry.h"
#include "pipeline/registry/reg_stmt.h"
#include "pipeline/registry/registry_sqlite.h"
#include "number_checks.h"

#define NAPPS 3000

static char dir[64], path[128];
static struct registry *reg;
static sqlite3 *raw; /* a second connection to seed rows, as ingest would */

static void
sql(const char *s)
{
	char *msg = NULL;

	if (sqlite3_exec(raw, s, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("seed SQL failed: %s", msg);
}

/* The same, returning SQLite's result code (for statements the schema must refuse). */
static int
sql_rc(const char *s)
{
	return sqlite3_exec(raw, s, NULL, NULL, NULL);
}

static int
setup(void **state)
{
	char buf[512];

	snprintf(dir, sizeof(dir), "/tmp/test_alloc.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/registry.db", dir);
	if (registry_open(path, &reg) < 0)
		return -1;
	if (sqlite3_open(path, &raw) != SQLITE_OK)
		return -1;
	sqlite3_busy_timeout(raw, 10000);
	sql("BEGIN; INSERT INTO input_file(id, sha256, name, channel, format, received_at, status) "
	    "VALUES(1, 'x', 'f.xml', 'employer', 'x', 'x', 'ingested');");
	for (int i = 1; i <= NAPPS; i++) {
		snprintf(buf, sizeof(buf),
			 "INSERT INTO application(id, file_id, record_no, location, channel, "
			 "created_at, updated_at) VALUES(%d, 1, %d, 'r', 'employer', 'x', 'x');"
			 "INSERT INTO person(id, id_type, id_number, name, created_at) VALUES(%d, "
			 "'citizen', 'P%d', 'n', 'x');",
			 i, i, i, i);
		sql(buf);
	}
	sql("COMMIT;");
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	sqlite3_close(raw);
	registry_close(reg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* One allocation through the production allocator (open, allocate, close). */
static int
alloc_with(const struct card_alloc *a, struct card_row *card)
{
	struct card_allocator *ca;
	int r;

	if ((r = reg_card_allocator_open(reg, &ca)) < 0)
		return r;
	r = reg_card_allocate_with(ca, a, card);
	reg_card_allocator_close(ca);
	return r;
}

static int next_app = 1;
static const char *next_prefix = "B";

/* One allocation through ca, or through an allocator of its own when ca is NULL. */
static int
alloc_via(struct card_allocator *ca, const char *bank, const char *bin, struct card_row *card)
{
	struct card_alloc a = {0};

	a.application_id = next_app;
	a.person_id = next_app;
	a.bank = bank;
	a.bin = bin;
	a.prefix = next_prefix;
	a.transport_city = "1000";
	a.issue_date = "2026-11-26";
	a.expiry_date = "2036-11-25";
	next_app++;
	return ca ? reg_card_allocate_with(ca, &a, card) : alloc_with(&a, card);
}

static int
alloc_one(const char *bank, const char *bin, struct card_row *card)
{
	return alloc_via(NULL, bank, bin, card);
}

static long long
count(const char *q)
{
	sqlite3_stmt *st;
	long long n = -1;

	sqlite3_prepare_v2(raw, q, -1, &st, NULL);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void
test_allocation_outside_a_transaction_refused(void **state)
{
	struct card_row c;

	assert_int_equal(alloc_one("ICBC", "62122600", &c), CP_ERR_INVALID);
	next_app--;
}

static void
test_first_card_number_and_pan(void **state)
{
	struct card_row c, back;

	assert_int_equal(registry_begin(reg), 0);
	assert_int_equal(alloc_one("ICBC", "62122600", &c), 0);
	assert_int_equal(registry_commit(reg), 0);
	/* the card handed back is the row stored, field for field, under its own id (not the
	 * id of the audit row its trigger inserted) */
	assert_int_equal(reg_card_by_id(reg, c.id, &back), 0);
	assert_memory_equal(&back, &c, sizeof(c));
	assert_memory_equal(c.card_no, "B0000001", 8);
	assert_true(cardno_well_formed(c.card_no));
	assert_string_equal(c.pan, "6212260000000000018");
	assert_string_equal(c.transport_no, "3110000000000000012");
	assert_string_equal(c.psn, "00");
	assert_string_equal(c.state, "allocated");
	assert_string_equal(c.expiry_date, "2036-11-25");
}

static void
test_numbers_unique_well_formed_and_luhn_valid(void **state)
{
	struct card_row c;
	const char *banks[][2] = {{"ICBC", "62122600"}, {"CCB", "62170000"}, {"BOB", "621468"}};

	assert_int_equal(registry_begin(reg), 0);
	for (int i = 0; i < 1500; i++) {
		assert_int_equal(alloc_one(banks[i % 3][0], banks[i % 3][1], &c), 0);
		assert_true(cardno_well_formed(c.card_no));
		assert_int_equal(strlen(c.pan), 19);
		assert_true(luhn_valid(c.pan));
		assert_memory_equal(c.pan, banks[i % 3][1], strlen(banks[i % 3][1]));
		assert_int_equal(cardno_transport_validate(c.transport_no), 0);
		if (i % 500 == 499) {
			assert_int_equal(registry_commit(reg), 0);
			assert_int_equal(registry_begin(reg), 0);
		}
	}
	assert_int_equal(registry_commit(reg), 0);
	assert_int_equal(count("SELECT count(DISTINCT card_no) - count(*) FROM card"), 0);
	assert_int_equal(count("SELECT count(DISTINCT pan) - count(*) FROM card"), 0);
	assert_int_equal(count("SELECT count(DISTINCT transport_no) - count(*) FROM card"), 0);
	/* no gap: the sequences are exactly 1..n */
	assert_int_equal(
		count("SELECT max(CAST(substr(card_no, 2, 7) AS INTEGER)) - count(*) FROM card"),
		0);
}

static void
test_transport_numbers_unique_by_construction(void **state)
{
	struct card_row b, x, legacy, again;
	char tno[20], tno2[20];

	/* B0000001.. and X0000001.. have the same digits: the transport number derived from
	 * the digits (issue 12) made them collide; allocated from one counter they do not */
	assert_int_equal(registry_begin(reg), 0);
	next_prefix = "Q";
	assert_int_equal(alloc_one("ICBC", "62122600", &b), 0);
	next_prefix = "X";
	assert_int_equal(alloc_one("ICBC", "62122600", &x), 0);
	next_prefix = "B";
	assert_int_equal(registry_commit(reg), 0);
	assert_memory_equal(b.card_no + 1, x.card_no + 1, 7);
	assert_string_not_equal(b.transport_no, x.transport_no);
	/* the registry refuses a second card with the same number, and a changed number */
	assert_int_not_equal(sql_rc("UPDATE card SET transport_no = (SELECT transport_no FROM card "
				    "WHERE card_no = 'Q0000001' || substr(card_no, 9)) WHERE "
				    "card_no LIKE 'X0000001%'"),
			     0);
	assert_int_not_equal(sql_rc("UPDATE card SET transport_no = NULL WHERE card_no LIKE "
				    "'X0000001%'"),
			     0);
	/* a card allocated before transport numbers existed gets one from the same counter,
	 * once: asked again, it keeps it */
	assert_int_equal(registry_begin(reg), 0);
	assert_int_equal(alloc_one("ICBC", "62122600", &legacy), 0);
	assert_int_equal(registry_commit(reg), 0);
	assert_int_equal(sql_rc("DROP TRIGGER card_transport_no_final"), 0);
	/* through cardpipe's own connection, so that the row stays sealed (docs/audit.md) */
	assert_int_equal(registry_begin(reg), 0);
	assert_int_equal(reg_exec(reg, "UPDATE card SET transport_no = NULL WHERE id = (SELECT "
				       "max(id) FROM card)"),
			 0);
	assert_int_equal(registry_commit(reg), 0);
	assert_int_equal(reg_card_transport_assign(reg, legacy.id, "1000", tno), 0);
	assert_int_equal(cardno_transport_validate(tno), 0);
	assert_string_not_equal(tno, legacy.transport_no); /* a fresh number, never reused */
	assert_int_equal(reg_card_transport_assign(reg, legacy.id, "1000", tno2), 0);
	assert_string_equal(tno, tno2);
	assert_int_equal(reg_card_by_id(reg, legacy.id, &again), 0);
	assert_string_equal(again.transport_no, tno);
	assert_int_equal(
		count("SELECT count(DISTINCT transport_no) - count(transport_no) FROM card"), 0);
	/* db check: the transport invariants hold; then a duplicate forced past the schema's
	 * guards (as a hand-edited or restored registry could hold) is reported */
	{
		char *text = NULL;
		size_t len = 0;
		FILE *out = open_memstream(&text, &len);
		int problems = -1, before;

		assert_int_equal(registry_check(reg, out, &problems), 0);
		fflush(out);
		assert_non_null(strstr(text, "ok    nothing doubled: transport card numbers are "
					     "unique\n"));
		assert_non_null(strstr(text, "ok    the transport counter is ahead"));
		assert_non_null(strstr(text, "ok    transport card numbers are 19 digits"));
		before = problems;
		sql("DROP INDEX card_transport_no; UPDATE card SET transport_no = (SELECT "
		    "transport_no FROM card WHERE card_no LIKE 'Q0000001%') WHERE card_no LIKE "
		    "'X0000001%'");
		assert_int_equal(registry_check(reg, out, &problems), 0);
		fclose(out);
		assert_int_equal(problems, before + 1);
		assert_non_null(strstr(text, "FAIL  nothing doubled: transport card numbers are "
					     "unique (1 offending rows)"));
		free(text);
		sql("UPDATE card SET transport_no = NULL WHERE card_no LIKE 'X0000001%'; "
		    "CREATE UNIQUE INDEX card_transport_no ON card(transport_no) WHERE "
		    "transport_no IS NOT NULL");
	}
	sql("CREATE TRIGGER card_transport_no_final BEFORE UPDATE OF transport_no ON card WHEN "
	    "OLD.transport_no IS NOT NULL AND NEW.transport_no IS NOT OLD.transport_no BEGIN "
	    "SELECT RAISE(ABORT, 'once'); END");
}

static void
test_aborted_transaction_leaves_no_gap(void **state)
{
	struct card_row c, after;
	long long before = count("SELECT count(*) FROM card");
	char expect[CARDNO_LEN + 1];

	assert_int_equal(registry_begin(reg), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(alloc_one("ICBC", "62122600", &c), 0);
	registry_rollback(reg); /* the crash */
	assert_int_equal(count("SELECT count(*) FROM card"), before);

	assert_int_equal(registry_begin(reg), 0);
	assert_int_equal(alloc_one("ICBC", "62122600", &after), 0);
	assert_int_equal(registry_commit(reg), 0);
	cardno_format("B", (long)before + 1, expect);
	assert_string_equal(after.card_no, expect);
	/* the same card number the aborted run had handed out first is given again */
	assert_int_equal(
		count("SELECT count(*) FROM card WHERE card_no = (SELECT max(card_no) FROM card)"),
		1);
}

static void
test_killed_process_leaves_no_gap(void **state)
{
	long long before = count("SELECT count(*) FROM card"), seq_before;
	struct card_row c;
	int status;
	pid_t pid;

	seq_before = count("SELECT next_seq FROM card_counter WHERE prefix = 'B'");
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct registry *r2;

		if (registry_open(path, &r2) < 0 || registry_begin(r2) < 0)
			_exit(2);
		reg = r2;
		for (int i = 0; i < 10; i++)
			if (alloc_one("ICBC", "62122600", &c) < 0)
				_exit(3);
		_exit(9); /* killed before the commit */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 9);
	assert_int_equal(count("SELECT count(*) FROM card"), before);
	assert_int_equal(count("SELECT next_seq FROM card_counter WHERE prefix = 'B'"), seq_before);
}

/* Every counter's row holds the next value after the highest one its cards use. */
static void
assert_counters_follow_cards(void)
{
	assert_int_equal(count("SELECT count(*) FROM card_counter k WHERE next_seq - 1 <> "
			       "(SELECT coalesce(max(CAST(substr(card_no, 2, 7) AS INTEGER)), 0) "
			       "FROM card WHERE substr(card_no, 1, 1) = k.prefix)"),
			 0);
	assert_int_equal(count("SELECT count(*) FROM pan_counter k WHERE next_seq - 1 <> "
			       "(SELECT count(*) FROM card WHERE bank = k.bank)"),
			 0);
	assert_int_equal(count("SELECT (SELECT next_seq - 1 FROM transport_counter WHERE city = "
			       "'1000') - count(transport_no) FROM card"),
			 0);
}

/* One allocator for many cards and transactions, as prepare holds it: the counters it
 * counts in memory after a transaction's first take are written before the commit, and
 * forgotten with a rollback; closed inside a transaction, it writes them then. */
static void
test_one_allocator_across_transactions(void **state)
{
	const char *banks[][2] = {{"ICBC", "62122600"}, {"CCB", "62170000"}, {"BOB", "621468"}};
	long long before = count("SELECT count(*) FROM card");
	struct card_allocator *ca;
	struct card_row c, first_again;
	char first[CARDNO_LEN + 1];

	assert_int_equal(reg_card_allocator_open(reg, &ca), 0);
	assert_int_equal(registry_begin(reg), 0);
	for (int i = 0; i < 150; i++)
		assert_int_equal(alloc_via(ca, banks[i % 3][0], banks[i % 3][1], &c), 0);
	assert_int_equal(registry_commit(reg), 0);
	assert_int_equal(count("SELECT count(*) FROM card"), before + 150);
	assert_counters_follow_cards();

	/* a rollback: the numbers it counted are handed out again */
	assert_int_equal(registry_begin(reg), 0);
	for (int i = 0; i < 40; i++) {
		assert_int_equal(alloc_via(ca, banks[i % 3][0], banks[i % 3][1], &c), 0);
		if (i == 0)
			memcpy(first, c.card_no, sizeof(first));
	}
	registry_rollback(reg);
	next_app -= 40;
	assert_int_equal(registry_begin(reg), 0);
	assert_int_equal(alloc_via(ca, banks[0][0], banks[0][1], &first_again), 0);
	assert_string_equal(first_again.card_no, first);
	for (int i = 1; i < 50; i++)
		assert_int_equal(alloc_via(ca, banks[i % 3][0], banks[i % 3][1], &c), 0);
	assert_int_equal(registry_commit(reg), 0);
	assert_counters_follow_cards();

	/* closed before the commit: its counts are written at the close */
	assert_int_equal(registry_begin(reg), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(alloc_via(ca, "ICBC", "62122600", &c), 0);
	reg_card_allocator_close(ca);
	assert_int_equal(registry_commit(reg), 0);
	assert_counters_follow_cards();
	assert_int_equal(count("SELECT count(*) FROM card"), before + 205);
	assert_int_equal(
		count("SELECT max(CAST(substr(card_no, 2, 7) AS INTEGER)) - count(*) FROM card"),
		0);

	/* a counter moved by something else in the transaction: numbers would be given twice,
	 * so the commit is refused and nothing of it stays */
	assert_int_equal(reg_card_allocator_open(reg, &ca), 0);
	assert_int_equal(registry_begin(reg), 0);
	assert_int_equal(alloc_via(ca, "ICBC", "62122600", &c), 0);
	assert_int_equal(alloc_via(ca, "ICBC", "62122600", &c), 0);
	assert_int_equal(
		reg_exec(reg, "UPDATE card_counter SET next_seq = next_seq + 1 WHERE prefix = 'B'"),
		0);
	assert_int_equal(registry_commit(reg), CP_ERR_INTEGRITY);
	assert_false(reg_in_tx(reg));
	reg_card_allocator_close(ca);
	next_app -= 2;
	assert_int_equal(count("SELECT count(*) FROM card"), before + 205);
	assert_counters_follow_cards();
}

static void
test_counter_exhausted_is_an_error(void **state)
{
	struct card_row c;

	sql("UPDATE card_counter SET next_seq = 9999999 WHERE prefix = 'B'");
	assert_int_equal(registry_begin(reg), 0);
	assert_int_equal(alloc_one("ICBC", "62122600", &c), 0);
	assert_memory_equal(c.card_no, "B9999999", 8);
	assert_int_equal(alloc_one("ICBC", "62122600", &c), CP_ERR_LIMIT);
	registry_rollback(reg);
	next_app -= 2;
}

static void
test_bad_bin_refused(void **state)
{
	struct card_row c;

	assert_int_equal(registry_begin(reg), 0);
	assert_int_equal(alloc_one("ICBC", "6212", &c), CP_ERR_CONFIG);
	assert_int_equal(alloc_one("ICBC", "62122A00", &c), CP_ERR_CONFIG);
	registry_rollback(reg);
	next_app -= 2;
}

static void
test_lookups(void **state)
{
	struct card_row a, b;
	char q[160];

	assert_int_equal(reg_card_by_id(reg, 1, &a), 0);
	assert_int_equal(reg_card_by_no(reg, a.card_no, &b), 0);
	assert_int_equal(b.id, 1);
	assert_int_equal(reg_card_by_application(reg, a.application_id, &b), 0);
	assert_string_equal(b.pan, a.pan);
	/* the person's card is in production (allocated, perso_ready, rendered, held) */
	snprintf(q, sizeof(q),
		 "SELECT count(*) FROM card WHERE person_id = %lld AND state IN "
		 "('allocated','perso_ready','rendered','held')",
		 a.person_id);
	assert_int_equal(count(q), 1);
	assert_int_equal(reg_card_by_no(reg, "Z0000000Z", &b), CP_ERR_NOTFOUND);
	/* ten cards (at least) are in state 'allocated' */
	assert_int_equal(count("SELECT count(*) FROM (SELECT id FROM card WHERE state = "
			       "'allocated' ORDER BY id LIMIT 10)"),
			 10);
	snprintf(q, sizeof(q), "SELECT count(*) FROM card WHERE person_id = %lld", a.person_id);
	assert_int_equal(count(q), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allocation_outside_a_transaction_refused),
		cmocka_unit_test(test_first_card_number_and_pan),
		cmocka_unit_test(test_numbers_unique_well_formed_and_luhn_valid),
		cmocka_unit_test(test_aborted_transaction_leaves_no_gap),
		cmocka_unit_test(test_killed_process_leaves_no_gap),
		cmocka_unit_test(test_one_allocator_across_transactions),
		cmocka_unit_test(test_counter_exhausted_is_an_error),
		cmocka_unit_test(test_bad_bin_refused),
		cmocka_unit_test(test_lookups),
		/* last: it allocates under other prefixes, which the gap tests do not expect */
		cmocka_unit_test(test_transport_numbers_unique_by_construction),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
