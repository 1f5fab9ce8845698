#!/bin/bash
# t0151: the working-day calendar runs out (issue 16, section 2). With the clock at
# 2026-12-29 and a calendar that ends on 2026-12-31: every run warns, prepare holds the
# replacements whose 4 working days reach into 2027 as calendar-missing, `db check` prints
# WARN lines, nightly exits 1 with both in red in its run report. `cardpipe calendar import`
# of the 2027 notice (--dry-run first; a second import needs --replace) writes
# CARDPIPE_HOME/calendar.txt, the shipped calendar plus 2027; the next prepare judges the held
# applications again and accepts them with due dates counted over the 2027 New Year holiday,
# on the record; nightly exits 0 and nothing warns.
source "$CARDPIPE_SRC/tests/integration/lib.sh"
command -v sqlite3 >/dev/null || skip "sqlite3 CLI not installed"

export CARDPIPE_NOW=2026-12-29T20:00:00+08:00
DB=$CARDPIPE_HOME/registry.db
cardpipe --quiet init
cardpipe --quiet keys ceremony --test >/dev/null
cardpipe sample --out gen --count 200 --seed 16 --bad-share 0 >/dev/null
rm gen/expected.tsv
mv gen/* "$CARDPIPE_HOME/inbox/"
cardpipe ingest >ingest.out 2>ingest.err
assert_contains ingest.err "ends on 2026-12-31, in 2 day(s)"

# 1. prepare warns and holds the replacements due in 2027
cardpipe prepare >prepare.out 2>prepare.err || fail "prepare exited $?"
assert_contains prepare.err "ends on 2026-12-31, in 2 day(s) (calendar.warn_days is 60)"
q() { sqlite3 "$DB" "$1"; }
held=$(q "SELECT count(*) FROM application WHERE state = 'held' AND reason_code = 'calendar-missing'")
[ "$held" -gt 0 ] || fail "no application held for calendar-missing"
assert_eq "$(q "SELECT count(*) FROM application WHERE reason_code = 'calendar-missing' AND app_type NOT LIKE 'replace-%' AND app_type NOT LIKE 'change-%'")" 0 "only replacements and changes (working-day SLA) are held"
# every held one is due after 2026-12-31; every accepted replacement is due by then
q "SELECT id, substr(submitted_at, 1, 10) FROM application WHERE reason_code = 'calendar-missing'" >held.txt
while IFS='|' read -r id day; do
	expect_exit 3 cardpipe calendar add-working-days "$day" 4 2>/dev/null
done <held.txt
assert_eq "$(q "SELECT count(*) FROM application WHERE state = 'accepted' AND (app_type LIKE 'replace-%' OR app_type LIKE 'change-%') AND due_date > '2026-12-31'")" 0 "accepted replacements due in 2027"
replaced=$(q "SELECT count(*) FROM application WHERE state = 'accepted' AND app_type LIKE 'replace-%'")
[ "$replaced" -gt 0 ] || fail "no replacement accepted: the sample does not test the boundary"

# 2. db check says so, and still passes
cardpipe db check >check.out || { cat check.out; fail "db check"; }
assert_contains check.out "WARN  the working-day calendar .* ends on 2026-12-31"
assert_contains check.out "WARN  $held application(s) held for calendar-missing"
assert_contains check.out "all checks passed"

# 3. nightly: exit 1 (records need attention), the warnings in red in the run report
expect_exit 1 cardpipe nightly --no-produce 2>nightly.err
assert_contains nightly.err "nightly: warning: the working-day calendar .* ends on 2026-12-31"
assert_contains nightly.err "nightly: warning: $held application(s) held for calendar-missing"
report=$(ls -t "$CARDPIPE_HOME"/out/reports/run-*.html | head -1)
assert_contains "$report" '<p class="warning">the working-day calendar'
assert_contains "$report" "<p class=\"warning\">$held application(s) held for calendar-missing"
assert_contains "$report" '.warning{color:#b00020'

# 4. the 2027 notice (a test notice in the published form; the dates are made up)
cat >notice-2027.txt <<'NOTICE'
国务院办公厅关于2027年
部分节假日安排的通知
国办发明电〔2026〕99号

各省、自治区、直辖市人民政府，国务院各部委、各直属机构：
　　经国务院批准，现将2027年元旦、春节、清明节、劳动节、端午节、中秋节和国庆节放假调休日期的具体安排通知如下。
　　一、元旦：1月1日（周五）至3日（周日）放假，共3天。
　　二、春节：2月6日（农历除夕、周六）至14日（周日）放假调休，共9天。2月20日（周六）上班。
　　三、清明节：4月3日（周六）至5日（周一）放假，共3天。
　　四、劳动节：5月1日（周六）至5日（周三）放假调休，共5天。4月25日（周日）上班。
　　五、端午节：6月9日（周三）放假1天，不调休。
　　六、中秋节：9月15日（周三）放假1天，不调休。
　　七、国庆节：10月1日（周五）至7日（周四）放假调休，共7天。9月26日（周日）、10月9日（周六）上班。
　　节假日期间，各地区、各部门要妥善安排好值班和安全、保卫等工作。

国务院办公厅
2026年11月20日
NOTICE
cardpipe calendar import --dry-run notice-2027.txt >dry.out
assert_contains dry.out "days off 2027-01-01 周五 to 2027-01-03 周日 (3 days)"
assert_contains dry.out "make-up working day 2027-02-20 周六"
assert_contains dry.out "year 2027 国办发明电〔2026〕99号 (2026-11-20)"
assert_contains dry.out "not changed"
[ ! -e "$CARDPIPE_HOME/calendar.txt" ] || fail "--dry-run wrote the calendar"
# a notice with a wrong weekday is refused, naming the line
sed 's/5月1日（周六）/5月1日（周五）/' notice-2027.txt >bad-2027.txt
expect_exit 3 cardpipe calendar import bad-2027.txt 2>bad.err
assert_contains bad.err "bad-2027.txt:10: item 4 (劳动节): 2027-05-01 is a 周六, but the notice says 周五"
[ ! -e "$CARDPIPE_HOME/calendar.txt" ] || fail "a refused notice wrote the calendar"

cardpipe calendar import notice-2027.txt >import.out
assert_contains import.out "written"
CAL=$CARDPIPE_HOME/calendar.txt
shipped=$CARDPIPE_SRC/data/calendar.txt
# the shipped calendar, a blank line, then 2027
cmp -s <(head -c "$(stat -c %s "$shipped")" "$CAL") "$shipped" || fail "the home calendar does not start with the shipped one"
assert_eq "$(tail -n +"$(($(wc -l <"$shipped") + 2))" "$CAL" | head -1)" "year 2027 国办发明电〔2026〕99号 (2026-11-20)" "2027 block"
before=$(sha256sum <"$CAL")
expect_exit 3 cardpipe calendar import notice-2027.txt 2>again.err
assert_contains again.err "has 2027 already"
assert_eq "$(sha256sum <"$CAL")" "$before" "a refused import changed the calendar"
cardpipe calendar import --replace notice-2027.txt >/dev/null
assert_eq "$(sha256sum <"$CAL")" "$before" "--replace with the same notice"
assert_eq "$(cardpipe calendar is-working-day 2027-01-04)" "yes" "the first working day of 2027"

# 5. the next prepare releases them: accepted, due over the New Year holiday, on the record
cardpipe prepare >prepare2.out 2>prepare2.err || fail "second prepare exited $?"
assert_not_contains prepare2.err "working-day calendar"
assert_eq "$(q "SELECT count(*) FROM application WHERE state = 'held'")" 0 "still held"
while IFS='|' read -r id day; do
	want=$(cardpipe calendar add-working-days "$day" 4)
	assert_eq "$(q "SELECT state || ' ' || due_date FROM application WHERE id = $id")" "accepted $want" "application $id"
	assert_eq "$(q "SELECT group_concat(event || ':' || detail, ',') FROM audit_log WHERE entity = 'application' AND entity_id = $id")" \
		"received->held:calendar-missing,held->received:calendar-missing,received->accepted:" "audit of application $id"
done <held.txt
assert_eq "$(q "SELECT count(*) FROM application WHERE reason_code IS NOT NULL AND state IN ('received','accepted')")" 0 "reasons left on accepted rows"

# 6. nothing needs attention now
cardpipe db check >check2.out || { cat check2.out; fail "db check after the import"; }
assert_not_contains check2.out "WARN"
expect_exit 0 cardpipe --quiet nightly --no-produce
echo "t0151 ok: $held of 200 held, released after the import"
