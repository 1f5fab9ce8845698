# Sourced by every integration test. Gives: set -eu, $CARDPIPE_HOME (fresh, per test),
# fail MSG, assert_eq A B MSG, assert_contains FILE TEXT, skip MSG (exit 77).
set -eu
# the tests drop files and ingest them at once: no settle time (t1015 sets one to test it)
export CARDPIPE_INGEST_SETTLE_SECONDS=${CARDPIPE_INGEST_SETTLE_SECONDS:-0}
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "skip: $*"; exit 77; }
assert_eq() { [ "$1" = "$2" ] || fail "${3:-} (expected '$2', got '$1')"; }
assert_contains() { grep -q -- "$2" "$1" || fail "'$1' does not contain '$2'"; }
assert_not_contains() { ! grep -q -- "$2" "$1" || fail "'$1' contains '$2'"; }
# expect_exit CODE cmd... : run cmd, check its exit status.
expect_exit() {
	local want=$1; shift
	set +e; "$@"; local got=$?; set -e
	[ "$got" -eq "$want" ] || fail "'$*' exited $got, expected $want"
}
# free_ports N: a base port with N free consecutive loopback ports (tests run lines side by
# side). Below the kernel's ephemeral range: a port free now but in that range can be taken
# by any outgoing connection (another run's line) before the test's servers bind it.
free_ports() {
	/usr/bin/python3 - "$1" <<'PY'
import random, socket, sys
n = int(sys.argv[1])
try:
    lo, hi = map(int, open("/proc/sys/net/ipv4/ip_local_port_range").read().split())
except (OSError, ValueError):
    lo, hi = 32768, 60999
start, end = (10000, lo) if lo - 10000 > 1000 else (hi + 1, 65535)
for _ in range(500):
    base = random.randrange(start, end - n)
    for p in range(base, base + n):
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", p))
        except OSError:
            break
        finally:
            s.close()
    else:
        print(base)
        sys.exit(0)
sys.exit(1)
PY
}

# emulated_line_env: what a test of the emulated line needs: pcscd and vpcd installed, the
# sqlite3 CLI, loopback ports of its own, a quick poll, and the line stopped on exit.
# Sets db (the registry) and q (a query on it).
emulated_line_env() {
	local base
	command -v pcscd >/dev/null || skip "pcscd not installed"
	[ -e /usr/lib/pcsc/drivers/serial/libifdvpcd.so ] || skip "vsmartcard-vpcd not installed"
	command -v sqlite3 >/dev/null || skip "sqlite3 CLI not installed"
	base=$(free_ports 4) || skip "no free loopback ports"
	export CARDPIPE_PRINTER_PORT=$base CARDPIPE_PRINTER_VPCD_PORT=$((base + 2))
	export CARDPIPE_PRODUCE_POLL_MS=100
	db=$CARDPIPE_HOME/registry.db
	trap 'cardpipe line stop >/dev/null 2>&1 || true' EXIT
}
# q SQL: a query on the test's registry, rows as "a|b" lines: the SQLite file, or the
# PostgreSQL database of CARDPIPE_REGISTRY_URL when run-tests.sh runs the test there (a test
# marked "# backends: sqlite postgresql" runs on both).
q() {
	if [ -n "${CARDPIPE_REGISTRY_URL:-}" ]; then
		psql "$CARDPIPE_REGISTRY_URL" -XqAt -v ON_ERROR_STOP=1 -c "$1"
	else
		sqlite3 "$CARDPIPE_HOME/registry.db" "$1"
	fi
}

