#!/bin/bash
# Run the unit tests (cmocka binaries in $BUILD/tests) and the integration tests
# (tests/integration/t*.sh, each run in a fresh temporary CARDPIPE_HOME), then print one
# closing line "N passed, N failed, N skipped". Exit status 0 only if nothing failed.
# Usage: tests/run-tests.sh [unit|integration] [NAME-PATTERN]
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
what=${1:-all}
pattern=${2:-}
passed=0 failed=0 skipped=0 failures=()
logdir=$BUILD/test-logs
mkdir -p "$logdir"
export CARDPIPE_BIN="$PWD/$BUILD/bin"
export CARDPIPE_SRC="$PWD"
# a sanitizer report exits 86, which no cardpipe exit code can be mistaken for
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=86}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=86}
# leaks of third-party libraries we cannot free (tests/lsan.supp says which and why)
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/lsan.supp:print_suppressions=0}

# A throwaway PostgreSQL server for the tests that run on it (CARDPIPE_TEST_PG, a libpq
# connection string; tests/pg-server.sh), stopped and removed when the run ends. Without
# the server binaries those tests say they are skipped.
if [ -z "${CARDPIPE_TEST_PG:-}" ] && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
	pgdir=$(mktemp -d "/tmp/cardpipe-pg.XXXXXX")
	trap 'tests/pg-server.sh stop "$pgdir"' EXIT
	if CARDPIPE_TEST_PG=$(tests/pg-server.sh start "$pgdir" 2>"$logdir/pg-server.log"); then
		export CARDPIPE_TEST_PG
	else
		echo "FAIL the test PostgreSQL server did not start (log $logdir/pg-server.log)"
		cat "$logdir/pg-server.log"
		failures+=("pg-server")
		failed=$((failed + 1))
	fi
fi

if [ "$what" = all ] || [ "$what" = unit ]; then
	for t in "$BUILD"/tests/test_*; do
		[ -x "$t" ] || continue
		n=$(basename "$t")
		[ -n "$pattern" ] && [[ "$n" != *$pattern* ]] && continue
		log="$logdir/$n.log"
		(cd tests/unit && "$OLDPWD/$t") >"$log" 2>&1
		rc=$?
		p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
		f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
		s=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
		p=${p:-0} f=${f:-0} s=${s:-0}
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
		passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
		if [ "$f" -ne 0 ]; then
			failures+=("$n")
			echo "FAIL unit $n ($f failed; log $log)"
			grep -E '^\[  (FAILED|ERROR) |^\[ +ERROR|Error|error' "$log" | head -20
		else
			echo "ok   unit $n ($p passed)"
		fi
	done
fi

# run_integration TEST NAME [VAR=VALUE...]: one integration test in a fresh temporary
# CARDPIPE_HOME, with the variables given; counts and reports it under NAME. Returns 0 when
# it passed.
run_integration() {
	local t=$1 n=$2 log tmp start rc secs
	shift 2
	log="$logdir/$n.log"
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/cardpipe-$n.XXXXXX")
	start=$(date +%s)
	(cd "$tmp" && env CARDPIPE_HOME="$tmp/home" PATH="$CARDPIPE_BIN:$PATH" "$@" \
		timeout 1200 bash "$CARDPIPE_SRC/$t") >>"$log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	if [ "$rc" -eq 0 ]; then
		passed=$((passed + 1))
		echo "ok   $n (${secs}s)"
		rm -rf "$tmp"
		return 0
	elif [ "$rc" -eq 77 ]; then
		skipped=$((skipped + 1))
		echo "skip $n: $(tail -1 "$log")"
		rm -rf "$tmp"
	else
		failed=$((failed + 1))
		failures+=("$n")
		echo "FAIL $n (exit $rc; log $log, work dir $tmp)"
		tail -25 "$log" | sed 's/^/     /'
	fi
	return 1
}

if [ "$what" = all ] || [ "$what" = integration ]; then
	for t in tests/integration/t*.sh; do
		[ -f "$t" ] || continue
		n=$(basename "$t" .sh)
		[ -n "$pattern" ] && [[ "$n" != *$pattern* ]] && continue
		: >"$logdir/$n.log"
		run_integration "$t" "$n"
	done
fi

# The integration tests marked "# backends: sqlite postgresql" once more on PostgreSQL: each
# in a database of its own on the test server (CARDPIPE_REGISTRY_URL), dropped when it
# passed (a failed test's stays, for a look).
if { [ "$what" = all ] || [ "$what" = integration ]; } && [ -n "${CARDPIPE_TEST_PG:-}" ]; then
	for t in tests/integration/t*.sh; do
		grep -q '^# backends: .*postgresql' "$t" || continue
		n=$(basename "$t" .sh)@postgresql
		[ -n "$pattern" ] && [[ "$n" != *$pattern* ]] && continue
		dbname=t_$(basename "$t" .sh | tr -c 'a-z0-9\n' '_')
		psql "$CARDPIPE_TEST_PG" -XqAt -c "DROP DATABASE IF EXISTS $dbname" \
			-c "CREATE DATABASE $dbname" >"$logdir/$n.log" 2>&1
		run_integration "$t" "$n" CARDPIPE_REGISTRY_URL="$CARDPIPE_TEST_PG dbname=$dbname" &&
			psql "$CARDPIPE_TEST_PG" -XqAt -c "DROP DATABASE IF EXISTS $dbname" >/dev/null 2>&1
	done
fi

echo
[ ${#failures[@]} -gt 0 ] && echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
