#!/bin/bash
# t2003: a sealed batch that was changed (one byte, its header, a reordering) or truncated
# is refused by `perso verify` with a clear error; a batch file no registry row names (a
# run that died before its commit) is removed by the next run; perso without a key store
# fails clearly and commits nothing; perso verify of a changed single script fails.
source "$CARDPIPE_SRC/tests/integration/lib.sh"
command -v sqlite3 >/dev/null || skip "sqlite3 CLI not installed"
export CARDPIPE_NOW=2026-11-26T20:00:00+08:00
cardpipe init >/dev/null
DB=$CARDPIPE_HOME/registry.db
reg() { sqlite3 "$DB" "$1"; }
sample_night 40 3 --bad-share 0
n=$(reg "select count(*) from card where state='allocated'")
# no key store: a clear error, nothing committed
expect_exit 2 cardpipe perso 2>err.txt
assert_contains err.txt "keys ceremony"
assert_eq "$(reg "select count(*) from card where state='allocated'")" "$n" "nothing committed"
cardpipe keys ceremony --test >/dev/null 2>&1
# a name too long for the chip (50 Han characters = 100 bytes of GB18030): that card is held
long=$(printf '阿%.0s' $(seq 50))
HID=$(reg "select id from card where state='allocated' order by id limit 1")
reg "update application set name='$long' where id=(select application_id from card where id=$HID)"
n=$((n - 1))
# an orphan batch of an interrupted run is removed
mkdir -p $CARDPIPE_HOME/spool/perso/line-1
echo junk >$CARDPIPE_HOME/spool/perso/line-1/L1-000000001-000000009.batch
cardpipe --set perso.batch_cards=10 perso 2>perso.err
assert_contains perso.err "interrupted run"
assert_eq "$(reg "select count(*) from card where state='perso_ready'")" "$n" "all perso_ready"
assert_eq "$(reg "select state from card where id=$HID")" held "long name held"
reg "select held_reason from card where id=$HID" | grep -q "90" || fail "held reason names the limit"
assert_contains perso.err "1 held"
assert_eq "$(reg "select count(*) from perso_batch")" "$(( (n + 9) / 10 ))" "batches of 10"
assert_eq "$(ls $CARDPIPE_HOME/spool/perso/line-1 | wc -l)" "$(( (n + 9) / 10 ))" "no orphan left"
B=$(reg "select path from perso_batch order by id limit 1")
B2=$(reg "select path from perso_batch order by id limit 1 offset 1")
cardpipe perso verify "$B" >/dev/null
# one changed byte
cp "$B" x.batch
printf '\x55' | dd of=x.batch bs=1 seek=$(( $(stat -c %s x.batch) / 2 )) conv=notrunc 2>/dev/null
expect_exit 3 cardpipe perso verify x.batch 2>err.txt
assert_contains err.txt "seal does not verify"
# truncated
head -c $(( $(stat -c %s "$B") - 40 )) "$B" >x.batch
expect_exit 3 cardpipe perso verify x.batch 2>err.txt
assert_contains err.txt "changed or truncated"
head -c 30 "$B" >x.batch
expect_exit 3 cardpipe perso verify x.batch 2>err.txt
# header edited: claims another batch id
sed '1s/batch=L1-/batch=L9-/' "$B" >x.batch
expect_exit 3 cardpipe perso verify x.batch 2>err.txt
assert_contains err.txt "seal does not verify"
# two batches spliced (body of one under the header of another)
{ head -1 "$B"; tail -c +$(( $(head -1 "$B2" | wc -c) + 1 )) "$B2"; } >x.batch
expect_exit 3 cardpipe perso verify x.batch 2>err.txt
# a single script: a changed data byte, and a missing end line
CARD=$(reg "select card_no from card c join card_perso p on p.card_id=c.id join perso_batch b on b.id=p.batch_id where b.path='$B' limit 1")
cardpipe perso show "$B" "$CARD" >s.script
cardpipe perso verify s.script >/dev/null
sed 's/^00 DC 07 04 06 0D 04 \(..\)/00 DC 07 04 06 0D 04 99/' s.script >t.script
cmp -s s.script t.script && fail "test did not change the script"
expect_exit 3 cardpipe perso verify t.script 2>err.txt
assert_contains err.txt "was changed"
grep -v '^#@ end' s.script >t.script
expect_exit 3 cardpipe perso verify t.script 2>err.txt
assert_contains err.txt "truncated"
expect_exit 3 cardpipe perso verify nonexistent.batch 2>/dev/null
expect_exit 2 cardpipe perso --line zero 2>/dev/null
cardpipe perso --help | grep -q -- "--line" || fail "help documents --line"
