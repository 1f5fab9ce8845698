# t6022: `nightly` exits 1 when ingest quarantined a file, as `ingest` alone does, even when
# every record of the good files is accepted; the run report says so.
source "$CARDPIPE_SRC/tests/integration/lib.sh"
export CARDPIPE_NOW=2026-11-26T22:30:00+08:00
cardpipe --quiet init
cardpipe --quiet keys ceremony --test >/dev/null
cardpipe sample --count 12 --seed 9 --bad-share 0 --out gen >/dev/null 2>&1
rm gen/expected.tsv
cp -r gen/. "$CARDPIPE_HOME/inbox/"
printf '<?xml version="1.0"?>\n<EmployerBatch><Unclosed>\n' >"$CARDPIPE_HOME/inbox/employer-broken.xml"

expect_exit 1 cardpipe nightly --no-produce 2>nightly.err
assert_contains nightly.err "1 file(s) quarantined"
[ -e "$CARDPIPE_HOME/quarantine/employer-broken.xml" ] || fail "the broken file is not in quarantine"
grep -q "done with rejects" "$CARDPIPE_HOME"/out/reports/run-*.html || fail "the run report does not say so"
# a run with nothing new to quarantine is done
expect_exit 0 cardpipe --quiet nightly --no-produce
echo "t6022 ok"
