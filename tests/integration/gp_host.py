#!/usr/bin/python3
"""gp_host.py - an independent GlobalPlatform host (off-card side) over PC/SC, to check
issued cards from outside cardpipe.

Written from the GP Card Specification 2.3.1 (INITIALIZE UPDATE, EXTERNAL AUTHENTICATE,
GET STATUS 11.4, SET STATUS 11.10, STORE DATA 11.11) and Amendment D (SCP03: the KDF of
6.2.1, NIST SP 800-108 counter mode with AES-CMAC; cryptograms 6.2.2; C-MAC 6.2.4;
C-DECRYPTION 6.2.6). It shares no code with cardpipe's C side: AES and AES-CMAC come from
python3-cryptography, the card link from pyscard.

The static keys of a chip are diversified from the KMC with the SCP03 KDF ("kdf3"):
key_x = CMAC(KMC, i || 00 00 00 || x || 00 || KDD) for block i = 1.., x = 01 ENC, 02 MAC,
03 DEK, KDD as the chip reports it in INITIALIZE UPDATE.

usage:
  gp_host.py selftest
      check this SCP03 implementation against the published vectors (GP SCP03 test
      vectors TV-03-A: AES-128/192/256 at security levels 11, 03, 33); exit 0 when all match.
  gp_host.py check-issued [--reader PREFIX] [--kmc HEX] [--kvn HEX] [--app AID[:STATE]]...
      on the card in the reader: open SCP03 (C-MAC), GET STATUS of the ISD and the
      applications, try a STORE DATA and an UPDATE RECORD of EF05 over the channel.
      An issued card: the ISD SECURED (0F), each --app in STATE (default 0F), the STORE
      DATA and the UPDATE RECORD refused, EF05 record 2 unchanged.
      Prints one line per finding and "ISSUED" or "NOT ISSUED: <reasons>"; exit 0 when
      issued, 1 when not, 2 on usage, 3 on a PC/SC or protocol failure.
The default KMC is the public GlobalPlatform test key 404142...4F. Point pyscard at a
line's pcscd with PCSCLITE_CSOCK_NAME.
"""
import os
import re
import sys

from cryptography.hazmat.primitives import cmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

ISD_AID = bytes.fromhex("A000000151000000")
SSSE_AID = bytes.fromhex("7378312E73682EC9E7BBE1B1A3D5CF")
GP_TEST_KMC = bytes.fromhex("404142434445464748494A4B4C4D4E4F")

C_MAC, C_DEC, R_MAC, R_ENC = 0x01, 0x02, 0x10, 0x20


class GPError(Exception):
    pass


# ---------------------------------------------------------------- primitives

def aes_cmac(key, data):
    c = cmac.CMAC(algorithms.AES(key))
    c.update(data)
    return c.finalize()


def aes_cbc(key, iv, data):
    e = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return e.update(data) + e.finalize()


def aes_ecb(key, block):
    e = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return e.update(block) + e.finalize()


def pad80(data):
    """ISO 9797-1 method 2 to 16 bytes: 80, then zeros (a full block when aligned)."""
    data = data + b"\x80"
    return data + b"\x00" * (-len(data) % 16)


