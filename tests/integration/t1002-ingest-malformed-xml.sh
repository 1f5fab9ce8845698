#!/bin/bash
# A file that is not well-formed XML is quarantined (not-well-formed, with its line);
# the good file beside it is ingested; a rerun changes nothing.
source "$CARDPIPE_SRC/tests/integration/lib.sh"
source "$CARDPIPE_SRC/tests/integration/t1000-ingest-lib.bash"
ingest_setup
I=$(inbox)
employer_xml $I/a-good.xml 3
employer_xml $I/b-bad.xml 3
sed -i 's|</Employees>|</Employes>|' $I/b-bad.xml
expect_exit 1 cardpipe ingest
assert_quarantined b-bad.xml not-well-formed
assert_contains $CARDPIPE_HOME/quarantine/b-bad.xml.report.txt "^line:     3[0-9]$"
assert_contains $CARDPIPE_HOME/quarantine/b-bad.xml.report.txt "tag mismatch"
assert_ingested a-good.xml 3
rerun_changes_nothing
# the same bad name again: quarantined under a unique name, the first kept
employer_xml $I/b-bad.xml 2; sed -i 's|</Employees>|</Employes>|' $I/b-bad.xml
expect_exit 1 cardpipe ingest
[ -f $CARDPIPE_HOME/quarantine/b-bad.1.xml ] && [ -f $CARDPIPE_HOME/quarantine/b-bad.1.xml.report.txt ] || fail "unique quarantine name: $(ls $CARDPIPE_HOME/quarantine)"
[ -f $CARDPIPE_HOME/quarantine/b-bad.xml ] || fail "first quarantined file lost"
cardpipe db check >/dev/null
