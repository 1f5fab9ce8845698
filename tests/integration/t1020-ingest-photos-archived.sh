#!/bin/bash
# Photos named by path move to the archive with their file (archive/<sha256>.photos/<path>):
# none stays in the inbox after a run, each archived byte for byte; a run killed anywhere,
# run again, ends the same (docs/ingest.md).
source "$CARDPIPE_SRC/tests/integration/lib.sh"
source "$CARDPIPE_SRC/tests/integration/t1000-ingest-lib.bash"
ingest_setup
export CARDPIPE_NOW=2026-11-26T21:00:00+08:00 CARDPIPE_INGEST_SETTLE_SECONDS=0

cardpipe sample --count 300 --seed 7 --bad-share 0 --out gen >/dev/null 2>&1
rm gen/expected.tsv
nphotos=$(find gen -name '*.jpg' | wc -l)
[ "$nphotos" -gt 50 ] || fail "the sample has only $nphotos photo files"

# every photo under archive/<sha>.photos/ is the one the inbox had, and none is left behind
check_converged() {
	local left
	left=$(find "$(inbox)" -type f | wc -l)
	assert_eq "$left" 0 "files left in the inbox ($(find "$(inbox)" -type f | head -3))"
	assert_eq "$(find "$CARDPIPE_HOME/archive" -path '*.photos/*' -type f | wc -l)" "$nphotos" \
		"archived photos"
	(cd gen && find . -name '*.jpg' -printf '%P\n') | while read -r rel; do
		ls "$CARDPIPE_HOME"/archive/*.photos/"$rel" >/dev/null 2>&1 || fail "photo $rel not archived"
		cmp -s "gen/$rel" "$(ls "$CARDPIPE_HOME"/archive/*.photos/"$rel" | head -1)" ||
			fail "photo $rel changed on its way"
	done
	[ -z "$(ls -A "$CARDPIPE_HOME/archive/.photos-pending" 2>/dev/null)" ] || fail "pending lists left"
	cardpipe db check >/dev/null || { cardpipe db check; fail "db check"; }
}

# 1. an uninterrupted run
cp -r gen/. "$(inbox)/"
cardpipe ingest >ingest.out 2>&1 || { cat ingest.out; fail "ingest"; }
assert_contains ingest.out "photo(s) moved to the archive with their files"
check_converged
# the photo of each file is in that file's folder: archive/<sha of the file>.photos
for f in "$CARDPIPE_HOME"/archive/*.photos; do
	[ -f "${f%.photos}" ] || fail "photos of $f without their file"
done

# 2. killed after the files were recorded and archived but before the photos moved: the
# state a kill leaves (file archived, its pending list written, photos still in the inbox);
# the next run's end moves them
for d in "$CARDPIPE_HOME"/archive/*.photos; do
	sha=$(basename "$d" .photos)
	(cd "$d" && find . -type f -printf '%P\n') >"$CARDPIPE_HOME/archive/.photos-pending/$sha.list"
	(cd "$d" && find . -type f -printf '%P\n') | while read -r rel; do
		mkdir -p "$(dirname "$(inbox)/$rel")"
		mv "$d/$rel" "$(inbox)/$rel"
	done
done
cardpipe ingest >ingest.out 2>&1 || { cat ingest.out; fail "ingest after a kill"; }
check_converged

# 3. real kills at several instants in a fresh home, then a run to the end
export CARDPIPE_HOME=$PWD/home2
cardpipe init >/dev/null 2>&1
cp -r gen/. "$(inbox)/"
for delay in 0.05 0.15 0.3 0.6; do
	cardpipe ingest >/dev/null 2>&1 &
	pid=$!
	sleep "$delay"
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
done
cardpipe ingest >/dev/null 2>&1 || fail "the run after the kills"
check_converged
rerun_changes_nothing
echo "t1020 ok"
