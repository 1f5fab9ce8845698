#!/bin/bash
# Benchmark claiming cards for production (issue 14): the registry's work of producing a
# card, without the printer emulator, the reader or the chip (scripts/bench/produce.sh
# measures those), on 1, 2 and 4 lines at once (BENCH_CLAIM_LINES), on SQLite and, when the
# PostgreSQL server binaries are installed (Debian's postgresql), on a throwaway server this
# script starts (tests/pg-server.sh, stopped on exit). SQLite lets one writer in at a time;
# on PostgreSQL a line's transactions wait only for its own rows and the next free card is
# read FOR UPDATE SKIP LOCKED (reg_prod_claim_next()), so lines should add up there.
#
# N cards (BENCH_SIZES, default 1000) are rendered once per backend (cardpipe sample,
# ingest, prepare, render with render.from_allocated: in no perso batch, so any line may
# claim them), then for each number of lines K a copy of that registry (sqlite3 .backup; a
# database made from it as a template) is worked off by bench-claim K (tests/bench/
# bench_claim.c: K processes, lines 1..K, each claiming cards until none is left and making
# produce's registry calls for a card produced at its first attempt - claim, attempt begun,
# fed, contact, encoded and locked with a chip id of its own, printed, produced: seven
# transactions a card), and cardpipe db check is run on the result. Prints table rows
#   claim (sqlite) | n | seconds | per_second | peak_kib | note
#   claim (pg)     | ...
# per_second: cards produced a second by the K lines together; peak_kib: the largest peak
# RSS of a line's process (the server's memory is not in it); note: K, the mean wall time
# of a claim and of a whole card in a line, the cards each line took and the db check.
# Run through scripts/bench.sh (make bench) or alone with cardpipe on PATH.
set -eu
command -v cardpipe >/dev/null || { echo "cardpipe not on PATH" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "the sqlite3 CLI is needed" >&2; exit 1; }
SRC=${CARDPIPE_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
CLAIM=${BENCH_CLAIM:-$SRC/${BUILD:-build}/bench/bench-claim}
[ -x "$CLAIM" ] || { echo "$CLAIM not built (make all-tests)" >&2; exit 1; }
SIZES=${BENCH_SIZES:-1000}
LINES=${BENCH_CLAIM_LINES:-1 2 4}
base=${CARDPIPE_HOME:-$PWD/home}
export CARDPIPE_NOW=${CARDPIPE_NOW:-2026-11-26T20:00:00+08:00}
unset CARDPIPE_REGISTRY_URL

# render_cards N: a fresh CARDPIPE_HOME with N rendered cards in the registry of
# CARDPIPE_REGISTRY_URL (when set) or the home's SQLite file
render_cards() {
	local n=$1
	rm -rf "$CARDPIPE_HOME" "gen-$n"
	{
		cardpipe init
		cardpipe sample --out "gen-$n" --count "$n" --seed 7 --bad-share 0
		find "gen-$n" -mindepth 1 -maxdepth 1 ! -name expected.tsv \
			-exec mv -t "$CARDPIPE_HOME/inbox" {} +
		cardpipe --quiet ingest
		cardpipe --quiet prepare
		cardpipe --set render.from_allocated=true render --no-proof
	} >"render-$n.log" 2>&1 || { tail -5 "render-$n.log" >&2; exit 1; }
	rm -rf "gen-$n" "$CARDPIPE_HOME/spool/faces"
}

# claim_run NAME K: bench-claim K on the registry of CARDPIPE_REGISTRY_URL; one table row
claim_run() {
	local name=$1 k=$2 out check
	out=$("$CLAIM" "$k") || { echo "bench-claim $k failed" >&2; exit 1; }
	check=ok
	cardpipe db check >"check-$k.log" 2>&1 || check="FAILED: $(grep -v '^ok' "check-$k.log" | head -1)"
	read -r _ _ cards secs claim_ms card_ms kib per_line <<<"$out"
	[ "$cards" -gt 0 ] || { echo "$name: no card produced" >&2; exit 1; }
	awk -v nm="$name" -v n="$cards" -v s="$secs" -v k="$kib" -v l="$k" -v c="$claim_ms" \
		-v m="$card_ms" -v pl="$per_line" -v ch="$check" -v ld="$(cut -d' ' -f1 /proc/loadavg)" \
		'BEGIN { printf "%s | %d | %.2f | %.0f | %d | lines %d: claim %.1f ms, card %.1f ms a line; cards %s; db check %s; load %s\n",
			nm, n, s, (s > 0 ? n / s : 0), k, l, c, m, pl, ch, ld }'
}

for n in $SIZES; do
	export CARDPIPE_HOME="$base-$n"
	render_cards "$n"
	sqlite3 "$CARDPIPE_HOME/registry.db" ".backup 'rendered-$n.db'"
	for k in $LINES; do
		sqlite3 "rendered-$n.db" ".backup 'claim-$n-$k.db'"
		CARDPIPE_REGISTRY_URL="sqlite:$PWD/claim-$n-$k.db" claim_run "claim (sqlite)" "$k"
		rm -f "claim-$n-$k.db"*
	done
	rm -rf "$CARDPIPE_HOME" "rendered-$n.db"
done

ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || exit 0
pgdir=$(mktemp -d /tmp/cpbench.XXXXXX)
trap '"$SRC/tests/pg-server.sh" stop "$pgdir"' EXIT
pg=$("$SRC/tests/pg-server.sh" start "$pgdir")
sql() { psql "$pg" -XqAt -v ON_ERROR_STOP=1 "$@" >/dev/null; }
for n in $SIZES; do
	export CARDPIPE_HOME="$base-pg-$n"
	sql -c "CREATE DATABASE rendered_$n"
	CARDPIPE_REGISTRY_URL="$pg dbname=rendered_$n" render_cards "$n"
	for k in $LINES; do
		# a copy of the rendered registry (no connection to it is open now)
		sql -c "CREATE DATABASE claim_${n}_$k TEMPLATE rendered_$n"
		CARDPIPE_REGISTRY_URL="$pg dbname=claim_${n}_$k" claim_run "claim (pg)" "$k"
		sql -c "DROP DATABASE claim_${n}_$k"
	done
	sql -c "DROP DATABASE rendered_$n"
	rm -rf "$CARDPIPE_HOME"
done
