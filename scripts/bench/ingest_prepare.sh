#!/bin/bash
# Benchmark ingest + prepare (issue 3): generated applications with photos, 10,000 and
# 100,000 (BENCH_SIZES to change), each in a fresh CARDPIPE_HOME. Prints table rows
#   stage | n | seconds | per_second | peak_kib
# for ingest, prepare and both together; peak_kib is the peak RSS (/usr/bin/time %M), which
# should not grow with n, and a note with the CPU time (user+sys of the child, as
# getrusage gives it to /usr/bin/time) per application and the load average, since wall
# time on a shared machine says little alone. Beside ingest and the total the note gives
# the floor measured in the same run on the same data (bench-floor, tests/bench/: the
# libraries alone doing the essential work - libjpeg's 1/8-scale decode of every photo,
# gzip inflate, SHA-256, base64 decode - on the first BENCH_FLOOR_APPS applications, one
# core) and the ratio to it. Targets (issue 17): ingest+prepare >= 3,000 applications/s
# on 2 cores, CPU <= 500 us per application, peak memory flat from 10k to 100k.
#
# With the PostgreSQL server binaries installed (Debian's postgresql), the sizes
# BENCH_PG_SIZES run a second time with the registry on a throwaway server this script
# starts (tests/pg-server.sh, stopped on exit), each size in a database of its own: rows
# "ingest (pg)", "prepare (pg)", "ingest+prepare (pg)", the same figures (the client's peak
# memory and CPU; the server's are not in them). BENCH_PG_SIZES defaults to the first size
# only: 10,000 applications took 37 s on PostgreSQL (2 cores, prepare 360/s), so 100,000
# would take over 6 minutes; BENCH_PG_SIZES="10000 100000" for both, BENCH_PG_SIZES= for none.
# The generated files are moved in complete just before ingest: no settle time to wait, as
# scripts/bench.sh sets it (without it, a run alone measured ingest's 30 s settle wait).
# Run through scripts/bench.sh (make bench) or alone with cardpipe on PATH.
set -eu
command -v cardpipe >/dev/null || { echo "cardpipe not on PATH" >&2; exit 1; }
SRC=${CARDPIPE_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
FLOOR=${BENCH_FLOOR:-$SRC/${BUILD:-build}/bench/bench-floor}
FLOOR_APPS=${BENCH_FLOOR_APPS:-5000}
[ -x /usr/bin/time ] || { echo "/usr/bin/time (GNU time) is needed for peak memory" >&2; exit 1; }
SIZES=${BENCH_SIZES:-10000 100000}
PG_SIZES=${BENCH_PG_SIZES-${SIZES%% *}}
export CARDPIPE_INGEST_SETTLE_SECONDS=${CARDPIPE_INGEST_SETTLE_SECONDS:-0}
base=${CARDPIPE_HOME:-$PWD/home}
export CARDPIPE_NOW=${CARDPIPE_NOW:-2026-11-26T20:00:00+08:00}

measure() { # LOG cmd... : runs cmd, appends "seconds kib" to LOG
	local log=$1
	shift
	/usr/bin/time -f '%e %M %U %S' -o "$log.time" "$@" >"$log.out" 2>"$log.err" || {
		local rc=$?
		# prepare exits 1 when the rejects pass the threshold: that is a result, not a failure
		[ "$rc" -eq 1 ] || { tail -5 "$log.err" >&2; return "$rc"; }
	}
	tail -1 "$log.time"
}

# one_size N: ingest and prepare N generated applications in a fresh home, on the registry
# of CARDPIPE_REGISTRY_URL when set (rows tagged with $tag), else the home's SQLite file
one_size() {
	local n=$1
	export CARDPIPE_HOME="$base-$n$suffix"
	rm -rf "$CARDPIPE_HOME" gen-$n
	cardpipe init >/dev/null 2>&1
	cardpipe sample --out "gen-$n" --count "$n" --seed 42 --bad-share 0.05 >/dev/null 2>&1
	find "gen-$n" -maxdepth 1 -type f ! -name expected.tsv -exec mv -t "$CARDPIPE_HOME/inbox" {} +
	# photos referenced by path live in sub-folders next to the files
	find "gen-$n" -mindepth 1 -maxdepth 1 -type d -exec mv -t "$CARDPIPE_HOME/inbox" {} +
	sync
	read -r is ik iu isy < <(measure "ingest-$n" cardpipe --quiet ingest)
	read -r ps pk pu psy < <(measure "prepare-$n" cardpipe --quiet prepare)
	load=$(cut -d' ' -f1 /proc/loadavg)
	read_n=$(q "SELECT count(*) FROM application" 2>/dev/null || echo "$n")
	rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
	# CPU microseconds per application of user + system seconds
	cpu() { awk -v n="$read_n" -v u="$1" -v s="$2" 'BEGIN { printf "%.0f", (u + s) * 1e6 / n }'; }
	ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else printf "-" }'; }
	floor_note=" floor -" fl=0
	if [ -x "$FLOOR" ] && fl_out=$(q \
		"SELECT sha256, records FROM input_file WHERE status = 'ingested' ORDER BY id" |
		tr '|' ' ' | "$FLOOR" "$CARDPIPE_HOME/archive" "$FLOOR_APPS" 2>/dev/null); then
		read -r _ fl_n fl _ fl_jpeg _ fl_inf _ fl_sha _ fl_b64 <<<"$fl_out"
		floor_note=" floor $fl us (jpeg $fl_jpeg, inflate $fl_inf, sha256 $fl_sha, base64 $fl_b64; $fl_n apps)"
	fi
	icpu=$(cpu "$iu" "$isy") pcpu=$(cpu "$pu" "$psy")
	echo "ingest$tag | $read_n | $is | $(rate "$read_n" "$is") | $ik | cpu $icpu us/app,$floor_note, x$(ratio "$icpu" "$fl"); load $load"
	echo "prepare$tag | $read_n | $ps | $(rate "$read_n" "$ps") | $pk | cpu $pcpu us/app; load $load"
	tot=$(awk -v a="$is" -v b="$ps" 'BEGIN { printf "%.2f", a + b }')
	peak=$(( ik > pk ? ik : pk ))
	echo "ingest+prepare$tag | $read_n | $tot | $(rate "$read_n" "$tot") | $peak | cpu $((icpu + pcpu)) us/app, x$(ratio $((icpu + pcpu)) "$fl") the floor; $(q "SELECT count(DISTINCT photo_sha256) FROM application") distinct photos"
	# removed at the end, not before the next size: ext4 without a journal allocates new
	# inodes slowly for a minute or more after a mass deletion (it skips the recently
	# freed ones, reading each one's inode block), and ingest allocates one per photo:
	# right after removing the previous size's home, ingest took 3 to 4 times the system
	# time (5.7 s instead of 1.5 s for 10,000 applications)
	done_homes+=("$CARDPIPE_HOME" "$PWD/gen-$n")
}

