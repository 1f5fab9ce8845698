#!/bin/bash
# Benchmark render (issue 5): cards from generated applications (cardpipe sample, ingest,
# prepare; render.from_allocated so that perso is not needed), rendered in full: both
# faces, all panels, preview PNGs written, manifests, registry updates; no proof sheets
# (they are QC pages, not per-card work). Two batch sizes (BENCH_SIZES, default 500 and
# 2000), each in a fresh CARDPIPE_HOME. Prints table rows
#   stage | n | seconds | per_second | peak_kib | note
# peak_kib is the peak RSS (/usr/bin/time %M): it must not grow with n (render works in
# batches of render.batch cards). The note gives the CPU time (user + system) per card,
# which a loaded machine does not inflate the way it does the wall clock.
# Beside it the floor measured in the same run on the same cards (bench-floor --render,
# tests/bench/: the libraries alone doing the essential per-card work - libjpeg's decode of
# the photo scaled for its box, libdeflate at render.png_level over the scan lines of every
# file the card has alone - on the first BENCH_FLOOR_CARDS cards, one core) and the ratio.
# Render compresses the rows its files share with a card with no data once per worker
# (personalization/face/png.c), so the ratio can fall below 1.
# Targets: >= 150 cards/s on 2 cores (issue 5), >= 300 (issue 17).
# Run through scripts/bench.sh (make bench) or alone with cardpipe on PATH.
set -eu
command -v cardpipe >/dev/null || { echo "cardpipe not on PATH" >&2; exit 1; }
FLOOR=${BENCH_FLOOR:-${CARDPIPE_SRC:-.}/${BUILD:-build}/bench/bench-floor}
FLOOR_CARDS=${BENCH_FLOOR_CARDS:-500}
[ -x /usr/bin/time ] || { echo "/usr/bin/time (GNU time) is needed for peak memory" >&2; exit 1; }
SIZES=${BENCH_SIZES:-500 2000}
base=${CARDPIPE_HOME:-$PWD/home}
export CARDPIPE_NOW=${CARDPIPE_NOW:-2026-11-26T20:00:00+08:00}

for n in $SIZES; do
	export CARDPIPE_HOME="$base-$n"
	rm -rf "$CARDPIPE_HOME" "gen-$n"
	cardpipe init >/dev/null 2>&1
	cardpipe sample --out "gen-$n" --count "$n" --seed 7 --bad-share 0 >/dev/null 2>&1
	find "gen-$n" -mindepth 1 -maxdepth 1 ! -name expected.tsv -exec mv -t "$CARDPIPE_HOME/inbox" {} +
	cardpipe --quiet ingest >/dev/null 2>&1 || true
	cardpipe --quiet prepare >/dev/null 2>&1 || true
	sync
	/usr/bin/time -f '%e %M %U %S' -o "render-$n.time" \
		cardpipe --set render.from_allocated=true render --no-proof >"render-$n.out" 2>"render-$n.err" ||
		{ tail -5 "render-$n.err" >&2; exit 1; }
	read -r secs kib usr sys < <(tail -1 "render-$n.time")
	cards=$(sed -n 's/^rendered \([0-9]*\),.*/\1/p' "render-$n.out")
	[ -n "$cards" ] && [ "$cards" -gt 0 ] || { echo "no cards rendered" >&2; cat "render-$n.err" >&2; exit 1; }
	rate=$(awk -v n="$cards" -v s="$secs" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')
	cpu=$(awk -v n="$cards" -v u="$usr" -v s="$sys" 'BEGIN { printf "%.1f", (u + s) * 1000 / n }')
	floor_note="floor -"
	if [ -x "$FLOOR" ] && fl_out=$(sqlite3 "$CARDPIPE_HOME/registry.db" \
		"SELECT c.card_no, a.photo_sha256, coalesce(a.photo_loc, '') FROM card c JOIN application a ON a.id = c.application_id
		 WHERE c.state = 'rendered' ORDER BY c.id" | tr '|' ' ' |
		"$FLOOR" --render "$CARDPIPE_HOME/spool/faces" "$CARDPIPE_HOME/spool/photos" "$FLOOR_CARDS" 2>/dev/null); then
		read -r _ fl_n fl _ fl_jpeg _ fl_def <<<"$fl_out"
		floor_note=$(awk -v f="$fl" -v j="$fl_jpeg" -v d="$fl_def" -v n="$fl_n" -v c="$cpu" 'BEGIN {
			printf "floor %.1f ms (jpeg %.1f, deflate %.1f; %d cards), x", f / 1000, j / 1000, d / 1000, n
			if (f > 0) printf "%.1f", c * 1000 / f; else printf "-" }')
	fi
	echo "render | $cards | $secs | $rate | $kib | cpu $cpu ms/card ($usr s user, $sys s sys), $floor_note"
	rm -f "render-$n".*
	done_homes="${done_homes:-} $CARDPIPE_HOME gen-$n"
done
# Deleted last: removing a home of thousands of files just before the next size's run was
# measured to add several ms of system time per card to that run (the file system is still
# busy with the deletion), which is not render's cost.
for h in ${done_homes:-}; do rm -rf "$h"; done
