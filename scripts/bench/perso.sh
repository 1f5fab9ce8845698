#!/bin/bash
# Benchmark perso (issue 4): N prepared cards (BENCH_SIZES, default 10,000 and 100,000) made
# directly in a fresh registry with SQL (synthetic applications and cards in state
# 'allocated': faster than generating, ingesting and preparing them, and the same rows the
# prepare stage leaves), a TEST ONLY key store, then `cardpipe perso` end to end: reading
# the registry, deriving every card's keys, building and sealing the scripts, committing
# the batches. Prints table rows
#   stage | n | seconds | per_second | peak_kib | note
# the note gives the CPU time (user + system) and the rate it alone allows: on a shared
# machine the wall-clock rate mostly measures the other load. peak_kib is the peak RSS (/usr/bin/time %M): flat with n, since cards are read, sealed and
# committed perso.batch_cards at a time. Target: >= 5,000 cards/s without DDA.
# Issue 13: each size runs twice, with the banks' profiles asking for SDA (no per-card RSA)
# and for DDA (an ICC RSA key pair and its certificate made for every card, the cost to
# watch); 100,000 with DDA runs only with BENCH_PERSO_DDA_100K=1 (it takes many minutes on
# a 2-core machine). Then BENCH_PERSO_THREADS_N (2,000) DDA cards on 1 and on 2 perso
# threads show how key generation scales across the cores.
# Run through scripts/bench.sh (make bench) or alone with cardpipe on PATH.
set -eu
command -v cardpipe >/dev/null || { echo "cardpipe not on PATH" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "the sqlite3 CLI is needed to make the cards" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time (GNU time) is needed for peak memory" >&2; exit 1; }
SIZES=${BENCH_SIZES:-10000 100000}
THREADS_N=${BENCH_PERSO_THREADS_N:-2000}
base=${CARDPIPE_HOME:-$PWD/home}
export CARDPIPE_NOW=${CARDPIPE_NOW:-2026-11-26T20:00:00+08:00}

make_cards() { # DB N
	local db=$1 n=$2 trig
	# the audit trigger calls cardpipe's SQL functions, which the sqlite3 CLI lacks: take it
	# out for the bulk insert and put the same one back
	trig=$(sqlite3 "$db" "SELECT sql FROM sqlite_master WHERE name = 'card_insert_audit'")
	sqlite3 "$db" <<SQL
PRAGMA foreign_keys = ON;
BEGIN;
DROP TRIGGER card_insert_audit;
INSERT INTO input_file(id, sha256, name, channel, format, received_at, status, records)
  VALUES(1, 'bench', 'bench.xml', 'employer', 'employer-xml', '2026-11-26T12:00:00Z', 'ingested', $n);
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $n)
INSERT INTO person(id, id_type, id_number, name, created_at)
  SELECT i, 'citizen', printf('110101199001%06d', i), '张三' || i, '2026-11-26T12:00:00Z' FROM s;
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $n)
INSERT INTO application(id, file_id, record_no, location, channel, name, id_type, id_number,
  sex, ethnicity, birth_date, bank, state, person_id, created_at, updated_at)
  SELECT i, 1, i, 'Employee[' || i || ']', 'employer', '张三' || i, 'citizen',
    printf('110101199001%06d', i), CASE i % 2 WHEN 0 THEN '2' ELSE '1' END, '01',
    '1990-01-01', CASE i % 3 WHEN 0 THEN 'ICBC' WHEN 1 THEN 'BOB' ELSE 'CCB' END,
    'accepted', i, '2026-11-26T12:00:00Z', '2026-11-26T12:00:00Z' FROM s;
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $n)
INSERT INTO card(id, card_no, application_id, person_id, bank, pan, psn, issue_date,
  expiry_date, created_at, updated_at)
  SELECT i, printf('B%08d', i), i, i, CASE i % 3 WHEN 0 THEN 'ICBC' WHEN 1 THEN 'BOB' ELSE 'CCB' END,
    printf('62122600%011d', i), '00', '2026-11-26', '2036-11-25', '2026-11-26T12:00:00Z',
    '2026-11-26T12:00:00Z' FROM s;
$trig;
COMMIT;
SQL
}

# run N ODA THREADS: one perso run of N fresh cards whose banks' profiles ask for ODA (sda:
# no ICC key; dda: an ICC RSA key pair and certificate per card) on THREADS workers (0: one
# per online CPU); prints its table row.
run() {
	local n=$1 oda=$2 threads=$3 prof s k u sy cpu done_n label
	export CARDPIPE_HOME="$base-perso-$n-$oda-$threads"
	rm -rf "$CARDPIPE_HOME"
	cardpipe init >/dev/null 2>&1
	cardpipe keys ceremony --test >/dev/null 2>&1
	prof="$CARDPIPE_HOME/bank-profiles"
	mkdir -p "$prof"
	printf '[oda]\nmethod = %s\n' "$oda" >"$prof/default.ini"
	make_cards "$CARDPIPE_HOME/registry.db" "$n"
	# the rows made with SQL get their row seals as an approved repair would
	cardpipe db reseal >/dev/null 2>&1 || { echo "db reseal failed" >&2; exit 1; }
	sync
	/usr/bin/time -f '%e %M %U %S' -o "perso-$n.time" cardpipe --quiet \
		--set perso.bank_profiles="$prof" --set perso.threads="$threads" perso \
		>"perso-$n.out" 2>"perso-$n.err" || { tail -5 "perso-$n.err" >&2; exit 1; }
	read -r s k u sy <"perso-$n.time"
	done_n=$(sqlite3 "$CARDPIPE_HOME/registry.db" "SELECT count(*) FROM card WHERE state = 'perso_ready'")
	[ "$done_n" -eq "$n" ] || { echo "perso: only $done_n of $n cards perso_ready" >&2; exit 1; }
	cpu=$(awk -v u="$u" -v s="$sy" 'BEGIN { printf "%.2f", u + s }')
	label="perso $oda"
	[ "$threads" = 0 ] || label="$label ${threads}thr"
	echo "$label | $n | $s | $(awk -v n="$n" -v s="$s" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }') | $k | cpu ${cpu} s = $(awk -v n="$n" -v c="$cpu" 'BEGIN { printf "%.2f", (n > 0 ? 1000 * c / n : 0) }') ms of CPU per card; load $(cut -d' ' -f1 /proc/loadavg)"
	[ -n "${BENCH_KEEP:-}" ] || rm -rf "$CARDPIPE_HOME"
}

for n in $SIZES; do
	run "$n" sda 0
	# an ICC key per card: 100,000 of them take long on a small machine, so opt-in
	if [ "$n" -lt 100000 ] || [ -n "${BENCH_PERSO_DDA_100K:-}" ]; then
		run "$n" dda 0
	else
		echo "perso dda | $n | - | - | - | skipped: set BENCH_PERSO_DDA_100K=1 (an ICC RSA key per card)"
	fi
done
# scaling of the ICC key generation across workers
for t in 1 2; do
	run "$THREADS_N" dda "$t"
done
