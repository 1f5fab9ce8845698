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
# free_ports N: a base port with N free consecutive loopback ports (tests run lines side by side)
free_ports() {
	/usr/bin/python3 - "$1" <<'PY'
import random, socket, sys
n = int(sys.argv[1])
for _ in range(500):
    base = random.randrange(20000, 60000 - n)
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
