#!/bin/bash
# A gzip file that expands past ingest.max_gzip_ratio is quarantined as gzip-bomb after
# reading only a bounded prefix; a good file goes in.
source "$CARDPIPE_SRC/tests/integration/lib.sh"
source "$CARDPIPE_SRC/tests/integration/t1000-ingest-lib.bash"
ingest_setup
I=$(inbox)
employer_xml $I/good.xml 2
python3 - $I/bomb.xml.gz <<'PY'
import gzip, sys
head = b'<?xml version="1.0"?><EmployerBatch xmlns="urn:cardpipe:employer-batch:1" version="1"><!--'
with gzip.open(sys.argv[1], "wb", 9) as f:
    f.write(head)
    for _ in range(1024):
        f.write(b" " * (1 << 20))   # 1 GiB of spaces, about 1 MB compressed
    f.write(b"--></EmployerBatch>")
PY
/usr/bin/time -f "%M" -o $CARDPIPE_HOME/rss cardpipe ingest && fail "exit 0" || true
assert_quarantined bomb.xml.gz gzip-bomb
assert_contains $CARDPIPE_HOME/quarantine/bomb.xml.gz.report.txt "max_gzip_ratio"
rss=$(tail -1 $CARDPIPE_HOME/rss 2>/dev/null || echo 0)
[ "${rss:-0}" -lt 200000 ] || fail "ingest used ${rss} KB on a bomb"
assert_ingested good.xml 2
rerun_changes_nothing
