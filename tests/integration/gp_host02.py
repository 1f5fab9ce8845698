#!/usr/bin/python3
"""gp_host02.py - an independent GlobalPlatform SCP02 host over PC/SC, to check cards of an
SCP02 stock from outside cardpipe (the SCP03 side is gp_host.py).

Written from the GP Card Specification 2.2 Appendix E (SCP02: session keys E.4.1, card and
host cryptograms E.4.2, C-MAC with ICV chaining and ICV encryption E.4.4, C-DECRYPTION
E.4.5) and from EMV CPS 1.1 (the "EMV" static key diversification: key_x =
3DES(KMC, KDD[4..9] || F0 || x || KDD[4..9] || 0F || x)). It shares no code with
cardpipe's C side: DES and 3DES come from python3-cryptography, the card link from pyscard.

usage:
  gp_host02.py selftest
      check this SCP02 implementation against the published vector (TV-02-A: session keys,
      EXTERNAL AUTHENTICATE and four wrapped commands at i=15); exit 0 when all match.
  gp_host02.py check-issued --isd AID [--reader PREFIX] [--kmc HEX] [--kvn HEX]
                            [--i HEX] [--app AID[:STATE]]...
      on the card in the reader: SELECT the ISD, open SCP02 (C-MAC) with the EMV-diversified
      keys, GET STATUS of the ISD and the applications, try a STORE DATA over the channel.
      An issued card: the ISD SECURED (0F), each --app in STATE (default 0F), the STORE DATA
      refused. Prints one line per finding and "ISSUED" or "NOT ISSUED: <reasons>"; exit 0
      when issued, 1 when not, 2 on usage, 3 on a PC/SC or protocol failure.
The default KMC is the public GlobalPlatform test key 404142...4F, "i" 15.
"""
import os
import sys
import warnings

warnings.filterwarnings("ignore")  # TripleDES with a single-DES key is what SCP02 needs

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

GP_TEST_KMC = bytes.fromhex("404142434445464748494A4B4C4D4E4F")
I_UNMODIFIED, I_ICV_ENC = 0x02, 0x10


# the PC/SC transport, GET STATUS and its errors are the SCP03 host's: only the secure channel
# differs (tests/integration/gp_host.py, written from the same specifications)
from gp_host import Card as _Card, GPError, check_issued_main  # noqa: E402


def tdes_cbc(key, data, iv=b"\x00" * 8):
    e = Cipher(algorithms.TripleDES(key), modes.CBC(iv)).encryptor()
    return e.update(data) + e.finalize()


def tdes_ecb(key, data):
    e = Cipher(algorithms.TripleDES(key), modes.ECB()).encryptor()
    return e.update(data) + e.finalize()


def des_ecb(key8, data):
    return tdes_ecb(key8 * 2, data)


def pad80(data):
    data = data + b"\x80"
    return data + b"\x00" * (-len(data) % 8)


def full_mac(key, data):
    """ISO 9797-1 MAC algorithm 1 with 3DES (the cryptograms)."""
    return tdes_cbc(key, pad80(data))[-8:]


def retail_mac(key, icv, data):
    """ISO 9797-1 MAC algorithm 3: single DES CBC under K1, the last block 3DES."""
    data = pad80(data)
    h = icv
    for i in range(0, len(data) - 8, 8):
        h = des_ecb(key[:8], bytes(a ^ b for a, b in zip(h, data[i:i + 8])))
    return tdes_ecb(key, bytes(a ^ b for a, b in zip(h, data[-8:])))


def diversify_emv(kmc, kdd):
    p = kdd[4:10]
    return [tdes_ecb(kmc, p + bytes([0xF0, x]) + p + bytes([0x0F, x])) for x in (1, 2, 3)]


class SCP02:
    def __init__(self, enc, mac, dek, kvn=0, i_param=0x15):
        self.enc, self.mac, self.dek, self.kvn, self.i = enc, mac, dek, kvn, i_param
        self.icv = None
        self.level = 0

    def init_update_apdu(self, hc):
        self.hc = hc
        return bytes([0x80, 0x50, self.kvn, 0x00, 0x08]) + hc + b"\x00"

    def begin(self, resp):
        if len(resp) != 28:
            raise GPError("INITIALIZE UPDATE answer of %d bytes" % len(resp))
        if resp[11] != 0x02:
            raise GPError("not SCP02 (SCP %02X)" % resp[11])
        seq, self.cc, cgram = resp[12:14], resp[14:20], resp[20:28]

        def sk(key, const):
            return tdes_cbc(key, const + seq + b"\x00" * 12)
        self.s_enc = sk(self.enc, b"\x01\x82")
        self.c_mac = sk(self.mac, b"\x01\x01")
        self.s_dek = sk(self.dek, b"\x01\x81")
        if full_mac(self.s_enc, self.hc + seq + self.cc) != cgram:
            raise GPError("card cryptogram does not verify (wrong keys)")
        self.host_cgram = full_mac(self.s_enc, seq + self.cc + self.hc)

    def _cmac(self, data):
        if self.icv is None:
            icv = b"\x00" * 8
        elif self.i & I_ICV_ENC:
            icv = des_ecb(self.c_mac[:8], self.icv)
        else:
            icv = self.icv
        self.icv = retail_mac(self.c_mac, icv, data)
        return self.icv

    def external_authenticate_apdu(self, level):
        hdr = bytes([0x84, 0x82, level, 0x00, 0x10])
        self.icv = None
        mac = self._cmac(hdr + self.host_cgram)
        self.level = level
        return hdr + self.host_cgram + mac

    def wrap(self, apdu):
        if not self.level & 0x01:
            return apdu
        cla, ins, p1, p2 = apdu[:4]
        data, le = b"", None
        if len(apdu) == 5:
            le = apdu[4]
        elif len(apdu) > 5:
            lc = apdu[4]
            data = apdu[5:5 + lc]
            if len(apdu) == 6 + lc:
                le = apdu[-1]
        if self.i & I_UNMODIFIED:
            mac = self._cmac(bytes([cla, ins, p1, p2, len(data)]) + data)
        else:
            mac = self._cmac(bytes([cla | 0x04, ins, p1, p2, len(data) + 8]) + data)
        if self.level & 0x02 and data:
            data = tdes_cbc(self.s_enc, pad80(data))
        out = bytes([cla | 0x04, ins, p1, p2, len(data) + 8]) + data + mac
        return out + (bytes([le]) if le is not None else b"")

    def unwrap(self, data, sw):
        return data


