#!/bin/bash
# Two production lines on one registry at once: perso splits the cards over lines 1 and 2
# (produce.lines), both emulated lines run (each its own pcscd, vcard and printer), both
# `cardpipe produce` run at the same time: every card is produced exactly once, on the line
# its sealed batch is for, with chip identifiers from that line's chips; a second produce
# on a busy line is refused.
# backends: sqlite postgresql
source "$CARDPIPE_SRC/tests/integration/lib.sh"

command -v pcscd >/dev/null || skip "pcscd not installed"
[ -e /usr/lib/pcsc/drivers/serial/libifdvpcd.so ] || skip "vsmartcard-vpcd not installed"
command -v sqlite3 >/dev/null || skip "sqlite3 CLI not installed"

base=$(free_ports 8) || skip "no free loopback ports"
export CARDPIPE_PRINTER_PORT=$base CARDPIPE_PRINTER_VPCD_PORT=$((base + 4))
export CARDPIPE_PRODUCE_LINES=1,2
db=$CARDPIPE_HOME/registry.db
p1= p2=
cleanup() {
	for p in $p1 $p2; do kill "$p" 2>/dev/null || true; done
	cardpipe line stop --line 1 >/dev/null 2>&1 || true
	cardpipe line stop --line 2 >/dev/null 2>&1 || true
}
trap cleanup EXIT

cardpipe init >/dev/null 2>&1
cardpipe keys ceremony --test >/dev/null 2>&1 || skip "no test key store"
sample_prepared 8
cardpipe perso >/dev/null 2>&1 || skip "perso stage not available"
cardpipe render --no-proof >/dev/null 2>&1 || skip "render stage not available"
ls "$CARDPIPE_HOME"/spool/perso/line-1/*.batch "$CARDPIPE_HOME"/spool/perso/line-2/*.batch >/dev/null 2>&1 \
	|| skip "perso did not split the cards over two lines"
n=$(q "SELECT count(*) FROM card WHERE state = 'rendered'")

cardpipe line start --line 1 --fast 2>l1.log || { cat l1.log; fail "line 1 start"; }
cardpipe line start --line 2 --fast 2>l2.log || { cat l2.log; fail "line 2 start"; }
cardpipe produce --line 1 >p1.out 2>p1.err & p1=$!
cardpipe produce --line 2 >p2.out 2>p2.err & p2=$!
sleep 0.5
# one produce per line at a time
expect_exit 3 cardpipe produce --line 1
wait $p1 || { cat p1.err; fail "produce line 1"; }
wait $p2 || { cat p2.err; fail "produce line 2"; }
p1= p2=

assert_eq "$(q "SELECT count(*) FROM card WHERE state = 'produced'")" "$n" "every card produced"
assert_eq "$(q "SELECT count(*) FROM production_attempt WHERE state = 'produced'")" "$n" "one produced attempt per card"
[ "$(q "SELECT count(DISTINCT line) FROM production_attempt")" = 2 ] || fail "both lines should have produced cards"
# each card on its batch's line, with a chip of that line (serial E1 <line> ...)
for l in 1 2; do
	bad=$(q "SELECT count(*) FROM production_attempt WHERE line = $l AND state = 'produced' AND substr(chip_id, 17, 4) <> 'E10$l'")
	assert_eq "$bad" 0 "line $l's cards carry line $l's chips"
done
for c in $(q "SELECT card_no FROM card"); do
	l=$(q "SELECT line FROM production_attempt WHERE state = 'produced' AND card_id = (SELECT id FROM card WHERE card_no = '$c')")
	cardpipe perso show "$CARDPIPE_HOME"/spool/perso/line-$l/*.batch "$c" >/dev/null 2>&1 \
		|| fail "card $c produced on line $l but its script is not in line $l's batch"
done
for l in 1 2; do
	cardpipe line check-print --line $l $(q "SELECT c.card_no FROM card c JOIN production_attempt p ON p.card_id = c.id WHERE p.state = 'produced' AND p.line = $l") >/dev/null \
		|| fail "line $l printed faces differ"
done
# each line's audit rows name it: the card it produced, by that line's produce
for l in 1 2; do
	assert_eq "$(q "SELECT count(*) FROM audit_log a JOIN production_attempt p ON a.entity = 'card'
		AND a.entity_id = p.card_id WHERE p.state = 'produced' AND p.line = $l
		AND a.event LIKE '%->produced' AND a.actor <> 'produce:line$l'")" 0 "line $l's rows name produce:line$l"
	assert_eq "$(q "SELECT count(*) FROM audit_log WHERE actor = 'produce:line$l' AND entity = 'card'
		AND event LIKE '%->produced'")" "$(q "SELECT count(*) FROM production_attempt
		WHERE state = 'produced' AND line = $l")" "line $l's produced cards in its audit rows"
done
cardpipe db check >check.txt || { cat check.txt; fail "db check"; }
echo "t4020 ok"
