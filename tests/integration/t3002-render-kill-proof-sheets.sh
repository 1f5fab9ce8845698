#!/bin/bash
# t3002: the proof sheets a killed render owed are drawn by the rerun. A render with proof
# sheets is killed with SIGKILL after recording some cards; the rerun draws the pages of
# every card the killed run recorded but had not yet put on a page, as well as its own, so
# the run and its rerun together leave one page per 12 cards (not only the rerun's cards),
# and no page of the killed run is overwritten (the clock is pinned: same file prefix).
source "$CARDPIPE_SRC/tests/integration/lib.sh"
command -v sqlite3 >/dev/null || skip "sqlite3 command-line tool not installed"
export CARDPIPE_NOW=2026-11-26T10:00:00+08:00
q() { sqlite3 "$CARDPIPE_HOME/registry.db" "$1"; }
rendered() { q "SELECT count(*) FROM card WHERE state = 'rendered'"; }

cardpipe init >/dev/null
sample_night 150 23 --bad-share 0
total=$(q "SELECT count(*) FROM card WHERE state = 'allocated'")
[ "$total" -gt 100 ] || fail "expected a batch of cards, got $total"

set_render="--set render.from_allocated=true --set render.threads=1"
# shellcheck disable=SC2086
cardpipe $set_render --set render.batch=20 render >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 400); do
	[ "$(rendered)" -gt 0 ] && break
	sleep 0.05
done
kill -9 "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
killed_at=$(rendered)
pages_before=$(find "$CARDPIPE_HOME/out/proof" -name '*.png' | wc -l)
echo "killed after $killed_at of $total cards, $pages_before proof pages"
[ "$killed_at" -lt "$total" ] || echo "note: the render finished before its kill"
# shellcheck disable=SC2086
cardpipe $set_render render >rerun.out
cat rerun.out
assert_eq "$(rendered)" "$total" "every card rendered"
pages=$(find "$CARDPIPE_HOME/out/proof" -name '*.png' | wc -l)
want=$(((total + 11) / 12))
# a kill between writing a page and recording it leaves that page drawn twice: one more
[ "$pages" -eq "$want" ] || [ "$pages" -eq $((want + 1)) ] ||
	fail "$pages proof pages for $total cards, expected $want"
assert_eq "$(q "SELECT count(*) FROM proof_owed")" 0 "no proof page owed"
# every card is on a page: the pages' audit rows count them
on_pages=$(q "SELECT coalesce(sum(CAST(substr(detail, 1, instr(detail, ' ') - 1) AS INTEGER)), 0)
	FROM audit_log WHERE entity = 'proof' AND event = 'written'")
[ "$on_pages" -ge "$total" ] || fail "$on_pages cards on proof pages, expected $total"
assert_eq "$(find "$CARDPIPE_HOME/spool/faces" "$CARDPIPE_HOME/out/proof" -name '*.tmp.*' | wc -l)" 0 \
	"no temporary files of the killed run left behind"
cardpipe db check >check.out || { cat check.out; fail "registry checks fail after the rerun"; }
# a run with nothing to draw owes nothing and draws nothing
cardpipe $set_render render >again.out
assert_eq "$(find "$CARDPIPE_HOME/out/proof" -name '*.png' | wc -l)" "$pages" "no new pages"
echo "t3002 ok: $total cards on $pages proof pages after a kill at $killed_at"
