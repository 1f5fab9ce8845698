#!/bin/bash
# Benchmark dispatch and reconcile (issue 7): produced cards from the registry fixture of the
# dispatch tests (tests/unit/dispatch_fixture.h: half mailed, a quarter each for pickup and
# employers), then `cardpipe dispatch` (manifests, lists, one A4 carrier letter with a QR
# code per card, written straight to the PDF file), `cardpipe reconcile` (signed reports of
# every bank, refunds, SLA) and `cardpipe status --feed`. Two batch sizes (BENCH_SIZES,
# default 1000 and 4000), each in a fresh CARDPIPE_HOME. Prints table rows
#   stage | n | seconds | per_second | peak_kib
# Run through scripts/bench.sh (make bench) or alone with cardpipe on PATH.
set -eu
command -v cardpipe >/dev/null || { echo "cardpipe not on PATH" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time (GNU time) is needed for peak memory" >&2; exit 1; }
fixture="${CARDPIPE_BIN:-$(dirname "$(command -v cardpipe)")}/../tests/test_dispatch"
[ -x "$fixture" ] || { echo "fixture tool $fixture not built (make build/tests/test_dispatch)" >&2; exit 1; }
SIZES=${BENCH_SIZES:-1000 4000}
base=${CARDPIPE_HOME:-$PWD/home}
export CARDPIPE_NOW=${CARDPIPE_NOW:-2026-11-26T20:00:00+08:00}

row() { # stage n timefile
	local secs kib
	read -r secs kib < <(tail -1 "$3")
	echo "$1 | $2 | $secs | $(awk -v n="$2" -v s="$secs" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }') | $kib"
}

for n in $SIZES; do
	export CARDPIPE_HOME="$base-$n"
	rm -rf "$CARDPIPE_HOME"
	cardpipe init >/dev/null 2>&1
	"$fixture" --fixture "$CARDPIPE_HOME/registry.db" "$n"
	key="$CARDPIPE_HOME/keys/bench-sign.pem"
	cardpipe --set reconcile.signing_key="$key" reconcile keygen >/dev/null
	sync
	/usr/bin/time -f '%e %M' -o dispatch.time cardpipe -q dispatch >/dev/null 2>dispatch.err ||
		{ tail -5 dispatch.err >&2; exit 1; }
	row dispatch "$n" dispatch.time
	/usr/bin/time -f '%e %M' -o reconcile.time \
		cardpipe -q --set reconcile.signing_key="$key" reconcile >/dev/null 2>reconcile.err ||
		{ tail -5 reconcile.err >&2; exit 1; }
	row reconcile "$n" reconcile.time
	/usr/bin/time -f '%e %M' -o feed.time cardpipe -q status --feed --out feed.jsonl >/dev/null 2>feed.err ||
		{ tail -5 feed.err >&2; exit 1; }
	row "status feed" "$(wc -l <feed.jsonl)" feed.time
	rm -rf "$CARDPIPE_HOME" ./*.time ./*.err feed.jsonl
done
