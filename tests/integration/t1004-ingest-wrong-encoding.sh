#!/bin/bash
# A file not in its declared encoding is quarantined with bad-encoding: XML declared UTF-8
# holding GB18030 bytes, XML declaring an unsupported encoding, a CSV declared UTF-8 with
# GB18030 bytes, a UTF-16 file. A correctly declared GB18030 file beside them goes in.
source "$CARDPIPE_SRC/tests/integration/lib.sh"
source "$CARDPIPE_SRC/tests/integration/t1000-ingest-lib.bash"
ingest_setup
I=$(inbox)
employer_xml $I/gb-as-utf8.xml 2
iconv -f UTF-8 -t GB18030 $I/gb-as-utf8.xml >$I/x && mv $I/x $I/gb-as-utf8.xml
employer_xml $I/latin.xml 1 ISO-8859-1
employer_xml $I/good-gb.xml 2 GB18030
iconv -f UTF-8 -t GB18030 $I/good-gb.xml >$I/x && mv $I/x $I/good-gb.xml
mkjpg $I/p.jpg
{ echo '#encoding=utf-8'; echo "$CSV_HEADER"; csv_row 1 p.jpg; } | iconv -f UTF-8 -t GB18030 >$I/c.csv
employer_xml $I/u16.xml 1 UTF-16; iconv -f UTF-8 -t UTF-16 $I/u16.xml >$I/x && mv $I/x $I/u16.xml
expect_exit 1 cardpipe ingest
for f in gb-as-utf8.xml latin.xml c.csv u16.xml; do assert_quarantined $f bad-encoding; done
assert_contains $CARDPIPE_HOME/quarantine/gb-as-utf8.xml.report.txt "^line:     3$"
assert_contains $CARDPIPE_HOME/quarantine/c.csv.report.txt "^line:     3$"
assert_ingested good-gb.xml 2
rerun_changes_nothing
