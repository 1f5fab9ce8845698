#!/bin/bash
# Benchmark produce (issue 6): N cards (BENCH_SIZES, default 20) taken through the whole
# pipeline to 'rendered' (sample, ingest, prepare, perso with a TEST ONLY key store,
# render), then `cardpipe produce --line 1` through the emulated line in its fast mode
# (printer emulator without mechanical delays, the real pcscd + vpcd + virtual card).
# Prints table rows
#   stage | n | seconds | per_second | peak_kib | note
#   produce-line: wall time through the line; note: cards per hour
#   produce-own:  the produce process's own CPU time (user + sys), i.e. the software's time
#                 per card beyond the emulated mechanics, the chip's and the reader's;
#                 note: milliseconds per card (target: under 50)
# Run through scripts/bench.sh (make bench) or alone with cardpipe on PATH.
set -eu
# free_ports
source "${CARDPIPE_SRC:-$(dirname "$0")/../..}/tests/integration/lib.sh"
command -v cardpipe >/dev/null || { echo "cardpipe not on PATH" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "the sqlite3 CLI is needed" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time (GNU time) is needed" >&2; exit 1; }
SIZES=${BENCH_SIZES:-20}
base=${CARDPIPE_HOME:-$PWD/home}
port=$(free_ports 4) || { echo "no free loopback ports" >&2; exit 1; }
export CARDPIPE_PRINTER_PORT=$port CARDPIPE_PRINTER_VPCD_PORT=$((port + 2))

home=
trap '[ -n "$home" ] && CARDPIPE_HOME=$home cardpipe line stop >/dev/null 2>&1; true' EXIT
for n in $SIZES; do
	home="$base-$n"
	export CARDPIPE_HOME="$home"
	rm -rf "$home"
	{
		cardpipe init
		cardpipe keys ceremony --test
		cardpipe sample --out "$home/inbox" --count "$n" --seed 7 --bad-share 0
		rm -f "$home/inbox/expected.tsv"
		cardpipe ingest
		cardpipe prepare
		cardpipe perso
		cardpipe render --no-proof
	} >prep-$n.log 2>&1 || { tail -5 prep-$n.log >&2; exit 1; }
	cards=$(sqlite3 "$home/registry.db" "SELECT count(*) FROM card WHERE state = 'rendered'")
	cardpipe line start --fast >/dev/null 2>&1 || { echo "line start failed" >&2; exit 1; }
	/usr/bin/time -f '%e %U %S %M' -o produce-$n.time cardpipe --quiet produce --line 1 \
		>produce-$n.out 2>produce-$n.err || { tail -3 produce-$n.err >&2; exit 1; }
	cardpipe line stop >/dev/null 2>&1
	made=$(sqlite3 "$home/registry.db" "SELECT count(*) FROM card WHERE state = 'produced'")
	[ "$made" -gt 0 ] || { echo "no card produced of $cards: $(tail -1 produce-$n.err)" >&2; exit 1; }
	read -r wall user sys kib <produce-$n.time
	awk -v n="$made" -v c="$cards" -v w="$wall" -v u="$user" -v s="$sys" -v k="$kib" 'BEGIN {
		cpu = u + s
		printf "produce-line | %d | %.2f | %.2f | %d | %.0f cards/hour (%d of %d produced)\n",
			n, w, (w > 0 ? n / w : 0), k, (w > 0 ? n * 3600 / w : 0), n, c
		printf "produce-own | %d | %.2f | %.1f | %d | %.1f ms CPU per card (target < 50)\n",
			n, cpu, (cpu > 0 ? n / cpu : 0), k, cpu * 1000 / n
	}'
	rm -rf "$home" prep-$n.log produce-$n.*
	home=
done
