#!/bin/bash
# A photo pack damaged after ingest never puts another photo, or a damaged one, on a card:
#   - one byte of a photo flipped: prepare keeps ingest's check of it (it looks the photo up,
#     as it always did), and render, which reads the bytes against their hash, holds that
#     card and says why; the other cards are drawn;
#   - a run's packs gone: prepare judges each of its records photo-missing, the records of
#     the earlier run go on.
# backends: sqlite postgresql
source "$CARDPIPE_SRC/tests/integration/lib.sh"
source "$CARDPIPE_SRC/tests/integration/t1000-ingest-lib.bash"
ingest_setup
export CARDPIPE_NOW=2026-11-26T20:00:00+08:00
cardpipe sample --out gen --count 24 --seed 11 --bad-share 0 >/dev/null
find gen -mindepth 1 -maxdepth 1 ! -name expected.tsv -exec mv -t "$(inbox)" {} +
cardpipe ingest >/dev/null 2>&1 || fail "ingest"
photos_stored_once >/dev/null

# the photo of the first record: a byte in the middle of its bytes flipped
loc=$(reg "select photo_loc from application where photo_loc is not null order by id limit 1")
sha=$(reg "select photo_sha256 from application where photo_loc = '$loc' limit 1")
pack=$CARDPIPE_HOME/spool/photos/packs/${loc%:*}
off=$((${loc##*:} + 40 + 100))
byte=$(od -An -tu1 -j "$off" -N1 "$pack" | tr -d ' ')
printf "$(printf '\\%03o' $((byte ^ 0x20)))" | dd of="$pack" bs=1 seek="$off" conv=notrunc status=none
cardpipe prepare >/dev/null 2>&1 || fail "prepare"
cards=$(reg "select count(*) from card")
damaged=$(reg "select count(*) from card c join application a on a.id = c.application_id where a.photo_sha256 = '$sha'")
[ "$damaged" -ge 1 ] || fail "no card of the damaged photo"
cardpipe --set render.from_allocated=true render --no-proof >render.out 2>&1 || true
assert_eq "$(reg "select count(*) from card c join application a on a.id = c.application_id where a.photo_sha256 = '$sha' and c.state = 'held'")" \
	"$damaged" "the damaged photo's cards are held"
assert_contains <(reg "select c.held_reason from card c join application a on a.id = c.application_id where a.photo_sha256 = '$sha'") \
	"its bytes are damaged"
assert_eq "$(reg "select count(*) from card where state = 'rendered'")" $((cards - damaged)) "the other cards drawn"

# a second run whose packs are then lost
cardpipe sample --out gen2 --count 6 --seed 12 --bad-share 0 >/dev/null
find gen2 -mindepth 1 -maxdepth 1 ! -name expected.tsv -exec mv -t "$(inbox)" {} +
before=$(reg "select max(id) from application")
cardpipe ingest >/dev/null 2>&1 || fail "second ingest"
for l in $(reg "select distinct photo_loc from application where id > $before and photo_loc is not null"); do
	rm -f "$CARDPIPE_HOME/spool/photos/packs/${l%:*}"
done
cardpipe prepare >/dev/null 2>&1 || true
n2=$(reg "select count(*) from application where id > $before and photo_sha256 is not null")
[ "$n2" -ge 1 ] || fail "no record in the second run"
assert_eq "$(reg "select count(*) from application where id > $before and state = 'rejected' and reason_code = 'photo-missing'")" \
	"$n2" "the lost packs' records are photo-missing"
assert_contains <(reg "select reason_en from application where id > $before") "missing from the spool"
assert_eq "$(reg "select count(*) from card")" "$cards" "no card for them"
cardpipe db check >/dev/null || { cardpipe db check; fail "db check"; }
echo "t1024 ok"