def scp03_kdf(key, constant, context, bits):
    """AMD-D 6.2.1: label = 11 zero bytes || constant, separator 00, L (2 bytes, bits),
    counter i (1 byte), context; CMAC blocks concatenated, truncated to L."""
    out = b""
    i = 1
    while len(out) * 8 < bits:
        out += aes_cmac(key, b"\x00" * 11 + bytes([constant]) + b"\x00"
                        + bits.to_bytes(2, "big") + bytes([i]) + context)
        i += 1
    return out[:bits // 8]


def diversify_kdf3(kmc, kdd):
    """The chip's static ENC, MAC, DEK from the KMC and the KDD (10 bytes)."""
    keys = []
    for x in (1, 2, 3):
        k = b""
        i = 1
        while len(k) < len(kmc):
            k += aes_cmac(kmc, bytes([i, 0, 0, 0, x, 0]) + kdd)
            i += 1
        keys.append(k[:len(kmc)])
    return keys


# ---------------------------------------------------------------- SCP03 session

class SCP03:
    """The host side of one SCP03 session (S8 mode)."""

    def __init__(self, enc, mac, dek, kvn=0):
        self.enc, self.mac, self.dek, self.kvn = enc, mac, dek, kvn
        self.chain = b"\x00" * 16
        self.counter = 0
        self.level = 0

    def init_update_apdu(self, host_challenge):
        self.hc = host_challenge
        return bytes([0x80, 0x50, self.kvn, 0x00, 0x08]) + host_challenge + b"\x00"

    def begin(self, resp):
        """Take the INITIALIZE UPDATE answer (no SW): derive the session keys and check the
        card cryptogram."""
        if len(resp) not in (29, 32):
            raise GPError("INITIALIZE UPDATE answer of %d bytes" % len(resp))
        self.kdd, keyinfo = resp[:10], resp[10:13]
        if keyinfo[1] != 0x03:
            raise GPError("not SCP03 (SCP %02X)" % keyinfo[1])
        self.i_param = keyinfo[2]
        self.cc, card_cgram = resp[13:21], resp[21:29]
        ctx = self.hc + self.cc
        bits = len(self.enc) * 8
        self.s_enc = scp03_kdf(self.enc, 0x04, ctx, bits)
        self.s_mac = scp03_kdf(self.mac, 0x06, ctx, bits)
        self.s_rmac = scp03_kdf(self.mac, 0x07, ctx, bits)
        if scp03_kdf(self.s_mac, 0x00, ctx, 64) != card_cgram:
            raise GPError("card cryptogram does not verify (wrong keys)")

    def external_authenticate_apdu(self, level):
        host_cgram = scp03_kdf(self.s_mac, 0x01, self.hc + self.cc, 64)
        hdr = bytes([0x84, 0x82, level, 0x00, 0x10])
        full = aes_cmac(self.s_mac, b"\x00" * 16 + hdr + host_cgram)
        self.chain = full
        self.level = level
        self.counter = 0
        return hdr + host_cgram + full[:8]

    def wrap(self, apdu):
        """C-DEC (when the level has it) then C-MAC of a plain short APDU."""
        cla, ins, p1, p2 = apdu[:4]
        data, le = b"", None
        if len(apdu) == 5:
            le = apdu[4]
        elif len(apdu) > 5:
            lc = apdu[4]
            data = apdu[5:5 + lc]
            if len(apdu) == 6 + lc:
                le = apdu[-1]
            elif len(apdu) != 5 + lc:
                raise GPError("APDU length does not match Lc")
        self.counter += 1  # every command after EXTERNAL AUTHENTICATE counts
        if self.level & C_DEC and data:
            icv = aes_ecb(self.s_enc, self.counter.to_bytes(16, "big"))
            data = aes_cbc(self.s_enc, icv, pad80(data))
        # secure messaging indicated: b3 in the first interindustry and proprietary
        # classes, b6 in the further interindustry ones (basic channel only here)
        cla_sm = (cla | 0x20) if cla & 0x40 else (cla | 0x04)
        hdr = bytes([cla_sm, ins, p1, p2])
        if self.level & C_MAC:
            full = aes_cmac(self.s_mac, self.chain + hdr + bytes([len(data) + 8]) + data)
            self.chain = full
            data += full[:8]
        out = hdr + bytes([len(data)]) + data
        if le is not None:
            out += bytes([le])
        return out

    def unwrap(self, data, sw):
        """Check an R-MAC when the level asks for one (R-ENC is not used here)."""
        if not self.level & R_MAC or not (sw == 0x9000 or sw >> 8 in (0x62, 0x63)):
            return data
        if len(data) < 8:
            raise GPError("response without its R-MAC")
        body, rmac = data[:-8], data[-8:]
        if aes_cmac(self.s_rmac, self.chain + body + sw.to_bytes(2, "big"))[:8] != rmac:
            raise GPError("R-MAC does not verify")
        return body


# ---------------------------------------------------------------- published vectors

# GP SCP03 test vectors TV-03-A (public), read from the one table of them,
# tests/unit/vectors_scp03.h (data only: string literals): keys ENC = 00 01 .., MAC = 10 11
# .., DEK = 20 21 .. of the key length; per vector the INITIALIZE UPDATE command and answer,
# EXTERNAL AUTHENTICATE, then the wrapped forms of GET EID and the four command cases; also
# the session keys of AES128_11 and the static keys' check values published with them.
VECTORS_H = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "unit",
                         "vectors_scp03.h")


