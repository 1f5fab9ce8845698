#!/bin/bash
# t5000: cardpipe dispatch on produced cards: one batch, mail manifests (CSV with BOM, XML
# valid against formats/mail-manifest.xsd), valid and unique UPU S10 numbers, bags of one
# postal code within dispatch.bag_size, per-district summary, pickup and employer lists,
# no full ID number anywhere, files 0600; a second run does nothing; registry checks hold.
source "$CARDPIPE_SRC/tests/integration/lib.sh"
dispatch_fixture_home 20

cardpipe --set dispatch.bag_size=3 dispatch >run1.txt
assert_contains run1.txt "dispatched 20 card(s): 10 mail, 5 employer, 5 pickup"
batch="$CARDPIPE_HOME/out/dispatch/20261126-01"
for f in mail-manifest.csv mail-manifest.xml mail-districts.csv letters.pdf \
	pickup-BR00.csv pickup-BR01.csv pickup-BR02.csv; do
	[ -f "$batch/$f" ] || fail "missing $f"
	assert_eq "$(stat -c %a "$batch/$f")" 600 "mode of $f"
done
ls "$batch"/employer-*.csv >/dev/null || fail "no employer lists"
assert_eq "$(sqlite3 "$db" "SELECT count(*) FROM card WHERE state = 'dispatched'")" 20 "cards dispatched"

xmllint --noout --schema "$CARDPIPE_SRC/formats/mail-manifest.xsd" "$batch/mail-manifest.xml" \
	|| fail "manifest XML does not validate"
assert_eq "$(head -c 3 "$batch/mail-manifest.csv" | od -An -tx1 | tr -d ' ')" efbbbf "UTF-8 BOM"

# every S10 number: prefix, 8 digits, check digit (weights 8,6,4,2,3,5,9,7), country
tail -n +2 "$batch/mail-manifest.csv" | cut -d, -f3 >tracking.txt
# mailed to the person (10) and to the employer (5)
assert_eq "$(wc -l <tracking.txt)" 15 "one tracking number per mailed item"
assert_eq "$(sort -u tracking.txt | wc -l)" 15 "tracking numbers unique"
awk '{
	if (length($0) != 13 || $0 !~ /^EK[0-9]+CN$/) { print "bad format " $0; bad = 1; next }
	split("8 6 4 2 3 5 9 7", w, " "); s = 0
	for (i = 1; i <= 8; i++) s += substr($0, 2 + i, 1) * w[i]
	c = 11 - s % 11; if (c == 10) c = 0; if (c == 11) c = 5
	if (substr($0, 11, 1) != c) { print "bad check digit " $0; bad = 1 }
} END { exit bad }' tracking.txt || fail "S10 check digit"
assert_eq "$(sqlite3 "$db" "SELECT group_concat(tracking_no, ' ') FROM (SELECT tracking_no FROM dispatch_item WHERE tracking_no IS NOT NULL ORDER BY 1)")" \
	"$(sort tracking.txt | tr '\n' ' ' | sed 's/ $//')" "manifest numbers are the registry's"

# bags: one postal code each, at most 3 items
tail -n +2 "$batch/mail-manifest.csv" | awk -F, '{
	n[$2]++; if (!($2 in pc)) pc[$2] = $4; else if (pc[$2] != $4) { print "bag " $2 " mixes postal codes"; bad = 1 }
	if (substr($2, 1, 6) != $4) { print "bag " $2 " named for another postal code"; bad = 1 }
} END { for (b in n) if (n[b] > 3) { print "bag " b " has " n[b]; bad = 1 } exit bad }' || fail "bags"
# the district summary adds up to the manifest
assert_eq "$(tail -n +2 "$batch/mail-districts.csv" | awk -F, '{ s += $3 } END { print s }')" 15 "district sum"
head -1 "$batch/mail-districts.csv" | grep -q 'district,district_name,items,bags' || fail "district list header"

# personal data: masked ID numbers only, in every output and the log
if grep -rlE '11010119900[0-9]{7}' "$batch" "$CARDPIPE_HOME/log" 2>/dev/null; then
	fail "a full ID number in an output"
fi
grep -q '110101\*\*\*\*\*\*\*\*' "$batch/mail-manifest.csv" || fail "masked ID missing"

# idempotent
cardpipe dispatch >run2.txt
assert_contains run2.txt "dispatched 0 card(s)"
assert_eq "$(sqlite3 "$db" "SELECT count(*) FROM dispatch_item")" 20 "no new items"
cardpipe db check >check.txt || { cat check.txt; fail "registry checks"; }

# usage
cardpipe dispatch --help | grep -q -- "--file FILE" || fail "help"
expect_exit 2 cardpipe dispatch bogus
expect_exit 2 cardpipe dispatch return
echo ok
