#!/bin/bash
# t2040: EMV offline data authentication keys. `keys ceremony --test` makes the TEST ONLY CA
# (A000000333/F1) and every cooperating bank's issuer key and certificate; `keys list` shows
# their hashes (the CA hash recomputed here from the exported PEM); a production ceremony as a
# bureau runs it: issuer key created, exported, certified by a CA simulated here with python
# (an independent implementation of EMV Book 2 §5.3), the CA public key and the certificate
# imported; a tampered or mismatched certificate, a wrong CA hash, bad sizes and bad PEM files
# are refused with specific errors.
source "$CARDPIPE_SRC/tests/integration/lib.sh"
command -v python3 >/dev/null || skip "python3 not installed"
python3 -c 'import cryptography' 2>/dev/null || skip "python3-cryptography not installed"
cardpipe init >/dev/null

# ---- the TEST ONLY hierarchy ----
cardpipe keys ceremony --test >/dev/null 2>&1
cardpipe keys list >list.txt
grep -q '^emv.ca.A000000333.F1 key-pair 1408 exponent 03 ' list.txt || fail "no TEST ONLY CA"
for b in $(cardpipe config --show | sed -n 's/^cooperating = //p' | tr ',' ' '); do
	grep -q "^emv.issuer.$b key-pair 1152 exponent 03 " list.txt || fail "no issuer key for $b"
	grep -q "^emv.issuer_cert.$b CA A000000333 index F1, " list.txt || fail "no certificate for $b"
done
assert_not_contains list.txt "INVALID"
# a second --test adds nothing
cardpipe keys ceremony --test >/dev/null 2>&1
cardpipe keys list >list2.txt
cmp -s list.txt list2.txt || fail "second --test changed the EMV keys"

