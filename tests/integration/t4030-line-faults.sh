#!/bin/bash
# Faults of the line are not faults of the card (issue 12, section 3), on the emulated line
# (real pcscd, vpcd, virtual card, printer emulator):
# - a produced card left in the reader before `produce`: the line stops (exit 4) before
#   a blank is fed, nothing spoiled, every card still queued (the case that once spoiled
#   600 blanks in a second);
# - a storm of defective chips: at most produce.max_consecutive_spoils (3) blanks spoiled,
#   then the line stops (exit 4);
# - each line fault: cover open, feeder empty, ribbon out mid-print (not cleared in
#   produce.fault_wait_s), printer offline, reader unreachable: exit 4, a message naming the
#   fault and what to do, nothing charged to a card; a jam loses its blank to the line and
#   the line goes on;
# - the counts in the registry, the shift report and the bank reports agree.
source "$CARDPIPE_SRC/tests/integration/lib.sh"

command -v pcscd >/dev/null || skip "pcscd not installed"
[ -e /usr/lib/pcsc/drivers/serial/libifdvpcd.so ] || skip "vsmartcard-vpcd not installed"
command -v sqlite3 >/dev/null || skip "sqlite3 CLI not installed"
command -v xmllint >/dev/null || skip "xmllint not installed"

base=$(free_ports 6) || skip "no free loopback ports"
export CARDPIPE_PRINTER_PORT=$base CARDPIPE_PRINTER_VPCD_PORT=$((base + 2))
export CARDPIPE_PRODUCE_POLL_MS=100 CARDPIPE_PRODUCE_FAULT_WAIT_S=1
db=$CARDPIPE_HOME/registry.db
cleanup() { cardpipe line stop >/dev/null 2>&1 || true; }
trap cleanup EXIT
q() { sqlite3 "$db" "$1"; }
prn() { cardpipe line printer "$@" >/dev/null; }
pfield() { cardpipe line printer STATUS | tr ' ' '\n' | sed -n "s/^$1=//p"; }
attempts() { q "SELECT count(*) FROM production_attempt"; }
queued() { q "SELECT count(*) FROM card WHERE state = 'rendered' AND claimed_by IS NULL"; }
# stops: produce exits 4 naming the fault and the remedy, nothing fed, no attempt
stops() {
	local fault=$1 remedy=$2 name=$3; shift 3
	local a f
	a=$(attempts) f=$(pfield fed)
	set +e; "$@" cardpipe produce --line 1 >"$name.out" 2>"$name.err"; local got=$?; set -e
	[ "$got" = 4 ] || { cat "$name.err"; fail "$name: produce exited $got, expected 4"; }
	assert_contains "$name.err" "line fault '$fault'"
	assert_contains "$name.err" "$remedy"
	assert_contains "$name.out" "line fault: $fault"
	assert_eq "$(attempts)" "$a" "$name: no attempt"
	assert_eq "$(pfield fed)" "$f" "$name: no blank fed"
	assert_eq "$(q "SELECT count(*) FROM card WHERE claimed_by IS NOT NULL")" 0 "$name: cards queued"
}

cards_rendered 10 8
n=$(q "SELECT count(*) FROM card WHERE state = 'rendered'")
cardpipe line start --fast 2>start.log || { cat start.log; fail "line start"; }

cardpipe produce --line 1 --max-cards 1 >p0.out 2>p0.err || { cat p0.err; fail "first card"; }
first=$(q "SELECT card_no FROM card WHERE state = 'produced'")

# 1. the produced card put back into the reader, then produce: stops before feeding
cardpipe line insert "$first" >/dev/null || fail "line insert"
sleep 2 # left there a while: pcscd has seen it (it polls the reader)
stops card-in-reader "take that card out of the reader" reader-card
assert_eq "$(q "SELECT count(*) FROM production_attempt WHERE state = 'spoiled'")" 0 "nothing spoiled"
assert_eq "$(queued)" "$((n - 1))" "every other card still queued"
cardpipe line remove >/dev/null || fail "line remove"

# 2. a storm of defective chips: three blanks, then the breaker stops the line
prn FAULT defective-chips-from 1
set +e; cardpipe produce --line 1 >storm.out 2>storm.err; got=$?; set -e
[ "$got" = 4 ] || { cat storm.err; fail "storm: produce exited $got, expected 4"; }
assert_contains storm.err "line fault 'consecutive-spoils'"
assert_contains storm.err "3 blanks spoiled in a row"
assert_eq "$(q "SELECT count(*) FROM production_attempt WHERE state = 'spoiled'")" 3 "the storm spoiled 3"
assert_eq "$(q "SELECT count(*) FROM production_attempt WHERE fault = 'card' AND spoil_reason = 'chip'")" 3 "3 card faults"
assert_eq "$(pfield fed)" 4 "4 blanks fed in all"
assert_eq "$(q "SELECT count(*) FROM card WHERE claimed_by IS NOT NULL")" 0 "storm: cards queued"
prn CLEAR all

