#!/bin/bash
# A FIFO renamed over a listed inbox file does not make ingest block forever in open() (with
# the ingest lock held): the name is reported as not a regular file and left in the inbox,
# and the other files are ingested.
source "$CARDPIPE_SRC/tests/integration/lib.sh"
source "$CARDPIPE_SRC/tests/integration/t1000-ingest-lib.bash"
ingest_setup
command -v timeout >/dev/null || skip "timeout not installed"
I=$(inbox)
W=$PWD/work
mkdir -p "$W"
export CARDPIPE_INGEST_THREADS=1
mkjpg $I/p.jpg 2
for f in a-big b-big; do
	python3 - "$I/$f.csv" "$CSV_HEADER" 40000 "$f" <<'PY'
import sys
path, header, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
base = 1 if sys.argv[4] == "a-big" else 50000
with open(path, "w") as f:
    f.write(header + "\n")
    for k in range(base, base + n):
        f.write("C%06d,outlet,110101-001,2026-11-26T10:00:00+08:00,new,李四%d,citizen,"
                "1101011985%08d,2,01,1985-06-01,CHN,13900001111,insured,mail-person,"
                "\"北京市西城区, 金融街%d号\",100032,110102,,BOC,p.jpg,,,,,,\n" % (k, k, k, k))
PY
done
{ echo "$CSV_HEADER"; csv_row 1 p.jpg; } >$I/z.csv
timeout 40 cardpipe ingest 2>$W/err &
pid=$!
sleep 0.3
kill -0 $pid 2>/dev/null || skip "ingest finished before the FIFO could be put in place"
mkfifo $W/fifo
mv $W/fifo $I/z.csv
rc=0
wait $pid || rc=$?
cat $W/err
[ $rc -ne 124 ] || fail "ingest blocked on the FIFO"
grep -q "file 'z.csv': cannot be read: .*not a regular file" $W/err || fail "no log line for the FIFO"
[ -p $I/z.csv ] || fail "the FIFO left the inbox"
assert_ingested a-big.csv 40000
assert_ingested b-big.csv 40000
