#!/bin/bash
# A batch through the real pcscd, vpcd, the virtual card and the printer emulator, with
# every fault kind injected (jam, defective chip, card pulled mid-script, connection
# dropped mid-job, slow replies, ribbon out, cover open, feeder empty, and a killed
# produce): every card produced once or held, spoiled attempts counted with their
# reasons, counts that add up in the registry and the shift report, printed faces equal
# to the rendered panels pixel for pixel, and an independent PC/SC client (pyscard)
# reading a produced card's SSSE records back.
source "$CARDPIPE_SRC/tests/integration/lib.sh"

command -v pcscd >/dev/null || skip "pcscd not installed"
[ -e /usr/lib/pcsc/drivers/serial/libifdvpcd.so ] || skip "vsmartcard-vpcd not installed"
command -v sqlite3 >/dev/null || skip "sqlite3 CLI not installed"
/usr/bin/python3 -c 'import smartcard' 2>/dev/null || skip "python3-pyscard not installed"

base=$(free_ports 4) || skip "no free loopback ports"
export CARDPIPE_PRINTER_PORT=$base CARDPIPE_PRINTER_VPCD_PORT=$((base + 2))
export CARDPIPE_PRODUCE_POLL_MS=100 CARDPIPE_PRODUCE_FAULT_WAIT_S=120
db=$CARDPIPE_HOME/registry.db
run=$CARDPIPE_HOME/run/line1
helper=
cleanup() {
	[ -n "$helper" ] && kill "$helper" 2>/dev/null
	cardpipe line stop >/dev/null 2>&1 || true
}
trap cleanup EXIT
q() { sqlite3 "$db" "$1"; }

cards_rendered 12 8

cat >faults.conf <<'F'
# physical cards counted from the start of the line
jam-at = 2
defective-chip-at = 4
pull-at = 6 3
drop-at = 8
slow = 2
F
cardpipe line start --fast --faults faults.conf 2>start.log || { cat start.log; fail "line start"; }

# phase 1: the faults of the file; a helper plays the operator who changes the ribbon
cardpipe line printer FAULT ribbon-out-after 3 >/dev/null
( while sleep 0.3; do
	if cardpipe line printer STATUS 2>/dev/null | grep -q "ribbon=0 "; then
		cardpipe line printer RIBBON 500 >/dev/null; fi
  done ) &
helper=$!
cardpipe produce --line 1 --max-cards 6 >p1.txt 2>p1.err || { cat p1.err; fail "produce phase 1"; }
kill $helper; wait $helper 2>/dev/null || true; helper=

# phase 2: the cover is open and the feeder empty; the "operator" closes the cover, then
# refills the feeder: two pauses, and the line resumes
cardpipe line printer COVER open >/dev/null
cardpipe line printer FAULT feeder-empty >/dev/null
( sleep 1.5; cardpipe line printer COVER close >/dev/null
  sleep 1.5; cardpipe line printer LOAD 100 >/dev/null ) &
helper=$!
cardpipe produce --line 1 --max-cards 2 >p2.txt 2>p2.err || { cat p2.err; fail "produce phase 2"; }
wait $helper 2>/dev/null || true; helper=

# phase 3: produce killed in the middle of a card, then run again: the attempt in flight
# is resolved (spoiled 'interrupted' unless it had completed) and nothing is doubled
cardpipe line printer FAULT slow 300 >/dev/null
cardpipe produce --line 1 >p3.txt 2>p3.err &
pid=$!
for _ in $(seq 100); do
	[ "$(q "SELECT count(*) FROM production_attempt WHERE state = 'in_flight' AND step <> 'started'")" = 1 ] && break
	sleep 0.1
done
kill -9 $pid; wait $pid 2>/dev/null || true
[ "$(q "SELECT count(*) FROM production_attempt WHERE state = 'in_flight'")" = 1 ] || fail "no attempt in flight after the kill"
cardpipe line printer CLEAR slow >/dev/null
cardpipe produce --line 1 >p4.txt 2>p4.err || { cat p4.err; fail "produce after the kill"; }

