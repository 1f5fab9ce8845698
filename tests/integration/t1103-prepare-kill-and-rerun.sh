#!/bin/bash
# t1103: crash anywhere, rerun converges (docs/system.md invariant 3) for prepare: a run killed
# with SIGKILL at several instants and then run to the end leaves the same applications,
# persons, cards (numbers and PANs: no gap, no duplicate), bank history and rejects files
# as an uninterrupted run over the same input.
source "$CARDPIPE_SRC/tests/integration/lib.sh"
command -v sqlite3 >/dev/null || skip "sqlite3 CLI not installed"
cardpipe sample --help >/dev/null 2>&1 || skip "cardpipe sample not available"
cardpipe ingest --help >/dev/null 2>&1 || skip "cardpipe ingest not available"

export CARDPIPE_NOW=2026-11-26T20:00:00+08:00
export CARDPIPE_PREPARE_BATCH_SIZE=40   # many small transactions: kills land between and inside them
cardpipe sample --out gen --count 1500 --seed 5 --bad-share 0.1 >/dev/null

setup_home() { # DIR
	CARDPIPE_HOME=$1 cardpipe init >/dev/null
	cp -r gen/. "$1/inbox/"
	rm -f "$1/inbox/expected.tsv"
	CARDPIPE_HOME=$1 cardpipe --quiet ingest || true
}
snapshot() { # HOME OUT
	sqlite3 "$1/registry.db" "
	  SELECT 'app', id, state, coalesce(reason_code, ''), coalesce(duplicate_of, ''),
	         coalesce(dedup_rule, ''), coalesce(person_id, ''), coalesce(due_date, '') FROM application ORDER BY id;
	  SELECT 'person', id, id_type, id_number, bank, bank_since FROM person ORDER BY id;
	  SELECT 'card', id, card_no, application_id, person_id, bank, pan, psn, issue_date, expiry_date, state FROM card ORDER BY id;
	  SELECT 'bank', person_id, bank, coalesce(previous_bank, ''), since, application_id FROM bank_history ORDER BY id;
	  SELECT 'counter', prefix, next_seq FROM card_counter;
	  SELECT 'pan', bank, next_seq FROM pan_counter ORDER BY bank;" >"$2"
	(cd "$1/out" && find rejects -type f -exec md5sum {} + | sort) >>"$2"
}

# the reference: one uninterrupted run
setup_home "$PWD/ref"
CARDPIPE_HOME=$PWD/ref cardpipe --quiet prepare || true
snapshot "$PWD/ref" ref.txt

# the victim: killed at several instants, then run to the end
setup_home "$PWD/victim"
kills=0
for delay in 0.05 0.1 0.2 0.3 0.5 0.8; do
	CARDPIPE_HOME=$PWD/victim cardpipe --quiet prepare >/dev/null 2>&1 &
	pid=$!
	sleep "$delay"
	if kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); fi
	wait "$pid" 2>/dev/null || true
done
echo "killed $kills run(s)"
CARDPIPE_HOME=$PWD/victim cardpipe --quiet prepare || true
snapshot "$PWD/victim" victim.txt
if ! cmp -s ref.txt victim.txt; then
	diff ref.txt victim.txt | head -20
	fail "a killed and rerun prepare differs from an uninterrupted one"
fi
[ "$(grep -c '^card|' ref.txt)" -gt 1000 ] || fail "too few cards to mean anything"
CARDPIPE_HOME=$PWD/victim cardpipe db check >check.out || { cat check.out; fail "db check"; }
echo "t1103 ok: $kills kill(s), $(grep -c '^card|' ref.txt) cards identical"
