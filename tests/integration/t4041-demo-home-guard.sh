#!/bin/bash
# make demo deletes and makes again only a demo home: a DEMO_HOME without the marker file
# (someone's real CARDPIPE_HOME, a typo) is refused and left as it was; a bad DEMO_COUNT
# is refused before anything is touched.
source "$CARDPIPE_SRC/tests/integration/lib.sh"

mkdir -p notdemo
echo precious >notdemo/registry.db
expect_exit 2 env DEMO_HOME="$PWD/notdemo" "$CARDPIPE_SRC/scripts/demo.sh" 2>/dev/null
assert_eq "$(cat notdemo/registry.db)" precious "the folder is left as it was"
env DEMO_HOME="$PWD/notdemo" "$CARDPIPE_SRC/scripts/demo.sh" 2>err.txt && fail "accepted"
grep -q 'not a demo home' err.txt || fail "no reason given: $(cat err.txt)"
mkdir -p demo
touch demo/.cardpipe-demo demo/x
env DEMO_HOME="$PWD/demo" DEMO_COUNT=abc "$CARDPIPE_SRC/scripts/demo.sh" 2>err.txt && fail "a bad DEMO_COUNT accepted"
grep -q 'DEMO_COUNT' err.txt || fail "no reason given: $(cat err.txt)"
[ -e demo/x ] || fail "the demo home was touched before the count was checked"
echo "t4041 ok"
