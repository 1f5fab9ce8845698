#!/bin/bash
# A truncated or corrupt gzip file is quarantined with truncated-gzip; a good .gz goes in.
source "$CARDPIPE_SRC/tests/integration/lib.sh"
source "$CARDPIPE_SRC/tests/integration/t1000-ingest-lib.bash"
ingest_setup
I=$(inbox)
employer_xml $I/t.xml 30
gzip -nc $I/t.xml | head -c 700 >$I/cut.xml.gz
gzip -nc $I/t.xml >$I/ok.xml.gz
python3 -c "import sys; d=bytearray(open(sys.argv[1],'rb').read()); d[200]^=0xff; d[201]^=0xff; open(sys.argv[2],'wb').write(d)" $I/ok.xml.gz $I/corrupt.xml.gz
rm $I/t.xml
expect_exit 1 cardpipe ingest
assert_quarantined cut.xml.gz truncated-gzip
assert_quarantined corrupt.xml.gz truncated-gzip
assert_ingested ok.xml.gz 30
rerun_changes_nothing
