/*
 * reg_check.c - `cardpipe db check` and `cardpipe db verify-audit`: SQLite's own
 * integrity checks, then every invariant of the registry that SQL can state, the row seals
 * and the keyed audit chain (docs/audit.md). Each check is a query counting offending rows;
 * 0 means it holds. Add a row to checks[] for a new one, in SQL every backend speaks.
 */
#include "pipeline/registry/reg_production.h"
#include "pipeline/registry/reg_stmt.h"

#include "core/err.h"
#include "core/mem.h"

#include <stdlib.h>
#include <string.h>

#define DIGITS "0123456789"

struct check {
	const char *name;
	const char *sql;
};

/* SQLite's own: its foreign keys are enforced only on connections that ask for them, so the
 * file may hold rows that break them. PostgreSQL always enforces its foreign keys, and has
 * no such pragma. */
static const struct check fk_check = {"foreign keys hold",
				      "SELECT count(*) FROM pragma_foreign_key_check"};

static const struct check checks[] = {
	{"nothing lost: every ingested file's records are all recorded",
	 "SELECT count(*) FROM input_file f WHERE f.status = 'ingested' AND f.records <> "
	 "(SELECT count(*) FROM application a WHERE a.file_id = f.id)"},
	{"nothing lost: a quarantined file has no records",
	 "SELECT count(*) FROM application a JOIN input_file f ON f.id = a.file_id "
	 "WHERE f.status = 'quarantined'"},
	{"every duplicate names an application that is not itself a duplicate",
	 "SELECT count(*) FROM application a JOIN application o ON o.id = a.duplicate_of "
	 "WHERE a.state = 'duplicate' AND (o.state = 'duplicate' OR o.id = a.id)"},
	{"every accepted application has exactly one card",
	 "SELECT count(*) FROM application a WHERE a.state = 'accepted' AND "
	 "(SELECT count(*) FROM card c WHERE c.application_id = a.id) <> 1"},
	{"only accepted applications have cards",
	 "SELECT count(*) FROM card c JOIN application a ON a.id = c.application_id "
	 "WHERE a.state <> 'accepted'"},
	{"nothing doubled: card numbers are 9 characters and unique",
	 "SELECT count(*) FROM card WHERE length(card_no) <> 9"},
	{"nothing doubled: the card counter is ahead of every card number it gave",
	 "SELECT count(*) FROM card_counter k WHERE k.next_seq <= (SELECT coalesce(max("
	 "CAST(substr(c.card_no, 2, 7) AS INTEGER)), 0) FROM card c "
	 "WHERE substr(c.card_no, 1, 1) = k.prefix)"},
	{"a produced card has exactly one produced attempt",
	 "SELECT count(*) FROM card c WHERE c.state IN ('produced','dispatched','delivered',"
	 "'returned') AND (SELECT count(*) FROM production_attempt p WHERE p.card_id = c.id "
	 "AND p.state = 'produced') <> 1"},
	{"a card not yet produced has no produced attempt",
	 "SELECT count(*) FROM card c WHERE c.state IN ('allocated','perso_ready','rendered') "
	 "AND EXISTS (SELECT 1 FROM production_attempt p WHERE p.card_id = c.id "
	 "AND p.state = 'produced')"},
	{"issued means locked: every card produced since migration 11 has a lock time",
	 "SELECT count(*) FROM production_attempt p WHERE p.state = 'produced' AND "
	 "p.locked_at IS NULL AND p.ended_at >= (SELECT coalesce(min(at), '9') FROM audit_log "
	 "WHERE entity = 'registry' AND entity_id = 11 AND event = 'migrated')"},
	{"a chip is locked before its attempt ends",
	 "SELECT count(*) FROM production_attempt WHERE locked_at IS NOT NULL AND "
	 "ended_at IS NOT NULL AND locked_at > ended_at"},
	{"every ended attempt has an end time",
	 "SELECT count(*) FROM production_attempt WHERE state <> 'in_flight' AND ended_at IS NULL"},
	{"every dispatched card was produced",
	 "SELECT count(*) FROM dispatch_item d JOIN card c ON c.id = d.card_id "
	 "WHERE c.state NOT IN ('produced','dispatched','delivered','returned')"},
	{"a superseded card names the card that replaced it",
	 "SELECT count(*) FROM card WHERE state = 'superseded' AND superseded_by IS NULL"},
	{"a duplicate names its application and its rule",
	 "SELECT count(*) FROM application WHERE state = 'duplicate' AND "
	 "(dedup_rule IS NULL OR duplicate_of IS NULL)"},
	{"no duplicate of a rejected application",
	 "SELECT count(*) FROM application a JOIN application o ON o.id = a.duplicate_of "
	 "WHERE a.state = 'duplicate' AND o.state = 'rejected'"},
	{"every accepted application has a due date and a person",
	 "SELECT count(*) FROM application WHERE state = 'accepted' AND "
	 "(due_date IS NULL OR person_id IS NULL)"},
	{"a card belongs to its application's person",
	 "SELECT count(*) FROM card c JOIN application a ON a.id = c.application_id "
	 "WHERE a.person_id IS DISTINCT FROM c.person_id"},
	{"card numbers are an9 and PANs 19 digits",
	 "SELECT count(*) FROM card WHERE length(card_no) <> 9 OR ltrim(substr(card_no, 1, 1) "
	 "|| substr(card_no, 9, 1), '" DIGITS "ABCDEFGHIJKLMNOPQRSTUVWXYZ') <> '' OR "
	 "ltrim(substr(card_no, 2, 7), '" DIGITS "') <> '' OR length(pan) <> 19 "
	 "OR ltrim(pan, '" DIGITS "') <> ''"},
	{"the PAN counter is ahead of every PAN it gave",
	 "SELECT count(*) FROM pan_counter k WHERE k.next_seq - 1 < "
	 "(SELECT count(*) FROM card c WHERE c.bank = k.bank)"},
	{"a person's bank is their last bank history row",
	 "SELECT count(*) FROM person p WHERE EXISTS (SELECT 1 FROM bank_history h "
	 "WHERE h.person_id = p.id) AND p.bank IS DISTINCT FROM (SELECT bank FROM bank_history h "
	 "WHERE h.person_id = p.id ORDER BY h.id DESC LIMIT 1)"},
	{"a produced card carries the chip of its produced attempt",
	 "SELECT count(*) FROM card c JOIN production_attempt p ON p.card_id = c.id "
	 "WHERE p.state = 'produced' AND c.chip_id IS DISTINCT FROM p.chip_id"},
	{"a spoiled attempt says whose fault it was, card or line, as its reason does",
	 "SELECT count(*) FROM production_attempt WHERE (state = 'spoiled') <> (fault IS NOT "
	 "NULL) OR fault IS DISTINCT FROM (CASE WHEN spoil_reason IN (" PROD_CARD_REASONS_SQL
	 ") THEN 'card' WHEN spoil_reason IS NOT NULL THEN 'line' END)"},
	{"nothing doubled: transport card numbers are unique",
	 "SELECT count(*) FROM (SELECT transport_no FROM card WHERE transport_no IS NOT NULL "
	 "GROUP BY transport_no HAVING count(*) > 1) AS doubled"},
	{"transport card numbers are 19 digits in the T-Union range 31",
	 "SELECT count(*) FROM card WHERE transport_no IS NOT NULL AND (length(transport_no) "
	 "<> 19 OR ltrim(transport_no, '" DIGITS "') <> '' OR substr(transport_no, 1, 2) <> "
	 "'31')"},
	{"the transport counter is ahead of every transport card number it gave",
	 "SELECT count(*) FROM transport_counter k WHERE k.next_seq <= (SELECT coalesce(max("
	 "CAST(substr(c.transport_no, 7, 12) AS BIGINT)), 0) FROM card c "
	 "WHERE substr(c.transport_no, 3, 4) = k.city)"},
	{"a chip is used by one production attempt only",
	 "SELECT count(*) FROM (SELECT chip_id FROM production_attempt WHERE chip_id IS NOT "
	 "NULL GROUP BY chip_id HAVING count(*) > 1) AS doubled"},
};

