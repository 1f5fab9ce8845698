#!/bin/bash
# Issued means locked: cards produced on the emulated line, then every one of them checked
# from outside through the line's pcscd by an independent GlobalPlatform host
# (gp_host.py: its own SCP03, first checked against the published SCP03 vectors): GET
# STATUS shows the ISD SECURED and each application PERSONALIZED, STORE DATA and an
# UPDATE RECORD of EF05 over the perso channel's SCP03 are refused. The registry has each
# card's lock time, the shift report counts the locked cards, and a chip that was never
# locked (a blank one, a spoiled one) is told apart by the same client.
source "$CARDPIPE_SRC/tests/integration/lib.sh"

PY=/usr/bin/python3
$PY -c 'import smartcard' 2>/dev/null || skip "python3-pyscard not installed"
$PY -c 'import cryptography' 2>/dev/null || skip "python3-cryptography not installed"
GP="$PY $CARDPIPE_SRC/tests/integration/gp_host.py"

# The client's SCP03 first: every published vector, or nothing it says counts.
$GP selftest >selftest.txt || { cat selftest.txt; fail "gp_host.py SCP03 vectors"; }
[ "$(grep -c ': ok$' selftest.txt)" = 9 ] || fail "not every SCP03 vector checked"

emulated_line_env
run=$CARDPIPE_HOME/run/line1
cards_rendered 6 4
n=$(q "SELECT count(*) FROM card WHERE state = 'rendered'")

# One card pulled in the middle of its script: spoiled, its chip never locked.
printf 'pull-at = 2 6\n' >faults.conf
cardpipe line start --fast --faults faults.conf 2>start.log || { cat start.log; fail "line start"; }
cardpipe produce --line 1 >produce.txt 2>produce.err || { cat produce.err; fail "produce"; }

produced=$(q "SELECT count(*) FROM card WHERE state = 'produced'")
assert_eq "$produced" "$n" "every rendered card produced"
# The registry: every produced card has its lock time, recorded once and audited.
assert_eq "$(q "SELECT count(*) FROM production_attempt WHERE state = 'produced' AND locked_at LIKE '20__-__-__T__:__:__Z'")" \
	"$produced" "lock times of the produced cards"
assert_eq "$(q "SELECT count(*) FROM audit_log WHERE entity = 'attempt' AND event = 'locked'")" \
	"$(q "SELECT count(*) FROM production_attempt WHERE locked_at IS NOT NULL")" "lock audit rows"
assert_eq "$(q "SELECT count(*) FROM production_attempt WHERE state = 'spoiled' AND locked_at IS NULL")" \
	1 "the pulled card is spoiled and was never locked"
report=$(ls "$CARDPIPE_HOME"/out/shift/line1-*.txt | head -1)
assert_contains "$report" "^locked: $produced\$"
assert_contains "$report" "^check.locked: ok\$"
assert_not_contains "$report" MISMATCH
cardpipe db check >check.txt || { cat check.txt; fail "db check"; }
assert_contains check.txt "^ok    issued means locked"

# Every produced card, from outside: the test KMC of the store is the public GP test key.
export PCSCLITE_CSOCK_NAME=$run/pcscd/run/pcscd.comm
apps="--app A000000333010101:0F --app A000000632010105:0F --app 7378312E73682EC9E7BBE1B1A3D5CF:0F"
for card in $(q "SELECT card_no FROM card WHERE state = 'produced' ORDER BY id"); do
	cardpipe line insert "$card" >/dev/null || fail "line insert $card"
	ok=
	for _ in $(seq 20); do # the reader sees the new card a moment later
		if $GP check-issued $apps >"gp-$card.txt" 2>"gp-$card.err"; then ok=1; break; fi
		grep -q "^NOT ISSUED" "gp-$card.txt" && break
		sleep 0.2
	done
	[ -n "$ok" ] || { cat "gp-$card.txt" "gp-$card.err"; fail "card $card is not issued"; }
	assert_contains "gp-$card.txt" "^ISD A000000151000000 0F SECURED"
	assert_contains "gp-$card.txt" "^APP 7378312E73682EC9E7BBE1B1A3D5CF 0F\$"
	assert_contains "gp-$card.txt" "^STORE DATA SW 6985\$"
	assert_contains "gp-$card.txt" "^UPDATE RECORD EF05 SW 6982\$"
done
cat "gp-$card.txt" # the last one, for the log
checked=$(ls gp-*.txt | wc -l)
assert_eq "$checked" "$produced" "cards checked from outside"

# The same client on chips never locked: the pulled card's, and a blank one.
ctl() { vcard_ctl "$run/vcard.ctl" "$1"; } # ctl CMD: one line to the line's virtual card daemon
not_issued() { # not_issued NAME: the card in the reader must be reported not issued
	local rc=3
	for _ in $(seq 20); do
		set +e
		$GP check-issued $apps >"$1.txt" 2>"$1.err"
		rc=$?
		set -e
		[ "$rc" -ne 3 ] && break
		sleep 0.2
	done
	assert_eq "$rc" 1 "$1: exit status"
	assert_contains "$1.txt" "^NOT ISSUED: card is 01, not SECURED"
	cat "$1.txt"
}
# The chips the line made: all locked but the pulled one (its state file says so too).
unlocked=$(grep -l '^lifecycle 01$' "$run"/vcard/*.card)
assert_eq "$(echo "$unlocked" | wc -l)" 1 "one chip never locked"
assert_eq "$(grep -l '^lifecycle 0F$' "$run"/vcard/*.card | wc -l)" "$produced" "chips SECURED"
serial=$(basename "$unlocked" .card)
ctl REMOVE >/dev/null
assert_eq "$(ctl "INSERT $serial")" "OK 110000D156000005$serial" "insert the spoiled chip"
not_issued spoiled
assert_contains spoiled.txt "application A000000333010101 is 07, not 0F"
ctl REMOVE >/dev/null
assert_eq "$(ctl "INSERT-NEW 00000000000000F1")" "OK 110000D15600000500000000000000F1" "a blank chip"
not_issued blank
assert_contains blank.txt "STORE DATA accepted"
echo "t4104 ok"
