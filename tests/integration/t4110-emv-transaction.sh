#!/bin/bash
# t4110: cards produced by the emulated line pay. An independent EMV contact terminal
# (tests/integration/emv_terminal.py: pyscard + python3-cryptography, written from EMV
# Books 1-3, first checked against published vectors) runs full transactions through the
# line's pcscd on produced cards of three bank profiles (DDA, SDA, CDA): selection through
# the PSE, GPO, records, the issuer and ICC certificates recovered with the TEST CA's public
# key (`cardpipe keys ca export`), SDA and DDA verified, offline PIN, an ARQC that both the
# terminal's own computation and `cardpipe keys arqc-verify` accept, EXTERNAL AUTHENTICATE
# with the ARPC, TC. The terminal derives MK-AC itself (EMV Option A from the bank's TEST
# ONLY IMK, recomputed here from the documented rule) and it must equal `keys diversify`'s.
# One bank's cards use the PBOC AC session key derivation (its profile says so), checked the
# same way. Then the negative cases: a wrong PIN decrements the try counter (a right one
# resets it), the PIN blocks at the limit (6983, counter 0, the terminal no longer offers
# it), a record changed on the chip breaks SDA and DDA, a forged ARQC is declined by the
# issuer side, the card refuses a changed ARPC.
source "$CARDPIPE_SRC/tests/integration/lib.sh"

PY=/usr/bin/python3
$PY -c 'import smartcard' 2>/dev/null || skip "python3-pyscard not installed"
$PY -c 'import cryptography' 2>/dev/null || skip "python3-cryptography not installed"
TERMINAL="$PY $CARDPIPE_SRC/tests/integration/emv_terminal.py"

# The terminal's crypto against published vectors, and each check able to fail.
$TERMINAL selftest >selftest.txt || { cat selftest.txt; fail "emv_terminal.py selftest"; }
[ "$(grep -c '^ok ' selftest.txt)" -ge 30 ] || { cat selftest.txt; fail "not every vector ran"; }
# The ATR rules refuse what the issue's kernel refused: T=0 then T=1.
expect_exit 1 $TERMINAL atr 3B8F8001804F0CA000000306030001000000006A >/dev/null

emulated_line_env
# both card stocks of the line in turn: T=1 (cpvc-s03) and T=0 (cpvc-s02) chips
export CARDPIPE_ENCODER_CARD_STOCKS=cpvc-s03:cpvc-s02
run=$CARDPIPE_HOME/run/line1
PIN=123456
cardpipe init >/dev/null 2>&1
cardpipe keys ceremony --test >/dev/null 2>&1 || skip "no test key store (keys ceremony --test)"
sample_prepared 14

# Bank profiles: every bank's cards get the TEST PIN; the first bank of this batch uses SDA,
# the second CDA, the others the default DDA; the fourth derives its AC session keys the
# PBOC way instead of EMV A1.3.1.
banks=$(q "SELECT bank FROM card GROUP BY bank ORDER BY min(id)")
BANK_SDA=$(echo "$banks" | sed -n 1p)
BANK_CDA=$(echo "$banks" | sed -n 2p)
BANK_DDA=$(echo "$banks" | sed -n 3p)
BANK_PBOC=$(echo "$banks" | sed -n 4p)
[ -n "$BANK_PBOC" ] || fail "the sample has fewer than 4 banks: $banks"
mkdir profiles
printf '[pin]\ninitial_pin = test:%s\n' "$PIN" >profiles/default.ini
printf '[oda]\nmethod = sda\n' >"profiles/$BANK_SDA.ini"
printf '[oda]\nmethod = cda\n' >"profiles/$BANK_CDA.ini"
printf '[keys]\nsession_key = pboc\n' >"profiles/$BANK_PBOC.ini"
export CARDPIPE_PERSO_BANK_PROFILES=$PWD/profiles
cardpipe perso >perso.out 2>&1 || { cat perso.out; fail "perso"; }
cardpipe render --no-proof >/dev/null 2>&1 || fail "render"

