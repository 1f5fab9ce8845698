#!/bin/bash
# A chip profile whose key version is not on the blanks (INITIALIZE UPDATE answers 6A88)
# is the line's set-up, not the card (issue #12): produce stops the line (exit 4) at the
# first blank, spoils that blank without charging the card (reason 'script', fault
# 'line', detail naming the key version and the profile), and the card stays queued. With
# the right profile the same line then makes every card.
source "$CARDPIPE_SRC/tests/integration/lib.sh"

emulated_line_env
cards_rendered 3 2
n=$(q "SELECT count(*) FROM card WHERE state = 'rendered'")

# the line's chips are the shipped cpvc-s03 (key set 30) ...
cardpipe line start --fast 2>start.log || { cat start.log; fail "line start"; }
# ... but produce is given a profile that asks for key set 31
mkdir -p wrongkvn
sed 's/^kvn *=.*/kvn = 31/' "$CARDPIPE_SRC/data/chip-profiles/cpvc-s03.ini" >wrongkvn/cpvc-s03.ini
grep -q '^kvn = 31$' wrongkvn/cpvc-s03.ini || fail "test profile without kvn 31"
rc=0
CARDPIPE_ENCODER_CHIP_PROFILES=$PWD/wrongkvn cardpipe produce --line 1 >produce.txt 2>produce.err || rc=$?
assert_eq "$rc" 4 "produce stops the line (exit 4)"
assert_contains produce.err "the chip has no key set version 31"
assert_contains produce.err "chip profile"
assert_not_contains produce.err "pcscd"
assert_eq "$(q "SELECT count(*) FROM production_attempt")" 1 "one blank fed"
assert_eq "$(q "SELECT spoil_reason || ' ' || fault FROM production_attempt")" "script line" \
	"the blank is the line's loss"
assert_eq "$(q "SELECT count(*) FROM production_attempt WHERE fault = 'card'")" 0 "no card charged"
assert_eq "$(q "SELECT count(*) FROM card WHERE state = 'rendered' AND claimed_by IS NULL")" \
	"$n" "every card still queued"

# the right profile: the same line makes them all
cardpipe produce --line 1 >produce2.txt 2>produce2.err || { cat produce2.err; fail "produce"; }
assert_eq "$(q "SELECT count(*) FROM card WHERE state = 'produced'")" "$n" "every card produced"
cardpipe db check >check.txt || { cat check.txt; fail "db check"; }
echo "t4107 ok"
