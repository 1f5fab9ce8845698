#!/bin/bash
# Valid files of every format are ingested whole: employer XML (UTF-8 and GB18030),
# gzip-compressed XML, online XML, counter CSV (UTF-8 and GB18030); photos stored once,
# 0600; files archived under their SHA-256; a rerun and a re-sent file change nothing.
# backends: sqlite postgresql
source "$CARDPIPE_SRC/tests/integration/lib.sh"
source "$CARDPIPE_SRC/tests/integration/t1000-ingest-lib.bash"
ingest_setup
I=$(inbox)
employer_xml $I/emp.xml 3
employer_xml $I/emp-gb.xml 2 GB18030
iconv -f UTF-8 -t GB18030 $I/emp-gb.xml >$I/x && mv $I/x $I/emp-gb.xml
employer_xml $I/z.xml 4 && gzip -n $I/z.xml
sed -e 's|<EmployerBatch xmlns="urn:cardpipe:employer-batch:1" version="1">|<OnlineApplications xmlns="urn:cardpipe:online:1" version="1" channel="jingtong">|' \
    -e 's|</EmployerBatch>|</OnlineApplications>|' -e '/<Employer>/d;/<BatchId>/d;/<SubmittedAt>/d;/Employees>/d;/<Confirmation/d' \
    -e 's|<Employee ref="\([^"]*\)">|<Application ref="\1" submittedAt="2026-11-25T08:00:00+08:00">|' -e 's|</Employee>|</Application>|' \
    $I/emp.xml >$I/online.xml
mkdir -p $I/photos && mkjpg $I/photos/p1.jpg 5
{ echo "$CSV_HEADER"; csv_row 1 photos/p1.jpg; csv_row 2 photos/p1.jpg; } >$I/counter.csv
{ echo '#encoding=gb18030'; echo "$CSV_HEADER"; csv_row 3 photos/p1.jpg; } | iconv -f UTF-8 -t GB18030 >$I/counter-gb.csv
cardpipe ingest
assert_ingested emp.xml 3
assert_ingested emp-gb.xml 2
assert_ingested z.xml.gz 4
assert_ingested online.xml 3
assert_ingested counter.csv 2
assert_ingested counter-gb.csv 1
assert_eq "$(reg "select count(*) from application where state <> 'received'")" 0 "all received"
assert_eq "$(reg "select name from application where location = 'line 3' and channel_ref = 'C0003'")" "李四3" "GB18030 CSV name"
assert_eq "$(reg "select a.name from application a join input_file f on f.id = a.file_id where f.name = 'emp-gb.xml' and record_no = 2")" "张三2" "GB18030 XML name"
assert_eq "$(reg "select a.channel || ' ' || location || ' ' || employer_uscc || ' ' || batch_id from application a join input_file f on f.id = a.file_id where f.name = 'emp.xml' and record_no = 2")" \
	"employer Employee[2] (line 17) 91110108MA01ABCD1X EMP-20261126-0001" "employer record fields"
assert_eq "$(reg "select a.channel || ' ' || submitted_at from application a join input_file f on f.id = a.file_id where f.name = 'online.xml' and record_no = 1")" \
	"jingtong 2026-11-25T08:00:00+08:00" "online record fields"
assert_eq "$(reg "select address || '|' || outlet from application where channel_ref = 'C0001'")" "北京市西城区, 金融街1号|110101-001" "quoted CSV field"
# two distinct photos (the XML one and the CSV one), each stored once in a private pack, at
# the place every record of it names
assert_eq "$(photos_stored_once)" 2 "photos stored once each"
assert_eq "$(reg "select count(distinct photo_sha256) from application")" 2 "photo_sha256 set"
[ -z "$(ls $I | grep -v photos)" ] || fail "inbox not emptied: $(ls $I)"
rerun_changes_nothing
# the same bytes sent again under another name: nothing new, removed from the inbox
cp "$CARDPIPE_HOME/archive/$(reg "select sha256 from input_file where name = 'emp.xml'")" $I/emp-again.xml
rerun_changes_nothing
[ ! -e $I/emp-again.xml ] || fail "re-sent file left in the inbox"
cardpipe db check >/dev/null
