#!/bin/bash
# t2000: key ceremonies. A TEST ONLY store is created with private components; `keys list`
# shows names, algorithms and check values, never a value; a production ceremony from
# component files creates and re-wraps a store; a wrong component, a store others can read
# and a changed store are refused with a clear error; --reveal is refused for production
# keys; `keys kcv` gives the published check values.
source "$CARDPIPE_SRC/tests/integration/lib.sh"
cardpipe init >/dev/null
K=$CARDPIPE_HOME/keys

cardpipe keys ceremony --test >out.txt
assert_contains out.txt "TEST ONLY"
for f in $K/keystore.db $K/component-1.key $K/component-2.key; do
	assert_eq "$(stat -c %a "$f")" 600 "$f mode"
done
cardpipe keys list >list.txt
assert_contains list.txt "(TEST ONLY)"
for k in kmc kmc-emv ssse.ext-auth ssse.maint ssse.pin transport.purchase transport.load \
	transport.tac bank.ICBC.mk-ac bank.BOB.mk-smc line.1.transport report.sign; do
	grep -q "^$k " list.txt || fail "keys list lacks $k"
done
# the GP test KMC 40..4F has AES KCV (AES(key, 01*16))
kcv=$(printf '01%.0s' $(seq 16) | xxd -r -p | openssl enc -aes-128-ecb -nopad -K 404142434445464748494A4B4C4D4E4F | xxd -p | cut -c1-6 | tr a-f A-F)
assert_eq "$(awk '$1=="kmc"{print $4}' list.txt)" "$kcv" "kmc check value"
assert_not_contains list.txt "404142434445464748494A4B4C4D4E4F"
cardpipe keys list --missing >/dev/null
# running it again adds nothing and keeps the store
sum=$(sha256sum <$K/keystore.db)
cardpipe keys ceremony --test >/dev/null 2>&1
cardpipe keys list >list2.txt
assert_eq "$(wc -l <list2.txt)" "$(wc -l <list.txt)" "second --test adds nothing"

# published check values
assert_eq "$(cardpipe keys kcv --alg 3DES --hex 0123456789ABCDEFFEDCBA9876543210 | cut -c1-4)" 08D7 "3DES KCV"
assert_eq "$(cardpipe keys kcv --alg AES --hex 000102030405060708090a0b0c0d0e0f)" C35280 "AES KCV"
assert_eq "$(cardpipe keys kcv --alg AES --hex 101112131415161718191a1b1c1d1e1f)" 013808 "AES KCV 2"
assert_eq "$(cardpipe keys kcv --key kmc)" "$kcv" "kcv of a stored key"

# a changed store is refused
cp $K/keystore.db saved.db
sed -i 's/^test-only yes/test-only no/' $K/keystore.db
expect_exit 3 cardpipe keys list 2>err.txt
assert_contains err.txt "was changed"
cp saved.db $K/keystore.db && chmod 600 $K/keystore.db
# readable by others
chmod 644 $K/keystore.db
expect_exit 3 cardpipe keys list 2>err.txt
assert_contains err.txt "readable"
chmod 600 $K/keystore.db

# a production ceremony in a second home, from component files
P=$PWD/prod && mkdir -p $P/c && chmod 700 $P/c
export CARDPIPE_HOME=$P/home
cardpipe init >/dev/null
for i in 1 2 3; do
	openssl rand -hex 32 >$P/c/c$i && chmod 600 $P/c/c$i
done
cardpipe keys ceremony --component-file $P/c/c1 --component-file $P/c/c2 >cer.txt
assert_contains cer.txt "component 1: check value"
assert_contains cer.txt "master key check value"
grep -q "$(cat $P/c/c1)" cer.txt && fail "a component was printed"
SET="--set keys.component_files=$P/c/c1:$P/c/c2"
cardpipe $SET keys import ssse.maint --alg SM4 --generate >imp.txt
assert_contains imp.txt "ssse.maint SM4 128 check value"
echo 0123456789ABCDEFFEDCBA9876543210 >$P/c/imk && chmod 600 $P/c/imk
expect_exit 3 cardpipe $SET keys import bank.ICBC.mk-ac --alg 3DES --file $P/c/imk --kcv 000000 2>err.txt
assert_contains err.txt "not imported"
cardpipe $SET keys import bank.ICBC.mk-ac --alg 3DES --file $P/c/imk --kcv 08D7 >/dev/null
cardpipe $SET keys list >plist.txt
assert_not_contains plist.txt "TEST ONLY"
grep -q "^bank.ICBC.mk-ac *3DES *128 08D7" plist.txt || fail "imported key listed"
# --reveal refused for a production key, allowed for a test key
expect_exit 3 cardpipe $SET keys diversify --scheme option-a --key bank.ICBC.mk-ac --pan 9901234567890123 --psn 45 --reveal 2>err.txt
assert_contains err.txt "production key"
cardpipe $SET keys diversify --scheme option-a --key bank.ICBC.mk-ac --pan 9901234567890123 --psn 45 >d.txt
assert_eq "$(cat d.txt)" "MK   KCV=1DA5E1" "option-a from a stored key"
# a wrong component
expect_exit 3 cardpipe --set keys.component_files=$P/c/c1:$P/c/c3 keys list 2>err.txt
assert_contains err.txt "component 2 has check value"
# --test refuses to touch a production store
expect_exit 3 cardpipe $SET keys ceremony --test 2>err.txt
assert_contains err.txt "production key store"
# a new ceremony (three custodians) re-wraps every key
cardpipe $SET keys ceremony --component-file $P/c/c1 --component-file $P/c/c2 --component-file $P/c/c3 >cer2.txt
assert_contains cer2.txt "re-wrapped 2 keys"
expect_exit 3 cardpipe $SET keys list 2>/dev/null
cardpipe --set keys.component_files=$P/c/c1:$P/c/c2:$P/c/c3 keys list >plist2.txt
grep -q "^bank.ICBC.mk-ac *3DES *128 08D7" plist2.txt || fail "key kept across the re-wrap"
# component files readable by others are refused
chmod 644 $P/c/c3
expect_exit 3 cardpipe --set keys.component_files=$P/c/c1:$P/c/c2:$P/c/c3 keys list 2>err.txt
assert_contains err.txt "readable by others"
# usage errors
expect_exit 2 cardpipe keys frobnicate 2>/dev/null
cardpipe keys --help | grep -q -- "--reveal" || fail "help documents --reveal"
