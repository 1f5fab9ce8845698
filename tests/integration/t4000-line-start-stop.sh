#!/bin/bash
# The emulated line: `cardpipe line start/status/stop` start pcscd (own vpcd reader),
# vcard and evolis-emu, each recorded by a pid file and stopped by it; a second start is
# refused; the printer answers Evolis commands on its port, puts a fresh virtual card
# into the PC/SC reader on Sis (seen by an independent PC/SC client), rejects it; produce
# with nothing to do writes a shift report whose counts add up.
source "$CARDPIPE_SRC/tests/integration/lib.sh"

command -v pcscd >/dev/null || skip "pcscd not installed"
[ -e /usr/lib/pcsc/drivers/serial/libifdvpcd.so ] || skip "vsmartcard-vpcd not installed"

base=$(free_ports 4) || skip "no free loopback ports"
export CARDPIPE_PRINTER_PORT=$base CARDPIPE_PRINTER_VPCD_PORT=$((base + 2))
cardpipe init >/dev/null 2>&1
run=$CARDPIPE_HOME/run/line1
trap 'cardpipe line stop >/dev/null 2>&1 || true' EXIT

cardpipe line --help | grep -q "check-print" || fail "line --help lacks check-print"
expect_exit 2 cardpipe line frobnicate
cardpipe line start --fast 2>start.log || { cat start.log "$run"/pcscd/pcscd.log 2>/dev/null; fail "line start"; }
for f in emu.pid vcard.pid pcscd/pcscd.pid; do [ -s "$run/$f" ] || fail "no $f"; done
emu=$(cat "$run/emu.pid") vc=$(cat "$run/vcard.pid") pc=$(cat "$run/pcscd/pcscd.pid")
kill -0 "$emu" && kill -0 "$vc" && kill -0 "$pc" || fail "a line process is not running"
cardpipe line status >status.txt || fail "status"
assert_contains status.txt "evolis-emu  running"
assert_contains status.txt "vcard       running"
# a second start is refused and leaves the running line alone
expect_exit 3 cardpipe line start --fast
kill -0 "$emu" || fail "second start killed the emulator"

# the printer: Evolis commands on its port; Sis brings a fresh chip into the reader
/usr/bin/python3 - "$base" <<'PY' || fail "printer dialogue"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
def cmd(c):
    s.sendall(b"\x1b" + c.encode() + b"\r")
    r = b""
    while not r.endswith(b"\0"):
        d = s.recv(64)
        if not d: raise SystemExit("printer hung up")
        r += d
    return r[:-1].decode()
assert cmd("Pem;2") == "OK"
assert cmd("Rlr;p") == "OK", "card in an idle printer"
assert cmd("Zq") == "ERROR CDE"
assert cmd("Si") == "OK"
assert cmd("Sis") == "OK"
assert cmd("Rlr;p") == "SMART CARD"
PY
/usr/bin/python3 - "$run/pcscd/run/pcscd.comm" <<'PY' || fail "PC/SC client does not see the card"
import os, sys, time
os.environ["PCSCLITE_CSOCK_NAME"] = sys.argv[1]
from smartcard.System import readers
from smartcard.util import toHexString
for _ in range(50):
    rs = [r for r in readers() if str(r).startswith("Virtual PCD")]
    if rs:
        try:
            c = rs[0].createConnection(); c.connect()
            print("ATR", toHexString(c.getATR())); c.disconnect(); break
        except Exception as e:
            err = e
    time.sleep(0.1)
else:
    raise SystemExit("no card in the reader: %s" % err)
PY
cardpipe line printer STATUS | grep -q "fed=1" || fail "emulator did not count the card"
cardpipe line printer FAULT jam-at 2 | grep -q OK || fail "control FAULT"
expect_exit 2 cardpipe line printer FAULT nonsense 3
/usr/bin/python3 - "$base" <<'PY' || fail "reject"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"\x1bSer\r"); r = s.recv(64)
assert r == b"OK\0", r
PY
# the chip got a unique serial (line 1, counter 1) and vcard its identifier from it
grep -q "vcard: INSERT-NEW E101000000000001 -> OK 110000D156000005E101000000000001" \
	"$run/printed/commands.log" || fail "command log lacks the chip's INSERT-NEW"
grep -q "Sis -> OK" "$run/printed/commands.log" || fail "command log lacks Sis"
grep -q "vcard: REMOVE -> OK" "$run/printed/commands.log" || fail "reject did not take the chip out"

# produce with nothing rendered: done, shift report with zero counts that add up
cardpipe produce --line 1 >produce.txt 2>&1 || { cat produce.txt; fail "produce with nothing to do"; }
report=$(ls "$CARDPIPE_HOME"/out/shift/line1-*.txt)
assert_contains "$report" "produced: 0"
assert_not_contains "$report" "MISMATCH"
expect_exit 2 cardpipe produce --line 0
expect_exit 3 cardpipe line insert B00000001

cardpipe line stop >stop.txt
assert_contains stop.txt "3 processes were running"
for p in "$emu" "$vc" "$pc"; do
	for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
	! kill -0 "$p" 2>/dev/null || [ "$(cut -d' ' -f3 /proc/$p/stat)" = Z ] || fail "pid $p still runs"
done
[ ! -e "$run/emu.pid" ] || fail "emu.pid left behind"
expect_exit 3 cardpipe line status
# stop again: nothing to stop, fine; and it starts again (serials go on, never reused)
cardpipe line stop >/dev/null
cardpipe line start --fast 2>restart.log || { cat restart.log; fail "restart"; }
cardpipe line stop >/dev/null
[ "$(cat "$run/emu-state/serial.counter")" = 1 ] || fail "serial counter"
echo "t4000 ok"
