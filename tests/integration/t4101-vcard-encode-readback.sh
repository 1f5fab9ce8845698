#!/bin/bash
# The chip half of the line through the real pcscd + vpcd: a fresh virtual card is
# personalised by the encoder (SCP03 C-MAC + C-DEC with kdf3 keys), read back by an
# independent pyscard client, kept after it leaves, put back, and refuses a second
# personalisation.
source "$CARDPIPE_SRC/tests/integration/t4100-vcard-lib.bash"

SERIAL=1A2B3C4D5E6F7081
ans=$(vctl INSERT-NEW $SERIAL)
assert_eq "$ans" "OK 110000D156000005$SERIAL" "INSERT-NEW answers the card identifier"
assert_eq "$(vctl INSERT-NEW 1A2B3C4D5E6F7082)" \
	"ERR a card is already in the reader: REMOVE it first" "one card at a time"

script_perso "$W/perso.txt"
out=$(pcsc-encode --kmc-file "$KMC_FILE" --transport-file "$TK_FILE" --script "$W/perso.txt" \
	--card-no B00000001)
echo "$out"
case "$out" in
"OK 110000D156000005$SERIAL apdus=28 checked=14 atr=3BE800008131FE45435056432D53303398 locked=20"*"Z card=SECURED transitions=4") ;;
*) fail "encoder: $out" ;;
esac

# An independent client reads the SSSE records back.
$PY "$CARDPIPE_SRC/tests/integration/read_card.py" \
	--app A000000333010101:1:1 --app A000000333010101:1:2 --get-data A000000632010105:9F0C \
	--get-data A000000632010105:8000 \
	>"$W/read1.txt"
cat "$W/read1.txt"
assert_contains "$W/read1.txt" "^EF05 1 0110110000D156000005$SERIAL\$"
assert_contains "$W/read1.txt" "^EF05 3 0304332E3030\$"
assert_contains "$W/read1.txt" "^EF05 7 0709423030303030303031\$"
assert_contains "$W/read1.txt" "^EF06 1 0812313130313031313939303033303731323334\$"
assert_contains "$W/read1.txt" "^EF06 2 091ED5C5C8FD0000"
assert_contains "$W/read1.txt" "^EF06 3 SW 6A83\$"
assert_contains "$W/read1.txt" "^APP A000000333010101 1 1 700E5A0862122600000000015F340101\$"
assert_contains "$W/read1.txt" "^APP A000000333010101 1 2 SW 6A83\$"
assert_contains "$W/read1.txt" "^DATA A000000632010105 9F0C 9F0C021000\$"
# Keys are never readable.
assert_contains "$W/read1.txt" "^DATA A000000632010105 8000 SW 6A88\$"

# Issued (SECURED, the applications personalised): a second run is refused by the chip,
# INSTALL [for personalization] answers 6985.
set +e
out=$(pcsc-encode --kmc-file "$KMC_FILE" --transport-file "$TK_FILE" --script "$W/perso.txt")
rc=$?
set -e
echo "$out"
assert_eq "$rc" 1 "re-personalisation exit status"
case "$out" in "FAIL locked script command 1 (PBOC_INSTALL): SW 6985"*) ;;
*) fail "re-personalisation: $out" ;; esac

# The chip state is kept after it leaves, 0600, with no key in it; the card goes back in.
assert_eq "$(vctl REMOVE)" OK "REMOVE"
state=$W/cards/$SERIAL.card
[ -f "$state" ] || fail "no chip state file"
assert_eq "$(stat -c %a "$state")" 600 "chip state file mode"
assert_contains "$state" "^app PBOC 0F"
assert_contains "$state" "^app SSSE 0F"
assert_contains "$state" "^app transport 0F"
assert_contains "$state" "^lifecycle 0F"
assert_contains "$state" "^dgi transport 8000 secret "
assert_contains "$state" "^dgi SSSE 8010 secret "
assert_not_contains "$state" "00112233445566778899AABBCCDDEEFF"
assert_not_contains "$state" "261234FFFFFFFFFF"
assert_not_contains "$state" "$(cat "$KMC_FILE")"
wait_empty
assert_eq "$(vctl INSERT-NEW $SERIAL)" \
	"ERR chip serial $SERIAL was already made (serials are unique)" "serials are unique"
assert_eq "$(vctl INSERT $SERIAL)" "OK 110000D156000005$SERIAL" "INSERT puts it back"
out=$(pcsc-encode --read)
case "$out" in "OK 110000D156000005$SERIAL "*) ;; *) fail "QC re-read: $out" ;; esac
$PY "$CARDPIPE_SRC/tests/integration/read_card.py" >"$W/read2.txt"
grep '^EF0' "$W/read1.txt" >"$W/a"
grep '^EF0' "$W/read2.txt" >"$W/b"
cmp "$W/a" "$W/b" || fail "records differ after REMOVE/INSERT"
assert_contains "$W/read2.txt" "^EF06 7 0D0419900307\$"
vctl STATUS | grep -q "^OK card=$SERIAL id=110000D156000005$SERIAL apdus=" || fail "STATUS"
assert_eq "$(vctl REMOVE)" OK "REMOVE"
assert_eq "$(vctl REMOVE)" "ERR no card in the reader" "REMOVE with no card"
assert_eq "$(vctl 'INSERT xyz')" "ERR chip serial 'xyz': expected 16 hex digits" "bad serial"
vctl BOGUS | grep -q "^ERR unknown command 'BOGUS'" || fail "unknown command"
assert_eq "$(vctl "$(printf 'A%.0s' $(seq 300))")" "ERR line too long" "overlong line"
assert_eq "$(vctl 'FAULT pull-after x')" \
	"ERR usage: FAULT defective [6f00|mute|no-atr|corrupt] | FAULT pull-after N | FAULT none" "bad FAULT"
vctl STATUS | grep -q '^OK card=none id=none apdus=' || fail "STATUS after the errors"
# A reader that is not there: the chip is not made, the fault waits for the next card.
vcard --state-dir "$W/cards2" --vpcd-port 1 --control "$W/v2.ctl" --kmc-file "$KMC_FILE" \
	2>"$W/v2.log" &
V2=$!
EXTRA_PIDS=$V2
for _ in $(seq 100); do [ -S "$W/v2.ctl" ] && break; sleep 0.05; done
assert_eq "$(vctl_at "$W/v2.ctl" FAULT defective)" OK "FAULT on the second daemon"
vctl_at "$W/v2.ctl" INSERT-NEW 0000000000000099 | grep -q "^ERR connect to vpcd at 127.0.0.1:1: " ||
	fail "INSERT-NEW without vpcd"
[ ! -e "$W/cards2/0000000000000099.card" ] || fail "a chip that never reached the reader was made"
vctl_at "$W/v2.ctl" STATUS | grep -q "fault=defective:6f00" || fail "pending fault lost"
kill "$V2"
wait "$V2" || fail "second vcard exited $?"
EXTRA_PIDS=
echo "t4101: ok"
