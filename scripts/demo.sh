#!/bin/bash
# make demo: a nightly batch on generated sample data through the emulated production line.
#   1. a fresh CARDPIPE_HOME (demo-home/ in the checkout, or $DEMO_HOME) with TEST ONLY keys
#   2. 500 sample applications from every channel (with the usual share of bad records)
#   3. the emulated line started (printer emulator, pcscd + vpcd, virtual cards)
#   4. cardpipe nightly, then db check
#   5. everything it started is stopped, and the outputs are listed
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export PATH="$PWD/$BUILD/bin:$PATH"
export CARDPIPE_HOME="${DEMO_HOME:-$PWD/demo-home}"
# the sample files are copied in complete just before ingest: no settle time to wait
export CARDPIPE_INGEST_SETTLE_SECONDS=0
COUNT=${DEMO_COUNT:-500}
LINE=1

say() { printf '\n== %s\n' "$*"; }

say "a fresh CARDPIPE_HOME at $CARDPIPE_HOME"
if [ -d "$CARDPIPE_HOME/run/line$LINE" ]; then
	cardpipe line stop --line "$LINE" >/dev/null 2>&1 || true
fi
rm -rf "$CARDPIPE_HOME"
cardpipe init
cardpipe keys ceremony --test

say "$COUNT sample applications from every channel"
samples=$(mktemp -d "${TMPDIR:-/tmp}/cardpipe-demo.XXXXXX")
trap 'rm -rf "$samples"' EXIT
cardpipe sample --count "$COUNT" --seed 1 --out "$samples"
# the expected outcomes stay out of the inbox; the files and their photos go in
mv "$samples/expected.tsv" "$CARDPIPE_HOME/out/sample-expected.tsv"
cp -r "$samples"/. "$CARDPIPE_HOME/inbox/"

say "the emulated production line $LINE"
cardpipe line start --line "$LINE" --fast
trap 'cardpipe line stop --line "$LINE" >/dev/null 2>&1 || true; rm -rf "$samples"' EXIT

say "cardpipe nightly"
set +e
cardpipe nightly --line "$LINE"
rc=$?
set -e
cardpipe line stop --line "$LINE"
trap 'rm -rf "$samples"' EXIT

say "registry checks"
cardpipe db check

out=$CARDPIPE_HOME/out
say "outputs (nightly exit code $rc: 0 done, 1 done with rejects over the threshold)"
printf '%-22s %s\n' \
	"card faces" "$CARDPIPE_HOME/spool/faces/<card number>/" \
	"proof sheets" "$(ls -d "$out"/proof/* 2>/dev/null | tail -1)" \
	"printed by the line" "$CARDPIPE_HOME/run/line$LINE/printed/" \
	"mail manifests" "$(ls -d "$out"/dispatch 2>/dev/null || echo "$out/dispatch")" \
	"carrier letters" "$(ls "$out"/dispatch/*/letters*.pdf 2>/dev/null | head -1)" \
	"rejects files" "$out/rejects/" \
	"bank reconciliation" "$(ls -d "$out"/reconcile/* 2>/dev/null | tail -1)" \
	"shift reports" "$out/shift/" \
	"run report" "$(ls "$out"/reports/run-*.html 2>/dev/null | tail -1)"
[ "$rc" -le 1 ]
