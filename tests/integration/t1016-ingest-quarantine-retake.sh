#!/bin/bash
# A quarantined file that is later replaced by a complete file of the same name is taken
# again: resent into the inbox under the same name, or completed in quarantine/ by a writer
# that still had it open when it was moved there.
source "$CARDPIPE_SRC/tests/integration/lib.sh"
source "$CARDPIPE_SRC/tests/integration/t1000-ingest-lib.bash"
ingest_setup work
Q=$CARDPIPE_HOME/quarantine
employer_xml $W/emp.xml 12
employer_xml $W/b.xml 7
head -n 60 $W/emp.xml >$I/emp.xml
head -n 40 $W/b.xml >$I/b.xml
expect_exit 1 cardpipe ingest
assert_quarantined emp.xml not-well-formed
assert_quarantined b.xml not-well-formed

# resent complete under the same name
cp $W/emp.xml $I/emp.xml
cardpipe ingest
assert_eq "$(reg "select status || ' ' || records || ' ' || archived_as from input_file where name = 'emp.xml' order by id desc limit 1")" \
	"ingested 12 archive/$(sha256sum $W/emp.xml | cut -d' ' -f1)" "resent emp.xml"
[ -f $Q/emp.xml.report.txt ] || fail "the first copy's report went away"

# completed where it lies: the quarantined copy now holds the whole file
tail -n +41 $W/b.xml >>$Q/b.xml
cardpipe ingest 2>$W/err || { cat $W/err; fail "ingest of the completed quarantined file"; }
cat $W/err
grep -q "b.xml.*changed since it was quarantined" $W/err || fail "no log line for the retaken file"
assert_eq "$(reg "select status || ' ' || records from input_file where name = 'b.xml' order by id desc limit 1")" \
	"ingested 7" "completed b.xml"
[ ! -e $Q/b.xml ] || fail "the completed copy stays in quarantine"
[ ! -e $Q/b.xml.report.txt ] || fail "the stale report stays in quarantine"
assert_eq "$(reg "select count(*) from input_file where name = 'b.xml' and status = 'quarantined'")" 1 \
	"the partial copy's record stays"
cardpipe db check >/dev/null
rerun_changes_nothing