static int
run_check(struct registry *reg, const struct check *c, FILE *out, int *problems)
{
	long long n;
	int r;

	if ((r = reg_query_int(reg, c->sql, &n)) < 0)
		return cp_err_wrap(r, "check '%s': ", c->name);
	fprintf(out, "%s  %s", n ? "FAIL" : "ok  ", c->name);
	if (n)
		fprintf(out, " (%lld offending rows)", n);
	fputc('\n', out);
	if (n)
		(*problems)++;
	return 0;
}

/* SQLite's checks of its own file: the pages (a server checks its own storage) and the
 * foreign keys (fk_check). */
static int
sqlite_checks(struct registry *reg, FILE *out, int *problems)
{
	struct reg_stmt *st;
	int r;

	if ((r = reg_prepare(reg, "PRAGMA integrity_check", &st)) < 0)
		return r;
	while (reg_step(st) == REG_ROW) {
		const char *msg = reg_col_text(st, 0);

		if (msg && strcmp(msg, "ok") != 0) {
			fprintf(out, "FAIL  integrity_check: %s\n", msg);
			(*problems)++;
		}
	}
	reg_finalize(st);
	if (*problems == 0)
		fprintf(out, "ok    SQLite integrity check\n");
	return run_check(reg, &fk_check, out, problems);
}