cardpipe line start --fast 2>start.log || { cat start.log; fail "line start"; }
cardpipe produce --line 1 >produce.txt 2>produce.err || { cat produce.err; fail "produce"; }
[ "$(q "SELECT count(*) FROM production_attempt WHERE state = 'spoiled'")" = 0 ] ||
	fail "cards spoiled: $(q "SELECT spoil_reason, detail FROM production_attempt WHERE state = 'spoiled'")"
bank_of() { q "SELECT bank FROM card WHERE card_no = '$1'"; }
card_of() { q "SELECT card_no FROM card WHERE state = 'produced' AND bank = '$1' ORDER BY id LIMIT 1 OFFSET ${2:-0}"; }
CARD_DDA=$(card_of "$BANK_DDA")
CARD_SDA=$(card_of "$BANK_SDA")
CARD_CDA=$(card_of "$BANK_CDA")
[ -n "$CARD_DDA" ] && [ -n "$CARD_SDA" ] && [ -n "$CARD_CDA" ] ||
	fail "no produced card of each profile: DDA '$CARD_DDA' SDA '$CARD_SDA' CDA '$CARD_CDA'"
# a second DDA card for the PIN cases: another bank's if the batch has one
CARD_PIN=$(q "SELECT card_no FROM card WHERE state = 'produced' AND bank NOT IN ('$BANK_SDA', '$BANK_CDA') AND card_no <> '$CARD_DDA' ORDER BY id LIMIT 1")
[ -n "$CARD_PIN" ] || fail "no second DDA card"

# Nothing perso or the line wrote holds a card's MK-AC or the offline PIN block in the
# clear (raw bytes, or hex in either case), anywhere under the home.
secrets=""
for card in "$CARD_DDA" "$CARD_SDA" "$CARD_CDA"; do
	pan=$(q "SELECT pan FROM card WHERE card_no = '$card'")
	psn=$(q "SELECT psn FROM card WHERE card_no = '$card'")
	mk=$(cardpipe keys diversify --scheme option-a --key "bank.$(bank_of "$card").mk-ac" \
		--pan "$pan" --psn "$psn" --reveal | sed -n 's/.*KEY=//p')
	[ -n "$mk" ] || fail "no MK-AC for $card"
	secrets="$secrets $mk"
