#!/bin/bash
# A billion-laughs file is quarantined (entity-expansion) without expanding anything.
source "$CARDPIPE_SRC/tests/integration/lib.sh"
source "$CARDPIPE_SRC/tests/integration/t1000-ingest-lib.bash"
ingest_setup
I=$(inbox)
employer_xml $I/good.xml 1
cat >$I/laughs.xml <<'X'
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE EmployerBatch [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<EmployerBatch xmlns="urn:cardpipe:employer-batch:1" version="1"><Employer><Name>&lol9;</Name></Employer></EmployerBatch>
X
timeout 60 cardpipe ingest && fail "exit 0" || [ $? -eq 1 ] || fail "ingest did not finish cleanly"
assert_quarantined laughs.xml entity-expansion
assert_contains $CARDPIPE_HOME/quarantine/laughs.xml.report.txt "^line:     2$"
assert_ingested good.xml 1
rerun_changes_nothing
