#!/bin/bash
# t4109: a plain DGI longer than one STORE DATA (239 bytes) goes through the whole line: a
# bank whose issuer key has 1984 bits (certified by a 1984-bit CA made here) gets 254-byte
# records for its issuer certificate (90) and its SDA signature (93), which perso splits over
# two STORE DATA commands; the encoder sends them, the virtual card reassembles them, the
# encoder's read-back passes, and an independent PC/SC client reads the records whole and
# recovers the certificate with the CA key and the signature with the issuer key.
source "$CARDPIPE_SRC/tests/integration/lib.sh"

emulated_line_env
/usr/bin/python3 -c 'import smartcard' 2>/dev/null || skip "python3-pyscard not installed"
/usr/bin/python3 -c 'import cryptography' 2>/dev/null || skip "python3-cryptography not installed"
run=$CARDPIPE_HOME/run/line1

cardpipe init >/dev/null 2>&1
cardpipe keys ceremony --test >/dev/null 2>&1 || fail "keys ceremony --test"
sample_prepared 4
one=$(q "SELECT card_no FROM card WHERE state = 'allocated' ORDER BY id LIMIT 1")
bank=$(q "SELECT bank FROM card WHERE card_no = '$one'")
[ -n "$bank" ] || fail "no allocated card"

# a 1984-bit CA (index 92) whose private key stays here, and a 1984-bit issuer key for the
# bank of the first card
/usr/bin/python3 - <<'PY' || fail "CA key"
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives import serialization as s
k = rsa.generate_private_key(public_exponent=3, key_size=1984)
open("ca.key", "wb").write(k.private_bytes(s.Encoding.PEM, s.PrivateFormat.PKCS8, s.NoEncryption()))
open("ca.pem", "wb").write(k.public_key().public_bytes(s.Encoding.PEM, s.PublicFormat.SubjectPublicKeyInfo))
PY
cardpipe keys ca import --rid A000000333 --index 92 --file ca.pem >/dev/null 2>&1 || fail "ca import"
cardpipe keys issuer create --bank "$bank" --bits 1984 --replace >/dev/null 2>&1 || fail "issuer create"
cardpipe keys issuer export --bank "$bank" --out req.txt >/dev/null 2>&1 || fail "issuer export"
# the certificate, EMV Book 2 5.3, written here from the specification
/usr/bin/python3 - <<'PY' || fail "issuer certificate"
import hashlib, os
from cryptography.hazmat.primitives import serialization as s
f = dict(l.split(None, 1) for l in open("req.txt") if l[:1].isalpha() and " " in l)
ca = s.load_pem_private_key(open("ca.key", "rb").read(), None)
n, d = ca.public_key().public_numbers().n, ca.private_numbers().d
nca = (n.bit_length() + 7) // 8
mod, exp = bytes.fromhex(f["modulus"].strip()), bytes.fromhex(f["exponent"].strip())
iid = bytes.fromhex(f["issuer-identifier"].strip()[:8].ljust(8, "F"))
head = b"\x02" + iid + b"\x12\x36" + os.urandom(3) + b"\x01\x01" + bytes([len(mod), len(exp)])
left, rem = mod[:nca - 36], mod[nca - 36:]
left += b"\xBB" * (nca - 36 - len(left))
h = hashlib.sha1(head + left + rem + exp).digest()
m = int.from_bytes(b"\x6A" + head + left + h + b"\xBC", "big")
cert = pow(m, d, n).to_bytes(nca, "big")
with open("cert.txt", "w") as o:
    o.write("rid A000000333\nca-index 92\ncertificate %s\n" % cert.hex().upper())
    if rem:
        o.write("remainder %s\n" % rem.hex().upper())
    o.write("exponent %s\n" % exp.hex().upper())
PY
cardpipe keys issuer import-cert --bank "$bank" --file cert.txt >/dev/null 2>err.txt || { cat err.txt; fail "import-cert"; }

mkdir prof
printf '[oda]\nmethod = sda\n' >"prof/$bank.ini"
export CARDPIPE_PERSO_BANK_PROFILES=$PWD/prof
cardpipe perso 2>perso.err || { cat perso.err; fail "perso"; }
cardpipe render --no-proof >/dev/null 2>&1 || fail "render"
n=$(q "SELECT count(*) FROM card WHERE state = 'rendered'")
[ "$n" -ge 1 ] || fail "no card rendered"

