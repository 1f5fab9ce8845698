#!/bin/bash
# `cardpipe photo`: an operator takes one stored photo out, and checks them all.
#   - get writes exactly the bytes the channel sent (the pack's entry, the recorded hash),
#     mode 0600, found by application or by card, and records it in the audit log with the
#     file's absolute path; a file that exists, an unknown card, a damaged photo are refused
#     with nothing written and nothing recorded;
#   - check reads every stored photo against its hash and names each one missing or
#     damaged, with its application and card; exit 3 when any is.
# backends: sqlite postgresql
source "$CARDPIPE_SRC/tests/integration/lib.sh"
source "$CARDPIPE_SRC/tests/integration/t1000-ingest-lib.bash"
ingest_setup
export CARDPIPE_NOW=2026-11-26T20:00:00+08:00
cardpipe sample --out gen --count 12 --seed 21 --bad-share 0 >/dev/null
find gen -mindepth 1 -maxdepth 1 ! -name expected.tsv -exec mv -t "$(inbox)" {} +
cardpipe ingest >/dev/null 2>&1 || fail "ingest"
cardpipe prepare >/dev/null 2>&1 || fail "prepare"
stored=$(reg "select count(*) from application where photo_sha256 is not null")
[ "$stored" -ge 10 ] || fail "only $stored stored photos"
audit_rows() { reg "select count(*) from audit_log where event = 'photo-exported'"; }

# every photo reads back
cardpipe photo check >check.out 2>&1 || { cat check.out; fail "photo check of an intact spool"; }
assert_contains check.out "^$stored stored photo(s) checked: 0 missing, 0 damaged$"

# get by application: the channel's bytes, 0600, on record
app=$(reg "select min(id) from application where photo_sha256 is not null")
loc=$(reg "select photo_loc from application where id = $app")
sha=$(reg "select photo_sha256 from application where id = $app")
cardpipe photo get --application "$app" --out app.jpg >get.out || fail "photo get --application"
pack_photo "$loc" >want.jpg
cmp -s app.jpg want.jpg || fail "the photo taken out is not the pack's entry"
assert_eq "$(sha256sum <app.jpg | cut -d' ' -f1)" "$sha" "the photo taken out has its recorded hash"
assert_eq "$(stat -c %a app.jpg)" 600 "the photo file's mode"
assert_contains get.out "application $app: photo written to app.jpg ($(stat -c %s app.jpg) bytes, sha256 $sha)"
assert_eq "$(reg "select actor || '|' || entity || '|' || entity_id || '|' || detail from audit_log where event = 'photo-exported'")" \
	"operator:photo|application|$app|to $PWD/app.jpg, $(stat -c %s app.jpg) bytes, sha256 $sha" \
	"the audit row of the export"

# get by card: the photo of that card's application
card_app=$(reg "select max(application_id) from card")
card=$(reg "select card_no from card where application_id = $card_app")
cardpipe photo get --card "$card" --out card.jpg >/dev/null || fail "photo get --card"
assert_eq "$(sha256sum <card.jpg | cut -d' ' -f1)" \
	"$(reg "select photo_sha256 from application where id = $card_app")" "the card's photo"
assert_eq "$(audit_rows)" 2 "one audit row per photo taken out"

# refused: nothing written, nothing recorded
cp want.jpg keep.jpg
expect_exit 3 cardpipe photo get --application "$card_app" --out keep.jpg 2>refused.out
assert_contains refused.out "'keep.jpg' exists; name a new file"
cmp -s keep.jpg want.jpg || fail "an existing file was overwritten"
expect_exit 3 cardpipe photo get --card NOSUCH1 --out nosuch.jpg 2>refused.out
assert_contains refused.out "no card 'NOSUCH1' in the registry"
expect_exit 3 cardpipe photo get --application 999999 --out nosuch.jpg 2>refused.out
assert_contains refused.out "no application 999999 in the registry"
expect_exit 2 cardpipe photo get --application 1x --out nosuch.jpg 2>refused.out
assert_contains refused.out "--application '1x' is not an application number"
expect_exit 2 cardpipe photo get --application 1 --card "$card" --out nosuch.jpg 2>/dev/null
expect_exit 2 cardpipe photo get --application 1 2>/dev/null
[ ! -e nosuch.jpg ] || fail "a refused get wrote its file"
assert_eq "$(audit_rows)" 2 "no audit row for a refused get"

# a record ingest rejected for its photo has none to take out
{ echo "$CSV_HEADER"; csv_row 1 "base64:%%%%"; } >"$(inbox)/nophoto.csv"
cardpipe ingest >/dev/null 2>&1 || true
nophoto=$(reg "select a.id from application a join input_file f on f.id = a.file_id where f.name = 'nophoto.csv'")
[ -n "$nophoto" ] || fail "no row for the record without a photo"
expect_exit 3 cardpipe photo get --application "$nophoto" --out nophoto.jpg 2>refused.out
assert_contains refused.out "application $nophoto has no stored photo"
[ ! -e nophoto.jpg ] || fail "a file for a record without a photo"
assert_eq "$(audit_rows)" 2 "no audit row for a record without a photo"

# one byte of the first photo flipped: check names it, get refuses it
off=$((${loc##*:} + 40 + 200))
pack=$CARDPIPE_HOME/spool/photos/packs/${loc%:*}
byte=$(od -An -tu1 -j "$off" -N1 "$pack" | tr -d ' ')
printf "$(printf '\\%03o' $((byte ^ 0x20)))" | dd of="$pack" bs=1 seek="$off" conv=notrunc status=none
same=$(reg "select count(*) from application where photo_loc = '$loc'")
expect_exit 3 cardpipe photo check >check.out 2>check.err
assert_contains check.out "^application $app[ :(].*damaged: photo $sha ($loc): its bytes are damaged$"
assert_eq "$(grep -c ': damaged: ' check.out)" "$same" "only the damaged photo's applications are named"
assert_contains check.out "^$stored stored photo(s) checked: 0 missing, $same damaged$"
assert_contains check.err "do not read back"
expect_exit 3 cardpipe photo get --application "$app" --out damaged.jpg 2>refused.out
assert_contains refused.out "its bytes are damaged"
[ ! -e damaged.jpg ] || fail "a damaged photo was written"
assert_eq "$(audit_rows)" 2 "no audit row for a damaged photo"

# a pack lost: its photos are missing, named with their card
lost=$(reg "select photo_loc from application where photo_loc not like '${loc%:*}:%' and photo_loc is not null limit 1")
[ -n "$lost" ] || lost=$loc
rm -f "$CARDPIPE_HOME/spool/photos/packs/${lost%:*}"
gone=$(reg "select count(*) from application where photo_loc like '${lost%:*}:%'")
expect_exit 3 cardpipe photo check >check.out 2>/dev/null
assert_eq "$(grep -c ': missing: ' check.out)" "$gone" "every photo of the lost pack is named missing"
cardpipe db verify-audit >/dev/null || fail "the audit chain after the exports"
echo "t1025 ok"
