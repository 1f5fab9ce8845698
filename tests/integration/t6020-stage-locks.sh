# t6020: the stages share one lock discipline with nightly (docs/locks.md). Two `ingest` at
# once do not collide (no UNIQUE errors: one waits for the other); a `render` started while
# the nightly run renders waits for it, naming it, or with general.lock_wait=0 refuses at
# once with exit 3 naming it; and the proof sheets then show every card once (no run
# overwrites the other's pages).
source "$CARDPIPE_SRC/tests/integration/lib.sh"
command -v sqlite3 >/dev/null || skip "sqlite3 command-line tool not installed"
export CARDPIPE_NOW=2026-11-26T22:30:00+08:00
q() { sqlite3 "$CARDPIPE_HOME/registry.db" "$1"; }

cardpipe --quiet init
cardpipe --quiet keys ceremony --test >/dev/null
cardpipe sample --count 400 --seed 5 --bad-share 0 --out gen >/dev/null 2>&1
rm gen/expected.tsv
files=$(find gen -maxdepth 1 -type f | wc -l)
cp -r gen/. "$CARDPIPE_HOME/inbox/"

# 1. two ingests of one inbox at once
cardpipe ingest >a.out 2>a.err &
a=$!
cardpipe ingest >b.out 2>b.err &
b=$!
set +e
wait $a
ra=$?
wait $b
rb=$?
set -e
[ "$ra" -le 1 ] && [ "$rb" -le 1 ] || { cat a.err b.err; fail "concurrent ingests exited $ra and $rb"; }
! grep -q "UNIQUE" a.err b.err || fail "concurrent ingests collided in the registry"
assert_eq "$(q "SELECT count(*) FROM input_file WHERE status = 'ingested'")" "$files" "every file ingested once"
assert_eq "$(find "$CARDPIPE_HOME/inbox" -maxdepth 1 -type f | wc -l)" 0 "inbox emptied"
cardpipe --quiet db check >check.out || { cat check.out; fail "db check after two ingests"; }

# 2. a render while the nightly run renders (one render thread: the stage takes a while)
CARDPIPE_RENDER_THREADS=1 cardpipe nightly --no-produce >nightly.out 2>&1 &
n=$!
for _ in $(seq 1 1200); do
	grep -q "render \.\.\." nightly.out && break
	kill -0 $n 2>/dev/null || { cat nightly.out; fail "nightly ended before render"; }
	sleep 0.05
done
set +e
cardpipe --set general.lock_wait=0 render >r0.out 2>r0.err
r0=$?
set -e
cardpipe render >r.out 2>r.err &
r=$!
set +e
wait $n
rn=$?
wait $r
rr=$?
set -e
[ "$rn" -le 1 ] || { cat nightly.out; fail "nightly exited $rn"; }
[ "$rr" -eq 0 ] || { cat r.err; fail "the render beside nightly exited $rr"; }
if [ "$r0" -eq 3 ]; then
	assert_contains r0.err "the render stage is busy (pid $n, cardpipe nightly, since"
	assert_contains r.err "the render stage is busy (pid $n, cardpipe nightly"
	assert_contains r.err "waiting for it"
else
	[ "$r0" -eq 0 ] || { cat r0.err; fail "render with lock_wait=0 exited $r0"; }
	echo "note: nightly had finished rendering before the refused render started"
fi
cards=$(q "SELECT count(*) FROM card WHERE state = 'rendered'")
[ "$cards" -gt 300 ] || fail "expected the sample's cards rendered, got $cards"
pages=$(find "$CARDPIPE_HOME/out/proof" -name '*.png' | wc -l)
assert_eq "$pages" $(((cards + 11) / 12)) "proof pages for $cards cards"
assert_eq "$(q "SELECT count(*) FROM proof_owed")" 0 "no proof page owed"
assert_eq "$(find "$CARDPIPE_HOME" -name '*.tmp.*' | wc -l)" 0 "no temporary file left"
cardpipe --quiet db check >check.out || { cat check.out; fail "db check after render beside nightly"; }
echo "t6020 ok: $files files, $cards cards on $pages proof pages"