def selftest(out=sys.stdout):
    s = SCP02(bytes.fromhex("100102030405060708090a0b0c0d0e0f"),
              bytes.fromhex("101102030405060708090a0b0c0d0e0f"),
              bytes.fromhex("102102030405060708090a0b0c0d0e0f"), 0, 0x15)
    s.init_update_apdu(bytes.fromhex("40A62C37FA6304F8"))
    s.begin(bytes.fromhex("00000000000000000000700200016B4524ABEE7CF32EA3838BC148F3"))
    bad = 0
    checks = [("S-ENC", s.s_enc.hex().upper(), "1BA074B31F72A6C44FE8F5D9AFE4DA2F"),
              ("C-MAC", s.c_mac.hex().upper(), "29A69328E60494982632039DDD47A2F1"),
              ("DEK", s.s_dek.hex().upper(), "511DB767812597722109C867F9D7257A"),
              ("EXTERNAL AUTHENTICATE", s.external_authenticate_apdu(0x01).hex().upper(),
               "8482010010BA6961667737C5BCEBECE14C7D6A4376")]
    plain = ["80F22002", "80ca006600", "80F220020a4f0212345c054f9f70c5", "80f28002024f0000"]
    wrapped = ["84F220020814DB34FA4341DCA8", "84CA00660855ED7C5FF069512B00",
               "84F22002124F0212345C054F9F70C58FC1B380C4228AF8",
               "84F280020A4F003B95F09317DE6A4E00"]
    for p, w in zip(plain, wrapped):
        checks.append(("wrap " + p, s.wrap(bytes.fromhex(p)).hex().upper(), w))
    for name, got, want in checks:
        ok = got == want
        bad += not ok
        print("%s %s%s" % ("ok  " if ok else "FAIL", name, "" if ok else
                           " got %s want %s" % (got, want)), file=out)
    return bad


class Card(_Card):
    """gp_host's card (pyscard, GET RESPONSE, GET STATUS) opened over SCP02; SCP02.unwrap
    passes responses through, as this host asks for no R-MAC."""

    def open_scp02(self, isd, kmc, kvn, i_param, level):
        _, sw = self.transmit(bytes([0x00, 0xA4, 0x04, 0x00, len(isd)]) + isd + b"\x00")
        if sw != 0x9000:
            raise GPError("SELECT ISD %s: SW %04X" % (isd.hex().upper(), sw))
        hc = os.urandom(8)
        probe = SCP02(b"\x00" * 16, b"\x00" * 16, b"\x00" * 16, kvn, i_param)
        resp, sw = self.transmit(probe.init_update_apdu(hc))
        if sw != 0x9000:
            raise GPError("INITIALIZE UPDATE: SW %04X" % sw)
        s = SCP02(*diversify_emv(kmc, resp[:10]), kvn=kvn, i_param=i_param)
        s.init_update_apdu(hc)
        s.begin(resp)
        _, sw = self.transmit(s.external_authenticate_apdu(level))
        if sw != 0x9000:
            raise GPError("EXTERNAL AUTHENTICATE: SW %04X" % sw)
        self.scp = s


def check_issued(card, isd, kmc, kvn, i_param, apps):
    problems = []
    card.open_scp02(isd, kmc, kvn, i_param, 0x01)
    entries = card.get_status(0x80)
    if len(entries) != 1 or entries[0][0] != isd:
        problems.append("GET STATUS 80 gave %r" % entries)
    else:
        print("ISD %s %02X" % (isd.hex().upper(), entries[0][1]))
        if entries[0][1] != 0x0F:
            problems.append("card is %02X, not SECURED" % entries[0][1])
    listed = {aid: state for aid, state, _ in card.get_status(0x40)}
    for aid, state in sorted(listed.items()):
        print("APP %s %02X" % (aid.hex().upper(), state))
    for aid, want in apps:
        if listed.get(aid) != want:
            problems.append("application %s is %s, not %02X" % (
                aid.hex().upper(), listed.get(aid), want))
    _, sw = card.send(bytes.fromhex("80E2800005010102AABB"))
    print("STORE DATA SW %04X" % sw)
    if sw == 0x9000:
        problems.append("STORE DATA accepted")
    return problems


def main(argv):
    if argv[:1] == ["selftest"]:
        return 1 if selftest() else 0
    return check_issued_main(
        "gp_host02.py", argv, __doc__,
        lambda card, o: check_issued(card, o["isd"], o["kmc"], o["kvn"], o["i"], o["apps"]),
        own={"--i": ("i", lambda v: int(v, 16)), "--isd": ("isd", bytes.fromhex)},
        defaults={"i": 0x15, "isd": None}, required=[("isd", "--isd")], card_class=Card)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
