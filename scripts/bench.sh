#!/bin/bash
# make bench: run every stage's benchmark (scripts/bench/<stage>.sh) and print one table,
# also written to bench/results.txt. Each stage script prints rows
#   stage | n | seconds | per_second | peak_kib [| note]
# on stdout (other output goes to stderr) and uses $CARDPIPE_BIN/cardpipe.
# Usage: scripts/bench.sh [STAGE...]   (default: all)
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export CARDPIPE_BIN="$PWD/$BUILD/bin" CARDPIPE_SRC="$PWD"
export PATH="$CARDPIPE_BIN:$PATH"
# the sample files are copied in complete just before ingest: no settle time to wait
export CARDPIPE_INGEST_SETTLE_SECONDS=0
mkdir -p bench
out=bench/results.txt
rows=$(mktemp)
scripts=()
if [ $# -gt 0 ]; then
	for s in "$@"; do scripts+=("scripts/bench/$s.sh"); done
else
	# The stages that create and then delete the most files run last: after a mass
	# deletion, ext4 without a journal (as here) allocates new inodes slowly for a minute or
	# more, which showed as several ms of system time per card in a render run that came
	# right after the 100,000-application ingest benchmark. claim renders and deletes a few
	# thousand cards' files, before dispatch.
	for st in render perso produce claim dispatch ingest_prepare; do
		scripts+=("scripts/bench/$st.sh")
	done
	for s in scripts/bench/*.sh; do
		case " ${scripts[*]} " in *" $s "*) ;; *) scripts+=("$s") ;; esac
	done
fi
for s in "${scripts[@]}"; do
	[ -f "$s" ] || continue
	# ingest makes a file per photo: give the file system the deletions of the stages
	# before it to settle (measured: 5.7 s of system time for 10,000 applications right
	# after a deletion, 1.5 s otherwise)
	if [ "$(basename "$s")" = ingest_prepare.sh ] && [ "$s" != "${scripts[0]}" ]; then
		sync
		sleep "${BENCH_SETTLE_SECONDS:-60}"
	fi
	work=$(mktemp -d "${TMPDIR:-/tmp}/cardpipe-bench.XXXXXX")
	echo "bench: $(basename "$s" .sh) ..." >&2
	if ! (cd "$work" && CARDPIPE_HOME="$work/home" bash "$CARDPIPE_SRC/$s") >>"$rows" 2>"$work.err"; then
		echo "$(basename "$s" .sh) | - | - | - | - | FAILED: $(tail -1 "$work.err")" >>"$rows"
	fi
	rm -rf "$work" "$work.err"
done
{
	echo "cardpipe benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $(git describe --always --dirty 2>/dev/null)"
	[ -n "${BENCH_PERSO_DDA_100K:-}" ] ||
		echo "perso with DDA (an ICC RSA key per card) at 100,000 cards is opt-in: BENCH_PERSO_DDA_100K=1"
	echo
	printf '%-22s %9s %9s %12s %10s  %s\n' stage n seconds per_second peak_kib note
	printf '%-22s %9s %9s %12s %10s  %s\n' ----- - ------- ---------- -------- ----
	grep '|' "$rows" | while IFS='|' read -r st n secs ps kib note; do
		printf '%-22s %9s %9s %12s %10s  %s\n' "$(echo $st)" "$(echo $n)" "$(echo $secs)" \
			"$(echo $ps)" "$(echo $kib)" "$(echo $note)"
	done
} | tee "$out"
rm -f "$rows"
