#!/bin/bash
# make demo: a nightly batch on generated sample data through the emulated production line.
#   1. a fresh CARDPIPE_HOME (demo-home/ in the checkout, or $DEMO_HOME) with TEST ONLY keys
#   2. DEMO_COUNT (default 100) sample applications from every channel (with the usual
#      share of bad records)
#   3. the emulated line started in fast mode (printer emulator, pcscd + vpcd, virtual cards)
#   4. cardpipe nightly (a live n/total line per stage on a terminal), then db check
#   5. everything it started is stopped; where every output is and each stage's time
# DEMO_PRINTER_PORT / DEMO_VPCD_PORT: the line's ports (default printer.port 9100 and
# printer.vpcd_port 40000, vpcd also uses the next one) when those are taken.
# A DEMO_HOME is deleted and made again only when it is a demo home (it holds the marker
# file .cardpipe-demo) or does not exist.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export PATH="$PWD/$BUILD/bin:$PATH"
export CARDPIPE_HOME="${DEMO_HOME:-$PWD/demo-home}"
# the sample files are copied in complete just before ingest: no settle time to wait
export CARDPIPE_INGEST_SETTLE_SECONDS=0
# per-card lines go to the log file only: the screen gets the progress and the warnings
export CARDPIPE_LOG_LEVEL=warn
[ -n "${DEMO_PRINTER_PORT:-}" ] && export CARDPIPE_PRINTER_PORT="$DEMO_PRINTER_PORT"
[ -n "${DEMO_VPCD_PORT:-}" ] && export CARDPIPE_PRINTER_VPCD_PORT="$DEMO_VPCD_PORT"
COUNT=${DEMO_COUNT:-100}
LINE=1
MARKER=.cardpipe-demo
start=$(date +%s)

say() { printf '== %s\n' "$*"; }

case $COUNT in
'' | *[!0-9]*) echo "demo: DEMO_COUNT must be a number of applications, not '$COUNT'" >&2; exit 2 ;;
esac
if [ -e "$CARDPIPE_HOME" ] && [ ! -f "$CARDPIPE_HOME/$MARKER" ] &&
	[ -n "$(ls -A "$CARDPIPE_HOME" 2>/dev/null || echo x)" ]; then
	echo "demo: $CARDPIPE_HOME is not a demo home (no $MARKER in it): not deleting it;" \
		"set DEMO_HOME to a new or empty folder" >&2
	exit 2
fi

say "a fresh CARDPIPE_HOME at $CARDPIPE_HOME (TEST ONLY keys)"
if [ -d "$CARDPIPE_HOME/run/line$LINE" ]; then
	cardpipe line stop --line "$LINE" >/dev/null 2>&1 || true
fi
rm -rf "$CARDPIPE_HOME"
mkdir -p -m 700 "$CARDPIPE_HOME"
echo "made by scripts/demo.sh: deleted and made again by the next make demo" \
	>"$CARDPIPE_HOME/$MARKER"
cardpipe init >/dev/null
cardpipe keys ceremony --test >/dev/null
# the demo's bank cards get the TEST ONLY offline PIN 123456 (docs/pboc-data.md), so that a
# terminal can run a transaction on them; the other profile values are the built-ins
mkdir -p "$CARDPIPE_HOME/bank-profiles"
printf '[pin]\ninitial_pin = test:123456\n' >"$CARDPIPE_HOME/bank-profiles/default.ini"
sed -i 's|^;bank_profiles = .*|bank_profiles = bank-profiles|' "$CARDPIPE_HOME/cardpipe.conf"

say "$COUNT sample applications from every channel"
samples=$(mktemp -d "${TMPDIR:-/tmp}/cardpipe-demo.XXXXXX")
trap 'rm -rf "$samples"' EXIT
cardpipe sample --count "$COUNT" --seed 1 --out "$samples" >/dev/null
# the expected outcomes stay out of the inbox; the files and their photos go in
mv "$samples/expected.tsv" "$CARDPIPE_HOME/out/sample-expected.tsv"
cp -r "$samples"/. "$CARDPIPE_HOME/inbox/"

say "the emulated production line $LINE (fast)"
cardpipe line start --line "$LINE" --fast >/dev/null
trap 'cardpipe line stop --line "$LINE" >/dev/null 2>&1 || true; rm -rf "$samples"' EXIT

say "cardpipe nightly"
set +e
cardpipe nightly --line "$LINE"
rc=$?
set -e
cardpipe line stop --line "$LINE" >/dev/null
trap 'rm -rf "$samples"' EXIT

say "registry checks"
cardpipe db check >/dev/null && echo "db check: every invariant holds"

out=$CARDPIPE_HOME/out
say "stage times (nightly run)"
# the nightly's own per-stage lines ("NAME: ... (N.N s)"), from the log file
grep -h '"component":"nightly"' "$CARDPIPE_HOME"/log/*.log 2>/dev/null |
	sed -n 's/.*"msg":"\([a-z0-9 -]*\): .*(\([0-9.]* s\))".*/  \1\t\2/p' | tail -n 12 |
	awk -F'\t' '{ printf "  %-22s %s\n", $1, $2 }' | sed 's/^    /  /'

say "outputs (nightly exit code $rc: 0 done, 1 done with rejects over the threshold)"
printf '  %-22s %s\n' \
	"card faces" "$CARDPIPE_HOME/spool/faces/<card number>/" \
	"proof sheets" "$(ls -d "$out"/proof/* 2>/dev/null | tail -1)" \
	"printed by the line" "$CARDPIPE_HOME/run/line$LINE/printed/" \
	"mail manifests" "$(ls -d "$out"/dispatch 2>/dev/null || echo "$out/dispatch")" \
	"carrier letters" "$(ls "$out"/dispatch/*/letters*.pdf 2>/dev/null | head -1)" \
	"rejects files" "$out/rejects/" \
	"bank reconciliation" "$(ls -d "$out"/reconcile/* 2>/dev/null | tail -1)" \
	"shift reports" "$out/shift/" \
	"run report" "$(ls "$out"/reports/run-*.html 2>/dev/null | tail -1)" \
	"log (every card)" "$(ls "$CARDPIPE_HOME"/log/*.log 2>/dev/null | tail -1)"
echo "demo: $COUNT applications in $(($(date +%s) - start)) s"
[ "$rc" -le 1 ]