done
$PY - "$CARDPIPE_HOME" 2${#PIN}${PIN}FFFFFFFFFFFF $secrets <<'PYEOF' || fail "a card secret in the clear under the home"
import os, sys
home, pinblock, *mks = sys.argv[1:]
pinblock = pinblock[:16]
pats = []
for hx in [pinblock] + mks:
    b = bytes.fromhex(hx)
    pats += [b, hx.upper().encode(), hx.lower().encode()]
bad = 0
for root, dirs, files in os.walk(home):
    for f in files:
        path = os.path.join(root, f)
        try:
            data = open(path, "rb").read()
        except OSError:
            continue
        for p in pats:
            if p in data:
                print("secret %s... in %s" % (p[:4].hex(), path))
                bad = 1
sys.exit(bad)
PYEOF

# The TEST CA's public key, as a bank's terminal gets it from the scheme.
cardpipe keys ca export --rid A000000333 --index F1 --out ca.pem 2>ca.err || { cat ca.err; fail "keys ca export"; }
grep -q "BEGIN PUBLIC KEY" ca.pem || fail "ca.pem is not a PEM public key"
CA="A000000333:F1:$PWD/ca.pem"

export PCSCLITE_CSOCK_NAME=$run/pcscd/run/pcscd.comm
cardpipe line remove >/dev/null 2>&1 || true
reader_state empty
insert() { cardpipe line insert "$1" >/dev/null || fail "line insert $1"; reader_state present; }
remove() { cardpipe line remove >/dev/null || fail "line remove"; reader_state empty; }
# The bank's MK-AC issuer master key as a TEST ONLY store makes it (docs/keys.md: the first
# bytes of SM3("cardpipe TEST ONLY " || name)), recomputed here, not read from cardpipe.
imk_of() {
	$PY -c 'import hashlib, sys; print(hashlib.new("sm3", ("cardpipe TEST ONLY bank.%s.mk-ac" % sys.argv[1]).encode()).hexdigest()[:32])' "$1"
}
# transact CARD OUT [terminal options]: a transaction with the card's issuer on line
transact() {
	local card=$1 out=$2 bank
	shift 2
	bank=$(bank_of "$card")
	sk=emv
	[ "$bank" = "$BANK_PBOC" ] && sk=pboc
	$TERMINAL transaction --ca "$CA" --imk "$(imk_of "$bank")" --session-key $sk \
		--mk-ac-cmd "cardpipe keys diversify --scheme option-a --key bank.$bank.mk-ac --reveal" \
		--issuer-cmd "cardpipe keys arqc-verify --bank $bank" --verbose "$@" >"$out" 2>&1
}
approved() { # approved OUT WHAT: the log shows a full approved transaction
	grep -q "^RESULT APPROVED$" "$1" || { cat "$1"; fail "$2: not approved"; }
	for line in "^SELECT PSE 1PAY.SYS.DDF01: 9000" "^candidate list: A000000333010101" \
		"^GPO (PDOL data" "^MK-AC by Option A from the IMK" "^ARQC .*: verified independently" "^ARQC .*: accepted by the issuer" \
		"^EXTERNAL AUTHENTICATE (ARPC .*): 9000" "^GENERATE AC 2: asked TC, card TC" \
		"^CVM rule 41.*offline PIN ok"; do
		grep -q "$line" "$1" || { cat "$1"; fail "$2: no '$line' in the log"; }
	done
	! grep -q "^FAIL" "$1" || { cat "$1"; fail "$2: a failure in the log"; }
}

# 1. Every produced card pays: a full transaction with the method its bank's profile says.
t0=0 t1=0 npboc=0
for card in $(q "SELECT card_no FROM card WHERE state = 'produced' ORDER BY id"); do
	case $(bank_of "$card") in
	"$BANK_SDA") oda=sda ;;
	"$BANK_CDA") oda=cda ;;
	*) oda=dda ;;
	esac
	insert "$card"
	transact "$card" "tx-$card.txt" --pin $PIN --expect-oda $oda ||
		{ cat "tx-$card.txt"; fail "transaction on $card ($oda)"; }
	approved "tx-$card.txt" "card $card ($oda)"
	assert_contains "tx-$card.txt" "issuer public key certificate (CA A000000333/F1): .*: ok"
	assert_contains "tx-$card.txt" "^SDA (tag 93): verified"
	case $oda in
	sda) assert_contains "tx-$card.txt" "^ODA: SDA ok"
		assert_not_contains "tx-$card.txt" "INTERNAL AUTHENTICATE" ;;
	dda) assert_contains "tx-$card.txt" "ICC public key certificate: .*: ok"
		assert_contains "tx-$card.txt" "^DDA: INTERNAL AUTHENTICATE (DDOL data .*): signed dynamic data verified" ;;
	cda) assert_contains "tx-$card.txt" "ICC public key certificate: .*: ok"
		[ "$(grep -c "^CDA: signature verified" "tx-$card.txt")" = 2 ] ||
			{ cat "tx-$card.txt"; fail "$card: not both GENERATE AC signed (CDA)"; } ;;
	esac
	if grep -q "^ATR .*(T=0)$" "tx-$card.txt"; then t0=$((t0 + 1)); else t1=$((t1 + 1)); fi
	grep -q "^ARQC .*: verified independently (.*, pboc session key" "tx-$card.txt" && npboc=$((npboc + 1))
	remove
done
[ "$t0" -ge 1 ] && [ "$t1" -ge 1 ] || fail "not both protocols: $t0 T=0 and $t1 T=1 cards"
[ "$npboc" -ge 1 ] || fail "no card of $BANK_PBOC (PBOC session key) produced"
assert_eq "$npboc" "$(q "SELECT count(*) FROM card WHERE state = 'produced' AND bank = '$BANK_PBOC'")" \
	"cards of $BANK_PBOC checked with the PBOC session key"

