# cardpipe init creates a private CARDPIPE_HOME; db check and verify-audit pass on it and
# fail on a registry whose audit log was edited behind cardpipe's back.
source "$CARDPIPE_SRC/tests/integration/lib.sh"

cardpipe init
for d in inbox quarantine archive spool out log keys; do
	[ -d "$CARDPIPE_HOME/$d" ] || fail "init did not create $d/"
done
assert_eq "$(stat -c %a "$CARDPIPE_HOME")" 700 "CARDPIPE_HOME mode"
assert_eq "$(stat -c %a "$CARDPIPE_HOME/registry.db")" 600 "registry mode"
assert_eq "$(stat -c %a "$CARDPIPE_HOME/cardpipe.conf")" 600 "cardpipe.conf mode"

cardpipe db check >check.out
assert_contains check.out "all checks passed"
cardpipe db verify-audit >verify.out
assert_contains verify.out "audit chain intact"

# init again keeps what is there
cp "$CARDPIPE_HOME/cardpipe.conf" conf.before
cardpipe init
cmp -s conf.before "$CARDPIPE_HOME/cardpipe.conf" || fail "init rewrote cardpipe.conf"
cardpipe db verify-audit >/dev/null

# an edited audit row
sqlite3 "$CARDPIPE_HOME/registry.db" \
	"DROP TRIGGER audit_no_update; UPDATE audit_log SET detail = 'forged' WHERE id = 1;"
expect_exit 3 cardpipe db verify-audit 2>err.out
assert_contains err.out "audit row 1 was edited"
expect_exit 3 cardpipe db check >check.out 2>&1
assert_contains check.out "FAIL  audit chain"

# a fresh home: a deleted last row
rm -rf "$CARDPIPE_HOME"
cardpipe init
cardpipe db verify-audit >/dev/null
sqlite3 "$CARDPIPE_HOME/registry.db" \
	"DROP TRIGGER audit_no_delete; DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log);"
expect_exit 3 cardpipe db verify-audit 2>err.out
assert_contains err.out "removed from its end"

# no registry: a clear hint, exit 2
rm -rf "$CARDPIPE_HOME"
expect_exit 2 cardpipe db check 2>err.out
assert_contains err.out "cardpipe init"
echo "t0001 ok"
