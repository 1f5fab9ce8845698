#!/bin/bash
# The virtual card takes its TEST KMC from CARDPIPE_HOME's key store when that store is
# TEST ONLY (so `cardpipe line start` and `produce` agree on the keys), and refuses a
# production key store outright.
set -eu
command -v cardpipe >/dev/null || { echo "skip: no cardpipe"; exit 77; }
cardpipe init >/dev/null
cardpipe keys ceremony --test >/dev/null
mkdir -p "$PWD/line"
echo 00112233445566778899AABBCCDDEEFF >"$PWD/line/kmc.hex"
chmod 600 "$PWD/line/kmc.hex"
cardpipe keys import kmc --alg AES --file "$PWD/line/kmc.hex" >/dev/null

# A production store (two custodian components, no --test) in another home.
PROD=$PWD/prod
mkdir -p "$PROD"
for i in 1 2; do
	openssl rand -hex 32 >"$PROD/c$i.hex"
	chmod 600 "$PROD/c$i.hex"
done
CARDPIPE_HOME=$PROD cardpipe init >/dev/null
CARDPIPE_HOME=$PROD cardpipe keys ceremony --component-file "$PROD/c1.hex" \
	--component-file "$PROD/c2.hex" >/dev/null
# Without its components a production store cannot even be opened: refused too.
set +e
CARDPIPE_HOME=$PROD timeout 10 vcard --state-dir "$PROD/cards" --vpcd-port 1 \
	--control "$PROD/ctl" 2>"$PROD/vcard0.log"
rc=$?
set -e
[ "$rc" -eq 3 ] || { echo "FAIL: vcard without components exited $rc" >&2; exit 1; }
# With the components on disk it opens, sees a production store and refuses it.
cp "$PROD/c1.hex" "$PROD/keys/component-1.key"
cp "$PROD/c2.hex" "$PROD/keys/component-2.key"
set +e
CARDPIPE_HOME=$PROD timeout 10 vcard --state-dir "$PROD/cards" --vpcd-port 1 \
	--control "$PROD/ctl" 2>"$PROD/vcard.log"
rc=$?
set -e
[ "$rc" -eq 3 ] || { echo "FAIL: vcard on a production store exited $rc" >&2; exit 1; }
grep -q "is not TEST ONLY: a virtual card never takes a production KMC" "$PROD/vcard.log" ||
	{ cat "$PROD/vcard.log" >&2; echo "FAIL: no refusal message" >&2; exit 1; }
[ ! -e "$PROD/ctl" ] || { echo "FAIL: control socket created" >&2; exit 1; }

# The TEST ONLY store of this home: its kmc opens the card, the public test key does not.
VCARD_KMC_ARGS="--home $CARDPIPE_HOME"
source "$CARDPIPE_SRC/tests/integration/t4100-vcard-lib.bash"
assert_contains "$W/vcard.log" "TEST KMC from key store"
assert_eq "$(vctl INSERT-NEW 5555000011112222)" "OK 110000D1560000055555000011112222" "insert"
script_perso "$W/perso.txt"
echo 404142434445464748494A4B4C4D4E4F >"$W/gp.hex"
chmod 600 "$W/gp.hex"
set +e
out=$(pcsc-encode --kmc-file "$W/gp.hex" --transport-file "$TK_FILE" --script "$W/perso.txt")
set -e
case "$out" in "FAIL auth "*) ;; *) fail "the public test key opened the card: $out" ;; esac
out=$(pcsc-encode --kmc-file "$KMC_FILE" --transport-file "$TK_FILE" --script "$W/perso.txt")
case "$out" in "OK 110000D1560000055555000011112222 "*) ;; *) fail "store KMC: $out" ;; esac
echo "t4103: ok"