/* PostgreSQL's queues of written rows and audit rows, which cardpipe's commit empties: a
 * row queued by a transaction that committed without cardpipe's commit is a change made
 * behind its back (the row's seal says which row; this says it happened). */
static const struct check pg_checks[] = {
	{"no row was written by a transaction that committed outside cardpipe",
	 "SELECT count(*) FROM seal_pending WHERE pg_xact_status(txid) = 'committed'"},
	{"no audit row was queued by a transaction that committed outside cardpipe",
	 "SELECT count(*) FROM audit_pending WHERE pg_xact_status(txid) = 'committed'"},
};

int
registry_check(struct registry *reg, FILE *out, int *problems)
{
	long long rows = 0;
	int r;

	*problems = 0;
	if (reg_is_sqlite(reg) && (r = sqlite_checks(reg, out, problems)) < 0)
		return r;
	for (size_t i = 0; !reg_is_sqlite(reg) && i < ARRAY_SIZE(pg_checks); i++)
		if ((r = run_check(reg, &pg_checks[i], out, problems)) < 0)
			return r;
	for (size_t i = 0; i < ARRAY_SIZE(checks); i++)
		if ((r = run_check(reg, &checks[i], out, problems)) < 0)
			return r;

	if ((r = registry_check_seals(reg, out, problems)) < 0)
		return cp_err_wrap(r, "row seals: ");
	r = registry_verify_audit(reg, &rows);
	if (r < 0) {
		fprintf(out, "FAIL  audit chain: %s\n", cp_errmsg());
		(*problems)++;
	} else {
		fprintf(out, "ok    audit chain intact (%lld rows)\n", rows);
	}
	return 0;
}

/* The hash a row must have: plain SHA-256 for the rows written before the chain was keyed
 * (key_id NULL), HMAC-SHA-256 under the audit key for the others. */
static int
expected_hash(struct registry *reg, long long id, const char *key_id, int *keyed,
	      const char *const fields[7], char calc[65])
{
	if (!key_id) {
		if (*keyed)
			return cp_err(CP_ERR_INTEGRITY,
				      "audit row %lld was not written by cardpipe: it has no audit "
				      "key but follows keyed rows",
				      id);
		registry_audit_hash(fields, calc);
		return 0;
	}
	if (strcmp(key_id, reg_audit_key_id(reg)) != 0)
		return cp_err(CP_ERR_INTEGRITY,
			      "audit row %lld is keyed with the audit key of check value '%s', "
			      "not this home's (%s)",
			      id, key_id, reg_audit_key_id(reg));
	*keyed = 1;
	return reg_audit_mac(reg, fields, calc);
}

/* The chain cannot show its own tail cut off: compare with the recorded head, "ID:HASH:MAC"
 * (reg_audit_head()), whose MAC shows it was not moved back without the key. */
