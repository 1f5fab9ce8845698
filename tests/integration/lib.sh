# Sourced by every integration test. Gives: set -eu, $CARDPIPE_HOME (fresh, per test),
# fail MSG, assert_eq A B MSG, assert_contains FILE TEXT, skip MSG (exit 77).
set -eu
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