q() { # SQL: rows of the registry as "a|b" lines
	if [ -n "${CARDPIPE_REGISTRY_URL:-}" ]; then
		psql "$CARDPIPE_REGISTRY_URL" -XqAt -v ON_ERROR_STOP=1 -c "$1"
	else
		sqlite3 "$CARDPIPE_HOME/registry.db" "$1"
	fi
}

done_homes=() pgdir=
cleanup() {
	[ -z "$pgdir" ] || "$SRC/tests/pg-server.sh" stop "$pgdir"
	[ ${#done_homes[@]} -eq 0 ] || rm -rf "${done_homes[@]}"
}
trap cleanup EXIT
tag= suffix=
unset CARDPIPE_REGISTRY_URL
for n in $SIZES; do one_size "$n"; done

[ -n "${PG_SIZES// }" ] && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || exit 0
pgdir=$(mktemp -d /tmp/cpbench.XXXXXX)
pg=$("$SRC/tests/pg-server.sh" start "$pgdir")
tag=" (pg)" suffix=-pg
for n in $PG_SIZES; do
	db=bench_ip_$n
	psql "$pg" -XqAt -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
	export CARDPIPE_REGISTRY_URL="$pg dbname=$db"
	one_size "$n"
	unset CARDPIPE_REGISTRY_URL
	psql "$pg" -XqAt -c "DROP DATABASE IF EXISTS $db" >/dev/null
done