def c_strings(text, name):
    """The string literals of the C initializer of `name` (adjacent literals joined)."""
    body = text[text.index(name):]
    body = body[:body.index(";")]
    body = re.sub(r'"\s*"', "", body)
    return re.findall(r'"([0-9A-Za-z_]*)"', body)


def tv03a_table(path=VECTORS_H):
    with open(path, encoding="utf-8") as f:
        text = re.sub(r"/\*.*?\*/", "", f.read(), flags=re.S)
    plain = c_strings(text, "tv03a_get_eid_plain[]") + c_strings(text, "tv03a_plain[4]")
    flat = c_strings(text, "tv03a_vectors[]")
    session = c_strings(text, "tv03a_128_11_session[3]")
    kcv = c_strings(text, "tv03a_static_kcv[3]")
    if len(plain) != 5 or not flat or len(flat) % 10 or len(session) != 3 or len(kcv) != 3:
        raise ValueError("%s: not the TV-03-A table this host reads" % path)
    # per vector: name, INITIALIZE UPDATE, answer, EXTERNAL AUTHENTICATE, GET EID, its
    # response, the four wrapped commands
    return plain, [(v[1], v[2], v[3], [v[4]] + v[6:10])
                   for v in (flat[i:i + 10] for i in range(0, len(flat), 10))], session, kcv





def selftest(out=sys.stdout):
    failures = 0
    tv_plain, tv03a, session, kcvs = tv03a_table()
    for init_cmd, init_rsp, ext_auth, wrapped in tv03a:
        init_cmd, init_rsp = bytes.fromhex(init_cmd), bytes.fromhex(init_rsp)
        kvn = init_cmd[2]
        klen = {0x30: 16, 0x31: 24, 0x32: 32}[kvn]
        keys = [bytes((base + i % 16) for i in range(klen)) for base in (0x00, 0x10, 0x20)]
        s = SCP03(*keys, kvn=kvn)
        name = "AES%d_%02X" % (klen * 8, bytes.fromhex(ext_auth)[2])
        ok = s.init_update_apdu(init_cmd[5:13]) == init_cmd
        try:
            s.begin(init_rsp)
        except GPError as e:
            print("selftest %s: %s" % (name, e), file=out)
            failures += 1
            continue
        ok &= s.external_authenticate_apdu(bytes.fromhex(ext_auth)[2]) == bytes.fromhex(ext_auth)
        for plain, want in zip(tv_plain, wrapped):
            got = s.wrap(bytes.fromhex(plain))
            if got != bytes.fromhex(want):
                print("selftest %s: %s wraps to %s, published %s"
                      % (name, plain, got.hex(), want), file=out)
                ok = False
        if name == "AES128_11":
            ok &= s.s_enc.hex().upper() == session[0]
            ok &= s.s_mac.hex().upper() == session[1]
            ok &= s.s_rmac.hex().upper() == session[2]
            for k, kcv in zip(keys, kcvs):
                ok &= aes_ecb(k, b"\x01" * 16)[:3].hex().upper() == kcv
        print("selftest %s: %s" % (name, "ok" if ok else "MISMATCH"), file=out)
        failures += not ok
    return failures


# ---------------------------------------------------------------- the card

