#!/bin/bash
# fuzz.sh BUILD SECONDS - run every libFuzzer target built in BUILD (fuzz_<name>, made by
# `make fuzz-build`) for SECONDS each, starting from its seed corpus tests/fuzz/corpus/<name>/
# (read only: new inputs go to a scratch corpus). Crash, leak and timeout inputs are kept in
# BUILD/fuzz-artifacts/. Prints one line per target; exits 1 if any target found a problem.
set -u
cd "$(dirname "$0")/.."
build=${1:?usage: scripts/fuzz.sh BUILD SECONDS}
seconds=${2:?usage: scripts/fuzz.sh BUILD SECONDS}
artifacts="$build/fuzz-artifacts"
mkdir -p "$artifacts"
failed=0 ran=0
for bin in "$build"/fuzz_*; do
	[ -x "$bin" ] && [ -f "$bin" ] || continue
	name=$(basename "$bin")
	name=${name#fuzz_}
	seeds="tests/fuzz/corpus/$name"
	work=$(mktemp -d "${TMPDIR:-/tmp}/cardpipe-fuzz-$name.XXXXXX")
	log="$artifacts/$name.log"
	args=("$work")
	[ -d "$seeds" ] && args+=("$seeds")
	ran=$((ran + 1))
	if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
		-print_final_stats=1 -artifact_prefix="$artifacts/$name-" "${args[@]}" >"$log" 2>&1; then
		echo "ok   fuzz $name ($(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?') runs, ${seconds}s)"
	else
		failed=$((failed + 1))
		echo "FAIL fuzz $name (log $log)"
		grep -E '^==[0-9]+==ERROR|SUMMARY|^artifact_prefix|Test unit written' "$log" | head -5 | sed 's/^/     /'
	fi
	rm -rf "$work"
done
[ "$ran" -gt 0 ] || { echo "no fuzz targets in $build (make fuzz-build)"; exit 1; }
[ "$failed" -eq 0 ]
