#!/bin/bash
# t5020: `cardpipe status ID` shows every application of the person and where it stands,
# with the ID number masked in the output and the log; the status feed lists the changes
# since the last feed (a second feed is empty, a later change appears once).
source "$CARDPIPE_SRC/tests/integration/lib.sh"
dispatch_fixture_home 6
id=$(sqlite3 "$db" "SELECT id_number FROM application ORDER BY id LIMIT 1")
masked="${id:0:6}********${id:14:4}"

cardpipe status "$id" >s1.txt 2>s1.err
assert_contains s1.txt "3 application(s)"
assert_contains s1.txt "produced 2026-11-26, waiting for dispatch"
assert_contains s1.txt "rejected: photo-size"
assert_contains s1.txt "duplicate of application 1"
grep -qF "$masked" s1.txt || fail "masked ID number missing"
if grep -qF "$id" s1.txt; then fail "full ID number shown"; fi
expect_exit 3 cardpipe status 110101199912310000

cardpipe dispatch >/dev/null
cardpipe status --json "$id" >s2.txt
assert_contains s2.txt '"tracking_no":"EK'
assert_contains s2.txt '"card_state":"dispatched"'
if grep -rq "$id" "$CARDPIPE_HOME/log" s1.err; then fail "full ID number in a log"; fi

cardpipe status --feed --out feed1.jsonl >f1.txt
n1=$(wc -l <feed1.jsonl)
[ "$n1" -gt 0 ] || fail "first feed empty"
assert_contains f1.txt "$n1 change(s)"
if grep -qF "$id" feed1.jsonl; then fail "full ID number in the feed"; fi
# seq strictly increasing
awk -F'"seq":' '{ split($2, a, ","); if (a[1] + 0 <= last) bad = 1; last = a[1] + 0 } END { exit bad }' feed1.jsonl \
	|| fail "feed not in sequence order"
cardpipe status --feed --out feed2.jsonl >/dev/null
assert_eq "$(wc -c <feed2.jsonl)" 0 "second feed empty"
assert_eq "$(stat -c %a feed2.jsonl)" 600 "feed mode"
tn=$(sqlite3 "$db" "SELECT tracking_no FROM dispatch_item WHERE tracking_no IS NOT NULL LIMIT 1")
cardpipe dispatch delivered "$tn" >/dev/null 2>&1
cardpipe status --feed >f3.txt
f3=$(ls "$CARDPIPE_HOME"/out/status/status-feed-*.jsonl)
assert_eq "$(wc -l <"$f3")" 2 "one change of the item and one of its card"
assert_contains "$f3" '"state":"delivered"'
assert_contains "$f3" "\"tracking_no\":\"$tn\""
echo ok
