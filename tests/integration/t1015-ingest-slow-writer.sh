#!/bin/bash
# Files still being written are left in the inbox: a CSV, an XML and a gzip file written in
# two parts with a pause between (the writer keeps the file open) while ingest runs are not
# read, archived or quarantined; the next run after the writers finished takes every record.
# A file written by a writer that closes between chunks waits ingest.settle_seconds; temporary
# names of SFTP/rsync clients are never read; with ingest.require_done_marker a file waits
# for NAME.done, which is removed once the file is taken.
source "$CARDPIPE_SRC/tests/integration/lib.sh"
source "$CARDPIPE_SRC/tests/integration/t1000-ingest-lib.bash"
ingest_setup work
mkjpg $I/p.jpg 2
{ echo "$CSV_HEADER"; for k in $(seq 1 45); do csv_row $k p.jpg; done; } >$W/outlet.csv
employer_xml $W/emp.xml 30
{ echo "$CSV_HEADER"; for k in $(seq 101 140); do csv_row $k p.jpg; done; } >$W/gz.csv
head -n 20 $W/gz.csv | gzip -c >$W/gz1
tail -n +21 $W/gz.csv | gzip -c >$W/gz2

# three writers, each holding its file open across a pause
(head -n 20 $W/outlet.csv; sleep 5; tail -n +21 $W/outlet.csv) >$I/x.csv &
p1=$!
(head -n 100 $W/emp.xml; sleep 5; tail -n +101 $W/emp.xml) >$I/emp.xml &
p2=$!
(cat $W/gz1; sleep 5; cat $W/gz2) >$I/g.csv.gz &
p3=$!
sleep 1
cardpipe ingest 2>$W/err1 || true
cat $W/err1
for f in x.csv emp.xml g.csv.gz; do
	[ -f "$I/$f" ] || fail "$f taken from the inbox while it was being written"
	assert_eq "$(reg "select count(*) from input_file where name = '$f'")" 0 "registry rows of $f while written"
	grep -q "file '$f'.*being written" $W/err1 || fail "no log line saying $f is still being written"
done
assert_eq "$(ls "$CARDPIPE_HOME/quarantine" | wc -l)" 0 "nothing quarantined"
assert_eq "$(ls "$CARDPIPE_HOME/archive" | wc -l)" 0 "nothing archived"
wait $p1 $p2 $p3
cardpipe ingest
assert_ingested x.csv 45
assert_ingested emp.xml 30
assert_ingested g.csv.gz 40
cardpipe db check >/dev/null

# a photo still being written when its application file is complete: the file waits for it
mkjpg $W/late.jpg 9
(head -c 100 $W/late.jpg; sleep 4; tail -c +101 $W/late.jpg) >$I/late.jpg &
p4=$!
sleep 1
# each file brings its photo: an ingested file's photos went to the archive with it
[ -f $I/p.jpg ] || mkjpg $I/p.jpg 2
{ echo "$CSV_HEADER"; csv_row 150 p.jpg; csv_row 151 late.jpg; } >$I/late.csv
cardpipe ingest 2>$W/err4 || true
cat $W/err4
[ -f $I/late.csv ] || fail "late.csv taken while its photo was being written"
grep -q "file 'late.csv': its photo 'late.jpg' is still arriving" $W/err4 || fail "no log line for the photo"
assert_eq "$(reg "select count(*) from input_file where name = 'late.csv'")" 0 "registry rows of late.csv"
wait $p4
cardpipe ingest
assert_ingested late.csv 2
assert_eq "$(reg "select count(*) from application where channel_ref = 'C0151' and photo_sha256 = '$(sha256sum $W/late.jpg | cut -d' ' -f1)'")" 1 \
	"the whole photo stored"

# a writer that closes between chunks: the file must be unchanged for settle_seconds. Ingest
# waits that long for a file that just changed; one that changes again meanwhile is left.
export CARDPIPE_INGEST_SETTLE_SECONDS=3
# each file brings its photo: an ingested file's photos went to the archive with it
[ -f $I/p.jpg ] || mkjpg $I/p.jpg 2
{ echo "$CSV_HEADER"; for k in $(seq 201 210); do csv_row $k p.jpg; done; } >$I/chunks.csv
cardpipe ingest 2>$W/err2 &
p5=$!
sleep 1.5
for k in $(seq 211 220); do csv_row $k p.jpg; done >>$I/chunks.csv
wait $p5 || true
cat $W/err2
grep -q "waiting .* s for them to settle" $W/err2 || fail "no settle wait log line"
grep -q "file 'chunks.csv'.*changed . s ago" $W/err2 || fail "no log line for the file changed while settling"
[ -f $I/chunks.csv ] || fail "chunks.csv taken before it settled"
assert_eq "$(reg "select count(*) from input_file where name = 'chunks.csv'")" 0 "registry rows of chunks.csv"
# the next run waits the rest of the settle time and takes it whole
start=$(date +%s)
cardpipe ingest
assert_ingested chunks.csv 20
[ $(($(date +%s) - start)) -le 6 ] || fail "ingest waited longer than the settle time"
export CARDPIPE_INGEST_SETTLE_SECONDS=0

# temporary names of upload clients are never read
cp $W/outlet.csv "$I/.t.csv.Ab12Cd"      # rsync
cp $W/outlet.csv "$I/t2.csv.filepart"   # WinSCP
cp $W/outlet.csv "$I/t3.csv.part"       # lftp, curl
cp $W/outlet.csv "$I/t4.csv.tmp"
cardpipe ingest
for f in .t.csv.Ab12Cd t2.csv.filepart t3.csv.part t4.csv.tmp; do
	[ -f "$I/$f" ] || fail "temporary file $f was taken"
done
rm -f "$I/.t.csv.Ab12Cd" $I/t2.csv.filepart $I/t3.csv.part $I/t4.csv.tmp

# done markers: required, the file waits for NAME.done; the marker goes with the file
export CARDPIPE_INGEST_REQUIRE_DONE_MARKER=true
# each file brings its photo: an ingested file's photos went to the archive with it
[ -f $I/p.jpg ] || mkjpg $I/p.jpg 2
{ echo "$CSV_HEADER"; for k in $(seq 301 305); do csv_row $k p.jpg; done; } >$I/m.csv
cardpipe ingest 2>$W/err3 || true
[ -f $I/m.csv ] || fail "m.csv taken without its done marker"
grep -q "file 'm.csv'.*m.csv.done" $W/err3 || { cat $W/err3; fail "no log line about the marker"; }
: >$I/m.csv.done
cardpipe ingest
assert_ingested m.csv 5
[ ! -e $I/m.csv.done ] || fail "done marker left behind"
rerun_changes_nothing
