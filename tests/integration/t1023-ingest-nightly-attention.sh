#!/bin/bash
# nightly exits 1 whenever `cardpipe ingest` alone would: here the share of records rejected
# by ingest (photos missing) is over general.reject_threshold, no file is quarantined.
source "$CARDPIPE_SRC/tests/integration/lib.sh"
source "$CARDPIPE_SRC/tests/integration/t1000-ingest-lib.bash"
export CARDPIPE_NOW=2026-11-26T22:30:00+08:00
ingest_setup
cardpipe --quiet keys ceremony --test >/dev/null
I=$(inbox)
{ echo "$CSV_HEADER"; csv_row 1 nophoto1.jpg; csv_row 2 nophoto2.jpg; } >$I/a.csv
cp $I/a.csv $PWD/a.csv
rc=0
cardpipe nightly 2>err || rc=$?
cat err
assert_eq "$(reg "select status from input_file where name = 'a.csv'")" ingested "a.csv ingested"
assert_eq $rc 1 "nightly exit status"
grep -q "ingest needs attention" err || fail "no log line saying why"
# and ingest alone says the same of the same file
export CARDPIPE_HOME=$PWD/home2
ingest_setup
cp $PWD/a.csv "$CARDPIPE_HOME/inbox/"
expect_exit 1 cardpipe ingest