# cards_rendered N MIN: a new home with TEST ONLY keys, N good sample applications taken
# through ingest, prepare, perso and render; fails unless at least MIN cards are rendered.
cards_rendered() {
	cardpipe init >/dev/null 2>&1
	cardpipe keys ceremony --test >/dev/null 2>&1 || skip "no test key store (keys ceremony --test)"
	sample_rendered "$1" "$2"
}
# sample_prepared N: N good sample applications taken through ingest and prepare, in a home
# that has its keys.
sample_prepared() {
	cardpipe sample --out "$CARDPIPE_HOME/inbox" --count "$1" --bad-share 0 >/dev/null 2>&1
	rm -f "$CARDPIPE_HOME/inbox/expected.tsv"
	cardpipe ingest >/dev/null 2>&1 || fail "ingest"
	cardpipe prepare >/dev/null 2>&1 || fail "prepare"
}
# sample_rendered N MIN: sample_prepared N, then perso and render; fails unless at least MIN
# cards are rendered.
sample_rendered() {
	local n
	sample_prepared "$1"
	cardpipe perso >/dev/null 2>&1 || fail "perso"
	cardpipe render --no-proof >/dev/null 2>&1 || fail "render"
	n=$(q "SELECT count(*) FROM card WHERE state = 'rendered'")
	[ "$n" -ge "$2" ] || fail "only $n cards rendered"
}

# sample_night COUNT SEED [OPTION...]: COUNT sample applications of this seed (more
# `cardpipe sample` options after them, e.g. --bad-share 0) dropped into the inbox, ingested
# and prepared; prepare may refuse some (its exit status is not checked).
sample_night() {
	local count=$1 seed=$2
	shift 2
	rm -rf gen
	cardpipe sample --out gen --count "$count" --seed "$seed" "$@" >/dev/null
	find gen -mindepth 1 -maxdepth 1 ! -name expected.tsv -exec mv -t "$CARDPIPE_HOME/inbox" {} +
	cardpipe ingest >/dev/null 2>&1
	cardpipe prepare >/dev/null 2>&1 || true
}

# dispatch_fixture_home N [DAY FIRST BANKS]: a new home whose registry holds the dispatch
# unit tests' fixture (tests/unit/dispatch_fixture.h, written by the test_dispatch binary
# with --fixture) of N produced cards, the clock at 2026-11-26 20:00 Beijing; sets db.
dispatch_fixture_home() {
	local tool="$CARDPIPE_BIN/../tests/test_dispatch"
	[ -x "$tool" ] || skip "fixture tool $tool not built (make \$BUILD/tests/test_dispatch)"
	export CARDPIPE_NOW=2026-11-26T20:00:00+08:00
	cardpipe init >/dev/null 2>&1
	db="$CARDPIPE_HOME/registry.db"
	"$tool" --fixture "$db" "$@"
}

# vcard_ctl SOCKET CMD...: one command line to a virtual card daemon's control socket; prints
# its one-line answer.
vcard_ctl() {
	local sock=$1
	shift
	/usr/bin/python3 - "$sock" "$*" <<'PYEOF'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall((sys.argv[2] + "\n").encode())
buf = b""
while not buf.endswith(b"\n"):
    chunk = s.recv(512)
    if not chunk:
        break
    buf += chunk
print(buf.decode().strip())
PYEOF
}

# reader_state present|empty: wait (10 s at most) until the line's pcscd
# (PCSCLITE_CSOCK_NAME) sees a card in the "Virtual PCD" reader, or none: pcscd sees a card
# come or go only at its next poll, and a card put in before that is not seen as new.
reader_state() {
	/usr/bin/python3 - "$1" <<'PYEOF' || fail "the reader did not become $1"
import sys, time
from smartcard.scard import (SCardEstablishContext, SCardListReaders, SCardGetStatusChange,
                             SCARD_SCOPE_USER, SCARD_STATE_UNAWARE, SCARD_STATE_EMPTY,
                             SCARD_STATE_PRESENT)
want = SCARD_STATE_PRESENT if sys.argv[1] == "present" else SCARD_STATE_EMPTY
hr, ctx = SCardEstablishContext(SCARD_SCOPE_USER)
hr, readers = SCardListReaders(ctx, [])
reader = [r for r in readers if r.startswith("Virtual PCD")][0]
for _ in range(200):
    hr, states = SCardGetStatusChange(ctx, 0, [(reader, SCARD_STATE_UNAWARE)])
    if states[0][1] & want:
        break
    time.sleep(0.05)
else:
    raise SystemExit(1)
PYEOF
}