# 2. The DDA card again: a new ATC (one GPO each), approved again.
cp "tx-$CARD_DDA.txt" tx-dda.txt
insert "$CARD_DDA"
atc1=$(sed -n 's/^GENERATE AC 1: .* ATC \([0-9A-F]*\),.*/\1/p' tx-dda.txt)
transact "$CARD_DDA" tx-dda2.txt --pin $PIN --expect-oda dda || { cat tx-dda2.txt; fail "second DDA transaction"; }
approved tx-dda2.txt "DDA card, second transaction"
atc2=$(sed -n 's/^GENERATE AC 1: .* ATC \([0-9A-F]*\),.*/\1/p' tx-dda2.txt)
assert_eq "$((16#$atc2))" "$((16#$atc1 + 1))" "the ATC counts transactions"
# The issuer side declines a forged ARQC (one bit changed) for the same data.
data=$(sed -n 's/^ARQC input \([0-9A-F]*\) ATC.*/\1/p' tx-dda2.txt)
arqc=$(sed -n 's/^ARQC input .* ARQC \([0-9A-F]*\)$/\1/p' tx-dda2.txt)
pan=$(sed -n 's/^card: PAN \([0-9]*\),.*/\1/p' tx-dda2.txt)
psn=$(sed -n 's/^card: PAN [0-9]*, PSN \([0-9]*\),.*/\1/p' tx-dda2.txt)
[ -n "$data" ] && [ -n "$arqc" ] && [ -n "$pan" ] || fail "no ARQC input in the log"
cardpipe keys arqc-verify --bank "$(bank_of "$CARD_DDA")" --pan "$pan" --psn "$psn" --atc "$atc2" \
	--data "$data" --arqc "$arqc" >good-arqc.txt 2>&1 || { cat good-arqc.txt; fail "arqc-verify of a good ARQC"; }
