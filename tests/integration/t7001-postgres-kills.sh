#!/bin/bash
# Two lines producing on a PostgreSQL registry: line 1's produce is killed (SIGKILL) in the
# middle of its run, then the server ends every cardpipe connection (pg_terminate_backend),
# line 2's in the middle of a card among them. Both lines run again: the run converges,
# every card is produced exactly once, and db check and verify-audit pass.
# backends: postgresql
source "$CARDPIPE_SRC/tests/integration/lib.sh"
[ -n "${CARDPIPE_REGISTRY_URL:-}" ] || skip "PostgreSQL only (run-tests.sh runs it there)"
command -v pcscd >/dev/null || skip "pcscd not installed"
[ -e /usr/lib/pcsc/drivers/serial/libifdvpcd.so ] || skip "vsmartcard-vpcd not installed"

base=$(free_ports 8) || skip "no free loopback ports"
export CARDPIPE_PRINTER_PORT=$base CARDPIPE_PRINTER_VPCD_PORT=$((base + 4))
export CARDPIPE_PRODUCE_LINES=1,2
p1= p2=
cleanup() {
	for p in $p1 $p2; do kill -9 "$p" 2>/dev/null || true; done
	cardpipe line stop --line 1 >/dev/null 2>&1 || true
	cardpipe line stop --line 2 >/dev/null 2>&1 || true
}
trap cleanup EXIT

cardpipe init >/dev/null 2>&1
cardpipe keys ceremony --test >/dev/null 2>&1 || fail "keys ceremony"
sample_rendered 16 10
n=$(q "SELECT count(*) FROM card WHERE state = 'rendered'")
produced() { q "SELECT count(*) FROM production_attempt WHERE state = 'produced'"; }

cardpipe line start --line 1 --fast 2>l1.log || { cat l1.log; fail "line 1 start"; }
cardpipe line start --line 2 --fast 2>l2.log || { cat l2.log; fail "line 2 start"; }
cardpipe produce --line 1 >p1.out 2>&1 & p1=$!
cardpipe produce --line 2 >p2.out 2>&1 & p2=$!

# line 1's host dies after the first cards
for _ in $(seq 1 300); do
	[ "$(produced)" -ge 2 ] && break
	sleep 0.1
done
[ "$(produced)" -ge 2 ] || fail "no card produced in 30 s"
kill -9 $p1
wait $p1 2>/dev/null || true
p1=
# then the database ends every cardpipe connection: line 2's, mid-run
sleep 0.5
q "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
	WHERE application_name = 'cardpipe' AND pid <> pg_backend_pid()" >terminated.txt
wait $p2 && echo "note: line 2 had finished before its connection was ended" || true
p2=
before=$(produced)
# the kills must have hit the run, or the rerun proves nothing
[ "$before" -lt "$n" ] || fail "every card was made before the kills"
[ "$(cat terminated.txt)" -ge 1 ] || fail "no cardpipe connection was there to end"

# the rerun converges
cardpipe produce --line 1 >r1.out 2>&1 || { cat r1.out; fail "produce line 1 again"; }
cardpipe produce --line 2 >r2.out 2>&1 || { cat r2.out; fail "produce line 2 again"; }
assert_eq "$(q "SELECT count(*) FROM card WHERE state = 'produced'")" "$n" "every card produced"
assert_eq "$(produced)" "$n" "one produced attempt per card"
assert_eq "$(q "SELECT count(*) FROM production_attempt WHERE state = 'in_flight'")" 0 \
	"no attempt left in flight"
assert_eq "$(q "SELECT count(*) FROM audit_pending")" 0 "no audit row left queued"
assert_eq "$(q "SELECT count(*) FROM seal_pending")" 0 "no row left unsealed"
cardpipe db check >check.txt || { cat check.txt; fail "db check"; }
cardpipe db verify-audit >audit.txt || { cat audit.txt; fail "verify-audit"; }
echo "t7001 ok: $n cards, $before before the kills, $(cat terminated.txt) connection(s) ended"