static int
check_head(struct registry *reg, long long last_id, const char *last_hash, int keyed)
{
	char *head = NULL, *hash, *mac, want[REG_AUDIT_HEAD_MAX];
	long long head_id;
	int r = 0;

	if ((r = registry_meta_get(reg, "audit_head", &head)) < 0) {
		/* every commit of a keyed chain records its head: without one, rows may have
		 * been cut from the end together with it */
		if (r == CP_ERR_NOTFOUND && keyed)
			return cp_err(CP_ERR_INTEGRITY,
				      "the audit log has keyed rows but no recorded head "
				      "(meta.audit_head was removed; rows may have been cut from "
				      "its end)");
		return r == CP_ERR_NOTFOUND ? 0 : r;
	}
	head_id = strtoll(head, NULL, 10);
	hash = strchr(head, ':');
	mac = hash ? strchr(hash + 1, ':') : NULL;
	if (hash)
		*hash++ = '\0';
	if (mac)
		*mac = '\0';
	if (keyed && (!mac || (r = reg_audit_head(reg, head_id, hash, want)) < 0 ||
		      strcmp(strrchr(want, ':') + 1, mac + 1))) {
		r = r < 0 ? r
			  : cp_err(CP_ERR_INTEGRITY,
				   "the recorded head of the audit log (meta.audit_head, row "
				   "%lld) is not sealed with the audit key: it was rewritten, and "
				   "rows may have been cut from the end of the log",
				   head_id);
	} else if (hash && (last_id < head_id || (last_id == head_id && strcmp(hash, last_hash)))) {
		r = cp_err(CP_ERR_INTEGRITY,
			   "audit log ends at row %lld but its recorded head is row %lld (rows "
			   "were removed from its end)",
			   last_id, head_id);
	}
	free(head);
	return r;
}

int
registry_verify_audit(struct registry *reg, long long *rows)
{
	static const char zero[] =
		"0000000000000000000000000000000000000000000000000000000000000000";
	struct reg_stmt *st;
	char prev[65], calc[65];
	long long count = 0, last_id = 0;
	int r, rc, keyed = 0;

	*rows = 0;
	memcpy(prev, zero, sizeof(prev));
	if ((r = reg_prepare(reg,
			     "SELECT id, at, actor, entity, entity_id, event, detail, "
			     "prev_hash, hash, key_id FROM audit_log ORDER BY id",
			     &st)) < 0)
		return r;
	while ((rc = reg_step(st)) == REG_ROW) {
		long long id = reg_col_int(st, 0);
		const char *fields[7], *row_prev, *row_hash;

		row_prev = reg_col_text(st, 7);
		fields[0] = row_prev;
		for (int i = 1; i < 7; i++)
			fields[i] = reg_col_text(st, i);
		row_hash = reg_col_text(st, 8);
		if (!row_prev || strcmp(row_prev, prev) != 0) {
			r = cp_err(CP_ERR_INTEGRITY,
				   "audit row %lld does not follow the row before it (a row was "
				   "deleted, inserted or reordered)",
				   id);
			break;
		}
		if ((r = expected_hash(reg, id, reg_col_text(st, 9), &keyed, fields, calc)) < 0)
			break;
		if (!row_hash || strcmp(row_hash, calc) != 0) {
			r = cp_err(CP_ERR_INTEGRITY,
				   "audit row %lld was edited (its hash does not "
				   "match its contents and the audit key)",
				   id);
			break;
		}
		memcpy(prev, calc, sizeof(prev));
		last_id = id;
		count++;
	}
	if (r == 0 && rc != REG_DONE)
		r = reg_fail(reg, "read audit log");
	reg_finalize(st);
	/* the migration that keyed the chain appended a keyed row: a chain without one was
	 * rewritten by someone who had no key */
	if (r == 0)
		r = check_head(reg, last_id, prev, keyed);
	if (r == 0 && count > 0 && !keyed)
		r = cp_err(CP_ERR_INTEGRITY, "the audit log has no row keyed with the audit key "
					     "(it was rewritten without the key)");
	*rows = count;
	return r;
}
