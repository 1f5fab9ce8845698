#!/bin/bash
# t5002: after dispatch: delivery by tracking number, a carrier delivery file (good lines
# applied, bad ones reported with their line, exit 1), an employer return (manual item 14)
# and the overdue list 30 days on; states as `cardpipe status` shows them.
source "$CARDPIPE_SRC/tests/integration/lib.sh"
dispatch_fixture_home 8
cardpipe dispatch >/dev/null
export CARDPIPE_NOW=2026-12-02T20:00:00+08:00   # the events below are dated up to today
q() { sqlite3 "$db" "$1"; }
mail1=$(q "SELECT tracking_no FROM dispatch_item WHERE method = 'mail' ORDER BY tracking_no LIMIT 1")
mail2=$(q "SELECT c.card_no FROM dispatch_item d JOIN card c ON c.id = d.card_id WHERE d.method = 'mail' ORDER BY d.tracking_no LIMIT 1 OFFSET 1")
emp=($(q "SELECT c.card_no FROM dispatch_item d JOIN card c ON c.id = d.card_id WHERE d.method = 'employer' ORDER BY 1"))
pick=$(q "SELECT c.card_no FROM dispatch_item d JOIN card c ON c.id = d.card_id WHERE d.method = 'pickup' ORDER BY 1 LIMIT 1")

cardpipe dispatch delivered "$mail1" --date 2026-11-28
assert_eq "$(q "SELECT c.state || ' ' || d.state || ' ' || substr(d.delivered_at, 1, 10) FROM dispatch_item d JOIN card c ON c.id = d.card_id WHERE d.tracking_no = '$mail1'")" \
	"delivered delivered 2026-11-28" "delivered by tracking number"
cardpipe dispatch delivered "$mail1"   # again: already recorded, no error
expect_exit 3 cardpipe dispatch delivered NOSUCHCARD
expect_exit 3 cardpipe dispatch delivered "$mail2" --date 2026-02-30
expect_exit 3 cardpipe dispatch delivered "$mail2" --date 2099-01-01   # after today
expect_exit 3 cardpipe dispatch delivered "$mail2" --date 2026-11-01   # before dispatch

cat >delivery.csv <<CSV
key,event,date,note
# EMS file 2026-11-29
$mail2,delivered,2026-11-29,signed
$pick,delivered,2026-11-29
NOSUCHCARD,delivered
$mail1,returned,2026-11-30,refused
${emp[0]},lost
CSV
set +e; cardpipe dispatch delivered --file delivery.csv >file.txt 2>err.txt; rc=$?; set -e
assert_eq "$rc" 1 "a file with bad lines exits 1"
assert_contains file.txt "2 delivered, 0 handed out, 1 returned, 0 already recorded, 2 bad line(s)"
assert_contains err.txt "delivery.csv:5:"
assert_contains err.txt "delivery.csv:7:"
assert_eq "$(q "SELECT state FROM card WHERE card_no = '$mail2'")" delivered "file delivery"
assert_eq "$(q "SELECT d.state || ':' || d.event_detail FROM dispatch_item d WHERE d.tracking_no = '$mail1'")" "returned:refused" "returned by the post"

# the employer returns one card; 31 days later the other is overdue
cardpipe dispatch return "${emp[0]}" --reason "employee left"
assert_eq "$(q "SELECT state FROM card WHERE card_no = '${emp[0]}'")" returned "employer return"
expect_exit 3 cardpipe dispatch return "${emp[0]}x"
CARDPIPE_NOW=2026-12-20T10:00:00+08:00 cardpipe dispatch overdue >od1.csv 2>od1.err
assert_contains od1.err "0 employer card(s) overdue"
CARDPIPE_NOW=2026-12-27T10:00:00+08:00 cardpipe dispatch overdue --out od2.csv 2>od2.err
assert_contains od2.err "1 employer card(s) overdue"
assert_contains od2.csv "${emp[1]}"
assert_not_contains od2.csv "${emp[0]}"
assert_eq "$(stat -c %a od2.csv)" 600 "overdue list mode"
# the post delivered it to the employer: still overdue until handed out or returned
cardpipe dispatch delivered "${emp[1]}" --date 2026-11-28
CARDPIPE_NOW=2026-12-27T10:00:00+08:00 cardpipe dispatch overdue >od3.csv 2>od3.err
assert_contains od3.err "0 employer card(s) overdue"    # 29 days after it reached the employer
CARDPIPE_NOW=2026-12-29T10:00:00+08:00 cardpipe dispatch overdue >od4.csv 2>od4.err
assert_contains od4.err "1 employer card(s) overdue"
# the employer confirms it was handed out: no longer overdue
cardpipe dispatch handed-out "${emp[1]}" --date 2026-12-01
cardpipe dispatch handed-out "${emp[1]}"     # again: already recorded
expect_exit 3 cardpipe dispatch handed-out "$pick"   # not an employer delivery
CARDPIPE_NOW=2026-12-29T10:00:00+08:00 cardpipe dispatch overdue >od5.csv 2>od5.err
assert_contains od5.err "0 employer card(s) overdue"
id1=$(q "SELECT a.id_number FROM card c JOIN application a ON a.id = c.application_id WHERE c.card_no = '${emp[1]}'")
cardpipe status "$id1" >status1.txt
assert_contains status1.txt "delivered to the employer 2026-11-2"
assert_contains status1.txt "handed out by the employer 2026-12-0"

# what the hotline sees
id=$(q "SELECT a.id_number FROM card c JOIN application a ON a.id = c.application_id WHERE c.card_no = '${emp[0]}'")
cardpipe status "$id" >status.txt
assert_contains status.txt "returned"
assert_contains status.txt "employee left"
if grep -qF "$id" status.txt; then fail "full ID number shown"; fi
cardpipe db check >/dev/null || fail "registry checks"
echo ok
