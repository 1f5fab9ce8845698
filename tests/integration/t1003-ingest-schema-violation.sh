#!/bin/bash
# A file breaking its schema (a value outside an enumeration, an element out of order, a
# wrong fixed dd attribute) is quarantined with schema-violation, naming the line.
source "$CARDPIPE_SRC/tests/integration/lib.sh"
source "$CARDPIPE_SRC/tests/integration/t1000-ingest-lib.bash"
ingest_setup
I=$(inbox)
employer_xml $I/a-good.xml 2
employer_xml $I/sex.xml 3; sed -i '0,/<Sex>1</s//<Sex>3</' $I/sex.xml
employer_xml $I/order.xml 2; sed -i '0,/<Bank>ICBC<\/Bank>/s///' $I/order.xml
employer_xml $I/dd.xml 2; sed -i '0,/dd="AAC003"/s//dd="AAC002"/' $I/dd.xml
employer_xml $I/late.xml 40; sed -i '0,/<Ethnicity>01</s//<Ethnicity>x1</;s/<Ethnicity>01<\/Ethnicity><BirthDate>1990-03-07<\/BirthDate>/<Ethnicity>01<\/Ethnicity><BirthDate>1990-03-07<\/BirthDate>/' $I/late.xml
expect_exit 1 cardpipe ingest
for f in sex order dd late; do assert_quarantined $f.xml schema-violation; done
assert_contains $CARDPIPE_HOME/quarantine/sex.xml.report.txt "^line:     10$"
assert_contains $CARDPIPE_HOME/quarantine/sex.xml.report.txt "Sex"
assert_contains $CARDPIPE_HOME/quarantine/dd.xml.report.txt "fixed value"
assert_ingested a-good.xml 2
rerun_changes_nothing