# 3. printer faults that are not cleared within produce.fault_wait_s
prn COVER open
stops cover-open "close the printer's cover" cover
prn COVER close
prn FAULT feeder-empty
stops feeder-empty "load blank cards into the feeder" feeder
prn LOAD 200
# the printer not there, the reader not there
stops printer-offline "switch it on" offline env CARDPIPE_PRINTER_PORT=$((base + 5))
stops reader "check the reader and pcscd" reader env CARDPIPE_ENCODER_READER="No Such Reader"
# the ribbon breaks in the middle of a print: that blank is the line's loss, then the
# line waits for a new ribbon, and stops when none comes
spoiled=$(q "SELECT count(*) FROM production_attempt WHERE state = 'spoiled'")
prn FAULT ribbon-out-after 0
set +e; cardpipe produce --line 1 >ribbon.out 2>ribbon.err; got=$?; set -e
[ "$got" = 4 ] || { cat ribbon.err; fail "ribbon: produce exited $got, expected 4"; }
assert_contains ribbon.err "line fault 'ribbon'"
assert_contains ribbon.err "put in a new ribbon"
assert_eq "$(q "SELECT count(*) FROM production_attempt WHERE state = 'spoiled'")" "$((spoiled + 1))" "one blank lost to the ribbon"
assert_eq "$(q "SELECT count(*) FROM production_attempt WHERE spoil_reason = 'ribbon' AND fault = 'line'")" 1 "ribbon: a line fault"
prn RIBBON 500

# 4. a jam loses its blank to the line, and the line goes on to the end
prn FAULT jam-at 1
cardpipe produce --line 1 >end.out 2>end.err || { cat end.err; fail "produce to the end"; }
assert_eq "$(q "SELECT count(*) FROM production_attempt WHERE spoil_reason = 'jam' AND fault = 'line'")" 1 "jam: a line fault"
# every card produced, but the one the storm hit max_attempts times: held for a person
assert_eq "$(q "SELECT count(*) FROM card WHERE state NOT IN ('produced','held')")" 0 "every card produced or held"
assert_eq "$(q "SELECT count(*) FROM card WHERE state = 'held'")" "$(q "SELECT count(*) FROM (SELECT card_id FROM production_attempt WHERE fault = 'card' GROUP BY card_id HAVING count(*) >= 3)")" "only a card with 3 card faults is held"
assert_eq "$(q "SELECT count(*) FROM production_attempt WHERE fault = 'card'")" 3 "card faults: the storm's only"

# the counts agree: printer, registry, shift report, bank reports
fed=$(pfield fed) ej=$(pfield ejected) rj=$(pfield rejected)
assert_eq "$fed" "$((ej + rj))" "printer: fed = ejected + rejected"
assert_eq "$fed" "$(q "SELECT count(*) FROM production_attempt WHERE fed = 1")" "fed = attempts that took a blank"
assert_eq "$rj" "$(q "SELECT count(*) FROM production_attempt WHERE state = 'spoiled' AND fed = 1")" "rejected = spoiled blanks"
reg_sp=$(q "SELECT count(*) FROM production_attempt WHERE state = 'spoiled'")
reg_card=$(q "SELECT count(*) FROM production_attempt WHERE state = 'spoiled' AND fault = 'card'")
reg_line=$(q "SELECT count(*) FROM production_attempt WHERE state = 'spoiled' AND fault = 'line'")
assert_eq "$((reg_card + reg_line))" "$reg_sp" "registry: card + line = spoiled"
sh_sp=0 sh_card=0 sh_line=0
for r in "$CARDPIPE_HOME"/out/shift/line1-*.txt; do
	assert_not_contains "$r" MISMATCH
	assert_contains "$r" "check.faults: ok"
	sh_sp=$((sh_sp + $(sed -n 's/^spoiled: //p' "$r")))
	sh_card=$((sh_card + $(sed -n 's/^spoiled_card: //p' "$r")))
	sh_line=$((sh_line + $(sed -n 's/^spoiled_line: //p' "$r")))
done
assert_eq "$sh_sp" "$reg_sp" "shift report: spoiled"
assert_eq "$sh_card" "$reg_card" "shift report: card faults"
assert_eq "$sh_line" "$reg_line" "shift report: line faults"
bk_sp=0 bk_card=0 bk_line=0
for day in $(q "SELECT DISTINCT date(ended_at, '+8 hours') FROM production_attempt"); do
	cardpipe reconcile --date "$day" >rec.out 2>rec.err || { cat rec.err; fail "reconcile $day"; }
	for x in "$CARDPIPE_HOME"/out/reconcile/"$day"/*-"$day".xml; do
		xmllint --noout --schema "$CARDPIPE_SRC/formats/bank-reconciliation.xsd" "$x" 2>/dev/null \
			|| fail "$x does not validate"
		bk_sp=$((bk_sp + $(xmllint --xpath 'string(//*[local-name()="Counts"]/@spoiled)' "$x")))
		bk_card=$((bk_card + $(xmllint --xpath 'sum(//*[local-name()="Reason"][@fault="card"]/@count)' "$x")))
		bk_line=$((bk_line + $(xmllint --xpath 'sum(//*[local-name()="Reason"][@fault="line"]/@count)' "$x")))
	done
done
assert_eq "$bk_sp" "$reg_sp" "bank reports: spoiled"
assert_eq "$bk_card" "$reg_card" "bank reports: card faults"
assert_eq "$bk_line" "$reg_line" "bank reports: line faults"
cardpipe db check >check.txt || { cat check.txt; fail "db check"; }
echo "t4030 ok"
