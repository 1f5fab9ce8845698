#!/bin/bash
# Invariant 3: ingest killed (SIGKILL) at several instants while reading a large file, then
# run again, ends with the same applications as an uninterrupted run; `db check` holds
# after every kill and after the rerun, and every record's photo reads back from its pack.
source "$CARDPIPE_SRC/tests/integration/lib.sh"
source "$CARDPIPE_SRC/tests/integration/t1000-ingest-lib.bash"
ingest_setup
export CARDPIPE_NOW=2026-11-26T21:00:00+08:00
employer_xml big.xml 12000
employer_xml small.xml 3

# the reference: an uninterrupted run in another home
ref=$PWD/ref
CARDPIPE_HOME=$ref cardpipe init >/dev/null 2>&1
cp big.xml small.xml "$ref/inbox/"
CARDPIPE_HOME=$ref cardpipe ingest >/dev/null 2>&1
snapshot() {
	sqlite3 "$1/registry.db" "select f.name, f.status, f.records, a.record_no, a.location, a.state,
		coalesce(a.reason_code, ''), a.name, a.id_number, coalesce(a.photo_sha256, '')
		from application a join input_file f on f.id = a.file_id order by f.name, a.record_no"
}
snapshot "$ref" >ref.txt
[ "$(wc -l <ref.txt)" -eq 12003 ] || fail "reference run has $(wc -l <ref.txt) rows"

cp big.xml small.xml "$(inbox)/"
# first kill: as soon as a batch of the big file is committed (surely mid-file)
cardpipe ingest >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 600); do
	[ "$(reg "select count(*) from application" 2>/dev/null || echo 0)" -gt 0 ] && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.05
done
kill -9 "$pid" 2>/dev/null || fail "ingest finished before it could be killed mid-file"
wait "$pid" 2>/dev/null || true
assert_eq "$(reg "select status from input_file where name = 'big.xml'")" ingesting "state after the kill"
[ "$(reg "select count(*) from application")" -lt 12000 ] || fail "kill came too late"
cardpipe db check >/dev/null || { cardpipe db check; fail "db check after a mid-file kill"; }
# more kills at other instants
for delay in 0.3 0.8 1.5; do
	cardpipe ingest >/dev/null 2>&1 &
	pid=$!
	sleep "$delay"
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	cardpipe db check >/dev/null || { cardpipe db check; fail "db check after a kill at ${delay}s"; }
done
cardpipe ingest >/dev/null 2>&1 || true
snapshot "$CARDPIPE_HOME" >got.txt
diff ref.txt got.txt >/dev/null || { diff ref.txt got.txt | head; fail "rerun after kills differs from an uninterrupted run"; }
assert_ingested big.xml 12000
assert_ingested small.xml 3
# each record's photo reads back from its place: a pack written by a killed run is used
# only up to what that run committed, the rerun's photos are in packs of its own
[ "$(photos_read_back)" -ge 1 ] || fail "no photo place"
[ -z "$(ls "$(inbox)")" ] || fail "inbox not emptied: $(ls "$(inbox)")"
rerun_changes_nothing
