#!/bin/bash
# t3001: render converges after a crash and under a concurrent run (docs/system.md invariant 3):
# a render killed with SIGKILL part-way, then run again, ends with every card rendered
# exactly once, every output folder complete and the registry checks passing; two renders
# started together share the work without failing or doubling a card.
source "$CARDPIPE_SRC/tests/integration/lib.sh"
export CARDPIPE_NOW=2026-11-26T10:00:00+08:00

setup_home() {
	cardpipe init >/dev/null
	sample_night "$1" "$2" --bad-share 0
}
waiting() {
	sqlite3 "$CARDPIPE_HOME/registry.db" \
		"SELECT count(*) FROM card WHERE state IN ('allocated','perso_ready')"
}
rendered() { sqlite3 "$CARDPIPE_HOME/registry.db" "SELECT count(*) FROM card WHERE state = 'rendered'"; }
command -v sqlite3 >/dev/null || skip "sqlite3 command-line tool not installed"

# --- crash part-way, rerun
setup_home 120 21
total=$(waiting)
[ "$total" -gt 50 ] || fail "expected a batch of cards, got $total"
cardpipe --set render.from_allocated=true --set render.batch=16 render --no-proof >/dev/null 2>&1 &
pid=$!
# wait until some cards are recorded, then kill without warning
for _ in $(seq 1 200); do
	[ "$(rendered)" -gt 0 ] && break
	sleep 0.05
done
kill -9 "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
echo "killed after $(rendered) of $total cards"
cardpipe --set render.from_allocated=true render --no-proof >rerun.out
cat rerun.out
assert_eq "$(rendered)" "$total" "every card rendered after the rerun"
assert_eq "$(waiting)" 0 "nothing left waiting"
for d in "$CARDPIPE_HOME"/spool/faces/*/; do
	assert_contains "$d/faces.txt" "cardpipe-faces 1"
	assert_eq "$(grep -c '^file ' "$d/faces.txt")" 8 "$d: eight files in the manifest"
done
assert_eq "$(find "$CARDPIPE_HOME/spool/faces" -name '*.tmp.*' | wc -l)" 0 "no temporary files of the killed run left behind"
cardpipe db check >check.out || { cat check.out; fail "registry checks fail after the crash"; }
# one audit row per card moving to rendered: nothing doubled
moved=$(sqlite3 "$CARDPIPE_HOME/registry.db" \
	"SELECT count(DISTINCT entity_id) = count(*) FROM audit_log WHERE entity = 'card' AND event LIKE '%->rendered'")
assert_eq "$moved" 1 "each card moved to rendered once"

# --- two runs at once
export CARDPIPE_HOME="$CARDPIPE_HOME-2"
setup_home 80 22
total=$(waiting)
cardpipe --set render.from_allocated=true --set render.batch=8 render --no-proof >a.out 2>a.err &
a=$!
cardpipe --set render.from_allocated=true --set render.batch=8 render --no-proof >b.out 2>b.err &
b=$!
wait "$a" || { cat a.err; fail "first concurrent render failed"; }
wait "$b" || { cat b.err; fail "second concurrent render failed"; }
assert_eq "$(rendered)" "$total" "every card rendered by the two runs"
moved=$(sqlite3 "$CARDPIPE_HOME/registry.db" \
	"SELECT count(DISTINCT entity_id) = count(*) FROM audit_log WHERE entity = 'card' AND event LIKE '%->rendered'")
assert_eq "$moved" 1 "each card moved to rendered once"
cardpipe db check >/dev/null || fail "registry checks fail after concurrent runs"
echo "ok: crash and concurrent runs converge ($total cards)"
