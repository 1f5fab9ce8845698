#!/bin/bash
# A corrupt inline base64 photo rejects only its record (photo-base64-invalid); the others
# go on, in XML and in CSV.
source "$CARDPIPE_SRC/tests/integration/lib.sh"
source "$CARDPIPE_SRC/tests/integration/t1000-ingest-lib.bash"
ingest_setup
I=$(inbox)
mkjpg $I/p.jpg 9; b64=$(base64 -w0 $I/p.jpg); rm $I/p.jpg
{
	printf '<?xml version="1.0" encoding="UTF-8"?>\n<EmployerBatch xmlns="urn:cardpipe:employer-batch:1" version="1">\n'
	printf '<Employer><Name>测试</Name><USCC>91110108MA01ABCD1X</USCC></Employer><BatchId>B1</BatchId><SubmittedAt>2026-11-26T09:30:00+08:00</SubmittedAt><Employees>\n'
	employee_xml 1 "<Photo encoding=\"base64\">$b64</Photo>"
	employee_xml 2 '<Photo encoding="base64">/9j/4AAQ***not base64***</Photo>'
	employee_xml 3 "<Photo encoding=\"base64\">${b64:0:17}</Photo>"
	employee_xml 4 '<Photo encoding="base64"></Photo>'
	employee_xml 5 "<Photo encoding=\"base64\">$b64</Photo>"
	printf '</Employees></EmployerBatch>\n'
} >$I/batch.xml
{ echo "$CSV_HEADER"; csv_row 1 "base64:$b64"; csv_row 2 "base64:%%%%"; csv_row 3 "base64:$b64"; } >$I/c.csv
cardpipe ingest || true
assert_ingested batch.xml 5
assert_ingested c.csv 3
st() { reg "select state || ' ' || coalesce(reason_code, '') from application a join input_file f on f.id = a.file_id where f.name = '$1' and record_no = $2"; }
assert_eq "$(st batch.xml 1)" "received " "record 1"
for k in 2 3 4; do assert_eq "$(st batch.xml $k)" "rejected photo-base64-invalid" "record $k"; done
assert_eq "$(st batch.xml 5)" "received " "record 5"
assert_eq "$(st c.csv 2)" "rejected photo-base64-invalid" "csv record 2"
assert_eq "$(st c.csv 3)" "received " "csv record 3"
assert_contains <(reg "select reason_detail from application where reason_code = 'photo-base64-invalid'") "Employee\[2\] (line 14), field 'Photo': inline photo is not valid base64: invalid base64 character 0x2a"
sha=$(printf '%s' "$b64" | base64 -d | sha256sum | cut -d' ' -f1)
assert_eq "$(photos_stored_once)" 1 "one photo stored"
assert_eq "$(reg "select distinct photo_sha256 from application where photo_loc is not null")" "$sha" "the good photo"
rerun_changes_nothing