bad=$(printf '%s%X' "${arqc:0:15}" $((16#${arqc:15:1} ^ 1)))
rc=0
cardpipe keys arqc-verify --bank "$(bank_of "$CARD_DDA")" --pan "$pan" --psn "$psn" --atc "$atc2" \
	--data "$data" --arqc "$bad" >bad-arqc.txt 2>&1 || rc=$?
[ "$rc" -ne 0 ] || { cat bad-arqc.txt; fail "arqc-verify accepted a forged ARQC"; }
# The card refuses an ARPC that is not its issuer's (one bit changed).
rc=0
transact "$CARD_DDA" tx-bad-arpc.txt --pin $PIN --corrupt-arpc || rc=$?
[ "$rc" -eq 1 ] || { cat tx-bad-arpc.txt; fail "a changed ARPC: exit $rc"; }
assert_contains tx-bad-arpc.txt "^FAIL issuer authentication: EXTERNAL AUTHENTICATE with ARPC [0-9A-F]* answered 6300"
# and the next transaction still works, with the failure carried in the card's CVR
transact "$CARD_DDA" tx-dda3.txt --pin $PIN --expect-oda dda || { cat tx-dda3.txt; fail "DDA card after a refused ARPC"; }
approved tx-dda3.txt "DDA card after a refused ARPC"
iad=$(sed -n 's/^GENERATE AC 1: .* IAD \([0-9A-F]*\)$/\1/p' tx-dda3.txt)
[ $((16#${iad:10:2} & 0x08)) -ne 0 ] ||
	fail "IAD $iad: the CVR does not say issuer authentication failed last time (byte 2 b4)"
remove

# 3. Offline PIN try counter: a wrong PIN decrements it, a right one resets it; at the limit
# the PIN is blocked and stays blocked for the right PIN too.
insert "$CARD_PIN"
vpin() { # vpin PIN EXIT OUT
	local rc=0
	$TERMINAL verify-pin --pin "$1" >"$3" 2>&1 || rc=$?
	[ "$rc" -eq "$2" ] || { cat "$3"; fail "verify-pin $1: exit $rc, expected $2"; }
}
vpin 000000 4 pin1.txt
assert_contains pin1.txt "^PTC 3 -> 2 VERIFY 63C2$"
vpin $PIN 0 pin2.txt
assert_contains pin2.txt "^PTC 2 -> 3 VERIFY 9000$"
vpin 111111 4 pin3.txt
assert_contains pin3.txt "^PTC 3 -> 2 VERIFY 63C2$"
vpin 222222 4 pin4.txt
assert_contains pin4.txt "^PTC 2 -> 1 VERIFY 63C1$"
vpin 333333 4 pin5.txt
assert_contains pin5.txt "^PTC 1 -> 0 VERIFY 63C0$"
vpin $PIN 5 pin6.txt
assert_contains pin6.txt "^PTC 0 -> 0 VERIFY 6983$"
# the terminal sees the counter at 0 and does not offer the PIN: cardholder verification fails
rc=0
transact "$CARD_PIN" tx-blocked.txt --pin $PIN || rc=$?
[ "$rc" -eq 1 ] || { cat tx-blocked.txt; fail "a transaction with a blocked PIN exited $rc"; }
assert_contains tx-blocked.txt "PIN try counter: 0"
assert_contains tx-blocked.txt "TVR: PIN try limit exceeded"
assert_contains tx-blocked.txt "^FAIL CVM: offline plaintext PIN was not verified: PIN try limit exceeded"
assert_not_contains tx-blocked.txt "VERIFY (offline plaintext PIN)"
remove

# 4. A record changed on the chip (its state file edited while out of the reader: one bit of
# the issuer action code - default in SFI 2 record 1, a signed record) breaks SDA, and DDA
# with it (the ICC certificate covers the same static data).
change_record() { # change_record CARD
	local chip serial
	chip=$(q "SELECT chip_id FROM card WHERE card_no = '$1'")
	serial=${chip:16:16}
	$PY - "$run/vcard/$serial.card" <<'PYEOF' || fail "could not change a record of $1"
import sys
path = sys.argv[1]
lines = open(path).read().split("\n")
for i, line in enumerate(lines):
    f = line.split(" ")
    if len(f) == 5 and f[0] == "dgi" and f[1] == "PBOC" and f[2] == "0201" and f[3] == "plain":
        rec = bytearray.fromhex(f[4])
        at = rec.find(bytes.fromhex("9F0D05"))
        if at < 0:
            sys.exit("SFI 2 record 1 has no 9F0D")
        rec[at + 3 + 4] ^= 0x01  # the last byte of the IAC - default
        f[4] = rec.hex().upper()
        lines[i] = " ".join(f)
        break
else:
    sys.exit("no DGI 0201 of the PBOC application in " + path)
open(path, "w").write("\n".join(lines))
PYEOF
}
for c in SDA DDA; do
	eval card=\$CARD_$c
	change_record "$card"
	insert "$card"
	rc=0
	transact "$card" "tx-changed-$c.txt" --pin $PIN || rc=$?
	[ "$rc" -eq 1 ] || { cat "tx-changed-$c.txt"; fail "$c card with a changed record: exit $rc"; }
	assert_contains "tx-changed-$c.txt" "^FAIL SDA: SSAD hash over the static data does not match"
	assert_contains "tx-changed-$c.txt" "^RESULT FAILED"
	remove
done
assert_contains tx-changed-SDA.txt "TVR: SDA failed"
assert_contains tx-changed-DDA.txt "^FAIL DDA: ICC certificate hash over the static data does not match"
assert_contains tx-changed-DDA.txt "TVR: DDA failed"
# The line's virtual card ran every command of these transactions: it stops cleanly, with
# no sanitizer report (ASan/UBSan builds).
cardpipe line stop >/dev/null 2>&1 || fail "line stop"
! grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error" "$run/vcard.log" ||
	{ cat "$run/vcard.log" >&2; fail "sanitizer report in the line's vcard.log"; }
echo "t4110: DDA $CARD_DDA ($BANK_DDA), SDA $CARD_SDA ($BANK_SDA), CDA $CARD_CDA ($BANK_CDA), PIN $CARD_PIN: ok"
