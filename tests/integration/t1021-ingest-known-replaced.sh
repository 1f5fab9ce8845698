#!/bin/bash
# A file whose hash matches a file ingested before, but which its channel replaced under the
# same name after the reader hashed it, is not removed from the inbox: the new content is
# left for the next run, which ingests it.
source "$CARDPIPE_SRC/tests/integration/lib.sh"
source "$CARDPIPE_SRC/tests/integration/t1000-ingest-lib.bash"
ingest_setup work
export CARDPIPE_INGEST_THREADS=2
mkjpg $I/p.jpg 2
{ echo "$CSV_HEADER"; csv_row 1 p.jpg; } >$W/old.csv
cp $W/old.csv $I/z.csv
cardpipe ingest 2>/dev/null
assert_ingested z.csv 1
mkjpg $I/p.jpg 2
# the same bytes again under the same name, read after a large file
cp $W/old.csv $I/z.csv
N=40000
big_counter_csv "$I/a-big.csv" $N
{ echo "$CSV_HEADER"; csv_row 2 p.jpg; } >$W/new.csv
cardpipe ingest 2>$W/err &
pid=$!
sleep 0.5
kill -0 $pid 2>/dev/null || skip "ingest finished before the file could be replaced"
mv $W/new.csv $I/z.csv
rc=0
wait $pid || rc=$?
cat $W/err
assert_eq $rc 0 "ingest exit status"
[ -f $I/z.csv ] || fail "the new z.csv was removed from the inbox unread"
cmp -s $I/z.csv $W/old.csv && fail "z.csv is not the new content"
grep -q "file 'z.csv': changed since its hash was taken" $W/err || fail "no log line for z.csv"
mkjpg $I/p.jpg 2
cardpipe ingest 2>/dev/null
assert_eq "$(reg "select count(*) from application a join input_file f on f.id = a.file_id where f.name = 'z.csv'")" 2 "z.csv rows after the next run"
[ ! -e $I/z.csv ] || fail "z.csv still in the inbox after the next run"