# the script splits DGIs 0302 (90) and 0303 (93): two STORE DATA commands each
b=$(q "SELECT b.path FROM card c JOIN card_perso p ON p.card_id = c.id JOIN perso_batch b ON b.id = p.batch_id WHERE c.card_no = '$one'")
cardpipe perso show "$b" "$one" >card.script
for d in 0302 0303; do
	assert_eq "$(grep -c "label=PBOC_DGI_$d" card.script)" 2 "DGI $d over two STORE DATA"
done

cardpipe line start --fast 2>start.log || { cat start.log; fail "line start"; }
cardpipe produce --line 1 >p.txt 2>p.err || { cat p.err; fail "produce"; }
assert_eq "$(q "SELECT count(*) FROM card WHERE state = 'produced'")" "$n" "every card produced"
assert_eq "$(q "SELECT count(*) FROM production_attempt WHERE state = 'spoiled'")" 0 "no spoiled attempt"

cardpipe keys ca export --rid A000000333 --index 92 --out ca-export.pem >/dev/null 2>&1 || fail "ca export"
cardpipe line insert "$one" >/dev/null || fail "line insert"
/usr/bin/python3 - "$run/pcscd/run/pcscd.comm" <<'PY' || fail "pyscard read-back"
import os, sys, time, hashlib
os.environ["PCSCLITE_CSOCK_NAME"] = sys.argv[1]
from smartcard.System import readers
from cryptography.hazmat.primitives import serialization as s
def tx(apdu):
    data, sw1, sw2 = c.transmit(apdu)
    if sw1 == 0x6C:
        data, sw1, sw2 = c.transmit(apdu[:-1] + [sw2])
    return bytes(data), (sw1 << 8) | sw2
aid = list(bytes.fromhex("A000000333010101"))
# the card just inserted: connect and SELECT until the reader has settled
for _ in range(50):
    try:
        c = [r for r in readers() if str(r).startswith("Virtual PCD")][0].createConnection()
        c.connect()
        _, sw = tx([0x00, 0xA4, 0x04, 0x00, len(aid)] + aid + [0x00])
        break
    except Exception as e:
        err = e; time.sleep(0.2)
else:
    raise SystemExit("no card: %s" % err)
assert sw == 0x9000, "SELECT: %04X" % sw
def rec(sfi, n):
    d, sw = tx([0x00, 0xB2, n, sfi << 3 | 4, 0x00])
    assert sw == 0x9000, "READ RECORD %d/%d: %04X" % (sfi, n, sw)
    h = 3 if d[1:2] == b"\x81" else 2
    assert d[0] == 0x70 and d[h - 1] == len(d) - h, "record %d/%d: bad template" % (sfi, n)
    return d[h:]
def tlv(v):
    out, i = {}, 0
    while i < len(v):
        t = v[i]; i += 1
        if t & 0x1F == 0x1F:
            t = t << 8 | v[i]; i += 1
        l = v[i]; i += 1
        if l == 0x81:
            l = v[i]; i += 1
        out[t] = v[i:i + l]; i += l
    return out
r1, r2, r3 = tlv(rec(3, 1)), rec(3, 2), rec(3, 3)
assert len(r2) == 251 and len(r3) == 251, "records of %d and %d bytes" % (len(r2), len(r3))
cert, ssad = tlv(r2)[0x90], tlv(r3)[0x93]
ca = s.load_pem_public_key(open("ca-export.pem", "rb").read()).public_numbers()
m = pow(int.from_bytes(cert, "big"), ca.e, ca.n).to_bytes(len(cert), "big")
assert m[:2] == b"\x6A\x02" and m[-1] == 0xBC, "issuer certificate does not recover"
assert r1[0x8F] == b"\x92", "CA index"
ni = m[13]
left, rem, exp = m[15:len(m) - 21], r1.get(0x92, b""), r1[0x9F32]
assert hashlib.sha1(m[1:len(m) - 21] + rem + exp).digest() == m[-21:-1], "certificate hash"
imod = (left + rem)[:ni]
p = pow(int.from_bytes(ssad, "big"), int.from_bytes(exp, "big"), int.from_bytes(imod, "big"))
p = p.to_bytes(ni, "big")
assert p[:3] == b"\x6A\x03\x01" and p[-1] == 0xBC, "SDA signature does not recover"
print("SFI 3 records 2 and 3 read whole: 254 bytes each; 90 and 93 recover")
PY
echo "t4109 ok"
