#!/bin/bash
# The emulated line's --fast mode swaps chips without a settle delay: the encoder learns
# that a new card is in the reader from pcscd's reader state (its event count), produce
# sees the reader empty before each feed. Every card is produced once on a chip of its
# own, the emulator's own record shows no chip held back, and the time per card is well
# under the settle delay's (asserted loosely: it is not a timing test).
source "$CARDPIPE_SRC/tests/integration/lib.sh"

emulated_line_env
run=$CARDPIPE_HOME/run/line1
cards_rendered 10 8
n=$(q "SELECT count(*) FROM card WHERE state = 'rendered'")

cardpipe line start --fast 2>start.log || { cat start.log; fail "line start"; }
cardpipe produce --line 1 >produce.out 2>produce.err || { cat produce.err; fail "produce"; }
# no progress line off a terminal: the output is log lines only
grep -q $'\r' produce.err && fail "a progress line was written to a file"

assert_eq "$(q "SELECT count(*) FROM card WHERE state = 'produced'")" "$n" "every card produced"
assert_eq "$(q "SELECT count(*) FROM production_attempt WHERE state = 'spoiled'")" 0 "no card spoiled"
assert_eq "$(q "SELECT count(DISTINCT chip_id) FROM production_attempt WHERE state = 'produced'")" "$n" \
	"a chip of its own for every card"
assert_eq "$(wc -l <"$run/printed/printed.log")" "$n" "the printer printed each card once"
# the emulator's own record: no chip was held back for a settle delay
status=$(cardpipe line printer STATUS)
case $status in *" settle-waits=0"*) ;; *) fail "emulator STATUS: $status" ;; esac
grep -q '^settle: ' "$run/printed/commands.log" && fail "the emulator waited to settle"
# each card was taken as a new one: as many insertions as cards, none before a removal
assert_eq "$(grep -c 'vcard: INSERT-NEW .* -> OK' "$run/printed/commands.log")" "$n" "insertions"
# loosely: the old line took over 0.8 s a card in settle delay alone; allow a loaded
# machine twice the bare pcscd poll cycles (2 x 0.4 s) and the chip's work
per=$(q "SELECT CAST((julianday(max(ended_at)) - julianday(min(started_at))) * 86400000 / count(*) AS INTEGER) FROM production_attempt WHERE state = 'produced'")
echo "# $n cards, $per ms a card"
[ "$per" -lt 3000 ] || fail "$per ms a card"
cardpipe db check >check.txt || { cat check.txt; fail "db check"; }
echo "t4040 ok"
