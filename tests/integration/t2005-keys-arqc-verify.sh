#!/bin/bash
# t2005: `cardpipe keys arqc-verify` accepts the ARQC a card computes and gives the ARPC, both
# checked against an independent computation here (python3-cryptography, 3DES: EMV Option A,
# the A1.3 session key from the ATC, ISO 9797-1 MAC algorithm 3 with padding method 2, ARPC
# method 1; and the SM4 variant for a bank whose IMK is SM4); the PBOC session key derivation
# reproduces a public PBOC worked example and is the default for a bank whose profile says
# session_key = pboc; a wrong ARQC exits 1; bad usage exits 2.
source "$CARDPIPE_SRC/tests/integration/lib.sh"
python3 -c 'import cryptography' 2>/dev/null || skip "python3-cryptography is not installed"
cardpipe init >/dev/null
cardpipe keys ceremony --test >/dev/null
PAN=6212345678901234 PSN=01 ATC=0005
MK=$(cardpipe keys diversify --scheme option-a --key bank.ICBC.mk-ac --pan $PAN --psn $PSN --reveal | sed 's/.*KEY=//')
[ ${#MK} -eq 32 ] || fail "no MK-AC: '$MK'"
# amount .. unpredictable number (29), AIP, ATC, CVR (03 A0 10 00)
DATA=000000001000000000000000015600000080000156261206001A2B3C4D7D00${ATC}03A01000
read -r ARQC ARPC PARQC PARPC < <(python3 - "$MK" "$ATC" "$DATA" <<'PY'
import sys
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
try:
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
except ImportError:
    TripleDES = algorithms.TripleDES
def enc(k, d):
    e = Cipher(TripleDES(k), modes.ECB()).encryptor()
    return e.update(d) + e.finalize()
def dec(k, d):
    e = Cipher(TripleDES(k), modes.ECB()).decryptor()
    return e.update(d) + e.finalize()
def parity(b):
    return bytes(x & 0xFE | (bin(x >> 1).count("1") + 1) % 2 for x in b)
mk, atc, data = (bytes.fromhex(a) for a in sys.argv[1:4])
def ac_arpc(sk):
    k1, k2 = sk[:8] * 2, sk[8:] * 2
    d = data + b"\x80" + bytes((7 - len(data)) % 8)
    h = bytes(8)
    for i in range(0, len(d), 8):
        h = enc(k1, bytes(a ^ b for a, b in zip(h, d[i:i + 8])))
    ac = enc(k1, dec(k2, h))
    arpc = enc(sk, bytes([ac[0] ^ 0x30, ac[1] ^ 0x30]) + ac[2:])
    return ac.hex().upper() + " " + arpc.hex().upper()
# EMV A1.3 and the PBOC derivation (00*6 ATC, 00*6 ~ATC)
sk = parity(enc(mk, atc + b"\xF0" + bytes(5)) + enc(mk, atc + b"\x0F" + bytes(5)))
skp = parity(enc(mk, bytes(6) + atc) + enc(mk, bytes(6) + bytes(b ^ 0xFF for b in atc)))
print(ac_arpc(sk), ac_arpc(skp))
PY
)
[ ${#ARQC} -eq 16 ] && [ ${#PARQC} -eq 16 ] || fail "independent computation failed"
av() { cardpipe keys arqc-verify --bank ICBC --pan $PAN --psn $PSN "$@"; }
assert_eq "$(av --atc $ATC --data $DATA --arqc $ARQC)" "ARQC OK ARPC=$ARPC ARC=3030" "ARQC and ARPC"
# another ARC gives another ARPC; a changed byte of data or cryptogram is a mismatch
av --atc $ATC --data $DATA --arqc $ARQC --arc 3035 | grep -q "^ARQC OK ARPC=" || fail "ARC 3035"
[ "$(av --atc $ATC --data $DATA --arqc $ARQC --arc 3035)" != "ARQC OK ARPC=$ARPC ARC=3035" ] || fail "the ARC is in the ARPC"
BAD=${ARQC:0:15}$(printf '%X' $(( (0x${ARQC:15:1} + 1) % 16 )))
expect_exit 1 av --atc $ATC --data $DATA --arqc $BAD >out.txt
assert_contains out.txt "ARQC MISMATCH"
expect_exit 1 av --atc $ATC --data ${DATA/1A2B3C4D/1A2B3C4E} --arqc $ARQC >/dev/null
# usage: the ATC disagrees with the data's, short cryptogram, no data, unknown bank
expect_exit 2 av --atc 0006 --data $DATA --arqc $ARQC 2>err.txt
assert_contains err.txt "--atc says 0006"
expect_exit 2 av --atc $ATC --data $DATA --arqc 1234 2>/dev/null
expect_exit 2 av --atc $ATC --arqc $ARQC 2>/dev/null
expect_exit 3 cardpipe keys arqc-verify --bank NOPE --pan $PAN --psn $PSN --atc $ATC --data $DATA --arqc $ARQC 2>err.txt
assert_contains err.txt "bank.NOPE.mk-ac"
# the PBOC session key derivation (00*6 ATC, 00*6 ~ATC) on request: the public PBOC worked
# example, with its IMK imported into this TEST ONLY store
printf 'F0C34A8124CEE0A91A0B034AA97D6EAC' >imk.hex
chmod 600 imk.hex
cardpipe keys import bank.PBOCX.mk-ac --alg 3DES --file imk.hex >/dev/null
assert_eq "$(cardpipe keys arqc-verify --bank PBOCX --pan 6228000100001 --psn 01 --atc 0240 \
	--data 000000000001000000000000015600800460000156140701001E78EEBC7D00024003A04002 \
	--arqc 5D016C91005E7CC2 --arc 3031 --session-key pboc)" "ARQC OK ARPC=21415243527CE78F ARC=3031" "PBOC example"
expect_exit 2 av --atc $ATC --data $DATA --arqc $ARQC --session-key nope 2>/dev/null
# without --session-key the bank profile's [keys] session_key decides (what perso wrote
# into the bank's cards); --session-key overrides it
mkdir prof
printf '[keys]\nsession_key = pboc\n' >prof/ICBC.ini
pav() { cardpipe --set perso.bank_profiles="$PWD/prof" keys arqc-verify --bank ICBC --pan $PAN --psn $PSN "$@"; }
assert_eq "$(pav --atc $ATC --data $DATA --arqc $PARQC)" "ARQC OK ARPC=$PARPC ARC=3030" "profile pboc"
expect_exit 1 pav --atc $ATC --data $DATA --arqc $ARQC >/dev/null
assert_eq "$(pav --atc $ATC --data $DATA --arqc $ARQC --session-key emv)" "ARQC OK ARPC=$ARPC ARC=3030" "--session-key emv"
expect_exit 1 av --atc $ATC --data $DATA --arqc $PARQC >/dev/null
printf '[keys]\nsession_key = visa\n' >prof/ICBC.ini
expect_exit 2 pav --atc $ATC --data $DATA --arqc $PARQC 2>err.txt
assert_contains err.txt "ICBC.ini:2: .keys. session_key: 'visa'"
# an SM4 bank (its IMK is an SM4 key): Option A with SM4, SK = SM4(MK)[ATC F0 00*13], SM4
# CBC-MAC, ARPC over the 16-byte block, all recomputed here
printf '000102030405060708090A0B0C0D0E0F' >sm4.hex
chmod 600 sm4.hex
cardpipe keys import bank.SMB.mk-ac --alg SM4 --file sm4.hex >/dev/null
read -r SARQC SARPC < <(python3 - 000102030405060708090A0B0C0D0E0F "$PAN$PSN" "$ATC" "$DATA" <<'PY'
import sys
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
def enc(k, d):
    e = Cipher(algorithms.SM4(k), modes.ECB()).encryptor()
    return e.update(d) + e.finalize()
imk = bytes.fromhex(sys.argv[1])
y = bytes.fromhex(sys.argv[2][-16:].rjust(16, "0"))
mk = enc(imk, y + bytes(b ^ 0xFF for b in y))
atc, data = bytes.fromhex(sys.argv[3]), bytes.fromhex(sys.argv[4])
sk = enc(mk, atc + b"\xF0" + bytes(13))
d = data + b"\x80" + bytes((15 - len(data)) % 16)
h = bytes(16)
for i in range(0, len(d), 16):
    h = enc(sk, bytes(a ^ b for a, b in zip(h, d[i:i + 16])))
ac = h[:8]
arpc = enc(sk, bytes([ac[0] ^ 0x30, ac[1] ^ 0x30]) + ac[2:] + bytes(8))[:8]
print(ac.hex().upper(), arpc.hex().upper())
PY
)
[ ${#SARQC} -eq 16 ] || fail "independent SM4 computation failed"
assert_eq "$(cardpipe keys arqc-verify --bank SMB --pan $PAN --psn $PSN --atc $ATC --data $DATA --arqc $SARQC)" \
	"ARQC OK ARPC=$SARPC ARC=3030" "SM4 ARQC and ARPC"
