#!/bin/bash
# A stock's KMC of the wrong length stops produce before the first blank (issue #12): the
# shipped cpvc-s02 (SCP02, emv) needs a 16-byte 3DES KMC; given a 24-byte one, produce
# refuses to start naming the profile and the key, nothing is fed or spoiled, and every
# card stays queued. With a right KMC the same line makes them.
source "$CARDPIPE_SRC/tests/integration/lib.sh"

emulated_line_env
cards_rendered 2 1
n=$(q "SELECT count(*) FROM card WHERE state = 'rendered'")

# a 3-key 3DES KMC (24 bytes) for the emv stock: 3DES, but not what emv diversifies from
umask 077
printf '%s\n' 0123456789ABCDEFFEDCBA98765432100123456789ABCDEF >kmc24.hex
cardpipe keys import kmc-emv --alg 3DES --file kmc24.hex >/dev/null 2>import.err || {
	cat import.err
	fail "keys import"
}
cardpipe line start --fast 2>start.log || { cat start.log; fail "line start"; }
rc=0
cardpipe produce --line 1 >produce.txt 2>produce.err || rc=$?
[ "$rc" -ne 0 ] || fail "produce started with a 24-byte KMC for cpvc-s02"
assert_contains produce.err "chip profile 'cpvc-s02': key 'kmc-emv'"
assert_contains produce.err "a KMC of 24 bytes cannot give its keys"
assert_eq "$(q "SELECT count(*) FROM production_attempt")" 0 "no blank fed"
assert_eq "$(q "SELECT count(*) FROM card WHERE state = 'rendered' AND claimed_by IS NULL")" \
	"$n" "every card still queued"

# a 2-key KMC: the line runs
printf '%s\n' 0123456789ABCDEFFEDCBA9876543210 >kmc16.hex
cardpipe keys import kmc-emv --alg 3DES --file kmc16.hex >/dev/null 2>import.err || {
	cat import.err
	fail "keys import"
}
cardpipe produce --line 1 >produce2.txt 2>produce2.err || { cat produce2.err; fail "produce"; }
assert_eq "$(q "SELECT count(*) FROM card WHERE state = 'produced'")" "$n" "every card produced"
echo "t4108 ok"
