#!/bin/bash
# t2002: perso over a sample night. Every allocated card becomes perso_ready in a sealed
# batch (0600) that `perso verify` accepts; a rerun does nothing. For a sample card, the
# script decrypted with the TEST ONLY transport key holds exactly the application's data
# (EF05/EF06) and the keys an independent derivation (openssl CLI) gives from the TEST
# ONLY master keys; no clear key (hex, base64, raw) or password is in spool/, out/, log/:
# neither the SSSE, transport and PBOC card keys, nor the offline PIN block (a bank profile
# folder gives every bank initial_pin = test:123456), nor the ICC private key's CRT
# components (DGIs 8201..8205), which decrypt to p, q with p * q the certified modulus.
# backends: sqlite postgresql
source "$CARDPIPE_SRC/tests/integration/lib.sh"
command -v sqlite3 >/dev/null || skip "sqlite3 CLI not installed"
openssl list -cipher-algorithms 2>/dev/null | grep -qi sm4 || skip "openssl CLI without SM4"
export CARDPIPE_NOW=2026-11-26T20:00:00+08:00
cardpipe init >/dev/null
DB=$CARDPIPE_HOME/registry.db
reg() { q "$1"; }
cardpipe keys ceremony --test >/dev/null
sample_night 120 7 --bad-share 0
n=$(reg "select count(*) from card where state='allocated'")
[ "$n" -gt 50 ] || fail "only $n allocated cards"
mkdir profiles
printf '[pin]\ninitial_pin = test:123456\n' >profiles/default.ini
cardpipe --set perso.bank_profiles="$PWD/profiles" perso 2>perso.err
assert_eq "$(reg "select count(*) from card where state='allocated'")" 0 "none left allocated"
assert_eq "$(reg "select count(*) from card where state='perso_ready'")" "$n" "all perso_ready"
assert_eq "$(reg "select count(*) from card_perso")" "$n" "a script per card"
assert_eq "$(reg "select sum(cards) from perso_batch")" "$n" "batches hold every card"
B=$(reg "select path from perso_batch limit 1")
assert_eq "$(stat -c %a "$B")" 600 "batch mode"
cardpipe perso verify "$B" | grep -q "verified" || fail "perso verify"
# rerun: nothing new
sum=$(sha256sum "$B")
cardpipe perso 2>/dev/null
assert_eq "$(reg "select count(*) from perso_batch")" 1 "rerun adds no batch"
assert_eq "$(sha256sum "$B")" "$sum" "rerun leaves the batch alone"
cardpipe db check >/dev/null

# ---- one card, independently ----
sm3() { printf '%s' "cardpipe TEST ONLY $1" | openssl dgst -sm3 -binary | xxd -p -c 64 | tr a-f A-F; }
hex() { xxd -p -c 1000 | tr a-f A-F; }
ecb() { echo "$2" | xxd -r -p | openssl enc -$1 -nopad -K "$3" 2>/dev/null | hex; }
TK=$(sm3 line.1.transport)
IFS="|" read -r CARD CID <<<"$(reg "select card_no, id from card where state='perso_ready' order by id limit 1")"
cardpipe perso show "$B" "$CARD" >card.script
cardpipe perso verify card.script >/dev/null
# the data bytes of the command labelled $1 (after CLA INS P1 P2 Lc)
data_of() { awk -v l="label=$1" '$NF==l' card.script | sed 's/  sens=.*//; s/  label=.*//' | cut -d' ' -f6- | tr -d ' '; }
secret_of() {
	local d=$(data_of "$1") off len
	off=$(awk -v l="label=$1" '$NF==l' card.script | sed 's/.*sens=\([0-9]*\):.*/\1/')
	len=$(awk -v l="label=$1" '$NF==l' card.script | sed 's/.*sens=[0-9]*:\([0-9]*\).*/\1/')
	echo "${d:$((2 * off)):$((2 * len))}" | xxd -r -p |
		openssl enc -d -aes-256-cbc -nopad -K "$TK" -iv 00000000000000000000000000000000 | hex
}
IFS='|' read -r NAME SSN SEX ETH DOB BANK PAN PSN ISS EXP <<<"$(reg "select a.name, a.id_number, a.sex, a.ethnicity, a.birth_date, c.bank, c.pan, c.psn, c.issue_date, c.expiry_date from card c join application a on a.id=c.application_id where c.id=$CID")"
# EF05 / EF06 hold exactly the application's data
asc() { printf '%s' "$1" | hex; }
assert_eq "$(data_of EF05_REC_7)" "0709$(asc "$CARD")" "EF05 card number"
assert_eq "$(data_of EF05_REC_3)" "0304$(asc 3.00)" "EF05 spec version"
assert_eq "$(data_of EF05_REC_5)" "0504${ISS//-/}" "EF05 issue date"
assert_eq "$(data_of EF05_REC_6)" "0604${EXP//-/}" "EF05 expiry"
assert_eq "$(data_of EF06_REC_1)" "0812$(asc "$SSN")" "EF06 social security number"
gb=$(printf '%s' "$NAME" | iconv -f UTF-8 -t GB18030 | hex)
pad=$(printf '%060s' "" | tr ' ' 0)
assert_eq "$(data_of EF06_REC_2)" "091E${gb}${pad:${#gb}}" "EF06 name in GB18030"
assert_eq "$(data_of EF06_REC_4)" "0A01$(asc "$SEX")" "EF06 sex"
assert_eq "$(data_of EF06_REC_5)" "0B01$ETH" "EF06 ethnicity"
assert_eq "$(data_of EF06_REC_6)" "0C03${SSN:0:6}" "EF06 birthplace"
assert_eq "$(data_of EF06_REC_7)" "0D04${DOB//-/}" "EF06 birth date"
# SSSE keys: SM4(master, f || ~f), f = last 8 characters of the card number
f=$(asc "${CARD: -8}")
nf=$(echo $f | xxd -r -p | perl -pe '$_ = ~$_' 2>/dev/null | hex)
[ -n "$nf" ] || nf=$(printf '%016X' $(( ~0x$f & 0xFFFFFFFFFFFFFFFF )))
want=""
for k in ssse.ext-auth ssse.maint ssse.pin; do
	m=$(sm3 $k) && want=$want$(ecb sm4-ecb "$f$nf" "${m:0:32}")