class Card:
    def __init__(self, prefix):
        from smartcard.System import readers
        matching = [r for r in readers() if str(r).startswith(prefix)]
        if not matching:
            raise GPError("no reader named %s..." % prefix)
        self.conn = matching[0].createConnection()
        self.conn.connect()
        self.scp = None

    def transmit(self, apdu):
        data, sw1, sw2 = self.conn.transmit(list(apdu))
        if sw1 == 0x61:
            data, sw1, sw2 = self.conn.transmit([0x00, 0xC0, 0x00, 0x00, sw2])
        return bytes(data), (sw1 << 8) | sw2

    def send(self, apdu):
        """Through the secure channel when one is open."""
        if self.scp is None:
            return self.transmit(apdu)
        data, sw = self.transmit(self.scp.wrap(apdu))
        return self.scp.unwrap(data, sw), sw

    def open_scp03(self, kmc, kvn=0, level=C_MAC):
        self.scp = None
        _, sw = self.transmit(bytes([0x00, 0xA4, 0x04, 0x00, len(ISD_AID)]) + ISD_AID + b"\x00")
        if sw != 0x9000:
            raise GPError("SELECT ISD: SW %04X" % sw)
        hc = os.urandom(8)
        # the static keys depend on the KDD: derive them from the answer
        probe = SCP03(b"\x00" * 16, b"\x00" * 16, b"\x00" * 16, kvn)
        resp, sw = self.transmit(probe.init_update_apdu(hc))
        if sw != 0x9000:
            raise GPError("INITIALIZE UPDATE: SW %04X" % sw)
        s = SCP03(*diversify_kdf3(kmc, resp[:10]), kvn=kvn)
        s.init_update_apdu(hc)
        s.begin(resp)
        _, sw = self.transmit(s.external_authenticate_apdu(level))
        if sw != 0x9000:
            raise GPError("EXTERNAL AUTHENTICATE: SW %04X" % sw)
        self.scp = s

    def get_status(self, p1):
        """GET STATUS (TLV format), every page: a list of (AID, life cycle, privileges)."""
        entries, p2 = [], 0x02
        for _ in range(16):
            data, sw = self.send(bytes([0x80, 0xF2, p1, p2, 0x02, 0x4F, 0x00, 0x00]))
            if sw == 0x6A88:
                return entries
            if sw not in (0x9000, 0x6310):
                raise GPError("GET STATUS %02X: SW %04X" % (p1, sw))
            entries += parse_registry(data)
            if sw == 0x9000:
                return entries
            p2 = 0x03  # next occurrences
        raise GPError("GET STATUS %02X: more data after 16 pages" % p1)


def tlvs(data):
    """Split BER-TLV data into (tag, value) pairs (1- or 2-byte tags, lengths < 256)."""
    out, i = [], 0
    while i < len(data):
        tag = data[i]
        i += 1
        if tag & 0x1F == 0x1F:
            tag = tag << 8 | data[i]
            i += 1
        n = data[i]
        i += 1
        if n == 0x81:
            n = data[i]
            i += 1
        elif n > 0x80:
            raise GPError("unsupported TLV length %02X" % n)
        if i + n > len(data):
            raise GPError("truncated TLV %X" % tag)
        out.append((tag, data[i:i + n]))
        i += n
    return out


def parse_registry(data):
    entries = []
    for tag, value in tlvs(data):
        if tag != 0xE3:
            raise GPError("GET STATUS: %X where an E3 template belongs" % tag)
        fields = dict(tlvs(value))
        if 0x4F not in fields or 0x9F70 not in fields:
            raise GPError("GET STATUS: an E3 template without 4F or 9F70")
        entries.append((fields[0x4F], fields[0x9F70][0], fields.get(0xC5, b"")))
    return entries


CARD_STATES = {0x01: "OP_READY", 0x07: "INITIALIZED", 0x0F: "SECURED",
               0x7F: "CARD_LOCKED", 0xFF: "TERMINATED"}