# every card produced once or held; nothing in flight; every attempt ended
[ "$(q "SELECT count(*) FROM card WHERE state NOT IN ('produced','held')")" = 0 ] || fail "cards left: $(q "SELECT card_no, state FROM card WHERE state NOT IN ('produced','held')")"
[ "$(q "SELECT count(*) FROM production_attempt WHERE state = 'in_flight'")" = 0 ] || fail "attempts in flight"
[ "$(q "SELECT count(*) FROM card c WHERE state = 'produced' AND (SELECT count(*) FROM production_attempt p WHERE p.card_id = c.id AND p.state = 'produced') <> 1")" = 0 ] || fail "a card produced twice"
[ "$(q "SELECT count(*) FROM card WHERE state = 'produced' AND (chip_id IS NULL OR length(chip_id) <> 32)")" = 0 ] || fail "a produced card without its chip id"
[ "$(q "SELECT count(DISTINCT chip_id) FROM production_attempt WHERE chip_id IS NOT NULL")" = "$(q "SELECT count(*) FROM production_attempt WHERE chip_id IS NOT NULL")" ] || fail "a chip id used twice"
# spoiled attempts, each with its reason; the injected ones are there
for reason in jam chip connection ribbon interrupted; do
	[ "$(q "SELECT count(*) FROM production_attempt WHERE spoil_reason = '$reason'")" -ge 1 ] || fail "no attempt spoiled '$reason': $(q "SELECT attempt_no, spoil_reason, detail FROM production_attempt WHERE state = 'spoiled'")"
done
[ "$(q "SELECT count(*) FROM production_pause WHERE cause = 'cover-open' AND outcome = 'cleared'")" -ge 1 ] || fail "no cover pause"
[ "$(q "SELECT count(*) FROM production_pause WHERE cause = 'feeder-empty' AND outcome = 'cleared'")" -ge 1 ] || fail "no feeder pause"
# the printer's own count agrees: every physical card fed was either produced or rejected
st=$(cardpipe line printer STATUS)
field() { echo "$st" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
fed=$(field fed) ej=$(field ejected) rj=$(field rejected)
assert_eq "$fed" "$((ej + rj))" "printer: fed = ejected + rejected"
assert_eq "$ej" "$(q "SELECT count(*) FROM production_attempt WHERE state = 'produced'")" "ejected = produced attempts"
assert_eq "$fed" "$(q "SELECT count(*) FROM production_attempt WHERE fed = 1")" "fed = attempts that took a card"
# the shift report: counts that add up
for r in "$CARDPIPE_HOME"/out/shift/line1-*.txt; do
	assert_not_contains "$r" MISMATCH
	assert_contains "$r" "check.attempts: ok"
done
cardpipe db check >check.txt || { cat check.txt; fail "db check"; }

# printed faces = rendered panels, pixel for pixel
cards=$(q "SELECT card_no FROM card WHERE state = 'produced' ORDER BY id")
cardpipe line check-print $cards >faces.txt || { cat faces.txt; fail "printed faces differ"; }
[ "$(grep -c identical faces.txt)" = "$(echo $cards | wc -w)" ] || fail "not every face checked"

# an independent PC/SC client reads a produced card's SSSE records back
one=$(echo $cards | cut -d' ' -f1)
cardpipe line insert "$one" >/dev/null || fail "line insert"
chip=$(q "SELECT chip_id FROM card WHERE card_no = '$one'")
/usr/bin/python3 - "$run/pcscd/run/pcscd.comm" "$chip" "$one" <<'PY' || fail "pyscard read-back"
import os, sys, time
os.environ["PCSCLITE_CSOCK_NAME"] = sys.argv[1]
from smartcard.System import readers
chip, card_no = sys.argv[2], sys.argv[3]
for _ in range(50):
    try:
        c = [r for r in readers() if str(r).startswith("Virtual PCD")][0].createConnection()
        c.connect(); break
    except Exception as e:
        err = e; time.sleep(0.1)
else:
    raise SystemExit("no card: %s" % err)
def tx(apdu):
    data, sw1, sw2 = c.transmit(apdu)
    return bytes(data), (sw1 << 8) | sw2
aid = [0x73,0x78,0x31,0x2E,0x73,0x68,0x2E,0xC9,0xE7,0xBB,0xE1,0xB1,0xA3,0xD5,0xCF]
_, sw = tx([0x00,0xA4,0x04,0x00,len(aid)] + aid)
assert sw == 0x9000, "SELECT SSSE: %04X" % sw
_, sw = tx([0x00,0xA4,0x02,0x00,0x02,0xEF,0x05])
assert sw == 0x9000, "SELECT EF05: %04X" % sw
recs = b""
for n in range(1, 8):
    d, sw = tx([0x00,0xB2,n,0x04,0x00])
    assert sw == 0x9000, "READ RECORD %d: %04X" % (n, sw)
    recs += d
assert bytes.fromhex(chip) in recs, "card identifier not in EF05"
assert card_no.encode() in recs, "card number not in EF05"
print("EF05 read back:", len(recs), "bytes")
PY
echo "t4010 ok"