done
got=$(secret_of SSSE_DGI_8000)
assert_eq "$got" "$want" "SSSE keys = independent SM4 diversification"
# the service password: ISO 9564 format 2 block of the last 6 characters of the SSN
last6=${SSN: -6}
last6=${last6//X/0}
got=$(secret_of SSSE_DGI_8010)
assert_eq "${got:0:16}" "26${last6}FFFFFFFF" "service password block"
# PBOC keys: EMV Option A of the bank's masters (parity bits ignored in the compare)
y=$(printf '%s%s' "$PAN" "$PSN" | tail -c 16)
ny=$(printf '%016X' $(( ~0x$y & 0xFFFFFFFFFFFFFFFF )))
alg=$(cardpipe keys list | awk -v k="bank.$BANK.mk-ac" '$1==k{print $2}')
got=$(secret_of PBOC_DGI_8000)
i=0
for k in mk-ac mk-smi mk-smc; do
	m=$(sm3 bank.$BANK.$k)
	if [ "$alg" = 3DES ]; then
		w=$(ecb des-ede-ecb "$y$ny" "${m:0:32}")
	else
		w=$(ecb sm4-ecb "$y$ny" "${m:0:32}")
	fi
	g=${got:$((32 * i)):32}
	for j in $(seq 0 2 30); do
		a=$((0x${g:$j:2})) b=$((0x${w:$j:2}))
		[ "$alg" = 3DES ] && a=$((a & 0xFE)) b=$((b & 0xFE))
		[ $a -eq $b ] || fail "PBOC $k differs at byte $((j / 2))"
	done
	i=$((i + 1))
done
# the offline PIN: ISO 9564 format 2 of the profile's test PIN, padded 80 00..
pin=$(secret_of PBOC_DGI_8010)
assert_eq "$pin" "26123456FFFFFFFF8000000000000000" "offline PIN block"
assert_eq "$(data_of PBOC_DGI_9010)" "9010020303" "PIN try counter and limit"
# the ICC private key (DDA, the default): CRT components, half the modulus each + 80 00..
crt=""
for d in 8201 8202 8203 8204 8205; do
	c=$(secret_of PBOC_DGI_$d)
	[ ${#c} -ge 160 ] || fail "DGI $d: ${#c} hex digits"
	crt="$crt ${c:0:32} ${c:32:32} ${c:96:32}"
done
# ---- no clear key or password anywhere ----
secrets=$(for k in $(cardpipe keys list | awk 'NR>2 && $2!="SM2" && $2!~/^(RSA|RSAPUB|EMVCERT)$/{print $1}'); do
	v=$(sm3 $k); [ $k = kmc ] || [ $k = kmc-emv ] && v=404142434445464748494A4B4C4D4E4F
	echo ${v:0:32}; done; echo $TK; echo "${want:0:32}"; echo "${want:32:32}"
	echo "${got:0:32}"; echo "${got:32:32}"; echo "${got:64:32}"; echo "$pin"; echo $crt)
for s in $secrets; do
	lower=$(echo $s | tr A-F a-f)
	b64=$(echo $s | xxd -r -p | base64 -w0)
	raw=$(echo $s | sed 's/../\\x&/g')
	for d in spool out log; do
		[ -d "$CARDPIPE_HOME/$d" ] || continue
		! grep -rqF -e "$s" -e "$lower" -e "$b64" "$CARDPIPE_HOME/$d" || fail "key $s in $d"
		! grep -rqaP "$raw" "$CARDPIPE_HOME/$d" || fail "raw key $s in $d"
		spaced=$(echo $s | sed 's/../& /g; s/ $//')
		! grep -rqF "$spaced" "$CARDPIPE_HOME/$d" || fail "spaced key in $d"
	done
done
! grep -rqF "26${last6}FFFFFFFF" "$CARDPIPE_HOME/spool" "$CARDPIPE_HOME/log" || fail "PIN block in the clear"
! grep -rqiF -e "26123456FFFFFFFF" -e "26 12 34 56 FF" "$CARDPIPE_HOME/spool" "$CARDPIPE_HOME/log" || fail "offline PIN block in the clear"
! grep -rqF "$SSN" "$CARDPIPE_HOME/spool" "$CARDPIPE_HOME/log" 2>/dev/null || fail "full ID number in clear"
