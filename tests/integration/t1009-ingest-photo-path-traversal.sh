#!/bin/bash
# Photo references outside the file's folder ('..', absolute, through a symlink) reject only
# that record (photo-ref-outside), a missing photo gives photo-ref-missing; the others go on.
source "$CARDPIPE_SRC/tests/integration/lib.sh"
source "$CARDPIPE_SRC/tests/integration/t1000-ingest-lib.bash"
ingest_setup
I=$(inbox)
mkdir -p $I/photos && mkjpg $I/photos/ok.jpg 3
mkjpg $CARDPIPE_HOME/outside.jpg 4
ln -s $CARDPIPE_HOME/outside.jpg $I/photos/link.jpg
{
	printf '<?xml version="1.0" encoding="UTF-8"?>\n<EmployerBatch xmlns="urn:cardpipe:employer-batch:1" version="1">\n'
	printf '<Employer><Name>测试</Name><USCC>91110108MA01ABCD1X</USCC></Employer><BatchId>B1</BatchId><SubmittedAt>2026-11-26T09:30:00+08:00</SubmittedAt><Employees>\n'
	employee_xml 1 '<Photo href="photos/ok.jpg"/>'
	employee_xml 2 '<Photo href="../outside.jpg"/>'
	employee_xml 3 '<Photo href="/etc/passwd"/>'
	employee_xml 4 '<Photo href="photos/link.jpg"/>'
	employee_xml 5 '<Photo href="photos/none.jpg"/>'
	employee_xml 6 '<Photo href="photos/../photos/ok.jpg"/>'
	employee_xml 7 '<Photo href="photos/ok.jpg"/>'
	printf '</Employees></EmployerBatch>\n'
} >$I/batch.xml
{ echo "$CSV_HEADER"; csv_row 1 photos/ok.jpg; csv_row 2 ../../../etc/shadow; csv_row 3 photos/ok.jpg; } >$I/c.csv
cardpipe ingest || true
assert_ingested batch.xml 7
assert_ingested c.csv 3
st() { reg "select state || ' ' || coalesce(reason_code, '') from application a join input_file f on f.id = a.file_id where f.name = '$1' and record_no = $2"; }
assert_eq "$(st batch.xml 1)" "received " "record 1"
assert_eq "$(st batch.xml 2)" "rejected photo-ref-outside" "record 2 (..)"
assert_eq "$(st batch.xml 3)" "rejected photo-ref-outside" "record 3 (absolute)"
assert_eq "$(st batch.xml 4)" "rejected photo-ref-outside" "record 4 (symlink)"
assert_eq "$(st batch.xml 5)" "rejected photo-ref-missing" "record 5 (missing)"
assert_eq "$(st batch.xml 6)" "rejected photo-ref-outside" "record 6 (.. inside)"
assert_eq "$(st batch.xml 7)" "received " "record 7"
assert_eq "$(st c.csv 2)" "rejected photo-ref-outside" "csv record 2"
assert_eq "$(st c.csv 3)" "received " "csv record 3"
assert_eq "$(reg "select reason_field || '|' || reason_detail from application a join input_file f on f.id = a.file_id where f.name = 'batch.xml' and record_no = 2")" \
	"Photo|Employee[2] (line 14), field 'Photo': photo reference '../outside.jpg' has a '..' component (points outside the file's folder)" "message names element, line, field"
assert_eq "$(reg "select reason_en from application where reason_code = 'photo-ref-outside' limit 1")" "photo reference points outside the file's folder" "reason text"
rerun_changes_nothing
