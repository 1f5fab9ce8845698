#!/bin/bash
# The encoder's life cycle step through the real pcscd + vpcd: the default (each
# application the script installed to PERSONALIZED, the card to SECURED), a chip profile's
# own transitions (pcsc-encode --lock), and every way the lock can fail: a transition the
# chip refuses, a list that leaves an application unpersonalised, a bad transition.
source "$CARDPIPE_SRC/tests/integration/t4100-vcard-lib.bash"

script_perso "$W/perso.txt"
encode() { # encode EXPECTED-RC [extra options]: the encoder's line in $out
	local want=$1 rc
	shift
	set +e
	out=$(pcsc-encode --timeout 3000 --kmc-file "$KMC_FILE" --transport-file "$TK_FILE" \
		--script "$W/perso.txt" "$@")
	rc=$?
	set -e
	echo "$out" >&2
	[ "$rc" -eq "$want" ] || fail "pcsc-encode exited $rc, expected $want: $out"
}
next_card() { # next_card SERIAL
	vctl REMOVE >/dev/null || true
	wait_empty
	assert_eq "$(vctl INSERT-NEW "$1")" "OK 110000D156000005$1" "INSERT-NEW $1"
}
state() { echo "$W/cards/$1.card"; }

# The chip profile's transitions, in order: applications first, then the card.
next_card 00000000000000E1
encode 0 --lock "40 0F A000000333010101" --lock "40 1F A000000632010105" \
	--lock "40 0F 7378312E73682EC9E7BBE1B1A3D5CF" --lock "80 0F"
case "$out" in "OK 110000D15600000500000000000000E1 "*" card=SECURED transitions=4") ;;
*) fail "profile transitions: $out" ;; esac
vctl REMOVE >/dev/null
assert_contains "$(state 00000000000000E1)" "^app transport 1F"
assert_contains "$(state 00000000000000E1)" "^lifecycle 0F"

# A transition the chip refuses (CARD_LOCKED straight from OP_READY: 6985): lock-failed,
# and the card stays unlocked (OP_READY) for produce to spoil.
next_card 00000000000000E2
encode 1 --lock "80 7F"
case "$out" in "FAIL lock-failed SET STATUS 80 7F: SW 6985"*) ;; *) fail "refused: $out" ;; esac
vctl REMOVE >/dev/null
assert_contains "$(state 00000000000000E2)" "^lifecycle 01"

# SECURED, but the list leaves the applications SELECTABLE: the check after the lock says so.
next_card 00000000000000E3
encode 1 --lock "80 0F"
case "$out" in
"FAIL lock-failed after the lock application A000000333010101 is 07, not personalised") ;;
*) fail "unpersonalised applications: $out" ;; esac

# A card state that is none (back to OP_READY), and no more than 8: refused before any card.
set +e
out=$(pcsc-encode --kmc-file "$KMC_FILE" --script "$W/perso.txt" --lock "80 01" 2>&1)
rc=$?
set -e
assert_eq "$rc" 2 "bad --lock exit status"
case "$out" in *"--lock: transition '80 01': card state 01 is none of"*) ;;
*) fail "bad --lock: $out" ;; esac
echo "t4105: ok"
