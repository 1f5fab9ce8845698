# t0005: `cardpipe init` on an existing home does not accept what others could read or
# swap: a home, registry or key folder opened to the group or the world is made private
# again, each repair named; a key store or registry that is a symbolic link is refused
# with a clear message, and so is every command that would open that key store.
source "$CARDPIPE_SRC/tests/integration/lib.sh"
mode() { stat -c %a "$1"; }
H=$CARDPIPE_HOME

cardpipe --quiet init
cardpipe --quiet keys ceremony --test >/dev/null
cardpipe --quiet init # a sound home: nothing to say, nothing changed
assert_eq "$(mode "$H")" 700 "home"

# loose permissions everywhere init looks
mkdir -p "$H/run"
chmod 755 "$H" "$H/keys" "$H/spool" "$H/out" "$H/run" "$H/log"
[ -e "$H/log/cardpipe.log" ] && chmod 644 "$H/log/cardpipe.log"
chmod 644 "$H/registry.db" "$H/cardpipe.conf" "$H/keys/keystore.db" "$H/keys/component-1.key"
chmod 660 "$H/keys/component-2.key"
cardpipe init 2>init.err || { cat init.err; fail "init did not repair the home"; }
for d in "$H" "$H/keys" "$H/spool" "$H/out" "$H/run" "$H/log"; do assert_eq "$(mode "$d")" 700 "$d"; done
[ ! -e "$H/log/cardpipe.log" ] || assert_eq "$(mode "$H/log/cardpipe.log")" 600 "log file"
for f in registry.db cardpipe.conf keys/keystore.db keys/component-1.key keys/component-2.key; do
	assert_eq "$(mode "$H/$f")" 600 "$f"
done
assert_contains init.err "registry '$H/registry.db' was open to others (mode 0644): made 0600"
assert_contains init.err "key folder '$H/keys' was open to others (mode 0755): made 0700"
assert_contains init.err "CARDPIPE_HOME '$H' was open to others (mode 0755)"
cardpipe --quiet keys list >/dev/null || fail "the repaired key store does not open"

# a key store that is a symbolic link (to a private copy, even) is refused
mv "$H/keys/keystore.db" "$PWD/elsewhere.db"
ln -s "$PWD/elsewhere.db" "$H/keys/keystore.db"
expect_exit 3 cardpipe init 2>init.err
assert_contains init.err "key store '$H/keys/keystore.db' is a symbolic link"
expect_exit 3 cardpipe keys list 2>keys.err
assert_contains keys.err "is a symbolic link"
rm "$H/keys/keystore.db"
mv "$PWD/elsewhere.db" "$H/keys/keystore.db"

# a registry that is a symbolic link, and a key folder of another kind, too
mv "$H/registry.db" "$PWD/reg.db"
ln -s "$PWD/reg.db" "$H/registry.db"
expect_exit 3 cardpipe init 2>init.err
assert_contains init.err "registry '$H/registry.db' is a symbolic link"
rm "$H/registry.db"
mv "$PWD/reg.db" "$H/registry.db"
mv "$H/keys" "$PWD/keys-real"
ln -s "$PWD/keys-real" "$H/keys"
expect_exit 3 cardpipe init 2>init.err
assert_contains init.err "key folder '$H/keys' is a symbolic link"
rm "$H/keys"
mv "$PWD/keys-real" "$H/keys"
cardpipe --quiet init
cardpipe --quiet db check >/dev/null || fail "db check after the repairs"
echo "t0005 ok"
