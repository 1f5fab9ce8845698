#!/bin/bash
# A file that a writer appends to while ingest reads it (it looked complete when the inbox
# was listed) is neither archived nor quarantined half-read: nothing of it is kept, it stays
# in the inbox, and the next run reads it whole.
source "$CARDPIPE_SRC/tests/integration/lib.sh"
source "$CARDPIPE_SRC/tests/integration/t1000-ingest-lib.bash"
ingest_setup work
mkjpg $I/p.jpg 2
N=40000
big_counter_csv "$I/big.csv" $N
cardpipe ingest 2>$W/err &
pid=$!
sleep 0.5
kill -0 $pid 2>/dev/null || skip "ingest finished before the file could be changed"
printf 'C999999,outlet,110101-001,2026-11-26T10:00:00+08:00,new,王五,citizen,110101198500999999,2,01,1985-06-01,CHN,13900001111,insured,mail-person,北京市,100032,110102,,BOC,p.jpg,,,,,,\n' >>$I/big.csv
rc=0
wait $pid || rc=$?
cat $W/err
assert_eq $rc 0 "ingest exit status"
grep -q "file 'big.csv': changed while it was read" $W/err || fail "no log line for the changed file"
[ -f $I/big.csv ] || fail "big.csv left the inbox"
assert_eq "$(reg "select count(*) from input_file")" 0 "input_file rows"
assert_eq "$(reg "select count(*) from application")" 0 "application rows"
assert_eq "$(reg "select count(*) from audit_log where entity = 'input_file' and event = 'abandoned'")" 1 "audit"
assert_eq "$(ls "$CARDPIPE_HOME/quarantine" "$CARDPIPE_HOME/archive" | grep -vc ':$\|^$')" 0 "nothing archived or quarantined"
cardpipe db check >/dev/null
cardpipe ingest
assert_ingested big.csv $((N + 1))
