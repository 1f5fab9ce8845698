#!/bin/bash
# Every way a card can fail at the encoder, through the real pcscd + vpcd: wrong keys,
# a defective chip (6F00, mute, no ATR), a card pulled mid-script, no card at all. Each is
# reported with its own outcome, and the chip state of a pulled card is what it had.
source "$CARDPIPE_SRC/tests/integration/t4100-vcard-lib.bash"

script_perso "$W/perso.txt"
encode() { # encode EXPECTED-RC [extra options]: prints the encoder's line
	local want=$1 rc
	shift
	set +e
	out=$(pcsc-encode --timeout 3000 --transport-file "$TK_FILE" --script "$W/perso.txt" "$@")
	rc=$?
	set -e
	echo "$out" >&2
	[ "$rc" -eq "$want" ] || fail "pcsc-encode exited $rc, expected $want: $out"
}
next_card() { # next_card SERIAL [FAULT...]
	local serial=$1
	shift
	vctl REMOVE >/dev/null || true
	wait_empty
	[ $# -gt 0 ] && { assert_eq "$(vctl FAULT "$@")" OK "FAULT $*"; }
	assert_eq "$(vctl INSERT-NEW "$serial")" "OK 110000D156000005$serial" "INSERT-NEW $serial"
}

# Wrong KMC: the card cryptogram does not verify; nothing is written, nothing locked.
next_card 00000000000000A1
echo 000102030405060708090A0B0C0D0E0F >"$W/wrong.hex"
chmod 600 "$W/wrong.hex"
encode 1 --kmc-file "$W/wrong.hex"
case "$out" in "FAIL auth card cryptogram does not verify"*) ;; *) fail "wrong KMC: $out" ;; esac
encode 0 --kmc-file "$KMC_FILE"
case "$out" in "OK 110000D15600000500000000000000A1 "*) ;; *) fail "right KMC after a wrong one: $out" ;; esac

# A wrong KVN is refused by the chip with 6A88: the line's set-up, not the card.
next_card 00000000000000A2
encode 3 --kmc-file "$KMC_FILE" --kvn 31
case "$out" in "FAIL config the chip has no key set version 31 (INITIALIZE UPDATE: SW 6A88): "*) ;;
*) fail "wrong KVN: $out" ;; esac

# Defective chips.
next_card 00000000000000B1 defective
encode 1 --kmc-file "$KMC_FILE"
case "$out" in "FAIL chip "*6F00*) ;; *) fail "defective 6F00: $out" ;; esac
next_card 00000000000000B2 defective mute
encode 1 --kmc-file "$KMC_FILE"
case "$out" in "FAIL chip "*) ;; *) fail "defective mute: $out" ;; esac
next_card 00000000000000B3 defective no-atr
encode 1 --kmc-file "$KMC_FILE"
case "$out" in "FAIL chip chip does not answer reset"*) ;; *) fail "defective no-atr: $out" ;; esac

# A failing chip memory: every command succeeds, the read-back finds the difference.
next_card 00000000000000B4 defective corrupt
encode 1 --kmc-file "$KMC_FILE"
case "$out" in "FAIL mismatch read-back of DGI 0101 differs at byte 15 (read 16 bytes ..00.., expected 16 bytes ..01..)") ;;
*) fail "corrupt memory: $out" ;; esac
# The caller's own expectation (from the registry) is compared too.
next_card 00000000000000B5
encode 1 --kmc-file "$KMC_FILE" --expect 7378312E73682EC9E7BBE1B1A3D5CF:EF05:7:0709423030303030303032
case "$out" in "FAIL mismatch read-back of expected record differs at byte 10 "*) ;;
*) fail "expectation: $out" ;; esac
vctl REMOVE >/dev/null
wait_empty
assert_eq "$(vctl INSERT 00000000000000B5)" "OK 110000D15600000500000000000000B5" "INSERT B5"
out=$(pcsc-encode --read --expect 7378312E73682EC9E7BBE1B1A3D5CF:EF05:7:0709423030303030303031)
case "$out" in "OK 110000D15600000500000000000000B5 apdus=0 checked=1 "*) ;;
*) fail "QC re-read with an expectation: $out" ;; esac

# A card pulled after 8 APDUs (SELECT ISD, INIT UPDATE, EXT AUTH, then 5 script commands).
next_card 00000000000000C1 pull-after 8
encode 1 --kmc-file "$KMC_FILE"
case "$out" in "FAIL pulled "*) ;; *) fail "pulled: $out" ;; esac
vctl STATUS | grep -q '^OK card=none ' || fail "the pulled card is still in the reader"
state=$W/cards/00000000000000C1.card
# Never locked: OP_READY, the applications still SELECTABLE (only the lock step moves them).
assert_contains "$state" "^lifecycle 01"
assert_contains "$state" "^app PBOC 07"
assert_contains "$state" "^dgi PBOC 0101 plain 700E5A08"
assert_contains "$state" "^app transport 07"
assert_not_contains "$state" "^dgi transport "
assert_not_contains "$state" "^rec EF05 2 "
# Put back, it is still readable (produce spoils it all the same).
wait_empty
assert_eq "$(vctl INSERT 00000000000000C1)" "OK 110000D15600000500000000000000C1" "INSERT pulled"
out=$(pcsc-encode --read)
case "$out" in "OK 110000D15600000500000000000000C1 "*) ;; *) fail "read pulled card: $out" ;; esac

# No card in the reader.
vctl REMOVE >/dev/null
wait_empty
set +e
out=$(pcsc-encode --timeout 700 --kmc-file "$KMC_FILE" --script "$W/perso.txt")
rc=$?
set -e
assert_eq "$rc" 1 "no card exit status"
case "$out" in "FAIL no-card no card in reader 'Virtual PCD 00 00' after 700 ms") ;;
*) fail "no card: $out" ;; esac

# A malformed script is the script's fault (exit 2), not the card's.
next_card 00000000000000D1
printf '00A4040008A000000151000000\n00DC01 zz\n' >"$W/bad.txt"
set +e
pcsc-encode --kmc-file "$KMC_FILE" --script "$W/bad.txt" 2>"$W/bad.err"
rc=$?
set -e
assert_eq "$rc" 2 "bad script exit status"
assert_contains "$W/bad.err" "bad.txt:2: APDU"

# An APDU over 261 bytes is over a limit (exit 3), as it always was.
head -c 524 /dev/zero | tr '\0' 'A' >"$W/long.txt"
echo >>"$W/long.txt"
set +e
pcsc-encode --kmc-file "$KMC_FILE" --script "$W/long.txt" 2>"$W/long.err"
rc=$?
set -e
assert_eq "$rc" 3 "over-long APDU exit status"
assert_contains "$W/long.err" "long.txt:1: APDU longer than 261 bytes"
echo "t4102: ok"