def check_issued(card, kmc, kvn, apps):
    problems = []
    card.open_scp03(kmc, kvn, C_MAC)
    isd = card.get_status(0x80)
    if len(isd) != 1:
        problems.append("GET STATUS 80 gave %d entries" % len(isd))
    else:
        aid, state, priv = isd[0]
        print("ISD %s %02X %s privileges %s" % (aid.hex().upper(), state,
                                               CARD_STATES.get(state, "?"), priv.hex().upper()))
        if state != 0x0F:
            problems.append("card is %02X, not SECURED" % state)
    listed = {aid: state for aid, state, _ in card.get_status(0x40)}
    for aid, state in sorted(listed.items()):
        print("APP %s %02X" % (aid.hex().upper(), state))
    for aid, want in apps:
        got = listed.get(aid)
        if got != want:
            problems.append("application %s is %s, not %02X"
                            % (aid.hex().upper(), "absent" if got is None else "%02X" % got,
                               want))
    # STORE DATA to the ISD: a DGI 0101, last block
    _, sw = card.send(bytes.fromhex("80E2800005010102AABB"))
    print("STORE DATA SW %04X" % sw)
    if sw == 0x9000:
        problems.append("STORE DATA accepted")
    # EF05 record 2 (card category) read before, UPDATE RECORD over the channel, read after
    _, sw = card.send(bytes([0x00, 0xA4, 0x04, 0x00, len(SSSE_AID)]) + SSSE_AID + b"\x00")
    if sw != 0x9000:
        raise GPError("SELECT SSSE: SW %04X" % sw)
    _, sw = card.send(bytes.fromhex("00A4020C02EF05"))
    if sw != 0x9000:
        raise GPError("SELECT EF05: SW %04X" % sw)
    before, sw = card.send(bytes.fromhex("00B2020400"))
    _, sw = card.send(bytes.fromhex("00DC020403020199"))
    print("UPDATE RECORD EF05 SW %04X" % sw)
    if sw == 0x9000:
        problems.append("UPDATE RECORD of EF05 accepted")
    card.scp = None  # a refused command may have closed the channel: read in the clear
    card.transmit(bytes([0x00, 0xA4, 0x04, 0x00, len(SSSE_AID)]) + SSSE_AID + b"\x00")
    after, _ = card.transmit(bytes.fromhex("00B2022C00"))
    if after != before:
        problems.append("EF05 record 2 changed from %s to %s" % (before.hex(), after.hex()))
    return problems


def check_issued_main(prog, argv, doc, check, own=None, defaults=None, required=(),
                      card_class=None):
    """A host's command line: "selftest" is the caller's; "check-issued" takes --reader,
    --kmc, --kvn, --app AID[:STATE] and the host's own options (own: option -> (key,
    parse)) over defaults, then check(card, opts) on a card_class (Card) in the reader gives
    the problems. Exit 0 issued, 1 not, 2 on usage, 3 on a PC/SC or protocol failure."""
    if argv[:1] != ["check-issued"]:
        print(doc, file=sys.stderr)
        return 2
    opts = {"reader": "Virtual PCD", "kmc": GP_TEST_KMC, "kvn": 0, "apps": []}
    opts.update(defaults or {})
    parsers = {"--reader": ("reader", str), "--kmc": ("kmc", bytes.fromhex),
               "--kvn": ("kvn", lambda v: int(v, 16))}
    parsers.update(own or {})
    args = argv[1:]
    try:
        while args:
            a = args.pop(0)
            if a in parsers:
                key, parse = parsers[a]
                opts[key] = parse(args.pop(0))
            elif a == "--app":
                aid, _, state = args.pop(0).partition(":")
                opts["apps"].append((bytes.fromhex(aid), int(state or "0F", 16)))
            else:
                raise ValueError(a)
        for key, option in required:
            if opts.get(key) is None:
                raise ValueError("%s is needed" % option)
    except (ValueError, IndexError) as e:
        print("%s: bad argument %s\n%s" % (prog, e, doc), file=sys.stderr)
        return 2
    try:
        problems = check((card_class or Card)(opts["reader"]), opts)
    except GPError as e:
        print("%s: %s" % (prog, e), file=sys.stderr)
        return 3
    except Exception as e:  # pyscard's own errors (no card, reader gone)
        print("%s: PC/SC: %s" % (prog, e), file=sys.stderr)
        return 3
    if problems:
        print("NOT ISSUED: " + "; ".join(problems))
        return 1
    print("ISSUED")
    return 0


def main(argv):
    if argv[:1] == ["selftest"]:
        return 1 if selftest() else 0
    return check_issued_main("gp_host.py", argv, __doc__,
                             lambda card, o: check_issued(card, o["kmc"], o["kvn"], o["apps"]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
