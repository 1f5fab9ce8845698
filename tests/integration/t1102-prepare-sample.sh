#!/bin/bash
# t1102: ingest + prepare over the sample generator's batch with its bad share (and its bad
# files): every record's outcome is the one expected.tsv names; for every input file
# accepted + rejected + duplicate + held = records read; each file's rejects file lists
# exactly its rejected records; cards are well-formed; `db check` holds; running ingest and
# prepare again changes nothing.
source "$CARDPIPE_SRC/tests/integration/lib.sh"
command -v sqlite3 >/dev/null || skip "sqlite3 CLI not installed"
cardpipe sample --help >/dev/null 2>&1 || skip "cardpipe sample not available"
cardpipe ingest --help >/dev/null 2>&1 || skip "cardpipe ingest not available"

export CARDPIPE_NOW=2026-11-26T20:00:00+08:00
cardpipe init >/dev/null
DB=$CARDPIPE_HOME/registry.db
cardpipe sample --out gen --count 600 --seed 11 --bad-share 0.08 --bad-files >/dev/null
find gen -mindepth 1 -maxdepth 1 ! -name expected.tsv -exec mv -t "$CARDPIPE_HOME/inbox" {} +
cardpipe ingest >ingest.out 2>&1 || true
expect_exit 1 cardpipe prepare >prepare.out   # 8 % bad is above the 5 % threshold
cat prepare.out

# every record as expected.tsv says
sqlite3 -separator $'\t' "$DB" "SELECT f.name, coalesce(a.channel_ref, '-'),
  CASE a.state WHEN 'accepted' THEN 'ok' WHEN 'rejected' THEN 'reject:' || a.reason_code
  WHEN 'held' THEN 'held:' || a.reason_code ELSE a.state END
  FROM application a JOIN input_file f ON f.id = a.file_id" | sort >got.tsv
tail -n +2 gen/expected.tsv | awk -F'\t' '$2 != "-"' | sort >want.tsv
if ! cmp -s got.tsv want.tsv; then
	diff want.tsv got.tsv | head -20
	fail "outcomes differ from expected.tsv ($(diff want.tsv got.tsv | grep -c '^[<>]') lines)"
fi
n=$(wc -l <want.tsv)
[ "$n" -ge 600 ] || fail "only $n records compared"

# conservation per input file, and the rejects files
sqlite3 "$DB" "SELECT f.id, f.channel, f.name, f.records,
  (SELECT count(*) FROM application a WHERE a.file_id = f.id AND a.state IN ('accepted','rejected','duplicate','held')),
  (SELECT count(*) FROM application a WHERE a.file_id = f.id AND a.state = 'rejected')
  FROM input_file f WHERE f.status = 'ingested'" >files.txt
[ -s files.txt ] || fail "no ingested files"
while IFS='|' read -r id channel name records ended rejected; do
	assert_eq "$ended" "$records" "file $name: records in a final state"
	R="$CARDPIPE_HOME/out/rejects/$channel/$name.rejects.csv"
	[ -f "$R" ] || fail "no rejects file for $name"
	rows=$(python3 -c 'import csv,sys; print(sum(1 for _ in csv.reader(open(sys.argv[1], encoding="utf-8-sig"))) - 1)' "$R")
	assert_eq "$rows" "$rejected" "rejects rows of $name"
done <files.txt
# nothing from a quarantined file
assert_eq "$(sqlite3 "$DB" "SELECT count(*) FROM application a JOIN input_file f ON f.id = a.file_id WHERE f.status <> 'ingested'")" 0 "records of quarantined files"

# cards: one per accepted record, well-formed, unique
assert_eq "$(sqlite3 "$DB" "SELECT count(*) FROM card")" "$(sqlite3 "$DB" "SELECT count(*) FROM application WHERE state = 'accepted'")" "cards"
bad=$(sqlite3 "$DB" "SELECT count(*) FROM card WHERE card_no NOT GLOB 'B[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9A-Z]' OR length(pan) <> 19")
assert_eq "$bad" 0 "malformed card numbers or PANs"
cardpipe db check >check.out || { cat check.out; fail "db check"; }

# ingest and prepare again: nothing changes
dump() { sqlite3 "$DB" .dump | grep -v audit_head >"$1"; find "$CARDPIPE_HOME/out" -type f -exec md5sum {} + | sort >>"$1"; }
dump before.sql
cardpipe sample --out gen2 --count 600 --seed 11 --bad-share 0.08 --bad-files >/dev/null
# the good files again (a bad file sent again is ingest's business: quarantined again)
find gen2 -mindepth 1 -maxdepth 1 ! -name expected.tsv ! -name 'bad-*' -exec cp -r -t "$CARDPIPE_HOME/inbox" {} +
cardpipe ingest >ingest2.out 2>&1 || true
cardpipe prepare >prepare2.out || fail "prepare rerun"
assert_contains prepare2.out "prepare: 0 read"
dump after.sql
cmp -s before.sql after.sql || { diff before.sql after.sql | head; fail "rerun changed the registry or outputs"; }
echo "t1102 ok: $n records"
