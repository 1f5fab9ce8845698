#!/bin/bash
# CSV quoting: a stray quote in a row rejects that row (csv-bad-quoting), a row with the
# wrong field count gives csv-field-count, the rest goes on; a quote left open at the end
# of the file or an unknown column quarantines the file (csv-malformed).
source "$CARDPIPE_SRC/tests/integration/lib.sh"
source "$CARDPIPE_SRC/tests/integration/t1000-ingest-lib.bash"
ingest_setup
I=$(inbox)
mkjpg $I/p.jpg 2
{
	echo "$CSV_HEADER"
	csv_row 1 p.jpg
	csv_row 2 p.jpg | sed 's/李四2/李"四2/'
	csv_row 3 p.jpg | sed 's/"北京市西城区, 金融街3号"/"北京市西城区, 金融街3号"x/'
	echo 'C0004,outlet,110101-001,short'
	csv_row 5 p.jpg
} >$I/rows.csv
{ echo "$CSV_HEADER"; csv_row 1 p.jpg; printf 'C0002,outlet,"never closed\n'; } >$I/open.csv
{ echo "$CSV_HEADER,extra"; csv_row 1 p.jpg; } >$I/unknown-col.csv
{ echo "$CSV_HEADER" | sed 's/,bank//'; csv_row 1 p.jpg; } >$I/missing-col.csv
expect_exit 1 cardpipe ingest
assert_ingested rows.csv 5
st() { reg "select state || ' ' || coalesce(reason_code, '') from application a join input_file f on f.id = a.file_id where f.name = '$1' and record_no = $2"; }
assert_eq "$(st rows.csv 1)" "received " "row 1"
assert_eq "$(st rows.csv 2)" "rejected csv-bad-quoting" "row 2 (quote inside a field)"
assert_eq "$(st rows.csv 3)" "rejected csv-bad-quoting" "row 3 (text after a closing quote)"
assert_eq "$(st rows.csv 4)" "rejected csv-field-count" "row 4"
assert_eq "$(st rows.csv 5)" "received " "row 5"
assert_eq "$(reg "select location || '|' || reason_detail from application where channel_ref = 'C0004'")" \
	"line 5|line 5: the row has 4 fields, the header has 27" "field count message"
assert_quarantined open.csv csv-malformed
assert_contains $CARDPIPE_HOME/quarantine/open.csv.report.txt "^line:     3$"
assert_quarantined unknown-col.csv csv-malformed
assert_contains $CARDPIPE_HOME/quarantine/unknown-col.csv.report.txt "unknown column 'extra'"
assert_quarantined missing-col.csv csv-malformed
assert_contains $CARDPIPE_HOME/quarantine/missing-col.csv.report.txt "lacks column(s): bank"
rerun_changes_nothing
