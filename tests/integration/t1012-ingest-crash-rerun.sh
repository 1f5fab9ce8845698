#!/bin/bash
# A file left 'ingesting' by a crash (rows of a committed batch, no end) is redone from
# scratch on the next run: same rows as an uninterrupted run, conservation holds.
source "$CARDPIPE_SRC/tests/integration/lib.sh"
source "$CARDPIPE_SRC/tests/integration/t1000-ingest-lib.bash"
ingest_setup
I=$(inbox)
employer_xml $I/big.xml 2500
sha=$(sha256sum $I/big.xml | cut -d' ' -f1)
# what a crash after the first batch leaves: the file 'ingesting' and some of its rows
reg "insert into input_file(sha256, name, channel, format, received_at, status) values('$sha', 'big.xml', 'unknown', 'unknown', '2026-11-26T00:00:00Z', 'ingesting');
     insert into application(file_id, record_no, location, channel, created_at, updated_at) select 1, value, 'x', 'employer', 'now', 'now' from generate_series(1, 2000);" 2>/dev/null ||
reg "insert into input_file(sha256, name, channel, format, received_at, status) values('$sha', 'big.xml', 'unknown', 'unknown', '2026-11-26T00:00:00Z', 'ingesting');
     with recursive n(v) as (select 1 union all select v + 1 from n where v < 2000)
     insert into application(file_id, record_no, location, channel, created_at, updated_at) select 1, v, 'x', 'employer', 'now', 'now' from n;"
# a crashed ingest's committed batch was sealed by cardpipe: seal the hand-made rows the same way
cardpipe db reseal >/dev/null
cardpipe ingest
assert_ingested big.xml 2500
assert_eq "$(reg "select count(*) from application where location = 'x'")" 0 "stale rows gone"
assert_eq "$(reg "select min(record_no) || '-' || max(record_no) from application")" "1-2500" "record numbers"
cardpipe db check >/dev/null
rerun_changes_nothing