# the CA hash of keys list, recomputed from the exported PEM
cardpipe keys ca export --rid A000000333 --index F1 --out ca.pem >/dev/null
openssl pkey -pubin -in ca.pem -noout || fail "exported CA key is not PEM"
want=$(python3 - ca.pem <<'PY'
import hashlib, sys
from cryptography.hazmat.primitives.serialization import load_pem_public_key
k = load_pem_public_key(open(sys.argv[1], "rb").read()).public_numbers()
n = k.n.to_bytes((k.n.bit_length() + 7) // 8, "big")
e = k.e.to_bytes((k.e.bit_length() + 7) // 8, "big")
print(hashlib.sha1(bytes.fromhex("A000000333F1") + n + e).hexdigest().upper())
PY
)
assert_eq "$(awk '$1=="emv.ca.A000000333.F1" && $2=="key-pair"{for(i=1;i<NF;i++) if($i=="ca-hash") print $(i+1)}' list.txt)" "$want" "CA hash"
# the public key hashes are over the DER SubjectPublicKeyInfo
cardpipe keys issuer export --bank ICBC >icbc.txt
openssl pkey -pubin -in icbc.txt -outform DER -out icbc.der
assert_eq "$(awk '$1=="emv.issuer.ICBC" && $2=="key-pair"{print $9}' list.txt)" "$(sha256sum <icbc.der | cut -c1-64)" "issuer sha256"
assert_eq "$(awk '$1=="emv.issuer.ICBC" && $2=="key-pair"{print $7}' list.txt)" "$(sha1sum <icbc.der | cut -c1-40)" "issuer sha1"
assert_contains icbc.txt "^issuer-identifier 62122600$"
assert_contains icbc.txt "^modulus-bits 1152$"
mod=$(openssl pkey -pubin -in icbc.txt -noout -text | python3 -c '
import sys, re
t = sys.stdin.read()
m = re.search(r"Modulus:\s*((?:[0-9a-f]{2}:?\s*)+)", t)
print(re.sub(r"[^0-9a-f]", "", m.group(1)).lstrip("0").upper())')
assert_eq "$(awk '$1=="modulus"{print $2}' icbc.txt)" "$mod" "exported modulus"
# a TEST ONLY store takes an unencrypted key file, with a warning
openssl genrsa -3 -out test-iss.pem 1152 2>/dev/null && chmod 600 test-iss.pem
cardpipe keys issuer import --bank TESTB --file test-iss.pem >out.txt 2>err.txt
assert_contains out.txt "issuer key pair of bank TESTB imported"
assert_contains err.txt "unencrypted: accepted only because the key store is TEST ONLY"

# ---- a production store ----
P=$PWD/prod && mkdir -p $P/c && chmod 700 $P/c
export CARDPIPE_HOME=$P/home
cardpipe init >/dev/null
for i in 1 2; do openssl rand -hex 32 >$P/c/c$i && chmod 600 $P/c/c$i; done
cardpipe keys ceremony --component-file $P/c/c1 --component-file $P/c/c2 >/dev/null
SET="--set keys.component_files=$P/c/c1:$P/c/c2"

# sizes and exponents EMV does not allow
expect_exit 3 cardpipe $SET keys issuer create --bank ICBC --bits 2048 2>err.txt
assert_contains err.txt "1984"
expect_exit 3 cardpipe $SET keys issuer create --bank ICBC --bits 1156 2>err.txt
assert_contains err.txt "steps of 8"
expect_exit 2 cardpipe $SET keys issuer create --bank ICBC --exponent 5 2>err.txt
assert_contains err.txt "3 or 65537"
expect_exit 2 cardpipe $SET keys issuer create 2>err.txt
assert_contains err.txt "needs --bank"
expect_exit 2 cardpipe $SET keys issuer frobnicate --bank ICBC 2>err.txt
expect_exit 3 cardpipe $SET keys issuer export --bank ICBC 2>err.txt
assert_contains err.txt "keys issuer create --bank ICBC"

cardpipe $SET keys issuer create --bank ICBC >out.txt
assert_contains out.txt "1152 bits, exponent 3"
cardpipe $SET keys issuer export --bank ICBC --out req.txt >/dev/null
assert_contains req.txt "^issuer-identifier 62122600$"
# perso has no certificate yet: keys list says the bank has only its key
cardpipe $SET keys list >plist.txt
grep -q '^emv.issuer.ICBC key-pair 1152 ' plist.txt || fail "issuer key not listed"

# the scheme's CA, simulated: a 1408-bit key and an independent certificate writer
openssl genrsa -3 -out ca-priv.pem 1408 2>/dev/null
openssl pkey -in ca-priv.pem -pubout -out ca-pub.pem
cat >mkcert.py <<'PY'
import hashlib, sys
from cryptography.hazmat.primitives.serialization import load_pem_private_key
ca = load_pem_private_key(open(sys.argv[1], "rb").read(), None)
req = dict(l.split(None, 1) for l in open(sys.argv[2]) if l[:1].isalpha() and " " in l)
idx, out = sys.argv[3], sys.argv[4]
tamper = sys.argv[5] if len(sys.argv) > 5 else ""
pn = ca.private_numbers()
n, d = pn.public_numbers.n, pn.d
nca = (n.bit_length() + 7) // 8
mod = bytes.fromhex(req["modulus"].strip())
exp = bytes.fromhex(req["exponent"].strip())
iid = bytes.fromhex(req["issuer-identifier"].strip())
room = nca - 36
lead, rem = mod[:room], mod[room:]
body = (b"\x02" + iid + b"\x12\x35" + b"\x00\x00\x07" + b"\x01\x01" + bytes([len(mod), len(exp)])
        + lead + b"\xbb" * (room - len(lead)))
h = hashlib.sha1(body + rem + exp).digest()
if tamper == "hash":
    h = bytes([h[0] ^ 1]) + h[1:]
block = b"\x6a" + body + h + b"\xbc"
cert = pow(int.from_bytes(block, "big"), d, n).to_bytes(nca, "big")
with open(out, "w") as f:
    f.write("# issuer public key certificate from the scheme\n")
    f.write("rid A000000333\nca-index %s\ncertificate %s\n" % (idx, cert.hex().upper()))
    if rem:
        f.write("remainder %s\n" % rem.hex().upper())
    f.write("exponent %s\n" % exp.hex().upper())
hk = pn.public_numbers
nb = hk.n.to_bytes(nca, "big")
eb = hk.e.to_bytes((hk.e.bit_length() + 7) // 8, "big")
print(hashlib.sha1(bytes.fromhex("A000000333" + idx) + nb + eb).hexdigest().upper())
PY
cahash=$(python3 mkcert.py ca-priv.pem req.txt 08 cert.txt)
# the certificate before its CA key: refused, naming the command
expect_exit 3 cardpipe $SET keys issuer import-cert --bank ICBC --file cert.txt 2>err.txt
assert_contains err.txt "keys ca import"
# the CA key with a wrong published hash: refused
expect_exit 3 cardpipe $SET keys ca import --rid A000000333 --index 08 --file ca-pub.pem --hash 0000000000000000000000000000000000000000 2>err.txt
assert_contains err.txt "not imported"
expect_exit 2 cardpipe $SET keys ca import --rid A0000003 --index 08 --file ca-pub.pem 2>err.txt
assert_contains err.txt "10 hex digits"
echo "not a key" >junk.pem
expect_exit 3 cardpipe $SET keys ca import --rid A000000333 --index 08 --file junk.pem 2>err.txt
assert_contains err.txt "no PEM public key"
cardpipe $SET keys ca import --rid A000000333 --index 08 --file ca-pub.pem --hash "$cahash" >out.txt
assert_contains out.txt "CA hash $cahash"
# a tampered certificate and one with a changed byte are refused; the right one accepted
python3 mkcert.py ca-priv.pem req.txt 08 bad-hash.txt hash >/dev/null
expect_exit 3 cardpipe $SET keys issuer import-cert --bank ICBC --file bad-hash.txt 2>err.txt
assert_contains err.txt "hash does not match"
sed 's/^remainder \(..\)/remainder 00/' cert.txt >bad-rem.txt
cmp -s cert.txt bad-rem.txt && sed -i 's/^remainder \(..\)/remainder 01/' bad-rem.txt
expect_exit 3 cardpipe $SET keys issuer import-cert --bank ICBC --file bad-rem.txt 2>err.txt
assert_contains err.txt "hash does not match"
printf 'rid A000000333\nca-index 08\ncertificate ZZ\nexponent 03\n' >bad-fmt.txt
expect_exit 3 cardpipe $SET keys issuer import-cert --bank ICBC --file bad-fmt.txt 2>err.txt
assert_contains err.txt "bad-fmt.txt:3"
# ABC's certificate request signed for ICBC: another key
cardpipe $SET keys issuer create --bank ABC >/dev/null
cardpipe $SET keys issuer export --bank ABC --out req-abc.txt >/dev/null
python3 mkcert.py ca-priv.pem req-abc.txt 08 cert-abc.txt >/dev/null
expect_exit 3 cardpipe $SET keys issuer import-cert --bank ICBC --file cert-abc.txt 2>err.txt
assert_contains err.txt "another key"
cardpipe $SET keys issuer import-cert --bank ICBC --file cert.txt >out.txt
assert_contains out.txt "CA A000000333 index 08, expires 12/35"
cardpipe $SET keys list >plist.txt
grep -q '^emv.issuer_cert.ICBC CA A000000333 index 08, issuer 62122600, expires 12/35, 176-byte certificate, 4-byte remainder' plist.txt || fail "certificate not listed"
grep -q '^emv.ca.A000000333.08 public 1408 exponent 03 .* ca-hash '"$cahash" plist.txt || fail "CA not listed with its hash"
cardpipe $SET keys ca export --rid A000000333 --index 08 >back.pem
cmp -s <(openssl pkey -pubin -in back.pem -outform DER) <(openssl pkey -pubin -in ca-pub.pem -outform DER) || fail "CA export differs from the import"

# an issuer key longer than the CA key breaks the chain rule
openssl genrsa -3 -out small-ca.pem 1152 2>/dev/null
openssl pkey -in small-ca.pem -pubout -out small-ca-pub.pem
cardpipe $SET keys issuer create --bank BOB --bits 1408 >/dev/null
cardpipe $SET keys issuer export --bank BOB --out req-bob.txt >/dev/null
smallhash=$(python3 mkcert.py small-ca.pem req-bob.txt 09 cert-bob.txt)
# a production store takes a CA key only with the hash the scheme published
expect_exit 2 cardpipe $SET keys ca import --rid A000000333 --index 09 --file small-ca-pub.pem 2>err.txt
assert_contains err.txt "needs --hash"
cardpipe $SET keys list >plist.txt
assert_not_contains plist.txt "emv.ca.A000000333.09"
cardpipe $SET keys ca import --rid A000000333 --index 09 --file small-ca-pub.pem --hash "$smallhash" >/dev/null
expect_exit 3 cardpipe $SET keys issuer import-cert --bank BOB --file cert-bob.txt 2>err.txt
assert_contains err.txt "longer than the key that signs"

# issuer key sizes against the CA keys of the RID (the longest here has 1408 bits)
expect_exit 3 cardpipe $SET keys issuer create --bank CEB --bits 1416 2>err.txt
assert_contains err.txt "longer than every CA key of RID A000000333"
cardpipe $SET keys issuer create --bank CEB --bits 1416 --rid A000000004 >/dev/null
expect_exit 3 cardpipe $SET keys issuer create --bank HXB --bits 840 2>err.txt
assert_contains err.txt "848 to 1984"
cardpipe $SET keys issuer create --bank HXB --bits 1016 >/dev/null 2>err.txt
assert_contains err.txt "less than the default ICC key (1024 bits)"

# importing an issuer key pair: an encrypted PKCS#8 file private to the user, EMV size
openssl genrsa -out iss.pem 1152 2>/dev/null && chmod 600 iss.pem
openssl pkcs8 -topk8 -v2 aes-256-cbc -in iss.pem -out iss-enc.pem -passout pass:'issuer pass phrase'
chmod 644 iss-enc.pem
expect_exit 3 cardpipe $SET keys issuer import --bank CCB --file iss-enc.pem --pass-fd 3 3<<<"issuer pass phrase" 2>err.txt
assert_contains err.txt "private to you"
chmod 600 iss-enc.pem
ln -s iss-enc.pem link.pem
expect_exit 3 cardpipe $SET keys issuer import --bank CCB --file link.pem --pass-fd 3 3<<<"issuer pass phrase" 2>err.txt
assert_contains err.txt "symbolic link"
# the private key in the clear in a file: refused on a production store
expect_exit 3 cardpipe $SET keys issuer import --bank CCB --file iss.pem 2>err.txt
assert_contains err.txt "unencrypted"
expect_exit 3 cardpipe $SET keys issuer import --bank CCB --file iss-enc.pem --pass-fd 3 3<<<"wrong" 2>err.txt
assert_contains err.txt "wrong passphrase"
assert_contains err.txt "bad decrypt"
# no terminal and no --pass-fd: nothing to ask the passphrase with
expect_exit 2 setsid -w cardpipe $SET keys issuer import --bank CCB --file iss-enc.pem </dev/null 2>err.txt
assert_contains err.txt "give --pass-fd N"
cardpipe $SET keys issuer import --bank CCB --file iss-enc.pem --pass-fd 3 3<<<"issuer pass phrase" >out.txt
assert_contains out.txt "issuer key pair of bank CCB imported"
cardpipe $SET keys issuer export --bank CCB >ccb.txt
cmp -s <(openssl pkey -pubin -in ccb.txt -outform DER) <(openssl pkey -in iss.pem -pubout -outform DER) || fail "imported issuer key differs"
# a second import does not replace the key pair unless asked
expect_exit 3 cardpipe $SET keys issuer import --bank CCB --file iss-enc.pem --pass-fd 3 3<<<"issuer pass phrase" 2>err.txt
assert_contains err.txt "give --replace"
openssl genrsa -out big.pem 2048 2>/dev/null
openssl pkcs8 -topk8 -v2 aes-256-cbc -in big.pem -out big-enc.pem -passout pass:p && chmod 600 big-enc.pem
expect_exit 3 cardpipe $SET keys issuer import --bank CCB --replace --file big-enc.pem --pass-fd 3 3<<<"p" 2>err.txt
assert_contains err.txt "2048"
cp junk.pem junk2.pem && chmod 600 junk2.pem
expect_exit 3 cardpipe $SET keys issuer import --bank CCB --replace --file junk2.pem 2>err.txt
assert_contains err.txt "no PEM private key"
# no private key in the clear: not in the store file (binary or hex), not in the listing,
# not anywhere in the home
hexpart() { openssl pkey -in iss.pem -noout -text | sed -n "/^$1:/,/^$2:/p" | sed '1d;$d' | tr -d ' :\n' | tr a-f A-F | cut -c3-40; }
priv=$(hexpart privateExponent prime1)
prime=$(hexpart prime1 prime2)
[ ${#priv} -ge 30 ] && [ ${#prime} -ge 30 ] || fail "private exponent or prime not read"
cardpipe $SET keys list >plist.txt
for h in "$priv" "$prime"; do
	! grep -rqi "$h" "$CARDPIPE_HOME" || fail "a private key part ($h) is somewhere in the home"
	! grep -qi "$h" plist.txt || fail "keys list shows a private key part"
	python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); sys.exit(bytes.fromhex(sys.argv[2]) in d)' \
		"$CARDPIPE_HOME"/keys/keystore.db "$h" || fail "the key store holds a private key part in binary"
done
# replacing a key pair prints both hashes and drops the certificate
old=$(awk '$1=="emv.issuer.ICBC" && $2=="key-pair"{print $9}' plist.txt)
[ ${#old} -eq 64 ] || fail "no ICBC hash in keys list"
grep -q '^emv.issuer_cert.ICBC ' plist.txt || fail "ICBC has no certificate before replacing"
expect_exit 3 cardpipe $SET keys issuer create --bank ICBC 2>err.txt
assert_contains err.txt "give --replace"
cardpipe $SET keys issuer create --bank ICBC --replace >out.txt 2>err.txt
assert_contains out.txt "replaced the key pair with sha256 $old"
cardpipe $SET keys list >plist.txt
new=$(awk '$1=="emv.issuer.ICBC" && $2=="key-pair"{print $9}' plist.txt)
assert_contains out.txt "sha256 $new"
[ "$new" != "$old" ] || fail "the key pair was not replaced"
assert_not_contains plist.txt "^emv.issuer_cert.ICBC "
# the TEST ONLY CA is not put into a production store: the ceremony refuses the store as a
# whole before the EMV part runs (emv_test_populate's own refusal is in test_emv_oda)
expect_exit 3 cardpipe $SET keys ceremony --test 2>err.txt
assert_contains err.txt "is a production key store; --test refuses to touch it"
cardpipe $SET keys list >plist.txt
assert_not_contains plist.txt "emv.ca.A000000333.F1"
echo ok
