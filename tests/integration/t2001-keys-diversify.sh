#!/bin/bash
# t2001: `cardpipe keys diversify` reproduces the published figures of docs/crypto-reference.md §4.3
# (EMV Option A) and GlobalPlatformPro's kdf3 vector, and the emv/visa2/sm4 schemes give
# the keys the formulas of 4.4 give when computed independently with the openssl CLI.
source "$CARDPIPE_SRC/tests/integration/lib.sh"
cardpipe init >/dev/null
IMK=0123456789ABCDEFFEDCBA9876543210
dv() { cardpipe keys diversify "$@"; }
assert_eq "$(dv --scheme option-a --test-key $IMK --pan 99012345678901234 --psn 45 --reveal)" \
	"MK   KCV=$(cardpipe keys kcv --alg 3DES --hex 67F8292358083E5EA7AB7FDA58D53B6B) KEY=67F8292358083E5EA7AB7FDA58D53B6B" "Option A kd.py L5-11"
dv --scheme option-a --test-key $IMK --pan 12345678901234567 --psn 01 --reveal | grep -q "KEY=73AD54688CEF2934B0979857E3C719F1" || fail "Option A kd.py L71-75"
assert_eq "$(dv --scheme option-a --test-key $IMK --pan 9901234567890123 --psn 45)" "MK   KCV=1DA5E1" "Option A KCV 1DA5"
dv --scheme option-a --test-key $IMK --pan 9901234567890123 --psn 45 --reveal | grep -q "KEY=F84315C7B95BD3B0C74694922C3808B0" || fail "Option A DER value"
assert_eq "$(dv --scheme option-a --test-key $IMK --pan 12345678901234567 --psn 45)" "MK   KCV=FF089D" "Option A KCV FF08"
# kdf3: GlobalPlatformPro TestSCP03.testKDF3
dv --scheme kdf3 --test-key 8C72C72CF908411653018807950D82FBAD947562F0828A0B10B8B9606ABF3BCD \
	--data D9B1DE5D0362DEDCE4FB --reveal >k3.txt
grep -q "^ENC  KCV=[0-9A-F]\{6\} KEY=9AAC5D0B3601F89438A0D9D0B6B256CFB47E6462DFA5228D3420C4AC7C224781$" k3.txt || fail "kdf3 ENC"
assert_eq "$(wc -l <k3.txt)" 3 "ENC MAC DEK"
# emv: K_x = 3DES(KMC, KDD[4..9] F0 x KDD[4..9] 0F x), independently with openssl
KMC=404142434445464748494A4B4C4D4E4F KDD=00010203040506070809
dv --scheme emv --test-key $KMC --data $KDD --reveal >emv.txt
for x in 1:ENC 2:MAC 3:DEK; do
	n=${x%%:*} l=${x#*:}
	want=$(echo "040506070809F00${n}0405060708090F0${n}" | xxd -r -p | openssl enc -des-ede-ecb -nopad -K $KMC 2>/dev/null | xxd -p | tr a-f A-F)
	grep -q "^$l .*KEY=$want$" emv.txt || fail "emv $l"
done
dv --scheme visa2 --test-key $KMC --data $KDD --reveal >v2.txt
want=$(echo "000104050607F001000104050607 0F01" | tr -d ' ' | xxd -r -p | openssl enc -des-ede-ecb -nopad -K $KMC 2>/dev/null | xxd -p | tr a-f A-F)
grep -q "^ENC .*KEY=$want$" v2.txt || fail "visa2 ENC"
# sm4: SM4(master, f || ~f)
want=$(echo 1122334455667788EEDDCCBBAA998877 | xxd -r -p | openssl enc -sm4-ecb -nopad -K $IMK | xxd -p | tr a-f A-F)
assert_eq "$(dv --scheme sm4 --test-key $IMK --data 1122334455667788 --reveal | sed 's/.*KEY=//')" "$want" "sm4 diversification"
# without --reveal no value is printed
dv --scheme kdf3 --test-key $KMC --data $KDD >nk.txt
assert_not_contains nk.txt "KEY="
# bad input is an error, not a crash
expect_exit 3 dv --scheme option-a --test-key $IMK --pan 99012X45678901234 --psn 45 2>err.txt
assert_contains err.txt "PAN"
expect_exit 2 dv --scheme kdf3 --test-key $KMC --data 0001 2>/dev/null
expect_exit 2 dv --scheme nope --test-key $KMC --data $KDD 2>/dev/null
expect_exit 2 dv --scheme kdf3 --data $KDD 2>/dev/null
