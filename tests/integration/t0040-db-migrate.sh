#!/bin/bash
# t0040: cardpipe db migrate --to URL. A demo registry (sample, ingest, prepare, perso,
# render on SQLite) is moved into a new PostgreSQL database of the test server: every table
# has the same rows there (the audit log one more: the migration's own), db check and db
# verify-audit pass with registry.url naming it, the stages go on there, and a second
# migration into it, or a URL carrying a password, is refused.
source "$CARDPIPE_SRC/tests/integration/lib.sh"
[ -n "${CARDPIPE_TEST_PG:-}" ] || skip "CARDPIPE_TEST_PG not set (no test PostgreSQL server)"
command -v psql >/dev/null || skip "psql not installed"
command -v sqlite3 >/dev/null || skip "sqlite3 CLI not installed"
export CARDPIPE_NOW=2026-11-26T20:00:00+08:00
cards_rendered 80 60

db=cp_t0040_$$
psql "$CARDPIPE_TEST_PG" -qX -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS $db" \
	-c "CREATE DATABASE $db" >/dev/null || fail "cannot create database $db"
URL="$CARDPIPE_TEST_PG dbname=$db"
pgq() { psql "$URL" -qAtX -c "$1"; }

cardpipe db migrate --to "$URL" >migrate.out 2>migrate.err || { cat migrate.err; fail "db migrate"; }
assert_contains migrate.out "every check holds on the target"
for t in input_file person application card_counter pan_counter s10_counter \
	transport_counter card dispatch_item run bank_history perso_batch card_perso \
	production_pause production_attempt proof_owed; do
	n=$(q "SELECT count(*) FROM $t")
	assert_eq "$(pgq "SELECT count(*) FROM $t")" "$n" "rows of $t"
	grep -Eq "^$t +$n\$" migrate.out || fail "the summary does not say $n rows of $t"
done
audit=$(q "SELECT count(*) FROM audit_log")
assert_eq "$(pgq "SELECT count(*) FROM audit_log")" $((audit + 1)) "audit rows"
assert_eq "$(pgq "SELECT event || ' ' || actor FROM audit_log ORDER BY id DESC LIMIT 1")" \
	"migrated operator:db-migrate" "the last audit row"
assert_eq "$(pgq "SELECT string_agg(card_no || row_mac, ',' ORDER BY id) FROM card")" \
	"$(q "SELECT group_concat(card_no || row_mac, ',') FROM (SELECT * FROM card ORDER BY id)")" \
	"cards and their seals"

export CARDPIPE_REGISTRY_URL=$URL
cardpipe db check >check.out || { cat check.out; fail "db check on PostgreSQL"; }
assert_contains check.out "all checks passed"
cardpipe db verify-audit >verify.out
assert_contains verify.out "audit chain intact: $((audit + 1)) rows"

# the stages go on there: new rows take ids after the copied ones
cards=$(pgq "SELECT count(*) FROM card")
cardpipe sample --out gen --count 40 --seed 40 --bad-share 0 >/dev/null
find gen -mindepth 1 -maxdepth 1 ! -name expected.tsv -exec mv -t "$CARDPIPE_HOME/inbox" {} +
cardpipe ingest >/dev/null 2>&1 || fail "ingest on PostgreSQL"
cardpipe prepare >/dev/null 2>&1 || fail "prepare on PostgreSQL"
[ "$(pgq "SELECT count(*) FROM card")" -gt "$cards" ] || fail "no new card on PostgreSQL"
cardpipe db check >check.out || { cat check.out; fail "db check after prepare"; }
assert_eq "$(sqlite3 "$CARDPIPE_HOME/registry.db" "SELECT count(*) FROM card")" "$cards" "the SQLite file is left as it was"

# a second migration into it is refused, and so is a URL carrying a password
unset CARDPIPE_REGISTRY_URL
expect_exit 3 cardpipe db migrate --to "$URL" >/dev/null 2>err.out
assert_contains err.out "is not empty"
expect_exit 2 cardpipe db migrate --to "postgresql://cardpipe:secret@127.0.0.1/$db" 2>err.out
assert_contains err.out "password"
expect_exit 2 cardpipe db migrate --to "$CARDPIPE_HOME/other.db" 2>err.out
assert_contains err.out "expected a postgresql:// URI"

# on a terminal the copy shows its rows against the total: the sum of the summary's rows
if command -v script >/dev/null; then
	psql "$CARDPIPE_TEST_PG" -qX -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS ${db}_tty" \
		-c "CREATE DATABASE ${db}_tty" >/dev/null || fail "cannot create database ${db}_tty"
	export URL2="$CARDPIPE_TEST_PG dbname=${db}_tty"
	script -qec 'cardpipe db migrate --to "$URL2"' /dev/null >tty.out || { cat tty.out; fail "db migrate on a terminal"; }
	tr -d '\r' <tty.out | grep -Ev 'db migrate: rows' >tty.summary
	rows=$(awk 'NF == 2 && $2 ~ /^[0-9]+$/ { n += $2 } END { print n }' tty.summary)
	[ "${rows:-0}" -gt 0 ] || fail "no table summary on the terminal"
	tr '\r' '\n' <tty.out | grep -q "^db migrate: rows: $rows/$rows (100%)" ||
		fail "no progress line ending at $rows/$rows: $(tr '\r' '\n' <tty.out | grep 'db migrate' | tail -2)"
	psql "$CARDPIPE_TEST_PG" -qX -c "DROP DATABASE ${db}_tty" >/dev/null
fi
psql "$CARDPIPE_TEST_PG" -qX -c "DROP DATABASE $db" >/dev/null
